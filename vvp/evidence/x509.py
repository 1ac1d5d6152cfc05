"""X.509 evidence (``application/pkix-cert``, ``application/pem-certificate-chain``): a certificate
verified under its own rules at the reference time (architecture §2.3, evidence-formats §5).

What it proves, in order:

1. The bytes are certificate material read strictly (:func:`vvp.evidence.pkix.load_certificates`):
   one DER certificate, or PEM ``CERTIFICATE`` blocks with nothing but whitespace around them,
   leaf first, at most 8, at most 64 KiB.
2. RFC 5280 path from the leaf (with the other certificates as intermediates) to a ``foreign.x509``
   anchor at the reference time, revocation judged from the CRLs and OCSP responses carried as
   related artifacts (:mod:`vvp.evidence.pkix`). No anchor configured: INDETERMINATE
   (``FOREIGN_ANCHOR_NOT_CONFIGURED``), never VALID.
3. TNAuthList (RFC 8226): the leaf's extension decoded strictly by :mod:`vvp.stir.tnauthlist`;
   a malformed one is INVALID. Delegate certificates (RFC 9060): along the validated path, a
   certificate's listed numbers must lie inside its issuer's TNAuthList (when the issuer lists
   numbers; an issuer with only an SPC cannot be compared without an SPC → TN mapping, and is
   reported as not judged).
4. STI certificates (a TNAuthList or a SHAKEN certificate policy) are linted with the ATIS-1000080
   profile rules of :mod:`vvp.stir.certs`, as *warnings* (``native["profile"]``), like SHAKEN
   does; on a validated path, certificates that take part in RFC 9060 delegation (a TNAuthList
   issued under a TNAuthList) are not held to ATIS-1000080's TNAuthList rule (one SPC, no TNs,
   none in CAs), which delegation contradicts by design.
5. When the call's ``orig`` is given and the TNAuthList lists numbers, ``orig`` must be one of
   them (``EVIDENCE_TN_NOT_COVERED``); an SPC-only list leaves coverage unknown (``None``).

Facts: TNs and ranges (E.164 with ``+``), SPCs, the subject's organisation name, an LEI from an
ETSI EN 319 412-1 ``organizationIdentifier`` of the form ``LEIXG-<LEI>``, other organisation
identifiers and serial numbers as registration ids, and the first DNS name of the
subjectAltName (the VESPER entity domain). Whether these name the same party as the ACDCs is
not decided here (the bridge compares, :mod:`vvp.evidence.bridge`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.x509.oid import NameOID

from vvp import codes
from vvp.evidence import pkix
from vvp.evidence.base import ArtifactResult, CheckContext, Facts
from vvp.stir import certs as sti
from vvp.stir.tnauthlist import OID_TNAUTHLIST, X509_PARSE_ERRORS, TNAuthList, TNAuthListError, TnRange, tnauthlist_of
from vvp.tn import try_normalize_tn
from vvp.verdict import Status, worst

MEDIA_TYPES: Final = ("application/pkix-cert", "application/pem-certificate-chain", "application/x-pem-file")
_LEI_PREFIX: Final = "LEIXG-"
_RANGE_ENUMERATION_LIMIT: Final = 10000
"""A child range is compared number by number with the issuer's TNs only up to this size."""


@dataclass
class Findings:
    """Collects (status, code, message) while a checker works; the worst status wins."""

    items: list[tuple[Status, str, str]] = field(default_factory=list)

    def add(self, status: Status, code: str, message: str) -> None:
        self.items.append((status, code, message))

    @property
    def status(self) -> Status:
        bad = [s for s, _, _ in self.items if s is not Status.VALID]
        return worst(bad) if bad else Status.VALID

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for s, c, _ in self.items if s is not Status.VALID))

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(m for _, _, m in self.items)


@functools.lru_cache(maxsize=64)
def _parse_anchors(files: tuple[bytes, ...]) -> tuple[tuple[x509.Certificate, ...], str | None]:
    """Anchors parsed once per content (a service judges many artifacts with one trust store)."""
    try:
        return pkix.load_anchor_files(files), None
    except pkix.X509Error as e:
        return (), e.message


def anchors_for(ctx: CheckContext, key: str) -> tuple[x509.Certificate, ...]:
    """The anchors of ``foreign.<key>`` (``x509``, ``rtu_authorities``): the bytes the trust store
    read when it was loaded (:attr:`ForeignTrust.files`); only a ForeignTrust made by hand (tests,
    tools) has its paths read here. :class:`pkix.X509Error` (``FOREIGN_ANCHOR_UNREADABLE``) when a
    file cannot be read or holds no readable certificate."""
    files = ctx.trust.files.get(key)
    if files is None:
        read: list[bytes] = []
        for p in getattr(ctx.trust, key):
            try:
                read.append(p.read_bytes())
            except OSError as e:
                raise pkix.X509Error(f"foreign.{key} file {p} cannot be read: {e.strerror or e}",
                                     code=codes.FOREIGN_ANCHOR_UNREADABLE) from None
        files = tuple(read)
    certs, problem = _parse_anchors(tuple(files))
    if problem is not None:
        raise pkix.X509Error(f"foreign.{key}: {problem}", code=codes.FOREIGN_ANCHOR_UNREADABLE)
    return certs


