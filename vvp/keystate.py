"""KERI key state as plain, frozen values, and the rules that pick a key state out of a KEL.

Nothing here imports keri. ``vvp/_keri/kel.py`` turns a CESR stream into a :class:`KelStream`
(every key event it saw, with what keri did with it); :func:`select_key_state` then answers one
question about one AID: its key state at a sequence number, at a reference time, or now, with
a status and stable codes. The PASSporT and dossier code consume :class:`KelResult` and
:class:`KeyState`; they never see keri types.

Status rules (architecture §2):

* any event of the AID that keri rejected, or that we found cryptographically bad (a signature
  that does not verify, a changed body, an unmet threshold, a pre-rotation violation,
  duplicity), makes the result INVALID: a tampered KEL is never reported as a shorter valid one;
* an event left in one of keri's escrows (out of order, partial signatures, partial witnessing,
  missing delegation) makes the key state it could change unknowable: INDETERMINATE, with the
  code naming the escrow;
* otherwise the key state asked for is VALID.

Time of evidence: KERI events carry no timestamps. An event's time is the first-seen datetime
that the serving witness or agent attached to it (the ``-E`` replay couple). The key state at a
reference time is the state after the last event first seen at or before that time.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from vvp import codes
from vvp.verdict import Status

# A signing threshold exactly as the event states it: a hex string ("1", "2"), a list of
# weights (["1/3", "1/3"]) or a list of weight clauses ([["1/2", "1/2"], ["1"]]).
Threshold = str | tuple[str, ...] | tuple[tuple[str, ...], ...]

ESTABLISHMENT_ILKS = frozenset({"icp", "rot", "dip", "drt"})

# Codes that make a result INVALID (evidence checked and bad); every other non-OK event code
# makes it INDETERMINATE.
INVALID_CODES = frozenset({
    codes.KEL_NOT_A_KEL, codes.KEL_STREAM_UNREADABLE, codes.KEL_SAID_MISMATCH, codes.KEL_BAD_SIGNATURE,
    codes.KEL_THRESHOLD_NOT_MET, codes.KEL_PREROTATION_VIOLATION, codes.KEL_BAD_WITNESS_SIGNATURE,
    codes.KEL_DUPLICITY, codes.KEL_EVENT_REJECTED,
})


class Outcome(StrEnum):
    """What became of one key event: keri accepted it, left it in an escrow, or it is bad."""

    ACCEPTED = "accepted"
    ESCROWED = "escrowed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class EventSeal:
    """A seal ``{i, s, d}`` in an event's ``a`` list: this event anchors event ``sn`` of ``aid``
    (a delegated event, a TEL event) whose SAID is ``said``."""

    aid: str
    sn: int
    said: str


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where the delegator anchored a delegated event: its event ``sn`` with SAID ``said``."""

    sn: int
    said: str


@dataclass(frozen=True, slots=True)
class KeyEvent:
    """One key event of a KEL as served, and what verification made of it.

    The body fields are those of the event itself: ``keys``, ``kt``, ``next_digests``, ``nt``,
    ``toad`` and ``witnesses`` are ``None`` for an interaction event (it changes none of them).
    ``witnesses`` is the witness list in force after the event (``b`` for an inception, the prior
    list with ``br`` cut and ``ba`` added for a rotation, as keri computed it); it is ``None``
    for a rotation keri did not accept, because the prior list is then not established.
    ``first_seen`` is the datetime the serving party attached, ``None`` when it attached none.
    ``signatures`` and ``receipts`` count the verified controller signatures and witness receipts.
    ``code`` is ``OK`` for an accepted event, else the stable code saying why not.
    """

    aid: str
    sn: int
    ilk: str
    said: str
    prior: str | None
    keys: tuple[str, ...] | None
    kt: Threshold | None
    next_digests: tuple[str, ...] | None
    nt: Threshold | None
    toad: int | None
    witnesses: tuple[str, ...] | None
    cuts: tuple[str, ...]
    adds: tuple[str, ...]
    delegator: str | None
    anchor: Anchor | None
    seals: tuple[EventSeal, ...]
    first_seen: _dt.datetime | None
    signatures: int
    receipts: int
    outcome: Outcome
    code: str
    message: str

    @property
    def establishment(self) -> bool:
        """True for icp, rot, dip and drt: the events that set keys, thresholds and witnesses."""
        return self.ilk in ESTABLISHMENT_ILKS

    def to_json(self) -> dict[str, Any]:
        return {"sn": self.sn, "ilk": self.ilk, "said": self.said, "outcome": self.outcome.value, "code": self.code,
                "first_seen": _rfc3339(self.first_seen), "signatures": self.signatures, "receipts": self.receipts,
                "keys": _list(self.keys), "kt": threshold_json(self.kt), "witnesses": _list(self.witnesses),
                "toad": self.toad, "delegator": self.delegator,
                "anchor": None if self.anchor is None else {"sn": self.anchor.sn, "said": self.anchor.said},
                "message": self.message}


