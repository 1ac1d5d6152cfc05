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
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from vvp import codes
from vvp.clock import rfc3339
from vvp.errors import EvidenceUnavailable, VvpError
from vvp.jose import JoseError, JoseToken, SignatureEncoding, header_object, parse_compact
from vvp.stir.identity import IdentityError, IdentityValue, parse_identity
from vvp.tn import display_tn, try_normalize_tn
from vvp.verdict import Check, CheckBlock, failed, indeterminate, not_applicable, passed, warned

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
class HeaderFields:
    """What the JOSE header yields, a function of the header alone (:func:`_read_header`)."""

    alg: str | None
    typ: str | None
    ppt: str | None
    kid: str | None
    kid_aid: str | None
    kid_fail: _Fail | None
    x5u: str | None


@dataclass(frozen=True, slots=True)
class _Findings:
    """The failures met while normalising, kept so the checks do not normalise twice.
    ``header_b64`` is the token's header segment when its header is the shared parse of it
    (:func:`vvp.jose.header_object`), so that the header's checks can be shared too."""

    kid: _Fail | None
    orig: _Orig
    dest: _Fail | None
    evd_ok: bool
    optional: tuple[_Fail, ...]
    header_b64: str | None = None


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
    head: HeaderFields
    """What the JOSE header yields (``alg``, ``typ``, ``ppt``, ``kid``, ``kid_aid``, ``x5u``: read
    through the properties of those names): one object per distinct header segment, shared by
    the passports of a signer's calls."""
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
    def alg(self) -> str | None:
        return self.head.alg

    @property
    def typ(self) -> str | None:
        return self.head.typ

    @property
    def ppt(self) -> str | None:
        return self.head.ppt

    @property
    def kid(self) -> str | None:
        return self.head.kid

    @property
    def kid_aid(self) -> str | None:
        return self.head.kid_aid

    @property
    def x5u(self) -> str | None:
        return self.head.x5u

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
    """The passport claim's checks, and the passport when the token could be parsed at all.
    ``parts`` holds the checks in order as they were made: groups shared by a signer's calls as
    :class:`~vvp.verdict.CheckBlock` objects (a verdict is built from them as they are), the
    call's own checks as sequences."""

    parts: tuple[Sequence[Check] | CheckBlock, ...]
    passport: VvpPassport | None
    identity: IdentityValue | None

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(c for p in self.parts for c in (p.checks if isinstance(p, CheckBlock) else p))


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


# Remembered results are keyed by text from the call: only short texts are remembered, so that
# hostile tokens cannot fill memory (URLs and numbers are far shorter than these bounds).
_MAX_SHARED_URL = 2048
_MAX_SHARED_TN = 64
_MAX_SHARED_TNS = 8


def _http_url(v: Any) -> SplitResult | None:
    if not isinstance(v, str):
        return None
    return _shared_http_url_text(v) if len(v) <= _MAX_SHARED_URL else _http_url_text(v)


def _http_url_text(v: str) -> SplitResult | None:
    """:func:`_http_url` of a string: a pure function of the text (a split URL is immutable),
    remembered (:func:`_shared_http_url_text`) because a signer's kid and a dossier's evd come
    back call after call."""
    if not v or _WHITESPACE_RE.search(v):
        return None
    try:
        u = urlsplit(v)
        host = u.hostname
    except ValueError:
        return None
    if u.scheme.lower() not in ("http", "https") or not host:
        return None
    return u


_shared_http_url_text = functools.lru_cache(maxsize=1024)(_http_url_text)


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
    key = _strings_key(tn_value)
    return _orig_tn(tn_value) if key is None else _shared_orig_tn(*key)


def _strings_key(v: Any) -> tuple[tuple[str, ...], bool] | None:
    """A hashable stand-in for a ``tn`` value that is a string or an array of (a few, short)
    strings: the strings, and whether it was a lone string; None for anything else."""
    if type(v) is str:
        return ((v,), True) if len(v) <= _MAX_SHARED_TN else None
    if type(v) is not list or len(v) > _MAX_SHARED_TNS:
        return None
    for x in v:
        if type(x) is not str or len(x) > _MAX_SHARED_TN:
            return None
    return tuple(v), False


