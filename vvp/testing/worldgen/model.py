"""The deterministic test world as data: parties, registries, credentials, dossiers, times.

Everything here is plain frozen data (bytes, strings, datetimes), so a built world can be cached
for a whole test session, pickled, served by the pure-Python evidence server (``vvp.testing.world``) and
compared byte for byte between two builds. The only behaviour that needs keri (signing a
PASSporT with a party's key) is in :mod:`vvp.testing.worldgen.passport`, over keri's
signer in :mod:`vvp._keri.forge.signatures`.

The key seeds of every party are kept in the world on purpose: a test must be able to sign with a
key that was current *before* a rotation (the point of "key state at the reference time"). These
keys come from fixed salts and keri's weak "temp" stretch; they are test keys and nothing else.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# The events and keys the keri side records are its frozen dataclasses (re-exported: the world holds them).
from vvp._keri.forge.generator import KelEvent as KelEvent
from vvp._keri.forge.generator import KeyEpoch as KeyEpoch
from vvp._keri.forge.generator import TelEvent as TelEvent
from vvp._keri.forge.generator import iso as iso
from vvp.testing.worldgen.foreign_spec import ForeignSpec

UTC = _dt.UTC


def _t(s: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(s).astimezone(UTC)


# The world's timeline (architecture §2 "time of evidence"). Every key event is first seen, and
# every TEL event dated, at a time chosen here, never at the wall clock's "now".
EPOCH: _dt.datetime = _t("2026-01-01T00:00:00+00:00")
"""Inceptions, registries and issuances start here, one minute apart."""
BEFORE_ROTATION_AT: _dt.datetime = _t("2026-01-15T12:00:00+00:00")
"""A call time after every issuance but before the signer's rotation and any revocation."""
ROTATE_AT: _dt.datetime = _t("2026-02-01T00:00:00+00:00")
"""Default time at which the shape-A signer rotates its key."""
REVOKE_AT: _dt.datetime = _t("2026-02-15T00:00:00+00:00")
"""Default time of the world's revocations (a TN allocation, one dossier a minute later, the acting
shape's TN allocation a minute after that)."""
CALL_AT: _dt.datetime = _t("2026-03-01T12:00:00+00:00")
"""The reference time of the "current" calls: after the rotation and the revocations."""
VALID_UNTIL: _dt.datetime = _t("2027-01-01T00:00:00+00:00")
"""End of TN allocation validity (``endDate``) and of the delegations (``c_before``)."""

SchemaSetName = Literal["own", "published"]
Shape = Literal["le", "acting"]
CredState = Literal["issued", "revoked", "unknown"]


@dataclass(frozen=True, slots=True)
class Party:
    """One identifier of the world.

    ``kel`` is the party's own KEL as its controller replays it (signatures, witness receipts,
    delegation source seals and ``-E`` first-seen couples); ``oobi`` is what an OOBI endpoint of
    the party serves: the KELs of its delegators first, then its own.
    """

    name: str
    title: str
    aid: str
    transferable: bool
    witnesses: tuple[str, ...]
    toad: int
    delegator: str | None
    events: tuple[KelEvent, ...]
    keys: tuple[KeyEpoch, ...]
    kel: bytes
    oobi: bytes

    @property
    def sn(self) -> int:
        return self.events[-1].sn if self.events else 0

    def key_at(self, t: _dt.datetime) -> KeyEpoch:
        """The key epoch in force at ``t``: the last establishment event first seen at or before it."""
        chosen = None
        for k in self.keys:
            if k.at <= t:
                chosen = k
        if chosen is None:
            raise ValueError(f"{self.name} has no key before {iso(t)}")
        return chosen

    def key_sn(self, sn: int) -> KeyEpoch:
        for k in self.keys:
            if k.sn == sn:
                return k
        raise ValueError(f"{self.name} has no establishment event at sn {sn}")


@dataclass(frozen=True, slots=True)
class Registry:
    """A credential registry: its ``vcp`` TEL (``tel``) and the issuer that anchors it."""

    name: str
    regk: str
    issuer: str
    issuer_party: str
    tel: bytes
    events: tuple[TelEvent, ...]


