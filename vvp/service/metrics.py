"""Prometheus metrics of the service (names prefixed ``vvp_``), safe across worker processes.

Workers are processes, so each keeps its samples in prometheus-client's multiprocess files under
``PROMETHEUS_MULTIPROC_DIR`` (the serve command makes and empties that folder and sets the
variable before any worker imports this module: prometheus-client picks its storage when it is
first imported). ``GET /metrics`` on any worker merges every worker's files, so a scrape sees the
whole service whichever worker answers. Without the variable (an app built in-process by a
test) the samples live in this process and ``/metrics`` shows them.

What each metric means is in ``docs/service.md``; the list is :data:`METRIC_NAMES`.

Samples taken on a worker's event loop are summed in memory and written to prometheus-client at
most every :data:`FLUSH_S` seconds (:func:`count`, :func:`observe`, :func:`defer_on_loop`):
in multiprocess mode every ``inc`` and ``observe`` takes a lock and writes a memory-mapped file,
about ten of them per answered request (20-50 us of the event loop's time per request, measured
in process), while a flush writes each changed series once. ``/metrics`` flushes this worker's
samples before it reads the files, so what a worker counted is in its own answer at once and in
another worker's answer within :data:`FLUSH_S`. Samples from other threads (the group-commit
writer, verification and fetch threads) are written at once, as before.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import threading
from collections.abc import Mapping
from typing import Any, Final

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as _mp

from vvp.service.config import MULTIPROC_ENV
from vvp.verdict import Verdict

_MULTI: Final = bool(os.environ.get(MULTIPROC_ENV))
"""Whether prometheus-client chose its multiprocess storage (it decides when first imported, as here)."""

_PID = [os.getpid()]


def _pid() -> int:
    return _PID[0]


if _MULTI:
    # Each sample written in multiprocess mode first asks the kernel for the process id (to
    # notice a fork and switch files): a system call per sample, about 4 % of a worker's event
    # loop measured under load (py-spy). The id is kept here instead and renewed in a forked
    # child, which is what the check was for.
    from prometheus_client import values as _values

    os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))
    _values.ValueClass = _values.MultiProcessValue(process_identifier=_pid)  # type: ignore[no-untyped-call]
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

_LATENCY = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0,
            2.5, 5.0, 10.0)
_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

REQUESTS: Final = Counter("vvp_http_requests", "HTTP requests answered, by endpoint and status code",
                          ["endpoint", "code"])
REQUEST_SECONDS: Final = Histogram("vvp_http_request_duration_seconds",
                                   "Time from the request's arrival to its answer, by endpoint", ["endpoint"],
                                   buckets=_LATENCY)
VERIFICATIONS: Final = Counter("vvp_verifications", "Verifications answered, by front end and verdict status",
                               ["frontend", "status"])
CLAIM_CODES: Final = Counter("vvp_claim_codes", "Codes carried by the claims of answered verdicts",
                             ["claim", "code"])
VERSTATS: Final = Counter("vvp_verstat", "verstat values answered (ATIS endpoint and SIP front end)",
                          ["verstat"])
VERIFY_SECONDS: Final = Histogram("vvp_verify_duration_seconds",
                                  "Time spent verifying and building the signed record (in a worker thread)",
                                  buckets=_LATENCY)
CACHE: Final = Counter("vvp_cache_lookups", "Evidence a verification used, answered from the verifier's caches "
                       "(hit) or fetched (miss), by evidence kind", ["kind", "result"])
FETCH_SECONDS: Final = Histogram("vvp_fetch_duration_seconds", "Duration of evidence fetches, by evidence kind",
                                 ["kind"], buckets=_LATENCY)
FETCH_FAILURES: Final = Counter("vvp_fetch_failures", "Failed evidence fetches, by evidence kind and code",
                                ["kind", "code"])
COMMIT_SECONDS: Final = Histogram("vvp_store_commit_duration_seconds",
                                  "Duration of one group commit of records to the store", buckets=_LATENCY)
COMMIT_BATCH: Final = Histogram("vvp_store_commit_batch_records", "Records stored by one group commit",
                                buckets=_SIZES)
COMMIT_FAILURES: Final = Counter("vvp_store_commit_failures", "Group commits the store refused")
QUEUE_DEPTH: Final = Gauge("vvp_queue_depth", "Verifications admitted and not yet answered (all workers)",
                           multiprocess_mode="livesum")
REJECTED: Final = Counter("vvp_rejected", "Requests refused before verification, by reason (overloaded, "
                          "draining, bad request)", ["reason"])
DEADLINES: Final = Counter("vvp_deadline_exceeded", "Verifications whose request deadline cut a fetch short")
REPLAYS: Final = Counter("vvp_replays", "PASSporTs presented again within replay_window_s")
LOOP_FALLBACKS: Final = Counter("vvp_loop_fallbacks", "Verifications started on the event loop that needed a "
                                "fetch and were run again in a verification thread")
SIP_MESSAGES: Final = Counter("vvp_sip_messages", "SIP datagrams answered, by method and response code",
                              ["method", "code"])
SIP_SECONDS: Final = Histogram("vvp_sip_duration_seconds", "Time from a SIP INVITE's arrival to its 302",
                               buckets=_LATENCY)
SIP_RETRANSMISSIONS: Final = Counter("vvp_sip_retransmissions",
                                     "SIP requests answered again from the transaction cache (not re-verified)")

METRIC_NAMES: Final = ("vvp_http_requests_total", "vvp_http_request_duration_seconds", "vvp_verifications_total",
                       "vvp_claim_codes_total", "vvp_verstat_total", "vvp_verify_duration_seconds",
                       "vvp_cache_lookups_total", "vvp_fetch_duration_seconds", "vvp_fetch_failures_total",
                       "vvp_store_commit_duration_seconds", "vvp_store_commit_batch_records",
                       "vvp_store_commit_failures_total", "vvp_queue_depth", "vvp_rejected_total",
                       "vvp_deadline_exceeded_total", "vvp_replays_total", "vvp_loop_fallbacks_total", "vvp_sip_messages_total",
                       "vvp_sip_duration_seconds", "vvp_sip_retransmissions_total")


def multiprocess() -> bool:
    return _MULTI


def exposition() -> bytes:
    """The Prometheus text of every worker (multiprocess) or of this process (call :func:`flush`
    first on the loop: this runs in a thread)."""
    if multiprocess():
        reg = CollectorRegistry()
        _mp.MultiProcessCollector(reg)  # type: ignore[no-untyped-call]
        return generate_latest(reg)
    from prometheus_client import REGISTRY
    return generate_latest(REGISTRY)


def worker_exited(pid: int) -> None:
    """Drop a worker's live gauges (its queue depth) when it stops."""
    if multiprocess():
        _mp.mark_process_dead(pid)  # type: ignore[no-untyped-call]


