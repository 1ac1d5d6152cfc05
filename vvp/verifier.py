"""One call, verified: the orchestration of architecture §2 over the domain modules.

``verify_call`` never raises for anything wrong with the evidence: every problem becomes a check
with a stable code, and the verdict is assembled from the checks by the rules in
:mod:`vvp.verdict`. It does no I/O of its own: bytes come through the ``fetcher`` it is given
(HTTP, an evidence map, a record being replayed), and time is the call's ``reference_time``.

Steps (numbered as in architecture §2; check ids are the requirement ids of vvp-protocol.md §8):

1. Parse every Identity header value (and the SIP request, when given); pick the VVP PASSporT.
2. PASSporT header, claims and timing.
3. ``kid`` OOBI → KEL → key state at the reference time → signature.
4. ``evd`` → dossier → every ACDC proven.
5-6. Roots per question; accountable party, signer, TN rights, brand, goal.
8. SHAKEN beside it (its own ``verstat``; never changes ``status``).
9. The verdict.

A step that this version does not perform yet is reported as INDETERMINATE with code
``NOT_CHECKED_IN_THIS_VERSION`` for its claim: never as passing.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography import x509

from vvp import clock, codes
from vvp._keri.kel import verify_signature
from vvp.caller.authorization import AuthPolicy, CallFacts, check_authorization, display_copy, shared_authorization
from vvp.callee.inputs import CalleeInput, is_callee_inputs
from vvp.callee.verify import CalleePolicy, verify_callee
from vvp.caller.context import check_context
from vvp.dossier import DossierCache, DossierPolicy, DossierResult, citation_said, verify_dossier
from vvp.errors import ConfigError, FetchError
from vvp.evidence.bridge import EvidenceOutcome, bridges_of, foreign_evidence
from vvp.fetch import EvidenceKind, FetchEvent, Fetcher, RecordingFetcher, evidence_mark, evidence_since, note_cached
from vvp.kel import resolve_kel, verify_stream
from vvp.lru import Lru
from vvp.keystate import KelResult, KelStream, Outcome, select_key_state
from vvp.caller.passport import PassportPolicy, VvpPassport, check_passport, check_signature
from vvp.stir.certs import X5uError, load_pem_certificates
from vvp.stir.identity import IdentityRouting, PptKind, RoutedIdentity, route_identities
from vvp.stir.shaken import ShakenClaim, ShakenPolicy, shaken_claim, verify_shaken
from vvp.stir.sip import SipError, SipRequest, parse_sip
from vvp.stir.x5ucache import ShakenCache
from vvp.trust import TrustStore
from vvp._keri.verified import VerifiedKels
from vvp.witness import Directory, WitnessCache, WitnessPolicy
from vvp.witness.check import SignerWitness, signer_witness, trusted_directory
from vvp.witness.issuers import cached_issuer_checks, issuer_checks
from vvp.verdict import (
    DECIDING_CLAIMS,
    Check,
    CheckBlock,
    Status,
    Verdict,
    build_verdict_from,
    claim_status,
    failed,
    indeterminate,
    json_safe,
    not_applicable,
    passed,
    warned,
)


@dataclass(frozen=True, slots=True)
class CallInput:
    """The inputs of one verification, exactly as received (they go into the record verbatim)."""

    reference_time: _dt.datetime
    identities: tuple[str, ...] = ()
    sip: bytes | None = None
    orig: str | None = None
    dest: str | None = None
    call_id: str | None = None
    require_context: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"reference_time": clock.rfc3339(self.reference_time), "identities": list(self.identities),
                "sip": self.sip.decode("latin-1") if self.sip is not None else None, "orig": self.orig,
                "dest": self.dest, "call_id": self.call_id, "require_context": self.require_context}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> CallInput:
        sip = d.get("sip")
        return cls(reference_time=clock.parse_time(str(d["reference_time"])),
                   identities=tuple(str(x) for x in d.get("identities", [])),
                   sip=sip.encode("latin-1") if isinstance(sip, str) else None,
                   orig=d.get("orig"), dest=d.get("dest"), call_id=d.get("call_id"),
                   require_context=bool(d.get("require_context", False)))


def _anchors(trust: TrustStore, field_name: str) -> tuple[x509.Certificate, ...]:
    """Certificates from the trust store's PEM files, parsed from the bytes read when the store was
    loaded. A file that is not a certificate chain is a configuration error."""
    out: list[x509.Certificate] = []
    for tf in trust.files_of(field_name):
        for rel, data in tf.entries:
            try:
                out += load_pem_certificates(data, what=field_name)
            except X5uError as ex:
                raise ConfigError(f"trust store {field_name} {tf.name}/{rel}: {ex}", code=codes.TRUST_BAD_VALUE) from None
    return tuple(out)


def _shaken_policy(trust: TrustStore) -> ShakenPolicy:
    p = trust.policy
    return ShakenPolicy(iat_freshness_s=p.shaken_iat_freshness_s, crl=p.crl, x5u_cache_s=p.x5u_cache_s,
                        crl_cache_s=p.revocation_freshness_s)


@dataclass(frozen=True, slots=True)
class _Policies:
    """Everything a verification derives from one trust store, made once when a
    :class:`Verifier` is built: the step policies and the parsed STI anchors."""

    passport: PassportPolicy
    dossier: DossierPolicy
    auth: AuthPolicy
    shaken: ShakenPolicy
    sti_pa: tuple[x509.Certificate, ...]
    sti_crl_signers: tuple[x509.Certificate, ...]
    callee: CalleePolicy
    witness: WitnessPolicy
    witness_files: Directory
    """Witness locations from the trust store's witness OOBI response files (read when it was loaded)."""
    witness_urls: tuple[str, ...]
    """The trust store's witness OOBI URLs, fetched (and recorded) when a call needs them."""

    @classmethod
    def of(cls, trust: TrustStore) -> _Policies:
        p = trust.policy
        return cls(passport=_passport_policy(trust), dossier=DossierPolicy.from_trust(trust),
                   auth=AuthPolicy(require_brand_proxy=trust.policy.require_brand_proxy),
                   shaken=_shaken_policy(trust), sti_pa=_anchors(trust, "sti_pa"),
                   sti_crl_signers=_anchors(trust, "sti_crl_signers"), callee=_callee_policy(trust),
                   witness=WitnessPolicy(mode=p.witness_check, quorum=p.witness_quorum, clock_skew_s=p.clock_skew_s,
                                         freshness_s=p.key_state_freshness_s),
                   witness_files=trusted_directory([(f"trust:{tf.name}", data) for tf in trust.files_of("witnesses")
                                                    for _, data in tf.entries]),
                   witness_urls=tuple(w for w in trust.witnesses if w.startswith(("http://", "https://"))))


