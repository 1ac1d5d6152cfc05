"""Ingest a dossier (CESR streams) in a fresh keri store and report what keri proved.

KELs go to keri's Kevery and TELs to its Tevery, unchanged: keri does signatures, thresholds,
witness receipts, delegation, TEL sequencing and anchoring. ACDCs are *not* given to keri's
``vdr.Verifier`` (it marks credentials from an attacker's registry, with unchecked edge schemas,
or revoked, as saved; keri-notes §0): a duck-typed ``vry`` collects them instead, and
:mod:`vvp.dossier` judges them.

Message by message. keri's parser, on meeting a body it refuses (one flipped byte in an ACDC),
leaves that body's attachments in the stream and then discards everything after them. So the
stream is fed one message at a time by the one stream driver (:mod:`vvp._keri.stream`, shared
with the KEL verification), with keri finding every boundary: when a body is refused, a
placeholder ACDC made by keri is put in front of the orphaned attachments so that keri's parser
consumes exactly those attachments and no more; the rest of the stream is still judged. A message that is truncated, or attachments keri cannot read, end the
stream there, and that is reported.

Everything keri is handed passes through small recording taps (the KEL events with their ``-E``
first-seen times and keri's exception, the TEL events with their anchors, the ACDCs with their
``-I`` seal-source triples), so that after keri's escrows have run the outcome can be explained
instead of merely observed.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lmdb
from keri import kering
from keri.core import coring, eventing  # eventing before keri.db: import order
from keri.db import dbing

from vvp import strictjson
from vvp._keri import acdc as _acdc
from vvp._keri import tel as _tel
from vvp._keri._store import Store, fresh_store
from vvp._keri.codetables import fast_code_tables
from vvp._keri.lazylog import lazy_pretty
from vvp._keri.records import fast_records
from vvp._keri.stream import PLACEHOLDER_SAID, WS, Head, StreamDriver
from vvp._keri.verified import Reuse, VerifiedKels

_WS = WS

# keri exceptions that mean "waiting for evidence" (escrowed), not "this evidence is bad".
_ESCROW_ERRORS = {"MissingWitnessSignatureError": "under_witnessed", "MissingDelegationError": "delegator_missing",
                  "OutOfOrderError": "out_of_order", "MissingSignatureError": "unsigned",
                  "MissingDelegableApprovalError": "delegator_missing", "MisfitEventSourceError": "out_of_order"}


@dataclass(frozen=True, slots=True)
class KelSeen:
    """A KEL event as keri's parser delivered it, and what keri's Kevery said about it."""

    aid: str
    sn: int
    said: str
    ilk: str
    delegator: str | None
    first_seen: str | None
    error: str | None
    bad_signatures: int = 0
    seals: tuple[tuple[str, int, str], ...] = ()
    """The event seals ``{i, s, d}`` in its ``a`` list (a TEL event or a delegated event it
    anchors): what lets a withheld TEL event be seen (architecture §2.4)."""


def event_seals(ked: Mapping[str, Any]) -> tuple[tuple[str, int, str], ...]:
    """The ``(i, sn, d)`` event seals in a key event's ``a`` list (other anchors skipped)."""
    a = ked.get("a")
    if not isinstance(a, list):
        return ()
    out: list[tuple[str, int, str]] = []
    for x in a:
        if isinstance(x, dict) and isinstance(x.get("i"), str) and isinstance(x.get("s"), str) \
                and isinstance(x.get("d"), str):
            try:
                out.append((x["i"], int(x["s"], 16), x["d"]))
            except ValueError:
                continue
    return tuple(out)


@dataclass(frozen=True, slots=True)
class TelSeen:
    """A TEL event as delivered (accepted or not), with its anchor couple and its final outcome.

    ``outcome``: ``accepted``; ``issuer_unverified`` (the anchoring KEL is not verified);
    ``kel_incomplete`` (the anchor is beyond the issuer's verified KEL); ``anchor_mismatch`` (the
    issuer's verified event at that sn is another event, or does not seal this one);
    ``no_anchor`` (no ``-G`` couple); ``registry_missing``; ``rejected`` (keri refused it).
    """

    ilk: str
    pre: str
    sn: int
    said: str
    registry: str | None
    registry_issuer: str | None
    dt: str | None
    anchor_sn: int | None
    anchor_said: str | None
    error: str | None
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class AidState:
    """What the streams proved about one AID.

    ``accepted``: keri verified its KEL up to ``sn``. ``problem`` is empty when every event of it in
    the streams was accepted; otherwise one of ``not_in_stream``, ``delegator_missing``,
    ``under_witnessed``, ``unsigned``, ``out_of_order`` (evidence missing or still escrowed) or
    ``invalid``, ``duplicitous`` (evidence refused).
    """

    aid: str
    accepted: bool
    sn: int | None
    witnesses: tuple[str, ...]
    toad: int | None
    delegator: str | None
    problem: str
    detail: str


