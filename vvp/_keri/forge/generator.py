"""keri making a world's parties, witnesses, delegation, registries and ACDCs, step by step.

The keri side of the test world generator (``vvp.testing.worldgen`` decides the cast, the
credentials and the timeline; this module only runs keri for it and records what keri made as
frozen dataclasses: :class:`KelEvent`, :class:`KeyEpoch`, :class:`TelEvent`).

This follows keripy's own offline patterns (keri-notes §1.5, §2.2): each party is one Hab in its
own Habery with a fixed salt; witnesses are non-transferable Habs that receipt every event (so
the KELs carry ``-BA`` witness signatures up to the threshold); a delegated party's ``dip`` is
anchored by a seal in its delegator's KEL and carries the ``-GA`` source seal; registries and
credential TELs are anchored by ``ixn`` events with exactly one seal each (keri's
``Tever.verifyAnchor`` accepts nothing else).

Determinism (keri-notes §8): fixed salts for every key, fixed registry nonces, fixed ``u``
nonces for private ACDCs, and a stopped clock. keri reads the time in one function,
``keri.help.helping.nowUTC`` (``nowIso8601`` calls it); :func:`keri_clock` replaces it for the
duration of a build and restores it, so every first-seen datetime (``-E``) and every TEL ``dt``
is the scenario's chosen time. Stores live in a private directory that is removed afterwards
(``temp=True`` stores would leak their directories into ``$TMPDIR``).

Every step checks its outcome (keri's parser swallows errors): a witness receipt that did not
land, a TEL event that did not anchor, raise :class:`WorldBuildError` instead of producing a
quietly broken world.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import io
import json
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from keri import core  # noqa: I001 - keri.core first: keri.db.basing alone fails with a circular import
from keri.app import configing, habbing, keeping, signing
from keri.core import coring, eventing
from keri.db import basing, dbing
from keri.help import helping
from keri.vc import proving
from keri.vdr import credentialing, viring

from vvp import codes
from vvp._keri._store import tmp_root
from vvp.errors import OperationalError

UTC = _dt.UTC
WITNESS_COUNT = 3
TOAD = 2

_CLOCK_LOCK = threading.Lock()


def iso(t: _dt.datetime) -> str:
    """KERI/ACDC datetime text, exactly as keri's ``nowIso8601`` writes it."""
    return t.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class KelEvent:
    """One key event as the generator made it; ``at`` is its intended first-seen time."""

    sn: int
    ilk: str
    said: str
    at: _dt.datetime


@dataclass(frozen=True, slots=True)
class KeyEpoch:
    """The signing keys established by one establishment event, and from when they apply."""

    sn: int
    said: str
    at: _dt.datetime
    public_keys: tuple[str, ...]
    seeds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TelEvent:
    """One TEL event (``vcp``, ``iss``, ``rev``) with its intended date (``dt`` for iss/rev)."""

    sn: int
    ilk: str
    said: str
    at: _dt.datetime


class WorldBuildError(OperationalError):
    """keri refused a step of the world build; the world would not be what it claims to be."""

    default_code = codes.WORLD_BUILD_FAILED


def fixed_salt(label: str) -> str:
    """A qb64 Salter salt derived from a label: the same label gives the same keys in every build."""
    raw = hashlib.blake2b(label.encode("utf-8"), digest_size=16, person=b"vvp-world").digest()
    return str(core.Salter(raw=raw).qb64)


class StepClock:
    """The stopped clock keri sees during a build. It only moves when the generator moves it:
    one minute per generator step, or a jump to a chosen time (never backwards)."""

    def __init__(self, start: _dt.datetime) -> None:
        self.now = start.astimezone(_dt.UTC)

    def tick(self) -> _dt.datetime:
        self.now = self.now + _dt.timedelta(minutes=1)
        return self.now

    def jump(self, t: _dt.datetime) -> _dt.datetime:
        t = t.astimezone(_dt.UTC)
        if t < self.now:
            raise WorldBuildError(f"cannot move the world clock back from {iso(self.now)} to {iso(t)}")
        self.now = t
        return self.now


@contextlib.contextmanager
def keri_clock(clock: StepClock) -> Iterator[None]:
    """Make keri read ``clock`` instead of the wall clock, and restore it afterwards.

    Process-global while active (keri has one ``nowUTC``): builds are serialised by a lock, and
    nothing else should run keri in another thread during a build.
    """
    with _CLOCK_LOCK:
        original = helping.nowUTC
        helping.nowUTC = lambda: clock.now
        try:
            yield
        finally:
            helping.nowUTC = original


