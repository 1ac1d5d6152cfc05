"""Verified KERI state kept across verifications: keri's verdict on a key event, reused when the
same event arrives again (architecture §5, "Cold path").

A terminating provider meets a new dossier whenever a new caller calls, and most of its KELs are
shared (the identity root and its delegates, the QVIs, the regulators and carriers). Every dossier
is still ingested in its own fresh keri store (:mod:`vvp._keri._store`: one call's evidence never
changes another's verdict); what is kept between them is keri's *work*:

* :class:`VerifiedKels` holds each key event keri accepted, as a :class:`KnownEvent`: the exact
  message it accepted (body and attachments), keri's own database rows for it and keri's key-state
  record right after it. Keyed by AID and event SAID; the SAIDs chain each event to its prior, so
  an event names its whole KEL up to it.
* :class:`Reuse` is one ingest's use of it. A message of the stream that is byte for byte a known
  event (only the unsigned ``-E`` first-seen couple may differ: keri does not read it outside its
  cloned mode, and the stream's own time is what vvp reports), arriving when this store's KEL of
  its AID ends exactly at the event's prior (and, for a delegated establishment event, when the
  delegator's approving event is accepted in this store), is *not* handed to keri: keri's rows
  for it are written into the fresh store and keri reloads the key state from its own record, so
  every later event, TEL anchor and delegation is judged by keri on exactly the state it would
  have built itself. Anything else (a new event, a message whose signatures or receipts differ, an
  event out of order, a delegated event whose delegator is not there yet) goes to keri.
* After the ingest, :meth:`Reuse.learn` keeps the events keri accepted in this store from their own
  message alone (in order, every attached signature verified, no receipt from elsewhere, no
  superseded event in the AID's KEL).
* A second, different event keri accepted at an sn the state already holds for that AID is
  duplicity between two sources: it is kept as a :class:`Conflict` (``KEL_DUPLICITY``, with both
  messages), the AID is never reused again (neither version), and nothing is merged. The call that
  brought it is judged on its own evidence, as every call is.

So the verdict of every call is a function of its own evidence, with or without this state (a
long-lived verifier and a fresh one give byte-identical verdicts), and a record of a call that
used it holds every byte the verdict relied on: the reused messages are the call's own bytes.
Freshness is not this module's concern: it never says which state is *current* (that is the
stream of the call, fetched within ``key_state_freshness_s`` by the caches above); it only says
that a given event, on a given prior state, is valid.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from keri.core import coring  # noqa: I001  (keri.core before keri.db: import order)
from keri.db import dbing
from keri.vdr import eventing as veventing
from hio.help import decking

from vvp import codes
from vvp._keri._store import Store

_log = logging.getLogger("vvp.keystate")

# keri's rows for an accepted event (Kever.logEvent and Kevery.processEvent, keri 1.3.6): tables
# keyed by (AID, event SAID) ...
_DG_TABLES = ("evts", "dtss", "aess", "sigs", "wigs")
_DG_SUBERS = ("fons", "esrs", "wits")
# ... the KEL by sn (kels), the first-seen log by fn (fels), and the key-state record (states).
_MAX_VARIANTS = 4  # messages kept per event (they may differ in their -E couple, or in attachments)

_HEAD = re.compile(rb'\{"v":"KERI10JSON[0-9a-f]{6}_","t":"(icp|rot|ixn|dip|drt)","d":"([A-Za-z0-9_-]{44})",'
                   rb'"i":"([A-Za-z0-9_-]{44})","s":"([0-9a-f]{1,32})"')
# the -E first-seen couple as keri writes it: a Seqner (0A + 22) and a Dater (1AAG + 32)
_FIRST_SEEN = re.compile(rb"0A[A-Za-z0-9_-]{22}1AAG\d{4}-\d\d-\d\dT\d\dc\d\dc\d\dd\d{6}[p-]\d\dc\d\d")
_NEXT = frozenset(b"{ \t\r\n")


@dataclass(frozen=True, slots=True)
class KnownEvent:
    """A key event keri accepted from its own message, with what keri stored for it.

    ``message`` is the body and its attachments exactly as verified; ``mask`` the span of its
    ``-E`` first-seen couple (which another stream may carry with another time); ``rows`` keri's
    database rows for the event (table name, raw key, raw value) and ``state`` keri's key-state
    record after it. ``delegation`` is (delegator, sn, SAID) of the event that approved a delegated
    establishment event. ``delegator``, ``seals`` and ``dts`` are what the ingest reports for it.
    """

    aid: str
    sn: int
    said: str
    ilk: str
    prior: str | None
    message: bytes
    mask: tuple[int, int] | None
    dts: str | None
    delegation: tuple[str, int, str] | None
    delegator: str | None
    seals: tuple[tuple[str, int, str], ...]
    rows: tuple[tuple[str, bytes, bytes], ...]
    state: bytes
    signatures: int


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two different events keri accepted at one sn of one AID, from two sources: duplicity (or a
    recovery the state cannot tell from it). Neither is reused again; both messages are kept."""

    aid: str
    sn: int
    known_said: str
    new_said: str
    known_source: str
    new_source: str
    known_message: bytes
    new_message: bytes
    code: str = codes.KEL_DUPLICITY

    @property
    def message(self) -> str:
        return (f"{self.aid} sn {self.sn}: {self.known_said} (from {self.known_source}) and {self.new_said} "
                f"(from {self.new_source}) were both accepted by keri: duplicity, never merged")


