"""Which worker verifies which row: calls that share a dossier meet the same warm cache.

A worker's cache holds verified KELs and dossiers (architecture §2.1); the first call of a
dossier costs a keri ingest (tens of milliseconds), every later one a few hundred microseconds.
Sending all the calls of one dossier to one worker makes each dossier cold once per run instead
of once per worker. The dossier is the ``evd`` URL of the row's VVP PASSporT, read cheaply (the
payload segment decoded, nothing verified: it is only a routing hint, and a wrong hint costs a
cold cache, never a wrong verdict).

Pure hashing (``hash(evd) % N``) would do that, but real call logs are Zipf-distributed: the
busiest caller alone may be a sixth of the log, and hashing a few heavy dossiers onto the same
worker leaves the other idle. So :class:`Partitioner` keeps affinity *and* balance:

* a dossier seen for the first time goes to the less loaded of two workers chosen by its hash
  ("power of two choices"), and sticks there;
* when the worker a dossier sticks to has clearly more rows outstanding than the least loaded
  worker, that worker joins the dossier's set: a hot dossier spreads over as many workers as its
  volume needs, each of which pays its cold ingest once.

Rows without a readable ``evd`` (they will not reach a dossier anyway) are spread by their id.
Load is "rows sent and not yet answered", which the runner reports back (:meth:`done`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import OrderedDict
from collections.abc import Sequence

import orjson

MAX_TOKEN_CHARS = 65536
"""Longer Identity values are not decoded for routing (the verifier judges them)."""
MAX_STICKY = 65536
"""Dossiers whose worker set is remembered (least recently used first out); one forgotten is
placed again as if new, which costs at most one more cold ingest."""
SPILL_ROWS = 256
"""How many more outstanding rows than the least loaded worker a dossier's workers may have
before the least loaded one joins them (about two batches: less would spread dossiers over
workers for noise, more would let a worker idle behind one hot dossier)."""


def dossier_key(identities: Sequence[object]) -> str | None:
    """The ``evd`` of the first Identity value whose PASSporT payload has a string ``evd``, read
    without verifying anything; ``None`` when no value has one. Never raises."""
    for value in identities:
        if not isinstance(value, str):
            continue
        token = value.split(";", 1)[0].strip()
        if len(token) > MAX_TOKEN_CHARS:
            continue
        parts = token.split(".")
        if len(parts) != 3:
            continue
        seg = parts[1]
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))
        except (ValueError, binascii.Error, orjson.JSONDecodeError):
            continue
        if isinstance(payload, dict):
            evd = payload.get("evd")
            if isinstance(evd, str) and evd:
                return evd
    return None


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


class Partitioner:
    """Rows to ``workers`` workers (module docstring). Not thread-safe: the runner owns it."""

    def __init__(self, workers: int, *, spill_rows: int = SPILL_ROWS, max_sticky: int = MAX_STICKY) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        self.workers = workers
        self.spill_rows = spill_rows
        self.max_sticky = max_sticky
        self.outstanding = [0] * workers
        self._sticky: OrderedDict[str, list[int]] = OrderedDict()

    def assign(self, evd: str | None, row_id: str) -> int:
        """The worker for one row; counts the row as outstanding there."""
        n = self.workers
        if n == 1:
            self.outstanding[0] += 1
            return 0
        load = self.outstanding
        if evd is None:
            w = _hash(row_id) % n
        else:
            mine = self._sticky.get(evd)
            if mine is None:
                h = _hash(evd)
                a, b = h % n, (h // n) % (n - 1)
                b = b + 1 if b >= a else b  # a different second choice
                mine = [a if load[a] <= load[b] else b]
                self._sticky[evd] = mine
                if len(self._sticky) > self.max_sticky:
                    self._sticky.popitem(last=False)
            else:
                self._sticky.move_to_end(evd)
            w = min(mine, key=load.__getitem__)
            least = min(range(n), key=load.__getitem__)
            if load[w] - load[least] > self.spill_rows and least not in mine:
                mine.append(least)
                w = least
        load[w] += 1
        return w

    def done(self, worker: int, rows: int) -> None:
        """``rows`` rows of ``worker`` were answered."""
        self.outstanding[worker] -= rows
