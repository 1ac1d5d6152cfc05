"""Where batches run: in the runner's process, in local worker processes, or on Dask.

Every engine runs the same per-partition code, :func:`vvp.batch.work.process`, and offers the
runner the same three operations: :meth:`Engine.submit` a batch to a given worker, take the next
finished batch (:meth:`Engine.next_result`), :meth:`Engine.close`. Which worker a batch goes to is
the runner's decision (:mod:`vvp.batch.partition`); an engine only keeps it.

* :class:`InlineEngine` (``--workers 1``): the batch runs when it is submitted, in this process;
  nothing is copied between processes.
* :class:`ProcessEngine` (``--workers N``): N processes started with ``spawn`` (no inherited
  threads, locks or database handles), each with its own inbox; answers come back on one queue.
  A worker whose runner is gone (killed) notices within a second and exits.
* :class:`DaskEngine` (``--engine dask``): tasks on a ``dask.distributed`` cluster
  (``--scheduler ADDRESS``, or a ``LocalCluster`` of ``--workers`` processes with one thread
  each), each pinned to a worker by address so that its cache stays warm; a Dask worker keeps its
  context between tasks in a module global (:func:`vvp.batch.work.context_for`).
"""

from __future__ import annotations

import abc
import collections
import contextlib
import importlib
import logging
import multiprocessing
import multiprocessing.context
import os
import queue
import uuid
from collections.abc import Sequence
from typing import Any

from vvp import codes
from vvp.batch.rows import Item
from vvp.batch.work import BatchResult, WorkerConfig, close_contexts, context_for, process, quiet_worker_signals
from vvp.errors import OperationalError, VvpError

Done = tuple[int, int, BatchResult]
"""(worker, tag, result) of a finished batch."""


