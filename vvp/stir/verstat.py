"""verstat and the SIP response code of a SHAKEN verification (3GPP TS 24.229, ATIS-1000074 §5.3.2).

The SHAKEN checks (:mod:`vvp.stir.shaken`) are emitted in verification order, each with a check
id naming its step. This module turns them into the three things a terminating network acts on:

* ``verstat``: ``TN-Validation-Passed`` when the chain, the TNAuthList and the signature passed
  and nothing failed; ``TN-Validation-Failed`` when a *cryptographic or certificate* step failed
  (path, fitness for signing, TNAuthList, orig in its scope, signature, revocation);
  ``No-TN-Validation`` otherwise (no usable Identity header, a malformed or stale PASSporT, an
  x5u that cannot be obtained, evidence that could not be checked). This is vermouth's reading
  of ATIS-1000074 (Failed for its E17/E18, No-TN-Validation for the rest), extended with one
  rule: because vvp runs every check it can rather than stopping at the first, a certificate or
  signature failure decides the verstat even when a claim was also malformed. A forged or
  uncertified token is the more important news (libstirshaken's reference PASSporT has both).
* the SIP code and reason phrase of the deciding check (:data:`SIP_REASONS`), ``None`` when passed.

Non-standard carrier values (``TN-Validation-Passed-B`` …) are understood on input by
:func:`parse_verstat` and never emitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from vvp import codes
from vvp.verdict import Check, CheckStatus


class Verstat(StrEnum):
    PASSED = "TN-Validation-Passed"
    FAILED = "TN-Validation-Failed"
    NO_VALIDATION = "No-TN-Validation"


SIP_REASONS: Final[Mapping[int, str]] = {
    403: "Stale Date",
    428: "Use Identity Header",
    436: "Bad Identity Info",
    437: "Unsupported Credential",
    438: "Invalid Identity Header",
}

# Check id → SIP code of its step (docs/shaken.md lists the steps).
STEP_SIP_CODES: Final[Mapping[str, int]] = {
    "X-SHAKEN-01": 438,  # Identity value grammar
    "X-SHAKEN-02": 436,  # info parameter
    "X-SHAKEN-03": 438,  # strict JWS, full form
    "X-SHAKEN-04": 437,  # alg ES256
    "X-SHAKEN-05": 437,  # typ passport
    "X-SHAKEN-06": 438,  # ppt shaken
    "X-SHAKEN-07": 436,  # x5u equals info
    "X-SHAKEN-08": 438,  # no crit
    "X-SHAKEN-09": 438,  # attest
    "X-SHAKEN-10": 438,  # orig
    "X-SHAKEN-11": 438,  # dest
    "X-SHAKEN-12": 438,  # iat
    "X-SHAKEN-13": 438,  # origid
    "X-SHAKEN-14": 403,  # iat freshness
    "X-SHAKEN-15": 438,  # orig vs SIP context
    "X-SHAKEN-16": 438,  # dest vs SIP context
    "X-SHAKEN-17": 436,  # x5u obtained and readable
    "X-SHAKEN-18": 437,  # path to an STI-PA anchor at the reference time
    "X-SHAKEN-19": 437,  # end entity fit for ES256 signing
    "X-SHAKEN-20": 437,  # TNAuthList
    "X-SHAKEN-21": 438,  # orig within the TNAuthList
    "X-SHAKEN-22": 438,  # ES256 signature
    "X-SHAKEN-23": 437,  # revocation
    "X-SHAKEN-24": 438,  # VVP and SHAKEN orig agree
    "X-SHAKEN-25": 438,  # VVP and SHAKEN dest agree
}
# Codes whose SIP code differs from their step's (a missing header field is "Bad Identity Info").
CODE_SIP_CODES: Final[Mapping[str, int]] = {
    codes.SHAKEN_HEADER_FIELD_MISSING: 436,
    codes.SHAKEN_INFO_MISSING: 436,
}
# Steps whose failure means "verification was attempted and the certificate or signature failed".
CRYPTO_STEPS: Final = frozenset({"X-SHAKEN-18", "X-SHAKEN-19", "X-SHAKEN-20", "X-SHAKEN-21", "X-SHAKEN-22",
                                 "X-SHAKEN-23"})
# Steps that must pass for TN-Validation-Passed (zero checks is never a pass).
REQUIRED_FOR_PASS: Final = frozenset({"X-SHAKEN-18", "X-SHAKEN-20", "X-SHAKEN-22"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """verstat, the SIP code and reason (``None`` when passed), and the check that decided them."""

    verstat: Verstat
    sip_code: int | None
    reason: str | None
    deciding: Check | None = None


def sip_code_of(check: Check) -> int:
    return CODE_SIP_CODES.get(check.code, STEP_SIP_CODES.get(check.id, 438))


def _with(verstat: Verstat, check: Check) -> Outcome:
    code = sip_code_of(check)
    return Outcome(verstat, code, SIP_REASONS[code], check)


def outcome(checks: Iterable[Check]) -> Outcome:
    """The verstat of a list of SHAKEN checks in verification order (module docstring)."""
    cs = [c for c in checks if c.id in STEP_SIP_CODES]
    for c in cs:
        if c.status is CheckStatus.FAIL and c.id in CRYPTO_STEPS:
            return _with(Verstat.FAILED, c)
    for c in cs:
        if c.status in (CheckStatus.FAIL, CheckStatus.INDETERMINATE):
            return _with(Verstat.NO_VALIDATION, c)
    passed = {c.id for c in cs if c.status is CheckStatus.PASS}
    if REQUIRED_FOR_PASS <= passed:
        return Outcome(Verstat.PASSED, None, None)
    missing = sorted(REQUIRED_FOR_PASS - passed)
    first = next((c for c in cs if c.id in missing), None)
    if first is not None:
        return Outcome(Verstat.NO_VALIDATION, sip_code_of(first), SIP_REASONS[sip_code_of(first)], first)
    return Outcome(Verstat.NO_VALIDATION, 437, SIP_REASONS[437])


def no_identity_outcome(*, required: bool = False) -> Outcome:
    """No usable SHAKEN Identity header: No-TN-Validation, with 428 only when policy requires one
    (ATIS-1000074 advises against 428 for SHAKEN while signing is not mandated)."""
    if required:
        return Outcome(Verstat.NO_VALIDATION, 428, SIP_REASONS[428])
    return Outcome(Verstat.NO_VALIDATION, None, None)


def parse_verstat(value: str) -> Verstat | None:
    """Read a verstat from outside (a P-Asserted-Identity parameter, an upstream answer).

    Carrier variants such as ``TN-Validation-Passed-B`` are read as their base value; anything
    else unknown is ``None``. Case-insensitive, as SIP URI parameters are.
    """
    v = value.strip().lower()
    for s in Verstat:
        base = s.value.lower()
        if v == base or (v.startswith(base + "-") and len(v) <= len(base) + 3):
            return s
    return None
