"""The bridge: foreign evidence bound into a verified dossier by bridging ACDCs, judged for the
``evidence`` claim (architecture §2.3, §4.3; vvp-protocol §3.11).

For every credential of the dossier whose schema plays the ``faa`` (Foreign Artifact Affidavit)
or ``citation`` role:

1. The bridge itself must have verified as an ACDC at the reference time (issuance, schema,
   edges, revocation: the dossier's own checks) and be issued then (``X-EVIDENCE-01``).
2. Its attributes name the artifact: ``art_digest`` and/or ``content_identifier`` (equal when both
   are there), ``content_type`` and ``content_location`` (a URL or a list of them, ``data:`` URIs
   included); a citation may instead use its own fields ``typ``, ``loc`` and ``content.cargo``
   (cargo is either a CESR digest of the content or the content itself in base64url). The bytes
   are obtained from the first location that works: a ``data:`` URI decoded within the fetch size
   limit, or a URL through the fetcher (kind ``artifact``, so it is recorded like all evidence)
   (``X-EVIDENCE-02``).
3. The bytes must hash to the bound digest, recomputed with the algorithm the CESR code names
   (:func:`vvp._keri.digests.check_digest`) (``X-EVIDENCE-03``).
4. The artifact is judged under its own rules by the checker for its media type
   (:func:`vvp.evidence.registry.check_artifact`), with the dossier's CRLs and OCSP responses
   (artifacts of those media types, themselves bridged) as its revocation data (``X-EVIDENCE-04``).
5. Its facts are compared with what the ACDCs proved (``X-EVIDENCE-05``): its telephone numbers
   with the call's ``orig`` when that number is in a TN allocation held by the accountable party
   or the signer, and its LEI with the LEI of the dossier's vetting credential. ``consistent`` is
   false when one of them contradicts, true when one agrees and none contradicts, null when
   nothing could be compared (a warning: the verifier never assumes the artifact and the ACDCs
   name the same party).

The bridge's ``art_posture`` and ``rev_latency`` are shown; no link between the artifact's
revocation and the bridge's is assumed (``X-EVIDENCE-06`` says so when ``rev_latency`` is given).
Each artifact's status is the worst of its checks; the claim is the worst over its artifacts; it
counts in the overall status only under ``foreign_evidence: "strict"``. No bridge: one
not-applicable check, and the claim is NOT_APPLICABLE.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from vvp import codes, jose
from vvp._keri.digests import check_digest
from vvp.caller.authorization import Parties, find_allocation
from vvp.dossier import Credential, DossierResult
from vvp.errors import FetchError
from vvp.evidence.base import ArtifactResult, CheckContext, EvidencePolicy, Facts, ForeignTrust
from vvp.evidence.pkix import X509Error, load_revinfo
from vvp.evidence.registry import REVOCATION_TYPES, check_artifact
from vvp.fetch import EvidenceKind, Fetcher
from vvp.fetch import media_type as normalise_media_type
from vvp.tn import try_normalize_tn
from vvp.verdict import (Check, CheckStatus, Status, claim_status, failed, indeterminate, not_applicable, passed,
                          warned, worst)

CLAIM: Final = "evidence"
BRIDGE_ROLES: Final = ("faa", "citation")
MAX_LOCATIONS: Final = 4
"""Locations tried per artifact (the FAA allows a list for redundant hosting)."""
_DATA_URI_RE: Final = re.compile(r"\Adata:([^,]*),(.*)\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Bound:
    """What a bridge says about its artifact (module docstring, 2)."""

    digest: str | None
    media_type: str | None
    locations: tuple[str, ...]
    embedded: bytes | None = None
    posture: str | None = None
    rev_latency: int | None = None
    problem: tuple[str, str, str] | None = None
    """(check status, code, message) when the attributes themselves are unusable."""


@dataclass
class _Entry:
    """One artifact as it is judged (mutable while the bridge works; frozen into JSON at the end)."""

    cred: Credential
    role: str
    bound: Bound
    checks: list[Check] = field(default_factory=list)
    data: bytes | None = None
    location: str | None = None
    result: ArtifactResult | None = None
    consistent: bool | None = None

    @property
    def said(self) -> str:
        return self.cred.said

    def add(self, c: Check) -> None:
        self.checks.append(c)

    @property
    def status(self) -> Status:
        return claim_status(self.checks).status

    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {"bridge": self.said, "role": self.role, "media_type": self.bound.media_type,
                "digest": self.bound.digest, "status": self.status.value,
                "codes": list(dict.fromkeys(c.code for c in self.checks
                                            if c.status in (CheckStatus.FAIL, CheckStatus.INDETERMINATE))),
                "anchor": r.anchor if r is not None else None, "facts": (r.facts if r is not None else Facts()).to_json(),
                "consistent": self.consistent, "art_posture": self.bound.posture,
                "rev_latency": self.bound.rev_latency, "location": self.location,
                "native": dict(r.native) if r is not None else {}}


@dataclass(frozen=True, slots=True)
class EvidenceOutcome:
    """The ``evidence`` claim's checks and its verdict details (``artifacts``, architecture §4.3)."""

    checks: tuple[Check, ...]
    detail: Mapping[str, Any]


