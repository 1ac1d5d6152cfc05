"""The context claim (V-04, X-CONTEXT-01/02): orig, dest and iat against --orig/--dest or SIP."""

from __future__ import annotations

import dataclasses

import pytest

from tests._sip_fixtures import SIP_DIR
from tests._vvp_tokens import DEST, ORIG, REF, T0, claims, evaluate, identity, make_token
from vvp import codes
from vvp.caller.context import check_context
from vvp.caller.passport import parse_vvp_passport
from vvp.stir.sip import SipRequest, parse_sip
from vvp.verdict import Check, Status, claim_status

PASSPORT = parse_vvp_passport(make_token())


def sip(name: str) -> SipRequest:
    return parse_sip((SIP_DIR / name).read_bytes())


def outcome(checks: list[Check]) -> set[tuple[str, str, str]]:
    return {(c.id, c.status.value, c.code) for c in checks}


PASS_ALL = {("V-04", "pass", codes.OK), ("X-CONTEXT-01", "pass", codes.OK), ("X-CONTEXT-02", "pass", codes.OK)}
NO_DATE = ("X-CONTEXT-02", "not_applicable", codes.CONTEXT_NOT_GIVEN)


# --- no context ---------------------------------------------------------------------------------

def test_no_context_is_not_applicable_and_says_so() -> None:
    checks = check_context(PASSPORT)
    assert outcome(checks) == {("V-04", "not_applicable", codes.CONTEXT_NOT_GIVEN)}
    assert "no SIP context" in checks[0].message
    assert claim_status(checks).status is Status.NOT_APPLICABLE


def test_no_context_with_require_context_is_indeterminate() -> None:
    checks = check_context(PASSPORT, require_context=True)
    assert outcome(checks) == {("V-04", "indeterminate", codes.CONTEXT_REQUIRED)}
    assert claim_status(checks).status is Status.INDETERMINATE


# --- --orig / --dest ----------------------------------------------------------------------------

@pytest.mark.parametrize("orig, dest", [(ORIG, DEST), (ORIG[1:], DEST[1:]), ("+1-704-555-0100", "+1(212)555-0199")])
def test_V_04_cli_context_matches_after_normalisation(orig: str, dest: str) -> None:
    checks = check_context(PASSPORT, orig=orig, dest=dest)
    assert outcome(checks) == {("V-04", "pass", codes.OK), ("X-CONTEXT-01", "pass", codes.OK), NO_DATE}
    assert claim_status(checks).status is Status.VALID


def test_V_04_orig_mismatch() -> None:
    checks = check_context(PASSPORT, orig="+17045550101", dest=DEST)
    assert outcome(checks) == {("V-04", "fail", codes.CONTEXT_ORIG_MISMATCH), ("X-CONTEXT-01", "pass", codes.OK),
                               NO_DATE}
    assert claim_status(checks).status is Status.INVALID


def test_X_CONTEXT_01_dest_mismatch() -> None:
    checks = check_context(PASSPORT, orig=ORIG, dest="+12125550198")
    assert outcome(checks) == {("V-04", "pass", codes.OK), ("X-CONTEXT-01", "fail", codes.CONTEXT_DEST_MISMATCH),
                               NO_DATE}


def test_X_CONTEXT_01_dest_any_of_several() -> None:
    p = parse_vvp_passport(make_token(payload=claims(dest={"tn": ["+12125550198", DEST]})))
    assert outcome(check_context(p, orig=ORIG, dest=DEST)) == {("V-04", "pass", codes.OK),
                                                               ("X-CONTEXT-01", "pass", codes.OK), NO_DATE}


@pytest.mark.parametrize("orig, dest, cid", [("call-me", DEST, "V-04"), (ORIG, "12 34", "X-CONTEXT-01")])
def test_malformed_cli_tn_is_a_failing_check(orig: str, dest: str, cid: str) -> None:
    checks = check_context(PASSPORT, orig=orig, dest=dest)
    assert (cid, "fail", codes.CONTEXT_TN_INVALID) in outcome(checks)


def test_partial_cli_context() -> None:
    assert outcome(check_context(PASSPORT, orig=ORIG)) == {
        ("V-04", "pass", codes.OK), ("X-CONTEXT-01", "not_applicable", codes.CONTEXT_NOT_GIVEN), NO_DATE}
    assert outcome(check_context(PASSPORT, dest=DEST, require_context=True)) == {
        ("V-04", "indeterminate", codes.CONTEXT_REQUIRED), ("X-CONTEXT-01", "pass", codes.OK), NO_DATE}


# --- SIP ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["invite-compact-folded.sip", "invite-full-crlf.sip"])
def test_V_04_sip_context_matches(name: str) -> None:
    checks = check_context(PASSPORT, sip=sip(name))
    assert outcome(checks) == PASS_ALL
    assert claim_status(checks).status is Status.VALID