@dataclass(frozen=True, slots=True)
class StreamIssue:
    """A problem with the stream itself rather than with one event (it concerns every AID in it)."""

    code: str
    message: str
    offset: int


@dataclass(frozen=True, slots=True)
class KelStream:
    """Everything ``vvp._keri`` learnt from one CESR stream: its key events per AID (in order of
    first appearance), the messages that were not key events (ignored, counted by type) and any
    problem with the stream itself."""

    aids: tuple[str, ...]
    events: tuple[KeyEvent, ...]
    issues: tuple[StreamIssue, ...] = ()
    ignored: tuple[tuple[str, int], ...] = ()
    messages: int = 0

    def events_of(self, aid: str) -> tuple[KeyEvent, ...]:
        """The AID's events in sequence-number order (accepted before the others at equal sn)."""
        evs = [e for e in self.events if e.aid == aid]
        rank = {Outcome.ACCEPTED: 0, Outcome.ESCROWED: 1, Outcome.REJECTED: 2}
        return tuple(sorted(evs, key=lambda e: (e.sn, rank[e.outcome])))

    def accepted(self, aid: str) -> tuple[KeyEvent, ...]:
        """The AID's events keri accepted, in sequence-number order (its verified KEL)."""
        return tuple(e for e in self.events_of(aid) if e.outcome is Outcome.ACCEPTED)


@dataclass(frozen=True, slots=True)
class KeyState:
    """The key state of ``aid`` after event ``sn`` (whose establishment event is ``est_sn``).

    ``keys``, ``kt``, ``next_digests``, ``nt``, ``witnesses`` and ``toad`` come from the
    establishment event in force (witnesses after its cuts and adds); ``first_seen`` is the
    first-seen time of event ``sn``, ``est_first_seen`` that of the establishment event.
    """

    aid: str
    sn: int
    said: str
    est_sn: int
    est_said: str
    keys: tuple[str, ...]
    kt: Threshold
    next_digests: tuple[str, ...]
    nt: Threshold
    witnesses: tuple[str, ...]
    toad: int
    delegator: str | None
    first_seen: _dt.datetime | None
    est_first_seen: _dt.datetime | None

    @property
    def single_sig(self) -> bool:
        """One current key with threshold 1 (what a VVP ``kid`` AID must have, protocol §2)."""
        return len(self.keys) == 1 and self.kt == "1"


@dataclass(frozen=True, slots=True)
class KelResult:
    """The answer to "what is the key state of this AID (at this sn or time)?".

    ``state`` is set only when ``status`` is VALID: nobody may use keys from a KEL that did not
    verify. ``codes`` are the codes of what went wrong (empty when VALID); ``messages`` say it in
    words. ``events`` is the AID's whole event table, accepted or not, for reports and records.
    """

    status: Status
    aid: str | None
    state: KeyState | None
    codes: tuple[str, ...]
    messages: tuple[str, ...]
    events: tuple[KeyEvent, ...] = ()
    aids: tuple[str, ...] = ()
    at: _dt.datetime | None = None
    requested_sn: int | None = None
    source: str | None = None
    ignored: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``vvp kel --json`` document (architecture §4.3), with the event table added.

        Fields that cannot be known are null when the status is not VALID.
        """
        st = self.state
        return {
            "status": self.status.value,
            "aid": self.aid,
            "sn": st.sn if st else None,
            "est_sn": st.est_sn if st else None,
            "keys": list(st.keys) if st else None,
            "kt": threshold_json(st.kt) if st else None,
            "next_digests": list(st.next_digests) if st else None,
            "witnesses": list(st.witnesses) if st else None,
            "toad": st.toad if st else None,
            "delegator": st.delegator if st else None,
            "first_seen": _rfc3339(st.first_seen) if st else None,
            "codes": list(self.codes),
            "said": st.said if st else None,
            "est_said": st.est_said if st else None,
            "nt": threshold_json(st.nt) if st else None,
            "est_first_seen": _rfc3339(st.est_first_seen) if st else None,
            "reference": {"at": _rfc3339(self.at), "sn": self.requested_sn},
            "source": self.source,
            "aids": list(self.aids),
            "messages": list(self.messages),
            "events": [e.to_json() for e in self.events],
            "ignored": {k: n for k, n in self.ignored},
        }


def threshold_json(t: Threshold | None) -> Any:
    """A threshold as JSON: the string, or the (nested) list of weights, as in the event."""
    if t is None or isinstance(t, str):
        return t
    return [list(c) if isinstance(c, tuple) else c for c in t]


def threshold_from_json(value: Any) -> Threshold:
    """The frozen form of an event's ``kt``/``nt`` value (a string or a list of weights/clauses)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, list) and all(isinstance(v, list) and all(isinstance(w, str) for w in v) for v in value):
        return tuple(tuple(v) for v in value)
    raise ValueError(f"not a KERI threshold: {value!r}")


