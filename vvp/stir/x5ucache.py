"""A cache of x5u certificate chains and STI CRLs, keyed by URL, with time passed in.

Every SHAKEN call names an x5u, and a provider signs millions of calls with one certificate, so
fetching and parsing it per call would cost far more than the ES256 verify itself. The cache keeps:

* per x5u URL: the bytes as fetched (they go into the forensic record even when served from the
  cache), the parsed certificates, and the time they were stored; an entry serves reference times
  before ``stored_at + x5u_cache_s``. Earlier reference times are served too: evidence fetched
  later is fresh for any earlier reference time (architecture §2), which is what lets a batch over
  old call logs fetch each certificate once.
* per (x5u URL, anchors): a path that validated, with the window in which all its certificates
  are valid, so a warm call skips path building. Path validation depends on the time only
  through the validity periods, so reusing it inside that window gives the same answer.
* per CRL URL: the bytes, the parsed CRL, and the signer it was verified with; an entry serves
  reference times before the earlier of ``stored_at + crl_cache_s`` and the CRL's nextUpdate.

Nothing here reads a clock: callers pass the reference time. Entries are bounded (least recently
used first out) and the cache is safe to share between threads.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Final, TypeVar

from cryptography import x509

from vvp.lru import Lru
from vvp.fetch import FetchEvent, Fetched

DEFAULT_MAX_ENTRIES: Final = 4096

_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class X5uEntry:
    fetched: Fetched
    certs: tuple[x509.Certificate, ...]
    stored_at: _dt.datetime
    events: tuple[FetchEvent, ...] = ()  # what it was built from, for the records of calls it serves


@dataclass(frozen=True, slots=True)
class PathEntry:
    chain: tuple[x509.Certificate, ...]
    valid_from: _dt.datetime
    valid_until: _dt.datetime


@dataclass(frozen=True, slots=True)
class CrlEntry:
    fetched: Fetched
    crl: x509.CertificateRevocationList
    stored_at: _dt.datetime
    signers_key: tuple[x509.Certificate, ...]  # the signer set it was judged against
    signer: x509.Certificate | None
    events: tuple[FetchEvent, ...] = ()  # what it was built from, for the records of calls it serves


class ShakenCache:
    """x5u chains, validated paths and CRLs (module docstring)."""

    def __init__(self, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._x5u: Lru[X5uEntry] = Lru(max_entries)
        self._paths: Lru[PathEntry] = Lru(max_entries)
        self._crls: Lru[CrlEntry] = Lru(max_entries)

    # x5u -------------------------------------------------------------------------------------
    def x5u(self, url: str, at: _dt.datetime, ttl_s: int) -> X5uEntry | None:
        e = self._x5u.get(url)
        if e is None:
            return None
        if at >= e.stored_at + _dt.timedelta(seconds=ttl_s):
            self._x5u.drop(url)
            return None
        return e

    def put_x5u(self, url: str, entry: X5uEntry) -> None:
        self._x5u.put(url, entry)

    # validated paths -------------------------------------------------------------------------
    def path(self, key: Hashable, at: _dt.datetime) -> PathEntry | None:
        e = self._paths.get(key)
        if e is None or not e.valid_from <= at <= e.valid_until:
            return None
        return e

    def put_path(self, key: Hashable, entry: PathEntry) -> None:
        self._paths.put(key, entry)

    # CRLs ------------------------------------------------------------------------------------
    def crl(self, url: str, at: _dt.datetime, ttl_s: int) -> CrlEntry | None:
        e = self._crls.get(url)
        if e is None:
            return None
        nxt = e.crl.next_update_utc
        if at >= e.stored_at + _dt.timedelta(seconds=ttl_s) or (nxt is not None and at >= nxt):
            self._crls.drop(url)
            return None
        return e

    def put_crl(self, url: str, entry: CrlEntry) -> None:
        self._crls.put(url, entry)

    def sizes(self) -> dict[str, int]:
        """Entry counts (for metrics)."""
        return {"x5u": len(self._x5u), "paths": len(self._paths), "crls": len(self._crls)}
