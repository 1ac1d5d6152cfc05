"""The SQLite record store (the default; Python's own ``sqlite3``, nothing to install).

Durability: the database runs in WAL mode with ``synchronous=FULL``, so every commit syncs the
write-ahead log before it returns: a record :meth:`put` acknowledged survives a process kill and
a power loss. (``synchronous=NORMAL`` would be faster, but in WAL mode it may lose the last
commits on a power loss: an acknowledged record could vanish, which the service must never do.)
Group commit (:meth:`put_many`) pays one sync for many records.

Several processes: the service's N workers open the same file; WAL lets readers run beside the
one writer, and a writer waits up to :data:`BUSY_TIMEOUT_S` for the write lock (``BEGIN
IMMEDIATE``: the lock is taken when the transaction starts, so two writers never deadlock on an
upgrade). Open the store in each process after any fork.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from vvp import codes
from vvp.store.base import StoreError
from vvp.store.sql import Cursor, Migration, SqlStore

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another process's write lock before ``STORE_WRITE_FAILED``."""
DB_NAME = "records.db"
"""The file a store folder holds."""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "records, evidence blobs kept once by digest, compression dictionaries", (
        "CREATE TABLE blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL, codec INTEGER NOT NULL, "
        "data BLOB NOT NULL) WITHOUT ROWID",
        "CREATE TABLE dicts (id INTEGER PRIMARY KEY AUTOINCREMENT, digest TEXT NOT NULL, "
        "made_at_seq INTEGER NOT NULL, data BLOB NOT NULL)",
        "CREATE TABLE records (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, received_at TEXT NOT NULL, "
        "status TEXT NOT NULL, dict INTEGER REFERENCES dicts (id), codec INTEGER NOT NULL, body BLOB NOT NULL)",
    )),
    Migration(2, "replay memory shared by worker processes", (
        "CREATE TABLE passports_seen (key TEXT PRIMARY KEY, at REAL NOT NULL)",
        "CREATE INDEX passports_seen_at ON passports_seen (at)",
    )),
)


def db_path(path: str | Path) -> Path:
    """The database file of a store path: the path itself, or ``records.db`` in it when it is a folder."""
    p = Path(path)
    return p / DB_NAME if p.is_dir() else p


class SqliteStore(SqlStore):
    """A record store in one SQLite file (see the module docstring).

    ``create=False`` refuses a path where no store exists yet (the read-only commands use it, so
    a typo does not make an empty store). ``schema_target`` stops the migrations at that version
    (for tests of the migrations; the default is the latest).
    """

    migrations = MIGRATIONS

    def __init__(self, path: str | Path, *, create: bool = True, schema_target: int | None = None) -> None:
        memory = str(path) == ":memory:"
        p = Path(":memory:") if memory else db_path(path)
        super().__init__(f"sqlite:///{p}")
        self.path = p
        self._relaxed = False  # synchronous=NORMAL is in force for the current transaction
        if not memory and not create and not p.exists():
            raise StoreError(f"there is no record store at {p}", code=codes.STORE_UNAVAILABLE)
        try:
            self._conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as ex:
            raise StoreError(f"cannot open the SQLite store {p}: {ex}", code=codes.STORE_UNAVAILABLE) from None
        try:
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()
            self._conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as ex:
            self._conn.close()
            raise StoreError(f"cannot open the SQLite store {p}: {ex}", code=codes.STORE_UNAVAILABLE) from None
        if not memory and (mode is None or str(mode[0]).lower() != "wal"):
            self._conn.close()
            raise StoreError(f"the SQLite store {p} cannot use WAL mode (journal mode {mode!r})",
                             code=codes.STORE_UNAVAILABLE)
        self._open_schema(create=create, target=schema_target)

    def _begin(self, write: bool, durable: bool = True) -> Cursor:
        if not durable:
            # WAL mode, synchronous=NORMAL: committed and consistent, the log synced by the next
            # FULL commit (or checkpoint) of any connection; set outside the transaction, as
            # SQLite reads it, and put back by _commit / _rollback.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._relaxed = True
        self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        return self._conn.cursor()

    def _commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
        finally:
            self._restore_sync()

    def _restore_sync(self) -> None:
        if self._relaxed:
            self._relaxed = False
            self._conn.execute("PRAGMA synchronous=FULL")

    def _rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite may have rolled back already (after SQLITE_FULL or an I/O error)
        try:
            self._restore_sync()
        except sqlite3.Error:
            self._relaxed = True  # tried again after the next transaction

    def _is_db_error(self, ex: BaseException) -> bool:
        return isinstance(ex, sqlite3.Error)

    def _classify(self, ex: BaseException, write: bool) -> tuple[str, str]:
        primary = int(getattr(ex, "sqlite_errorcode", 0)) & 0xFF
        if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return codes.STORE_CORRUPT, f"the SQLite file is damaged: {ex}"
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            if write:
                return (codes.STORE_WRITE_FAILED,
                        f"the store stayed locked by another process for {BUSY_TIMEOUT_S:g} s; nothing was written")
            return codes.STORE_READ_FAILED, f"the store stayed locked by another process for {BUSY_TIMEOUT_S:g} s"
        if write:
            return codes.STORE_WRITE_FAILED, f"the write failed and nothing of it was stored: {ex}"
        return codes.STORE_READ_FAILED, f"the read failed: {ex}"

    def _tables(self, cur: Cursor) -> set[str]:
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        return {str(r[0]) for r in cur.fetchall()}

    def _close_connection(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass

    def pragma(self, name: str) -> Any:
        """A PRAGMA's value (for tests and diagnostics: ``journal_mode``, ``synchronous``)."""
        if not name.isidentifier():
            raise StoreError(f"{name!r} is not a pragma name", code=codes.STORE_BAD_ARGUMENT)
        with self._lock:
            row = self._conn.execute(f"PRAGMA {name}").fetchone()
        return row[0] if row is not None else None
