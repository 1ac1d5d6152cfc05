"""Caller authorization: who is accountable, may this signer speak for them, with this number,
this brand, for this goal? (architecture §2 step 6; vvp-protocol.md §4.1 steps 10-13.)

Everything here reads the credential graph the dossier step already proved
(:class:`vvp.dossier.DossierResult`): SAIDs, issuance, schemas, edges, revocation and roots are
that step's business and are not judged twice. This module binds the graph to the call:

``authorization``
    ``X-AUTH-01``  the accountable party (AP, the dossier issuer) is the vetting credential's
                   issuee, or the issuee of an ``alloc`` GCD that the vetting issuee issued
                   (the two shapes of architecture §2 step 6; real Provenant dossiers use the
                   second, vvp-protocol.md §3.13).
    ``V-15``       no delegation: the signer (``kid`` AID) is the AP.
    ``P-08``/``V-16`` delegation: a ``delsig`` GCD issued by the AP to the signer.
    ``X-AUTH-02``  the GCD's ``c_proto`` (when present) includes ``VVP:OP``.
    ``X-AUTH-03``  ``c_after``/``c_before`` (when present) hold at the reference time.
    ``X-AUTH-04``  constraints vvp cannot evaluate from a call (``c_ical``, geography, ``c_human``,
                   ``c_prove``) make the claim INDETERMINATE: never silently passed.
``tn_rights``
    ``V-17``       ``orig`` is in a TN allocation held by the AP, or by the signer for its own number.
    ``X-TN-01..03`` that allocation is for voice, not do-not-originate, and within its dates.
    ``V-22``       each allocation up the ``tnalloc`` chain is equal to or narrower than its parent,
                   and every one is issued (not revoked) at the reference time.
``brand``
    ``P-12``       every ``card`` entry is a vCard content line.
    ``V-20``/``V-24`` a brand credential issued to the AP or to the legal entity it acts for.
    ``V-18``       every ``card`` line is in that credential's ``vcard``.
    ``V-21``       with ``require_brand_proxy``, a signer other than the AP needs a ``bproxy``
                   GCD from the AP.
``business``
    ``P-14``       a ``goal`` is covered by the delegated signer's ``c_goal`` (implicit trailing
                   wildcard); no goal: not applicable.

A block needed by a check but compacted, or a target the dossier could not provide, is
INDETERMINATE, never INVALID (vvp-protocol.md §3.9).
"""

from __future__ import annotations

import datetime as _dt
import functools
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from vvp import clock, codes, goals
from vvp.dossier import Credential, DossierResult
from vvp.tnsets import TnSet, TnSetError, from_numbers
from vvp.vcard import VCardSyntaxError, normalise
from vvp.verdict import Check, CheckBlock, failed, indeterminate, not_applicable, passed

AUTH, TN, BRAND, BUSINESS = "authorization", "tn_rights", "brand", "business"
VVP_OP = "VVP:OP"
UNEVALUATED_CONSTRAINTS = ("c_ical", "c_pgeo", "c_rgeo", "c_jur", "c_human", "c_prove")


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the call asserts, from the verified PASSporT."""

    signer: str
    orig: str | None
    card: Any  # the raw ``card`` claim: judged here, not in the passport claim
    goal: str | None


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    require_brand_proxy: bool = False


@dataclass(frozen=True, slots=True)
class Parties:
    """Who is who in this dossier: the accountable party, the legal entity it is (or acts for),
    the shape, and the signer's delegation (None when the signer is the AP)."""

    ap: str
    legal_entity: str | None
    shape: str | None
    delsig: Credential | None


@dataclass(frozen=True, slots=True)
class AuthResult:
    """The four claims' checks, the brand to display, who is who, and the verdict's
    ``authorization`` details. ``block`` holds the same checks as a :class:`CheckBlock` when they
    are shared between calls (kept with a cached dossier result), else None."""

    checks: tuple[Check, ...]
    display_brand: Mapping[str, Any] | None
    parties: Parties | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    block: CheckBlock | None = None


def _attrs(c: Credential) -> Mapping[str, Any] | None:
    return c.attributes if isinstance(c.attributes, Mapping) else None


