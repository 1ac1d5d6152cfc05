"""STI certificates (ATIS-1000080, RFC 8226): the x5u chain, its path to an STI-PA anchor, and the
certificate profile.

Three separate questions, kept separate on purpose:

1. **Path** (:func:`build_path`). ``cryptography.x509.verification`` builds and checks the path
   from the x5u end-entity certificate to a configured anchor *at the reference time*, with the
   WebPKI rules for CA certificates. Its default end-entity policy demands a subjectAltName,
   which STI certificates never have (evidence-formats.md §1.3), so the end-entity policy here
   permits every extension and the STI-specific questions are asked by this module instead. The
   verifier is fast (≈ 0.2 ms) and has no revocation support; :mod:`vvp.stir.crl` adds the STI-PA
   CRL.
2. **Fitness for signing** (:func:`signing_fitness`): the security-relevant subset of the
   end-entity profile that the verdict enforces: not a CA, digitalSignature allowed when keyUsage
   is present, a P-256 key (the only one ES256 can use), and no critical extension vvp does not
   understand (RFC 5280 §4.2).
3. **Profile** (:func:`profile_findings`): the ATIS-1000080 v005 lint rules per role (root,
   intermediate, end entity) for basic constraints, key usage, CRL distribution points,
   certificate policies, TNAuthList and algorithms. Real certificates violate several of them
   (martinisecurity/shaken-pki-reports), so the verdict reports these as *warnings*; the rules
   themselves are strict and are tested against zlint's STI test certificates (docs/shaken.md).

The x5u body (:func:`load_x5u`) is a PEM chain, leaf first, or one DER certificate; at most
:data:`MAX_X5U_CERTS` certificates in at most :data:`MAX_X5U_BYTES` bytes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import SignatureAlgorithmOID
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from vvp import codes
from vvp.errors import EvidenceInvalid
from vvp.stir.tnauthlist import OID_TNAUTHLIST, X509_PARSE_ERRORS, TNAuthList, TNAuthListError, tnauthlist_of

# A SHAKEN x5u holds the end-entity certificate and perhaps its STI-CA intermediate: about 1-2 KB.
# 64 KiB and 5 certificates (evidence-formats.md §6) bound parsing and path building.
MAX_X5U_BYTES: Final = 65536
MAX_X5U_CERTS: Final = 5
# Anchor → (at most two intermediates) → end entity.
MAX_CHAIN_DEPTH: Final = 4

# SHAKEN certificate policy OIDs (SHAKEN CP 1.1 .. 1.4); ATIS-1000080 v005 accepts 1.3 and 1.4.
SHAKEN_CP_ARC: Final = "2.16.840.1.114569.1.1."
ACCEPTED_CP_VERSIONS: Final = frozenset({"1.3", "1.4"})
# An SPC is an OCN-like code: digits and upper-case letters (ATIS-1000080 via zlint).
_SPC_RE: Final = re.compile(r"\A[0-9A-Z]+\Z")
_PEM_RE: Final = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_B64_BODY_RE: Final = re.compile(rb"\A[A-Za-z0-9+/=\r\n \t]*\Z")

# Extensions whose meaning vvp knows, so that a critical one does not make a certificate unusable.
_KNOWN_EXTENSIONS: Final = frozenset({
    x509.BasicConstraints.oid, x509.KeyUsage.oid, x509.CertificatePolicies.oid, x509.AuthorityKeyIdentifier.oid,
    x509.SubjectKeyIdentifier.oid, x509.CRLDistributionPoints.oid, x509.ExtendedKeyUsage.oid,
    x509.SubjectAlternativeName.oid, x509.IssuerAlternativeName.oid, x509.AuthorityInformationAccess.oid,
    OID_TNAUTHLIST,
})


_PEM_ERRORS: Final[tuple[type[Exception], ...]] = (binascii.Error, *X509_PARSE_ERRORS)
_PATH_ERRORS: Final[tuple[type[Exception], ...]] = (TypeError, *X509_PARSE_ERRORS)
_NO_EXTENSION: Final[tuple[type[Exception], ...]] = (x509.ExtensionNotFound, *X509_PARSE_ERRORS)


class X5uError(EvidenceInvalid):
    """The x5u body is not a certificate chain vvp will read."""

    default_code = codes.SHAKEN_X5U_UNPARSABLE


# Pure functions of one certificate are memoised per certificate (certificates hash and compare
# by their DER): a provider signs millions of calls with one certificate, and the warm path should
# cost little more than the ES256 verify. Bounded, thread-safe (functools.lru_cache).
_MEMO: Final = 4096


@functools.lru_cache(maxsize=_MEMO)
def fingerprint(cert: x509.Certificate) -> str:
    """``sha256:<hex>`` of the DER: the subject used for per-certificate checks."""
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex()


@functools.lru_cache(maxsize=_MEMO)
def subject_text(cert: x509.Certificate) -> str:
    """The subject DN as RFC 4514 text, for messages (``cryptography`` parses names lazily, so a
    malformed one only shows up here)."""
    try:
        return cert.subject.rfc4514_string()
    except X509_PARSE_ERRORS:
        return "(unreadable subject)"


def load_pem_certificates(data: bytes, *, what: str = "PEM") -> tuple[x509.Certificate, ...]:
    """Every CERTIFICATE block of ``data``, in order. Text around the blocks is allowed (RFC 7468);
    any other block type (a private key served by mistake) and undecodable blocks are refused."""
    certs: list[x509.Certificate] = []
    for m in _PEM_RE.finditer(data):
        label, body = m.group(1), m.group(2)
        if label != b"CERTIFICATE":
            raise X5uError(f"{what} holds a {label.decode('ascii', 'replace')} block, not only certificates")
        if not _B64_BODY_RE.match(body):
            raise X5uError(f"{what} has a certificate block that is not base64")
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
            certs.append(x509.load_der_x509_certificate(der))
        except _PEM_ERRORS as e:
            raise X5uError(f"{what}: certificate {len(certs) + 1} cannot be read: {str(e)[:120]}") from None
    if not certs:
        raise X5uError(f"{what} holds no certificate")
    return tuple(certs)


def load_x5u(body: bytes) -> tuple[x509.Certificate, ...]:
    """The certificates of an x5u body (module docstring), leaf first; raise :class:`X5uError`."""
    if len(body) > MAX_X5U_BYTES:
        raise X5uError(f"x5u body of {len(body)} bytes exceeds {MAX_X5U_BYTES}")
    if b"-----BEGIN" in body:
        certs = load_pem_certificates(body, what="x5u PEM")
    else:
        try:
            certs = (x509.load_der_x509_certificate(body),)
        except X509_PARSE_ERRORS as e:
            raise X5uError(f"x5u body is neither PEM nor a DER certificate: {str(e)[:120]}") from None
    if len(certs) > MAX_X5U_CERTS:
        raise X5uError(f"x5u holds {len(certs)} certificates; at most {MAX_X5U_CERTS} are read")
    return certs


# --- path -------------------------------------------------------------------------------------

# STI end entities carry no subjectAltName or extendedKeyUsage, so the WebPKI end-entity policy
# would refuse every one of them; the STI questions are asked by signing_fitness/profile_findings.
_EE_POLICY: Final = ExtensionPolicy.permit_all()
_CA_POLICY: Final = ExtensionPolicy.webpki_defaults_ca()


@dataclass(frozen=True, slots=True)
class PathResult:
    """``chain`` (end entity first, anchor last) when the path validated, else a code and why."""

    ok: bool
    code: str
    message: str
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def window(self) -> tuple[_dt.datetime, _dt.datetime] | None:
        """The times at which every certificate of the chain is valid (for memoising a result)."""
        if not self.chain:
            return None
        return (max(c.not_valid_before_utc for c in self.chain), min(c.not_valid_after_utc for c in self.chain))


def end_entity_validity(leaf: x509.Certificate, at: _dt.datetime) -> tuple[str, str] | None:
    """``(code, message)`` when the end-entity certificate is outside its validity at ``at``.

    Checked before path building so that the most common failure gets its own code rather than
    the path builder's generic "not valid at validation time".
    """
    if at < leaf.not_valid_before_utc:
        return codes.SHAKEN_CERT_NOT_YET_VALID, (f"the certificate is valid from {leaf.not_valid_before_utc.isoformat()},"
                                                 f" after the reference time {at.isoformat()}")
    if at > leaf.not_valid_after_utc:
        return codes.SHAKEN_CERT_EXPIRED, (f"the certificate expired {leaf.not_valid_after_utc.isoformat()}, "
                                           f"before the reference time {at.isoformat()}")
    return None


def build_path(leaf: x509.Certificate, intermediates: Sequence[x509.Certificate],
               anchors: Sequence[x509.Certificate], at: _dt.datetime) -> PathResult:
    """Validate a path from ``leaf`` to one of ``anchors`` at ``at`` (module docstring, 1)."""
    if not anchors:
        return PathResult(False, codes.SHAKEN_NO_TRUST_ANCHORS, "no STI-PA trust anchor is configured (sti_pa)")
    bad_time = end_entity_validity(leaf, at)
    if bad_time is not None:
        return PathResult(False, *bad_time)
    try:
        verifier = (PolicyBuilder().store(Store(list(anchors))).time(at).max_chain_depth(MAX_CHAIN_DEPTH)
                    .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY).build_client_verifier())
        chain = verifier.verify(leaf, list(intermediates)).chain
    except VerificationError as e:
        return PathResult(False, codes.SHAKEN_CHAIN_INVALID, f"no valid path to an STI-PA anchor: {str(e)[:200]}")
    except _PATH_ERRORS as e:  # unusable certificate material inside cryptography
        return PathResult(False, codes.SHAKEN_CHAIN_INVALID, f"the chain cannot be evaluated: {str(e)[:200]}")
    return PathResult(True, codes.OK, f"path of {len(chain)} certificates to anchor "
                                      f"{subject_text(chain[-1])!r}", tuple(chain))


# --- fitness for signing ------------------------------------------------------------------------

def p256_public_key(cert: x509.Certificate) -> ec.EllipticCurvePublicKey | None:
    """The certificate's key when it is a P-256 key (the only one ES256 uses), else ``None``
    (also for keys ``cryptography`` cannot load)."""
    try:
        key = cert.public_key()
    except X509_PARSE_ERRORS:
        return None
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    return None


@functools.lru_cache(maxsize=_MEMO)
def signing_fitness(leaf: x509.Certificate) -> tuple[str, str] | None:
    """``(code, message)`` when the end-entity certificate must not sign a PASSporT (module docstring, 2)."""
    problems: list[str] = []
    try:
        exts = leaf.extensions
    except X509_PARSE_ERRORS as e:
        return codes.SHAKEN_CERT_NOT_FOR_SIGNING, f"the certificate's extensions cannot be read: {e}"
    for ext in exts:
        if isinstance(ext.value, x509.BasicConstraints) and ext.value.ca:
            problems.append("it is a CA certificate (basicConstraints cA TRUE)")
        elif isinstance(ext.value, x509.KeyUsage) and not ext.value.digital_signature:
            problems.append("its keyUsage does not allow digitalSignature")
        elif ext.critical and ext.oid not in _KNOWN_EXTENSIONS:
            problems.append(f"it has an unknown critical extension {ext.oid.dotted_string}")
    if p256_public_key(leaf) is None:
        problems.append("its key is not a P-256 key, the only one ES256 uses")
    if problems:
        return codes.SHAKEN_CERT_NOT_FOR_SIGNING, "; ".join(problems)
    return None


# --- profile ------------------------------------------------------------------------------------

class CertRole(StrEnum):
    ROOT = "root"
    INTERMEDIATE = "intermediate"
    END_ENTITY = "end-entity"

    @property
    def noun(self) -> str:
        return {"root": "a root", "intermediate": "an intermediate", "end-entity": "an end entity"}[self.value]


class ProfileRule(StrEnum):
    """The rule families of ATIS-1000080 v005 §6.4.1 that vvp lints."""

    BASIC_CONSTRAINTS = "basic_constraints"
    KEY_USAGE = "key_usage"
    CRL_DISTRIBUTION_POINTS = "crl_distribution_points"
    CERTIFICATE_POLICIES = "certificate_policies"
    TNAUTHLIST = "tnauthlist"
    ALGORITHMS = "algorithms"


RULE_CODES: Final[dict[ProfileRule, str]] = {
    ProfileRule.BASIC_CONSTRAINTS: codes.SHAKEN_PROFILE_BASIC_CONSTRAINTS,
    ProfileRule.KEY_USAGE: codes.SHAKEN_PROFILE_KEY_USAGE,
    ProfileRule.CRL_DISTRIBUTION_POINTS: codes.SHAKEN_PROFILE_CRL_DISTRIBUTION_POINT,
    ProfileRule.CERTIFICATE_POLICIES: codes.SHAKEN_PROFILE_CERTIFICATE_POLICY,
    ProfileRule.TNAUTHLIST: codes.SHAKEN_PROFILE_TNAUTHLIST,
    ProfileRule.ALGORITHMS: codes.SHAKEN_PROFILE_ALGORITHM,
}
# Per-rule check ids in the verdict (docs/shaken.md).
RULE_CHECK_IDS: Final[dict[ProfileRule, str]] = {
    ProfileRule.BASIC_CONSTRAINTS: "X-SHAKEN-40", ProfileRule.KEY_USAGE: "X-SHAKEN-41",
    ProfileRule.CRL_DISTRIBUTION_POINTS: "X-SHAKEN-42", ProfileRule.CERTIFICATE_POLICIES: "X-SHAKEN-43",
    ProfileRule.TNAUTHLIST: "X-SHAKEN-44", ProfileRule.ALGORITHMS: "X-SHAKEN-45",
}


@dataclass(frozen=True, slots=True)
class ProfileFinding:
    """One rule family judged on one certificate: ``ok``, or the violations found."""

    rule: ProfileRule
    ok: bool
    message: str

    @property
    def code(self) -> str:
        return RULE_CODES[self.rule]


def shaken_cp_version(cert: x509.Certificate) -> tuple[str, ...]:
    """The SHAKEN CP versions (``"1.3"`` …) named in the certificate's policies, in order."""
    try:
        cps = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except _NO_EXTENSION:
        return ()
    out = []
    for p in cps:
        oid = p.policy_identifier.dotted_string
        if oid.startswith(SHAKEN_CP_ARC) and oid[len(SHAKEN_CP_ARC):].isdigit():
            out.append("1." + oid[len(SHAKEN_CP_ARC):])
    return tuple(out)