def test_V_04_sip_pai_preferred_over_from() -> None:
    checks = check_context(PASSPORT, sip=sip("invite-full-crlf.sip"))
    v04 = next(c for c in checks if c.id == "V-04")
    assert "P-Asserted-Identity" in v04.message


def test_V_04_replayed_passport_on_another_call() -> None:
    checks = check_context(PASSPORT, sip=sip("invite-context-mismatch.sip"))
    assert outcome(checks) == {("V-04", "fail", codes.CONTEXT_ORIG_MISMATCH),
                               ("X-CONTEXT-01", "fail", codes.CONTEXT_DEST_MISMATCH),
                               ("X-CONTEXT-02", "fail", codes.CONTEXT_DATE_MISMATCH)}


def test_V_04_cli_and_sip_must_both_match() -> None:
    s = sip("invite-compact-folded.sip")
    assert outcome(check_context(PASSPORT, sip=s, orig=ORIG, dest=DEST)) == PASS_ALL
    assert ("V-04", "fail", codes.CONTEXT_ORIG_MISMATCH) in outcome(check_context(PASSPORT, sip=s, orig="+15555550100"))


def test_dest_matches_request_uri_when_to_differs() -> None:
    s = dataclasses.replace(sip("invite-compact-folded.sip"), to_tn="19995550000")
    assert outcome(check_context(PASSPORT, sip=s)) == PASS_ALL
    s = dataclasses.replace(s, ruri_tn=None)
    assert ("X-CONTEXT-01", "fail", codes.CONTEXT_DEST_MISMATCH) in outcome(check_context(PASSPORT, sip=s))


def test_sip_headers_without_tn() -> None:
    s = parse_sip("INVITE sip:bob@example.com SIP/2.0\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
                  "To: <sip:bob@example.com>\r\n\r\n")
    assert outcome(check_context(PASSPORT, sip=s)) == {
        ("V-04", "fail", codes.CONTEXT_NO_TN), ("X-CONTEXT-01", "fail", codes.CONTEXT_NO_TN),
        ("X-CONTEXT-02", "not_applicable", codes.CONTEXT_NOT_GIVEN)}
    assert ("X-CONTEXT-02", "indeterminate", codes.CONTEXT_REQUIRED) in outcome(
        check_context(PASSPORT, sip=s, require_context=True))


def test_X_CONTEXT_02_date_tolerance() -> None:
    base = sip("invite-compact-folded.sip")
    assert base.date is not None
    for delta, ok in ((30, True), (-30, True), (31, False), (-31, False)):
        s = dataclasses.replace(base, date=base.date.fromtimestamp(T0 + delta, base.date.tzinfo))
        got = next(c for c in check_context(PASSPORT, sip=s) if c.id == "X-CONTEXT-02")
        assert (got.status.value == "pass") is ok, (delta, got.message)
        if not ok:
            assert got.code == codes.CONTEXT_DATE_MISMATCH
    s = dataclasses.replace(base, date=base.date.fromtimestamp(T0 + 40, base.date.tzinfo))
    assert ("X-CONTEXT-02", "pass", codes.OK) in outcome(check_context(PASSPORT, sip=s, iat_tolerance_s=45))


def test_X_CONTEXT_02_malformed_date() -> None:
    s = dataclasses.replace(sip("invite-compact-folded.sip"), date=None, date_raw="not a date")
    assert ("X-CONTEXT-02", "fail", codes.CONTEXT_DATE_MALFORMED) in outcome(check_context(PASSPORT, sip=s))


# --- passport values unusable -------------------------------------------------------------------

def test_unusable_passport_values_are_not_compared() -> None:
    p = parse_vvp_passport(make_token(payload=claims(orig={"tn": ["1", "2"]}, dest=None, iat="x")))
    checks = check_context(p, sip=sip("invite-compact-folded.sip"))
    assert outcome(checks) == {(cid, "not_applicable", codes.CONTEXT_PASSPORT_UNUSABLE)
                               for cid in ("V-04", "X-CONTEXT-01", "X-CONTEXT-02")}
    assert outcome(check_context(None, orig=ORIG, dest=DEST)) == {
        ("V-04", "not_applicable", codes.CONTEXT_PASSPORT_UNUSABLE),
        ("X-CONTEXT-01", "not_applicable", codes.CONTEXT_PASSPORT_UNUSABLE), NO_DATE}


def test_end_to_end_sip_fixture_passport_and_context_valid() -> None:
    """The --sip path the CLI takes: parse, route, check the passport and the context."""
    from vvp.stir.identity import route_identities

    s = sip("invite-compact-folded.sip")
    vvp = route_identities(s.identities).vvp
    assert len(vvp) == 1
    checks = evaluate(vvp[0].value.raw, ref=REF)
    assert claim_status(checks).status is Status.VALID
    assert claim_status(check_context(parse_vvp_passport(vvp[0].value.token), sip=s)).status is Status.VALID
    assert identity(make_token()).startswith(vvp[0].value.token)
