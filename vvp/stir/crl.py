"""The STI-PA CRL check (ATIS-1000080), done by hand because no library does it right.

SHAKEN has one revocation list, published and signed by the STI-PA, for certificates issued by
every STI-CA. Its signer therefore does not chain to the anchor of the certificates it revokes,
which RFC 5280 §6.3.3(f) requires, and which is why pyhanko-certvalidator refuses it and
``cryptography``'s verifier has no revocation at all (evidence-formats.md §5). The rules here:

* **Signer.** The CRL's issuer name equals the subject of one of the pinned ``sti_crl_signers``,
  whose key verifies the CRL signature, and that signer certificate is within its validity at
  the reference time. Nothing else can vouch for a CRL.
* **Time.** A CRL with ``thisUpdate ≤ T < nextUpdate`` speaks for the reference time ``T``. A CRL
  issued *after* ``T`` (re-verifying old calls with a CRL fetched now) is used retroactively only
  for a certificate still within its validity at the CRL's ``thisUpdate``: CAs drop expired
  certificates from CRLs, so a later CRL that omits an expired certificate proves nothing. In that
  case an entry whose revocation date is after ``T`` does not count. A CRL without ``nextUpdate``
  cannot be judged current and is refused.
* **Entries.** An entry applies to a certificate when the serial numbers match and the entry's
  certificate issuer equals the certificate's issuer. The entry's issuer comes from its
  ``certificateIssuer`` extension, carried forward to later entries as RFC 5280 §5.3.3 says for
  indirect CRLs; entries before the first such extension name no issuer and match on the serial
  alone (the STI-PA practice vermouth follows; evidence-formats.md §8). Erring this way can only
  make more certificates revoked, never fewer.
* **Backdating.** An entry with reason ``keyCompromise`` and an ``invalidityDate`` at or before
  ``T`` revokes even when its revocation date is after ``T``: a key known compromised at call
  time did not sign the call honestly.

The policy ``crl`` (``optional``, ``required``, ``off``) is applied by the caller
(:mod:`vvp.stir.shaken`): this module answers "revoked, good, or unknown, and why".
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from vvp import codes
from vvp.stir.tnauthlist import X509_PARSE_ERRORS

CrlMode = Literal["optional", "required", "off"]
CRL_MODES: Final[tuple[CrlMode, ...]] = ("optional", "required", "off")


_VERIFY_ERRORS: Final[tuple[type[Exception], ...]] = (InvalidSignature, TypeError, *X509_PARSE_ERRORS)
_NO_EXTENSION: Final[tuple[type[Exception], ...]] = (x509.ExtensionNotFound, *X509_PARSE_ERRORS)


class RevocationState(StrEnum):
    """The answer about one certificate."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CrlVerdict:
    """Whether ``crl`` can speak for the reference time: ``signer`` when it can, else a code and why."""

    usable: bool
    code: str
    message: str
    signer: x509.Certificate | None = None


@dataclass(frozen=True, slots=True)
class RevocationAnswer:
    state: RevocationState
    code: str
    message: str


def parse_crl(body: bytes) -> x509.CertificateRevocationList:
    """A CRL in DER or PEM; ``ValueError`` when it is neither (whatever ``cryptography`` raised)."""
    data = body.lstrip()
    try:
        if data.startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(body)
    except X509_PARSE_ERRORS as e:
        raise ValueError(str(e)) from None


@functools.lru_cache(maxsize=1024)
def _name_text(n: x509.Name) -> str:
    return n.rfc4514_string()


def _valid_at(cert: x509.Certificate, at: _dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def crl_signer(crl: x509.CertificateRevocationList,
               signers: Sequence[x509.Certificate]) -> tuple[x509.Certificate | None, str]:
    """The configured signer whose subject is the CRL's issuer and whose key verifies the CRL,
    or ``None`` and why. This is the expensive half of :func:`check_crl`; callers that cache a
    CRL keep its answer."""
    if not signers:
        return None, "no STI CRL signer is configured (sti_crl_signers)"
    try:
        issuer = crl.issuer
        issuer_text = _name_text(issuer)
    except X509_PARSE_ERRORS:  # names are parsed lazily
        return None, "the CRL issuer name cannot be read"
    candidates = [s for s in signers if s.subject == issuer]
    if not candidates:
        return None, f"CRL issuer {issuer_text!r} is not a configured STI CRL signer"
    for cand in candidates:
        try:
            key = cand.public_key()
            if isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)) and crl.is_signature_valid(key):
                return cand, f"signed by {issuer_text!r}"
        except _VERIFY_ERRORS:
            continue
    return None, f"the CRL signature does not verify with the key of {issuer_text!r}"


