"""The per-request deadline, enforced where a verification waits: at its fetches.

The phone is ringing: a verification that cannot finish within the policy's
``request_deadline_s`` must answer INDETERMINATE, and its record must say so and still
re-verify. Fetches are the only place a verification waits on the outside world (everything else
is bounded work over bytes already held), so :class:`DeadlineFetcher` sits under the call's
:class:`~vvp.fetch.RecordingFetcher` and gives each fetch only the time left: a fetch still
running when the deadline passes is abandoned (its thread finishes within the fetch policy's own
total deadline, ``fetch_timeout_s``, and its answer is dropped) and the verifier sees a
:class:`~vvp.errors.FetchError` with code ``SERVICE_DEADLINE_EXCEEDED``. Because that failure
goes through the recorder like any other, the verdict carries the code, the record holds the
failed fetch, and ``vvp reverify`` replays the same failure: the record reproduces.

Every rule of the fetch policy stays with the fetcher it wraps (address pinning, limits, content
types): this class only measures and cuts. It also times each fetch and counts failures by code
for the metrics.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from vvp import codes
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, Fetched, Fetcher

FetchObserver = Callable[[EvidenceKind, float, str | None], None]
"""Called after each fetch with (kind, seconds, failure code or None)."""


class CpuToken:
    """One verification computes at a time in a worker; a thread holding the token gives it back
    while it waits on a fetch (:meth:`yielded`). A thread that does not hold it (a helper thread
    the verifier might start) passes through :meth:`yielded` unchanged, so the token can never be
    released twice."""

    def __init__(self) -> None:
        self._sem = threading.Semaphore(1)
        self._owner: int | None = None

    def __enter__(self) -> CpuToken:
        self._sem.acquire()
        self._owner = threading.get_ident()
        return self

    def __exit__(self, *exc: object) -> None:
        self._owner = None
        self._sem.release()

    def try_acquire(self) -> bool:
        """Take the token only if it is free now (the event loop must never wait for it); the
        holder gives it back with ``__exit__``."""
        if not self._sem.acquire(blocking=False):
            return False
        self._owner = threading.get_ident()
        return True

    @contextlib.contextmanager
    def yielded(self) -> Iterator[None]:
        mine = self._owner == threading.get_ident()
        if mine:
            self._owner = None
            self._sem.release()
        try:
            yield
        finally:
            if mine:
                self._sem.acquire()
                self._owner = threading.get_ident()


@dataclass
class DeadlineFetcher:
    """``inner`` with a deadline on :func:`time.monotonic`'s scale (module docstring)."""

    inner: Fetcher
    deadline: float
    pool: concurrent.futures.Executor
    observe: FetchObserver | None = None
    cpu: CpuToken | None = None
    """A token the calling thread holds while it computes; given back while the fetch waits."""
    expired: bool = False
    """Whether the deadline cut a fetch short (the worker counts it)."""

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        t0 = time.monotonic()
        left = self.deadline - t0
        try:
            if left <= 0:
                raise self._expired(url)
            fut = self.pool.submit(self.inner.fetch, url, kind)
            try:
                with self.cpu.yielded() if self.cpu is not None else contextlib.nullcontext():
                    got = fut.result(timeout=left)
            except concurrent.futures.TimeoutError:
                fut.cancel()
                raise self._expired(url) from None
        except FetchError as ex:
            self._note(kind, t0, ex.code)
            raise
        self._note(kind, t0, None)
        return got

    def _expired(self, url: str) -> FetchError:
        self.expired = True
        return FetchError(f"{url}: the request deadline ran out before the fetch finished",
                          code=codes.SERVICE_DEADLINE_EXCEEDED, url=url)

    def _note(self, kind: EvidenceKind, t0: float, code: str | None) -> None:
        if self.observe is not None:
            self.observe(kind, time.monotonic() - t0, code)