def _rfc3339(t: _dt.datetime | None) -> str | None:
    if t is None:
        return None
    u = t.astimezone(_dt.UTC)
    return u.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if u.microsecond else u.strftime("%Y-%m-%dT%H:%M:%SZ")


def _list(v: Sequence[str] | None) -> list[str] | None:
    return None if v is None else list(v)


# ---------------------------------------------------------------------------------------------
# Selection


def _failure(status: Status, aid: str | None, code_list: Sequence[str], msgs: Sequence[str], *,
             stream: KelStream, events: tuple[KeyEvent, ...] = (), at: _dt.datetime | None,
             sn: int | None, source: str | None) -> KelResult:
    return KelResult(status=status, aid=aid, state=None, codes=tuple(dict.fromkeys(code_list)),
                     messages=tuple(msgs), events=events, aids=stream.aids, at=at, requested_sn=sn,
                     source=source, ignored=stream.ignored)


def _describe(e: KeyEvent) -> str:
    return f"sn {e.sn} {e.ilk} {e.said}: {e.code}: {e.message}"


def _pending_codes(pending: Sequence[KeyEvent], events: Sequence[KeyEvent], tip: int) -> list[str]:
    """Codes of the escrowed events ``pending``, root causes first.

    An event waiting in the out-of-order escrow only because an earlier event of the stream is
    itself pending says nothing new; it is reported when it is the first pending event or when a
    sequence number before it is missing from the stream altogether (a gap).
    """
    ordered = sorted((e for e in pending if e.outcome is Outcome.ESCROWED), key=lambda e: e.sn)
    present = {e.sn for e in events}
    out: list[str] = []
    for i, e in enumerate(ordered):
        if e.code == codes.KEL_ESCROW_OUT_OF_ORDER and i > 0:
            if all(s in present for s in range(tip + 1, e.sn)):
                continue
        out.append(e.code)
    return list(dict.fromkeys(out))


def _state_at(aid: str, accepted: Sequence[KeyEvent], target: KeyEvent) -> KeyState:
    est = [e for e in accepted if e.establishment and e.sn <= target.sn][-1]
    delegator = est.delegator
    if delegator is None:
        delegator = next((e.delegator for e in accepted if e.ilk == "dip"), None)
    assert est.keys is not None and est.kt is not None and est.next_digests is not None and est.nt is not None
    return KeyState(aid=aid, sn=target.sn, said=target.said, est_sn=est.sn, est_said=est.said, keys=est.keys,
                    kt=est.kt, next_digests=est.next_digests, nt=est.nt, witnesses=est.witnesses or (),
                    toad=est.toad or 0, delegator=delegator, first_seen=target.first_seen,
                    est_first_seen=est.first_seen)


