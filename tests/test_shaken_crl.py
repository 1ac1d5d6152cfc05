"""The STI-PA CRL rules (vvp/stir/crl.py): signer, time window, indirect entries, retroactive use
of a later CRL, and keyCompromise backdating."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests import shaken_pki as P
from vvp import codes
from vvp.stir import crl as C
from vvp.testing import stipki
from vvp.stir.shaken import ShakenPolicy, check_revocation
from vvp.verdict import CheckStatus

DAY = _dt.timedelta(days=1)


def crl_with(entries: Sequence[x509.RevokedCertificate], *, this_update: _dt.datetime = P.T - DAY,
             next_update: _dt.datetime = P.T + DAY) -> x509.CertificateRevocationList:
    signer = P.build().crl_signer
    b = x509.CertificateRevocationListBuilder().issuer_name(signer.cert.subject).last_update(this_update) \
        .next_update(next_update)
    for e in entries:
        b = b.add_revoked_certificate(e)
    return b.sign(signer.key, hashes.SHA256())


def entry(serial: int, when: _dt.datetime, *, issuer: x509.Name | None = None,
          reason: x509.ReasonFlags | None = None, invalid: _dt.datetime | None = None) -> x509.RevokedCertificate:
    b = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
    if issuer is not None:
        b = b.add_extension(x509.CertificateIssuer([x509.DirectoryName(issuer)]), critical=True)
    if reason is not None:
        b = b.add_extension(x509.CRLReason(reason), critical=False)
    if invalid is not None:
        b = b.add_extension(x509.InvalidityDate(invalid), critical=False)
    return b.build()


def ee() -> x509.Certificate:
    return P.build().ee["spc"].cert


def test_the_test_crl_is_usable_and_revokes_one_serial() -> None:
    pki = P.build()
    crl = C.parse_crl(pki.crl)
    v = C.check_crl(crl, [pki.crl_signer.cert], P.T)
    assert v.usable and v.signer == pki.crl_signer.cert
    assert C.revocation_state(pki.ee["revoked"].cert, crl, P.T).state is C.RevocationState.REVOKED
    assert C.revocation_state(pki.ee["spc"].cert, crl, P.T).state is C.RevocationState.GOOD


def test_signer_must_be_configured_and_verify() -> None:
    pki = P.build()
    crl = C.parse_crl(pki.crl)
    assert not C.check_crl(crl, [], P.T).usable
    assert not C.check_crl(crl, [pki.root.cert], P.T).usable
    impostor = stipki.make_crl_signer(pki.crl_signer.cert.subject, stipki.p256_key(0x1234), serial=9,
                                      not_before=P.NOT_BEFORE, not_after=P.NOT_AFTER)
    v = C.check_crl(crl, [impostor.cert], P.T)
    assert not v.usable and "does not verify" in v.message
    assert C.check_crl(crl, [impostor.cert, pki.crl_signer.cert], P.T).usable


def test_time_window() -> None:
    pki = P.build()
    crl = C.parse_crl(pki.crl)
    assert not C.check_crl(crl, [pki.crl_signer.cert], P.T + 8 * DAY).usable  # past nextUpdate
    expired_signer = stipki.make_crl_signer(pki.crl_signer.cert.subject, pki.crl_signer.key, serial=5,
                                            not_before=P.NOT_BEFORE, not_after=P.T - DAY)
    assert not C.check_crl(crl, [expired_signer.cert], P.T).usable


def test_pem_crl_is_read() -> None:
    from cryptography.hazmat.primitives.serialization import Encoding
    pem = C.parse_crl(P.build().crl).public_bytes(Encoding.PEM)
    assert C.parse_crl(pem).last_update_utc == P.T - _dt.timedelta(hours=12)


def test_indirect_entries_match_on_issuer_carried_forward() -> None:
    cert = ee()
    other = stipki.name("SOME OTHER CA")
    crl = crl_with([entry(1, P.T - DAY, issuer=other), entry(cert.serial_number, P.T - DAY)])
    # the second entry inherits the first one's certificateIssuer (RFC 5280 §5.3.3): not our CA
    assert C.find_entry(crl, cert) is None
    crl = crl_with([entry(1, P.T - DAY, issuer=other), entry(cert.serial_number, P.T - DAY, issuer=cert.issuer)])
    assert C.find_entry(crl, cert) is not None
    # no certificateIssuer anywhere: the serial alone revokes (STI-PA practice, fails safe)
    assert C.find_entry(crl_with([entry(cert.serial_number, P.T - DAY)]), cert) is not None


def test_revocation_after_the_reference_time_does_not_count_but_key_compromise_backdates() -> None:
    cert = ee()
    later = crl_with([entry(cert.serial_number, P.T + DAY)], this_update=P.T - DAY)
    assert C.revocation_state(cert, later, P.T).state is C.RevocationState.GOOD
    backdated = crl_with([entry(cert.serial_number, P.T + DAY, reason=x509.ReasonFlags.key_compromise,
                                invalid=P.T - DAY)])
    assert C.revocation_state(cert, backdated, P.T).state is C.RevocationState.REVOKED
    superseded = crl_with([entry(cert.serial_number, P.T + DAY, reason=x509.ReasonFlags.superseded,
                                 invalid=P.T - DAY)])
    assert C.revocation_state(cert, superseded, P.T).state is C.RevocationState.GOOD


def test_a_later_crl_speaks_for_the_past_only_while_the_certificate_was_still_valid() -> None:
    cert = ee()
    issued_later = crl_with([], this_update=P.T + 30 * DAY, next_update=P.T + 40 * DAY)
    assert C.revocation_state(cert, issued_later, P.T).state is C.RevocationState.GOOD
    after_expiry = crl_with([], this_update=P.NOT_AFTER + DAY, next_update=P.NOT_AFTER + 5 * DAY)
    answer = C.revocation_state(cert, after_expiry, P.T)
    assert answer.state is C.RevocationState.UNKNOWN and answer.code == codes.SHAKEN_CRL_INVALID


def test_distribution_urls() -> None:
    assert C.distribution_urls(ee()) == (P.CRL_URL,)
    assert C.distribution_urls(P.build().root.cert) == ()


def test_check_revocation_for_a_chain() -> None:
    pki = P.build()
    chain = (pki.ee["revoked"].cert, pki.ca.cert, pki.root.cert)
    r = check_revocation(chain, reference_time=P.T, crl_signers=[pki.crl_signer.cert], policy=ShakenPolicy(),
                         fetcher=pki.fetcher())
    assert r.state == "revoked"
    assert [c.status for c in r.checks] == [CheckStatus.FAIL, CheckStatus.PASS]
    assert [e.url for e in r.evidence] == [P.CRL_URL]
