"""The verdict vocabulary (architecture §2 status rules, §4.3 verdict JSON, §4.1 exit codes).

A verification is a list of checks. Each :class:`Check` answers one question about one subject
(an AID, a SAID, or the call itself) and belongs to one claim. Claim statuses are derived from
their checks and the overall status from the claims, by the rules below; nothing here is a
boolean, and nothing lets "no checks ran" pass for VALID.

* A claim with a failing check is INVALID; else with an indeterminate check INDETERMINATE; else
  with a passing check VALID; a claim whose checks are all ``not_applicable`` is NOT_APPLICABLE;
  a claim with no checks at all is INDETERMINATE (code ``NO_CHECKS``). ``warn`` never changes a status.
* The overall status is the worst of the claims ``passport``, ``context``, ``dossier``,
  ``authorization``, ``tn_rights``, ``business`` (and ``brand`` under ``brand_failure: strict``),
  ordered INVALID > INDETERMINATE > VALID, NOT_APPLICABLE ignored; if every one of them is
  NOT_APPLICABLE or absent, the overall status is INDETERMINATE. ``shaken`` never counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from vvp import codes


class Status(StrEnum):
    """Status of a claim or of a whole verification."""

    VALID = "VALID"
    INVALID = "INVALID"
    INDETERMINATE = "INDETERMINATE"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class CheckStatus(StrEnum):
    """Outcome of one check. ``warn`` is for SHOULD-level findings and never changes a status."""

    PASS = "pass"
    FAIL = "fail"
    INDETERMINATE = "indeterminate"
    NOT_APPLICABLE = "not_applicable"
    WARN = "warn"


class ExitCode(IntEnum):
    """Process exit codes (architecture §4.1)."""

    VALID = 0
    INVALID = 1
    USAGE = 2
    INDETERMINATE = 3
    OPERATIONAL = 4
    NOT_REPRODUCED = 5
    RECORD_BROKEN = 6


# Claims that decide the overall status, in verdict order (brand joins under "strict").
DECIDING_CLAIMS: tuple[str, ...] = ("passport", "context", "dossier", "authorization", "tn_rights", "business")
ALL_CLAIMS: tuple[str, ...] = DECIDING_CLAIMS[:4] + ("tn_rights", "brand", "business", "shaken")

_RANK = {Status.INVALID: 3, Status.INDETERMINATE: 2, Status.VALID: 1}


@dataclass(frozen=True, slots=True)
class Check:
    """One answered question. ``id`` is a requirement id of vvp-protocol.md §8 (e.g. ``V-06``)
    or ``X-<AREA>-<NN>``; (``id``, ``subject``) is unique within a verdict."""

    id: str
    claim: str
    status: CheckStatus
    code: str
    message: str
    subject: str | None = None

    def __post_init__(self) -> None:
        if not codes.is_registered(self.code):
            raise ValueError(f"unregistered code {self.code!r} in check {self.id}")
        if self.status is CheckStatus.PASS and self.code != codes.OK:
            raise ValueError(f"passing check {self.id} must carry code OK, not {self.code}")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "claim": self.claim, "subject": self.subject, "status": self.status.value,
                "code": self.code, "message": self.message}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Check:
        return cls(id=str(d["id"]), claim=str(d["claim"]), subject=d.get("subject"),
                   status=CheckStatus(d["status"]), code=str(d["code"]), message=str(d["message"]))


def passed(id: str, claim: str, message: str, subject: str | None = None) -> Check:
    return Check(id, claim, CheckStatus.PASS, codes.OK, message, subject)


def failed(id: str, claim: str, code: str, message: str, subject: str | None = None) -> Check:
    return Check(id, claim, CheckStatus.FAIL, code, message, subject)


def indeterminate(id: str, claim: str, code: str, message: str, subject: str | None = None) -> Check:
    return Check(id, claim, CheckStatus.INDETERMINATE, code, message, subject)


def not_applicable(id: str, claim: str, code: str, message: str, subject: str | None = None) -> Check:
    return Check(id, claim, CheckStatus.NOT_APPLICABLE, code, message, subject)


def warned(id: str, claim: str, code: str, message: str, subject: str | None = None) -> Check:
    return Check(id, claim, CheckStatus.WARN, code, message, subject)


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """A claim's status and the codes of its failing (or indeterminate) checks."""

    status: Status
    codes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status.value, "codes": list(self.codes)}


