"""Public keys for foreign evidence: JWKs, JWK sets, PEM bundles, and JWS signatures over them.

Why here and not a JOSE library: the verifiers need exactly three algorithms (ES256, ES384, EdDSA
on Ed25519), each bound to one key type, and strict parsing of everything (canonical base64url,
no duplicate JSON keys, coordinates of the exact length). The algorithm is never taken from a
token to choose how to verify: :func:`verify_jws` checks that the key fits the (allow-listed)
algorithm first, so an ``HS256`` token or an Ed25519 key offered for ``ES256`` simply fails.

A trust file (``foreign.sd_jwt_issuers``, a ``vc_issuers`` JWK set) is one of:

* a JWK set ``{"keys": [...]}`` (or a single JWK): keys trusted for any issuer name;
* JWT VC Issuer Metadata ``{"issuer": URL, "jwks": {"keys": [...]}}`` (SD-JWT VC §5): keys trusted
  only for tokens whose ``iss`` is that URL;
* PEM: ``PUBLIC KEY`` blocks (keys), ``CERTIFICATE`` blocks (anchors for ``x5c`` chains; their
  own keys may also sign directly).

Keys of other types (RSA, ``oct``) in a JWK set are skipped and counted, not errors: a set may
serve other verifiers too. A JWK carrying private members (``d``) is refused: a trust file must
not hold secrets, and a ``cnf`` key that does is not a holder's public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from vvp import jose

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

ALLOWED_JWS_ALGS: Final = ("ES256", "ES384", "EdDSA")
"""evidence-formats §6: SD-JWT issuer and KB JWTs use ES256, ES384 or EdDSA; never none, HMAC or RSA."""

_EC_CURVES: Final[Mapping[str, tuple[type[ec.EllipticCurve], int]]] = {
    "P-256": (ec.SECP256R1, 32), "P-384": (ec.SECP384R1, 48)}
_ALG_CURVE: Final = {"ES256": "secp256r1", "ES384": "secp384r1"}
_ALG_HASH: Final[Mapping[str, type[hashes.HashAlgorithm]]] = {"ES256": hashes.SHA256, "ES384": hashes.SHA384}
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MAX_KEYS_PER_FILE: Final = 64
_PEM_BLOCK: Final = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.S)


class JwkError(ValueError):
    """A key or key file that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One configured public key. ``issuer`` is set when the file binds it to one issuer name."""

    key: PublicKey
    thumbprint: str
    kid: str | None = None
    alg: str | None = None
    issuer: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class KeyFile:
    """What one trust file holds."""

    keys: tuple[TrustedKey, ...] = ()
    anchors: tuple[x509.Certificate, ...] = ()
    skipped: int = 0


def _b64(value: Any, what: str, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise JwkError(f"{what} is not a string")
    try:
        raw = jose.b64url_decode(value, what=what)
    except jose.JoseError as e:
        raise JwkError(e.message) from None
    if size is not None and len(raw) != size:
        raise JwkError(f"{what} has {len(raw)} bytes, not {size}")
    return raw


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of an EC or OKP public JWK."""
    members = ("crv", "kty", "x", "y") if jwk.get("kty") == "EC" else ("crv", "kty", "x")
    canon = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return jose.b64url_encode(hashlib.sha256(canon.encode("utf-8")).digest())


def parse_jwk(jwk: Any) -> tuple[PublicKey, str]:
    """The public key a JWK describes and its thumbprint; JwkError for anything else."""
    if not isinstance(jwk, dict):
        raise JwkError("a JWK must be a JSON object")
    private = sorted(_PRIVATE_MEMBERS & set(jwk))
    if private:
        raise JwkError(f"the JWK holds private members ({', '.join(private)})")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and isinstance(crv, str) and crv in _EC_CURVES:
        curve, size = _EC_CURVES[crv]
        x = int.from_bytes(_b64(jwk.get("x"), "JWK x", size), "big")
        y = int.from_bytes(_b64(jwk.get("y"), "JWK y", size), "big")
        try:
            key: PublicKey = ec.EllipticCurvePublicNumbers(x, y, curve()).public_key()
        except ValueError:
            raise JwkError(f"the JWK point is not on {crv}") from None
        return key, thumbprint(jwk)
    if kty == "OKP" and crv == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(_b64(jwk.get("x"), "JWK x", 32)), thumbprint(jwk)
    raise JwkError(f"unsupported JWK (kty {kty!r}, crv {crv!r}): only EC P-256/P-384 and OKP Ed25519")


def key_to_jwk(key: PublicKey) -> dict[str, str]:
    """The public JWK of a key (for thumbprints of keys that came from PEM or a did:key)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": jose.b64url_encode(raw)}
    nums = key.public_numbers()
    size = (key.curve.key_size + 7) // 8
    crv = {"secp256r1": "P-256", "secp384r1": "P-384"}.get(key.curve.name, key.curve.name)
    return {"kty": "EC", "crv": crv, "x": jose.b64url_encode(nums.x.to_bytes(size, "big")),
            "y": jose.b64url_encode(nums.y.to_bytes(size, "big"))}


def usable_key(key: object) -> PublicKey | None:
    """``key`` if it is a type the evidence verifiers accept (Ed25519, EC P-256/P-384)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in ("secp256r1", "secp384r1"):
        return key
    return None