@dataclass(frozen=True, slots=True)
class IngestedAcdc:
    """One ACDC body from the streams, with everything keri could prove about it.

    ``sad`` is the credential as parsed (read-only by convention). ``said_form``/``bad_blocks``
    come from :func:`vvp._keri.acdc.check_saids`; ``duplicate_keys`` is True when the JSON repeats a
    key. ``seal`` is the ``-I`` triple (vcid, iss sn, iss SAID) that came with it. ``tel`` lists
    the accepted TEL events of the credential, ``tel_seen`` every delivered one with its outcome.
    ``registry_issuer`` is the issuer of the accepted registry named by ``ri`` (``Tever.pre``);
    ``registry_claimed_issuer`` the ``ii`` of a delivered ``vcp`` for it even when not accepted.
    ``issuer_witnesses`` is the issuer's witness count in force at the anchor of its issuance.
    """

    said: str
    sad: Mapping[str, Any]
    said_form: str
    bad_blocks: tuple[str, ...]
    duplicate_keys: bool
    seal: tuple[str, int, str] | None
    tel: tuple[_tel.TelEvent, ...]
    tel_seen: tuple[TelSeen, ...]
    registry_accepted: bool
    registry_issuer: str | None
    registry_claimed_issuer: str | None
    issuer_witnesses: int | None
    stream: int
    offset: int

    @property
    def said_ok(self) -> bool:
        """The credential's content is bound by its SAID (received or compact form) and its JSON is
        unambiguous. A nested block whose own ``d`` does not recompute is reported separately: the
        top-level digest still binds it, and real vLEI credentials carry such blocks (the GLEIF
        QVI credential's ``r``)."""
        return self.said_form != "none" and not self.duplicate_keys


@dataclass(frozen=True, slots=True)
class StreamProblem:
    """A part of a stream that is not evidence: a refused non-ACDC body (``rejected``), a message
    cut short (``truncated``), or bytes keri cannot read (``unparsable``)."""

    kind: str
    stream: int
    offset: int
    length: int
    proto: str
    claimed_said: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class Ingest:
    """The outcome of one ingest. ``acdcs`` are bodies whose SAIDs hold (one per SAID, in stream
    order); ``bad_acdcs`` bodies whose SAIDs or JSON do not. ``first_seen`` maps (AID, event SAID)
    to the first-seen datetime its ``-E`` attachment carried."""

    acdcs: tuple[IngestedAcdc, ...]
    bad_acdcs: tuple[IngestedAcdc, ...]
    problems: tuple[StreamProblem, ...]
    aids: Mapping[str, AidState]
    kel_seen: tuple[KelSeen, ...]
    tel_seen: tuple[TelSeen, ...]
    first_seen: Mapping[tuple[str, str], str]
    log: tuple[str, ...] = field(default=())

    def acdc(self, said: str) -> IngestedAcdc | None:
        for a in self.acdcs:
            if a.said == said:
                return a
        return None


# --------------------------------------------------------------------------------------------
# taps