@functools.lru_cache(maxsize=4096)
def _shared_orig_tn(items: tuple[str, ...], lone: bool) -> _Orig:
    """:func:`_orig_tn` of a string (``lone``) or an array of strings: a function of the text,
    remembered because a caller's number comes back call after call (an _Orig is immutable)."""
    return _orig_tn(items[0] if lone else list(items))


def _orig_tn(tn_value: Any) -> _Orig:
    """What the orig claim's (present) ``tn`` yields."""
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
    if len(names) == 1:  # the common case, without the bookkeeping for spellings
        v = payload.get(names[0])
        if v is None:
            return None, None
        if not isinstance(v, str):
            return None, (codes.PASSPORT_CLAIM_INVALID, f"{names[0]} must be a string, not {type(v).__name__}")
        return v or None, None
    for n in names:
        if payload.get(n) is not None:
            break
    else:
        return None, None
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
    if isinstance(c, list) and all([isinstance(x, str) for x in c]):  # a list comprehension runs inline
        return tuple(c)
    return None


_NONE2: Final[tuple[None, None]] = (None, None)


# --- parsing --------------------------------------------------------------------------------

def passport_from_token(token: JoseToken) -> VvpPassport:
    """Normalise the claims of an already parsed JWS (module docstring, step 1)."""
    h, p = token.header, token.payload
    header_b64: str | None = token.header_b64 if _is_shared_header(token) else None
    hd = _header_of(header_b64) if header_b64 is not None else _read_header(h)
    orig = _orig(p)
    dest_tns, dest_fail = _dest(p)
    evd = p.get("evd")
    evd_ok = _http_url(evd) is not None
    # The optional claims: what _optional_str says, without its call when every spelling is
    # absent or null (it would say (None, None)) or a lone spelling is a string.
    get = p.get
    v = get("goal")
    goal, goal_fail = (v or None, None) if type(v) is str else _NONE2 if v is None else _optional_str(p, "goal")
    reason, reason_fail = _NONE2 if get("call-reason") is None and get("call_reason") is None \
        else _optional_str(p, "call-reason", "call_reason")
    orig_id, orig_id_fail = _NONE2 if get("origId") is None and get("origid") is None \
        else _optional_str(p, "origId", "origid")
    v = get("jti")
    jti, jti_fail = (v or None, None) if type(v) is str else _NONE2 if v is None else _optional_str(p, "jti")
    optional = () if goal_fail is None and reason_fail is None and orig_id_fail is None and jti_fail is None \
        else tuple([f for f in (goal_fail, reason_fail, orig_id_fail, jti_fail) if f is not None])
    return VvpPassport(
        token=token, head=hd, orig_tn=orig.tn, dest_tns=dest_tns,
        evd=evd if evd_ok and isinstance(evd, str) else None,
        iat=_numeric_date(p.get("iat")), exp=_numeric_date(p.get("exp")), card=_card(p),
        goal=goal, call_reason=reason, orig_id=orig_id, jti=jti,
        _findings=_Findings(kid=hd.kid_fail, orig=orig, dest=dest_fail, evd_ok=evd_ok, optional=optional,
                            header_b64=header_b64),
    )


def _read_header(h: Mapping[str, Any]) -> HeaderFields:
    kid, kid_aid, kid_fail = _kid(h)
    return HeaderFields(alg=_str_or_none(h.get("alg")), typ=_str_or_none(h.get("typ")), ppt=_str_or_none(h.get("ppt")),
                   kid=kid, kid_aid=kid_aid, kid_fail=kid_fail, x5u=_str_or_none(h.get("x5u")))


def _is_shared_header(token: JoseToken) -> bool:
    """Whether the token's header is the shared parse of its header segment (always, for a token
    from :func:`vvp.jose.parse_compact`), so that what follows from the header can be shared."""
    try:
        return header_object(token.header_b64) is token.header
    except JoseError:
        return False


