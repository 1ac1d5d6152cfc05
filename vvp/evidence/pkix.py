"""RFC 5280 path validation at a past moment, with archived revocation data (evidence-formats §5).

Shared by the X.509 checker (a certificate bound into a dossier) and the RTU checker (the token
authority's certificate). ``pyhanko-certvalidator`` does the work: it builds candidate paths from
the end-entity certificate to a configured anchor and runs the full RFC 5280 §6 algorithm
(signatures, validity at the moment, basic and name constraints, policies, key usage of CAs,
algorithm policy) and RFC 5280 §6.3 / RFC 6960 revocation checking with the CRLs and OCSP
responses it is *given*: fetching is off, always (the forensic model: a record re-verifies
offline, years later, from the bytes it holds).

Choices, each on purpose:

* ``moment`` is the reference time, never "now": a certificate expired today was valid at a call
  last year.
* ``retroactive_revinfo=True``: revocation data issued *after* the reference time is accepted, and
  a certificate it lists as revoked counts as revoked only when the revocation date is at or before
  the reference time. So a later CRL proves "not revoked then" for a certificate revoked later,
  and proves "revoked then" for one revoked earlier. CRLs issued after the end entity expired are
  set aside (:func:`before_expiry`): CAs drop expired entries, so their silence proves nothing.
  Limits (docs/evidence.md): certificate holds (reversible revocation) would be misread; OCSP
  responses about a revocation after the reference time are not taken as proof of "good" before it.
* Hard-fail or soft-fail is the policy's ``foreign_revocation``: ``hard-fail`` (default) means a
  certificate that declares a CRL distribution point or an OCSP responder must have usable
  revocation data for the reference time among the carried artifacts, else the result is
  INDETERMINATE (``X509_REVOCATION_UNAVAILABLE``); ``soft-fail`` validates without it and says so
  (``revocation: "unknown"``, warning ``X509_REVOCATION_UNKNOWN``). A revocation that *is* found
  is INVALID under both. The answer is an output of this module, never an exception swallowed in
  the library (evidence-formats §6).
* Bounded work: at most :data:`MAX_PATHS` candidate paths are validated.

``pyhanko-certvalidator``'s API is asynchronous; its synchronous helpers run each step in a new
event loop (so this module opens no connection and imports no asyncio). Inside a thread that
already runs an event loop (an ASGI service), the same work runs in a short-lived worker thread.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import datetime as _dt
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from asn1crypto import x509 as _asn1_x509  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator import errors as _pherr
from pyhanko_certvalidator.validate import validate_path as _validate_path

from vvp import codes
from vvp.errors import EvidenceInvalid
from vvp.stir.tnauthlist import X509_PARSE_ERRORS
from vvp.verdict import Status

MAX_CERTS: Final = 8
"""Certificates read from one artifact or one x5c (evidence-formats §6: ≤ 5-8)."""
MAX_CERT_ARTIFACT_BYTES: Final = 65536
"""A certificate chain artifact: 64 KiB (evidence-formats §6 cap for chains)."""
MAX_REVINFO_BYTES: Final = 8 * 1024 * 1024
"""One CRL or OCSP response carried as an artifact (real STI-PA CRLs are far smaller)."""
MAX_REVINFO_ITEMS: Final = 32
MAX_PATHS: Final = 8
"""Candidate paths validated at most (path-building DoS, evidence-formats §6)."""

CRL_TYPES: Final = ("application/pkix-crl",)
OCSP_TYPES: Final = ("application/ocsp-response",)
REVOCATION_MODES: Final = ("hard-fail", "soft-fail")

_PEM_RE: Final = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END ([A-Z0-9 ]+)-----", re.DOTALL)
_B64_BODY_RE: Final = re.compile(rb"\A[A-Za-z0-9+/=\r\n]*\Z")
_WS: Final = b" \t\r\n"
_TEXT_RE: Final = re.compile(rb"\A[\x20-\x7e\t\r\n]*\Z")


class X509Error(EvidenceInvalid):
    """Certificate or revocation material vvp will not read (``code`` says which)."""

    default_code = codes.X509_MALFORMED


# --- reading ------------------------------------------------------------------------------------

def check_parsed(cert: x509.Certificate) -> x509.Certificate:
    """Force the lazily parsed parts (names, extensions, key) so malformed ones fail here."""
    cert.subject.rfc4514_string()
    cert.issuer.rfc4514_string()
    _ = cert.extensions
    cert.public_key()
    return cert


def _not_text(gap: bytes) -> bool:
    """Whether bytes between PEM blocks are something other than RFC 7468 explanatory text
    (printable ASCII lines without the ``-----`` of a stray boundary)."""
    return not _TEXT_RE.match(gap) or b"-----" in gap


def pem_blocks(data: bytes, label: bytes, *, what: str, strict: bool = True) -> list[bytes]:
    """The DER of every ``label`` block of a PEM text. Outside the blocks RFC 7468 allows
    explanatory text: ``strict`` admits printable ASCII text there and nothing else (binary junk,
    a stray boundary); anchors from the trust store are read with ``strict=False``."""
    out: list[bytes] = []
    pos = 0
    for m in _PEM_RE.finditer(data):
        if strict and _not_text(data[pos:m.start()]):
            raise X509Error(f"{what} has something other than explanatory text outside its PEM blocks")
        pos = m.end()
        if m.group(1) != m.group(3):
            raise X509Error(f"{what} has a BEGIN {m.group(1)!r} block closed by END {m.group(3)!r}")
        if m.group(1) != label:
            raise X509Error(f"{what} holds a {m.group(1).decode('ascii', 'replace')} block, not only "
                            f"{label.decode('ascii')}")
        body = m.group(2)
        if not _B64_BODY_RE.match(body):
            raise X509Error(f"{what}: a {label.decode('ascii')} block is not base64")
        try:
            out.append(base64.b64decode(b"".join(body.split()), validate=True))
        except (binascii.Error, ValueError):
            raise X509Error(f"{what}: a {label.decode('ascii')} block is not base64") from None
    if strict and _not_text(data[pos:]):
        raise X509Error(f"{what} has something other than explanatory text outside its PEM blocks")
    if not out:
        raise X509Error(f"{what} holds no {label.decode('ascii')} block")
    return out


def load_certificates(data: bytes, *, what: str = "certificate artifact", strict: bool = True,
                      max_bytes: int = MAX_CERT_ARTIFACT_BYTES) -> tuple[x509.Certificate, ...]:
    """Certificates of a PEM chain (leaf first) or of one DER certificate; :class:`X509Error` for
    anything else: truncated or trailing DER, junk in or around PEM blocks, too many or too large."""
    if len(data) > max_bytes:
        raise X509Error(f"{what} of {len(data)} bytes exceeds {max_bytes}", code=codes.EVIDENCE_TOO_LARGE)
    ders = pem_blocks(data, b"CERTIFICATE", what=what, strict=strict) if b"-----BEGIN" in data[:65536] else [data]
    if len(ders) > MAX_CERTS:
        raise X509Error(f"{what} holds {len(ders)} certificates; at most {MAX_CERTS} are read")
    certs: list[x509.Certificate] = []
    for n, der in enumerate(ders, 1):
        try:
            certs.append(check_parsed(x509.load_der_x509_certificate(der)))
        except X509_PARSE_ERRORS as e:
            raise X509Error(f"{what}: certificate {n} is not a DER certificate: {str(e)[:160]}") from None
    return tuple(certs)


def load_anchor_files(files: Sequence[bytes]) -> tuple[x509.Certificate, ...]:
    """Anchors from trust-store files (PEM with any text around the blocks, or one DER certificate)."""
    out: list[x509.Certificate] = []
    for n, data in enumerate(files, 1):
        out += load_certificates(data, what=f"foreign anchor file {n}", strict=False, max_bytes=4 * 1024 * 1024)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Revinfo:
    """CRLs and OCSP responses (DER) read from the related artifacts."""

    crls: tuple[bytes, ...] = ()
    ocsps: tuple[bytes, ...] = ()


def load_revinfo(related: Sequence[tuple[str, bytes]]) -> Revinfo:
    """The CRLs (``application/pkix-crl``, DER or PEM) and OCSP responses (``application/ocsp-response``)
    among ``related``; other media types are not revocation data and are skipped. Each one is
    parsed strictly by ``cryptography`` first (:class:`X509Error` ``X509_REVINFO_MALFORMED``)."""
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    bad = codes.X509_REVINFO_MALFORMED
    for media_type, data in related:
        if media_type not in CRL_TYPES + OCSP_TYPES:
            continue
        if len(crls) + len(ocsps) >= MAX_REVINFO_ITEMS:
            raise X509Error(f"more than {MAX_REVINFO_ITEMS} revocation artifacts", code=bad)
        if len(data) > MAX_REVINFO_BYTES:
            raise X509Error(f"a revocation artifact of {len(data)} bytes exceeds {MAX_REVINFO_BYTES}", code=bad)
        try:
            if media_type in CRL_TYPES:
                ders = pem_blocks(data, b"X509 CRL", what="CRL", strict=True) \
                    if data.lstrip(_WS).startswith(b"-----") else [data]
                for der in ders:
                    crl = x509.load_der_x509_crl(der)
                    crl.issuer.rfc4514_string()
                    _ = crl.extensions
                    crls.append(der)
            else:
                resp = ocsp.load_der_ocsp_response(data)
                if resp.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL:
                    _ = resp.responses
                ocsps.append(data)
        except X509Error as e:
            raise X509Error(e.message, code=bad) from None
        except X509_PARSE_ERRORS as e:
            raise X509Error(f"a {media_type} artifact cannot be read: {str(e)[:160]}", code=bad) from None
    return Revinfo(tuple(crls), tuple(ocsps))


# --- describing ---------------------------------------------------------------------------------

def subject_text(cert: x509.Certificate) -> str:
    try:
        return cert.subject.rfc4514_string()
    except X509_PARSE_ERRORS:
        return "(unreadable subject)"


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def anchor_text(cert: x509.Certificate) -> str:
    """How an anchor is named in a verdict: its subject and SHA-256 fingerprint."""
    return f"{subject_text(cert)} (sha256:{fingerprint(cert)})"


def declares_revocation(cert: x509.Certificate) -> bool:
    """Whether the certificate names a CRL distribution point or an OCSP responder."""
    try:
        cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        return True
    except x509.ExtensionNotFound:
        pass
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return False
    return any(d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP for d in aia)


def validity_problem(cert: x509.Certificate, at: _dt.datetime, what: str) -> tuple[str, str] | None:
    """``(code, message)`` when ``cert`` is outside its validity period at ``at``."""
    if at < cert.not_valid_before_utc:
        return codes.X509_NOT_YET_VALID, (f"{what} is valid from {cert.not_valid_before_utc.isoformat()}, after the "
                                          f"reference time {at.isoformat()}")
    if at > cert.not_valid_after_utc:
        return codes.X509_EXPIRED, (f"{what} expired {cert.not_valid_after_utc.isoformat()}, before the reference "
                                    f"time {at.isoformat()}")
    return None


# --- validating ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PathOutcome:
    """The answer for one certificate: ``status`` with ``code`` and ``message``; on success the
    validated ``path`` (end entity first, anchor last) and the ``revocation`` state:
    ``checked`` (revocation data was required and found clean at the reference time),
    ``not_declared`` (no certificate of the path names a CRL or OCSP location), ``unknown``
    (soft-fail: not checked)."""

    status: Status
    code: str
    message: str
    path: tuple[x509.Certificate, ...] = ()
    revocation: str = "not_checked"
    revocation_note: str = ""

    @property
    def anchor(self) -> x509.Certificate | None:
        return self.path[-1] if self.path else None


T = TypeVar("T")


def _sync(fn: Callable[[], T]) -> T:
    """Run ``fn`` (which uses pyhanko's synchronous helpers, i.e. ``asyncio.run``) here, or in a
    worker thread when this thread already runs an event loop."""
    try:
        return fn()
    except RuntimeError as e:
        if "event loop" not in str(e):
            raise
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


def usable_at(revinfo: Revinfo, at: _dt.datetime) -> Revinfo:
    """The revocation data not stale at ``at`` (``nextUpdate`` absent or not before it): what
    soft-fail keeps, so that a stale CRL of a CA does not hide a fresh one about the end entity."""
    crls = tuple(d for d in revinfo.crls if _fresh(x509.load_der_x509_crl(d).next_update_utc, at))
    ocsps: list[bytes] = []
    for d in revinfo.ocsps:
        resp = ocsp.load_der_ocsp_response(d)
        if resp.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL and all(
                _fresh(r.next_update_utc, at) for r in resp.responses):
            ocsps.append(d)
    return Revinfo(crls, tuple(ocsps))


def before_expiry(revinfo: Revinfo, leaf: x509.Certificate) -> Revinfo:
    """Without the CRLs issued after ``leaf`` expired: CAs drop expired certificates from their CRLs,
    so such a CRL's silence about it proves nothing (evidence-formats §5)."""
    end = leaf.not_valid_after_utc
    return Revinfo(tuple(d for d in revinfo.crls if x509.load_der_x509_crl(d).last_update_utc <= end), revinfo.ocsps)


def _fresh(next_update: _dt.datetime | None, at: _dt.datetime) -> bool:
    return next_update is None or next_update >= at


def _asn1(cert: x509.Certificate) -> object:
    return _asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _classify(e: Exception) -> tuple[Status, str]:
    if isinstance(e, _pherr.RevokedError):
        return Status.INVALID, codes.X509_REVOKED
    if isinstance(e, _pherr.InsufficientRevinfoError):
        return Status.INDETERMINATE, codes.X509_REVOCATION_UNAVAILABLE
    if isinstance(e, _pherr.ExpiredError):
        return Status.INVALID, codes.X509_EXPIRED
    if isinstance(e, _pherr.NotYetValidError):
        return Status.INVALID, codes.X509_NOT_YET_VALID
    if isinstance(e, _pherr.DisallowedAlgorithmError):
        return Status.INVALID, codes.X509_WEAK_ALGORITHM
    if isinstance(e, (_pherr.PathBuildingError, _pherr.InvalidCertificateError)) and \
            not isinstance(e, _pherr.InvalidAttrCertificateError):
        return Status.INVALID, codes.X509_NO_TRUSTED_PATH
    return Status.INVALID, codes.X509_PATH_INVALID


_RANK: Final = {codes.X509_REVOKED: 0, codes.X509_EXPIRED: 1, codes.X509_NOT_YET_VALID: 1,
                codes.X509_REVOCATION_UNAVAILABLE: 2, codes.X509_WEAK_ALGORITHM: 3, codes.X509_PATH_INVALID: 4,
                codes.X509_NO_TRUSTED_PATH: 5}


def _attempt(leaf: x509.Certificate, intermediates: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate],
             at: _dt.datetime, revinfo: Revinfo, mode: str) -> tuple[tuple[x509.Certificate, ...] | None, Exception | None]:
    """One validation under pyhanko revocation ``mode``: the path on success, else the error."""
    vc = ValidationContext(trust_roots=[_asn1(a) for a in anchors], other_certs=[_asn1(c) for c in intermediates],
                           moment=at, allow_fetching=False, crls=list(revinfo.crls), ocsps=list(revinfo.ocsps),
                           revocation_mode=mode, retroactive_revinfo=True)
    leaf_asn1 = _asn1(leaf)
    try:
        paths = _sync(lambda: vc.path_builder.build_paths(leaf_asn1))  # type: ignore[no-untyped-call]
    except (_pherr.PathError, _pherr.ValidationError) as e:
        return None, e
    errors: list[Exception] = []
    for path in list(paths)[:MAX_PATHS]:
        try:
            _sync(lambda p=path: _validate_path(vc, p))  # type: ignore[misc]
        except (_pherr.PathError, _pherr.ValidationError) as e:
            errors.append(e)
            continue
        chain = [x509.load_der_x509_certificate(c.dump()) for c in path.iter_certs(include_root=True)]
        return tuple(reversed(chain)), None
    if not errors:
        return None, _pherr.PathBuildingError("no candidate path")
    return None, min(errors, key=lambda e: _RANK.get(_classify(e)[1], 9))