class _KelTap:
    """Stands in for the Kevery in the parser: records each event, forwards it unchanged.

    It also counts the attached controller and witness signatures that do not verify (keri drops
    them silently and, when the rest still meet the thresholds, accepts the event): a signature
    that does not verify is altered evidence, as the KEL rules of :mod:`vvp.keystate` say.
    """

    def __init__(self, real: Any, reuse: Reuse | None = None) -> None:
        self._real = real
        self.seen: list[KelSeen] = []
        self._state: dict[tuple[str, str], tuple[Any, list[str] | None]] = {}
        self.reuse = reuse
        self.copies: set[tuple[str, str]] = set()  # events of which a copy reached this store
        self.where = (0, 0)  # (stream, offset) of the message being fed
        self.pending: Any = None  # what Reuse keeps of the event keri just accepted from this message

    def _in_force(self, serder: Any) -> tuple[Any, list[str] | None]:
        """(signing keys, witnesses) in force for an event: from keri's state right after it was
        accepted (remembered for later copies of the same event), else what the event itself
        establishes; (None, None) when that is not known (an event still escrowed)."""
        pre, said = str(serder.pre), str(serder.said)
        kever = self._real.kevers[pre] if pre in self._real.kevers else None
        if kever is not None and kever.serder.said == said:
            found = (list(kever.verfers), [str(w) for w in kever.wits])
            self._state.setdefault((pre, said), found)
        if (pre, said) in self._state:
            return self._state[(pre, said)]
        if serder.estive:
            return list(serder.verfers), ([str(b) for b in serder.backs] if serder.ilk in ("icp", "dip") else None)
        return None, None

    def _bad_signatures(self, serder: Any, sigers: Any, wigers: Any, *, first: bool = False,
                        distinct: tuple[int, int] | None = None) -> int:
        """Attached signatures that do not verify against the keys and witnesses in force.

        Cheap in the honest case: keri stores exactly the signatures it verified, so only when an
        attached one is missing from keri's store are they verified here (to tell a bad one from a
        duplicate). ``first``: keri just accepted this event from this, its first copy in the
        store: what keri stored is then exactly the verified part of what is attached, so equal
        counts of distinct signatures mean every attached one verified (no encoding needed)."""
        try:
            key = dbing.dgKey(str(serder.pre), str(serder.said))
            db = self._real.db
            if first:  # counts suffice: keri's sigs and wigs are LMDB dupsort tables, counted in place
                nsigs, nwigs = distinct if distinct is not None else (_distinct(sigers), _distinct(wigers))
                with db.env.begin() as txn:
                    cur = txn.cursor(db=db.sigs)
                    stored_sigs = cur.count() if cur.set_key(key) else 0
                    cur = txn.cursor(db=db.wigs)
                    stored_wigs = cur.count() if cur.set_key(key) else 0
                if (stored_sigs or stored_wigs) and stored_sigs == nsigs and stored_wigs == nwigs:
                    return 0
            sigs, wigs = db.getSigs(key), db.getWigs(key)
            stored = {bytes(x) for x in sigs} | {bytes(x) for x in wigs}
            if stored and all(bytes(x.qb64b) in stored for x in list(sigers or ()) + list(wigers or ())):
                return 0
            keys, wits = self._in_force(serder)
            bad = 0
            if keys is not None and sigers:
                good, _ = eventing.verifySigs(raw=serder.raw, sigers=list(sigers), verfers=keys)
                bad += len(sigers) - len(good)
            if wits is not None and wigers:
                verfers = [coring.Verfer(qb64=w) for w in wits]
                good, _ = eventing.verifySigs(raw=serder.raw, sigers=list(wigers), verfers=verfers)
                bad += len(wigers) - len(good)
            return bad
        except Exception:  # noqa: BLE001 - a signature keri cannot even read is not verified
            return len(sigers or ()) + len(wigers or ())

    def processEvent(self, **kwa: Any) -> Any:  # noqa: N802 - keri's name
        serder = kwa.get("serder")
        err: str | None = None
        if serder is not None and self.reuse is not None:
            self.reuse.handed_to_keri(str(serder.pre))
        try:
            return self._real.processEvent(**kwa)
        except Exception as ex:
            err = type(ex).__name__
            raise
        finally:
            if serder is not None:
                ked = serder.ked
                dater = kwa.get("dater")
                di = ked.get("di")
                delegator = di if isinstance(di, str) and di else None
                seals = event_seals(ked) if ked.get("t") in ("ixn", "rot", "drt") else ()
                pre, said = str(serder.pre), str(serder.said)
                key = (pre, said)
                distinct = (_distinct(kwa.get("sigers")), _distinct(kwa.get("wigers")))
                bad = self._bad_signatures(serder, kwa.get("sigers"), kwa.get("wigers"),
                                           first=err is None and key not in self.copies, distinct=distinct)
                self.copies.add(key)
                sn = int(serder.sn)
                dts = str(dater.dts) if dater is not None else None
                self.seen.append(KelSeen(aid=pre, sn=sn, said=said, ilk=str(ked.get("t")), delegator=delegator,
                                         first_seen=dts, error=err, bad_signatures=bad, seals=seals))
                if self.reuse is not None:
                    if err is not None:
                        self.reuse.refused(pre, said)
                    else:
                        self.pending = self.reuse.accepted(serder, kwa, delegator, seals, *self.where,
                                                           seen=(sn, dts, distinct))
                        if self.pending is not None:
                            self.pending.bad_signatures = bad

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _distinct(sigers: Any) -> int:
    """How many different indexed signatures (as keri would store them) are in ``sigers``."""
    return len({(x.code, x.index, x.ondex, bytes(x.raw)) for x in sigers or ()})


class _TelTap:
    """Stands in for the Tevery in the parser: records each TEL event and keri's answer."""

    def __init__(self, real: Any, reuse: Reuse | None = None) -> None:
        self._real = real
        self.seen: list[TelSeen] = []
        self.bodies: dict[str, tuple[str, Any, Any]] = {}  # SAID -> (t, dt, ri) of each body handed over
        self.reuse = reuse
        self.where = (0, 0)  # (stream, offset) of the message being fed
        self.pending: Any = None  # what Reuse keeps of the TEL event keri just accepted from this message

    def processEvent(self, serder: Any, seqner: Any = None, saider: Any = None,  # noqa: N802
                     wigers: Any = None) -> Any:
        err: str | None = None
        try:
            return self._real.processEvent(serder=serder, seqner=seqner, saider=saider, wigers=wigers)
        except Exception as ex:
            err = type(ex).__name__
            raise
        finally:
            ked = serder.ked
            ilk = str(ked.get("t"))
            ri = ked.get("ri")
            ii = ked.get("ii")
            dt = ked.get("dt")
            try:
                sn = int(ked.get("s"), 16)
            except (TypeError, ValueError):
                sn = -1
            registry = ri if isinstance(ri, str) else (str(ked.get("i")) if ilk in ("vcp", "vrt") else None)
            self.bodies.setdefault(str(serder.said), (ilk, dt, ri))
            self.seen.append(TelSeen(
                ilk=ilk, pre=str(ked.get("i")), sn=sn, said=str(serder.said), registry=registry,
                registry_issuer=ii if isinstance(ii, str) else None, dt=dt if isinstance(dt, str) else None,
                anchor_sn=int(seqner.sn) if seqner is not None else None,
                anchor_said=str(saider.qb64) if saider is not None else None, error=err))
            if err is None and self.reuse is not None:
                t = self.seen[-1]
                self.pending = self.reuse.accepted_tel(serder, seqner, saider, t.registry, t.registry_issuer, t.dt,
                                                       *self.where)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@dataclass