class Engine(abc.ABC):
    workers: int
    name: str

    @abc.abstractmethod
    def submit(self, worker: int, items: Sequence[Item], tag: int) -> None:
        """Send a batch to ``worker``; ``tag`` comes back with its result."""

    @abc.abstractmethod
    def next_result(self, block: bool) -> Done | None:
        """The next finished batch; ``None`` when ``block`` is false and none is ready. Raises
        :class:`~vvp.errors.OperationalError` (``BATCH_WORKER_LOST``) when a worker died."""

    @abc.abstractmethod
    def close(self, *, abort: bool = False) -> None:
        """Stop the workers (``abort``: at once, without waiting for work in progress)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close(abort=exc_type is not None)


class InlineEngine(Engine):
    name = "local"
    workers = 1

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self._done: collections.deque[Done] = collections.deque()
        context_for(config)  # fail now, not at the first batch

    def submit(self, worker: int, items: Sequence[Item], tag: int) -> None:
        self._done.append((worker, tag, process(self.config, items)))

    def next_result(self, block: bool) -> Done | None:
        return self._done.popleft() if self._done else None

    def close(self, *, abort: bool = False) -> None:
        close_contexts()


# ---------------------------------------------------------------------------------------------
# Local worker processes

_POLL_S = 0.5


def _worker_main(index: int, config: WorkerConfig, inbox: Any, outbox: Any, parent: int) -> None:
    """A local worker process: make the context, say so, then serve batches until told to stop
    or until the runner is gone."""
    quiet_worker_signals()
    try:
        context_for(config)
        outbox.put((index, -1, BatchResult(rows=0)))
    except VvpError as ex:
        outbox.put((index, -1, BatchResult(rows=0, failure=(ex.code, f"worker {index} cannot start: {ex.message}"))))
        return
    except Exception as ex:  # noqa: BLE001
        outbox.put((index, -1, BatchResult(rows=0, failure=(codes.BATCH_WORKER_LOST,
                                                            f"worker {index} cannot start: {type(ex).__name__}: {ex}"))))
        return
    try:
        while True:
            try:
                msg = inbox.get(timeout=_POLL_S)
            except queue.Empty:
                if os.getppid() != parent:
                    return  # the runner was killed: stop rather than linger
                continue
            if msg is None:
                return
            tag, items = msg
            outbox.put((index, tag, process(config, items)))
    finally:
        close_contexts()


class ProcessEngine(Engine):
    name = "local"

    def __init__(self, config: WorkerConfig, workers: int, *, start_timeout_s: float = 300.0) -> None:
        self.workers = workers
        mp = multiprocessing.get_context("spawn")
        self._outbox: Any = mp.Queue()
        self._inboxes: list[Any] = [mp.Queue() for _ in range(workers)]
        self._procs: list[multiprocessing.context.SpawnProcess] = []
        self._closed = False
        try:
            for i in range(workers):
                p = mp.Process(target=_worker_main, args=(i, config, self._inboxes[i], self._outbox, os.getpid()),
                               name=f"vvp-batch-worker-{i}", daemon=True)
                p.start()
                self._procs.append(p)
            self._await_ready(start_timeout_s)
        except BaseException:
            self.close(abort=True)
            raise

    def _await_ready(self, timeout_s: float) -> None:
        ready: set[int] = set()
        waited = 0.0
        while len(ready) < self.workers:
            try:
                index, tag, res = self._outbox.get(timeout=_POLL_S)
            except queue.Empty:
                waited += _POLL_S
                self._check_alive()
                if waited > timeout_s:
                    raise OperationalError(f"the batch workers did not start within {timeout_s:.0f} s",
                                           code=codes.BATCH_WORKER_LOST) from None
                continue
            if res.failure is not None:
                raise OperationalError(res.failure[1], code=res.failure[0])
            ready.add(index)

    def _check_alive(self) -> None:
        for i, p in enumerate(self._procs):
            if not p.is_alive():
                raise OperationalError(f"batch worker {i} (pid {p.pid}) died with exit code {p.exitcode}; "
                                       "its rows in progress were not written (a rerun verifies them)",
                                       code=codes.BATCH_WORKER_LOST)

    def submit(self, worker: int, items: Sequence[Item], tag: int) -> None:
        self._inboxes[worker].put((tag, list(items)))

    def next_result(self, block: bool) -> Done | None:
        while True:
            try:
                got: Done = self._outbox.get(timeout=_POLL_S) if block else self._outbox.get_nowait()
                return got
            except queue.Empty:
                self._check_alive()
                if not block:
                    return None

    def close(self, *, abort: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        if not abort:
            for q in self._inboxes:
                with contextlib.suppress(Exception):
                    q.put(None)
            for p in self._procs:
                p.join(timeout=60)
        for p in self._procs:
            if p.is_alive():
                p.terminate()
                p.join(timeout=10)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
        for q in (*self._inboxes, self._outbox):
            with contextlib.suppress(Exception):
                q.cancel_join_thread()
                q.close()


# ---------------------------------------------------------------------------------------------
# Dask


class DaskEngine(Engine):
    name = "dask"

    def __init__(self, config: WorkerConfig, workers: int, scheduler: str | None, *,
                 connect_timeout_s: float = 30.0) -> None:
        try:  # imported as Any: dask is an optional extra and untyped
            dask: Any = importlib.import_module("dask")
            distributed: Any = importlib.import_module("distributed")
        except ImportError as ex:
            raise OperationalError(f"--engine dask needs dask.distributed (pip install 'vvp[dask]'): {ex}",
                                   code=codes.BATCH_ENGINE_UNAVAILABLE) from None
        self.config = config
        self._distributed = distributed
        self._cluster: Any = None
        self._client: Any = None
        try:
            if scheduler is not None:
                self._client = distributed.Client(scheduler, timeout=connect_timeout_s, set_as_default=False)
            else:
                # Tasks stay where they are sent (moving one would move it away from its warm
                # cache), and the cluster's own housekeeping is kept small: the workers'
                # statistical profiler (a stack sample of every thread every 10 ms) is off, and the
                # event-loop health tick and the system monitor run every second and every five
                # instead of every 20 and 500 ms. The verifier's CPU is for verifying. Workers
                # receive this configuration from their nanny.
                dask.config.set({"distributed.scheduler.work-stealing": False,
                                 "distributed.worker.profile.enabled": False,
                                 "distributed.admin.tick.interval": "1s",
                                 "distributed.admin.system-monitor.interval": "5s"})
                self._cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                    memory_limit=0, silence_logs=logging.ERROR, host="127.0.0.1")
                self._client = distributed.Client(self._cluster, set_as_default=False)
            info = self._client.scheduler_info()
            self.addresses: list[str] = sorted(info.get("workers", {}))
            if not self.addresses:
                self._client.wait_for_workers(1, timeout=connect_timeout_s)
                self.addresses = sorted(self._client.scheduler_info().get("workers", {}))
        except (OSError, TimeoutError) as ex:
            self.close(abort=True)
            raise OperationalError(f"cannot reach the Dask scheduler {scheduler or '(local cluster)'}: {ex}",
                                   code=codes.BATCH_ENGINE_UNAVAILABLE) from None
        except BaseException:
            self.close(abort=True)
            raise
        self.workers = len(self.addresses)
        self._ac: Any = distributed.as_completed(loop=self._client.loop)
        self._meta: dict[str, tuple[int, int, int]] = {}
        self._run = uuid.uuid4().hex[:12]
        # Each worker makes its context now (fail fast, as the local engine does).
        futs = [self._client.submit(_warm, config, workers=[a], allow_other_workers=False, pure=False,
                                    key=f"vvp-batch-start-{self._run}-{i}") for i, a in enumerate(self.addresses)]
        for f in futs:
            failure = f.result()
            if failure is not None:
                self.close(abort=True)
                raise OperationalError(failure[1], code=failure[0])

    def submit(self, worker: int, items: Sequence[Item], tag: int) -> None:
        key = f"vvp-batch-{self._run}-{tag}"
        fut = self._client.submit(process, self.config, list(items), workers=[self.addresses[worker]],
                                  allow_other_workers=True, pure=False, key=key)
        self._meta[fut.key] = (worker, tag, len(items))
        self._ac.add(fut)

    def next_result(self, block: bool) -> Done | None:
        if not block and not self._ac.has_ready():
            return None
        if self._ac.is_empty():
            return None
        fut = next(self._ac)
        worker, tag, n = self._meta.pop(fut.key)
        try:
            res: BatchResult = fut.result()
        except Exception as ex:  # noqa: BLE001 - a task lost with its worker
            res = BatchResult(rows=n, failure=(codes.BATCH_WORKER_LOST, f"a Dask task failed: {type(ex).__name__}: {ex}"))
        fut.release()
        return worker, tag, res

    def close(self, *, abort: bool = False) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            if not abort:
                with contextlib.suppress(Exception):
                    client.run(close_contexts)
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def _warm(config: WorkerConfig) -> tuple[str, str] | None:
    try:
        context_for(config)
    except VvpError as ex:
        return ex.code, f"a Dask worker cannot start: {ex.message}"
    except Exception as ex:  # noqa: BLE001
        return codes.BATCH_WORKER_LOST, f"a Dask worker cannot start: {type(ex).__name__}: {ex}"
    return None


def make_engine(config: WorkerConfig, *, engine: str, workers: int, scheduler: str | None) -> Engine:
    if engine == "dask":
        return DaskEngine(config, workers, scheduler)
    if workers == 1:
        return InlineEngine(config)
    return ProcessEngine(config, workers)
