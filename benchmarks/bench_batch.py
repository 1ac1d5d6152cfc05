"""Benchmark of ``vvp batch`` (architecture §5 "Batch", issue 17), as ratios measured in the same run.

``python -m benchmarks.bench_batch [--rows N] [--callers C] [--rss-rows A,B] [--no-dask] [--json]``
(``make bench-batch``; ``BENCH_ARGS`` passed through)

A call log is generated over the test world (:mod:`vvp.testing.calllog`): ``--rows`` calls (at
least 100,000 by default) from ``--callers`` caller profiles chosen with Zipf weights, each call
with its own PASSporT (own ``iat``, callee and signature), some callers failing (flipped
signatures, unallocated numbers, a revoked dossier, a dossier URL that serves nothing). Evidence
comes from the world's ``--evidence`` map with ``--offline``: no network, as for a regulator
re-verifying archived evidence. Then, on the same rows:

* **in-process recorded call**: what a batch worker does per row, in this process, with its
  caches warm: verify through one :class:`~vvp.verifier.Verifier` with a per-call recording
  fetcher, build the record (identity held open, trust snapshot taken once), commit records to
  a fresh SQLite store in groups of the batch's size, each group signed together as a batch
  worker signs it (:func:`vvp.record.sign_together`). Rows already parsed; this is the
  floor the batch is compared with;
* ``vvp batch --workers 1``, ``--workers 2`` and ``--engine dask --workers 2`` (a LocalCluster),
  each a fresh process on a fresh ``--out``, whole runs; the rate is the run's own (rows over
  the time from its workers being ready to its last line, as ``--json`` reports it), so
  interpreter start-up and the Dask cluster's start are left out but the cold first call of
  every dossier is in;
* peak RSS of ``vvp batch --workers 1`` (one process holds everything) over logs of the two sizes
  of ``--rss-rows``: memory must stay flat, the larger within 1.5x of the smaller. These logs
  reuse a pool of 10,000 signed calls under distinct ids (signing a million PASSporTs would
  measure the generator, not the batch).

Targets (§5), printed as ratios: one worker >= 0.8x the in-process recorded rate; two >= 1.7x
one; Dask on two >= 0.8x local on two. On a machine shared with other work, wall-clock rates move
with the others' load, so the same ratios are also printed from CPU time per row: each path's CPU
(the batch process and every process it waited for) over a run of the whole log, minus its CPU
over a run of its first rows (start-up, the first cold calls), per row; for two workers against
one, twice the one-worker CPU per row over the two-worker CPU per row, which is what two free cores
would give if both were kept busy (an upper bound: it leaves out waits). Also printed: the cores a day of 10^9 calls would need at
the measured per-worker rate. Nothing here asserts a time: machines differ.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from vvp import clock
from vvp.batch.rows import RawRow, Row, parse_row, peek_json
from vvp.batch.runner import BATCH_ROWS
from vvp.fetch import FetchLimits, RecordingFetcher, build_fetcher
from vvp.record import PendingRecord, open_identity, sign_together
from vvp.replay import prepare_call_record, snapshot_trust
from vvp.store import open_store
from vvp.testing.calllog import call_rows
from vvp.trust import load_trust_store
from vvp.verifier import Verifier
from vvp.testing.world import WorldSpec, build_world, served_world

ONE_WORKER_TARGET = 0.8
TWO_WORKERS_TARGET = 1.7
DASK_TARGET = 0.8
RSS_TARGET = 1.5
CALLS_PER_DAY = 1e9
BASE_ROWS = 1000
"""Rows of the small run whose CPU is subtracted (start-up and first cold calls; see run())."""
SALT = b"vvp-bench-batch!"  # 16 bytes: a deterministic benchmark verifier identity
REPO = Path(__file__).resolve().parents[1]


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpu": model or platform.processor(), "cores": os.cpu_count(), "python": platform.python_version(),
            "load_1m_at_start": round(load[0], 2)}


def _write_jsonl(rows: Iterable[dict[str, Any]], path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, separators=(",", ":")) + "\n")
            n += 1
    return n


def _pooled(pool: Sequence[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    for i, r in zip(range(n), itertools.cycle(pool), strict=False):
        yield {**r, "id": f"rss-{i + 1}"}


def _parsed(path: Path, limit: int) -> list[Row]:
    out: list[Row] = []
    with path.open("rb") as fh:
        for i, line in enumerate(fh, start=1):
            if len(out) >= limit:
                break
            raw = peek_json(line.strip(), default_id=str(i), line=i)
            assert isinstance(raw, RawRow), raw
            row = parse_row(raw)
            assert isinstance(row, Row), row
            out.append(row)
    return out


def inprocess_recorded(trust_path: Path, evidence: Path, rows: Sequence[Row], warm: int,
                       batch: int) -> tuple[float, float]:
    """Rows per second of the in-process recorded call (module docstring), caches warm, and the
    CPU seconds it spent per row."""
    trust = load_trust_store(trust_path)
    fetcher = build_fetcher(limits=FetchLimits.from_policy(trust.policy), evidence_map=evidence, offline=True)
    verifier = Verifier(trust, fetcher)
    snapshot = snapshot_trust(trust)
    system = clock.SystemClock()
    with tempfile.TemporaryDirectory(prefix="vvp-bench-batch-") as tmp, \
            open_identity(Path(tmp) / "keystore", salt=SALT) as ident, \
            open_store(f"sqlite:///{Path(tmp) / 'records.db'}") as store:
        def one(row: Row, pending: list[PendingRecord]) -> None:
            call = row.call_input()
            rec = RecordingFetcher(fetcher, clock=system)
            received = system.now()
            verdict = verifier.verify(call, fetcher=rec)
            pending.append(prepare_call_record(call, verdict, trust=trust, events=rec.events, received_at=received,
                                               identity=ident, snapshot=snapshot))
            if len(pending) >= batch:
                store.put_many(sign_together(pending, ident))  # as a batch worker signs a commit's records
                pending.clear()

        pending: list[PendingRecord] = []
        for row in rows[:warm]:  # every dossier cold once, blobs and trust files stored
            one(row, pending)
        store.put_many(sign_together(pending, ident))
        pending.clear()
        timed = rows[warm:]
        start, cpu0 = time.perf_counter(), time.process_time()
        for row in timed:
            one(row, pending)
        if pending:
            store.put_many(sign_together(pending, ident))
        return len(timed) / (time.perf_counter() - start), (time.process_time() - cpu0) / len(timed)


def _busy_s() -> float | None:
    """CPU seconds the whole machine has spent busy (all processes), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        ticks = [int(x) for x in fields]
    except (OSError, ValueError, IndexError):
        return None
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_batch_process(args: Sequence[str], *, rss: bool = False) -> dict[str, Any]:
    """``vvp batch ... --json`` in a fresh process; with ``rss``, through :func:`child_main`,
    which adds the process's peak RSS (and its children's) to the JSON."""
    prefix = [sys.executable, "-m", "benchmarks.bench_batch", "--child"] if rss else [sys.executable, "-m", "vvp"]
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0 = _busy_s()
    proc = subprocess.run([*prefix, "batch", *args, "--json", "--no-progress"], cwd=REPO, capture_output=True,
                          check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1 = _busy_s()
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"vvp batch exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    got: dict[str, Any] = json.loads(proc.stdout)
    got["wall_s"] = round(wall, 2)
    # CPU of the run and of every process it waited for (its workers; Dask's nannies and workers)
    got["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # how many cores other processes kept busy meanwhile: what the wall-clock rate competed with
    if busy0 is not None and busy1 is not None and wall > 0:
        got["others_cores"] = max(0.0, (busy1 - busy0 - got["cpu_s"]) / wall)
    return got


def child_main(argv: Sequence[str]) -> int:
    """``--child``: run ``vvp`` with ``argv`` in this process and put its peak RSS into the JSON
    document it prints (the runner and, with --workers 1, the only verifying process)."""
    import contextlib
    import io

    from vvp._cli import main as vvp_main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = vvp_main(list(argv))
    doc = json.loads(buf.getvalue())
    doc["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    doc["children_peak_rss_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stdout.write(json.dumps(doc) + "\n")
    return rc


def run(rows_n: int, callers: int, rss_rows: Sequence[int], dask: bool, inprocess_n: int,
        workdir: Path | None, rounds: int = 1) -> dict[str, Any]:
    res: dict[str, Any] = {"machine": machine(), "rows": rows_n, "callers": callers, "batch_rows": BATCH_ROWS}
    world = build_world(WorldSpec())
    with tempfile.TemporaryDirectory(prefix="vvp-bench-batch-", dir=workdir) as tmp_s:
        tmp = Path(tmp_s)
        with served_world(world, tmp / "world") as sw:
            t0 = time.perf_counter()
            _write_jsonl(call_rows(sw, rows_n, seed=11, callers=callers, zipf_s=1.1,
                                   start=sw.calls[0].at, span=_dt.timedelta(days=1)), tmp / "calls.jsonl")
            res["generate_s"] = round(time.perf_counter() - t0, 1)
            pool = list(call_rows(sw, min(10_000, max(rss_rows, default=0)), seed=12, callers=callers)) if rss_rows else []
            files = sw.files
        # The server is stopped: everything below reads the evidence map, offline.
        common = ["--trust", str(files.trust), "--evidence", str(files.evidence_map), "--offline",
                  "--keystore", str(tmp / "keystore")]
        rows = _parsed(tmp / "calls.jsonl", inprocess_n)
        warm = min(len(rows) // 5, 2000)

        def phase(name: str, args: Sequence[str], *, rss: bool = False) -> dict[str, Any] | None:
            """One ``vvp batch`` run; a failure is reported in the figures, not raised, so the
            other phases still run."""
            try:
                return run_batch_process(args, rss=rss)
            except (RuntimeError, ValueError) as ex:
                res[f"{name}_error"] = str(ex)[-500:]
                return None

        log = str(tmp / "calls.jsonl")
        base_log = tmp / "base.jsonl"
        with (tmp / "calls.jsonl").open("rb") as fh, base_log.open("wb") as out_fh:
            for line in itertools.islice(fh, min(BASE_ROWS, rows_n // 10)):
                out_fh.write(line)
        figures: dict[str, list[float]] = {}
        for rnd in range(rounds):  # each round measures everything once, so load changes hit all alike
            wall_rate, cpu_row = inprocess_recorded(files.trust, files.evidence_map, rows, warm, BATCH_ROWS)
            got: dict[str, float] = {"inprocess_recorded_rows_per_s": wall_rate,
                                     "inprocess_recorded_cpu_us_per_row": cpu_row * 1e6}
            plan = [("workers1", ["--workers", "1"]), ("workers2", ["--workers", "2"])]
            if dask:
                plan.append(("dask2", ["--engine", "dask", "--workers", "2"]))
            for name, extra in plan:
                out = phase(name, [log, "--out", str(tmp / f"out-{name}-{rnd}"), *common, *extra])
                base = phase(name, [str(base_log), "--out", str(tmp / f"base-{name}-{rnd}"), *common, *extra])
                if out is not None:
                    got[f"{name}_rows_per_s"] = out["rows_per_s"]
                    got[f"{name}_wall_s"] = out["wall_s"]
                    if "others_cores" in out:
                        got[f"{name}_others_cores"] = out["others_cores"]
                    res["statuses"] = out["statuses"]
                    if base is not None and out["rows"] > base["rows"]:
                        # start-up (interpreters, keystore, cluster) and the first cold calls are
                        # in the small run too: subtracting it leaves the CPU of the rows alone
                        got[f"{name}_cpu_us_per_row"] = (out["cpu_s"] - base["cpu_s"]) / (out["rows"] - base["rows"]) * 1e6
            for a, b, key in (("workers1", "inprocess_recorded", "workers1_over_inprocess"),
                              ("workers2", "workers1", "workers2_over_workers1"),
                              ("dask2", "workers2", "dask2_over_workers2")):
                if f"{a}_rows_per_s" in got and f"{b}_rows_per_s" in got:
                    got[key] = got[f"{a}_rows_per_s"] / got[f"{b}_rows_per_s"]
                if f"{a}_cpu_us_per_row" in got and f"{b}_cpu_us_per_row" in got:
                    # the same ratio from CPU per row (load on a shared machine cancels out); for
                    # two workers against one, what two free cores would give if fully used
                    factor = 2.0 if key == "workers2_over_workers1" else 1.0
                    got[f"{key}_cpu"] = factor * got[f"{b}_cpu_us_per_row"] / got[f"{a}_cpu_us_per_row"]
            for k, v in got.items():
                figures.setdefault(k, []).append(v)
        for k, vs in figures.items():  # medians over rounds (a ratio: the median of per-round ratios)
            res[k] = round(statistics.median(vs), 3 if "_over_" in k or "_cores" in k else 1)
        res["rounds"] = rounds
        if "workers1_rows_per_s" in res:
            res["cores_for_1e9_per_day"] = round(CALLS_PER_DAY / 86400 / res["workers1_rows_per_s"], 1)
        for i, n in enumerate(sorted(rss_rows)):
            src = tmp / f"rss-{n}.jsonl"
            _write_jsonl(_pooled(pool, n), src)
            key = "rss_small" if i == 0 else "rss_large"
            measured = phase(key, [str(src), "--out", str(tmp / f"out-rss-{n}"), *common, "--workers", "1"], rss=True)
            src.unlink()
            if measured is not None:
                res[f"{key}_rows"] = n
                res[f"{key}_mb"] = round(measured["peak_rss_kb"] / 1024, 1)
                res[f"{key}_rows_per_s"] = measured["rows_per_s"]
        if "rss_small_mb" in res and "rss_large_mb" in res:
            res["rss_ratio"] = round(res["rss_large_mb"] / res["rss_small_mb"], 3)
    return res


def _ratio_line(label: str, value: float | None, target: float, *, at_least: bool = True) -> str:
    if value is None:
        return f"  {label:<44} (not measured)"
    ok = value >= target if at_least else value <= target
    return f"  {label:<44} {value:7.3f}   target {'>=' if at_least else '<='} {target}  {'met' if ok else 'NOT met'}"


def report(r: dict[str, Any]) -> str:
    m = r["machine"]
    st = r.get("statuses", {})
    def rate(key: str) -> str:
        if key in r:
            others = r.get(key.replace("rows_per_s", "others_cores"))
            busy = f"; other processes busy on {others:.2f} cores" if others is not None else ""
            return f"{r[key]:>10,.0f} rows/s  ({r[key.replace('rows_per_s', 'wall_s')]} s wall{busy})"
        err = r.get(key.split("_rows")[0] + "_error")
        return f"(failed: {err[-160:]})" if err else "(not run)"

    lines = [
        f"vvp batch benchmark: {r['rows']:,} generated calls, {r['callers']} Zipf callers "
        f"(VALID {st.get('VALID', 0):,}, INVALID {st.get('INVALID', 0):,}, "
        f"INDETERMINATE {st.get('INDETERMINATE', 0):,}); batches of {r['batch_rows']} rows",
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, load {m['load_1m_at_start']} at start; "
        f"medians of {r.get('rounds', 1)} round(s)",
        "",
        f"  in-process recorded call (one core)          {r['inprocess_recorded_rows_per_s']:>10,.0f} rows/s",
        f"  vvp batch --workers 1                        {rate('workers1_rows_per_s')}",
        f"  vvp batch --workers 2                        {rate('workers2_rows_per_s')}",
        f"  vvp batch --engine dask --workers 2          {rate('dask2_rows_per_s')}",
        "",
        _ratio_line("one worker / in-process recorded call", r.get("workers1_over_inprocess"), ONE_WORKER_TARGET),
        _ratio_line("two workers / one worker", r.get("workers2_over_workers1"), TWO_WORKERS_TARGET),
        _ratio_line("dask on two / local on two", r.get("dask2_over_workers2"), DASK_TARGET),
        "  the same ratios from CPU time per row (other load on the machine cancels out):",
        _ratio_line("one worker / in-process recorded call (CPU)", r.get("workers1_over_inprocess_cpu"),
                    ONE_WORKER_TARGET),
        _ratio_line("two workers / one worker (CPU, 2 free cores)", r.get("workers2_over_workers1_cpu"),
                    TWO_WORKERS_TARGET),
        _ratio_line("dask on two / local on two (CPU)", r.get("dask2_over_workers2_cpu"), DASK_TARGET),
        "",
    ]
    if "workers1_rows_per_s" in r:
        lines.append(f"  cores for 10^9 calls a day at {r['workers1_rows_per_s']:,.0f} rows/s per worker: "
                     f"{r['cores_for_1e9_per_day']}")
    if "rss_small_mb" in r:
        lines.append(f"  peak RSS, {r['rss_small_rows']:>9,} rows (--workers 1)     {r['rss_small_mb']:>8,.1f} MB")
    if "rss_large_mb" in r:
        lines.append(f"  peak RSS, {r['rss_large_rows']:>9,} rows (--workers 1)     {r['rss_large_mb']:>8,.1f} MB")
        lines.append(_ratio_line("peak RSS larger / smaller", r.get("rss_ratio"), RSS_TARGET, at_least=False))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["--child"]:
        return child_main(args_in[1:])
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_batch", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000, help="generated calls (default 100,000)")
    ap.add_argument("--callers", type=int, default=300, help="caller profiles, Zipf-weighted (default 300)")
    ap.add_argument("--inprocess-rows", type=int, default=20_000,
                    help="rows of the log timed in process (default 20,000)")
    ap.add_argument("--rss-rows", default="10000,1000000",
                    help="two log sizes whose peak RSS is compared (default 10000,1000000; '' to skip)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure everything this many times; medians are printed (default 1)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask run")
    ap.add_argument("--workdir", help="where the logs, stores and outputs go (default: the system temp folder)")
    ap.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    a = ap.parse_args(args_in)
    rss = [int(x) for x in a.rss_rows.split(",") if x.strip()]
    r = run(a.rows, a.callers, rss, not a.no_dask, a.inprocess_rows, Path(a.workdir) if a.workdir else None,
            max(1, a.rounds))
    if a.json:
        sys.stdout.write(json.dumps(r, indent=2) + "\n")
    else:
        sys.stdout.write(report(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