FLUSH_S: Final = 0.1
"""How long samples taken on the event loop may wait before they are written (module docstring)."""


class _Deferred:
    """The samples of one event loop's thread not yet written: counter (and gauge) increments by
    child, histogram observations by child as per-bucket counts and a sum."""

    def __init__(self) -> None:
        self.owner: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.counts: dict[Any, float] = {}
        self.hists: dict[Any, list[float]] = {}
        self.armed = False

    def arm(self) -> None:
        if not self.armed and self.loop is not None:
            self.armed = True
            self.loop.call_later(FLUSH_S, flush)


_DEFERRED = _Deferred()


def defer_on_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """From now on, samples taken on the calling thread (the thread running ``loop``) are summed
    and written every :data:`FLUSH_S` seconds; ``None``: write what is pending and stop."""
    flush()
    _DEFERRED.owner = threading.get_ident() if loop is not None else None
    _DEFERRED.loop = loop


def _deferring() -> bool:
    return _DEFERRED.owner is not None and threading.get_ident() == _DEFERRED.owner


def count(metric: Any, amount: float = 1.0) -> None:
    """``metric.inc(amount)`` (a counter or gauge child; a gauge may go down), written at the next
    flush when called on the deferring loop's thread, else at once."""
    if _deferring():
        d = _DEFERRED
        d.counts[metric] = d.counts.get(metric, 0.0) + amount
        d.arm()
    else:
        metric.inc(amount)


