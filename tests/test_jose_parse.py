"""Strict JWS compact parsing (vvp/jose.py): canonical base64url, strict JSON, the 0B form."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests._vvp_tokens import make_token, seg
from vvp import codes
from vvp.jose import (
    MAX_HEADER_SEGMENT_CHARS, MAX_JSON_DEPTH, MAX_JSON_VALUES, MAX_SIGNATURE_SEGMENT_CHARS, MAX_TOKEN_CHARS,
    JoseError, SignatureEncoding, b64url_decode, b64url_encode, decode_header, decode_signature, encode_cesr_0b,
    loads_strict, parse_compact,
)

SIG64 = bytes(range(64))


def _code(fn: object, *args: object) -> str:
    with pytest.raises(JoseError) as ei:
        fn(*args)  # type: ignore[operator]
    return ei.value.code


# --- base64url --------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe", b"abc", bytes(range(256))])
def test_b64url_round_trip(data: bytes) -> None:
    assert b64url_decode(b64url_encode(data)) == data


@pytest.mark.parametrize("segment", [
    "e30=",      # padding
    "e3 0",      # space
    "e3+0",      # standard alphabet
    "e3/0",
    "e30\n",
    "A",         # impossible length
    "AAAAA",
    "AB",        # non-zero unused bits: "AA" is the canonical spelling of b"\x00"
    "AAB",       # non-zero unused bits in a 2-byte group
    "é30",
])
def test_non_canonical_base64url_refused(segment: str) -> None:
    assert _code(b64url_decode, segment) == codes.JOSE_BASE64_INVALID


@given(st.binary(max_size=80))
def test_every_canonical_spelling_is_unique(data: bytes) -> None:
    enc = b64url_encode(data)
    assert b64url_decode(enc) == data
    # Changing any single character either breaks canonicity or changes the bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i in range(len(enc)):
        for c in alphabet[::7]:
            if c == enc[i]:
                continue
            other = enc[:i] + c + enc[i + 1:]
            try:
                assert b64url_decode(other) != data
            except JoseError as e:
                assert e.code == codes.JOSE_BASE64_INVALID


# --- strict JSON ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, code", [
    (b'{"a":1,"a":1}', codes.JOSE_JSON_DUPLICATE_KEY),
    (b'{"a":{"b":1,"b":2}}', codes.JOSE_JSON_DUPLICATE_KEY),
    (b'{"a":NaN}', codes.JOSE_JSON_INVALID),
    (b'{"a":Infinity}', codes.JOSE_JSON_INVALID),
    (b'{"a":-Infinity}', codes.JOSE_JSON_INVALID),
    (b'{"a":1e999}', codes.JOSE_JSON_INVALID),
    (b'{"a":"\\ud800"}', codes.JOSE_JSON_INVALID),
    (b'{"\\udc00":1}', codes.JOSE_JSON_INVALID),
    (b'{"a":1,}', codes.JOSE_JSON_INVALID),
    (b"{'a':1}", codes.JOSE_JSON_INVALID),
    (b'\xef\xbb\xbf{"a":1}', codes.JOSE_JSON_INVALID),
    (b'{"a":"\xff"}', codes.JOSE_JSON_INVALID),
    ('{"a":1}'.encode("utf-16"), codes.JOSE_JSON_INVALID),
    (b"1" * 5000, codes.JOSE_JSON_INVALID),
    (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), codes.JOSE_JSON_LIMIT),
    (b"[" * 50000 + b"]" * 50000, codes.JOSE_JSON_LIMIT),
    (("[" + ",".join(["1"] * MAX_JSON_VALUES) + "]").encode(), codes.JOSE_JSON_LIMIT),
])
def test_strict_json_refusals(text: bytes, code: str) -> None:
    assert _code(loads_strict, text) == code


def test_strict_json_accepts_limits_exactly() -> None:
    depth = MAX_JSON_DEPTH
    assert loads_strict(b"[" * depth + b"]" * depth) is not None
    assert len(loads_strict(("[" + ",".join(["1"] * (MAX_JSON_VALUES - 1)) + "]").encode())) == MAX_JSON_VALUES - 1
    assert loads_strict('{"é":"\\u00e9 ☎"}'.encode()) == {"é": "é ☎"}


# --- compact serialization ------------------------------------------------------------------

def test_parse_compact_fields() -> None:
    tok = make_token()
    t = parse_compact(tok)
    h, p, s = tok.split(".")
    assert (t.raw, t.header_b64, t.payload_b64, t.signature_b64) == (tok, h, p, s)
    assert t.header["alg"] == "EdDSA" and t.payload["iat"] > 0
    assert t.signing_input == f"{h}.{p}".encode()
    assert len(t.signature) == 64 and t.signature_encoding is SignatureEncoding.JWS
    with pytest.raises(TypeError):
        t.header["alg"] = "none"  # type: ignore[index]


@pytest.mark.parametrize("token, code", [
    ("", codes.JOSE_MALFORMED),
    ("e30", codes.JOSE_MALFORMED),
    ("e30.e30", codes.JOSE_MALFORMED),
    ("e30.e30.AA.AA", codes.JOSE_MALFORMED),
    (".e30.AA", codes.JOSE_MALFORMED),
    ("e30..AA", codes.JOSE_DETACHED_PAYLOAD),
    ("e30.e30=.AA", codes.JOSE_BASE64_INVALID),
    ("e30.e30.A", codes.JOSE_BASE64_INVALID),
    ("W10.e30.AA", codes.JOSE_NOT_OBJECT),
    ("e30.IjEi.AA", codes.JOSE_NOT_OBJECT),
    ("e30.bnVsbA.AA", codes.JOSE_NOT_OBJECT),
    ("A" * (MAX_HEADER_SEGMENT_CHARS + 4) + ".e30.AA", codes.JOSE_TOO_LARGE),
    ("e30.e30." + "A" * (MAX_SIGNATURE_SEGMENT_CHARS + 4), codes.JOSE_TOO_LARGE),
    ("e30." + "A" * MAX_TOKEN_CHARS + ".AA", codes.JOSE_TOO_LARGE),
])
def test_parse_compact_refusals(token: str, code: str) -> None:
    assert _code(parse_compact, token) == code


def test_empty_signature_segment_is_form_valid() -> None:
    """An empty signature is a profile problem (P-21), not a form problem: it must reach the
    alg check so that ``alg: none`` is reported as such."""
    t = parse_compact("e30.e30.")
    assert t.signature == b"" and t.signature_encoding is SignatureEncoding.JWS


def test_cesr_0B_round_trip() -> None:
    enc = encode_cesr_0b(SIG64)
    assert len(enc) == 88 and enc.startswith("0B")
    assert decode_signature(enc) == (SIG64, SignatureEncoding.CESR_0B)
    # The same bytes, plain: 86 characters.
    assert decode_signature(b64url_encode(SIG64)) == (SIG64, SignatureEncoding.JWS)


def test_cesr_0B_decoded_the_right_way() -> None:
    """The wrong way (strip "0B" and decode the rest) gives different bytes; ours matches the
    definition: "AA" + rest decodes to two zero bytes and the signature."""
    enc = encode_cesr_0b(SIG64)
    assert base64.urlsafe_b64decode("AA" + enc[2:]) == b"\x00\x00" + SIG64


@pytest.mark.parametrize("third", ["E", "Q", "g", "_"])
def test_cesr_0B_non_zero_lead_bytes_refused(third: str) -> None:
    enc = encode_cesr_0b(SIG64)
    bad = enc[:2] + third + enc[3:]
    assert _code(decode_signature, bad) == codes.JOSE_SIGNATURE_ENCODING


def test_cesr_0B_non_canonical_refused() -> None:
    enc = encode_cesr_0b(SIG64)
    assert _code(decode_signature, enc[:-1] + "=") == codes.JOSE_BASE64_INVALID


def test_decode_header_only() -> None:
    assert decode_header(make_token())["ppt"] == "vvp"
    assert decode_header(seg({"ppt": "shaken"}) + ".e30.")["ppt"] == "shaken"
    assert _code(decode_header, seg([1]) + ".e30.AA") == codes.JOSE_NOT_OBJECT


# --- fuzz -------------------------------------------------------------------------------------

_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
                     max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_parse_compact_text_only_raises_jose_error(text: str) -> None:
    try:
        parse_compact(text)
    except JoseError as e:
        assert codes.is_registered(e.code)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.binary(max_size=200), st.binary(max_size=100))
def test_fuzz_parse_compact_binary_segments(h: bytes, p: bytes, s: bytes) -> None:
    try:
        t = parse_compact(f"{b64url_encode(h)}.{b64url_encode(p)}.{b64url_encode(s)}")
    except JoseError as e:
        assert codes.is_registered(e.code)
    else:
        assert isinstance(t.header, type(t.payload))


@settings(max_examples=200, deadline=None)
@given(_JSON, _JSON)
def test_fuzz_parse_compact_json_values(h: object, p: object) -> None:
    tok = f"{b64url_encode(json.dumps(h).encode())}.{b64url_encode(json.dumps(p).encode())}.{b64url_encode(SIG64)}"
    try:
        t = parse_compact(tok)
    except JoseError as e:
        assert e.code in (codes.JOSE_NOT_OBJECT, codes.JOSE_JSON_INVALID, codes.JOSE_JSON_LIMIT,
                          codes.JOSE_JSON_DUPLICATE_KEY, codes.JOSE_DETACHED_PAYLOAD, codes.JOSE_MALFORMED)
    else:
        assert dict(t.header) == h and dict(t.payload) == p
