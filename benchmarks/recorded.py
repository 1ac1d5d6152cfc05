"""The recorded call (architecture §5, issue 14): a warm verification whose record is built,
signed and committed to a fresh SQLite store, against the warm verification alone.

What a batch worker does per call, in process: verify through a long-lived
:class:`~vvp.verifier.Verifier` (warm caches) with a per-call recording fetcher, build the record
with the verifier's identity held open and the trust snapshot taken once, and commit it durably.
Commits are grouped as the batch writer groups them (``GROUP`` = its default ``--batch-rows``,
:data:`vvp.batch.runner.BATCH_ROWS`): durability is one fsync per group, not per call, and the
group's records are signed together (one signature over a Merkle tree of their ids, each record
with its inclusion proof: :func:`vvp.record.sign_together`). A service worker signs each record
alone and commits what one turn of its event loop answered: ``make bench-service``.

Figures: ``recorded_over_warm`` (per-call time of the recorded call over the warm call, the
same calls interleaved in rounds), ``recorded_calls_per_s`` (one core), ``store_bytes_per_warm_record``
(growth of the SQLite files per record once the evidence blobs are stored: the database closed,
so its WAL is checkpointed, before and after), ``warm_records_reverified`` ("reproduced/checked":
records of warm calls read back from the store, each re-verified offline alone).

Beside them, for a machine shared with other work: ``recorded_cpu_over_warm``, the same ratio in
this process's CPU time over the same rounds (it leaves out waiting for a CPU, which load from
other processes inflates unevenly, and waiting for the disk's fsync, which durability needs:
compare the two to see how much of the wall-clock ratio the machine adds), and
``recorded_commit_us``, the wall-clock time of one ``put_many`` of ``GROUP`` records (taking them
apart, compressing, inserting, the durable commit), median over the timed rounds.
"""

from __future__ import annotations

import itertools
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vvp import clock
from vvp.batch.runner import BATCH_ROWS
from vvp.fetch import Fetcher, RecordingFetcher
from vvp.record import PendingRecord, Record, open_identity, sign_together
from vvp.replay import prepare_call_record, reverify, snapshot_trust
from vvp.store import open_store
from vvp.trust import TrustStore
from vvp.verdict import Verdict
from vvp.verifier import CallInput, Verifier

from benchmarks.bench import interleaved

GROUP = BATCH_ROWS
SALT = b"vvp-bench-record"  # 16 bytes: a deterministic benchmark verifier identity
RECORDED_TARGET_WARM_MULTIPLE = 2.0
RECORDED_TARGET_CALLS_PER_S = 4000.0
STORE_TARGET_BYTES_PER_RECORD = 8 * 1024


