"""The callee's ``context`` claim: does this answer belong to *this* call? (VC-01, VC-02)

A callee PASSporT carries no ``orig``/``dest``: it binds itself to the dialog through ``call-id``
and ``cseq``, which must equal the INVITE's Call-ID and CSeq (vvp-protocol.md §1.6, §4.2 step 1).
The INVITE's identifiers come from ``--call-id``/``--cseq`` when given, else from the raw INVITE;
the called number (for VC-07) from ``--dest``, else the INVITE's To and Request-URI.

``VC-01``        ``call-id`` equals the INVITE's Call-ID (byte for byte, RFC 3261 §20.8) and
                 ``cseq``'s number equals the INVITE's CSeq number (and its method, when the claim
                 names one).
``VC-02``        ``iat`` is within ``callee_iat_tolerance_s`` before the reference time (when the
                 answer was received) and at most ``clock_skew_s`` after it: the callee signs from
                 its own clock while it answers.
``X-CALLEE-01``  the INVITE (and the ``--cseq``/``--dest`` given) could be read.
``X-CALLEE-02``  a SIP response given with the INVITE answers it: same Call-ID and CSeq.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Final

from vvp import codes
from vvp.callee.claims import Cseq, parse_cseq
from vvp.callee.sdp import SipResponse
from vvp.errors import VvpError
from vvp.jose import JoseError
from vvp.caller.passport import parse_vvp_passport, seconds_text
from vvp.stir.identity import PptKind, route_identities
from vvp.stir.sip import SipError, SipRequest, parse_sip
from vvp.tn import display_tn, try_normalize_tn
from vvp.verdict import Check, failed, indeterminate, not_applicable, passed

CLAIM: Final = "context"


@dataclass(frozen=True, slots=True)
class InviteContext:
    """What is known about the call being answered. ``tns`` are the called-number candidates as
    (canonical TN, where from), first choice first; ``caller_goal`` the caller's declared goal and
    where it came from; ``checks`` the X-CALLEE-01 findings about the inputs."""

    call_id: str | None
    cseq: Cseq | None
    tns: tuple[tuple[str, str], ...]
    caller_goal: str | None
    caller_goal_source: str | None
    invite: SipRequest | None
    checks: tuple[Check, ...]


def _goal_of_invite(sip: SipRequest) -> str | None:
    """The ``goal`` claim of the first VVP PASSporT in the INVITE (read, not verified: the caller's
    own verification judges it; here it is only the caller's declared goal for VC-09)."""
    routed = [r for r in route_identities(list(sip.identities)).routed if r.kind is PptKind.VVP]
    if not routed:
        return None
    try:
        return parse_vvp_passport(routed[0].value.token).goal
    except (JoseError, VvpError):
        return None


def invite_context(*, invite: bytes | None, call_id: str | None, cseq: str | None, dest: str | None,
                   caller_goal: str | None) -> InviteContext:
    """The call's identifiers from the explicit values and the raw INVITE. Never raises: what
    cannot be read is an X-CALLEE-01 check (INDETERMINATE) and is left unknown."""
    problems: list[Check] = []
    sip: SipRequest | None = None
    if invite is not None:
        try:
            sip = parse_sip(invite)
        except SipError as ex:
            problems.append(indeterminate("X-CALLEE-01", CLAIM, ex.code, f"the INVITE: {ex.message}"))
        else:
            if sip.method != "INVITE":
                problems.append(indeterminate("X-CALLEE-01", CLAIM, codes.CALLEE_CONTEXT_INVALID,
                                              f"the request given as the INVITE is a {sip.method[:20]}"))
    the_call_id = call_id if call_id is not None else (sip.call_id if sip is not None else None)
    cseq_text = cseq if cseq is not None else (sip.cseq if sip is not None else None)
    the_cseq = parse_cseq(cseq_text) if cseq_text is not None else None
    if cseq_text is not None and the_cseq is None and not problems:
        problems.append(indeterminate("X-CALLEE-01", CLAIM, codes.CALLEE_CONTEXT_INVALID,
                                      f"the INVITE's CSeq is not a sequence number: {cseq_text[:60]!r}"))
    tns: list[tuple[str, str]] = []
    if dest is not None:
        tn = try_normalize_tn(dest)
        if tn is None and not problems:
            problems.append(indeterminate("X-CALLEE-01", CLAIM, codes.CONTEXT_TN_INVALID,
                                          f"--dest is not a telephone number: {dest[:40]!r}"))
        elif tn is not None:
            tns.append((tn, "--dest"))
    elif sip is not None:
        for tn_, src in ((sip.to_tn, "the INVITE's To"), (sip.ruri_tn, "the INVITE's Request-URI")):
            if tn_ is not None and tn_ not in [t for t, _ in tns]:
                tns.append((tn_, src))
    goal, source = caller_goal, "--caller-goal" if caller_goal is not None else None
    if goal is None and sip is not None:
        goal = _goal_of_invite(sip)
        source = "the INVITE's VVP PASSporT" if goal is not None else None
    if not problems and invite is not None:
        problems.append(passed("X-CALLEE-01", CLAIM, "the INVITE was read"))
    return InviteContext(the_call_id, the_cseq, tuple(tns), goal, source, sip, tuple(problems))


def check_binding(ctx: InviteContext, *, claim_call_id: str | None, claim_cseq: Cseq | None,
                  response: SipResponse | None, subject: str | None = None) -> list[Check]:
    """X-CALLEE-02 (with a response) and VC-01."""
    out: list[Check] = []
    if response is not None:
        if ctx.call_id is None or ctx.cseq is None:
            out.append(not_applicable("X-CALLEE-02", CLAIM, codes.CALLEE_CONTEXT_MISSING,
                                      "no INVITE Call-ID and CSeq to compare the response with"))
        else:
            r_cseq = parse_cseq(response.cseq) if response.cseq is not None else None
            if response.call_id != ctx.call_id or r_cseq is None or r_cseq.number != ctx.cseq.number:
                out.append(failed("X-CALLEE-02", CLAIM, codes.CALLEE_RESPONSE_NOT_FOR_INVITE,
                                  f"the response's Call-ID {str(response.call_id)[:80]!r} / CSeq "
                                  f"{str(response.cseq)[:40]!r} are not the INVITE's"))
            else:
                out.append(passed("X-CALLEE-02", CLAIM, f"the {response.status} response answers the INVITE "
                                  "(same Call-ID and CSeq)"))
    if claim_call_id is None or claim_cseq is None:
        out.append(not_applicable("VC-01", CLAIM, codes.PASSPORT_PREREQUISITE_FAILED,
                                  "not compared: the PASSporT has no usable call-id and cseq (CE-04)", subject))
    elif ctx.call_id is None or ctx.cseq is None:
        out.append(indeterminate("VC-01", CLAIM, codes.CALLEE_CONTEXT_MISSING,
                                 "the INVITE's Call-ID and CSeq are not known (--invite, or --call-id and --cseq)",
                                 subject))
    elif claim_call_id != ctx.call_id:
        out.append(failed("VC-01", CLAIM, codes.CALLEE_CALL_ID_MISMATCH,
                          f"call-id {claim_call_id[:80]!r} is not the INVITE's Call-ID {ctx.call_id[:80]!r}", subject))
    elif claim_cseq.number != ctx.cseq.number or (claim_cseq.method is not None and ctx.cseq.method is not None
                                                   and claim_cseq.method != ctx.cseq.method):
        out.append(failed("VC-01", CLAIM, codes.CALLEE_CSEQ_MISMATCH,
                          f"cseq {claim_cseq} is not the INVITE's CSeq {ctx.cseq}", subject))
    else:
        out.append(passed("VC-01", CLAIM, f"call-id and cseq {claim_cseq} equal the INVITE's", subject))
    return out


def check_iat(iat: float | None, *, reference_time: _dt.datetime, tolerance_s: float, clock_skew_s: float,
              subject: str | None = None) -> Check:
    """VC-02 (module docstring)."""
    if iat is None:
        return not_applicable("VC-02", CLAIM, codes.PASSPORT_PREREQUISITE_FAILED, "needs a valid iat (CE-05)", subject)
    age = reference_time.timestamp() - iat
    if age > tolerance_s:
        return failed("VC-02", CLAIM, codes.CALLEE_IAT_TOO_OLD,
                      f"iat is {seconds_text(age)} before the reference time; callee_iat_tolerance_s "
                      f"{seconds_text(tolerance_s)}", subject)
    if -age > clock_skew_s:
        return failed("VC-02", CLAIM, codes.CALLEE_IAT_IN_FUTURE,
                      f"iat is {seconds_text(-age)} after the reference time; clock skew allowed "
                      f"{seconds_text(clock_skew_s)}", subject)
    when = f"{seconds_text(age)} old" if age >= 0 else f"{seconds_text(-age)} in the future"
    return passed("VC-02", CLAIM, f"iat is within tolerance of the reference time ({when})", subject)


def shown_tns(tns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{display_tn(t)} ({s})" for t, s in tns)
