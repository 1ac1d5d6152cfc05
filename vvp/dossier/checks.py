"""The dossier: fetch the evidence graph behind ``evd`` and prove every credential in it.

Architecture §2 steps 4-5; vvp-protocol.md §3 and §4.3; requirements V-07 to V-14, V-27 and the
dossier-spec rules DS-xx of §8.6. keri does what keri does well (KELs, TELs, anchoring; see
:mod:`vvp._keri.dossier_ingest`); this module adds every check keri's credential verifier skips
(keri-notes §0) and judges each credential as of the **reference time**:

* **Integrity** (DS-13, DS-14, DS-01): the stream arrives whole; the dossier's SAID is the one the
  citation names; every ACDC hashes to its SAID in the received form or the most compact form.
* **Issuance** (V-08): the credential's TEL ``iss`` event is anchored in its issuer's verified KEL
  (so the issuer's key state *at issuance* is what counts; later rotations do not matter); the
  issuer the ACDC claims is the issuer of the registry that issued it; it was issued at or before
  the reference time. A TEL event's time is its ``dt``, never earlier than the first-seen time of
  the KEL event anchoring it (architecture §2, "time of evidence").
* **Witnesses** (V-27): the issuer had at least ``min_issuer_witnesses`` witnesses when it anchored
  the issuance (keri itself enforces the receipts up to the issuer's own threshold, V-09).
* **Schema** (V-10): found by SAID in the trust store's schema folders (or a ``said:`` map entry),
  its ``$id`` checked by keri, compiled once per schema SAID for the whole process.
* **Edges** (V-13, DS-07, DS-17): every target present (in the stream or through ``said:``),
  ``n`` and ``s`` matching, and the operator holding: I2I (citing issuer = target issuee), NI2I,
  DI2I (citing issuer = target issuee or a KERI delegate of it).
* **Revocation** (V-14, DS-18): revoked at or before the reference time fails; a revocation after
  the call does not invalidate it.
* **Roots per question** (V-11, V-12): a vetting (or QVI) credential must chain, through edges whose
  target's issuee is the citing issuer, to a credential issued by an ``identity`` root or by a
  direct KERI delegate of one; TN allocations to a ``tn`` root; brand credentials to a ``brand``
  root. A root trusted for one question is not accepted for another.

Evidence that could not be obtained or checked (unreachable, compacted, a delegator's KEL missing,
an event still escrowed) gives INDETERMINATE, never INVALID; zero checks is never VALID. Nothing
raises for bad evidence: every problem is a :class:`~vvp.verdict.Check` with a stable code, and
per-credential checks carry the credential SAID as subject.

Layering: this module may not read the trust store (it sits below it); the caller hands a
:class:`DossierPolicy` (``DossierPolicy.from_trust(trust)`` does it duck-typed).
"""

from __future__ import annotations

import bisect
import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from vvp import clock, codes
from vvp._keri import dossier_ingest as _ing
from vvp.dossier.cache import DossierCache, _Prepared
from vvp.dossier.graph import (
    Credential,
    DossierResult,
    Edge,
    _edges_of,
    _find_root,
    _missing_targets,
    _reachable,
    citation_said,
    stream_digest,
    unwrap,
)
from vvp.dossier.policy import BASE_DOSSIER_SCHEMA, CLAIM, OPERATORS, QUESTIONS, ROLE_QUESTION, DossierPolicy
from vvp.dossier.schemas import SchemaSource, fast_valid, fast_validator_for, validator_for
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, Fetcher, evidence_mark, evidence_since, note_cached
from vvp.keystate import EventSeal
from vvp.verdict import Check, CheckStatus, Status, claim_status, failed, indeterminate, not_applicable, passed, warned
from vvp.witness.model import Directory, Point, ServedKel

_MAX_FETCH_ROUNDS = 6


_MAX_CHAIN_DEPTH = 16


def verify_dossier(evd: str, *, fetcher: Fetcher, reference_time: _dt.datetime, policy: DossierPolicy,
                   cache: DossierCache | None = None, expected_said: str | None = None) -> DossierResult:
    """Fetch the dossier a PASSporT's ``evd`` cites and judge it at ``reference_time``.

    The expected SAID is ``expected_said`` when given, else the one in the URL. Never raises for
    bad evidence; a dossier that cannot be fetched is INDETERMINATE (DS-13, ``DOSSIER_UNREACHABLE``).
    """
    expected = expected_said or citation_said(evd)
    mark = evidence_mark(fetcher) if cache is not None else None
    res = _verify_dossier(evd, expected, fetcher=fetcher, reference_time=reference_time, policy=policy, cache=cache)
    if mark is not None:
        # A result served from cache was built from evidence this call did not fetch: the result
        # keeps the events of the call that built it, and hands the ones missing here to the
        # recorder, so a warm call's record re-verifies offline like a cold one's (§2.1).
        here = evidence_since(fetcher, mark)
        built_from = res.derived(_EVIDENCE, lambda: here)
        have = {e.url for e in here}
        note_cached(fetcher, [e for e in built_from if e.url not in have])
    return res


_EVIDENCE: Any = ("evidence the result was built from",)


def _verify_dossier(evd: str, expected: str | None, *, fetcher: Fetcher, reference_time: _dt.datetime,
                    policy: DossierPolicy, cache: DossierCache | None) -> DossierResult:
    try:
        got = cache.fetch(evd, fetcher, policy.revocation_freshness_s) if cache is not None \
            else fetcher.fetch(evd, EvidenceKind.DOSSIER)
    except FetchError as ex:
        chk = indeterminate("DS-13", CLAIM, codes.DOSSIER_UNREACHABLE,
                            f"the dossier {evd} could not be fetched: {ex.code}: {ex.message}")
        return DossierResult(status=Status.INDETERMINATE, said=None, expected_said=expected, checks=(chk,),
                             credentials=MappingProxyType({}), source=evd)
    return verify_dossier_stream(got.body, content_type=got.content_type, expected_said=expected,
                                 reference_time=reference_time, policy=policy, fetcher=fetcher, cache=cache,
                                 source=evd)


