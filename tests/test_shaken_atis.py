"""ATIS-1000082 verificationRequest → verificationResponse (architecture §4.5), with a fake
verify_call and with a real SHAKEN verification behind it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import shaken_pki as P
from vvp import codes
from vvp.stir.atis import CallAnswer, VerificationRequest, answer_verification_request, \
    parse_verification_request, response_verstat
from vvp.stir.shaken import ShakenPolicy, shaken_claim, verify_shaken
from vvp.verdict import build_verdict


def body(**req: Any) -> bytes:
    base: dict[str, Any] = {"from": {"tn": "+12155551212"}, "to": {"tn": ["12155551213"]}, "time": P.T_UNIX,
                            "identity": [P.identity()]}
    base.update(req)
    return json.dumps({"verificationRequest": {k: v for k, v in base.items() if v is not None}}).encode()


def test_parse_canonicalises_and_keeps_the_identities() -> None:
    req = parse_verification_request(body(identity=P.identity(), to={"tn": "+1-215-555-1213"}))
    assert req == VerificationRequest("12155551212", ("12155551213",), (P.identity(),), P.T)
    assert parse_verification_request(body(time=None)).reference_time is None


@pytest.mark.parametrize("raw, message_id, variable", [
    (b"[]", "SVC4001", "verificationRequest"),
    (b"{}", "SVC4000", "verificationRequest"),
    (b'{"verificationRequest": 1}', "SVC4001", "verificationRequest"),
    (body(**{"from": None}), "SVC4000", "from"),
    (body(**{"from": {"uri": "sip:a@b"}}), "SVC4000", "from.tn"),
    (body(**{"from": {"tn": "abc"}}), "SVC4001", "from.tn"),
    (body(to={"tn": []}), "SVC4001", "to.tn"),
    (body(identity=[]), "SVC4001", "identity"),
    (body(identity=[1]), "SVC4001", "identity"),
    (body(time="1767225600"), "SVC4001", "time"),
    (body(time=True), "SVC4001", "time"),
    (b'{"verificationRequest": {}, "verificationRequest": {}}', "SVC4001", "verificationRequest"),
    (b"\xff", "SVC4001", "verificationRequest"),
])
def test_malformed_requests_get_400(raw: bytes, message_id: str, variable: str) -> None:
    status, out = answer_verification_request(raw, lambda r: pytest.fail("must not verify"))
    assert status == 400
    exc = out["requestError"]["serviceException"]
    assert (exc["messageId"], exc["variables"]) == (message_id, [variable])
    assert exc["code"] == codes.ATIS_REQUEST_INVALID


def test_verstat_from_shaken_with_reason() -> None:
    verdict = {"status": "VALID", "claims": {"shaken": {"verstat": "TN-Validation-Failed", "sip_code": 438,
                                                        "reason": "Invalid Identity Header"}}}
    assert response_verstat(verdict) == {"verstat": "TN-Validation-Failed", "reasonCode": 438,
                                         "reasonString": "Invalid Identity Header", "verstat_source": "shaken"}


@pytest.mark.parametrize("status, tn_rights, expected", [
    ("VALID", "VALID", "TN-Validation-Passed"),
    ("VALID", "INDETERMINATE", "No-TN-Validation"),
    ("INVALID", "VALID", "TN-Validation-Failed"),
    ("INDETERMINATE", "VALID", "No-TN-Validation"),
])
def test_verstat_from_vvp_only(status: str, tn_rights: str, expected: str) -> None:
    verdict = {"status": status, "claims": {"tn_rights": {"status": tn_rights},
                                            "shaken": {"status": "NOT_APPLICABLE", "verstat": None}}}
    assert response_verstat(verdict) == {"verstat": expected, "verstat_source": "vvp"}


def test_end_to_end_with_a_shaken_verification() -> None:
    pki = P.build()

    def verify_call(req: VerificationRequest) -> CallAnswer:
        assert req.reference_time is not None
        res = verify_shaken(req.identities[0], reference_time=req.reference_time, anchors=pki.anchors,
                            crl_signers=(pki.crl_signer.cert,), policy=ShakenPolicy(), fetcher=pki.fetcher(),
                            context_orig=req.orig, context_dest=req.dest[0])
        claim = shaken_claim(res)
        v = build_verdict(list(claim.checks), reference_time="2026-11-23T12:00:00Z",
                          claim_details={"shaken": claim.details()})
        return CallAnswer(v.to_json(), "rec-1")

    status, out = answer_verification_request(body(), verify_call)
    assert status == 200
    resp = out["verificationResponse"]
    assert resp["verstat"] == "TN-Validation-Passed" and "reasonCode" not in resp
    assert resp["record_id"] == "rec-1" and resp["vvp"]["claims"]["shaken"]["verstat"] == resp["verstat"]
    status, out = answer_verification_request(body(**{"from": {"tn": "12155550000"}}), verify_call)
    resp = out["verificationResponse"]
    assert (resp["verstat"], resp["reasonCode"], resp["reasonString"]) == \
        ("No-TN-Validation", 438, "Invalid Identity Header")
