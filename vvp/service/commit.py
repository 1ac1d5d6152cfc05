"""Group commit: one writer thread per worker stores records in batches, one durable commit each.

Why: the service answers only after a call's record is durably stored (architecture §4.4, §6),
and a durable commit costs an fsync. Under load many requests finish verifying while one commit
is in progress; the writer takes all of them at once into the next ``put_many`` (one
transaction, one sync), so durability costs one sync per batch, not one per call. With no load
a batch is the one record that arrived: no waiting to fill batches, so an idle service adds no
latency.

Futures: :meth:`GroupCommitWriter.submit` returns a :class:`concurrent.futures.Future` holding
the record's id once its batch is committed, or the store's coded error; the HTTP handler awaits
it (``asyncio.wrap_future``) so no thread is held while a record waits for its batch. A batch
that fails as a whole (``put_many`` is all or none) is retried record by record, so one bad record
(say a ``STORE_CONFLICT``) does not fail the calls batched with it.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from vvp import codes
from vvp.errors import VvpError
from vvp.record import Record
from vvp.store.base import RecordStore, StoreError

CommitObserver = Callable[[float, int, bool], None]
"""Called after each commit with (seconds, batch size, ok): the worker's metrics."""


@dataclass(frozen=True, slots=True)
class _Item:
    record: Record
    future: concurrent.futures.Future[str]


_STOP = object()


class GroupCommitWriter:
    """The writer thread (module docstring). ``close`` stores what was submitted, then stops."""

    def __init__(self, store: RecordStore, *, batch_max: int = 256, observe: CommitObserver | None = None) -> None:
        self.store = store
        self.batch_max = batch_max
        self._observe = observe
        self._q: queue.SimpleQueue[_Item | object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="vvp-group-commit", daemon=True)
        self._thread.start()

    def submit(self, record: Record) -> concurrent.futures.Future[str]:
        fut: concurrent.futures.Future[str] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                fut.set_exception(StoreError("the record writer is closed", code=codes.SERVICE_NOT_READY))
                return fut
            self._q.put(_Item(record, fut))
        return fut

    def close(self, timeout: float | None = None) -> None:
        """Commit everything submitted so far, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._q.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._q.get()
            if first is _STOP:
                break
            batch: list[_Item] = [first] if isinstance(first, _Item) else []
            while len(batch) < self.batch_max:
                try:
                    nxt = self._q.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                if isinstance(nxt, _Item):
                    batch.append(nxt)
            if batch:
                self._commit(batch)

    def _commit(self, batch: list[_Item]) -> None:
        t0 = time.perf_counter()
        try:
            ids = self.store.put_many([i.record for i in batch])
        except VvpError as ex:
            self._note(t0, len(batch), False)
            if len(batch) == 1:
                batch[0].future.set_exception(ex)
                return
            for item in batch:  # all or none failed: find which records can be stored alone
                self._commit([item])
            return
        except Exception as ex:  # noqa: BLE001 - a store bug must fail these calls, not kill the writer
            self._note(t0, len(batch), False)
            err = StoreError(f"the record store failed: {type(ex).__name__}: {ex}", code=codes.STORE_WRITE_FAILED)
            for item in batch:
                item.future.set_exception(err)
            return
        self._note(t0, len(batch), True)
        for item, rid in zip(batch, ids, strict=True):
            item.future.set_result(rid)

    def _note(self, t0: float, n: int, ok: bool) -> None:
        if self._observe is not None:
            try:
                self._observe(time.perf_counter() - t0, n, ok)
            except Exception:  # noqa: BLE001, S110 - metrics must never lose a record
                pass