def verify_dossier_stream(data: bytes, *, reference_time: _dt.datetime, policy: DossierPolicy,
                          expected_said: str | None = None, content_type: str | None = None,
                          fetcher: Fetcher | None = None, cache: DossierCache | None = None,
                          source: str | None = None, extra_streams: Sequence[bytes] = ()) -> DossierResult:
    """Judge dossier bytes (a CESR stream or its ``{"details": …}`` wrapper) at ``reference_time``.

    ``expected_said`` is the cited SAID (None: the root is the one ACDC no edge points at);
    ``content_type`` is what the server said (informational: the body itself is examined).
    ``extra_streams`` are fed first (e.g. a root of trust's KEL given beside the dossier);
    ``fetcher`` serves ``said:<SAID>`` edge targets and schemas. Never raises for bad evidence.
    """
    if reference_time.tzinfo is None:
        raise ValueError("reference_time must be an aware datetime")
    try:
        return _verify_stream(data, reference_time=reference_time, policy=policy, expected_said=expected_said,
                              fetcher=fetcher, cache=cache, source=source, extra_streams=extra_streams)
    except Exception as ex:  # noqa: BLE001 - an internal fault is a coded INDETERMINATE, never a traceback
        chk = indeterminate("X-DOSSIER-99", CLAIM, codes.INTERNAL_ERROR,
                            f"the dossier could not be judged: {type(ex).__name__}: {ex}"[:300])
        return DossierResult(status=Status.INDETERMINATE, said=None, expected_said=expected_said, checks=(chk,),
                             credentials=MappingProxyType({}), source=source)


def _verify_stream(data: bytes, *, reference_time: _dt.datetime, policy: DossierPolicy, expected_said: str | None,
                   fetcher: Fetcher | None, cache: DossierCache | None, source: str | None,
                   extra_streams: Sequence[bytes]) -> DossierResult:
    if cache is not None and not extra_streams:
        prep: _Prepared | None = cache._prepared.get((id(data), expected_said))
        if prep is not None and prep.data is data:
            done: DossierResult | None = cache._results.get(_result_key(
                prep.digest, prep.root, prep.candidates, expected_said, policy, {}, reference_time, prep.bounds))
            if done is not None:  # the warm path: the fetch, this record and the result, three lookups
                return done if done.source == source else replace(done, source=source)
            ctx = _Ctx(ing=prep.ing, ref=reference_time, policy=policy,
                       schemas=SchemaSource(policy, fetcher), unavailable={},
                       directory=_locations(cache.unwrap(prep.data)[0]))
            return _evaluate(ctx, prep.digest, prep.root, prep.candidates, expected_said, cache, source, prep.bounds)
    stream, why = cache.unwrap(data) if cache is not None else unwrap(data)
    if stream is None:
        chk = failed("DS-13", CLAIM, codes.DOSSIER_WRAPPER_INVALID, why)
        return DossierResult(status=Status.INVALID, said=None, expected_said=expected_said, checks=(chk,),
                             credentials=MappingProxyType({}), source=source)
    streams = list(extra_streams) + [stream]

    def run(ss: Sequence[bytes]) -> tuple[str, _ing.Ingest]:
        if cache is None:
            return stream_digest(ss), _ing.ingest(ss)
        dg = cache.digest(ss)
        return dg, cache.ingest(ss, dg)

    digest, ing = run(streams)
    root, candidates = _find_root(ing, expected_said)
    unavailable: dict[str, str] = {}
    if fetcher is not None:
        tried: set[str] = set()
        for _ in range(_MAX_FETCH_ROUNDS):
            missing = cache.missing_targets(digest, root, ing) if cache is not None else _missing_targets(ing, root)
            wanted = sorted(missing - tried)
            if not wanted:
                break
            fresh: list[bytes] = []
            for said in wanted:
                tried.add(said)
                try:
                    got = fetcher.fetch(f"said:{said}", EvidenceKind.ACDC)
                except FetchError as ex:
                    unavailable[said] = f"{ex.code}: {ex.message}"
                    continue
                body, _ = unwrap(got.body)
                if body is not None:
                    fresh.append(body)
            if not fresh:
                break
            streams += fresh
            digest, ing = run(streams)
            root, candidates = _find_root(ing, expected_said)
    ctx = _Ctx(ing=ing, ref=reference_time, policy=policy, schemas=SchemaSource(policy, fetcher),
               unavailable=unavailable, directory=_locations(stream))
    if cache is None:
        return _evaluate(ctx, digest, root, candidates, expected_said, None, source, ())
    bounds = cache.boundaries(digest, lambda: _boundaries(ctx))
    res = _evaluate(ctx, digest, root, candidates, expected_said, cache, source, bounds)
    if not extra_streams and len(streams) == 1 and not cache.missing_targets(digest, root, ing):
        # nothing was, or would have been, fetched beside ``data``, whatever the fetcher
        cache._prepared.put((id(data), expected_said),
                   _Prepared(data=data, digest=digest, ing=ing, root=root, candidates=candidates, bounds=bounds))
    return res


@dataclass
class _Ctx:
    ing: _ing.Ingest
    ref: _dt.datetime
    policy: DossierPolicy
    schemas: SchemaSource
    unavailable: Mapping[str, str]
    directory: Directory = field(default_factory=Directory)


def _locations(stream: bytes | None) -> Directory:
    """Witness locations vouched for by witness-signed replies in the dossier stream (§2.4)."""
    if not stream:
        return Directory()
    from vvp.witness.endpoints import learn

    return learn(stream, "dossier")


def _served_kels(ctx: _Ctx) -> dict[str, ServedKel]:
    """Each AID whose KEL the streams verified, as the witness check compares it: its accepted
    events (once each, in sn order, with their -E first-seen times and seals), its witnesses and
    toad at its last event."""
    out: dict[str, ServedKel] = {}
    for aid, st in ctx.ing.aids.items():
        if not st.accepted or st.sn is None:
            continue
        pts: dict[int, Point] = {}
        for k in ctx.ing.kel_seen:
            if k.aid == aid and k.error is None and k.sn <= st.sn and k.sn not in pts:
                pts[k.sn] = Point(k.sn, k.said, k.ilk, _t(k.first_seen),
                                  tuple(EventSeal(i, sn, d) for i, sn, d in k.seals))
        out[aid] = ServedKel(aid=aid, points=tuple(pts[n] for n in sorted(pts)), witnesses=st.witnesses,
                             toad=int(st.toad or 0))
    return out


