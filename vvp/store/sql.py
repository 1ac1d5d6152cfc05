"""The record store over SQL: one implementation of :class:`~vvp.store.base.RecordStore` that SQLite
and PostgreSQL share. Both run the same statements (written with ``?`` placeholders; the
PostgreSQL backend translates them) on the same tables:

``schema_version (version, description)``
    one row per migration applied; the store's version is the largest.
``blobs (digest, size, codec, data)``
    every evidence blob once, by ``sha256:<hex>`` digest, and every recurring part of records'
    signed content that ``S`` rows name (:class:`~vvp.store.codec.SegmentMemo`); ``data``
    zlib-compressed (codec 1) or as it is (codec 0).
``dicts (id, digest, made_at_seq, data)``
    zlib preset dictionaries: each is the row body of a record that was stored (kept compressed,
    checked against its digest when loaded).
``records (seq, id, received_at, status, dict, codec, body)``
    one row per record: its id, the listing columns, and its body (the names of its blobs and
    the record file after its ``blobs`` member, :mod:`vvp.store.codec`): ``codec`` 3, one zstd
    frame against dictionary ``dict`` (written now), or 1, one zlib stream (without a dictionary;
    rows written before codec 2 also against ``dict`` whole: still read); rows of codec 2 (zlib
    pieces against the matching parts of ``dict``, written before codec 3) are still read.
    ``seq`` orders the listing.
``passports_seen (key, at)``
    the replay memory behind :meth:`~vvp.store.base.RecordStore.seen_passport`.

Writing: the blobs a record needs that the store does not hold yet and the record row go in one
transaction, so a crash leaves a record whole or absent. Work that needs no lock (splitting the
record, compressing) happens before the transaction starts, so several worker processes on one
SQLite file hold its write lock only for the inserts and the commit. Blobs are never deleted, so
a digest this object has once seen stored stays stored: it remembers them and skips the lookup.

Dictionaries: a record's body is compressed against the newest dictionary. When that does
poorly (under 1/8 of the body's size saved, as when the verdict format changes after an
upgrade) the record's own body becomes a new dictionary, at most one per
:data:`DICT_MIN_GAP` records stored, so a stream of unlike records costs at most plain zlib plus
one dictionary per :data:`DICT_MIN_GAP` records.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from vvp import codes
from vvp.record import Record, digest
from vvp.store import codec
from vvp.store.base import (
    RecordEntry,
    RecordNotFound,
    RecordStore,
    StoreError,
    StoreStats,
    check_id,
    check_limit,
    check_replay_args,
)

DICT_RATIO = 8
"""A dictionary "does poorly" when the compressed body is over 1/DICT_RATIO of its size."""
DICT_MIN_BODY = 2048
"""Bodies smaller than this never become dictionaries (nothing to gain)."""
DICT_MIN_GAP = 1000
"""At most one new dictionary per this many records stored."""
DICT_KIND_GAP = 32
"""...or per this many when the newest dictionary is a body of another kind (a ``C`` or ``B``
body where ``S`` bodies are being written: the first record of a process goes whole, the next
ones name their shared parts), so that a stream of one kind soon has a dictionary of its kind."""
IN_CHUNK = 500
"""Most values in one ``IN (...)`` list (SQLite's default limit on variables is 32,766)."""
KNOWN_BLOBS_MAX = 1_000_000
"""Most blob digests remembered as stored (the set is cleared, not grown, past this)."""
MIGRATION_LOCK_KEY = 0x76767073  # "vvps": the PostgreSQL advisory lock taken while migrating


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema: applied in order, once, in one transaction with its
    ``schema_version`` row."""

    version: int
    description: str
    statements: tuple[str, ...]


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses (``?`` placeholders)."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class SqlStore(RecordStore):
    """The shared implementation (module docstring); a backend supplies the connection, its
    transactions, its error classification and its migrations."""

    migrations: tuple[Migration, ...] = ()

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._closed = False
        self._dicts: dict[int, bytes] = {}
        self._latest_dict: int | None = None
        self._known_blobs: set[str] = set()
        self._members = codec.MemberCache()
        self._segments = codec.SegmentMemo()
        self._compressors: dict[int, codec.ZstdDictCompressor] = {}

    # -- backend hooks ----------------------------------------------------------------------

    @abc.abstractmethod
    def _begin(self, write: bool, durable: bool = True) -> Cursor:
        """Start a transaction (a write one takes the write lock at once) and return a cursor.
        ``durable=False`` (a write of the replay memory only, :meth:`seen_passport`): its commit
        need not wait for the disk; the next durable commit makes it durable too."""

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def _rollback(self) -> None:
        """Roll back if a transaction is open; never raises."""

    @abc.abstractmethod
    def _is_db_error(self, ex: BaseException) -> bool: ...

    @abc.abstractmethod
    def _classify(self, ex: BaseException, write: bool) -> tuple[str, str]:
        """``(code, message)`` for a database error."""

    @abc.abstractmethod
    def _tables(self, cur: Cursor) -> set[str]:
        """The user tables of the store's database (or schema)."""

    def _migration_lock(self, cur: Cursor) -> None:
        """Serialise concurrent migrators (SQLite: ``BEGIN IMMEDIATE`` already does)."""

    def _select_in(self, cur: Cursor, sql: str, keys: Sequence[str]) -> list[Any]:
        """Rows of ``sql`` (which ends in ``WHERE digest``) for the given digests."""
        out: list[Any] = []
        for i in range(0, len(keys), IN_CHUNK):
            chunk = keys[i:i + IN_CHUNK]
            cur.execute(f"{sql} IN ({','.join('?' * len(chunk))})", chunk)
            out += cur.fetchall()
        return out

    @abc.abstractmethod
    def _close_connection(self) -> None: ...

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def _tx(self, *, write: bool, durable: bool = True) -> Iterator[Cursor]:
        """One transaction: committed at the end of the block, rolled back on any error; a
        database error becomes a :class:`StoreError` (``STORE_WRITE_FAILED`` /
        ``STORE_READ_FAILED`` / ``STORE_CORRUPT``). ``durable`` as for :meth:`_begin`."""
        with self._lock:
            if self._closed:
                raise StoreError(f"the store {self.url} is closed", code=codes.STORE_UNAVAILABLE)
            try:
                cur = self._begin(write, durable)
            except Exception as ex:
                if self._is_db_error(ex):
                    self._rollback()
                    raise self._store_error(ex, write) from None
                raise
            try:
                yield cur
                self._commit()
            except BaseException as ex:
                self._rollback()
                if self._is_db_error(ex):
                    raise self._store_error(ex, write) from None
                raise

    def _store_error(self, ex: BaseException, write: bool) -> StoreError:
        code, message = self._classify(ex, write)
        return StoreError(f"{self.url}: {message}", code=code)

    # -- schema -----------------------------------------------------------------------------

    @classmethod
    def latest_version(cls) -> int:
        return len(cls.migrations)

    def _version(self, cur: Cursor) -> int:
        tables = self._tables(cur)
        if "schema_version" not in tables:
            if tables:
                raise StoreError(f"{self.url} holds tables but no schema_version: it is not a vvp record store",
                                 code=codes.STORE_UNAVAILABLE)
            return 0
        cur.execute("SELECT max(version) FROM schema_version")
        row = cur.fetchone()
        return int(row[0]) if row is not None and row[0] is not None else 0

    def _open_schema(self, *, create: bool, target: int | None) -> None:
        """Bring the schema to ``target`` (default: the latest) by applying the migrations it
        lacks, in order; refuse a store newer than this vvp, or (without ``create``) an empty one."""
        latest = self.latest_version()
        goal = latest if target is None else target
        try:
            with self._tx(write=False) as cur:
                version = self._version(cur)
            if version > latest:
                raise StoreError(f"{self.url} has schema version {version}; this vvp knows up to {latest}",
                                 code=codes.STORE_SCHEMA_NEWER)
            if version == 0 and not create:
                raise StoreError(f"there is no record store at {self.url}", code=codes.STORE_UNAVAILABLE)
            if version >= goal:
                return
            with self._tx(write=True) as cur:
                self._migration_lock(cur)
                version = self._version(cur)  # again, under the lock: another process may have migrated
                if version > latest:
                    raise StoreError(f"{self.url} has schema version {version}; this vvp knows up to {latest}",
                                     code=codes.STORE_SCHEMA_NEWER)
                if version == 0:
                    cur.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL)")
                for m in self.migrations:
                    if version < m.version <= goal:
                        for stmt in m.statements:
                            cur.execute(stmt)
                        cur.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)",
                                    (m.version, m.description))
        except StoreError as ex:
            if ex.code in (codes.STORE_READ_FAILED, codes.STORE_WRITE_FAILED):
                self.close()
                raise StoreError(f"cannot open the record store: {ex.message}",
                                 code=codes.STORE_UNAVAILABLE) from None
            self.close()
            raise

    def schema_version(self) -> int:
        with self._tx(write=False) as cur:
            return self._version(cur)

    # -- dictionaries -----------------------------------------------------------------------

    def _dict(self, cur: Cursor, dict_id: int | None) -> bytes | None:
        if dict_id is None:
            return None
        got = self._dicts.get(dict_id)
        if got is not None:
            return got
        cur.execute("SELECT digest, data FROM dicts WHERE id = ?", (dict_id,))
        row = cur.fetchone()
        if row is None:
            raise StoreError(f"compression dictionary {dict_id} is missing", code=codes.STORE_CORRUPT)
        data = codec.decompress(bytes(row[1]), None, f"dictionary {dict_id}")
        if digest(data) != row[0]:
            raise StoreError(f"compression dictionary {dict_id} does not match its digest", code=codes.STORE_CORRUPT)
        self._dicts[dict_id] = data
        return data

    def _pack(self, cur: Cursor, dict_id: int, raw: bytes) -> bytes:
        """``raw`` compressed against dictionary ``dict_id`` (its primed compressor kept)."""
        zc = self._compressors.get(dict_id)
        if zc is None:
            zd = self._dict(cur, dict_id)
            assert zd is not None
            zc = self._compressors[dict_id] = codec.ZstdDictCompressor(zd)
        return zc.compress(raw)

    def _poor(self, packed: bytes, size: int) -> bool:
        return size >= DICT_MIN_BODY and len(packed) * DICT_RATIO > size

    def _body_in_tx(self, cur: Cursor, raw: bytes, dict_id: int | None, packed: bytes) -> tuple[int | None, bytes]:
        """``(dictionary, compressed body)`` for a row whose cheap guess, made outside the
        transaction against ``dict_id``, did poorly (or had no dictionary): the store's newest
        dictionary if it does well, else a new dictionary made of this body (at most one per
        :data:`DICT_MIN_GAP` records, or :data:`DICT_KIND_GAP` when the newest is a body of
        another kind), else the smaller of the guess and plain zlib."""
        cur.execute("SELECT id, made_at_seq FROM dicts ORDER BY id DESC LIMIT 1")
        row = cur.fetchone()
        newest = (int(row[0]), int(row[1])) if row is not None else None
        if newest is not None and newest[0] != dict_id:
            dict_id, packed = newest[0], self._pack(cur, newest[0], raw)
            if not self._poor(packed, len(raw)):
                return dict_id, packed
        cur.execute("SELECT max(seq) FROM records")
        row = cur.fetchone()
        seq = int(row[0]) if row is not None and row[0] is not None else 0
        other_kind = newest is not None and (self._dict(cur, newest[0]) or b"")[:1] != raw[:1]
        if newest is None or seq - newest[1] >= (DICT_KIND_GAP if other_kind else DICT_MIN_GAP):
            cur.execute("INSERT INTO dicts (digest, made_at_seq, data) VALUES (?, ?, ?) RETURNING id",
                        (digest(raw), seq, codec.compress(raw)))
            new_id = int(cur.fetchone()[0])
            self._dicts[new_id] = raw  # ids are never reused (AUTOINCREMENT, identity): safe to cache now
            return new_id, self._pack(cur, new_id, raw)
        plain = codec.compress(raw)
        if dict_id is None or len(plain) < len(packed):
            return None, plain
        return dict_id, packed

    # -- writing ----------------------------------------------------------------------------

    def put_many(self, records: Sequence[Record]) -> list[str]:
        if not records:
            return []
        with self._lock:
            parts = [codec.split(r, self._segments) for r in records]
            wanted: dict[str, bytes] = {}
            for p in parts:
                for k, v in (*p.blobs.items(), *p.segments.items()):
                    if k not in self._known_blobs:
                        wanted[k] = v
            new_blobs: dict[str, tuple[int, int, bytes]] = {}
            if wanted:
                try:
                    with self._tx(write=False) as cur:
                        have = {str(r[0]) for r in self._select_in(cur, "SELECT digest FROM blobs WHERE digest",
                                                                   sorted(wanted))}
                except StoreError as ex:
                    if ex.code != codes.STORE_READ_FAILED:
                        raise
                    raise StoreError(f"{ex.message} (nothing was stored)", code=codes.STORE_WRITE_FAILED) from None
                self._remember(have)
                for k, v in wanted.items():
                    if k not in have:
                        c, payload = codec.encode_blob(v)
                        new_blobs[k] = (len(v), c, payload)
            # compress against the newest dictionary this object knows, before the write transaction
            guess_id = self._latest_dict
            zc = self._compressors.get(guess_id) if guess_id is not None else None
            bodies = [zc.compress(p.body_parts) if zc is not None else b"" for p in parts]
            cur_dict = guess_id if zc is not None else None
            with self._tx(write=True) as cur:
                for k, (size, c, payload) in new_blobs.items():
                    cur.execute("INSERT INTO blobs (digest, size, codec, data) VALUES (?, ?, ?, ?) "
                                "ON CONFLICT (digest) DO NOTHING", (k, size, c, payload))
                for p, body in zip(parts, bodies):
                    if cur_dict is not None and (zc is None or cur_dict != guess_id):
                        body = self._pack(cur, cur_dict, p.body())  # the batch moved on to another dictionary
                    row_dict = cur_dict
                    if row_dict is None or self._poor(body, p.size):
                        row_dict, body = self._body_in_tx(cur, p.body(), row_dict, body)
                        if row_dict is not None:
                            cur_dict = row_dict
                    row_codec = codec.CODEC_ZSTD_DICT if row_dict is not None else codec.CODEC_ZLIB
                    cur.execute("INSERT INTO records (id, received_at, status, dict, codec, body) "
                                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                                (p.id, p.received_at, p.status, row_dict, row_codec, body))
                    if cur.rowcount != 1:
                        self._same_or_conflict(cur, p)
            # committed: what this transaction stored is now known to be stored
            self._remember(new_blobs)
            if cur_dict is not None and (self._latest_dict is None or cur_dict > self._latest_dict):
                self._latest_dict = cur_dict
            return [p.id for p in parts]

    def _remember(self, keys: Any) -> None:
        if len(self._known_blobs) > KNOWN_BLOBS_MAX:
            self._known_blobs.clear()
        self._known_blobs.update(keys)

    def _same_or_conflict(self, cur: Cursor, p: codec.Parts) -> None:
        """A record with this id is stored already: the same file (a no-op) or, since the id
        covers everything but the signature, another signature (``STORE_CONFLICT``)."""
        if self._read_file(cur, p.id) != p.record.to_bytes():
            raise StoreError(f"record {p.id} is already stored with another signature; not stored again",
                             code=codes.STORE_CONFLICT)

    def _read_file(self, cur: Cursor, record_id: str) -> bytes:
        """The record file of ``record_id``, reassembled and checked (:func:`codec.reassemble`)."""
        where = f"record {record_id}"
        cur.execute("SELECT dict, codec, body FROM records WHERE id = ?", (record_id,))
        row = cur.fetchone()
        if row is None:
            raise RecordNotFound(f"{self.url} holds no record {record_id}")
        zdict = self._dict(cur, int(row[0]) if row[0] is not None else None)
        body = codec.decode_body(int(row[1]), bytes(row[2]), zdict, where)
        kind, keys, rest = codec.body_blobs(body, where)
        if kind == "S":  # the content parts it names are kept like blobs
            keys = keys + codec.segment_refs(rest, where)
        rows = self._select_in(cur, "SELECT digest, size, codec, data FROM blobs WHERE digest", keys)
        blobs = {str(r[0]): codec.decode_blob(str(r[0]), int(r[1]), int(r[2]), bytes(r[3])) for r in rows}
        return codec.reassemble(body, blobs, record_id, self._members, where)

    # -- reading ----------------------------------------------------------------------------

    def get_bytes(self, record_id: str) -> bytes:
        rid = check_id(record_id)
        with self._lock, self._tx(write=False) as cur:
            return self._read_file(cur, rid)

    def has(self, record_id: str) -> bool:
        rid = check_id(record_id)
        with self._tx(write=False) as cur:
            cur.execute("SELECT 1 FROM records WHERE id = ?", (rid,))
            return cur.fetchone() is not None

    def entries(self, limit: int = 100, after: str | None = None) -> list[RecordEntry]:
        n = check_limit(limit)
        with self._tx(write=False) as cur:
            seq = 0
            if after is not None:
                cur.execute("SELECT seq FROM records WHERE id = ?", (check_id(after),))
                row = cur.fetchone()
                if row is None:
                    raise RecordNotFound(f"{self.url} holds no record {after} (the listing's 'after')")
                seq = int(row[0])
            cur.execute("SELECT id, received_at, status FROM records WHERE seq > ? ORDER BY seq LIMIT ?", (seq, n))
            return [RecordEntry(str(r[0]), str(r[1]), str(r[2])) for r in cur.fetchall()]

    def stats(self) -> StoreStats:
        with self._tx(write=False) as cur:
            out: list[int] = []
            for table, col in (("records", "body"), ("blobs", "data"), ("dicts", "data")):
                cur.execute(f"SELECT count(*), CAST(coalesce(sum(length({col})), 0) AS BIGINT) FROM {table}")
                row = cur.fetchone()
                out += [int(row[0]), int(row[1])]
        return StoreStats(records=out[0], blobs=out[2], bytes=out[1] + out[3] + out[5], record_bytes=out[1],
                          blob_bytes=out[3], dictionary_bytes=out[5])

    # -- replay detection -------------------------------------------------------------------

    def seen_passport(self, key: str, at: float, window_s: float) -> bool:
        """(See :meth:`RecordStore.seen_passport`.) Committed, atomically, but without waiting
        for the disk (SQLite ``synchronous=NORMAL``, PostgreSQL ``synchronous_commit`` off, for
        this transaction only): a front end asks this before every verification and stores the
        call's record durably before it answers, and that later durable commit goes through the
        same write-ahead log after this one, so it makes this one durable too. What a power
        loss can take is an entry for a call that was never answered. Waiting for the disk here
        as well cost a second sync per call (about 0.3 ms on the benchmark machine), holding
        the store's write lock, which the record writer then waited for."""
        k, t, w = check_replay_args(key, at, window_s)
        with self._tx(write=True, durable=False) as cur:
            cur.execute("DELETE FROM passports_seen WHERE at < ?", (t - w,))
            cur.execute("INSERT INTO passports_seen (key, at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                        "SET at = excluded.at WHERE passports_seen.at <= excluded.at - ?", (k, t, w))
            return cur.rowcount == 1

    # -- life cycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._close_connection()
