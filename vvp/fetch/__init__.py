"""Fetching evidence: the only code in vvp that opens a client connection.

One interface, :class:`Fetcher`: ``fetch(url, kind) -> Fetched`` or a :class:`~vvp.errors.FetchError`
with a stable code. Implementations:

Modules: :mod:`~vvp.fetch.base` (kinds, results, limits), :mod:`~vvp.fetch.http` (the only code
that opens a connection), :mod:`~vvp.fetch.local` (map, offline, memory, recording).

* :class:`HttpFetcher`: http/https with a total deadline, a byte cap, a redirect cap that re-checks
  every hop, the content types of architecture §6 per kind of evidence, and refusal of loopback,
  private, link-local, unspecified, IPv4-mapped and numeric-disguised hosts unless
  ``allow_private_addresses``. The host name is resolved once, every address it resolves to is
  checked, and the TCP connection goes to the checked address (TLS still verifies the name), so a
  DNS answer that changes between check and connect (rebinding) cannot redirect the request.
* :class:`MapFetcher`: ``--evidence MAP`` (exact URL or ``said:<SAID>`` → local file), falling back
  to another fetcher for unmapped URLs; mapped bytes pass the same size cap and type check.
* :class:`OfflineFetcher`: refuses everything (``--offline`` behind a map).
* :class:`MemoryFetcher`: serves bytes held in memory (tests; replay of a record).
* :class:`RecordingFetcher`: wraps any fetcher and keeps every byte it served and every failure,
  in order, for the forensic record.
"""


from vvp.fetch.base import CONTENT_TYPES as CONTENT_TYPES
from vvp.fetch.base import EvidenceKind as EvidenceKind
from vvp.fetch.base import Fetched as Fetched
from vvp.fetch.base import FetchEvent as FetchEvent
from vvp.fetch.base import Fetcher as Fetcher
from vvp.fetch.base import FetchFailure as FetchFailure
from vvp.fetch.base import FetchLimits as FetchLimits
from vvp.fetch.base import check_content_type as check_content_type
from vvp.fetch.base import media_type as media_type
from vvp.fetch.http import HttpFetcher as HttpFetcher
from vvp.fetch.http import check_address as check_address
from vvp.fetch.http import system_resolver as system_resolver
from vvp.fetch.local import MapEntry as MapEntry
from vvp.fetch.local import MapFetcher as MapFetcher
from vvp.fetch.local import MemoryFetcher as MemoryFetcher
from vvp.fetch.local import OfflineFetcher as OfflineFetcher
from vvp.fetch.local import RecordingFetcher as RecordingFetcher
from vvp.fetch.local import build_fetcher as build_fetcher
from vvp.fetch.local import parse_map as parse_map
from vvp.fetch.local import evidence_mark as evidence_mark
from vvp.fetch.local import evidence_since as evidence_since
from vvp.fetch.local import note_cached as note_cached