@functools.lru_cache(maxsize=1024)
def _header_of(header_b64: str) -> HeaderFields:
    """:func:`_read_header` once per distinct header segment (a signer's calls share one)."""
    return _read_header(header_object(header_b64))


def parse_vvp_passport(token: str) -> VvpPassport:
    """Parse a compact PASSporT; raise :class:`vvp.jose.JoseError` when it is not a strict JWS."""
    return passport_from_token(parse_compact(token))


# --- checks ---------------------------------------------------------------------------------

def seconds_text(x: float) -> str:
    """A duration for messages: ``300 s``, ``1.5 s`` (never exponent notation)."""
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return f"{'0' if text in ('', '-0') else text} s"


@functools.lru_cache(maxsize=4096)
def _shared_pass(cid: str, msg: str, subject: str | None) -> Check:
    """A passing check of this claim, one object per distinct (id, message, subject), for a
    message that names only what repeats call after call (V-06: the signature encoding and the
    signer's key; P-16 and P-17: a time in seconds, shared by the calls signed in that second):
    finding a check costs less than making one. Checks are immutable."""
    return passed(cid, CLAIM, msg, subject)


@functools.lru_cache(maxsize=1024)
def _shared_header_checks(header_b64: str, allow_legacy_typ: bool, subject: str | None) -> tuple[Check, ...]:
    """:func:`_header_checks` once per header segment, policy and subject: a function of the
    header alone, which a signer's calls share. Checks are immutable."""
    hd = _header_of(header_b64)
    return tuple(_header_checks(header_object(header_b64), hd.kid_aid, hd.kid_fail, hd.x5u, allow_legacy_typ,
                                subject))


def _header_checks(h: Mapping[str, Any], kid_aid: str | None, kid_fail: _Fail | None, x5u: str | None,
                   allow_legacy_typ: bool, subject: str | None) -> list[Check]:
    """P-01 to P-05, X-PASSPORT-02 and P-24: the JOSE header's checks, in verdict order."""
    out: list[Check] = []

    def ok(cid: str, msg: str) -> None:
        out.append(passed(cid, CLAIM, msg, subject))

    def bad(cid: str, code: str, msg: str) -> None:
        out.append(failed(cid, CLAIM, code, msg, subject))

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
    elif isinstance(typ, str) and typ.lower() == _LEGACY_TYP_LOWER and allow_legacy_typ:
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

    if kid_fail is None:
        ok("P-05", f"kid is an OOBI URL for AID {kid_aid}")
    else:
        bad("P-05", kid_fail[0], kid_fail[1])

    if "crit" in h:
        bad("X-PASSPORT-02", codes.PASSPORT_CRIT_UNSUPPORTED,
            "the header has crit; vvp understands no JWS extension")
    else:
        ok("X-PASSPORT-02", "the header has no crit extension")

    if x5u is not None or "x5u" in h:
        ok("P-24", "x5u is present and ignored: only the kid key state can justify the signature")
    return out


def header_checks(passport: VvpPassport, *, allow_legacy_typ: bool = False,
                  subject: str | None = None) -> tuple[Check, ...]:
    """P-01 to P-05, X-PASSPORT-02 and P-24 of a parsed PASSporT: the JOSE header's checks alone.

    The callee's PASSporT has "the same headers as the caller" (vvp-protocol.md §8.2 CE-09, CE-03),
    so :mod:`vvp.callee` judges its header with exactly these rules instead of a copy of them.
    Shared (remembered) per header segment like the caller's."""
    found = passport._findings
    if found.header_b64 is not None:
        return _shared_header_checks(found.header_b64, allow_legacy_typ, subject)
    return tuple(_header_checks(passport.header, passport.kid_aid, found.kid, passport.x5u, allow_legacy_typ,
                                subject))


