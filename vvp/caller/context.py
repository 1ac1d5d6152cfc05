"""The ``context`` claim: does the PASSporT belong to *this* call? (V-04, architecture §2)

A PASSporT signed for one call can be replayed on another inside its validity window; what stops
that is comparing what it signed (``orig``, ``dest``, ``iat``) with the call it arrived on. The
context comes from ``--orig``/``--dest`` (or the HTTP API's from/to), from a raw SIP request, or
both; every TN is compared after normalisation (:mod:`vvp.tn`).

Checks (one per question, so a verdict says exactly what did not match):

``V-04``          ``orig`` equals the calling TN: ``--orig`` when given, and the SIP request's
                  P-Asserted-Identity TN (the network-asserted identity) or, without one, its From
                  TN. Every given source must match.
``X-CONTEXT-01``  a ``dest`` TN equals the called TN: ``--dest`` when given, and for SIP the To
                  TN or the Request-URI TN (either, since retargeting rewrites the Request-URI).
``X-CONTEXT-02``  ``iat`` is within ``iat_tolerance_s`` of the SIP Date header.

No context at all: one ``V-04`` check, NOT_APPLICABLE with ``CONTEXT_NOT_GIVEN``, or
INDETERMINATE with ``CONTEXT_REQUIRED`` under ``--require-context``. A part that is missing
(``--orig`` without ``--dest``, a SIP request without Date) is NOT_APPLICABLE, or INDETERMINATE
under ``require_context``, except the Date comparison without any SIP request, which is never
required: the command-line context has no Date, and V-03 already compares ``iat`` with the
reference time. A header that is present but carries no TN is a failure (``CONTEXT_NO_TN``): the
call then names its caller in a way the PASSporT cannot vouch for.
"""

from __future__ import annotations

import functools
from typing import Final

from vvp import codes
from vvp.caller.passport import VvpPassport, seconds_text
from vvp.stir.sip import SipRequest
from vvp.tn import display_tn, try_normalize_tn
from vvp.verdict import Check, failed, indeterminate, not_applicable, passed

CLAIM: Final = "context"
ORIG_ID: Final = "V-04"
DEST_ID: Final = "X-CONTEXT-01"
DATE_ID: Final = "X-CONTEXT-02"


# X-CONTEXT-02 without a SIP request: the same for every such call (checks are immutable)
_NO_SIP_DATE: Final = not_applicable(DATE_ID, CLAIM, codes.CONTEXT_NOT_GIVEN,
                                     "no SIP Date to compare iat with (V-03 compares it with the reference time)")


def _calling(sip: SipRequest) -> tuple[str | None, str]:
    """The calling TN of a SIP request and where it came from."""
    if sip.pai_tn is not None:
        return sip.pai_tn, "P-Asserted-Identity"
    return sip.from_tn, "From"


def check_context(passport: VvpPassport | None, *, orig: str | None = None, dest: str | None = None,
                  sip: SipRequest | None = None, iat_tolerance_s: float = 30, require_context: bool = False,
                  subject: str | None = None) -> list[Check]:
    """The checks of the context claim (module docstring). Never raises for bad input: a
    malformed ``orig``/``dest`` argument is a failing check with ``CONTEXT_TN_INVALID``."""

    def missing(cid: str, what: str) -> Check:
        if require_context:
            return indeterminate(cid, CLAIM, codes.CONTEXT_REQUIRED, f"{what} (required by --require-context)",
                                 subject)
        return not_applicable(cid, CLAIM, codes.CONTEXT_NOT_GIVEN, what, subject)

    if orig is None and dest is None and sip is None:
        return [missing(ORIG_ID, "no SIP context was given: orig, dest and iat were not compared with the call")]

    out: list[Check] = []

    # V-04: orig.
    if orig is None and sip is None:
        out.append(missing(ORIG_ID, "no calling TN was given (--orig or a SIP request)"))
    elif passport is None or passport.orig_tn is None:
        out.append(not_applicable(ORIG_ID, CLAIM, codes.CONTEXT_PASSPORT_UNUSABLE,
                                  "not compared: the PASSporT has no usable orig TN", subject))
    elif sip is None and type(orig) is str and len(orig) <= _MAX_SHARED_TEXT:
        out.append(_shared_compare_orig(passport.orig_tn, orig, None, subject))
    else:
        out.append(_compare_orig(passport.orig_tn, orig, sip, subject))

    # X-CONTEXT-01: dest.
    if dest is None and sip is None:
        out.append(missing(DEST_ID, "no called TN was given (--dest or a SIP request)"))
    elif passport is None or not passport.dest_tns:
        out.append(not_applicable(DEST_ID, CLAIM, codes.CONTEXT_PASSPORT_UNUSABLE,
                                  "not compared: the PASSporT has no usable dest TN", subject))
    else:
        out.append(_compare_dest(passport.dest_tns, dest, sip, subject))

    # X-CONTEXT-02: iat against the SIP Date.
    if sip is None:
        out.append(_NO_SIP_DATE if subject is None else
                   not_applicable(DATE_ID, CLAIM, codes.CONTEXT_NOT_GIVEN, _NO_SIP_DATE.message, subject))
    elif sip.date_raw is None:
        out.append(missing(DATE_ID, "the SIP request has no Date header"))
    elif sip.date is None:
        out.append(failed(DATE_ID, CLAIM, codes.CONTEXT_DATE_MALFORMED,
                          f"the SIP Date is not an RFC 3261 date: {sip.date_raw[:80]!r}", subject))
    elif passport is None or passport.iat is None:
        out.append(not_applicable(DATE_ID, CLAIM, codes.CONTEXT_PASSPORT_UNUSABLE,
                                  "not compared: the PASSporT has no usable iat", subject))
    else:
        delta = passport.iat - sip.date.timestamp()
        if abs(delta) <= iat_tolerance_s:
            out.append(passed(DATE_ID, CLAIM, f"iat is {seconds_text(abs(delta))} from the SIP Date", subject))
        else:
            out.append(failed(DATE_ID, CLAIM, codes.CONTEXT_DATE_MISMATCH,
                              f"iat is {seconds_text(abs(delta))} {'after' if delta > 0 else 'before'} the SIP "
                              f"Date; tolerance {seconds_text(iat_tolerance_s)}", subject))
    return out