# --- reading a bridge ---------------------------------------------------------------------------

def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def read_bridge(role: str, attrs: Mapping[str, Any] | None) -> Bound:
    """The artifact a bridge's attributes bind (module docstring, 2)."""
    if attrs is None:
        return Bound(None, None, (), problem=("indeterminate", codes.BRIDGE_ATTRIBUTES_COMPACT,
                                              "the bridge's attributes are compacted to a SAID"))
    art, cid = attrs.get("art_digest"), attrs.get("content_identifier")
    for name, v in (("art_digest", art), ("content_identifier", cid)):
        if v is not None and _str(v) is None:
            return Bound(None, None, (), problem=("fail", codes.BRIDGE_FIELD_INVALID, f"{name} is not a string"))
    if art is not None and cid is not None and art != cid:
        return Bound(None, None, (), problem=("fail", codes.BRIDGE_DIGEST_CONFLICT,
                                              f"art_digest {art} and content_identifier {cid} differ"))
    digest: str | None = art or cid
    mt = attrs.get("content_type", attrs.get("typ"))
    loc = attrs.get("content_location", attrs.get("loc"))
    posture, latency = attrs.get("art_posture"), attrs.get("rev_latency")
    if mt is not None and _str(mt) is None:
        return Bound(digest, None, (), problem=("fail", codes.BRIDGE_FIELD_INVALID, "content_type is not a string"))
    if latency is not None and (type(latency) is not int or latency < 0):
        return Bound(digest, mt, (), problem=("fail", codes.BRIDGE_FIELD_INVALID,
                                              "rev_latency is not a non-negative integer"))
    locations: tuple[str, ...] = ()
    if isinstance(loc, str):
        locations = (loc,)
    elif isinstance(loc, list) and loc and all(isinstance(x, str) for x in loc):
        locations = tuple(loc)
    elif loc is not None:
        return Bound(digest, mt, (), problem=("fail", codes.BRIDGE_FIELD_INVALID,
                                              "content_location is not a URI or a list of URIs"))
    embedded: bytes | None = None
    content = attrs.get("content") if role == "citation" else None
    if isinstance(content, Mapping) and digest is None:
        cargo = content.get("cargo")
        if isinstance(cargo, str) and cargo:
            if check_digest(cargo, b"").matches is not None:
                digest = cargo  # a CESR digest that indexes the content
            else:
                try:
                    embedded = jose.b64url_decode(cargo, what="content.cargo")
                except jose.JoseError as e:
                    return Bound(None, mt, locations, problem=("fail", codes.BRIDGE_FIELD_INVALID, e.message))
    elif isinstance(content, str) and digest is None:
        return Bound(None, mt, locations, problem=("indeterminate", codes.BRIDGE_ATTRIBUTES_COMPACT,
                                                   "the citation's content section is compacted to a SAID"))
    return Bound(digest, mt, locations, embedded, posture if isinstance(posture, str) else None, latency)


# --- obtaining the bytes ------------------------------------------------------------------------

