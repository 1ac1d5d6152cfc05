"""Verdicts with shared verified key state (issue 22): byte-identical, recorded, never stale.

* Differential: every scenario of the test world (caller and callee, in a world with the called
  party), shuffled, verified by fresh Verifiers without any cache (keri judges everything), by one
  long-lived Verifier whose caches serve every call, and by Verifiers whose only shared state is
  the verified key state (every fetch and ingest done again, the KELs not re-verified): the verdict
  JSON is byte-identical in all three.
* Records of calls answered with shared state (a new dossier of a known ecosystem) hold every
  byte the verdict relied on and re-verify offline, from the record alone.
* Freshness: a KEL kept in the shared state never stands in for the current key state; after
  ``key_state_freshness_s`` the OOBI is fetched again (a rotation since is seen), and when it
  cannot be, the answer is INDETERMINATE, not the remembered state.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.callee_kit import BASE, callee_world, memory_fetcher
from tests.recordkit import SALT, call_input, shm_dir
from vvp import clock, codes
from vvp.testing.kels import KelFactory, render
from vvp._keri.verified import VerifiedKels
from vvp.testing.worldgen.build import CALLEE_VCARD
from vvp.callee.inputs import CalleeInput
from vvp.fetch import EvidenceKind, MemoryFetcher, RecordingFetcher
from vvp.record import Record, open_identity
from vvp.replay import make_record, reverify
from vvp.trust import load_trust_store
from vvp.verdict import Status, Verdict
from vvp.verifier import CallInput, KelCache, Verifier, VerifierCache, _signer_key_state
from vvp.testing.world import CALL_AT, DEST, GOAL, WorldUrls, make_callee_calls, make_calls, write_evidence

OOBI = "application/json+cesr"


def _canon(v: Verdict) -> bytes:
    return json.dumps(v.to_json(), sort_keys=True, separators=(",", ":")).encode()


@pytest.fixture(scope="module")
def world_calls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    world = callee_world()
    files = write_evidence(world, BASE, tmp_path_factory.mktemp("cold-world"))
    urls = WorldUrls(BASE)
    calls: list[tuple[str, Path, CallInput | CalleeInput]] = [(c.name, c.trust, call_input(c))
                                                              for c in make_calls(world, urls, files)]
    calls += [(f"callee:{c.name}", c.trust, CalleeInput(reference_time=c.at, callee=c.value, call_id=c.call_id,
                                                         cseq=c.cseq, dest=c.dest, caller_goal=c.caller_goal))
              for c in make_callee_calls(world, urls, files)]
    return {"world": world, "urls": urls, "files": files, "calls": calls, "fetcher": memory_fetcher(world)}


def _verify(v: Verifier, call: CallInput | CalleeInput) -> Verdict:
    return v.verify_callee(call) if isinstance(call, CalleeInput) else v.verify(call)


def test_differential_long_lived_and_shared_state_against_fresh(world_calls: dict[str, Any]) -> None:
    calls = list(world_calls["calls"])
    fetcher = world_calls["fetcher"]
    trusts = {p: load_trust_store(p) for _, p, _ in calls}
    assert len(calls) >= 40  # every caller and callee scenario
    random.Random(2201).shuffle(calls)
    fresh = {name: _canon(_verify(Verifier(trusts[p], fetcher, use_cache=False), c)) for name, p, c in calls}
    random.Random(2202).shuffle(calls)
    cache = VerifierCache()  # one long-lived cache for every trust store's Verifier (keyed by content)
    long_lived = {p: Verifier(t, fetcher, cache) for p, t in trusts.items()}
    shared = VerifiedKels()  # only the verified key state is shared: every fetch and ingest again
    for name, p, c in calls:
        assert _canon(_verify(long_lived[p], c)) == fresh[name], name
        only_state = Verifier(trusts[p], fetcher, VerifierCache(keystate=shared))
        assert _canon(_verify(only_state, c)) == fresh[name], name
    assert shared.reused > 100 and shared.conflicts() == ()  # the state did the work it claims
    assert cache.keystate.conflicts() == ()


def _known_ecosystem_call(world_calls: dict[str, Any]) -> tuple[CallInput, CallInput, Path]:
    world, urls, files = world_calls["world"], world_calls["urls"], world_calls["files"]

    def call(name: str, card: tuple[str, ...]) -> CallInput:
        d = world.dossiers[name]
        iat = int((CALL_AT - _dt.timedelta(seconds=2)).timestamp())
        sp = world.passport(signer=d.signer, kid=urls.kid(world, d.signer), evd=urls.evd(d.said), orig=d.numbers[0],
                            dest=DEST, iat=iat, exp=iat + 15, card=card, goal=GOAL)
        return CallInput(reference_time=CALL_AT, identities=(sp.identity,), orig=d.numbers[0], dest=DEST,
                         call_id=f"cold-{name}")

    return call("le", ("ORG:Acme Widgets Inc", "NICKNAME:Acme")), call("callee", CALLEE_VCARD[:2]), files.trust


def test_record_of_a_call_that_used_shared_state_reverifies_offline(world_calls: dict[str, Any]) -> None:
    first, known, trust_path = _known_ecosystem_call(world_calls)
    trust = load_trust_store(trust_path)
    fetcher = world_calls["fetcher"]
    cache = VerifierCache()
    v = Verifier(trust, fetcher, cache)
    assert v.verify(first).status is Status.VALID
    before = cache.keystate.reused
    rec = RecordingFetcher(fetcher, clock=clock.FixedClock(CALL_AT + _dt.timedelta(seconds=1)))
    verdict = v.verify(known, fetcher=rec)
    assert verdict.status is Status.VALID
    assert cache.keystate.reused - before >= 30  # the shared KELs were not verified again
    assert _canon(verdict) == _canon(Verifier(trust, fetcher, use_cache=False).verify(known))
    with shm_dir() as ks, open_identity(ks / "ks", salt=SALT) as ident:
        record = make_record(known, verdict, trust=trust, events=rec.events,
                             received_at=CALL_AT + _dt.timedelta(seconds=2), identity=ident)
        loaded = Record.from_bytes(record.to_bytes())
    kinds = {ev["kind"] for ev in loaded.data["evidence"] if "fetched" in ev}
    assert {"oobi", "dossier"} <= kinds  # the signer's KEL and the dossier bytes are in the record
    result = reverify(loaded)  # offline, from the record alone, with no shared state
    assert result.reproduced and result.integrity.ok and not result.not_in_record, \
        ([d.path for d in result.differences][:3], result.not_in_record[:2])


class _Steps:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def rotating() -> Iterator[dict[str, Any]]:
    """One AID before and after a rotation, its OOBI bytes at each time."""
    with KelFactory(seed="vvp-cold-freshness") as f:
        aid = f.incept("signer")
        before = render(f.messages(aid))
        keys_before = f.current_keys(aid)
        f.rotate(aid)
        after = render(f.messages(aid))
        yield {"aid": aid, "before": before, "after": after, "keys_before": keys_before,
               "keys_after": f.current_keys(aid)}


def test_shared_state_older_than_freshness_is_not_current_key_state(rotating: dict[str, Any]) -> None:
    url = f"{BASE}/oobi/{rotating['aid']}/controller"
    fetcher = MemoryFetcher({url: (OOBI, rotating["before"])})
    items = fetcher.items  # what it serves from now on
    steps = _Steps()
    cache = VerifierCache(kels=KelCache(monotonic=steps))
    now = _dt.datetime(2030, 1, 1, tzinfo=_dt.UTC)

    def state(at: _dt.datetime) -> Any:
        return _signer_key_state(url, rotating["aid"], at, fetcher=fetcher, cache=cache, freshness_s=300)

    first = state(now)
    assert first.status is Status.VALID and list(first.state.keys) == rotating["keys_before"]
    assert cache.keystate.known_said(rotating["aid"], 0) is not None  # the KEL is in the shared state
    items[url] = (OOBI, rotating["after"])  # the controller rotates; the OOBI now says so
    steps.now += 299  # within key_state_freshness_s: the fetched KEL is still the current one
    assert list(state(now).state.keys) == rotating["keys_before"]
    steps.now += 2  # past it: fetched again, and the rotation seen (the shared state supplies no "now")
    reused = cache.keystate.reused
    later = state(now + _dt.timedelta(seconds=301))
    assert later.status is Status.VALID and list(later.state.keys) == rotating["keys_after"]
    assert cache.keystate.reused == reused + 1  # the inception was not verified again
    del items[url]  # and when the OOBI can no longer be fetched, nothing stale stands in for it
    steps.now += 301
    gone = state(now + _dt.timedelta(seconds=700))
    assert gone.status is Status.INDETERMINATE and gone.state is None
    assert gone.codes == (codes.FETCH_OFFLINE,)


def test_oobi_fetch_goes_through_the_fetcher_each_time_freshness_expires(rotating: dict[str, Any]) -> None:
    """The shared state is not a fetch cache: every expiry is a fetch (and a recorded one)."""
    url = f"{BASE}/oobi/{rotating['aid']}/controller"
    fetcher = MemoryFetcher({url: (OOBI, rotating["after"])})
    steps = _Steps()
    cache = VerifierCache(kels=KelCache(monotonic=steps))
    for _ in range(3):
        rec = RecordingFetcher(fetcher)
        cache.kels.stream(url, rec, 300)
        assert [ev.url for ev in rec.events] == [url]
        fetched = rec.events[0].fetched
        assert fetched is not None and fetched.source == "memory"  # fetched, not answered from memory of it
        steps.now += 301
    assert cache.kels.fetches == 3 and fetcher.fetch(url, EvidenceKind.OOBI).body == rotating["after"]
