"""Does keri itself accept the generated world as intended?

This is the generator's own acceptance test, independent of vvp's verifier: every stream of the
world goes through keri's ``Parser`` into a fresh store (:mod:`vvp._keri.forge.acceptance` reports
what keri holds) and the outcome is compared here with what the generator meant to make, because
keri's parser never raises (keri-notes §0) and a world that is silently half-broken would make
every test built on it lie.

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
from collections.abc import Iterable
from dataclasses import dataclass

from vvp import codes
from vvp._keri.forge.acceptance import CredentialAcceptance, dossier_acceptance, kel_acceptance
from vvp.errors import OperationalError
from vvp.testing.worldgen.model import CALL_AT, Credential, Dossier, Party, TelEvent, World, iso


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


def check_party(world: World, p: Party) -> list[str]:
    """Parse the party's OOBI stream into a fresh store; compare with the intended KEL."""
    out: list[str] = []
    acc = kel_acceptance(p.oobi, p.aid, key_saids=[k.said for k in p.keys] if p.transferable else ())
    if not acc.accepted:
        return [f"{p.name}: KEL not accepted ({', '.join(acc.escrows) or 'no escrow entry'})"]
    if acc.escrows:
        out.append(f"{p.name}: escrows not empty: {', '.join(acc.escrows)}")
    if not p.transferable:
        return out
    last = p.events[-1]
    if acc.sn != last.sn or acc.said != last.said:
        out.append(f"{p.name}: accepted sn {acc.sn} {acc.said}, intended sn {last.sn} {last.said}")
    if list(acc.witnesses) != list(p.witnesses) or acc.toad != p.toad:
        out.append(f"{p.name}: witnesses {list(acc.witnesses)} toad {acc.toad}, intended "
                   f"{list(p.witnesses)} toad {p.toad}")
    want_delpre = world.parties[p.delegator].aid if p.delegator else None
    if acc.delegator != want_delpre:
        out.append(f"{p.name}: delegator {acc.delegator}, intended {want_delpre}")
    first_seen = acc.first_seen or {}
    for ev in p.events:
        seen = first_seen.get(ev.said)
        if seen != ev.at:
            out.append(f"{p.name} sn {ev.sn}: first seen {seen and iso(seen)}, intended {iso(ev.at)}")
    for k in p.keys:
        keys = (acc.keys or {}).get(k.said)
        if keys is None:
            out.append(f"{p.name}: establishment event sn {k.sn} missing")
            continue
        if keys != k.public_keys:
            out.append(f"{p.name} sn {k.sn}: keys {keys}, intended {k.public_keys}")
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
    creds = [world.credentials[name] for name in d.credentials]
    accepted = dossier_acceptance(d.stream, world.schemas, [(c.said, c.registry, c.schema, c.raw) for c in creds])
    for c in creds:
        out += _check_credential(world, c, accepted[c.said], f"{d.name}/{c.name}")
    return out


def _check_credential(world: World, c: Credential, acc: CredentialAcceptance, where: str) -> list[str]:
    out: list[str] = []
    if not acc.registry_accepted:
        return [f"{where}: registry {c.registry} not accepted"]
    if acc.registry_issuer != c.issuer:
        out.append(f"{where}: registry issuer {acc.registry_issuer} is not the ACDC issuer {c.issuer}")
    want = [(e.ilk, iso(e.at)) for e in c.tel_events]
    got = list(acc.tel)
    if got != want:
        out.append(f"{where}: TEL {got}, intended {want}")
    for t in _probe_times(c):
        if _state_from_tel(got, t) != c.state_at(t):
            out.append(f"{where}: state at {iso(t)} is {_state_from_tel(got, t)}, intended {c.state_at(t)}")
    if acc.tel_state is None or acc.tel_state != (c.tel_events[-1].ilk if c.tel_events else None):
        out.append(f"{where}: TEL state {acc.tel_state}, intended {_last(c.tel_events)}")
    if acc.schema_error is not None:
        out.append(f"{where}: not valid against its schema {c.schema}: {acc.schema_error}")
    expect_saved = not _reaches_revoked(world, c.name)
    if acc.saved != expect_saved:
        out.append(f"{where}: keri's Verifier {'saved' if acc.saved else 'did not save'} it, intended "
                   f"{'saved' if expect_saved else 'refused (revoked edge)'}")
    if acc.saved and acc.stored_raw != c.raw:
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