@dataclass(frozen=True, slots=True)
class _Inputs:
    """Step 1's result: the routed Identity values (with the VVP and the SHAKEN ones picked out), the
    SIP request (if any) and input findings."""

    routing: IdentityRouting
    sip: SipRequest | None
    checks: tuple[Check, ...]
    vvp: list[RoutedIdentity]  # routing.vvp and routing.shaken, read once
    shaken: list[RoutedIdentity]


def _read_inputs(call: CallInput) -> _Inputs:
    checks: list[Check] = []
    sip: SipRequest | None = None
    values = list(call.identities)
    if call.sip is not None:
        try:
            sip = parse_sip(call.sip)
            values = list(sip.identities) + values
        except SipError as ex:
            checks.append(indeterminate("X-INPUT-01", "context", ex.code, f"the SIP request: {ex.message}"))
    routing = route_identities(values)
    for i, bad in enumerate(routing.malformed, start=1):
        checks.append(warned("X-INPUT-02", "passport", bad.code, f"Identity value {i} ignored: {bad.message}",
                             subject=f"identity-{i}"))
    routed = routing.routed
    return _Inputs(routing, sip, tuple(checks), [r for r in routed if r.kind is PptKind.VVP],
                   [r for r in routed if r.kind is PptKind.SHAKEN])


def _callee_policy(trust: TrustStore) -> CalleePolicy:
    p = trust.policy
    return CalleePolicy(callee_iat_tolerance_s=p.callee_iat_tolerance_s, clock_skew_s=p.clock_skew_s,
                        allow_legacy_typ=p.allow_legacy_typ, brand_strict=p.brand_failure == "strict",
                        auth=AuthPolicy(require_brand_proxy=p.require_brand_proxy))


def _passport_policy(trust: TrustStore) -> PassportPolicy:
    p = trust.policy
    return PassportPolicy(max_passport_validity_s=p.max_passport_validity_s, iat_tolerance_s=p.iat_tolerance_s,
                          clock_skew_s=p.clock_skew_s, allow_legacy_typ=p.allow_legacy_typ,
                          require_ppt_param=p.require_ppt_param)


@functools.lru_cache(maxsize=1024)
def _key_state_passes(subj: str | None, sn: int, est_sn: int, single_sig: bool,
                      key: str | None) -> tuple[tuple[Check, ...], Callable[[bytes, bytes], bool] | None, str]:
    """P-06, V-05 and (single-sig) P-07 passing for one signer's key state, with the signature
    check's verifier and description of its key (``key``: the single-sig key): the same call
    after call, so made once per (AID, sn, establishment sn, key). Checks are immutable."""
    out = [passed("P-06", "passport", f"the kid OOBI serves a verified KEL for {subj}", subj),
           passed("V-05", "passport", f"key state at the reference time: sn {sn} (establishment sn {est_sn})", subj)]
    if single_sig:
        out.append(passed("P-07", "passport", "the signer is single-sig (one key, kt 1)", subj))
    verify = functools.partial(verify_signature, key) if key is not None else None
    return tuple(out), verify, f"key {key} (establishment sn {est_sn})"


def _key_state_checks(passport: VvpPassport, kel: KelResult) -> list[Check]:
    """P-06, V-05, P-07 and V-06 for the signer: the kid OOBI is a KEL, the key state at the
    reference time is known, it is single-sig, and its key verifies the PASSporT signature."""
    subj = passport.kid_aid
    if kel.status is Status.VALID and kel.state is not None:
        st = kel.state
        single = st.single_sig
        passes, verify, described = _key_state_passes(subj, st.sn, st.est_sn, single, st.keys[0] if single else None)
        out = list(passes)
        if verify is not None:
            out.append(check_signature(passport, verify, subject=subj, key_description=described))
        else:
            out.append(failed("P-07", "passport", codes.KID_NOT_SINGLE_SIG,
                              f"the signer has {len(st.keys)} keys, threshold {st.kt!r}: not single-sig", subj))
            out.append(not_applicable("V-06", "passport", codes.PASSPORT_PREREQUISITE_FAILED,
                                      "not checked: the signer is not single-sig", subj))
        return out
    out = []
    code = kel.codes[0] if kel.codes else codes.INTERNAL_ERROR
    why = "; ".join(kel.messages) or code
    mk = failed if kel.status is Status.INVALID else indeterminate
    out.append(mk("P-06", "passport", code, f"the kid OOBI: {why}", subj))
    out.append(mk("V-05", "passport", code, f"no key state at the reference time: {why}", subj))
    out.append(not_applicable("P-07", "passport", codes.PASSPORT_PREREQUISITE_FAILED,
                              "not checked: no key state", subj))
    out.append(mk("V-06", "passport", code, f"the signature cannot be checked without key state: {why}", subj))
    return out


