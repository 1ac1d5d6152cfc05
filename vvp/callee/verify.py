"""One answer, verified: the callee algorithm of vvp-protocol.md §4.2 over the callee modules.

Architecture §2.2: the caller algorithm with the callee's differences. This function does no I/O
of its own and reads no trust store: the verifier (:meth:`vvp.verifier.Verifier.verify_callee`)
hands it the policy slice and two callbacks, ``key_state(kid, aid)`` (the AID's key state at the
reference time, through its KEL cache) and ``dossier(evd)`` (the dossier proven at the reference
time, through its dossier cache), so the callee shares every cache and every recording rule of
the caller. It never raises for bad input or bad evidence: each problem is a check.

Checks, in the order of the protocol's lists (§8.2, then §8.4), each named by its requirement id:

``CE-01``  where the PASSporT came from: exactly one ``a=callee-passport`` in the SDP of a 180-199
           or 2xx response (none: INDETERMINATE; two or more: INVALID; media-level: warning);
           not applicable for a value given alone.
``CE-02`` .. ``CE-09``, ``VC-03``  the PASSporT's form, header and claims (:mod:`vvp.callee.claims`);
           CE-03 also says whether the ``kid`` OOBI served a verified KEL for that AID (P-06).
``X-CALLEE-01``, ``X-CALLEE-02``, ``VC-01``, ``VC-02``  the call it answers (:mod:`vvp.callee.context`).
``VC-04``  the callee's key state at the reference time (single-sig, P-07) and the signature with
           its key (the caller's V-06 under this id).
dossier checks, then ``VC-05`` .. ``VC-09``  (:mod:`vvp.callee.bindings`).

The verdict has ``direction: "callee"`` and the claims ``passport``, ``context``, ``dossier``,
``authorization``, ``tn_rights``, ``brand``, ``business`` (no ``shaken``: a response carries none).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from vvp import clock, codes
from vvp._keri.kel import verify_signature
from vvp.caller.authorization import AuthPolicy
from vvp.callee.bindings import Bindings, CalleeFacts, check_bindings
from vvp.callee.claims import CalleeClaims, check_claims
from vvp.callee.context import check_binding, check_iat, invite_context
from vvp.callee.inputs import CalleeInput
from vvp.callee.sdp import ResponseError, SipResponse, parse_response
from vvp.dossier import DossierResult
from vvp.keystate import KelResult
from vvp.caller.passport import VvpPassport, check_signature
from vvp.verdict import (
    Check,
    CheckBlock,
    Status,
    Verdict,
    build_verdict_from,
    failed,
    indeterminate,
    not_applicable,
    passed,
    warned,
)

CLAIMS: Final = ("passport", "context", "dossier", "authorization", "tn_rights", "brand", "business")
DIRECTION: Final = "callee"
_VERDICT_BLOCK: Final = "verdict block"  # the DossierResult.derived key of its checks (shared with the caller)

KeyStateFn = Callable[[str, str], KelResult]
"""``key_state(kid URL, AID)``: the AID's key state at the reference time (never raises)."""
DossierFn = Callable[[str], DossierResult]
"""``dossier(evd URL)``: the dossier proven at the reference time (never raises)."""


@dataclass(frozen=True, slots=True)
class CalleePolicy:
    """The policy values the callee checks use (a slice of the trust store's, made by the verifier)."""

    callee_iat_tolerance_s: float = 30
    clock_skew_s: float = 5
    allow_legacy_typ: bool = False
    brand_strict: bool = False
    auth: AuthPolicy = AuthPolicy()


def _relabel(c: Check, cid: str) -> Check:
    return Check(cid, c.claim, c.status, c.code, c.message, c.subject)


def _source(call: CalleeInput) -> tuple[str | None, Check, SipResponse | None]:
    """CE-01: the value to verify, where it came from, and the response it came in."""
    if call.response is not None:
        try:
            resp = parse_response(call.response)
        except ResponseError as ex:
            return None, indeterminate("CE-01", "passport", ex.code, f"the SIP response: {ex.message}"), None
        if not (180 <= resp.status <= 199 or 200 <= resp.status <= 299):
            return None, indeterminate("CE-01", "passport", codes.CALLEE_RESPONSE_STATUS,
                                       f"a {resp.status} response carries no callee PASSporT (only 180-199 and 2xx "
                                       "do)"), resp
        attrs = resp.attributes
        if not attrs:
            return None, indeterminate("CE-01", "passport", codes.CALLEE_PASSPORT_MISSING,
                                       f"the {resp.status} response's SDP has no a=callee-passport attribute: "
                                       "no callee assurance"), resp
        if len(attrs) > 1:
            where = ", ".join(a.where for a in attrs[:5])
            return None, failed("CE-01", "passport", codes.CALLEE_PASSPORT_MULTIPLE,
                                f"the SDP has {len(attrs)} a=callee-passport attributes ({where}): none is "
                                "trusted"), resp
        a = attrs[0]
        if a.level:
            return a.value, warned("CE-01", "passport", codes.CALLEE_PASSPORT_MEDIA_LEVEL,
                                   f"a=callee-passport is {a.where}; it is a session-level attribute"), resp
        return a.value, passed("CE-01", "passport", f"one a=callee-passport at session level in the {resp.status} "
                               "response's SDP"), resp
    if call.callee is not None:
        return call.callee, not_applicable("CE-01", "passport", codes.CALLEE_NOT_FROM_RESPONSE,
                                           "the callee PASSporT was given alone, not read from a SIP response"), None
    return None, indeterminate("CE-01", "passport", codes.CALLEE_PASSPORT_MISSING,
                               "no callee PASSporT was given (--callee, or --sip with a response)"), None