def claim_status(checks: Iterable[Check]) -> ClaimResult:
    """Derive one claim's status from its checks (module docstring)."""
    cs = list(checks)
    if not cs:
        return ClaimResult(Status.INDETERMINATE, (codes.NO_CHECKS,))
    fails = [c.code for c in cs if c.status is CheckStatus.FAIL]
    if fails:
        return ClaimResult(Status.INVALID, tuple(dict.fromkeys(fails)))
    indets = [c.code for c in cs if c.status is CheckStatus.INDETERMINATE]
    if indets:
        return ClaimResult(Status.INDETERMINATE, tuple(dict.fromkeys(indets)))
    if any(c.status is CheckStatus.PASS for c in cs):
        return ClaimResult(Status.VALID)
    if all(c.status in (CheckStatus.NOT_APPLICABLE, CheckStatus.WARN) for c in cs) and any(
            c.status is CheckStatus.NOT_APPLICABLE for c in cs):
        return ClaimResult(Status.NOT_APPLICABLE)
    return ClaimResult(Status.INDETERMINATE, (codes.NO_CHECKS,))


def worst(statuses: Iterable[Status]) -> Status:
    """Worst of the given statuses, NOT_APPLICABLE ignored; nothing left → INDETERMINATE."""
    ranked = [s for s in statuses if s in _RANK]
    if not ranked:
        return Status.INDETERMINATE
    return max(ranked, key=lambda s: _RANK[s])


def overall_status(claims: Mapping[str, ClaimResult], *, brand_strict: bool = False) -> Status:
    """The overall status rule of architecture §2."""
    deciding = DECIDING_CLAIMS + (("brand",) if brand_strict else ())
    return worst(claims[c].status for c in deciding if c in claims)


def exit_code(status: Status) -> ExitCode:
    return {Status.VALID: ExitCode.VALID, Status.INVALID: ExitCode.INVALID}.get(status, ExitCode.INDETERMINATE)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one call: overall status, claims, checks, and what may be displayed.

    Deliberately has no ``__bool__``: callers compare ``status`` explicitly.
    """

    status: Status
    reference_time: str
    claims: Mapping[str, ClaimResult]
    checks: tuple[Check, ...]
    display: Mapping[str, Any] = field(default_factory=lambda: {"brand": None})
    extra: Mapping[str, Any] = field(default_factory=dict)
    claim_details: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        claims: dict[str, Any] = {}
        for name, cr in self.claims.items():
            claims[name] = {**cr.to_json(), **dict(self.claim_details.get(name, {}))}
        out: dict[str, Any] = {"status": self.status.value, "reference_time": self.reference_time,
                               "claims": claims, "display": dict(self.display),
                               "checks": [c.to_json() for c in self.checks]}
        out.update(self.extra)
        return out


def build_verdict(checks: Sequence[Check], *, reference_time: str, claims: Sequence[str] = ALL_CLAIMS,
                  brand_strict: bool = False, display: Mapping[str, Any] | None = None,
                  extra: Mapping[str, Any] | None = None,
                  claim_details: Mapping[str, Mapping[str, Any]] | None = None) -> Verdict:
    """Assemble a verdict from checks: group by claim, derive statuses, apply the overall rule.

    Raises ValueError when (id, subject) repeats, which would make a verdict ambiguous.
    """
    seen: set[tuple[str, str | None]] = set()
    for c in checks:
        key = (c.id, c.subject)
        if key in seen:
            raise ValueError(f"duplicate check {c.id} for subject {c.subject}")
        seen.add(key)
    by_claim: dict[str, list[Check]] = {name: [] for name in claims}
    for c in checks:
        by_claim.setdefault(c.claim, []).append(c)
    results = {name: claim_status(cs) for name, cs in by_claim.items()}
    status = overall_status(results, brand_strict=brand_strict)
    return Verdict(status=status, reference_time=reference_time, claims=results, checks=tuple(checks),
                   display=dict(display) if display is not None else {"brand": None},
                   extra=dict(extra or {}), claim_details=dict(claim_details or {}))
