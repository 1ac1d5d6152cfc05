"""The VVP PASSporT: parsing, normalisation and the checks of the ``passport`` claim.

vvp-protocol.md §1 and §8.1/§8.3 are the source; every check carries the requirement id it
answers. The work is split in three so the lead can wire each part where it belongs:

1. :func:`parse_vvp_passport` turns a compact token into a :class:`VvpPassport`. Only a token that
   is not a strict JWS (:mod:`vvp.jose`) is refused here; claims are *normalised* leniently
   (``call_reason`` read as ``call-reason``, ``origid`` as ``origId``, TNs as strings or arrays,
   with or without ``+``, null or empty optional claims absent, unknown claims ignored), with
   ``None`` where a claim is missing or malformed, so later claims (dossier, brand) can use
   whatever is there.
2. :func:`passport_checks` judges that passport: header (P-01 alg allow-list, P-02 forbidden
   families, P-03 typ, P-04 ppt, P-05 kid, ``crit``), claims (P-09/P-10 orig, P-11 dest, P-15
   evd, P-16 iat, P-17 exp, optional claim types), timing against the reference time (P-18,
   P-19/P-20 warnings, V-01, V-02, V-03), the signature encoding (P-21), the Identity parameters
   (P-23 ``ppt``, ``alg``) and ``x5u`` (P-24). :func:`check_passport` does 1 and 2 in one call.
3. :func:`check_signature` (V-06) verifies the signature through a callback over
   ``(signature, signing_input)``, so that the KERI layer's key state *at the reference time*
   can be plugged in; :func:`ed25519_verifier` makes such a callback from a raw Ed25519 key.

Checks whose input another check found missing or malformed are reported ``not_applicable``
with ``PASSPORT_PREREQUISITE_FAILED`` rather than omitted, so a verdict always lists the same
questions. Card *syntax* (P-12) is judged in the brand claim, not here. The signature is never
checked with any algorithm but the header's ``EdDSA`` (no algorithm confusion).

Extra check ids (architecture §4.3, no §8 id applies): ``X-PASSPORT-01`` the token is a strict
JWS; ``X-PASSPORT-02`` no ``crit`` extension; ``X-PASSPORT-03`` the Identity ``alg`` parameter,
when present, equals the header's; ``X-PASSPORT-04`` optional claims are well-typed and their
alternative spellings agree.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from vvp import codes
from vvp.clock import rfc3339
from vvp.errors import EvidenceUnavailable, VvpError
from vvp.jose import JoseError, JoseToken, SignatureEncoding, parse_compact
from vvp.stir.identity import IdentityError, IdentityValue, parse_identity
from vvp.tn import display_tn, try_normalize_tn
from vvp.verdict import Check, failed, indeterminate, not_applicable, passed, warned

CLAIM: Final = "passport"

# P-01: the allow-list. The -06 draft also allows FN-DSA-512/1024 (post-quantum), which nothing
# here can verify: those are INDETERMINATE, not accepted and not refused.
ALLOWED_ALGS: Final = frozenset({"EdDSA"})
DRAFT_ALGS_UNSUPPORTED: Final = frozenset({"FN-DSA-512", "FN-DSA-1024"})
# P-02: "RSA, HMAC and ES256 MUST NOT be used".
_FORBIDDEN_ALG_PREFIXES: Final = ("RS", "PS", "HS")
_FORBIDDEN_ALGS: Final = frozenset({"ES256"})

PASSPORT_TYP: Final = "passport"
_LEGACY_TYP_LOWER: Final = "jwt"  # the -03/-04 samples' typ; JOSE typ compares case-insensitively
VVP_PPT: Final = "vvp"

ED25519_SIGNATURE_BYTES: Final = 64
ED25519_PUBLIC_KEY_BYTES: Final = 32

# P-19 and P-20 (SHOULD, warnings only).
RECOMMENDED_VALIDITY_S: Final = 15
AGGRESSIVE_TIMEOUT_S: Final = 30
# NumericDate bounds accepted: 1970 to the end of year 9999 (what datetime can represent).
MAX_NUMERIC_DATE: Final = 253402300799

# A KERI AID in qb64: one-character codes (B, D: Ed25519 keys; E-I: 256-bit digests) with the
# two pad bits zero (second character A-P), two-character codes 0D-0G (512-bit digests, third
# character A-D), and four-character ECDSA key codes 1AAA/1AAB/1AAI/1AAJ.
AID_RE: Final = re.compile(
    r"\A(?:[BDEFGHI][A-P][A-Za-z0-9_-]{42}|0[DEFG][A-D][A-Za-z0-9_-]{85}|1AA[ABIJ][A-Za-z0-9_-]{44})\Z")

_WHITESPACE_RE: Final = re.compile(r"\s")

SignatureVerifier = Callable[[bytes, bytes], bool]
"""``verify(signature, signing_input) -> bool``: True only when the signature verifies."""


_Fail = tuple[str, str]  # (code, message) of a failing check


@dataclass(frozen=True, slots=True)
class _Orig:
    """What the orig claim yields: its one TN, the P-09 failure, and the P-10 outcome
    (``p10_counted`` False when there is nothing to count)."""

    tn: str | None
    p09: _Fail | None
    p10: _Fail | None
    p10_counted: bool


@dataclass(frozen=True, slots=True)
class _Findings:
    """The failures met while normalising, kept so the checks do not normalise twice."""

    kid: _Fail | None
    orig: _Orig
    dest: _Fail | None
    evd_ok: bool
    optional: tuple[_Fail, ...]


@dataclass(frozen=True, slots=True)
class PassportPolicy:
    """The policy values the passport checks use (a slice of the trust store's policy, kept here
    so this module does not depend on :mod:`vvp.trust`, which sits above it)."""

    max_passport_validity_s: float = 60
    iat_tolerance_s: float = 30
    clock_skew_s: float = 5
    allow_legacy_typ: bool = False
    require_ppt_param: bool = False


@dataclass(frozen=True, slots=True)
class VvpPassport:
    """A parsed VVP PASSporT with its claims normalised.

    Normalised fields are ``None`` (or empty) when the claim is missing or malformed;
    :func:`passport_checks` says why. TNs are canonical digits (:mod:`vvp.tn`). ``orig_tn`` is set
    only when ``orig`` holds exactly one valid TN. ``card`` is ``None`` when absent, null, or not
    an array of strings (the brand claim judges the raw ``payload["card"]``).
    """

    token: JoseToken
    alg: str | None
    typ: str | None
    ppt: str | None
    kid: str | None
    kid_aid: str | None
    x5u: str | None
    orig_tn: str | None
    dest_tns: tuple[str, ...]
    evd: str | None
    iat: int | float | None
    exp: int | float | None
    card: tuple[str, ...] | None
    goal: str | None
    call_reason: str | None
    orig_id: str | None
    jti: str | None
    _findings: _Findings = field(repr=False, compare=False)

    @property
    def header(self) -> Mapping[str, Any]:
        return self.token.header

    @property
    def payload(self) -> Mapping[str, Any]:
        return self.token.payload

    @property
    def signing_input(self) -> bytes:
        return self.token.signing_input

    @property
    def signature(self) -> bytes:
        return self.token.signature

    @property
    def signature_encoding(self) -> SignatureEncoding:
        return self.token.signature_encoding


@dataclass(frozen=True, slots=True)
class PassportResult:
    """The passport claim's checks, and the passport when the token could be parsed at all."""

    checks: tuple[Check, ...]
    passport: VvpPassport | None
    identity: IdentityValue | None


