"""The callee PASSporT itself: its value, its header and its claims (vvp-protocol.md §1.6, §8.2).

The token is parsed by the caller's strict JOSE parser and normalised by the caller's
:func:`vvp.caller.passport.passport_from_token` (``kid``, ``evd``, ``iat``, ``exp``, ``card``, ``goal``
read exactly as for a caller); its header is judged by the caller's own rules
(:func:`vvp.caller.passport.header_checks`: "same headers as the caller"). What differs is judged here,
each check under its requirement id, in the ``passport`` claim:

``CE-02``  the value is a compact JWT (a strict JWS) with the ``;type=vvp`` suffix; without the
           suffix it is accepted with a warning (a deviation, flagged), another ``type`` fails.
``CE-03``  ``kid`` is an OOBI URL naming an AID (P-05's rule; whether it serves that AID's KEL is
           added by the verifier once the key state is resolved).
``CE-04``  ``call-id`` (a non-empty string) and ``cseq`` (a sequence number: an integer, or
           ``"N"`` or ``"N METHOD"``) are present; their equality with the INVITE is VC-01.
``CE-05``  ``iat`` is present (a NumericDate).
``CE-06``  ``exp`` may be absent (no new timeout); when present it must be a NumericDate.
``CE-07``  ``evd`` is present (an http(s) URL; its content is the dossier claim's).
``CE-08``  claims a callee PASSporT does not define are ignored (listed, never failing); a
           malformed optional claim of the caller's vocabulary (``jti``...) is a warning.
``CE-09``  the header rules of the caller, P-01 to P-04 and no ``crit`` (X-PASSPORT-02), as one
           check whose message names the rule that failed.
``VC-03``  with ``exp``: ``exp`` after ``iat`` and after the reference time.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from vvp import codes
from vvp.jose import JoseError
from vvp.caller.passport import VvpPassport, header_checks, parse_vvp_passport, seconds_text
from vvp.verdict import Check, CheckStatus, failed, indeterminate, not_applicable, passed, warned

CLAIM: Final = "passport"
TYPE_VVP: Final = "vvp"
MAX_CALL_ID_CHARS: Final = 1024
MAX_CSEQ: Final = 2**31 - 1  # RFC 3261 §8.1.1.5: less than 2**31

# Claims a callee PASSporT may carry (§1.6), and the caller's optional ones it may reuse.
KNOWN_CLAIMS: Final = frozenset({"call-id", "cseq", "iat", "exp", "evd", "card", "goal", "call-reason", "call_reason",
                                 "jti", "origId", "origid"})
_CSEQ_RE: Final = re.compile(r"\A\s*([0-9]{1,10})(?:\s+([A-Za-z]+))?\s*\Z")
_PARAM_RE: Final = re.compile(r"\A\s*([A-Za-z0-9_.\-]+)\s*=\s*([^;\s]*)\s*\Z")


@dataclass(frozen=True, slots=True)
class Cseq:
    """A CSeq as a number and (when given) a method, upper-case."""

    number: int
    method: str | None

    def __str__(self) -> str:
        return f"{self.number} {self.method}" if self.method else str(self.number)


def parse_cseq(v: Any) -> Cseq | None:
    """A ``cseq`` claim or CSeq header value: an integer, or ``"N"``, or ``"N METHOD"``; None when
    it is none of these (booleans and out-of-range numbers included)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return Cseq(v, None) if 0 <= v <= MAX_CSEQ else None
    if not isinstance(v, str):
        return None
    m = _CSEQ_RE.match(v)
    if m is None or int(m.group(1)) > MAX_CSEQ:
        return None
    return Cseq(int(m.group(1)), m.group(2).upper() if m.group(2) else None)


@dataclass(frozen=True, slots=True)
class CalleeValue:
    """The attribute value split: the token and its parameters (``;type=vvp``)."""

    token: str
    type_param: str | None
    other_params: tuple[str, ...]
    param_error: str | None


