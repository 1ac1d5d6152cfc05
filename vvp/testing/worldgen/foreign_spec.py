"""What the foreign-evidence world binds: artifacts, bridges, dossiers and trust inputs, as data.

Why plain data here: the artifacts (certificate chains, CRLs, authority tokens, SD-JWT VCs, W3C
VCs) are made by the test PKI and VC fixtures (:mod:`vvp.testing.foreign_pki`,
:mod:`vvp.testing.foreign_vc`) for a served world, and the bridges that bind them are ACDCs the
generator issues. So the served world (:mod:`vvp.testing.world.foreign`) makes the bytes and
hands them to the generator in a :class:`ForeignSpec`, and :mod:`vvp.testing.worldgen.foreign`
issues the bridges. A spec is part of the
:class:`~vvp.testing.worldgen.model.WorldSpec`, so two equal specs still build byte-identical
worlds; the world keeps it (``world.spec.foreign``), and the evidence server and the trust-store
writer read the artifacts and trust files from there.

Artifact URLs are fixed when the bridges are issued (they are inside the SAID), so the spec names
the server's base URL: the world is built for the server that will serve it
(:func:`vvp.testing.world.foreign.served_foreign_world` starts the server first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Location = Literal["url", "data", "gone"]
"""How a bridge points at its artifact: a URL the world's server answers, an RFC 2397 ``data:``
URI holding the bytes, or a URL under the server that answers 404 (the artifact is gone)."""

ARTIFACT_PREFIX = "/artifacts/"
GONE_PREFIX = "/artifacts/gone/"


@dataclass(frozen=True, slots=True)
class ForeignArtifact:
    """One foreign artifact: its bytes, media type, and the path the server serves it at."""

    name: str
    media_type: str
    body: bytes
    filename: str

    @property
    def path(self) -> str:
        return ARTIFACT_PREFIX + self.filename


@dataclass(frozen=True, slots=True)
class BridgePlan:
    """One bridging ACDC (schema ``bridge.json``, role ``faa``) to issue.

    ``artifact`` names the :class:`ForeignArtifact` it binds; ``bound`` (when given) are the bytes
    whose digest the bridge carries instead of the artifact's (a bridge whose digest does not
    match what its location serves)."""

    name: str
    title: str
    artifact: str
    location: Location
    checked_under: str
    bound: bytes | None = None
    rev_latency: int | None = None


@dataclass(frozen=True, slots=True)
class ForeignDossierPlan:
    """A dossier of the accountable party ``le`` (same signer, allocation, delegation and brand
    as the world's ``le`` dossier) whose vetting credential cites ``bridges`` (in order)."""

    name: str
    title: str
    bridges: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TrustInput:
    """A trust file of the ``foreign`` section: ``key`` is ``x509``, ``rtu_authorities``,
    ``sd_jwt_issuers`` or ``contexts`` (``url`` then names the context). ``body`` is written as
    ``foreign/<filename>`` beside the trust store; ``external`` instead names a file outside the
    world (the W3C base context, read from the shared corpus and never copied)."""

    key: str
    filename: str
    body: bytes | None = None
    external: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ForeignSpec:
    """Everything the foreign-evidence world adds (module docstring)."""

    base_url: str
    artifacts: tuple[ForeignArtifact, ...]
    bridges: tuple[BridgePlan, ...]
    dossiers: tuple[ForeignDossierPlan, ...]
    trust: tuple[TrustInput, ...] = ()
    vc_issuers: tuple[str, ...] = ()
    """``did:key`` issuers trusted for W3C VCs (no file)."""

    def artifact(self, name: str) -> ForeignArtifact:
        for a in self.artifacts:
            if a.name == name:
                return a
        raise KeyError(name)

    def bridge(self, name: str) -> BridgePlan:
        for b in self.bridges:
            if b.name == name:
                return b
        raise KeyError(name)