def _unproven_tel_seals(ctx: _Ctx, a: _ing.IngestedAcdc) -> list[tuple[int, str, str, _dt.datetime | None]]:
    """Seals in the issuer's verified KEL for TEL events of this credential that the stream does
    not prove (absent, or present and not accepted): ``(TEL sn, TEL SAID, anchoring event SAID,
    the anchoring event's first-seen time)``. A TEL event its issuer anchored exists; a stream
    without it withholds it (architecture §2.4)."""
    issuer = a.registry_issuer or _issuer(a)
    st = ctx.ing.aids.get(issuer)
    if st is None or not st.accepted or st.sn is None:
        return []
    have = {e.said for e in a.tel}
    out: list[tuple[int, str, str, _dt.datetime | None]] = []
    seen: set[str] = set()
    for k in ctx.ing.kel_seen:
        if k.aid != issuer or k.error is not None or k.sn > st.sn or not k.seals or k.said in seen:
            continue
        seen.add(k.said)
        for i, sn, d in k.seals:
            if i == a.said and d not in have:
                out.append((sn, d, k.said, _t(k.first_seen)))
    return out


def _t(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    try:
        return clock.parse_keri_datetime(text)
    except (ValueError, TypeError):
        return None


def _issuer(a: _ing.IngestedAcdc) -> str:
    i = a.sad.get("i")
    return i if isinstance(i, str) else ""


def _issuee(sad: Mapping[str, Any]) -> str | None:
    a = sad.get("a")
    if isinstance(a, Mapping):
        i = a.get("i")
        return i if isinstance(i, str) and i else None
    return None


def _kel_problem(ctx: _Ctx, aid: str, cid: str, id_: str, what: str) -> Check | None:
    """A check for an AID whose KEL the streams do not prove, or None when it is proven."""
    st = ctx.ing.aids.get(aid)
    if st is None:
        return indeterminate(id_, CLAIM, codes.ISSUER_KEL_UNVERIFIED,
                             f"{what} {aid}: no KEL event of it in the evidence", cid)
    if st.problem in ("invalid", "duplicitous"):
        return failed(id_, CLAIM, codes.ISSUER_KEL_INVALID, f"{what} {aid}: {st.detail}", cid)
    if st.accepted:
        return None
    if st.problem == "delegator_missing":
        return indeterminate(id_, CLAIM, codes.ISSUER_DELEGATOR_MISSING, f"{what} {aid}: {st.detail}", cid)
    return indeterminate(id_, CLAIM, codes.ISSUER_KEL_UNVERIFIED, f"{what} {aid}: {st.detail}", cid)


_TEL_OUTCOME_CHECK: Mapping[str, tuple[CheckStatus, str, str]] = {
    "anchor_mismatch": (CheckStatus.FAIL, codes.ISSUANCE_NOT_ANCHORED,
                        "the issuer's verified KEL event at sn {sn} is not {said} or does not seal it"),
    "no_anchor": (CheckStatus.FAIL, codes.ISSUANCE_NOT_ANCHORED, "it carries no anchor (-G couple) in the issuer's KEL"),
    "kel_incomplete": (CheckStatus.INDETERMINATE, codes.ISSUANCE_KEL_INCOMPLETE,
                       "it is anchored at sn {sn}, beyond the issuer's KEL in the evidence"),
    "issuer_unverified": (CheckStatus.INDETERMINATE, codes.ISSUER_KEL_UNVERIFIED,
                          "the issuer's KEL that anchors it is not verified"),
    "registry_missing": (CheckStatus.INDETERMINATE, codes.REGISTRY_UNAVAILABLE, "its registry (vcp) is not in the evidence"),
    "rejected": (CheckStatus.FAIL, codes.ISSUANCE_REJECTED, "keri refused it"),
}


def _tel_check(t: _ing.TelSeen, what: str, cid: str) -> Check:
    st, code, msg = _TEL_OUTCOME_CHECK.get(t.outcome, (CheckStatus.INDETERMINATE, codes.ISSUANCE_UNAVAILABLE,
                                                       "it was not accepted"))
    text = f"{what} {t.said}: " + msg.format(sn=t.anchor_sn, said=t.anchor_said)
    return Check("V-08", CLAIM, st, code, text, cid)


@dataclass
class _Times:
    issued_at: _dt.datetime | None = None
    revoked_at: _dt.datetime | None = None
    pending_revocation: _ing.TelSeen | None = None
    issuance: Check | None = None


def _effective(ctx: _Ctx, issuer: str | None, dt: str | None, anchor_said: str | None) -> _dt.datetime | None:
    """A TEL event's time: its dt, but never before its anchor was first seen (architecture §2)."""
    t = _t(dt)
    if t is None:
        return None
    fs = _t(ctx.ing.first_seen.get((issuer or "", anchor_said or "")))
    return max(t, fs) if fs is not None else t


def _issuance(ctx: _Ctx, a: _ing.IngestedAcdc) -> _Times:
    """V-08 for one credential, and its issuance and revocation times."""
    out = _Times()
    cid = a.said
    issuer = _issuer(a)
    regi = a.sad.get("ri") if isinstance(a.sad.get("ri"), str) else None
    reg_issuer = a.registry_issuer or a.registry_claimed_issuer
    if reg_issuer is not None and reg_issuer != issuer:
        out.issuance = failed("V-08", CLAIM, codes.ACDC_ISSUER_NOT_REGISTRY_ISSUER,
                              f"the ACDC claims issuer {issuer}, but its registry {regi} belongs to {reg_issuer}", cid)
        return out
    kel = _kel_problem(ctx, issuer, cid, "V-08", "issuer")
    if kel is not None and (kel.status is CheckStatus.FAIL or ctx.ing.aids.get(issuer) is None
                            or not ctx.ing.aids[issuer].accepted):
        out.issuance = kel
        return out
    if regi is None:
        out.issuance = indeterminate("V-08", CLAIM, codes.ISSUANCE_UNAVAILABLE,
                                     "the ACDC names no registry (ri), so no TEL can prove its issuance", cid)
        return out
    if not a.registry_accepted:
        vcps = [t for t in ctx.ing.tel_seen if t.ilk == "vcp" and t.pre == regi]
        if not vcps:
            out.issuance = indeterminate("V-08", CLAIM, codes.REGISTRY_UNAVAILABLE,
                                         f"its registry {regi} (vcp) is not in the evidence", cid)
        else:
            out.issuance = _tel_check(vcps[-1], f"its registry {regi}: inception", cid)
        return out
    iss = next((e for e in a.tel if e.ilk in ("iss", "bis")), None)
    if iss is None:
        seen = [t for t in a.tel_seen if t.ilk in ("iss", "bis")]
        if not seen:
            out.issuance = indeterminate("V-08", CLAIM, codes.ISSUANCE_UNAVAILABLE,
                                         "no TEL iss event for it in the evidence: issuance cannot be proven", cid)
        else:
            out.issuance = _tel_check(seen[-1], "its iss event", cid)
        return out
    if iss.registry is not None and iss.registry != regi:
        out.issuance = failed("V-08", CLAIM, codes.ACDC_REGISTRY_MISMATCH,
                              f"its iss event is in registry {iss.registry}, not in its ri {regi}", cid)
        return out
    out.issued_at = _effective(ctx, issuer, iss.dt, iss.anchor_said)
    if out.issued_at is None:
        out.issuance = indeterminate("V-08", CLAIM, codes.CREDENTIAL_STATE_UNKNOWN,
                                     f"its iss event's dt {iss.dt!r} is not a datetime", cid)
        return out
    rev = next((e for e in a.tel if e.ilk in ("rev", "brv")), None)
    if rev is not None:
        out.revoked_at = _effective(ctx, issuer, rev.dt, rev.anchor_said)
    else:
        pend = [t for t in a.tel_seen if t.ilk in ("rev", "brv") and t.outcome in ("kel_incomplete", "issuer_unverified")]
        out.pending_revocation = pend[-1] if pend else None
    if ctx.ref < out.issued_at:
        out.issuance = failed("V-08", CLAIM, codes.ISSUED_AFTER_REFERENCE,
                              f"issued {clock.rfc3339(out.issued_at)}, after the reference time", cid)
        return out
    out.issuance = passed("V-08", CLAIM, f"issued {clock.rfc3339(out.issued_at)} by {issuer}: its iss event is "
                                         f"anchored at sn {iss.anchor_sn} of the issuer's verified KEL", cid)
    return out


def _revocation(ctx: _Ctx, a: _ing.IngestedAcdc, tm: _Times) -> tuple[Check, str]:
    """V-14 and the state at the reference time."""
    cid = a.said
    if tm.issuance is None or tm.issuance.status is not CheckStatus.PASS or tm.issued_at is None:
        return indeterminate("V-14", CLAIM, codes.CREDENTIAL_STATE_UNKNOWN,
                             "its issuance is not established, so its state at the reference time is unknown",
                             cid), "unknown"
    if tm.revoked_at is not None and tm.revoked_at <= ctx.ref:
        return failed("V-14", CLAIM, codes.CREDENTIAL_REVOKED,
                      f"revoked {clock.rfc3339(tm.revoked_at)}, at or before the reference time", cid), "revoked"
    withheld = [w for w in _unproven_tel_seals(ctx, a) if w[0] >= 1]
    past = [w for w in withheld if w[3] is not None and w[3] <= ctx.ref]
    if past:
        sn, d, anchor, t = past[0]
        assert t is not None
        return failed("V-14", CLAIM, codes.TEL_EVENT_WITHHELD,
                      f"the issuer's KEL event {anchor} seals TEL event sn {sn} ({d}) of this credential, first seen "
                      f"{clock.rfc3339(t)}, which the dossier does not prove: a revocation was withheld", cid), "revoked"
    unknown = [w for w in withheld if w[3] is None]
    if unknown:
        sn, d, anchor, _ = unknown[0]
        return indeterminate("V-14", CLAIM, codes.TEL_EVENT_WITHHELD,
                             f"the issuer's KEL event {anchor} seals TEL event sn {sn} ({d}) of this credential, which "
                             "the dossier does not prove, and its time is unknown", cid), "unknown"
    if tm.pending_revocation is not None:
        return indeterminate("V-14", CLAIM, codes.CREDENTIAL_STATE_UNKNOWN,
                             f"a revocation {tm.pending_revocation.said} is in the evidence but cannot be verified "
                             f"({tm.pending_revocation.outcome})", cid), "unknown"
    if tm.revoked_at is not None:
        return passed("V-14", CLAIM, f"not revoked at the reference time (revoked later, "
                                     f"{clock.rfc3339(tm.revoked_at)})", cid), "issued"
    return passed("V-14", CLAIM, "not revoked", cid), "issued"


def _witnesses(ctx: _Ctx, a: _ing.IngestedAcdc) -> Check:
    cid = a.said
    need = ctx.policy.min_issuer_witnesses
    issuer = a.registry_issuer or _issuer(a)
    st = ctx.ing.aids.get(issuer)
    n = a.issuer_witnesses
    if n is None and st is not None and st.accepted:
        n = len(st.witnesses)
    if need <= 0:
        shown = "unknown" if n is None else str(n)
        return passed("V-27", CLAIM, f"issuer {issuer} has {shown} witness(es); min_issuer_witnesses is 0", cid)
    if n is None:
        kel = _kel_problem(ctx, issuer, cid, "V-27", "issuer")
        if kel is not None:
            return kel
        return indeterminate("V-27", CLAIM, codes.ISSUER_KEL_UNVERIFIED,
                             f"the witnesses of issuer {issuer} cannot be established", cid)
    if n < need:
        return failed("V-27", CLAIM, codes.ISSUER_TOO_FEW_WITNESSES,
                      f"issuer {issuer} had {n} witness(es) when it anchored the issuance; "
                      f"policy min_issuer_witnesses is {need}", cid)
    return passed("V-27", CLAIM, f"issuer {issuer} had {n} witness(es) (minimum {need})", cid)


def _schema(ctx: _Ctx, a: _ing.IngestedAcdc) -> Check:
    cid = a.said
    said = a.sad.get("s")
    if not isinstance(said, str):
        return failed("V-10", CLAIM, codes.ACDC_MALFORMED, "the ACDC's s is not a schema SAID", cid)
    sed, why = ctx.schemas.get(said)
    if sed is None:
        return indeterminate("V-10", CLAIM, codes.SCHEMA_UNAVAILABLE, f"schema {said} is {why}", cid)
    try:
        instance = dict(a.sad)
        if fast_valid(fast_validator_for(said, sed), instance):
            return passed("V-10", CLAIM, f"conforms to schema {said}", cid)
        v = validator_for(said, sed)
        errors = sorted(v.iter_errors(instance), key=lambda e: (len(list(e.absolute_path)), str(e.message)))
    except (jsonschema.exceptions.SchemaError, jsonschema.exceptions._WrappedReferencingError) as ex:
        return indeterminate("V-10", CLAIM, codes.SCHEMA_UNAVAILABLE, f"schema {said} cannot be used: {ex}"[:300], cid)
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        where = "/".join(str(p) for p in best.absolute_path) or "(top)"
        return failed("V-10", CLAIM, codes.SCHEMA_VALIDATION_FAILED,
                      f"does not conform to schema {said} at {where}: {best.message}"[:400], cid)
    return passed("V-10", CLAIM, f"conforms to schema {said}", cid)


def _is_delegate(ctx: _Ctx, aid: str, of: str) -> bool | None:
    """Is ``aid`` a KERI delegate (any depth, as verified by keri) of ``of``? None: cannot know."""
    cur = aid
    for _ in range(_MAX_CHAIN_DEPTH):
        st = ctx.ing.aids.get(cur)
        if st is None:
            return None if cur == aid else False
        if st.delegator is None:
            return False if st.accepted else None
        if not st.accepted:
            return None if st.delegator == of else None
        if st.delegator == of:
            return True
        cur = st.delegator
    return False


def _edge_checks(ctx: _Ctx, a: _ing.IngestedAcdc, edges: Sequence[Edge], compacted: bool,
                 problems: Sequence[str]) -> Check | None:
    """V-13 for one credential: every edge's target, schema and operator."""
    cid = a.said
    if compacted:
        return indeterminate("V-13", CLAIM, codes.ACDC_COMPACTED,
                             "its edges block is compacted to a SAID: the targets cannot be traversed", cid)
    if not edges and not problems:
        return None
    fails: list[tuple[str, str]] = [(codes.EDGE_MALFORMED, p) for p in problems]
    indets: list[tuple[str, str]] = []
    bad = {b.said for b in ctx.ing.bad_acdcs}
    issuer = _issuer(a)
    for e in edges:
        if e.target is None or e.schema is None:
            fails.append((codes.EDGE_MALFORMED, f"edge {e.label!r} lacks {'n' if e.target is None else 's'}"))
            continue
        t = ctx.ing.acdc(e.target)
        if t is None:
            if e.target in bad:
                fails.append((codes.EDGE_TARGET_INVALID,
                              f"edge {e.label!r}: the evidence's body for {e.target} does not hash to it"))
            else:
                why = ctx.unavailable.get(e.target, "not in the stream, and no fetcher for said: entries")
                indets.append((codes.EDGE_TARGET_UNAVAILABLE, f"edge {e.label!r}: target {e.target} is {why}"
                               if why.startswith("not") else f"edge {e.label!r}: target {e.target}: {why}"))
            continue
        ts = t.sad.get("s")
        if ts != e.schema:
            fails.append((codes.EDGE_SCHEMA_MISMATCH,
                          f"edge {e.label!r}: target {e.target} has schema {ts}, the edge says {e.schema}"))
            continue
        op = e.operator
        ta = t.sad.get("a")
        if op is None:
            if isinstance(ta, str):
                indets.append((codes.ACDC_COMPACTED, f"edge {e.label!r}: no operator and the target's attributes "
                                                     "are compacted, so I2I or NI2I cannot be told"))
                continue
            op = "I2I" if _issuee(t.sad) else "NI2I"
        if op not in OPERATORS:
            fails.append((codes.EDGE_UNKNOWN_OPERATOR, f"edge {e.label!r}: operator {op!r}"))
            continue
        if op == "NI2I":
            continue
        if isinstance(ta, str):
            indets.append((codes.ACDC_COMPACTED, f"edge {e.label!r} ({op}): the target's attributes are compacted, "
                                                 "so its issuee is unknown"))
            continue
        issuee = _issuee(t.sad)
        if issuee == issuer:
            continue
        if op == "I2I":
            fails.append((codes.EDGE_I2I_VIOLATION, f"edge {e.label!r} (I2I): issuer {issuer} is not the target's "
                                                    f"issuee {issuee}"))
            continue
        deleg = _is_delegate(ctx, issuer, issuee) if issuee else False
        if deleg is None:
            indets.append((codes.ISSUER_KEL_UNVERIFIED, f"edge {e.label!r} (DI2I): whether {issuer} is a delegate "
                                                        f"of {issuee} cannot be established"))
        elif not deleg:
            fails.append((codes.EDGE_DI2I_VIOLATION, f"edge {e.label!r} (DI2I): issuer {issuer} is neither the "
                                                     f"target's issuee {issuee} nor a KERI delegate of it"))
    if fails:
        return failed("V-13", CLAIM, fails[0][0], "; ".join(m for _, m in fails + indets), cid)
    if indets:
        return indeterminate("V-13", CLAIM, indets[0][0], "; ".join(m for _, m in indets), cid)
    return passed("V-13", CLAIM, f"{len(edges)} edge(s): targets present, schemas and operators hold", cid)


def _trusted(ctx: _Ctx, aid: str, roots: frozenset[str]) -> bool | None:
    """Is ``aid`` a root, or a direct KERI delegate of one? None: its delegation cannot be checked."""
    if aid in roots:
        return True
    st = ctx.ing.aids.get(aid)
    if st is None or st.delegator is None or st.delegator not in roots:
        return False
    return True if st.accepted else None


def _broken_delegator(ctx: _Ctx, aid: str) -> tuple[str, str] | None:
    """("duplicitous"|"invalid", detail) when a KERI delegator of ``aid`` (any depth) has a KEL the
    evidence shows duplicitous or invalid. A delegate's authority is its delegator's: a chain that
    reaches a root through (or at) a delegator with two events at one sn must never pass, even
    though keri accepted the delegate's own events before the fork."""
    cur = aid
    for _ in range(_MAX_CHAIN_DEPTH):
        st = ctx.ing.aids.get(cur)
        if st is None or st.delegator is None:
            return None
        d = ctx.ing.aids.get(st.delegator)
        if d is not None and d.problem in ("duplicitous", "invalid"):
            return d.problem, f"{aid}'s delegator {st.delegator}: {d.detail}"
        cur = st.delegator
    return None


def _chain(ctx: _Ctx, said: str, roots: frozenset[str], depth: int,
           seen: set[str]) -> tuple[str, str]:
    """Walk from credential ``said`` towards ``roots`` through authority edges (targets whose
    issuee is the citing issuer, or whose issuee it is a delegate of): ("ok"|"indet"|"no"|
    "duplicitous"|"invalid", detail); the last two when the chain's issuer holds its authority
    through a delegator whose KEL the evidence refutes."""
    a = ctx.ing.acdc(said)
    if a is None:
        return "indet", f"{said} is not available"
    issuer = _issuer(a)
    broken = _broken_delegator(ctx, issuer)
    if broken is not None:
        return broken
    t = _trusted(ctx, issuer, roots)
    if t:
        return "ok", issuer
    results: list[tuple[str, str]] = []
    if t is None:
        st = ctx.ing.aids.get(issuer)
        results.append(("indet", f"{issuer}'s delegation by {st.delegator if st else '?'} cannot be verified "
                                 f"({st.detail if st else 'no KEL'})"))
    if depth >= _MAX_CHAIN_DEPTH:
        return "indet", "the chain is too deep"
    edges, compacted, _ = _edges_of(a.sad)
    if compacted:
        results.append(("indet", f"{said}'s edges are compacted"))
    for e in edges:
        if not e.target or e.target in seen:
            continue
        tgt = ctx.ing.acdc(e.target)
        if tgt is None:
            results.append(("indet", f"edge {e.label!r} target {e.target} is not available"))
            continue
        if isinstance(tgt.sad.get("a"), str):
            results.append(("indet", f"edge {e.label!r} target {e.target} has compacted attributes"))
            continue
        issuee = _issuee(tgt.sad)
        if issuee is None:
            continue
        linked: bool | None = issuee == issuer or _is_delegate(ctx, issuer, issuee)
        if linked is None:
            results.append(("indet", f"whether {issuer} is a delegate of {issuee} cannot be established"))
            continue
        if not linked:
            continue
        r = _chain(ctx, e.target, roots, depth + 1, seen | {e.target})
        if r[0] == "ok":
            return r
        results.append(r)
    refuted = [(s, d) for s, d in results if s in ("duplicitous", "invalid")]
    if refuted:
        return refuted[0]
    indet = [d for s, d in results if s == "indet"]
    if indet:
        return "indet", indet[0]
    nos = [d for s, d in results if s == "no"]
    return "no", nos[0] if nos else issuer


def _an(q: str) -> str:
    return f"an {q}" if q[:1] in "aeiou" else f"a {q}"


def _roots_checks(ctx: _Ctx, a: _ing.IngestedAcdc, roles: Sequence[str]) -> list[Check]:
    """V-11 (the chain reaches a root of trust) and V-12 (trusted for this credential's question)."""
    questions = list(dict.fromkeys(ROLE_QUESTION[r] for r in roles if r in ROLE_QUESTION))
    if not questions:
        return []
    cid = a.said
    q = questions[0]
    mine = ctx.policy.roots_for(q)
    if not mine:
        msg = f"no {q} root is configured in the trust store"
        return [indeterminate("V-11", CLAIM, codes.ROOTS_NOT_CONFIGURED, msg, cid),
                indeterminate("V-12", CLAIM, codes.ROOTS_NOT_CONFIGURED, msg, cid)]
    status, detail = _chain(ctx, a.said, mine, 0, {a.said})
    if status == "ok":
        return [passed("V-11", CLAIM, f"chains to {detail}, {_an(q)} root (or a KERI delegate of one)", cid),
                passed("V-12", CLAIM, f"{detail} is trusted for the {q} question", cid)]
    if status in ("duplicitous", "invalid"):
        code = codes.KEL_DUPLICITY if status == "duplicitous" else codes.ISSUER_KEL_INVALID
        return [failed("V-11", CLAIM, code, f"the chain to {_an(q)} root relies on a KEL refused: {detail}", cid)]
    if status == "indet":
        return [indeterminate("V-11", CLAIM, codes.CHAIN_INCOMPLETE,
                              f"the chain to {_an(q)} root cannot be finished: {detail}", cid)]
    others = frozenset().union(*(ctx.policy.roots_for(o) for o in QUESTIONS if o != q))
    if others:
        st2, d2 = _chain(ctx, a.said, frozenset(others), 0, {a.said})
        if st2 == "ok":
            which = [o for o in QUESTIONS if o != q and _trusted(ctx, d2, ctx.policy.roots_for(o))]
            return [passed("V-11", CLAIM, f"chains to {d2}, a configured root", cid),
                    failed("V-12", CLAIM, codes.ROOT_WRONG_QUESTION,
                           f"{d2} is trusted for {', '.join(which) or 'another question'} only, not for {q}", cid)]
    return [failed("V-11", CLAIM, codes.CHAIN_UNTRUSTED_ROOT,
                   f"the chain ends at {detail}, which is not {_an(q)} root of trust", cid)]


def _said_check(a: _ing.IngestedAcdc) -> list[Check]:
    cid = a.said
    out: list[Check] = []
    if a.duplicate_keys:
        out.append(failed("DS-01", CLAIM, codes.ACDC_DUPLICATE_KEY, "the ACDC JSON repeats a key", cid))
    elif a.said_form == "none":
        out.append(failed("DS-01", CLAIM, codes.ACDC_SAID_MISMATCH,
                          "the body does not hash to its d, in the received or the most compact form", cid))
    else:
        problems = []
        if not isinstance(a.sad.get("i"), str):
            problems.append("i (issuer) is not an AID")
        if not isinstance(a.sad.get("s"), str):
            problems.append("s (schema) is not a SAID")
        if "ri" in a.sad and not isinstance(a.sad.get("ri"), str):
            problems.append("ri (registry) is not a SAID")
        if "a" in a.sad and not isinstance(a.sad.get("a"), (str, Mapping)):
            problems.append("a is neither an object nor a SAID")
        if problems:
            out.append(failed("DS-01", CLAIM, codes.ACDC_MALFORMED, "; ".join(problems), cid))
        else:
            form = "received form" if a.said_form == "received" else "most compact form"
            out.append(passed("DS-01", CLAIM, f"a valid ACDC whose SAID recomputes over the {form}", cid))
    if a.bad_blocks:
        out.append(warned("X-DOSSIER-01", CLAIM, codes.ACDC_BLOCK_SAID_MISMATCH,
                          f"the {', '.join(a.bad_blocks)} block's own d does not recompute", cid))
    return out


def _stream_check(ing: _ing.Ingest) -> Check:
    """DS-13: the stream is whole and every KEL/TEL message body is intact."""
    probs = ing.problems
    if not probs:
        return passed("DS-13", CLAIM, "the dossier stream is complete and keri read every message")
    order = {"truncated": codes.DOSSIER_STREAM_TRUNCATED, "unparsable": codes.DOSSIER_STREAM_UNPARSABLE,
             "rejected": codes.DOSSIER_MESSAGE_REJECTED}
    first = probs[0]
    msg = "; ".join(f"stream {p.stream} offset {p.offset} ({p.proto or 'bytes'}"
                    f"{' ' + p.claimed_said if p.claimed_said else ''}): {p.detail}" for p in probs)
    return failed("DS-13", CLAIM, order.get(first.kind, codes.DOSSIER_STREAM_UNPARSABLE), msg[:800])


def _dossier_checks(ctx: _Ctx, root: _ing.IngestedAcdc, roles: Sequence[str]) -> list[Check]:
    """DS-02..DS-06 for a root whose schema plays the ``dossier`` role."""
    cid = root.said
    out: list[Check] = []
    e = root.sad.get("e")
    if isinstance(e, str):
        out.append(indeterminate("DS-02", CLAIM, codes.ACDC_COMPACTED, "the dossier's edges are compacted", cid))
    elif not isinstance(e, Mapping) or not [k for k in e if k != "d"]:
        out.append(failed("DS-02", CLAIM, codes.DOSSIER_EDGES_MISSING, "the dossier has no edges object", cid))
    else:
        out.append(passed("DS-02", CLAIM, f"e holds {len([k for k in e if k != 'd'])} labelled edge(s)", cid))
    if _issuee(root.sad):
        out.append(warned("DS-05", CLAIM, codes.DOSSIER_HAS_ISSUEE,
                          f"the dossier names an issuee ({_issuee(root.sad)}); dossiers SHOULD NOT", cid))
    else:
        out.append(passed("DS-05", CLAIM, "the dossier has no issuee, as a dossier should", cid))
    a = root.sad.get("a")
    others = {x.said for x in ctx.ing.acdcs if x.said != root.said}
    if isinstance(a, Mapping):
        found = sorted({v for v in _strings(a) if v in others})
        if found:
            out.append(warned("DS-04", CLAIM, codes.DOSSIER_EVIDENCE_IN_ATTRIBUTES,
                              f"the dossier's a block names credential(s) {', '.join(found)}", cid))
    sid = root.sad.get("s")
    sed = ctx.schemas.get(sid)[0] if isinstance(sid, str) else None
    if sed is not None:
        refs = [x.get("$ref") for x in sed.get("allOf", []) if isinstance(x, Mapping)] \
            if isinstance(sed.get("allOf"), list) else []
        if not any(isinstance(r, str) and BASE_DOSSIER_SCHEMA in r for r in refs):
            out.append(warned("DS-03", CLAIM, codes.DOSSIER_SCHEMA_NOT_BASE,
                              f"dossier schema {sid} does not allOf-$ref the base dossier schema", cid))
        props = sed.get("properties") if isinstance(sed.get("properties"), Mapping) else {}
        closed = sed.get("additionalProperties") is False or any(
            isinstance(alt, Mapping) and alt.get("additionalProperties") is False
            for alt in _alternatives(props.get("e") if isinstance(props, Mapping) else None))
        if closed:
            out.append(warned("DS-06", CLAIM, codes.DOSSIER_SCHEMA_CLOSED,
                              f"dossier schema {sid} closes the root or e with additionalProperties false", cid))
    return out


def _alternatives(node: Any) -> list[Any]:
    if not isinstance(node, Mapping):
        return []
    alts = [node]
    for k in ("oneOf", "anyOf", "allOf"):
        if isinstance(node.get(k), list):
            alts += list(node[k])
    return alts


def _strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def _boundaries(ctx: _Ctx) -> list[_dt.datetime]:
    """Every instant at which some credential's state changes (cache intervals)."""
    out: set[_dt.datetime] = set()
    for a in ctx.ing.acdcs:
        issuer = a.registry_issuer or _issuer(a)
        for e in a.tel:
            t = _effective(ctx, issuer, e.dt, e.anchor_said)
            if t is not None:
                out.add(t)
        out |= {w[3] for w in _unproven_tel_seals(ctx, a) if w[3] is not None}
    return sorted(out)


def _evaluate(ctx: _Ctx, digest: str, root: str | None, candidates: tuple[str, ...], expected: str | None,
              cache: DossierCache | None, source: str | None, bounds: Sequence[_dt.datetime]) -> DossierResult:
    """The result, from the cache when one holds it for this ingest, policy and reference-time
    interval (``bounds``: the ingest's :meth:`DossierCache.boundaries`): the result is immutable
    (a tuple of checks, a read-only credential map), so the cached object itself is handed back,
    rebuilt only when it was made for another ``source``."""
    key: tuple[Any, ...] | None = None
    if cache is not None:
        key = _result_key(digest, root, candidates, expected, ctx.policy, ctx.unavailable, ctx.ref, bounds)
        hit: DossierResult | None = cache._results.get(key)
        if hit is not None:
            return hit if hit.source == source else replace(hit, source=source)
        cache.evaluations += 1
    checks, creds = _evaluate_now(ctx, root, candidates, expected)
    cs = tuple(checks)
    res = DossierResult(status=claim_status(cs).status, said=root, expected_said=expected, checks=cs,
                        credentials=MappingProxyType(creds), root_candidates=candidates, source=source,
                        issuer_kels=MappingProxyType(_served_kels(ctx)), witness_locations=ctx.directory)
    if cache is not None and key is not None:
        cache._results.put(key, res)
    return res


def _result_key(digest: str, root: str | None, candidates: tuple[str, ...], expected: str | None,
                policy: DossierPolicy, unavailable: Mapping[str, str], ref: _dt.datetime,
                bounds: Sequence[_dt.datetime]) -> tuple[Any, ...]:
    """The results-cache key: the ingest, root, citation, policy, what could not be fetched, and
    the reference-time interval (between two of the ingest's ``bounds``)."""
    return (digest, root, candidates, expected, policy.key(), tuple(sorted(unavailable.items())) if unavailable else (),
            bisect.bisect_right(bounds, ref))


def _evaluate_now(ctx: _Ctx, root: str | None, candidates: tuple[str, ...],
                  expected: str | None) -> tuple[list[Check], dict[str, Credential]]:
    ing = ctx.ing
    checks: list[Check] = [_stream_check(ing)]
    bad_saids = {b.said for b in ing.bad_acdcs}
    # DS-14: the citation
    if expected is None:
        checks.append(not_applicable("DS-14", CLAIM, codes.DOSSIER_NO_CITATION,
                                     "no SAID was cited; the root is the ACDC no edge points at"))
    elif root is not None:
        checks.append(passed("DS-14", CLAIM, f"the dossier's SAID is the cited {expected}", expected))
    elif expected in bad_saids:
        checks.append(failed("DS-14", CLAIM, codes.DOSSIER_SAID_MISMATCH,
                             f"the stream's body for the cited {expected} does not hash to it", expected))
    else:
        have = ", ".join(a.said for a in ing.acdcs) or "none"
        checks.append(failed("DS-14", CLAIM, codes.DOSSIER_SAID_MISMATCH,
                             f"no ACDC of the stream has the cited SAID {expected} (present: {have})", expected))
    if not ing.acdcs and not ing.bad_acdcs:
        checks.append(failed("DS-01", CLAIM, codes.DOSSIER_NO_ACDC, "the dossier stream holds no ACDC"))
    elif expected is None and root is None and ing.acdcs:
        checks.append(indeterminate("X-DOSSIER-03", CLAIM, codes.AMBIGUOUS_ROOT,
                                    f"{len(candidates)} ACDCs are not the target of any edge: "
                                    f"{', '.join(candidates) or '(a cycle)'}; cite the dossier SAID"))
    # every body whose SAID does not hold is a tampered dossier, reachable or not
    seen_bad: set[str] = set()
    for b in ing.bad_acdcs:
        if b.said in seen_bad:
            continue
        seen_bad.add(b.said)
        checks += [c for c in _said_check(b) if c.id == "DS-01"]
    order = _reachable(ing, root)
    cited: dict[str, list[tuple[str, str]]] = {}
    for said in order:
        a = ing.acdc(said)
        assert a is not None
        for e in _edges_of(a.sad)[0]:
            if e.target:
                cited.setdefault(e.target, []).append((said, e.label))
    creds: dict[str, Credential] = {}
    for said in order:
        a = ing.acdc(said)
        assert a is not None
        own: list[Check] = []
        own += [c for c in _said_check(a) if c.subject not in seen_bad or c.id != "DS-01"]
        schema = a.sad.get("s") if isinstance(a.sad.get("s"), str) else ""
        roles = ctx.policy.roles_of(str(schema))
        tm = _issuance(ctx, a)
        assert tm.issuance is not None
        own.append(tm.issuance)
        own.append(_witnesses(ctx, a))
        own.append(_schema(ctx, a))
        edges, compacted, problems = _edges_of(a.sad)
        ec = _edge_checks(ctx, a, edges, compacted, problems)
        if ec is not None:
            own.append(ec)
        rev, state = _revocation(ctx, a, tm)
        own.append(rev)
        own += _roots_checks(ctx, a, roles)
        if said == root and "dossier" in roles:
            own += _dossier_checks(ctx, a, roles)
        checks += own
        attrs = a.sad.get("a")
        creds[said] = Credential(
            said=said, schema=str(schema), roles=roles, issuer=_issuer(a), issuee=_issuee(a.sad),
            registry=a.sad.get("ri") if isinstance(a.sad.get("ri"), str) else None, state=state,
            issued_at=tm.issued_at, revoked_at=tm.revoked_at,
            attributes=dict(attrs) if isinstance(attrs, Mapping) else None, edges=edges, edges_compacted=compacted,
            rules=a.sad.get("r"), cited_as=tuple(cited.get(said, ())), status=claim_status(own).status, sad=a.sad,
            tel=a.tel)
    reached = set(order)
    for a in ing.acdcs:
        if a.said not in reached and root is not None:
            checks.append(warned("X-DOSSIER-02", CLAIM, codes.DOSSIER_NOT_IN_GRAPH,
                                 "this ACDC of the stream is not reachable from the dossier; not judged", a.said))
    return checks, creds
