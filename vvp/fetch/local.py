"""Fetchers that never open a connection themselves: offline, evidence maps, memory, recording."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vvp import codes, strictjson
from vvp.clock import Clock
from vvp.errors import ConfigError, FetchError, InputUnreadable


from vvp.fetch.base import (
    CONTENT_TYPES,
    EvidenceKind,
    Fetched,
    FetchEvent,
    Fetcher,
    FetchFailure,
    FetchLimits,
    check_content_type,
)
from vvp.fetch.http import HttpFetcher
from vvp.files import read_input

MAX_MAP_BYTES = 16 * 1024 * 1024
"""The evidence map's own JSON (each mapped file has the fetch size limit)."""


class OfflineFetcher:
    """Refuses every URL: nothing is fetched that the evidence map does not provide."""

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        raise FetchError(f"{url}: offline and not in the evidence map", code=codes.FETCH_OFFLINE, url=url)


@dataclass(frozen=True, slots=True)
class MapEntry:
    path: Path
    content_type: str | None = None


_EXT_TYPES = {".cesr": "application/cesr", ".json": "application/json", ".pem": "application/x-pem-file",
              ".crt": "application/pkix-cert", ".cer": "application/pkix-cert", ".der": "application/pkix-cert",
              ".crl": "application/pkix-crl"}


class MapFetcher:
    """``--evidence MAP``: exact URL strings (or ``said:<SAID>``) to local files.

    Mapped URLs are never fetched; anything else goes to ``fallback`` (an :class:`OfflineFetcher`
    under ``--offline``). A map entry without a content type gets one from its file extension when
    that fits the kind of evidence, else the kind's first type: the map is the user's own statement
    of what the bytes are.
    """

    def __init__(self, entries: Mapping[str, MapEntry], fallback: Fetcher, *, max_bytes: int = 4194304) -> None:
        self.entries = dict(entries)
        self.fallback = fallback
        self.max_bytes = max_bytes

    @classmethod
    def load(cls, path: str | Path, fallback: Fetcher, *, max_bytes: int = 4194304) -> MapFetcher:
        """Read ``--evidence MAP``: a regular file of at most :data:`MAX_MAP_BYTES`, strict JSON
        (a repeated key, NaN or nesting deeper than the strict parser's limit is refused)."""
        p = Path(path)
        try:
            text = read_input(p, max_bytes=MAX_MAP_BYTES, what="evidence map").decode("utf-8")
        except InputUnreadable as ex:
            keep = ex.code in (codes.INPUT_NOT_REGULAR_FILE, codes.INPUT_TOO_LARGE)
            raise ConfigError(ex.message, code=ex.code if keep else codes.MAP_UNREADABLE) from None
        except UnicodeDecodeError as ex:
            raise ConfigError(f"evidence map {p} is not UTF-8: {ex}", code=codes.MAP_INVALID) from None
        try:
            data = strictjson.loads(text)
        except strictjson.DepthError as ex:
            raise ConfigError(f"evidence map {p}: {ex}", code=codes.INPUT_TOO_DEEP) from None
        except ValueError as ex:  # not JSON, a repeated key, NaN
            raise ConfigError(f"evidence map {p} is not JSON: {ex}", code=codes.MAP_INVALID) from None
        return cls(parse_map(data, p.resolve().parent), fallback, max_bytes=max_bytes)

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        entry = self.entries.get(url)
        if entry is None:
            if url.startswith("said:"):
                raise FetchError(f"{url}: not in the evidence map", code=codes.FETCH_OFFLINE, url=url)
            return self.fallback.fetch(url, kind)
        try:  # a regular file within the fetch size limit: mapped bytes pass the limits fetched ones do
            body = read_input(entry.path, max_bytes=self.max_bytes, what="mapped file")
        except InputUnreadable as ex:
            code = {codes.INPUT_TOO_LARGE: codes.FETCH_TOO_LARGE,
                    codes.INPUT_NOT_REGULAR_FILE: codes.INPUT_NOT_REGULAR_FILE}.get(ex.code, codes.MAP_FILE_MISSING)
            raise FetchError(f"{url}: {ex.message}", code=code, url=url) from None
        ctype = entry.content_type
        if ctype is None:
            guess = _EXT_TYPES.get(entry.path.suffix.lower())
            ctype = guess if guess in CONTENT_TYPES[kind] else CONTENT_TYPES[kind][0]
        check_content_type(url, ctype, kind)
        return Fetched(url=url, final_url=url, content_type=ctype, body=body, source="map")