@dataclass(frozen=True, slots=True)
class KnownTel:
    """A TEL event (registry inception, issuance, revocation of a registry without backers) keri
    accepted from its own message, with keri's rows for it in its TEL store and, for a registry
    inception, the registry's state record after it (keri's ``RegStateRecord``). ``anchor`` is the
    issuer's KEL event that seals it (issuer AID, sn, SAID); ``registry``, ``registry_issuer`` and
    ``dt`` are what the ingest reports for it."""

    pre: str
    sn: int
    said: str
    ilk: str
    regk: str
    prior: str | None
    anchor: tuple[str, int, str]
    message: bytes
    rows: tuple[tuple[str, bytes, bytes], ...]
    state: Any
    registry: str | None
    registry_issuer: str | None
    dt: str | None
    tever: list[Any] = field(default_factory=list, compare=False, repr=False)
    """keri's registry state object once reloaded (a registry inception only): see ``_tever``."""


@dataclass
class _Aid:
    by_sn: dict[int, str] = field(default_factory=dict)  # the verified KEL: sn -> SAID
    events: dict[str, list[KnownEvent]] = field(default_factory=dict)  # SAID -> message variants
    source: dict[int, str] = field(default_factory=dict)


class VerifiedKels:
    """Key events keri accepted, shared by the verifications of one process (module docstring).

    Bounded (``max_events`` key events and as many TEL events, least recently used AIDs and TELs
    go first; an event with its message, keri's rows and record is about 5 KB, so the default is
    of the order of 100 MB at most) and thread-safe: reads are dict lookups of immutable entries,
    writes hold a lock. ``reused`` counts the events ingests took
    from here instead of asking keri, ``learnt`` the events kept.
    """

    def __init__(self, max_events: int = 10_000, max_conflicts: int = 256) -> None:
        self.max_events = max_events
        self.max_conflicts = max_conflicts
        self._lock = threading.Lock()
        self._aids: OrderedDict[str, _Aid] = OrderedDict()
        self._by_said: dict[str, tuple[KnownEvent, ...]] = {}
        self._tels: OrderedDict[str, dict[int, KnownTel]] = OrderedDict()  # TEL (registry or credential) by sn
        self._tel_by_said: dict[str, KnownTel] = {}
        self._tel_count = 0
        self._conflicted: set[str] = set()
        self._conflicts: list[Conflict] = []
        self._count = 0
        self.reused = 0
        self.tels_reused = 0
        self.learnt = 0

    def __len__(self) -> int:
        return self._count

    def lookup(self, said: str) -> tuple[KnownEvent, ...]:
        """The known messages of the event ``said`` (empty when none, or when its AID conflicted)."""
        return self._by_said.get(said, ())

    def lookup_tel(self, said: str) -> KnownTel | None:
        """The known TEL event ``said`` (None when none, or when its TEL disagreed once)."""
        return self._tel_by_said.get(said)

    def learn_tels(self, events: Iterable[KnownTel]) -> None:
        """Keep TEL events keri accepted; a TEL that shows two different events at one sn is
        never reused again (neither is kept)."""
        with self._lock:
            for ev in events:
                if ev.pre in self._conflicted:
                    continue
                tel = self._tels.get(ev.pre)
                if tel is None:
                    tel = self._tels[ev.pre] = {}
                else:
                    self._tels.move_to_end(ev.pre)
                have = tel.get(ev.sn)
                if have is not None:
                    if have.said != ev.said:
                        self._drop_tel(ev.pre)
                        self._conflicted.add(ev.pre)
                    continue
                tel[ev.sn] = ev
                self._tel_by_said[ev.said] = ev
                self._tel_count += 1
            while self._tel_count > self.max_events and self._tels:
                self._drop_tel(next(iter(self._tels)))

    def _drop_tel(self, pre: str) -> None:
        for ev in self._tels.pop(pre, {}).values():
            self._tel_by_said.pop(ev.said, None)
            self._tel_count -= 1

    def conflicts(self) -> tuple[Conflict, ...]:
        """The duplicity found between sources so far (most recent last, bounded)."""
        with self._lock:
            return tuple(self._conflicts)

    def conflicted(self, aid: str) -> bool:
        return aid in self._conflicted

    def known_said(self, aid: str, sn: int) -> str | None:
        """The SAID of the verified event at ``sn`` of ``aid``, if this state holds one."""
        entry = self._aids.get(aid)
        return entry.by_sn.get(sn) if entry is not None else None

    def learn(self, events: Iterable[KnownEvent], source: str, *, reused: Iterable[str] = (),
              reused_count: int = 0, tels_reused: int = 0) -> tuple[Conflict, ...]:
        """Keep ``events`` (accepted by keri in one store); report and quarantine duplicity.
        ``reused`` names the AIDs whose known events the ingest took (they stay recent)."""
        found: list[Conflict] = []
        with self._lock:
            self.reused += reused_count
            self.tels_reused += tels_reused
            for aid in reused:
                if aid in self._aids:
                    self._aids.move_to_end(aid)
            for ev in events:
                if ev.aid in self._conflicted:
                    continue
                entry = self._aids.get(ev.aid)
                if entry is None:
                    entry = self._aids[ev.aid] = _Aid()
                else:
                    self._aids.move_to_end(ev.aid)
                have = entry.by_sn.get(ev.sn)
                if have is not None and have != ev.said:
                    old = entry.events.get(have, [])
                    c = Conflict(aid=ev.aid, sn=ev.sn, known_said=have, new_said=ev.said,
                                 known_source=entry.source.get(ev.sn, ""), new_source=source,
                                 known_message=old[0].message if old else b"", new_message=ev.message)
                    found.append(c)
                    self._quarantine(ev.aid)
                    continue
                variants = entry.events.setdefault(ev.said, [])
                if any(v.message == ev.message for v in variants) or len(variants) >= _MAX_VARIANTS:
                    continue
                if have is None:
                    entry.by_sn[ev.sn] = ev.said
                    entry.source[ev.sn] = source
                variants.append(ev)
                self._by_said[ev.said] = self._by_said.get(ev.said, ()) + (ev,)
                self._count += 1
                self.learnt += 1
            self._conflicts.extend(found)
            del self._conflicts[:-self.max_conflicts]
            while self._count > self.max_events and self._aids:
                self._drop(next(iter(self._aids)))
        for c in found:
            _log.warning("%s: %s", c.code, c.message)
        return tuple(found)

    def _quarantine(self, aid: str) -> None:
        self._drop(aid)
        self._conflicted.add(aid)

    def _drop(self, aid: str) -> None:
        entry = self._aids.pop(aid, None)
        if entry is None:
            return
        for said, variants in entry.events.items():
            self._count -= len(variants)
            rest = tuple(v for v in self._by_said.get(said, ()) if v.aid != aid)
            if rest:
                self._by_said[said] = rest
            else:
                self._by_said.pop(said, None)