class _Got:
    creder: Any
    seal: tuple[str, int, str] | None
    stream: int
    offset: int


class _AcdcTap:
    """The duck-typed ``vry``: keri's parser hands it each ACDC with its ``-I`` triple."""

    def __init__(self) -> None:
        self.got: list[_Got] = []
        self.placeholder_seal: tuple[str, int, str] | None = None
        self.placeholder_seen = False
        self.stream = 0
        self.offset = 0

    def processCredential(self, creder: Any, prefixer: Any = None, seqner: Any = None,  # noqa: N802
                          saider: Any = None) -> None:
        seal = None
        if prefixer is not None and seqner is not None and saider is not None:
            seal = (str(prefixer.qb64), int(seqner.sn), str(saider.qb64))
        if creder.said == PLACEHOLDER_SAID:
            self.placeholder_seen = True
            self.placeholder_seal = seal
            return
        self.got.append(_Got(creder, seal, self.stream, self.offset))


# --------------------------------------------------------------------------------------------
# the message loop (the driving itself is vvp._keri.stream's, shared with the KEL verification)


def _claimed_said(body: bytes) -> str | None:
    got = _acdc.parse_unverified(body)
    if got is not None:
        d = got.sad.get("d")
        return d if isinstance(d, str) else None
    return None


class _Feeder:
    """What a dossier ingest makes of each message the stream driver meets: the taps record what
    keri is handed; a refused body's attachments are stepped over whatever they are (the rest of
    the stream is still judged), and a message cut short or unreadable ends its stream there."""

    def __init__(self, st: Store, reuse: Reuse | None = None) -> None:
        self.st = st
        self.reuse = reuse
        self.stripped: list[bytes] = []  # each stream as fed (offsets are into these)
        self.kel = _KelTap(st.kvy, reuse)
        self.tel = _TelTap(st.tvy, reuse)
        self.acdc = _AcdcTap()
        self.driver = StreamDriver(kvy=self.kel, tvy=self.tel, vry=self.acdc, skip_whitespace=True,
                                   end_placeholder=True, take=self._take if reuse is not None else None)
        self.problems: list[StreamProblem] = []
        self.refused_acdcs: list[tuple[bytes, tuple[str, int, str] | None, int, int]] = []

    def _log_since(self, n: int) -> list[str]:
        return self.st.log.records[n:]

    def feed(self, idx: int, data: bytes) -> None:
        stripped = data.strip(_WS)
        self.stripped.append(stripped)
        ims = bytearray(stripped)
        for h in self.driver.messages(ims):
            if not self._feed_one(idx, ims, h):
                break

    def _problem(self, kind: str, idx: int, offset: int, length: int, proto: str, said: str | None,
                 detail: str) -> None:
        self.problems.append(StreamProblem(kind, idx, offset, length, proto, said, detail))

    def _take(self, ims: bytearray, h: Head) -> bool:
        """A KEL or TEL event keri accepted before, arriving where keri accepted it: recorded as
        keri would have reported it, and dropped from the stream."""
        assert self.reuse is not None
        if h.proto != "KERI" or h.size > len(ims):
            return False
        taken = self.reuse.try_take(ims)
        if taken is not None:  # keri accepted exactly this event on exactly this state before
            t = taken
            self.kel.seen.append(KelSeen(aid=t.aid, sn=t.sn, said=t.said, ilk=t.ilk, delegator=t.delegator,
                                         first_seen=t.dts, error=None, bad_signatures=0, seals=t.seals))
            self.kel.copies.add((t.aid, t.said))
            del ims[:t.length]
            return True
        tel = self.reuse.try_take_tel(ims)
        if tel is not None:  # keri accepted exactly this TEL event on exactly this state before
            self.tel.bodies.setdefault(tel.said, (tel.ilk, tel.dt, None if tel.ilk == "vcp" else tel.registry))
            self.tel.seen.append(TelSeen(ilk=tel.ilk, pre=tel.pre, sn=tel.sn, said=tel.said, registry=tel.registry,
                                         registry_issuer=tel.registry_issuer, dt=tel.dt, anchor_sn=tel.anchor[1],
                                         anchor_said=tel.anchor[2], error=None))
            del ims[:len(tel.message)]
            return True
        return False

    def _feed_one(self, idx: int, ims: bytearray, h: Head) -> bool:
        """Feed one message; False when the rest of this stream cannot be read."""
        rest = len(ims)
        offset = h.offset
        bad = h.error if h.error is not None else h.smell_error
        if bad is not None:
            self._problem("unparsable", idx, offset, rest, "", None, f"not a CESR message: {type(bad).__name__}")
            return False
        if not h.is_message:
            self._problem("unparsable", idx, offset, rest, "", None, f"expected a message, found a {h.cold} counter")
            return False
        proto, size = h.proto, h.size
        if size > rest:
            self._problem("truncated", idx, offset, rest, proto, None,
                          f"the message declares {size} bytes but only {rest} remain")
            return False
        body = bytes(ims[:size])
        n_log = len(self.st.log.records)
        self.acdc.stream, self.acdc.offset = idx, offset
        self.kel.where, self.kel.pending = (idx, offset), None
        self.tel.where, self.tel.pending = (idx, offset), None
        n_got = len(self.acdc.got)
        outcome = self.driver.parse_one(ims).kind
        for tap in (self.kel, self.tel):
            if tap.pending is not None:
                tap.pending.length = rest - len(ims)
                tap.pending = None
        if outcome == "short":
            self._problem("truncated", idx, offset, rest, proto, _claimed_said(body) if proto == "ACDC" else None,
                          "the message or its attachments are cut short")
            return False
        if outcome in ("lost", "sized_group", "extraction"):
            self._problem("unparsable", idx, offset, rest, proto, None,
                          "keri could not read this message's attachments; the rest of the stream is lost")
            return False
        consumed = rest - len(ims)
        refused = False
        if consumed == 0:
            del ims[:size]
            refused = True
        elif ims:
            try:
                refused = kering.sniff(ims) != kering.Colds.msg
            except Exception:  # noqa: BLE001
                refused = True
        if not refused and proto == "ACDC" and len(self.acdc.got) == n_got:
            refused = True  # body parsed but never handed over: treat as refused
        if not refused:
            return True
        seal = None
        if ims:
            try:
                orphaned = kering.sniff(ims) in (kering.Colds.txt, kering.Colds.bny)
            except Exception:  # noqa: BLE001
                orphaned = False
            if orphaned:
                self.acdc.placeholder_seen, self.acdc.placeholder_seal = False, None
                stepped = self.driver.step_over_attachments(ims).kind
                if stepped not in ("done", "refused") or not self.acdc.placeholder_seen:
                    self._problem("unparsable", idx, offset, rest, proto, None,
                                  "keri refused this message and could not read its attachments")
                    return False
                seal = self.acdc.placeholder_seal
        length = rest - len(ims)
        if proto == "ACDC":
            self.refused_acdcs.append((body, seal, idx, offset))
        else:
            reason = "; ".join(r.split("\n", 1)[0][:200] for r in self._log_since(n_log)) or "refused by keri"
            got = None
            try:
                d = json.loads(body).get("d")
                got = d if isinstance(d, str) else None
            except (ValueError, AttributeError):
                got = None
            self._problem("rejected", idx, offset, length, proto, got, reason)
        return True