def passport_checks(passport: VvpPassport, *, identity: IdentityValue | None, reference_time: _dt.datetime,
                    policy: PassportPolicy = PassportPolicy(), subject: str | None = None,
                    reference_text: str | None = None) -> list[Check]:
    """The checks of the passport claim except the signature (module docstring, step 2).

    ``identity`` is the Identity header value the token came in (for P-23 and the ``alg``
    parameter); ``None`` skips those. ``reference_time`` must be timezone-aware;
    ``reference_text`` is its :func:`vvp.clock.rfc3339`, when the caller has it already.

    The checks come in groups, each a function of a few plain values; the groups whose values
    repeat call after call (the header, the claims' shapes, the lifetime, the signature encoding
    and Identity parameters) are remembered, and only the checks naming this call's own times
    (P-16, P-17, V-02, V-03) are made for every call.
    """
    return [c for p in _passport_parts(passport, identity=identity, reference_time=reference_time, policy=policy,
                                       subject=subject, reference_text=reference_text)
            for c in (p.checks if isinstance(p, CheckBlock) else p)]


def _passport_parts(passport: VvpPassport, *, identity: IdentityValue | None, reference_time: _dt.datetime,
                    policy: PassportPolicy, subject: str | None,
                    reference_text: str | None) -> list[Sequence[Check] | CheckBlock]:
    """:func:`passport_checks` in order, its remembered groups as blocks."""
    if reference_time.tzinfo is None:
        raise ValueError("reference_time must be timezone-aware")
    ref = reference_time.timestamp()
    token = passport.token
    h, p = token.header, token.payload
    found = passport._findings

    # The token, its header and the claims' shapes.
    evd = p.get("evd")
    orig = found.orig
    claims: _ClaimsKey = (orig.tn, orig.p09, orig.p10, orig.p10_counted, found.dest, len(passport.dest_tns),
                          found.evd_ok, None if found.evd_ok or evd is None else f"{str(evd)[:120]!r}")
    parts: list[Sequence[Check] | CheckBlock] = []
    if found.header_b64 is not None:
        parts.append(_shared_head_checks(len(token.raw), found.header_b64, policy.allow_legacy_typ, subject, claims))
    else:
        head = [_x01(len(token.raw), subject)]
        head += _header_checks(h, passport.kid_aid, found.kid, passport.x5u, policy.allow_legacy_typ, subject)
        head += _claim_checks(*claims, subject)
        parts.append(head)
    out: list[Check] = []
    parts.append(out)

    iat, exp = passport.iat, passport.exp
    if iat is not None:
        # P-16 and P-17 name a time in whole seconds, which every call signed in that second
        # shares (at any real call rate, many): one check object per message (_shared_pass).
        out.append(_shared_pass("P-16", f"iat is {iat}", subject))
    else:
        out.append(failed("P-16", CLAIM, codes.PASSPORT_IAT_INVALID, "the iat claim is missing" if p.get("iat") is None
                          else f"iat is not a NumericDate: {str(p.get('iat'))[:40]!r}", subject))
    if exp is not None:
        out.append(_shared_pass("P-17", f"exp is {exp}", subject))
    else:
        out.append(failed("P-17", CLAIM, codes.PASSPORT_EXP_INVALID, "the exp claim is missing" if p.get("exp") is None
                          else f"exp is not a NumericDate: {str(p.get('exp'))[:40]!r}", subject))

    # Optional claims and the lifetime.
    if iat is None or exp is None:
        parts.append(_lifetime_checks(found.optional, None, policy.max_passport_validity_s, False, subject))
    else:
        parts.append(_lifetime_checks(found.optional, exp - iat, policy.max_passport_validity_s, exp > iat, subject))
    out = []
    parts.append(out)
    if iat is not None and exp is not None:
        if not exp > iat:
            out.append(failed("V-01", CLAIM, codes.PASSPORT_EXP_NOT_AFTER_IAT, f"exp {exp} is not after iat {iat}",
                              subject))

    # Timing against the reference time.
    ref_s = reference_text if reference_text is not None else rfc3339(reference_time)
    if exp is not None:
        if exp > ref:
            out.append(passed("V-02", CLAIM, f"exp is {seconds_text(exp - ref)} after the reference time {ref_s}",
                              subject))
        else:
            out.append(failed("V-02", CLAIM, codes.PASSPORT_EXPIRED,
                              f"expired {seconds_text(ref - exp)} before the reference time {ref_s}", subject))
    else:
        out.append(_needs("V-02", "needs a valid exp", subject))
    if iat is not None:
        age = ref - iat
        if age > policy.iat_tolerance_s:
            out.append(failed("V-03", CLAIM, codes.PASSPORT_IAT_TOO_OLD,
                              f"iat is {seconds_text(age)} before the reference time {ref_s}; tolerance "
                              f"{seconds_text(policy.iat_tolerance_s)}", subject))
        elif -age > policy.clock_skew_s:
            out.append(failed("V-03", CLAIM, codes.PASSPORT_IAT_IN_FUTURE,
                              f"iat is {seconds_text(-age)} after the reference time {ref_s}; clock skew allowed "
                              f"{seconds_text(policy.clock_skew_s)}", subject))
        else:
            when = f"{seconds_text(age)} old" if age >= 0 else f"{seconds_text(-age)} in the future"
            out.append(passed("V-03", CLAIM, f"iat is within tolerance of the reference time {ref_s} ({when})",
                              subject))
    else:
        out.append(_needs("V-03", "needs a valid iat", subject))

    # Signature encoding and Identity header parameters.
    ppt = identity.ppt if identity is not None else None
    id_alg = identity.alg if identity is not None else None
    alg = h.get("alg") if id_alg is not None else None
    # (a header alg that is not a string never equals the Identity alg parameter, and neither does None)
    args = (len(token.signature), token.signature_encoding, identity is not None, ppt, id_alg,
            alg if isinstance(alg, str) else None, policy.require_ppt_param, subject)
    short = (ppt is None or len(ppt) <= _MAX_SHARED_PARAM) and (id_alg is None or len(id_alg) <= _MAX_SHARED_PARAM)
    parts.append(_shared_encoding_checks(*args) if short else _encoding_checks(*args))
    return parts


