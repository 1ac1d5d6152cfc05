"""Does keri itself accept the generated world as intended?

This is the generator's own acceptance test, independent of vvp's verifier: every stream of the
world goes through keri's ``Parser`` into a fresh store and the outcome is compared with what the
generator meant to make, because keri's parser never raises (keri-notes §0) and a world that is
silently half-broken would make every test built on it lie.

* Each party's OOBI stream: the AID is accepted at its last sn and SAID, with its witnesses,
  threshold and delegator; no escrow holds anything; every event's first-seen time (the ``-E``
  attachment as keri's parser extracts it) is the time the generator chose; each establishment
  event carries the public keys the world records. (keri 1.3.6's cloned-replay Kevery stores the
  ``-E`` time for establishment events only and stamps ``ixn`` events with "now", so the times
  are taken where the parser hands them to ``Kevery.processEvent``.)
* Each dossier stream: every credential's TEL has the intended events with the intended ``dt``s
  (so its state at any time is the intended one), its registry's issuer is its issuer, it
  validates against its schema with keri's ``Schemer``, and keri's ``Verifier`` saves it unless one
  of its edge targets is revoked (keri then refuses the chain, which is also intended).
"""

from __future__ import annotations

import datetime as _dt
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from keri.core import parsing, scheming, serdering  # noqa: I001
from keri.db import dbing
from keri.vdr import verifying

from vvp import codes
from vvp._keri._store import Store, fresh_store
from vvp._keri.worldgen.model import CALL_AT, Credential, Dossier, Party, TelEvent, World, iso
from vvp.errors import OperationalError


class WorldCheckError(OperationalError):
    default_code = codes.WORLD_CHECK_FAILED


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What was checked and every difference from the intended world (none: ``ok``)."""

    schema_set: str
    kels: int
    dossiers: int
    credentials: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        if self.problems:
            raise WorldCheckError(f"{len(self.problems)} problem(s): " + "; ".join(self.problems[:10]))


def _dts(value: bytes | bytearray | memoryview | None) -> _dt.datetime | None:
    if value is None:
        return None
    return _dt.datetime.fromisoformat(bytes(value).decode()).astimezone(_dt.UTC)


def _record_first_seen(st: Store) -> dict[tuple[str, str], _dt.datetime | None]:
    """Wrap this store's ``Kevery.processEvent`` to note the ``-E`` datetime the parser extracted
    for each event (keyed by AID and event SAID)."""
    seen: dict[tuple[str, str], _dt.datetime | None] = {}
    process = st.kvy.processEvent

    def recording(serder: Any, sigers: Any, **kwa: Any) -> Any:
        dater = kwa.get("dater")
        seen.setdefault((str(serder.pre), str(serder.said)), _dts(dater.dtsb) if dater is not None else None)
        return process(serder, sigers, **kwa)

    st.kvy.processEvent = recording
    return seen


def _escrows(st: Store) -> list[str]:
    db = st.db
    counts = {
        "ooes": db.cnt(db.ooes), "pwes": db.cnt(db.pwes), "pses": db.cnt(db.pses), "ldes": db.cnt(db.ldes),
        "pdes": sum(1 for _ in db.pdes.getItemIter()), "uwes": sum(1 for _ in db.uwes.getItemIter()),
    }
    return [f"{k}={v}" for k, v in counts.items() if v]


def check_party(world: World, p: Party) -> list[str]:
    """Parse the party's OOBI stream into a fresh store; compare with the intended KEL."""
    out: list[str] = []
    with fresh_store() as st:
        seen_at = _record_first_seen(st)
        st.parser().parse(ims=bytearray(p.oobi))
        st.kvy.processEscrows()
        kever = st.kvy.kevers.get(p.aid) if p.aid in st.kvy.kevers else None
        if kever is None:
            return [f"{p.name}: KEL not accepted ({', '.join(_escrows(st)) or 'no escrow entry'})"]
        if escrows := _escrows(st):
            out.append(f"{p.name}: escrows not empty: {', '.join(escrows)}")
        if not p.transferable:
            return out
        last = p.events[-1]
        if kever.sn != last.sn or kever.serder.said != last.said:
            out.append(f"{p.name}: accepted sn {kever.sn} {kever.serder.said}, intended sn {last.sn} {last.said}")
        if list(kever.wits) != list(p.witnesses) or kever.toader.num != p.toad:
            out.append(f"{p.name}: witnesses {list(kever.wits)} toad {kever.toader.num}, intended "
                       f"{list(p.witnesses)} toad {p.toad}")
        want_delpre = world.parties[p.delegator].aid if p.delegator else None
        if kever.delpre != want_delpre:
            out.append(f"{p.name}: delegator {kever.delpre}, intended {want_delpre}")
        for ev in p.events:
            seen = seen_at.get((p.aid, ev.said))
            if seen != ev.at:
                out.append(f"{p.name} sn {ev.sn}: first seen {seen and iso(seen)}, intended {iso(ev.at)}")
        for k in p.keys:
            raw = st.db.getEvt(dbing.dgKey(p.aid, k.said))
            if raw is None:
                out.append(f"{p.name}: establishment event sn {k.sn} missing")
                continue
            keys = tuple(v.qb64 for v in serdering.SerderKERI(raw=bytes(raw)).verfers)
            if keys != k.public_keys:
                out.append(f"{p.name} sn {k.sn}: keys {keys}, intended {k.public_keys}")
    return out


