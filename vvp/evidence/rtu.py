"""RTU tokens: the TNAuthList Authority Token (RFC 9447, profile RFC 9448), ``application/jwt`` with
an ``atc`` claim (architecture §2.3, evidence-formats §2 and §6).

What it proves, in this order (the algorithm is pinned *before* any key is looked at):

1. Strict JWS compact form (:func:`vvp.jose.parse_compact`: three segments, canonical base64url,
   strict JSON with no duplicate keys or NaN, size and depth limits). A JWT without ``atc`` is not
   an authority token (INDETERMINATE ``RTU_NOT_AUTHORITY_TOKEN``: no checker verifies it).
2. ``alg`` is exactly ``ES256`` (``none``, ``HS256`` and everything else: ``RTU_ALG_FORBIDDEN``);
   ``crit`` is refused; ``typ``, when present, is ``JWT``; the signature is 64 raw bytes (r‖s).
3. The token authority's certificate comes from ``x5c`` (standard base64 DER, leaf first) or,
   only when there is no ``x5c``, from ``x5u`` through the fetcher (kind ``artifact``, so it is
   recorded like all evidence). Keys in ``jwk``/``jku`` are never used. The certificate must
   validate to a ``foreign.rtu_authorities`` anchor at the reference time (RFC 5280 with the
   carried revocation data, :mod:`vvp.evidence.pkix`) and be fit to sign (a P-256 end entity
   whose keyUsage, if any, allows digitalSignature: :func:`vvp.stir.certs.signing_fitness`).
   No anchor configured: INDETERMINATE ``FOREIGN_ANCHOR_NOT_CONFIGURED``.
4. The ES256 signature verifies with that certificate's key.
5. Claims: ``exp`` (integer, not boolean) after the reference time, ``jti`` a non-empty string,
   ``nbf``/``iat`` if present not after it (``clock_skew_s`` tolerance); ``atc.tktype`` is
   ``TNAuthList``; ``atc.tkvalue`` decodes (base64url as RFC 9447 says, or padded standard base64
   as US STI-PA deployments send) to a strict RFC 8226 TNAuthList; ``atc.ca`` true is refused
   (a token for issuing CA certificates is not evidence of a right to use numbers);
   ``atc.fingerprint`` is compared with the account key when the context gives one (RFC 8555
   §8.1 thumbprint in base64url, or the ``SHA256 AB:CD:…`` colon-hex form of RFC 9447's
   examples), and reported as ``not_checked`` otherwise.
6. The call's ``orig``, when given and when the list names numbers, is covered
   (``EVIDENCE_TN_NOT_COVERED``); an SPC-only list leaves coverage unknown.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final

from cryptography import x509

from vvp import codes, jose
from vvp.errors import FetchError
from vvp.evidence import pkix
from vvp.evidence._jwk import JwkError, decode_x5c, parse_jwk, usable_key, verify_jws
from vvp.evidence.base import ArtifactResult, CheckContext, Facts
from vvp.evidence.x509 import Findings, anchors_for, covers_orig, tn_facts
from vvp.fetch import EvidenceKind
from vvp.stir.certs import signing_fitness
from vvp.stir.tnauthlist import X509_PARSE_ERRORS, TNAuthList, TNAuthListError, parse_tnauthlist
from vvp.verdict import Status

MEDIA_TYPES: Final = ("application/jwt",)
ALG: Final = "ES256"
_STD_B64_RE: Final = re.compile(r"\A(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
_B64URL_RE: Final = re.compile(r"\A[A-Za-z0-9_-]*\Z")
_HEX_FP_RE: Final = re.compile(r"\A(?:SHA-?256\s+)?((?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})\Z")
_WS: Final = " \t\r\n"


def decode_tkvalue(value: object) -> bytes:
    """The DER bytes of ``atc.tkvalue``: canonical base64url (RFC 9447), or canonical padded
    standard base64 (what US STI-PA deployments send). ValueError for anything else."""
    if not isinstance(value, str) or not value:
        raise ValueError("atc.tkvalue is not a non-empty string")
    if _B64URL_RE.match(value) and (len(value) % 4 != 0 or "-" in value or "_" in value):
        try:
            return jose.b64url_decode(value, what="atc.tkvalue")
        except jose.JoseError as e:
            raise ValueError(e.message) from None
    if _STD_B64_RE.match(value):
        raw = base64.b64decode(value, validate=True)
        if base64.b64encode(raw).decode("ascii") != value:
            raise ValueError("atc.tkvalue is not canonical base64")
        return raw
    raise ValueError("atc.tkvalue is neither base64url nor padded base64")


def fingerprint_matches(fingerprint: object, thumbprint_b64url: str) -> bool:
    """Whether ``atc.fingerprint`` names the key whose RFC 7638 SHA-256 thumbprint is given."""
    if not isinstance(fingerprint, str):
        return False
    if fingerprint == thumbprint_b64url:
        return True
    m = _HEX_FP_RE.match(fingerprint.strip())
    if m is None:
        return False
    try:
        raw = jose.b64url_decode(thumbprint_b64url)
    except jose.JoseError:
        return False
    return bytes.fromhex(m.group(1).replace(":", "")) == raw


def _int_date(v: object) -> bool:
    return type(v) is int


class RtuChecker:
    """The RTU token checker (module docstring)."""

    media_types: tuple[str, ...] = MEDIA_TYPES

    def check(self, data: bytes, media_type: str, ctx: CheckContext) -> ArtifactResult:
        f = Findings()
        native: dict[str, Any] = {}

        def done(facts: Facts = Facts(), anchor: str | None = None) -> ArtifactResult:
            return ArtifactResult(media_type, f.status, f.codes, f.messages, anchor=anchor, facts=facts, native=native)

        if len(data) > jose.MAX_TOKEN_CHARS + 8:
            f.add(Status.INVALID, codes.EVIDENCE_TOO_LARGE, f"token of {len(data)} bytes exceeds {jose.MAX_TOKEN_CHARS}")
            return done()
        try:
            text = data.decode("ascii").strip(_WS)
            tok = jose.parse_compact(text)
        except UnicodeDecodeError:
            f.add(Status.INVALID, codes.JOSE_MALFORMED, "the token is not ASCII text")
            return done()
        except jose.JoseError as e:
            f.add(Status.INVALID, e.code, e.message)
            return done()
        hdr, claims = tok.header, tok.payload
        native["header"] = {k: hdr[k] for k in ("alg", "typ") if k in hdr}
        atc = claims.get("atc")
        if "atc" not in claims:
            f.add(Status.INDETERMINATE, codes.RTU_NOT_AUTHORITY_TOKEN,
                  "the JWT has no atc claim: it is not an authority token")
            return done()
        alg = hdr.get("alg")
        if alg != ALG:
            f.add(Status.INVALID, codes.RTU_ALG_FORBIDDEN, f"alg {alg!r} is not ES256 (the only algorithm accepted)")
            return done()
        if tok.signature_encoding is not jose.SignatureEncoding.JWS or len(tok.signature) != 64:
            f.add(Status.INVALID, codes.RTU_SIGNATURE_INVALID,
                  f"an ES256 signature is 64 raw bytes (r||s), this one has {len(tok.signature)}")
            return done()
        if "crit" in hdr:
            f.add(Status.INVALID, codes.RTU_HEADER_INVALID, "the header has crit, and vvp understands no extension")
            return done()
        if "typ" in hdr and hdr["typ"] != "JWT":
            f.add(Status.INVALID, codes.RTU_HEADER_INVALID, f"typ {hdr['typ']!r} is not JWT")
            return done()
        # --- the token authority's certificate
        certs = self._authority_certs(hdr, ctx, f, native)
        anchor: str | None = None
        tal = self._claims(claims, atc, ctx, f, native)
        facts = Facts(**tn_facts(tal))
        if certs is None:
            return done(facts)
        leaf = certs[0]
        native["authority"] = pkix.subject_text(leaf)
        unfit = signing_fitness(leaf)
        if unfit is not None:
            f.add(Status.INVALID, codes.RTU_AUTHORITY_NOT_FOR_SIGNING, f"the token authority's certificate: {unfit[1]}")
        key = usable_key(leaf.public_key())
        if key is not None and verify_jws(ALG, key, tok.signing_input, tok.signature):
            f.add(Status.VALID, codes.OK, "the ES256 signature verifies with the token authority's key")
        else:
            f.add(Status.INVALID, codes.RTU_SIGNATURE_INVALID,
                  "the ES256 signature does not verify with the token authority's certificate key")
        try:
            anchors = anchors_for(ctx, "rtu_authorities")
            revinfo = pkix.load_revinfo(ctx.related)
        except pkix.X509Error as e:
            status = Status.INDETERMINATE if e.code == codes.FOREIGN_ANCHOR_UNREADABLE else Status.INVALID
            f.add(status, e.code, e.message)
            return done(facts)
        outcome = pkix.validate_at(leaf, certs[1:], anchors, ctx.reference_time, revinfo=revinfo,
                                   revocation=ctx.policy.foreign_revocation,
                                   what="the token authority's certificate")
        f.add(outcome.status, outcome.code, outcome.message)
        if outcome.status is Status.VALID:
            anchor = pkix.anchor_text(outcome.path[-1])
            native["path"] = [pkix.subject_text(c) for c in outcome.path]
            native["revocation"] = outcome.revocation
        return done(facts, anchor)

    @staticmethod
    def _authority_certs(hdr: Any, ctx: CheckContext, f: Findings,
                         native: dict[str, Any]) -> tuple[x509.Certificate, ...] | None:
        """From x5c, else x5u through the fetcher (never x5u when x5c is there)."""
        if "x5c" in hdr:
            native["key_source"] = "x5c"
            try:
                certs = tuple(decode_x5c(hdr["x5c"], max_certs=pkix.MAX_CERTS))
                for c in certs:
                    pkix.check_parsed(c)
                return certs
            except JwkError as e:
                f.add(Status.INVALID, codes.RTU_HEADER_INVALID, f"x5c: {e}")
            except X509_PARSE_ERRORS as e:
                f.add(Status.INVALID, codes.RTU_HEADER_INVALID, f"x5c holds an unreadable certificate: {e}")
            return None
        x5u = hdr.get("x5u")
        if not isinstance(x5u, str) or not x5u:
            f.add(Status.INVALID, codes.RTU_HEADER_INVALID, "the header has neither x5c nor an x5u URL")
            return None
        native["key_source"] = "x5u"
        native["x5u"] = x5u
        if ctx.fetcher is None:
            f.add(Status.INDETERMINATE, codes.FETCH_OFFLINE, f"x5u {x5u} cannot be fetched here (no fetcher)")
            return None
        try:
            got = ctx.fetcher.fetch(x5u, EvidenceKind.ARTIFACT)
        except FetchError as e:
            f.add(Status.INDETERMINATE, e.code, f"x5u: {e.message}")
            return None
        try:
            return pkix.load_certificates(got.body, what="the x5u body")
        except pkix.X509Error as e:
            f.add(Status.INVALID, e.code, e.message)
            return None

    @staticmethod
    def _claims(claims: Any, atc: Any, ctx: CheckContext, f: Findings, native: dict[str, Any]) -> TNAuthList | None:
        at = int(ctx.reference_time.timestamp())
        skew = int(ctx.policy.clock_skew_s)
        exp, jti = claims.get("exp"), claims.get("jti")
        native.update({"iss": claims.get("iss"), "jti": jti, "exp": exp, "iat": claims.get("iat")})
        if not _int_date(exp):
            f.add(Status.INVALID, codes.RTU_CLAIMS_INVALID, "exp is missing or not an integer NumericDate")
        elif exp + skew <= at:
            f.add(Status.INVALID, codes.RTU_EXPIRED, f"the token expired at {exp}, before the reference time {at}")
        if not isinstance(jti, str) or not jti:
            f.add(Status.INVALID, codes.RTU_CLAIMS_INVALID, "jti is missing or not a non-empty string")
        for name in ("nbf", "iat"):
            if name in claims:
                v = claims[name]
                if not _int_date(v):
                    f.add(Status.INVALID, codes.RTU_CLAIMS_INVALID, f"{name} is not an integer NumericDate")
                elif v - skew > at:
                    f.add(Status.INVALID, codes.RTU_NOT_YET_VALID, f"{name} {v} is after the reference time {at}")
        if not isinstance(atc, dict):
            f.add(Status.INVALID, codes.RTU_CLAIMS_INVALID, "atc is not a JSON object")
            return None
        tktype = atc.get("tktype")
        native["tktype"] = tktype
        if tktype != "TNAuthList":
            f.add(Status.INVALID, codes.RTU_TKTYPE_UNSUPPORTED, f"atc.tktype {tktype!r} is not TNAuthList")
            return None
        ca = atc.get("ca", False)
        native["ca"] = ca
        if not isinstance(ca, bool):
            f.add(Status.INVALID, codes.RTU_CLAIMS_INVALID, "atc.ca is not a boolean")
        elif ca:
            f.add(Status.INVALID, codes.RTU_CA_TOKEN, "atc.ca is true: a token for CA certificates, not for using numbers")
        tal: TNAuthList | None = None
        try:
            tal = parse_tnauthlist(decode_tkvalue(atc.get("tkvalue")))
            native["tnauthlist"] = tal.describe()
        except (ValueError, binascii.Error) as e:
            f.add(Status.INVALID, codes.RTU_TKVALUE_INVALID, str(e)[:200])
        except TNAuthListError as e:
            f.add(Status.INVALID, codes.RTU_TKVALUE_INVALID, f"atc.tkvalue: {e.message}")
        fp = atc.get("fingerprint")
        if ctx.account_jwk is None:
            native["fingerprint"] = "not_checked"
        else:
            try:
                _, thumb = parse_jwk(dict(ctx.account_jwk))
            except JwkError as e:
                f.add(Status.INDETERMINATE, codes.RTU_FINGERPRINT_MISMATCH, f"the account key cannot be read: {e}")
                native["fingerprint"] = "not_checked"
            else:
                good = fingerprint_matches(fp, thumb)
                native["fingerprint"] = "match" if good else "mismatch"
                if not good:
                    f.add(Status.INVALID, codes.RTU_FINGERPRINT_MISMATCH,
                          f"atc.fingerprint {fp!r} is not the thumbprint of the account key ({thumb})")
        covered = covers_orig(tal, ctx.orig)
        native["covers_orig"] = covered
        if covered is False and tal is not None:
            f.add(Status.INVALID, codes.EVIDENCE_TN_NOT_COVERED,
                  f"the token's TNAuthList ({tal.describe()}) does not cover {ctx.orig}")
        return tal