# --------------------------------------------------------------------------------------------
# after the escrows: explain


@dataclass(frozen=True, slots=True)
class _KeyState:
    """What the explanation reads of keri's key state of an AID."""

    sn: int
    wits: tuple[str, ...]
    toad: int
    delpre: str | None


def _kevers_get(st: Store, aid: str) -> _KeyState | None:
    """keri's key state of ``aid`` in this store: its Kever when keri holds one in memory, else
    its key-state record, read as keri's Kever.reload reads it (sn, witnesses, toad, delegator)
    without rebuilding a Kever (which re-verifies the last event: keys reused from
    :mod:`vvp._keri.verified` are only on record until keri next needs them)."""
    try:
        kever = dict.get(st.kvy.kevers, aid)
        if kever is None:
            raw = st.db.getVal(st.db.states.sdb, aid.encode())
            if raw:
                rec = json.loads(bytes(raw))
                if isinstance(rec, dict) and isinstance(rec.get("s"), str) and isinstance(rec.get("b"), list) \
                        and isinstance(rec.get("bt"), str) and st.db.getEvt(dbing.dgKey(aid, str(rec.get("d")))):
                    di = rec.get("di")
                    return _KeyState(int(rec["s"], 16), tuple(str(w) for w in rec["b"]), int(rec["bt"], 16),
                                     di if isinstance(di, str) and di else None)
            if aid not in st.kvy.kevers:
                return None
            kever = st.kvy.kevers[aid]
        delpre = kever.delpre
        return _KeyState(int(kever.sn), tuple(str(w) for w in kever.wits), int(kever.toader.num),
                         delpre if isinstance(delpre, str) and delpre else None)
    except Exception:  # noqa: BLE001 - the read-through cache raises on odd keys
        return None


