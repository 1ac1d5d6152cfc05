"""Credential issuers' KELs against their witnesses, and TEL events withheld from the dossier.

Architecture §2.4: the dossier host serves each issuer's KEL inside the dossier stream and can
cut it short, just before the event that anchors a revocation, and leave the ``rev`` out. The
issuers' witnesses are asked for their KELs (as for the signer, :mod:`vvp.witness.check`); a seal
in an event the witnesses hold and the stream lacks, for a TEL event of one of the dossier's
credentials that the stream does not prove, is a withheld TEL event: at sn >= 1 a revocation,
and the credential is never VALID after the time any witness first saw that seal
(``TEL_EVENT_WITHHELD``). Seals in the served KEL itself are judged by the dossier checks (V-14).

Pure over its inputs besides the asking: it takes what the dossier result holds (issuer KELs,
credentials with their accepted TEL events, witness locations) as plain parameters.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from vvp import clock, codes
from vvp.fetch import Fetcher, evidence_mark, evidence_since, note_cached
from vvp.fetch.local import as_cached
from vvp.verdict import Check, failed, indeterminate
from vvp.witness.ask import WitnessCache, ask
from vvp.witness.check import judge, none_designated
from vvp.witness.model import Comparison, Directory, ServedKel, WitnessPolicy

CLAIM = "dossier"
ISSUER_ID = "X-WITNESS-10"
ISSUER_WARN_IDS = ("X-WITNESS-11", "X-WITNESS-12", "X-WITNESS-13")
WITHHELD_ID = "X-WITNESS-14"


def withheld(cmp: Comparison, credential: str, known: frozenset[str],
             ref: _dt.datetime) -> Check | None:
    """The check for a TEL event of ``credential`` sealed in an event the witnesses hold beyond
    the served KEL, when the stream does not prove it (``known``: its accepted TEL SAIDs)."""
    for p in cmp.extra:
        for seal in p.seals:
            if seal.aid != credential or seal.said in known or seal.sn < 1:
                continue
            t = cmp.earliest.get(p.said, p.first_seen)
            where = (f"issuer event sn {p.sn} ({p.said}), held by witness {cmp.extra_from} and left out of the "
                     f"dossier, seals TEL event sn {seal.sn} ({seal.said}) of this credential")
            if t is None:
                return indeterminate(WITHHELD_ID, CLAIM, codes.TEL_EVENT_WITHHELD,
                                     f"{where}; when it was first seen is unknown", credential)
            if t <= ref:
                return failed(WITHHELD_ID, CLAIM, codes.TEL_EVENT_WITHHELD,
                              f"{where}, first seen {clock.rfc3339(t)}: a revocation was withheld", credential)
    return None


def issuer_checks(issuer_kels: Mapping[str, ServedKel], credentials: Iterable[tuple[str, str, frozenset[str]]],
                  directory: Directory, *, ref: _dt.datetime, fetcher: Fetcher, policy: WitnessPolicy,
                  cache: WitnessCache | None) -> list[Check]:
    """The witness checks of every issuer of ``credentials`` (``(SAID, issuer, accepted TEL
    SAIDs)``) whose KEL the dossier verified, and the withheld-TEL checks they lead to."""
    return _issuer_checks(issuer_kels, credentials, directory, ref=ref, fetcher=fetcher, policy=policy,
                          cache=cache)[0]


def _issuer_checks(issuer_kels: Mapping[str, ServedKel], credentials: Iterable[tuple[str, str, frozenset[str]]],
                   directory: Directory, *, ref: _dt.datetime, fetcher: Fetcher, policy: WitnessPolicy,
                   cache: WitnessCache | None) -> tuple[list[Check], float, bool]:
    """:func:`issuer_checks`, the time until which its answers are fresh, and whether the checks
    depend on the reference time (a withheld TEL event was found)."""
    creds = list(credentials)
    expires = float("inf")
    timed = False
    out: list[Check] = []
    done: dict[str, Comparison | None] = {}
    for _, issuer, _ in creds:
        if issuer in done:
            continue
        served = issuer_kels.get(issuer)
        if served is None or not served.points:
            done[issuer] = None  # its KEL is not verified: the issuance checks say so
            continue
        what = f"issuer {issuer}'s KEL"
        if not served.witnesses:
            out.append(none_designated(policy, id_=ISSUER_ID, claim=CLAIM, subject=issuer, what=what))
            done[issuer] = None
            continue
        asked = ask(served, directory, fetcher=fetcher, policy=policy, cache=cache)
        expires = min(expires, asked.expires)
        out += judge(asked.comparison, policy, id_=ISSUER_ID, warn_ids=ISSUER_WARN_IDS, claim=CLAIM,
                     subject=issuer, what=what, cache=cache)
        done[issuer] = asked.comparison
    for said, issuer, known in creds:
        cmp = done.get(issuer)
        if cmp is None or not cmp.extra or cmp.duplicity:
            continue
        timed = True
        chk = withheld(cmp, said, known, ref)
        if chk is not None:
            out.append(chk)
    return out, expires, timed


def cached_issuer_checks(issuer_kels: Mapping[str, ServedKel],
                         credentials: Callable[[], Iterable[tuple[str, str, frozenset[str]]]], directory: Directory,
                         *, ref: _dt.datetime, fetcher: Fetcher, policy: WitnessPolicy,
                         cache: WitnessCache) -> tuple[Sequence[Check], float | None]:
    """:func:`issuer_checks` for a long-lived verifier: one dossier result's checks are kept
    (with the fetch events of every answer, handed to each call's recorder) while all its
    answers are fresh and nothing in them depends on the reference time. Also returns until when
    (on the cache's monotonic clock) they hold for any reference time; None when they depend on it."""
    # keyed by identity: the issuer KELs are a cached dossier result's, and the verifier hands
    # the same locations as the same Directory object (the entry holds both)
    key = ("issuers", id(issuer_kels), id(directory), policy.key())
    hit: tuple[Any, float, tuple[Check, ...], Any, Directory] | None = cache._memo.get(key)
    if hit is not None and hit[0] is issuer_kels and hit[4] is directory and cache.now() < hit[1]:
        note_cached(fetcher, hit[3])
        return hit[2], hit[1]
    mark = evidence_mark(fetcher)
    out, expires, timed = _issuer_checks(issuer_kels, credentials(), directory, ref=ref, fetcher=fetcher,
                                         policy=policy, cache=cache)
    if timed:
        return out, None
    checks = tuple(out)
    cache._memo.put(key, (issuer_kels, expires, checks, tuple(as_cached(e) for e in evidence_since(fetcher, mark)),
                          directory))
    return checks, expires