def _first(d: DossierResult, label: str, role: str | None = None) -> Credential | None:
    """The credential the dossier cites under ``label`` (else, with ``role``, the only one of that role)."""
    root = d.root
    if root is not None:
        got = d.targets(root.said, label)
        if got:
            return got[0]
    if role is not None:
        cands = d.by_role(role)
        if len(cands) == 1:
            return cands[0]
    return None


def _parse_time(v: Any) -> _dt.datetime | None:
    if not isinstance(v, str):
        return None
    try:
        return clock.parse_keri_datetime(v)
    except ValueError:
        return None


def _str_list(v: Any) -> list[str] | None:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v)
    return None


# --- authorization -------------------------------------------------------------------------


def _resolve_parties(d: DossierResult, out: list[Check]) -> Parties | None:
    root = d.root
    assert root is not None
    ap = root.issuer
    vetting = _first(d, "vetting", "vetting")
    if vetting is None:
        out.append(failed("X-AUTH-01", AUTH, codes.AUTH_NO_VETTING,
                          "the dossier cites no vetting credential: nobody is accountable", ap))
        return None
    le = vetting.issuee
    if le is None:
        mk = indeterminate if vetting.attributes is None else failed
        out.append(mk("X-AUTH-01", AUTH, codes.AUTH_VETTING_COMPACTED if vetting.attributes is None
                      else codes.AUTH_AP_NOT_BOUND, "the vetting credential names no issuee", ap))
        return None
    if ap == le:
        out.append(passed("X-AUTH-01", AUTH, "the accountable party is the vetting credential's issuee", ap))
        return Parties(ap, le, "le", None)
    alloc = _first(d, "alloc")
    if alloc is not None and alloc.issuer == le and alloc.issuee == ap:
        out.append(passed("X-AUTH-01", AUTH, f"the accountable party acts for the legal entity {le} through "
                          f"the alloc credential {alloc.said}", ap))
        return Parties(ap, le, "acting", None)
    if alloc is not None and alloc.attributes is None:
        out.append(indeterminate("X-AUTH-01", AUTH, codes.AUTH_VETTING_COMPACTED,
                                 "the alloc credential is compacted: its issuee cannot be read", ap))
        return None
    out.append(failed("X-AUTH-01", AUTH, codes.AUTH_AP_NOT_BOUND,
                      f"the dossier issuer {ap} is neither the vetting issuee {le} nor acting for it "
                      "through an alloc credential the vetting issuee issued", ap))
    return None


def _delegation(d: DossierResult, parties: Parties, facts: CallFacts, ref: _dt.datetime,
                out: list[Check]) -> Credential | None:
    signer, ap = facts.signer, parties.ap
    if signer == ap:
        out.append(passed("V-15", AUTH, "the signer is the accountable party (no delegation needed)", signer))
        return None
    delsig = _first(d, "delsig")
    if delsig is None:
        out.append(failed("P-08", AUTH, codes.AUTH_NO_DELEGATION,
                          f"the signer {signer} is not the accountable party {ap} and the dossier has no "
                          "delegated-signer credential", signer))
        return None
    out.append(passed("P-08", AUTH, f"the dossier cites a delegated-signer credential {delsig.said}", signer))
    if delsig.issuee is None:
        mk = indeterminate if delsig.attributes is None else failed
        out.append(mk("V-16", AUTH, codes.AUTH_DELSIG_COMPACTED if delsig.attributes is None
                      else codes.AUTH_DELSIG_WRONG_ISSUEE, "the delegated-signer credential names no issuee",
                      signer))
        return None
    if delsig.issuer != ap:
        out.append(failed("V-16", AUTH, codes.AUTH_DELSIG_WRONG_ISSUER,
                          f"the delegated-signer credential was issued by {delsig.issuer}, not by the "
                          f"accountable party {ap}", signer))
        return None
    if delsig.issuee != signer:
        out.append(failed("V-16", AUTH, codes.AUTH_DELSIG_WRONG_ISSUEE,
                          f"the delegated-signer credential delegates to {delsig.issuee}, not to the signer",
                          signer))
        return None
    out.append(passed("V-16", AUTH, "the signer holds a delegated-signer credential issued by the accountable "
                      "party", signer))
    a = _attrs(delsig) or {}
    proto = _str_list(a.get("c_proto")) if "c_proto" in a else None
    if "c_proto" in a and (proto is None or not any(VVP_OP in p.split(",") for p in proto)):
        out.append(failed("X-AUTH-02", AUTH, codes.AUTH_PROTO_NOT_VVP_OP,
                          f"c_proto {a.get('c_proto')!r} does not include {VVP_OP}", delsig.said))
    else:
        out.append(passed("X-AUTH-02", AUTH, "c_proto includes VVP:OP" if proto else "no c_proto constraint",
                          delsig.said))
    after, before = a.get("c_after"), a.get("c_before")
    t_after, t_before = _parse_time(after), _parse_time(before)
    if (after is not None and t_after is None) or (before is not None and t_before is None):
        out.append(failed("X-AUTH-03", AUTH, codes.AUTH_CONSTRAINT_MALFORMED,
                          "c_after/c_before is not a datetime", delsig.said))
    elif (t_after is not None and ref < t_after) or (t_before is not None and ref > t_before):
        out.append(failed("X-AUTH-03", AUTH, codes.AUTH_OUTSIDE_DELEGATION_TIME,
                          f"the call time is outside the delegation's c_after {after} / c_before {before}",
                          delsig.said))
    else:
        out.append(passed("X-AUTH-03", AUTH, "the call time is within the delegation's time window",
                          delsig.said))
    present = [k for k in UNEVALUATED_CONSTRAINTS if a.get(k) not in (None, "", [], False)]
    if present:
        out.append(indeterminate("X-AUTH-04", AUTH, codes.AUTH_CONSTRAINT_NOT_EVALUATED,
                                 f"constraints vvp cannot evaluate from a call: {', '.join(present)}", delsig.said))
    return delsig


