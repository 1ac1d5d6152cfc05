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

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
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
ALL_CLAIMS: tuple[str, ...] = DECIDING_CLAIMS[:4] + ("tn_rights", "brand", "business", "evidence", "shaken")
"""``evidence`` (foreign evidence, architecture §2.3) joins the deciding claims under
``foreign_evidence: strict`` only; NOT_APPLICABLE when the dossier binds none."""

_RANK = {Status.INVALID: 3, Status.INDETERMINATE: 2, Status.VALID: 1}


# Every registered code, as a frozenset: the registry is complete once ``vvp.codes`` is imported
# (codes are only ever added by its own ``_c`` lines), and a set lookup is the cheapest way to keep
# the guarantee that no check, hence no verdict, ever carries an unregistered code.
_REGISTERED: frozenset[str] = frozenset(codes.registry())


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
        # Validity, not speed: no check (hence no verdict) carries an unregistered code, and a
        # passing check carries OK.
        if self.code not in _REGISTERED:
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


_PASS = CheckStatus.PASS


def passed(id: str, claim: str, message: str, subject: str | None = None) -> Check:
    return Check(id, claim, _PASS, codes.OK, message, subject)


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


_FAIL, _INDET, _NA, _WARN = (CheckStatus.FAIL, CheckStatus.INDETERMINATE, CheckStatus.NOT_APPLICABLE,
                              CheckStatus.WARN)
_NA_OR_WARN = frozenset({_NA, _WARN})
_ONLY_PASS = frozenset({_PASS})  # the statuses of most claims of most calls: VALID
_VALID_CLAIM = ClaimResult(Status.VALID)
_NA_CLAIM = ClaimResult(Status.NOT_APPLICABLE)
_NO_CHECKS_CLAIM = ClaimResult(Status.INDETERMINATE, (codes.NO_CHECKS,))


def _claim_result(present: AbstractSet[CheckStatus], cs: Sequence[Check], claim: str | None) -> ClaimResult:
    """The status rule of the module docstring, given the set of statuses of a claim's checks:
    the checks of ``claim`` among ``cs`` (all of ``cs`` when None). Codes are collected, in
    check order, only for a claim that has some (most claims of most calls pass)."""
    if _FAIL in present:
        return ClaimResult(Status.INVALID, tuple(dict.fromkeys(
            [c.code for c in cs if c.status is _FAIL and (claim is None or c.claim == claim)])))
    if _INDET in present:
        return ClaimResult(Status.INDETERMINATE, tuple(dict.fromkeys(
            [c.code for c in cs if c.status is _INDET and (claim is None or c.claim == claim)])))
    if _PASS in present:
        return _VALID_CLAIM
    if _NA in present and present <= _NA_OR_WARN:
        return _NA_CLAIM
    return _NO_CHECKS_CLAIM


def claim_status(checks: Iterable[Check]) -> ClaimResult:
    """Derive one claim's status from its checks (module docstring)."""
    cs = checks if isinstance(checks, (list, tuple)) else list(checks)
    return _claim_result({c.status for c in cs}, cs, None)


def worst(statuses: Iterable[Status]) -> Status:
    """Worst of the given statuses, NOT_APPLICABLE ignored; nothing left → INDETERMINATE."""
    ranked = [s for s in statuses if s in _RANK]
    if not ranked:
        return Status.INDETERMINATE
    return max(ranked, key=lambda s: _RANK[s])


def overall_status(claims: Mapping[str, ClaimResult], *, brand_strict: bool = False,
                   evidence_strict: bool = False) -> Status:
    """The overall status rule of architecture §2 (:func:`worst` of the deciding claims)."""
    out, rank = Status.INDETERMINATE, 0
    deciding = (DECIDING_CLAIMS + ("brand",)) if brand_strict else DECIDING_CLAIMS
    for c in (deciding + ("evidence",)) if evidence_strict else deciding:
        cr = claims.get(c)
        if cr is not None and _RANK.get(cr.status, 0) > rank:
            out, rank = cr.status, _RANK[cr.status]
    return out


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
    direction: str = "caller"
    """``caller`` (the calling party's PASSporT) or ``callee`` (the answer's, architecture §2.2).
    The JSON names it only for ``callee``: a caller verdict's JSON is what it was before the field
    existed, so records written earlier reproduce byte for byte."""

    def to_json(self) -> dict[str, Any]:
        claims: dict[str, Any] = {}
        for name, cr in self.claims.items():
            claims[name] = {**cr.to_json(), **dict(self.claim_details.get(name, {}))}
        checks = [c.to_json() for c in self.checks]
        out: dict[str, Any]
        if self.direction == "caller":
            out = {"status": self.status.value, "reference_time": self.reference_time, "claims": claims,
                   "display": dict(self.display), "checks": checks}
        else:
            out = {"status": self.status.value, "direction": self.direction, "reference_time": self.reference_time,
                   "claims": claims, "display": dict(self.display), "checks": checks}
        out.update(self.extra)
        return out

    def json_without_checks(self) -> dict[str, Any]:
        """The members of :meth:`to_json` the verdict makes itself, less ``checks``: ``to_json()``
        is these, then ``checks`` (the array of each check's ``to_json()``), then ``extra``
        (tests/test_verdict.py compares them on every world scenario). Why apart: a recorder serialises the checks from their own cached bytes
        (:func:`vvp.record.verdict_json_parts`) and only these few members per call."""
        claims: dict[str, Any] = {}
        details = self.claim_details
        for name, cr in self.claims.items():
            d = details.get(name)
            claims[name] = {**cr.to_json(), **d} if d else cr.to_json()
        if self.direction == "caller":
            return {"status": self.status.value, "reference_time": self.reference_time, "claims": claims,
                    "display": dict(self.display)}
        return {"status": self.status.value, "direction": self.direction, "reference_time": self.reference_time,
                "claims": claims, "display": dict(self.display)}


