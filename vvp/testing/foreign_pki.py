"""A deterministic test PKI for foreign evidence (architecture §2.3): X.509 anchors, an STI-CA,
a delegating service-provider certificate, RFC 9060 delegate certificates, CRLs and OCSP
responses archived at the call and later, and an RFC 9447 token authority with its tokens.

Why a PKI of its own: the checkers must be shown every outcome a real deployment produces
(valid, revoked before and after the call, expired, under an unknown anchor, not covering
``orig``, a delegate exceeding its parent, a token with the wrong type or algorithm), and the
test world binds these artifacts into ACDCs by digest, so every byte must be the same on every
run. Hence: keys are derived from seed strings (:func:`seed_key`), certificates and CRLs are
signed with RFC 6979 deterministic ECDSA, OCSP responses (whose builder has no deterministic
option) are signed by a delegated responder with an Ed25519 key (deterministic by design), RTU
tokens by :func:`vvp.testing.stipki.sign_jws` (deterministic ES256), and every time is fixed.

Hierarchy (``T`` = :data:`CALL_AT`, the test world's call time)::

    root (anchor for foreign.x509)
      └─ sti_ca (CA, CRL distribution point → root CRL)
           └─ sp (CA with TNAuthList range 1555123 0000..9999, CRL DP → STI-CA CRL)
                ├─ delegate certificates (end entities, TNAuthList of TNs, CRL DP + OCSP → sp)
                └─ ocsp_responder (id-kp-OCSPSigning, ocsp-nocheck, Ed25519 key)
    other_root → other_sp → untrusted delegate             (an anchor nobody configured)
    rtu_root (anchor for foreign.rtu_authorities) → token_authority (signs RTU tokens)
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from asn1crypto import ocsp as _asn1_ocsp  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from vvp import jose
from vvp.testing import stipki
from vvp.stir.tnauthlist import TnRange, encode_tnauthlist, tnauthlist_extension

UTC = _dt.UTC
CALL_AT: Final = _dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
"""The reference time the PKI is built around (the test world's call time)."""
REVOKED_BEFORE_AT: Final = _dt.datetime(2026, 2, 15, 0, 0, 0, tzinfo=UTC)
REVOKED_AFTER_AT: Final = _dt.datetime(2026, 6, 1, 0, 0, 0, tzinfo=UTC)
LATER_AT: Final = _dt.datetime(2026, 6, 2, 0, 0, 0, tzinfo=UTC)
"""When the later CRL and OCSP responses were issued (after both revocations)."""

ORIG: Final = "15551230001"
"""The number the valid delegate certificate and token speak for (the test world's ``orig``)."""
SP_RANGE: Final = TnRange("15551230000", 10000)
OTHER_TN: Final = "15551239999"
OUTSIDE_TN: Final = "16135550000"

BASE_URL: Final = "https://pki.foreign.example"
CRL_URLS: Final = {"root": f"{BASE_URL}/root.crl", "sti_ca": f"{BASE_URL}/sti-ca.crl", "sp": f"{BASE_URL}/sp.crl",
                   "other": f"{BASE_URL}/other.crl"}
OCSP_URL: Final = f"{BASE_URL}/ocsp"
TOKEN_AUTHORITY_URL: Final = f"{BASE_URL}/token-authority.pem"

PEM_CHAIN: Final = "application/pem-certificate-chain"
PKIX_CERT: Final = "application/pkix-cert"
PKIX_CRL: Final = "application/pkix-crl"
OCSP_RESPONSE: Final = "application/ocsp-response"
JWT: Final = "application/jwt"

_N_P256: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def seed_key(seed: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key derived from a seed string (the same key on every run)."""
    n = int.from_bytes(hashlib.sha256(b"vvp foreign pki/" + seed.encode()).digest(), "big")
    return stipki.p256_key(n % (_N_P256 - 1) + 1)


def seed_ed25519(seed: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"vvp foreign pki/" + seed.encode()).digest())


@dataclass(frozen=True, slots=True)
class Cert:
    """A certificate with its private key (P-256, or Ed25519 for the OCSP responder)."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def issue(subject: x509.Name, key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, issuer: Cert | None, *,
          serial: int, not_before: _dt.datetime, not_after: _dt.datetime, ca: bool, path_length: int | None = None,
          tnauthlist: bytes | None = None, crl_url: str | None = None, ocsp_url: str | None = None,
          ocsp_signing: bool = False, san_dns: str | None = None, sti_policy: bool = False,
          extra_names: Sequence[x509.NameAttribute[str]] = ()) -> Cert:
    """One certificate, signed deterministically by ``issuer`` (self-signed when None)."""
    if extra_names:
        subject = x509.Name(list(subject) + list(extra_names))
    pub = key.public_key()
    signer_key = key if issuer is None else issuer.key
    assert isinstance(signer_key, ec.EllipticCurvePrivateKey), "issuers in this PKI hold P-256 keys"
    b = (x509.CertificateBuilder().subject_name(subject)
         .issuer_name(subject if issuer is None else issuer.cert.subject).public_key(pub).serial_number(serial)
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
         .add_extension(_key_usage(ca=ca), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False))
    if issuer is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
    if sti_policy:
        b = b.add_extension(x509.CertificatePolicies([x509.PolicyInformation(stipki.SHAKEN_CP_1_4, None)]),
                            critical=False)
    if crl_url is not None:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None, reasons=None, crl_issuer=None)]),
            critical=False)
    if ocsp_url is not None:
        b = b.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]), critical=False)
    if ocsp_signing:
        b = (b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
             .add_extension(x509.OCSPNoCheck(), critical=False))
    if san_dns is not None:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san_dns)]), critical=False)
    if tnauthlist is not None:
        b = b.add_extension(tnauthlist_extension(tnauthlist), critical=False)
    return Cert(b.sign(signer_key, hashes.SHA256(), ecdsa_deterministic=True), key)