# --------------------------------------------------------------------------------------------
# keri's rows: read after keri accepted an event, written into another fresh store


def _items(txn: Any, handle: Any, key: bytes, *, prefix: bool, dups: bool = True) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of ``handle`` at ``key`` (dups included), and with ``prefix`` at the keys
    that extend it with a ``.``-separated suffix (keri's insertion-ordered sets). ``dups`` False:
    the database holds one value per key (not LMDB dupsort), so a plain get finds it."""
    if not (prefix or dups):
        got = txn.get(key, db=handle)
        return [(key, bytes(got))] if got is not None else []
    out: list[tuple[bytes, bytes]] = []
    cur = txn.cursor(db=handle)
    if not cur.set_range(key):
        return out
    ext = key + b"."
    for k, v in cur.iternext(keys=True, values=True):
        kb = bytes(k)
        if kb != key and not (prefix and kb.startswith(ext)):
            break
        out.append((kb, bytes(v)))
    return out


def _handles(db: Any) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(db, name) for name in (*_DG_TABLES, "kels", "fels")}
    for name in (*_DG_SUBERS, "states"):
        out[name] = getattr(db, name).sdb
    return out


def _dupsorted(txn: Any, h: Mapping[str, Any]) -> frozenset[str]:
    """The names of the databases in ``h`` that hold several values per key (LMDB dupsort)."""
    return frozenset(name for name, handle in h.items() if handle.flags(txn).get("dupsort", True))


def _rows(txn: Any, h: Mapping[str, Any], aid: str, sn: int, said: str,
          dups: frozenset[str] | None = None) -> tuple[tuple[str, bytes, bytes], ...] | None:
    """keri's rows for the accepted event; None when they are not the plain rows of an event
    accepted once, in order (a superseded KEL, a second event at its sn). ``dups``: the
    :func:`_dupsorted` names of ``h`` (None: every database read as if it were)."""
    dg = dbing.dgKey(aid, said)
    rows: list[tuple[str, bytes, bytes]] = []
    for name in (*_DG_TABLES, *_DG_SUBERS):
        rows += [(name, k, v) for k, v in _items(txn, h[name], dg, prefix=name == "wits",
                                                 dups=dups is None or name in dups)]
    kels = _items(txn, h["kels"], dbing.snKey(aid, sn), prefix=False, dups=dups is None or "kels" in dups)
    if len(kels) != 1 or not kels[0][1].endswith(said.encode()):
        return None
    rows += [("kels", k, v) for k, v in kels]
    fel = _items(txn, h["fels"], dbing.fnKey(aid, sn), prefix=False, dups=dups is None or "fels" in dups)
    if len(fel) != 1 or fel[0][1] != said.encode():  # first-seen ordinal == sn: nothing superseded
        return None
    rows += [("fels", k, v) for k, v in fel]
    if not any(n == "evts" for n, _, _ in rows):
        return None
    return tuple(rows)


class _RowReader:
    """:func:`_rows` for every event learnt from one store, in one read transaction: the same rows
    in the same order, read with LMDB's own calls (a get per single-valued table, one cursor per
    dupsort table walking the key's duplicates) and no intermediate lists: about ten tables per
    event, for every event keri accepted in a dossier."""

    def __init__(self, txn: Any, h: Mapping[str, Any], dups: frozenset[str]) -> None:
        self._txn = txn
        self._h = h
        self._dups = dups
        self._cursors: dict[str, Any] = {}
        self._plan = tuple((name, h[name], name in dups) for name in (*_DG_TABLES, *_DG_SUBERS) if name != "wits")

    def _dup_values(self, name: str, key: bytes) -> list[bytes]:
        cur = self._cursors.get(name)
        if cur is None:
            cur = self._cursors[name] = self._txn.cursor(db=self._h[name])
        if not cur.set_key(key):
            return []
        return [bytes(v) for v in cur.iternext_dup(keys=False, values=True)]

    def _values(self, name: str, key: bytes) -> list[bytes]:
        if name in self._dups:
            return self._dup_values(name, key)
        got = self._txn.get(key, db=self._h[name])
        return [bytes(got)] if got is not None else []

    def rows(self, aid: str, sn: int, said: str) -> tuple[tuple[str, bytes, bytes], ...] | None:
        dg = dbing.dgKey(aid, said)
        txn = self._txn
        rows: list[tuple[str, bytes, bytes]] = []
        for name, handle, dup in self._plan:
            if dup:
                rows.extend((name, dg, v) for v in self._dup_values(name, dg))
            else:
                got = txn.get(dg, db=handle)
                if got is not None:
                    rows.append((name, dg, bytes(got)))
        # wits last, as in _rows (an insertion-ordered set: its keys extend the event's)
        rows += [("wits", k, v) for k, v in _items(txn, self._h["wits"], dg, prefix=True, dups="wits" in self._dups)]
        kk = dbing.snKey(aid, sn)
        kels = self._values("kels", kk)
        saidb = said.encode()
        if len(kels) != 1 or not kels[0].endswith(saidb):
            return None
        rows.append(("kels", kk, kels[0]))
        fk = dbing.fnKey(aid, sn)
        fel = self._values("fels", fk)
        if len(fel) != 1 or fel[0] != saidb:  # first-seen ordinal == sn: nothing superseded
            return None
        rows.append(("fels", fk, fel[0]))
        if not any(n == "evts" for n, _, _ in rows):
            return None
        return tuple(rows)


def state_row(st: Store, aid: str) -> bytes | None:
    """keri's raw key-state record of ``aid`` in this store (as it stands now)."""
    with st.db.env.begin() as txn:
        got = txn.get(aid.encode(), db=st.db.states.sdb)
    return bytes(got) if got is not None else None


_DUPS = frozenset({"sigs", "wigs", "kels"})
# keri's TEL rows for an accepted event (Tever.logEvent, keri 1.3.6): keyed by (prefix, event SAID)
# and the TEL by sn; backers' rows (tibs, baks) must be empty: only registries without backers
_TEL_DG = ("tvts", "ancs", "tets", "tibs", "baks")
_TEL_HEAD = re.compile(rb'\{"v":"KERI10JSON[0-9a-f]{6}_","t":"(vcp|iss|rev)","d":"([A-Za-z0-9_-]{44})",'
                       rb'"i":"([A-Za-z0-9_-]{44})"')


def _tel_handles(reger: Any) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(reger, name) for name in ("tvts", "tels", "ancs", "tibs", "baks")}
    out["tets"] = reger.tets.sdb
    return out


