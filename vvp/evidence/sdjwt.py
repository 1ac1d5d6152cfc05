"""SD-JWT (RFC 9901) and SD-JWT VC, verified strictly, on ``cryptography`` and :mod:`vvp.jose`.

The ``sd-jwt`` package is not used here (it only makes test fixtures): its verifier skips
``exp``/``nbf``, accepts unreferenced disclosures and cannot require key binding
(evidence-formats §3). The steps, each failure a code of :mod:`vvp.codes`:

1. **Form.** Compact ``<JWT>~<D1>~…~<Dn>~[<KB-JWT>]``, or for ``application/sd-jwt+json`` the
   flattened JWS JSON serialization with ``disclosures`` (and ``kb_jwt``) in the unprotected
   header (RFC 9901 §8; the general serialization is refused). At most :data:`MAX_CHARS`
   characters and :data:`MAX_DISCLOSURES` disclosures. Every segment is canonical base64url and
   strict JSON (duplicate keys refused: :func:`vvp.jose.loads_strict`).
2. **Header.** ``alg`` in ES256/ES384/EdDSA (no ``none``, no HMAC, no RSA: refused before any key
   is looked up); no ``crit``; ``typ`` ``dc+sd-jwt`` for ``application/dc+sd-jwt``, ``vc+sd-jwt``
   or ``dc+sd-jwt`` for ``application/vc+sd-jwt`` (the older name), never ``kb+jwt`` otherwise.
3. **Issuer key** from ``foreign.sd_jwt_issuers`` only (:mod:`vvp.evidence._jwk` describes the
   files, :mod:`vvp.evidence.issuer_keys` reads them): a configured key fitting ``alg`` (and ``kid`` if both name one; an issuer-metadata
   file only for its ``iss``), or the leaf of an ``x5c`` chain that validates to a configured
   anchor certificate at the reference time and names ``iss`` in its subjectAltName (URI, or the
   DNS name of an https ``iss``). ``jwk``, ``jku`` and ``x5u`` headers are never used.
4. **Disclosures** (RFC 9901 §7.1): ``_sd_alg`` sha-256 (default), sha-384 or sha-512; digests
   over the disclosure text as presented; every disclosure referenced exactly once, no digest
   twice, 3 elements under ``_sd`` and 2 in arrays, no ``_sd``/``...`` names, no name that the
   object already has, recursive disclosures followed; for SD-JWT VC, ``iss``, ``nbf``, ``exp``,
   ``cnf``, ``vct``, ``vct#integrity`` and ``status`` never disclosed selectively.
5. **Time** on the processed payload: ``exp``, ``nbf``, ``iat`` (integers) at the reference time
   with ``clock_skew_s``. ``exp`` is not required (RFC 9901 leaves it to the profile).
6. **Key binding** (§7.3): a present KB-JWT is always verified (``typ`` ``kb+jwt``, allowed
   ``alg``, signed by ``cnf.jwk``, ``iat`` not after the reference time nor before the SD-JWT's
   ``iat``, string ``aud`` and ``nonce``, ``sd_hash`` over the exact presented text); one is
   required when ``policy.sd_jwt_require_key_binding``. There is no expected ``aud``/``nonce``
   for an artifact in a dossier: both are reported in ``native``. No maximum age is applied to
   its ``iat`` (a dossier presentation is made once and used for many calls).

``iss``, ``vct``, ``status`` (a Token Status List reference, reported, not fetched:
``status_checked`` is false) and the processed claims go to ``native``; facts come from top-level
claims by name (:data:`FACT_CLAIMS`).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from vvp import codes, jose
from vvp.evidence import _facts, _jwk
from vvp.evidence._trustfiles import PerTrustCache
from vvp.evidence.base import ArtifactResult, CheckContext, Facts, ForeignTrust
from vvp.evidence.issuer_keys import IssuerKeys, load_issuer_keys, require_configured
from vvp.evidence.refusal import Refusal, guarded_check, indeterminate, invalid
from vvp.verdict import Status

VC_MEDIA_TYPES: Final = ("application/dc+sd-jwt", "application/vc+sd-jwt")
JSON_MEDIA_TYPE: Final = "application/sd-jwt+json"
MEDIA_TYPES: Final = (*VC_MEDIA_TYPES, "application/sd-jwt", JSON_MEDIA_TYPE)
MAX_CHARS: Final = 64 * 1024
"""evidence-formats §6: an SD-JWT of 64 KB is far beyond a real credential."""
MAX_DISCLOSURES: Final = 200
MAX_NESTING: Final = 48
"""Objects and arrays nested through the payload and its (recursive) disclosures."""
SD_ALGS: Final[Mapping[str, Callable[[bytes], Any]]] = {
    "sha-256": hashlib.sha256, "sha-384": hashlib.sha384, "sha-512": hashlib.sha512}
NEVER_DISCLOSABLE: Final = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})
"""SD-JWT VC §3.2.2: these claims must be plain, never selectively disclosable."""
KB_TYP: Final = "kb+jwt"
_TYP_FOR: Final[Mapping[str, tuple[str, ...]]] = {
    "application/dc+sd-jwt": ("dc+sd-jwt",), "application/vc+sd-jwt": ("vc+sd-jwt", "dc+sd-jwt")}
_COMPACT_RE: Final = re.compile(r"\A[A-Za-z0-9_.~-]+\Z")
_ELLIPSIS: Final = "..."

FACT_CLAIMS: Final[Mapping[str, tuple[str, ...]]] = {
    "legal_name": ("legal_name", "legalName", "legal_person_name", "organization_name", "organisation_name",
                   "company_name"),
    "lei": ("lei", "LEI", "leiCode", "lei_code"),
    "registration_ids": ("registration_id", "registration_number", "registrationNumber", "legal_person_identifier",
                         "euid", "vat_id", "vatID", "tax_id", "taxID", "company_number"),
    "tns_plus": ("phone_number", "phone_numbers", "telephone", "telephone_number", "telephone_numbers"),
    "tns_digits": ("tn", "tns", "msisdn"),
    "domain": ("domain", "domain_name", "website"),
}
"""Top-level claim names read as facts. ``tns_plus`` claims must carry ``+``; ``tns_digits`` claims
are E.164 digits by definition (SHAKEN ``tn``, MSISDN), so the ``+`` is optional there."""


# --- trust -------------------------------------------------------------------------------------

def _load_keys(trust: ForeignTrust) -> IssuerKeys:
    """The keys and anchors of ``foreign.sd_jwt_issuers``: the files' bytes as the trust store read
    them when it was loaded (``files["sd_jwt_issuers"]``, recorded with the store, each named
    ``foreign.sd_jwt_issuers[i]``), else (a ForeignTrust made by hand) read from the paths now."""
    loaded = trust.files.get("sd_jwt_issuers")
    sources: list[tuple[str, bytes | Path]] = (
        [(f"foreign.sd_jwt_issuers[{i}]", d) for i, d in enumerate(loaded)] if loaded is not None
        else [(str(path), path) for path in trust.sd_jwt_issuers])
    return load_issuer_keys(sources)


# --- form --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Jws:
    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    signature: bytes
    signing_input: bytes
    compact: str


def _parse_jws(compact: str, what: str) -> _Jws:
    parts = compact.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise invalid(codes.SDJWT_MALFORMED, f"the {what} is not a JWS of three segments with a header and a payload")
    try:
        header = jose.loads_strict(jose.b64url_decode(parts[0], what=f"{what} header"), what=f"{what} header")
        payload = jose.loads_strict(jose.b64url_decode(parts[1], what=f"{what} payload"), what=f"{what} payload")
        signature = jose.b64url_decode(parts[2], what=f"{what} signature")
    except jose.JoseError as e:
        raise invalid(codes.SDJWT_MALFORMED, e.message, e.code) from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise invalid(codes.SDJWT_MALFORMED, f"the {what} header and payload must be JSON objects", codes.JOSE_NOT_OBJECT)
    return _Jws(header, payload, signature, f"{parts[0]}.{parts[1]}".encode("ascii"), compact)


def _split(text: str, media_type: str) -> tuple[str, list[str], str | None, str]:
    """(issuer-signed JWT, disclosures, KB-JWT or None, serialization)."""
    if media_type == JSON_MEDIA_TYPE:
        try:
            obj = jose.loads_strict(text.encode("utf-8"), what="the SD-JWT JSON serialization")
        except jose.JoseError as e:
            raise invalid(codes.SDJWT_MALFORMED, e.message, e.code) from None
        if not isinstance(obj, dict) or "signatures" in obj:
            raise invalid(codes.SDJWT_MALFORMED, "only the flattened JWS JSON serialization is accepted")
        hdr = obj.get("header")
        parts = [obj.get("protected"), obj.get("payload"), obj.get("signature")]
        if not all(isinstance(p, str) and p for p in parts) or not isinstance(hdr, dict):
            raise invalid(codes.SDJWT_MALFORMED, "protected, payload, signature and header are required")
        if set(hdr) - {"disclosures", "kb_jwt"}:
            raise invalid(codes.SDJWT_MALFORMED, "the unprotected header holds members other than disclosures, kb_jwt")
        discs = hdr.get("disclosures")
        kb = hdr.get("kb_jwt")
        if not isinstance(discs, list) or not all(isinstance(d, str) and d for d in discs):
            raise invalid(codes.SDJWT_MALFORMED, "header.disclosures must be an array of disclosure strings")
        if kb is not None and (not isinstance(kb, str) or not kb):
            raise invalid(codes.SDJWT_MALFORMED, "header.kb_jwt must be a KB-JWT string")
        return ".".join(str(p) for p in parts), list(discs), kb, "json"
    if not _COMPACT_RE.match(text):
        raise invalid(codes.SDJWT_MALFORMED, "an SD-JWT holds only base64url characters, '.' and '~'")
    pieces = text.split("~")
    if len(pieces) < 2:
        raise invalid(codes.SDJWT_MALFORMED, "no '~' after the issuer-signed JWT (not an SD-JWT)")
    discs = pieces[1:-1]
    if any(not d for d in discs):
        raise invalid(codes.SDJWT_MALFORMED, "an empty disclosure ('~~')")
    return pieces[0], discs, pieces[-1] or None, "compact"


# --- disclosures ---------------------------------------------------------------------------------

class _Disclosures:
    """Disclosures by digest, and the RFC 9901 §7.1 processing of a payload with them."""

    def __init__(self, texts: list[str], hash_fn: Callable[[bytes], Any], vc: bool) -> None:
        self.by_digest: dict[str, list[Any]] = {}
        self.vc = vc
        if len(set(texts)) != len(texts):
            raise invalid(codes.SDJWT_DISCLOSURE_REPEATED, "a disclosure is presented more than once")
        for i, t in enumerate(texts):
            try:
                value = jose.loads_strict(jose.b64url_decode(t, what=f"disclosure {i + 1}"), what=f"disclosure {i + 1}")
            except jose.JoseError as e:
                raise invalid(codes.SDJWT_DISCLOSURE_INVALID, e.message, e.code) from None
            if not isinstance(value, list) or len(value) not in (2, 3) or not isinstance(value[0], str):
                raise invalid(codes.SDJWT_DISCLOSURE_INVALID,
                              f"disclosure {i + 1} is not [salt, name, value] or [salt, value]")
            if len(value) == 3 and (not isinstance(value[1], str) or value[1] in ("_sd", _ELLIPSIS)):
                raise invalid(codes.SDJWT_DISCLOSURE_INVALID,
                              f"disclosure {i + 1} names {value[1]!r:.40}, which is not a claim name")
            self.by_digest[jose.b64url_encode(hash_fn(t.encode("ascii")).digest())] = value
        self.seen: set[str] = set()
        self.referenced: set[str] = set()

    def _digest(self, d: Any) -> list[Any] | None:
        if not isinstance(d, str):
            raise invalid(codes.SDJWT_PAYLOAD_INVALID, "a digest is not a string")
        if d in self.seen:
            raise invalid(codes.SDJWT_DIGEST_REPEATED, f"the digest {d[:16]}… appears more than once")
        self.seen.add(d)
        disc = self.by_digest.get(d)
        if disc is not None:
            self.referenced.add(d)
        return disc

    def process(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_NESTING:
            raise invalid(codes.SDJWT_PAYLOAD_INVALID, f"the payload nests deeper than {MAX_NESTING}")
        if isinstance(node, dict):
            out = {k: self.process(v, depth + 1) for k, v in node.items()
                   if k != "_sd" and not (depth == 0 and k == "_sd_alg")}
            sd = node.get("_sd")
            if sd is None:
                return out
            if not isinstance(sd, list):
                raise invalid(codes.SDJWT_PAYLOAD_INVALID, "_sd is not an array of digests")
            for d in sd:
                disc = self._digest(d)
                if disc is None:
                    continue  # a decoy, or a claim not disclosed
                if len(disc) != 3:
                    raise invalid(codes.SDJWT_DISCLOSURE_INVALID, "an array-element disclosure is referenced from _sd")
                name = disc[1]
                if name in out:
                    raise invalid(codes.SDJWT_CLAIM_CONFLICT, f"the disclosed claim {name!r:.40} already exists")
                if self.vc and depth == 0 and name in NEVER_DISCLOSABLE:
                    raise invalid(codes.SDJWT_CLAIM_NOT_DISCLOSABLE, f"{name} is disclosed selectively")
                out[name] = self.process(disc[2], depth + 1)
            return out
        if isinstance(node, list):
            items: list[Any] = []
            for el in node:
                if isinstance(el, dict) and len(el) == 1 and _ELLIPSIS in el:
                    disc = self._digest(el[_ELLIPSIS])
                    if disc is None:
                        continue
                    if len(disc) != 2:
                        raise invalid(codes.SDJWT_DISCLOSURE_INVALID, "an object-property disclosure is referenced "
                                                                      "from an array element")
                    items.append(self.process(disc[1], depth + 1))
                else:
                    items.append(self.process(el, depth + 1))
            return items
        return node


# --- the checker ---------------------------------------------------------------------------------

def _numeric_date(payload: Mapping[str, Any], name: str, what: str, code: str) -> int | None:
    if name not in payload:
        return None
    v = payload[name]
    if type(v) is not int:
        raise invalid(code, f"{what} {name} is not an integer NumericDate")
    return v


def _utc(seconds: int) -> str:
    return _dt.datetime.fromtimestamp(seconds, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SdJwtChecker:
    """Verifies SD-JWT and SD-JWT VC artifacts (module docstring)."""

    media_types: tuple[str, ...] = MEDIA_TYPES

    def __init__(self) -> None:
        self._keys: PerTrustCache[IssuerKeys] = PerTrustCache("sdjwt.keys")

    def check(self, data: bytes, media_type: str, ctx: CheckContext) -> ArtifactResult:
        native: dict[str, Any] = {"format": "sd-jwt"}
        return guarded_check(media_type, native, "SD-JWT", lambda: self._check(data, media_type, ctx, native))

    def _check(self, data: bytes, media_type: str, ctx: CheckContext, native: dict[str, Any]) -> ArtifactResult:
        if len(data) > MAX_CHARS:
            raise indeterminate(codes.EVIDENCE_TOO_LARGE,
                                f"the SD-JWT has {len(data)} bytes (at most {MAX_CHARS})")
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise invalid(codes.SDJWT_MALFORMED, "an SD-JWT is ASCII") from None
        if text.endswith("\r\n"):
            text = text[:-2]
        elif text.endswith("\n"):  # one line ending, as files have: part of no digest
            text = text[:-1]
        jwt_text, discs, kb_text, serialization = _split(text, media_type)
        native["serialization"] = serialization
        if len(discs) > MAX_DISCLOSURES:
            raise indeterminate(codes.EVIDENCE_TOO_LARGE,
                                f"{len(discs)} disclosures (at most {MAX_DISCLOSURES})")
        is_vc = media_type in VC_MEDIA_TYPES
        jws = _parse_jws(jwt_text, "issuer-signed JWT")
        alg = self._header(jws.header, media_type, native)
        require_configured(ctx.trust.sd_jwt_issuers, "SD-JWT issuer key", "sd_jwt_issuers")
        iss = jws.payload.get("iss")
        if iss is not None and not isinstance(iss, str):
            raise invalid(codes.SDJWT_PAYLOAD_INVALID, "iss is not a string")
        if is_vc and not iss:
            raise invalid(codes.SDJWT_PAYLOAD_INVALID, "an SD-JWT VC needs an iss")
        native["iss"] = iss
        anchor = self._verify_issuer(jws, alg, iss, ctx, native)
        sd_alg = jws.payload.get("_sd_alg", "sha-256")
        native["sd_alg"] = sd_alg
        if not isinstance(sd_alg, str) or sd_alg not in SD_ALGS:
            raise invalid(codes.SDJWT_SD_ALG_UNSUPPORTED, f"_sd_alg {sd_alg!r:.40} is not one of {', '.join(SD_ALGS)}")
        dis = _Disclosures(discs, SD_ALGS[sd_alg], is_vc)
        claims = dis.process(dict(jws.payload))
        unreferenced = set(dis.by_digest) - dis.referenced
        if unreferenced:
            raise invalid(codes.SDJWT_DISCLOSURE_UNREFERENCED,
                          f"{len(unreferenced)} disclosure(s) referenced by no digest of the payload")
        native["disclosures"] = len(discs)
        native["claims"] = {k: v for k, v in claims.items() if k != "cnf"}
        vct, status = claims.get("vct"), claims.get("status")
        native["vct"], native["status"], native["status_checked"] = vct, status, False
        if is_vc and (not isinstance(vct, str) or not vct):
            raise invalid(codes.SDJWT_PAYLOAD_INVALID, "an SD-JWT VC needs a vct string")
        problems = self._times(claims, ctx, native)
        kb_problem = self._key_binding(kb_text, claims, jwt_text, discs, SD_ALGS[sd_alg], ctx, native)
        if kb_problem is not None:
            problems.append(kb_problem)
        facts = _facts_of(claims)
        if problems:
            return ArtifactResult(media_type, Status.INVALID, tuple(dict.fromkeys(c for cs, _ in problems for c in cs)),
                                  tuple(m for _, m in problems), anchor, facts, native)
        return ArtifactResult(media_type, Status.VALID, (codes.OK,), (), anchor, facts, native)

    @staticmethod
    def _header(header: Mapping[str, Any], media_type: str, native: dict[str, Any]) -> str:
        alg = header.get("alg")
        native["alg"], native["typ"] = alg, header.get("typ")
        if not isinstance(alg, str) or alg not in _jwk.ALLOWED_JWS_ALGS:
            raise invalid(codes.SDJWT_ALG_FORBIDDEN,
                          f"alg {alg!r:.40} is not allowed (only {', '.join(_jwk.ALLOWED_JWS_ALGS)})")
        if "crit" in header:
            raise invalid(codes.SDJWT_HEADER_INVALID, "the header has crit parameters, none of which vvp understands")
        typ = header.get("typ")
        want = _TYP_FOR.get(media_type)
        if want is not None and typ not in want:
            raise invalid(codes.SDJWT_HEADER_INVALID, f"typ {typ!r:.40} is not {' or '.join(want)} for {media_type}")
        if typ == KB_TYP:
            raise invalid(codes.SDJWT_HEADER_INVALID, "the issuer-signed JWT has typ kb+jwt")
        return alg

    def _verify_issuer(self, jws: _Jws, alg: str, iss: str | None, ctx: CheckContext, native: dict[str, Any]) -> str:
        view = self._keys.get(ctx.trust, lambda: _load_keys(ctx.trust))
        kid = jws.header.get("kid")
        kid = kid if isinstance(kid, str) else None
        candidates = [k for k in view.keys
                      if (k.issuer is None or k.issuer == iss) and _jwk.key_fits_alg(k.key, alg)
                      and (k.alg is None or k.alg == alg) and (kid is None or k.kid is None or k.kid == kid)]
        for k in candidates:
            if _jwk.verify_jws(alg, k.key, jws.signing_input, jws.signature):
                native["issuer_key"] = {"source": k.source, "thumbprint": k.thumbprint, "kid": k.kid}
                return f"jwk:{k.thumbprint}"
        x5c_problem: str | None = None
        if "x5c" in jws.header and view.anchors:
            try:
                leaf, anchor = self._x5c(jws, alg, iss, view.anchors, ctx.reference_time)
            except _jwk.JwkError as e:
                x5c_problem = str(e)
            else:
                if _jwk.verify_jws(alg, leaf, jws.signing_input, jws.signature):
                    native["issuer_key"] = {"source": "x5c", "thumbprint": _jwk.thumbprint(_jwk.key_to_jwk(leaf)),
                                            "anchor": anchor}
                    return anchor
                candidates.append(_jwk.TrustedKey(leaf, ""))
        if view.problems:
            raise indeterminate(codes.SDJWT_ISSUER_KEYS_INVALID,
                                "no usable configured key verified the token, and a trust file is unreadable: "
                                + "; ".join(view.problems)[:300])
        if x5c_problem is not None:
            raise invalid(codes.SDJWT_X5C_INVALID, x5c_problem)
        if candidates:
            raise invalid(codes.SDJWT_SIGNATURE_INVALID,
                          f"the {alg} signature verifies under no configured key that fits it (a changed token, "
                          "or a key not configured)")
        raise invalid(codes.SDJWT_ISSUER_UNTRUSTED,
                      f"no key of foreign.sd_jwt_issuers fits alg {alg}" + (f", kid {kid}" if kid else "")
                      + (f" and iss {iss}" if iss else ""))

    @staticmethod
    def _x5c(jws: _Jws, alg: str, iss: str | None, anchors: tuple[x509.Certificate, ...],
             at: _dt.datetime) -> tuple[_jwk.PublicKey, str]:
        certs = _jwk.decode_x5c(jws.header["x5c"])
        leaf = _jwk.usable_key(certs[0].public_key())
        if leaf is None or not _jwk.key_fits_alg(leaf, alg):
            raise _jwk.JwkError(f"the x5c leaf key does not fit alg {alg}")
        try:
            verifier = (PolicyBuilder().store(Store(list(anchors))).time(at).max_chain_depth(4)
                        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                                            ee_policy=ExtensionPolicy.permit_all())
                        .build_client_verifier())
            chain = verifier.verify(certs[0], certs[1:]).chain
        except (VerificationError, ValueError) as e:
            raise _jwk.JwkError(f"the x5c chain does not validate to a configured anchor at the reference time: "
                                f"{str(e)[:160]}") from None
        if not iss:
            raise _jwk.JwkError("a token signed through x5c needs an iss for the certificate to name")
        try:
            san = certs[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            raise _jwk.JwkError("the x5c leaf has no subjectAltName naming the iss") from None
        host = urlsplit(iss).hostname if iss.startswith("https://") else None
        if iss not in san.get_values_for_type(x509.UniformResourceIdentifier) and (
                host is None or host not in san.get_values_for_type(x509.DNSName)):
            raise _jwk.JwkError(f"the x5c leaf does not name the iss {iss[:80]} in its subjectAltName")
        root = chain[-1]
        return leaf, f"x509:{root.subject.rfc4514_string()} sha256:{root.fingerprint(hashes.SHA256()).hex()}"

    @staticmethod
    def _times(claims: Mapping[str, Any], ctx: CheckContext, native: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
        now = int(ctx.reference_time.timestamp())
        skew = ctx.policy.clock_skew_s
        exp = _numeric_date(claims, "exp", "the SD-JWT's", codes.SDJWT_PAYLOAD_INVALID)
        nbf = _numeric_date(claims, "nbf", "the SD-JWT's", codes.SDJWT_PAYLOAD_INVALID)
        iat = _numeric_date(claims, "iat", "the SD-JWT's", codes.SDJWT_PAYLOAD_INVALID)
        native["exp"], native["nbf"], native["iat"] = exp, nbf, iat
        problems: list[tuple[tuple[str, ...], str]] = []
        if exp is not None and now >= exp + skew:
            problems.append(((codes.SDJWT_EXPIRED,), f"exp {_utc(exp)} is not after the reference time"))
        if nbf is not None and now < nbf - skew:
            problems.append(((codes.SDJWT_NOT_YET_VALID,), f"nbf {_utc(nbf)} is after the reference time"))
        if iat is not None and now < iat - skew:
            problems.append(((codes.SDJWT_NOT_YET_VALID,), f"iat {_utc(iat)} is after the reference time"))
        return problems

    @staticmethod
    def _key_binding(kb_text: str | None, claims: Mapping[str, Any], jwt_text: str, discs: list[str],
                     hash_fn: Callable[[bytes], Any], ctx: CheckContext, native: dict[str, Any]
                     ) -> tuple[tuple[str, ...], str] | None:
        required = ctx.policy.sd_jwt_require_key_binding
        kbn: dict[str, Any] = {"present": kb_text is not None, "required": required, "verified": False}
        native["key_binding"] = kbn
        if kb_text is None:
            if required:
                return (codes.SDJWT_KEY_BINDING_MISSING,), "key binding is required by policy and no KB-JWT is presented"
            return None
        try:
            kb = _parse_jws(kb_text, "KB-JWT")
        except Refusal as f:
            return (codes.SDJWT_KB_INVALID, *f.codes[1:]), f.message
        alg = kb.header.get("alg")
        if not isinstance(alg, str) or alg not in _jwk.ALLOWED_JWS_ALGS:
            return (codes.SDJWT_ALG_FORBIDDEN,), f"the KB-JWT alg {alg!r:.40} is not allowed"
        if kb.header.get("typ") != KB_TYP or "crit" in kb.header:
            return (codes.SDJWT_KB_INVALID,), "the KB-JWT header needs typ kb+jwt and no crit"
        cnf = claims.get("cnf")
        jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
        try:
            holder, holder_tp = _jwk.parse_jwk(jwk)
        except _jwk.JwkError as e:
            return (codes.SDJWT_KB_INVALID,), f"no usable holder key in cnf.jwk: {e}"
        kbn["holder_key"] = holder_tp
        if not _jwk.key_fits_alg(holder, alg):
            return (codes.SDJWT_KB_INVALID,), f"the KB-JWT alg {alg} does not fit the cnf.jwk key"
        if not _jwk.verify_jws(alg, holder, kb.signing_input, kb.signature):
            return (codes.SDJWT_KB_SIGNATURE_INVALID,), "the KB-JWT signature does not verify under cnf.jwk"
        p = kb.payload
        iat, aud, nonce, sd_hash = p.get("iat"), p.get("aud"), p.get("nonce"), p.get("sd_hash")
        if type(iat) is not int or not isinstance(aud, str) or not isinstance(nonce, str) or not isinstance(sd_hash, str):
            return (codes.SDJWT_KB_INVALID,), "the KB-JWT needs an integer iat and string aud, nonce and sd_hash"
        kbn.update({"iat": iat, "aud": aud, "nonce": nonce})
        presented = jwt_text + "~" + "".join(d + "~" for d in discs)
        if jose.b64url_encode(hash_fn(presented.encode("ascii")).digest()) != sd_hash:
            return (codes.SDJWT_KB_SD_HASH_MISMATCH,), "sd_hash is not the digest of the presented SD-JWT"
        skew = ctx.policy.clock_skew_s
        if iat > int(ctx.reference_time.timestamp()) + skew:
            return (codes.SDJWT_KB_INVALID,), f"the KB-JWT iat {_utc(iat)} is after the reference time"
        sd_iat = claims.get("iat")
        if type(sd_iat) is int and iat < sd_iat - skew:
            return (codes.SDJWT_KB_INVALID,), "the KB-JWT iat is before the SD-JWT was issued"
        kbn["verified"] = True
        return None


def _facts_of(claims: Mapping[str, Any]) -> Facts:
    def values(group: str) -> list[Any]:
        out: list[Any] = []
        for name in FACT_CLAIMS[group]:
            if name in claims:
                out.extend(_facts.strings(claims[name]))
        return out

    ids: list[str] = []
    for name in FACT_CLAIMS["registration_ids"]:
        ids += [f"{name}:{v}" for v in _facts.strings(claims.get(name)) if isinstance(v, str) and v]
    tns = [x for x in (_facts.e164(v) for v in values("tns_plus")) if x]
    tns += [x for x in (_facts.e164(v, plus_optional=True) for v in values("tns_digits")) if x]
    return _facts.build([v for v in values("legal_name") if isinstance(v, str)],
                        [x for x in (_facts.lei(v) for v in values("lei")) if x], ids, tns,
                        [x for x in (_facts.domain(v) for v in values("domain")) if x])