# --- TN rights -----------------------------------------------------------------------------


def _tnset(d: DossierResult, c: Credential) -> TnSet | None | str:
    """The allocation's numbers; None when compacted; an error text when malformed. Parsed once
    per dossier result (``c`` is one of its credentials)."""
    return d.derived(("tnset", c.said), lambda: _parse_tnset(c))


def _parse_tnset(c: Credential) -> TnSet | None | str:
    a = _attrs(c)
    if a is None:
        return None
    try:
        return from_numbers(a.get("numbers"))
    except TnSetError as ex:
        return str(ex)


def _tn_rights(d: DossierResult, parties: Parties, facts: CallFacts, ref: _dt.datetime, out: list[Check]) -> None:
    orig = facts.orig
    if orig is None:
        out.append(indeterminate("V-17", TN, codes.TN_NO_ORIG, "the PASSporT has no usable orig"))
        return
    holders = {parties.ap: "the accountable party", facts.signer: "the signer (its own number)"}
    tn_allocation_checks(d, orig, holders, ref, out)


def find_allocation(d: DossierResult, tn: str, holders: Collection[str]) -> tuple[tuple[Credential, TnSet] | None,
                                                                                   bool, bool]:
    """(the first TN allocation held by one of ``holders`` that lists ``tn``, with its numbers;
    whether any allocation is held by them at all; whether one of those is compacted)."""
    allocs = [c for c in d.by_role("tn_allocation") if c.issuee in holders]
    compacted = False
    for c in allocs:
        ts = _tnset(d, c)
        if ts is None:
            compacted = True
        elif isinstance(ts, TnSet) and ts.contains(tn):
            return (c, ts), True, compacted
    return None, bool(allocs), compacted