@dataclass(frozen=True, slots=True)
class Credential:
    """One ACDC of the world.

    ``raw`` is the ACDC JSON; ``acdc`` is ``raw`` followed by its ``-IAB`` seal-source triple
    (as in a dossier stream); ``tel`` is the credential's own TEL (``iss`` and maybe ``rev``).
    ``edges`` maps an edge label to the *name* of the credential it points at.
    """

    name: str
    title: str
    said: str
    role: str
    schema: str
    issuer: str
    issuer_party: str
    issuee: str | None
    issuee_party: str | None
    registry: str
    raw: bytes
    acdc: bytes
    tel: bytes
    sad: Mapping[str, Any]
    edges: Mapping[str, str]
    issued_at: _dt.datetime
    revoked_at: _dt.datetime | None
    tel_events: tuple[TelEvent, ...]

    def state_at(self, t: _dt.datetime) -> CredState:
        """Intended TEL state at ``t``: ``unknown`` before issuance."""
        if t < self.issued_at:
            return "unknown"
        if self.revoked_at is not None and t >= self.revoked_at:
            return "revoked"
        return "issued"


@dataclass(frozen=True, slots=True)
class Dossier:
    """A dossier: the AP's dossier ACDC with every credential it reaches, as one CESR stream.

    ``shape`` is architecture §2 step 6: ``le`` when the accountable party is the legal entity
    itself, ``acting`` when it is an AID acting for the legal entity through an ``alloc`` GCD.
    ``numbers`` are the TNs the AP's allocation lists; ``credentials`` are names, leaves first and
    the dossier itself last (the order of the ACDCs in ``stream``).
    """

    name: str
    title: str
    said: str
    shape: Shape
    ap: str
    legal_entity: str
    signer: str
    numbers: tuple[str, ...]
    credentials: tuple[str, ...]
    stream: bytes


@dataclass(frozen=True, slots=True)
class WorldSpec:
    """What to build. Two equal specs build byte-identical worlds.

    ``schemas``: ``own`` (this project's ``schemas/acdc``) or ``published`` (read at build time from
    ``published_dir``, a ``corpus/schemas`` folder; never copied into the project).
    ``rotations``: (party name, time) pairs; ``revocations``: (credential name, time) pairs. Both
    must fall after the issuance phase (a day after ``EPOCH``) and be given in time order per party.
    ``callee``: also build the called party and its dossiers (:mod:`.build`); off by default, so
    the default world's bytes (and the golden records made from it) do not move.
    ``foreign``: also issue evidence bridges binding these foreign artifacts, and dossiers citing
    them (:mod:`.foreign`); None by default, for the same reason.
    """

    schemas: SchemaSetName = "own"
    published_dir: str | None = None
    rotations: tuple[tuple[str, _dt.datetime], ...] = (("signer", ROTATE_AT),)
    revocations: tuple[tuple[str, _dt.datetime], ...] = (
        ("tn_le_revoked", REVOKE_AT),
        ("dossier_revoked", REVOKE_AT + _dt.timedelta(minutes=1)),
        ("tn_acting_revoked", REVOKE_AT + _dt.timedelta(minutes=2)),
    )
    callee: bool = False
    foreign: ForeignSpec | None = None


@dataclass(frozen=True, slots=True)
class SignedPassport:
    """A VVP PASSporT signed by a world party, and the Identity header value that carries it."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    jws: str
    identity: str
    signer: str
    signer_aid: str
    key_sn: int
    form: Literal["jws", "cesr"]


@dataclass(frozen=True, slots=True)
class SignedCallee:
    """A callee PASSporT signed by a world party, and the ``a=callee-passport`` value carrying it."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    jws: str
    value: str
    signer: str
    signer_aid: str

    @property
    def sdp_line(self) -> str:
        return f"a=callee-passport:{self.value}"