def select_key_state(stream: KelStream, aid: str | None = None, *, at: _dt.datetime | None = None,
                     sn: int | None = None, source: str | None = None) -> KelResult:
    """The key state of ``aid`` in ``stream`` after event ``sn``, at time ``at``, or after its
    last event (neither given); ``at`` and ``sn`` together are not allowed.

    ``aid`` may be omitted when the stream holds exactly one AID; with several, the result is
    INDETERMINATE with code ``AMBIGUOUS_AID`` and ``aids`` lists them (the CLI exits 2).
    """
    if at is not None and sn is not None:
        raise ValueError("give at or sn, not both")
    if at is not None and at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    kw: dict[str, Any] = {"stream": stream, "at": at, "sn": sn, "source": source}
    issue_codes = [i.code for i in stream.issues]
    issue_msgs = [f"stream offset {i.offset}: {i.code}: {i.message}" for i in stream.issues]
    if aid is None:
        if len(stream.aids) == 1:
            aid = stream.aids[0]
        elif not stream.aids:
            if stream.issues:
                return _failure(_worst(issue_codes), None, issue_codes, issue_msgs, **kw)
            return _failure(Status.INVALID, None, [codes.KEL_NOT_A_KEL],
                            [f"no key event in {stream.messages} message(s)"], **kw)
        else:
            return _failure(Status.INDETERMINATE, None, [codes.AMBIGUOUS_AID],
                            [f"the stream holds {len(stream.aids)} AIDs; name one: {', '.join(stream.aids)}"], **kw)
    events = stream.events_of(aid)
    if not events:
        if not stream.aids and not stream.issues:
            return _failure(Status.INVALID, aid, [codes.KEL_NOT_A_KEL],
                            [f"no key event in {stream.messages} message(s)"], **kw)
        return _failure(_worst(issue_codes + [codes.KEL_AID_NOT_FOUND]), aid,
                        issue_codes + [codes.KEL_AID_NOT_FOUND],
                        issue_msgs + [f"no key event of {aid} in the stream"], **kw)
    kw["events"] = events

    bad = [e for e in events if e.outcome is Outcome.REJECTED]
    invalid_issues = [c for c in issue_codes if c in INVALID_CODES]
    if bad or invalid_issues:
        return _failure(Status.INVALID, aid, invalid_issues + [e.code for e in bad],
                        [m for m, c in zip(issue_msgs, issue_codes) if c in INVALID_CODES]
                        + [_describe(e) for e in bad], **kw)
    if issue_codes:  # truncated stream: what is missing could change anything
        return _failure(Status.INDETERMINATE, aid, issue_codes, issue_msgs, **kw)

    accepted = [e for e in events if e.outcome is Outcome.ACCEPTED]
    pending = [e for e in events if e.outcome is Outcome.ESCROWED]
    tip = accepted[-1].sn if accepted else -1
    if not accepted:
        return _failure(Status.INDETERMINATE, aid, _pending_codes(pending, events, tip),
                        [_describe(e) for e in pending], **kw)

    if sn is not None:
        if sn < 0:
            return _failure(Status.INDETERMINATE, aid, [codes.KEL_SN_BEYOND_KEL], ["a sequence number is >= 0"], **kw)
        if sn > tip:
            before = [e for e in pending if e.sn <= sn]
            if before:
                return _failure(Status.INDETERMINATE, aid, _pending_codes(before, events, tip),
                                [_describe(e) for e in before], **kw)
            return _failure(Status.INDETERMINATE, aid, [codes.KEL_SN_BEYOND_KEL],
                            [f"sn {sn} asked for; the verified KEL ends at sn {tip}"], **kw)
        target = next(e for e in accepted if e.sn == sn)
    elif at is not None:
        chosen = _at_time(accepted, pending, events, at, tip)
        if isinstance(chosen, KelResult):
            return KelResult(status=chosen.status, aid=aid, state=None, codes=chosen.codes,
                             messages=chosen.messages, events=events, aids=stream.aids, at=at, requested_sn=sn,
                             source=source, ignored=stream.ignored)
        target = chosen
    else:
        if pending:
            return _failure(Status.INDETERMINATE, aid, _pending_codes(pending, events, tip),
                            [f"the KEL verifies up to sn {tip}, but later events are not accepted"]
                            + [_describe(e) for e in pending], **kw)
        target = accepted[-1]
    return KelResult(status=Status.VALID, aid=aid, state=_state_at(aid, accepted, target), codes=(),
                     messages=(), events=events, aids=stream.aids, at=at, requested_sn=sn, source=source,
                     ignored=stream.ignored)


def _at_time(accepted: Sequence[KeyEvent], pending: Sequence[KeyEvent], events: Sequence[KeyEvent],
             at: _dt.datetime, tip: int) -> KeyEvent | KelResult:
    """The last accepted event first seen at or before ``at``, or why there is none."""

    def no(code: str, msg: str) -> KelResult:
        return KelResult(status=Status.INDETERMINATE, aid=None, state=None, codes=(code,), messages=(msg,))

    seen = [e.first_seen for e in accepted if e.first_seen is not None]
    if any(b < a for a, b in zip(seen, seen[1:])):
        return no(codes.KEL_FIRST_SEEN_INCONSISTENT, "the first-seen times attached to the KEL go backwards")
    first = accepted[0]
    if first.first_seen is None:
        return no(codes.KEL_FIRST_SEEN_MISSING, f"the inception {first.said} carries no first-seen time")
    if at < first.first_seen:
        return no(codes.KEL_BEFORE_INCEPTION,
                  f"{_rfc3339(at)} is before the inception was first seen ({_rfc3339(first.first_seen)})")
    target = first
    for e in accepted[1:]:
        if e.first_seen is None:
            return no(codes.KEL_FIRST_SEEN_MISSING,
                      f"sn {e.sn} ({e.said}) carries no first-seen time, so it cannot be placed before or after "
                      f"{_rfc3339(at)}")
        if e.first_seen > at:
            break
        target = e
    unsure = [e for e in pending if e.first_seen is None or e.first_seen <= at]
    if unsure:
        return KelResult(status=Status.INDETERMINATE, aid=None, state=None,
                         codes=tuple(_pending_codes(unsure, events, tip)),
                         messages=tuple(_describe(e) for e in unsure))
    return target


def _worst(code_list: Sequence[str]) -> Status:
    return Status.INVALID if any(c in INVALID_CODES for c in code_list) else Status.INDETERMINATE