def _said_at(st: Store, aid: str, sn: int) -> str | None:
    dig = st.db.getKeLast(key=dbing.snKey(pre=aid, sn=sn))
    return bytes(dig).decode() if dig else None


def _aid_state(st: Store, aid: str, seen: Sequence[KelSeen]) -> AidState:
    mine = [k for k in seen if k.aid == aid]
    kever = _kevers_get(st, aid)
    forged = [k for k in mine if k.bad_signatures]
    if forged:
        k = forged[0]
        return AidState(aid, kever is not None, kever.sn if kever is not None else None,
                        kever.wits if kever is not None else (), kever.toad if kever is not None else None,
                        kever.delpre if kever is not None and kever.delpre else k.delegator, "invalid",
                        f"{k.bad_signatures} signature(s) attached to its sn {k.sn} {k.ilk} do not verify")
    if kever is not None:
        sn, wits, toad, delpre = kever.sn, kever.wits, kever.toad, kever.delpre
        problem, detail = "", f"verified to sn {sn}"
        later = sorted({k.sn for k in mine if k.sn > sn})
        forks = [k for k in mine if k.sn <= sn and _said_at(st, aid, k.sn) not in (None, k.said)]
        if forks:
            problem, detail = "duplicitous", f"an event at sn {forks[0].sn} conflicts with the verified KEL"
        elif later:
            errs = {k.error for k in mine if k.sn in later and k.error}
            bad = [e for e in errs if e not in _ESCROW_ERRORS]
            problem = "invalid" if bad else (_ESCROW_ERRORS.get(next(iter(errs)), "out_of_order") if errs
                                             else "out_of_order")
            detail = f"events after sn {sn} (sn {later[0]}...) were not accepted ({', '.join(sorted(errs)) or 'escrowed'})"
        return AidState(aid, True, sn, wits, toad, delpre, problem, detail)
    if not mine:
        return AidState(aid, False, None, (), None, None, "not_in_stream", "no KEL event of this AID in the evidence")
    delegator = next((k.delegator for k in mine if k.delegator), None)
    if delegator is not None and _kevers_get(st, delegator) is None:
        return AidState(aid, False, None, (), None, delegator, "delegator_missing",
                        f"its delegator {delegator} is not verified (KEL missing or unverified)")
    first_errs = [k.error for k in mine if k.sn == 0 and k.error] or [k.error for k in mine if k.error]
    refused = [e for e in first_errs if e not in _ESCROW_ERRORS]
    if refused:
        return AidState(aid, False, None, (), None, delegator, "invalid", f"keri refused its KEL ({refused[0]})")
    if first_errs:
        return AidState(aid, False, None, (), None, delegator, _ESCROW_ERRORS[first_errs[0]],
                        f"its KEL stayed in keri's escrow ({first_errs[0]})")
    return AidState(aid, False, None, (), None, delegator, "out_of_order", "its inception was not accepted")


def _tel_outcome(st: Store, t: TelSeen, accepted: set[tuple[str, str]], aids: Mapping[str, AidState],
                 reg_issuer: Mapping[str, str]) -> str:
    if (t.pre, t.said) in accepted:
        return "accepted"
    if t.error and t.error not in ("MissingAnchorError", "OutOfOrderError", "MissingRegistryError",
                                   "MissingWitnessSignatureError"):
        return "rejected"
    issuer = t.registry_issuer if t.ilk == "vcp" else reg_issuer.get(t.registry or "")
    if issuer is None:
        return "registry_missing"
    if t.anchor_sn is None or t.anchor_said is None:
        return "no_anchor"
    state = aids.get(issuer)
    if state is None or not state.accepted or state.sn is None:
        return "issuer_unverified"
    if t.anchor_sn > state.sn:
        return "kel_incomplete"
    return "anchor_mismatch"


_ILK = re.compile(rb'"t":"([a-z]{3})"')
_ESTIVE = frozenset({b"icp", b"rot", b"dip", b"drt"})


def _witness_count_at(st: Store, aid: str, sn: int | None) -> int | None:
    """How many witnesses ``aid`` had in force at ``sn``: what keri's ``fetchWitnessState`` answers
    (the witness list keri stored with the last establishment event at or before ``sn``), read
    without re-verifying every event walked back over (keri parses each one with its SAID check;
    these are events keri accepted in this store, so their ilk is read from the body's head)."""
    if sn is None:
        return None
    try:
        kever = dict.get(st.kvy.kevers, aid)
        if kever is not None and int(kever.lastEst.s) <= sn <= int(kever.sner.num):
            # the last establishment event at or before sn is keri's latest one: the witnesses in
            # force are keri's current ones (what it stored with that event)
            return len(kever.wits)
        preb = aid.encode()
        for digb in st.db.getKelBackIter(preb, sn):
            key = dbing.dgKey(preb, bytes(digb))
            raw = st.db.getEvt(key)
            m = _ILK.search(bytes(raw[:80])) if raw is not None else None
            if m is None:
                wits = st.kvy.fetchWitnessState(aid, sn)  # not the plain form: keri's own walk
                return len(wits) if wits is not None else None
            if m.group(1) in _ESTIVE:
                wits = st.db.wits.get(key)
                return len(wits) if wits is not None else None
        return 0
    except Exception:  # noqa: BLE001
        return None