def tn_allocation_checks(d: DossierResult, tn: str, holders: Mapping[str, str], ref: _dt.datetime,
                         out: list[Check], *, check_id: str = "V-17",
                         holders_text: str = "the accountable party or the signer", dno_allowed: bool = False) -> None:
    """``check_id`` (V-17 for a caller, VC-07 for a callee): ``tn`` is in a TN allocation held by
    one of ``holders`` (AID → how the message names it), then X-TN-01..03 and V-22 for that
    allocation. ``dno_allowed``: a do-not-originate number passes X-TN-02 (a callee answers on
    it, vvp-protocol.md §1.6); otherwise it fails."""
    chosen, held, compacted = find_allocation(d, tn, holders)
    if not held:
        out.append(failed(check_id, TN, codes.TN_NO_ALLOCATION,
                          f"no TN allocation in the dossier is held by {holders_text}", tn))
        return
    if chosen is None:
        if compacted:
            out.append(indeterminate(check_id, TN, codes.TN_ALLOCATION_COMPACTED,
                                     "a TN allocation is compacted: its numbers cannot be read", tn))
        else:
            out.append(failed(check_id, TN, codes.TN_NOT_ALLOCATED,
                              f"+{tn} is not in any TN allocation held by {holders_text}", tn))
        return
    alloc, nums = chosen
    a = _attrs(alloc) or {}
    out.append(passed(check_id, TN, f"+{tn} is in {alloc.said} ({nums.describe()}) held by "
                      f"{holders[alloc.issuee or '']}", tn))
    channel = a.get("channel")
    out.append(passed("X-TN-01", TN, "the allocation is for voice", alloc.said) if channel == "voice" else
               failed("X-TN-01", TN, codes.TN_CHANNEL_NOT_VOICE, f"the allocation's channel is {channel!r}",
                      alloc.said))
    dno = a.get("doNotOriginate")
    if dno is True and dno_allowed:
        out.append(passed("X-TN-02", TN, "doNotOriginate is true: an inbound-only number, which may answer calls",
                          alloc.said))
    else:
        out.append(passed("X-TN-02", TN, "the number may originate calls", alloc.said) if dno is False else
                   failed("X-TN-02", TN, codes.TN_DO_NOT_ORIGINATE,
                          f"doNotOriginate is {dno!r}: the number must not originate calls", alloc.said))
    start, end = a.get("startDate"), a.get("endDate")
    ts_, te_ = _parse_time(start), _parse_time(end)
    if (start is not None and ts_ is None) or (end is not None and te_ is None):
        out.append(failed("X-TN-03", TN, codes.TN_DATES_MALFORMED, "startDate/endDate is not a datetime",
                          alloc.said))
    elif (ts_ is not None and ref < ts_) or (te_ is not None and ref > te_):
        out.append(failed("X-TN-03", TN, codes.TN_OUTSIDE_DATES,
                          f"the call time is outside the allocation's {start} .. {end}", alloc.said))
    else:
        out.append(passed("X-TN-03", TN, "the call time is within the allocation's dates", alloc.said))
    _tn_chain(d, alloc, nums, out)


def _tn_chain(d: DossierResult, alloc: Credential, nums: TnSet, out: list[Check]) -> None:
    """V-22: up the ``tnalloc`` edges, each hop equal or narrower than its parent, all issued."""
    child, child_nums = alloc, nums
    seen = {alloc.said}
    hops = 0
    while True:
        if child.state != "issued":
            out.append(failed("V-22", TN, codes.TN_ALLOCATION_NOT_ISSUED,
                              f"the allocation {child.said} is {child.state} at the reference time", child.said))
            return
        edge = child.edge("tnalloc")
        if edge is None:
            break
        parent = d.credential(edge.target) if edge.target else None
        if parent is None or edge.target in seen:
            out.append(indeterminate("V-22", TN, codes.TN_PARENT_MISSING,
                                     f"the parent allocation {edge.target} of {child.said} is not available",
                                     child.said))
            return
        pn = _tnset(d, parent)
        if pn is None:
            out.append(indeterminate("V-22", TN, codes.TN_ALLOCATION_COMPACTED,
                                     f"the parent allocation {parent.said} is compacted", child.said))
            return
        if isinstance(pn, str):
            out.append(failed("V-22", TN, codes.TN_ALLOCATION_MALFORMED, f"{parent.said}: {pn}", child.said))
            return
        if not child_nums.within(pn):
            out.append(failed("V-22", TN, codes.TN_WIDER_THAN_PARENT,
                              f"{child.said} ({child_nums.describe()}) is not within its parent {parent.said} "
                              f"({pn.describe()})", child.said))
            return
        seen.add(parent.said)
        child, child_nums = parent, pn
        hops += 1
    out.append(passed("V-22", TN, f"the allocation chain narrows over {hops} hop(s) and every allocation is "
                      "issued at the reference time", alloc.said))


# --- brand ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _normalised(line: str) -> tuple[str | None, str]:
    """(normalised line, "") or (None, why not) for one vCard line: a pure function of the text,
    so made once per distinct line (brand credentials' lines and cards repeat call after call)."""
    try:
        return normalise(line), ""
    except VCardSyntaxError as ex:
        return None, str(ex)


