"""Fixtures for SD-JWT VCs and W3C VCs (foreign evidence II): keys, issuers, holders, trust files.

Made the way an outside issuer would make them, never through the verifiers under test:

* SD-JWTs are assembled by the ``sd-jwt`` package (``SDJWTIssuer``: payload, salts, disclosures,
  decoys; ``SDJWTHolder``: the choice of disclosures). Its ES256 signatures (jwcrypto) are random,
  so :func:`issue_sd_jwt` re-signs the very header and payload segments the package produced with
  RFC 6979 deterministic ECDSA (EdDSA is deterministic anyway): the same inputs give the same
  bytes on every run, which a test world binding artifacts by digest needs. Salts come from the
  package's own repeatable mode (``unsafe_randomness`` with a seeded ``random``), as in the RFC
  9901 examples, and the global random state is restored afterwards. KB-JWTs are written here
  (the package's holder takes ``iat`` from the wall clock).
* W3C VCs are signed with plain pyld (``jsonld.normalize``, URDNA2015) over the given contexts,
  independently of :mod:`vvp.evidence._jsonld`.
* Keys come from seed strings (:func:`ed25519_key`, :func:`p256_key`); certificates for ``x5c``
  are signed deterministically.

Nothing here is imported by the verifiers; tests, the demo and benchmarks use it.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from jwcrypto.jwk import JWK  # type: ignore[import-untyped,unused-ignore]
from pyld import jsonld  # type: ignore[import-untyped,unused-ignore]
from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped,unused-ignore]
from sd_jwt.common import SDJWTCommon, SDObj  # type: ignore[import-untyped,unused-ignore]
from sd_jwt.holder import SDJWTHolder  # type: ignore[import-untyped,unused-ignore]
from sd_jwt.issuer import SDJWTIssuer  # type: ignore[import-untyped,unused-ignore]

from vvp.evidence import _didkey

UTC = _dt.UTC
_N_P256: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_N_P384: Final = int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16)

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

ISSUER_URL: Final = "https://registry.foreign.example"
VCT: Final = "https://registry.foreign.example/vct/legal-person"
ISSUED_AT: Final = _dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)
EXPIRES_AT: Final = _dt.datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC)
CALL_AT: Final = _dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
"""The reference time the fixtures are valid at (the test world's call time)."""

LEGAL_NAME: Final = "Example Carrier LLC"
LEI: Final = "5493001KJTIIGC8Y1R12"
TNS: Final = ("+15551230001", "+15551230002")

BASE_CONTEXT_V2: Final = "https://www.w3.org/ns/credentials/v2"
ORG_CONTEXT_URL: Final = "https://vvp.example/contexts/organisation/v1"
ORG_CONTEXT: Final[Mapping[str, Any]] = {"@context": {
    "@protected": True,
    "OrganisationCredential": "https://vvp.example/vocab#OrganisationCredential",
    "legalName": "https://schema.org/legalName",
    "leiCode": "https://schema.org/leiCode",
    "taxID": "https://schema.org/taxID",
    "telephone": "https://schema.org/telephone",
    "knows": {"@id": "https://schema.org/knows", "@type": "@id"},
}}
"""A small application context of the project's own (schema.org terms, no @vocab) for test VCs."""


# --- keys --------------------------------------------------------------------------------------

def _seed(label: str) -> bytes:
    return hashlib.sha256(b"vvp foreign vc/" + label.encode("utf-8")).digest()


def ed25519_key(label: str) -> ed25519.Ed25519PrivateKey:
    """An Ed25519 key derived from a label (the same key on every run)."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(_seed(label))


def p256_key(label: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(_seed(label), "big") % (_N_P256 - 1) + 1, ec.SECP256R1())


def p384_key(label: str) -> ec.EllipticCurvePrivateKey:
    n = int.from_bytes(_seed(label) + _seed(label + "/2")[:16], "big")
    return ec.derive_private_key(n % (_N_P384 - 1) + 1, ec.SECP384R1())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key: PrivateKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey,
               kid: str | None = None) -> dict[str, str]:
    """The public JWK of a key."""
    pub = key.public_key() if isinstance(key, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey)) else key
    if isinstance(pub, ed25519.Ed25519PublicKey):
        jwk = {"kty": "OKP", "crv": "Ed25519",
               "x": _b64(pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))}
    else:
        size = (pub.curve.key_size + 7) // 8
        nums = pub.public_numbers()
        jwk = {"kty": "EC", "crv": {"secp256r1": "P-256", "secp384r1": "P-384"}[pub.curve.name],
               "x": _b64(nums.x.to_bytes(size, "big")), "y": _b64(nums.y.to_bytes(size, "big"))}
    if kid is not None:
        jwk["kid"] = kid
    return jwk


def jwk_set(*keys: Mapping[str, str]) -> bytes:
    return json.dumps({"keys": list(keys)}, indent=1).encode("utf-8")


def issuer_metadata(issuer: str, *keys: Mapping[str, str]) -> bytes:
    """JWT VC Issuer Metadata: keys bound to one ``iss``."""
    return json.dumps({"issuer": issuer, "jwks": {"keys": list(keys)}}, indent=1).encode("utf-8")


def public_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- JWS -----------------------------------------------------------------------------------------

def _alg_of(key: PrivateKey | bytes | None) -> str:
    if key is None:
        return "none"
    if isinstance(key, bytes):
        return "HS256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    return {"secp256r1": "ES256", "secp384r1": "ES384"}[key.curve.name]


def sign_input(signing_input: bytes, key: PrivateKey | bytes | None) -> bytes:
    """A JWS signature: deterministic ECDSA as raw r‖s, Ed25519, HMAC-SHA256 (``bytes`` key) or
    nothing (``None``: alg none)."""
    if key is None:
        return b""
    if isinstance(key, bytes):
        return hmac.new(key, signing_input, hashlib.sha256).digest()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(signing_input)
    h: hashes.HashAlgorithm = hashes.SHA256() if key.curve.name == "secp256r1" else hashes.SHA384()
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(h, deterministic_signing=True)))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def sign_jws(header: Mapping[str, Any] | str, payload: Mapping[str, Any] | str,
             key: PrivateKey | bytes | None) -> str:
    """A compact JWS. Header and payload may be given as JSON text (to write what a JSON encoder
    would not, such as a repeated key)."""
    h = header if isinstance(header, str) else json.dumps(header)
    p = payload if isinstance(payload, str) else json.dumps(payload)
    si = f"{_b64(h.encode())}.{_b64(p.encode())}"
    return f"{si}.{_b64(sign_input(si.encode('ascii'), key))}"


def disclosure(salt: Any, *name_and_value: Any) -> str:
    """A disclosure ``[salt, name, value]`` or ``[salt, value]`` encoded as the sd-jwt package does
    (any JSON values: tests also make malformed ones)."""
    return _b64(json.dumps([salt, *name_and_value]).encode("utf-8"))


def digest(disc: str, alg: str = "sha-256") -> str:
    fn = {"sha-256": hashlib.sha256, "sha-384": hashlib.sha384, "sha-512": hashlib.sha512}[alg]
    return _b64(fn(disc.encode("ascii")).digest())


# --- SD-JWT with the sd-jwt package ------------------------------------------------------------

def _jwcrypto(key: PrivateKey) -> Any:
    return JWK.from_pyca(key)


def issue_sd_jwt(claims: Mapping[Any, Any], issuer_key: PrivateKey, *, holder_key: PrivateKey | None = None,
                 typ: str | None = "dc+sd-jwt", kid: str | None = None, seed: int = 0, decoys: bool = False,
                 serialization: str = "compact", extra_header: Mapping[str, Any] | None = None,
                 resign: bool = True) -> str:
    """An SD-JWT issuance (all disclosures) made by ``sd_jwt.issuer.SDJWTIssuer``. ``claims`` marks
    disclosable keys and array elements with ``SDObj`` (re-exported here). With ``resign`` the
    package's (random) ECDSA signature is replaced by a deterministic one over the same segments."""
    header: dict[str, Any] = dict(extra_header or {})
    if typ is not None:
        header["typ"] = typ
    if kid is not None:
        header["kid"] = kid
    state = random.getstate()
    unsafe = SDJWTCommon.unsafe_randomness
    log = logging.getLogger("sd_jwt")
    level = log.level
    try:
        random.seed(seed)
        SDJWTCommon.unsafe_randomness = True
        log.setLevel(logging.ERROR)  # the package warns on every salt in repeatable mode
        issuer = SDJWTIssuer(dict(claims), _jwcrypto(issuer_key),
                             _jwcrypto(holder_key) if holder_key is not None else None,
                             sign_alg=_alg_of(issuer_key), add_decoy_claims=decoys,
                             serialization_format=serialization, extra_header_parameters=header)
    finally:
        SDJWTCommon.unsafe_randomness = unsafe
        random.setstate(state)
        log.setLevel(level)
    issuance: str = issuer.sd_jwt_issuance
    if not resign:
        return issuance
    if serialization == "compact":
        jwt, rest = issuance.split("~", 1)
        h, p, _ = jwt.split(".")
        return f"{h}.{p}.{_b64(sign_input(f'{h}.{p}'.encode('ascii'), issuer_key))}~{rest}"
    obj = json.loads(issuance)
    obj["signature"] = _b64(sign_input(f"{obj['protected']}.{obj['payload']}".encode("ascii"), issuer_key))
    return json.dumps(obj)


def select(issuance: str, disclosed: Mapping[str, Any], *, serialization: str = "compact") -> str:
    """The holder's presentation without key binding: ``SDJWTHolder`` chooses the disclosures named
    in ``disclosed`` (the package's format: ``{claim: True}``, arrays as lists of booleans).
    A JSON serialization comes back in RFC 9901 §8 form (disclosures in the unprotected header)."""
    holder = SDJWTHolder(issuance, serialization_format=serialization)
    holder.create_presentation(dict(disclosed), None, None, None)
    pres: str = holder.sd_jwt_presentation
    if serialization == "compact":
        return pres
    obj = json.loads(pres)
    return json.dumps({"header": {"disclosures": obj.pop("disclosures")},
                       **{k: obj[k] for k in ("payload", "protected", "signature")}})


def key_binding_jwt(presentation: str, holder_key: PrivateKey, *, iat: int, nonce: str = "n-0S6_WzA2Mj",
                    aud: str = "https://verifier.foreign.example", sd_alg: str = "sha-256", typ: str = "kb+jwt",
                    alg: str | None = None, sd_hash: str | None = None) -> str:
    """A KB-JWT for a compact presentation ending in ``~`` (or for the compact form of a JSON one)."""
    fn = {"sha-256": hashlib.sha256, "sha-384": hashlib.sha384, "sha-512": hashlib.sha512}[sd_alg]
    h = sd_hash if sd_hash is not None else _b64(fn(presentation.encode("ascii")).digest())
    header = {"alg": alg or _alg_of(holder_key), "typ": typ}
    return sign_jws(header, {"nonce": nonce, "aud": aud, "iat": iat, "sd_hash": h}, holder_key)


def with_key_binding(presentation: str, holder_key: PrivateKey, *, iat: int, **kw: Any) -> str:
    """``presentation`` (compact, ending in ``~``, or RFC 9901 §8 JSON) with a KB-JWT added."""
    if presentation.startswith("{"):
        obj = json.loads(presentation)
        compact = f"{obj['protected']}.{obj['payload']}.{obj['signature']}~" + "".join(
            d + "~" for d in obj["header"]["disclosures"])
        obj["header"]["kb_jwt"] = key_binding_jwt(compact, holder_key, iat=iat, **kw)
        return json.dumps(obj)
    return presentation + key_binding_jwt(presentation, holder_key, iat=iat, **kw)


def legal_person_claims(*, iss: str = ISSUER_URL, iat: _dt.datetime = ISSUED_AT, exp: _dt.datetime | None = EXPIRES_AT,
                        nbf: _dt.datetime | None = None) -> dict[Any, Any]:
    """The claims of the test world's legal-person SD-JWT VC: name, LEI and numbers disclosable."""
    claims: dict[Any, Any] = {"iss": iss, "vct": VCT, "iat": int(iat.timestamp()),
                              SDObj("legal_name"): LEGAL_NAME, SDObj("lei"): LEI,
                              "phone_numbers": [SDObj(t) for t in TNS],
                              SDObj("address"): {SDObj("country"): "US", SDObj("locality"): "Anytown"},
                              "status": {"status_list": {"idx": 7, "uri": f"{iss}/status/1"}}}
    if exp is not None:
        claims["exp"] = int(exp.timestamp())
    if nbf is not None:
        claims["nbf"] = int(nbf.timestamp())
    return claims


@dataclass(frozen=True, slots=True)
class SdJwtWorld:
    """An issuer, a holder and the trust files naming the issuer."""

    issuer: PrivateKey
    holder: PrivateKey
    kid: str

    @staticmethod
    def make(label: str = "sd-jwt issuer", *, issuer_alg: str = "ES256") -> SdJwtWorld:
        makers: dict[str, Callable[[str], PrivateKey]] = {"ES256": p256_key, "ES384": p384_key, "EdDSA": ed25519_key}
        return SdJwtWorld(makers[issuer_alg](label), p256_key(label + "/holder"), kid=f"{label.replace(' ', '-')}-1")

    def jwks(self) -> bytes:
        return jwk_set(public_jwk(self.issuer, self.kid))

    def legal_person(self, *, disclosed: Mapping[str, Any] | None = None, key_binding: bool = True,
                     kb_iat: _dt.datetime = CALL_AT - _dt.timedelta(hours=1), media_typ: str = "dc+sd-jwt",
                     **claim_kw: Any) -> str:
        """The legal-person SD-JWT VC, presented with the given disclosures (all by default)."""
        issuance = issue_sd_jwt(legal_person_claims(**claim_kw), self.issuer, holder_key=self.holder, typ=media_typ,
                                kid=self.kid, decoys=True)
        chosen = disclosed if disclosed is not None else {
            "legal_name": True, "lei": True, "phone_numbers": [True, True], "address": {"country": True}}
        pres = select(issuance, chosen)
        return with_key_binding(pres, self.holder, iat=int(kb_iat.timestamp())) if key_binding else pres


# --- RFC 9901 examples --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RfcExample:
    """One RFC 9901 example issued from its specification file, and what a verifier must output."""

    name: str
    presentation: str
    media_type: str
    issuer_jwks: bytes
    key_binding: bool
    expected_claims: Mapping[str, Any]
    issuance: str


def load_rfc_settings(path: Path) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped,unused-ignore]

    settings: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return settings