def _needs(cid: str, msg: str, subject: str | None) -> Check:
    return not_applicable(cid, CLAIM, codes.PASSPORT_PREREQUISITE_FAILED, msg, subject)


def _one(cid: str, fail: _Fail | None, pass_msg: str, subject: str | None) -> Check:
    return passed(cid, CLAIM, pass_msg, subject) if fail is None else failed(cid, CLAIM, fail[0], fail[1], subject)


def _x01(length: int, subject: str | None) -> Check:
    return passed("X-PASSPORT-01", CLAIM, f"the token is a strict JWS compact serialization ({length} characters)",
                  subject)


# What P-09, P-10, P-11 and P-15 depend on: the arguments of _claim_checks but the subject.
_ClaimsKey = tuple[str | None, _Fail | None, _Fail | None, bool, _Fail | None, int, bool, str | None]


@functools.lru_cache(maxsize=4096)
def _shared_head_checks(length: int, header_b64: str, allow_legacy_typ: bool, subject: str | None,
                        claims: _ClaimsKey) -> CheckBlock:
    """X-PASSPORT-01, the header's checks and :func:`_claim_checks` (of ``claims``) in one: a
    function of the token's length, its header and the claims' shapes, which a caller's calls
    share. Remembered."""
    return CheckBlock.of((_x01(length, subject),) + _shared_header_checks(header_b64, allow_legacy_typ, subject)
                         + _claim_checks(*claims, subject))


def _claim_checks(orig_tn: str | None, p09: _Fail | None, p10: _Fail | None, p10_counted: bool, dest: _Fail | None,
                  dest_count: int, evd_ok: bool, evd_shown: str | None, subject: str | None) -> tuple[Check, ...]:
    """P-09, P-10 (from the orig claim's :class:`_Orig`), P-11 and P-15 (``evd_shown``: the bad
    evd for the message, None when absent)."""
    out = [_one("P-09", p09, f"orig is in SHAKEN format ({display_tn(orig_tn)})" if orig_tn
                else "orig is in SHAKEN format", subject)]
    out.append(_one("P-10", p10, "orig holds exactly one TN", subject) if p10_counted
               else _needs("P-10", "not counted: orig is missing or malformed", subject))
    out.append(_one("P-11", dest, f"dest holds {dest_count} TN(s)", subject))
    if evd_ok:
        out.append(passed("P-15", CLAIM, "evd is an http(s) URL (its content is judged in the dossier claim)", subject))
    else:
        out.append(failed("P-15", CLAIM, codes.PASSPORT_EVD_INVALID, "the evd claim is missing" if evd_shown is None
                          else f"evd is not an http(s) URL: {evd_shown}", subject))
    return tuple(out)


