"""Fetchers for tests."""

from __future__ import annotations

from vvp.fetch import EvidenceKind, Fetched, Fetcher


class CountingFetcher:
    """Counts every fetch, by URL, in order (caches must not fetch within their freshness)."""

    def __init__(self, inner: Fetcher) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        self.calls.append(url)
        return self.inner.fetch(url, kind)