_MAX_SHARED_LINE = 1024  # longer lines (a LOGO data: URI) are normalised every time, not remembered
_MAX_SHARED_CARD = 4096  # characters of card lines in a remembered authorization's key


def _normalise(entry: Any) -> str:
    """:func:`vvp.vcard.normalise` through :func:`_normalised` for short strings (others are
    normalised, or refused, every time); raises :class:`VCardSyntaxError` as it does."""
    if not isinstance(entry, str) or len(entry) > _MAX_SHARED_LINE:
        return normalise(entry)
    line, why = _normalised(entry)
    if line is None:
        raise VCardSyntaxError(why)
    return line


def _brand(d: DossierResult, parties: Parties, facts: CallFacts, policy: AuthPolicy,
           out: list[Check], check_id: str = "V-18") -> Mapping[str, Any] | None:
    card = facts.card
    if card is None:
        out.append(not_applicable(check_id, BRAND, codes.BRAND_NO_CARD, "the PASSporT has no card: no brand to show"))
        return None
    if not isinstance(card, list) or not card:
        out.append(failed("P-12", BRAND, codes.BRAND_CARD_SYNTAX, "card must be a non-empty array of vCard lines"))
        return None
    lines: list[str] = []
    bad: list[str] = []
    for entry in card:
        try:
            lines.append(_normalise(entry))
        except VCardSyntaxError as ex:
            bad.append(f"{str(entry)[:60]!r} ({ex})")
    if bad:
        out.append(failed("P-12", BRAND, codes.BRAND_CARD_SYNTAX, f"not vCard content lines: {'; '.join(bad[:3])}"))
    else:
        out.append(passed("P-12", BRAND, f"{len(lines)} card line(s) are vCard content lines"))
    owners = {parties.ap, parties.legal_entity} - {None}
    brands = [c for c in d.by_role("brand") if c.issuee in owners]
    if not brands:
        out.append(failed("V-20", BRAND, codes.BRAND_NO_CREDENTIAL,
                          "a card without a brand credential issued to the accountable party or its legal entity"))
        return None
    out.append(passed("V-24", BRAND, f"brand credential {brands[0].said} is issued to the verified party",
                      brands[0].said))
    justified: dict[str, Credential] = {}
    compacted = False
    for b in brands:
        a = _attrs(b)
        if a is None:
            compacted = True
            continue
        for line in a.get("vcard") or []:
            try:
                justified.setdefault(_normalise(line), b)
            except VCardSyntaxError:
                continue
    unjustified = [ln for ln in lines if ln not in justified]
    if bad or unjustified:
        if compacted and not bad:
            out.append(indeterminate(check_id, BRAND, codes.BRAND_CREDENTIAL_COMPACTED,
                                     "a brand credential is compacted: its vcard cannot be read"))
        else:
            out.append(failed(check_id, BRAND, codes.BRAND_LINE_NOT_JUSTIFIED,
                              f"card line(s) not in any brand credential: {'; '.join(unjustified[:3]) or 'n/a'}"))
        return None
    used = justified[lines[0]]
    out.append(passed(check_id, BRAND, f"every card line is justified by {used.said}", used.said))
    if policy.require_brand_proxy and facts.signer != parties.ap:
        bproxy = _first(d, "bproxy")
        if bproxy is None or bproxy.issuer != parties.ap or bproxy.issuee != facts.signer:
            out.append(failed("V-21", BRAND, codes.BRAND_PROXY_MISSING,
                              "the signer is a delegate and no brand-proxy credential from the accountable party "
                              "names it", facts.signer))
            return None
        out.append(passed("V-21", BRAND, f"brand proxy {bproxy.said} from the accountable party", facts.signer))
    return {"card": list(card), "credential": used.said, "issuer": used.issuer}


# --- business ------------------------------------------------------------------------------


