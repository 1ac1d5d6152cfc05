"""The PostgreSQL record store (``psycopg`` 3; install with ``pip install 'vvp[pg]'``).

The same tables and statements as the SQLite store (:mod:`vvp.store.sql`), in PostgreSQL types.
Durability: each session sets ``synchronous_commit = on``, so a commit returns only once the
server has flushed its WAL, whatever the server's default; a record is acknowledged only after
its commit returns. Migrations run under a transaction-scoped advisory lock, so several
processes opening a new store at once migrate it once.

A lost connection makes the current call fail (``STORE_WRITE_FAILED`` / ``STORE_READ_FAILED``:
if the connection died during the commit, the record may or may not be stored, but it was not
acknowledged; storing it again is harmless) and the next call connects again.

Listing order under concurrent writers: ``seq`` values are handed out when rows are inserted, not
when they commit, so a page taken while other processes write may miss a row that commits later
with a smaller ``seq``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg
import psycopg.conninfo

from vvp import codes
from vvp.store.base import StoreError, StoreUrlInvalid
from vvp.store.sql import MIGRATION_LOCK_KEY, Cursor, Migration, SqlStore

CONNECT_TIMEOUT_S = 10
"""How long to wait for the server when connecting (unless the URL says ``connect_timeout``)."""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "records, evidence blobs kept once by digest, compression dictionaries", (
        "CREATE TABLE blobs (digest TEXT PRIMARY KEY, size BIGINT NOT NULL, codec SMALLINT NOT NULL, "
        "data BYTEA NOT NULL)",
        # already compressed: spare TOAST its own futile compression attempt
        "ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL",
        "CREATE TABLE dicts (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, digest TEXT NOT NULL, "
        "made_at_seq BIGINT NOT NULL, data BYTEA NOT NULL)",
        "CREATE TABLE records (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
        "received_at TEXT NOT NULL, status TEXT NOT NULL, dict BIGINT REFERENCES dicts (id), "
        "codec SMALLINT NOT NULL, body BYTEA NOT NULL)",
        "ALTER TABLE records ALTER COLUMN body SET STORAGE EXTERNAL",
    )),
    Migration(2, "replay memory shared by worker processes", (
        "CREATE TABLE passports_seen (key TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX passports_seen_at ON passports_seen (at)",
    )),
)

_PASSWORD_IN_URL = re.compile(r"(://[^:/@?#]*):[^@/?#]*@")
_PASSWORD_PARAM = re.compile(r"(password=)[^&\s]*", re.IGNORECASE)


def redact(url: str) -> str:
    """The URL with any password masked (it goes into messages and logs)."""
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1:***@", url))


def _one_line(ex: BaseException) -> str:
    """libpq's messages span lines; a store error is one line."""
    return " ".join(str(ex).split()) or type(ex).__name__


def check_url(url: str) -> dict[str, Any]:
    """The URL's connection parameters, or ``STORE_URL_INVALID`` when libpq cannot parse it."""
    try:
        return dict(psycopg.conninfo.conninfo_to_dict(url))
    except psycopg.Error as ex:
        raise StoreUrlInvalid(f"{redact(url)} is not a PostgreSQL connection URL: {ex}") from None


class _PgCursor:
    """A psycopg cursor that takes the store's ``?`` placeholders."""

    _sql: dict[str, str] = {}

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        q = self._sql.get(sql)
        if q is None:
            q = self._sql[sql] = sql.replace("?", "%s")
        return self._cur.execute(q, params)

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cur.fetchall())


class PostgresStore(SqlStore):
    """A record store in a PostgreSQL database (see the module docstring); ``create`` and
    ``schema_target`` as for :class:`~vvp.store.sqlite.SqliteStore`."""

    migrations = MIGRATIONS

    def __init__(self, url: str, *, create: bool = True, schema_target: int | None = None) -> None:
        super().__init__(redact(url))
        params = check_url(url)
        self._conninfo = url
        self._connect_kwargs: dict[str, Any] = {} if "connect_timeout" in params else {
            "connect_timeout": CONNECT_TIMEOUT_S}
        self._conn = self._connect()
        self._open_schema(create=create, target=schema_target)

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._conninfo, autocommit=False, **self._connect_kwargs)
        except psycopg.Error as ex:
            raise StoreError(f"cannot reach the PostgreSQL store {self.url}: {_one_line(ex)}",
                             code=codes.STORE_UNAVAILABLE) from None
        try:
            conn.execute("SET synchronous_commit TO on")
            conn.commit()
        except psycopg.Error as ex:
            conn.close()
            raise StoreError(f"cannot set up the PostgreSQL session {self.url}: {_one_line(ex)}",
                             code=codes.STORE_UNAVAILABLE) from None
        return conn

    def _begin(self, write: bool, durable: bool = True) -> Cursor:
        if self._conn.closed or self._conn.broken:
            self._conn = self._connect()
        cur = _PgCursor(self._conn.cursor())
        if not durable:  # this transaction only: the session stays synchronous_commit on
            cur.execute("SET LOCAL synchronous_commit TO off")
        return cur

    def _commit(self) -> None:
        self._conn.commit()

    def _rollback(self) -> None:
        try:
            if not self._conn.closed:
                self._conn.rollback()
        except psycopg.Error:
            pass  # a broken connection: the server rolls back on its own

    def _is_db_error(self, ex: BaseException) -> bool:
        return isinstance(ex, psycopg.Error)

    def _classify(self, ex: BaseException, write: bool) -> tuple[str, str]:
        text = _one_line(ex)
        if isinstance(ex, psycopg.errors.DataCorrupted):
            return codes.STORE_CORRUPT, f"the server reports damaged data: {text}"
        if write:
            return codes.STORE_WRITE_FAILED, f"the write failed and was not acknowledged: {text}"
        return codes.STORE_READ_FAILED, f"the read failed: {text}"

    def _tables(self, cur: Cursor) -> set[str]:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                    "AND table_type = 'BASE TABLE'")
        return {str(r[0]) for r in cur.fetchall()}

    def _migration_lock(self, cur: Cursor) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))

    def _select_in(self, cur: Cursor, sql: str, keys: Sequence[str]) -> list[Any]:
        if not keys:
            return []
        cur.execute(f"{sql} = ANY(?)", (list(keys),))
        return cur.fetchall()

    def _close_connection(self) -> None:
        try:
            self._conn.close()
        except psycopg.Error:
            pass
