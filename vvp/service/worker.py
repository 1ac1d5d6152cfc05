"""One worker process of the service: its Verifier, caches, keystore, store connection and writer.

A worker is what ``--workers N`` starts N of. Each one owns (architecture §2.1, §4.5):

* a :class:`~vvp.verifier.Verifier` built once from the trust store, with its own warm cache;
* the verifier's KERI identity held open (records are signed without a keystore round trip);
* one connection to the shared record store and a :class:`~vvp.service.commit.GroupCommitWriter`;
* a thread pool for verifications (so fetches never block the event loop) and one for fetches
  (so a hung fetch can be abandoned at the request deadline: :mod:`vvp.service.deadline`);
* an admission count: at most ``max_pending`` verifications admitted at once; the next one is
  refused with 503 and ``Retry-After`` before any work is done.

:meth:`Worker.answer` is the whole life of one call: admit, verify in a thread (replay memory
first, through the store, so all workers share it), build and sign the record, wait for the
group commit, count the metrics; only then is there something to send. It raises
:class:`ServiceRefusal` for refusals (503) and the store's :class:`~vvp.errors.VvpError` when
the record could not be stored: the front end must then not acknowledge the call.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import concurrent.futures
import contextlib
import datetime as _dt
import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vvp import clock, codes
from vvp.errors import OperationalError, VvpError
from vvp.fetch import EvidenceKind, Fetched, Fetcher, FetchLimits, RecordingFetcher, build_fetcher
from vvp.record import (Record, TrustSnapshot, VerifierIdentity, build_record, keystore_path, open_identity,
                        verdict_json_parts)
from vvp.replay import snapshot_trust
from vvp.service import metrics
from vvp.service.commit import GroupCommitWriter
from vvp.service.config import ServiceConfig, default_store_url
from vvp.service.deadline import CpuToken, DeadlineFetcher
from vvp.service.threads import name_os_thread
from vvp.stir.identity import route_identities
from vvp.stir.sip import SipError, parse_sip
from vvp.store.base import RecordStore
from vvp.store.url import open_store
from vvp.trust import TrustStore, load_trust_store
from vvp.verdict import Verdict
from vvp.callee.inputs import CalleeInput
from vvp.verifier import CallInput, Verifier

AnyCall = CallInput | CalleeInput
"""What a front end hands a worker: a caller's call, or a callee's answer (architecture §2.2)."""


class ServiceRefusal(OperationalError):
    """A request refused before any verification (overloaded, draining): HTTP 503."""

    default_code = codes.SERVICE_OVERLOADED


@dataclass(frozen=True, slots=True)
class ReplayFinding:
    """The same PASSporT seen earlier within ``window_s``."""

    window_s: int

    def to_json(self) -> dict[str, Any]:
        return {"code": codes.SERVICE_PASSPORT_REPLAYED, "window_s": self.window_s,
                "message": f"this PASSporT was presented to this service within the last {self.window_s} s"}


def deadline_json(seconds: float) -> dict[str, Any]:
    return {"code": codes.SERVICE_DEADLINE_EXCEEDED, "request_deadline_s": seconds,
            "message": f"the request deadline ({seconds} s) ran out while a fetch was waiting: that evidence "
                       "was not obtained, so the verdict cannot be VALID (the record holds the failed fetch)"}


class Answer:
    """A verified call whose record is stored: what a front end may now acknowledge. The
    verdict's JSON is made only when a front end asks for it (:attr:`verdict_json`, the ATIS and
    SIP shapes) or as canonical bytes (:meth:`verdict_bytes`, the ``/vvp/v1/verify`` body):
    most answers need one of the two, never both."""

    __slots__ = ("verdict", "record_id", "replay", "deadline", "_json", "_record")

    def __init__(self, verdict: Verdict, record_id: str, replay: ReplayFinding | None,
                 deadline: dict[str, Any] | None, record: Record | None = None) -> None:
        self.verdict = verdict
        self.record_id = record_id
        self.replay = replay
        self.deadline = deadline
        self._json: dict[str, Any] | None = None
        self._record = record

    @property
    def verdict_json(self) -> dict[str, Any]:
        """``verdict.to_json()``, made once (treat it as read-only)."""
        if self._json is None:
            self._json = self.verdict.to_json()
        return self._json

    def verdict_bytes(self) -> bytes:
        """The verdict as the canonical JSON the record signs (the same value as
        :attr:`verdict_json`): the bytes the record composed when there is one."""
        if self._record is not None:
            return self._record.verdict_bytes()
        return b"".join(verdict_json_parts(self.verdict))


@dataclass(frozen=True, slots=True)
class _Built:
    verdict: Verdict
    record: Record
    replay: ReplayFinding | None
    deadline: dict[str, Any] | None


def replay_keys(call: AnyCall) -> tuple[str, ...]:
    """The replay-memory keys of a call: the digest of each PASSporT the verifier will judge (the
    first VVP one and the first SHAKEN one; a callee's PASSporT), so a copy of either within the
    window is a replay."""
    if isinstance(call, CalleeInput):
        token = (call.callee or "").split(";", 1)[0].strip()
        return (f"callee:{hashlib.sha256(token.encode()).hexdigest()}",) if token else ()
    values = list(call.identities)
    if call.sip is not None:
        with contextlib.suppress(SipError):
            values = list(parse_sip(call.sip).identities) + values
    routing = route_identities(values)
    out: list[str] = []
    for group, tag in ((routing.vvp, "vvp"), (routing.shaken, "shaken")):
        if group:
            out.append(f"{tag}:" + hashlib.sha256(group[0].value.token.encode()).hexdigest())
    return tuple(out)


def tune_runtime() -> None:
    """Latency settings of a worker process, once it has loaded everything it keeps.

    * ``gc.freeze()``: the trust store, schemas, keri and the caches' first objects move to the
      permanent generation, so a full collection no longer walks them (a pause of tens of
      milliseconds per gen-2 collection otherwise, the main source of p99 outliers);
    * a GIL switch interval of 1 ms instead of 5: a verification thread holding the GIL would
      otherwise delay the event loop (reading the next request, sending an answer) by up to
      5 ms each time.
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.001)
    _limit_malloc_arenas()