def _tel_rows(txn: Any, h: Mapping[str, Any], pre: str, sn: int, said: str,
              dups: frozenset[str] | None = None) -> tuple[tuple[str, bytes, bytes], ...] | None:
    dg = dbing.dgKey(pre, said)
    rows: list[tuple[str, bytes, bytes]] = []
    for name in _TEL_DG:
        rows += [(name, k, v) for k, v in _items(txn, h[name], dg, prefix=False, dups=dups is None or name in dups)]
    tel = _items(txn, h["tels"], dbing.snKey(pre, sn), prefix=False, dups=dups is None or "tels" in dups)
    if len(tel) != 1 or tel[0][1] != said.encode():
        return None
    rows += [("tels", k, v) for k, v in tel]
    names = [n for n, _, _ in rows]
    if "tvts" not in names or "ancs" not in names or "tibs" in names or "baks" in names:
        return None
    return tuple(rows)


def _seed_tel(st: Store, ev: KnownTel, h: Mapping[str, Any]) -> None:
    """Write keri's TEL rows for ``ev``; for a registry inception, keri's registry (its Tever,
    which the store keeps in memory only) reloaded from its state record and those rows."""
    reger = st.reger
    with reger.env.begin(write=True) as txn:
        for name, k, v in ev.rows:
            txn.put(k, v, db=h[name], overwrite=True)
    if ev.state is not None:
        reger.tevers[ev.regk] = _tever(ev, st)


def _copy_tever(template: Any, st: Store) -> Any:
    t = object.__new__(type(template))
    t.__dict__.update(template.__dict__)
    t.reger, t.db, t.cues = st.reger, st.db, decking.Deck()
    t.baks = list(template.baks)
    return t


def _reload_template(tever: Any, rsr: Any, said: str) -> Any | None:
    """What keri's ``Tever(rsr=...)`` reload would build from the registry's state record ``rsr``
    (keri 1.3.6 ``Tever.reload``: the same attributes from the same record), with the inception
    event keri accepted in this store (``tever``, the registry's Tever right after it) instead of
    parsing and SAID-checking the stored copy of the same bytes again. None when ``tever`` is not
    that registry at its inception."""
    try:
        serder = tever.serder if tever is not None else None
        if serder is None or str(serder.said) != said or int(tever.sn) != 0:
            return None
        ked = dataclasses.asdict(rsr)
        if ked.get("d") != said:
            return None
        t = object.__new__(veventing.Tever)
        t.reger, t.cues, t.db, t.local = None, None, None, False
        t.version = rsr.vn
        t.pre = ked["ii"]
        t.regk = ked["i"]
        t.prefixer = coring.Prefixer(qb64=t.regk)
        t.sn = int(ked["s"], 16)
        t.ilk = ked["et"]
        t.toad = int(ked["bt"], 16)
        t.baks = list(ked["b"])
        t.noBackers = veventing.TraitDex.NoBackers in ked["c"]
        t.estOnly = veventing.TraitDex.EstOnly in ked["c"]
        t.serder = serder
        return t
    except Exception:  # noqa: BLE001 - no template: keri reloads it
        return None