def _db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def run_recorded(trust: TrustStore, fetcher: Fetcher, verifier: Verifier, calls: Sequence[CallInput], n: int,
                 rounds: int, reverify_n: int = 20) -> dict[str, Any]:
    """The recorded-call figures (module docstring), with ``verifier``'s caches already warm.
    A round records at least four groups, so that every timed round pays its commits."""
    n = max(n, GROUP * 4)
    system = clock.SystemClock()
    snapshot = snapshot_trust(trust)
    with tempfile.TemporaryDirectory(prefix="vvp-bench-rec-") as tmp, \
            open_identity(Path(tmp) / "keystore", salt=SALT) as ident:
        db = Path(tmp) / "records.db"
        store = open_store(f"sqlite:///{db}")
        pending: list[PendingRecord] = []
        commits: list[float] = []
        next_warm = itertools.cycle(calls).__next__
        next_rec = itertools.cycle(calls).__next__

        def warm() -> Verdict:
            return verifier.verify(next_warm())

        def recorded() -> Verdict:
            call = next_rec()
            rec = RecordingFetcher(fetcher, clock=system)
            verdict = verifier.verify(call, fetcher=rec)
            pending.append(prepare_call_record(call, verdict, trust=trust, events=rec.events,
                                               received_at=system.now(), identity=ident, snapshot=snapshot))
            if len(pending) >= GROUP:
                start = time.perf_counter()
                store.put_many(sign_together(pending, ident))
                commits.append(time.perf_counter() - start)
                pending.clear()
            return verdict

        for _ in range(GROUP * 2):  # evidence blobs and the trust files stored; code paths warm
            recorded()
        store.put_many(sign_together(pending, ident))
        pending.clear()
        commits.clear()
        warm_s, rec_s, ratio = interleaved(warm, recorded, n, n, rounds)
        cpu_ratios = []
        for _ in range(rounds):  # the same interleaving, in CPU time
            before = time.process_time()
            for _ in range(n):
                warm()
            warm_cpu = time.process_time() - before
            before = time.process_time()
            for _ in range(n):
                recorded()
            cpu_ratios.append((time.process_time() - before) / warm_cpu)
        store.put_many(sign_together(pending, ident))
        pending.clear()
        ids = store.ids(limit=reverify_n)
        store.close()

        before = _db_bytes(db)
        store = open_store(f"sqlite:///{db}")
        grow_n = max(GROUP * 4, n // 2)
        for _ in range(grow_n):
            recorded()
        store.put_many(sign_together(pending, ident))
        pending.clear()
        raw = [store.get_bytes(i) for i in ids]
        store.close()
        per_record = (_db_bytes(db) - before) / grow_n
    ok = sum(1 for r in raw if reverify(Record.from_bytes(r)).reproduced)
    return {
        "recorded_us": round(rec_s * 1e6, 1),
        "recorded_warm_us": round(warm_s * 1e6, 1),
        "recorded_over_warm": round(ratio, 3),
        "recorded_calls_per_s": round(1 / rec_s),
        "store_bytes_per_warm_record": round(per_record),
        "warm_records_reverified": f"{ok}/{len(raw)}",
        "record_group_commit": GROUP,
        "recorded_cpu_over_warm": round(statistics.median(cpu_ratios), 3),
        "recorded_commit_us": round(statistics.median(commits) * 1e6, 1) if commits else None,
    }


def report(r: dict[str, Any]) -> str:
    ok = {True: "meets", False: "MISSES"}
    return (
        "recorded call (warm verify + record built, signed, committed to a fresh SQLite store)\n"
        f"  per call                                 {r['recorded_us']:>10} us  (warm alone {r['recorded_warm_us']} us)\n"
        f"  ratio to the warm path alone             {r['recorded_over_warm']:>10}x  "
        f"(target <= {RECORDED_TARGET_WARM_MULTIPLE}: {ok[r['recorded_over_warm'] <= RECORDED_TARGET_WARM_MULTIPLE]})\n"
        f"  recorded calls per second, one core      {r['recorded_calls_per_s']:>10}   "
        f"(target >= {RECORDED_TARGET_CALLS_PER_S:.0f}: "
        f"{ok[r['recorded_calls_per_s'] >= RECORDED_TARGET_CALLS_PER_S]})\n"
        f"  store growth per warm record             {r['store_bytes_per_warm_record']:>10} B   "
        f"(target <= {STORE_TARGET_BYTES_PER_RECORD}: "
        f"{ok[r['store_bytes_per_warm_record'] <= STORE_TARGET_BYTES_PER_RECORD]})\n"
        f"  warm records re-verified offline alone   {r['warm_records_reverified']:>10}\n"
        f"  the same ratio in CPU time               {r['recorded_cpu_over_warm']:>10}x  "
        f"(no waiting for a CPU or for fsync: for a shared machine)\n"
        f"  one put_many of {GROUP} records, wall clock   {r['recorded_commit_us']:>10} us\n"
        f"  (commits grouped {r['record_group_commit']} records per transaction as the batch writer does, "
        "signed together, synchronous=FULL)\n")