def check_crl_time(crl: x509.CertificateRevocationList, signer: x509.Certificate, at: _dt.datetime) -> CrlVerdict:
    """The cheap half of :func:`check_crl`: the signer's validity and the CRL's nextUpdate at ``at``."""
    if not _valid_at(signer, at):
        return CrlVerdict(False, codes.SHAKEN_CRL_INVALID,
                          f"the CRL signer {_name_text(signer.subject)!r} is not valid at the reference time")
    nxt = crl.next_update_utc
    if nxt is None:
        return CrlVerdict(False, codes.SHAKEN_CRL_INVALID, "the CRL has no nextUpdate, so it cannot be judged current")
    if nxt <= at:
        return CrlVerdict(False, codes.SHAKEN_CRL_INVALID,
                          f"the CRL expired (nextUpdate {nxt.isoformat()}) before the reference time")
    return CrlVerdict(True, codes.OK, f"signed by {_name_text(signer.subject)!r}", signer)


def check_crl(crl: x509.CertificateRevocationList, signers: Sequence[x509.Certificate],
              at: _dt.datetime) -> CrlVerdict:
    """Judge the CRL's signer and its time window for reference time ``at`` (module docstring).

    A CRL issued after ``at`` is usable here; whether it may speak for a given certificate is
    decided per certificate in :func:`revocation_state`.
    """
    signer, why = crl_signer(crl, signers)
    if signer is None:
        return CrlVerdict(False, codes.SHAKEN_CRL_INVALID, why)
    return check_crl_time(crl, signer, at)


def _entry_issuer(entry: x509.RevokedCertificate) -> x509.Name | None:
    try:
        ext = entry.extensions.get_extension_for_class(x509.CertificateIssuer)
    except x509.ExtensionNotFound:
        return None
    for gn in ext.value:
        if isinstance(gn, x509.DirectoryName):
            return gn.value
    return None


def _effective(entry: x509.RevokedCertificate, at: _dt.datetime) -> bool:
    if entry.revocation_date_utc <= at:
        return True
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        invalid = entry.extensions.get_extension_for_class(x509.InvalidityDate).value.invalidity_date_utc
    except x509.ExtensionNotFound:
        return False
    return reason is x509.ReasonFlags.key_compromise and invalid <= at


def find_entry(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> x509.RevokedCertificate | None:
    """The CRL entry that applies to ``cert`` (module docstring, "Entries"), or ``None``."""
    if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is None:
        return None  # the common case: one hash lookup, no walk over the list
    current: x509.Name | None = None
    for entry in crl:
        issuer = _entry_issuer(entry)
        if issuer is not None:
            current = issuer
        if entry.serial_number == cert.serial_number and (current is None or current == cert.issuer):
            return entry
    return None


def revocation_state(cert: x509.Certificate, crl: x509.CertificateRevocationList,
                     at: _dt.datetime) -> RevocationAnswer:
    """Revoked, good or unknown for ``cert`` at ``at``, from a CRL already judged by :func:`check_crl`.
    A CRL whose entries cannot be read gives unknown, never good."""
    try:
        return _revocation_state(cert, crl, at)
    except X509_PARSE_ERRORS as e:  # entries and their extensions are parsed lazily
        return RevocationAnswer(RevocationState.UNKNOWN, codes.SHAKEN_CRL_INVALID,
                                f"the CRL entries cannot be read: {str(e)[:120]}")


def _revocation_state(cert: x509.Certificate, crl: x509.CertificateRevocationList,
                      at: _dt.datetime) -> RevocationAnswer:
    this = crl.last_update_utc
    if this > at and not _valid_at(cert, this):
        return RevocationAnswer(RevocationState.UNKNOWN, codes.SHAKEN_CRL_INVALID,
                                f"the CRL was issued {this.isoformat()}, after the reference time, when the "
                                "certificate had already expired: its absence from the CRL proves nothing")
    entry = find_entry(crl, cert)
    if entry is not None and _effective(entry, at):
        return RevocationAnswer(RevocationState.REVOKED, codes.SHAKEN_REVOKED,
                                f"serial {cert.serial_number:x} revoked on {entry.revocation_date_utc.isoformat()}")
    later = " (entry dated after the reference time)" if entry is not None else ""
    return RevocationAnswer(RevocationState.GOOD, codes.OK,
                            f"serial {cert.serial_number:x} not revoked at the reference time{later}")


@functools.lru_cache(maxsize=4096)
def distribution_urls(cert: x509.Certificate) -> tuple[str, ...]:
    """The http(s) URLs of the certificate's CRL distribution points, in order, without repeats
    (memoised per certificate)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    except _NO_EXTENSION:
        return ()
    urls: list[str] = []
    for dp in ext.value:
        for gn in dp.full_name or ():
            if isinstance(gn, x509.UniformResourceIdentifier):
                u = gn.value
                if u.lower().startswith(("http://", "https://")) and u not in urls:
                    urls.append(u)
    return tuple(urls)
