"""A change to keri's own code that holds only while vvp's ingests run, counted.

Three cold-path speed-ups (:mod:`vvp._keri.codetables`, :mod:`vvp._keri.lazylog`,
:mod:`vvp._keri.records`) replace a piece of keri with one that answers exactly the same, but only
inside vvp's ingests: outside them, keri (and :func:`vvp._keri.baseline.bare_ingest`, the floor
the cold path is measured against) runs as shipped. Ingests run in several threads at once and
nest, so the change is counted: made when the first block opens, undone when the last one closes,
under one lock. One class holds that bookkeeping so that each speed-up says only what it changes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator


class CountedPatch:
    """``apply()`` when the first :meth:`active` block opens, ``restore()`` when the last closes
    (re-entrant, thread-safe)."""

    def __init__(self, apply: Callable[[], None], restore: Callable[[], None]) -> None:
        self._apply = apply
        self._restore = restore
        self._lock = threading.Lock()
        self._depth = 0

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._apply()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    self._restore()

    @property
    def depth(self) -> int:
        """How many blocks are open (for tests)."""
        return self._depth
