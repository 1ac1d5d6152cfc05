"""Deferred metrics (vvp/service/metrics.py): samples taken on the event loop are summed and written
at the next flush, and then read exactly as if each had been written at once; samples from other
threads are written at once; the flush runs by itself within FLUSH_S and before an exposition."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vvp.service import metrics

BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.1, 1.0)
VALUES = (0.0, 0.0005, 0.001, 0.0010001, 0.002, 0.003, 0.005, 0.0099, 0.5, 1.0, 2.0, 7.5, 0.001, 0.0)


def _family() -> tuple[CollectorRegistry, Counter, Gauge, Histogram, Histogram]:
    reg = CollectorRegistry()
    return (reg, Counter("c", "c", ["k"], registry=reg), Gauge("g", "g", registry=reg),
            Histogram("h", "h", ["e"], buckets=BUCKETS, registry=reg), Histogram("u", "u", buckets=BUCKETS, registry=reg))


def _samples(reg: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in reg.collect():
        for s in fam.samples:
            if not s.name.endswith("_created"):
                out[(s.name, tuple(sorted(s.labels.items())))] = round(s.value, 12)
    return out


def _take(c: Counter, g: Gauge, h: Histogram, u: Histogram, *, deferred: bool) -> None:
    for i, v in enumerate(VALUES):
        if deferred:
            metrics.count(c.labels(str(i % 3)), 1 + i % 2)
            metrics.count(g, 1)
            metrics.observe(h.labels("/x" if i % 2 else "/y"), v)
            metrics.observe(u, v)
            metrics.count(g, -1 if i % 4 else 0)
        else:
            c.labels(str(i % 3)).inc(1 + i % 2)
            g.inc(1)
            h.labels("/x" if i % 2 else "/y").observe(v)
            u.observe(v)
            g.inc(-1 if i % 4 else 0)


def test_deferred_samples_are_written_as_the_direct_ones() -> None:
    direct = _family()
    deferred = _family()
    _take(*direct[1:], deferred=False)

    async def on_the_loop() -> tuple[dict[Any, float], dict[Any, float]]:
        metrics.defer_on_loop(asyncio.get_running_loop())
        try:
            _take(*deferred[1:], deferred=True)
            before = _samples(deferred[0])
            metrics.flush()
            return before, _samples(deferred[0])
        finally:
            metrics.defer_on_loop(None)

    before, after = asyncio.run(on_the_loop())
    assert set(before.values()) == {0.0}  # nothing written before the flush
    assert after == _samples(direct[0])
    assert after[("h_bucket", (("e", "/x"), ("le", "0.001")))] > 0  # the comparison saw real counts


def test_other_threads_write_at_once_and_the_timer_flushes() -> None:
    reg, c, _g, _h, u = _family()

    async def on_the_loop() -> tuple[float, float, float]:
        metrics.defer_on_loop(asyncio.get_running_loop())
        try:
            t = threading.Thread(target=lambda: metrics.count(c.labels("thread"), 5))
            t.start()
            t.join()
            from_thread = _samples(reg)[("c_total", (("k", "thread"),))]
            metrics.observe(u, 0.003)
            pending = _samples(reg)[("u_count", ())]
            await asyncio.sleep(metrics.FLUSH_S * 3)  # the flush timer was armed by the first sample
            return from_thread, pending, _samples(reg)[("u_count", ())]
        finally:
            metrics.defer_on_loop(None)

    from_thread, pending, flushed = asyncio.run(on_the_loop())
    assert from_thread == 5.0
    assert pending == 0.0 and flushed == 1.0


def test_without_a_loop_samples_are_written_at_once() -> None:
    reg, c, g, _h, u = _family()
    metrics.count(c.labels("a"), 2)
    metrics.count(g, -3)
    metrics.observe(u, 0.004)
    got = _samples(reg)
    assert got[("c_total", (("k", "a"),))] == 2.0 and got[("g", ())] == -3.0 and got[("u_count", ())] == 1.0