def _ext(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension[x509.ExtensionType] | None:
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None


def _basic_constraints(cert: x509.Certificate, role: CertRole) -> list[str]:
    ext = _ext(cert, x509.BasicConstraints.oid)
    if ext is None:
        return ["basicConstraints is missing"]
    out = [] if ext.critical else ["basicConstraints is not critical"]
    assert isinstance(ext.value, x509.BasicConstraints)
    want_ca = role is not CertRole.END_ENTITY
    if ext.value.ca is not want_ca:
        out.append(f"basicConstraints cA is {ext.value.ca}, {role.noun} needs {want_ca}")
    if role is CertRole.END_ENTITY and ext.value.path_length is not None:
        out.append("an end entity has a pathLenConstraint")
    return out


_KU_FLAGS: Final = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                    "key_agreement", "key_cert_sign", "crl_sign")


def _key_usage(cert: x509.Certificate, role: CertRole) -> list[str]:
    ext = _ext(cert, x509.KeyUsage.oid)
    if ext is None:
        return ["keyUsage is missing"]
    out = [] if ext.critical else ["keyUsage is not critical"]
    ku = ext.value
    assert isinstance(ku, x509.KeyUsage)
    have = {f for f in _KU_FLAGS if getattr(ku, f)}
    if ku.key_agreement and (ku.encipher_only or ku.decipher_only):
        have.add("encipher_only" if ku.encipher_only else "decipher_only")
    want = {"digital_signature"} if role is CertRole.END_ENTITY else {"key_cert_sign"}
    if have != want:
        out.append(f"keyUsage is {sorted(have)}, {role.noun} needs exactly {sorted(want)}")
    return out


