"""Ask an AID's witnesses for its KEL and compare (architecture §2.4), through a cache.

Asking: the witnesses of the AID's current witness list, in its order, at the URLs their own
signed replies gave (``GET {url}/oobi/{aid}/witness/{eid}``, evidence kind ``witness``), until
``quorum`` of them answered with a KEL of the AID that keri verifies. Every fetch goes through
the call's fetcher, so a record keeps every answer (and every failure) and ``vvp reverify``
asks its :class:`~vvp.record.ReplayFetcher` the same questions offline.

Caching (:class:`WitnessCache`): an answer is kept with the fetch events it came from within
``key_state_freshness_s`` (the freshness that applies to key state), and a warm call hands those
events to its recorder as any cache does (§2.1); comparisons and the key state selected from a
merged KEL are kept with the answers they were made from.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import functools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from vvp import codes
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, FetchEvent, Fetcher, evidence_mark, evidence_since, note_cached
from vvp.fetch.local import as_cached
from vvp.keystate import KelResult, KelStream, KeyEvent, Outcome, select_key_state
from vvp.lru import Lru
from vvp.verdict import Status
from vvp.witness.compare import compare, quorum_for
from vvp.witness.endpoints import learn, witness_oobi
from vvp.witness.model import Answer, Comparison, Directory, Point, ServedKel, WitnessPolicy

OFFLINE_CODES = frozenset({codes.FETCH_OFFLINE, codes.FETCH_NOT_IN_RECORD})
"""Fetch failures that mean "this verification does not go to the network", not "the witness is down"."""


def points_of(stream: KelStream, aid: str) -> tuple[Point, ...]:
    """The AID's accepted events in ``stream`` as comparison points."""
    return tuple(Point(e.sn, e.said, e.ilk, e.first_seen, e.seals) for e in stream.accepted(aid))


def served_kel(stream: KelStream, aid: str) -> ServedKel:
    """The AID's verified KEL in a served stream, with the witnesses and toad of its last
    establishment event (none when nothing of it was accepted)."""
    acc = stream.accepted(aid)
    est = [e for e in acc if e.establishment]
    last = est[-1] if est else None
    return ServedKel(aid=aid, points=tuple(Point(e.sn, e.said, e.ilk, e.first_seen, e.seals) for e in acc),
                     witnesses=tuple(last.witnesses or ()) if last is not None else (),
                     toad=int(last.toad or 0) if last is not None else 0)


@dataclass(frozen=True, slots=True)
class _Got:
    """A cached answer: what the witness said, keri's stream of it, and the fetch events."""

    answer: Answer
    stream: KelStream | None
    events: tuple[FetchEvent, ...]


@dataclass(frozen=True, slots=True)
class Asked:
    """The outcome of asking: the comparison and the verified stream of each answering witness."""

    comparison: Comparison
    streams: tuple[tuple[str, KelStream], ...]
    expires: float = float("inf")
    """With a cache: the monotonic time until which every answer in it is fresh."""

    def stream_of(self, eid: str) -> KelStream | None:
        return next((s for e, s in self.streams if e == eid), None)


