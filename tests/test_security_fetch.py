"""The fetcher against hostile servers (issue 21; architecture §6; evidence-formats.md §6).

One regression test per fixed class, named for it, plus every mode of ``tests/hostile_server.py``
against :class:`HttpFetcher` directly. Time bounds here are correctness bounds, not benchmarks:
each fetch must end within its deadline plus generous slack (the old fetcher was held for as long
as the server dripped); they are measured with a monotonic clock.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.hostile_server import EXPECTED, MODES, hostile
from tests.httpserver import body, serve
from vvp import codes
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, FetchLimits, HttpFetcher

CESR = "application/cesr"
DEADLINE = 1.5
SLACK = 3.0  # deadline + slack: robust on a loaded 2-core machine, far below the old unbounded hold
LIMITS = FetchLimits(timeout_s=DEADLINE, max_bytes=200_000, max_redirects=3, allow_private_addresses=True)
STRICT = FetchLimits(timeout_s=DEADLINE, max_bytes=200_000, max_redirects=3, allow_private_addresses=False)


def _fail(fetcher: HttpFetcher, url: str, kind: EvidenceKind = EvidenceKind.OOBI) -> tuple[FetchError, float]:
    t0 = time.monotonic()
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(url, kind)
    return ei.value, time.monotonic() - t0


# ---------------------------------------------------------------------------------------------
# Every hostile mode, at the fetcher


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", MODES)
def test_hostile_mode_ends_within_the_deadline_with_its_code(mode: str) -> None:
    with hostile(mode, interval=0.3) as srv:
        url = srv.url()
        err, took = _fail(HttpFetcher(LIMITS), url)
    assert err.code == EXPECTED[mode], err.message
    assert err.url == url
    assert took < DEADLINE + SLACK, f"{mode}: {took:.1f} s"


# ---------------------------------------------------------------------------------------------
# Regression tests, one per class of the issue


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["drip-status", "drip-headers", "drip-body", "continue-forever"])
def test_regression_fetch_deadline_is_total_not_per_read(mode: str) -> None:
    """A byte every 0.3 s never trips a per-read timeout of 1.5 s; the total deadline cuts it."""
    with hostile(mode, interval=0.3) as srv:
        err, took = _fail(HttpFetcher(LIMITS), srv.url())
    assert err.code == codes.FETCH_TIMEOUT
    assert "total deadline" in err.message
    assert took < DEADLINE + SLACK


@pytest.mark.timeout(60)
def test_regression_fetch_deadline_covers_name_resolution() -> None:
    """getaddrinfo has no timeout: a resolver that hangs is abandoned at the deadline."""
    release = threading.Event()

    def stuck(host: str, port: int) -> list[str]:
        release.wait(30)
        return ["127.0.0.1"]

    try:
        err, took = _fail(HttpFetcher(LIMITS, resolver=stuck), "http://slow-dns.example/k")
    finally:
        release.set()
    assert err.code == codes.FETCH_TIMEOUT and took < DEADLINE + SLACK


@pytest.mark.timeout(60)
def test_regression_fetch_deadline_covers_the_tls_handshake() -> None:
    """An https server that accepts and never speaks TLS: the handshake shares the deadline."""
    with hostile("never-accept") as srv:
        err, took = _fail(HttpFetcher(LIMITS), srv.url().replace("http://", "https://"))
    assert err.code == codes.FETCH_TIMEOUT and took < DEADLINE + SLACK


@pytest.mark.timeout(60)
def test_regression_deadline_spans_redirects() -> None:
    """The deadline is per fetch, not per hop: a redirect to a drip gets only the time left."""
    with hostile("drip-body", interval=0.3) as drip:
        with serve({"/r": lambda h: _redirect(h, drip.url())}) as base:
            err, took = _fail(HttpFetcher(LIMITS), base + "/r")
    assert err.code == codes.FETCH_TIMEOUT and took < DEADLINE + SLACK


def _redirect(h: object, to: str) -> None:
    h.send_response(302)  # type: ignore[attr-defined]
    h.send_header("Location", to)  # type: ignore[attr-defined]
    h.send_header("Content-Length", "0")  # type: ignore[attr-defined]
    h.end_headers()  # type: ignore[attr-defined]


def test_regression_short_body_is_a_protocol_error() -> None:
    with hostile("short-body") as srv:
        err, _ = _fail(HttpFetcher(LIMITS), srv.url())
    assert err.code == codes.FETCH_BODY_INCOMPLETE
    assert "of 100000 body bytes" in err.message


def test_regression_short_chunked_body_is_a_protocol_error() -> None:
    def route(h: object) -> None:
        h.send_response(200)  # type: ignore[attr-defined]
        h.send_header("Content-Type", CESR)  # type: ignore[attr-defined]
        h.send_header("Transfer-Encoding", "chunked")  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]
        h.wfile.write(b"10\r\nonly part")  # type: ignore[attr-defined]
        h.close_connection = True  # type: ignore[attr-defined]

    with serve({"/c": route}) as base:
        err, _ = _fail(HttpFetcher(LIMITS), base + "/c")
    assert err.code == codes.FETCH_BODY_INCOMPLETE


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.0.1/x",
    "http://[fe80::1]/x",
    "http://100.100.100.200/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/x",
    "http://[64:ff9b::a9fe:a9fe]/x",  # NAT64 form of 169.254.169.254
    "http://168.63.129.16/machine",
])
def test_regression_link_local_and_metadata_refused_even_when_private_allowed(url: str) -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("a literal must not be resolved")

    err, _ = _fail(HttpFetcher(LIMITS, resolver=no_dns), url)
    assert err.code == codes.FETCH_ADDRESS_NEVER_FETCHED


def test_regression_name_resolving_to_metadata_refused_even_when_private_allowed() -> None:
    f = HttpFetcher(LIMITS, resolver=lambda h, p: ["169.254.169.254"])
    err, _ = _fail(f, "http://metadata.google.internal/computeMetadata/v1/")
    assert err.code == codes.FETCH_ADDRESS_NEVER_FETCHED


def test_regression_redirect_to_metadata_refused_even_when_private_allowed() -> None:
    with hostile("redirect-metadata") as srv:
        err, _ = _fail(HttpFetcher(LIMITS), srv.url())
    assert err.code == codes.FETCH_REDIRECT_REFUSED
    assert "never fetched" in err.message


def test_nat64_and_6to4_forms_of_private_addresses_refused_under_the_strict_policy() -> None:
    for url in ("http://[64:ff9b::7f00:1]/x", "http://[2002:7f00:1::]/x", "http://[64:ff9b::a00:1]/x"):
        err, _ = _fail(HttpFetcher(STRICT), url)
        assert err.code == codes.FETCH_ADDRESS_IPV4_MAPPED, url


def test_regression_compressed_body_not_asked_for_is_refused() -> None:
    with hostile("gzip-bomb") as srv:
        err, _ = _fail(HttpFetcher(LIMITS), srv.url())
    assert err.code == codes.FETCH_ENCODING_REFUSED


@pytest.mark.parametrize("te", ["gzip, chunked", "deflate", "chunked, chunked"])
def test_transfer_encodings_other_than_chunked_refused(te: str) -> None:
    def route(h: object) -> None:
        h.send_response(200)  # type: ignore[attr-defined]
        h.send_header("Content-Type", CESR)  # type: ignore[attr-defined]
        h.send_header("Transfer-Encoding", te)  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]
        h.wfile.write(b"0\r\n\r\n")  # type: ignore[attr-defined]

    with serve({"/t": route}) as base:
        err, _ = _fail(HttpFetcher(LIMITS), base + "/t")
    assert err.code == codes.FETCH_ENCODING_REFUSED


def test_regression_redirect_never_changes_scheme() -> None:
    with hostile("redirect-scheme") as srv:
        err, _ = _fail(HttpFetcher(LIMITS), srv.url())
    assert err.code == codes.FETCH_REDIRECT_SCHEME_CHANGED


def test_regression_redirect_https_to_http_refused_before_any_connection() -> None:
    calls: list[str] = []

    def transport(target: object, ip: str, deadline: float, url: str) -> tuple[int, dict[str, str], bytes, str]:
        calls.append(ip)
        return 302, {"location": "http://witness.example/oobi"}, b"", ""

    f = HttpFetcher(STRICT, resolver=lambda h, p: ["93.184.216.34"], transport=transport)
    err, _ = _fail(f, "https://witness.example/oobi")
    assert err.code == codes.FETCH_REDIRECT_SCHEME_CHANGED
    assert calls == ["93.184.216.34"]  # the downgraded hop was never contacted


def test_regression_absurd_timeout_policy_still_fetches() -> None:
    """fetch_timeout_s 1e12 (accepted by the trust store) must not overflow a socket timeout."""
    lim = FetchLimits(timeout_s=1e12, max_bytes=1000, allow_private_addresses=True)
    with serve({"/k": body(CESR, b"KEL")}) as base:
        assert HttpFetcher(lim).fetch(base + "/k", EvidenceKind.OOBI).body == b"KEL"


# ---------------------------------------------------------------------------------------------
# The response reader: what it accepts, what it refuses


def test_chunked_body_with_extensions_and_trailer_is_read() -> None:
    def route(h: object) -> None:
        h.send_response(200)  # type: ignore[attr-defined]
        h.send_header("Content-Type", CESR)  # type: ignore[attr-defined]
        h.send_header("Transfer-Encoding", "chunked")  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]
        h.wfile.write(b"3;ext=1\r\nKEL\r\n4\r\n-two\r\n0\r\nX-Trailer: t\r\n\r\n")  # type: ignore[attr-defined]

    with serve({"/c": route}) as base:
        got = HttpFetcher(LIMITS).fetch(base + "/c", EvidenceKind.OOBI)
    assert got.body == b"KEL-two"


def test_body_without_length_is_read_to_the_close() -> None:
    with serve({"/k": body(CESR, b"to the close", length=False)}) as base:
        assert HttpFetcher(LIMITS).fetch(base + "/k", EvidenceKind.OOBI).body == b"to the close"


def test_interim_responses_before_the_final_one_are_skipped() -> None:
    with _raw_server(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                     b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nContent-Length: 3\r\n\r\nKEL") as url:
        assert HttpFetcher(LIMITS).fetch(url, EvidenceKind.OOBI).body == b"KEL"


@pytest.mark.parametrize(("raw", "code"), [
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nKEL!",
     codes.FETCH_PROTOCOL_ERROR),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nContent-Length: 3\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n3\r\nKEL\r\n0\r\n\r\n", codes.FETCH_PROTOCOL_ERROR),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nContent-Length: -3\r\n\r\n", codes.FETCH_PROTOCOL_ERROR),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
     codes.FETCH_PROTOCOL_ERROR),
    (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", codes.FETCH_PROTOCOL_ERROR),
    (b"HTTP/2 200\r\n\r\n", codes.FETCH_PROTOCOL_ERROR),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nContent-Length: 99999999999\r\n\r\n",
     codes.FETCH_TOO_LARGE),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     codes.FETCH_PROTOCOL_ERROR),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nKELXX\r\n",
     codes.FETCH_PROTOCOL_ERROR),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\n" + b"X-Long: " + b"a" * 9000 + b"\r\n\r\n",
     codes.FETCH_HEAD_TOO_LARGE),
    (b"HTTP/1.1 200 OK\r\n" + b"X-Many: a\r\n" * 101 + b"\r\n", codes.FETCH_HEAD_TOO_LARGE),
    (b"HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n", codes.FETCH_PROTOCOL_ERROR),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx",
     codes.FETCH_ENCODING_REFUSED),
    (b"", codes.FETCH_CONNECTION_LOST),
    (b"HTTP/1.1 200 OK\r\nContent-Type: app", codes.FETCH_CONNECTION_LOST),
])
def test_malformed_responses_get_their_codes(raw: bytes, code: str) -> None:
    with _raw_server(raw) as url:
        err, _ = _fail(HttpFetcher(LIMITS), url)
    assert err.code == code, err.message


def test_identity_content_encoding_is_accepted() -> None:
    with _raw_server(b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nContent-Encoding: identity\r\n"
                     b"Content-Length: 3\r\n\r\nKEL") as url:
        assert HttpFetcher(LIMITS).fetch(url, EvidenceKind.OOBI).body == b"KEL"


@pytest.mark.parametrize("url", ["http://127.0.0.1/a b", "http://127.0.0.1/a\r\nX-Injected: 1",
                                 "http://127.0.0.1/caf\u00e9", "http://ex\u00e4mple..com/"])
def test_urls_that_would_inject_or_not_encode_are_refused(url: str) -> None:
    err, _ = _fail(HttpFetcher(LIMITS, resolver=lambda h, p: ["127.0.0.1"]), url)
    assert err.code == codes.FETCH_BAD_URL


def test_request_is_well_formed_and_asks_for_identity() -> None:
    seen: list[bytes] = []
    with _raw_server(b"HTTP/1.1 200 OK\r\nContent-Type: application/cesr\r\nContent-Length: 2\r\n\r\nok",
                     requests=seen) as url:
        HttpFetcher(LIMITS).fetch(url + "?q=1", EvidenceKind.OOBI)
    head = seen[0].decode("ascii")
    port = url.rsplit(":", 1)[1].split("/")[0]
    assert head.startswith("GET /raw?q=1 HTTP/1.1\r\n")
    assert f"\r\nHost: 127.0.0.1:{port}\r\n" in head
    assert "\r\nAccept-Encoding: identity\r\n" in head and "\r\nConnection: close\r\n" in head


class _Raw:
    def __init__(self, raw: bytes, requests: list[bytes] | None) -> None:
        self.raw = raw
        self.requests = requests if requests is not None else []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(10)
        self.thread = threading.Thread(target=self._one, daemon=True)
        self.thread.start()

    def _one(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.requests.append(data)
            conn.sendall(self.raw)


@contextmanager
def _raw_server(raw: bytes, *, requests: list[bytes] | None = None) -> Iterator[str]:
    """One connection answered with exactly ``raw`` bytes, then closed."""
    srv = _Raw(raw, requests)
    try:
        yield f"http://127.0.0.1:{srv.sock.getsockname()[1]}/raw"
    finally:
        srv.sock.close()
        srv.thread.join(timeout=5)