def _business(parties: Parties, delsig: Credential | None, facts: CallFacts, out: list[Check]) -> None:
    goal = facts.goal
    if goal is None:
        out.append(not_applicable("P-14", BUSINESS, codes.BUSINESS_NO_GOAL, "the PASSporT claims no goal"))
        return
    if not goals.is_goal(goal):
        out.append(failed("P-14", BUSINESS, codes.BUSINESS_GOAL_MALFORMED, f"goal {goal[:60]!r} is not a goal code"))
        return
    if facts.signer == parties.ap:
        out.append(passed("P-14", BUSINESS, f"goal {goal} claimed by the accountable party itself"))
        return
    if delsig is None:
        out.append(indeterminate("P-14", BUSINESS, codes.BUSINESS_NO_DELEGATION,
                                 "the goal cannot be judged without a valid delegated-signer credential"))
        return
    a = _attrs(delsig)
    if a is None:
        out.append(indeterminate("P-14", BUSINESS, codes.AUTH_DELSIG_COMPACTED,
                                 "the delegated-signer credential is compacted", delsig.said))
        return
    if "c_goal" not in a:
        out.append(passed("P-14", BUSINESS, f"goal {goal}: the delegation has no c_goal constraint", delsig.said))
        return
    allowed = _str_list(a.get("c_goal")) or []
    if goals.covered_by_any(allowed, goal):
        out.append(passed("P-14", BUSINESS, f"goal {goal} is covered by c_goal {allowed}", delsig.said))
    else:
        out.append(failed("P-14", BUSINESS, codes.BUSINESS_GOAL_NOT_DELEGATED,
                          f"goal {goal} is not covered by c_goal {allowed}", delsig.said))


# --- entry point ---------------------------------------------------------------------------


def _unavailable(why: str, code: str) -> list[Check]:
    return [indeterminate(cid, claim, code, why) for cid, claim in
            (("X-AUTH-01", AUTH), ("V-17", TN), ("V-18", BRAND), ("P-14", BUSINESS))]


_TIMED_ATTRIBUTES = ("c_after", "c_before", "startDate", "endDate")


def _instants(d: DossierResult) -> list[_dt.datetime]:
    """Every time the checks here compare the reference time with (a delegation's ``c_after`` and
    ``c_before``, an allocation's ``startDate`` and ``endDate``), over all of the result's
    credentials, sorted. Two reference times with as many of these before them, and as many at
    or before them, compare alike with every one, so they get the same checks."""
    out: set[_dt.datetime] = set()
    for c in d.credentials.values():
        a = _attrs(c)
        if a is None:
            continue
        for k in _TIMED_ATTRIBUTES:
            t = _parse_time(a.get(k))
            if t is not None:
                out.add(t)
    return sorted(out)


def _fragment_key(d: DossierResult, facts: CallFacts, ref: _dt.datetime, policy: AuthPolicy) -> tuple[Any, ...] | None:
    """Everything :func:`_authorize` depends on besides ``d``, or None when the call's facts are
    not plain values, or the card is long (then nothing is remembered). The reference time
    enters only as its place among :func:`_instants`."""
    card = facts.card
    card_key: tuple[str, ...] | None = None
    if card is not None:
        if type(card) is not list:
            return None
        size = 0
        for line in card:
            if type(line) is not str:
                return None
            size += len(line)
        if size > _MAX_SHARED_CARD:
            return None
        card_key = tuple(card)
    if ref.tzinfo is None or type(facts.signer) is not str or not (facts.orig is None or type(facts.orig) is str) \
            or not (facts.goal is None or type(facts.goal) is str):
        return None
    instants = d.derived("authorization instants", lambda: _instants(d))
    return ("authorization", facts.signer, facts.orig, card_key, facts.goal, policy.require_brand_proxy,
            bisect_left(instants, ref), bisect_right(instants, ref))


def check_authorization(d: DossierResult | None, facts: CallFacts, *, reference_time: _dt.datetime,
                        policy: AuthPolicy = AuthPolicy()) -> AuthResult:
    """The checks of the claims ``authorization``, ``tn_rights``, ``brand`` and ``business``
    (module docstring), and the brand to display when it is justified. Never raises.

    The answer is a function of the dossier result, the call's facts, the policy and where the
    reference time falls among the dossier's constraint times (:func:`_fragment_key`), so it is
    kept with the (immutable, cached) dossier result (:func:`shared_authorization`). Its checks
    are immutable; the mutable parts (display brand, detail) are copied for every call."""
    shared = shared_authorization(d, facts, reference_time=reference_time, policy=policy)
    if shared is None:
        return _authorize(d, facts, reference_time, policy)
    got, block = shared
    return AuthResult(checks=got.checks, display_brand=display_copy(got.display_brand), parties=got.parties,
                      detail=dict(got.detail), block=block)