def make_crl(issuer: Cert, *, this_update: _dt.datetime, next_update: _dt.datetime, number: int,
             revoked: Sequence[tuple[int, _dt.datetime]] = ()) -> bytes:
    """A DER CRL of ``issuer`` listing ``(serial, revocation date)`` (deterministic signature)."""
    assert isinstance(issuer.key, ec.EllipticCurvePrivateKey)
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject).last_update(this_update)
         .next_update(next_update)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
         .add_extension(x509.CRLNumber(number), critical=False))
    for serial, when in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
                                      .build())
    return b.sign(issuer.key, hashes.SHA256(), ecdsa_deterministic=True).public_bytes(serialization.Encoding.DER)


def make_ocsp(subject: Cert, issuer: Cert, responder: Cert, *, this_update: _dt.datetime,
              next_update: _dt.datetime, revoked_at: _dt.datetime | None = None) -> bytes:
    """A DER OCSP response about ``subject`` from the delegated ``responder`` (Ed25519: deterministic):
    ``good``, or ``revoked`` at ``revoked_at`` (reason keyCompromise)."""
    status = ocsp.OCSPCertStatus.GOOD if revoked_at is None else ocsp.OCSPCertStatus.REVOKED
    b = (ocsp.OCSPResponseBuilder()
         .add_response(cert=subject.cert, issuer=issuer.cert, algorithm=hashes.SHA256(), cert_status=status,
                       this_update=this_update, next_update=next_update, revocation_time=revoked_at,
                       revocation_reason=None if revoked_at is None else x509.ReasonFlags.key_compromise)
         .responder_id(ocsp.OCSPResponderEncoding.HASH, responder.cert).certificates([responder.cert]))
    assert isinstance(responder.key, ed25519.Ed25519PrivateKey)
    der = b.sign(responder.key, None).public_bytes(serialization.Encoding.DER)
    # cryptography stamps producedAt with the wall clock; set it to thisUpdate and sign again
    # (Ed25519 is deterministic), so the response is the same bytes on every run
    resp = _asn1_ocsp.OCSPResponse.load(der)
    basic = resp["response_bytes"]["response"].parsed
    basic["tbs_response_data"]["produced_at"] = this_update
    basic["signature"] = responder.key.sign(basic["tbs_response_data"].dump(force=True))
    resp["response_bytes"]["response"] = basic
    out: bytes = resp.dump(force=True)
    return out


