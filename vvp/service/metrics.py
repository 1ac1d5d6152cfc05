"""Prometheus metrics of the service (names prefixed ``vvp_``), safe across worker processes.

Workers are processes, so each keeps its samples in prometheus-client's multiprocess files under
``PROMETHEUS_MULTIPROC_DIR`` (the serve command makes and empties that folder and sets the
variable before any worker imports this module: prometheus-client picks its storage when it is
first imported). ``GET /metrics`` on any worker merges every worker's files, so a scrape sees the
whole service whichever worker answers. Without the variable (an app built in-process by a
test) the samples live in this process and ``/metrics`` shows them.

What each metric means is in ``docs/service.md``; the list is :data:`METRIC_NAMES`.
"""

from __future__ import annotations

import os
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
    """The Prometheus text of every worker (multiprocess) or of this process."""
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


def observe_verdict(frontend: str, verdict: Verdict) -> None:
    """Count one answered verdict: its status and every code its claims carry (as its JSON
    shows them: a claim's details may name its codes)."""
    if "status" in verdict.extra or "claims" in verdict.extra:  # the JSON is not the fields': read it
        _observe_json(frontend, verdict.to_json())
        return
    _child(VERIFICATIONS, frontend, verdict.status.value).inc()
    details = verdict.claim_details
    for name, cr in verdict.claims.items():
        d = details.get(name)
        found = d["codes"] if d is not None and "codes" in d else cr.codes
        for code in found or ():
            _child(CLAIM_CODES, str(name), str(code)).inc()


def _observe_json(frontend: str, verdict: Mapping[str, Any]) -> None:
    VERIFICATIONS.labels(frontend, str(verdict.get("status"))).inc()
    claims = verdict.get("claims")
    if isinstance(claims, Mapping):
        for name, claim in claims.items():
            if isinstance(claim, Mapping):
                for code in claim.get("codes") or ():
                    CLAIM_CODES.labels(str(name), str(code)).inc()


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