def shared_authorization(d: DossierResult | None, facts: CallFacts, *, reference_time: _dt.datetime,
                         policy: AuthPolicy = AuthPolicy()) -> tuple[AuthResult, CheckBlock] | None:
    """:func:`check_authorization`'s answer as kept with the dossier result, with its checks as a
    block: shared by every call that gets it, so nothing in it may be changed (copy the display
    brand with :func:`display_copy` and the detail before handing them on). None when the answer
    is not kept (no dossier root, or facts that are not plain values)."""
    if d is None or d.root is None:
        return None
    key = _fragment_key(d, facts, reference_time, policy)
    if key is None:
        return None
    got: tuple[AuthResult, CheckBlock] = d.derived(key, lambda: _shareable(_authorize(d, facts, reference_time, policy)))
    return got


def display_copy(brand: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A display brand the caller may keep (its card lines in a list of its own)."""
    if brand is None:
        return None
    return {**brand, "card": list(brand["card"])} if "card" in brand else dict(brand)


def _shareable(res: AuthResult) -> tuple[AuthResult, CheckBlock]:
    return res, CheckBlock.of(res.checks)


def _authorize(d: DossierResult | None, facts: CallFacts, reference_time: _dt.datetime,
               policy: AuthPolicy) -> AuthResult:
    if d is None or d.root is None:
        none = _unavailable("the dossier could not be read, so the call's bindings cannot be judged",
                            codes.AUTH_NO_DOSSIER)
        if facts.card is None:
            none[2] = not_applicable("V-18", BRAND, codes.BRAND_NO_CARD, "the PASSporT has no card: no brand to show")
        if facts.goal is None:
            none[3] = not_applicable("P-14", BUSINESS, codes.BUSINESS_NO_GOAL, "the PASSporT claims no goal")
        return AuthResult(tuple(none), None)
    out: list[Check] = []
    parties = _resolve_parties(d, out)
    if parties is None:
        out += _unavailable("the accountable party is not established", codes.AUTH_AP_UNRESOLVED)[1:]
        return AuthResult(tuple(out), None)
    delsig = _delegation(d, parties, facts, reference_time, out)
    parties = Parties(parties.ap, parties.legal_entity, parties.shape, delsig)
    _tn_rights(d, parties, facts, reference_time, out)
    brand = _brand(d, parties, facts, policy, out)
    _business(parties, delsig, facts, out)
    detail = {"accountable_party": parties.ap, "legal_entity": parties.legal_entity, "shape": parties.shape,
              "signer": facts.signer, "delegated_signer_credential": delsig.said if delsig else None}
    return AuthResult(tuple(out), brand, parties, detail)


def resolve_parties(d: DossierResult, out: list[Check]) -> Parties | None:
    """X-AUTH-01 for a dossier with a root: who is accountable (the dossier issuer, as the vetting
    issuee or acting for it through ``alloc``). Shared with the callee, whose dossier has the same
    shape (vvp-protocol.md §1.6)."""
    return _resolve_parties(d, out)


def brand_checks(d: DossierResult, parties: Parties, facts: CallFacts, policy: AuthPolicy, out: list[Check], *,
                 check_id: str = "V-18") -> Mapping[str, Any] | None:
    """The brand claim's checks (P-12, V-20, V-24, ``check_id``, V-21) and the brand to display;
    the callee's VC-08 is "as V-18", so it runs these under its own id."""
    return _brand(d, parties, facts, policy, out, check_id)


def reference_slot(d: DossierResult, ref: _dt.datetime) -> tuple[int, int]:
    """Where ``ref`` falls among the dossier's constraint times (``c_after``/``c_before``,
    ``startDate``/``endDate``): two reference times with the same slot get the same bindings, so a
    result keyed by it can be shared between calls (see :func:`check_authorization`)."""
    instants = d.derived("authorization instants", lambda: _instants(d))
    return bisect_left(instants, ref), bisect_right(instants, ref)


def card_of(payload: Mapping[str, Any]) -> Any:
    """The raw ``card`` claim (None when absent or null), judged by the brand claim."""
    return payload.get("card")