# Delegate certificates: name -> (serial, TNs, validity). Serials are fixed so CRLs can list them.
DELEGATES: Final[Mapping[str, tuple[int, tuple[str, ...], tuple[_dt.datetime, _dt.datetime]]]] = {
    "valid": (0x1001, (ORIG, "15551230002"), (_dt.datetime(2026, 1, 1, tzinfo=UTC), _dt.datetime(2027, 1, 1, tzinfo=UTC))),
    "revoked_before": (0x1002, (ORIG,), (_dt.datetime(2026, 1, 1, tzinfo=UTC), _dt.datetime(2027, 1, 1, tzinfo=UTC))),
    "revoked_after": (0x1003, (ORIG,), (_dt.datetime(2026, 1, 1, tzinfo=UTC), _dt.datetime(2027, 1, 1, tzinfo=UTC))),
    "expired": (0x1004, (ORIG,), (_dt.datetime(2025, 1, 1, tzinfo=UTC), _dt.datetime(2026, 2, 1, tzinfo=UTC))),
    "other_tn": (0x1005, (OTHER_TN,), (_dt.datetime(2026, 1, 1, tzinfo=UTC), _dt.datetime(2027, 1, 1, tzinfo=UTC))),
    "exceeds_parent": (0x1006, (OUTSIDE_TN,), (_dt.datetime(2026, 1, 1, tzinfo=UTC),
                                               _dt.datetime(2027, 1, 1, tzinfo=UTC))),
}
LEI: Final = "5493001KJTIIGC8Y1R12"
"""The LEI the delegate certificates carry (ETSI EN 319 412-1 organizationIdentifier ``LEIXG-…``)."""
ORG: Final = "Acme Voice Test"


@dataclass(frozen=True)
class ForeignPki:
    """Every certificate, CRL, OCSP response and token authority of the module docstring."""

    root: Cert
    sti_ca: Cert
    sp: Cert
    delegates: Mapping[str, Cert]
    ocsp_responder: Cert
    other_root: Cert
    other_sp: Cert
    untrusted: Cert
    rtu_root: Cert
    token_authority: Cert
    account_key: ec.EllipticCurvePrivateKey
    crls: Mapping[str, bytes] = field(default_factory=dict)
    ocsps: Mapping[str, bytes] = field(default_factory=dict)

    def chain_pem(self, name: str) -> bytes:
        """What a bridge carries for a delegate: the delegate, then the sp and STI-CA certificates."""
        if name == "untrusted":
            return self.untrusted.pem + self.other_sp.pem
        return self.delegates[name].pem + self.sp.pem + self.sti_ca.pem

    def revinfo_at_call(self) -> list[tuple[str, bytes]]:
        """The CRLs archived at the call (root, STI-CA and sp), as related artifacts."""
        return [(PKIX_CRL, self.crls["root"]), (PKIX_CRL, self.crls["sti_ca"]), (PKIX_CRL, self.crls["sp_at_call"])]

    def revinfo_later(self) -> list[tuple[str, bytes]]:
        """Every CRL as issued after both revocations (:data:`LATER_AT`): what an auditor fetches later."""
        return [(PKIX_CRL, self.crls["root_later"]), (PKIX_CRL, self.crls["sti_ca_later"]),
                (PKIX_CRL, self.crls["sp_later"])]

    def revinfo_ocsp(self, name: str, *, later: bool = False) -> list[tuple[str, bytes]]:
        """Root and STI-CA CRLs, and the OCSP response for delegate ``name`` at the call (or later)."""
        key = f"{name}_later" if later else name
        return [(PKIX_CRL, self.crls["root"]), (PKIX_CRL, self.crls["sti_ca"]), (OCSP_RESPONSE, self.ocsps[key])]

    @property
    def account_jwk(self) -> dict[str, str]:
        """The public JWK of the ACME account key the tokens are bound to (``atc.fingerprint``)."""
        return ec_jwk(self.account_key.public_key())

    def rtu_token(self, *, tns: Sequence[str] = (ORIG,), ranges: Sequence[TnRange] = (), spcs: Sequence[str] = (),
                  exp: _dt.datetime = _dt.datetime(2026, 6, 1, tzinfo=UTC), tktype: str = "TNAuthList",
                  ca: bool | None = False, x5u: bool = False, fingerprint: str | None = "thumbprint",
                  header: Mapping[str, Any] | None = None, claims: Mapping[str, Any] | None = None,
                  tkvalue: str | None = None, signer: ec.EllipticCurvePrivateKey | None = None) -> str:
        """An RFC 9447 TNAuthList authority token (ES256, RFC 6979), by default valid at :data:`CALL_AT`
        for :data:`ORIG`, with ``x5c`` (or ``x5u``: :data:`TOKEN_AUTHORITY_URL`). ``header`` and
        ``claims`` replace fields for negative tests; ``fingerprint="thumbprint"`` binds the account key."""
        value = tkvalue if tkvalue is not None else jose.b64url_encode(
            encode_tnauthlist(spcs=spcs, tns=tns, ranges=ranges))
        atc: dict[str, Any] = {"tktype": tktype, "tkvalue": value}
        if ca is not None:
            atc["ca"] = ca
        if fingerprint == "thumbprint":
            atc["fingerprint"] = jwk_thumbprint(self.account_jwk)
        elif fingerprint is not None:
            atc["fingerprint"] = fingerprint
        body: dict[str, Any] = {"iss": f"{BASE_URL}/sti-pa", "exp": int(exp.timestamp()),
                                "iat": int(_dt.datetime(2026, 2, 1, tzinfo=UTC).timestamp()),
                                "jti": "rtu-" + hashlib.sha256(value.encode()).hexdigest()[:16], "atc": atc}
        hdr: dict[str, Any] = {"alg": "ES256", "typ": "JWT"}
        if x5u:
            hdr["x5u"] = TOKEN_AUTHORITY_URL
        else:
            hdr["x5c"] = [_b64(self.token_authority.der), _b64(self.rtu_root.der)]
        hdr.update(header or {})
        body.update(claims or {})
        key = signer or self.token_authority.key
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return stipki.sign_jws(hdr, body, key)

    def served(self) -> dict[str, tuple[str, bytes]]:
        """URL -> (content type, bytes) for everything this PKI publishes (a MemoryFetcher's items)."""
        return {TOKEN_AUTHORITY_URL: (PEM_CHAIN, self.token_authority.pem + self.rtu_root.pem)}