class _DataUriError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def decode_data_uri(uri: str, max_bytes: int) -> tuple[str | None, bytes]:
    """(media type, bytes) of an RFC 2397 ``data:`` URI, refusing anything that would decode to
    more than ``max_bytes`` before decoding it."""
    if len(uri) > 4 * (max_bytes // 3 + 1) * 3 + 1024:  # percent-encoding may triple; base64 is 4/3
        raise _DataUriError(codes.BRIDGE_DATA_URI_TOO_LARGE, f"the data: URI has {len(uri)} characters, beyond "
                                                               f"the {max_bytes}-byte limit")
    m = _DATA_URI_RE.match(uri)
    if m is None:
        raise _DataUriError(codes.BRIDGE_DATA_URI_INVALID, "not an RFC 2397 data: URI (no comma)")
    params = [p.strip() for p in m.group(1).split(";")]
    is_b64 = bool(params) and params[-1].lower() == "base64"
    mt = params[0].lower() if params and params[0] and "=" not in params[0] and params[0].lower() != "base64" else None
    body = m.group(2)
    try:
        if is_b64:
            text = urllib.parse.unquote(body, errors="strict")
            if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text):
                raise _DataUriError(codes.BRIDGE_DATA_URI_INVALID, "the data: URI's base64 has other characters")
            data = base64.b64decode(text, validate=True)
        else:
            data = urllib.parse.unquote_to_bytes(body)
    except (binascii.Error, UnicodeDecodeError, ValueError) as e:
        if isinstance(e, _DataUriError):
            raise
        raise _DataUriError(codes.BRIDGE_DATA_URI_INVALID, f"the data: URI does not decode: {e}") from None
    if len(data) > max_bytes:
        raise _DataUriError(codes.BRIDGE_DATA_URI_TOO_LARGE, f"the data: URI holds {len(data)} bytes, over {max_bytes}")
    return mt, data


def _obtain(e: _Entry, fetcher: Fetcher | None, max_bytes: int) -> None:
    """X-EVIDENCE-02: the first location that gives bytes (module docstring, 2)."""
    b = e.bound
    if b.embedded is not None:
        e.data, e.location = b.embedded, "embedded"
        e.add(passed("X-EVIDENCE-02", CLAIM, f"the artifact is embedded in the bridge ({len(b.embedded)} bytes)",
                     e.said))
        return
    if not b.locations:
        e.add(indeterminate("X-EVIDENCE-02", CLAIM, codes.BRIDGE_NO_LOCATION,
                            "the bridge gives no location for its artifact", e.said))
        return
    last: tuple[str, str] = (codes.BRIDGE_ARTIFACT_UNAVAILABLE, "no location could be used")
    for loc in b.locations[:MAX_LOCATIONS]:
        if loc.lower().startswith("data:"):
            try:
                _, e.data = decode_data_uri(loc, max_bytes)
            except _DataUriError as ex:
                e.add(failed("X-EVIDENCE-02", CLAIM, ex.code, str(ex), e.said))
                return
            e.location = "data:"
            e.add(passed("X-EVIDENCE-02", CLAIM, f"the artifact is in a data: URI ({len(e.data)} bytes)", e.said))
            return
        if not loc.lower().startswith(("http://", "https://")):
            last = (codes.BRIDGE_ARTIFACT_UNAVAILABLE, f"{loc[:80]!r} is not a location vvp fetches")
            continue
        if fetcher is None:
            last = (codes.FETCH_OFFLINE, f"{loc}: nothing may be fetched here")
            continue
        try:
            got = fetcher.fetch(loc, EvidenceKind.ARTIFACT)
        except FetchError as ex:
            last = (ex.code, ex.message)
            continue
        e.data, e.location = got.body, loc
        e.add(passed("X-EVIDENCE-02", CLAIM, f"the artifact was obtained from {loc} ({len(got.body)} bytes)", e.said))
        return
    e.add(indeterminate("X-EVIDENCE-02", CLAIM, last[0], f"the artifact cannot be obtained: {last[1]}", e.said))


def _digest(e: _Entry) -> bool:
    """X-EVIDENCE-03; True when the bytes may be judged."""
    assert e.data is not None
    if e.bound.embedded is not None and e.bound.digest is None:
        e.add(passed("X-EVIDENCE-03", CLAIM, "the artifact is part of the bridge itself (covered by its SAID)", e.said))
        return True
    digest = e.bound.digest
    if digest is None:
        e.add(failed("X-EVIDENCE-03", CLAIM, codes.BRIDGE_NO_DIGEST, "the bridge binds no digest of its artifact",
                     e.said))
        return False
    dc = check_digest(digest, e.data)
    if dc.matches is True:
        e.add(passed("X-EVIDENCE-03", CLAIM, f"the artifact's {dc.algorithm} digest is {digest}", e.said))
        return True
    if dc.matches is None:
        e.add(indeterminate("X-EVIDENCE-03", CLAIM, codes.BRIDGE_DIGEST_UNSUPPORTED,
                            f"{digest[:60]!r} is not a CESR digest vvp recomputes: {dc.reason}", e.said))
        return False
    if digest.encode("ascii", "replace") in e.data:
        e.add(indeterminate("X-EVIDENCE-03", CLAIM, codes.BRIDGE_DIGEST_UNSUPPORTED,
                            f"the artifact holds its own identifier {digest} (a self-addressing artifact, xSAID): "
                            "vvp recomputes plain digests only", e.said))
        return False
    e.add(failed("X-EVIDENCE-03", CLAIM, codes.BRIDGE_DIGEST_MISMATCH,
                 f"the artifact's {dc.algorithm} digest is not {digest}: these are not the bytes the bridge bound",
                 e.said))
    return False


