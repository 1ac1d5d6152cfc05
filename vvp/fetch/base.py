"""What every fetcher shares: the kinds of evidence, their content types, results, events, limits."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from vvp import codes
from vvp.errors import FetchError


class EvidenceKind(StrEnum):
    """What is being fetched; decides which content types are acceptable (architecture §6)."""

    OOBI = "oobi"
    DOSSIER = "dossier"
    X5U = "x5u"
    CRL = "crl"
    SCHEMA = "schema"
    ACDC = "acdc"
    ARTIFACT = "artifact"  # foreign evidence a bridging ACDC binds, and an RTU token's x5u (vvp/evidence/)
    WITNESS = "witness"  # a witness's answer for an AID's KEL (vvp/witness/; architecture §2.4)


CONTENT_TYPES: Mapping[EvidenceKind, tuple[str, ...]] = {
    EvidenceKind.OOBI: ("application/json+cesr", "application/cesr"),
    EvidenceKind.WITNESS: ("application/json+cesr", "application/cesr"),
    EvidenceKind.DOSSIER: ("application/json+cesr", "application/cesr", "application/json"),
    EvidenceKind.ACDC: ("application/json+cesr", "application/cesr", "application/json"),
    EvidenceKind.X5U: ("application/pem-certificate-chain", "application/x-pem-file", "application/pkix-cert"),
    EvidenceKind.CRL: ("application/pkix-crl",),
    EvidenceKind.SCHEMA: ("application/schema+json", "application/json"),
    EvidenceKind.ARTIFACT: ("application/pkix-cert", "application/pem-certificate-chain", "application/x-pem-file",
                            "application/pkix-crl", "application/ocsp-response", "application/jwt",
                            "application/dc+sd-jwt", "application/vc+sd-jwt", "application/sd-jwt",
                            "application/vc+ld+json", "application/vc", "application/ld+json", "application/json",
                            "application/octet-stream"),
}


@dataclass(frozen=True, slots=True)
class Fetched:
    """Bytes obtained for a URL. ``source`` is ``http``, ``map``, ``memory`` or ``replay``."""

    url: str
    final_url: str
    content_type: str
    body: bytes
    source: str


@dataclass(frozen=True, slots=True)
class FetchFailure:
    url: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class FetchEvent:
    """One fetch as the recording fetcher saw it: either ``fetched`` or ``failure`` is set; ``at``
    is when the recorder's clock saw it end (``None`` when it was given no clock)."""

    url: str
    kind: EvidenceKind
    at: _dt.datetime | None = None
    fetched: Fetched | None = None
    failure: FetchFailure | None = None


class Fetcher(Protocol):
    def fetch(self, url: str, kind: EvidenceKind) -> Fetched: ...


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Limits of one fetch (defaults = the trust store's policy defaults)."""

    timeout_s: float = 5.0
    max_bytes: int = 4194304
    max_redirects: int = 3
    allow_private_addresses: bool = False

    @classmethod
    def from_policy(cls, policy: Any) -> FetchLimits:
        """From any object with the policy's fetch fields (a :class:`vvp.trust.Policy`)."""
        return cls(timeout_s=float(policy.fetch_timeout_s), max_bytes=int(policy.fetch_max_bytes),
                   max_redirects=int(policy.fetch_max_redirects),
                   allow_private_addresses=bool(policy.allow_private_addresses))


def media_type(content_type: str | None) -> str:
    """``application/cesr; charset=x`` → ``application/cesr`` (lower case)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_content_type(url: str, content_type: str | None, kind: EvidenceKind) -> str:
    mt = media_type(content_type)
    if mt not in CONTENT_TYPES[kind]:
        raise FetchError(f"{url}: content type {content_type or '(none)'!r} is not one of "
                         f"{', '.join(CONTENT_TYPES[kind])} for {kind.value}",
                         code=codes.FETCH_BAD_CONTENT_TYPE, url=url)
    return mt


