"""Units under the authorization claims: vCard content lines, goal coverage, TN sets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vvp import goals
from vvp.tnsets import TnSetError, from_numbers
from vvp.vcard import VCardSyntaxError, normalise, parse_line


def test_vcard_lines_parse_and_normalise() -> None:
    assert normalise("org:Acme Inc") == "ORG:Acme Inc"
    assert normalise("LOGO;VALUE=URI;HASH=EK2x:https://x/l.png") == "LOGO;HASH=EK2x;VALUE=URI:https://x/l.png"
    assert parse_line("item1.TEL;TYPE=work,voice:+15551234567").group == "item1"
    assert normalise("NOTE;LEI=5493001KJTIIGC8Y1R12:x") == "NOTE;LEI=5493001KJTIIGC8Y1R12:x"


@pytest.mark.parametrize("bad", ["", "no colon", "ORG", ";X=1:v", "OR G:x", "ORG;X:y", "ORG:a\r\nb", 42, None])
def test_vcard_rejects_non_content_lines(bad: object) -> None:
    with pytest.raises(VCardSyntaxError):
        parse_line(bad)


@given(st.text(max_size=200))
def test_vcard_parser_never_raises_anything_else(text: str) -> None:
    try:
        parse_line(text)
    except VCardSyntaxError:
        pass


@pytest.mark.parametrize(("pattern", "goal", "ok"), [
    ("ops.telco", "ops.telco", True),
    ("ops.telco", "ops.telco.send.sign", True),
    ("ops.telco", "ops.telcom", False),
    ("ops.telco.send.sign", "ops.telco", False),
    ("ops.telco.*.proxybrand", "ops.telco.voice.proxybrand", True),
    ("ops.telco.*.proxybrand", "ops.telco.voice.other", False),
    ("negotiate.*", "negotiate.schedule", True),
    ("negotiate", "negotiate.schedule.extra", True),
    ("bad pattern", "negotiate", False),
    ("negotiate", "bad goal", False),
])
def test_c_goal_has_an_implicit_trailing_wildcard(pattern: str, goal: str, ok: bool) -> None:
    assert goals.covers(pattern, goal) is ok


def test_tn_sets_contain_and_narrow() -> None:
    parent = from_numbers({"rangeStart": "+15551230000", "rangeEnd": "+15551239999"})
    child = from_numbers({"tn": ["+15551234567", "+15551234568"]})
    wider = from_numbers({"rangeStart": "+15551200000", "rangeEnd": "+15551239999"})
    assert parent.contains("15551234567") and parent.contains("+15551230000")
    assert not parent.contains("+15551240000") and not parent.contains("+155512345670")
    assert child.within(parent) and parent.within(parent)
    assert not wider.within(parent) and not parent.within(child)
    assert from_numbers({"tn": ["+15551234567"]}).within(child)


@pytest.mark.parametrize("bad", [None, [], {}, {"tn": []}, {"tn": ["555"]}, {"tn": ["+1555abc4567"]},
                                 {"rangeStart": "+15551239999", "rangeEnd": "+15551230000"},
                                 {"rangeStart": "+1555123000", "rangeEnd": "+15551239999"},
                                 {"rangeStart": "+15551230000"}])
def test_tn_sets_reject_malformed_numbers(bad: object) -> None:
    with pytest.raises(TnSetError):
        from_numbers(bad)
