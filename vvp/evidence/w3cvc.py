"""W3C Verifiable Credentials 2.0 with a Data Integrity proof (``eddsa-rdfc-2022``, ``ecdsa-rdfc-2019``).

What is checked, in order (each failure a code of :mod:`vvp.codes`, section "evidence: SD-JWT and
W3C VC"); the cheap and trust checks come before canonicalisation, so that a VC naming an issuer
nobody trusts never costs a canonicalisation:

1. strict JSON (no duplicate keys), at most :data:`MAX_VC_BYTES`; a VCDM 2.0 credential: first
   context ``https://www.w3.org/ns/credentials/v2``, type ``VerifiableCredential``, an issuer, a
   credentialSubject, ``validFrom``/``validUntil`` as xsd:dateTimeStamp;
2. exactly one proof: ``DataIntegrityProof`` with a supported cryptosuite, ``proofPurpose``
   ``assertionMethod`` (the purpose an issuer asserts claims with), a base58btc ``proofValue``
   of 64 bytes, no ``previousProof``; a proof ``@context`` must be a prefix of the VC's;
3. the issuer is in ``foreign.vc_issuers`` and the verification method is one of its keys: for a
   ``did:key`` issuer, ``did:key:<k>#<k>`` of that very DID (the controller is the issuer); for an
   issuer URL with a JWK set, a key of that set (by ``kid``, ``<issuer>#<kid>``, or a ``did:key``
   verification method whose key is in the set); the key type must fit the cryptosuite;
4. RDFC-1.0 canonical forms of the VC without its proof and of the proof configuration, through
   :mod:`vvp.evidence._jsonld` (frozen contexts, undefined-term detection, work limit);
5. the signature over SHA-256(canonical proof config) ‖ SHA-256(canonical VC): Ed25519, or ECDSA
   P-256 with SHA-256 (P1363 r‖s);
6. ``validFrom``/``validUntil`` and the proof's ``created``/``expires`` at the reference time,
   with ``clock_skew_s``.

``credentialStatus`` is reported in ``native`` and not dereferenced (a status list is a fetch and
a second credential; ``status_checked`` says so). Facts come from the credential subject by IRI,
after expansion, so that they mean what the contexts say: schema.org ``legalName``, ``leiCode``,
``taxID``/``vatID``/``identifier``, ``telephone``, ``url``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from vvp import codes, jose
from vvp.evidence import _didkey, _facts, _jwk
from vvp.evidence._jsonld import BASE_CONTEXT_V2, Canonical, ContextSet, JsonLdFailure, WorkBudget, canonicalize
from vvp.evidence._trustfiles import PerTrustCache
from vvp.evidence.base import ArtifactResult, CheckContext, Facts, ForeignTrust
from vvp.evidence.issuer_keys import load_issuer_keys, require_configured
from vvp.evidence.refusal import Refusal, guarded_check, indeterminate, invalid
from vvp.verdict import Status

MEDIA_TYPES: Final = ("application/vc+ld+json", "application/vc")
MAX_VC_BYTES: Final = 256 * 1024
"""evidence-formats §6: a VC of 256 KB is far beyond any real one (the JSON value and depth limits
of :func:`vvp.jose.loads_strict` apply as well)."""
CRYPTOSUITES: Final = ("eddsa-rdfc-2022", "ecdsa-rdfc-2019")
PROOF_PURPOSE: Final = "assertionMethod"
_DATETIME_RE: Final = re.compile(
    r"\A-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
_SCHEMA: Final = ("https://schema.org/", "http://schema.org/")
_VC_NS: Final = "https://www.w3.org/2018/credentials#"


# --- trust -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Issuer:
    id: str
    did_key: _jwk.PublicKey | None = None
    keys: tuple[_jwk.TrustedKey, ...] = ()
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class _TrustView:
    """What one ForeignTrust gives this checker, read once (see :mod:`._trustfiles`)."""

    contexts: ContextSet
    issuers: Mapping[str, _Issuer]


def _load_trust(trust: ForeignTrust) -> _TrustView:
    """Issuer keys and contexts from the bytes the trust store read when it was loaded
    (``files["vc_issuers"]``: the JWK set files in the order of the issuers that have one;
    ``files["contexts"]``: the context files in the order of ``contexts``), else (a ForeignTrust
    made by hand) from the paths, read now."""
    issuers: dict[str, _Issuer] = {}
    with_jwks = [vi for vi in trust.vc_issuers if vi.jwks is not None]
    loaded = trust.files.get("vc_issuers")
    jwks_bytes: dict[str, bytes | str] = {}
    if loaded is not None:
        for i, vi in enumerate(with_jwks):
            jwks_bytes[vi.id] = loaded[i] if len(loaded) == len(with_jwks) else \
                f"the loaded trust store holds {len(loaded)} JWK set files for {len(with_jwks)} issuers"
    for vi in trust.vc_issuers:
        if vi.jwks is None:
            try:
                _, key = _didkey.parse_did_key(vi.id)
                issuers[vi.id] = _Issuer(vi.id, did_key=key)
            except _didkey.DidKeyError as e:
                issuers[vi.id] = _Issuer(vi.id, problem=f"{vi.id}: {e}")
            continue
        data = jwks_bytes.get(vi.id)
        if isinstance(data, str):
            issuers[vi.id] = _Issuer(vi.id, problem=f"{vi.jwks}: {data}")
            continue
        got = load_issuer_keys([(str(vi.jwks), data if data is not None else vi.jwks)])
        issuers[vi.id] = _Issuer(vi.id, keys=got.keys, problem=got.problems[0] if got.problems else None)
    return _TrustView(ContextSet.load(trust.contexts, trust.files.get("contexts")), issuers)


# --- the Data Integrity computation -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DataIntegrityInputs:
    """Every intermediate value of a Data Integrity verification (the W3C vectors list them all)."""

    cryptosuite: str
    document: Canonical
    proof_config: Canonical
    document_hash: bytes
    proof_hash: bytes
    signature: bytes
    work: int

    @property
    def hash_data(self) -> bytes:
        """What the signature covers: SHA-256(proof config) ‖ SHA-256(document)."""
        return self.proof_hash + self.document_hash


def data_integrity_inputs(vc: Mapping[str, Any], contexts: ContextSet, budget: WorkBudget | None = None
                          ) -> DataIntegrityInputs:
    """Canonical forms, hashes and signature bytes of a secured VC (one proof object).
    Raises JsonLdFailure (canonicalisation) or ValueError (proof shape)."""
    proof = vc.get("proof")
    if not isinstance(proof, dict):
        raise ValueError("the VC has no single proof object")
    b = budget or WorkBudget()
    unsecured = {k: v for k, v in vc.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = vc.get("@context")
    pv = proof.get("proofValue")
    if not isinstance(pv, str):
        raise ValueError("proofValue is not a string")
    signature = _didkey.multibase_decode(pv)
    doc = canonicalize(unsecured, contexts, b)
    cfg = canonicalize(config, contexts, b)
    return DataIntegrityInputs(
        cryptosuite=str(proof.get("cryptosuite")), document=doc, proof_config=cfg,
        document_hash=hashlib.sha256(doc.nquads.encode("utf-8")).digest(),
        proof_hash=hashlib.sha256(cfg.nquads.encode("utf-8")).digest(), signature=signature, work=b.used)


def _verify_signature(key: _jwk.PublicKey, inputs: DataIntegrityInputs) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(inputs.signature, inputs.hash_data)
            return True
        r = int.from_bytes(inputs.signature[:32], "big")
        s = int.from_bytes(inputs.signature[32:], "big")
        key.verify(encode_dss_signature(r, s), inputs.hash_data, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


# --- the checker ---------------------------------------------------------------------------------

def _parse_time(value: Any, what: str) -> _dt.datetime:
    if not isinstance(value, str) or not _DATETIME_RE.match(value):
        raise invalid(codes.VC_MALFORMED, f"{what} is not an xsd:dateTimeStamp (with a time zone): {value!r:.60}")
    try:
        return _dt.datetime.fromisoformat(value).astimezone(_dt.UTC)
    except ValueError:
        raise invalid(codes.VC_MALFORMED, f"{what} is not a valid date and time: {value!r:.60}") from None


def _types(value: Any) -> list[str]:
    return [t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)]


class W3cVcChecker:
    """Verifies ``application/vc+ld+json`` (and ``application/vc``) artifacts (module docstring)."""

    media_types: tuple[str, ...] = MEDIA_TYPES

    def __init__(self) -> None:
        self._trust: PerTrustCache[_TrustView] = PerTrustCache("w3cvc.trust")

    def trust_view(self, trust: ForeignTrust) -> _TrustView:
        return self._trust.get(trust, lambda: _load_trust(trust))

    def check(self, data: bytes, media_type: str, ctx: CheckContext) -> ArtifactResult:
        native: dict[str, Any] = {"format": "w3c-vc-data-integrity"}
        return guarded_check(media_type, native, "W3C VC", lambda: self._check(data, media_type, ctx, native))

    def _check(self, data: bytes, media_type: str, ctx: CheckContext, native: dict[str, Any]) -> ArtifactResult:
        if len(data) > MAX_VC_BYTES:
            raise indeterminate(codes.EVIDENCE_TOO_LARGE, f"the VC has {len(data)} bytes (at most {MAX_VC_BYTES})")
        try:
            vc = jose.loads_strict(data, what="the VC")
        except jose.JoseError as e:
            raise invalid(codes.VC_MALFORMED, e.message, e.code) from None
        if not isinstance(vc, dict):
            raise invalid(codes.VC_MALFORMED, "the VC is not a JSON object")
        issuer_id, proof, valid_from, valid_until = self._shape(vc, native)
        cryptosuite, vm, created, expires, signature_len = self._proof(vc, proof, native)
        key, anchor = self._resolve(ctx, issuer_id, vm, cryptosuite)
        view = self.trust_view(ctx.trust)
        budget = WorkBudget()
        try:
            inputs = data_integrity_inputs(vc, view.contexts, budget)
        except JsonLdFailure as f:
            native["canonicalization"] = {"work": budget.used}
            raise Refusal(Status.INDETERMINATE if f.indeterminate else Status.INVALID, f.code, f.message) from None
        except (ValueError, _didkey.DidKeyError) as e:
            raise invalid(codes.VC_PROOF_MALFORMED, str(e)) from None
        native["canonicalization"] = {"quads": inputs.document.quads, "blank_nodes": inputs.document.blank_nodes,
                                      "work": inputs.work}
        native["contexts"] = {u: view.contexts.sha256.get(u) for u in _types(vc.get("@context"))}
        if len(inputs.signature) != signature_len or not _verify_signature(key, inputs):
            raise invalid(codes.VC_SIGNATURE_INVALID,
                          f"the {cryptosuite} signature does not verify under {vm}")
        problems: list[tuple[str, str]] = []
        skew = _dt.timedelta(seconds=ctx.policy.clock_skew_s)
        t = ctx.reference_time
        if valid_from is not None and t < valid_from - skew:
            problems.append((codes.VC_NOT_YET_VALID, f"validFrom {vc['validFrom']} is after the reference time"))
        if valid_until is not None and t >= valid_until + skew:
            problems.append((codes.VC_EXPIRED, f"validUntil {vc['validUntil']} is not after the reference time"))
        if created is not None and t < created - skew:
            problems.append((codes.VC_NOT_YET_VALID, "the proof was created after the reference time"))
        if expires is not None and t >= expires + skew:
            problems.append((codes.VC_EXPIRED, "the proof expired before the reference time"))
        facts = _facts_of(inputs.document.expanded)
        if problems:
            return ArtifactResult(media_type, Status.INVALID, tuple(dict.fromkeys(c for c, _ in problems)),
                                  tuple(m for _, m in problems), anchor, facts, native)
        return ArtifactResult(media_type, Status.VALID, (codes.OK,), (), anchor, facts, native)

    @staticmethod
    def _shape(vc: Mapping[str, Any], native: dict[str, Any]
               ) -> tuple[str, Mapping[str, Any], _dt.datetime | None, _dt.datetime | None]:
        ctx_list = vc.get("@context")
        items = ctx_list if isinstance(ctx_list, list) else [ctx_list]
        if not items or not isinstance(items[0], str):
            raise invalid(codes.VC_MALFORMED, "@context must start with the VCDM 2.0 base context URL")
        if items[0] != BASE_CONTEXT_V2:
            raise indeterminate(codes.VC_VERSION_UNSUPPORTED,
                                f"the first @context is {items[0][:80]!r}, not {BASE_CONTEXT_V2} (VCDM 2.0)")
        types = _types(vc.get("type"))
        native["type"] = types
        if "VerifiableCredential" not in types:
            raise invalid(codes.VC_MALFORMED, "type does not include VerifiableCredential")
        issuer = vc.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        if not isinstance(issuer_id, str) or not issuer_id:
            raise invalid(codes.VC_MALFORMED, "issuer is neither a URL nor an object with an id")
        native["issuer"] = issuer_id
        native["id"] = vc.get("id") if isinstance(vc.get("id"), str) else None
        subject = vc.get("credentialSubject")
        if not isinstance(subject, (dict, list)) or not subject:
            raise invalid(codes.VC_MALFORMED, "credentialSubject is missing")
        native["credentialSubject"] = subject
        status = vc.get("credentialStatus")
        native["credentialStatus"] = status
        native["status_checked"] = False
        vf = _parse_time(vc["validFrom"], "validFrom") if "validFrom" in vc else None
        vu = _parse_time(vc["validUntil"], "validUntil") if "validUntil" in vc else None
        native["validFrom"], native["validUntil"] = vc.get("validFrom"), vc.get("validUntil")
        proof = vc.get("proof")
        if isinstance(proof, list):
            if len(proof) != 1:
                raise indeterminate(codes.VC_PROOF_SET_UNSUPPORTED,
                                    f"the VC carries {len(proof)} proofs; only a single proof is verified")
            proof = proof[0]
        if not isinstance(proof, dict):
            raise invalid(codes.VC_PROOF_MALFORMED, "the VC has no proof object")
        return issuer_id, proof, vf, vu

    @staticmethod
    def _proof(vc: dict[str, Any], proof: Mapping[str, Any], native: dict[str, Any]
               ) -> tuple[str, str, _dt.datetime | None, _dt.datetime | None, int]:
        if isinstance(vc.get("proof"), list):
            vc["proof"] = proof  # the single proof, as the Data Integrity steps expect
        if proof.get("type") != "DataIntegrityProof":
            raise invalid(codes.VC_PROOF_MALFORMED, f"the proof type is {proof.get('type')!r:.60}, not DataIntegrityProof")
        suite = proof.get("cryptosuite")
        native["cryptosuite"] = suite
        if suite not in CRYPTOSUITES:
            raise indeterminate(codes.VC_CRYPTOSUITE_UNSUPPORTED,
                                f"the cryptosuite {suite!r:.60} is not one of {', '.join(CRYPTOSUITES)}")
        if "previousProof" in proof:
            raise indeterminate(codes.VC_PROOF_SET_UNSUPPORTED, "proof chains (previousProof) are not verified")
        purpose = proof.get("proofPurpose")
        native["proofPurpose"] = purpose
        if purpose != PROOF_PURPOSE:
            raise invalid(codes.VC_PROOF_PURPOSE, f"proofPurpose is {purpose!r:.60}, not {PROOF_PURPOSE}")
        vm = proof.get("verificationMethod")
        if not isinstance(vm, str) or not vm:
            raise invalid(codes.VC_PROOF_MALFORMED, "the proof's verificationMethod is not a URL")
        native["verificationMethod"] = vm
        pv = proof.get("proofValue")
        if not isinstance(pv, str) or not pv.startswith("z"):
            raise invalid(codes.VC_PROOF_MALFORMED, "proofValue is not a base58btc multibase string")
        if "@context" in proof:
            pc = proof["@context"]
            pcs, dcs = (pc if isinstance(pc, list) else [pc]), vc.get("@context")
            dcs = dcs if isinstance(dcs, list) else [dcs]
            if pcs != dcs[:len(pcs)]:
                raise invalid(codes.VC_PROOF_MALFORMED, "the proof's @context is not a prefix of the VC's @context")
        created = _parse_time(proof["created"], "proof.created") if "created" in proof else None
        expires = _parse_time(proof["expires"], "proof.expires") if "expires" in proof else None
        native["created"] = proof.get("created")
        for k in ("domain", "challenge"):
            if k in proof:
                native[k] = proof[k]
        return str(suite), vm, created, expires, 64

    def _resolve(self, ctx: CheckContext, issuer_id: str, vm: str, suite: str) -> tuple[_jwk.PublicKey, str]:
        require_configured(ctx.trust.vc_issuers, "W3C VC issuer", "vc_issuers")
        view = self.trust_view(ctx.trust)
        issuer = view.issuers.get(issuer_id)
        if issuer is None:
            raise invalid(codes.VC_ISSUER_UNTRUSTED, f"the issuer {issuer_id[:100]} is not in foreign.vc_issuers")
        if issuer.problem is not None:
            raise indeterminate(codes.VC_ISSUER_KEYS_INVALID, issuer.problem)
        key: _jwk.PublicKey | None = None
        anchor = issuer_id
        vm_key: _jwk.PublicKey | None = None
        if vm.startswith("did:key:"):
            try:
                did, vm_key = _didkey.did_key_verification_method(vm)
            except _didkey.DidKeyError as e:
                raise invalid(codes.VC_VERIFICATION_METHOD_INVALID, f"{vm[:100]}: {e}") from None
            if issuer.did_key is not None:
                if did != issuer_id:
                    raise invalid(codes.VC_VERIFICATION_METHOD_INVALID,
                                  f"the verification method's controller {did[:80]} is not the issuer")
                key = vm_key
        elif issuer.did_key is not None:
            raise invalid(codes.VC_VERIFICATION_METHOD_INVALID,
                          f"{vm[:100]} is not a verification method of the did:key issuer")
        if issuer.did_key is None:
            for tk in issuer.keys:
                named = tk.kid is not None and vm in (tk.kid, f"{issuer_id}#{tk.kid}")
                if named or (vm_key is not None and _jwk.same_key(vm_key, tk.key)):
                    key = tk.key
                    anchor = f"{issuer_id} jwk:{tk.thumbprint}"
                    break
            if key is None:
                raise invalid(codes.VC_VERIFICATION_METHOD_INVALID,
                              f"{vm[:100]} is not a key of the JWK set configured for {issuer_id[:80]}")
        assert key is not None
        if suite == "eddsa-rdfc-2022" and not isinstance(key, ed25519.Ed25519PublicKey):
            raise invalid(codes.VC_VERIFICATION_METHOD_INVALID, "eddsa-rdfc-2022 needs an Ed25519 key")
        if suite == "ecdsa-rdfc-2019":
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise invalid(codes.VC_VERIFICATION_METHOD_INVALID, "ecdsa-rdfc-2019 needs an ECDSA key")
            if key.curve.name != "secp256r1":
                raise indeterminate(codes.VC_CRYPTOSUITE_UNSUPPORTED,
                                    f"ecdsa-rdfc-2019 on {key.curve.name} is not verified (P-256 only)")
        return key, anchor


# --- facts -------------------------------------------------------------------------------------

def _values(node: Mapping[str, Any], local: str) -> list[Any]:
    out: list[Any] = []
    for base in _SCHEMA:
        for v in node.get(base + local, []):
            if isinstance(v, dict):
                out.append(v.get("@value", v.get("@id")))
    return out


def _subjects(expanded: Any) -> Sequence[Mapping[str, Any]]:
    nodes = expanded if isinstance(expanded, list) else [expanded]
    out: list[Mapping[str, Any]] = []
    for n in nodes:
        if isinstance(n, dict):
            out.extend(s for s in n.get(_VC_NS + "credentialSubject", []) if isinstance(s, dict))
    return out


def _facts_of(expanded: Any) -> Facts:
    names: list[str] = []
    leis: list[str] = []
    ids: list[str] = []
    tns: list[str] = []
    domains: list[str] = []
    for s in _subjects(expanded):
        names += [v for v in _values(s, "legalName") if isinstance(v, str)]
        leis += [x for x in (_facts.lei(v) for v in _values(s, "leiCode")) if x]
        for prop in ("taxID", "vatID", "identifier"):
            ids += [f"{prop}:{v}" for v in _values(s, prop) if isinstance(v, str) and v]
        tns += [x for x in (_facts.e164(v) for v in _values(s, "telephone")) if x]
        domains += [x for x in (_facts.domain(v) for v in _values(s, "url")) if x]
    return _facts.build(names, leis, ids, tns, domains)