def _settings_key(d: Mapping[str, Any]) -> ec.EllipticCurvePrivateKey:
    def n(v: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)), "big")

    return ec.derive_private_key(n(d["d"]), ec.SECP256R1())


def expected_disclosed(user_claims: Any, chosen: Any) -> Any:
    """The claims a verifier must output for ``user_claims`` (with ``SDObj`` markers) when the holder
    discloses ``chosen`` (the specification's ``holder_disclosed_claims``)."""
    if isinstance(user_claims, SDObj):
        return expected_disclosed(user_claims.value, chosen)
    if isinstance(user_claims, dict):
        sel = chosen if isinstance(chosen, dict) else {}
        out: dict[str, Any] = {}
        for k, v in user_claims.items():
            if isinstance(k, SDObj):
                if sel.get(k.value):
                    out[k.value] = expected_disclosed(v, sel[k.value])
            else:
                out[k] = expected_disclosed(v, sel.get(k))
        return out
    if isinstance(user_claims, list):
        sel_list = chosen if isinstance(chosen, list) else []
        items: list[Any] = []
        for i, el in enumerate(user_claims):
            s = sel_list[i] if i < len(sel_list) else None
            if isinstance(el, SDObj):
                if s:
                    items.append(expected_disclosed(el.value, s))
            else:
                items.append(expected_disclosed(el, s))
        return items
    return user_claims


