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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pathlib import Path

from vvp.fetch import Fetcher
from vvp.verdict import Status

_T = TypeVar("_T")
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class VcIssuer:
    """A W3C VC issuer trusted for foreign evidence: a ``did:key`` (``jwks`` None) or an issuer URL
    with the JWK set file that holds its keys."""

    id: str
    jwks: Path | None = None


@dataclass(frozen=True, slots=True)
class ForeignTrust:
    """Anchors for foreign evidence (architecture §2.3, §4.2), trusted for foreign evidence only.

    Paths are resolved and checked to exist when the store is loaded; ``contexts`` maps a JSON-LD
    context URL to the file that holds it (contexts are trust inputs, never fetched)."""

    x509: tuple[Path, ...] = ()
    sd_jwt_issuers: tuple[Path, ...] = ()
    vc_issuers: tuple[VcIssuer, ...] = ()
    rtu_authorities: tuple[Path, ...] = ()
    contexts: Mapping[str, Path] = field(default_factory=dict)
    files: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict, compare=False)
    """The bytes of the trust files by key (``x509``, ``rtu_authorities``, ``sd_jwt_issuers``,
    ``vc_issuers``: the JWK set files in issuer order, ``contexts``: in the order of ``contexts``),
    read once when the trust store is loaded (:func:`vvp.trust.load_files`, recorded as
    ``foreign.<key>``): checkers use these during a call, never the paths. Empty for a
    ForeignTrust made by hand (tests, tools): the checkers then read the paths themselves."""
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derived(self, key: str, make: Callable[[], _T]) -> _T:
        """``make()`` once per trust object and ``key``: what a checker derives from these
        anchors (parsed key sets, frozen contexts) lives exactly as long as the trust store that
        holds them, owned by whoever owns the store (a Verifier), never in process-wide state.
        A race only builds twice; ``make`` is a pure function of this object."""
        got = self._derived.get(key, _MISSING)
        if got is _MISSING:
            got = make()
            self._derived[key] = got
        return got  # type: ignore[no-any-return]

    def to_json(self, words: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The trust-store v1 JSON of this section (paths as the user wrote them when known)."""
        w = words or {}

        def paths(key: str, ps: tuple[Path, ...]) -> list[str]:
            given = w.get(key)
            if isinstance(given, list) and len(given) == len(ps) and all(isinstance(g, str) for g in given):
                return [str(g) for g in given]
            return [str(p) for p in ps]

        return {"x509": paths("x509", self.x509), "sd_jwt_issuers": paths("sd_jwt_issuers", self.sd_jwt_issuers),
                "vc_issuers": [v.id if v.jwks is None else {"id": v.id, "jwks": str(v.jwks)} for v in self.vc_issuers],
                "rtu_authorities": paths("rtu_authorities", self.rtu_authorities),
                "contexts": {u: str(p) for u, p in sorted(self.contexts.items())}}


class EvidencePolicy(Protocol):
    """The policy values checkers read (:class:`vvp.trust.Policy` has them all; this layer sits
    below the trust store and may not import it)."""

    @property
    def clock_skew_s(self) -> int: ...
    @property
    def sd_jwt_require_key_binding(self) -> bool: ...
    @property
    def fetch_max_bytes(self) -> int: ...
    @property
    def crl(self) -> str: ...
    @property
    def foreign_evidence(self) -> str: ...
    @property
    def foreign_revocation(self) -> str: ...




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
    policy: EvidencePolicy
    fetcher: Fetcher | None = None
    """For evidence an artifact points at (an ``x5u``); None means nothing may be fetched."""
    related: Sequence[tuple[str, bytes]] = ()
    """Further artifacts carried beside this one, as (media type, bytes): CRLs, OCSP responses."""
    orig: str | None = None
    """The call's originating number (E.164), when the artifact is judged for a call."""
    account_jwk: Mapping[str, Any] | None = None
    """The public JWK of the key an RTU token is presented with (its ACME account key), when known:
    the token's ``atc.fingerprint`` is then checked against it (RFC 9447 §3)."""


class Checker(Protocol):
    """One format's verifier: ``media_types`` it accepts, ``check`` never raises for bad bytes
    (every problem is a coded INVALID or INDETERMINATE result)."""

    media_types: tuple[str, ...]

    def check(self, data: bytes, media_type: str, ctx: CheckContext) -> ArtifactResult: ...