def _tel_events(st: Store, vcid: str) -> list[tuple[str, str | None]]:
    """(ilk, dt) of every TEL event of ``vcid`` as keri stored it, in sn order."""
    out: list[tuple[str, str | None]] = []
    sn = 0
    while (dig := st.reger.getTel(dbing.snKey(vcid, sn))) is not None:
        raw = st.reger.getTvt(dbing.dgKey(vcid, bytes(dig)))
        ked = serdering.SerderKERI(raw=bytes(raw)).ked
        out.append((str(ked["t"]), ked.get("dt")))
        sn += 1
    return out


def _state_from_tel(events: Iterable[tuple[str, str | None]], t: _dt.datetime) -> str:
    state = "unknown"
    for ilk, dt in events:
        if dt is None or _dt.datetime.fromisoformat(dt) > t:
            break
        state = {"iss": "issued", "bis": "issued", "rev": "revoked", "brv": "revoked"}.get(ilk, state)
    return state


def _probe_times(c: Credential) -> list[_dt.datetime]:
    second = _dt.timedelta(seconds=1)
    ts = [c.issued_at - second, c.issued_at, CALL_AT]
    if c.revoked_at is not None:
        ts += [c.revoked_at - second, c.revoked_at]
    return ts


def _reaches_revoked(world: World, name: str) -> bool:
    """keri refuses a credential whose edge target (direct or further down) is revoked."""
    for target in world.credentials[name].edges.values():
        if world.credentials[target].revoked_at is not None or _reaches_revoked(world, target):
            return True
    return False


def check_dossier(world: World, d: Dossier) -> list[str]:
    """Parse the dossier stream with keri's Verifier; compare every credential with the plan."""
    out: list[str] = []
    with fresh_store() as st:
        hby = types.SimpleNamespace(db=st.db, kvy=st.kvy, name="world-check", temp=True, inited=True)
        vry = verifying.Verifier(hby=hby, reger=st.reger)
        schemers = {said: scheming.Schemer(raw=raw) for said, raw in world.schemas.items()}
        for said, schemer in schemers.items():
            st.db.schema.pin(said, schemer)
        parsing.Parser(framed=True, kvy=st.kvy, tvy=vry.tvy, vry=vry).parse(ims=bytearray(d.stream))
        for _ in range(3):
            st.kvy.processEscrows()
            vry.tvy.processEscrows()
            vry.processEscrows()
        for name in d.credentials:
            c = world.credentials[name]
            out += _check_credential(world, st, c, schemers, f"{d.name}/{name}")
    return out


def _check_credential(world: World, st: Store, c: Credential, schemers: dict[str, scheming.Schemer],
                      where: str) -> list[str]:
    out: list[str] = []
    tever = st.reger.tevers.get(c.registry) if c.registry in st.reger.tevers else None
    if tever is None:
        return [f"{where}: registry {c.registry} not accepted"]
    if tever.pre != c.issuer:
        out.append(f"{where}: registry issuer {tever.pre} is not the ACDC issuer {c.issuer}")
    want = [(e.ilk, iso(e.at)) for e in c.tel_events]
    got = _tel_events(st, c.said)
    if got != want:
        out.append(f"{where}: TEL {got}, intended {want}")
    for t in _probe_times(c):
        if _state_from_tel(got, t) != c.state_at(t):
            out.append(f"{where}: state at {iso(t)} is {_state_from_tel(got, t)}, intended {c.state_at(t)}")
    vcs = tever.vcState(c.said)
    if vcs is None or vcs.et != (c.tel_events[-1].ilk if c.tel_events else None):
        out.append(f"{where}: TEL state {vcs and vcs.et}, intended {_last(c.tel_events)}")
    try:
        schemers[c.schema].verify(raw=c.raw)
    except Exception as ex:  # noqa: BLE001 - keri wraps jsonschema errors in several types
        out.append(f"{where}: not valid against its schema {c.schema}: {ex}")
    saved = st.reger.saved.get(keys=c.said) is not None
    expect_saved = not _reaches_revoked(world, c.name)
    if saved != expect_saved:
        out.append(f"{where}: keri's Verifier {'saved' if saved else 'did not save'} it, intended "
                   f"{'saved' if expect_saved else 'refused (revoked edge)'}")
    if saved:
        creder = st.reger.creds.get(keys=(c.said,))
        if creder is None or bytes(creder.raw) != c.raw:
            out.append(f"{where}: stored ACDC differs from the world's bytes")
    return out


def _last(events: tuple[TelEvent, ...]) -> str | None:
    return events[-1].ilk if events else None


def check_world(world: World) -> CheckReport:
    """Check every party's KEL and every dossier of ``world`` with keri (about a second)."""
    problems: list[str] = []
    for p in world.parties.values():
        problems += check_party(world, p)
    ncreds = 0
    for d in world.dossiers.values():
        problems += check_dossier(world, d)
        ncreds += len(d.credentials)
    return CheckReport(schema_set=world.schema_set, kels=len(world.parties), dossiers=len(world.dossiers),
                       credentials=ncreds, problems=tuple(problems))