def observe(metric: Any, value: float) -> None:
    """``metric.observe(value)`` (a histogram child), written at the next flush when called on the
    deferring loop's thread, else at once."""
    bounds = getattr(metric, "_upper_bounds", None)
    if not _deferring() or bounds is None or value != value:  # NaN: prometheus-client's own rules
        metric.observe(value)
        return
    d = _DEFERRED
    h = d.hists.get(metric)
    if h is None:
        h = d.hists[metric] = [0.0] * (len(bounds) + 1)
    h[bisect.bisect_left(bounds, value)] += 1  # the first bucket whose bound is >= value, as observe
    h[-1] += value
    d.arm()


def flush() -> None:
    """Write the deferred samples: one ``inc`` per changed series."""
    d = _DEFERRED
    d.armed = False
    counts, d.counts = d.counts, {}
    hists, d.hists = d.hists, {}
    for metric, amount in counts.items():
        if amount:
            metric.inc(amount)
    for metric, h in hists.items():
        # Histogram.observe(v) is _sum.inc(v) and _buckets[i].inc(1) for the first bound >= v
        # (prometheus-client 0.2x); n observations are the same increments, summed
        metric._sum.inc(h[-1])
        for i, n in enumerate(h[:-1]):
            if n:
                metric._buckets[i].inc(n)


def observe_verdict(frontend: str, verdict: Verdict) -> None:
    """Count one answered verdict: its status and every code its claims carry (as its JSON
    shows them: a claim's details may name its codes)."""
    if "status" in verdict.extra or "claims" in verdict.extra:  # the JSON is not the fields': read it
        _observe_json(frontend, verdict.to_json())
        return
    count(_child(VERIFICATIONS, frontend, verdict.status.value))
    details = verdict.claim_details
    for name, cr in verdict.claims.items():
        d = details.get(name)
        found = d["codes"] if d is not None and "codes" in d else cr.codes
        for code in found or ():
            count(_child(CLAIM_CODES, str(name), str(code)))


def _observe_json(frontend: str, verdict: Mapping[str, Any]) -> None:
    count(_child(VERIFICATIONS, frontend, str(verdict.get("status"))))
    claims = verdict.get("claims")
    if isinstance(claims, Mapping):
        for name, claim in claims.items():
            if isinstance(claim, Mapping):
                for code in claim.get("codes") or ():
                    count(_child(CLAIM_CODES, str(name), str(code)))


_CHILDREN: dict[tuple[int, tuple[str, ...]], Any] = {}
_MAX_CHILDREN: Final = 4096


def _child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, kept: prometheus-client looks the child up under a lock on
    every call. Bounded: label values come from a fixed vocabulary (statuses, registered codes,
    endpoints), and beyond :data:`_MAX_CHILDREN` the lookup is simply not kept."""
    key = (id(metric), labels)
    got = _CHILDREN.get(key)
    if got is None:
        got = metric.labels(*labels)
        if len(_CHILDREN) < _MAX_CHILDREN:
            _CHILDREN[key] = got
    return got


def child(metric: Any, *labels: str) -> Any:
    """:func:`_child` for the other modules of the service (the access log, the SIP front end)."""
    return _child(metric, *labels)


def observe_commit(seconds: float, n: int, ok: bool) -> None:
    COMMIT_SECONDS.observe(seconds)
    COMMIT_BATCH.observe(n)
    if not ok:
        COMMIT_FAILURES.inc()
