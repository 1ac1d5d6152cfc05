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

import datetime as _dt
import functools
import threading
import time
from collections import OrderedDict
from pathlib import Path
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from vvp import clock, codes
from vvp._keri.kel import verify_signature
from vvp.authorization import AuthPolicy, CallFacts, check_authorization
from vvp.context import check_context
from vvp.dossier import DossierCache, DossierPolicy, DossierResult, verify_dossier
from vvp.errors import ConfigError, FetchError
from vvp.fetch import EvidenceKind, Fetcher
from vvp.kel import resolve_kel, verify_stream
from vvp.keystate import KelResult, KelStream, select_key_state
from vvp.passport import PassportPolicy, VvpPassport, check_passport, check_signature
from vvp.stir.identity import IdentityRouting, route_identities
from vvp.stir.certs import X5uError, load_pem_certificates
from vvp.stir.shaken import ShakenClaim, ShakenPolicy, shaken_claim, verify_shaken
from vvp.stir.sip import SipError, SipRequest, parse_sip
from vvp.stir.x5ucache import ShakenCache
from vvp.trust import TrustStore
from vvp.verdict import (
    DECIDING_CLAIMS, Check, Status, Verdict, build_verdict, claim_status, failed, indeterminate, not_applicable,
    passed, warned,
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


@functools.lru_cache(maxsize=32)
def _anchors(paths: tuple[Path, ...], what: str) -> tuple[x509.Certificate, ...]:
    """Certificates from the trust store's PEM files, read once per set of paths (the trust store
    is immutable). A file that is not a certificate chain is a configuration error."""
    out: list[x509.Certificate] = []
    for p in paths:
        try:
            out += load_pem_certificates(p.read_bytes(), what=what)
        except (OSError, X5uError) as ex:
            raise ConfigError(f"trust store {what} {p}: {ex}", code=codes.TRUST_BAD_VALUE) from None
    return tuple(out)


def _shaken_policy(trust: TrustStore) -> ShakenPolicy:
    p = trust.policy
    return ShakenPolicy(iat_freshness_s=p.shaken_iat_freshness_s, crl=p.crl, x5u_cache_s=p.x5u_cache_s,
                        crl_cache_s=p.revocation_freshness_s)


@dataclass(frozen=True, slots=True)
class _Inputs:
    """Step 1's result: the routed Identity values, the SIP request (if any) and input findings."""

    routing: IdentityRouting
    sip: SipRequest | None
    checks: tuple[Check, ...]


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
    return _Inputs(routing, sip, tuple(checks))


def _passport_policy(trust: TrustStore) -> PassportPolicy:
    p = trust.policy
    return PassportPolicy(max_passport_validity_s=p.max_passport_validity_s, iat_tolerance_s=p.iat_tolerance_s,
                          clock_skew_s=p.clock_skew_s, allow_legacy_typ=p.allow_legacy_typ,
                          require_ppt_param=p.require_ppt_param)


def _key_state_checks(passport: VvpPassport, kel: KelResult) -> list[Check]:
    """P-06, V-05, P-07 and V-06 for the signer: the kid OOBI is a KEL, the key state at the
    reference time is known, it is single-sig, and its key verifies the PASSporT signature."""
    subj = passport.kid_aid
    out: list[Check] = []
    code = kel.codes[0] if kel.codes else codes.INTERNAL_ERROR
    why = "; ".join(kel.messages) or code
    if kel.status is Status.VALID and kel.state is not None:
        st = kel.state
        out.append(passed("P-06", "passport", f"the kid OOBI serves a verified KEL for {subj}", subj))
        out.append(passed("V-05", "passport", f"key state at the reference time: sn {st.sn} "
                          f"(establishment sn {st.est_sn})", subj))
        if st.single_sig:
            out.append(passed("P-07", "passport", "the signer is single-sig (one key, kt 1)", subj))
            key = st.keys[0]
            out.append(check_signature(passport, lambda sig, data: verify_signature(key, sig, data), subject=subj,
                                       key_description=f"key {key} (establishment sn {st.est_sn})"))
        else:
            out.append(failed("P-07", "passport", codes.KID_NOT_SINGLE_SIG,
                              f"the signer has {len(st.keys)} keys, threshold {st.kt!r}: not single-sig", subj))
            out.append(not_applicable("V-06", "passport", codes.PASSPORT_PREREQUISITE_FAILED,
                                      "not checked: the signer is not single-sig", subj))
        return out
    mk = failed if kel.status is Status.INVALID else indeterminate
    out.append(mk("P-06", "passport", code, f"the kid OOBI: {why}", subj))
    out.append(mk("V-05", "passport", code, f"no key state at the reference time: {why}", subj))
    out.append(not_applicable("P-07", "passport", codes.PASSPORT_PREREQUISITE_FAILED,
                              "not checked: no key state", subj))
    out.append(mk("V-06", "passport", code, f"the signature cannot be checked without key state: {why}", subj))
    return out


def _shaken(call: CallInput, inputs: _Inputs, passport: VvpPassport | None, vvp_checks: list[Check], *,
            trust: TrustStore, fetcher: Fetcher, cache: VerifierCache | None) -> ShakenClaim:
    """Step 8: the first SHAKEN PASSporT, beside VVP; its own verstat, never the overall status."""
    values = inputs.routing.shaken
    if not values:
        return shaken_claim(None)
    sip = inputs.sip
    ctx_orig = call.orig or (sip.pai_tn or sip.from_tn if sip is not None else None)
    ctx_dest = call.dest or (sip.to_tn if sip is not None else None)
    result = verify_shaken(values[0].value, reference_time=call.reference_time,
                           anchors=_anchors(trust.sti_pa, "sti_pa"),
                           crl_signers=_anchors(trust.sti_crl_signers, "sti_crl_signers"),
                           policy=_shaken_policy(trust), fetcher=fetcher, cache=cache.shaken if cache else None,
                           context_orig=ctx_orig, context_dest=ctx_dest)
    by_claim: dict[str, list[Check]] = {}
    for c in vvp_checks:
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

    def __init__(self, max_entries: int = 1024, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self._now = monotonic
        self._lock = threading.Lock()
        self._streams: OrderedDict[str, tuple[KelStream, float]] = OrderedDict()
        self.fetches = 0
        self.ingests = 0

    def stream(self, url: str, fetcher: Fetcher, freshness_s: float) -> KelStream:
        """The verified stream behind ``url``; raises FetchError when it cannot be fetched."""
        with self._lock:
            hit = self._streams.get(url)
            if hit is not None and self._now() - hit[1] <= freshness_s:
                self._streams.move_to_end(url)
                return hit[0]
        got = fetcher.fetch(url, EvidenceKind.OOBI)
        self.fetches += 1
        stream = verify_stream(got.body)
        self.ingests += 1
        with self._lock:
            self._streams[url] = (stream, self._now())
            self._streams.move_to_end(url)
            while len(self._streams) > self.max_entries:
                self._streams.popitem(last=False)
        return stream


def _signer_key_state(kid: str, aid: str, ref: _dt.datetime, *, fetcher: Fetcher, cache: VerifierCache | None,
                      freshness_s: float) -> KelResult:
    """Step 3: the kid AID's key state at the reference time (through the cache when there is one)."""
    if cache is None:
        return resolve_kel(kid, fetcher, aid=aid, at=ref)
    try:
        stream = cache.kels.stream(kid, fetcher, freshness_s)
    except FetchError as ex:
        return KelResult(status=Status.INDETERMINATE, aid=aid, state=None, codes=(ex.code,),
                         messages=(ex.message,), at=ref, source=kid)
    return select_key_state(stream, aid, at=ref, source=kid)


@dataclass
class VerifierCache:
    """What a long-lived verifier (the service, a batch worker) keeps between calls: verified KELs
    by OOBI (within ``key_state_freshness_s``), dossier fetches, keri ingests and results by SAID
    (:class:`vvp.dossier.DossierCache`, within ``revocation_freshness_s``), x5u certificates and
    CRLs. Never shared between processes; none for the CLI, which verifies one call."""

    dossiers: DossierCache = field(default_factory=DossierCache)
    kels: KelCache = field(default_factory=KelCache)
    shaken: ShakenCache = field(default_factory=ShakenCache)


def verify_call(call: CallInput, *, trust: TrustStore, fetcher: Fetcher,
                cache: VerifierCache | None = None) -> Verdict:
    """Verify one call (module docstring). Never raises for bad evidence or bad input."""
    ref = call.reference_time
    inputs = _read_inputs(call)
    checks: list[Check] = list(inputs.checks)
    vvp_values = inputs.routing.vvp
    passport: VvpPassport | None = None
    if not vvp_values:
        checks.append(indeterminate("X-INPUT-03", "passport", codes.NO_VVP_PASSPORT,
                                    "the call carries no VVP PASSporT"))
    else:
        for i, extra in enumerate(vvp_values[1:], start=2):
            checks.append(warned("X-INPUT-04", "passport", codes.MULTIPLE_VVP_PASSPORTS,
                                 f"VVP PASSporT {i} not verified: only the first one is", subject=f"identity-vvp-{i}"))
        pr = check_passport(vvp_values[0].value, reference_time=ref, policy=_passport_policy(trust))
        checks += pr.checks
        passport = pr.passport
        if passport is not None and passport.kid is not None and passport.kid_aid is not None:
            kel = _signer_key_state(passport.kid, passport.kid_aid, ref, fetcher=fetcher, cache=cache,
                                    freshness_s=trust.policy.key_state_freshness_s)
            checks += _key_state_checks(passport, kel)
    checks += check_context(passport, orig=call.orig, dest=call.dest, sip=inputs.sip,
                            iat_tolerance_s=trust.policy.iat_tolerance_s, require_context=call.require_context)
    dres: DossierResult | None = None
    if passport is not None and passport.evd is not None:
        dres = verify_dossier(passport.evd, fetcher=fetcher, reference_time=ref,
                              policy=DossierPolicy.from_trust(trust), cache=cache.dossiers if cache else None)
        checks += dres.checks
    else:
        checks.append(indeterminate("X-DOSSIER-00", "dossier", codes.DOSSIER_NOT_CITED,
                                    "no usable VVP PASSporT cites a dossier"))
    facts = CallFacts(signer=passport.kid_aid or "", orig=passport.orig_tn, card=passport.payload.get("card"),
                      goal=passport.goal) if passport is not None else CallFacts("", None, None, None)
    auth = check_authorization(dres, facts, reference_time=ref,
                               policy=AuthPolicy(require_brand_proxy=trust.policy.require_brand_proxy))
    checks += auth.checks
    shaken = _shaken(call, inputs, passport, checks, trust=trust, fetcher=fetcher, cache=cache)
    checks += shaken.checks
    details: dict[str, dict[str, Any]] = {"shaken": shaken.details()}
    if auth.detail:
        details["authorization"] = dict(auth.detail)
    if dres is not None and dres.said is not None:
        details["dossier"] = {"said": dres.said}
    return build_verdict(checks, reference_time=clock.rfc3339(ref),
                         brand_strict=trust.policy.brand_failure == "strict",
                         display={"brand": dict(auth.display_brand) if auth.display_brand else None},
                         claim_details=details)
