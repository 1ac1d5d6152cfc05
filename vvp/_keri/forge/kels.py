"""Deterministic, keri-made KELs for tests, and the signature tampering that needs keri's codecs.

Every AID comes from its own keri Habery seeded with a fixed salt, so AIDs, keys, SAIDs and
signatures are the same on every run; first-seen datetimes are assigned from a fixed clock
(``T0`` plus one hour per event, in creation order) instead of keri's wall clock. Witnesses are
non-transferable keri identifiers whose indexed receipt signatures are made with their own keys.

Messages are kept as :class:`EventMessage` values (body plus qb64 attachments), so tests can
drop, reorder or tamper with them without touching CESR; :func:`render` builds the stream with
keri's own primitives, exactly as keri's ``cloneEvtMsg`` frames an event: controller signatures,
witness signatures, the delegator's source seal couple and the first-seen couple, inside one
pipelined ``-V`` group. Test code only (``vvp.testing.kels`` is the tests' entry point, with the
tampering that needs no keri); vvp itself never generates KELs.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

from vvp._keri._store import TMP_PREFIX, tmp_root  # noqa: I001 - keri import order (see _store)
from keri import core, kering
from keri.app import configing, habbing, keeping
from keri.core import coring, eventing, serdering
from keri.db import basing, dbing

T0 = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
STEP = _dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class EventMessage:
    """One key event as it travels: its body and its attachments, all as plain values."""

    aid: str
    sn: int
    ilk: str
    said: str
    body: bytes
    sigs: tuple[str, ...]
    wigs: tuple[str, ...] = ()
    anchor: tuple[int, str] | None = None
    first_seen: _dt.datetime | None = None
    fn: int = 0


def _dts(t: _dt.datetime) -> str:
    return t.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def render(msgs: Sequence[EventMessage], *, pipelined: bool = True) -> bytes:
    """The CESR stream of ``msgs``, framed as keri frames a replayed event (module docstring)."""
    out = bytearray()
    v1 = kering.Vrsn_1_0
    for m in msgs:
        atc = bytearray()
        if m.sigs:
            atc += core.Counter(core.Codens.ControllerIdxSigs, count=len(m.sigs), gvrsn=v1).qb64b
            for s in m.sigs:
                atc += s.encode()
        if m.wigs:
            atc += core.Counter(core.Codens.WitnessIdxSigs, count=len(m.wigs), gvrsn=v1).qb64b
            for w in m.wigs:
                atc += w.encode()
        if m.anchor is not None:
            atc += core.Counter(core.Codens.SealSourceCouples, count=1, gvrsn=v1).qb64b
            atc += coring.Seqner(sn=m.anchor[0]).qb64b + coring.Saider(qb64=m.anchor[1]).qb64b
        if m.first_seen is not None:
            atc += core.Counter(core.Codens.FirstSeenReplayCouples, count=1, gvrsn=v1).qb64b
            atc += coring.Seqner(sn=m.fn).qb64b + coring.Dater(dts=_dts(m.first_seen)).qb64b
        out += m.body
        if pipelined:
            out += core.Counter(core.Codens.AttachmentGroup, count=len(atc) // 4, gvrsn=v1).qb64b
        out += atc
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Tampering (each returns a new message)


def flip_signature(m: EventMessage, which: int = 0) -> EventMessage:
    """Flip one bit of controller signature number ``which`` (its index and code unchanged)."""
    sig = core.Siger(qb64=m.sigs[which])
    raw = bytearray(sig.raw)
    raw[10] ^= 0x01
    bad = core.Siger(raw=bytes(raw), code=sig.code, index=sig.index, ondex=sig.ondex).qb64
    return replace(m, sigs=m.sigs[:which] + (bad,) + m.sigs[which + 1:])


def flip_receipt(m: EventMessage, which: int = 0) -> EventMessage:
    """Flip one bit of witness receipt signature number ``which``."""
    sig = core.Siger(qb64=m.wigs[which])
    raw = bytearray(sig.raw)
    raw[10] ^= 0x01
    bad = core.Siger(raw=bytes(raw), code=sig.code, index=sig.index, ondex=sig.ondex).qb64
    return replace(m, wigs=m.wigs[:which] + (bad,) + m.wigs[which + 1:])


def keep_signatures(m: EventMessage, indices: Sequence[int]) -> EventMessage:
    """Keep only the controller signatures whose key index is in ``indices``."""
    return replace(m, sigs=tuple(s for s in m.sigs if core.Siger(qb64=s).index in set(indices)))


def signature_indices(m: EventMessage) -> tuple[int, ...]:
    return tuple(core.Siger(qb64=s).index for s in m.sigs)


# ---------------------------------------------------------------------------------------------
# The factory


def _salt(name: str) -> str:
    return str(core.Salter(raw=(name.encode() + b"_" * 16)[:16]).qb64)


class KelFactory:
    """Makes deterministic KELs in private keri stores, all removed on :meth:`close`.

    Use as a context manager. AIDs are named; each lives in its own Habery (so that delegation
    works as between real parties). ``witnesses(n)`` makes witness identifiers; events of an AID
    with witnesses are receipted by every witness in force when the message is built.
    """

    def __init__(self, seed: str = "vvp-kel-tests") -> None:
        self.seed = seed
        self.dir = tempfile.mkdtemp(prefix=TMP_PREFIX + "gen-", dir=tmp_root())
        self._hbys: dict[str, Any] = {}
        self._habs: dict[str, Any] = {}  # AID -> Hab
        self._names: dict[str, str] = {}  # name -> AID
        self._wits: dict[str, Any] = {}  # witness AID -> Hab
        self._times: dict[tuple[str, str], _dt.datetime] = {}
        self._clock = 0
        self._closed = False

    # -- life cycle
    def __enter__(self) -> KelFactory:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for hby in self._hbys.values():
            try:
                hby.close(clear=True)
            except Exception:  # noqa: BLE001 - best effort; the directory goes anyway
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def _habery(self, name: str) -> Any:
        if name not in self._hbys:
            # keri ignores headDirPath for temp stores (they go to $TMPDIR and leak): make the
            # stores ourselves in our directory; temp=True on the Habery only buys fast key stretching
            ks = keeping.Keeper(name=name, base="", headDirPath=self.dir, reopen=True)
            db = basing.Baser(name=name, base="", headDirPath=self.dir, reopen=True)
            cf = configing.Configer(name=name, base="", headDirPath=self.dir, reopen=True)
            self._hbys[name] = habbing.Habery(name=name, base="", temp=True, salt=_salt(f"{self.seed}/{name}"),
                                              ks=ks, db=db, cf=cf)
        return self._hbys[name]

    def _stamp(self, aid: str) -> None:
        kever = self._habs[aid].kever
        self._times[(aid, str(kever.serder.said))] = T0 + self._clock * STEP
        self._clock += 1

    # -- witnesses and AIDs
    def witnesses(self, n: int, *, prefix: str = "wit") -> list[str]:
        hby = self._habery("witnesses")
        out = []
        for _ in range(n):
            name = f"{prefix}{len(self._wits)}"
            hab = hby.makeHab(name=name, transferable=False)
            self._wits[hab.pre] = hab
            out.append(hab.pre)
        return out

    def aid(self, name: str) -> str:
        return self._names[name]

    def incept(self, name: str, *, keys: int = 1, kt: Any = None, nkeys: int | None = None, nt: Any = None,
               witnesses: Sequence[str] = (), toad: int | None = None, delegator: str | None = None) -> str:
        """A new AID ``name``: ``keys`` keys with threshold ``kt`` (default: all of them, ``"1"`` for
        one key), ``nkeys`` next keys with ``nt``; witnesses and toad; optionally delegated."""
        hby = self._habery(name)
        kt = kt if kt is not None else f"{keys:x}"
        nkeys = nkeys if nkeys is not None else keys
        nt = nt if nt is not None else (kt if nkeys == keys else f"{nkeys:x}")
        kw: dict[str, Any] = {}
        if witnesses:
            kw.update(wits=list(witnesses), toad=toad if toad is not None else len(witnesses))
        if delegator is not None:
            hby.psr.parse(ims=bytearray(self._replay(delegator)))
            kw.update(delpre=delegator)
        hab = hby.makeHab(name=name, isith=kt, icount=keys, nsith=nt, ncount=nkeys, **kw)
        self._habs[hab.pre] = hab
        self._names[name] = hab.pre
        self._stamp(hab.pre)
        if delegator is not None:
            self._approve(hab)
        return str(hab.pre)

    def rotate(self, aid: str, *, kt: Any = None, nkeys: int | None = None, nt: Any = None, toad: int | None = None,
               cuts: Sequence[str] = (), adds: Sequence[str] = ()) -> None:
        """Rotate to the pre-committed next keys (keri's own rotation, signed by the new keys)."""
        hab = self._habs[aid]
        kever = hab.kever
        kw: dict[str, Any] = {"toad": toad if toad is not None else int(kever.toader.num)}
        if kt is not None:
            kw["isith"] = kt
        if nt is not None:
            kw["nsith"] = nt
        if nkeys is not None:
            kw["ncount"] = nkeys
        if cuts:
            kw["cuts"] = list(cuts)
        if adds:
            kw["adds"] = list(adds)
        hab.rotate(**kw)
        self._stamp(aid)
        if kever.delpre:
            self._approve(hab)

    def interact(self, aid: str, seals: Sequence[dict[str, str]] = ()) -> None:
        hab = self._habs[aid]
        hab.interact(data=list(seals))
        self._stamp(aid)

    def _approve(self, hab: Any) -> None:
        """The delegator anchors the delegate's latest event; the delegate records the source seal."""
        delpre = str(hab.kever.delpre)
        serder = hab.kever.serder
        seal = eventing.SealEvent(i=hab.pre, s=serder.snh, d=serder.said)._asdict()
        self.interact(delpre, [seal])
        dhab = self._habs[delpre]
        hab.db.setAes(dbing.dgKey(hab.pre, serder.said),
                      coring.Seqner(sn=dhab.kever.sn).qb64b + dhab.kever.serder.saidb)
        hab.psr.parse(ims=bytearray(self._replay(delpre)))

    def _replay(self, aid: str) -> bytes:
        return bytes(self._habs[aid].replay())

    # -- export
    def messages(self, aid: str) -> list[EventMessage]:
        """The AID's KEL as messages: controller signatures, every witness's receipt, the delegator
        source seal, and the factory's first-seen times (fn = sn)."""
        hab = self._habs[aid]
        db, kvy = hab.db, hab.kvy
        out = []
        for sn in range(int(hab.kever.sn) + 1):
            said = bytes(db.getKeLast(dbing.snKey(aid, sn))).decode()
            dgkey = dbing.dgKey(aid, said)
            serder = serdering.SerderKERI(raw=bytes(db.getEvt(dgkey)))
            sigs = tuple(bytes(s).decode() for s in db.getSigs(dgkey))
            wits = [p.qb64 for p in (kvy.fetchWitnessState(aid, sn) or [])]
            wigs = []
            for i, w in enumerate(wits):
                for wiger in self._wits[w].mgr.sign(ser=serder.raw, pubs=[w], indices=[i]):
                    wigs.append(str(wiger.qb64))
            anchor = None
            couple = db.getAes(dgkey)
            if couple is not None:
                b = bytearray(bytes(couple))
                anchor = (int(coring.Seqner(qb64b=b, strip=True).sn), str(coring.Saider(qb64b=b, strip=True).qb64))
            out.append(EventMessage(aid=aid, sn=sn, ilk=str(serder.ilk), said=said, body=bytes(serder.raw), sigs=sigs,
                                    wigs=tuple(wigs), anchor=anchor, first_seen=self._times.get((aid, said)), fn=sn))
        return out

    def kel(self, aid: str, *, with_delegators: bool = True) -> bytes:
        """The AID's KEL stream, preceded by its delegators' KELs (as an OOBI response carries them)."""
        return render(self.chain(aid) if with_delegators else self.messages(aid))

    def chain(self, aid: str) -> list[EventMessage]:
        hab = self._habs[aid]
        msgs: list[EventMessage] = []
        if hab.kever.delpre:
            msgs += self.chain(str(hab.kever.delpre))
        return msgs + self.messages(aid)

    def forged_rotation(self, aid: str, *, seed: str = "thief") -> EventMessage:
        """A rotation of ``aid`` to keys its prior next digests never committed to, properly
        signed by those keys: what a thief of the current (not the next) keys could make."""
        hab = self._habs[aid]
        kever = hab.kever
        salter = core.Salter(raw=(seed.encode() + b"_" * 16)[:16])
        thief = salter.signer(path="0", temp=True)
        nxt = salter.signer(path="1", temp=True)
        serder = eventing.rotate(pre=aid, keys=[thief.verfer.qb64], dig=kever.serder.said, sn=int(kever.sn) + 1,
                                 isith="1", nsith="1", ndigs=[coring.Diger(ser=nxt.verfer.qb64b).qb64],
                                 toad=int(kever.toader.num), wits=list(kever.wits))
        siger = thief.sign(serder.raw, index=0)
        return EventMessage(aid=aid, sn=int(serder.sn), ilk=str(serder.ilk), said=str(serder.said),
                            body=bytes(serder.raw), sigs=(str(siger.qb64),),
                            first_seen=T0 + self._clock * STEP, fn=int(serder.sn))

    def equivocation(self, aid: str) -> EventMessage:
        """A second, validly signed interaction event at the AID's last sequence number, with other
        content: what a controller (or a thief of its current keys) that forks its KEL would make."""
        hab = self._habs[aid]
        kever = hab.kever
        prior = bytes(hab.db.getKeLast(dbing.snKey(aid, int(kever.sn) - 1))).decode()
        serder = eventing.interact(pre=aid, dig=prior, sn=int(kever.sn),
                                   data=[{"i": aid, "s": "0", "d": aid}])
        sigers = hab.sign(ser=serder.raw, indexed=True)
        return EventMessage(aid=aid, sn=int(serder.sn), ilk=str(serder.ilk), said=str(serder.said),
                            body=bytes(serder.raw), sigs=tuple(str(s.qb64) for s in sigers),
                            first_seen=T0 + self._clock * STEP, fn=int(serder.sn))

    def sign(self, aid: str, data: bytes) -> bytes:
        """A raw Ed25519 signature over ``data`` with the AID's current first key (a JWS-style signature)."""
        hab = self._habs[aid]
        cigar = hab.sign(ser=data, indexed=False)[0]
        return bytes(cigar.raw)

    def current_keys(self, aid: str) -> list[str]:
        return [str(v.qb64) for v in self._habs[aid].kever.verfers]
