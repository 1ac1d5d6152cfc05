"""V-07: dossier validation cached by SAID, with the evidence each entry was built from (§2.1)."""

from __future__ import annotations

import datetime as _dt
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vvp._keri import dossier_ingest as _ing
from vvp._keri.verified import VerifiedKels
from vvp.dossier.graph import DossierResult, _missing_targets, stream_digest, unwrap
from vvp.lru import Lru
from vvp.fetch import EvidenceKind, Fetched, Fetcher, FetchEvent, evidence_mark, evidence_since, note_cached


class DossierCache:
    """Dossier validation cached by SAID (V-07), safe for one process.

    * fetched dossier bytes by citation URL, reused for ``revocation_freshness_s`` (a monotonic
      clock: fetch times are durations, not dates), so a second call citing the same SAID does
      not refetch while its revocation status is fresh enough;
    * ingests (keri's work) by the digest of every stream they were made from;
    * results by (stream digest, policy, reference-time interval): a result changes with the
      reference time only where an issuance or revocation time falls, so every reference time
      between two such instants shares one result;
    * ``known``: the key events keri accepted in this process's ingests
      (:class:`vvp._keri.verified.VerifiedKels`, shared with the verifier's other caches), so that a
      *new* dossier does not have keri verify again the KELs it shares with earlier ones. Each
      ingest is still judged on its own streams alone (the result is the same without it).

    ``monotonic`` is the clock freshness is measured on (``time.monotonic``; tests inject one to
    step past ``revocation_freshness_s`` without sleeping).
    """

    def __init__(self, max_entries: int = 256, *, monotonic: Callable[[], float] = time.monotonic,
                 known: VerifiedKels | None = None) -> None:
        self.max_entries = max_entries
        self.known = known if known is not None else VerifiedKels()
        lru = functools.partial(Lru, max_entries, monotonic=monotonic)
        self._fetched: Lru[tuple[Fetched, tuple[FetchEvent, ...]]] = lru()
        self._ingests: Lru[_ing.Ingest] = lru()
        self._results: Lru[DossierResult] = lru()
        self._unwrapped: Lru[tuple[bytes, tuple[bytes | None, str]]] = lru()
        self._bounds: Lru[list[_dt.datetime]] = lru()
        self._digests: Lru[tuple[tuple[bytes, ...], str]] = lru()
        self._missing: Lru[frozenset[str]] = lru()
        self._prepared: Lru[_Prepared] = lru()
        self.fetches = 0
        self.ingest_runs = 0
        self.evaluations = 0

    def fetch(self, url: str, fetcher: Fetcher, freshness_s: float) -> Fetched:
        hit = self._fetched.get(url, max_age=freshness_s)
        if hit is not None:
            note_cached(fetcher, hit[1])  # the call's record still holds the dossier's bytes
            return hit[0]
        mark = evidence_mark(fetcher)
        got = fetcher.fetch(url, EvidenceKind.DOSSIER)
        self.fetches += 1
        self._fetched.put(url, (got, evidence_since(fetcher, mark)))
        return got

    def entry(self, url: str, freshness_s: float) -> tuple[Fetched, tuple[FetchEvent, ...]] | None:
        """The fetched bytes behind ``url`` with their fetch events, while fresh, else None; a
        new fetch makes a new entry object (what is kept above this cache is checked by it)."""
        return self._fetched.get(url, max_age=freshness_s)

    def prepared(self, data: bytes, expected: str | None) -> _Prepared | None:
        """What was derived from ``data`` (the very object) citing ``expected`` before judging."""
        prep = self._prepared.get((id(data), expected))
        return prep if prep is not None and prep.data is data else None

    def ingest(self, streams: Sequence[bytes], digest: str | None = None) -> _ing.Ingest:
        key = digest or stream_digest(streams)
        hit = self._ingests.get(key)
        if hit is not None:
            return hit
        got = _ing.ingest(streams, known=self.known, source=f"dossier streams {key}")
        self.ingest_runs += 1
        self._ingests.put(key, got)
        return got

    def unwrap(self, data: bytes) -> tuple[bytes | None, str]:
        """:func:`unwrap`, remembered for the very bytes object a cached fetch hands back (its
        JSON probe reads a whole wrapper or the first message of a stream on every call
        otherwise). Handing back the same stream object also lets :meth:`digest` hit. The entry
        holds ``data``, so its id cannot be reused while it lives."""
        hit = self._unwrapped.get(id(data))
        if hit is not None and hit[0] is data:
            return hit[1]
        got = unwrap(data)
        self._unwrapped.put(id(data), (data, got))
        return got

    def digest(self, streams: Sequence[bytes]) -> str:
        """:func:`stream_digest`, remembered for the very bytes objects a cached fetch hands back:
        hashing a 100 KB dossier again on every warm call would cost more than all its lookups.
        The entry holds the objects, so their ids cannot be reused while it lives."""
        key = tuple(id(s) for s in streams)
        hit = self._digests.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], streams, strict=True)):
            return hit[1]
        dg = stream_digest(streams)
        self._digests.put(key, (tuple(streams), dg))
        return dg

    def missing_targets(self, digest: str, root: str | None, ing: _ing.Ingest) -> frozenset[str]:
        """Edge targets the ingest ``digest`` lacks, reachable from ``root`` (a function of the
        ingest alone, so computed once per ingest and root)."""
        hit = self._missing.get((digest, root))
        if hit is None:
            hit = frozenset(_missing_targets(ing, root))
            self._missing.put((digest, root), hit)
        return hit

    def boundaries(self, digest: str, make: Callable[[], list[_dt.datetime]]) -> list[_dt.datetime]:
        """The instants where a result of the ingest ``digest`` can change (``make()`` once per ingest)."""
        hit = self._bounds.get(digest)
        if hit is None:
            hit = make()
            self._bounds.put(digest, hit)
        return hit


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What :func:`vvp.dossier.checks._verify_stream` derived from one fetched bytes object and cited SAID before
    judging: the ingest and its digest, the root, and the instants where results change. All of
    it is a function of those bytes alone when no edge target is missing from them (nothing is
    fetched beside them, whatever the fetcher), so the warm path skips straight to the result
    lookup. Holds ``data``, so the id it is filed under cannot be reused while it lives."""

    data: bytes
    digest: str
    ing: _ing.Ingest
    root: str | None
    candidates: tuple[str, ...]
    bounds: Sequence[_dt.datetime]
