"""The shaken claim of a verdict (architecture §4.3): verstat, SIP code and reason, VVP/SHAKEN
agreement, vvp_supports_attestation, and verstat mapping details."""

from __future__ import annotations

import json

from tests import shaken_pki as P
from vvp import codes
from vvp.stir.shaken import ShakenPolicy, ShakenResult, shaken_claim, verify_shaken, vvp_supports_attestation
from vvp.stir.verstat import SIP_REASONS, Verstat, no_identity_outcome, outcome, parse_verstat
from vvp.verdict import ClaimResult, Status, build_verdict, failed, passed

VALID = ClaimResult(Status.VALID)
ALL_VALID = {name: VALID for name in ("passport", "context", "dossier", "authorization", "tn_rights")}


def result(value: str | None = None) -> ShakenResult:
    pki = P.build()
    return verify_shaken(value or P.identity(), reference_time=P.T, anchors=pki.anchors,
                         crl_signers=(pki.crl_signer.cert,), policy=ShakenPolicy(), fetcher=pki.fetcher())


def test_claim_for_a_passing_call_with_agreeing_vvp() -> None:
    claim = shaken_claim(result(), vvp_orig="+1 215 555 1212".replace(" ", ""), vvp_dest=[P.DEST],
                         vvp_claims=ALL_VALID)
    assert claim.verstat is Verstat.PASSED and claim.vvp_supports_attestation
    d = claim.details()
    assert d["verstat"] == "TN-Validation-Passed" and d["sip_code"] is None and d["reason"] is None
    assert d["vvp_supports_attestation"] is True and d["attest"] == "A" and d["spc"] == "1234"
    json.dumps(d)  # JSON-ready
    assert {c.id for c in claim.checks} >= {"X-SHAKEN-24", "X-SHAKEN-25"}


def test_vvp_orig_mismatch_fails_the_claim() -> None:
    claim = shaken_claim(result(), vvp_orig="12155550000", vvp_dest=[P.DEST], vvp_claims=ALL_VALID)
    assert (claim.verstat, claim.sip_code) == (Verstat.NO_VALIDATION, 438)
    assert not claim.vvp_supports_attestation
    assert codes.SHAKEN_VVP_ORIG_MISMATCH in [c.code for c in claim.checks]
    dest = shaken_claim(result(), vvp_orig=P.ORIG, vvp_dest=["12155550000"])
    assert codes.SHAKEN_VVP_DEST_MISMATCH in [c.code for c in dest.checks]


def test_without_vvp_there_is_no_agreement_check_and_no_support() -> None:
    claim = shaken_claim(result())
    assert claim.verstat is Verstat.PASSED and not claim.vvp_supports_attestation
    assert not {c.id for c in claim.checks} & {"X-SHAKEN-24", "X-SHAKEN-25"}


def test_vvp_supports_attestation_needs_every_claim_valid() -> None:
    assert vvp_supports_attestation(ALL_VALID, P.ORIG, P.ORIG)
    for name in ALL_VALID:
        worse = {**ALL_VALID, name: ClaimResult(Status.INDETERMINATE)}
        assert not vvp_supports_attestation(worse, P.ORIG, P.ORIG), name
    assert not vvp_supports_attestation({**ALL_VALID, "context": ClaimResult(Status.NOT_APPLICABLE)}, P.ORIG, P.ORIG)
    assert not vvp_supports_attestation(ALL_VALID, "12155550000", P.ORIG)
    assert not vvp_supports_attestation(None, P.ORIG, P.ORIG)


def test_no_shaken_passport() -> None:
    claim = shaken_claim(None)
    assert claim.verstat is None and claim.details()["verstat"] is None
    verdict = build_verdict(list(claim.checks), reference_time="2026-11-23T12:00:00Z",
                            claim_details={"shaken": claim.details()})
    assert verdict.to_json()["claims"]["shaken"]["status"] == "NOT_APPLICABLE"


def test_the_claim_in_a_verdict_never_changes_the_overall_status() -> None:
    bad = shaken_claim(result(P.identity("revoked")))
    vvp = [passed(f"T-{n}", name, "ok") for n, name in enumerate([*ALL_VALID, "business"])]
    verdict = build_verdict(vvp + list(bad.checks), reference_time="2026-11-23T12:00:00Z",
                            claim_details={"shaken": bad.details()})
    out = verdict.to_json()
    assert out["status"] == "VALID"
    assert out["claims"]["shaken"]["status"] == "INVALID"
    assert out["claims"]["shaken"]["verstat"] == "TN-Validation-Failed"
    assert out["claims"]["shaken"]["sip_code"] == 437 and out["claims"]["shaken"]["reason"] == "Unsupported Credential"


def test_outcome_rules() -> None:
    assert outcome([]).verstat is Verstat.NO_VALIDATION  # zero checks is never a pass
    stale = failed("X-SHAKEN-14", "shaken", codes.SHAKEN_IAT_STALE, "old")
    sig = failed("X-SHAKEN-22", "shaken", codes.SHAKEN_SIGNATURE_INVALID, "bad")
    assert outcome([stale, sig]).verstat is Verstat.FAILED and outcome([stale, sig]).sip_code == 438
    assert outcome([stale]).sip_code == 403 and outcome([stale]).deciding is stale
    assert no_identity_outcome().sip_code is None
    assert no_identity_outcome(required=True).reason == SIP_REASONS[428] == "Use Identity Header"


def test_parse_verstat_accepts_carrier_variants() -> None:
    assert parse_verstat("TN-Validation-Passed") is Verstat.PASSED
    assert parse_verstat("tn-validation-passed-b") is Verstat.PASSED
    assert parse_verstat("TN-Validation-Failed-C") is Verstat.FAILED
    assert parse_verstat("No-TN-Validation") is Verstat.NO_VALIDATION
    assert parse_verstat("TN-Validation-Maybe") is None
