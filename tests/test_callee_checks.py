"""Every requirement of vvp-protocol.md §8.2 (CE-01..CE-09) and §8.4 (VC-00..VC-09), each by its id.

The callee world (``WorldSpec(callee=True)``) serves its evidence from memory; answers are signed
with the callee's keys. Each test changes one thing from a valid answer and asserts the check of
that id, the claim it lands in, and the overall status.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

import pytest

from tests.callee_kit import BASE, CALL_ID, CALLEE_TN, Kit, by_id, ck, memory_fetcher  # noqa: F401 - fixture
from vvp import codes
from vvp.testing.worldgen.build import CALLEE_VCARD, TN_CALLEE_DNO
from vvp.callee.inputs import CalleeInput
from vvp.trust import load_trust_store
from vvp.verdict import Status
from vvp.verifier import Verifier, VerifierCache
from vvp.testing.world import CALL_AT, GOAL
from vvp.testing.world.scenarios import CALLEE_SCENARIOS, crlf


def _st(v: object, cid: str) -> tuple[str, str]:
    c = by_id(v)[cid]  # type: ignore[arg-type]
    return c["status"], c["code"]


def test_valid_answer_is_valid_with_direction_callee(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign().value))
    doc = v.to_json()
    assert v.status is Status.VALID and doc["direction"] == "callee"
    assert list(doc["claims"]) == ["passport", "context", "dossier", "authorization", "tn_rights", "brand", "business"]
    ids = [c["id"] for c in doc["checks"]]
    spec = [i for i in ids if i.startswith(("CE-", "VC-"))]
    assert spec == ["CE-01", "CE-02", "CE-03", "CE-04", "CE-05", "CE-06", "CE-07", "CE-08", "CE-09", "VC-01", "VC-02",
                    "VC-03", "VC-04", "VC-05", "VC-06", "VC-07", "VC-08", "VC-09"]
    auth = doc["claims"]["authorization"]
    assert auth["callee"] == ck.world.parties["callee"].aid and auth["legal_entity"] == auth["callee"]
    assert auth["callee_tn"] == CALLEE_TN
    assert doc["display"]["brand"]["card"] == ["ORG:Bistro Verde"]


# --- §8.2 -------------------------------------------------------------------------------------


def test_CE_01_one_session_level_attribute_in_the_200_ok(ck: Kit) -> None:
    v = ck.verify(ck.response_inputs(ck.response([ck.sign().sdp_line])))
    assert v.status is Status.VALID and _st(v, "CE-01") == ("pass", codes.OK)
    assert _st(v, "X-CALLEE-02") == ("pass", codes.OK)


def test_CE_01_missing_attribute_gives_no_callee_assurance(ck: Kit) -> None:
    v = ck.verify(ck.response_inputs(ck.response([])))
    assert v.status is Status.INDETERMINATE
    assert _st(v, "CE-01") == ("indeterminate", codes.CALLEE_PASSPORT_MISSING)


def test_CE_01_two_attributes_are_refused(ck: Kit) -> None:
    line = ck.sign().sdp_line
    v = ck.verify(ck.response_inputs(ck.response([line, line])))
    assert v.status is Status.INVALID and _st(v, "CE-01") == ("fail", codes.CALLEE_PASSPORT_MULTIPLE)


def test_CE_01_media_level_attribute_is_a_warning(ck: Kit) -> None:
    text = ck.response([]).replace("a=sendrecv", ck.sign().sdp_line)
    v = ck.verify(ck.response_inputs(text))
    assert v.status is Status.VALID and _st(v, "CE-01") == ("warn", codes.CALLEE_PASSPORT_MEDIA_LEVEL)


def test_CE_01_180_ringing_accepted_and_a_486_refused(ck: Kit) -> None:
    line = ck.sign().sdp_line
    assert ck.verify(ck.response_inputs(ck.response([line], status="180 Ringing"))).status is Status.VALID
    v = ck.verify(ck.response_inputs(ck.response([line], status="486 Busy Here")))
    assert v.status is Status.INDETERMINATE and _st(v, "CE-01") == ("indeterminate", codes.CALLEE_RESPONSE_STATUS)


def test_CE_02_with_and_without_type_vvp(ck: Kit) -> None:
    with_type = ck.verify(ck.inputs(ck.sign().value))
    assert _st(with_type, "CE-02") == ("pass", codes.OK)
    without = ck.verify(ck.inputs(ck.sign(type_param=None).value))
    assert without.status is Status.VALID and _st(without, "CE-02") == ("warn", codes.CALLEE_TYPE_PARAM_MISSING)
    other = ck.verify(ck.inputs(ck.sign(type_param="shaken").value))
    assert other.status is Status.INVALID and _st(other, "CE-02") == ("fail", codes.CALLEE_TYPE_PARAM_INVALID)


@pytest.mark.parametrize("value", ["a.b", "a.b.c.d", "not a jwt;type=vvp", "", "eyJ.e30.;type=vvp"])
def test_CE_02_a_value_that_is_not_a_compact_jwt(ck: Kit, value: str) -> None:
    v = ck.verify(ck.inputs(value))
    assert v.status is Status.INVALID
    st, code = _st(v, "CE-02")
    assert st == "fail" and code.startswith("JOSE_")
    assert v.claims["dossier"].status is Status.INDETERMINATE  # nothing cited: never VALID


def test_CE_03_kid_must_be_an_oobi_naming_an_aid(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(kid=f"{BASE}/oobi/not-an-aid").value))
    assert v.status is Status.INVALID and _st(v, "CE-03") == ("fail", codes.PASSPORT_KID_NO_AID)
    assert _st(v, "VC-04")[0] == "not_applicable"


def test_CE_03_kid_oobi_serving_another_aids_kel(ck: Kit) -> None:
    other = ck.world.parties["le"]
    callee = ck.world.parties["callee"]
    f = memory_fetcher(ck.world)
    kid = f"{BASE}/oobi/{callee.aid}/moved"
    f.items[kid] = ("application/json+cesr", other.oobi)
    v = ck.verify(ck.inputs(ck.sign(kid=kid).value), fetcher=f)
    assert v.status is not Status.VALID and _st(v, "CE-03")[0] in ("fail", "indeterminate")


def test_CE_04_call_id_or_cseq_missing_or_malformed(ck: Kit) -> None:
    for extra, code in (({"call-id": None}, codes.CALLEE_CALL_ID_INVALID), ({"call-id": ""}, codes.CALLEE_CALL_ID_INVALID),
                        ({"cseq": None}, codes.CALLEE_CSEQ_INVALID), ({"cseq": "one"}, codes.CALLEE_CSEQ_INVALID)):
        v = ck.verify(ck.inputs(ck.sign(extra_claims=extra).value))
        assert v.status is Status.INVALID and _st(v, "CE-04") == ("fail", code), extra
        assert _st(v, "VC-01")[0] == "not_applicable"


def test_CE_05_iat_missing(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(extra_claims={"iat": None}, exp=None).value))
    assert v.status is Status.INVALID and _st(v, "CE-05") == ("fail", codes.PASSPORT_IAT_INVALID)


def test_CE_06_no_exp_does_not_fail(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(exp=None).value))
    assert v.status is Status.VALID
    assert _st(v, "CE-06") == ("pass", codes.OK) and _st(v, "VC-03") == ("not_applicable", codes.CALLEE_NO_EXP)
    bad = ck.verify(ck.inputs(ck.sign(exp="soon").value))
    assert bad.status is Status.INVALID and _st(bad, "CE-06") == ("fail", codes.PASSPORT_EXP_INVALID)


def test_CE_07_evd_missing(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(extra_claims={"evd": None}).value))
    assert v.status is Status.INVALID and _st(v, "CE-07") == ("fail", codes.PASSPORT_EVD_INVALID)
    assert _st(v, "X-DOSSIER-00") == ("indeterminate", codes.DOSSIER_NOT_CITED)


def test_CE_08_unknown_claims_are_ignored(ck: Kit) -> None:
    extra = {"x-vendor": {"deep": [1, 2, 3]}, "orig": {"tn": ["+15551230020"]}, "attest": "A"}
    v = ck.verify(ck.inputs(ck.sign(extra_claims=extra).value))
    assert v.status is Status.VALID and _st(v, "CE-08") == ("pass", codes.OK)
    assert "x-vendor" in by_id(v)["CE-08"]["message"]


@pytest.mark.parametrize(("change", "code"), [
    ({"alg": "ES256"}, codes.PASSPORT_ALG_NOT_ALLOWED), ({"alg": "none"}, codes.PASSPORT_ALG_NOT_ALLOWED),
    ({"typ": "JWT"}, codes.PASSPORT_TYP_INVALID), ({"ppt": "shaken"}, codes.PASSPORT_PPT_INVALID),
    ({"ppt": None}, codes.PASSPORT_PPT_INVALID), ({"crit": ["x"]}, codes.PASSPORT_CRIT_UNSUPPORTED),
])
def test_CE_09_the_callers_header_rules_apply(ck: Kit, change: dict[str, object], code: str) -> None:
    v = ck.verify(ck.inputs(ck.sign(header_changes=change).value))
    assert v.status is Status.INVALID and _st(v, "CE-09") == ("fail", code)


def test_CE_09_es256_is_refused_and_no_key_is_tried(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(header_changes={"alg": "ES256"}).value))
    c = by_id(v)["CE-09"]
    assert c["status"] == "fail" and "P-02" in c["message"]
    assert _st(v, "VC-04")[0] == "not_applicable"


# --- §8.4 -------------------------------------------------------------------------------------


def test_VC_00_no_cache_cold_cache_and_warm_cache_give_the_same_verdicts(ck: Kit) -> None:
    warm = Verifier(ck.trust, ck.fetcher, VerifierCache())
    for s in CALLEE_SCENARIOS:
        call = ck.call(s.name)
        ci = CalleeInput(reference_time=call.at, response=call.response.read_bytes(), invite=call.invite.read_bytes())
        plain = Verifier(ck.trust, ck.fetcher, use_cache=False).verify_callee(ci).to_json()
        assert plain["status"] in s.expected, (s.name, plain["status"])
        assert warm.verify_callee(ci).to_json() == plain, s.name
        assert warm.verify_callee(ci).to_json() == plain, s.name  # from the warm cache


def test_VC_01_call_id_mismatch(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(call_id="another@acme.example").value))
    assert v.status is Status.INVALID and _st(v, "VC-01") == ("fail", codes.CALLEE_CALL_ID_MISMATCH)
    assert v.claims["context"].status is Status.INVALID


def test_VC_01_cseq_mismatch(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(cseq=2).value))
    assert v.status is Status.INVALID and _st(v, "VC-01") == ("fail", codes.CALLEE_CSEQ_MISMATCH)
    other_method = ck.verify(ck.inputs(ck.sign(cseq="1 UPDATE").value))
    assert _st(other_method, "VC-01") == ("fail", codes.CALLEE_CSEQ_MISMATCH)
    same = ck.verify(ck.inputs(ck.sign(cseq="1 INVITE").value))
    assert same.status is Status.VALID


def test_VC_01_response_answering_another_invite(ck: Kit) -> None:
    text = ck.response([ck.sign().sdp_line], call_id="other@acme.example")
    v = ck.verify(ck.response_inputs(text))
    assert v.status is Status.INVALID and _st(v, "X-CALLEE-02") == ("fail", codes.CALLEE_RESPONSE_NOT_FOR_INVITE)


def test_VC_01_without_the_invites_identifiers_is_indeterminate(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign().value, call_id=None, cseq=None))
    assert v.status is Status.INDETERMINATE and _st(v, "VC-01") == ("indeterminate", codes.CALLEE_CONTEXT_MISSING)


def test_VC_02_iat_far_off(ck: Kit) -> None:
    old = ck.verify(ck.inputs(ck.sign(iat_offset_s=-600, exp=None).value))
    assert old.status is Status.INVALID and _st(old, "VC-02") == ("fail", codes.CALLEE_IAT_TOO_OLD)
    future = ck.verify(ck.inputs(ck.sign(iat_offset_s=60).value))
    assert future.status is Status.INVALID and _st(future, "VC-02") == ("fail", codes.CALLEE_IAT_IN_FUTURE)


def test_VC_02_tolerance_is_callee_iat_tolerance_s(ck: Kit, tmp_path: object) -> None:
    value = ck.sign(iat_offset_s=-45, exp=None).value
    assert ck.verify(ck.inputs(value)).status is Status.INVALID
    doc = dict(ck.trust.raw)
    doc["policy"] = {**doc.get("policy", {}), "callee_iat_tolerance_s": 60}
    import json
    from pathlib import Path
    p = Path(str(tmp_path)) / "trust.json"
    p.write_text(json.dumps({**doc, "schemas": [str(ck.files.schemas_dir)]}))
    assert ck.verify(ck.inputs(value), trust=load_trust_store(p)).status is Status.VALID


def test_VC_03_expired(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(iat_offset_s=-20, exp=int((CALL_AT - _dt.timedelta(seconds=5)).timestamp())).value))
    assert v.status is Status.INVALID and _st(v, "VC-03") == ("fail", codes.PASSPORT_EXPIRED)
    backwards = ck.verify(ck.inputs(ck.sign(exp=int(CALL_AT.timestamp()) - 100).value))
    assert _st(backwards, "VC-03") == ("fail", codes.PASSPORT_EXP_NOT_AFTER_IAT)


def test_VC_04_bad_signature(ck: Kit) -> None:
    for tamper in ("signature", "payload"):
        v = ck.verify(ck.inputs(ck.sign(tamper=tamper).value, call_id="tampered-after-signing@example.net"
                                if tamper == "payload" else CALL_ID))
        assert v.status is Status.INVALID and _st(v, "VC-04") == ("fail", codes.PASSPORT_SIGNATURE_INVALID), tamper


def test_VC_04_signed_by_another_key_fails(ck: Kit) -> None:
    # the callee's kid, signed with its answering service's key
    sc = ck.sign(signer="callee_agent", kid=ck.urls.kid(ck.world, "callee"))
    v = ck.verify(ck.inputs(sc.value))
    assert v.status is Status.INVALID and _st(v, "VC-04") == ("fail", codes.PASSPORT_SIGNATURE_INVALID)


def test_VC_04_oobi_unreachable_is_indeterminate(ck: Kit) -> None:
    aid = ck.world.parties["callee"].aid
    v = ck.verify(ck.inputs(ck.sign(kid=f"{BASE}/nowhere/oobi/{aid}").value))
    assert v.status is Status.INDETERMINATE
    assert _st(v, "VC-04") == ("indeterminate", codes.FETCH_HTTP_STATUS)
    assert _st(v, "CE-03")[0] == "indeterminate"


def test_VC_05_dossier_issued_by_another_aid(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(evd=ck.urls.evd(ck.world.dossiers["le"].said)).value))
    assert v.status is Status.INVALID and _st(v, "VC-05") == ("fail", codes.CALLEE_DOSSIER_NOT_OWN)
    assert v.claims["authorization"].status is Status.INVALID
    assert v.display["brand"] is None  # Acme's brand is not shown for Bistro's answer


def test_VC_05_a_delegate_may_not_answer_for_the_callee(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(signer="callee_agent").value))
    assert v.status is Status.INVALID and _st(v, "VC-05") == ("fail", codes.CALLEE_DOSSIER_NOT_OWN)


def test_VC_06_dossier_validation_and_roots(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign().value), trust=load_trust_store(ck.files.trust_untrusted))
    assert v.status is not Status.VALID and _st(v, "VC-06")[0] in ("fail", "indeterminate")
    f = memory_fetcher(ck.world)
    url = ck.urls.evd(ck.world.dossiers["callee"].said)
    ctype, body = f.items[url]
    f.items[url] = (ctype, body.replace(b"Bistro Verde answers", b"Bistro Verde answerz"))
    tampered = ck.verify(ck.inputs(ck.sign().value), fetcher=f)
    assert tampered.status is Status.INVALID and _st(tampered, "VC-06")[0] == "fail"


def test_VC_07_number_outside_every_allocation(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign().value, dest="+15551230099"))
    assert v.status is Status.INVALID and _st(v, "VC-07") == ("fail", codes.TN_NOT_ALLOCATED)


def test_VC_07_do_not_originate_number_is_accepted(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(dossier="callee_dno").value, dest=TN_CALLEE_DNO[0]))
    assert v.status is Status.VALID and _st(v, "VC-07") == ("pass", codes.OK)
    dno = next(c for c in v.checks if c.id == "X-TN-02")
    assert "inbound-only" in dno.message


def test_VC_07_the_request_uri_counts_when_to_was_retargeted(ck: Kit) -> None:
    invite = ck.invite().replace(b"To: <sip:+15551230020@", b"To: <sip:+15559990000@")
    v = ck.verify(CalleeInput(reference_time=CALL_AT, callee=ck.sign().value, invite=invite))
    assert v.status is Status.VALID
    assert v.claim_details["authorization"]["callee_tn_source"] == "the INVITE's Request-URI"


def test_VC_07_no_called_number_is_indeterminate(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign().value, dest=None))
    assert v.status is Status.INDETERMINATE and _st(v, "VC-07") == ("indeterminate", codes.CALLEE_NO_TN)


def test_VC_08_card_line_not_justified_is_suppressed(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(card=("ORG:Bistro Verde", "NICKNAME:Acme")).value))
    assert v.status is Status.VALID and _st(v, "VC-08") == ("fail", codes.BRAND_LINE_NOT_JUSTIFIED)
    assert v.display["brand"] is None
    full = ck.verify(ck.inputs(ck.sign(card=CALLEE_VCARD).value))
    assert _st(full, "VC-08") == ("pass", codes.OK) and full.display["brand"]["card"] == list(CALLEE_VCARD)


def test_VC_08_no_card_is_not_applicable(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(card=None).value))
    assert v.status is Status.VALID and _st(v, "VC-08") == ("not_applicable", codes.BRAND_NO_CARD)


def test_VC_09_disjoint_goals(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(goal="support").value, caller_goal="negotiate.schedule"))
    assert v.status is Status.INVALID and _st(v, "VC-09") == ("fail", codes.CALLEE_GOALS_DISJOINT)


def test_VC_09_one_goal_within_the_other_overlaps(ck: Kit) -> None:
    for callee_goal, caller_goal in (("negotiate", "negotiate.schedule"), ("negotiate.schedule", "negotiate"),
                                     (GOAL, GOAL)):
        v = ck.verify(ck.inputs(ck.sign(goal=callee_goal).value, caller_goal=caller_goal))
        assert v.status is Status.VALID and _st(v, "VC-09") == ("pass", codes.OK), (callee_goal, caller_goal)


def test_VC_09_only_one_side_declares_a_goal(ck: Kit) -> None:
    v = ck.verify(ck.inputs(ck.sign(goal=None).value))
    assert v.status is Status.VALID and _st(v, "VC-09") == ("not_applicable", codes.CALLEE_GOAL_NOT_BOTH)
    v2 = ck.verify(ck.inputs(ck.sign().value, caller_goal=None))
    assert _st(v2, "VC-09") == ("not_applicable", codes.CALLEE_GOAL_NOT_BOTH)
    bad = ck.verify(ck.inputs(ck.sign(goal=7).value))
    assert _st(bad, "VC-09") == ("fail", codes.BUSINESS_GOAL_MALFORMED)


def test_VC_09_the_callers_goal_is_read_from_the_invite(ck: Kit) -> None:
    call = ck.call("callee-goals-disjoint")
    ci = CalleeInput(reference_time=call.at, response=call.response.read_bytes(), invite=call.invite.read_bytes())
    v = ck.verify(ci)
    assert _st(v, "VC-09") == ("fail", codes.CALLEE_GOALS_DISJOINT)
    assert "the INVITE's VVP PASSporT" in by_id(v)["VC-09"]["message"]
    overridden = ck.verify(dataclasses.replace(ci, caller_goal="support"))
    assert _st(overridden, "VC-09") == ("pass", codes.OK)


def test_unreadable_invite_is_coded(ck: Kit) -> None:
    v = ck.verify(CalleeInput(reference_time=CALL_AT, response=crlf(ck.response([ck.sign().sdp_line])),
                              invite=b"this is not SIP\r\n\r\n"))
    assert v.status is Status.INDETERMINATE and _st(v, "X-CALLEE-01") == ("indeterminate", codes.SIP_MALFORMED)
    assert CALLEE_TN and CALL_ID  # the defaults the kit uses


def test_damaged_answers_never_raise(ck: Kit) -> None:
    """Seeded damage anywhere in a 200 OK (and in the value alone): always a verdict, never an
    exception, and never VALID unless the damage left the signed token and its binding intact."""
    import random

    warm = Verifier(ck.trust, ck.fetcher, VerifierCache())
    call = ck.call("callee-valid")
    raw = call.response.read_bytes()
    invite = call.invite.read_bytes()
    token = call.value.split(";")[0]
    rng = random.Random("callee-damage")
    for _ in range(150):
        b = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(b))
            b[pos] = rng.choice([0x00, 0x0A, 0x0D, 0x3B, 0x3D, 0x2E, 0xFF, rng.randrange(256)])
        v = warm.verify_callee(CalleeInput(reference_time=call.at, response=bytes(b), invite=invite))
        if v.status is Status.VALID:
            assert token in bytes(b).decode("utf-8", "replace")
    for _ in range(100):
        s = list(call.value)
        pos = rng.randrange(len(s))
        s[pos] = rng.choice(["", ".", ";", "=", "A", "_", "é", " "])
        v = warm.verify_callee(ck.inputs("".join(s), call_id=call.call_id, caller_goal=call.caller_goal))
        assert v.status in (Status.VALID, Status.INVALID, Status.INDETERMINATE)
