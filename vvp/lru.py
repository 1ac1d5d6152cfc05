"""The one cache primitive: bounded, least-recently-used, thread-safe, with one freshness model.

Every cache in vvp (verified KEL streams, dossier fetches, ingests and results, x5u chains and
CRLs) keys its entries by content (AIDs, SAIDs, digests, URLs) and is bounded, so a long-lived
service cannot grow without limit. Freshness is measured on a monotonic clock (durations, never
dates: the wall clock is read only in :mod:`vvp.clock`); the clock is injectable so tests can step
past a window without sleeping. Entries whose validity depends on a call's reference time (an
x5u's TTL, a CRL's nextUpdate) are judged by the caller against that time, not here.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Lru(Generic[V]):
    """At most ``max_entries`` values, the least recently used dropped first. ``get(key,
    max_age=s)`` answers only with an entry stored at most ``s`` seconds ago on ``monotonic``."""

    __slots__ = ("_d", "_lock", "_max", "_now")

    def __init__(self, max_entries: int, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("a cache holds at least one entry")
        self._d: OrderedDict[Hashable, tuple[V, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self._now = monotonic

    def get(self, key: Hashable, max_age: float | None = None) -> V | None:
        # No lock: every warm call makes about a dozen of these, and each OrderedDict operation is
        # atomic on its own (the GIL), which is all a read needs. An entry replaced between the
        # two steps was still the entry when read; one dropped between them is not moved.
        d = self._d
        hit = d.get(key)
        if hit is None:
            return None
        if max_age is not None and self._now() - hit[1] > max_age:
            return None
        try:
            d.move_to_end(key)
        except KeyError:
            pass
        return hit[0]

    def put(self, key: Hashable, value: V) -> None:
        stamp = self._now()
        with self._lock:
            self._d[key] = (value, stamp)
            self._d.move_to_end(key)
            while len(self._d) > self._max:
                self._d.popitem(last=False)

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._d.pop(key, None)

    def __len__(self) -> int:
        return len(self._d)