def _kid_kel_forked(kel: KelResult | None, dres: DossierResult | None) -> Check | None:
    """X-KEL-01: the signer's KEL as its kid OOBI served it and as the dossier's streams carry it
    must be one KEL. keri verifies each source in its own store, so each may be consistent alone;
    two different accepted events at one sn across them are duplicity (architecture §2.4:
    ``KEL_DUPLICITY``, INVALID, never a silent choice of one). None when they agree or the dossier
    does not carry the signer's KEL (the usual case: a dictionary lookup)."""
    if kel is None or dres is None or kel.aid is None:
        return None
    served = dres.issuer_kels.get(kel.aid)
    if served is None:
        return None
    mine = {e.sn: e.said for e in kel.events if e.outcome is Outcome.ACCEPTED}
    for p in served.points:
        said = mine.get(p.sn)
        if said is not None and said != p.said:
            return failed("X-KEL-01", "passport", codes.KEL_DUPLICITY,
                          f"the signer {kel.aid}'s KEL has two different events at sn {p.sn}: {said} from its kid "
                          f"OOBI, {p.said} in the dossier's streams", kel.aid)
    return None


def _flat(parts: list[Sequence[Check] | CheckBlock]) -> list[Check]:
    out: list[Check] = []
    for p in parts:
        out += p.checks if isinstance(p, CheckBlock) else p
    return out


# The claim of a call without a SHAKEN PASSporT: the same (immutable) answer for every such call.
_NO_SHAKEN = shaken_claim(None)
_NO_SHAKEN_DETAILS = _NO_SHAKEN.details()  # copied into each verdict (a verdict's details are its own)


def _shaken(call: CallInput, inputs: _Inputs, passport: VvpPassport | None,
            vvp_checks: list[Sequence[Check] | CheckBlock], *,
            pol: _Policies, fetcher: Fetcher, cache: VerifierCache | None) -> ShakenClaim:
    """Step 8: the first SHAKEN PASSporT, beside VVP; its own verstat, never the overall status."""
    values = inputs.shaken
    if not values:
        return _NO_SHAKEN
    sip = inputs.sip
    ctx_orig = call.orig or (sip.pai_tn or sip.from_tn if sip is not None else None)
    ctx_dest = call.dest or (sip.to_tn if sip is not None else None)
    result = verify_shaken(values[0].value, reference_time=call.reference_time,
                           anchors=pol.sti_pa, crl_signers=pol.sti_crl_signers, policy=pol.shaken, fetcher=fetcher, cache=cache.shaken if cache else None,
                           context_orig=ctx_orig, context_dest=ctx_dest)
    by_claim: dict[str, list[Check]] = {}
    for c in _flat(vvp_checks):
        by_claim.setdefault(c.claim, []).append(c)
    vvp_claims = {name: claim_status(by_claim.get(name, ())) for name in DECIDING_CLAIMS}
    return shaken_claim(result, vvp_orig=passport.orig_tn if passport else None,
                        vvp_dest=passport.dest_tns if passport else (), vvp_claims=vvp_claims)


class KelCache:
    """Verified KEL streams by OOBI URL, reused within ``key_state_freshness_s`` (V-05: caches
    only within freshness). What is cached is keri's verdict on the stream (every event with its
    first-seen time), not a key state: the state at each call's reference time is selected from
    it per call, so one cached stream serves calls at any time it covers. Durations are measured
    on a monotonic clock (``monotonic``, injectable so tests can step past the freshness window
    without sleeping); ``fetches`` and ``ingests`` count the work done, for tests and metrics."""

    def __init__(self, max_entries: int = 1024, *, monotonic: Callable[[], float] = time.monotonic,
                 known: VerifiedKels | None = None) -> None:
        self.max_entries = max_entries
        self.known = known  # key events keri already accepted (VerifierCache.keystate): not verified again
        self._lock = threading.Lock()  # guards the per-stream dicts of selected key states
        # url -> (stream, key states selected from it: see _key_state, and the fetch events it
        # was built from: handed to the recorder of every call it serves)
        self._streams: Lru[tuple[KelStream, dict[Any, Any], tuple[FetchEvent, ...], bytes]] = Lru(
            max_entries, monotonic=monotonic)
        self.fetches = 0
        self.ingests = 0

    def _entry(self, url: str, fetcher: Fetcher, freshness_s: float) -> tuple[KelStream, dict[Any, Any]]:
        got = self.served(url, fetcher, freshness_s)
        return got[0], got[1]

    def served(self, url: str, fetcher: Fetcher, freshness_s: float) -> tuple[KelStream, dict[Any, Any], bytes]:
        """The verified stream behind ``url``, its selected key states and the bytes it was
        verified from (the witness locations they carry: vvp.witness). Raises FetchError."""
        hit = self._streams.get(url, max_age=freshness_s)
        if hit is not None:
            note_cached(fetcher, hit[2])  # the record of this call still holds the KEL's bytes
            return hit[0], hit[1], hit[3]
        mark = evidence_mark(fetcher)
        got = fetcher.fetch(url, EvidenceKind.OOBI)
        events = evidence_since(fetcher, mark)
        self.fetches += 1
        stream = verify_stream(got.body, known=self.known, source=url)
        self.ingests += 1
        selected: dict[Any, Any] = {}
        self._streams.put(url, (stream, selected, events, got.body))
        return stream, selected, got.body

    def entry(self, url: str, freshness_s: float) -> tuple[KelStream, dict[Any, Any], tuple[FetchEvent, ...], bytes] | None:
        """The entry behind ``url`` while fresh, else None; a new fetch makes a new entry object
        (what is kept above this cache is checked by it)."""
        return self._streams.get(url, max_age=freshness_s)

    def stream(self, url: str, fetcher: Fetcher, freshness_s: float) -> KelStream:
        """The verified stream behind ``url``; raises FetchError when it cannot be fetched."""
        return self._entry(url, fetcher, freshness_s)[0]

    def _key_state(self, url: str, aid: str, at: _dt.datetime, fetcher: Fetcher, freshness_s: float) -> KelResult:
        """``select_key_state(self.stream(url, …), aid, at=at, source=url)``, for the signer's key
        state checks. Selecting is a walk over the AID's events; its answer depends on ``at``
        only through which of the AID's first-seen times are at or before it, so a VALID answer
        is kept with the cached stream (it goes when the stream does) per AID and that count, and
        handed back for any reference time with the same count: then it is equal in everything
        but ``at``, which is the first such call's (the checks do not read it). Raises
        FetchError when the stream cannot be fetched."""
        stream, selected = self._entry(url, fetcher, freshness_s)
        if at.tzinfo is None:  # select_key_state refuses it; comparing it here would raise otherwise
            return select_key_state(stream, aid, at=at, source=url)
        # ``selected`` only grows (under the lock); a read is one dict lookup, atomic on its own
        times = selected.get(aid)
        if times is None:
            times = sorted(e.first_seen for e in stream.events_of(aid) if e.first_seen is not None)
            with self._lock:
                selected[aid] = times
        key = (aid, bisect.bisect_right(times, at))
        hit: KelResult | None = selected.get(key)
        if hit is not None:
            return hit
        got = select_key_state(stream, aid, at=at, source=url)
        if got.status is Status.VALID:
            with self._lock:
                selected[key] = got
        return got


