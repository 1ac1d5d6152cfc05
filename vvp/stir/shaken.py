"""SHAKEN verification beside VVP (RFC 8224, RFC 8225, RFC 8588, ATIS-1000074/80): one Identity
value in, the ``shaken`` claim's checks, ``verstat`` and SIP code out.

Order (evidence-formats.md §1.2; check ids in docs/shaken.md and :mod:`vvp.stir.verstat`):

1. **Header stage** (``X-SHAKEN-01`` … ``08``): the Identity value, its ``info``, the strict JWS
   (:mod:`vvp.jose`: canonical base64url, duplicate keys refused, full form only), then ``alg``
   ES256 (header and parameter), ``typ`` passport, ``ppt`` shaken (header and parameter), ``x5u``
   equal to ``info``, no ``crit``. A failure here ends the verification: an x5u from a header vvp
   will not accept is never dereferenced.
2. **Claims** (``09`` … ``16``): ``attest`` A/B/C, ``orig`` one TN, ``dest`` one or more TNs,
   ``iat`` an integer within ``iat_freshness_s`` of the reference time, ``origid``, and the SIP
   context's calling and called TNs when given. Failures are recorded and verification goes on,
   so the verdict says everything that is wrong (and the signature result is known even for a
   malformed token).
3. **Certificate and signature** (``17`` … ``23``): the x5u through the fetcher (or the cache),
   the path to an STI-PA anchor at the reference time, the end entity's fitness for ES256, the
   TNAuthList (strict RFC 8226; when it lists TNs or ranges ``orig`` must be among them; with only
   an SPC the SPC identifies the provider and ``orig`` is not checked against it), the ES256
   signature over the segments as received (raw 64-byte r‖s only), and the STI-PA CRL per the
   ``crl`` policy for every certificate below the anchor.
4. **Profile warnings** (``40`` … ``45``): ATIS-1000080 lint findings per certificate; they never
   change a status.

Time is the reference time throughout (certificate validity, CRL currency, ``iat``), so
re-verifying a record at its call time with the recorded x5u and CRL bytes gives the same
answer. Those bytes are returned in :attr:`ShakenResult.evidence`; the ones the cache served (which
the record's fetcher never saw) are also in :attr:`ShakenResult.cached`, so the record can have
them either way.

:func:`shaken_claim` then adds the VVP/SHAKEN agreement checks (``24``, ``25``) and
``vvp_supports_attestation`` and gives the claim details of architecture §4.3.
"""

from __future__ import annotations

import datetime as _dt
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding

from vvp import clock, codes, jose
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, FetchEvent, Fetched, Fetcher, evidence_mark, evidence_since, note_cached
from vvp.stir import certs as _certs
from vvp.stir import crl as _crl
from vvp.stir.identity import IdentityError, IdentityValue, parse_identity
from vvp.stir.tnauthlist import TNAuthList, TNAuthListError, tnauthlist_of
from vvp.stir.verstat import Outcome, Verstat, outcome
from vvp.stir.x5ucache import CrlEntry, PathEntry, ShakenCache, X5uEntry
from vvp.tn import try_normalize_tn
from vvp.verdict import MAX_SAFE_INTEGER, Check, CheckStatus, ClaimResult, Status, failed, indeterminate, \
    not_applicable, passed, warned