def rfc_example(spec: Path, settings: Mapping[str, Any], *, kb_iat: int | None = None) -> RfcExample:
    """Issue an RFC 9901 example as ``sd-jwt-generate`` does (default claims iss/iat/exp, random
    seed from the settings, the issuer key of the settings) and present it as the specification
    says, with a KB-JWT when it asks for key binding. The package's own signature is kept."""
    from sd_jwt.utils.yaml_specification import load_yaml_specification

    case = load_yaml_specification(spec)
    keys = settings["key_settings"]
    issuer_key = _settings_key(keys["issuer_keys"][0] if "issuer_keys" in keys else keys["issuer_key"])
    holder_key = _settings_key(keys["holder_key"])
    claims: dict[Any, Any] = {}
    if case.get("include_default_claims", True):
        claims = {"iss": settings["identifiers"]["issuer"], "iat": settings["iat"], "exp": settings["exp"]}
    claims.update(case["user_claims"])
    kb = bool(case.get("key_binding", False))
    serialization = case.get("serialization_format", "compact")
    issuance = issue_sd_jwt(claims, issuer_key, holder_key=holder_key if kb else None, typ=None,
                            seed=settings["random_seed"], decoys=case.get("add_decoy_claims", False),
                            serialization=serialization, extra_header=case.get("extra_header_parameters", {}),
                            resign=False)
    pres = select(issuance, case["holder_disclosed_claims"], serialization=serialization)
    if kb:
        pres = with_key_binding(pres, holder_key, iat=kb_iat if kb_iat is not None else settings["iat"] + 60,
                                nonce=settings["key_binding_nonce"], aud=settings["identifiers"]["verifier"])
    expected = expected_disclosed(claims, case["holder_disclosed_claims"])
    return RfcExample(name=spec.name.split(".")[0], presentation=pres,
                      media_type="application/sd-jwt+json" if serialization == "json" else "application/sd-jwt",
                      issuer_jwks=jwk_set(public_jwk(issuer_key)), key_binding=kb, expected_claims=expected,
                      issuance=issuance)


