"""The status rules of architecture §2 and the verdict JSON shape of §4.3."""

from __future__ import annotations

import pytest

from vvp import codes
from vvp.verdict import (
    Check, CheckStatus, ClaimResult, ExitCode, Status, Verdict, build_verdict, claim_status, exit_code, failed,
    indeterminate, not_applicable, overall_status, passed, warned,
)

T = "2026-11-23T12:00:00Z"


def _p(claim: str, id: str = "X-T-01", subject: str | None = None) -> Check:
    return passed(id, claim, "ok", subject)


def test_zero_checks_is_never_valid() -> None:
    assert claim_status([]).status is Status.INDETERMINATE
    assert claim_status([]).codes == (codes.NO_CHECKS,)
    assert build_verdict([], reference_time=T).status is Status.INDETERMINATE


def test_warn_only_is_not_valid() -> None:
    w = warned("P-19", "passport", codes.NOT_CHECKED_IN_THIS_VERSION, "w")
    assert claim_status([w]).status is Status.INDETERMINATE


def test_claim_status_order() -> None:
    ok = _p("passport")
    bad = failed("P-01", "passport", codes.INTERNAL_ERROR, "x")
    ind = indeterminate("P-05", "passport", codes.FETCH_TIMEOUT, "x")
    na = not_applicable("P-06", "passport", codes.NOT_CHECKED_IN_THIS_VERSION, "x")
    assert claim_status([ok, ind, bad]) == ClaimResult(Status.INVALID, (codes.INTERNAL_ERROR,))
    assert claim_status([ok, ind]) == ClaimResult(Status.INDETERMINATE, (codes.FETCH_TIMEOUT,))
    assert claim_status([ok, na]).status is Status.VALID
    assert claim_status([na]).status is Status.NOT_APPLICABLE
    assert claim_status([ok, warned("P-19", "passport", codes.OK, "w")]).status is Status.VALID


def test_overall_is_worst_of_deciding_claims_and_ignores_shaken_and_brand() -> None:
    claims = {c: ClaimResult(Status.VALID) for c in ("passport", "context", "dossier", "authorization", "tn_rights",
                                                      "business")}
    claims["brand"] = ClaimResult(Status.INVALID, (codes.INTERNAL_ERROR,))
    claims["shaken"] = ClaimResult(Status.INVALID, (codes.INTERNAL_ERROR,))
    assert overall_status(claims) is Status.VALID
    assert overall_status(claims, brand_strict=True) is Status.INVALID
    claims["context"] = ClaimResult(Status.NOT_APPLICABLE)
    assert overall_status(claims) is Status.VALID
    claims["dossier"] = ClaimResult(Status.INDETERMINATE)
    assert overall_status(claims) is Status.INDETERMINATE
    claims["passport"] = ClaimResult(Status.INVALID)
    assert overall_status(claims) is Status.INVALID


def test_all_not_applicable_is_indeterminate() -> None:
    assert overall_status({"passport": ClaimResult(Status.NOT_APPLICABLE)}) is Status.INDETERMINATE


def test_checks_need_registered_codes_and_pass_carries_ok() -> None:
    with pytest.raises(ValueError):
        Check("P-01", "passport", CheckStatus.FAIL, "MADE_UP_CODE", "x")
    with pytest.raises(ValueError):
        Check("P-01", "passport", CheckStatus.PASS, codes.INTERNAL_ERROR, "x")


def test_id_subject_unique() -> None:
    with pytest.raises(ValueError):
        build_verdict([_p("passport", "V-06", "E1"), _p("passport", "V-06", "E1")], reference_time=T)
    v = build_verdict([_p("dossier", "V-10", "E1"), _p("dossier", "V-10", "E2")], reference_time=T)
    assert v.claims["dossier"].status is Status.VALID


def test_verdict_json_shape() -> None:
    checks = [_p(c, f"X-T-{i:02d}") for i, c in enumerate(
        ("passport", "context", "dossier", "authorization", "tn_rights", "business"), start=1)]
    checks.append(not_applicable("V-18", "brand", codes.NOT_CHECKED_IN_THIS_VERSION, "no card"))
    v = build_verdict(checks, reference_time=T, claim_details={"shaken": {"verstat": None}})
    j = v.to_json()
    assert j["status"] == "VALID" and j["reference_time"] == T
    assert set(j["claims"]) >= {"passport", "context", "dossier", "authorization", "tn_rights", "brand", "business",
                                "shaken"}
    assert j["claims"]["brand"] == {"status": "NOT_APPLICABLE", "codes": []}
    assert j["claims"]["shaken"]["verstat"] is None
    assert j["display"] == {"brand": None}
    assert j["checks"][0] == {"id": "X-T-01", "claim": "passport", "subject": None, "status": "pass", "code": "OK",
                              "message": "ok"}
    assert Check.from_json(j["checks"][0]) == checks[0]


def test_verdict_has_no_truth_value() -> None:
    v = build_verdict([], reference_time=T)
    assert isinstance(v, Verdict) and not hasattr(Verdict, "__bool__")


def test_exit_codes() -> None:
    assert exit_code(Status.VALID) == ExitCode.VALID == 0
    assert exit_code(Status.INVALID) == 1
    assert exit_code(Status.INDETERMINATE) == 3
    assert (ExitCode.USAGE, ExitCode.OPERATIONAL, ExitCode.NOT_REPRODUCED, ExitCode.RECORD_BROKEN) == (2, 4, 5, 6)


@pytest.mark.parametrize("direction", ["caller", "callee"])
def test_json_without_checks_is_to_json_less_checks(direction: str) -> None:
    """Verdict.json_without_checks() is to_json() less ``checks`` (before ``extra``), details
    merged over the claim's own members as to_json() merges them (a detail may override them)."""
    from vvp.verdict import build_verdict, passed

    v = build_verdict([passed("P-01", "passport", "ok")], reference_time="2026-01-01T00:00:00Z",
                      claim_details={"passport": {"iat": 5, "codes": ["X"]}, "dossier": {}},
                      display={"brand": {"name": "Acme"}}, direction=direction)
    whole = v.to_json()
    top = v.json_without_checks()
    assert "checks" not in top
    assert {**top, "checks": whole["checks"]} == whole
    assert list(top) == [k for k in whole if k != "checks"]
    assert top["claims"]["passport"] == {"status": "VALID", "codes": ["X"], "iat": 5}