# --- facts ----------------------------------------------------------------------------------------

def _e164(tn: str) -> str:
    return "+" + tn if tn.isdigit() else tn


def tn_facts(tal: TNAuthList | None) -> dict[str, Any]:
    """The Facts fields of a TNAuthList (numbers E.164 with ``+``, ranges as first/last)."""
    if tal is None:
        return {}
    return {"tns": tuple(_e164(t) for t in tal.tns),
            "tn_ranges": tuple((_e164(r.start), _e164(r.last)) for r in tal.ranges), "spcs": tal.spcs}


def _attrs(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [a.value for a in name.get_attributes_for_oid(oid) if isinstance(a.value, str)]


def certificate_facts(cert: x509.Certificate, tal: TNAuthList | None) -> Facts:
    """What a certificate asserts (module docstring)."""
    orgs = _attrs(cert.subject, NameOID.ORGANIZATION_NAME)
    ids = _attrs(cert.subject, NameOID.ORGANIZATION_IDENTIFIER)
    lei = next((i[len(_LEI_PREFIX):] for i in ids if i.startswith(_LEI_PREFIX)), None)
    regs = tuple(i for i in ids if not i.startswith(_LEI_PREFIX)) + tuple(_attrs(cert.subject, NameOID.SERIAL_NUMBER))
    domain = None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = san.get_values_for_type(x509.DNSName)
        domain = dns[0].lower() if dns else None
    except x509.ExtensionNotFound:
        pass
    return Facts(legal_name=orgs[0] if orgs else None, lei=lei, registration_ids=regs, domain=domain,
                 **tn_facts(tal))


def covers_orig(tal: TNAuthList | None, orig: str | None) -> bool | None:
    """Whether the TNAuthList covers ``orig`` (None: no orig, no list, or an SPC-only list)."""
    tn = try_normalize_tn(orig) if orig is not None else None
    if tal is None or tn is None or not tal.lists_numbers:
        return None
    return tal.covers(tn)


# --- RFC 9060 delegation ------------------------------------------------------------------------

def _range_inside(r: TnRange, parent: TNAuthList) -> bool:
    if any(len(p.start) == len(r.start) and p.covers(r.start) and p.covers(r.last) for p in parent.ranges):
        return True
    if r.count > _RANGE_ENUMERATION_LIMIT:
        return False
    width = len(r.start)
    return all(parent.covers(str(int(r.start) + i).zfill(width)) for i in range(r.count))


def delegation_problems(child: TNAuthList, parent: TNAuthList) -> list[str] | None:
    """What ``child`` lists beyond ``parent`` (RFC 9060 §5: a delegate's scope is within its
    issuer's); None when the parent lists only SPCs (cannot be compared)."""
    if not parent.lists_numbers:
        return None if child.lists_numbers else [f"SPC {s!r} not in the issuer's SPCs" for s in child.spcs
                                                 if s not in parent.spcs]
    out = [f"TN +{t}" for t in child.tns if not parent.covers(t)]
    out += [f"range +{r.start}..+{r.last}" for r in child.ranges if not _range_inside(r, parent)]
    out += [f"SPC {s!r}" for s in child.spcs if s not in parent.spcs]
    return out


def _tal_or_error(cert: x509.Certificate, what: str, f: Findings) -> tuple[TNAuthList | None, bool]:
    try:
        return tnauthlist_of(cert), True
    except TNAuthListError as e:
        f.add(Status.INVALID, codes.X509_TNAUTHLIST_MALFORMED, f"{what}: {e.message}")
        return None, False


def check_delegation(path: Sequence[x509.Certificate], f: Findings) -> str:
    """RFC 9060 along ``path`` (leaf first): ``ok``, ``not_judged`` or ``exceeds``."""
    state = "ok"
    for i in range(len(path) - 1):
        child, parent = path[i], path[i + 1]
        try:
            c_tal, p_tal = tnauthlist_of(child), tnauthlist_of(parent)
        except TNAuthListError:
            continue  # reported by the caller for the leaf; a CA's malformed list fails below
        if c_tal is None or p_tal is None:
            continue
        problems = delegation_problems(c_tal, p_tal)
        if problems is None:
            state = "not_judged" if state == "ok" else state
        elif problems:
            state = "exceeds"
            f.add(Status.INVALID, codes.X509_DELEGATION_EXCEEDS_PARENT,
                  f"{pkix.subject_text(child)!r} lists {', '.join(problems[:5])} outside the TNAuthList of its "
                  f"issuer {pkix.subject_text(parent)!r}")
    return state


# --- STI profile (warnings) ---------------------------------------------------------------------

def is_sti(cert: x509.Certificate) -> bool:
    """An STI certificate: it carries a TNAuthList or a SHAKEN certificate policy."""
    try:
        cert.extensions.get_extension_for_oid(OID_TNAUTHLIST)
        return True
    except x509.ExtensionNotFound:
        pass
    except X509_PARSE_ERRORS:
        return False
    return bool(sti.shaken_cp_version(cert))


def role_of(cert: x509.Certificate) -> sti.CertRole:
    """A certificate's role read from itself (for chains not validated to an anchor)."""
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        ca = bc.ca
    except x509.ExtensionNotFound:
        ca = False
    if not ca:
        return sti.CertRole.END_ENTITY
    return sti.CertRole.ROOT if self_signed(cert) else sti.CertRole.INTERMEDIATE


def self_signed(cert: x509.Certificate) -> bool:
    """Issuer = subject and the signature verifies with the certificate's own key."""
    try:
        cert.verify_directly_issued_by(cert)
        return True
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False


def _delegation_members(path: Sequence[x509.Certificate]) -> set[int]:
    """Indices of a validated path that take part in RFC 9060 delegation: a certificate with a
    TNAuthList issued by one with a TNAuthList (both of them)."""
    def has(c: x509.Certificate) -> bool:
        try:
            return tnauthlist_of(c) is not None
        except TNAuthListError:
            return False
    out: set[int] = set()
    for i in range(len(path) - 1):
        if has(path[i]) and has(path[i + 1]):
            out |= {i, i + 1}
    return out


def profile_warnings(chain: Sequence[x509.Certificate], *, validated: bool) -> list[dict[str, Any]]:
    """ATIS-1000080 findings that fail, per certificate of an STI chain (module docstring, 4)."""
    if not chain or not is_sti(chain[0]):
        return []
    delegation = _delegation_members(chain) if validated else set()
    out: list[dict[str, Any]] = []
    for i, cert in enumerate(chain):
        role = sti.role_in_chain(i, len(chain)) if validated else role_of(cert)
        for fnd in sti.profile_findings(cert, role):
            if fnd.ok or (i in delegation and fnd.rule is sti.ProfileRule.TNAUTHLIST):
                continue
            out.append({"certificate": pkix.subject_text(cert), "role": role.value, "rule": fnd.rule.value,
                        "code": fnd.code, "message": fnd.message})
    return out


# --- the checker --------------------------------------------------------------------------------

class X509Checker:
    """The X.509 checker (module docstring)."""

    media_types: tuple[str, ...] = MEDIA_TYPES

    def check(self, data: bytes, media_type: str, ctx: CheckContext) -> ArtifactResult:
        f = Findings()
        native: dict[str, Any] = {"revocation_mode": ctx.policy.foreign_revocation}
        try:
            chain = pkix.load_certificates(data)
        except pkix.X509Error as e:
            return ArtifactResult(media_type, Status.INVALID, (e.code,), (e.message,), native=native)
        leaf = chain[0]
        native["chain"] = [pkix.subject_text(c) for c in chain]
        native["not_before"] = leaf.not_valid_before_utc.isoformat()
        native["not_after"] = leaf.not_valid_after_utc.isoformat()
        tal, _ = _tal_or_error(leaf, "the certificate's TNAuthList", f)
        if tal is not None:
            native["tnauthlist"] = tal.describe()
        facts = certificate_facts(leaf, tal)
        anchor: str | None = None
        path: tuple[x509.Certificate, ...] = ()
        try:
            revinfo = pkix.load_revinfo(ctx.related)
            native["revinfo"] = {"crls": len(revinfo.crls), "ocsp_responses": len(revinfo.ocsps)}
            anchors = anchors_for(ctx, "x509")
        except pkix.X509Error as e:
            status = Status.INDETERMINATE if e.code == codes.FOREIGN_ANCHOR_UNREADABLE else Status.INVALID
            f.add(status, e.code, e.message)
        else:
            outcome = pkix.validate_at(leaf, chain[1:], anchors, ctx.reference_time, revinfo=revinfo,
                                       revocation=ctx.policy.foreign_revocation, what="the certificate")
            f.add(outcome.status, outcome.code, outcome.message)
            if outcome.status is Status.VALID:
                path = outcome.path
                anchor = pkix.anchor_text(path[-1])
                native["path"] = [pkix.subject_text(c) for c in path]
                native["revocation"] = outcome.revocation
                if outcome.revocation == "unknown":
                    native["revocation_note"] = outcome.revocation_note
                    f.add(Status.VALID, codes.X509_REVOCATION_UNKNOWN,
                          f"revocation not checked (soft-fail): {outcome.revocation_note}")
                native["delegation"] = check_delegation(path, f)
        native["profile"] = profile_warnings(path or chain, validated=bool(path))
        covered = covers_orig(tal, ctx.orig)
        native["covers_orig"] = covered
        if covered is False:
            f.add(Status.INVALID, codes.EVIDENCE_TN_NOT_COVERED,
                  f"the TNAuthList ({tal.describe() if tal else ''}) does not cover {ctx.orig}")
        return ArtifactResult(media_type, f.status, f.codes, f.messages, anchor=anchor, facts=facts, native=native)
