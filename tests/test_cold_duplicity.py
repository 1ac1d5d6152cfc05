"""Duplicity between sources (issue 22, architecture §2.4 and §5 "Cold path"): two sources giving
two different, validly signed events at one sn of one AID.

* Inside one call, the ``kid`` OOBI carrying a second event at an sn: INVALID, ``KEL_DUPLICITY``.
* Across calls of one long-lived verifier (the shared verified key state): each verdict is still
  a function of its own call's evidence (a long-lived and a fresh verifier answer byte for byte
  the same), and the fork is kept as a ``KEL_DUPLICITY`` conflict with both messages, the AID
  never reused again: never a silent merge.
* Inside one call, the dossier stream forking the KEL the ``kid`` OOBI proved (keri verifies each
  source in its own store, so each is consistent alone): INVALID, ``KEL_DUPLICITY`` (X-KEL-01).
* Inside one call, the dossier carrying a second event at the last sn of the identity root, the
  KERI delegator of GLEIF External: keri still accepts External's earlier events, but the
  chain's authority rests on a refuted KEL: INVALID, ``KEL_DUPLICITY`` on V-11.

The world is served from memory (no sockets): this is about the key state, not the transport.
"""

from __future__ import annotations

import datetime as _dt
import tempfile
from collections.abc import Mapping
from typing import Any

import pytest

from vvp import codes
from vvp._keri.baseline import split_messages
from vvp.fetch import MemoryFetcher
from vvp.testing.world import CALL_AT, CARD, DEST, GOAL, ROTATE_AT, WorldSpec, WorldUrls, build_world, routes_for
from vvp.testing.world import write_evidence
from vvp.testing.worldgen import witnesses as W
from vvp.trust import load_trust_store
from vvp.verdict import CheckStatus, Status, Verdict
from vvp.verifier import CallInput, Verifier, VerifierCache

BASE = "http://127.0.0.1:5642"  # never contacted: served from memory


@pytest.fixture(scope="module")
def case() -> dict[str, Any]:
    world = build_world(WorldSpec())
    with tempfile.TemporaryDirectory(prefix="vvp-test-dup-") as tmp:
        trust = load_trust_store(write_evidence(world, BASE, tmp).trust)
    urls = WorldUrls(BASE)
    d = world.dossiers["le"]
    iat = int((CALL_AT - _dt.timedelta(seconds=2)).timestamp())
    sp = world.passport(signer=d.signer, kid=urls.kid(world, d.signer), evd=urls.evd(d.said), orig=d.numbers[0],
                        dest=DEST, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
    signer = world.parties[d.signer]
    last = len(signer.events) - 1
    return {
        "world": world, "trust": trust,
        "routes": {p: (r.content_type, r.body) for p, r in routes_for(world).items() if r.status == 200},
        "kid": urls.kid(world, d.signer)[len(BASE):], "evd": urls.evd(d.said)[len(BASE):],
        "call": CallInput(reference_time=CALL_AT, identities=(sp.identity,), orig=d.numbers[0], dest=DEST),
        "aid": signer.aid, "sn": last, "dossier": d,
        "fork": W.forked_event(world, d.signer, last, at=ROTATE_AT),
    }


def _verify(case: dict[str, Any], changes: Mapping[str, bytes], cache: VerifierCache | None = None) -> Verdict:
    routes = dict(case["routes"])
    for path, body in changes.items():
        routes[path] = (routes[path][0], body)
    fetcher = MemoryFetcher({BASE + p: v for p, v in routes.items()}, missing_code=codes.FETCH_HTTP_STATUS)
    return Verifier(case["trust"], fetcher, cache if cache is not None else VerifierCache()).verify(case["call"])


def _codes(v: Verdict) -> set[str]:
    return {c.code for c in v.checks}


def test_kid_oobi_with_two_events_at_one_sn_is_duplicity(case: dict[str, Any]) -> None:
    oobi = case["routes"][case["kid"]][1]
    v = _verify(case, {case["kid"]: oobi + case["fork"]})
    assert v.status is Status.INVALID
    assert codes.KEL_DUPLICITY in _codes(v)


def test_fork_across_calls_is_kept_as_duplicity_never_merged(case: dict[str, Any]) -> None:
    oobi = case["routes"][case["kid"]][1]
    msgs = split_messages(oobi)
    forked = b"".join(m.raw for m in msgs if not (m.ked.get("i") == case["aid"]
                                                  and int(str(m.ked.get("s")), 16) == case["sn"])) + case["fork"]
    cache = VerifierCache()
    honest = _verify(case, {}, cache)
    assert honest.status is Status.VALID
    # another call, after the fetched OOBI's freshness: the same verified key state, caches of
    # fetched evidence empty
    other = _verify(case, {case["kid"]: forked}, VerifierCache(keystate=cache.keystate))
    # the call is judged on its own evidence: exactly what a fresh verifier says of it
    assert other.to_json() == _verify(case, {case["kid"]: forked}).to_json()
    (c,) = [c for c in cache.keystate.conflicts() if c.aid == case["aid"]]
    assert (c.sn, c.code) == (case["sn"], codes.KEL_DUPLICITY) and c.known_message and c.new_message
    assert c.known_said != c.new_said and cache.keystate.conflicted(case["aid"])
    again = _verify(case, {}, VerifierCache(keystate=cache.keystate))  # keri judges the AID again
    assert again.to_json() == honest.to_json()


def test_dossier_forking_the_kid_kel_in_one_call_is_duplicity(case: dict[str, Any]) -> None:
    oobi = case["routes"][case["kid"]][1]
    msgs = split_messages(oobi)
    forked_kel = b"".join(m.raw for m in msgs if m.ked.get("i") == case["aid"]
                          and int(str(m.ked.get("s")), 16) < case["sn"]) + case["fork"]
    dossier = case["routes"][case["evd"]][1]
    v = _verify(case, {case["evd"]: dossier + forked_kel})
    assert codes.KEL_DUPLICITY in _codes(v) and v.status is Status.INVALID
    (c,) = [c for c in v.checks if c.id == "X-KEL-01"]
    assert c.subject == case["aid"] and f"sn {case['sn']}" in c.message


def test_a_duplicitous_delegator_in_the_dossier_is_never_valid(case: dict[str, Any]) -> None:
    world = case["world"]
    root = world.roots["identity"]
    assert world.parties["external"].delegator == root  # the shape this test is about
    assert _verify(case, {}).status is Status.VALID  # positive control
    fork = W.forked_event(world, root, len(world.parties[root].events) - 1, at=ROTATE_AT)
    v = _verify(case, {case["evd"]: case["routes"][case["evd"]][1] + fork})
    assert v.status is Status.INVALID
    v11 = [c for c in v.checks if c.id == "V-11" and c.code == codes.KEL_DUPLICITY]
    assert v11 and all(c.status is CheckStatus.FAIL for c in v11)
    assert "delegator" in v11[0].message
