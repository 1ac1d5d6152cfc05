"""Who answered, and may they: the callee's dossier bound to the callee (vvp-protocol.md §4.2, §8.4).

The dossier has already been proven by :func:`vvp.dossier.verify_dossier` (VC-06 is its summary
here); this module binds it to the answer, reusing the caller's rules where the protocol says
"as for the caller" and only changing what differs:

``authorization``
    ``VC-05``      the dossier's issuer is the ``kid`` AID itself: a callee has no delegate.
    ``X-AUTH-01``  that AID is accountable: the vetting credential's issuee, or acting for it
                   through an ``alloc`` GCD (the caller's rule, :func:`vvp.caller.authorization.resolve_parties`).
``dossier``
    ``VC-06``      full validation and revocation as V-08 to V-14: the dossier claim's outcome.
``tn_rights``
    ``VC-07``      the called number (``--dest``, else the INVITE's To or Request-URI) is in a TN
                   allocation held by the callee; a do-not-originate number is acceptable here
                   (X-TN-02 passes); X-TN-01, X-TN-03 and V-22 as for the caller.
``brand``
    ``VC-08``      a non-null ``card`` is justified by a brand credential of the callee (P-12,
                   V-20, V-24 as for the caller; the caller's V-18 under this id).
``business``
    ``VC-09``      when both sides declare a ``goal``, one is a subset of the other: one goal code
                   covers the other by the ``c_goal`` rule (a trailing wildcard is implicit), e.g.
                   ``negotiate`` and ``negotiate.schedule`` overlap, ``sell`` and ``support`` do not.

When VC-05 fails, the dossier speaks for someone else, so TN rights and brand are not judged
against it (INDETERMINATE, ``AUTH_AP_UNRESOLVED``); VC-09 needs no dossier and is always judged.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from vvp import codes, goals
from vvp.caller.authorization import (
    AuthPolicy,
    CallFacts,
    brand_checks,
    find_allocation,
    reference_slot,
    resolve_parties,
    tn_allocation_checks,
)
from vvp.dossier import DossierResult
from vvp.tn import display_tn
from vvp.verdict import Check, Status, claim_status, failed, indeterminate, not_applicable, passed

AUTH, DOSSIER, TN, BRAND, BUSINESS = "authorization", "dossier", "tn_rights", "brand", "business"
_MAX_SHARED_CARD: Final = 4096


@dataclass(frozen=True, slots=True)
class CalleeFacts:
    """What the answer asserts and what is known of the call, for the bindings."""

    callee: str | None
    tns: tuple[tuple[str, str], ...]
    card: Any
    goal: Any
    caller_goal: str | None
    caller_goal_source: str | None


@dataclass(frozen=True, slots=True)
class Bindings:
    """The checks of the five claims above (in verdict order), the brand to display, and the
    verdict's ``authorization`` details (who answered)."""

    checks: tuple[Check, ...]
    display_brand: Mapping[str, Any] | None
    detail: Mapping[str, Any] = field(default_factory=dict)


def dossier_summary(d: DossierResult | None) -> Check:
    """VC-06: the dossier claim's outcome as one check (its own checks say why)."""
    if d is None:
        return indeterminate("VC-06", DOSSIER, codes.DOSSIER_NOT_CITED, "no usable callee PASSporT cites a dossier")
    cr = claim_status(d.checks)
    if cr.status is Status.VALID:
        return passed("VC-06", DOSSIER, "the dossier and every credential it depends on are valid and unrevoked at "
                      "the reference time (V-08 to V-14)", d.said)
    code = cr.codes[0] if cr.codes else codes.NO_CHECKS
    mk = failed if cr.status is Status.INVALID else indeterminate
    return mk("VC-06", DOSSIER, code, f"the dossier is {cr.status.value} at the reference time: {', '.join(cr.codes)}",
              d.said)


def check_goals(goal: Any, caller_goal: str | None, source: str | None) -> Check:
    """VC-09 (module docstring)."""
    if goal is not None and not isinstance(goal, str):
        return failed("VC-09", BUSINESS, codes.BUSINESS_GOAL_MALFORMED,
                      f"the callee's goal is not a string: {str(goal)[:60]!r}")
    if goal is not None and not goals.is_goal(goal):
        return failed("VC-09", BUSINESS, codes.BUSINESS_GOAL_MALFORMED, f"the callee's goal {goal[:60]!r} is not a goal "
                      "code")
    if not goal or caller_goal is None:
        who = "neither side" if not goal and caller_goal is None else "only the callee" if goal else "only the caller"
        return not_applicable("VC-09", BUSINESS, codes.CALLEE_GOAL_NOT_BOTH, f"{who} declares a goal")
    if not goals.is_goal(caller_goal):
        return failed("VC-09", BUSINESS, codes.BUSINESS_GOAL_MALFORMED,
                      f"the caller's goal {caller_goal[:60]!r} ({source}) is not a goal code")
    if goals.covers(goal, caller_goal) or goals.covers(caller_goal, goal):
        return passed("VC-09", BUSINESS, f"the goals overlap: callee {goal}, caller {caller_goal} ({source})")
    return failed("VC-09", BUSINESS, codes.CALLEE_GOALS_DISJOINT,
                  f"the goals are disjoint: callee {goal}, caller {caller_goal} ({source})")