@dataclass(frozen=True, slots=True)
class World:
    """A built world. Look things up by name: ``world.parties["signer"].aid``,
    ``world.credentials["tn_le"].said``, ``world.dossiers["le"].stream``.

    ``roots`` names the party answering each trust question (``identity``, ``tn``, ``brand``);
    ``schemas`` maps schema SAID to the exact schema bytes used; ``schema_roles`` maps each trust
    store role to the schema SAIDs of this world's schema set.
    """

    spec: WorldSpec
    schema_set: SchemaSetName
    schemas: Mapping[str, bytes]
    schema_roles: Mapping[str, tuple[str, ...]]
    parties: Mapping[str, Party]
    registries: Mapping[str, Registry]
    credentials: Mapping[str, Credential]
    dossiers: Mapping[str, Dossier]
    roots: Mapping[str, str]
    build_seconds: float = field(default=0.0, compare=False)

    def party_of(self, aid: str) -> Party:
        for p in self.parties.values():
            if p.aid == aid:
                return p
        raise KeyError(aid)

    def root_aid(self, question: str) -> str:
        return self.parties[self.roots[question]].aid

    def credential_by_said(self, said: str) -> Credential:
        for c in self.credentials.values():
            if c.said == said:
                return c
        raise KeyError(said)

    def credential_stream(self, name: str) -> bytes:
        """One credential on its own: its issuer's KEL (delegators first), its registry's TEL, its
        own TEL, then the ACDC. What a ``said:<SAID>`` evidence-map entry for an edge target holds."""
        c = self.credentials[name]
        reg = self.registries[c.issuer_party]
        return self.parties[c.issuer_party].oobi + reg.tel + c.tel + c.acdc

    def streams(self) -> dict[str, bytes]:
        """Every KEL, TEL and dossier stream by a stable name (for digests and serving)."""
        out: dict[str, bytes] = {}
        for p in self.parties.values():
            out[f"kel/{p.name}"] = p.kel
            out[f"oobi/{p.name}"] = p.oobi
        for r in self.registries.values():
            out[f"tel/registry/{r.name}"] = r.tel
        for c in self.credentials.values():
            out[f"tel/credential/{c.name}"] = c.tel
            out[f"acdc/{c.name}"] = c.acdc
        for d in self.dossiers.values():
            out[f"dossier/{d.name}"] = d.stream
        return out

    def digests(self) -> dict[str, str]:
        """SHA-256 of every stream: two builds of one spec must agree on all of them."""
        return {k: hashlib.sha256(v).hexdigest() for k, v in sorted(self.streams().items())}

    def passport(self, *, signer: str, kid: str, evd: str, orig: str, dest: str, iat: int,
                 exp: int | None = None, card: tuple[str, ...] | None = None, goal: str | None = None,
                 key_at: _dt.datetime | None = None, key_sn: int | None = None,
                 form: Literal["jws", "cesr"] = "jws", tamper: Literal["signature", "payload"] | None = None,
                 extra_claims: Mapping[str, Any] | None = None, tn_plus: bool = True,
                 header_changes: Mapping[str, Any] | None = None) -> SignedPassport:
        """Sign a VVP PASSporT as party ``signer``; see :func:`vvp.testing.worldgen.passport.sign`."""
        from vvp.testing.worldgen import passport

        return passport.sign(self, signer=signer, kid=kid, evd=evd, orig=orig, dest=dest, iat=iat, exp=exp,
                             card=card, goal=goal, key_at=key_at, key_sn=key_sn, form=form, tamper=tamper,
                             extra_claims=extra_claims, tn_plus=tn_plus, header_changes=header_changes)

    def callee_passport(self, *, signer: str, kid: str, evd: str, call_id: str, cseq: int | str, iat: int,
                        exp: int | None = None, card: tuple[str, ...] | None = None, goal: str | None = None,
                        tamper: Literal["signature", "payload"] | None = None,
                        extra_claims: Mapping[str, Any] | None = None,
                        header_changes: Mapping[str, Any] | None = None,
                        type_param: str | None = "vvp") -> SignedCallee:
        """Sign a callee PASSporT as party ``signer``; see :func:`vvp.testing.worldgen.callee.sign_callee`."""
        from vvp.testing.worldgen import callee

        return callee.sign_callee(self, signer=signer, kid=kid, evd=evd, call_id=call_id, cseq=cseq, iat=iat,
                                  exp=exp, card=card, goal=goal, tamper=tamper, extra_claims=extra_claims,
                                  header_changes=header_changes, type_param=type_param)