def split_value(value: str) -> CalleeValue:
    """``<jwt>;type=vvp`` (or the JWT alone) → token and parameters; never raises."""
    token, _, rest = value.strip().partition(";")
    type_param: str | None = None
    others: list[str] = []
    error: str | None = None
    if rest:
        for piece in rest.split(";"):
            m = _PARAM_RE.match(piece)
            if m is None:
                error = f"parameter {piece.strip()[:40]!r} is not name=value"
                break
            name, val = m.group(1).lower(), m.group(2)
            if name == "type":
                if type_param is not None:
                    error = "the type parameter appears twice"
                    break
                type_param = val
            else:
                others.append(name)
    return CalleeValue(token.strip(), type_param, tuple(others), error)


@dataclass(frozen=True, slots=True)
class CalleeClaims:
    """The parsed callee PASSporT (None when the token is not a strict JWS) and the checks above,
    by id; ``call_id``/``cseq`` are the claims' values when well-formed."""

    passport: VvpPassport | None
    checks: Mapping[str, Check]
    call_id: str | None
    cseq: Cseq | None


def _ce02(v: CalleeValue) -> Check:
    if v.param_error is not None:
        return failed("CE-02", CLAIM, codes.CALLEE_TYPE_PARAM_INVALID, v.param_error)
    if v.type_param is None:
        return warned("CE-02", CLAIM, codes.CALLEE_TYPE_PARAM_MISSING,
                      "a compact JWT without the ;type=vvp suffix (accepted, flagged)")
    if v.type_param.lower() != TYPE_VVP:
        return failed("CE-02", CLAIM, codes.CALLEE_TYPE_PARAM_INVALID,
                      f"the value carries ;type={v.type_param[:40]}, not vvp")
    extra = f" (other parameters ignored: {', '.join(v.other_params[:5])})" if v.other_params else ""
    return passed("CE-02", CLAIM, f"a compact JWT with ;type=vvp{extra}")


_WORST = {CheckStatus.FAIL: 4, CheckStatus.INDETERMINATE: 3, CheckStatus.WARN: 2, CheckStatus.PASS: 1,
          CheckStatus.NOT_APPLICABLE: 0}
_HEADER_IDS: Final = ("P-01", "P-02", "P-03", "P-04", "X-PASSPORT-02")


def _ce09(header: tuple[Check, ...], subject: str | None) -> Check:
    """The caller's header rules as one check: the worst of them, naming the rules that did not pass."""
    parts = [c for c in header if c.id in _HEADER_IDS]
    worst = max((c.status for c in parts), key=lambda st: _WORST[st], default=CheckStatus.PASS)
    if worst is CheckStatus.PASS:
        x5u = " (x5u present and ignored: only the kid key state counts)" if any(c.id == "P-24" for c in header) \
            else ""
        return passed("CE-09", CLAIM, f"the caller's header rules hold: alg EdDSA, typ passport, ppt vvp, no crit{x5u}",
                      subject)
    bad = [c for c in parts if c.status is worst]
    msg = "; ".join(f"{c.id}: {c.message}" for c in bad)
    mk = {CheckStatus.FAIL: failed, CheckStatus.INDETERMINATE: indeterminate, CheckStatus.WARN: warned}[worst]
    return mk("CE-09", CLAIM, bad[0].code, msg, subject)


def _unknown_claims(p: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in p if k not in KNOWN_CLAIMS)


