"""TN normalisation (vvp/tn.py): E.164 digits, optional +, RFC 3966 visual separators only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vvp import codes
from vvp.tn import MAX_TN_DIGITS, TnError, display_tn, normalize_tn, try_normalize_tn


@pytest.mark.parametrize("value, tn", [
    ("17045550100", "17045550100"),
    ("+17045550100", "17045550100"),
    ("+1-704-555-0100", "17045550100"),
    ("+1.704.555.0100", "17045550100"),
    ("+1(704)5550100", "17045550100"),
    ("  +33612345678 ", "33612345678"),
    ("1", "1"),
    ("9" * MAX_TN_DIGITS, "9" * MAX_TN_DIGITS),
])
def test_normalised(value: str, tn: str) -> None:
    assert normalize_tn(value) == tn == try_normalize_tn(value)


@pytest.mark.parametrize("value", [
    "", "+", "---", "1704CALLNOW", "+1 704 555 0100", "++17045550100", "1+7045550100", "*67", "#31#",
    "9" * (MAX_TN_DIGITS + 1), "+1-" * 30, "１７０４",  "tel:+17045550100", "0x1F",
])
def test_refused(value: str) -> None:
    with pytest.raises(TnError) as ei:
        normalize_tn(value)
    assert ei.value.code == codes.TN_INVALID
    assert try_normalize_tn(value) is None


@pytest.mark.parametrize("value", [None, 17045550100, ["+1"], b"+1555"])
def test_non_strings_are_not_tns(value: object) -> None:
    assert try_normalize_tn(value) is None


def test_display() -> None:
    assert display_tn("17045550100") == "+17045550100"


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_only_tn_error_and_idempotent(text: str) -> None:
    try:
        tn = normalize_tn(text)
    except TnError as e:
        assert e.code == codes.TN_INVALID
    else:
        assert tn.isascii() and tn.isdigit() and 1 <= len(tn) <= MAX_TN_DIGITS
        assert normalize_tn(tn) == tn == normalize_tn("+" + tn)
