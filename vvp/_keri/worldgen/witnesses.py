"""The test world's witnesses as hosts of their own (architecture §2.4; issue 15), keri side.

What keripy's witnesses serve, made for the deterministic world: each witness's signed
``/loc/scheme`` reply for the URL it is served at (signed with the witness's own
non-transferable key, re-derived from the world's fixed salt), and the tools a test needs to make
the ``kid`` or ``evd`` host lie while the witnesses tell the truth, or to make a witness lag or
fork: splitting a KEL into its messages, dropping events, moving an event's first-seen time,
and a second, properly signed and witnessed event at a sequence number (duplicity).

Test-world code only (the keys are the world's test keys); ``vvp.testing.world.server`` serves it.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from keri import core  # noqa: I001 - keri.core first (keri's import order)
from keri import kering
from keri.core import coring, eventing, serdering, signing
from keri.core.counting import CtrDex_1_0

from vvp._keri.worldgen.gen import Generator, StepClock, WorldBuildError, keri_clock, quiet_keri
from vvp._keri.worldgen.model import EPOCH, World, iso


@functools.lru_cache(maxsize=2)
def witness_seeds(count: int = 3) -> tuple[tuple[str, str], ...]:
    """``(witness AID, private seed)`` of the world's witnesses, re-derived exactly as the world
    build makes them (same Habery salt, same order): a witness can sign replies after the build."""
    clock = StepClock(EPOCH)
    gen = Generator(clock)
    try:
        with keri_clock(clock), quiet_keri():
            gen.make_witnesses(count)
            out = []
            for w in gen.witnesses:
                verfer = w.kever.verfers[0]
                signer = gen._wby.mgr.ks.pris.get(keys=verfer.qb64, decrypter=gen._wby.mgr.decrypter)
                if signer is None:
                    raise WorldBuildError(f"no private key for witness {w.pre}")
                out.append((str(w.pre), str(signer.qb64)))
            return tuple(out)
    finally:
        gen.close()


def _seed_of(eid: str) -> str:
    for pre, seed in witness_seeds():
        if pre == eid:
            return seed
    raise WorldBuildError(f"{eid} is not one of the world's witnesses")


def loc_scheme(eid: str, url: str, *, scheme: str = "http", stamp: _dt.datetime = EPOCH,
               signer_seed: str | None = None) -> bytes:
    """A ``/loc/scheme`` reply "``eid`` is at ``url``", signed by the witness ``eid`` (or, for a
    forgery, by the non-transferable key ``signer_seed``), as keripy's ``makeLocScheme`` makes it."""
    signer = signing.Signer(qb64=signer_seed or _seed_of(eid), transferable=False)
    serder = eventing.reply(route="/loc/scheme", data=dict(eid=eid, scheme=scheme, url=url), stamp=iso(stamp))
    cigar = signer.sign(ser=serder.raw)
    return bytes(eventing.messagize(serder, cigars=[cigar]))


def stranger_seed(label: str = "stranger") -> str:
    """A non-transferable key that is nobody's witness (for forged replies)."""
    raw = hashlib.blake2b(label.encode("utf-8"), digest_size=32, person=b"vvp-stranger").digest()
    return str(signing.Signer(raw=raw, transferable=False).qb64)


@dataclass(frozen=True, slots=True)
class KelMessage:
    """One message of a KEL stream: the event and its attachments, as served."""

    aid: str
    sn: int
    ilk: str
    said: str
    raw: bytes


def split(stream: bytes) -> list[KelMessage]:
    """A KERI stream (KELs as a controller replays them, TELs, replies) split into its messages;
    ``aid`` is the message's ``i`` (a TEL event's: the registry or credential), ``sn`` -1 for a
    reply."""
    out: list[KelMessage] = []
    rest = bytes(stream)
    while rest:
        serder = serdering.SerderKERI(raw=rest)
        nxt = rest.find(b'{"v":"KERI', serder.size)
        end = len(rest) if nxt < 0 else nxt
        ked = serder.ked
        sn = int(ked["s"], 16) if isinstance(ked.get("s"), str) else -1  # replies have no sn
        pre = ked.get("i") if isinstance(ked.get("i"), str) else ""
        out.append(KelMessage(str(pre), sn, str(serder.ilk), str(serder.said), rest[:end]))
        rest = rest[end:]
    return out


def join(msgs: Sequence[KelMessage]) -> bytes:
    return b"".join(m.raw for m in msgs)


def without(stream: bytes, aid: str, *, from_sn: int | None = None, sns: Sequence[int] = ()) -> bytes:
    """``stream`` without ``aid``'s events at ``sns`` and (``from_sn``) from that sn on."""
    return join([m for m in split(stream)
                 if not (m.aid == aid and (m.sn in sns or (from_sn is not None and m.sn >= from_sn)))])


def _dater_text(t: _dt.datetime) -> bytes:
    return bytes(coring.Dater(dts=iso(t)).qb64b)


def moved_first_seen(stream: bytes, aid: str, sn: int, t: _dt.datetime) -> bytes:
    """``stream`` with the first-seen time the server attached to ``aid``'s event ``sn`` replaced
    by ``t`` (the ``-E`` couple is not signed: any host can write any time there)."""
    out = []
    for m in split(stream):
        if m.aid == aid and m.sn == sn:
            raw = m.raw
            i = raw.find(b"-EAB")
            if i < 0:
                raise WorldBuildError(f"{aid} sn {sn} carries no first-seen couple")
            start = i + 4 + len(coring.Seqner(sn=0).qb64b)
            old = raw[start:start + len(_dater_text(t))]
            m = KelMessage(m.aid, m.sn, m.ilk, m.said, raw[:start] + _dater_text(t) + raw[start + len(old):])
        out.append(m)
    return join(out)


def first_seen_couple(fn: int, t: _dt.datetime) -> bytes:
    ctr = core.Counter(code=CtrDex_1_0.FirstSeenReplayCouples, count=1, gvrsn=kering.Vrsn_1_0)
    return bytes(ctr.qb64b) + bytes(coring.Seqner(sn=fn).qb64b) + _dater_text(t)


def forked_event(world: World, party: str, sn: int, *, at: _dt.datetime, note: str = "fork") -> bytes:
    """A second interaction event of ``party`` at ``sn`` (the controller's key in force, witness
    receipts from the party's witnesses up to its toad, a first-seen couple at ``at``): two
    events at one sequence number, each properly signed: duplicity."""
    p = world.parties[party]
    prior = next(e for e in p.events if e.sn == sn - 1)
    key = [k for k in p.keys if k.sn <= sn - 1][-1]
    serder = eventing.interact(pre=p.aid, dig=prior.said, sn=sn,
                               data=[dict(i=p.aid, s="0", d=coring.Diger(ser=note.encode()).qb64)])
    siger = signing.Signer(qb64=key.seeds[0], transferable=True).sign(ser=serder.raw, index=0)
    wigers = [signing.Signer(qb64=_seed_of(w), transferable=False).sign(ser=serder.raw, index=i)
              for i, w in enumerate(p.witnesses)][: max(p.toad, 1)]
    msg = bytes(eventing.messagize(serder, sigers=[siger], wigers=wigers, pipelined=False))
    return msg + first_seen_couple(sn, at)