def check_claims(value: str, *, reference_time: _dt.datetime, allow_legacy_typ: bool = False) -> CalleeClaims:
    """Parse one callee PASSporT value and make the checks of the module docstring. Never raises."""
    v = split_value(value)
    ce02 = _ce02(v)
    try:
        passport = parse_vvp_passport(v.token)
    except JoseError as ex:
        return CalleeClaims(None, {"CE-02": failed("CE-02", CLAIM, ex.code, f"not a compact JWT: {ex.message}")},
                            None, None)
    subj = passport.kid_aid
    out: dict[str, Check] = {"CE-02": ce02}
    header = header_checks(passport, allow_legacy_typ=allow_legacy_typ, subject=subj)
    p05 = next(c for c in header if c.id == "P-05")
    out["CE-03"] = (passed("CE-03", CLAIM, f"kid is an OOBI URL for AID {passport.kid_aid}", subj)
                    if p05.status is CheckStatus.PASS else failed("CE-03", CLAIM, p05.code, p05.message, subj))
    p = passport.payload
    call_id_raw, cseq_raw = p.get("call-id"), p.get("cseq")
    call_id = call_id_raw if isinstance(call_id_raw, str) and call_id_raw.strip() and \
        len(call_id_raw) <= MAX_CALL_ID_CHARS else None
    cseq = parse_cseq(cseq_raw)
    if call_id is None:
        out["CE-04"] = failed("CE-04", CLAIM, codes.CALLEE_CALL_ID_INVALID,
                              "the call-id claim is missing" if call_id_raw is None
                              else f"call-id is not a non-empty string: {str(call_id_raw)[:60]!r}", subj)
    elif cseq is None:
        out["CE-04"] = failed("CE-04", CLAIM, codes.CALLEE_CSEQ_INVALID,
                              "the cseq claim is missing" if cseq_raw is None
                              else f"cseq is not a sequence number: {str(cseq_raw)[:60]!r}", subj)
    else:
        out["CE-04"] = passed("CE-04", CLAIM, f"call-id and cseq ({cseq}) are present", subj)
    iat, exp = passport.iat, passport.exp
    out["CE-05"] = passed("CE-05", CLAIM, f"iat is {iat}", subj) if iat is not None else failed(
        "CE-05", CLAIM, codes.PASSPORT_IAT_INVALID, "the iat claim is missing" if p.get("iat") is None
        else f"iat is not a NumericDate: {str(p.get('iat'))[:40]!r}", subj)
    if p.get("exp") is None:
        out["CE-06"] = passed("CE-06", CLAIM, "no exp: the callee imposes no new timeout", subj)
        out["VC-03"] = not_applicable("VC-03", CLAIM, codes.CALLEE_NO_EXP, "no exp, so no timeout to evaluate", subj)
    elif exp is None:
        out["CE-06"] = failed("CE-06", CLAIM, codes.PASSPORT_EXP_INVALID,
                              f"exp is present but not a NumericDate: {str(p.get('exp'))[:40]!r}", subj)
        out["VC-03"] = not_applicable("VC-03", CLAIM, codes.PASSPORT_PREREQUISITE_FAILED, "needs a valid exp", subj)
    else:
        out["CE-06"] = passed("CE-06", CLAIM, f"exp is {exp} (judged by VC-03)", subj)
        ref = reference_time.timestamp()
        if iat is not None and not exp > iat:
            out["VC-03"] = failed("VC-03", CLAIM, codes.PASSPORT_EXP_NOT_AFTER_IAT, f"exp {exp} is not after iat {iat}",
                                  subj)
        elif not exp > ref:
            out["VC-03"] = failed("VC-03", CLAIM, codes.PASSPORT_EXPIRED,
                                  f"expired {seconds_text(ref - exp)} before the reference time", subj)
        else:
            out["VC-03"] = passed("VC-03", CLAIM, f"exp is {seconds_text(exp - ref)} after the reference time", subj)
    out["CE-07"] = passed("CE-07", CLAIM, "evd is an http(s) URL (its content is judged in the dossier claim)", subj) \
        if passport.evd is not None else failed(
        "CE-07", CLAIM, codes.PASSPORT_EVD_INVALID, "the evd claim is missing" if p.get("evd") is None
        else f"evd is not an http(s) URL: {str(p.get('evd'))[:120]!r}", subj)
    unknown = _unknown_claims(p)
    ignored = f"claims a callee PASSporT does not define are ignored: {', '.join(u[:40] for u in unknown[:8])}" \
        if unknown else "no claims beyond the callee PASSporT's"
    optional = [f[1] for f in passport._findings.optional if not f[1].startswith("goal")]
    out["CE-08"] = warned("CE-08", CLAIM, codes.PASSPORT_CLAIM_INVALID, f"{ignored}; {'; '.join(optional)}", subj) \
        if optional else passed("CE-08", CLAIM, ignored, subj)
    out["CE-09"] = _ce09(header, subj)
    return CalleeClaims(passport, out, call_id, cseq)
