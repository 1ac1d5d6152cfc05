"""Caching acceptance (issue 7; vvp-protocol.md V-05, V-07, V-14 and §6 "cache tiers").

One :class:`VerifierCache`, as a long-lived verifier keeps it. A second call that cites the same
dossier within freshness must cost no fetch, no keri ingest and no schema compilation (each
counted, two ways for keri: the caches' own counters and a counting wrapper around the functions
that call keri), and give the same verdict apart from the call's own fields. Past
``revocation_freshness_s`` the dossier (its TELs) is fetched again, and a revocation published in
the meantime is seen: a cached answer is never used past freshness. The caches measure freshness
on an injected monotonic clock, so no test sleeps.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fetchkit import CountingFetcher
from tests.world_fixtures import own_world
from vvp import codes
from vvp.dossier import cache as dossier_mod
from vvp import verifier as verifier_mod
from vvp.dossier import DossierCache, schema_compilations
from vvp.fetch import MemoryFetcher
from vvp.trust import TrustStore, load_trust_store
from vvp.verifier import CallInput, KelCache, VerifierCache, verify_call
from vvp.testing.world import (
    CALL_AT,
    CARD,
    DEST,
    GOAL,
    World,
    WorldUrls,
    routes_for,
    write_evidence,
)

BASE = "http://127.0.0.1:5642"  # never contacted: the evidence is served from memory


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Rig:
    world: World
    urls: WorldUrls
    trust: TrustStore
    served: MemoryFetcher
    fetcher: CountingFetcher
    cache: VerifierCache
    clock: FakeMonotonic
    keri_runs: list[str]

    def call(self, *, dossier: str, orig: str, at: _dt.datetime, iat_offset_s: int = -2) -> CallInput:
        d = self.world.dossiers[dossier]
        iat = int((at + _dt.timedelta(seconds=iat_offset_s)).timestamp())
        sp = self.world.passport(signer=d.signer, kid=self.urls.kid(self.world, d.signer), evd=self.urls.evd(d.said),
                                 orig=orig, dest=DEST, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
        return CallInput(reference_time=at, identities=(sp.identity,), orig=orig, dest=DEST, call_id=f"call-{iat}")

    def verify(self, call: CallInput) -> dict[str, Any]:
        return verify_call(call, trust=self.trust, fetcher=self.fetcher, cache=self.cache).to_json()

    def counters(self) -> dict[str, int]:
        return {"fetches": len(self.fetcher.calls), "dossier_fetches": self.cache.dossiers.fetches,
                "dossier_ingests": self.cache.dossiers.ingest_runs, "kel_fetches": self.cache.kels.fetches,
                "kel_ingests": self.cache.kels.ingests, "keri_runs": len(self.keri_runs),
                "schema_compilations": schema_compilations()}


@pytest.fixture()
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    w = own_world()
    files = write_evidence(w, BASE, tmp_path)
    served = MemoryFetcher({BASE + p: (r.content_type, r.body) for p, r in routes_for(w).items() if r.status == 200},
                           missing_code=codes.FETCH_HTTP_STATUS)
    clock = FakeMonotonic()
    runs: list[str] = []

    def counted(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            runs.append(name)
            return fn(*a, **kw)
        return wrapper

    # every path into keri that a verification can take: the dossier ingest and the KEL verifier
    monkeypatch.setattr(dossier_mod._ing, "ingest", counted("dossier ingest", dossier_mod._ing.ingest))
    monkeypatch.setattr(verifier_mod, "verify_stream", counted("kel verify", verifier_mod.verify_stream))
    monkeypatch.setattr(verifier_mod, "resolve_kel", counted("kel resolve", verifier_mod.resolve_kel))
    cache = VerifierCache(dossiers=DossierCache(monotonic=clock), kels=KelCache(monotonic=clock))
    yield Rig(world=w, urls=WorldUrls(BASE), trust=load_trust_store(files.trust), served=served,
              fetcher=CountingFetcher(served), cache=cache, clock=clock, keri_runs=runs)


def scrub(doc: Mapping[str, Any], call: CallInput, iat: int, origs: tuple[str, ...]) -> Any:
    """The verdict with the call's own fields replaced by placeholders: its reference time, its
    iat and exp (and their RFC 3339 forms), and the originating numbers of the calls compared
    (an allocation's description lists both)."""
    text = json.dumps(doc, sort_keys=True)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    for value, token in ((call.reference_time.strftime(stamp), "<reference_time>"),
                         (str(iat + 15), "<exp>"), (str(iat), "<iat>"),
                         (_dt.datetime.fromtimestamp(iat, _dt.UTC).strftime(stamp), "<iat>"),
                         (_dt.datetime.fromtimestamp(iat + 15, _dt.UTC).strftime(stamp), "<exp>"),
                         *((o.lstrip("+"), "<orig>") for o in origs)):
        text = text.replace(value, token)
    return json.loads(text)


@pytest.mark.parametrize("dossier", ["le", "acting"])
def test_V_07_second_call_citing_the_same_dossier_costs_nothing(rig: Rig, dossier: str) -> None:
    d = rig.world.dossiers[dossier]
    a = rig.call(dossier=dossier, orig=d.numbers[0], at=CALL_AT)
    first = rig.verify(a)
    assert first["status"] == "VALID", first["claims"]
    after_a = rig.counters()
    assert after_a["dossier_fetches"] == 1 and after_a["kel_fetches"] == 1
    assert after_a["dossier_ingests"] == 1 and after_a["kel_ingests"] == 1
    assert rig.fetcher.calls.count(rig.urls.evd(d.said)) == 1

    at_b = CALL_AT + _dt.timedelta(seconds=47)
    b = rig.call(dossier=dossier, orig=d.numbers[1], at=at_b)
    rig.clock.advance(120)  # within both freshness windows (300 s by default)
    second = rig.verify(b)
    assert rig.counters() == after_a, "a second call within freshness fetched, ingested or compiled"
    assert second["status"] == "VALID"
    iat_a = int((CALL_AT - _dt.timedelta(seconds=2)).timestamp())
    iat_b = int((at_b - _dt.timedelta(seconds=2)).timestamp())
    origs = d.numbers[:2]
    assert scrub(first, a, iat_a, origs) == scrub(second, b, iat_b, origs)
    assert first != second  # the call's own fields do differ


def _without_revocation(w: World, dossier: str, credential: str) -> bytes:
    """The dossier stream as it was before ``credential``'s revocation was published: its TEL
    holds only the ``iss`` event, and its issuer's KEL ends before the event that anchors the
    ``rev`` (a KEL that already seals a TEL event the stream lacks withholds it: TEL_EVENT_WITHHELD,
    architecture §2.4)."""
    from vvp.testing.worldgen.witnesses import without

    c = w.credentials[credential]
    tel = c.tel
    second = tel.index(b'{"v":"KERI10JSON', 1)
    assert b'"t":"rev"' in tel[second:second + 200]
    stream = w.dossiers[dossier].stream
    assert stream.count(tel) == 1
    issuer = w.parties[c.issuer_party]
    anchor_sn = next(e.sn for e in issuer.events if e.at == c.revoked_at)
    assert stream.count(issuer.kel) == 1
    return stream.replace(tel, tel[:second]).replace(issuer.kel, without(issuer.kel, issuer.aid, from_sn=anchor_sn))


def test_V_14_past_revocation_freshness_the_tels_are_fetched_again(rig: Rig) -> None:
    w = rig.world
    d = w.dossiers["revoked_tn"]
    evd = rig.urls.evd(d.said)
    ctype, full = rig.served.items[evd]
    rig.served.items[evd] = (ctype, _without_revocation(w, "revoked_tn", "tn_le_revoked"))
    assert rig.verify(rig.call(dossier="revoked_tn", orig=d.numbers[0], at=CALL_AT))["status"] == "VALID"
    rig.served.items[evd] = (ctype, full)  # the issuer publishes the revocation
    freshness = rig.trust.policy.revocation_freshness_s
    assert freshness == 300

    rig.clock.advance(freshness)  # at the edge of the window: still fresh, the revocation not yet seen
    at = CALL_AT + _dt.timedelta(seconds=30)
    before = rig.counters()
    still = rig.verify(rig.call(dossier="revoked_tn", orig=d.numbers[0], at=at))
    assert still["status"] == "VALID" and rig.counters() == before

    rig.clock.advance(1)  # past it: the dossier and its TELs are fetched again
    after = rig.verify(rig.call(dossier="revoked_tn", orig=d.numbers[0], at=at))
    assert rig.fetcher.calls.count(evd) == 2
    assert rig.cache.dossiers.fetches == before["dossier_fetches"] + 1
    assert rig.cache.dossiers.ingest_runs == before["dossier_ingests"] + 1  # new bytes: a new ingest
    assert after["status"] == "INVALID"
    revoked = [c for c in after["checks"] if c["id"] == "V-14" and c["status"] == "fail"]
    assert [c["subject"] for c in revoked] == [w.credentials["tn_le_revoked"].said]
    assert revoked[0]["code"] == codes.CREDENTIAL_REVOKED


def test_V_14_refetched_identical_bytes_reuse_the_ingest(rig: Rig) -> None:
    """Past freshness the bytes are fetched again; when they have not changed, keri's work on
    them is still valid (the ingest is keyed by the digest of the bytes) and is reused."""
    d = rig.world.dossiers["le"]
    call = rig.call(dossier="le", orig=d.numbers[0], at=CALL_AT)
    first = rig.verify(call)
    rig.clock.advance(301)
    before = rig.counters()
    assert rig.verify(call) == first
    got = rig.counters()
    assert got["dossier_fetches"] == before["dossier_fetches"] + 1
    assert got["dossier_ingests"] == before["dossier_ingests"]


def test_V_05_key_state_refetched_past_key_state_freshness(rig: Rig) -> None:
    d = rig.world.dossiers["le"]
    kid = rig.urls.kid(rig.world, d.signer)
    call = rig.call(dossier="le", orig=d.numbers[0], at=CALL_AT)
    assert rig.verify(call)["status"] == "VALID"
    rig.clock.advance(rig.trust.policy.key_state_freshness_s)
    rig.verify(call)
    assert rig.fetcher.calls.count(kid) == 1 and rig.cache.kels.ingests == 1
    rig.clock.advance(1)
    assert rig.verify(call)["status"] == "VALID"
    assert rig.fetcher.calls.count(kid) == 2 and rig.cache.kels.fetches == 2 and rig.cache.kels.ingests == 2