def parse_map(data: Any, base: Path) -> dict[str, MapEntry]:
    if not isinstance(data, dict):
        raise ConfigError("evidence map must be a JSON object", code=codes.MAP_INVALID)
    out: dict[str, MapEntry] = {}
    for key, val in data.items():
        if isinstance(val, str):
            path, ctype = val, None
        elif isinstance(val, dict) and set(val) <= {"path", "content_type"} and isinstance(val.get("path"), str) \
                and isinstance(val.get("content_type", ""), str):
            path, ctype = val["path"], val.get("content_type")
        else:
            raise ConfigError(f"evidence map entry {key!r} must be a path or {{path, content_type}}",
                              code=codes.MAP_INVALID)
        p = Path(path)
        out[key] = MapEntry(p if p.is_absolute() else base / p, ctype)
    return out


class MemoryFetcher:
    """Serves ``url -> (content_type, body)`` from memory; anything else fails with ``missing_code``."""

    def __init__(self, items: Mapping[str, tuple[str, bytes]], *, missing_code: str = codes.FETCH_OFFLINE,
                 source: str = "memory", failures: Mapping[str, FetchFailure] | None = None) -> None:
        self.items = dict(items)
        self.missing_code = missing_code
        self.source = source
        self.failures = dict(failures or {})

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        if url in self.failures:
            f = self.failures[url]
            raise FetchError(f.message, code=f.code, url=url)
        if url not in self.items:
            raise FetchError(f"{url}: not available", code=self.missing_code, url=url)
        ctype, body = self.items[url]
        check_content_type(url, ctype, kind)
        return Fetched(url=url, final_url=url, content_type=ctype, body=body, source=self.source)


class RecordingFetcher:
    """Wraps a fetcher and keeps every byte served and every failure, in order, with the time each
    ended when given a clock: what a forensic record stores (the front end passes the clock; only
    it decides to use the wall clock). A plain class with slots: one is made per call."""

    __slots__ = ("inner", "clock", "events")

    def __init__(self, inner: Fetcher, clock: Clock | None = None, events: list[FetchEvent] | None = None) -> None:
        self.inner = inner
        self.clock = clock
        self.events: list[FetchEvent] = [] if events is None else events

    def __repr__(self) -> str:
        return f"RecordingFetcher({self.inner!r}, events={len(self.events)})"

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        try:
            got = self.inner.fetch(url, kind)
        except FetchError as ex:
            self.events.append(FetchEvent(url, kind, self._now(), failure=FetchFailure(url, ex.code, ex.message)))
            raise
        self.events.append(FetchEvent(url, kind, self._now(), fetched=got))
        return got

    def _now(self) -> _dt.datetime | None:
        return self.clock.now() if self.clock is not None else None

    def mark(self) -> int:
        """A position in :attr:`events`: what a cache builds from is ``since(mark)``."""
        return len(self.events)

    def since(self, mark: int) -> tuple[FetchEvent, ...]:
        """The events since ``mark`` as a cache keeps them: marked ``source: "cache"`` (once,
        here, so that serving them again on every warm call is a plain list extend)."""
        return tuple(as_cached(ev) for ev in self.events[mark:])

    def cached(self, events: Iterable[FetchEvent]) -> None:
        """Evidence a cache answered with instead of fetching (architecture §2.1): the bytes the
        verdict relies on, with their original fetch time, marked ``source: "cache"``, so the
        record of a warm call holds every byte a cold one would."""
        self.events.extend(events)


def as_cached(ev: FetchEvent) -> FetchEvent:
    """``ev`` as served from a cache: the same bytes and original time, ``source: "cache"``."""
    if ev.fetched is None or ev.fetched.source == "cache":
        return ev
    return replace(ev, fetched=replace(ev.fetched, source="cache"))


def evidence_mark(fetcher: Fetcher) -> int | None:
    """Where a cache starts capturing the evidence it is built from (None: nothing records)."""
    return fetcher.mark() if isinstance(fetcher, RecordingFetcher) else None


def evidence_since(fetcher: Fetcher, mark: int | None) -> tuple[FetchEvent, ...]:
    """The fetch events since ``mark`` (a cache entry keeps them with what it built)."""
    return fetcher.since(mark) if mark is not None and isinstance(fetcher, RecordingFetcher) else ()


def note_cached(fetcher: Fetcher, events: Iterable[FetchEvent]) -> None:
    """Hand a cache entry's evidence to the call's recorder, when the call is recorded."""
    if isinstance(fetcher, RecordingFetcher):
        fetcher.cached(events)


def build_fetcher(*, limits: FetchLimits, evidence_map: str | Path | None = None, offline: bool = False) -> Fetcher:
    """The fetcher the CLI options describe: map first, then HTTP (or nothing when offline)."""
    base: Fetcher = OfflineFetcher() if offline else HttpFetcher(limits)
    if evidence_map is None:
        return base
    return MapFetcher.load(evidence_map, base, max_bytes=limits.max_bytes)

