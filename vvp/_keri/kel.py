"""Verify the KELs in a CESR stream with keri and report every key event's fate.

keri does the KERI work: SAIDs, signatures against current thresholds (weighted ones too),
pre-rotation (the new keys must expose the prior next digests and satisfy the prior next
threshold), partial rotation, witness receipts against the witness threshold, witness cuts and
adds, and delegation anchored in the delegator's KEL. What keri does not do is say what happened:
``Parser.parse`` swallows every error, escrows events instead of rejecting them, and one message
with a changed body flushes the rest of the stream (keri-notes §1.4, §4). So this module:

* drives keri's own ``Parser.msgParsator`` one message at a time (the one stream driver,
  :mod:`vvp._keri.stream`, shared with the dossier ingest), so that an error belongs to one message and a bad body does not silently discard what follows (the attachments left
  behind by a rejected body are skipped with keri's ``Counter`` when they form a counted group);
* wraps ``Kevery.processEvent`` to keep, per event, its attachments as keri's parser extracted
  them: the controller signatures, the witness receipts and the first-seen datetime the serving
  party attached (``-E``; keri's own cloned mode keeps it for establishment events only);
* after ``processEscrows`` settles the stream, reads what keri accepted (the KEL) and what sits
  in each escrow, and classifies every event that was not accepted: a changed body, a signature
  that does not verify, an unmet threshold, a pre-rotation violation and duplicity are INVALID;
  an event waiting for an earlier event, more signatures, more witness receipts or its delegator
  is INDETERMINATE, with a code naming the escrow. Nothing is ever reported as a shorter KEL.

Every verification runs in a fresh temporary store on tmpfs, removed afterwards (``_store``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vvp._keri._store import Store, fresh_store  # first: it imports keri in the order keri needs
from vvp._keri.codetables import fast_code_tables
from vvp._keri.lazylog import lazy_pretty
from vvp._keri.records import fast_records
from vvp._keri.stream import StreamDriver, skip_counted_group
from vvp._keri.verified import Reuse, VerifiedKels
from keri import kering  # noqa: I001
from keri import core
from keri.core import coring, eventing, serdering
from keri.db import dbing

from vvp import codes
from vvp.clock import parse_keri_datetime
from vvp.keystate import (Anchor, EventSeal, KelStream, KeyEvent, Outcome, StreamIssue, Threshold,
                          threshold_from_json)

KEY_EVENT_ILKS = frozenset({"icp", "rot", "ixn", "dip", "drt"})
_ESCROW_ROUNDS = 8


# ---------------------------------------------------------------------------------------------
# What the parser handed to the Kevery, per occurrence of an event in the stream


@dataclass
class Occurrence:
    """One appearance of a key event in the stream, with its attachments as keri extracted them."""

    serder: Any
    sigs: list[str]
    wigs: list[str]
    first_seen: str | None
    anchor: tuple[int, str] | None  # the delegator's event it names (-G source seal couple)
    offset: int
    known: bool = False  # taken from the verified state (vvp._keri.verified): its signatures all verified


@dataclass
class BadBody:
    """A message whose body does not match its SAID (keri refused to deserialize it)."""

    serder: Any  # parsed without verification, to name the event
    offset: int
    reason: str


class RecordingKevery(eventing.Kevery):  # type: ignore[misc]
    """A Kevery that keeps each event's attachments and the last exception keri raised for it.

    keri's parser calls ``processEvent`` for every key event and swallows what it raises; the
    escrow processors call it again for every retry. While ``recording`` is on (the stream pass)
    each call is kept as an :class:`Occurrence`; every call, retries included, updates
    ``last_error`` for the event's SAID, which therefore says why an event is still not accepted.
    Queries in the stream are not ours to answer and are only counted.
    """

    def __init__(self, *, db: Any, reuse: Reuse | None = None) -> None:
        # lax=False, local=False: every event is a remote one, judged strictly (no own prefixes,
        # no protected source). cloned=False: keri stamps its own first-seen times, which we do
        # not use; the ones the server attached are kept from the -E couples recorded here.
        super().__init__(db=db, lax=False, local=False, cloned=False)
        self.reuse = reuse
        self.pending: Any = None  # what ``reuse`` keeps of the event keri just accepted from its message
        self.recording = True
        self.offset = 0
        self.occurrences: list[Occurrence] = []
        self.last_error: dict[tuple[str, str], BaseException | None] = {}
        self.raised: set[tuple[str, str]] = set()  # events keri refused or escrowed at least once
        self.calls = 0
        self.queries = 0
        self.receipts = 0

    def processEvent(self, serder: Any, sigers: Any, *, wigers: Any = None, delseqner: Any = None,
                     delsaider: Any = None, firner: Any = None, dater: Any = None, eager: bool = False,
                     local: Any = None) -> Any:
        self.calls += 1
        if self.recording:
            anchor = (int(delseqner.sn), str(delsaider.qb64)) if delseqner is not None and delsaider is not None \
                else None
            self.occurrences.append(Occurrence(
                serder=serder, sigs=[s.qb64 for s in sigers or []], wigs=[w.qb64 for w in wigers or []],
                first_seen=str(dater.dts) if dater is not None else None, anchor=anchor, offset=self.offset))
        key = (str(serder.pre), str(serder.said))
        reuse = self.reuse if self.recording else None
        if reuse is not None:
            reuse.handed_to_keri(key[0])
        try:
            result = super().processEvent(serder, sigers, wigers=wigers, delseqner=delseqner, delsaider=delsaider,
                                          firner=firner, dater=dater, eager=eager, local=local)
        except Exception as ex:
            self.last_error[key] = ex
            self.raised.add(key)
            if reuse is not None:
                reuse.refused(*key)
            raise
        self.last_error[key] = None
        if reuse is not None:
            from vvp._keri.dossier_ingest import event_seals  # what a dossier ingest reports for it

            ked = serder.ked
            di = ked.get("di")
            self.pending = reuse.accepted(
                serder, {"sigers": sigers, "wigers": wigers, "firner": firner, "dater": dater,
                         "delseqner": delseqner, "delsaider": delsaider},
                di if isinstance(di, str) and di else None,
                event_seals(ked) if ked.get("t") in ("ixn", "rot", "drt") else (), 0, self.offset)
        return result

    def processQuery(self, serder: Any, source: Any = None, sigers: Any = None, cigars: Any = None) -> None:
        self.calls += 1
        self.queries += 1

    def processReceipt(self, serder: Any, cigars: Any = None, tsgs: Any = None, wigers: Any = None,
                       local: Any = None) -> Any:
        """Receipts count towards the witness threshold (keri checks them); a receipt of an event
        not in the stream is only escrowed by keri and changes nothing here."""
        self.calls += 1
        self.receipts += 1
        return super().processReceipt(serder, cigars=cigars, tsgs=tsgs, wigers=wigers, local=local)


class _Sink:
    """Receives the messages that are not key events (TEL events, replies, exchanges, ACDCs).

    They are counted by type; when a ``target`` is given (a Tevery or a credential verifier of a
    caller that verifies more than KELs) they are passed on to it.
    """

    def __init__(self, counts: dict[str, int], kind: str, target: Any = None) -> None:
        self.counts = counts
        self.kind = kind
        self.target = target
        self.calls = 0

    def _count(self, serder: Any) -> None:
        self.calls += 1
        ilk = getattr(serder, "ilk", None)
        name = str(ilk) if ilk else self.kind
        route = serder.ked.get("r") if ilk == "rpy" and isinstance(getattr(serder, "ked", None), dict) else None
        name = f"{name} {route}" if route else name
        self.counts[name] = self.counts.get(name, 0) + 1

    def processEvent(self, serder: Any, *args: Any, **kwargs: Any) -> Any:
        self._count(serder)
        return self.target.processEvent(serder, *args, **kwargs) if self.target is not None else None

    def processReply(self, serder: Any, *args: Any, **kwargs: Any) -> Any:
        self._count(serder)
        return self.target.processReply(serder, *args, **kwargs) if self.target is not None else None

    def processCredential(self, creder: Any, *args: Any, **kwargs: Any) -> Any:
        self._count(creder)
        return self.target.processCredential(creder, *args, **kwargs) if self.target is not None else None

    def processQuery(self, serder: Any, *args: Any, **kwargs: Any) -> Any:
        self._count(serder)
        return self.target.processQuery(serder, *args, **kwargs) if self.target is not None else None


# ---------------------------------------------------------------------------------------------
# Driving keri's parser one message at a time


@dataclass
class DriveReport:
    """What the message loop saw besides the key events the Kevery recorded."""

    messages: int = 0
    issues: list[StreamIssue] = field(default_factory=list)
    bad_bodies: list[BadBody] = field(default_factory=list)
    unsigned: list[tuple[Any, int]] = field(default_factory=list)  # key events with no signature at all
    other_errors: list[tuple[int, str]] = field(default_factory=list)


def _peek(stream: bytes, offset: int) -> tuple[Any | None, bool]:
    """The message body at ``offset`` parsed by keri without SAID verification, and whether it
    verifies; (None, False) when keri cannot even read it."""
    raw = stream[offset:]
    try:
        smellage = kering.smell(bytearray(raw))
        klas = serdering.SerderACDC if smellage.proto == kering.Protocols.acdc else serdering.SerderKERI
        unverified = klas(raw=raw, verify=False)
    except Exception:
        return None, False
    try:
        klas(raw=raw, verify=True)
    except Exception:
        return unverified, False
    return unverified, True


def _has_version_string(stream: bytes, offset: int) -> bool:
    try:
        kering.smell(bytearray(stream[offset:]))
    except Exception:
        return False
    return True


def drive(stream: bytes, *, kvy: Any, sinks: dict[str, Any],
          take: Callable[[bytearray, int], bool] | None = None) -> DriveReport:
    """Feed ``stream`` through keri's parser one message at a time, with the one stream driver
    (:class:`vvp._keri.stream.StreamDriver`), and report what a KEL verification makes of it.

    ``kvy`` gets the key events and receipts; ``sinks`` maps ``tvy``, ``rvy``, ``exc`` and
    ``vry`` to the handlers of the other message types. ``kvy.offset`` (when it has one) is set
    to each message's offset before the message is parsed, so occurrences know where they were.
    ``take(ims, offset)``, when given, is offered each message first: True means it dealt with
    the message (a key event keri already accepted, :mod:`vvp._keri.verified`) and removed it.
    The attachments of a refused body are stepped over only when they form a counted group: any
    other attachments end the stream there, loudly (a KEL stream is judged strictly).
    """
    rep = DriveReport()
    ims = bytearray(stream)
    total = len(stream)
    driver = StreamDriver(kvy=kvy, tvy=sinks.get("tvy"), exc=sinks.get("exc"), rvy=sinks.get("rvy"),
                          vry=sinks.get("vry"),
                          take=(lambda b, h: take(b, h.offset)) if take is not None else None)

    def handled() -> int:
        return int(getattr(kvy, "calls", 0)) + sum(int(getattr(s, "calls", 0)) for s in sinks.values())

    for h in driver.messages(ims):
        offset = h.offset
        if h.error is not None:
            rep.issues.append(StreamIssue(codes.KEL_STREAM_UNREADABLE, f"not CESR: {h.error}", offset))
            break
        if h.cold != kering.Colds.msg:
            if skip_counted_group(ims, h.cold):
                continue
            rep.issues.append(StreamIssue(codes.KEL_STREAM_UNREADABLE,
                                          "attachments that belong to no readable message and are not a counted "
                                          "group; the rest of the stream was not checked", offset))
            break
        if hasattr(kvy, "offset"):
            kvy.offset = offset
        calls = handled()
        got = driver.parse_one(ims)
        if got.kind == "done":
            if getattr(kvy, "pending", None) is not None:
                kvy.pending.length = (total - len(ims)) - offset
                kvy.pending = None
            continue
        ex = got.error
        if got.kind == "sized_group":  # keri already dropped the bad group: go on
            rep.issues.append(StreamIssue(codes.KEL_STREAM_UNREADABLE, f"unreadable attachment group: {ex}", offset))
            continue
        if got.kind == "extraction":  # cannot know where the next message starts
            rep.issues.append(StreamIssue(codes.KEL_STREAM_UNREADABLE,
                                          f"{type(ex).__name__}: {ex}; the rest of the stream was not checked",
                                          offset))
            break
        if got.kind == "refused" and ex is not None:  # keri extracted the message, then refused it
            if len(ims) == total - offset:  # ... or not: nothing was consumed, so no way forward
                rep.issues.append(StreamIssue(codes.KEL_STREAM_UNREADABLE,
                                              f"{type(ex).__name__}: {ex}"[:300] + "; the rest of the stream "
                                              "was not checked", offset))
                break
            if handled() == calls:
                _unhandled(stream, offset, ex, rep)
            continue
        # keri wants more bytes than the stream has. A message whose version string keri can
        # read was cut short; anything else was never a message.
        if _has_version_string(stream, offset):
            rep.issues.append(StreamIssue(codes.KEL_STREAM_TRUNCATED, "the stream ends inside a message", offset))
        else:
            rep.issues.append(StreamIssue(codes.KEL_STREAM_UNREADABLE, "not a KERI or ACDC message", offset))
        break
    if driver.stuck_at is not None:
        rep.issues.append(StreamIssue(codes.KEL_STREAM_UNREADABLE, "keri made no progress here; the rest of "
                                      "the stream was not checked", driver.stuck_at))
    rep.messages = driver.messages_seen
    return rep


def _unhandled(stream: bytes, offset: int, ex: BaseException, rep: DriveReport) -> None:
    """A message keri refused before any handler saw it: a body that does not match its SAID,
    a key event without signatures, or a message type nobody handles."""
    serder, ok = _peek(stream, offset)
    if serder is None:
        rep.other_errors.append((offset, f"{type(ex).__name__}: {ex}"[:300]))
        return
    if not ok:
        rep.bad_bodies.append(BadBody(serder=serder, offset=offset, reason=str(ex)[:300]))
        return
    if getattr(serder, "ilk", None) in KEY_EVENT_ILKS:
        rep.unsigned.append((serder, offset))
        return
    rep.other_errors.append((offset, f"{getattr(serder, 'ilk', None)}: {type(ex).__name__}: {ex}"[:300]))


# ---------------------------------------------------------------------------------------------
# Reading keri's state back


def _escrow_index(db: Any) -> dict[tuple[str, str], str]:
    """``(aid, said) -> escrow name`` for every key event keri holds in an escrow."""
    out: dict[tuple[str, str], str] = {}

    def from_sn_keys(name: str, items: Iterable[tuple[Any, Any]]) -> None:
        for key, val in items:
            pre = bytes(key).split(b".", 1)[0].decode()
            out.setdefault((pre, bytes(val).decode()), name)

    from_sn_keys("ldes", db.getLdeItemIter())
    from_sn_keys("pses", db.getPseItemIter())
    from_sn_keys("pwes", db.getPweItemIter())
    from_sn_keys("ooes", db.getOoeItemIter())
    for keys, said in db.pdes.getItemIter():
        out.setdefault((str(keys[0]), _text(said)), "pdes")
    for name, suber in (("delegables", db.delegables), ("misfits", db.misfits)):
        for keys, said in suber.getItemIter():
            first = keys[0] if isinstance(keys, tuple) else keys
            out.setdefault((_text(first).split(".", 1)[0], _text(said)), name)
    return out


def _text(v: Any) -> str:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode()
    return str(v)


def _seals(ked: dict[str, Any]) -> tuple[EventSeal, ...]:
    out = []
    for s in ked.get("a") or []:
        if isinstance(s, dict) and set(s) >= {"i", "s", "d"}:
            try:
                out.append(EventSeal(aid=str(s["i"]), sn=int(str(s["s"]), 16), said=str(s["d"])))
            except ValueError:
                continue
    return tuple(out)


def _threshold(v: Any) -> Threshold | None:
    try:
        return threshold_from_json(v)
    except ValueError:
        return None


def _dt_or_none(dts: str | None) -> _dt.datetime | None:
    if dts is None:
        return None
    try:
        return parse_keri_datetime(dts)
    except ValueError:
        return None


def _sigers(sigs: Sequence[str]) -> list[Any]:
    return [core.Siger(qb64=s) for s in dict.fromkeys(sigs)]


def _check_sigs(raw: bytes, sigs: Sequence[str], verfers: Sequence[Any]) -> tuple[list[Any], list[int], list[str]]:
    """(verified sigers, their indices, descriptions of the ones that fail) for indexed signatures.

    keri's ``verifySigs`` silently drops a signature that does not verify (and raises on an
    index past the key list); a verifier that reports tampering must count them.
    """
    sigers = _sigers(sigs)
    bad = [f"index {s.index} is past the {len(verfers)} key(s)" for s in sigers if s.index >= len(verfers)]
    inrange = [s for s in sigers if s.index < len(verfers)]
    good, idx = eventing.verifySigs(raw=raw, sigers=inrange, verfers=list(verfers))
    ok = {g.qb64 for g in good}
    bad += [f"index {s.index} does not verify" for s in inrange if s.qb64 not in ok]
    return list(good), list(idx), bad


@dataclass
class _Ctx:
    store: Store
    kvy: RecordingKevery
    escrows: dict[tuple[str, str], str]

    def kever(self, pre: str) -> Any:
        return self.kvy.kevers[pre] if pre in self.kvy.kevers else None


def _event(serder: Any, *, outcome: Outcome, code: str, message: str, first_seen: str | None,
           witnesses: tuple[str, ...] | None, delegator: str | None, anchor: Anchor | None, signatures: int,
           receipts: int) -> KeyEvent:
    ked = serder.ked
    est = serder.ilk in ("icp", "rot", "dip", "drt")
    try:
        toad = int(str(ked.get("bt", "0")), 16) if est else None
    except ValueError:
        toad = None
    return KeyEvent(
        aid=str(serder.pre), sn=int(serder.sn), ilk=str(serder.ilk), said=str(serder.said),
        prior=str(ked["p"]) if "p" in ked else None,
        keys=tuple(ked.get("k", ())) if est else None,
        kt=_threshold(ked.get("kt")) if est else None,
        next_digests=tuple(ked.get("n", ())) if est else None,
        nt=_threshold(ked.get("nt")) if est else None,
        toad=toad, witnesses=witnesses,
        cuts=tuple(ked.get("br", ())), adds=tuple(ked.get("ba", ())),
        delegator=delegator, anchor=anchor, seals=_seals(ked),
        first_seen=_dt_or_none(first_seen), signatures=signatures, receipts=receipts,
        outcome=outcome, code=code, message=message)


def _accepted_events(ctx: _Ctx, pre: str, occs: dict[str, list[Occurrence]]) -> list[KeyEvent]:
    """The AID's KEL as keri accepted it, with our extra check on every occurrence: a signature
    or receipt that does not verify is tampering even when the others satisfy the thresholds."""
    db = ctx.store.db
    kever = ctx.kever(pre)
    if kever is None:
        return []
    out: list[KeyEvent] = []
    verfers: list[Any] = []  # keys in force: those of the last establishment event walked
    werfers: list[Any] = []  # witnesses in force, as keri recorded them at that event
    for sn in range(int(kever.sn) + 1):
        dig = db.getKeLast(dbing.snKey(pre, sn))
        if dig is None:
            break
        said = bytes(dig).decode()
        dgkey = dbing.dgKey(pre, said)
        serder = serdering.SerderKERI(raw=bytes(db.getEvt(dgkey)), verify=False)
        wits: tuple[str, ...] | None = None
        if serder.estive:
            wits = tuple(p.qb64 for p in (db.wits.get(dgkey) or []))
            verfers = list(serder.verfers)
            werfers = [coring.Verfer(qb64=w) for w in wits]
        mine = occs.get(said, [])
        first_seen = next((o.first_seen for o in mine if o.first_seen is not None), None)
        problems: list[tuple[str, str]] = []
        # keri stores exactly the signatures it verified, unless the event passed through an
        # escrow (which stores them first): then, or when one attached is not stored, verify them
        direct = (pre, said) not in ctx.kvy.raised
        sigs = [s for o in mine for s in o.sigs]
        bad: list[str] = []
        if not (direct and set(sigs) <= {bytes(x).decode() for x in db.getSigs(dgkey) or []}):
            _, _, bad = _check_sigs(serder.raw, sigs, verfers)
        if bad:
            problems.append((codes.KEL_BAD_SIGNATURE, f"controller signature {', '.join(bad)}"))
        wigs = [w for o in mine for w in o.wigs]
        wbad: list[str] = []
        if not (direct and set(wigs) <= {bytes(x).decode() for x in db.getWigs(dgkey) or []}):
            _, _, wbad = _check_sigs(serder.raw, wigs, werfers)
        if wbad:
            problems.append((codes.KEL_BAD_WITNESS_SIGNATURE, f"witness receipt {', '.join(wbad)}"))
        anchor = None
        couple = db.getAes(dgkey)
        if couple is not None:
            with contextlib.suppress(Exception):
                b = bytearray(bytes(couple))
                seqner = coring.Seqner(qb64b=b, strip=True)
                saider = coring.Saider(qb64b=b, strip=True)
                anchor = Anchor(sn=int(seqner.sn), said=str(saider.qb64))
        delegator = str(serder.delpre) if serder.ilk == "dip" else (
            str(kever.delpre) if serder.ilk == "drt" and kever.delpre else None)
        nsigs = len(db.getSigs(dgkey) or [])
        nwigs = len(db.getWigs(dgkey) or [])
        if problems:
            code, msg = problems[0]
            out.append(_event(serder, outcome=Outcome.REJECTED, code=code,
                              message=f"keri accepted it on its other signatures, but a {msg}",
                              first_seen=first_seen, witnesses=wits, delegator=delegator, anchor=anchor,
                              signatures=nsigs, receipts=nwigs))
        else:
            out.append(_event(serder, outcome=Outcome.ACCEPTED, code=codes.OK, message="accepted",
                              first_seen=first_seen, witnesses=wits, delegator=delegator, anchor=anchor,
                              signatures=nsigs, receipts=nwigs))
    return out


def _classify(ctx: _Ctx, pre: str, said: str, occs: list[Occurrence]) -> KeyEvent:
    """Why keri did not accept an event (module docstring; the escrow tables are the truth,
    the last exception keri raised for the event gives the detail)."""
    serder = occs[0].serder
    ilk = str(serder.ilk)
    sn = int(serder.sn)
    kever = ctx.kever(pre)
    escrow = ctx.escrows.get((pre, said))
    err = ctx.kvy.last_error.get((pre, said))
    first_seen = next((o.first_seen for o in occs if o.first_seen is not None), None)
    follows_state = kever is not None and sn == int(kever.sn) + 1  # the accepted state is its prior
    est = bool(serder.estive)

    # the keys the signatures must verify against, and the threshold they must satisfy
    verfers: list[Any] | None = None
    tholder: Any = None
    if est:
        verfers, tholder = list(serder.verfers), serder.tholder
    elif follows_state:
        verfers, tholder = list(kever.verfers), kever.tholder
    witnesses: tuple[str, ...] | None = None
    if ilk in ("icp", "dip"):
        witnesses = tuple(serder.backs)
    elif follows_state:
        with contextlib.suppress(Exception):
            witnesses = tuple(kever.deriveBacks(serder)[0]) if est else tuple(kever.wits)
    delegator = str(serder.delpre) if ilk == "dip" else (
        str(kever.delpre) if ilk == "drt" and kever is not None and kever.delpre else None)

    good: list[Any] = []
    idx: list[int] = []
    bad: list[str] = []
    if verfers is not None:
        for occ in occs:
            g, i, b = _check_sigs(serder.raw, occ.sigs, verfers)
            good += [x for x in g if x.qb64 not in {y.qb64 for y in good}]
            idx = sorted(set(idx) | set(i))
            bad += b
    wgood = 0
    wbad: list[str] = []
    if witnesses is not None:
        werfers = [coring.Verfer(qb64=w) for w in witnesses]
        seen: set[str] = set()
        for occ in occs:
            g, _, b = _check_sigs(serder.raw, occ.wigs, werfers)
            seen |= {x.qb64 for x in g}
            wbad += b
        wgood = len(seen)
    nsigs = len(good) if verfers is not None else len({s for o in occs for s in o.sigs})
    nwigs = wgood if witnesses is not None else len({w for o in occs for w in o.wigs})

    def ev(outcome: Outcome, code: str, message: str) -> KeyEvent:
        return _event(serder, outcome=outcome, code=code, message=message, first_seen=first_seen,
                      witnesses=witnesses, delegator=delegator, anchor=None, signatures=nsigs, receipts=nwigs)

    if bad:
        return ev(Outcome.REJECTED, codes.KEL_BAD_SIGNATURE, f"controller signature {', '.join(dict.fromkeys(bad))}")
    if escrow == "ldes" or isinstance(err, kering.LikelyDuplicitousError):
        return ev(Outcome.REJECTED, codes.KEL_DUPLICITY,
                  f"another event was already accepted at sn {sn}; this one conflicts with it")
    if wbad:
        return ev(Outcome.REJECTED, codes.KEL_BAD_WITNESS_SIGNATURE, f"witness receipt {', '.join(wbad)}")
    if escrow == "pses" or (escrow is None and isinstance(err, kering.MissingSignatureError)):
        verdict = _signature_shortfall(serder, kever, follows_state, good, idx, tholder)
        if verdict is not None:
            return ev(Outcome.REJECTED, *verdict)
        return ev(Outcome.ESCROWED, codes.KEL_ESCROW_PARTIAL_SIGNATURES,
                  f"in keri's partial-signature escrow: {_errtext(err)}")
    if escrow == "pwes" or (escrow is None and isinstance(err, kering.MissingWitnessSignatureError)):
        toad = int(str(serder.ked.get("bt", "0")), 16) if est else (int(kever.toader.num) if kever else None)
        return ev(Outcome.ESCROWED, codes.KEL_ESCROW_PARTIAL_WITNESS,
                  f"{nwigs} valid witness receipt(s), the witness threshold (toad) is {toad}")
    if escrow in ("pdes", "delegables") or (escrow is None and isinstance(
            err, (kering.MissingDelegationError, kering.MissingDelegableApprovalError))):
        named = next((o.anchor for o in occs if o.anchor is not None), None)
        claim = f"; the event names the delegator's event sn {named[0]} ({named[1]})" if named else ""
        if delegator is not None and ctx.kever(delegator) is not None:
            return ev(Outcome.ESCROWED, codes.KEL_ESCROW_DELEGATION_UNANCHORED,
                      f"the delegator {delegator}'s KEL (to sn {ctx.kever(delegator).sn}) does not anchor this "
                      f"event{claim}")
        return ev(Outcome.ESCROWED, codes.KEL_ESCROW_MISSING_DELEGATOR,
                  f"the delegator {delegator or '(unknown)'}'s KEL is not in the evidence{claim}")
    if escrow == "ooes" or (escrow is None and isinstance(err, kering.OutOfOrderError)):
        have = int(kever.sn) if kever is not None else None
        return ev(Outcome.ESCROWED, codes.KEL_ESCROW_OUT_OF_ORDER,
                  "waits for an earlier event " + (f"(accepted up to sn {have})" if have is not None
                                                   else "(no inception accepted)"))
    return ev(Outcome.REJECTED, codes.KEL_EVENT_REJECTED,
              f"{escrow + ': ' if escrow else ''}{_errtext(err) or 'keri did not accept it'}")


def _classify_safely(ctx: _Ctx, pre: str, said: str, occs: list[Occurrence]) -> KeyEvent:
    """:func:`_classify`, except that a fault of ours while classifying an event keri did not
    accept leaves it unexplained (INDETERMINATE, ``INTERNAL_ERROR``), never accepted."""
    try:
        return _classify(ctx, pre, said, occs)
    except Exception as ex:  # noqa: BLE001 - one unexplained event must not hide the others
        return _event(occs[0].serder, outcome=Outcome.ESCROWED, code=codes.INTERNAL_ERROR,
                      message=f"not accepted by keri; classifying it failed: {type(ex).__name__}: {ex}"[:300],
                      first_seen=occs[0].first_seen, witnesses=None, delegator=None, anchor=None,
                      signatures=len(occs[0].sigs), receipts=len(occs[0].wigs))


def _signature_shortfall(serder: Any, kever: Any, follows_state: bool, good: list[Any], idx: list[int],
                         tholder: Any) -> tuple[str, str] | None:
    """For an event in the partial-signature escrow: the INVALID reason when the signatures the
    stream carries can never make it acceptable, else None."""
    if tholder is not None and not tholder.satisfy(idx):
        return (codes.KEL_THRESHOLD_NOT_MET,
                f"verified signatures at indices {idx} do not satisfy the signing threshold kt={tholder.sith}")
    if serder.ilk in ("rot", "drt") and follows_state:
        prior_digs = list(kever.ndigers)
        committed = [i for i, d in enumerate(prior_digs)
                     if any(coring.Diger(ser=v.qb64b, code=d.code).qb64 == d.qb64 for v in serder.verfers)]
        if not kever.ntholder.satisfy(committed):
            return (codes.KEL_PREROTATION_VIOLATION,
                    f"the new keys expose only prior next digests {committed}, which cannot satisfy the prior "
                    f"next threshold nt={kever.ntholder.sith}")
        exposed = kever.exposeds(good)
        if not kever.ntholder.satisfy(exposed):
            return (codes.KEL_THRESHOLD_NOT_MET,
                    f"signatures of newly exposed keys (prior next digests {sorted(exposed)}) do not satisfy the "
                    f"prior next threshold nt={kever.ntholder.sith}")
    return None


def _errtext(err: BaseException | None) -> str:
    if err is None:
        return ""
    return f"{type(err).__name__}: {err}"[:300]


# ---------------------------------------------------------------------------------------------
# Public entry points


def ingest(store: Store, stream: bytes, *, tvy: Any = None, vry: Any = None, known: VerifiedKels | None = None,
           source: str = "") -> KelStream:
    """Verify every KEL in ``stream`` inside ``store`` and report every key event's fate.

    ``tvy``/``vry`` (optional) receive the TEL events and ACDCs of the stream, for callers that
    verify more than KELs in the same store; without them those messages are only counted.
    ``known``: key events keri already accepted in this process (:mod:`vvp._keri.verified`); one
    arriving again where keri accepted it is not verified again, and what keri accepts here is
    added to it. The result is the same with or without it.
    """
    reuse = Reuse(known, store) if known is not None else None  # keri's key states (db.kevers) are the store's
    if reuse is not None:
        reuse.streams = [stream]
    kvy = RecordingKevery(db=store.db, reuse=reuse)
    counts: dict[str, int] = {}
    sinks = {"tvy": _Sink(counts, "tel", tvy), "rvy": _Sink(counts, "rpy"), "exc": _Sink(counts, "exn"),
             "vry": _Sink(counts, "acdc", vry)}

    def take(ims: bytearray, offset: int) -> bool:
        assert reuse is not None
        got = reuse.try_take(ims)
        if got is None:
            return False
        body = bytes(ims[:got.length])
        del ims[:got.length]
        kvy.occurrences.append(Occurrence(
            serder=serdering.SerderKERI(raw=body, verify=False), sigs=[], wigs=[], first_seen=got.dts,
            anchor=got.anchor, offset=offset, known=True))
        return True

    rep = drive(stream, kvy=kvy, sinks=sinks, take=take if reuse is not None else None)
    kvy.recording = False
    _settle(kvy)
    ctx = _Ctx(store=store, kvy=kvy, escrows=_escrow_index(store.db))

    order: list[str] = []  # AIDs in order of first appearance
    by_aid: dict[str, dict[str, list[Occurrence]]] = {}

    def note(pre: str) -> dict[str, list[Occurrence]]:
        if pre not in by_aid:
            by_aid[pre] = {}
            order.append(pre)
        return by_aid[pre]

    def count(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    for occ in kvy.occurrences:
        note(str(occ.serder.pre)).setdefault(str(occ.serder.said), []).append(occ)
    events: list[KeyEvent] = []
    for bb in rep.bad_bodies:
        ilk = getattr(bb.serder, "ilk", None)
        if ilk not in KEY_EVENT_ILKS:
            count(f"{ilk or 'message'} (body does not match its SAID)")
            continue
        try:
            ev = _event(bb.serder, outcome=Outcome.REJECTED, code=codes.KEL_SAID_MISMATCH,
                        message=f"the body does not match its SAID (stream offset {bb.offset}): {bb.reason}",
                        first_seen=None, witnesses=None, delegator=None, anchor=None, signatures=0, receipts=0)
        except Exception:  # noqa: BLE001 - too mangled to name its AID: the stream is still bad
            rep.issues.append(StreamIssue(codes.KEL_SAID_MISMATCH, f"a key event body was changed: {bb.reason}",
                                          bb.offset))
            continue
        note(ev.aid)
        events.append(ev)
    for serder, offset in rep.unsigned:
        note(str(serder.pre))
        events.append(_event(serder, outcome=Outcome.REJECTED, code=codes.KEL_THRESHOLD_NOT_MET,
                             message=f"no controller signature attached (stream offset {offset})", first_seen=None,
                             witnesses=None, delegator=None, anchor=None, signatures=0, receipts=0))
    for pre in order:
        occs = by_aid[pre]
        accepted = _accepted_events(ctx, pre, occs)
        events += accepted
        done = {e.said for e in accepted}
        events += [_classify_safely(ctx, pre, said, olist) for said, olist in occs.items() if said not in done]
    for _ in range(kvy.queries):
        count("qry")
    for _, text in rep.other_errors:
        count(f"refused: {text[:80]}")
    if reuse is not None:
        faulted = frozenset((e.aid, e.said) for e in events if e.outcome is not Outcome.ACCEPTED or e.code != codes.OK)
        reuse.try_learn([stream], source, faulted)
    return KelStream(aids=tuple(order), events=tuple(events), issues=tuple(rep.issues),
                     ignored=tuple(sorted(counts.items())), messages=rep.messages)


def _settle(kvy: RecordingKevery) -> None:
    """Run keri's escrow processing until nothing moves (out-of-order chains settle in a pass or two)."""

    def progress() -> tuple[tuple[str, int], ...]:
        return tuple(sorted((str(pre), int(k.sn)) for pre, k in kvy.kevers.items()))

    for _ in range(_ESCROW_ROUNDS):
        before = progress()
        kvy.processEscrows()
        if progress() == before:
            break


