"""The warm path's whole-result cache (issue 13; vvp.verifier ``_Warm``, architecture §2.1).

A call from a signer citing a dossier that an earlier call already verified gets the signer's
witnessed KEL, the dossier result, its issuers' witness checks and the evidence claim from one
entry kept above the KEL, dossier and witness caches. These tests pin what that entry may and may
not change: the verdict is the one the steps give, the entry is dropped when the caches below it
refetch (their own freshness, on an injected monotonic clock), and a recorded warm call hands its
recorder the same evidence, in the same order, as a call that goes through the caches below.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.world_fixtures import own_world
from vvp import codes
from vvp import verifier as verifier_mod
from vvp.dossier import DossierCache, verify_dossier
from vvp.fetch import FetchEvent, MemoryFetcher, RecordingFetcher
from vvp.testing.world import CALL_AT, CARD, DEST, GOAL, World, WorldUrls, routes_for, write_evidence
from vvp.trust import TrustStore, load_trust_store
from vvp.verifier import CallInput, KelCache, Verifier, VerifierCache, verify_call
from vvp.witness import WitnessCache

BASE = "http://127.0.0.1:5642"  # never contacted: the evidence is served from memory


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    world: World
    trust: TrustStore
    fetcher: MemoryFetcher
    clock: FakeMonotonic
    verifier: Verifier
    steps: dict[str, int]

    @property
    def cache(self) -> VerifierCache:
        assert self.verifier.cache is not None
        return self.verifier.cache

    def call(self, at: _dt.datetime = CALL_AT, dest: str = DEST) -> CallInput:
        d = self.world.dossiers["le"]
        urls = WorldUrls(BASE)
        iat = int((at - _dt.timedelta(seconds=2)).timestamp())
        sp = self.world.passport(signer=d.signer, kid=urls.kid(self.world, d.signer), evd=urls.evd(d.said),
                                 orig=d.numbers[0], dest=dest, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
        return CallInput(reference_time=at, identities=(sp.identity,), orig=d.numbers[0], dest=dest)


@pytest.fixture()
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    w = own_world()
    files = write_evidence(w, BASE, tmp_path)
    fetcher = MemoryFetcher({BASE + p: (r.content_type, r.body) for p, r in routes_for(w).items() if r.status == 200},
                            missing_code=codes.FETCH_HTTP_STATUS)
    clock = FakeMonotonic()
    steps = {"signer": 0, "dossier": 0}

    def counted(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            steps[name] += 1
            return fn(*a, **kw)
        return wrapper

    monkeypatch.setattr(verifier_mod, "_signer_step", counted("signer", verifier_mod._signer_step))
    monkeypatch.setattr(verifier_mod, "verify_dossier", counted("dossier", verify_dossier))
    cache = VerifierCache(dossiers=DossierCache(monotonic=clock), kels=KelCache(monotonic=clock),
                          witnesses=WitnessCache(monotonic=clock))
    trust = load_trust_store(files.trust)
    yield Rig(world=w, trust=trust, fetcher=fetcher, clock=clock, verifier=Verifier(trust, fetcher, cache),
              steps=steps)


def _events(evs: list[FetchEvent]) -> list[tuple[Any, ...]]:
    return [(e.url, e.kind, e.fetched.source if e.fetched else None, e.fetched.body if e.fetched else None,
             e.failure.code if e.failure else None) for e in evs]


def test_a_warm_call_skips_the_steps_and_gives_their_verdict(rig: Rig) -> None:
    first = rig.verifier.verify(rig.call()).to_json()
    assert first["status"] == "VALID", first["claims"]
    assert rig.steps == {"signer": 1, "dossier": 1}
    later = [rig.verifier.verify(rig.call(dest=f"+1613555{k:04d}")).to_json() for k in range(3)]
    assert rig.steps == {"signer": 1, "dossier": 1}, "a warm call went through the steps again"
    for k, doc in enumerate(later):  # each equal to the same call verified from scratch, without any cache
        cold = verify_call(rig.call(dest=f"+1613555{k:04d}"), trust=rig.trust, fetcher=rig.fetcher).to_json()
        assert doc == cold


def test_the_entry_follows_the_freshness_of_the_caches_below(rig: Rig) -> None:
    call = rig.call()
    first = rig.verifier.verify(call).to_json()
    rig.verifier.verify(call)
    assert rig.steps == {"signer": 1, "dossier": 1}
    kel_fetches, dossier_fetches = rig.cache.kels.fetches, rig.cache.dossiers.fetches
    rig.clock.now += max(rig.trust.policy.key_state_freshness_s, rig.trust.policy.revocation_freshness_s) + 1
    again = rig.verifier.verify(call).to_json()
    assert rig.steps == {"signer": 2, "dossier": 2}, "the entry outlived the KEL or dossier cache's freshness"
    assert rig.cache.kels.fetches == kel_fetches + 1 and rig.cache.dossiers.fetches == dossier_fetches + 1
    assert again == first
    rig.verifier.verify(call)  # and the entry made from the new fetches serves the next call
    assert rig.steps == {"signer": 2, "dossier": 2}


def test_a_recorded_warm_call_holds_what_the_caches_below_hand_out(rig: Rig) -> None:
    call = rig.call()
    rig.verifier.verify(call)
    warm_rec = RecordingFetcher(rig.fetcher)
    warm = rig.verifier.verify(call, fetcher=warm_rec)
    assert rig.steps["signer"] == 1  # answered by the entry
    rig.cache.warm = type(rig.cache.warm)(16)  # without it: through the KEL, dossier and witness caches
    below_rec = RecordingFetcher(rig.fetcher)
    below = rig.verifier.verify(call, fetcher=below_rec)
    assert rig.steps["signer"] == 2
    assert warm.to_json() == below.to_json()
    assert warm_rec.events and _events(warm_rec.events) == _events(below_rec.events)
    assert all(e.fetched is None or e.fetched.source == "cache" for e in warm_rec.events)
