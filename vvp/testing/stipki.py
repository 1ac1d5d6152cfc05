"""Issuing an STI PKI and SHAKEN PASSporTs: for tests, the benchmark and the demo world.

vvp verifies SHAKEN; it never signs real calls. But the tests, ``python -m benchmarks.bench_shaken`` and
a demo world need certificates shaped like real ones (ATIS-1000080 v005: critical basic
constraints and key usage, one SHAKEN CP OID, one CRL distribution point, SKI/AKI, a TNAuthList),
a CRL from a separate STI-PA signer, and PASSporTs signed the way an STI-AS signs them. Keeping
the issuance in one place means the verifier is always tested against the profile it expects.

Everything is deterministic given its inputs: keys come from fixed integers
(:func:`p256_key`), ECDSA signatures on certificates and CRLs are RFC 6979 deterministic, and
validity dates are parameters. PASSporT signatures are deterministic too, so a test vector made
twice is byte-identical.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from vvp import jose
from vvp.stir.tnauthlist import tnauthlist_extension

SHAKEN_CP_1_4: Final = x509.ObjectIdentifier("2.16.840.1.114569.1.1.4")


def p256_key(secret: int) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from a fixed integer (deterministic test and demo keys)."""
    return ec.derive_private_key(secret, ec.SECP256R1())


def name(cn: str, org: str = "vvp test", country: str = "US") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(Encoding.DER)


def _builder(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, serial: int,
             not_before: _dt.datetime, not_after: _dt.datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(serial).not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))


def _sign(b: x509.CertificateBuilder, issuer_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return b.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)


def _aki(issuer: Issued) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())


def _crldp(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)], relative_name=None, reasons=None, crl_issuer=None)])


def make_root(subject: x509.Name, key: ec.EllipticCurvePrivateKey, *, serial: int, not_before: _dt.datetime,
              not_after: _dt.datetime) -> Issued:
    """A self-signed STI root (an STI-PA or STI-CA trust anchor): CA, keyCertSign, no CP, no CRLDP."""
    b = (_builder(subject, subject, key, serial, not_before, not_after)
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(_key_usage(cert_sign=True), critical=True))
    return Issued(_sign(b, key), key)


def make_ca(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: Issued, *, serial: int,
            not_before: _dt.datetime, not_after: _dt.datetime, crl_url: str) -> Issued:
    """An STI-CA intermediate: CA, keyCertSign, SHAKEN CP 1.4, one CRL distribution point."""
    b = (_builder(subject, issuer.cert.subject, key, serial, not_before, not_after)
         .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
         .add_extension(_key_usage(cert_sign=True), critical=True)
         .add_extension(_aki(issuer), critical=False)
         .add_extension(x509.CertificatePolicies([x509.PolicyInformation(SHAKEN_CP_1_4, None)]), critical=False)
         .add_extension(_crldp(crl_url), critical=False))
    return Issued(_sign(b, issuer.key), key)


def make_ee(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: Issued, *, serial: int,
            not_before: _dt.datetime, not_after: _dt.datetime, crl_url: str | None,
            tnauthlist_der: bytes | None) -> Issued:
    """An STI service-provider certificate: not a CA, digitalSignature, SHAKEN CP 1.4, CRLDP, and
    the given TNAuthList (``None`` leaves it out, for negative tests)."""
    b = (_builder(subject, issuer.cert.subject, key, serial, not_before, not_after)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(_key_usage(digital_signature=True), critical=True)
         .add_extension(_aki(issuer), critical=False)
         .add_extension(x509.CertificatePolicies([x509.PolicyInformation(SHAKEN_CP_1_4, None)]), critical=False))
    if crl_url is not None:
        b = b.add_extension(_crldp(crl_url), critical=False)
    if tnauthlist_der is not None:
        b = b.add_extension(tnauthlist_extension(tnauthlist_der), critical=False)
    return Issued(_sign(b, issuer.key), key)


def make_crl_signer(subject: x509.Name, key: ec.EllipticCurvePrivateKey, *, serial: int,
                    not_before: _dt.datetime, not_after: _dt.datetime) -> Issued:
    """The STI-PA CRL signer: self-signed, under its own anchor (the SHAKEN indirect-CRL model)."""
    b = (_builder(subject, subject, key, serial, not_before, not_after)
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(_key_usage(crl_sign=True), critical=True))
    return Issued(_sign(b, key), key)


def _key_usage(*, digital_signature: bool = False, cert_sign: bool = False, crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=crl_sign,
                         encipher_only=False, decipher_only=False)


def make_crl(signer: Issued, *, this_update: _dt.datetime, next_update: _dt.datetime,
             revoked: Sequence[tuple[int, _dt.datetime]] = (), issuer_of_entries: x509.Name | None = None) -> bytes:
    """A DER CRL signed by ``signer`` listing ``(serial, revocation date)`` pairs; with
    ``issuer_of_entries`` the first entry carries a certificateIssuer extension (indirect CRL)."""
    b = (x509.CertificateRevocationListBuilder().issuer_name(signer.cert.subject).last_update(this_update)
         .next_update(next_update))
    for n, (serial, when) in enumerate(revoked):
        rb = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
        if n == 0 and issuer_of_entries is not None:
            rb = rb.add_extension(x509.CertificateIssuer([x509.DirectoryName(issuer_of_entries)]), critical=True)
        b = b.add_revoked_certificate(rb.build())
    return b.sign(signer.key, hashes.SHA256(), ecdsa_deterministic=True).public_bytes(Encoding.DER)


def canonical_json(obj: Mapping[str, Any]) -> bytes:
    """RFC 8225 §9 canonical form: keys sorted, no whitespace."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_jws(header: Mapping[str, Any], claims: Mapping[str, Any], key: ec.EllipticCurvePrivateKey) -> str:
    """An ES256 JWS compact token (raw r‖s signature), deterministic (RFC 6979)."""
    signing_input = jose.b64url_encode(canonical_json(header)) + "." + jose.b64url_encode(canonical_json(claims))
    der = key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return signing_input + "." + jose.b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def shaken_passport(key: ec.EllipticCurvePrivateKey, *, x5u: str, orig: str, dest: Sequence[str], iat: int,
                    attest: str = "A", origid: str = "123e4567-e89b-12d3-a456-426655440000") -> str:
    """A SHAKEN PASSporT as an STI-AS signs it (RFC 8588)."""
    header = {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": x5u}
    claims = {"attest": attest, "dest": {"tn": list(dest)}, "iat": iat, "orig": {"tn": orig}, "origid": origid}
    return sign_jws(header, claims, key)


def identity_value(token: str, info: str, *, alg: str | None = "ES256", ppt: str | None = "shaken") -> str:
    """An Identity header value: ``token;info=<url>;alg=ES256;ppt=shaken``."""
    out = f"{token};info=<{info}>"
    if alg is not None:
        out += f";alg={alg}"
    if ppt is not None:
        out += f";ppt={ppt}"
    return out