@functools.lru_cache(maxsize=1024)
def _lifetime_checks(optional_fails: tuple[_Fail, ...], life: float | None, max_validity_s: float,
                     exp_after_iat: bool, subject: str | None) -> CheckBlock:
    """X-PASSPORT-04, P-18, P-19, P-20, and V-01 unless it fails (``life``: exp - iat, None unless
    both are valid; a failing V-01 names the call's own iat and exp, so the caller adds it). A
    function of the optional claims' findings and a PASSporT's lifetime, which a signer keeps:
    remembered."""
    out: list[Check] = []
    if optional_fails:
        out.append(failed("X-PASSPORT-04", CLAIM, optional_fails[0][0], "; ".join(f[1] for f in optional_fails),
                          subject))
    else:
        out.append(passed("X-PASSPORT-04", CLAIM, "optional claims are well-typed", subject))
    if life is None:
        return CheckBlock.of(out + [_needs(cid, "needs valid iat and exp", subject)
                                    for cid in ("P-18", "P-19", "P-20", "V-01")])
    if life <= max_validity_s:
        out.append(passed("P-18", CLAIM, f"exp - iat = {seconds_text(life)} <= {seconds_text(max_validity_s)}",
                          subject))
    else:
        out.append(failed("P-18", CLAIM, codes.PASSPORT_VALIDITY_TOO_LONG, f"exp - iat = {seconds_text(life)} > "
                          f"max_passport_validity_s {seconds_text(max_validity_s)}", subject))
    if life <= RECOMMENDED_VALIDITY_S:
        out.append(passed("P-19", CLAIM, f"exp - iat = {seconds_text(life)} is within the recommended "
                          f"{RECOMMENDED_VALIDITY_S} s", subject))
    else:
        out.append(warned("P-19", CLAIM, codes.PASSPORT_EXP_NOT_RECOMMENDED,
                          f"exp - iat = {seconds_text(life)}; {RECOMMENDED_VALIDITY_S} s is recommended", subject))
    if life <= AGGRESSIVE_TIMEOUT_S:
        out.append(passed("P-20", CLAIM, f"exp - iat = {seconds_text(life)} is an aggressive timeout "
                          f"(<= {AGGRESSIVE_TIMEOUT_S} s)", subject))
    else:
        out.append(warned("P-20", CLAIM, codes.PASSPORT_TIMEOUT_NOT_AGGRESSIVE,
                          f"exp - iat = {seconds_text(life)} is longer than {AGGRESSIVE_TIMEOUT_S} s", subject))
    if exp_after_iat:
        out.append(passed("V-01", CLAIM, "exp is after iat", subject))
    return CheckBlock.of(out)