def verify_kel_stream(stream: bytes, *, known: VerifiedKels | None = None, source: str = "") -> KelStream:
    """Verify every KEL in ``stream`` in a fresh temporary store; never raises for bad input.

    An unexpected fault inside keri is reported as a stream issue with code ``INTERNAL_ERROR``
    (INDETERMINATE: never VALID, never a traceback). ``known``: see :func:`ingest`.
    """
    try:
        with fast_code_tables(), lazy_pretty(), fast_records(), fresh_store(reusable=known is not None) as store:
            return ingest(store, stream, known=known, source=source)
    except Exception as ex:  # noqa: BLE001 - keri faults become a coded, never-VALID result
        return KelStream(aids=(), events=(), issues=(StreamIssue(codes.INTERNAL_ERROR,
                                                                 f"{type(ex).__name__}: {ex}"[:300], 0),))


# keri's Verfer picks its verify function by the key's code when it is made (Verfer.__init__);
# the same choice, by name, so that the function is looked up on the class at each call.
_SUITES: dict[str, str] = {coring.MtrDex.Ed25519N: "_ed25519", coring.MtrDex.Ed25519: "_ed25519",
                           coring.MtrDex.ECDSA_256r1N: "_secp256r1", coring.MtrDex.ECDSA_256r1: "_secp256r1",
                           coring.MtrDex.ECDSA_256k1N: "_secp256k1", coring.MtrDex.ECDSA_256k1: "_secp256k1"}