# --- consistency --------------------------------------------------------------------------------

def _lei_of_vetting(d: DossierResult) -> str | None:
    for c in d.by_role("vetting"):
        a = c.attributes
        if isinstance(a, Mapping) and isinstance(a.get("LEI"), str):
            return str(a["LEI"]).upper()
    return None


def _covers(facts: Facts, tn: str) -> bool:
    plus = "+" + tn
    if plus in facts.tns:
        return True
    return any(len(a) == len(plus) and a <= plus <= b for a, b in facts.tn_ranges)


def consistency(facts: Facts, d: DossierResult, orig: str | None, parties: Parties | None,
                signer: str | None) -> tuple[bool | None, list[str]]:
    """(consistent, reasons) (module docstring, 5)."""
    verdicts: list[bool] = []
    reasons: list[str] = []
    tn = try_normalize_tn(orig) if orig is not None else None
    if tn is not None and (facts.tns or facts.tn_ranges):
        holders = [h for h in ((parties.ap if parties else None), signer) if h]
        proven = find_allocation(d, tn, holders)[0] is not None if holders else False
        covered = _covers(facts, tn)
        if not covered:
            verdicts.append(False)
            reasons.append(f"its numbers do not include orig +{tn}")
        elif proven:
            verdicts.append(True)
            reasons.append(f"its numbers include orig +{tn}, which a TN allocation in the dossier proves")
        else:
            reasons.append(f"its numbers include orig +{tn}, which no TN allocation of the accountable party proves")
    lei = _lei_of_vetting(d)
    if facts.lei is not None and lei is not None:
        same = facts.lei.upper() == lei
        verdicts.append(same)
        reasons.append(f"its LEI {facts.lei} {'is' if same else 'is not'} the vetting credential's LEI {lei}")
    if False in verdicts:
        return False, reasons
    return (True if verdicts else None), reasons


# --- the claim ----------------------------------------------------------------------------------

def bridges_of(d: DossierResult) -> tuple[tuple[Credential, str], ...]:
    """The dossier's bridging credentials with their role, in graph order (once per result)."""
    def find() -> tuple[tuple[Credential, str], ...]:
        return tuple((c, next(r for r in BRIDGE_ROLES if r in c.roles)) for c in d.credentials.values()
                     if any(r in c.roles for r in BRIDGE_ROLES))
    return d.derived(("evidence-bridges",), find)


def _bridge_check(e: _Entry) -> None:
    c = e.cred
    if c.status is Status.VALID and c.state == "issued":
        e.add(passed("X-EVIDENCE-01", CLAIM, f"the {e.role} bridge verified as an ACDC and is issued at the "
                                             "reference time", e.said))
    elif c.status is Status.INVALID or c.state == "revoked":
        e.add(failed("X-EVIDENCE-01", CLAIM, codes.BRIDGE_NOT_VERIFIED,
                     f"the {e.role} bridge is {c.state} and its credential checks are {c.status.value}", e.said))
    else:
        e.add(indeterminate("X-EVIDENCE-01", CLAIM, codes.BRIDGE_NOT_VERIFIED,
                            f"the {e.role} bridge could not be verified (state {c.state}, checks "
                            f"{c.status.value})", e.said))