def _b64(der: bytes) -> str:
    """Standard base64 with padding: the x5c encoding (RFC 7515 §4.1.6)."""
    return base64.b64encode(der).decode("ascii")


def ec_jwk(pub: ec.EllipticCurvePublicKey) -> dict[str, str]:
    nums = pub.public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": jose.b64url_encode(nums.x.to_bytes(32, "big")),
            "y": jose.b64url_encode(nums.y.to_bytes(32, "big"))}


def jwk_thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638 SHA-256 thumbprint of an EC JWK, base64url (the RFC 8555 §8.1 account-key form)."""
    canon = '{"crv":"%s","kty":"%s","x":"%s","y":"%s"}' % (jwk["crv"], jwk["kty"], jwk["x"], jwk["y"])
    return jose.b64url_encode(hashlib.sha256(canon.encode("ascii")).digest())


@functools.lru_cache(maxsize=4)
def build(orig: str = ORIG, lei: str = LEI, org: str = ORG) -> ForeignPki:
    """The PKI of the module docstring (memoised: it is the same on every call). ``lei`` and
    ``org`` name the holder of the SP and delegate certificates (the test world passes its own
    legal entity's, so that the certificates' LEI agrees with its vetting credential)."""
    y2025, y2035 = _dt.datetime(2025, 1, 1, tzinfo=UTC), _dt.datetime(2035, 1, 1, tzinfo=UTC)
    root = issue(_name("VVP Test Foreign Root", "vvp test foreign PKI"), seed_key("root"), None, serial=1,
                 not_before=y2025, not_after=y2035, ca=True)
    sti_ca = issue(_name("VVP Test STI-CA", "vvp test foreign PKI"), seed_key("sti-ca"), root, serial=2,
                   not_before=y2025, not_after=_dt.datetime(2030, 1, 1, tzinfo=UTC), ca=True, path_length=1,
                   crl_url=CRL_URLS["root"], sti_policy=True)
    sp = issue(_name("VVP Test SP", org), seed_key("sp"), sti_ca, serial=3, not_before=y2025,
               not_after=_dt.datetime(2028, 1, 1, tzinfo=UTC), ca=True, path_length=0,
               tnauthlist=encode_tnauthlist(ranges=[SP_RANGE]), crl_url=CRL_URLS["sti_ca"], sti_policy=True)
    lei_name = [x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"LEIXG-{lei}")]
    delegates: dict[str, Cert] = {}
    for name, (serial, tns, (nb, na)) in DELEGATES.items():
        tns = tuple(orig if t == ORIG else t for t in tns)
        delegates[name] = issue(_name(f"VVP Test delegate {name}", org), seed_key(f"delegate/{name}"), sp,
                                serial=serial, not_before=nb, not_after=na, ca=False,
                                tnauthlist=encode_tnauthlist(tns=tns), crl_url=CRL_URLS["sp"], ocsp_url=OCSP_URL,
                                san_dns="voice.acme.example", sti_policy=True, extra_names=lei_name)
    responder = issue(_name("VVP Test SP OCSP responder", org), seed_ed25519("ocsp"), sp, serial=0x2001,
                      not_before=y2025, not_after=_dt.datetime(2028, 1, 1, tzinfo=UTC), ca=False, ocsp_signing=True)
    other_root = issue(_name("Unconfigured Root", "somebody else"), seed_key("other-root"), None, serial=1,
                       not_before=y2025, not_after=y2035, ca=True)
    other_sp = issue(_name("Unconfigured SP", "somebody else"), seed_key("other-sp"), other_root, serial=2,
                     not_before=y2025, not_after=_dt.datetime(2028, 1, 1, tzinfo=UTC), ca=True, path_length=0,
                     tnauthlist=encode_tnauthlist(ranges=[SP_RANGE]), sti_policy=True)
    untrusted = issue(_name("Unconfigured delegate", "somebody else"), seed_key("other-delegate"), other_sp,
                      serial=3, not_before=_dt.datetime(2026, 1, 1, tzinfo=UTC),
                      not_after=_dt.datetime(2027, 1, 1, tzinfo=UTC), ca=False,
                      tnauthlist=encode_tnauthlist(tns=[orig]), sti_policy=True)
    rtu_root = issue(_name("VVP Test Token Authority Root", "vvp test STI-PA"), seed_key("rtu-root"), None, serial=1,
                     not_before=y2025, not_after=y2035, ca=True)
    authority = issue(_name("VVP Test Token Authority", "vvp test STI-PA"), seed_key("token-authority"), rtu_root,
                      serial=2, not_before=y2025, not_after=_dt.datetime(2028, 1, 1, tzinfo=UTC), ca=False)
    at_call = (_dt.datetime(2026, 3, 1, tzinfo=UTC), _dt.datetime(2026, 3, 8, tzinfo=UTC))
    before = (delegates["revoked_before"].cert.serial_number, REVOKED_BEFORE_AT)
    after = (delegates["revoked_after"].cert.serial_number, REVOKED_AFTER_AT)
    crls = {
        "root": make_crl(root, this_update=_dt.datetime(2026, 2, 28, tzinfo=UTC),
                         next_update=_dt.datetime(2026, 3, 31, tzinfo=UTC), number=1),
        "sti_ca": make_crl(sti_ca, this_update=_dt.datetime(2026, 2, 28, tzinfo=UTC),
                           next_update=_dt.datetime(2026, 3, 31, tzinfo=UTC), number=1),
        "root_later": make_crl(root, this_update=LATER_AT, next_update=LATER_AT + _dt.timedelta(days=30), number=2),
        "sti_ca_later": make_crl(sti_ca, this_update=LATER_AT, next_update=LATER_AT + _dt.timedelta(days=30),
                                 number=2),
        "sp_at_call": make_crl(sp, this_update=at_call[0], next_update=at_call[1], number=7, revoked=[before]),
        "sp_later": make_crl(sp, this_update=LATER_AT, next_update=LATER_AT + _dt.timedelta(days=7), number=20,
                             revoked=[before, after]),
        "sp_stale": make_crl(sp, this_update=_dt.datetime(2026, 1, 1, tzinfo=UTC),
                             next_update=_dt.datetime(2026, 1, 8, tzinfo=UTC), number=2),
    }
    near = (CALL_AT - _dt.timedelta(hours=1), CALL_AT + _dt.timedelta(days=7))
    later = (LATER_AT, LATER_AT + _dt.timedelta(days=7))
    ocsps: dict[str, bytes] = {}
    for name, cert in delegates.items():
        revoked_at = REVOKED_BEFORE_AT if name == "revoked_before" else None
        ocsps[name] = make_ocsp(cert, sp, responder, this_update=near[0], next_update=near[1], revoked_at=revoked_at)
    ocsps["revoked_after_later"] = make_ocsp(delegates["revoked_after"], sp, responder, this_update=later[0],
                                             next_update=later[1], revoked_at=REVOKED_AFTER_AT)
    ocsps["revoked_before_later"] = make_ocsp(delegates["revoked_before"], sp, responder, this_update=later[0],
                                              next_update=later[1], revoked_at=REVOKED_BEFORE_AT)
    return ForeignPki(root=root, sti_ca=sti_ca, sp=sp, delegates=delegates, ocsp_responder=responder,
                      other_root=other_root, other_sp=other_sp, untrusted=untrusted, rtu_root=rtu_root,
                      token_authority=authority, account_key=seed_key("acme-account"), crls=crls, ocsps=ocsps)