@dataclass(frozen=True, slots=True, eq=False)
class CheckBlock:
    """Checks that go into many verdicts unchanged (a cached dossier result's, a cached
    authorization's), with what :func:`build_verdict` needs from them worked out once: their
    ids, (id, subject) keys and (claim, status) pairs. A verdict built from blocks is the
    verdict of the checks they hold, in order. Made with :meth:`of`."""

    checks: tuple[Check, ...]
    ids: frozenset[str]
    keys: frozenset[tuple[str, str | None]]
    pairs: frozenset[tuple[str, CheckStatus]]
    unique: bool
    """Whether (id, subject) is unique within the block."""

    @classmethod
    def of(cls, checks: Sequence[Check]) -> CheckBlock:
        cs = tuple(checks)
        keys = frozenset((c.id, c.subject) for c in cs)
        return cls(checks=cs, ids=frozenset(c.id for c in cs), keys=keys,
                   pairs=frozenset((c.claim, c.status) for c in cs), unique=len(keys) == len(cs))


def build_verdict(checks: Sequence[Check], *, reference_time: str, claims: Sequence[str] = ALL_CLAIMS,
                  brand_strict: bool = False, evidence_strict: bool = False,
                  display: Mapping[str, Any] | None = None,
                  extra: Mapping[str, Any] | None = None,
                  claim_details: Mapping[str, Mapping[str, Any]] | None = None,
                  direction: str = "caller") -> Verdict:
    """Assemble a verdict from checks: group by claim, derive statuses, apply the overall rule.

    Raises ValueError when (id, subject) repeats, which would make a verdict ambiguous.
    """
    return build_verdict_from((checks,), reference_time=reference_time, claims=claims, brand_strict=brand_strict,
                              evidence_strict=evidence_strict,
                              display=display, extra=extra, claim_details=claim_details, direction=direction)


def build_verdict_from(parts: Sequence[Sequence[Check] | CheckBlock], *, reference_time: str,
                       claims: Sequence[str] = ALL_CLAIMS, brand_strict: bool = False, evidence_strict: bool = False,
                       display: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None,
                       claim_details: Mapping[str, Mapping[str, Any]] | None = None,
                       direction: str = "caller") -> Verdict:
    """:func:`build_verdict` of the checks of ``parts`` in order (a part is a sequence of checks
    or a :class:`CheckBlock`): the same verdict, with each block's bookkeeping done once."""
    # A verdict holds about a hundred checks and is built on every call: set comprehensions
    # instead of per-check grouping, since a claim's status needs only the set of its checks'
    # statuses (and, when it is not VALID, their codes in check order); a block's share of that
    # was worked out when it was made.
    flat: list[Check] = []
    loose: list[Check] = []
    blocks: list[CheckBlock] = []
    for part in parts:
        if isinstance(part, CheckBlock):
            blocks.append(part)
            flat += part.checks
        else:
            flat += part
            loose += part
    cs = tuple(flat)
    joined = _joined(tuple(blocks))
    # (id, subject) must not repeat. Parts seldom share an id at all, which is quicker to show.
    loose_ids = {c.id for c in loose}
    if not (joined.unique and len(loose_ids) == len(loose) and joined.ids.isdisjoint(loose_ids)):
        loose_keys = {(c.id, c.subject) for c in loose}  # the exact test, on (id, subject)
        if not (joined.unique and len(loose_keys) == len(loose) and joined.keys.isdisjoint(loose_keys)):
            seen: set[tuple[str, str | None]] = set()  # find the first repeat, in check order
            for c in cs:
                key = (c.id, c.subject)
                if key in seen:
                    raise ValueError(f"duplicate check {c.id} for subject {c.subject}")
                seen.add(key)
    pairs = {(c.claim, c.status) for c in loose}
    pairs |= joined.pairs
    known = _claims_of(frozenset(pairs), claims if type(claims) is tuple else tuple(claims), brand_strict,
                       evidence_strict)
    if known is not None:  # every claim's result follows from its statuses alone (no codes to collect)
        results, status = dict(known[0]), known[1]
    else:
        results = _claim_results(pairs, cs, claims)
        status = overall_status(results, brand_strict=brand_strict, evidence_strict=evidence_strict)
    return Verdict(status=status, reference_time=reference_time, claims=results, checks=cs,
                   display=dict(display) if display is not None else {"brand": None},
                   extra=dict(extra) if extra else {}, claim_details=dict(claim_details) if claim_details else {},
                   direction=direction)


