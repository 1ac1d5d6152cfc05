""":func:`vvp.caller.passport.usual_tn` (the one-match reading of a TN in its usual spelling) gives
what :func:`vvp.tn.try_normalize_tn` gives, for every value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzkit import fuzz_settings
from vvp.caller.passport import usual_tn
from vvp.tn import try_normalize_tn


@pytest.mark.parametrize("value", ["+15551230001", "15551230001", "+", "", "1" * 15, "1" * 16, "+" + "1" * 16,
                                   " +1555", "+1555 ", "++1", "+1-555", "١٢٣", "+1\n", None, 15551230001, ["+1"]])
def test_usual_tn_is_try_normalize_tn(value: Any) -> None:
    assert usual_tn(value) == try_normalize_tn(value)


@given(st.text(alphabet=st.sampled_from(list("+0123456789-.() \t\n١a")), max_size=20))
@fuzz_settings(400)
def test_fuzz_usual_tn_is_try_normalize_tn(value: str) -> None:
    assert usual_tn(value) == try_normalize_tn(value)
