"""The record store interface (architecture §4.4): what every store promises, whatever its database.

A store keeps forensic records for years and gives each one back byte for byte. Its promises:

* **durable acknowledgement**: :meth:`RecordStore.put` returns a record's id only after the
  record (with every evidence blob it needs) is committed durably; an error means nothing of that
  call was acknowledged. A caller may retry: storing a record twice is a no-op that returns the
  same id.
* **group commit**: :meth:`RecordStore.put_many` stores several records in one transaction (one
  durable commit for all of them; all or none).
* **byte identity**: :meth:`RecordStore.get_bytes` returns exactly ``record.to_bytes()``, the file
  ``vvp verify --record`` writes, checked on the way out (every blob against its digest, the
  record's id against its signed content): a damaged store says ``STORE_CORRUPT``, it never
  hands out a file that differs from the one that was stored.
* **evidence once**: each evidence blob is kept once by its digest, whatever the number of
  records that use it.
* **replay detection** across processes: :meth:`RecordStore.seen_passport` answers, atomically,
  whether a key is seen for the first time within a window (the service's N worker processes
  share one store, so they share this memory too).

Every failure is a :class:`~vvp.errors.VvpError` with a store code; no database exception
escapes. Implementations: :mod:`vvp.store.sqlite` (the default) and :mod:`vvp.store.postgres`.
"""

from __future__ import annotations

import abc
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from vvp import codes
from vvp.errors import OperationalError, UsageError
from vvp.record import MAX_RECORD_BYTES, Record, RecordBroken

ID_RE = re.compile(r"\Asha256:[0-9a-f]{64}\Z")
"""A record id (and a blob key): ``sha256:`` and 64 lower-case hex digits."""
MAX_LIST = 10_000
"""Most entries one :meth:`RecordStore.entries` call returns (page with ``after``)."""
MAX_KEY_CHARS = 1024
"""Longest replay key :meth:`RecordStore.seen_passport` accepts (the service passes a digest)."""


class StoreError(OperationalError):
    """The store cannot do what was asked (exit 4); ``code`` says why (a ``STORE_*`` code)."""

    default_code = codes.STORE_UNAVAILABLE


class StoreUrlInvalid(UsageError):
    """The store URL is not one vvp understands: a usage error (exit 2)."""

    default_code = codes.STORE_URL_INVALID


class RecordNotFound(StoreError):
    default_code = codes.STORE_NOT_FOUND


@dataclass(frozen=True, slots=True)
class RecordEntry:
    """One line of a store's listing: the record's id, the verifier's reception time (its own
    signed claim) and the recorded verdict's status."""

    id: str
    received_at: str
    status: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "received_at": self.received_at, "status": self.status}


@dataclass(frozen=True, slots=True)
class StoreStats:
    """What a store holds. ``bytes`` is the payload it keeps (compressed record rows, compressed
    blobs and compression dictionaries), not the database files' size, which adds indexes and
    free pages."""

    records: int
    blobs: int
    bytes: int
    record_bytes: int
    blob_bytes: int
    dictionary_bytes: int

    def to_json(self) -> dict[str, Any]:
        return {"records": self.records, "blobs": self.blobs, "bytes": self.bytes,
                "record_bytes": self.record_bytes, "blob_bytes": self.blob_bytes,
                "dictionary_bytes": self.dictionary_bytes}


def check_id(record_id: object) -> str:
    """``record_id`` if it has the form of a record id, else ``STORE_BAD_ARGUMENT``."""
    if not isinstance(record_id, str) or not ID_RE.match(record_id):
        raise StoreError(f"{str(record_id)[:100]!r} is not a record id (sha256: and 64 hex digits)",
                         code=codes.STORE_BAD_ARGUMENT)
    return record_id