class WitnessCache:
    """What witnesses said, by (AID, witness, URL), within ``key_state_freshness_s`` (measured on
    a monotonic clock, injectable for tests); the witness locations learnt from a stream, by the
    stream's bytes; comparisons and merged key states by what they were made from. One per
    :class:`~vvp.verifier.Verifier` (inside its :class:`~vvp.verifier.VerifierCache`)."""

    def __init__(self, max_entries: int = 4096, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._answers: Lru[_Got] = Lru(max_entries, monotonic=monotonic)
        self._learnt: Lru[tuple[bytes, Directory]] = Lru(max_entries, monotonic=monotonic)
        self._memo: Lru[Any] = Lru(max_entries, monotonic=monotonic)
        self._asked: Lru[tuple[float, Asked, tuple[FetchEvent, ...], ServedKel]] = Lru(max_entries,
                                                                                        monotonic=monotonic)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self.fetches = 0

    def learnt(self, stream: bytes, source: str) -> Directory:
        """:func:`vvp.witness.endpoints.learn` of ``stream``, once per bytes object."""
        key = (id(stream), source)
        hit = self._learnt.get(key)
        if hit is not None and hit[0] is stream:
            return hit[1]
        got = learn(stream, source)
        self._learnt.put(key, (stream, got))
        return got

    def now(self) -> float:
        """The monotonic time answers' freshness is measured on."""
        return self._monotonic()

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        value = make()
        self._memo.put(key, value)
        return value


def _verify_answer(eid: str, url: str, body: bytes, aid: str) -> tuple[Answer, KelStream | None]:
    from vvp.kel import verify_stream

    stream = verify_stream(body)
    res = select_key_state(stream, aid)
    if res.status is Status.INVALID or not stream.accepted(aid):
        why = "; ".join(res.messages) or ", ".join(res.codes) or "no verified event of the AID"
        return Answer(eid, url, "invalid", codes.WITNESS_ANSWER_INVALID, f"not a verified KEL of {aid}: {why}"[:300]), None
    pts = points_of(stream, aid)
    note = "" if res.status is Status.VALID else f" (later events not accepted: {', '.join(res.codes)})"
    return Answer(eid, url, "answered", codes.OK, f"a verified KEL to sn {pts[-1].sn}{note}", pts), stream


def _ask_one(aid: str, eid: str, base: str, fetcher: Fetcher, cache: WitnessCache | None,
             freshness_s: float) -> _Got:
    url = witness_oobi(base, aid, eid)
    key = (aid, eid, url)
    if cache is not None:
        hit = cache._answers.get(key, max_age=freshness_s)
        if hit is not None:
            note_cached(fetcher, hit.events)
            return hit
    mark = evidence_mark(fetcher)
    try:
        got = fetcher.fetch(url, EvidenceKind.WITNESS)
    except FetchError as ex:
        ans = Answer(eid, url, "unreachable", ex.code, ex.message[:300])
        out = _Got(ans, None, evidence_since(fetcher, mark))
    else:
        ans, stream = _verify_answer(eid, url, got.body, aid)
        out = _Got(ans, stream, evidence_since(fetcher, mark))
    if cache is not None:
        cache.fetches += 1
        cache._answers.put(key, out)
    return out


def ask(served: ServedKel, directory: Directory, *, fetcher: Fetcher, policy: WitnessPolicy,
        cache: WitnessCache | None) -> Asked:
    """Ask ``served``'s witnesses (module docstring) and compare their answers with it.

    With a cache, the whole outcome is kept for as long as every answer in it is fresh (the
    earliest of their freshness deadlines), keyed by the served KEL, the locations used and the
    policy: a warm call is one lookup, and its recorder still gets every answer's fetch events."""
    if cache is None:
        return _ask(served, directory, fetcher=fetcher, policy=policy, cache=None)
    key = (id(served), tuple(sorted((e, ep.url) for e, ep in directory.endpoints.items()
                                    if e in served.witnesses)), policy.key())
    now = cache._monotonic()
    hit = cache._asked.get(key)
    if hit is not None and hit[3] is served and now < hit[0]:
        note_cached(fetcher, hit[2])
        return hit[1]
    started = now
    mark = evidence_mark(fetcher)
    asked = replace(_ask(served, directory, fetcher=fetcher, policy=policy, cache=cache),
                    expires=started + policy.freshness_s)
    events = tuple(as_cached(e) for e in evidence_since(fetcher, mark))
    cache._asked.put(key, (asked.expires, asked, events, served))
    return asked


def _ask(served: ServedKel, directory: Directory, *, fetcher: Fetcher, policy: WitnessPolicy,
         cache: WitnessCache | None) -> Asked:
    quorum = quorum_for(served, policy.quorum)
    answers: list[Answer] = []
    streams: list[tuple[str, KelStream]] = []
    good = 0
    for eid in served.witnesses:
        if good >= quorum:
            break
        base = directory.url_of(eid)
        if base is None:
            answers.append(_no_endpoint(eid))
            continue
        got = _ask_one(served.aid, eid, base, fetcher, cache, policy.freshness_s)
        answers.append(got.answer)
        if got.answer.outcome == "answered" and got.stream is not None:
            good += 1
            streams.append((eid, got.stream))

    def make() -> Comparison:
        return compare(served, answers, quorum=quorum, clock_skew_s=policy.clock_skew_s)

    if cache is None:
        return Asked(make(), tuple(streams))
    # keyed by identity (served KELs and answers are the cache's own objects), the objects held
    key = ("cmp", id(served), tuple(id(a) for a in answers), policy.clock_skew_s)
    held = cache.memo(key, lambda: (served, tuple(answers), make()))
    return Asked(held[2], tuple(streams))


@functools.lru_cache(maxsize=4096)
def _no_endpoint(eid: str) -> Answer:
    return Answer(eid, None, "no_endpoint", codes.WITNESS_ENDPOINT_UNKNOWN,
                  "no verified /loc/scheme reply of this witness is known")


def not_made(reason_offline: bool, answers: Sequence[Answer]) -> bool:
    """Whether no answer was possible because this verification does not go to the network or
    knows no witness location (the check was not made, rather than failed)."""
    return all(a.outcome == "no_endpoint" or (a.outcome == "unreachable" and a.code in OFFLINE_CODES)
               for a in answers) or reason_offline


# ---------------------------------------------------------------------------------------------
# The signer: the served stream merged with what the witnesses hold


def merged_stream(stream: KelStream, aid: str, asked: Asked) -> KelStream:
    """``stream`` with the AID's events as the witnesses establish them: the served accepted
    events with the earliest witness first-seen times, followed by the events the witnesses hold
    beyond the served tip (taken, verified, from the answer that holds them). Served events left
    in keri's escrows that the witnesses' KEL now settles (same SAID at their sn) are dropped;
    other AIDs' events are unchanged. Unchanged when there is nothing to merge."""
    cmp = asked.comparison
    if cmp.duplicity or cmp.answered == 0:
        return stream
    extra: list[KeyEvent] = []
    if cmp.extra and cmp.extra_from is not None:
        src = asked.stream_of(cmp.extra_from)
        if src is not None:
            extra = [e for e in src.accepted(aid) if e.sn > cmp.served_tip]
    settled = {e.sn: e.said for e in extra}
    changed = bool(extra)
    events: list[KeyEvent] = []
    for e in stream.events:
        if e.aid != aid:
            events.append(e)
            continue
        if e.outcome is not Outcome.ACCEPTED and settled.get(e.sn) == e.said:
            changed = True
            continue
        t = cmp.earliest.get(e.said) if e.outcome is Outcome.ACCEPTED else None
        if t is not None and t != e.first_seen:
            e = replace(e, first_seen=t)
            changed = True
        events.append(e)
    for e in extra:
        t = cmp.earliest.get(e.said, e.first_seen)
        events.append(replace(e, first_seen=t))
    if not changed:
        return stream
    return replace(stream, events=tuple(events))


class MergedStates:
    """Key states selected from one merged stream, per reference-time interval (as
    :class:`vvp.verifier.KelCache` does for served streams): kept in the witness cache's memo."""

    def __init__(self, stream: KelStream, aid: str, source: str) -> None:
        self.stream = stream
        self.aid = aid
        self.source = source
        self.times = sorted(e.first_seen for e in stream.events_of(aid) if e.first_seen is not None)
        self._selected: dict[int, KelResult] = {}
        self._lock = threading.Lock()

    def at(self, ref: _dt.datetime) -> KelResult:
        if ref.tzinfo is None:
            return select_key_state(self.stream, self.aid, at=ref, source=self.source)
        k = bisect.bisect_right(self.times, ref)
        hit = self._selected.get(k)
        if hit is not None:
            return hit
        got = select_key_state(self.stream, self.aid, at=ref, source=self.source)
        if got.status is Status.VALID:
            with self._lock:
                self._selected[k] = got
        return got
