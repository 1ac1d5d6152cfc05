"""The per-partition code: what a batch worker does with a batch of rows, whatever runs it.

The same :func:`process` runs in the runner's own process (``--workers 1``), in each local worker
process (``--workers N``) and in each Dask worker (``--engine dask``). A worker keeps, for the
life of its process, one :class:`WorkerContext` per configuration: a
:class:`~vvp.verifier.Verifier` with its warm cache, the trust store's snapshot (taken once),
the verifier's KERI identity held open (signing is then a signature, not a keystore opening)
and a connection to the record store.

**Records are stored by the workers, not sent back.** A worker builds each row's record, signs
the records of one group commit together (one signature over the root of a Merkle tree of their
ids, each record keeping its inclusion proof: :func:`vvp.record.sign_together`, docs/record-format.md),
stores them in that one group commit (:meth:`~vvp.store.RecordStore.put_many`:
durable when it returns), and only then answers with the rows' verdict lines; the runner writes
those lines after the answer, so every record a line names is already stored, whatever moment a
kill comes at. The other design, records returned to a single writer, was rejected: a record
is about 100 KB before the store's de-duplication, so one writer would serialise, ship and
store every byte of every worker's records and become the bottleneck long before a cluster's
workers are busy, and on Dask those bytes would cross the network twice. Stored by the
worker, only what is new reaches the store (blobs are kept once by digest) and the answer is a
few hundred bytes per row. The cost: every worker must reach the store (a shared PostgreSQL on
a cluster; the SQLite file under ``--out`` on one machine) and the keystore. A kill between a
batch's commit and its lines leaves records no line names; the rerun verifies those rows again
and stores new records (new reception times), so nothing listed is missing and nothing is
listed twice.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from vvp import clock, codes
from vvp.batch.rows import Item, Row, RowError, parse_row
from vvp.errors import VvpError
from vvp.fetch import FetchLimits, RecordingFetcher, build_fetcher
from vvp.record import PendingRecord, open_identity, sign_together
from vvp.replay import prepare_call_record, snapshot_trust
from vvp.store import RecordStore, open_store
from vvp.trust import load_trust_store
from vvp.verdict import Verdict
from vvp.verifier import Verifier


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """What a worker needs to build its context; paths are absolute (a worker may run elsewhere:
    on a cluster they must name shared files)."""

    trust: str | None
    evidence: str | None
    offline: bool
    store: str
    keystore: str
    commit_rows: int = 128
    """Records per group commit (``--batch-rows``): a batch larger than this (a Dask task) is
    stored in several commits, all of them done before its lines are returned."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A worker's answer for one batch. ``lines`` are the verdict lines of the rows verified
    (each ends with a newline; their records are durably stored); ``errors`` the rows that could
    not be; ``failure`` is set (code, message) when the batch as a whole failed (the store
    refused the commit, the worker cannot start): then nothing of it was acknowledged."""

    rows: int
    lines: tuple[bytes, ...] = ()
    errors: tuple[RowError, ...] = ()
    failure: tuple[str, str] | None = None


def _first(details: Mapping[str, Mapping[str, Any]], claim: str, key: str) -> str | None:
    v = details.get(claim, {}).get(key)
    return v if isinstance(v, str) else None


def verdict_line(row: Row, verdict: Verdict, record_id: str) -> bytes:
    """One line of ``verdicts.jsonl`` (``schemas/formats/batch-row.v1.schema.json``,
    ``$defs.verdict_line``): the fields of architecture §4.6 and what the summary charts need."""
    codes_all: dict[str, None] = {}
    claim_codes: dict[str, list[str]] = {}
    for name, cr in verdict.claims.items():
        if cr.codes:
            claim_codes[name] = list(cr.codes)
            for c in cr.codes:
                codes_all[c] = None
    details = verdict.claim_details
    signer = _first(details, "authorization", "signer")
    if signer is None:
        signer = next((c.subject for c in verdict.checks if c.id == "P-06" and c.subject), None)
    line = {"id": row.id, "call_id": row.call_id, "record": record_id, "status": verdict.status.value,
            "codes": list(codes_all), "time": verdict.reference_time, "claim_codes": claim_codes,
            "signer": signer, "accountable": _first(details, "authorization", "accountable_party"),
            "dossier": _first(details, "dossier", "said"), "verstat": _first(details, "shaken", "verstat")}
    return orjson.dumps(line) + b"\n"


class WorkerContext:
    """One worker's long-lived state (module docstring). Close it when the worker ends."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self._stack = contextlib.ExitStack()
        try:
            trust = load_trust_store(config.trust)
            fetcher = build_fetcher(limits=FetchLimits.from_policy(trust.policy), evidence_map=config.evidence,
                                    offline=config.offline)
            self.verifier = Verifier(trust, fetcher)
            self.snapshot = snapshot_trust(trust)
            self.identity = self._stack.enter_context(open_identity(config.keystore))
            self.store: RecordStore = self._stack.enter_context(open_store(config.store))
        except BaseException:
            self._stack.close()
            raise
        self._clock = clock.SystemClock()

    def close(self) -> None:
        self._stack.close()

    def _one(self, row: Row) -> tuple[PendingRecord, bytes]:
        call = row.call_input()
        received_at = self._clock.now()  # when the row reached this verifier (signed in the record)
        recorder = RecordingFetcher(self.verifier.fetcher, clock=self._clock)
        verdict = self.verifier.verify(call, fetcher=recorder)
        record = prepare_call_record(call, verdict, trust=self.verifier.trust, events=recorder.events,
                                     received_at=received_at, identity=self.identity, snapshot=self.snapshot)
        return record, verdict_line(row, verdict, record.id)

    def process(self, items: Sequence[Item]) -> BatchResult:
        """Verify, record and store a batch (module docstring), committing every
        ``commit_rows`` records. Never raises."""
        lines: list[bytes] = []
        errors: list[RowError] = []
        records: list[PendingRecord] = []
        for item in items:
            row = parse_row(item)
            if isinstance(row, RowError):
                errors.append(row)
                continue
            try:
                record, line = self._one(row)
            except VvpError as ex:
                errors.append(RowError(row.id, row.line, ex.code, ex.message))
                continue
            except Exception as ex:  # noqa: BLE001 - one row's fault must not stop the others
                errors.append(RowError(row.id, row.line, codes.INTERNAL_ERROR, f"{type(ex).__name__}: {ex}"))
                continue
            records.append(record)
            lines.append(line)
            if len(records) >= self.config.commit_rows:
                failure = self._store(records)
                if failure is not None:
                    return BatchResult(rows=len(items), failure=failure)
                records = []
        failure = self._store(records)
        if failure is not None:
            return BatchResult(rows=len(items), failure=failure)
        return BatchResult(rows=len(items), lines=tuple(lines), errors=tuple(errors))

    def _store(self, records: list[PendingRecord]) -> tuple[str, str] | None:
        """One group commit, its records signed together (one signature, each record with its
        inclusion proof: :func:`vvp.record.sign_together`); the failure (code, message) when the
        store refused it."""
        if not records:
            return None
        try:
            self.store.put_many(sign_together(records, self.identity))
        except VvpError as ex:
            return ex.code, f"storing {len(records)} records: {ex.message}"
        except Exception as ex:  # noqa: BLE001
            return codes.STORE_WRITE_FAILED, f"storing {len(records)} records: {type(ex).__name__}: {ex}"
        return None