def validate_at(leaf: x509.Certificate, intermediates: Sequence[x509.Certificate],
                anchors: Sequence[x509.Certificate], at: _dt.datetime, *, revinfo: Revinfo = Revinfo(),
                revocation: str = "hard-fail", what: str = "the certificate") -> PathOutcome:
    """Validate ``leaf`` to one of ``anchors`` at ``at`` (module docstring). Never raises for bad
    certificate material: every problem is a coded outcome."""
    if revocation not in REVOCATION_MODES:
        raise ValueError(f"revocation mode must be one of {REVOCATION_MODES}")
    if not anchors:
        return PathOutcome(Status.INDETERMINATE, codes.FOREIGN_ANCHOR_NOT_CONFIGURED,
                           f"no anchor is configured to validate {what}")
    bad_time = validity_problem(leaf, at, what)
    if bad_time is not None:
        return PathOutcome(Status.INVALID, *bad_time)
    revinfo = before_expiry(revinfo, leaf)
    try:
        path, err = _attempt(leaf, intermediates, anchors, at, revinfo, "hard-fail")
        note = ""
        state = "checked"
        if err is not None and revocation == "soft-fail" and isinstance(err, _pherr.InsufficientRevinfoError):
            note = str(err)[:300]
            state = "unknown"
            path, err = _attempt(leaf, intermediates, anchors, at, usable_at(revinfo, at), "soft-fail")
            if err is not None and isinstance(err, _pherr.InsufficientRevinfoError):
                path, err = _attempt(leaf, intermediates, anchors, at, Revinfo(), "none")
    except (ValueError, TypeError) as e:  # certificate material asn1crypto cannot evaluate
        return PathOutcome(Status.INVALID, codes.X509_PATH_INVALID, f"{what} cannot be evaluated: {str(e)[:200]}")
    if err is not None or path is None:
        status, code = _classify(err) if err is not None else (Status.INVALID, codes.X509_NO_TRUSTED_PATH)
        msg = str(err)[:300] if err is not None else "no path"
        if code == codes.X509_NO_TRUSTED_PATH:
            msg = f"no path from {what} to a configured anchor: {msg}"
        return PathOutcome(status, code, msg)
    if state == "checked" and not any(declares_revocation(c) for c in path[:-1]):
        state = "not_declared"
    return PathOutcome(Status.VALID, codes.OK,
                       f"path of {len(path)} certificates to anchor {subject_text(path[-1])!r} at {at.isoformat()}",
                       path, state, note)