CLAIM: Final = "shaken"
ATTEST_VALUES: Final = ("A", "B", "C")
ES256_SIGNATURE_BYTES: Final = 64
_UUID_RE: Final = re.compile(r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
# Claims whose VALID status, for the same orig, lets VVP support the SHAKEN attestation (§4.3).
VVP_SUPPORT_CLAIMS: Final = ("passport", "context", "dossier", "authorization", "tn_rights")


@dataclass(frozen=True, slots=True)
class ShakenPolicy:
    """The trust-store policy knobs SHAKEN uses (the verifier maps :class:`vvp.trust.Policy` to it:
    ``shaken_iat_freshness_s``, ``crl``, ``x5u_cache_s``, and ``revocation_freshness_s`` for CRLs)."""

    iat_freshness_s: int = 60
    crl: _crl.CrlMode = "optional"
    x5u_cache_s: int = 3600
    crl_cache_s: int = 300

    def __post_init__(self) -> None:
        if self.crl not in _crl.CRL_MODES:
            raise ValueError(f"crl policy must be one of {_crl.CRL_MODES}, not {self.crl!r}")
        if min(self.iat_freshness_s, self.x5u_cache_s, self.crl_cache_s) < 0:
            raise ValueError("SHAKEN policy durations must not be negative")


@dataclass(frozen=True, slots=True)
class ShakenResult:
    """Everything one SHAKEN verification found. ``checks`` belong to the claim ``shaken``;
    ``evidence`` is every x5u and CRL body used (fetched or cached), ``cached`` the subset the cache
    served (add those to the record: its fetcher did not see them);
    ``chain`` is the validated path, end entity first, anchor last (empty when it did not validate)."""

    checks: tuple[Check, ...]
    verstat: Verstat
    sip_code: int | None
    reason: str | None
    attest: str | None = None
    orig: str | None = None
    dest: tuple[str, ...] = ()
    origid: str | None = None
    iat: int | None = None
    x5u: str | None = None
    spc: str | None = None
    tnauthlist: TNAuthList | None = None
    signature_verified: bool = False
    revocation: str = "not_checked"
    chain: tuple[x509.Certificate, ...] = ()
    evidence: tuple[FetchEvent, ...] = ()
    cached: tuple[FetchEvent, ...] = ()

    @property
    def chain_der(self) -> tuple[bytes, ...]:
        return tuple(c.public_bytes(Encoding.DER) for c in self.chain)

    def details(self) -> dict[str, Any]:
        """JSON-ready fields for the ``shaken`` claim (architecture §4.3, plus what was asserted)."""
        return {"verstat": self.verstat.value, "sip_code": self.sip_code, "reason": self.reason,
                "attest": self.attest, "orig": self.orig, "dest": list(self.dest), "origid": self.origid,
                "iat": self.iat, "x5u": self.x5u, "spc": self.spc, "signature_verified": self.signature_verified,
                "revocation": self.revocation}


class _Run:
    """Collects the checks of one verification and what they established."""

    def __init__(self, subject: str | None) -> None:
        self.subject = subject
        self.checks: list[Check] = []
        self.evidence: list[FetchEvent] = []
        self.cached: list[FetchEvent] = []

    def used(self, kind: EvidenceKind, got: Fetched, *, cached: bool) -> None:
        ev = FetchEvent(got.url, kind, fetched=got)
        self.evidence.append(ev)
        if cached:
            self.cached.append(ev)

    def sub(self, cert: x509.Certificate) -> str:
        fp = _certs.fingerprint(cert)
        return f"{self.subject}/{fp}" if self.subject else fp

    def ok(self, cid: str, msg: str, subject: str | None = None) -> None:
        self.checks.append(passed(cid, CLAIM, msg, subject or self.subject))

    def bad(self, cid: str, code: str, msg: str, subject: str | None = None) -> None:
        self.checks.append(failed(cid, CLAIM, code, msg, subject or self.subject))

    def unknown(self, cid: str, code: str, msg: str, subject: str | None = None) -> None:
        self.checks.append(indeterminate(cid, CLAIM, code, msg, subject or self.subject))

    def na(self, cid: str, msg: str, code: str = codes.SHAKEN_PREREQUISITE_FAILED, subject: str | None = None) -> None:
        self.checks.append(not_applicable(cid, CLAIM, code, msg, subject or self.subject))

    def warn(self, cid: str, code: str, msg: str, subject: str | None = None) -> None:
        self.checks.append(warned(cid, CLAIM, code, msg, subject or self.subject))

    def failed_any(self, ids: Sequence[str]) -> bool:
        return any(c.id in ids and c.status is CheckStatus.FAIL for c in self.checks)


def _utc(t: _dt.datetime) -> _dt.datetime:
    if t.tzinfo is None:
        raise ValueError("the reference time must be timezone-aware")
    return t.astimezone(_dt.UTC)


def _http_uri(value: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


# --- header stage -------------------------------------------------------------------------------

def _header_stage(run: _Run, identity: IdentityValue) -> jose.JoseToken | None:
    info = identity.info
    if info is None:
        run.bad("X-SHAKEN-02", codes.SHAKEN_INFO_MISSING, "the Identity value has no info parameter")
    elif not _http_uri(info):
        run.bad("X-SHAKEN-02", codes.SHAKEN_INFO_INVALID, f"info {info[:120]!r} is not an absolute http(s) URI")
    else:
        run.ok("X-SHAKEN-02", f"info is {info}")
    try:
        token = jose.parse_compact(identity.token)
    except jose.JoseError as e:
        run.bad("X-SHAKEN-03", e.code, e.message)
        return None
    run.ok("X-SHAKEN-03", f"the PASSporT is a strict JWS in full form ({len(identity.token)} characters)")
    h = token.header

    def field_(name: str) -> str | None:
        v = h.get(name)
        return v if isinstance(v, str) else None

    alg, typ, ppt, x5u = field_("alg"), field_("typ"), field_("ppt"), field_("x5u")
    if alg is None:
        run.bad("X-SHAKEN-04", codes.SHAKEN_HEADER_FIELD_MISSING, "the header has no alg string")
    elif alg != "ES256":
        run.bad("X-SHAKEN-04", codes.SHAKEN_ALG_NOT_ES256, f"alg is {alg[:40]!r}; SHAKEN allows only ES256")
    elif identity.alg is not None and identity.alg != "ES256":
        run.bad("X-SHAKEN-04", codes.SHAKEN_ALG_PARAM_MISMATCH,
                f"the Identity alg parameter is {identity.alg[:40]!r}, not ES256")
    else:
        run.ok("X-SHAKEN-04", "alg is ES256")
    if typ is None:
        run.bad("X-SHAKEN-05", codes.SHAKEN_HEADER_FIELD_MISSING, "the header has no typ string")
    elif typ != "passport":
        run.bad("X-SHAKEN-05", codes.SHAKEN_TYP_INVALID, f"typ is {typ[:40]!r}, not \"passport\"")
    else:
        run.ok("X-SHAKEN-05", "typ is passport")
    if ppt is None:
        run.bad("X-SHAKEN-06", codes.SHAKEN_HEADER_FIELD_MISSING, "the header has no ppt string")
    elif ppt != "shaken":
        run.bad("X-SHAKEN-06", codes.SHAKEN_PPT_INVALID, f"the header ppt is {ppt[:40]!r}, not \"shaken\"")
    elif identity.ppt is not None and identity.ppt.lower() != "shaken":
        run.bad("X-SHAKEN-06", codes.SHAKEN_PPT_PARAM_MISMATCH,
                f"the Identity ppt parameter is {identity.ppt[:40]!r}, not \"shaken\"")
    else:
        run.ok("X-SHAKEN-06", "ppt is shaken")
    if x5u is None:
        run.bad("X-SHAKEN-07", codes.SHAKEN_HEADER_FIELD_MISSING, "the header has no x5u string")
    elif info is None:
        run.na("X-SHAKEN-07", "x5u not compared: the Identity value has no info parameter")
    elif x5u != info:
        run.bad("X-SHAKEN-07", codes.SHAKEN_X5U_MISMATCH, f"x5u {x5u[:120]!r} differs from info {info[:120]!r}")
    else:
        run.ok("X-SHAKEN-07", "x5u equals info")
        if not x5u.lower().startswith("https://"):
            run.warn("X-SHAKEN-30", codes.SHAKEN_X5U_NOT_HTTPS, f"x5u {x5u[:120]!r} is not https")
    if "crit" in h:
        run.bad("X-SHAKEN-08", codes.SHAKEN_CRIT_UNSUPPORTED, "the header has a crit parameter")
    else:
        run.ok("X-SHAKEN-08", "the header has no crit parameter")
    return token


# --- claims ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Claims:
    attest: str | None = None
    orig: str | None = None
    dest: tuple[str, ...] = ()
    iat: int | None = None
    origid: str | None = None


def _shape(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, str):
        return "a string" + (" holding JSON" if value.lstrip().startswith("{") else "")
    return f"a JSON {type(value).__name__}"


def _claims_stage(run: _Run, payload: Mapping[str, Any], at: _dt.datetime, policy: ShakenPolicy,
                  context_orig: str | None, context_dest: str | None) -> _Claims:
    c = _Claims()
    attest = payload.get("attest")
    if isinstance(attest, str) and attest in ATTEST_VALUES:
        c.attest = attest
        run.ok("X-SHAKEN-09", f"attest is {attest}")
    else:
        run.bad("X-SHAKEN-09", codes.SHAKEN_ATTEST_INVALID, f"attest is {str(attest)[:40]!r}, not A, B or C")
    orig = payload.get("orig")
    if isinstance(orig, dict) and set(orig) == {"tn"} and try_normalize_tn(orig["tn"]) is not None:
        c.orig = try_normalize_tn(orig["tn"])
        run.ok("X-SHAKEN-10", f"orig is {c.orig}")
    else:
        shape = _shape(orig) if not isinstance(orig, dict) else f"an object with keys {sorted(orig)[:5]}"
        hint = " (the TN must be one string, RFC 8588)" if isinstance(orig, dict) and "tn" in orig else ""
        run.bad("X-SHAKEN-10", codes.SHAKEN_ORIG_INVALID, f"orig is {shape}, not {{\"tn\": one TN}}{hint}")
    dest = payload.get("dest")
    tns = dest.get("tn") if isinstance(dest, dict) else None
    norm = [try_normalize_tn(t) for t in tns] if isinstance(tns, list) else []
    if (isinstance(dest, dict) and set(dest) <= {"tn", "uri"} and norm and all(t is not None for t in norm)):
        c.dest = tuple(t for t in norm if t is not None)
        run.ok("X-SHAKEN-11", f"dest is {', '.join(c.dest)}")
    else:
        shape = _shape(dest) if not isinstance(dest, dict) else "an object without a list of valid TNs"
        run.bad("X-SHAKEN-11", codes.SHAKEN_DEST_INVALID, f"dest is {shape}, not {{\"tn\": [TN, ...]}}")
    iat = payload.get("iat")
    if type(iat) is int and -MAX_SAFE_INTEGER <= iat <= MAX_SAFE_INTEGER:
        c.iat = iat
        run.ok("X-SHAKEN-12", f"iat is {iat}")
    elif type(iat) is int:
        # The claim goes into the verdict (details, record): JSON numbers beyond ±(2**53 - 1) are
        # not carried exactly (RFC 8785 numbers are doubles), and no NumericDate is that large.
        run.bad("X-SHAKEN-12", codes.SHAKEN_IAT_INVALID,
                f"iat {str(iat)[:40]} is beyond ±(2**53 - 1), not a NumericDate a JSON number carries exactly")
    else:
        run.bad("X-SHAKEN-12", codes.SHAKEN_IAT_INVALID, f"iat is {type(iat).__name__}, not an integer NumericDate")
    origid = payload.get("origid")
    if isinstance(origid, str) and origid:
        c.origid = origid
        run.ok("X-SHAKEN-13", "origid is present")
        if not _UUID_RE.match(origid):
            run.warn("X-SHAKEN-31", codes.SHAKEN_ORIGID_NOT_UUID, f"origid {origid[:60]!r} is not a UUID")
    else:
        run.bad("X-SHAKEN-13", codes.SHAKEN_ORIGID_INVALID, "origid is missing or not a non-empty string")
    if c.iat is None:
        run.na("X-SHAKEN-14", "freshness not judged: iat is not valid")
    else:
        # an absurd iat (JSON integers may have thousands of digits) is clamped before float
        # arithmetic; ±10^12 s is far outside any freshness window either way
        age = at.timestamp() - float(max(min(c.iat, 10**12), -10**12))
        limit = policy.iat_freshness_s
        if age > limit:
            run.bad("X-SHAKEN-14", codes.SHAKEN_IAT_STALE,
                    f"iat is {age:.0f} s before the reference time {clock.rfc3339(at)}; the limit is {limit} s")
        elif -age > limit:
            run.bad("X-SHAKEN-14", codes.SHAKEN_IAT_IN_FUTURE,
                    f"iat is {-age:.0f} s after the reference time {clock.rfc3339(at)}; the limit is {limit} s")
        else:
            run.ok("X-SHAKEN-14", f"iat is within {limit} s of the reference time ({age:.0f} s)")
    _context(run, "X-SHAKEN-15", "orig", (c.orig,) if c.orig else (), context_orig, codes.SHAKEN_ORIG_MISMATCH)
    _context(run, "X-SHAKEN-16", "dest", c.dest, context_dest, codes.SHAKEN_DEST_MISMATCH)
    return c


def _context(run: _Run, cid: str, name: str, mine: tuple[str, ...], given: str | None, code: str) -> None:
    if given is None:
        run.na(cid, f"{name} not compared: no SIP context was given", codes.CONTEXT_NOT_GIVEN)
        return
    ctx = try_normalize_tn(given)
    if ctx is None:
        run.na(cid, f"{name} not compared: the SIP context value {given[:40]!r} is not a TN", codes.CONTEXT_TN_INVALID)
    elif not mine:
        run.na(cid, f"{name} not compared: the PASSporT {name} is not valid")
    elif ctx in mine:
        run.ok(cid, f"{name} matches the SIP context ({ctx})")
    else:
        run.bad(cid, code, f"{name} {', '.join(mine)} does not match the SIP context {ctx}")


# --- certificate and signature --------------------------------------------------------------------

def _get_x5u(run: _Run, url: str, at: _dt.datetime, policy: ShakenPolicy, fetcher: Fetcher,
             cache: ShakenCache | None) -> X5uEntry | None:
    entry = cache.x5u(url, at, policy.x5u_cache_s) if cache is not None else None
    source = "cache"
    if entry is not None:
        note_cached(fetcher, entry.events)
    if entry is None:
        mark = evidence_mark(fetcher)
        try:
            got = fetcher.fetch(url, EvidenceKind.X5U)
        except FetchError as e:
            run.unknown("X-SHAKEN-17", e.code, f"the x5u cannot be obtained: {e.message}")
            return None
        source = got.source
        try:
            certs = _certs.load_x5u(got.body)
        except _certs.X5uError as e:
            run.used(EvidenceKind.X5U, got, cached=False)
            run.bad("X-SHAKEN-17", e.code, e.message)
            return None
        entry = X5uEntry(got, certs, at, evidence_since(fetcher, mark))
        if cache is not None:
            cache.put_x5u(url, entry)
    run.used(EvidenceKind.X5U, entry.fetched, cached=source == "cache")
    run.ok("X-SHAKEN-17", f"x5u holds {len(entry.certs)} certificate(s) ({source})")
    return entry


def _path(run: _Run, entry: X5uEntry, anchors: Sequence[x509.Certificate], at: _dt.datetime,
          cache: ShakenCache | None) -> tuple[x509.Certificate, ...]:
    key = (entry.fetched.url, entry.stored_at, tuple(anchors))
    memo = cache.path(key, at) if cache is not None else None
    if memo is not None:
        run.ok("X-SHAKEN-18", f"path of {len(memo.chain)} certificates to anchor "
                              f"{_certs.subject_text(memo.chain[-1])!r} (validated earlier)")
        return memo.chain
    res = _certs.build_path(entry.certs[0], entry.certs[1:], anchors, at)
    if not res.ok:
        if res.code == codes.SHAKEN_NO_TRUST_ANCHORS:
            run.unknown("X-SHAKEN-18", res.code, res.message)
        else:
            run.bad("X-SHAKEN-18", res.code, res.message)
        return ()
    window = res.window
    if cache is not None and window is not None:
        cache.put_path(key, PathEntry(res.chain, window[0], window[1]))
    run.ok("X-SHAKEN-18", res.message)
    return res.chain


def _tnauthlist_stage(run: _Run, leaf: x509.Certificate, orig: str | None) -> TNAuthList | None:
    try:
        tal = tnauthlist_of(leaf)
    except TNAuthListError as e:
        run.bad("X-SHAKEN-20", e.code, f"the certificate has no RFC 8226 TNAuthList: {e.message}")
        tal = None
    else:
        if tal is None:
            run.bad("X-SHAKEN-20", codes.SHAKEN_TNAUTHLIST_MISSING, "the certificate has no TNAuthList extension")
        elif tal.spcs and _certs.spc_problems(tal):
            run.bad("X-SHAKEN-20", codes.SHAKEN_TNAUTHLIST_SPC_INVALID, "; ".join(_certs.spc_problems(tal)))
            tal = None
        else:
            run.ok("X-SHAKEN-20", f"TNAuthList: {tal.describe()}")
    if tal is None:
        run.na("X-SHAKEN-21", "orig not checked against the certificate: it has no usable TNAuthList")
    elif orig is None:
        run.na("X-SHAKEN-21", "orig not checked against the TNAuthList: orig is not valid")
    elif not tal.lists_numbers:
        run.ok("X-SHAKEN-21", f"the TNAuthList holds only SPC {tal.spcs[0]!r}, which identifies the provider; "
                              "orig is not checked against it")
    elif tal.covers(orig):
        run.ok("X-SHAKEN-21", f"orig {orig} is within the TNAuthList")
    else:
        run.bad("X-SHAKEN-21", codes.SHAKEN_ORIG_NOT_AUTHORIZED,
                f"orig {orig} is outside the TNAuthList ({tal.describe()[:200]})")
    return tal


def es256_verify(leaf: x509.Certificate, signature: bytes, signing_input: bytes) -> bool:
    """ES256 (RFC 7518 §3.4): raw 64-byte r‖s over ``signing_input`` with the certificate's P-256 key."""
    key = _certs.p256_public_key(leaf)
    if key is None or len(signature) != ES256_SIGNATURE_BYTES:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _signature(run: _Run, leaf: x509.Certificate, token: jose.JoseToken) -> bool:
    if token.signature_encoding is not jose.SignatureEncoding.JWS or len(token.signature) != ES256_SIGNATURE_BYTES:
        run.bad("X-SHAKEN-22", codes.SHAKEN_SIGNATURE_ENCODING,
                f"the signature is {len(token.signature)} bytes ({token.signature_encoding.value}); "
                "ES256 needs 64 bytes of raw r||s")
        return False
    if _certs.p256_public_key(leaf) is None:
        run.na("X-SHAKEN-22", "signature not verified: the certificate key is not a P-256 key")
        return False
    if es256_verify(leaf, token.signature, token.signing_input):
        run.ok("X-SHAKEN-22", "the ES256 signature verifies with the x5u certificate's key")
        return True
    run.bad("X-SHAKEN-22", codes.SHAKEN_SIGNATURE_INVALID, "the ES256 signature does not verify")
    return False


def _get_crl(url: str, at: _dt.datetime, policy: ShakenPolicy, fetcher: Fetcher, cache: ShakenCache | None,
             signers: tuple[x509.Certificate, ...]) -> tuple[CrlEntry, bool] | tuple[str, str]:
    """``(entry, from_cache)``, or ``(code, message)`` when the CRL cannot be obtained or read."""
    entry = cache.crl(url, at, policy.crl_cache_s) if cache is not None else None
    if entry is not None and entry.signers_key == signers:
        note_cached(fetcher, entry.events)
        return entry, True
    events: tuple[FetchEvent, ...] = entry.events if entry is not None else ()
    if entry is not None:
        note_cached(fetcher, events)
    if entry is None:
        mark = evidence_mark(fetcher)
        try:
            got = fetcher.fetch(url, EvidenceKind.CRL)
        except FetchError as e:
            return e.code, f"the CRL {url} cannot be obtained: {e.message}"
        try:
            parsed = _crl.parse_crl(got.body)
        except ValueError as e:
            return codes.SHAKEN_CRL_INVALID, f"the CRL {url} cannot be read: {str(e)[:120]}"
        events = evidence_since(fetcher, mark)
    else:
        got, parsed = entry.fetched, entry.crl
    signer, _why = _crl.crl_signer(parsed, signers)
    fresh = CrlEntry(got, parsed, entry.stored_at if entry is not None else at, signers, signer, events)
    if cache is not None:
        cache.put_crl(url, fresh)
    return fresh, entry is not None


@dataclass(frozen=True, slots=True)
class RevocationResult:
    """The ``X-SHAKEN-23`` checks, the overall state (``good``, ``revoked``, ``unknown``, ``off``)
    and the CRL bodies used."""

    checks: tuple[Check, ...]
    state: str
    evidence: tuple[FetchEvent, ...]
    cached: tuple[FetchEvent, ...]


def check_revocation(chain: Sequence[x509.Certificate], *, reference_time: _dt.datetime,
                     crl_signers: Sequence[x509.Certificate], policy: ShakenPolicy, fetcher: Fetcher,
                     cache: ShakenCache | None = None, subject: str | None = None) -> RevocationResult:
    """The STI-PA CRL check of a validated chain (end entity first, anchor last; the anchor is not
    checked) under the ``crl`` policy: a revoked certificate always fails; a CRL that cannot be
    fetched, read, trusted or judged current is INDETERMINATE under ``required`` and a warning under
    ``optional`` (revocation ``unknown``); ``off`` checks nothing."""
    run = _Run(subject)
    state = _revocation(run, tuple(chain), _utc(reference_time), policy, fetcher, cache, tuple(crl_signers))
    return RevocationResult(tuple(run.checks), state, tuple(run.evidence), tuple(run.cached))


@dataclass(frozen=True, slots=True)
class _CrlUse:
    """One CRL URL as judged once per verification: the CRL when usable at the reference time,
    else the code and message that say why not."""

    crl: x509.CertificateRevocationList | None
    code: str
    message: str


def _judge_crl(run: _Run, url: str, at: _dt.datetime, policy: ShakenPolicy, fetcher: Fetcher,
               cache: ShakenCache | None, signers: tuple[x509.Certificate, ...]) -> _CrlUse:
    found = _get_crl(url, at, policy, fetcher, cache, signers)
    if not isinstance(found[0], CrlEntry):
        return _CrlUse(None, str(found[0]), str(found[1]))
    got, from_cache = found
    run.used(EvidenceKind.CRL, got.fetched, cached=bool(from_cache))
    if got.signer is None:
        _signer, why = _crl.crl_signer(got.crl, signers)
        return _CrlUse(None, codes.SHAKEN_CRL_INVALID, f"the CRL {url} is not usable: {why}")
    judged = _crl.check_crl_time(got.crl, got.signer, at)
    if not judged.usable:
        return _CrlUse(None, judged.code, f"the CRL {url} is not usable: {judged.message}")
    return _CrlUse(got.crl, codes.OK, judged.message)


def _revocation(run: _Run, chain: tuple[x509.Certificate, ...], at: _dt.datetime, policy: ShakenPolicy,
                fetcher: Fetcher, cache: ShakenCache | None, signers: tuple[x509.Certificate, ...]) -> str:
    if policy.crl == "off":
        run.na("X-SHAKEN-23", "revocation not checked: crl is off by policy", codes.SHAKEN_CRL_OFF)
        return "off"
    required = policy.crl == "required"
    states: list[_crl.RevocationState] = []
    judged: dict[str, _CrlUse] = {}
    for cert in chain[:-1]:
        subj = run.sub(cert)
        name = _certs.subject_text(cert)

        def unknown(code: str, msg: str) -> None:
            states.append(_crl.RevocationState.UNKNOWN)
            (run.unknown if required else run.warn)("X-SHAKEN-23", code, msg, subj)

        urls = _crl.distribution_urls(cert)
        if not urls:
            unknown(codes.SHAKEN_CRL_NO_DISTRIBUTION_POINT, f"{name!r} names no http(s) CRL distribution point")
            continue
        if urls[0] not in judged:  # the STI-PA CRL usually serves every certificate of the chain
            judged[urls[0]] = _judge_crl(run, urls[0], at, policy, fetcher, cache, signers)
        use = judged[urls[0]]
        if use.crl is None:
            unknown(use.code, use.message)
            continue
        answer = _crl.revocation_state(cert, use.crl, at)
        states.append(answer.state)
        if answer.state is _crl.RevocationState.REVOKED:
            run.bad("X-SHAKEN-23", answer.code, f"{name!r}: {answer.message}", subj)
        elif answer.state is _crl.RevocationState.GOOD:
            run.ok("X-SHAKEN-23", f"{name!r}: {answer.message} ({use.message})", subj)
        else:
            unknown(answer.code, answer.message)
    if _crl.RevocationState.REVOKED in states:
        return "revoked"
    if states and all(s is _crl.RevocationState.GOOD for s in states):
        return "good"
    return "unknown"


def _profile(run: _Run, chain: Sequence[x509.Certificate], *, skip_ee_tnauthlist: bool) -> None:
    for i, cert in enumerate(chain):
        role = _certs.role_in_chain(i, len(chain))
        for f in _certs.profile_findings(cert, role):
            if f.ok or (skip_ee_tnauthlist and role is _certs.CertRole.END_ENTITY
                        and f.rule is _certs.ProfileRule.TNAUTHLIST):
                continue
            run.warn(_certs.RULE_CHECK_IDS[f.rule], f.code, f"{role.value} {_certs.subject_text(cert)!r}: "
                                                             f"{f.message}", run.sub(cert))


# --- entry points -----------------------------------------------------------------------------------

def verify_shaken(identity: IdentityValue | str, *, reference_time: _dt.datetime,
                  anchors: Sequence[x509.Certificate], crl_signers: Sequence[x509.Certificate],
                  policy: ShakenPolicy, fetcher: Fetcher, cache: ShakenCache | None = None,
                  context_orig: str | None = None, context_dest: str | None = None,
                  subject: str | None = None) -> ShakenResult:
    """Verify one SHAKEN Identity value at ``reference_time`` (module docstring). Never raises for
    bad evidence: every problem is a check. ``context_orig``/``context_dest`` are the calling and
    called TNs of the SIP request when known; ``subject`` distinguishes the checks of several
    SHAKEN values in one verdict."""
    at = _utc(reference_time)
    run = _Run(subject)
    if isinstance(identity, str):
        try:
            identity = parse_identity(identity)
        except IdentityError as e:
            run.bad("X-SHAKEN-01", e.code, e.message)
            return _finish(run, _Claims())
    run.ok("X-SHAKEN-01", "the Identity value follows RFC 8224")
    token = _header_stage(run, identity)
    header_ids = [f"X-SHAKEN-0{i}" for i in range(1, 9)]
    if token is None or run.failed_any(header_ids):
        run.na("X-SHAKEN-17", "the certificate was not fetched: the PASSporT header is not acceptable")
        return _finish(run, _Claims())
    claims = _claims_stage(run, token.payload, at, policy, context_orig, context_dest)
    x5u = str(token.header["x5u"])
    entry = _get_x5u(run, x5u, at, policy, fetcher, cache)
    if entry is None:
        return _finish(run, claims, x5u=x5u)
    leaf = entry.certs[0]
    chain = _path(run, entry, anchors, at, cache)
    fitness = _certs.signing_fitness(leaf)
    if fitness is None:
        run.ok("X-SHAKEN-19", "the end-entity certificate may sign ES256 PASSporTs")
    else:
        run.bad("X-SHAKEN-19", *fitness)
    tal = _tnauthlist_stage(run, leaf, claims.orig)
    sig_ok = _signature(run, leaf, token)
    if chain:
        revocation = _revocation(run, chain, at, policy, fetcher, cache, tuple(crl_signers))
    else:
        run.na("X-SHAKEN-23", "revocation not checked: the path did not validate")
        revocation = "not_checked"
    _profile(run, chain or (leaf,), skip_ee_tnauthlist=run.failed_any(["X-SHAKEN-20"]))
    return _finish(run, claims, x5u=x5u, tal=tal, sig_ok=sig_ok, revocation=revocation, chain=chain)


def _finish(run: _Run, claims: _Claims, *, x5u: str | None = None, tal: TNAuthList | None = None,
            sig_ok: bool = False, revocation: str = "not_checked",
            chain: tuple[x509.Certificate, ...] = ()) -> ShakenResult:
    out: Outcome = outcome(run.checks)
    return ShakenResult(checks=tuple(run.checks), verstat=out.verstat, sip_code=out.sip_code, reason=out.reason,
                        attest=claims.attest, orig=claims.orig, dest=claims.dest, origid=claims.origid,
                        iat=claims.iat, x5u=x5u, spc=tal.spcs[0] if tal is not None and tal.spcs else None,
                        tnauthlist=tal, signature_verified=sig_ok, revocation=revocation, chain=chain,
                        evidence=tuple(run.evidence), cached=tuple(run.cached))


# --- the shaken claim of a verdict ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ShakenClaim:
    """The ``shaken`` claim of one call: its checks and the details of architecture §4.3."""

    checks: tuple[Check, ...]
    verstat: Verstat | None
    sip_code: int | None
    reason: str | None
    vvp_supports_attestation: bool
    result: ShakenResult | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        """For ``build_verdict(..., claim_details={"shaken": claim.details()})``."""
        base = self.result.details() if self.result is not None else {}
        return {**base, "verstat": self.verstat.value if self.verstat is not None else None,
                "sip_code": self.sip_code, "reason": self.reason,
                "vvp_supports_attestation": self.vvp_supports_attestation, **dict(self.extra)}


def vvp_supports_attestation(vvp_claims: Mapping[str, ClaimResult] | None, vvp_orig: str | None,
                             shaken_orig: str | None) -> bool:
    """True when passport, context, dossier, authorization and tn_rights are all VALID for the
    same orig as the SHAKEN PASSporT's (architecture §4.3)."""
    if vvp_claims is None or vvp_orig is None or shaken_orig is None:
        return False
    if try_normalize_tn(vvp_orig) != shaken_orig:
        return False
    return all(name in vvp_claims and vvp_claims[name].status is Status.VALID for name in VVP_SUPPORT_CLAIMS)


def agreement_checks(result: ShakenResult, *, vvp_orig: str | None, vvp_dest: Sequence[str],
                     subject: str | None = None) -> tuple[Check, ...]:
    """``X-SHAKEN-24``/``25``: the VVP and SHAKEN PASSporTs of one call name the same orig and the
    same set of dest TNs. Both tokens arrived in one INVITE; when they disagree, one of them is not
    about this call, and a SHAKEN attestation must not be presented as if it were."""
    run = _Run(subject)
    if vvp_orig is None or result.orig is None:
        run.na("X-SHAKEN-24", "orig not compared: the VVP or SHAKEN orig is missing or invalid")
    elif try_normalize_tn(vvp_orig) == result.orig:
        run.ok("X-SHAKEN-24", f"the VVP and SHAKEN orig agree ({result.orig})")
    else:
        run.bad("X-SHAKEN-24", codes.SHAKEN_VVP_ORIG_MISMATCH,
                f"VVP orig {vvp_orig[:40]} differs from SHAKEN orig {result.orig}")
    vd = {try_normalize_tn(d) for d in vvp_dest}
    if not vvp_dest or None in vd or not result.dest:
        run.na("X-SHAKEN-25", "dest not compared: the VVP or SHAKEN dest is missing or invalid")
    elif vd == set(result.dest):
        run.ok("X-SHAKEN-25", "the VVP and SHAKEN dest agree")
    else:
        run.bad("X-SHAKEN-25", codes.SHAKEN_VVP_DEST_MISMATCH,
                f"VVP dest {sorted(str(d) for d in vd)} differs from SHAKEN dest {sorted(result.dest)}")
    return tuple(run.checks)


def shaken_claim(result: ShakenResult | None, *, vvp_orig: str | None = None, vvp_dest: Sequence[str] = (),
                 vvp_claims: Mapping[str, ClaimResult] | None = None, subject: str | None = None) -> ShakenClaim:
    """The ``shaken`` claim: the result's checks, the VVP agreement checks when a VVP PASSporT was
    present (``vvp_orig`` given), verstat over all of them, and ``vvp_supports_attestation``.
    ``result`` ``None`` means the call carried no SHAKEN PASSporT: the claim is NOT_APPLICABLE and
    verstat is ``None`` (the HTTP API then takes it from VVP, architecture §4.5)."""
    if result is None:
        check = not_applicable("X-SHAKEN-00", CLAIM, codes.SHAKEN_NO_PASSPORT,
                               "the call carries no SHAKEN PASSporT", subject)
        return ShakenClaim((check,), None, None, None, False)
    checks = result.checks
    if vvp_orig is not None or vvp_dest:
        checks = checks + agreement_checks(result, vvp_orig=vvp_orig, vvp_dest=vvp_dest, subject=subject)
    out = outcome(checks)
    return ShakenClaim(checks, out.verstat, out.sip_code, out.reason,
                       vvp_supports_attestation(vvp_claims, vvp_orig, result.orig), result)