def _trusted_locations(pol: _Policies, fetcher: Fetcher, cache: VerifierCache | None) -> Directory:
    """Witness locations from the trust store: its files (learnt once) and its URLs (fetched as
    witness evidence, recorded, kept within key_state_freshness_s; one that cannot be fetched
    adds nothing, and the witnesses it would have located show as unknown locations). With a
    cache, the same answers give the same Directory object, so what is kept per locations
    (:meth:`VerifierCache.signer_witness`) can be found by it."""
    if not pol.witness_urls:
        return pol.witness_files
    learnt: list[Directory] = []
    for url in pol.witness_urls:
        hit = cache.witness_oobis.get(url, max_age=pol.witness.freshness_s) if cache is not None else None
        if hit is not None:
            note_cached(fetcher, hit[1])
            learnt.append(hit[0])
            continue
        mark = evidence_mark(fetcher)
        try:
            got = fetcher.fetch(url, EvidenceKind.WITNESS)
        except FetchError:
            found = Directory()
        else:
            found = cache.witnesses.learnt(got.body, url) if cache is not None else trusted_directory([(url, got.body)])
        if cache is not None:
            cache.witness_oobis.put(url, (found, evidence_since(fetcher, mark)))
        learnt.append(found)
    if cache is None:
        return functools.reduce(Directory.merged, learnt, pol.witness_files)
    return cache.merged((pol.witness_files, *learnt))


def _signer_witnessed(kid: str, aid: str, ref: _dt.datetime, *, fetcher: Fetcher, cache: VerifierCache | None,
                      pol: _Policies) -> tuple[KelResult, Sequence[Check], Directory]:
    """Step 3 with V-09 (architecture §2.4): the served KEL compared with the AID's witnesses,
    the key state at the reference time from the KEL they establish. ``witness_check: "off"``
    is the served stream alone, exactly as before witnesses were asked."""
    kel, checks, located, _ = _signer_step(kid, aid, ref, fetcher=fetcher, cache=cache, pol=pol)
    return kel, checks, located


def _signer_step(kid: str, aid: str, ref: _dt.datetime, *, fetcher: Fetcher, cache: VerifierCache | None,
                 pol: _Policies) -> tuple[KelResult, Sequence[Check], Directory,
                                          tuple[KelStream, SignerWitness] | None]:
    """:func:`_signer_witnessed`, with the served stream and what its witnesses establish (None
    when the witnesses were not asked)."""
    freshness_s = pol.witness.freshness_s
    if pol.witness.mode == "off":
        return (_signer_key_state(kid, aid, ref, fetcher=fetcher, cache=cache, freshness_s=freshness_s), (),
                _NO_LOCATIONS, None)
    try:
        if cache is not None:
            stream, _, body = cache.kels.served(kid, fetcher, freshness_s)
        else:
            got = fetcher.fetch(kid, EvidenceKind.OOBI)
            body = got.body
            stream = verify_stream(body)
    except FetchError as ex:
        return KelResult(status=Status.INDETERMINATE, aid=aid, state=None, codes=(ex.code,),
                         messages=(ex.message,), at=ref, source=kid), (), _NO_LOCATIONS, None
    trusted = _trusted_locations(pol, fetcher, cache)
    if cache is None:
        sw = signer_witness(kid, aid, stream=stream, body=body, fetcher=fetcher, policy=pol.witness, cache=None,
                            trusted=trusted)
    else:
        sw = cache.signer_witness(kid, aid, stream=stream, body=body, trusted=trusted, fetcher=fetcher,
                                  policy=pol.witness)
    return sw.key_state(stream, kid, aid, ref), sw.checks, sw.directory, (stream, sw)


def _as_key_state(kel: KelResult, checks: Sequence[Check]) -> KelResult:
    """For a caller whose verdict has no place for the V-09 checks (the callee's): a witness
    check that fails or cannot be made under "required" becomes the key state's own status."""
    bad = [c for c in checks if c.status.value in ("fail", "indeterminate")]
    if not bad or kel.status is Status.INVALID:
        return kel
    worst = next((c for c in bad if c.status.value == "fail"), bad[0])
    st = Status.INVALID if worst.status.value == "fail" else Status.INDETERMINATE
    if kel.status is Status.INDETERMINATE and st is Status.INDETERMINATE:
        return kel
    return KelResult(status=st, aid=kel.aid, state=None, codes=(worst.code,), messages=(worst.message,),
                     events=kel.events, aids=kel.aids, at=kel.at, source=kel.source)