M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter number for the arena limit (malloc.h)."""


def _limit_malloc_arenas(n: int = 2) -> None:
    """At most ``n`` glibc malloc arenas: every verification and fetch thread would otherwise get
    its own arena, and a worker's RSS keeps growing for tens of thousands of requests as each
    arena keeps its own free memory (measured: 112 MiB after 10,000 requests, 150-260 MiB later,
    flat at 2 arenas). Not glibc (musl, macOS): nothing to do."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(M_ARENA_MAX, n)
    except (OSError, AttributeError):
        pass


def trim_malloc() -> bool:
    """Give the free pages of glibc's heaps back to the system (``malloc_trim(0)``); whether it
    ran. Why: a worker's allocations are mostly short-lived (a request's JSON, a record's
    parts) interleaved with long-lived ones (cache entries, memos), so freed memory stays
    scattered in pages glibc keeps; measured in one worker, 50,000 requests: 221 MiB without,
    207 MiB with a trim every 10,000 (the rest is bounded caches filling). It takes a few
    milliseconds and releases the GIL (ctypes): call it from a thread, not the event loop."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


TRIM_EVERY_S = 10.0
"""How often a worker that answered requests since the last time trims its heap."""


class Worker:
    """Everything one worker process holds (module docstring). ``open`` loads it, ``close`` drains
    the writer and releases the keystore and the store."""

    def __init__(self, cfg: ServiceConfig, *, environ: Mapping[str, str] | None = None,
                 wall: clock.Clock | None = None) -> None:
        self.cfg = cfg
        self._environ = dict(os.environ if environ is None else environ)
        self._wall: clock.Clock = wall or clock.SystemClock()
        self.trust: TrustStore | None = None
        self.verifier: Verifier | None = None
        self.snapshot: TrustSnapshot | None = None
        self.identity: VerifierIdentity | None = None
        self.store: RecordStore | None = None
        self.writer: GroupCommitWriter | None = None
        self._stack = contextlib.ExitStack()
        self.verify_pool = concurrent.futures.ThreadPoolExecutor(cfg.threads, thread_name_prefix="vvp-verify",
                                                                 initializer=name_os_thread,
                                                                 initargs=("vvp-verify",))
        self.fetch_pool = concurrent.futures.ThreadPoolExecutor(max(4, cfg.threads * 2),
                                                                thread_name_prefix="vvp-fetch",
                                                                initializer=name_os_thread, initargs=("vvp-fetch",))
        self.pending = 0
        self.answered = 0
        """Verifications answered by this worker (the heap trim runs only when there were some)."""
        self.draining = False
        self.cpu = CpuToken()
        """The CPU token: one verification computes at a time (first come, first served) while
        others wait for it or for their fetches. Without it the GIL shares the CPU among all
        running verifications round-robin, so each of them takes as long as all of them (worse
        p50 at the same throughput); with it, a verification waiting on a fetch still lets the
        others run (:class:`~vvp.service.deadline.DeadlineFetcher` gives the token back)."""

    # -- life cycle ----------------------------------------------------------------------------

    def open(self) -> None:
        """Load the trust store, build the Verifier, open the keystore and the store. Raises a
        coded :class:`~vvp.errors.VvpError` when any of them cannot be had."""
        self.trust = load_trust_store(self.cfg.trust)
        limits = FetchLimits.from_policy(self.trust.policy)
        base: Fetcher = build_fetcher(limits=limits, evidence_map=self.cfg.evidence, offline=self.cfg.offline)
        self.verifier = Verifier(self.trust, base)
        self.snapshot = snapshot_trust(self.trust)
        self.identity = self._stack.enter_context(open_identity(keystore_path(self.cfg.keystore, self._environ)))
        self.store = open_store(self.cfg.store or default_store_url(self._environ))
        self._stack.callback(self.store.close)
        self.writer = GroupCommitWriter(self.store, batch_max=self.cfg.batch_max, observe=metrics.observe_commit)
        tune_runtime()


    @property
    def ready(self) -> bool:
        return self.writer is not None and not self.draining

    def readiness(self) -> dict[str, Any]:
        return {"ready": self.ready, "pid": os.getpid(), "trust": self.verifier is not None,
                "store": self.store is not None, "keystore": self.identity is not None, "draining": self.draining}

    def close(self) -> None:
        self.draining = True
        self.verify_pool.shutdown(wait=True)
        if self.writer is not None:
            self.writer.close()
        self.fetch_pool.shutdown(wait=False, cancel_futures=True)
        self._stack.close()
        metrics.worker_exited(os.getpid())

    # -- one call ------------------------------------------------------------------------------

    def admit(self) -> None:
        """Count one more verification in, or refuse it (503) before any work is done."""
        if self.draining or self.writer is None:
            metrics.REJECTED.labels("draining").inc()
            raise ServiceRefusal("the service is not ready or is shutting down", code=codes.SERVICE_NOT_READY)
        if self.pending >= self.cfg.max_pending:
            metrics.REJECTED.labels("overloaded").inc()
            raise ServiceRefusal(f"{self.pending} verifications are in progress in this worker (limit "
                                 f"{self.cfg.max_pending}): retry after {self.cfg.retry_after_s} s",
                                 code=codes.SERVICE_OVERLOADED)
        self.pending += 1
        metrics.count(metrics.QUEUE_DEPTH)

    def release(self) -> None:
        self.pending -= 1
        metrics.count(metrics.QUEUE_DEPTH, -1)

    async def answer(self, call: AnyCall, *, endpoint: str, received_at: _dt.datetime,
                     started: float) -> Answer:
        """Admit, verify, store; the :class:`Answer` exists only once its record is committed.
        ``started`` is when the request arrived (``time.monotonic``): the deadline counts from it.

        A call the Verifier's caches can answer whole (no fetch) is verified right here on the
        event loop (:meth:`_build_on_loop`): no thread hand-off, no GIL switching between the loop
        and a verification thread. A call that needs a fetch goes to a verification thread."""
        self.admit()
        try:
            loop = asyncio.get_running_loop()
            replay: ReplayFinding | None | _Unset = _UNSET
            if self._replay_in_store():  # the replay memory is a store write: never on the loop
                replay = await loop.run_in_executor(self.verify_pool, self._replay, call)
            built = self._build_on_loop(call, endpoint, received_at, replay) if self.cfg.warm_on_loop else None
            if built is None:
                built = await loop.run_in_executor(self.verify_pool, self._build, call, endpoint, received_at,
                                                   started, replay)
            assert self.writer is not None
            record_id = await self.writer.submit_async(built.record, loop)
        finally:
            self.release()
        metrics.observe_verdict(endpoint, built.verdict)
        self.answered += 1
        return Answer(built.verdict, record_id, built.replay, built.deadline, built.record)

    async def housekeeping(self, every_s: float = TRIM_EVERY_S) -> None:
        """Until cancelled: every ``every_s`` seconds in which calls were answered, trim the heap
        (:func:`trim_malloc`) in a fetch thread, so the event loop never waits for it."""
        loop = asyncio.get_running_loop()
        seen = self.answered
        while True:
            await asyncio.sleep(every_s)
            if self.answered != seen and not self.draining:
                seen = self.answered
                await loop.run_in_executor(self.fetch_pool, trim_malloc)

    def _replay_in_store(self) -> bool:
        return self.trust is not None and self.trust.policy.replay_window_s > 0

    def _replay(self, call: AnyCall) -> ReplayFinding | None:
        assert self.trust is not None and self.store is not None
        window = self.trust.policy.replay_window_s
        if window <= 0:
            return None
        now = clock.to_unix(self._wall.now())
        first = True
        for key in replay_keys(call):
            if not self.store.seen_passport(key, now, float(window)):
                first = False
        if first:
            return None
        metrics.REPLAYS.inc()
        return ReplayFinding(window)

    def _build(self, call: AnyCall, endpoint: str, received_at: _dt.datetime, started: float,
               replay: ReplayFinding | None | _Unset = None) -> _Built:
        """In a verification thread, holding the CPU token except while a fetch waits."""
        with self.cpu:
            if isinstance(replay, _Unset):
                replay = self._replay(call)
            assert self.verifier is not None and self.trust is not None
            deadline_s = float(self.trust.policy.request_deadline_s)
            guard = DeadlineFetcher(self.verifier.fetcher, started + deadline_s, self.fetch_pool, _observe_fetch,
                                    cpu=self.cpu)
            return self._verify_and_record(call, endpoint, received_at, replay, guard, guard)

    def _build_on_loop(self, call: AnyCall, endpoint: str, received_at: _dt.datetime,
                       replay: ReplayFinding | None | _Unset) -> _Built | None:
        """The call verified on the event loop if the Verifier's caches hold every piece of evidence
        it needs; None (nothing done that counts) if it would have to fetch, or if a verification
        thread is computing now (the CPU token is taken: first come, first served)."""
        if not self.cpu.try_acquire():
            return None
        try:
            if isinstance(replay, _Unset):
                replay = self._replay(call)  # no store I/O: replay_window_s is 0
            try:
                return self._verify_and_record(call, endpoint, received_at, replay, _NO_FETCH, None)
            except _NeedsFetch:
                metrics.LOOP_FALLBACKS.inc()
                return None
        finally:
            self.cpu.__exit__()

    def _verify_and_record(self, call: AnyCall, endpoint: str, received_at: _dt.datetime,
                           replay: ReplayFinding | None, inner: Fetcher, guard: DeadlineFetcher | None) -> _Built:
        """Verification and the signed record, holding the CPU token; fetches go to ``inner``."""
        assert self.verifier is not None and self.trust is not None and self.identity is not None
        t0 = time.perf_counter()
        deadline_s = float(self.trust.policy.request_deadline_s)
        recorder = RecordingFetcher(inner, clock=self._wall)
        verdict = (self.verifier.verify_callee(call, fetcher=recorder) if isinstance(call, CalleeInput)
                   else self.verifier.verify(call, fetcher=recorder))
        deadline = deadline_json(deadline_s) if guard is not None and guard.expired else None
        if deadline is not None:
            metrics.DEADLINES.inc()
        _count_cache(recorder)
        service: dict[str, Any] = {"endpoint": endpoint, "request_deadline_s": _plain_number(deadline_s),
                                   "replay": replay.to_json() if replay is not None else None,
                                   "deadline": deadline}
        record = build_record(inputs={**call.to_json(), "service": service}, received_at=received_at,
                              verdict=verdict, trust=self.snapshot or snapshot_trust(self.trust),
                              events=recorder.events, identity=self.identity)
        metrics.observe(metrics.VERIFY_SECONDS, time.perf_counter() - t0)
        return _Built(verdict, record, replay, deadline)


def _plain_number(x: float) -> float | int:
    """``x`` as an int when it is a whole number: the same canonical JSON (RFC 8785 writes 3.0 as
    ``3``), but the record's inputs then hold no float, so they are serialised by orjson instead
    of the reference serialiser in pure Python (measured: about 60 us less per call, mostly the
    Identity header's characters)."""
    if x.is_integer() and abs(x) <= 2 ** 53:
        return int(x)
    return x


class _Unset:
    """The replay memory not consulted yet (None is a consulted memory that found no replay)."""


_UNSET = _Unset()


class _NeedsFetch(BaseException):
    """A verification on the event loop reached a fetch: it is abandoned and run again in a
    thread. A BaseException so that no ``except Exception`` on the way turns it into a verdict."""


class _NoFetcher:
    """The fetcher under a verification on the event loop: any fetch abandons it."""

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        raise _NeedsFetch(url)


_NO_FETCH = _NoFetcher()


def _observe_fetch(kind: EvidenceKind, seconds: float, code: str | None) -> None:
    metrics.FETCH_SECONDS.labels(kind.value).observe(seconds)
    if code is not None:
        metrics.FETCH_FAILURES.labels(kind.value, code).inc()


def _count_cache(recorder: RecordingFetcher) -> None:
    """Cache hits and misses as the recorder saw them: evidence handed over by a cache
    (``source: "cache"``) is a hit, a fetch that went out is a miss."""
    hits: dict[str, int] = {}
    misses: dict[str, int] = {}
    for ev in recorder.events:
        k = EvidenceKind(ev.kind).value
        if ev.fetched is not None and ev.fetched.source == "cache":
            hits[k] = hits.get(k, 0) + 1
        else:
            misses[k] = misses.get(k, 0) + 1
    for k, n in hits.items():
        metrics.count(metrics.child(metrics.CACHE, k, "hit"), n)
    for k, n in misses.items():
        metrics.count(metrics.child(metrics.CACHE, k, "miss"), n)


def error_json(ex: VvpError) -> dict[str, Any]:
    return {"error": {"code": ex.code, "message": ex.message}}
