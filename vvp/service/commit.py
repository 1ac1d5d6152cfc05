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

import asyncio
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
from vvp.service.threads import name_os_thread

CommitObserver = Callable[[float, int, bool], None]
"""Called after each commit with (seconds, batch size, ok): the worker's metrics."""


@dataclass(frozen=True, slots=True)
class _Item:
    record: Record
    future: concurrent.futures.Future[str] | asyncio.Future[str]
    loop: asyncio.AbstractEventLoop | None = None
    """Set for an asyncio future: resolved on its loop, one wake-up per batch and loop."""


_STOP = object()


class GroupCommitWriter:
    """The writer thread (module docstring). ``close`` stores what was submitted, then stops."""

    def __init__(self, store: RecordStore, *, batch_max: int = 256, observe: CommitObserver | None = None) -> None:
        self.store = store
        self.batch_max = batch_max
        self._observe = observe
        self._q: queue.SimpleQueue[_Item | list[_Item] | object] = queue.SimpleQueue()
        self._closed = False
        self._staged: list[_Item] = []
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

    def submit_async(self, record: Record, loop: asyncio.AbstractEventLoop) -> asyncio.Future[str]:
        """:meth:`submit` for a coroutine on ``loop`` (call it on that loop). Records submitted
        during one turn of the loop are handed to the writer together at the end of that turn
        (``call_soon``: after every callback and task step already due, so every request that
        arrived with this one has been verified by then): one batch, one wake-up of the writer,
        and no waiting added. Their futures are resolved by one ``call_soon_threadsafe`` per
        batch (not one per record, as ``asyncio.wrap_future`` would make)."""
        fut: asyncio.Future[str] = loop.create_future()
        if self._closed:
            fut.set_exception(StoreError("the record writer is closed", code=codes.SERVICE_NOT_READY))
            return fut
        self._staged.append(_Item(record, fut, loop))
        if len(self._staged) == 1:
            loop.call_soon(self._hand_over)
        return fut

    def _hand_over(self) -> None:
        """The records staged during this turn of the loop, to the writer as one queue entry."""
        with self._lock:
            items, self._staged = self._staged, []
            if not items:
                return
            if self._closed:
                _settle([(i, StoreError("the record writer is closed", code=codes.SERVICE_NOT_READY))
                         for i in items])
                return
            self._q.put(items)

    def close(self, timeout: float | None = None) -> None:
        """Commit everything submitted so far, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._staged:  # submitted during the loop's last turn: stored like the rest
                self._q.put(self._staged)
                self._staged = []
            self._q.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        name_os_thread("vvp-commit")
        stopping = False
        while not stopping:
            first = self._q.get()
            if first is _STOP:
                break
            batch: list[_Item] = []
            _add(batch, first)
            while len(batch) < self.batch_max:
                try:
                    nxt = self._q.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                _add(batch, nxt)
            for i in range(0, len(batch), self.batch_max):  # a loop's turn may hand over more
                self._commit(batch[i:i + self.batch_max])

    def _commit(self, batch: list[_Item]) -> None:
        t0 = time.perf_counter()
        try:
            ids = self.store.put_many([i.record for i in batch])
        except VvpError as ex:
            self._note(t0, len(batch), False)
            if len(batch) == 1:
                _settle([(batch[0], ex)])
                return
            for item in batch:  # all or none failed: find which records can be stored alone
                self._commit([item])
            return
        except Exception as ex:  # noqa: BLE001 - a store bug must fail these calls, not kill the writer
            self._note(t0, len(batch), False)
            err = StoreError(f"the record store failed: {type(ex).__name__}: {ex}", code=codes.STORE_WRITE_FAILED)
            _settle([(item, err) for item in batch])
            return
        self._note(t0, len(batch), True)
        _settle(list(zip(batch, ids, strict=True)))

    def _note(self, t0: float, n: int, ok: bool) -> None:
        if self._observe is not None:
            try:
                self._observe(time.perf_counter() - t0, n, ok)
            except Exception:  # noqa: BLE001, S110 - metrics must never lose a record
                pass


def _add(batch: list[_Item], entry: object) -> None:
    if isinstance(entry, _Item):
        batch.append(entry)
    elif isinstance(entry, list):
        batch.extend(i for i in entry if isinstance(i, _Item))


Outcome = tuple[_Item, "str | BaseException"]


def _settle(outcomes: list[Outcome]) -> None:
    """Give each item its record id or error: concurrent futures here, asyncio futures by one
    call on each of their loops."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for item, result in outcomes:
        if item.loop is None:
            cf = item.future
            assert isinstance(cf, concurrent.futures.Future)
            if isinstance(result, BaseException):
                cf.set_exception(result)
            else:
                cf.set_result(result)
        else:
            by_loop.setdefault(item.loop, []).append((item, result))
    for loop, group in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_on_loop, group)
        except RuntimeError:  # the loop is closed: nobody waits for these answers any more
            pass


def _settle_on_loop(group: list[Outcome]) -> None:
    for item, result in group:
        fut = item.future
        assert isinstance(fut, asyncio.Future)
        if fut.done():  # the request was cancelled (client gone, shutdown)
            continue
        if isinstance(result, BaseException):
            fut.set_exception(result)
        else:
            fut.set_result(result)