def _issuers_witnessed(dres: DossierResult, extra: Directory, ref: _dt.datetime, *, fetcher: Fetcher,
                       cache: VerifierCache | None, pol: _Policies) -> tuple[Sequence[Check], float | None]:
    """Every credential issuer's KEL against its witnesses (architecture §2.4; vvp.witness.issuers),
    and until when (on the witness cache's clock) those checks hold for any reference time
    (None: they depend on it, or nothing keeps them)."""
    if pol.witness.mode == "off" or not dres.issuer_kels or not dres.credentials:
        return (), float("inf")

    def creds() -> list[tuple[str, str, frozenset[str]]]:
        return [(c.said, c.issuer, frozenset(e.said for e in c.tel)) for c in dres.credentials.values()]

    if cache is None:
        directory = _trusted_locations(pol, fetcher, cache).merged(extra).merged(dres.witness_locations)
        return issuer_checks(dres.issuer_kels, creds(), directory, ref=ref, fetcher=fetcher, policy=pol.witness,
                             cache=None), None
    directory = cache.merged((_trusted_locations(pol, fetcher, cache), extra, dres.witness_locations))
    return cached_issuer_checks(dres.issuer_kels, creds, directory, ref=ref, fetcher=fetcher, policy=pol.witness,
                                cache=cache.witnesses)


def _signer_key_state(kid: str, aid: str, ref: _dt.datetime, *, fetcher: Fetcher, cache: VerifierCache | None,
                      freshness_s: float) -> KelResult:
    """Step 3: the kid AID's key state at the reference time (through the cache when there is one)."""
    if cache is None:
        return resolve_kel(kid, fetcher, aid=aid, at=ref)
    try:
        return cache.kels._key_state(kid, aid, ref, fetcher, freshness_s)
    except FetchError as ex:
        return KelResult(status=Status.INDETERMINATE, aid=aid, state=None, codes=(ex.code,),
                         messages=(ex.message,), at=ref, source=kid)


