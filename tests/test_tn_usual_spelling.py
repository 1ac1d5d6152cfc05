""":func:`vvp.tn.try_normalize_tn` reads the usual spelling of a TN (an optional ``+`` and 1 to 15
ASCII digits) with one match: for every value it gives what the general reading
(:func:`vvp.tn.normalize_tn`, ``None`` where it refuses) gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzkit import fuzz_settings
from vvp.tn import TnError, normalize_tn, try_normalize_tn


def _general(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return normalize_tn(value)
    except TnError:
        return None


@pytest.mark.parametrize("value", ["+15551230001", "15551230001", "+", "", "1" * 15, "1" * 16, "+" + "1" * 16,
                                   " +1555", "+1555 ", "++1", "+1-555", "١٢٣", "+1\n", None, 15551230001, ["+1"]])
def test_usual_spelling_reads_as_the_general_reading(value: Any) -> None:
    assert try_normalize_tn(value) == _general(value)


@given(st.text(alphabet=st.sampled_from(list("+0123456789-.() \t\n١a")), max_size=20))
@fuzz_settings(400)
def test_fuzz_usual_spelling_reads_as_the_general_reading(value: str) -> None:
    assert try_normalize_tn(value) == _general(value)
