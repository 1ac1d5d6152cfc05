"""TNAuthList (RFC 8226) parsing: strict DER, the RFC's value constraints, and ranges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vvp import codes
from vvp.stir.tnauthlist import MAX_TNAUTHLIST_BYTES, TNAuthList, TNAuthListError, TnRange, encode_tnauthlist, \
    parse_tnauthlist


def test_spc_only() -> None:
    # the RFC 8226 example shape: SEQUENCE { [0] IA5String "1234" }
    assert parse_tnauthlist(bytes.fromhex("3008a006160431323334")) == TNAuthList(spcs=("1234",))


def test_every_entry_kind_in_order() -> None:
    der = encode_tnauthlist(spcs=["1234"], tns=["12155551212", "*67#"], ranges=[TnRange("12155550000", 100)])
    tal = parse_tnauthlist(der)
    assert tal == TNAuthList(("1234",), ("12155551212", "*67#"), (TnRange("12155550000", 100),))
    assert tal.lists_numbers and tal.covers("12155551212") and tal.covers("12155550099")
    assert not tal.covers("12155550100") and not tal.covers("1234")
    assert "range 12155550000..12155550099 (100)" in tal.describe()


@pytest.mark.parametrize("hexder, why", [
    ("3000", "empty SEQUENCE"),
    ("161c6361", "a bare IA5String (libstirshaken)"),
    ("3008a00616043636323800", "trailing bytes"),
    ("308108a006160436363238", "non-minimal length"),
    ("30800000", "indefinite length"),
    ("30088006160436363238", "IMPLICIT instead of EXPLICIT tag"),
    ("3008a306160436363238", "unknown CHOICE tag [3]"),
    ("3008a00613043636323800", "PrintableString instead of IA5String"),
    ("3006a0041602ff41", "non-ASCII IA5String"),
    ("", "nothing"),
])
def test_malformed_der_is_refused(hexder: str, why: str) -> None:
    with pytest.raises(TNAuthListError) as e:
        parse_tnauthlist(bytes.fromhex(hexder))
    assert e.value.code == codes.SHAKEN_TNAUTHLIST_MALFORMED, why


@pytest.mark.parametrize("kw, why", [
    ({"tns": [""]}, "empty TN"),
    ({"tns": ["1" * 16]}, "TN longer than 15"),
    ({"tns": ["1215-555"]}, "TN with a separator"),
    ({"ranges": [TnRange("12155550000", 1)]}, "count below 2"),
    ({"ranges": [TnRange("12155550000", -5)]}, "negative count"),
    ({"ranges": [TnRange("99", 2)]}, "range overflowing its digit length"),
    ({"ranges": [TnRange("1215555#000", 10)]}, "range start with #"),
])
def test_value_constraints(kw: dict[str, list[object]], why: str) -> None:
    with pytest.raises(TNAuthListError):
        parse_tnauthlist(encode_tnauthlist(**kw))  # type: ignore[arg-type]


def test_range_extension_fields_are_refused() -> None:
    # TelephoneNumberRange ::= SEQUENCE { start, count, ... } with an extra INTEGER appended
    inner = bytes.fromhex("160331323302020064") + bytes.fromhex("020101")
    rng = b"\x30" + bytes([len(inner)]) + inner
    entry = b"\xa1" + bytes([len(rng)]) + rng
    with pytest.raises(TNAuthListError):
        parse_tnauthlist(b"\x30" + bytes([len(entry)]) + entry)


def test_size_limit() -> None:
    with pytest.raises(TNAuthListError):
        parse_tnauthlist(b"\x30" + b"\x00" * MAX_TNAUTHLIST_BYTES)


def test_range_covers_by_integer_arithmetic() -> None:
    r = TnRange("0099", 3)
    assert [r.covers(t) for t in ("0098", "0099", "0100", "0101", "0102", "99", "00100")] == \
        [False, True, True, True, False, False, False]
    assert r.last == "0101"


tn_text = st.text(alphabet="0123456789#*", min_size=1, max_size=15)
digits = st.text(alphabet="0123456789", min_size=1, max_size=15)


@given(spcs=st.lists(st.text(alphabet="0123456789ABCDEFXYZ", max_size=8), max_size=3),
       tns=st.lists(tn_text, max_size=4),
       ranges=st.lists(st.tuples(digits, st.integers(min_value=2, max_value=10**6)), max_size=3))
def test_encode_parse_round_trip(spcs: list[str], tns: list[str], ranges: list[tuple[str, int]]) -> None:
    rs = [TnRange(s, c) for s, c in ranges if len(str(int(s) + c - 1)) <= len(s)]
    if not (spcs or tns or rs):
        return
    assert parse_tnauthlist(encode_tnauthlist(spcs=spcs, tns=tns, ranges=rs)) == \
        TNAuthList(tuple(spcs), tuple(tns), tuple(rs))


@given(st.binary(max_size=64))
def test_arbitrary_bytes_never_escape_as_another_exception(data: bytes) -> None:
    try:
        parse_tnauthlist(data)
    except TNAuthListError:
        pass
