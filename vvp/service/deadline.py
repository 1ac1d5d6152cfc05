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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from vvp import codes
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, Fetched, Fetcher

FetchObserver = Callable[[EvidenceKind, float, str | None], None]
"""Called after each fetch with (kind, seconds, failure code or None)."""


@dataclass
class DeadlineFetcher:
    """``inner`` with a deadline on :func:`time.monotonic`'s scale (module docstring)."""

    inner: Fetcher
    deadline: float
    pool: concurrent.futures.Executor
    observe: FetchObserver | None = None
    cpu: threading.Semaphore | None = None
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
            if self.cpu is not None:
                self.cpu.release()
            try:
                got = fut.result(timeout=left)
            except concurrent.futures.TimeoutError:
                fut.cancel()
                raise self._expired(url) from None
            finally:
                if self.cpu is not None:
                    self.cpu.acquire()
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