@dataclass(frozen=True, slots=True)
class _Joined:
    """What :func:`build_verdict_from` needs of a verdict's blocks together: the union of their
    ids, (id, subject) keys and (claim, status) pairs, and whether the keys are unique across
    all of them."""

    ids: frozenset[str]
    keys: frozenset[tuple[str, str | None]]
    pairs: frozenset[tuple[str, CheckStatus]]
    unique: bool


@functools.lru_cache(maxsize=1024)
def _joined(blocks: tuple[CheckBlock, ...]) -> _Joined:
    """:class:`_Joined` of ``blocks``. A verdict's blocks are cached results', the same objects
    call after call (a block hashes by identity), so this is worked out once per combination."""
    keys: frozenset[tuple[str, str | None]] = frozenset().union(*(b.keys for b in blocks))
    return _Joined(ids=frozenset().union(*(b.ids for b in blocks)), keys=keys,
                   pairs=frozenset().union(*(b.pairs for b in blocks)),
                   unique=all(b.unique for b in blocks) and len(keys) == sum(len(b.keys) for b in blocks))


def _claim_results(pairs: AbstractSet[tuple[str, CheckStatus]], cs: Sequence[Check],
                   claims: Sequence[str]) -> dict[str, ClaimResult]:
    """Each claim's result, given the (claim, status) pairs of the checks ``cs``: ``claims`` in
    order, then any other claim the checks name, in check order."""
    present: dict[str, set[CheckStatus]] = {name: set() for name in claims}
    extra_claims = False
    for claim, st in pairs:
        got = present.get(claim)
        if got is None:
            extra_claims = True
        else:
            got.add(st)
    if extra_claims:
        for c in cs:
            if c.claim not in present:
                present[c.claim] = set()
        for claim, st in pairs:
            present[claim].add(st)
    return {name: _VALID_CLAIM if sts == _ONLY_PASS else _claim_result(sts, cs, name) if sts else _NO_CHECKS_CLAIM
            for name, sts in present.items()}


@functools.lru_cache(maxsize=1024)
def _claims_of(pairs: frozenset[tuple[str, CheckStatus]], claims: tuple[str, ...], brand_strict: bool,
               evidence_strict: bool) -> tuple[tuple[tuple[str, ClaimResult], ...], Status] | None:
    """The claims' results and the overall status when they follow from the (claim, status)
    pairs alone: no claim beyond ``claims``, none INVALID or INDETERMINATE with codes to collect
    from the checks. Most calls of a caller share their pairs (all passing, the same warnings),
    so this is worked out once per distinct set (a pure function of values); None otherwise."""
    if any(claim not in claims or st is _FAIL or st is _INDET for claim, st in pairs):
        return None
    results = _claim_results(pairs, (), claims)
    return tuple(results.items()), overall_status(results, brand_strict=brand_strict, evidence_strict=evidence_strict)


MAX_SAFE_INTEGER = 2 ** 53 - 1
"""The largest integer a JSON number carries exactly (IEEE 754 doubles: RFC 8785, ECMAScript)."""


def json_safe(value: Any) -> Any:
    """``value`` (JSON taken from a token or an artifact, for a verdict's details) with every
    integer beyond ±:data:`MAX_SAFE_INTEGER` and every non-finite float replaced by its decimal
    text. Why: a verdict is recorded as RFC 8785 canonical JSON, whose numbers are doubles, so
    such a value cannot be written exactly (the record would fail, ``RECORD_WRITE_FAILED``) and a
    JSON client would read another number. Containers are copied; everything else is kept."""
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        try:
            return str(value)
        except ValueError:  # beyond Python's digit limit for int -> str
            return f"an integer of {value.bit_length()} bits"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
