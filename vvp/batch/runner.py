"""One batch run, end to end: the runner that reads, routes, writes and reports.

The runner is one process whatever the engine. It streams the input (never holding it), peeks
at each row (:mod:`vvp.batch.rows`), skips rows already in ``verdicts.jsonl`` and refuses repeated
ids (:class:`~vvp.batch.outputs.IdIndex`), routes each row to a worker
(:class:`~vvp.batch.partition.Partitioner`), sends rows in batches of :data:`BATCH_ROWS`, and
for each answered batch appends its verdict lines (records already stored by the worker) and its
errors. At most :data:`IN_FLIGHT` batches per worker are out at once, and no more than that many
rows wait to be sent, so memory stays flat whatever the input's size.

Exit code (architecture §4.1): the worst row, ordered 4 (a row that could not be read or
verified) > 1 (INVALID) > 3 (INDETERMINATE) > 0 (all VALID), over every row of the output: those
of earlier runs too, so a resumed run ends with the code an uninterrupted one would have.
An operational failure (the store refuses a commit, a worker dies, the output cannot be written)
stops the run with exit 4 after writing what is complete; the rerun continues from there.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from vvp import clock, codes
from vvp.batch.engines import Engine, make_engine
from vvp.batch.outputs import (
    ERRORS,
    INDEX,
    RECORDS_DB,
    SUMMARY,
    VERDICTS,
    AppendLog,
    IdIndex,
    OutLock,
    error_line,
    recover_verdicts,
)
from vvp.batch.partition import Partitioner
from vvp.batch.progress import Progress
from vvp.batch.rows import Item, RowError, Source, open_source
from vvp.batch.summary import RunFacts, Summary, render
from vvp.batch.work import BatchResult, WorkerConfig
from vvp.errors import OperationalError, UsageError
from vvp.fetch import FetchLimits, build_fetcher
from vvp.files import write_output
from vvp.record import keystore_path, open_identity
from vvp.store import open_store, parse_store_url
from vvp.trust import load_trust_store
from vvp.verdict import ExitCode

BATCH_ROWS = 128
"""Rows per batch: one store commit (group commit) and one fsync of verdicts.jsonl per batch."""
DASK_TASK_BATCHES = 4
"""A Dask task carries this many batches (committed one by one by the worker): Dask's cost per
task (scheduling, messages, the client's bookkeeping) is then paid once per 512 rows, which on
two local workers is the difference between 0.8 and 0.9 of the local engine's rate."""
IN_FLIGHT = 2
"""Batches out per worker at once: one being verified, one waiting, so a worker never idles
between batches."""
SAMPLE_S = 0.2
"""How often (seconds of the run) the summary samples rows done, for its rate chart."""


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """The command line of ``vvp batch`` (architecture §4.1)."""

    input: Path
    out: Path
    store: str | None = None
    trust: str | None = None
    evidence: str | None = None
    offline: bool = False
    workers: int = 1
    engine: str = "local"
    scheduler: str | None = None
    keystore: str | None = None
    progress: str = "auto"
    batch_rows: int = BATCH_ROWS


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What a run did (``vvp batch --json`` prints it)."""

    rows: int
    this_run: int
    earlier: int
    skipped: int
    statuses: Mapping[str, int]
    errors: int
    error_codes: Mapping[str, int]
    elapsed_s: float
    rows_per_s: float
    workers: int
    engine: str
    out: str
    store: str
    truncated_bytes: int
    exit_code: int

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "this_run": self.this_run, "earlier": self.earlier, "skipped": self.skipped,
                "statuses": dict(self.statuses), "errors": self.errors, "error_codes": dict(self.error_codes),
                "elapsed_s": round(self.elapsed_s, 3), "rows_per_s": round(self.rows_per_s, 1),
                "workers": self.workers, "engine": self.engine, "out": self.out, "store": self.store,
                "truncated_bytes": self.truncated_bytes, "exit_code": self.exit_code}


def worst_exit(statuses: Mapping[str, int], errors: int) -> ExitCode:
    """4 > 1 > 3 > 0 (module docstring)."""
    if errors:
        return ExitCode.OPERATIONAL
    if statuses.get("INVALID", 0):
        return ExitCode.INVALID
    if statuses.get("INDETERMINATE", 0):
        return ExitCode.INDETERMINATE
    return ExitCode.VALID


def _abs(p: str | None) -> str | None:
    return str(Path(p).expanduser().resolve()) if p else None


def _store_url(opts: BatchOptions) -> str:
    """The store every worker opens: ``--store`` with an SQLite path made absolute (a worker may
    not share the runner's working directory), else ``OUT/records.db``."""
    if not opts.store:
        return str((opts.out / RECORDS_DB).resolve())
    loc = parse_store_url(opts.store)
    if loc.kind != "sqlite" or loc.target == ":memory:":
        return opts.store
    return str(Path(loc.target).expanduser().resolve())


def task_rows(opts: BatchOptions, engine: Engine) -> int:
    """Rows sent to a worker at once: a batch, or :data:`DASK_TASK_BATCHES` of them for Dask."""
    return opts.batch_rows * (DASK_TASK_BATCHES if engine.name == "dask" else 1)


@dataclass
class _Run:
    """The mutable state of one run (the runner's alone)."""

    opts: BatchOptions
    engine: Engine
    part: Partitioner
    verdicts: AppendLog
    errors_log: AppendLog
    summary: Summary
    progress: Progress
    source: Source
    pending: list[list[Item]] = field(default_factory=list)
    in_flight: list[int] = field(default_factory=list)
    tag: int = 0
    task_rows: int = 0
    done: int = 0
    read: int = 0
    this_run_errors: Counter[str] = field(default_factory=Counter)
    last_sample: float = 0.0

    def __post_init__(self) -> None:
        n = self.engine.workers
        self.task_rows = task_rows(self.opts, self.engine)
        self.pending = [[] for _ in range(n)]
        self.in_flight = [0] * n

    @property
    def outstanding(self) -> int:
        return sum(self.part.outstanding)

    def error(self, err: RowError) -> None:
        self.errors_log.append([error_line(err)])
        self.this_run_errors[err.code] += 1
        self.summary.add_error(err)

    def submit(self, w: int, *, partial: bool = False) -> None:
        size = self.task_rows
        while self.pending[w] and self.in_flight[w] < IN_FLIGHT and (partial or len(self.pending[w]) >= size):
            batch, self.pending[w] = self.pending[w][:size], self.pending[w][size:]
            self.tag += 1
            self.in_flight[w] += 1
            self.engine.submit(w, batch, self.tag)

    def handle(self, got: tuple[int, int, BatchResult]) -> None:
        w, _tag, res = got
        self.in_flight[w] -= 1
        self.part.done(w, res.rows)
        if res.failure is not None:
            raise OperationalError(res.failure[1], code=res.failure[0])
        if res.lines:
            self.verdicts.append(res.lines)  # after the worker stored the records: module docstring
            for raw in res.lines:
                self.summary.add(orjson.loads(raw))
        if res.errors:
            self.errors_log.append(error_line(e) for e in res.errors)
            for e in res.errors:
                self.this_run_errors[e.code] += 1
                self.summary.add_error(e)
        self.done += res.rows
        now = self.progress.elapsed()
        if now - self.last_sample >= SAMPLE_S:
            self.last_sample = now
            self.summary.sample(now, self.done)
        src = self.source
        self.progress.update(done=self.done, read=self.read,
                             fraction_read=(src.position / src.size) if src.size else None,
                             statuses=self.summary.statuses, errors=sum(self.this_run_errors.values()))
        self.submit(w)

    def drain(self, *, block: bool) -> bool:
        got = self.engine.next_result(block)
        if got is None:
            return False
        self.handle(got)
        return True

    def wait_for_room(self) -> None:
        limit = self.engine.workers * (IN_FLIGHT + 1) * self.task_rows
        while self.outstanding >= limit:
            for w in range(self.engine.workers):  # an idle worker takes what it has, even a partial batch
                if self.in_flight[w] == 0:
                    self.submit(w, partial=True)
            if not self.drain(block=True):
                break

    def finish(self) -> None:
        while self.outstanding > 0:
            for w in range(self.engine.workers):
                self.submit(w, partial=True)
            if not self.drain(block=True):
                break


def run_batch(opts: BatchOptions, *, environ: Mapping[str, str] | None = None) -> BatchOutcome:
    """Run a batch (module docstring). Raises :class:`~vvp.errors.VvpError` for what stops it."""
    env = os.environ if environ is None else environ
    if opts.workers < 1:
        raise UsageError("--workers must be at least 1")
    if opts.engine not in ("local", "dask"):
        raise UsageError(f"--engine is local or dask, not {opts.engine!r}")
    if opts.scheduler and opts.engine != "dask":
        raise UsageError("--scheduler is for --engine dask")
    started = clock.rfc3339(clock.now().replace(microsecond=0))
    source = open_source(opts.input)  # the input first: an unreadable one changes nothing
    out = opts.out
    try:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as ex:
            raise OperationalError(f"cannot make the output folder {out}: {ex.strerror or ex}",
                                   code=codes.BATCH_OUTPUT_FAILED) from None
        lock = OutLock(out)
        try:
            return _locked(opts, source, env, started)
        finally:
            lock.release()
    finally:
        source.close()


def _locked(opts: BatchOptions, source: Source, env: Mapping[str, str], started: str) -> BatchOutcome:
    out = opts.out
    store_url = _store_url(opts)
    config = WorkerConfig(trust=_abs(opts.trust), evidence=_abs(opts.evidence), offline=opts.offline,
                          store=store_url, keystore=str(keystore_path(opts.keystore, env).expanduser().resolve()),
                          commit_rows=opts.batch_rows)
    # Everything a worker will open is opened here once first: a bad trust store, evidence map,
    # store or keystore stops the run before any row, and the store's tables and the keystore
    # are made by one process, not raced by N. (In-process, the engine opens them itself, first.)
    trust = load_trust_store(config.trust)
    build_fetcher(limits=FetchLimits.from_policy(trust.policy), evidence_map=config.evidence, offline=config.offline)
    if opts.engine == "dask" or opts.workers > 1:
        with open_store(store_url):
            pass
        with open_identity(config.keystore):
            pass

    summary = Summary()
    index = IdIndex(out / INDEX)
    try:
        def earlier(line: dict[str, Any]) -> None:
            if index.mark_done(line["id"]):
                summary.add(line)

        recovered = recover_verdicts(out / VERDICTS, earlier)
        earlier_rows = summary.rows
        summary.earlier_rows = earlier_rows
        verdicts = AppendLog(out / VERDICTS, sync=True)
        errors_log = AppendLog(out / ERRORS, sync=False, truncate=True)
        progress = Progress(opts.progress)
        complete = False
        run: _Run | None = None
        skipped = 0
        try:
            with make_engine(config, engine=opts.engine, workers=opts.workers, scheduler=opts.scheduler) as engine:
                # a worker may be about two batches ahead of another before a dossier spreads
                part = Partitioner(engine.workers, spill_rows=2 * task_rows(opts, engine))
                run = _Run(opts, engine, part, verdicts, errors_log, summary, progress, source)
                progress.start(skipped=earlier_rows)
                summary.sample(0.0, 0)
                for item in source:
                    if isinstance(item, RowError):
                        run.error(item)
                        continue
                    seen = index.visit(item.id)
                    if seen == "done":
                        skipped += 1
                        continue
                    if seen == "repeat":
                        run.error(RowError(item.id, item.line, codes.BATCH_DUPLICATE_ID,
                                           f"id {item.id!r} was already used by an earlier row of this input"))
                        continue
                    run.read += 1
                    w = part.assign(item.evd, item.id)
                    run.pending[w].append(item)
                    if len(run.pending[w]) >= run.task_rows:
                        run.submit(w)
                    run.wait_for_room()
                    while run.drain(block=False):
                        pass
                run.finish()
                complete = True
        finally:
            elapsed = progress.elapsed()
            if run is not None and run.done:
                summary.sample(elapsed, run.done)
            errors_total = sum(run.this_run_errors.values()) if run is not None else 0
            progress.finish(statuses=summary.statuses, errors=errors_total)
            this_run = summary.rows - earlier_rows
            facts = RunFacts(input=str(opts.input), out=str(out), store=store_url, engine=opts.engine,
                             workers=run.engine.workers if run is not None else opts.workers, started=started,
                             finished=clock.rfc3339(clock.now().replace(microsecond=0)), elapsed_s=elapsed,
                             rows_this_run=this_run, rows_earlier=earlier_rows,
                             rate=(run.done / elapsed) if run is not None and elapsed > 0 else 0.0, complete=complete)
            try:
                write_output(out / SUMMARY, render(summary, facts).encode("utf-8"),
                             fail_code=codes.BATCH_OUTPUT_FAILED, what="the batch summary")
            except OperationalError:
                if complete:
                    raise  # else the error that stopped the run is the one to report
            finally:
                verdicts.close()
                errors_log.close()
    finally:
        index.close()
    assert run is not None
    errors = sum(run.this_run_errors.values())
    return BatchOutcome(rows=summary.rows, this_run=this_run, earlier=earlier_rows, skipped=skipped,
                        statuses={s: summary.statuses.get(s, 0) for s in ("VALID", "INVALID", "INDETERMINATE")},
                        errors=errors, error_codes=dict(run.this_run_errors), elapsed_s=elapsed,
                        rows_per_s=(run.done / elapsed) if elapsed > 0 else 0.0, workers=run.engine.workers,
                        engine=opts.engine, out=str(out), store=store_url, truncated_bytes=recovered.truncated_bytes,
                        exit_code=int(worst_exit(summary.statuses, errors)))