_CONTEXTS: dict[WorkerConfig, WorkerContext] = {}
_LOCK = threading.Lock()


def context_for(config: WorkerConfig) -> WorkerContext:
    """This process's context for ``config``, made on first use (a Dask worker keeps it between
    tasks: that is its warm cache)."""
    with _LOCK:
        ctx = _CONTEXTS.get(config)
        if ctx is None:
            ctx = _CONTEXTS[config] = WorkerContext(config)
        return ctx


def close_contexts() -> int:
    """Close every context of this process (end of a run); returns how many were open."""
    with _LOCK:
        n = len(_CONTEXTS)
        for ctx in _CONTEXTS.values():
            with contextlib.suppress(Exception):
                ctx.close()
        _CONTEXTS.clear()
        return n


def process(config: WorkerConfig, items: Sequence[Item]) -> BatchResult:
    """The per-partition entry point of every engine: this process's context, then the batch.
    Never raises: a context that cannot be made is a failed batch."""
    try:
        ctx = context_for(config)
    except VvpError as ex:
        return BatchResult(rows=len(items), failure=(ex.code, f"the worker cannot start: {ex.message}"))
    except Exception as ex:  # noqa: BLE001
        return BatchResult(rows=len(items), failure=(codes.BATCH_WORKER_LOST,
                                                     f"the worker cannot start: {type(ex).__name__}: {ex}"))
    return ctx.process(items)


def quiet_worker_signals() -> None:
    """A worker process ignores Ctrl-C: the runner decides when workers stop (a terminal's
    SIGINT goes to the whole process group)."""
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