def check_replay_args(key: object, at: object, window_s: object) -> tuple[str, float, float]:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
        raise StoreError(f"a replay key is a non-empty string of at most {MAX_KEY_CHARS} characters",
                         code=codes.STORE_BAD_ARGUMENT)
    vals: list[float] = []
    for name, v in (("at", at), ("window_s", window_s)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise StoreError(f"{name} must be a finite number of seconds", code=codes.STORE_BAD_ARGUMENT)
        vals.append(float(v))
    if vals[1] <= 0:
        raise StoreError("window_s must be positive", code=codes.STORE_BAD_ARGUMENT)
    return key, vals[0], vals[1]


def check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise StoreError(f"limit must be an integer from 1 to {MAX_LIST}", code=codes.STORE_BAD_ARGUMENT)
    return limit


class RecordStore(abc.ABC):
    """A durable home for forensic records (module docstring). Open one with
    :func:`vvp.store.open_store`; use it from one process (open it again after a fork) and close
    it when done (it is a context manager). Methods may be called from several threads."""

    url: str
    """Where the store is, for messages (a password in a URL is masked)."""

    # -- writing ----------------------------------------------------------------------------

    @abc.abstractmethod
    def put_many(self, records: Sequence[Record]) -> list[str]:
        """Store ``records`` in one transaction (one durable commit: group commit) and return
        their ids in order, only once all of them are durable. All or none: on an error nothing
        of this call is stored. A record already stored is a no-op (same id back); one whose id
        is stored with another signature is ``STORE_CONFLICT``."""

    def put(self, record: Record) -> str:
        """Store one record; its id is returned once the record is durable (see :meth:`put_many`)."""
        return self.put_many([record])[0]

    def import_bytes(self, raw: bytes) -> str:
        """Store a record file's bytes after checking them as :meth:`Record.from_bytes` does
        (:class:`~vvp.record.RecordBroken`, exit 6, when they are not an intact record)."""
        if len(raw) > MAX_RECORD_BYTES:
            raise RecordBroken(f"{len(raw)} bytes is over the {MAX_RECORD_BYTES}-byte record limit",
                               code=codes.RECORD_TOO_LARGE)
        return self.put(Record.from_bytes(raw))

    # -- reading ----------------------------------------------------------------------------

    @abc.abstractmethod
    def get_bytes(self, record_id: str) -> bytes:
        """The self-contained record file, byte-identical to ``record.to_bytes()``; checked
        (blob digests and the record id) before it is returned: ``STORE_CORRUPT`` otherwise,
        ``STORE_NOT_FOUND`` when there is no such record."""

    def get(self, record_id: str) -> Record:
        """The record, parsed and checked in full (schema included) by :meth:`Record.from_bytes`."""
        raw = self.get_bytes(record_id)
        try:
            return Record.from_bytes(raw)
        except RecordBroken as ex:
            raise StoreError(f"record {record_id} is stored but no longer a valid record: {ex.code}: {ex.message}",
                             code=codes.STORE_CORRUPT) from None

    @abc.abstractmethod
    def has(self, record_id: str) -> bool:
        """Whether a record with this id is stored."""

    @abc.abstractmethod
    def entries(self, limit: int = 100, after: str | None = None) -> list[RecordEntry]:
        """Up to ``limit`` records in the order they were stored, starting after the record
        ``after`` (a page cursor: pass the last id of the previous page)."""

    def ids(self, limit: int = 100, after: str | None = None) -> list[str]:
        return [e.id for e in self.entries(limit, after)]

    @abc.abstractmethod
    def stats(self) -> StoreStats:
        """Counts and payload bytes (see :class:`StoreStats`)."""

    # -- replay detection -------------------------------------------------------------------

    @abc.abstractmethod
    def seen_passport(self, key: str, at: float, window_s: float) -> bool:
        """``True`` when ``key`` is seen for the first time within ``window_s`` seconds before
        ``at`` (Unix seconds: a time the caller read from its clock), ``False`` when it was
        already seen in that window: a replay. Atomic across threads and processes sharing the
        store (one insert-if-absent statement); entries older than the window are pruned.
        A ``True`` answer is committed before it is returned."""

    # -- life cycle -------------------------------------------------------------------------

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; further calls fail with ``STORE_UNAVAILABLE``."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
