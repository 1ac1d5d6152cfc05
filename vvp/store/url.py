"""``--store URL``: which store a URL names (architecture §4.1).

* ``sqlite:///PATH``: an SQLite store; PATH is everything after the three slashes, so
  ``sqlite:///records.db`` is relative and ``sqlite:////var/lib/vvp/records.db`` absolute (the
  SQLAlchemy convention). ``sqlite:///:memory:`` is a private in-memory store (tests).
* ``postgresql://…`` (or ``postgres://…``): a PostgreSQL store, any libpq connection URL
  (``postgresql:///vvp?host=/run/postgresql`` for a Unix socket).
* anything else without a ``scheme://``: a plain path, an SQLite file or a folder holding
  ``records.db``.

A URL of any other form is ``STORE_URL_INVALID`` (a usage error, exit 2), found before anything is
opened or created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from vvp import codes
from vvp.store.base import RecordStore, StoreError, StoreUrlInvalid

_SCHEME = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """What a store URL names: ``kind`` is ``"sqlite"`` (``target`` a path) or ``"postgresql"``
    (``target`` the URL)."""

    kind: str
    target: str


def parse_store_url(url: str | Path) -> StoreLocation:
    if isinstance(url, Path):
        return StoreLocation("sqlite", str(url))
    if not url.strip():
        raise StoreUrlInvalid("the store URL is empty (sqlite:///PATH, postgresql://..., or a path)")
    if "\x00" in url:
        raise StoreUrlInvalid("the store URL holds a NUL character")
    m = _SCHEME.match(url)
    scheme = m.group(1).lower() if m else ""
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or len(url) == len("sqlite:///"):
            raise StoreUrlInvalid(f"{url!r}: an SQLite store URL is sqlite:///PATH "
                                  "(sqlite:///rel/path or sqlite:////abs/path)")
        path = url[len("sqlite:///"):]
        if "?" in path or "#" in path:
            raise StoreUrlInvalid(f"{url!r}: an SQLite store URL takes no query or fragment")
        return StoreLocation("sqlite", path)
    if scheme in ("postgresql", "postgres"):
        if not url.lower().startswith(f"{scheme}://"):
            raise StoreUrlInvalid(f"{url[:80]!r}: a PostgreSQL store URL is postgresql://[user@]host[:port]/dbname")
        return StoreLocation("postgresql", url)
    if m and url[m.end():].startswith("//"):
        raise StoreUrlInvalid(f"{url[:80]!r}: unknown store scheme {scheme!r} (sqlite:///PATH, postgresql://..., "
                              "or a path)")
    return StoreLocation("sqlite", url)


def open_store(url: str | Path, *, create: bool = True) -> RecordStore:
    """Open (and, with ``create``, make or migrate) the store ``url`` names. Errors are coded:
    ``STORE_URL_INVALID``, ``STORE_UNAVAILABLE``, ``STORE_DRIVER_MISSING``, ``STORE_SCHEMA_NEWER``."""
    loc = parse_store_url(url)
    if loc.kind == "sqlite":
        from vvp.store.sqlite import SqliteStore

        return SqliteStore(loc.target, create=create)
    try:
        from vvp.store.postgres import PostgresStore
    except ImportError as ex:
        raise StoreError(f"the PostgreSQL store needs psycopg 3 (pip install 'vvp[pg]'): {ex}",
                         code=codes.STORE_DRIVER_MISSING) from None
    return PostgresStore(loc.target, create=create)
