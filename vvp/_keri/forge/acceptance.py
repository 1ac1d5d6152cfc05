"""What keri itself accepts from a made stream: its parser, its Kevery, its credential Verifier.

keri's parser never raises (keri-notes §0): a maker of test streams must ask keri afterwards what
it accepted and compare that with what it meant to make. These functions parse a stream into a
fresh store and report, as frozen dataclasses, what keri holds: for a KEL, the accepted key state,
the non-empty escrows, each event's first-seen time as the parser handed it to
``Kevery.processEvent`` (keri 1.3.6's cloned-replay Kevery stores the ``-E`` time for
establishment events only and stamps ``ixn`` events with "now"), and the keys of chosen events;
for a dossier, each credential's registry, TEL events, TEL state, schema validity by keri's
``Schemer``, and whether keri's ``Verifier`` saved it. No world knowledge: the comparison with
the intended world lives in :mod:`vvp.testing.worldgen.check`.
"""

from __future__ import annotations

import datetime as _dt
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from keri.core import parsing, scheming, serdering  # noqa: I001
from keri.db import dbing
from keri.vdr import verifying

from vvp._keri._store import Store, fresh_store


@dataclass(frozen=True, slots=True)
class KelAcceptance:
    """One AID as keri accepted it from a stream (``accepted`` False: nothing else is filled)."""

    accepted: bool
    escrows: tuple[str, ...]
    sn: int = -1
    said: str = ""
    witnesses: tuple[str, ...] = ()
    toad: int = 0
    delegator: str | None = None
    first_seen: Mapping[str, _dt.datetime | None] | None = None
    """Event SAID -> the ``-E`` time the parser extracted (None: the event carried none)."""
    keys: Mapping[str, tuple[str, ...] | None] | None = None
    """Asked-for event SAID -> the public keys of that stored event (None: not stored)."""


@dataclass(frozen=True, slots=True)
class CredentialAcceptance:
    """One ACDC as keri holds it after parsing a dossier stream."""

    registry_accepted: bool
    registry_issuer: str | None = None
    tel: tuple[tuple[str, str | None], ...] = ()
    """(ilk, dt) of every TEL event keri stored, in sn order."""
    tel_state: str | None = None
    """The ilk of the TEL state keri holds (``iss``, ``rev``), or None."""
    schema_error: str | None = None
    saved: bool = False
    stored_raw: bytes | None = None


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


def kel_acceptance(stream: bytes, aid: str, *, key_saids: Sequence[str] = ()) -> KelAcceptance:
    """Parse ``stream`` (an OOBI response: delegators' KELs, then ``aid``'s) into a fresh store."""
    with fresh_store() as st:
        seen_at = _record_first_seen(st)
        st.parser().parse(ims=bytearray(stream))
        st.kvy.processEscrows()
        kever = st.kvy.kevers.get(aid) if aid in st.kvy.kevers else None
        escrows = tuple(_escrows(st))
        if kever is None:
            return KelAcceptance(accepted=False, escrows=escrows)
        keys: dict[str, tuple[str, ...] | None] = {}
        for said in key_saids:
            raw = st.db.getEvt(dbing.dgKey(aid, said))
            keys[said] = None if raw is None else tuple(
                v.qb64 for v in serdering.SerderKERI(raw=bytes(raw)).verfers)
        return KelAcceptance(
            accepted=True, escrows=escrows, sn=int(kever.sn), said=str(kever.serder.said),
            witnesses=tuple(str(w) for w in kever.wits), toad=int(kever.toader.num),
            delegator=None if kever.delpre is None else str(kever.delpre),
            first_seen={said: t for (pre, said), t in seen_at.items() if pre == aid}, keys=keys)


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


def dossier_acceptance(stream: bytes, schemas: Mapping[str, bytes],
                       credentials: Sequence[tuple[str, str, str, bytes]]) -> dict[str, CredentialAcceptance]:
    """Parse a dossier stream with keri's Kevery, Tevery and credential Verifier, ``schemas``
    (SAID -> bytes) pinned first; report every credential given as (SAID, registry, schema SAID,
    ACDC bytes), keyed by its SAID."""
    out: dict[str, CredentialAcceptance] = {}
    with fresh_store() as st:
        hby = types.SimpleNamespace(db=st.db, kvy=st.kvy, name="world-check", temp=True, inited=True)
        vry = verifying.Verifier(hby=hby, reger=st.reger)
        schemers = {said: scheming.Schemer(raw=raw) for said, raw in schemas.items()}
        for said, schemer in schemers.items():
            st.db.schema.pin(said, schemer)
        parsing.Parser(framed=True, kvy=st.kvy, tvy=vry.tvy, vry=vry).parse(ims=bytearray(stream))
        for _ in range(3):
            st.kvy.processEscrows()
            vry.tvy.processEscrows()
            vry.processEscrows()
        for said, registry, schema, raw in credentials:
            out[said] = _credential(st, said, registry, schema, raw, schemers)
    return out


def _credential(st: Store, said: str, registry: str, schema: str, raw: bytes,
                schemers: Mapping[str, scheming.Schemer]) -> CredentialAcceptance:
    tever = st.reger.tevers.get(registry) if registry in st.reger.tevers else None
    if tever is None:
        return CredentialAcceptance(registry_accepted=False)
    vcs = tever.vcState(said)
    schema_error = None
    try:
        schemers[schema].verify(raw=raw)
    except Exception as ex:  # noqa: BLE001 - keri wraps jsonschema errors in several types
        schema_error = str(ex)
    saved = st.reger.saved.get(keys=said) is not None
    stored = None
    if saved:
        creder = st.reger.creds.get(keys=(said,))
        stored = None if creder is None else bytes(creder.raw)
    return CredentialAcceptance(
        registry_accepted=True, registry_issuer=str(tever.pre), tel=tuple(_tel_events(st, said)),
        tel_state=None if vcs is None else str(vcs.et), schema_error=schema_error, saved=saved, stored_raw=stored)