def _compare_orig(signed: str, orig: str | None, sip: SipRequest | None, subject: str | None) -> Check:
    matched: list[str] = []
    if orig is not None:
        given = try_normalize_tn(orig)
        if given is None:
            return failed(ORIG_ID, CLAIM, codes.CONTEXT_TN_INVALID, f"--orig is not a telephone number: {orig[:40]!r}",
                          subject)
        if given != signed:
            return failed(ORIG_ID, CLAIM, codes.CONTEXT_ORIG_MISMATCH,
                          f"orig {display_tn(signed)} differs from --orig {display_tn(given)}", subject)
        matched.append("--orig")
    if sip is not None:
        tn, source = _calling(sip)
        if tn is None:
            what = "neither P-Asserted-Identity nor From" if sip.from_uri is not None or sip.pai_uris else \
                "the SIP request has no From header, so nothing"
            return failed(ORIG_ID, CLAIM, codes.CONTEXT_NO_TN, f"{what} carries a TN to compare orig with", subject)
        if tn != signed:
            return failed(ORIG_ID, CLAIM, codes.CONTEXT_ORIG_MISMATCH,
                          f"orig {display_tn(signed)} differs from the SIP {source} TN {display_tn(tn)}", subject)
        matched.append(f"SIP {source}")
    return passed(ORIG_ID, CLAIM, f"orig {display_tn(signed)} equals the calling TN ({', '.join(matched)})", subject)


# Without a SIP request, V-04 is a function of the caller's numbers (the signed one and the given
# one), the same call after call from one caller: remembered for short given numbers. The dest
# comparison is not: the callee changes from call to call.
_MAX_SHARED_TEXT = 64
_shared_compare_orig = functools.lru_cache(maxsize=4096)(_compare_orig)


def _shown(signed: tuple[str, ...]) -> str:
    """The signed dest TNs, for a failure message (the first five)."""
    return ", ".join(display_tn(t) for t in signed[:5])


def _compare_dest(signed: tuple[str, ...], dest: str | None, sip: SipRequest | None, subject: str | None) -> Check:
    matched: list[str] = []
    if dest is not None:
        given = try_normalize_tn(dest)
        if given is None:
            return failed(DEST_ID, CLAIM, codes.CONTEXT_TN_INVALID, f"--dest is not a telephone number: {dest[:40]!r}",
                          subject)
        if given not in signed:
            return failed(DEST_ID, CLAIM, codes.CONTEXT_DEST_MISMATCH,
                          f"dest [{_shown(signed)}] does not hold --dest {display_tn(given)}", subject)
        matched.append("--dest")
    if sip is not None:
        candidates = [(t, s) for t, s in ((sip.to_tn, "To"), (sip.ruri_tn, "Request-URI")) if t is not None]
        if not candidates:
            return failed(DEST_ID, CLAIM, codes.CONTEXT_NO_TN,
                          "neither To nor the Request-URI carries a TN to compare dest with", subject)
        hit = next((s for t, s in candidates if t in signed), None)
        if hit is None:
            seen = ", ".join(f"{s} {display_tn(t)}" for t, s in candidates)
            return failed(DEST_ID, CLAIM, codes.CONTEXT_DEST_MISMATCH,
                          f"dest [{_shown(signed)}] holds neither called TN ({seen})", subject)
        matched.append(f"SIP {hit}")
    return _dest_passed(", ".join(matched), subject)


@functools.lru_cache(maxsize=64)
def _dest_passed(sources: str, subject: str | None) -> Check:
    """X-CONTEXT-01 passing: its message names only where the called TN came from (a handful of
    texts), so one check per (sources, subject) serves every call. Checks are immutable."""
    return passed(DEST_ID, CLAIM, f"dest holds the called TN ({sources})", subject)