@functools.lru_cache(maxsize=1024)
def _verification_key(key_qb64: str) -> tuple[str, bytes] | None:
    """(the name of keri's verify function for the key's suite, the raw key) of one qb64 public
    key, or None when the text is not exactly one key keri can verify with. Decoded once per key (a
    signer's key serves call after call, and decoding and re-encoding it cost about 4 µs). Only
    the suite's name is kept, not a Verfer (whose verify function is bound when it is made), so
    each verification goes through keri's function as the class holds it at that moment."""
    try:
        verfer = coring.Verfer(qb64=key_qb64)
    except Exception:
        return None
    if verfer.qb64 != key_qb64 or verfer.code not in _SUITES:
        return None
    return _SUITES[verfer.code], bytes(verfer.raw)


def verify_signature(key_qb64: str, sig_raw: bytes, data: bytes) -> bool:
    """Whether ``sig_raw`` (a raw 64-byte Ed25519 signature, e.g. a JWS's) signs ``data`` with the
    qb64 public key ``key_qb64`` (a key from a :class:`vvp.keystate.KeyState`). Never raises."""
    key = _verification_key(key_qb64)
    if key is None:
        return False
    suite, raw = key
    try:
        return bool(getattr(coring.Verfer, suite)(sig_raw, data, raw))
    except Exception:
        return False


def is_aid(text: str) -> bool:
    """Whether ``text`` is exactly one qb64 KERI identifier prefix (an AID), per keri's Prefixer."""
    try:
        return bool(coring.Prefixer(qb64=text).qb64 == text)
    except Exception:
        return False