def _crl_distribution_points(cert: x509.Certificate, role: CertRole) -> list[str]:
    ext = _ext(cert, x509.CRLDistributionPoints.oid)
    if role is CertRole.ROOT:
        return ["a root carries CRL distribution points"] if ext is not None else []
    if ext is None:
        return ["CRL distribution points are missing"]
    dps = ext.value
    assert isinstance(dps, x509.CRLDistributionPoints)
    if len(dps) != 1:
        return [f"{len(dps)} distribution points; exactly one is required"]
    dp = dps[0]
    out = []
    if dp.relative_name is not None or dp.reasons is not None:
        out.append("the distribution point has a relative name or reasons")
    names = list(dp.full_name or ())
    if len(names) != 1:
        return out + [f"the distribution point has {len(names)} names; exactly one URL is required"]
    gn = names[0]
    if not isinstance(gn, x509.UniformResourceIdentifier):
        return out + ["the distribution point name is not a URL"]
    if not gn.value.lower().startswith(("http://", "https://")):
        out.append(f"the distribution point URL {gn.value!r} is not http(s)")
    return out


def _certificate_policies(cert: x509.Certificate, role: CertRole) -> list[str]:
    ext = _ext(cert, x509.CertificatePolicies.oid)
    if role is CertRole.ROOT:
        return ["a root carries certificate policies"] if ext is not None else []
    if ext is None:
        return ["certificatePolicies is missing"]
    out = ["certificatePolicies is critical"] if ext.critical else []
    cps = ext.value
    assert isinstance(cps, x509.CertificatePolicies)
    oids = [p.policy_identifier.dotted_string for p in cps]
    if len(oids) != 1:
        return out + [f"{len(oids)} policies ({', '.join(oids)}); exactly one SHAKEN CP OID is required"]
    versions = shaken_cp_version(cert)
    if not versions:
        out.append(f"policy {oids[0]} is not a SHAKEN CP OID")
    elif versions[0] not in ACCEPTED_CP_VERSIONS:
        out.append(f"SHAKEN CP {versions[0]} is superseded; ATIS-1000080 v005 accepts CP 1.3 or 1.4")
    return out