# --- normalisation helpers (each returns the value and, on failure, the reason) ------------


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def find_aid_in_url(url: str) -> str | None:
    """The first path segment of ``url`` that is a KERI AID (vvp-protocol.md §2), or ``None``."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    return _aid_in_path(path)


def _aid_in_path(path: str) -> str | None:
    for seg in path.split("/"):
        if AID_RE.match(seg):
            return seg
    return None


def _http_url(v: Any) -> SplitResult | None:
    if not isinstance(v, str) or not v or _WHITESPACE_RE.search(v):
        return None
    try:
        u = urlsplit(v)
        host = u.hostname
    except ValueError:
        return None
    if u.scheme.lower() not in ("http", "https") or not host:
        return None
    return u


def _kid(header: Mapping[str, Any]) -> tuple[str | None, str | None, _Fail | None]:
    """(kid, kid AID, P-05 failure)."""
    kid = header.get("kid")
    if kid is None:
        return None, None, (codes.PASSPORT_KID_INVALID, "the header has no kid")
    url = _http_url(kid)
    if url is None or not isinstance(kid, str):
        return _str_or_none(kid), None, (codes.PASSPORT_KID_INVALID,
                                         f"kid is not an http(s) OOBI URL: {str(kid)[:120]!r}")
    aid = _aid_in_path(url.path)
    if aid is None:
        return kid, None, (codes.PASSPORT_KID_NO_AID, f"no path segment of the kid OOBI is an AID: {kid[:120]!r}")
    return kid, aid, None


def _tn_list(v: Any, where: str) -> tuple[list[str] | None, str | None]:
    """Normalise a ``tn`` value (a string or an array of strings): (TNs, failure message)."""
    items: list[Any]
    if isinstance(v, str):
        items = [v]
    elif isinstance(v, list):
        items = v
    else:
        return None, f"{where}.tn must be a string or an array of strings"
    out: list[str] = []
    for item in items:
        tn = try_normalize_tn(item)
        if tn is None:
            return None, f"{where}.tn holds a value that is not a telephone number: {str(item)[:40]!r}"
        out.append(tn)
    return out, None


def _orig(payload: Mapping[str, Any]) -> _Orig:
    o = payload.get("orig")
    if o is None:
        return _Orig(None, (codes.PASSPORT_ORIG_INVALID, "the orig claim is missing"), None, False)
    if not isinstance(o, dict):
        return _Orig(None, (codes.PASSPORT_ORIG_INVALID, "orig is not a JSON object"), None, False)
    tn_value = o.get("tn")
    if tn_value is None:
        if isinstance(o.get("uri"), (str, list)):
            return _Orig(None, None, (codes.PASSPORT_ORIG_NOT_ONE_TN, "orig holds a uri, not a TN"), True)
        return _Orig(None, (codes.PASSPORT_ORIG_INVALID, "orig has no tn"), None, False)
    if not isinstance(tn_value, (str, list)):
        return _Orig(None, (codes.PASSPORT_ORIG_INVALID, "orig.tn must be a string or an array of strings"),
                     None, False)
    count = 1 if isinstance(tn_value, str) else len(tn_value)
    tns, bad = _tn_list(tn_value, "orig")
    p09 = (codes.PASSPORT_ORIG_INVALID, bad) if bad is not None else None
    if count != 1:
        return _Orig(None, p09, (codes.PASSPORT_ORIG_NOT_ONE_TN, f"orig holds {count} TNs; exactly one is allowed"),
                     True)
    return _Orig(tns[0] if tns else None, p09, None, True)


def _dest(payload: Mapping[str, Any]) -> tuple[tuple[str, ...], _Fail | None]:
    d = payload.get("dest")
    if d is None:
        return (), (codes.PASSPORT_DEST_INVALID, "the dest claim is missing")
    if not isinstance(d, dict):
        return (), (codes.PASSPORT_DEST_INVALID, "dest is not a JSON object")
    if d.get("tn") is None:
        return (), (codes.PASSPORT_DEST_INVALID, "dest has no tn")
    tns, bad = _tn_list(d["tn"], "dest")
    if tns is None:
        return (), (codes.PASSPORT_DEST_INVALID, bad or "dest.tn is malformed")
    if not tns:
        return (), (codes.PASSPORT_DEST_INVALID, "dest.tn is an empty array")
    return tuple(dict.fromkeys(tns)), None


def _numeric_date(v: Any) -> int | float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if not 0 <= v <= MAX_NUMERIC_DATE:
        return None
    return v


def _optional_str(payload: Mapping[str, Any], *names: str) -> tuple[str | None, _Fail | None]:
    """An optional string claim under one or more spellings: null and "" count as absent;
    non-strings and disagreeing spellings are failures."""
    found: dict[str, str] = {}
    for n in names:
        v = payload.get(n)
        if v is None:
            continue
        if not isinstance(v, str):
            return None, (codes.PASSPORT_CLAIM_INVALID, f"{n} must be a string, not {type(v).__name__}")
        if v:
            found[n] = v
    if len(set(found.values())) > 1:
        return None, (codes.PASSPORT_CLAIM_INVALID, f"{' and '.join(found)} disagree")
    return (next(iter(found.values())) if found else None), None


def _card(payload: Mapping[str, Any]) -> tuple[str, ...] | None:
    c = payload.get("card")
    if isinstance(c, list) and all(isinstance(x, str) for x in c):
        return tuple(c)
    return None


# --- parsing --------------------------------------------------------------------------------

def passport_from_token(token: JoseToken) -> VvpPassport:
    """Normalise the claims of an already parsed JWS (module docstring, step 1)."""
    h, p = token.header, token.payload
    kid, kid_aid, kid_fail = _kid(h)
    orig = _orig(p)
    dest_tns, dest_fail = _dest(p)
    evd = p.get("evd")
    evd_ok = _http_url(evd) is not None
    goal, goal_fail = _optional_str(p, "goal")
    reason, reason_fail = _optional_str(p, "call-reason", "call_reason")
    orig_id, orig_id_fail = _optional_str(p, "origId", "origid")
    jti, jti_fail = _optional_str(p, "jti")
    optional = tuple(f for f in (goal_fail, reason_fail, orig_id_fail, jti_fail) if f is not None)
    return VvpPassport(
        token=token, alg=_str_or_none(h.get("alg")), typ=_str_or_none(h.get("typ")), ppt=_str_or_none(h.get("ppt")),
        kid=kid, kid_aid=kid_aid, x5u=_str_or_none(h.get("x5u")), orig_tn=orig.tn, dest_tns=dest_tns,
        evd=evd if evd_ok and isinstance(evd, str) else None,
        iat=_numeric_date(p.get("iat")), exp=_numeric_date(p.get("exp")), card=_card(p),
        goal=goal, call_reason=reason, orig_id=orig_id, jti=jti,
        _findings=_Findings(kid=kid_fail, orig=orig, dest=dest_fail, evd_ok=evd_ok, optional=optional),
    )


def parse_vvp_passport(token: str) -> VvpPassport:
    """Parse a compact PASSporT; raise :class:`vvp.jose.JoseError` when it is not a strict JWS."""
    return passport_from_token(parse_compact(token))


# --- checks ---------------------------------------------------------------------------------

def seconds_text(x: float) -> str:
    """A duration for messages: ``300 s``, ``1.5 s`` (never exponent notation)."""
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return f"{'0' if text in ('', '-0') else text} s"


def passport_checks(passport: VvpPassport, *, identity: IdentityValue | None, reference_time: _dt.datetime,
                    policy: PassportPolicy = PassportPolicy(), subject: str | None = None) -> list[Check]:
    """The checks of the passport claim except the signature (module docstring, step 2).

    ``identity`` is the Identity header value the token came in (for P-23 and the ``alg``
    parameter); ``None`` skips those. ``reference_time`` must be timezone-aware.
    """
    if reference_time.tzinfo is None:
        raise ValueError("reference_time must be timezone-aware")
    ref = reference_time.timestamp()
    h, p = passport.header, passport.payload
    out: list[Check] = []

    def ok(cid: str, msg: str) -> None:
        out.append(passed(cid, CLAIM, msg, subject))

    def bad(cid: str, code: str, msg: str) -> None:
        out.append(failed(cid, CLAIM, code, msg, subject))

    def na(cid: str, msg: str) -> None:
        out.append(not_applicable(cid, CLAIM, codes.PASSPORT_PREREQUISITE_FAILED, msg, subject))

    def one(cid: str, fail: _Fail | None, pass_msg: str) -> None:
        if fail is None:
            ok(cid, pass_msg)
        else:
            bad(cid, fail[0], fail[1])

    ok("X-PASSPORT-01", f"the token is a strict JWS compact serialization ({len(passport.token.raw)} characters)")

    # Header.
    alg = h.get("alg")
    if isinstance(alg, str) and alg in ALLOWED_ALGS:
        ok("P-01", f"alg {alg} is on the allow-list")
    elif isinstance(alg, str) and alg in DRAFT_ALGS_UNSUPPORTED:
        out.append(indeterminate("P-01", CLAIM, codes.PASSPORT_ALG_UNSUPPORTED,
                                 f"alg {alg} is allowed by the draft but vvp cannot verify it", subject))
    else:
        shown = repr(alg)[:40] if alg is not None else "missing"
        bad("P-01", codes.PASSPORT_ALG_NOT_ALLOWED, f"alg {shown} is not on the allow-list (EdDSA)")
    if isinstance(alg, str) and (alg in _FORBIDDEN_ALGS or alg.startswith(_FORBIDDEN_ALG_PREFIXES)):
        bad("P-02", codes.PASSPORT_ALG_FORBIDDEN, f"alg {alg[:40]} is an RSA, HMAC or ES256 algorithm")
    else:
        ok("P-02", "alg is not an RSA, HMAC or ES256 algorithm")

    typ = h.get("typ")
    if typ == PASSPORT_TYP:
        ok("P-03", "typ is passport")
    elif isinstance(typ, str) and typ.lower() == _LEGACY_TYP_LOWER and policy.allow_legacy_typ:
        out.append(warned("P-03", CLAIM, codes.PASSPORT_TYP_LEGACY,
                          f"typ {typ} is the legacy value, accepted because allow_legacy_typ is set", subject))
    else:
        shown = repr(typ)[:40] if typ is not None else "missing"
        extra = " (allow_legacy_typ is off)" if isinstance(typ, str) and typ.lower() == _LEGACY_TYP_LOWER else ""
        bad("P-03", codes.PASSPORT_TYP_INVALID, f"typ {shown} is not passport{extra}")

    ppt = h.get("ppt")
    if ppt == VVP_PPT:
        ok("P-04", "ppt is vvp")
    else:
        bad("P-04", codes.PASSPORT_PPT_INVALID, f"ppt {repr(ppt)[:40] if ppt is not None else 'missing'} is not vvp")

    found = passport._findings
    one("P-05", found.kid, f"kid is an OOBI URL for AID {passport.kid_aid}")

    if "crit" in h:
        bad("X-PASSPORT-02", codes.PASSPORT_CRIT_UNSUPPORTED,
            "the header has crit; vvp understands no JWS extension")
    else:
        ok("X-PASSPORT-02", "the header has no crit extension")

    if passport.x5u is not None or "x5u" in h:
        ok("P-24", "x5u is present and ignored: only the kid key state can justify the signature")

    # Claims.
    orig = found.orig
    one("P-09", orig.p09, f"orig is in SHAKEN format ({display_tn(orig.tn)})" if orig.tn else "orig is in SHAKEN format")
    if orig.p10_counted:
        one("P-10", orig.p10, "orig holds exactly one TN")
    else:
        na("P-10", "not counted: orig is missing or malformed")
    one("P-11", found.dest, f"dest holds {len(passport.dest_tns)} TN(s)")
    evd = p.get("evd")
    if found.evd_ok:
        ok("P-15", "evd is an http(s) URL (its content is judged in the dossier claim)")
    else:
        bad("P-15", codes.PASSPORT_EVD_INVALID,
            "the evd claim is missing" if evd is None else f"evd is not an http(s) URL: {str(evd)[:120]!r}")
    iat, exp = passport.iat, passport.exp
    if iat is not None:
        ok("P-16", f"iat is {iat}")
    else:
        bad("P-16", codes.PASSPORT_IAT_INVALID,
            "the iat claim is missing" if p.get("iat") is None else f"iat is not a NumericDate: {str(p.get('iat'))[:40]!r}")
    if exp is not None:
        ok("P-17", f"exp is {exp}")
    else:
        bad("P-17", codes.PASSPORT_EXP_INVALID,
            "the exp claim is missing" if p.get("exp") is None else f"exp is not a NumericDate: {str(p.get('exp'))[:40]!r}")

    optional_fails = found.optional
    if optional_fails:
        bad("X-PASSPORT-04", optional_fails[0][0], "; ".join(f[1] for f in optional_fails))
    else:
        ok("X-PASSPORT-04", "optional claims are well-typed")

    # Timing.
    if iat is not None and exp is not None:
        life = exp - iat
        if life <= policy.max_passport_validity_s:
            ok("P-18", f"exp - iat = {seconds_text(life)} <= {seconds_text(policy.max_passport_validity_s)}")
        else:
            bad("P-18", codes.PASSPORT_VALIDITY_TOO_LONG,
                f"exp - iat = {seconds_text(life)} > max_passport_validity_s {seconds_text(policy.max_passport_validity_s)}")
        if life <= RECOMMENDED_VALIDITY_S:
            ok("P-19", f"exp - iat = {seconds_text(life)} is within the recommended {RECOMMENDED_VALIDITY_S} s")
        else:
            out.append(warned("P-19", CLAIM, codes.PASSPORT_EXP_NOT_RECOMMENDED,
                              f"exp - iat = {seconds_text(life)}; {RECOMMENDED_VALIDITY_S} s is recommended", subject))
        if life <= AGGRESSIVE_TIMEOUT_S:
            ok("P-20", f"exp - iat = {seconds_text(life)} is an aggressive timeout (<= {AGGRESSIVE_TIMEOUT_S} s)")
        else:
            out.append(warned("P-20", CLAIM, codes.PASSPORT_TIMEOUT_NOT_AGGRESSIVE,
                              f"exp - iat = {seconds_text(life)} is longer than {AGGRESSIVE_TIMEOUT_S} s", subject))
        if exp > iat:
            ok("V-01", "exp is after iat")
        else:
            bad("V-01", codes.PASSPORT_EXP_NOT_AFTER_IAT, f"exp {exp} is not after iat {iat}")
    else:
        for cid in ("P-18", "P-19", "P-20", "V-01"):
            na(cid, "needs valid iat and exp")
    ref_s = rfc3339(reference_time)
    if exp is not None:
        if exp > ref:
            ok("V-02", f"exp is {seconds_text(exp - ref)} after the reference time {ref_s}")
        else:
            bad("V-02", codes.PASSPORT_EXPIRED, f"expired {seconds_text(ref - exp)} before the reference time {ref_s}")
    else:
        na("V-02", "needs a valid exp")
    if iat is not None:
        age = ref - iat
        if age > policy.iat_tolerance_s:
            bad("V-03", codes.PASSPORT_IAT_TOO_OLD,
                f"iat is {seconds_text(age)} before the reference time {ref_s}; tolerance {seconds_text(policy.iat_tolerance_s)}")
        elif -age > policy.clock_skew_s:
            bad("V-03", codes.PASSPORT_IAT_IN_FUTURE,
                f"iat is {seconds_text(-age)} after the reference time {ref_s}; clock skew allowed {seconds_text(policy.clock_skew_s)}")
        else:
            when = f"{seconds_text(age)} old" if age >= 0 else f"{seconds_text(-age)} in the future"
            ok("V-03", f"iat is within tolerance of the reference time {ref_s} ({when})")
    else:
        na("V-03", "needs a valid iat")

    # Signature encoding.
    sig_len = len(passport.signature)
    if sig_len == ED25519_SIGNATURE_BYTES and passport.signature_encoding is SignatureEncoding.CESR_0B:
        ok("P-21", "the signature is in the CESR 0B form (88 characters)")
    elif sig_len == ED25519_SIGNATURE_BYTES:
        ok("P-21", "the signature is a plain JWS Ed25519 signature (86 characters)")
    else:
        bad("P-21", codes.PASSPORT_SIGNATURE_ENCODING,
            f"the signature is {sig_len} bytes; an Ed25519 signature is {ED25519_SIGNATURE_BYTES}")

    # Identity header parameters.
    if identity is not None:
        if identity.ppt is not None:
            if identity.ppt.lower() == VVP_PPT:
                ok("P-23", "the Identity value carries ;ppt=vvp")
            else:
                bad("P-23", codes.PASSPORT_PPT_PARAM_MISMATCH,
                    f"the Identity value carries ;ppt={identity.ppt[:40]}, not vvp")
        elif policy.require_ppt_param:
            bad("P-23", codes.PASSPORT_PPT_PARAM_MISSING, "the Identity value has no ;ppt=vvp (require_ppt_param)")
        else:
            out.append(warned("P-23", CLAIM, codes.PASSPORT_PPT_PARAM_MISSING,
                              "the Identity value has no ;ppt=vvp", subject))
        if identity.alg is not None:
            if identity.alg == alg:
                ok("X-PASSPORT-03", "the Identity alg parameter equals the header alg")
            else:
                bad("X-PASSPORT-03", codes.PASSPORT_ALG_PARAM_MISMATCH,
                    f"the Identity alg parameter {identity.alg[:40]!r} differs from the header alg")
    return out


def check_passport(identity: str | IdentityValue, *, reference_time: _dt.datetime,
                   policy: PassportPolicy = PassportPolicy(), subject: str | None = None) -> PassportResult:
    """Parse and check one VVP Identity value (or bare token); never raises for bad input.

    A value that is not a strict JWS gives the single failing check ``X-PASSPORT-01`` (with the
    code of the broken rule) and no passport.
    """
    iv: IdentityValue
    if isinstance(identity, str):
        try:
            iv = parse_identity(identity)
        except IdentityError as e:
            return PassportResult((failed("X-PASSPORT-01", CLAIM, e.code, e.message, subject),), None, None)
    else:
        iv = identity
    try:
        passport = parse_vvp_passport(iv.token)
    except JoseError as e:
        return PassportResult((failed("X-PASSPORT-01", CLAIM, e.code, e.message, subject),), None, iv)
    checks = passport_checks(passport, identity=iv, reference_time=reference_time, policy=policy, subject=subject)
    return PassportResult(tuple(checks), passport, iv)


# --- signature (V-06) -----------------------------------------------------------------------

def ed25519_verifier(public_key: bytes) -> SignatureVerifier:
    """A :data:`SignatureVerifier` for one raw 32-byte Ed25519 public key (a KERI ``D``/``B``
    key's raw bytes). Raises ValueError for a key of the wrong length (a caller bug)."""
    if len(public_key) != ED25519_PUBLIC_KEY_BYTES:
        raise ValueError(f"an Ed25519 public key is {ED25519_PUBLIC_KEY_BYTES} bytes, not {len(public_key)}")
    key = Ed25519PublicKey.from_public_bytes(public_key)

    def verify(signature: bytes, signing_input: bytes) -> bool:
        try:
            key.verify(signature, signing_input)
        except (InvalidSignature, ValueError):
            return False
        return True

    return verify


def check_signature(passport: VvpPassport, verify: SignatureVerifier, *,
                    subject: str | None = None, key_description: str = "the signer's key state") -> Check:
    """V-06: verify the PASSporT signature with ``verify`` (the key state at the reference time).

    ``subject`` defaults to the kid AID. The callback may raise :class:`vvp.errors.VvpError`:
    an :class:`~vvp.errors.EvidenceUnavailable` becomes an INDETERMINATE check with its code (the
    key state could not be obtained), any other coded error a failing one. The signature is only
    checked for ``alg`` EdDSA and a 64-byte signature; otherwise V-06 is not applicable (P-01
    or P-21 already fail), so no other algorithm is ever tried on the bytes.
    """
    subj = subject if subject is not None else passport.kid_aid
    if passport.alg not in ALLOWED_ALGS:
        return not_applicable("V-06", CLAIM, codes.PASSPORT_PREREQUISITE_FAILED,
                              "not checked: alg is not EdDSA", subj)
    if len(passport.signature) != ED25519_SIGNATURE_BYTES:
        return not_applicable("V-06", CLAIM, codes.PASSPORT_PREREQUISITE_FAILED,
                              "not checked: the signature is not 64 bytes", subj)
    try:
        good = verify(passport.signature, passport.signing_input)
    except EvidenceUnavailable as e:
        return indeterminate("V-06", CLAIM, e.code, e.message, subj)
    except VvpError as e:
        return failed("V-06", CLAIM, e.code, e.message, subj)
    enc = passport.signature_encoding.value
    if good:
        return passed("V-06", CLAIM, f"the signature ({enc}) verifies with {key_description}", subj)
    return failed("V-06", CLAIM, codes.PASSPORT_SIGNATURE_INVALID,
                  f"the signature ({enc}) does not verify with {key_description}", subj)
