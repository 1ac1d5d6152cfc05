"""Canonical JSON is exactly RFC 8785 (vvp/canonical.py), and records are serialised once with it.

Three kinds of evidence: the RFC's own published examples written here as literals (Appendix B's
number table, §3.2.2's serialisation example, §3.2.3's sorting example); the facts the fast path
rests on, checked exhaustively (every Unicode scalar value escapes as the reference escapes it)
or shown to matter (orjson alone sorts keys wrongly); and hypothesis-generated JSON values and
records compared byte for byte with the ``rfc8785`` package.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import struct
from collections import OrderedDict
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.recordkit import SALT, shm_dir
from vvp import canonical, codes
from vvp.canonical import canonical_json, canonical_json_of_plain, canonical_object, canonical_object_parts
from vvp.errors import OperationalError
from vvp.fetch import EvidenceKind, Fetched, FetchEvent, FetchFailure
from vvp.record import (
    Record,
    TrustFile,
    TrustSnapshot,
    VerifierIdentity,
    build_record,
    check_signature,
    digest,
    open_identity,
    record_id,
    signed_content,
)

# --- the RFC's examples ------------------------------------------------------------------------

# RFC 8785 Appendix B: IEEE 754 binary64 (hex) -> canonical text.
APPENDIX_B = [
    ("0000000000000000", "0"),  # zero
    ("8000000000000000", "0"),  # minus zero
    ("0000000000000001", "5e-324"),  # min pos number
    ("8000000000000001", "-5e-324"),  # min neg number
    ("7fefffffffffffff", "1.7976931348623157e+308"),  # max pos number
    ("ffefffffffffffff", "-1.7976931348623157e+308"),  # max neg number
    ("4340000000000000", "9007199254740992"),  # max pos int
    ("c340000000000000", "-9007199254740992"),  # max neg int
    ("4430000000000000", "295147905179352830000"),  # ~2**68
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),  # round to even
]
APPENDIX_B_ERRORS = ["7fffffffffffffff", "7ff0000000000000"]  # NaN, Infinity

# RFC 8785 §3.2.2: a JSON text and its canonical form.
RFC_3_2_2_INPUT = r'''{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}'''
RFC_3_2_2_OUTPUT = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                    r'"string":"€$\u000f\nA' "'" r'B\"\\\\\"/"}')

# RFC 8785 §3.2.3: property sorting by UTF-16 code units.
RFC_3_2_3_INPUT = r'''{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}'''
RFC_3_2_3_OUTPUT = ('{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
                    '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
                    '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}')


def _double(hex_bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(hex_bits))[0]
    return value


@pytest.mark.parametrize("hex_bits,text", APPENDIX_B)
def test_appendix_b_numbers(hex_bits: str, text: str) -> None:
    v = _double(hex_bits)
    assert canonical_json(v) == text.encode()
    assert canonical_json([v]) == f"[{text}]".encode()
    assert rfc8785.dumps(v) == text.encode()  # the reference agrees with the RFC


@pytest.mark.parametrize("hex_bits", APPENDIX_B_ERRORS)
def test_appendix_b_nan_and_infinity_are_refused(hex_bits: str) -> None:
    v = _double(hex_bits)
    for value in (v, -v, [v], {"a": v}):
        with pytest.raises(ValueError):
            canonical_json(value)


def test_rfc_serialisation_example() -> None:
    assert canonical_json(json.loads(RFC_3_2_2_INPUT)) == RFC_3_2_2_OUTPUT.encode("utf-8")


def test_rfc_sorting_example() -> None:
    value = json.loads(RFC_3_2_3_INPUT)
    assert canonical_json(value) == RFC_3_2_3_OUTPUT.encode("utf-8")
    # The same with the members in every rotation of their order: sorting, not insertion, decides.
    items = list(value.items())
    for i in range(len(items)):
        assert canonical_json(dict(items[i:] + items[:i])) == RFC_3_2_3_OUTPUT.encode("utf-8")


def test_orjson_alone_sorts_the_rfc_example_wrongly() -> None:
    """Why the fast path checks keys for characters outside the BMP: orjson sorts by code point,
    so U+1F600 lands after U+FB33, where RFC 8785 (UTF-16: D83D < FB33) puts it before."""
    value = json.loads(RFC_3_2_3_INPUT)
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != RFC_3_2_3_OUTPUT.encode("utf-8")


# --- the facts the fast path rests on, checked exhaustively --------------------------------------

def test_every_ascii_character_escapes_as_the_reference_does() -> None:
    for c in map(chr, range(0x80)):
        assert orjson.dumps(c) == rfc8785.dumps(c), repr(c)
        assert canonical_json(c) == rfc8785.dumps(c), repr(c)
    assert canonical_json("\b\f\n\r\t\x00\x1f\x7f\"\\/") == b'"\\b\\f\\n\\r\\t\\u0000\\u001f\x7f\\"\\\\/"'


def test_no_character_beyond_ascii_is_escaped_by_either() -> None:
    """Every scalar value above U+007F, surrogates excepted, in one string: both serialisers give
    its plain UTF-8 between quotes. An escape is ASCII, so had either escaped any of them the
    bytes would differ; with the ASCII test above, orjson escapes every scalar value exactly as
    RFC 8785 does."""
    s = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF)
    plain = b'"' + s.encode("utf-8") + b'"'
    assert orjson.dumps(s) == plain
    assert rfc8785.dumps(s) == plain
    assert canonical_json(s) == plain


def test_lone_surrogates_are_refused_in_values_and_keys() -> None:
    for c in map(chr, range(0xD800, 0xE000)):
        for value in (c, ["a" + c], {c: 1}):
            with pytest.raises(ValueError):
                canonical_json(value)


def test_integers_up_to_2_53_and_beyond_only_in_canonical_form() -> None:
    top = 2 ** 53 - 1
    assert canonical_json([top, -top, 0, -1]) == f"[{top},{-top},0,-1]".encode()
    # Beyond 2**53 - 1 the rfc8785 package refuses every integer; vvp accepts those whose digits
    # are already a double's canonical form, because that is how a reader gets them back from a
    # canonical file (Appendix B writes 2.0**53 and 2.0**68 so).
    for big, text in ((2 ** 53, "9007199254740992"), (-(2 ** 53), "-9007199254740992"),
                      (295147905179352830000, "295147905179352830000")):
        assert canonical_json({"a": big}) == f'{{"a":{text}}}'.encode()
        assert json.loads(canonical_json(float(big))) == big  # what a reader makes of the double
        with pytest.raises(ValueError):
            rfc8785.dumps(big)
    for big in (top + 2, 2 ** 68, 2 ** 64 + 1, 10 ** 21, 10 ** 30, -(10 ** 400)):
        for value in (big, [big], {"a": big}):
            with pytest.raises(ValueError):
                canonical_json(value)


@pytest.mark.parametrize("bad", [float("nan"), float("-inf"), {1: "a"}, {("a",): 1}, object(), b"bytes",
                                 {"a": {1, 2}}, [_dt.date(2026, 1, 1)]])
def test_values_that_are_not_json_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        canonical_json(bad)


def test_other_mappings_tuples_and_subclasses_are_json_values() -> None:
    """What the record layer has always accepted: any mapping, tuples, str and int subclasses."""
    from enum import IntEnum, StrEnum

    class S(StrEnum):
        A = "a\n"

    class N(IntEnum):
        ONE = 1

    value = {"m": MappingProxyType({"b": 1, "a": (2, 3)}), "o": OrderedDict(z=S.A), "n": N.ONE}
    assert canonical_json(value) == b'{"m":{"a":[2,3],"b":1},"n":1,"o":{"z":"a\\n"}}'


def test_deep_nesting_is_a_value_error_not_a_crash() -> None:
    value: Any = "x"
    for _ in range(5000):
        value = [value]
    with pytest.raises(ValueError):
        canonical_json(value)


def test_the_fast_path_serves_plain_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """What makes records cheap: values without floats or non-BMP keys never reach the pure-
    Python reference (non-BMP characters in values and BMP keys are fine)."""
    def boom(value: Any) -> bytes:
        raise AssertionError("the reference serialiser was used")

    monkeypatch.setattr(rfc8785, "dumps", boom)
    plain = {"checks": [{"id": "V-01", "ok": True, "n": 2 ** 53 - 1, "x": None}], "brand": "\U0001f600 Acme",
             "\ufb33\u00f6": ("tuple", "ok"), "é": {"z": [], "a": {}}}
    assert json.loads(canonical_json(plain)) == json.loads(json.dumps(plain))
    with pytest.raises(AssertionError):
        canonical_json({"x": 1.5})
    with pytest.raises(AssertionError):
        canonical_json({"\U0001f600": 1, "\ufb33": 2})


# --- fuzzed values against the reference ---------------------------------------------------------

_SPECIAL = ["\ue000", "\uffff", "\U00010000", "\U0001f600", "\U0010ffff", "\ufb33", "\x00", "\x1f", "\x7f",
            "\u2028", '"', "\\", "/", "é", "\u20ac"]
_chars = st.one_of(st.sampled_from(_SPECIAL), st.characters(exclude_categories=["Cs"]))
_text = st.text(alphabet=_chars, max_size=8)
_leaves = st.one_of(
    st.none(), st.booleans(), _text,
    st.integers(min_value=-(2 ** 53) + 1, max_value=2 ** 53 - 1),
    st.integers(),  # beyond 2**53 too: both must refuse
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([float("nan"), float("inf"), "\ud800", 0.0, -0.0, 1e21, 1e-7, 5.0, 2.0 ** 68, 1e20]),
    st.sampled_from([2 ** 53, -(2 ** 53), 2 ** 53 + 1, 295147905179352830000, 2 ** 68, 10 ** 21, 10 ** 30]),
)
_json = st.recursive(_leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(_text, inner, max_size=5)), max_leaves=25)
_plain_json = st.recursive(
    st.one_of(st.none(), st.booleans(), _text, st.integers(min_value=-(2 ** 53) + 1, max_value=2 ** 53 - 1)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=5)), max_leaves=25)


def _reference(value: Any) -> bytes | type[ValueError]:
    """``rfc8785.dumps``, with the one documented extension: an integer beyond ±(2**53 - 1) whose
    digits are the canonical form of its double stands for that double."""
    def as_number(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: as_number(x) for k, x in v.items()}
        if isinstance(v, list):
            return [as_number(x) for x in v]
        if type(v) is int and abs(v) > 2 ** 53 - 1:
            try:
                f = float(v)
            except OverflowError:
                raise ValueError("too large") from None
            if rfc8785.dumps(f) != str(v).encode():
                raise ValueError("not canonical")
            return f
        return v

    try:
        return rfc8785.dumps(as_number(value))
    except ValueError:
        return ValueError


def _ours(value: Any) -> bytes | type[ValueError]:
    try:
        return canonical_json(value)
    except ValueError:
        return ValueError


@settings(max_examples=600, deadline=None)
@given(_json)
def test_fuzzed_values_match_the_reference_byte_for_byte(value: Any) -> None:
    ours = _ours(value)
    assert ours == _reference(value)
    if isinstance(ours, bytes):  # what was written reads back to the same bytes
        assert canonical_json(json.loads(ours)) == ours


@settings(max_examples=300, deadline=None)
@given(_plain_json)
def test_fuzzed_float_free_values_match_and_round_trip(value: Any) -> None:
    raw = canonical_json(value)
    assert raw == rfc8785.dumps(value)
    assert canonical_json(json.loads(raw)) == raw
    assert canonical_json_of_plain(value) == raw  # the record path's shortcut for values it assembles


_plain_leaves_any_int = st.recursive(
    st.one_of(st.none(), st.booleans(), _text,
              st.sampled_from([2 ** 53, -(2 ** 53), 2 ** 53 + 1, 295147905179352830000, 2 ** 68, 10 ** 30, "\ud800"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=5)), max_leaves=25)


@settings(max_examples=200, deadline=None)
@given(_plain_leaves_any_int)
def test_the_plain_shortcut_refuses_and_falls_back_as_canonical_json_does(value: Any) -> None:
    try:
        got: bytes | type[ValueError] = canonical_json_of_plain(value)
    except ValueError:
        got = ValueError
    assert got == _ours(value) == _reference(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_text, _plain_json, max_size=6))
def test_canonical_object_joins_members_exactly(members: dict[str, Any]) -> None:
    joined = {k: canonical_json(v) for k, v in members.items()}
    assert canonical_object(joined) == canonical_json(members)
    assert canonical_object(joined, trailer=b"\n") == canonical_json(members) + b"\n"
    assert b"".join(canonical_object_parts(joined)) == canonical_json(members)
    halves = {k: (v[:len(v) // 2], v[len(v) // 2:]) for k, v in joined.items()}  # values given in parts
    assert b"".join(canonical_object_parts(halves)) == canonical_json(members)


def test_canonical_object_refuses_what_canonical_json_refuses() -> None:
    bad: list[Any] = [{1: b"1"}, {"\ud800": b"1"}]
    for members in bad:
        with pytest.raises(ValueError):
            canonical_object(members)


# --- records: serialised once, and the file is canonical JSON of the record ----------------------

T0 = _dt.datetime(2026, 1, 15, 12, 0, tzinfo=_dt.UTC)


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        yield ident


def _snapshot(policy: dict[str, Any]) -> TrustSnapshot:
    files = (TrustFile("schemas", 0, "dir", "acdc", (("a.json", b'{"$id":"Ea"}'), ("b.bin", bytes(range(256))))),)
    store = {"version": 1, "schemas": ["acdc"], "sti_pa": [], "sti_crl_signers": [], "policy": policy}
    return TrustSnapshot(store=store, as_loaded=dict(store), source="trust.json", files=files)


def _events(bodies: list[bytes]) -> list[FetchEvent]:
    out = [FetchEvent(f"http://e.example/{i}", EvidenceKind.OOBI, T0,
                      fetched=Fetched(f"http://e.example/{i}", f"http://e.example/{i}", "application/json", b, "http"))
           for i, b in enumerate(bodies)]
    out.append(FetchEvent("http://down.example/", EvidenceKind.DOSSIER, None,
                          failure=FetchFailure("http://down.example/", codes.FETCH_CONNECT_FAILED, "refused \U0001f600")))
    return out


def _verdict(**extra: Any) -> dict[str, Any]:
    """A verdict the record schema accepts, with ``extra`` members (the fuzzed part)."""
    return {**extra, "status": "VALID", "reference_time": "2026-01-15T12:00:00Z", "claims": {}, "checks": []}


def _build(identity: VerifierIdentity, verdict: Any, bodies: list[bytes], policy: dict[str, Any]) -> Record:
    return build_record(inputs={"reference_time": "2026-01-15T12:00:00Z", "identities": ["x"]}, received_at=T0,
                        verdict=verdict, trust=_snapshot(policy), events=_events(bodies), identity=identity,
                        software={"vvp": "0", "keri": "1.3.6", "python": "3"})


def _tree_id(content: dict[str, Any]) -> str:
    """A v3 record's id (docs/record-format.md, "Format v3") with every leaf serialised by the
    reference implementation (the ``rfc8785`` package), not by vvp."""
    def h(b: Any) -> bytes:
        assert isinstance(b, bytes)
        return hashlib.sha256(b).digest()

    v = content["verdict"]
    if isinstance(v, dict) and isinstance(v.get("checks"), list):
        vd = h(b"vvp-verdict-v3\n" + h(_reference({k: x for k, x in v.items() if k != "checks"}))
               + b"".join(h(_reference(c)) for c in v["checks"]))
    else:
        vd = h(_reference(v))
    keys = sorted(content, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    tree = b"vvp-record-v3\n" + b"".join(bytes((len(k.encode()),)) + k.encode() + (
        vd if k == "verdict" else h(_reference(content[k]))) for k in keys)
    return "sha256:" + hashlib.sha256(tree).hexdigest()


def _assert_canonical_record(rec: Record) -> None:
    raw = rec.to_bytes()
    data = json.loads(raw)
    whole, content = _reference(data), _reference(signed_content(data))  # v2: blobs are outside it
    assert isinstance(whole, bytes) and raw == whole + b"\n"  # the file: the reference's canonical JSON of the record
    assert rec.content_bytes() == content  # what was signed: canonical content
    assert rec.id == data["id"] == _tree_id(signed_content(data))  # v3: the digest tree, by the reference
    assert rec.id == record_id(rec.media_type, rec.content_bytes())
    assert rec.data == data  # the in-memory JSON is what a reader sees
    again = Record.from_bytes(raw)
    assert again == rec and again.to_bytes() == raw and again.content_bytes() == rec.content_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(verdict=st.dictionaries(_text, _json, max_size=5), bodies=st.lists(st.binary(max_size=64), max_size=3),
       policy=st.dictionaries(st.sampled_from(["fetch_timeout_s", "max", "\U0001f600", "\ufb33"]),
                              st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(0, 10)),
                              max_size=3))
def test_fuzzed_records_are_canonical_byte_for_byte(identity: VerifierIdentity, verdict: dict[str, Any],
                                                    bodies: list[bytes], policy: dict[str, Any]) -> None:
    full = _verdict(**verdict, display=verdict)
    if _reference(full) is ValueError:
        with pytest.raises(OperationalError) as ex:
            _build(identity, full, bodies, policy)
        assert ex.value.code == codes.RECORD_WRITE_FAILED
        return
    rec = _build(identity, full, bodies, policy)
    _assert_canonical_record(rec)


def test_a_built_record_is_signed_over_its_content_and_parses_lazily(identity: VerifierIdentity) -> None:
    verdict = _verdict(display={"n": 1.5, "\U0001f600": "\ufb33", "\ufb33": 1e21})
    rec = _build(identity, verdict, [b"kel", bytes([0xff, 0xfe])], {"fetch_timeout_s": 2.5})
    assert rec.data_if_parsed() is None  # nothing parsed yet: a front end that only stores never pays for it
    assert rec.blobs[digest(b"kel")] == b"kel" and len(rec.blobs) == rec.blob_count
    assert check_signature(rec).ok
    _assert_canonical_record(rec)
    assert rec.data["blobs"][digest(bytes([0xff, 0xfe]))] == {"size": 2, "base64": "//4="}
    assert rec.data_if_parsed() is rec.data


def test_the_trust_member_is_made_once_per_snapshot(identity: VerifierIdentity,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    snap = _snapshot({"fetch_timeout_s": 2.5})
    parts = snap.record_parts()
    assert snap.record_parts() is parts
    seen: list[Any] = []
    real = canonical.canonical_json

    def spy(value: Any) -> bytes:
        seen.append(value)
        return real(value)

    monkeypatch.setattr("vvp.record.canonical_json", spy)
    rec = build_record(inputs={"reference_time": "2026-01-15T12:00:00Z", "identities": ["x"]}, received_at=T0,
                       verdict=_verdict(), trust=snap, events=_events([b"a"]), identity=identity)
    assert not any(isinstance(v, dict) and "store" in v for v in seen)  # the trust member was reused
    assert json.loads(rec.to_bytes())["trust"]["store"]["policy"] == {"fetch_timeout_s": 2.5}
    _assert_canonical_record(rec)


def test_evidence_blobs_seen_before_are_not_hashed_or_serialised_again(identity: VerifierIdentity,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm verification hands the recorder the same bytes objects call after call (its caches'
    evidence): their digest and JSON are taken from the snapshot's memo. Equal bytes in another
    object, or bytes the bounded memo has let go, are done again, with the same result."""
    snap = _snapshot({})
    kel, dossier = b"K" * 5000 + b'"q"', bytes(range(256)) * 20
    events = _events([kel, dossier])
    first = build_record(inputs={"reference_time": "2026-01-15T12:00:00Z"}, received_at=T0, verdict=_verdict(),
                         trust=snap, events=events, identity=identity)
    hashed: list[int] = []
    real_digest = digest

    def counting_digest(data: bytes) -> str:
        hashed.append(len(data))
        return real_digest(data)

    monkeypatch.setattr("vvp.record.digest", counting_digest)
    again = build_record(inputs={"reference_time": "2026-01-15T12:00:00Z"}, received_at=T0, verdict=_verdict(),
                         trust=snap, events=events, identity=identity)
    assert again.to_bytes() == first.to_bytes()
    assert hashed == []  # no blob hashed again (the id is the content's SHA-256, taken directly)
    hashed.clear()
    copies = _events([bytes(bytearray(kel)), bytes(bytearray(dossier))])
    fresh = build_record(inputs={"reference_time": "2026-01-15T12:00:00Z"}, received_at=T0, verdict=_verdict(),
                         trust=snap, events=copies, identity=identity)
    assert fresh.to_bytes() == first.to_bytes() and sorted(hashed)[:2] == sorted([len(kel), len(dossier)])
    monkeypatch.setattr("vvp.record.BLOB_MEMO_BYTES", 24_000)  # room for five of these eight blobs
    small, many = _snapshot({}), _events([bytes([65 + i]) * 2000 for i in range(8)])
    records = [build_record(inputs={"reference_time": "2026-01-15T12:00:00Z"}, received_at=T0,
                            verdict=_verdict(), trust=small, events=many, identity=identity) for _ in range(3)]
    memo = small.record_parts()
    assert 0 < len(memo._memo) < 8 and memo._memo_bytes <= 24_000
    assert records[0].to_bytes() == records[1].to_bytes() == records[2].to_bytes()
    _assert_canonical_record(records[2])