def _tever(ev: KnownTel, st: Store) -> Any:
    """keri's registry state for ``ev`` (a registry inception) in this store: reloaded by keri
    from the state record the first time, a copy of that reload bound to this store after. The
    object holds only what the record and the event say (and the store it works in), so a copy
    saves keri parsing and SAID-checking the inception again (about 0.15 ms per registry per
    dossier). The copy kept is never handed to keri."""
    if ev.tever:
        return _copy_tever(ev.tever[0], st)
    return veventing.Tever(rsr=ev.state, db=st.db, reger=st.reger)


def _seed(st: Store, ev: KnownEvent, h: Mapping[str, Any]) -> None:
    """Write keri's rows for ``ev`` and its key-state record into this store (``h``: its
    databases), then make keri reload the AID's key state from that record when it next needs it."""
    db = st.db
    with db.env.begin(write=True) as txn:
        for name, k, v in ev.rows:
            if name in _DUPS:
                txn.put(k, v, db=h[name], dupdata=True)
            else:
                txn.put(k, v, db=h[name], overwrite=True)
        txn.put(ev.aid.encode(), ev.state, db=h["states"], overwrite=True)
    dict.pop(db.kevers, ev.aid, None)  # keri's read-through cache: reloads from the record


def _dts(couple: bytes) -> str | None:
    """The first-seen datetime of a ``-E`` couple (Seqner + Dater) as keri would report it."""
    try:
        return str(coring.Dater(qb64b=couple[24:]).dts)
    except Exception:  # noqa: BLE001 - cannot happen for text the pattern accepted; never guess
        return None


def _match(msg: bytes, mask: tuple[int, int] | None, dts: str | None, ims: bytearray) -> str | None | bool:
    """False when the head of ``ims`` is not the message ``msg`` (its ``mask`` span aside, which
    must then be a well-formed ``-E`` couple); else the first-seen datetime the head carries."""
    n = len(msg)
    if len(ims) < n or (len(ims) > n and ims[n] not in _NEXT):
        return False
    with memoryview(ims) as mv:
        if mask is None:
            return dts if mv[:n] == msg else False
        a, b = mask
        if mv[:a] != msg[:a] or mv[b:n] != msg[b:]:
            return False
        couple = bytes(mv[a:b])
    if couple == msg[a:b]:
        return dts
    if _FIRST_SEEN.fullmatch(couple) is None:
        return False
    return _dts(couple)


_COUPLE = re.compile(rb"-EAB(0A[A-Za-z0-9_-]{22}1AAG[A-Za-z0-9_-]{32})")


def _mask_of(message: bytes, body_size: int) -> tuple[int, int] | None:
    """The span of the one ``-E`` first-seen couple among the message's attachments (after its
    body, which is compared byte for byte), when there is exactly one."""
    found = list(_COUPLE.finditer(message, body_size))
    if len(found) != 1:
        return None
    return found[0].span(1)


# --------------------------------------------------------------------------------------------
# one ingest's use of the shared state


@dataclass
class _Candidate:
    """An event keri accepted directly from its message in this ingest (a KnownEvent to be)."""

    aid: str
    sn: int
    said: str
    ilk: str
    prior: str | None
    state: bytes
    body_size: int
    nsigs: int  # distinct controller signatures attached to its message
    nwigs: int  # distinct witness signatures attached to its message
    dts: str | None
    delegator: str | None
    seals: tuple[tuple[str, int, str], ...]
    anchor: tuple[int, str] | None
    stream: int = -1
    offset: int = -1
    length: int = 0
    bad_signatures: int = 0
    message: bytes | None = None  # its message and -E span, once a copy of it is looked at
    mask: tuple[int, int] | None = None


@dataclass
class _TelCandidate:
    pre: str
    sn: int
    said: str
    ilk: str
    regk: str
    prior: str | None
    anchor: tuple[str, int, str]
    state: Any
    registry: str | None
    registry_issuer: str | None
    dt: str | None
    stream: int
    offset: int
    length: int = 0


@dataclass(frozen=True, slots=True)
class Taken:
    """A message not handed to keri: a known event written into the store as keri's rows, or a
    byte-identical copy of an event keri already accepted from its message in this very store
    (``duplicate``: keri would re-verify the same signatures and store nothing new). ``dts`` is the
    first-seen datetime this copy's own ``-E`` couple carries (what keri would have handed the
    ingest); ``anchor`` the (sn, SAID) of a delegated event's approving event; ``length`` the bytes
    of the message."""

    aid: str
    sn: int
    said: str
    ilk: str
    delegator: str | None
    seals: tuple[tuple[str, int, str], ...]
    dts: str | None
    length: int
    anchor: tuple[int, str] | None
    duplicate: bool = False


