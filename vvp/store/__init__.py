"""Record stores (architecture §4.4): where records live, evidence blobs kept once by digest.

:func:`open_store` takes a ``--store`` URL (``sqlite:///PATH``, ``postgresql://…`` or a path) and
returns a :class:`RecordStore`: SQLite (:mod:`vvp.store.sqlite`, the default) or PostgreSQL
(:mod:`vvp.store.postgres`). How records are taken apart and reassembled byte for byte is in
:mod:`vvp.store.codec`; the tables and the statements both databases share in :mod:`vvp.store.sql`.
"""

from vvp.store.base import (
    RecordEntry,
    RecordNotFound,
    RecordStore,
    StoreError,
    StoreStats,
    StoreUrlInvalid,
)
from vvp.store.url import StoreLocation, open_store, parse_store_url

__all__ = ["RecordEntry", "RecordNotFound", "RecordStore", "StoreError", "StoreLocation", "StoreStats",
           "StoreUrlInvalid", "open_store", "parse_store_url"]
