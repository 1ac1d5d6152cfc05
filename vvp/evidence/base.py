"""The checker interface for foreign evidence (architecture §2.3).

A checker takes an artifact's bytes, the reference time and the foreign trust inputs, and
answers with its native verdict plus the facts the artifact asserts in normalised form. It never
decides whether those facts name the same party as the ACDCs do: the bridge compares them and
reports ``consistent`` (true, false or null). Checkers are pure over bytes: anything else they
need (CRLs, OCSP responses, a token authority's certificate) arrives as further artifacts or
through the ``fetcher`` they are given, so that it is recorded like all evidence.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from vvp.fetch import Fetcher
from vvp.trust import ForeignTrust, Policy
from vvp.verdict import Status


@dataclass(frozen=True, slots=True)
class Facts:
    """What an artifact asserts, normalised so that it can be compared with ACDC-proven facts.
    Telephone numbers are E.164 with ``+``; ranges are kept as ``(first, last)`` pairs."""

    legal_name: str | None = None
    lei: str | None = None
    registration_ids: tuple[str, ...] = ()
    tns: tuple[str, ...] = ()
    tn_ranges: tuple[tuple[str, str], ...] = ()
    spcs: tuple[str, ...] = ()
    domain: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"legal_name": self.legal_name, "lei": self.lei, "registration_ids": list(self.registration_ids),
                "tns": list(self.tns), "tn_ranges": [list(r) for r in self.tn_ranges], "spcs": list(self.spcs),
                "domain": self.domain}


@dataclass(frozen=True, slots=True)
class ArtifactResult:
    """One artifact judged under its own rules.

    ``status`` is VALID (every native check passed), INVALID (a native check failed) or
    INDETERMINATE (it could not be obtained or checked: no anchor configured, revocation data
    missing under hard-fail, a context unavailable). ``codes`` are stable codes from
    :mod:`vvp.codes` for every failing or undecided check; ``anchor`` names what it chains to
    (a certificate subject and SHA-256 fingerprint, a did:key, a JWK thumbprint) or None;
    ``native`` holds format-specific details for the verdict and the report (JSON values only).
    """

    media_type: str
    status: Status
    codes: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    anchor: str | None = None
    facts: Facts = field(default_factory=Facts)
    native: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything a checker may use besides the artifact's bytes."""

    reference_time: _dt.datetime
    trust: ForeignTrust
    policy: Policy
    fetcher: Fetcher | None = None
    """For evidence an artifact points at (an ``x5u``); None means nothing may be fetched."""
    related: Sequence[tuple[str, bytes]] = ()
    """Further artifacts carried beside this one, as (media type, bytes): CRLs, OCSP responses."""
    orig: str | None = None
    """The call's originating number (E.164), when the artifact is judged for a call."""


class Checker(Protocol):
    """One format's verifier: ``media_types`` it accepts, ``check`` never raises for bad bytes
    (every problem is a coded INVALID or INDETERMINATE result)."""

    media_types: tuple[str, ...]

    def check(self, data: bytes, media_type: str, ctx: CheckContext) -> ArtifactResult: ...
