"""Raw SIP requests (vvp/stir/sip.py): compact and folded headers, several Identity headers, TNs."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests._sip_fixtures import SHAKEN_TOKEN, SIP_DIR, VVP_TOKEN, render
from tests._vvp_tokens import T0
from vvp import codes
from vvp.stir.identity import PptKind, route_identities
from vvp.stir.sip import (
    MAX_HEADER_FIELDS, MAX_SIP_BYTES, SipError, addr_uri, canonical_header_name, parse_sip, tn_from_uri,
)

DATE = dt.datetime.fromtimestamp(T0 + 1, dt.UTC)


def _fixture(name: str) -> bytes:
    return (SIP_DIR / name).read_bytes()


def _code(data: bytes | str) -> str:
    with pytest.raises(SipError) as ei:
        parse_sip(data)
    return ei.value.code


def test_fixtures_are_current() -> None:
    for name, data in render().items():
        assert _fixture(name) == data, f"fixtures/sip/{name} is stale: run .venv/bin/python -m tests._sip_fixtures"


def test_compact_and_folded_headers_two_identity_headers() -> None:
    r = parse_sip(_fixture("invite-compact-folded.sip"))
    assert r.method == "INVITE" and r.request_uri == "sip:+12125550199@ims.example.net;user=phone"
    assert (r.from_tn, r.to_tn, r.pai_tn, r.ruri_tn) == ("17045550100", "12125550199", None, "12125550199")
    assert r.from_uri == "sip:+17045550100@gw.example.com;user=phone"
    assert r.date == DATE and r.call_id == "a84b4c76e66710@pc33.example.com" and r.cseq == "314159 INVITE"
    assert len(r.identities) == 2
    assert r.identities[0].startswith(VVP_TOKEN + " ;info=") and r.identities[0].endswith(";alg=EdDSA ;ppt=vvp")
    routed = route_identities(r.identities)
    assert [x.kind for x in routed.routed] == [PptKind.VVP, PptKind.SHAKEN] and not routed.malformed
    assert routed.vvp[0].value.token == VVP_TOKEN and routed.shaken[0].value.token == SHAKEN_TOKEN
    assert r.header_values("f") == r.header_values("FROM") == r.header_values("From")
    assert r.header_values("Via") and r.header_values("v") == r.header_values("via")


def test_full_names_crlf_pai_and_comma_separated_identities() -> None:
    r = parse_sip(_fixture("invite-full-crlf.sip"))
    assert (r.from_tn, r.to_tn, r.pai_tn, r.ruri_tn) == (None, "12125550199", "17045550100", "12125550199")
    assert r.pai_uris == ("sip:+17045550100@gw.example.com;user=phone", "tel:+17045550100")
    assert r.cseq == "2 INVITE" and r.date == DATE
    routed = route_identities(r.identities)
    assert [x.kind for x in routed.routed] == [PptKind.VVP, PptKind.SHAKEN]
    names = [n for n, _ in r.headers]
    assert names[:4] == ["Via", "Max-Forwards", "From", "P-Asserted-Identity"] and "CSeq" in names


def test_lf_and_crlf_give_the_same_request() -> None:
    crlf = _fixture("invite-full-crlf.sip")
    assert parse_sip(crlf) == parse_sip(crlf.replace(b"\r\n", b"\n"))
    assert parse_sip(crlf) == parse_sip(crlf.decode())


def test_leading_blank_lines_and_no_body_separator() -> None:
    r = parse_sip("\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nFrom: <tel:+1555>\r\n")
    assert r.method == "OPTIONS" and r.from_tn == "1555" and r.identities == ()


@pytest.mark.parametrize("data", [
    _fixture("response-200.sip") if (SIP_DIR / "response-200.sip").exists() else b"SIP/2.0 200 OK\r\n\r\n",
    b"", b"\r\n\r\n", b"INVITE sip:a@b\r\n\r\n", b"INVITE sip:a@b SIP/3.0\r\n\r\n", b"INVITE  sip:a@b SIP/2.0\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nFrom <sip:a@b>\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\n folded-first\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nFrom: <sip:a@b>\r\nf: <sip:c@d>\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\nt: <sip:c@d>\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nDate: x\r\nDate: y\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nCall-ID: 1\r\ni: 2\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nFrom: a\rb\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nFrom: \x00\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nFrom: \xff\r\n\r\n",
])
def test_malformed_requests_refused(data: bytes) -> None:
    assert _code(data) == codes.SIP_MALFORMED


def test_limits() -> None:
    assert _code(b"INVITE sip:a@b SIP/2.0\r\n" + b"X: y\r\n" * (MAX_SIP_BYTES // 6)) == codes.SIP_TOO_LARGE
    assert _code("INVITE sip:a@b SIP/2.0\r\n" + "X: y\r\n" * (MAX_HEADER_FIELDS + 1)) == codes.SIP_TOO_LARGE
    assert _code("INVITE sip:a@b SIP/2.0\r\nX: " + "a" * 50000 + "\r\n") == codes.SIP_TOO_LARGE
    assert _code("INVITE sip:a@b SIP/2.0\r\nX: a\r\n" + " b\r\n" * 20000) == codes.SIP_TOO_LARGE
    assert _code("INVITE sip:a@b SIP/2.0\r\n" + "Identity: a\r\n" * 17) == codes.SIP_TOO_LARGE


def test_bad_date_is_kept_raw() -> None:
    r = parse_sip("INVITE sip:a@b SIP/2.0\r\nDate: yesterday-ish\r\n\r\n")
    assert r.date is None and r.date_raw == "yesterday-ish"
    r = parse_sip("INVITE sip:a@b SIP/2.0\r\nDate: Thu, 01 Jan 2026 00:00:01 -0000\r\n\r\n")
    assert r.date == DATE


@pytest.mark.parametrize("name, canonical", [("f", "From"), ("I", "Call-ID"), ("y", "Identity"), ("call-id", "Call-ID"),
                                             ("CSEQ", "CSeq"), ("p-asserted-identity", "P-Asserted-Identity"),
                                             ("X-Custom", "X-Custom")])
def test_canonical_header_names(name: str, canonical: str) -> None:
    assert canonical_header_name(name) == canonical


@pytest.mark.parametrize("value, uri", [
    ('"Alice" <sip:+1555@h>;tag=1', "sip:+1555@h"),
    ('"A <b> \\" c" <tel:+1555>', "tel:+1555"),
    ("Alice <sips:+1555@h;user=phone>", "sips:+1555@h;user=phone"),
    ("<sip:+1555@h>", "sip:+1555@h"),
    ("sip:+1555@h;tag=1", "sip:+1555@h"),
    ("tel:+1555", "tel:+1555"),
    ('"unterminated <sip:a@b>', None),
    ('"Alice" sip:a@b', None),
    ("<sip:a@b", None),
    ("Alice", None),
    ("", None),
])
def test_addr_uri(value: str, uri: str | None) -> None:
    assert addr_uri(value) == uri


@pytest.mark.parametrize("uri, tn", [
    ("tel:+1-704-555-0100", "17045550100"),
    ("tel:+17045550100;phone-context=+1", "17045550100"),
    ("TEL:17045550100", "17045550100"),
    ("sip:+17045550100@h;user=phone", "17045550100"),
    ("sip:+17045550100@h", "17045550100"),
    ("sip:17045550100@h", "17045550100"),
    ("sips:17045550100:pw@h", "17045550100"),
    ("sip:%2B17045550100@h", "17045550100"),
    ("sip:+17045550100;npdi;rn=+1555@h;user=phone", "17045550100"),
    ("sip:alice@h", None),
    ("sip:alice@h;user=phone", None),
    ("sip:anonymous@anonymous.invalid", None),
    ("sip:h", None),
    ("tel:call-me", None),
    ("mailto:a@b", None),
    ("nocolon", None),
])
def test_tn_from_uri(uri: str, tn: str | None) -> None:
    assert tn_from_uri(uri) == tn


_LINES = st.lists(st.sampled_from([
    "From: <sip:+1555@h>;tag=1", "f: x", "To: <tel:+1-2>", "y: e30.e30.AA;ppt=vvp", "Identity: a, b", " folded",
    "\tfolded", "Date: Thu, 01 Jan 2026 00:00:01 GMT", "P-Asserted-Identity: <tel:+1>, <sip:a@b>", "bad line", "",
    "CSeq: 1 INVITE", "Call-ID: x", "X: \u2028", "Y:", ":", "Z: \r",
]), max_size=12)


@settings(max_examples=400, deadline=None)
@given(_LINES, st.sampled_from(["\r\n", "\n"]))
def test_fuzz_structured_requests_only_raise_sip_error(lines: list[str], eol: str) -> None:
    text = eol.join(["INVITE sip:+1555@h SIP/2.0", *lines]) + eol
    try:
        r = parse_sip(text)
    except SipError as e:
        assert e.code in (codes.SIP_MALFORMED, codes.SIP_TOO_LARGE)
    else:
        assert r.method == "INVITE"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_bytes_only_raise_sip_error(data: bytes) -> None:
    try:
        parse_sip(data)
    except SipError as e:
        assert e.code in (codes.SIP_MALFORMED, codes.SIP_TOO_LARGE)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_uri_helpers_never_raise(text: str) -> None:
    u = addr_uri(text)
    tn_from_uri(text)
    if u is not None:
        tn_from_uri(u)
