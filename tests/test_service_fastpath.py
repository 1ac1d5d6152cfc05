"""The service's per-request path in process: a warm call verified on the event loop gives the
same verdict and record as one verified in a thread, a cold call falls back to a thread, records
handed over in one turn of the loop are committed as one batch, the access log writes a turn's
lines at once, and the metrics read from the Verdict count what its JSON says."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from vvp import clock, codes
from vvp.record import Record
from vvp.service import metrics
from vvp.service.accesslog import AccessLog
from vvp.service.app import verdict_response
from vvp.service.commit import GroupCommitWriter
from vvp.service.config import ServiceConfig
from vvp.service.deadline import CpuToken
from vvp.service.worker import Answer, Worker, trim_malloc
from vvp.store.base import StoreError
from vvp.testing.world import ServedWorld
from vvp.verifier import CallInput


def _sample(metric: Any, **labels: str) -> float:
    """The current value of a counter child in this process (metrics are per process in tests)."""
    for fam in metric.collect():
        for s in fam.samples:
            if s.name.endswith("_total") and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def _worker(sw: ServedWorld, tmp: Path, *, warm_on_loop: bool) -> Worker:
    cfg = ServiceConfig(trust=str(sw.files.trust), evidence=str(sw.files.evidence_map), offline=True,
                        store=f"sqlite:///{tmp / 'records.db'}", keystore=str(tmp / "keystore"),
                        warm_on_loop=warm_on_loop)
    w = Worker(cfg, environ={"HOME": str(tmp)})
    w.open()
    return w


def _call(sw: ServedWorld, name: str = "valid") -> CallInput:
    c = sw.call(name)
    return CallInput(reference_time=c.at, identities=(c.identity,), orig=c.orig, dest=c.dest)


async def _answer(w: Worker, call: CallInput) -> Answer:
    return await w.answer(call, endpoint="verify", received_at=clock.now(), started=time.monotonic())


def test_warm_calls_on_the_loop_answer_as_threads_do(served_world: ServedWorld, tmp_path: Path) -> None:
    on_loop = _worker(served_world, tmp_path / "loop", warm_on_loop=True)
    threaded = _worker(served_world, tmp_path / "thread", warm_on_loop=False)
    try:
        names = [n for n in ("valid", "revoked-dossier") if any(c.name == n for c in served_world.calls)]
        assert names[0] == "valid"
        for name in names:  # each with a dossier the worker has not fetched yet
            call = _call(served_world, name)
            before = _sample(metrics.LOOP_FALLBACKS)
            cold = asyncio.run(_answer(on_loop, call))
            after_cold = _sample(metrics.LOOP_FALLBACKS)
            warm = asyncio.run(_answer(on_loop, call))
            after_warm = _sample(metrics.LOOP_FALLBACKS)
            ref = asyncio.run(_answer(threaded, call))
            assert after_cold == before + 1  # the first call of a fresh worker must fetch: a thread
            assert after_warm == after_cold  # the second is answered from the caches, on the loop
            assert cold.verdict_json == warm.verdict_json == ref.verdict_json
            assert json.loads(warm.verdict_bytes()) == warm.verdict_json  # the canonical bytes, same value
            body = json.loads(bytes(verdict_response(warm).body))
            assert body == {"verdict": warm.verdict_json, "record_id": warm.record_id, "replay": None,
                            "deadline": None}
            assert on_loop.store is not None
            stored = Record.from_bytes(on_loop.store.get_bytes(warm.record_id))
            assert stored.id == warm.record_id and stored.verdict == warm.verdict_json
            assert stored.inputs["service"]["deadline"] is None
    finally:
        on_loop.close()
        threaded.close()


def test_a_busy_cpu_token_sends_the_call_to_a_thread(served_world: ServedWorld, tmp_path: Path) -> None:
    w = _worker(served_world, tmp_path, warm_on_loop=True)
    try:
        call = _call(served_world)
        asyncio.run(_answer(w, call))  # warm the caches
        with w.cpu:  # a verification thread computes: the loop must not wait for it
            assert not w.cpu.try_acquire()
            assert w._build_on_loop(call, "verify", clock.now(), None) is None
        assert w.cpu.try_acquire()  # free again: the loop may take it
        w.cpu.__exit__()
        assert w._build_on_loop(call, "verify", clock.now(), None) is not None
    finally:
        w.close()


class _Store:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def put_many(self, records: Sequence[Record]) -> list[str]:
        self.batches.append([r.id for r in records])
        return [r.id for r in records]


class _R:
    def __init__(self, rid: str) -> None:
        self.id = rid


def test_records_handed_over_in_one_turn_are_one_batch() -> None:
    store = _Store()
    w = GroupCommitWriter(store, batch_max=3)  # type: ignore[arg-type]

    async def turn() -> list[str]:
        loop = asyncio.get_running_loop()
        futs = [w.submit_async(_R(f"r{i}"), loop) for i in range(7)]  # type: ignore[arg-type]
        return list(await asyncio.gather(*futs))

    assert asyncio.run(turn()) == [f"r{i}" for i in range(7)]
    assert store.batches == [["r0", "r1", "r2"], ["r3", "r4", "r5"], ["r6"]]  # one turn, split at batch_max
    w.close()

    async def late() -> None:
        await w.submit_async(_R("late"), asyncio.get_running_loop())  # type: ignore[arg-type]

    with pytest.raises(StoreError) as ei:
        asyncio.run(late())
    assert ei.value.code == codes.SERVICE_NOT_READY


def test_the_access_log_writes_a_turns_lines_at_once() -> None:
    writes: list[str] = []

    class Stream(io.StringIO):
        def write(self, s: str) -> int:
            writes.append(s)
            return len(s)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    log = AccessLog(app, stream=Stream(), routes={"/healthz"})

    async def three() -> None:
        async def send(message: Any) -> None:
            return None

        scope = {"type": "http", "method": "GET", "path": "/healthz", "client": ("127.0.0.1", 1)}
        await asyncio.gather(*(log(dict(scope), None, send) for _ in range(3)))  # type: ignore[arg-type]
        await asyncio.sleep(0)

    asyncio.run(three())
    assert len(writes) == 1
    lines = [json.loads(x) for x in writes[0].splitlines()]
    assert len(lines) == 3 and all(x["status"] == 200 and x["bytes"] == 2 and x["path"] == "/healthz" for x in lines)


def test_verdict_metrics_count_what_the_json_says(served_world: ServedWorld, tmp_path: Path) -> None:
    w = _worker(served_world, tmp_path, warm_on_loop=True)
    try:
        bad = next((c.name for c in served_world.calls if c.name != "valid"), "valid")
        a = asyncio.run(_answer(w, _call(served_world, bad)))
        vj = a.verdict_json
        expected: dict[tuple[str, str], int] = {}
        for name, claim in vj["claims"].items():
            for code in claim.get("codes") or ():
                expected[(name, code)] = expected.get((name, code), 0) + 1
        before = {k: _sample(metrics.CLAIM_CODES, claim=k[0], code=k[1]) for k in expected}
        n0 = _sample(metrics.VERIFICATIONS, frontend="unit", status=vj["status"])
        metrics.observe_verdict("unit", a.verdict)
        assert _sample(metrics.VERIFICATIONS, frontend="unit", status=vj["status"]) == n0 + 1
        for k, n in expected.items():
            assert _sample(metrics.CLAIM_CODES, claim=k[0], code=k[1]) == before[k] + n
    finally:
        w.close()


def test_the_cpu_token_try_acquire_and_the_heap_trim() -> None:
    tok = CpuToken()
    assert tok.try_acquire()
    assert not tok.try_acquire()
    tok.__exit__()
    with tok:
        pass
    assert isinstance(trim_malloc(), bool)


def test_a_whole_deadline_is_written_as_the_same_canonical_json() -> None:
    from vvp.canonical import canonical_json
    from vvp.service.worker import _plain_number

    for x in (3.0, 0.5, 10.0, 2.5e-3, 1e300):
        doc = {"request_deadline_s": x, "identity": "é" * 3}
        assert canonical_json({**doc, "request_deadline_s": _plain_number(x)}) == canonical_json(doc)
    assert type(_plain_number(3.0)) is int and type(_plain_number(0.5)) is float
