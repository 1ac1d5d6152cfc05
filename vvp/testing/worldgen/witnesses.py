"""The test world's witnesses as hosts of their own (architecture §2.4; issue 15).

What keripy's witnesses serve, made for the deterministic world: each witness's signed
``/loc/scheme`` reply for the URL it is served at (signed with the witness's own
non-transferable key, re-derived from the world's fixed salt), and the tools a test needs to make
the ``kid`` or ``evd`` host lie while the witnesses tell the truth, or to make a witness lag or
fork: splitting a KEL into its messages, dropping events, moving an event's first-seen time,
and a second, properly signed and witnessed event at a sequence number (duplicity). The keri
messages are made by :mod:`vvp._keri.forge.messages`; this module picks the world's keys.

Test-world code only (the keys are the world's test keys); ``vvp.testing.world.server`` serves it.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Sequence

from vvp._keri.forge import messages
from vvp._keri.forge.generator import Generator, StepClock, WorldBuildError, keri_clock, quiet_keri
from vvp._keri.forge.messages import KelMessage as KelMessage
from vvp._keri.forge.messages import join as join
from vvp._keri.forge.messages import split as split
from vvp._keri.forge.signatures import nontransferable_seed
from vvp.testing.worldgen.model import EPOCH, World, iso


@functools.lru_cache(maxsize=2)
def witness_seeds(count: int = 3) -> tuple[tuple[str, str], ...]:
    """``(witness AID, private seed)`` of the world's witnesses, re-derived exactly as the world
    build makes them (same Habery salt, same order): a witness can sign replies after the build."""
    clock = StepClock(EPOCH)
    gen = Generator(clock)
    try:
        with keri_clock(clock), quiet_keri():
            gen.make_witnesses(count)
            return gen.witness_seeds()
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
    return messages.loc_scheme_reply(eid, url, scheme=scheme, stamp=iso(stamp), seed=signer_seed or _seed_of(eid))


def stranger_seed(label: str = "stranger") -> str:
    """A non-transferable key that is nobody's witness (for forged replies)."""
    return nontransferable_seed(label, person=b"vvp-stranger")


def without(stream: bytes, aid: str, *, from_sn: int | None = None, sns: Sequence[int] = ()) -> bytes:
    """``stream`` without ``aid``'s events at ``sns`` and (``from_sn``) from that sn on."""
    return join([m for m in split(stream)
                 if not (m.aid == aid and (m.sn in sns or (from_sn is not None and m.sn >= from_sn)))])


def moved_first_seen(stream: bytes, aid: str, sn: int, t: _dt.datetime) -> bytes:
    """``stream`` with the first-seen time the server attached to ``aid``'s event ``sn`` replaced
    by ``t`` (the ``-E`` couple is not signed: any host can write any time there)."""
    try:
        return messages.moved_first_seen(stream, aid, sn, iso(t))
    except messages.StreamEditError as ex:
        raise WorldBuildError(str(ex)) from None


def first_seen_couple(fn: int, t: _dt.datetime) -> bytes:
    return messages.first_seen_couple(fn, iso(t))


def forked_event(world: World, party: str, sn: int, *, at: _dt.datetime, note: str = "fork") -> bytes:
    """A second interaction event of ``party`` at ``sn`` (the controller's key in force, witness
    receipts from the party's witnesses up to its toad, a first-seen couple at ``at``): two
    events at one sequence number, each properly signed: duplicity."""
    p = world.parties[party]
    prior = next(e for e in p.events if e.sn == sn - 1)
    key = [k for k in p.keys if k.sn <= sn - 1][-1]
    wit_seeds = [_seed_of(w) for w in p.witnesses][: max(p.toad, 1)]
    msg = messages.forked_interaction(p.aid, sn=sn, prior_said=prior.said, note=note, seed=key.seeds[0],
                                      witness_seeds=wit_seeds)
    return msg + first_seen_couple(sn, at)