def _tnauthlist(cert: x509.Certificate, role: CertRole) -> list[str]:
    if role is not CertRole.END_ENTITY:
        return ["a CA certificate carries a TNAuthList"] if _ext(cert, OID_TNAUTHLIST) is not None else []
    try:
        tal = tnauthlist_of(cert)
    except TNAuthListError as e:
        return [e.message]
    if tal is None:
        return ["TNAuthList is missing"]
    return spc_problems(tal) + (["the TNAuthList lists TNs or ranges; ATIS-1000080 v005 wants only the SPC"]
                                if tal.lists_numbers else [])


def spc_problems(tal: TNAuthList) -> list[str]:
    """ATIS-1000080's SPC rule: exactly one SPC, made of digits and upper-case letters."""
    if not tal.spcs:
        return ["the TNAuthList has no SPC"]
    out = [] if len(tal.spcs) == 1 else [f"the TNAuthList has {len(tal.spcs)} SPCs; exactly one is allowed"]
    out += [f"SPC {s!r} is not digits and upper-case letters" for s in tal.spcs if not _SPC_RE.match(s)]
    return out


def _algorithms(cert: x509.Certificate, role: CertRole) -> list[str]:
    out = []
    key = cert.public_key()
    curves: tuple[type[ec.EllipticCurve], ...] = (ec.SECP256R1,) if role is CertRole.END_ENTITY else (
        ec.SECP256R1, ec.SECP384R1)
    if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, curves)):
        out.append(f"the key is {type(key).__name__.removeprefix('_')}"
                   + (f" on {key.curve.name}" if isinstance(key, ec.EllipticCurvePublicKey) else "")
                   + f"; {role.noun} needs P-256" + (" or P-384" if role is not CertRole.END_ENTITY else ""))
    sig = cert.signature_algorithm_oid
    allowed = {SignatureAlgorithmOID.ECDSA_WITH_SHA256, SignatureAlgorithmOID.ECDSA_WITH_SHA384}
    if sig not in allowed:
        out.append(f"signed with {sig.dotted_string}, not ecdsa-with-SHA256 (or SHA-384)")
    return out