@dataclass
class _PartyState:
    name: str
    hby: Any
    hab: Any
    toad: int
    delegator: str | None
    events: list[KelEvent] = field(default_factory=list)
    keys: list[KeyEpoch] = field(default_factory=list)
    rgy: Any = None
    reg: Any = None
    reger: Any = None
    registry_events: list[TelEvent] = field(default_factory=list)


@dataclass
class _CredState:
    name: str
    issuer: str
    creder: Any
    issued_at: _dt.datetime
    revoked_at: _dt.datetime | None = None
    tel_events: list[TelEvent] = field(default_factory=list)


class Generator:
    """Makes the world's keri state, step by step, inside one private store directory."""

    def __init__(self, clock: StepClock) -> None:
        self.clock = clock
        self.root = tempfile.mkdtemp(prefix="vvp-world-", dir=tmp_root())
        self._hbys: list[Any] = []
        self._regers: list[Any] = []
        self.parties: dict[str, _PartyState] = {}
        self.creds: dict[str, _CredState] = {}
        self.witnesses: list[Any] = []
        self._wby: Any = None

    # -- stores --------------------------------------------------------------------------------

    def _habery(self, name: str) -> Any:
        """A Habery whose stores live in our directory (``temp=False`` + ``headDirPath``), with
        keri's quick "temp" key stretching (``temp=True`` on the Habery only)."""
        ks = keeping.Keeper(name=name, headDirPath=self.root, temp=False, reopen=True)
        db = basing.Baser(name=name, headDirPath=self.root, temp=False, reopen=True)
        cf = configing.Configer(name=name, headDirPath=self.root, temp=False, reopen=True)
        hby = habbing.Habery(name=name, temp=True, ks=ks, db=db, cf=cf, salt=fixed_salt(f"habery:{name}"))
        self._hbys.append(hby)
        return hby

    def close(self) -> None:
        for reger in self._regers:
            with contextlib.suppress(Exception):
                reger.close()
        for hby in self._hbys:
            with contextlib.suppress(Exception):
                hby.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- parties -------------------------------------------------------------------------------

    def make_witnesses(self, count: int = WITNESS_COUNT) -> list[str]:
        self._wby = self._habery("witnesses")
        self.witnesses = [self._wby.makeHab(name=f"witness-{i + 1}", transferable=False) for i in range(count)]
        return [str(w.pre) for w in self.witnesses]

    def _record_event(self, p: _PartyState) -> None:
        s = p.hab.kever.serder
        p.events.append(KelEvent(sn=int(s.sn), ilk=str(s.ilk), said=str(s.said), at=self.clock.now))

    def _record_keys(self, p: _PartyState) -> None:
        s = p.hab.kever.serder
        verfers = p.hab.kever.verfers
        seeds = []
        for v in verfers:
            signer = p.hby.mgr.ks.pris.get(keys=v.qb64, decrypter=p.hby.mgr.decrypter)
            if signer is None:
                raise WorldBuildError(f"{p.name}: no private key for {v.qb64}")
            seeds.append(str(signer.qb64))
        p.keys.append(KeyEpoch(sn=int(s.sn), said=str(s.said), at=self.clock.now,
                               public_keys=tuple(str(v.qb64) for v in verfers), seeds=tuple(seeds)))

    def _witness(self, p: _PartyState) -> None:
        """Send the party's latest event to every witness, feed their receipts back, and check
        that the event now carries at least ``toad`` witness signatures."""
        hab = p.hab
        serder = hab.kever.serder
        if not hab.kever.wits:
            return
        msg = hab.makeOwnEvent(sn=serder.sn)
        for w in self.witnesses:
            if w.pre not in hab.kever.wits:
                continue
            w.psr.parse(ims=bytearray(msg))
            w.kvy.processEscrows()
            if hab.pre not in w.kevers or w.kevers[hab.pre].serder.said != serder.said:
                raise WorldBuildError(f"witness {w.pre} did not accept {p.name} sn {serder.sn}")
            rct = w.witness(serder=w.kevers[hab.pre].serder)
            hab.psr.parse(ims=bytearray(rct))
        hab.kvy.processEscrows()
        wigs = hab.db.getWigs(dbing.dgKey(hab.pre, serder.said))
        if len(wigs) < p.toad:
            raise WorldBuildError(f"{p.name} sn {serder.sn}: {len(wigs)} witness receipts, toad {p.toad}")

    def incept(self, name: str, *, delegator: str | None = None, witnessed: bool = True,
               toad: int = TOAD) -> str:
        """A single-key (kt 1) transferable AID, witnessed, optionally KERI-delegated."""
        self.clock.tick()
        hby = self._habery(name)
        wits = [str(w.pre) for w in self.witnesses] if witnessed else []
        toad = toad if wits else 0
        kwargs: dict[str, Any] = dict(isith="1", icount=1, nsith="1", ncount=1, wits=wits, toad=toad)
        if delegator is not None:
            d = self.parties[delegator]
            hby.psr.parse(ims=bytearray(d.hab.replay()))
            if d.hab.pre not in hby.kevers:
                raise WorldBuildError(f"{name} cannot learn its delegator {delegator}'s KEL")
            kwargs["delpre"] = d.hab.pre
        hab = hby.makeHab(name=name, **kwargs)
        p = _PartyState(name=name, hby=hby, hab=hab, toad=toad, delegator=delegator)
        self.parties[name] = p
        if delegator is not None:
            self._delegate_approve(p)
        self._record_event(p)
        self._record_keys(p)
        self._witness(p)
        return str(hab.pre)

    def _delegate_approve(self, p: _PartyState) -> None:
        """The delegator anchors the delegate's latest establishment event; the delegate learns the
        anchor and records it as the event's source seal (``-GA`` in its replay)."""
        assert p.delegator is not None
        d = self.parties[p.delegator]
        ev = p.hab.kever.serder
        d.hab.interact(data=[eventing.SealEvent(i=p.hab.pre, s=ev.snh, d=ev.said)._asdict()])
        self._record_event(d)
        self._witness(d)
        p.hby.psr.parse(ims=bytearray(d.hab.replay()))
        anc = d.hab.kever.serder
        p.hby.db.setAes(dbing.dgKey(p.hab.pre, ev.said), coring.Seqner(sn=anc.sn).qb64b + anc.saidb)
        p.hby.kvy.processEscrows()

    def rotate(self, name: str, at: _dt.datetime) -> None:
        """Rotate a party's key at a chosen time (keeping its witnesses and threshold)."""
        p = self.parties[name]
        self.clock.jump(at)
        p.hab.rotate(toad=p.toad)  # without toad keri silently raises it to the witness count
        if p.delegator is not None:
            self._delegate_approve(p)
        self._record_event(p)
        self._record_keys(p)
        self._witness(p)

    # -- registries and credentials ------------------------------------------------------------

    def _anchor(self, p: _PartyState, pre: str, said: str, snh: str) -> None:
        """Anchor one TEL event with an ``ixn`` holding exactly one seal, witness it, settle."""
        p.hab.interact(data=[eventing.SealEvent(i=pre, s=snh, d=said)._asdict()])
        self._record_event(p)
        self._witness(p)
        p.reg.anchorMsg(pre=pre, regd=said, seqner=coring.Seqner(sn=p.hab.kever.sn),
                        saider=coring.Saider(qb64=p.hab.kever.serder.said))
        p.rgy.processEscrows()

    def registry(self, name: str) -> str:
        """The party's credential registry (no backers), with a fixed nonce."""
        self.clock.tick()
        p = self.parties[name]
        reger = viring.Reger(name=name, headDirPath=self.root, temp=False, reopen=True)
        self._regers.append(reger)
        p.reger = reger
        p.rgy = credentialing.Regery(hby=p.hby, name=name, reger=reger, temp=True)
        p.reg = p.rgy.makeRegistry(prefix=p.hab.pre, name=f"{name}-registry", noBackers=True,
                                   nonce=fixed_salt(f"registry:{name}"))
        self._anchor(p, p.reg.regk, p.reg.regd, "0")
        if p.reg.regk not in p.rgy.tevers:
            raise WorldBuildError(f"{name}: registry inception did not anchor")
        p.registry_events.append(TelEvent(sn=0, ilk="vcp", said=str(p.reg.regd), at=self.clock.now))
        return str(p.reg.regk)

    def issue(self, name: str, *, issuer: str, schema: str, data: Mapping[str, Any],
              recipient: str | None = None, edges: Mapping[str, Any] | None = None,
              rules: Mapping[str, Any] | None = None, private: bool = False) -> Any:
        """Issue one ACDC: build it with keri, ``iss`` it in the issuer's registry, anchor it."""
        self.clock.tick()
        p = self.parties[issuer]
        dt = iso(self.clock.now)
        attrs = {"dt": dt, **data}
        kwargs: dict[str, Any] = {}
        if private:
            kwargs = dict(private=True, private_credential_nonce=fixed_salt(f"u:{name}"),
                          private_subject_nonce=fixed_salt(f"a.u:{name}"))
        source = said_block(edges) if edges else None
        rblock = said_block(rules) if rules is not None else None
        creder = proving.credential(issuer=p.hab.pre, schema=schema, data=attrs, recipient=recipient,
                                    status=p.reg.regk, source=source, rules=rblock, **kwargs)
        iss = p.reg.issue(said=creder.said, dt=dt)
        self._anchor(p, iss.pre, iss.said, iss.snh)
        state = p.rgy.tevers[p.reg.regk].vcState(creder.said)
        if state is None or state.et != "iss":
            raise WorldBuildError(f"{name}: issuance did not anchor in {issuer}'s registry")
        p.rgy.reger.logCred(creder, coring.Prefixer(qb64=iss.pre), coring.Seqner(sn=iss.sn),
                            coring.Saider(qb64=iss.said))
        c = _CredState(name=name, issuer=issuer, creder=creder, issued_at=self.clock.now)
        c.tel_events.append(TelEvent(sn=0, ilk="iss", said=str(iss.said), at=self.clock.now))
        self.creds[name] = c
        return creder

    def revoke(self, name: str, at: _dt.datetime) -> None:
        """Revoke a credential at a chosen time (``rev`` dated ``at``, anchored at ``at``)."""
        c = self.creds[name]
        p = self.parties[c.issuer]
        self.clock.jump(at)
        rev = p.reg.revoke(said=c.creder.said, dt=iso(self.clock.now))
        self._anchor(p, rev.pre, rev.said, rev.snh)
        state = p.rgy.tevers[p.reg.regk].vcState(c.creder.said)
        if state is None or state.et != "rev":
            raise WorldBuildError(f"{name}: revocation did not anchor")
        c.revoked_at = self.clock.now
        c.tel_events.append(TelEvent(sn=1, ilk="rev", said=str(rev.said), at=self.clock.now))

    # -- export --------------------------------------------------------------------------------

    def kel(self, name: str) -> bytes:
        """The party's own KEL as its controller replays it (all attachments, ``-E`` included)."""
        p = self.parties[name]
        return b"".join(bytes(m) for m in p.hby.db.clonePreIter(pre=p.hab.pre))

    def witness_pres(self) -> list[str]:
        return [str(w.pre) for w in self.witnesses]

    def witness_seeds(self) -> tuple[tuple[str, str], ...]:
        """``(witness AID, private seed)`` of every witness made by :meth:`make_witnesses`, so a
        witness can sign replies after the build."""
        out = []
        for w in self.witnesses:
            verfer = w.kever.verfers[0]
            signer = self._wby.mgr.ks.pris.get(keys=verfer.qb64, decrypter=self._wby.mgr.decrypter)
            if signer is None:
                raise WorldBuildError(f"no private key for witness {w.pre}")
            out.append((str(w.pre), str(signer.qb64)))
        return tuple(out)

    def registry_tel(self, name: str) -> bytes:
        p = self.parties[name]
        return b"".join(bytes(m) for m in p.reger.clonePreIter(pre=p.reg.regk))

    def credential_tel(self, name: str) -> bytes:
        c = self.creds[name]
        reger = self.parties[c.issuer].reger
        return b"".join(bytes(m) for m in reger.clonePreIter(pre=c.creder.said))

    def credential_acdc(self, name: str) -> bytes:
        """The ACDC followed by its ``-IAB`` seal-source triple (TEL ``iss`` sn and SAID)."""
        c = self.creds[name]
        reger = self.parties[c.issuer].reger
        creder, prefixer, seqner, saider = reger.cloneCred(c.creder.said)
        return bytes(signing.serialize(creder, prefixer, seqner, saider))


def said_block(block: Mapping[str, Any]) -> dict[str, Any]:
    """A block (edges or rules) with its own ``d`` SAID, as keri computes it."""
    sad = {"d": "", **{k: v for k, v in block.items() if k != "d"}}
    _, out = coring.Saider.saidify(sad=sad, label=coring.Saids.d)
    return dict(out)


@contextlib.contextmanager
def quiet_keri() -> Iterator[None]:
    """keri prints to stdout in places (keri-notes §4.2); none of that is vvp's output."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def acdc_json(creder: Any) -> dict[str, Any]:
    sad: dict[str, Any] = json.loads(bytes(creder.raw))
    return sad
