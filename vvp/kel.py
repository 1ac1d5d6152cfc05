"""Key state for vvp: get a KEL (an OOBI URL through a Fetcher, or bytes), verify it with keri,
pick the AID, and answer "what was its key state" at a sequence number, at a reference time, or
after its last event.

This is the domain layer above ``vvp._keri`` (which alone imports keri, and is imported here only
when a KEL is actually verified, so that importing vvp.kel stays cheap) and below the verifier and
the CLI: it takes plain parameters (a Fetcher, an AID, a time), never the trust store.

Which AID: the one asked for; else the AID in the OOBI URL, which is the first path segment that
is an AID (vvp-protocol.md §2, e.g. ``/oobi/{aid}/witness/{wit}``); else the only AID in the stream.
A stream with several AIDs and no way to choose gives ``AMBIGUOUS_AID`` with ``aids`` listed.

Evidence that cannot be obtained (fetch refused or failed, offline) is INDETERMINATE with the
fetcher's code; what the KEL itself says is decided by :func:`vvp.keystate.select_key_state`.
"""

from __future__ import annotations

import datetime as _dt
import urllib.parse
from typing import TYPE_CHECKING

from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, Fetcher
from vvp.keystate import KelResult, KelStream, select_key_state
from vvp.verdict import Status

if TYPE_CHECKING:
    from vvp._keri.verified import VerifiedKels


def aid_from_oobi(url: str) -> str | None:
    """The AID an OOBI URL names: its first path segment that is an AID (None when there is none)."""
    from vvp._keri.kel import is_aid

    try:
        path = urllib.parse.urlsplit(url).path
    except ValueError:
        return None
    for seg in path.split("/"):
        seg = urllib.parse.unquote(seg)
        if seg and is_aid(seg):
            return seg
    return None


def verify_stream(stream: bytes, *, known: VerifiedKels | None = None, source: str = "") -> KelStream:
    """Every KEL in a CESR stream, verified by keri in a fresh temporary store (never raises).
    ``known``: key events keri already accepted in this process, not verified again when they
    arrive again (:mod:`vvp._keri.verified`; the result is the same without it)."""
    from vvp._keri.kel import verify_kel_stream

    return verify_kel_stream(stream, known=known, source=source)


def verify_kel(stream: bytes, *, aid: str | None = None, at: _dt.datetime | None = None, sn: int | None = None,
               source: str | None = None) -> KelResult:
    """The key state of ``aid`` (or of the stream's only AID) in ``stream``: after event ``sn``, at
    time ``at`` (the state after the last event first seen at or before it), or after the last
    event. Give at most one of ``at`` and ``sn``."""
    return select_key_state(verify_stream(stream), aid, at=at, sn=sn, source=source)


def resolve_kel(url: str, fetcher: Fetcher, *, aid: str | None = None, at: _dt.datetime | None = None,
                sn: int | None = None) -> KelResult:
    """Fetch the OOBI at ``url`` (as evidence kind OOBI: its content type is checked) and verify
    the key state of ``aid``, by default the AID the URL names. A fetch failure is INDETERMINATE
    with the fetcher's code: the evidence could not be obtained, which says nothing against it."""
    chosen = aid or aid_from_oobi(url)
    try:
        got = fetcher.fetch(url, EvidenceKind.OOBI)
    except FetchError as ex:
        return KelResult(status=Status.INDETERMINATE, aid=chosen, state=None, codes=(ex.code,),
                         messages=(ex.message,), at=at, requested_sn=sn, source=url)
    return verify_kel(got.body, aid=chosen, at=at, sn=sn, source=url)