def _dup_keys(raw: bytes) -> bool:
    """Whether a body keri refused holds a key twice. A body keri accepted never does: keri's
    ``Serder._verify`` ends with a round trip (the body it parsed, serialised again, must equal
    the bytes received), and a serialised dict holds each key once; so accepted bodies are not
    decoded a second time for this (about 20 us per credential)."""
    try:
        strictjson.loads(raw)
    except ValueError as ex:
        return "duplicate key" in str(ex)
    return False


def ingest(streams: Sequence[bytes], *, known: VerifiedKels | None = None, source: str = "") -> Ingest:
    """Ingest ``streams`` (in order, each fed message by message) in one fresh store.

    ``known``: key events keri already accepted in this process (:mod:`vvp._keri.verified`); a
    message that is one of them, arriving where keri accepted it, is not verified again, and what
    keri accepts here is added to it (``source`` names these streams in a duplicity report), and
    the fresh store is an emptied one kept from an earlier ingest when there is one
    (:func:`vvp._keri._store.fresh_store`). The result is the same with or without it."""
    with fast_code_tables(), lazy_pretty(), fast_records(), fresh_store(reusable=known is not None) as st, \
            _tel.multi_seal_anchors():
        reuse = Reuse(known, st) if known is not None else None
        f = _Feeder(st, reuse)
        if reuse is not None:
            reuse.streams = f.stripped
        for i, data in enumerate(streams):
            f.feed(i, data)
        _settle(st)
        out = _explain(st, f)
        if reuse is not None:
            reuse.try_learn(f.stripped, source)
        return out


_ESCROW_ROUNDS = 3


def _settle(st: Store) -> None:
    """keri's escrow processing (KEL, then TEL), round after round, at most ``_ESCROW_ROUNDS``,
    until a round changes nothing: a round is a function of keri's state, so the round after
    one that left it as it found it would only do the same work again (an event in the
    partial-signature escrow has its signatures verified again each round: about 2 ms per round
    on the real vLEI chain)."""
    # The state before the first round is what the first comparison needs, but only when the
    # round wrote something: LMDB read transactions opened now keep that state (MVCC), so the
    # entries are counted only then (counting keri's ~116 databases is most of this function's
    # cost, and a dossier with nothing in escrow writes nothing).
    txns0 = _txns(st)
    memory0 = _in_memory(st)
    snaps = [owner.env.begin() for owner in (st.db, st.reger)]
    try:
        st.kvy.processEscrows()
        st.tvy.processEscrows()
        if _txns(st) == txns0:
            return  # nothing written: the state is as the round found it
        before = (tuple(tuple(txn.stat(h)["entries"] for h in _databases(owner))
                        for owner, txn in zip((st.db, st.reger), snaps, strict=True)), *memory0)
    finally:
        for txn in snaps:
            txn.abort()
    for _ in range(_ESCROW_ROUNDS - 1):
        after = _fingerprint(st)
        if after == before:
            return
        before = after
        st.kvy.processEscrows()
        st.tvy.processEscrows()


def _fingerprint(st: Store) -> tuple[Any, ...]:
    """What an escrow round can change: no write at all since the last look (LMDB's last
    transaction ids), else how many entries each of keri's databases holds, and keri's key
    states and registries in memory."""
    txns = _txns(st)
    seen = getattr(st, "_vvp_fingerprint", None)
    if seen is not None and seen[0] == txns:
        return tuple(seen[1])
    counts = []
    for owner in (st.db, st.reger):
        with owner.env.begin() as txn:
            counts.append(tuple(txn.stat(h)["entries"] for h in _databases(owner)))
    out = (tuple(counts), *_in_memory(st))
    st._vvp_fingerprint = (txns, out)  # type: ignore[attr-defined]
    return out


def _txns(st: Store) -> tuple[int, int]:
    """The last transaction ids of keri's two LMDB environments: unchanged means nothing written."""
    return (st.db.env.info()["last_txnid"], st.reger.env.info()["last_txnid"])


def _in_memory(st: Store) -> tuple[tuple[tuple[str, int, str], ...], tuple[tuple[str, int], ...]]:
    """keri's key states and registries in memory, as the fingerprint compares them."""
    kevers = tuple(sorted((str(p), int(k.sn), str(k.serder.said)) for p, k in dict.items(st.kvy.kevers)))
    tevers = tuple(sorted((str(r), int(t.sn)) for r, t in dict.items(st.reger.tevers)))
    return kevers, tevers


