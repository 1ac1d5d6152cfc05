"""Trust files read once per trust store, not once per artifact.

A checker is called for every foreign artifact of every call, while its trust inputs (JWK sets,
PEM anchors, JSON-LD contexts) change only when the trust store is replaced, which makes a new
:class:`vvp.trust.ForeignTrust` object. So each checker keeps a :class:`PerTrustCache`: what it
derived from one ForeignTrust (parsed keys, parsed contexts, pyld's resolved contexts), kept on
that object. Nothing is keyed by path in a module global: two trust stores naming the
same file at different moments (or different files for the same context URL) never share entries.

Errors in a trust file are part of the derived value (see the loaders), never an exception here,
so that a broken file turns into a coded INDETERMINATE for the artifacts that needed it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final, Generic, TypeVar

from vvp.errors import InputUnreadable
from vvp.evidence.base import ForeignTrust
from vvp.files import read_input

T = TypeVar("T")

MAX_TRUST_FILE_BYTES: Final = 1 << 20
"""A JWK set, a PEM bundle or a JSON-LD context is a few KB; 1 MiB is far beyond any real one."""


class PerTrustCache(Generic[T]):
    """Values a checker derives from a :class:`~vvp.evidence.base.ForeignTrust`, kept on that
    trust object itself (``ForeignTrust.derived``) under this cache's ``name``: they live as long
    as the trust store that holds them, owned by the Verifier that owns the store (architecture
    §2.1), never in process-wide state."""

    def __init__(self, name: str) -> None:
        self.name = name

    def get(self, trust: ForeignTrust, build: Callable[[], T]) -> T:
        return trust.derived(self.name, build)


def read_trust_file(path: Path) -> bytes:
    """The bytes of a trust file, or OSError/ValueError (too large, not a regular file) for the
    loader to record. Read through :func:`vvp.files.read_input`: a FIFO named as a key file is
    refused instead of blocking the verification, a device instead of being read (issue 21)."""
    try:
        return read_input(path, max_bytes=MAX_TRUST_FILE_BYTES, what="trust file")
    except InputUnreadable as ex:
        raise ValueError(ex.message) from None