class Reuse:
    """One ingest's use of :class:`VerifiedKels` (module docstring). Not thread-safe: one per ingest."""

    def __init__(self, known: VerifiedKels, st: Store) -> None:
        self.known = known
        self.st = st
        self._at: dict[str, tuple[int, str]] = {}  # AIDs whose state this ingest last set by reuse
        self._candidates: list[_Candidate] = []
        self._reused: set[str] = set()
        self._refused: set[tuple[str, str]] = set()  # events keri refused or escrowed here at least once
        # events accepted in this store from their own message (by keri, or taken from the state), by SAID
        self._local: dict[str, list[_Candidate | KnownEvent]] = {}
        self.streams: Sequence[bytes] = ()  # the streams as fed (candidates' offsets are into these)
        self._h: dict[str, Any] | None = None  # the store's databases, looked up once
        self._th: dict[str, Any] | None = None  # its TEL store's
        self._tel_candidates: list[_TelCandidate] = []
        self.tels_taken = 0
        self.duplicates = 0
        self.taken = 0
        self.signatures_saved = 0

    # -- before keri ------------------------------------------------------------------------

    def try_take(self, ims: bytearray) -> Taken | None:
        """:meth:`take`; a fault of ours hands the message to keri instead (the rows are written
        in one transaction, so a failed write leaves the store as it was)."""
        try:
            return self.take(ims)
        except Exception:  # noqa: BLE001 - reuse is an optimisation: keri judges when it fails
            _log.exception("reusing a verified key event failed; keri verifies it")
            return None

    def take(self, ims: bytearray) -> Taken | None:
        """If the message at the head of ``ims`` is a known event this store may take as keri's
        verdict, write keri's rows for it and return it (the caller drops the message)."""
        m = _HEAD.match(ims, 0, 220)
        if m is None:
            return None
        said = m.group(2).decode()
        local = self._local.get(said)
        if local:
            got = self._duplicate(local, ims)
            if got is not None:
                return got
        for ev in self.known.lookup(said):
            dts = _match(ev.message, ev.mask, ev.dts, ims)
            if dts is False:
                continue
            if not self._follows(ev):
                return None
            if self._h is None:
                self._h = _handles(self.st.db)
            _seed(self.st, ev, self._h)
            self._at[ev.aid] = (ev.sn, ev.said)
            self._local.setdefault(ev.said, []).append(ev)
            self._reused.add(ev.aid)
            self.taken += 1
            self.signatures_saved += ev.signatures
            return Taken(ev.aid, ev.sn, ev.said, ev.ilk, ev.delegator, ev.seals, dts if isinstance(dts, str) else None,
                         len(ev.message), (ev.delegation[1], ev.delegation[2]) if ev.delegation else None)
        return None

    def _duplicate(self, local: list[_Candidate | KnownEvent], ims: bytearray) -> Taken | None:
        """A copy of an event keri accepted from its own message earlier in this ingest, byte for
        byte (its ``-E`` couple aside), while that event is still the accepted one at its sn: keri's
        duplicate path would verify the same signatures again and store nothing new (keri 1.3.6
        ``Kevery.processEvent``: an inception, an interaction or a rotation at or below the
        accepted sn)."""
        for c in local:
            # keri re-judges a copy of a delegated rotation as a possible superseding recovery
            # (not as a duplicate): that one always goes to keri
            if c.ilk == "drt" or (c.aid, c.said) in self._refused:
                continue
            if isinstance(c, KnownEvent):
                msg, mask, signatures = c.message, c.mask, c.signatures
                anchor = (c.delegation[1], c.delegation[2]) if c.delegation else None
            else:
                if c.length <= 0 or c.bad_signatures or c.stream < 0:
                    continue
                if c.message is None:
                    c.message = bytes(self.streams[c.stream][c.offset:c.offset + c.length])
                    c.mask = _mask_of(c.message, c.body_size)
                msg, mask, signatures, anchor = c.message, c.mask, c.nsigs + c.nwigs, c.anchor
            dts = _match(msg, mask, c.dts, ims)
            if dts is False:
                continue
            dig = self.st.db.getKeLast(key=dbing.snKey(pre=c.aid, sn=c.sn))
            if dig is None or bytes(dig).decode() != c.said:
                return None
            self.duplicates += 1
            self.signatures_saved += signatures
            return Taken(c.aid, c.sn, c.said, c.ilk, c.delegator, c.seals, dts if isinstance(dts, str) else None,
                         len(msg), anchor, duplicate=True)
        return None

    def _follows(self, ev: KnownEvent) -> bool:
        """This store's KEL of ``ev.aid`` ends at ``ev``'s prior, and a delegated establishment
        event's approving event is accepted here: exactly where keri accepted it before."""
        at = self._at.get(ev.aid)
        if at is None:
            got = self._state_of(ev.aid)
            at = got[:2] if got is not None else None
        if ev.sn == 0:
            if at is not None:
                return False
        elif at != (ev.sn - 1, ev.prior):
            return False
        if ev.delegation is not None:
            delpre, dsn, dsaid = ev.delegation
            d = self._state_of(delpre)
            if d is None or d[2]:  # no delegator here, or it does not delegate
                return False
            dig = self.st.db.getKeLast(key=dbing.snKey(pre=delpre, sn=dsn))
            if dig is None or bytes(dig).decode() != dsaid:
                return False
        return True

    def _state_of(self, aid: str) -> tuple[int, str, bool] | None:
        """(sn, SAID of the last event, does-not-delegate) of keri's key state of ``aid`` here:
        its Kever when keri holds one in memory, else its key-state record read as keri's
        ``Kever.reload`` reads it (rebuilding the Kever would re-verify its last event); None
        when keri has no key state for it."""
        k = dict.get(self.st.kvy.kevers, aid)
        if k is not None:
            return int(k.sn), str(k.serder.said), bool(k.doNotDelegate)
        raw = self.st.db.getVal(self.st.db.states.sdb, aid.encode())
        if not raw:
            return None
        try:
            rec = json.loads(bytes(raw))
            said, sn, traits = str(rec["d"]), int(rec["s"], 16), rec.get("c") or []
        except (ValueError, KeyError, TypeError):
            return None
        if self.st.db.getEvt(dbing.dgKey(aid, said)) is None:  # keri's reload would fail: no key state
            return None
        return sn, said, "DND" in traits

    def try_take_tel(self, ims: bytearray) -> KnownTel | None:
        """:meth:`take_tel`; a fault of ours hands the message to keri."""
        try:
            return self.take_tel(ims)
        except Exception:  # noqa: BLE001 - reuse is an optimisation: keri judges when it fails
            _log.exception("reusing a verified TEL event failed; keri verifies it")
            return None

    def take_tel(self, ims: bytearray) -> KnownTel | None:
        """If the message at the head of ``ims`` is a known TEL event (byte for byte) arriving
        where keri accepted it (its registry, its credential's earlier event and the issuer's KEL
        event that seals it are here; the registry or the credential's event at its sn are not
        yet), write keri's rows for it and return it (the caller drops the message)."""
        m = _TEL_HEAD.match(ims, 0, 220)
        if m is None:
            return None
        ev = self.known.lookup_tel(m.group(2).decode())
        if ev is None or _match(ev.message, None, None, ims) is False or not self._tel_follows(ev):
            return None
        if self._th is None:
            self._th = _tel_handles(self.st.reger)
        _seed_tel(self.st, ev, self._th)
        self.tels_taken += 1
        return ev

    def _tel_follows(self, ev: KnownTel) -> bool:
        reger, db = self.st.reger, self.st.db
        issuer, asn, asaid = ev.anchor
        dig = db.getKeLast(key=dbing.snKey(pre=issuer, sn=asn))
        if dig is None or bytes(dig).decode() != asaid:
            return False  # the sealing KEL event is not (this) one here
        registry = ev.regk in reger.tevers
        if ev.ilk == "vcp":
            return not registry
        if not registry or reger.getTel(dbing.snKey(ev.pre, ev.sn)) is not None:
            return False
        if ev.sn == 0:
            return True
        prior = reger.getTel(dbing.snKey(ev.pre, ev.sn - 1))
        return prior is not None and bytes(prior).decode() == ev.prior

    def accepted_tel(self, serder: Any, seqner: Any, saider: Any, registry: str | None,
                     registry_issuer: str | None, dt: str | None, stream: int, offset: int) -> _TelCandidate | None:
        """keri accepted the TEL event ``serder`` from its message just now."""
        ked = serder.ked
        ilk = str(ked.get("t"))
        if ilk not in ("vcp", "iss", "rev") or seqner is None or saider is None or ked.get("b"):
            return None
        regk = str(ked.get("i")) if ilk == "vcp" else ked.get("ri")
        if not isinstance(regk, str):
            return None
        tever = self.st.reger.tevers.get(regk)
        if tever is None or not isinstance(getattr(tever, "pre", None), str):
            return None
        issuer = str(tever.pre)
        prior = ked.get("p")
        c = _TelCandidate(pre=str(ked.get("i")), sn=int(str(ked.get("s")), 16), said=str(serder.said), ilk=ilk,
                          regk=regk, prior=prior if isinstance(prior, str) else None,
                          anchor=(issuer, int(seqner.sn), str(saider.qb64)),
                          state=tever.state() if ilk == "vcp" else None, registry=registry,
                          registry_issuer=registry_issuer, dt=dt, stream=stream, offset=offset)
        self._tel_candidates.append(c)
        return c

    def _learn_tels(self, streams: Sequence[bytes]) -> None:
        reger = self.st.reger
        h = _tel_handles(reger)
        out: list[KnownTel] = []
        with reger.env.begin() as txn:
            dups = _dupsorted(txn, h)
            for c in self._tel_candidates:
                if c.length <= 0 or self.known.lookup_tel(c.said) is not None:
                    continue
                rows = _tel_rows(txn, h, c.pre, c.sn, c.said, dups)
                if rows is None:
                    continue
                known = KnownTel(pre=c.pre, sn=c.sn, said=c.said, ilk=c.ilk, regk=c.regk, prior=c.prior,
                                 anchor=c.anchor, message=bytes(streams[c.stream][c.offset:c.offset + c.length]),
                                 rows=rows, state=c.state, registry=c.registry,
                                 registry_issuer=c.registry_issuer, dt=c.dt)
                if c.ilk == "vcp" and c.state is not None:
                    template = _reload_template(dict.get(reger.tevers, c.regk), c.state, c.said)
                    if template is not None:
                        known.tever.append(template)
                out.append(known)
        if out:
            self.known.learn_tels(out)

    def handed_to_keri(self, aid: str) -> None:
        """keri is about to process an event of ``aid``: its state is keri's again."""
        self._at.pop(aid, None)

    def refused(self, aid: str, said: str) -> None:
        """keri refused or escrowed this event once here: an escrow stores the attached signatures
        before verifying them, so its rows are never kept, even if keri accepts it later."""
        self._refused.add((aid, said))

    # -- after keri -------------------------------------------------------------------------

    def accepted(self, serder: Any, kwa: Mapping[str, Any], delegator: str | None,
                 seals: tuple[tuple[str, int, str], ...], stream: int, offset: int, *,
                 seen: tuple[int, str | None, tuple[int, int]] | None = None) -> _Candidate | None:
        """keri accepted ``serder`` from its message just now (its processEvent returned): keep
        what only this moment shows (the key-state record right after it). ``seen``: (sn,
        first-seen datetime, distinct controller and witness signatures) as the caller already
        read them from the same serder and attachments (None: read here)."""
        aid, said = str(serder.pre), str(serder.said)
        kevers = self.st.kvy.kevers
        k = dict.get(kevers, aid)
        if k is None or str(k.serder.said) != said:
            return None  # a duplicate, or not the latest accepted
        st = state_row(self.st, aid)
        if st is None:
            return None
        if seen is None:
            dater = kwa.get("dater")
            seen = (int(serder.sn), str(dater.dts) if dater is not None else None,
                    (len({(x.code, x.index, x.ondex, bytes(x.raw)) for x in kwa.get("sigers") or ()}),
                     len({(x.code, x.index, x.ondex, bytes(x.raw)) for x in kwa.get("wigers") or ()})))
        sn, dts, (nsigs, nwigs) = seen
        prior = serder.ked.get("p")
        dseq, dsaid = kwa.get("delseqner"), kwa.get("delsaider")
        c = _Candidate(aid=aid, sn=sn, said=said, ilk=str(serder.ilk),
                       prior=prior if isinstance(prior, str) else None, state=st, body_size=int(serder.size),
                       nsigs=nsigs, nwigs=nwigs, dts=dts,
                       delegator=delegator, seals=seals,
                       anchor=(int(dseq.sn), str(dsaid.qb64)) if dseq is not None and dsaid is not None else None,
                       stream=stream, offset=offset)
        self._candidates.append(c)
        self._local.setdefault(said, []).append(c)
        return c

    def try_learn(self, streams: Sequence[bytes], source: str,
                  exclude: frozenset[tuple[str, str]] = frozenset()) -> tuple[Conflict, ...]:
        """:meth:`learn`; a fault of ours keeps nothing (this ingest's result is unaffected)."""
        try:
            return self.learn(streams, source, exclude)
        except Exception:  # noqa: BLE001 - keeping state is an optimisation, never part of a verdict
            _log.exception("keeping verified key events failed")
            return ()

    def learn(self, streams: Sequence[bytes], source: str,
              exclude: frozenset[tuple[str, str]] = frozenset()) -> tuple[Conflict, ...]:
        """Keep what keri accepted in this store from its own message alone (module docstring);
        ``exclude`` names events the caller found fault with (an attached signature that does not
        verify, though keri accepted the event on the others)."""
        db = self.st.db
        h = _handles(db)
        out: list[KnownEvent] = []
        with db.env.begin() as txn:
            dups = _dupsorted(txn, h)
            reader = _RowReader(txn, h, dups)
            for c in self._candidates:
                if c.length <= 0 or c.bad_signatures or c.stream < 0 or self.known.conflicted(c.aid) \
                        or (c.aid, c.said) in self._refused or (c.aid, c.said) in exclude:
                    continue
                message = bytes(streams[c.stream][c.offset:c.offset + c.length])
                if any(v.message == message for v in self.known.lookup(c.said)):
                    continue  # already kept, byte for byte
                rows = reader.rows(c.aid, c.sn, c.said)
                # every signature keri stored came with this message (none from another copy or a
                # receipt elsewhere): keri stores only verified ones, and all attached verified
                if rows is None or c.nsigs == 0 or sum(n == "sigs" for n, _, _ in rows) != c.nsigs \
                        or sum(n == "wigs" for n, _, _ in rows) != c.nwigs:
                    continue
                delegation = None
                if c.ilk in ("dip", "drt"):
                    couple = next((v for n, _, v in rows if n == "aess"), None)
                    delpre = _delegator_of(self.st, c.aid)
                    if couple is None or delpre is None:
                        continue
                    b = bytearray(couple)
                    seqner = coring.Seqner(qb64b=b, strip=True)
                    saider = coring.Saider(qb64b=b, strip=True)
                    delegation = (delpre, int(seqner.sn), str(saider.qb64))
                mask = _mask_of(message, c.body_size)
                out.append(KnownEvent(aid=c.aid, sn=c.sn, said=c.said, ilk=c.ilk, prior=c.prior, message=message,
                                      mask=mask, dts=c.dts, delegation=delegation, delegator=c.delegator,
                                      seals=c.seals, rows=rows, state=c.state, signatures=c.nsigs + c.nwigs))
        if self._tel_candidates:
            self._learn_tels(streams)
        return self.known.learn(out, source, reused=self._reused, reused_count=self.taken,
                                tels_reused=self.tels_taken)


def _delegator_of(st: Store, aid: str) -> str | None:
    kevers = st.kvy.kevers
    if aid not in kevers:
        return None
    d = kevers[aid].delpre
    return str(d) if d else None