@dataclass
class VerifierCache:
    """What a long-lived verifier (the service, a batch worker) keeps between calls: verified KELs
    by OOBI (within ``key_state_freshness_s``), dossier fetches, keri ingests and results by SAID
    (:class:`vvp.dossier.DossierCache`, within ``revocation_freshness_s``), x5u certificates and
    CRLs. Never shared between processes; none for the CLI, which verifies one call."""

    dossiers: DossierCache = field(default_factory=DossierCache)
    kels: KelCache = field(default_factory=KelCache)
    shaken: ShakenCache = field(default_factory=ShakenCache)
    witnesses: WitnessCache = field(default_factory=WitnessCache)
    """What witnesses said (within key_state_freshness_s), and what was learnt from it (§2.4)."""
    witness_oobis: Lru[tuple[Directory, tuple[FetchEvent, ...]]] = field(default_factory=lambda: Lru(256))
    """The trust store's witness OOBI URLs: the locations each vouched for, with its fetch events."""
    keystate: VerifiedKels = field(default_factory=VerifiedKels)
    """Key events keri accepted in this process's ingests (vvp._keri.verified; architecture §5, cold
    path): a new dossier's KELs shared with earlier ones are not verified again. Every verdict is
    still a function of its call's own evidence; duplicity between sources is kept in
    ``keystate.conflicts()``."""

    signers: Lru[tuple[KelStream, bytes, Directory, SignerWitness, tuple[FetchEvent, ...]]] = field(
        default_factory=lambda: Lru(1024))
    """One level above ``witnesses``: each signer's whole :class:`~vvp.witness.check.SignerWitness`
    by (kid, AID, witness policy), with the served stream and locations it was made from."""
    blocks: Lru[tuple[tuple[CheckBlock | Sequence[Check], ...], CheckBlock]] = field(default_factory=lambda: Lru(1024))
    """Cached results' checks joined into one block, by the objects joined (:meth:`block`)."""
    warm: Lru[_Warm] = field(default_factory=lambda: Lru(1024))
    """One level above the KEL, dossier and witness caches: per signer and dossier cited (:class:`_Warm`)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    merges: Lru[tuple[tuple[Directory, ...], Directory]] = field(default_factory=lambda: Lru(256))
    """Witness locations merged (the trust store's, a kid's, a dossier's), by the Directory objects
    merged: the same locations are the same object call after call, so what is kept per
    locations is found by identity."""

    def __post_init__(self) -> None:
        self.dossiers.known = self.keystate
        self.kels.known = self.keystate

    def merged(self, parts: tuple[Directory, ...]) -> Directory:
        """``parts[0].merged(parts[1]).merged(…)``, the same object for the same objects."""
        key = tuple(id(d) for d in parts)
        hit = self.merges.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], parts, strict=True)):
            return hit[1]
        out = functools.reduce(Directory.merged, parts[1:], parts[0])
        self.merges.put(key, (parts, out))  # holds the parts: their ids are not reused while it lives
        return out

    def block(self, parts: tuple[CheckBlock | Sequence[Check], ...]) -> CheckBlock:
        """One :class:`~vvp.verdict.CheckBlock` of the checks of ``parts`` in order, the same
        object for the same objects (cached results' checks: the verdict is built from one block
        instead of several)."""
        key = tuple(id(p) for p in parts)
        hit = self.blocks.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], parts, strict=True)):
            return hit[1]
        out = CheckBlock.of([c for p in parts for c in (p.checks if isinstance(p, CheckBlock) else p)])
        self.blocks.put(key, (parts, out))  # holds the parts: their ids are not reused while it lives
        return out

    def signer_witness(self, kid: str, aid: str, *, stream: KelStream, body: bytes, trusted: Directory,
                       fetcher: Fetcher, policy: WitnessPolicy) -> SignerWitness:
        """:func:`vvp.witness.check.signer_witness` kept whole: while the kid's served stream and
        the trusted locations are the very objects it was made from (their own caches say when
        they are stale) and every witness answer in it is fresh, a call costs one lookup, and its
        recorder gets the evidence those answers came from, as from the lower caches."""
        key = (kid, aid, policy.key())
        hit = self.signers.get(key)
        if hit is not None and hit[0] is stream and hit[1] is body and hit[2] is trusted \
                and self.witnesses.now() < hit[3].expires:
            note_cached(fetcher, hit[4])
            return hit[3]
        mark = evidence_mark(fetcher)
        sw = signer_witness(kid, aid, stream=stream, body=body, fetcher=fetcher, policy=policy, cache=self.witnesses,
                            trusted=trusted)
        self.signers.put(key, (stream, body, trusted, sw, evidence_since(fetcher, mark)))
        return sw


@dataclass(frozen=True, slots=True)
class _Settled:
    """A dossier's result at one reference-time interval, its issuers' witness checks, until
    when those hold (the witness cache's clock) and every fetch event a call that gets all of
    this from the caches hands its recorder (the signer's KEL and witnesses', the dossier's, the
    issuers' witnesses', in the order the steps hand them)."""

    dossier: DossierResult
    issuers: Sequence[Check]
    expires: float
    events: tuple[FetchEvent, ...]
    evidence: EvidenceOutcome | None
    """The evidence claim when the dossier binds no foreign evidence (the same for every call);
    None when it binds some (judged per call)."""
    tails: dict[int, tuple[CheckBlock, CheckBlock]] = field(default_factory=dict)
    """The dossier's, issuers' and authorization checks as one block, by the authorization block
    (held beside it) of the calls' facts (:func:`_tail`)."""


@dataclass(frozen=True, slots=True)
class _Warm:
    """One signer's KEL as its witnesses establish it and one dossier it cites, kept one level
    above the caches they came from (architecture §2.1): while the KEL cache and the dossier
    cache still hand out the very entries this was made from (their own freshness), the call is
    made by the same Verifier (``policies``: its trust store's) and the witnesses' answers are
    fresh, a call from that signer citing that dossier needs no other lookup. ``settled`` holds one :class:`_Settled` per
    interval between the dossier's ``bounds`` (grown by calls at other reference times)."""

    kel_entry: object
    dossier_entry: object
    policies: _Policies
    stream: KelStream
    witness: SignerWitness
    bounds: Sequence[_dt.datetime]
    settled: dict[int, _Settled] = field(default_factory=dict)


def _warm_key(kid: str, aid: str, evd: str, pol: _Policies) -> tuple[Any, ...]:
    """By the Verifier's policies object (held in the entry, so its id is not reused while the
    entry lives): everything a :class:`_Warm` holds follows from that one trust store's policy."""
    return (kid, aid, evd, id(pol))


def _warm(kid: str, aid: str, evd: str, ref: _dt.datetime, *, fetcher: Fetcher, cache: VerifierCache,
          pol: _Policies) -> tuple[_Warm, _Settled] | None:
    """Steps 3 and 4 and the issuers' witnesses from :class:`_Warm` when it holds for this call
    (its evidence handed to the recorder), else None and nothing done."""
    got = cache.warm.get(_warm_key(kid, aid, evd, pol))
    if got is None or got.policies is not pol:
        return None
    settled = got.settled.get(bisect.bisect_right(got.bounds, ref))
    if settled is None:
        return None
    now = cache.witnesses.now()
    if not (now < got.witness.expires and now < settled.expires) \
            or cache.kels.entry(kid, pol.witness.freshness_s) is not got.kel_entry \
            or cache.dossiers.entry(evd, pol.dossier.revocation_freshness_s) is not got.dossier_entry:
        return None
    note_cached(fetcher, settled.events)
    return got, settled


def _keep_warm(kid: str, aid: str, evd: str, ref: _dt.datetime, signer: tuple[KelStream, SignerWitness],
               dres: DossierResult, issuers: Sequence[Check], expires: float, events: tuple[FetchEvent, ...],
               evidence: EvidenceOutcome, *, cache: VerifierCache, pol: _Policies) -> None:
    """Keep what a call just got from the caches as :class:`_Warm` (see there), when all of it
    came from entries that can be told apart from their successors."""
    kel_entry = cache.kels.entry(kid, pol.witness.freshness_s)
    fetched = cache.dossiers.entry(evd, pol.dossier.revocation_freshness_s)
    if kel_entry is None or kel_entry[0] is not signer[0] or fetched is None:
        return
    prep = cache.dossiers.prepared(fetched[0].body, citation_said(evd))
    if prep is None:
        return
    key = _warm_key(kid, aid, evd, pol)
    got = cache.warm.get(key)
    if got is None or got.kel_entry is not kel_entry or got.dossier_entry is not fetched \
            or got.policies is not pol or got.witness is not signer[1] or got.bounds is not prep.bounds:
        got = _Warm(kel_entry, fetched, pol, signer[0], signer[1], prep.bounds)
        cache.warm.put(key, got)
    with cache.lock:
        got.settled[bisect.bisect_right(prep.bounds, ref)] = _Settled(
            dres, issuers, expires, events, None if bridges_of(dres) else evidence)


def _tail(cache: VerifierCache, settled: _Settled | None, dres: DossierResult, issuers: Sequence[Check],
          auth: CheckBlock) -> CheckBlock:
    """The dossier's, its issuers' witness and the authorization checks as one block (each a
    cached result's), kept with ``settled`` when there is one, else by :meth:`VerifierCache.block`."""
    if settled is not None:
        hit = settled.tails.get(id(auth))
        if hit is not None and hit[0] is auth:
            return hit[1]
    out = cache.block((dres.derived(_VERDICT_BLOCK, lambda: CheckBlock.of(dres.checks)), issuers, auth))
    if settled is not None:
        with cache.lock:
            settled.tails[id(auth)] = (auth, out)
            while len(settled.tails) > _MAX_TAILS:
                del settled.tails[next(iter(settled.tails))]
    return out


_MAX_TAILS = 64  # per dossier result and interval: one per distinct (orig, card, goal) of its calls


_VERDICT_BLOCK = "verdict block"  # the DossierResult.derived key of its checks as a CheckBlock
_NO_LOCATIONS = Directory()  # one object: what is kept per locations is found by identity


class Verifier:
    """One trust store, many calls (architecture §2.1): the public way to verify.

    Built once from a :class:`~vvp.trust.TrustStore` (whose files were read when it was loaded),
    a :class:`~vvp.fetch.Fetcher` and a :class:`VerifierCache`; everything derived from the trust
    store (step policies, parsed anchors, the schema index) is made here, once, and every cache
    belongs to this object: nothing per trust store or per call lives in module globals. A
    replaced anchor or schema file takes effect when the trust store is loaded again and a new
    Verifier built from it. Thread-safe for concurrent ``verify`` calls (the caches lock).

    ``cache=None`` makes a fresh cache; ``use_cache=False`` verifies every call from scratch (the
    CLI's one call, and replay, where nothing is reused).
    """

    def __init__(self, trust: TrustStore, fetcher: Fetcher, cache: VerifierCache | None = None, *,
                 use_cache: bool = True) -> None:
        self.trust = trust
        self.fetcher = fetcher
        self.cache: VerifierCache | None = (cache if cache is not None else VerifierCache()) if use_cache else None
        self._pol = _Policies.of(trust)

    def with_cache(self, cache: VerifierCache | None) -> Verifier:
        """This Verifier with another cache (None: none), sharing everything derived from the
        trust store (benchmarks of the cold path, tests that step caches)."""
        other = Verifier.__new__(Verifier)
        other.trust, other.fetcher, other.cache, other._pol = self.trust, self.fetcher, cache, self._pol
        return other

    @property
    def dossier_policy(self) -> DossierPolicy:
        return self._pol.dossier

    def verify(self, call: CallInput, *, fetcher: Fetcher | None = None) -> Verdict:
        """Verify one call. ``fetcher`` overrides the Verifier's own for this call (a recording
        fetcher wrapping it, for a record). Never raises for bad evidence or bad input."""
        f = fetcher if fetcher is not None else self.fetcher
        if self.cache is not None and not isinstance(f, RecordingFetcher):
            f = RecordingFetcher(f)  # caches capture what they are built from, for later recorded calls
        return _verify(call, trust=self.trust, pol=self._pol, fetcher=f, cache=self.cache)

    def verify_callee(self, call: CalleeInput, *, fetcher: Fetcher | None = None) -> Verdict:
        """Verify one answer: the callee's PASSporT from a 180/200 (architecture §2.2). The
        callee logic is :mod:`vvp.callee`; this hands it the policy and this verifier's key-state
        and dossier steps (same caches, same recording). Never raises for bad evidence or input."""
        f = fetcher if fetcher is not None else self.fetcher
        if self.cache is not None and not isinstance(f, RecordingFetcher):
            f = RecordingFetcher(f)
        ref, cache, pol = call.reference_time, self.cache, self._pol
        signer: list[KelResult] = []  # the callee's key state, once key_state has run

        def key_state(kid: str, aid: str) -> KelResult:
            kel, wchecks, _ = _signer_witnessed(kid, aid, ref, fetcher=f, cache=cache, pol=pol)
            signer.append(kel)
            return _as_key_state(kel, wchecks)

        def dossier(evd: str) -> DossierResult:
            dres = verify_dossier(evd, fetcher=f, reference_time=ref, policy=pol.dossier,
                                  cache=cache.dossiers if cache else None)
            extra, _ = _issuers_witnessed(dres, _NO_LOCATIONS, ref, fetcher=f, cache=cache, pol=pol)
            forked = _kid_kel_forked(signer[0] if signer else None, dres)
            if forked is not None:
                extra = [*extra, forked]
            if not extra:
                return dres
            checks = dres.checks + tuple(extra)
            return replace(dres, checks=checks, status=claim_status(checks).status)

        return verify_callee(call, policy=pol.callee, key_state=key_state, dossier=dossier)


AnyInput = CallInput | CalleeInput
"""What a record's inputs rebuild to: a caller's call or a callee's answer."""


def input_from_json(d: Mapping[str, Any]) -> AnyInput:
    """Recorded inputs back to what was verified: ``"direction": "callee"`` marks an answer."""
    return CalleeInput.from_json(d) if is_callee_inputs(d) else CallInput.from_json(d)


def verify_call(call: AnyInput, *, trust: TrustStore, fetcher: Fetcher,
                cache: VerifierCache | None = None) -> Verdict:
    """One call (or one answer: a :class:`CalleeInput`) with a Verifier made for it (tests, tools,
    replay): builds the trust store's derived state every time, so long-lived front ends hold a
    :class:`Verifier` instead."""
    v = Verifier(trust, fetcher, cache, use_cache=cache is not None)
    return v.verify_callee(call) if isinstance(call, CalleeInput) else v.verify(call)


def _verify(call: CallInput, *, trust: TrustStore, pol: _Policies, fetcher: Fetcher,
            cache: VerifierCache | None) -> Verdict:
    """Verify one call (module docstring). Never raises for bad evidence or bad input."""
    ref = call.reference_time
    ref_text = clock.rfc3339(ref)
    inputs = _read_inputs(call)
    # The verdict's checks in order, as parts: sequences of checks, and a cached dossier result's
    # checks as a block (build_verdict_from reads a block as its checks, with its bookkeeping
    # done once), as are a cached authorization's.
    parts: list[Sequence[Check] | CheckBlock] = [inputs.checks] if inputs.checks else []
    vvp_values = inputs.vvp
    passport: VvpPassport | None = None
    kid_locations = _NO_LOCATIONS  # witness locations the kid OOBI response vouched for
    warm: tuple[_Warm, _Settled] | None = None  # steps 3 and 4 as a warm call gets them (_Warm)
    signer: tuple[KelStream, SignerWitness] | None = None
    mark: int | None = None
    keep: tuple[float, tuple[FetchEvent, ...]] | None = None  # what a call that found no _Warm keeps
    kel: KelResult | None = None  # the signer's key state from its kid OOBI
    if not vvp_values:
        parts.append((indeterminate("X-INPUT-03", "passport", codes.NO_VVP_PASSPORT,
                                    "the call carries no VVP PASSporT"),))
    else:
        if len(vvp_values) > 1:
            parts.append([warned("X-INPUT-04", "passport", codes.MULTIPLE_VVP_PASSPORTS,
                                 f"VVP PASSporT {i} not verified: only the first one is", subject=f"identity-vvp-{i}")
                          for i, extra in enumerate(vvp_values[1:], start=2)])
        pr = check_passport(vvp_values[0].value, reference_time=ref, policy=pol.passport, reference_text=ref_text)
        parts += pr.parts
        passport = pr.passport
        if passport is not None and passport.kid is not None and passport.kid_aid is not None:
            kid, aid, evd = passport.kid, passport.kid_aid, passport.evd
            warm = _warm(kid, aid, evd, ref, fetcher=fetcher, cache=cache, pol=pol) \
                if cache is not None and evd is not None and not pol.witness_urls else None
            wchecks: Sequence[Check]
            if warm is not None:
                sw = warm[0].witness
                kel, wchecks, kid_locations = sw.key_state(warm[0].stream, kid, aid, ref), sw.checks, sw.directory
            else:
                mark = evidence_mark(fetcher) if cache is not None else None
                kel, wchecks, kid_locations, signer = _signer_step(kid, aid, ref, fetcher=fetcher, cache=cache,
                                                                   pol=pol)
            parts.append(_key_state_checks(passport, kel))
            parts.append(wchecks)
    parts.append(check_context(passport, orig=call.orig, dest=call.dest, sip=inputs.sip,
                               iat_tolerance_s=trust.policy.iat_tolerance_s, require_context=call.require_context))
    dres: DossierResult | None = None
    if passport is not None and passport.evd is not None:
        if warm is not None:
            dres, issuers = warm[1].dossier, warm[1].issuers
        else:
            dres = verify_dossier(passport.evd, fetcher=fetcher, reference_time=ref,
                                  policy=pol.dossier, cache=cache.dossiers if cache else None)
            issuers, expires = _issuers_witnessed(dres, kid_locations, ref, fetcher=fetcher, cache=cache, pol=pol)
            if cache is not None and mark is not None and signer is not None and expires is not None \
                    and not pol.witness_urls:
                keep = (min(expires, signer[1].expires), evidence_since(fetcher, mark))
        forked = _kid_kel_forked(kel, dres)
        if forked is not None:
            parts.append((forked,))
    else:
        parts.append((indeterminate("X-DOSSIER-00", "dossier", codes.DOSSIER_NOT_CITED,
                                    "no usable VVP PASSporT cites a dossier"),))
    facts = CallFacts(signer=passport.kid_aid or "", orig=passport.orig_tn, card=passport.token.payload.get("card"),
                      goal=passport.goal) if passport is not None else CallFacts("", None, None, None)
    # with a cache, the answer kept with the dossier result, as it is: its brand and detail are
    # copied below, into this call's verdict
    shared = shared_authorization(dres, facts, reference_time=ref, policy=pol.auth) if cache is not None else None
    auth = shared[0] if shared is not None else check_authorization(dres, facts, reference_time=ref, policy=pol.auth)
    auth_block = shared[1] if shared is not None else auth.block
    if dres is not None:
        if cache is not None and auth_block is not None:
            # the dossier's, its issuers' witness and the authorization checks: each a cached
            # result's, so their block is kept for the three
            parts.append(_tail(cache, warm[1] if warm is not None else None, dres, issuers, auth_block))
        else:
            parts += (dres.checks, issuers, auth_block if auth_block is not None else auth.checks)
    else:
        parts.append(auth_block if auth_block is not None else auth.checks)
    if warm is not None and warm[1].evidence is not None:
        evidence = warm[1].evidence
    else:
        evidence = foreign_evidence(dres, trust=trust.foreign, policy=trust.policy, fetcher=fetcher,
                                    reference_time=ref, orig=facts.orig, parties=auth.parties,
                                    signer=facts.signer or None)
    if keep is not None and cache is not None and dres is not None and signer is not None and passport is not None \
            and passport.kid is not None and passport.kid_aid is not None and passport.evd is not None:
        _keep_warm(passport.kid, passport.kid_aid, passport.evd, ref, signer, dres, issuers, keep[0], keep[1], evidence,
                   cache=cache, pol=pol)
    parts.append(evidence.checks)
    shaken = _shaken(call, inputs, passport, parts, pol=pol, fetcher=fetcher, cache=cache)
    parts.append(shaken.checks)
    details: dict[str, dict[str, Any]] = {
        "shaken": dict(_NO_SHAKEN_DETAILS) if shaken is _NO_SHAKEN else shaken.details()}
    if evidence.detail:  # artifacts' own claims (token iat, exp...): JSON-safe, or the record cannot be written
        details["evidence"] = json_safe(evidence.detail)
    if auth.detail:
        details["authorization"] = dict(auth.detail)
    if dres is not None and dres.said is not None:
        details["dossier"] = {"said": dres.said}
    return build_verdict_from(parts, reference_time=ref_text,
                              brand_strict=trust.policy.brand_failure == "strict",
                              evidence_strict=trust.policy.foreign_evidence == "strict",
                              display={"brand": display_copy(auth.display_brand) if auth.display_brand else None},
                              claim_details=details)