_RULES: Final = {
    ProfileRule.BASIC_CONSTRAINTS: _basic_constraints, ProfileRule.KEY_USAGE: _key_usage,
    ProfileRule.CRL_DISTRIBUTION_POINTS: _crl_distribution_points,
    ProfileRule.CERTIFICATE_POLICIES: _certificate_policies, ProfileRule.TNAUTHLIST: _tnauthlist,
    ProfileRule.ALGORITHMS: _algorithms,
}


@functools.lru_cache(maxsize=_MEMO)
def profile_findings(cert: x509.Certificate, role: CertRole) -> tuple[ProfileFinding, ...]:
    """Every rule family of :class:`ProfileRule` judged on ``cert`` in ``role`` (module docstring, 3)."""
    out: list[ProfileFinding] = []
    for rule, fn in _RULES.items():
        try:
            problems = fn(cert, role)
        except X509_PARSE_ERRORS as e:  # duplicate or undecodable extensions, odd keys
            problems = [f"the certificate cannot be read for this rule: {e}"]
        out.append(ProfileFinding(rule, not problems, "; ".join(problems) if problems else "conforms"))
    return tuple(out)


def role_in_chain(index: int, chain_length: int) -> CertRole:
    """End entity first, anchor (treated as the root) last."""
    if index == 0:
        return CertRole.END_ENTITY
    return CertRole.ROOT if index == chain_length - 1 else CertRole.INTERMEDIATE
