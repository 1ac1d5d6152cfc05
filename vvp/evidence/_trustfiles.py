"""Trust files read once per trust store, not once per artifact.

A checker is called for every foreign artifact of every call, while its trust inputs (JWK sets,
PEM anchors, JSON-LD contexts) change only when the trust store is replaced, which makes a new
:class:`vvp.trust.ForeignTrust` object. So each checker keeps a :class:`PerTrustCache`: what it
derived from one ForeignTrust (parsed keys, parsed contexts, pyld's resolved contexts), found by
that object's identity. Nothing is keyed by path in a module global: two trust stores naming the
same file at different moments (or different files for the same context URL) never share entries.

Errors in a trust file are part of the derived value (see the loaders), never an exception here,
so that a broken file turns into a coded INDETERMINATE for the artifacts that needed it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Final, Generic, TypeVar

from vvp.errors import InputUnreadable
from vvp.files import read_input

T = TypeVar("T")

MAX_TRUST_FILE_BYTES: Final = 1 << 20
"""A JWK set, a PEM bundle or a JSON-LD context is a few KB; 1 MiB is far beyond any real one."""


class PerTrustCache(Generic[T]):
    """Values derived from a trust object, kept for the last few trust objects seen.

    Keyed by ``id(trust)``; the entry keeps the trust object itself, so the id cannot be reused
    by another object while the entry lives, and a hit is confirmed with ``is``. A service
    replaces its trust store rarely; the small bound only stops a loop of test trust stores from
    holding memory."""

    def __init__(self, max_entries: int = 8) -> None:
        self._entries: OrderedDict[int, tuple[object, T]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, trust: object, build: Callable[[], T]) -> T:
        key = id(trust)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] is trust:
                self._entries.move_to_end(key)
                return hit[1]
        value = build()  # outside the lock: building reads files; a race only builds twice
        with self._lock:
            self._entries[key] = (trust, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value


def read_trust_file(path: Path) -> bytes:
    """The bytes of a trust file, or OSError/ValueError (too large, not a regular file) for the
    loader to record. Read through :func:`vvp.files.read_input`: a FIFO named as a key file is
    refused instead of blocking the verification, a device instead of being read (issue 21)."""
    try:
        return read_input(path, max_bytes=MAX_TRUST_FILE_BYTES, what="trust file")
    except InputUnreadable as ex:
        raise ValueError(ex.message) from None