@functools.lru_cache(maxsize=1024)
def _kel_pass(subj: str | None, aid: str | None, sn: int, est_sn: int) -> Check:
    """CE-03 passing for one signer's key state: the same check call after call (immutable)."""
    return passed("CE-03", "passport", f"kid is an OOBI URL for AID {aid}, serving its verified KEL (sn {sn}, "
                  f"establishment sn {est_sn})", subj)


def _key_state_checks(passport: VvpPassport, kel: KelResult) -> tuple[Check, Check]:
    """CE-03 (completed with the KEL) and VC-04."""
    subj = passport.kid_aid
    if kel.status is Status.VALID and kel.state is not None:
        st = kel.state
        ce03 = _kel_pass(subj, passport.kid_aid, st.sn, st.est_sn)
        if not st.single_sig:
            return ce03, failed("VC-04", "passport", codes.KID_NOT_SINGLE_SIG,
                                f"the callee has {len(st.keys)} keys, threshold {st.kt!r}: not single-sig", subj)
        if len(passport.signature) != 64 and passport.alg == "EdDSA":
            return ce03, failed("VC-04", "passport", codes.PASSPORT_SIGNATURE_ENCODING,
                                f"the signature is {len(passport.signature)} bytes; an Ed25519 signature is 64", subj)
        key = st.keys[0]
        sig = check_signature(passport, functools.partial(verify_signature, key), subject=subj,
                              key_description=f"the callee's key {key} at the reference time (establishment sn "
                                              f"{st.est_sn})")
        return ce03, _relabel(sig, "VC-04")
    code = kel.codes[0] if kel.codes else codes.INTERNAL_ERROR
    why = "; ".join(kel.messages) or code
    mk = failed if kel.status is Status.INVALID else indeterminate
    return (mk("CE-03", "passport", code, f"the kid OOBI: {why}", subj),
            mk("VC-04", "passport", code, f"no key state at the reference time, so no signature check: {why}", subj))


def verify_callee(call: CalleeInput, *, policy: CalleePolicy, key_state: KeyStateFn, dossier: DossierFn) -> Verdict:
    """Verify one callee PASSporT (module docstring). Never raises for bad input or evidence."""
    ref = call.reference_time
    value, ce01, response = _source(call)
    claims: CalleeClaims | None = check_claims(value, reference_time=ref, allow_legacy_typ=policy.allow_legacy_typ) \
        if value is not None else None
    passport = claims.passport if claims is not None else None
    by_id = dict(claims.checks) if claims is not None else {}
    subj = passport.kid_aid if passport is not None else None
    ctx = invite_context(invite=call.invite, call_id=call.call_id, cseq=call.cseq, dest=call.dest,
                         caller_goal=call.caller_goal)
    vc04: Check | None = None
    if passport is not None:
        if passport.kid is not None and passport.kid_aid is not None:
            by_id["CE-03"], vc04 = _key_state_checks(passport, key_state(passport.kid, passport.kid_aid))
        else:
            vc04 = not_applicable("VC-04", "passport", codes.PASSPORT_PREREQUISITE_FAILED,
                                  "not checked: the kid names no AID (CE-03)", subj)
    parts: list[Sequence[Check] | CheckBlock] = [
        [ce01] + [by_id[k] for k in ("CE-02", "CE-03", "CE-04", "CE-05", "CE-06", "CE-07", "CE-08", "CE-09")
                  if k in by_id],
        ctx.checks,
        check_binding(ctx, claim_call_id=claims.call_id if claims else None, claim_cseq=claims.cseq if claims else None,
                      response=response, subject=subj),
        [check_iat(passport.iat if passport is not None else None, reference_time=ref,
                   tolerance_s=policy.callee_iat_tolerance_s, clock_skew_s=policy.clock_skew_s, subject=subj)],
        [c for c in (by_id.get("VC-03"), vc04) if c is not None],
    ]
    dres: DossierResult | None = None
    if passport is not None and passport.evd is not None:
        dres = dossier(passport.evd)
        d = dres
        parts.append(d.derived(_VERDICT_BLOCK, lambda: CheckBlock.of(d.checks)))
    else:
        parts.append((indeterminate("X-DOSSIER-00", "dossier", codes.DOSSIER_NOT_CITED,
                                    "no usable callee PASSporT cites a dossier"),))
    facts = CalleeFacts(callee=subj, tns=ctx.tns, card=passport.payload.get("card") if passport is not None else None,
                        goal=passport.payload.get("goal") if passport is not None else None,
                        caller_goal=ctx.caller_goal, caller_goal_source=ctx.caller_goal_source)
    b: Bindings = check_bindings(dres, facts, reference_time=ref, policy=policy.auth)
    parts.append(b.checks)
    details: dict[str, dict[str, Any]] = {"authorization": dict(b.detail)}
    if dres is not None and dres.said is not None:
        details["dossier"] = {"said": dres.said}
    return build_verdict_from(parts, reference_time=clock.rfc3339(ref), claims=CLAIMS,
                              brand_strict=policy.brand_strict,
                              display={"brand": dict(b.display_brand) if b.display_brand else None},
                              claim_details=details, direction=DIRECTION)