def same_key(a: PublicKey, b: PublicKey) -> bool:
    """Whether two public keys are the same key (compared by their SubjectPublicKeyInfo)."""
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    return a.public_bytes(serialization.Encoding.DER, fmt) == b.public_bytes(serialization.Encoding.DER, fmt)


def key_fits_alg(key: PublicKey, alg: str) -> bool:
    """The one key type each allowed algorithm may use (no algorithm/key confusion)."""
    if alg == "EdDSA":
        return isinstance(key, ed25519.Ed25519PublicKey)
    curve = _ALG_CURVE.get(alg)
    return curve is not None and isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == curve


def verify_jws(alg: str, key: PublicKey, signing_input: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (JWS form: raw r‖s for ECDSA) verifies under ``key`` and ``alg``.
    False, never an exception, for a wrong algorithm, key type or signature length."""
    if alg not in ALLOWED_JWS_ALGS or not key_fits_alg(key, alg):
        return False
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if len(signature) != 64:
                return False
            key.verify(signature, signing_input)
            return True
        size = (key.curve.key_size + 7) // 8
        if len(signature) != 2 * size:
            return False
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(_ALG_HASH[alg]()))
        return True
    except InvalidSignature:
        return False


def _jwk_set(obj: Any, source: str, issuer: str | None) -> KeyFile:
    if isinstance(obj, dict) and "keys" in obj:
        entries = obj["keys"]
        if not isinstance(entries, list):
            raise JwkError('"keys" must be an array')
    elif isinstance(obj, dict) and "kty" in obj:
        entries = [obj]
    else:
        raise JwkError('not a JWK set ({"keys": [...]}), a JWK, or issuer metadata ({"issuer", "jwks"})')
    if len(entries) > MAX_KEYS_PER_FILE:
        raise JwkError(f"more than {MAX_KEYS_PER_FILE} keys")
    keys: list[TrustedKey] = []
    skipped = 0
    for i, jwk in enumerate(entries):
        if isinstance(jwk, dict) and "kty" in jwk and jwk.get("kty") not in ("EC", "OKP"):
            skipped += 1  # RSA or oct: not usable here, maybe by another verifier
            continue
        if isinstance(jwk, dict) and jwk.get("use") not in (None, "sig"):
            skipped += 1
            continue
        try:
            key, tp = parse_jwk(jwk)
        except JwkError as e:
            raise JwkError(f"key {i}: {e}") from None
        kid, alg = jwk.get("kid"), jwk.get("alg")
        keys.append(TrustedKey(key, tp, kid if isinstance(kid, str) else None, alg if isinstance(alg, str) else None,
                               issuer, source))
    return KeyFile(keys=tuple(keys), skipped=skipped)


def _pem(data: bytes, source: str) -> KeyFile:
    keys: list[TrustedKey] = []
    anchors: list[x509.Certificate] = []
    skipped = 0
    blocks = _PEM_BLOCK.findall(data)
    if not blocks:
        raise JwkError("no PEM block found")
    for label, _ in blocks:
        if label not in (b"CERTIFICATE", b"PUBLIC KEY"):
            raise JwkError(f"unexpected PEM block {label.decode('ascii', 'replace')!r} (certificates and public keys only)")
    try:
        for cert in x509.load_pem_x509_certificates(data) if b"BEGIN CERTIFICATE" in data else []:
            anchors.append(cert)
            k = usable_key(cert.public_key())
            if k is None:
                skipped += 1
                continue
            keys.append(TrustedKey(k, thumbprint(key_to_jwk(k)), source=source))
        for m in _PEM_BLOCK.finditer(data):
            if m.group(1) != b"PUBLIC KEY":
                continue
            pk = usable_key(serialization.load_pem_public_key(m.group(0)))
            if pk is None:
                skipped += 1
                continue
            keys.append(TrustedKey(pk, thumbprint(key_to_jwk(pk)), source=source))
    except (ValueError, TypeError) as e:
        raise JwkError(f"unreadable PEM: {e}") from None
    return KeyFile(tuple(keys), tuple(anchors), skipped)


def load_key_file(data: bytes, source: str) -> KeyFile:
    """Parse a trust file (module docstring); JwkError says what is wrong with it."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return _pem(data, source)
    try:
        obj = jose.loads_strict(data, what=source)
    except jose.JoseError as e:
        raise JwkError(e.message) from None
    if isinstance(obj, dict) and "issuer" in obj and "jwks" in obj:
        issuer = obj["issuer"]
        if not isinstance(issuer, str) or not issuer:
            raise JwkError('issuer metadata: "issuer" must be a non-empty string')
        return _jwk_set(obj["jwks"], source, issuer)
    return _jwk_set(obj, source, None)


def decode_x5c(x5c: Any, max_certs: int = 5) -> list[x509.Certificate]:
    """An ``x5c`` header: 1..max_certs standard-base64 DER certificates, leaf first (RFC 7515 §4.1.6)."""
    if not isinstance(x5c, list) or not x5c or len(x5c) > max_certs:
        raise JwkError(f"x5c must be an array of 1 to {max_certs} certificates")
    certs = []
    for i, item in enumerate(x5c):
        if not isinstance(item, str):
            raise JwkError(f"x5c[{i}] is not a string")
        try:
            der = base64.b64decode(item, validate=True)
            certs.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError) as e:
            raise JwkError(f"x5c[{i}] is not a base64 DER certificate: {e}") from None
    return certs