def _databases(owner: Any) -> list[Any]:
    """Every named LMDB database of a keri Baser or Reger (its tables and its subers' ones)."""
    found = getattr(owner, "_vvp_databases", None)
    if found is None:
        found = []
        for v in vars(owner).values():
            if isinstance(v, lmdb._Database):
                found.append(v)
            elif isinstance(getattr(v, "sdb", None), lmdb._Database):
                found.append(v.sdb)
        owner._vvp_databases = found
    return list(found)


def _explain(st: Store, f: _Feeder) -> Ingest:
    kel_seen = tuple(f.kel.seen)
    tel_raw = list(f.tel.seen)
    # registries: accepted issuer (tever.pre), or the ii a delivered vcp claims
    reg_claimed: dict[str, str] = {}
    for t in tel_raw:
        if t.ilk == "vcp" and t.registry_issuer:
            reg_claimed.setdefault(t.pre, t.registry_issuer)
    candidates: list[str] = list(dict.fromkeys([k.aid for k in kel_seen]))
    got = list(f.acdc.got)
    for g in got:
        candidates.append(str(g.creder.issuer))
    candidates += list(reg_claimed.values())
    aids = {a: _aid_state(st, a, kel_seen) for a in dict.fromkeys(candidates) if a}
    reg_accepted: dict[str, str] = {}
    for regk in {t.registry for t in tel_raw if t.registry}:
        assert regk is not None
        iss = _tel.registry_issuer(st.reger, regk)
        if iss is not None:
            reg_accepted[regk] = iss
    accepted_pairs: set[tuple[str, str]] = set()
    accepted_by_pre: dict[str, tuple[_tel.TelEvent, ...]] = {}
    couples: dict[str, set[tuple[int | None, str | None]]] = {}
    for t in tel_raw:
        couples.setdefault(t.said, set()).add((t.anchor_sn, t.anchor_said))
    anchors = {said: (a_sn, a_said) for said, got in couples.items() if len(got) == 1
               for a_sn, a_said in got if a_sn is not None and a_said is not None}
    for pre in {t.pre for t in tel_raw}:
        evs = _tel.accepted_tel(st.reger, pre, f.tel.bodies, anchors)
        accepted_by_pre[pre] = evs
        accepted_pairs |= {(pre, e.said) for e in evs}
    reg_issuer = {**reg_claimed, **reg_accepted}
    tel_seen = tuple(TelSeen(**{**{k: getattr(t, k) for k in t.__dataclass_fields__},
                                "outcome": _tel_outcome(st, t, accepted_pairs, aids, reg_issuer)})
                     for t in tel_raw)
    first_seen = {(k.aid, k.said): k.first_seen for k in kel_seen if k.first_seen}
    witness_count = functools.lru_cache(maxsize=None)(functools.partial(_witness_count_at, st))

    def build(creder: Any, seal: tuple[str, int, str] | None, stream: int, offset: int, received_ok: bool,
              raw: bytes) -> IngestedAcdc:
        sad = dict(creder.sad)
        said = str(sad.get("d", ""))
        chk = _acdc.check_saids(sad, received_ok=received_ok)
        regi = sad.get("ri") if isinstance(sad.get("ri"), str) else None
        tel = accepted_by_pre.get(said, ())
        iss = next((e for e in tel if e.ilk in ("iss", "bis")), None)
        issuer = reg_accepted.get(regi or "") or str(sad.get("i", ""))
        return IngestedAcdc(
            said=said, sad=sad, said_form=chk.form, bad_blocks=chk.bad_blocks, duplicate_keys=not received_ok and _dup_keys(raw),
            seal=seal, tel=tel, tel_seen=tuple(t for t in tel_seen if t.pre == said),
            registry_accepted=regi in reg_accepted, registry_issuer=reg_accepted.get(regi or ""),
            registry_claimed_issuer=reg_claimed.get(regi or ""),
            issuer_witnesses=witness_count(issuer, iss.anchor_sn if iss else None),
            stream=stream, offset=offset)

    good: dict[str, IngestedAcdc] = {}
    bad: list[IngestedAcdc] = []
    for g in got:
        item = build(g.creder, g.seal, g.stream, g.offset, True, bytes(g.creder.raw))
        if item.said_ok:
            good.setdefault(item.said, item)
        else:
            bad.append(item)
    for body, seal, stream, offset in f.refused_acdcs:
        creder = _acdc.parse_unverified(body)
        if creder is None or not isinstance(creder.sad, dict):
            f.problems.append(StreamProblem("rejected", stream, offset, len(body), "ACDC", None,
                                            "an ACDC body keri cannot read"))
            continue
        for a in {str(creder.sad.get("i", ""))}:
            if a and a not in aids:
                aids[a] = _aid_state(st, a, kel_seen)
        item = build(creder, seal, stream, offset, False, body)
        if item.said_ok:
            good.setdefault(item.said, item)
        else:
            bad.append(item)
    return Ingest(acdcs=tuple(good.values()), bad_acdcs=tuple(bad), problems=tuple(f.problems), aids=aids,
                  kel_seen=kel_seen, tel_seen=tel_seen, first_seen=first_seen, log=tuple(st.log.records))