def _encoding_checks(sig_len: int, encoding: SignatureEncoding, has_identity: bool, ppt: str | None,
                     identity_alg: str | None, alg: str | None, require_ppt_param: bool,
                     subject: str | None) -> tuple[Check, ...]:
    """P-21, and with the Identity value (``has_identity``) P-23 and X-PASSPORT-03 (``alg``: the
    header's, compared with the Identity ``alg`` parameter when there is one). Remembered when the
    Identity parameters are short (:func:`_shared_encoding_checks`)."""
    out: list[Check] = []
    if sig_len == ED25519_SIGNATURE_BYTES and encoding is SignatureEncoding.CESR_0B:
        out.append(passed("P-21", CLAIM, "the signature is in the CESR 0B form (88 characters)", subject))
    elif sig_len == ED25519_SIGNATURE_BYTES:
        out.append(passed("P-21", CLAIM, "the signature is a plain JWS Ed25519 signature (86 characters)", subject))
    else:
        out.append(failed("P-21", CLAIM, codes.PASSPORT_SIGNATURE_ENCODING,
                          f"the signature is {sig_len} bytes; an Ed25519 signature is {ED25519_SIGNATURE_BYTES}",
                          subject))
    if not has_identity:
        return tuple(out)
    if ppt is not None:
        if ppt.lower() == VVP_PPT:
            out.append(passed("P-23", CLAIM, "the Identity value carries ;ppt=vvp", subject))
        else:
            out.append(failed("P-23", CLAIM, codes.PASSPORT_PPT_PARAM_MISMATCH,
                              f"the Identity value carries ;ppt={ppt[:40]}, not vvp", subject))
    elif require_ppt_param:
        out.append(failed("P-23", CLAIM, codes.PASSPORT_PPT_PARAM_MISSING,
                          "the Identity value has no ;ppt=vvp (require_ppt_param)", subject))
    else:
        out.append(warned("P-23", CLAIM, codes.PASSPORT_PPT_PARAM_MISSING, "the Identity value has no ;ppt=vvp",
                          subject))
    if identity_alg is not None:
        if identity_alg == alg:
            out.append(passed("X-PASSPORT-03", CLAIM, "the Identity alg parameter equals the header alg", subject))
        else:
            out.append(failed("X-PASSPORT-03", CLAIM, codes.PASSPORT_ALG_PARAM_MISMATCH,
                              f"the Identity alg parameter {identity_alg[:40]!r} differs from the header alg",
                              subject))
    return tuple(out)


_MAX_SHARED_PARAM = 256
@functools.lru_cache(maxsize=1024)
def _shared_encoding_checks(sig_len: int, encoding: SignatureEncoding, has_identity: bool, ppt: str | None,
                            identity_alg: str | None, alg: str | None, require_ppt_param: bool,
                            subject: str | None) -> CheckBlock:
    """:func:`_encoding_checks`, remembered (short Identity parameters) as a block."""
    return CheckBlock.of(_encoding_checks(sig_len, encoding, has_identity, ppt, identity_alg, alg, require_ppt_param,
                                          subject))


def check_passport(identity: str | IdentityValue, *, reference_time: _dt.datetime,
                   policy: PassportPolicy = PassportPolicy(), subject: str | None = None,
                   reference_text: str | None = None) -> PassportResult:
    """Parse and check one VVP Identity value (or bare token); never raises for bad input.

    A value that is not a strict JWS gives the single failing check ``X-PASSPORT-01`` (with the
    code of the broken rule) and no passport.
    """
    iv: IdentityValue
    if isinstance(identity, str):
        try:
            iv = parse_identity(identity)
        except IdentityError as e:
            return PassportResult(((failed("X-PASSPORT-01", CLAIM, e.code, e.message, subject),),), None, None)
    else:
        iv = identity
    try:
        passport = parse_vvp_passport(iv.token)
    except JoseError as e:
        return PassportResult(((failed("X-PASSPORT-01", CLAIM, e.code, e.message, subject),),), None, iv)
    parts = _passport_parts(passport, identity=iv, reference_time=reference_time, policy=policy, subject=subject,
                            reference_text=reference_text)
    return PassportResult(tuple(parts), passport, iv)


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
    token = passport.token
    if len(token.signature) != ED25519_SIGNATURE_BYTES:
        return not_applicable("V-06", CLAIM, codes.PASSPORT_PREREQUISITE_FAILED,
                              "not checked: the signature is not 64 bytes", subj)
    try:
        good = verify(token.signature, token.signing_input)
    except EvidenceUnavailable as e:
        return indeterminate("V-06", CLAIM, e.code, e.message, subj)
    except VvpError as e:
        return failed("V-06", CLAIM, e.code, e.message, subj)
    enc = token.signature_encoding._value_  # .value, without the enum property's two calls
    if good:
        return _shared_pass("V-06", f"the signature ({enc}) verifies with {key_description}", subj)
    return failed("V-06", CLAIM, codes.PASSPORT_SIGNATURE_INVALID,
                  f"the signature ({enc}) does not verify with {key_description}", subj)