def _judge(e: _Entry, ctx: CheckContext, d: DossierResult, parties: Parties | None, signer: str | None) -> None:
    assert e.data is not None
    mt = normalise_media_type(e.bound.media_type)
    if mt in REVOCATION_TYPES:
        try:
            load_revinfo([(mt, e.data)])
        except X509Error as ex:
            e.add(failed("X-EVIDENCE-04", CLAIM, ex.code, ex.message, e.said))
            return
        e.result = ArtifactResult(mt, Status.VALID, native={"use": "revocation data for the other artifacts"})
        e.add(passed("X-EVIDENCE-04", CLAIM, f"{mt} read; used as revocation data for the other artifacts", e.said))
        return
    r = check_artifact(e.data, mt, ctx)
    e.result = r
    msg = "; ".join(r.messages)[:400] or r.status.value
    if r.status is Status.VALID:
        e.add(passed("X-EVIDENCE-04", CLAIM, f"{mt} verified under its own rules: {msg}", e.said))
    elif r.status is Status.INVALID:
        e.add(failed("X-EVIDENCE-04", CLAIM, r.codes[0] if r.codes else codes.EVIDENCE_CHECKER_FAILED, msg, e.said))
    else:
        e.add(indeterminate("X-EVIDENCE-04", CLAIM, r.codes[0] if r.codes else codes.EVIDENCE_CHECKER_FAILED, msg,
                            e.said))
    for p in r.native.get("profile", ())[:1]:
        e.add(warned("X-EVIDENCE-07", CLAIM, str(p["code"]), f"STI profile: {p['certificate']}: {p['message']}"
                     + (f" (and {len(r.native['profile']) - 1} more)" if len(r.native["profile"]) > 1 else ""),
                     e.said))
    if r.native.get("revocation") == "unknown":
        e.add(warned("X-EVIDENCE-08", CLAIM, codes.X509_REVOCATION_UNKNOWN,
                      f"revocation not checked (soft-fail): {r.native.get('revocation_note', '')}"[:300], e.said))
    e.consistent, reasons = consistency(r.facts, d, ctx.orig, parties, signer)
    why = "; ".join(reasons)
    if e.consistent is True:
        e.add(passed("X-EVIDENCE-05", CLAIM, f"the artifact's facts agree with the dossier: {why}", e.said))
    elif e.consistent is False:
        e.add(failed("X-EVIDENCE-05", CLAIM, codes.EVIDENCE_INCONSISTENT,
                     f"the artifact's facts contradict the dossier: {why}", e.said))
    else:
        e.add(warned("X-EVIDENCE-05", CLAIM, codes.EVIDENCE_CONSISTENCY_UNKNOWN,
                     "nothing the artifact asserts could be compared with what the ACDCs proved"
                     + (f" ({why})" if why else ""), e.said))


def foreign_evidence(d: DossierResult | None, *, trust: ForeignTrust, policy: EvidencePolicy, fetcher: Fetcher | None,
                     reference_time: _dt.datetime, orig: str | None = None, parties: Parties | None = None,
                     signer: str | None = None) -> EvidenceOutcome:
    """The ``evidence`` claim of one call (module docstring). Never raises for bad evidence."""
    found = bridges_of(d) if d is not None else ()
    if d is None or not found:
        return EvidenceOutcome((not_applicable("X-EVIDENCE-00", CLAIM, codes.NO_FOREIGN_EVIDENCE,
                                               "the dossier binds no foreign evidence (no faa or citation bridge)"),),
                               {})
    entries = [_Entry(c, role, read_bridge(role, c.attributes if isinstance(c.attributes, Mapping) else None))
               for c, role in found]
    max_bytes = int(policy.fetch_max_bytes)
    for e in entries:
        _bridge_check(e)
        if e.bound.problem is not None:
            st, code, msg = e.bound.problem
            make = failed if st == "fail" else indeterminate
            e.add(make("X-EVIDENCE-02", CLAIM, code, msg, e.said))
            continue
        if e.bound.rev_latency is not None:
            e.add(warned("X-EVIDENCE-06", CLAIM, codes.EVIDENCE_REVOCATION_LINK,
                         f"the bridge asserts rev_latency {e.bound.rev_latency} s (posture {e.bound.posture}); "
                         "no link between the artifact's revocation and the bridge's is assumed", e.said))
        _obtain(e, fetcher, max_bytes)
        if e.data is not None and not _digest(e):
            e.data = None
        if e.data is not None and not _str(e.bound.media_type):
            e.add(indeterminate("X-EVIDENCE-04", CLAIM, codes.BRIDGE_NO_MEDIA_TYPE,
                                "the bridge does not name its artifact's media type", e.said))
            e.data = None
    related = tuple((normalise_media_type(e.bound.media_type), e.data) for e in entries
                    if e.data is not None and normalise_media_type(e.bound.media_type) in REVOCATION_TYPES)
    ctx = CheckContext(reference_time=reference_time, trust=trust, policy=policy, fetcher=fetcher, related=related,
                       orig=orig)
    for e in entries:
        if e.data is not None:
            _judge(e, ctx, d, parties, signer)
    checks = tuple(c for e in entries for c in e.checks)
    return EvidenceOutcome(checks, {"artifacts": [e.to_json() for e in entries],
                                    "counts_in_status": policy.foreign_evidence == "strict",
                                    "status_over_artifacts": worst(e.status for e in entries).value})


