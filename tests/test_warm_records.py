"""Records of warm calls (architecture §2.1, issue 14 item 1): caches keep their evidence.

Every test-world scenario is verified twice through ONE long-lived Verifier with a shared cache,
in shuffled order, the world's server stopped before anything is re-verified. The second pass is
answered from warm caches (no KEL, dossier, x5u or CRL fetched again); its records must still
hold every byte the verdict relied on, marked ``source: "cache"``, and re-verify offline to the
recorded verdict.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Iterator

import pytest

from tests.recordkit import SALT, call_input, shm_dir
from tests.world_fixtures import own_world
from vvp import clock
from vvp.fetch import FetchLimits, RecordingFetcher, build_fetcher
from vvp.record import Record, open_identity
from vvp.canonical import canonical_json
from vvp.replay import make_record, reverify
from vvp.trust import load_trust_store
from vvp.verifier import Verifier, VerifierCache
from vvp.testing.world import served_world


BUILT: list[tuple[Record, bytes]] = []  # records as build_record made them, with their verdict's canonical JSON


@pytest.fixture(scope="module")
def warm_records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[str, int, Record]]]:
    out = tmp_path_factory.mktemp("warm")
    made: list[tuple[str, int, Record]] = []
    with shm_dir() as ks, open_identity(ks / "ks", salt=SALT) as ident, \
            served_world(own_world(), out / "world") as sw:
        calls = list(sw.calls)
        random.Random(14).shuffle(calls)
        trusts = {c.trust: load_trust_store(c.trust) for c in calls}
        fetcher = build_fetcher(limits=FetchLimits.from_policy(next(iter(trusts.values())).policy))
        cache = VerifierCache()  # one cache for all the trust stores' Verifiers: keyed by content
        verifiers = {p: Verifier(t, fetcher, cache) for p, t in trusts.items()}
        for rnd in (1, 2):
            for c in calls:
                rec = RecordingFetcher(fetcher, clock=clock.FixedClock(c.at + _dt.timedelta(seconds=1)))
                ci = call_input(c)
                verdict = verifiers[c.trust].verify(ci, fetcher=rec)
                record = make_record(ci, verdict, trust=trusts[c.trust], events=rec.events,
                                     received_at=c.at + _dt.timedelta(seconds=2), identity=ident)
                made.append((c.name, rnd, Record.from_bytes(record.to_bytes())))
                BUILT.append((record, canonical_json(verdict.to_json())))
    yield made  # the server is down from here on: re-verification can only use the records


def test_warm_records_hold_cached_evidence(warm_records: list[tuple[str, int, Record]]) -> None:
    second = [r for _, rnd, r in warm_records if rnd == 2]
    sources = [ev["fetched"]["source"] for r in second for ev in r.data["evidence"] if "fetched" in ev]
    assert sources and sources.count("cache") > len(sources) // 2, sources  # mostly answered from cache


@pytest.mark.parametrize("rnd", [1, 2])
def test_every_record_reverifies_offline(warm_records: list[tuple[str, int, Record]], rnd: int) -> None:
    bad = []
    for name, r_rnd, rec in warm_records:
        if r_rnd != rnd:
            continue
        result = reverify(rec)
        if not (result.reproduced and result.integrity.ok and not result.not_in_record):
            bad.append((name, result.recorded_status, result.recomputed_status,
                        [d.path for d in result.differences][:3], result.not_in_record[:2]))
    assert not bad, bad


def test_a_built_record_answers_with_the_verdict_bytes_it_signed(warm_records: list[tuple[str, int, Record]]) -> None:
    """Record.verdict_bytes() (what the service answers with) is the canonical JSON of the
    verdict, for a record as built and as read back from its file."""
    assert len(BUILT) == len(warm_records)
    for (built, expected), (_, _, loaded) in zip(BUILT, warm_records):
        assert built.verdict_bytes() == expected == loaded.verdict_bytes()