# --- W3C VCs ------------------------------------------------------------------------------------

def did_key_of(key: PrivateKey) -> str:
    """The did:key of an Ed25519 or P-256 key."""
    pub = key.public_key()
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return "did:key:" + _didkey.encode_ed25519_multikey(
            pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    return "did:key:" + _didkey.encode_p256_multikey(
        pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint))


def verification_method(key: PrivateKey) -> str:
    did = did_key_of(key)
    return f"{did}#{did.split(':')[-1]}"


def _canon(doc: Mapping[str, Any], contexts: Mapping[str, Any]) -> str:
    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url not in contexts:
            raise LookupError(url)
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": json.loads(json.dumps(contexts[url]))}

    out: str = jsonld.normalize(dict(doc), {"algorithm": "URDNA2015", "format": "application/n-quads",
                                            "documentLoader": load, "contextResolver": ContextResolver({}, load)})
    return out


def sign_data_integrity(unsecured: Mapping[str, Any], key: PrivateKey, contexts: Mapping[str, Any], *,
                        vm: str | None = None, created: str = "2026-01-01T00:00:00Z",
                        proof_purpose: str = "assertionMethod", extra_proof: Mapping[str, Any] | None = None
                        ) -> dict[str, Any]:
    """``unsecured`` with an ``eddsa-rdfc-2022`` (Ed25519 key) or ``ecdsa-rdfc-2019`` (P-256 key) proof."""
    suite = "eddsa-rdfc-2022" if isinstance(key, ed25519.Ed25519PrivateKey) else "ecdsa-rdfc-2019"
    proof: dict[str, Any] = {"type": "DataIntegrityProof", "cryptosuite": suite, "created": created,
                             "verificationMethod": vm or verification_method(key), "proofPurpose": proof_purpose,
                             **(extra_proof or {})}
    config = {**proof, "@context": unsecured["@context"]}
    hash_data = (hashlib.sha256(_canon(config, contexts).encode()).digest()
                 + hashlib.sha256(_canon(unsecured, contexts).encode()).digest())
    if isinstance(key, ed25519.Ed25519PrivateKey):
        sig = key.sign(hash_data)
    else:
        r, s = decode_dss_signature(key.sign(hash_data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    proof["proofValue"] = "z" + _didkey.b58encode(sig)
    return {**unsecured, "proof": proof}


def organisation_vc(issuer: str, *, subject: Mapping[str, Any] | None = None, valid_from: str = "2026-01-01T00:00:00Z",
                    valid_until: str | None = "2027-01-01T00:00:00Z", extra: Mapping[str, Any] | None = None
                    ) -> dict[str, Any]:
    """An unsigned organisation credential stating the test world's legal name, LEI and numbers."""
    vc: dict[str, Any] = {
        "@context": [BASE_CONTEXT_V2, ORG_CONTEXT_URL],
        "id": "urn:uuid:6f1c1d2e-0b7a-4e43-9d55-3d7f5b0c2a11",
        "type": ["VerifiableCredential", "OrganisationCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": dict(subject) if subject is not None else {
            "id": "did:example:carrier", "legalName": LEGAL_NAME, "leiCode": LEI, "telephone": list(TNS)},
        **(extra or {}),
    }
    if valid_until is not None:
        vc["validUntil"] = valid_until
    return vc


def clique_subjects(n: int) -> list[dict[str, Any]]:
    """A credentialSubject of ``n`` blank nodes that all know each other: a poison graph for RDFC."""
    return [{"id": f"_:n{i}", "knows": [f"_:n{j}" for j in range(n) if j != i]} for i in range(n)]


def write_contexts(folder: Path, contexts: Mapping[str, Any]) -> dict[str, Path]:
    """Each context document as a file in ``folder``; returns URL → path for a ForeignTrust."""
    out: dict[str, Path] = {}
    for i, (url, doc) in enumerate(sorted(contexts.items())):
        p = folder / f"context-{i}.jsonld"
        p.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        out[url] = p
    return out


# --- an x5c PKI for SD-JWT issuers -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class X5cPki:
    root: x509.Certificate
    leaf: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey

    def x5c(self) -> list[str]:
        return [base64.b64encode(self.leaf.public_bytes(serialization.Encoding.DER)).decode("ascii")]

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


def x5c_pki(label: str, san_uris: Sequence[str] = (ISSUER_URL,), san_dns: Sequence[str] = ()) -> X5cPki:
    """A root anchor and an issuer certificate (P-256) naming the issuer in subjectAltName,
    valid 2025-01-01 to 2030-01-01, signed deterministically."""
    root_key, leaf_key = p256_key(label + "/root"), p256_key(label + "/leaf")
    nb, na = _dt.datetime(2025, 1, 1, tzinfo=UTC), _dt.datetime(2030, 1, 1, tzinfo=UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vvp foreign test")])

    ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root = (x509.CertificateBuilder().subject_name(name(f"{label} root")).issuer_name(name(f"{label} root"))
            .public_key(root_key.public_key()).serial_number(1).not_valid_before(nb).not_valid_after(na)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(ski, critical=False)
            .sign(root_key, hashes.SHA256(), ecdsa_deterministic=True))
    sans: list[x509.GeneralName] = [x509.UniformResourceIdentifier(u) for u in san_uris]
    sans += [x509.DNSName(d) for d in san_dns]
    b = (x509.CertificateBuilder().subject_name(name(f"{label} issuer")).issuer_name(root.subject)
         .public_key(leaf_key.public_key()).serial_number(2).not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False))
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    leaf = b.sign(root_key, hashes.SHA256(), ecdsa_deterministic=True)
    return X5cPki(root, leaf, leaf_key)


__all__ = ["SDObj", "SdJwtWorld", "RfcExample", "X5cPki", "issue_sd_jwt", "select", "key_binding_jwt",
           "with_key_binding", "sign_jws", "disclosure", "digest", "rfc_example", "expected_disclosed",
           "sign_data_integrity", "organisation_vc", "clique_subjects", "write_contexts", "x5c_pki",
           "ed25519_key", "p256_key", "p384_key", "public_jwk", "jwk_set", "issuer_metadata", "public_pem",
           "did_key_of", "verification_method", "legal_person_claims", "load_rfc_settings"]