def _unjudged(why: str, code: str, card: Any) -> list[Check]:
    out = [indeterminate("VC-07", TN, code, why)]
    out.append(not_applicable("VC-08", BRAND, codes.BRAND_NO_CARD, "the PASSporT has no card: no brand to show")
               if card is None else indeterminate("VC-08", BRAND, code, why))
    return out


def _bind(d: DossierResult | None, f: CalleeFacts, ref: _dt.datetime, policy: AuthPolicy) -> Bindings:
    out: list[Check] = []
    goal_check = check_goals(f.goal, f.caller_goal, f.caller_goal_source)
    if d is None or d.root is None or f.callee is None:
        why = ("the dossier could not be read, so the answer's bindings cannot be judged" if f.callee is not None
               else "the PASSporT names no callee AID")
        out.append(indeterminate("VC-05", AUTH, codes.AUTH_NO_DOSSIER, why))
        out.append(dossier_summary(d))
        out += _unjudged(why, codes.AUTH_NO_DOSSIER, f.card)
        out.append(goal_check)
        return Bindings(tuple(out), None, {"callee": f.callee})
    root = d.root
    own = root.issuer == f.callee
    out.append(passed("VC-05", AUTH, "the dossier is issued by the callee's own AID", f.callee) if own else
               failed("VC-05", AUTH, codes.CALLEE_DOSSIER_NOT_OWN,
                      f"the dossier {root.said} is issued by {root.issuer}, not by the callee {f.callee}", f.callee))
    out.append(dossier_summary(d))
    detail: dict[str, Any] = {"callee": f.callee, "dossier_issuer": root.issuer}
    if not own:
        out += _unjudged("the dossier speaks for another AID than the callee", codes.AUTH_AP_UNRESOLVED, f.card)
        out.append(goal_check)
        return Bindings(tuple(out), None, detail)
    parties = resolve_parties(d, out)
    if parties is None:
        out += _unjudged("the callee is not established as an accountable party", codes.AUTH_AP_UNRESOLVED, f.card)
        out.append(goal_check)
        return Bindings(tuple(out), None, detail)
    detail.update(legal_entity=parties.legal_entity, shape=parties.shape)
    holders = {f.callee: "the callee"}
    if not f.tns:
        out.append(indeterminate("VC-07", TN, codes.CALLEE_NO_TN,
                                 "no called number is known (--dest, or the INVITE's To or Request-URI)"))
    else:
        # the first candidate an allocation covers (To, then the Request-URI, as retargeting rewrites it)
        tn, source = next(((t, s) for t, s in f.tns if find_allocation(d, t, holders)[0] is not None), f.tns[0])
        detail["callee_tn"] = display_tn(tn)
        detail["callee_tn_source"] = source
        tn_allocation_checks(d, tn, holders, ref, out, check_id="VC-07", holders_text="the callee", dno_allowed=True)
    facts = CallFacts(signer=f.callee, orig=None, card=f.card, goal=None)
    brand = brand_checks(d, parties, facts, policy, out, check_id="VC-08")
    out.append(goal_check)
    return Bindings(tuple(out), brand, detail)


def _key(d: DossierResult, f: CalleeFacts, ref: _dt.datetime, policy: AuthPolicy) -> tuple[Any, ...] | None:
    """Everything :func:`_bind` depends on besides ``d``, or None when the facts are not plain
    short values (then nothing is remembered)."""
    card = f.card
    card_key: tuple[str, ...] | None = None
    if card is not None:
        if type(card) is not list or not all(type(x) is str for x in card) or sum(map(len, card)) > _MAX_SHARED_CARD:
            return None
        card_key = tuple(card)
    if not (f.goal is None or type(f.goal) is str) or ref.tzinfo is None:
        return None
    return ("callee bindings", f.callee, f.tns, card_key, f.goal, f.caller_goal, f.caller_goal_source,
            policy.require_brand_proxy, reference_slot(d, ref))


def check_bindings(d: DossierResult | None, facts: CalleeFacts, *, reference_time: _dt.datetime,
                   policy: AuthPolicy = AuthPolicy()) -> Bindings:
    """The bindings of the module docstring; never raises. The answer is a function of the
    (immutable, cached) dossier result, the facts, the policy and where the reference time falls
    among the dossier's constraint times, so it is kept with the result (the warm path)."""
    if d is not None and d.root is not None:
        key = _key(d, facts, reference_time, policy)
        if key is not None:
            got = d.derived(key, lambda: _bind(d, facts, reference_time, policy))
            brand = got.display_brand
            return Bindings(got.checks, {**brand, "card": list(brand["card"])} if brand is not None else None,
                            dict(got.detail))
    return _bind(d, facts, reference_time, policy)
