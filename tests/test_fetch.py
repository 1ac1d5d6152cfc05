"""Fetcher limits and address policy (architecture §6), against a real local server.

Each refusal is a distinct coded FetchError, never a traceback, never a hang.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.httpserver import body, redirect, serve, slow
from vvp import codes
from vvp.errors import ConfigError, FetchError
from vvp.fetch import (
    EvidenceKind, FetchLimits, HttpFetcher, MapFetcher, MemoryFetcher, OfflineFetcher, RecordingFetcher,
)

CESR = "application/cesr"
LOCAL = FetchLimits(timeout_s=2.0, max_bytes=1000, max_redirects=3, allow_private_addresses=True)
STRICT = FetchLimits(timeout_s=2.0, max_bytes=1000, max_redirects=3, allow_private_addresses=False)


def _code(fetcher: object, url: str, kind: EvidenceKind = EvidenceKind.OOBI) -> str:
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(url, kind)  # type: ignore[attr-defined]
    assert ei.value.url == url
    return ei.value.code


def test_ok_fetch_and_charset_suffix() -> None:
    with serve({"/k": body("application/json+cesr; charset=utf-8", b"KEL")}) as base:
        got = HttpFetcher(LOCAL).fetch(base + "/k", EvidenceKind.OOBI)
    assert got.body == b"KEL" and got.source == "http" and got.final_url == base + "/k"


def test_oversize_body_with_content_length() -> None:
    with serve({"/big": body(CESR, b"x" * 5000)}) as base:
        assert _code(HttpFetcher(LOCAL), base + "/big") == codes.FETCH_TOO_LARGE


def test_oversize_body_without_content_length() -> None:
    with serve({"/big": body(CESR, b"x" * 5000, length=False)}) as base:
        assert _code(HttpFetcher(LOCAL), base + "/big") == codes.FETCH_TOO_LARGE


@pytest.mark.timeout(20)
def test_body_slower_than_timeout() -> None:
    lim = FetchLimits(timeout_s=1.0, max_bytes=1000, allow_private_addresses=True)
    with serve({"/slow": slow(CESR, chunks=40, delay=0.1)}) as base:
        assert _code(HttpFetcher(lim), base + "/slow") == codes.FETCH_TIMEOUT


def test_redirect_loop() -> None:
    with serve({"/a": redirect("/b"), "/b": redirect("/a")}) as base:
        assert _code(HttpFetcher(LOCAL), base + "/a") == codes.FETCH_TOO_MANY_REDIRECTS


def test_redirect_cap() -> None:
    routes = {f"/r{i}": redirect(f"/r{i + 1}") for i in range(6)}
    with serve(routes) as base:
        assert _code(HttpFetcher(LOCAL), base + "/r0") == codes.FETCH_TOO_MANY_REDIRECTS


def test_redirect_followed_within_cap() -> None:
    with serve({"/r": redirect("/k", 307), "/k": body(CESR, b"ok")}) as base:
        got = HttpFetcher(LOCAL).fetch(base + "/r", EvidenceKind.OOBI)
    assert got.body == b"ok" and got.final_url == base + "/k"


def test_redirect_to_numeric_disguised_host_refused() -> None:
    with serve({"/r": redirect("http://2130706433/k")}) as base:
        assert _code(HttpFetcher(LOCAL), base + "/r") == codes.FETCH_REDIRECT_REFUSED


def test_redirect_to_other_scheme_refused() -> None:
    with serve({"/r": redirect("file:///etc/passwd")}) as base:
        assert _code(HttpFetcher(LOCAL), base + "/r") == codes.FETCH_REDIRECT_REFUSED


def test_redirect_from_public_host_to_private_address_refused() -> None:
    """A public host (fake DNS + fake transport: nothing leaves the machine) redirecting to 10.x."""
    calls: list[str] = []

    def transport(target: object, ip: str, deadline: float, url: str) -> tuple[int, dict[str, str], bytes, str]:
        calls.append(ip)
        return 302, {"location": "http://10.1.2.3/kel"}, b"", ""

    f = HttpFetcher(STRICT, resolver=lambda h, p: ["93.184.216.34"], transport=transport)
    assert _code(f, "http://witness.example/oobi") == codes.FETCH_REDIRECT_REFUSED
    assert calls == ["93.184.216.34"]  # the private hop was never contacted


def test_wrong_content_type() -> None:
    with serve({"/k": body("text/html", b"<html>")}) as base:
        assert _code(HttpFetcher(LOCAL), base + "/k") == codes.FETCH_BAD_CONTENT_TYPE


def test_content_types_per_kind() -> None:
    with serve({"/j": body("application/json", b"{}")}) as base:
        f = HttpFetcher(LOCAL)
        assert f.fetch(base + "/j", EvidenceKind.DOSSIER).body == b"{}"  # the {"details": ...} wrapper
        assert _code(f, base + "/j", EvidenceKind.OOBI) == codes.FETCH_BAD_CONTENT_TYPE


def test_http_error_status() -> None:
    with serve({}) as base:
        assert _code(HttpFetcher(LOCAL), base + "/missing") == codes.FETCH_HTTP_STATUS


@pytest.mark.parametrize(("url", "code"), [
    ("http://127.0.0.1/x", codes.FETCH_ADDRESS_LOOPBACK),
    ("http://127.8.9.10/x", codes.FETCH_ADDRESS_LOOPBACK),
    ("http://[::1]/x", codes.FETCH_ADDRESS_LOOPBACK),
    ("http://10.0.0.1/x", codes.FETCH_ADDRESS_PRIVATE),
    ("http://172.16.5.4/x", codes.FETCH_ADDRESS_PRIVATE),
    ("http://192.168.1.1/x", codes.FETCH_ADDRESS_PRIVATE),
    ("http://[fd00::1]/x", codes.FETCH_ADDRESS_PRIVATE),
    ("http://169.254.169.254/latest/meta-data", codes.FETCH_ADDRESS_LINK_LOCAL),
    ("http://[fe80::1]/x", codes.FETCH_ADDRESS_LINK_LOCAL),
    ("http://0.0.0.0/x", codes.FETCH_ADDRESS_UNSPECIFIED),
    ("http://[::]/x", codes.FETCH_ADDRESS_UNSPECIFIED),
    ("http://[::ffff:127.0.0.1]/x", codes.FETCH_ADDRESS_IPV4_MAPPED),
    ("http://[::ffff:10.0.0.1]/x", codes.FETCH_ADDRESS_IPV4_MAPPED),
    ("http://2130706433/x", codes.FETCH_HOST_NUMERIC_FORM),
    ("http://0x7f000001/x", codes.FETCH_HOST_NUMERIC_FORM),
    ("http://0177.0.0.1/x", codes.FETCH_HOST_NUMERIC_FORM),
    ("http://127.1/x", codes.FETCH_HOST_NUMERIC_FORM),
    ("http://224.0.0.1/x", codes.FETCH_ADDRESS_RESERVED),
    ("ftp://example.com/x", codes.FETCH_SCHEME_REFUSED),
    ("file:///etc/passwd", codes.FETCH_SCHEME_REFUSED),
    ("http:///nohost", codes.FETCH_BAD_URL),
    ("http://user:pw@example.com/x", codes.FETCH_BAD_URL),
    ("http://example.com:99999/x", codes.FETCH_BAD_URL),
])
def test_forbidden_hosts(url: str, code: str) -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("a refused literal must not be resolved")

    assert _code(HttpFetcher(STRICT, resolver=no_dns), url) == code


def test_name_resolving_to_loopback_refused_before_connect() -> None:
    with serve({"/k": body(CESR, b"KEL")}) as base:
        port = base.rsplit(":", 1)[1]
        f = HttpFetcher(STRICT, resolver=lambda h, p: ["127.0.0.1"])
        assert _code(f, f"http://evil.example:{port}/k") == codes.FETCH_NAME_RESOLVES_PRIVATE


def test_name_with_one_private_answer_among_public_refused() -> None:
    f = HttpFetcher(STRICT, resolver=lambda h, p: ["93.184.216.34", "10.0.0.7"])
    assert _code(f, "http://mixed.example/k") == codes.FETCH_NAME_RESOLVES_PRIVATE


def test_connection_is_pinned_to_the_checked_address() -> None:
    """The name is resolved once; the connection goes to that address, whatever DNS says later."""
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    with serve({"/k": body(CESR, b"pinned")}) as base:
        port = base.rsplit(":", 1)[1]
        f = HttpFetcher(LOCAL, resolver=lambda h, p: next(answers))
        got = f.fetch(f"http://rebind.example:{port}/k", EvidenceKind.OOBI)
    assert got.body == b"pinned"


def test_unresolvable_name() -> None:
    def fail(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    assert _code(HttpFetcher(STRICT, resolver=fail), "http://nx.example/k") == codes.FETCH_DNS_FAILED


def test_connection_refused() -> None:
    with serve({}) as base:
        pass  # server stopped: the port is closed now
    assert _code(HttpFetcher(LOCAL), base + "/k") == codes.FETCH_CONNECT_FAILED


def test_offline_fetcher() -> None:
    assert _code(OfflineFetcher(), "http://example.com/k") == codes.FETCH_OFFLINE


def _write_map(tmp: Path, data: object) -> Path:
    p = tmp / "map.json"
    p.write_text(json.dumps(data))
    return p


def test_map_fetcher_relative_paths_said_keys_and_content_types(tmp_path: Path) -> None:
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "kel.cesr").write_bytes(b"KEL")
    (tmp_path / "ev" / "d.json").write_bytes(b'{"details": ""}')
    (tmp_path / "ev" / "acdc.bin").write_bytes(b"ACDC")
    m = _write_map(tmp_path, {
        "http://w.example/oobi/E1": "ev/kel.cesr",
        "http://d.example/dossiers/E2.cesr": {"path": "ev/d.json", "content_type": "application/json"},
        "said:EABC": {"path": "ev/acdc.bin", "content_type": "application/json+cesr"},
        "http://w.example/html": {"path": "ev/kel.cesr", "content_type": "text/html"},
    })
    f = MapFetcher.load(m, OfflineFetcher(), max_bytes=100)
    assert f.fetch("http://w.example/oobi/E1", EvidenceKind.OOBI).body == b"KEL"
    assert f.fetch("http://d.example/dossiers/E2.cesr", EvidenceKind.DOSSIER).content_type == "application/json"
    assert f.fetch("said:EABC", EvidenceKind.ACDC).body == b"ACDC"
    assert _code(f, "http://w.example/html") == codes.FETCH_BAD_CONTENT_TYPE
    assert _code(f, "said:EOTHER", EvidenceKind.ACDC) == codes.FETCH_OFFLINE
    assert _code(f, "http://not.mapped/x") == codes.FETCH_OFFLINE  # falls back to the offline fetcher


def test_map_entries_pass_the_size_cap(tmp_path: Path) -> None:
    (tmp_path / "big.cesr").write_bytes(b"x" * 101)
    f = MapFetcher.load(_write_map(tmp_path, {"http://x/k": "big.cesr"}), OfflineFetcher(), max_bytes=100)
    assert _code(f, "http://x/k") == codes.FETCH_TOO_LARGE


def test_map_missing_file_and_bad_map(tmp_path: Path) -> None:
    f = MapFetcher.load(_write_map(tmp_path, {"http://x/k": "nope.cesr"}), OfflineFetcher())
    assert _code(f, "http://x/k") == codes.MAP_FILE_MISSING
    with pytest.raises(ConfigError) as ei:
        MapFetcher.load(_write_map(tmp_path, ["not", "an", "object"]), OfflineFetcher())
    assert ei.value.code == codes.MAP_INVALID
    with pytest.raises(ConfigError) as ei:
        MapFetcher.load(_write_map(tmp_path, {"u": {"path": "x", "extra": 1}}), OfflineFetcher())
    assert ei.value.code == codes.MAP_INVALID
    with pytest.raises(ConfigError) as ei:
        MapFetcher.load(tmp_path / "absent.json", OfflineFetcher())
    assert ei.value.code == codes.MAP_UNREADABLE


def test_recording_fetcher_keeps_bytes_and_failures() -> None:
    inner = MemoryFetcher({"http://a/k": (CESR, b"KEL")})
    rec = RecordingFetcher(inner)
    assert rec.fetch("http://a/k", EvidenceKind.OOBI).body == b"KEL"
    with pytest.raises(FetchError):
        rec.fetch("http://a/missing", EvidenceKind.OOBI)
    assert [e.url for e in rec.events] == ["http://a/k", "http://a/missing"]
    assert rec.events[0].fetched is not None and rec.events[0].fetched.body == b"KEL"
    assert rec.events[1].failure is not None and rec.events[1].failure.code == codes.FETCH_OFFLINE
