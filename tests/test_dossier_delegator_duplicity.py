"""A delegator's duplicity inside one dossier stream (issue 22's adversarial cases, architecture
§2.4): the identity root delegates GLEIF External, which issues the QVI credential. When the
dossier also carries a second, validly signed event at the root's last sn, keri still accepts
External's events (they came first), but the chain's authority rests on a KEL the evidence shows
duplicitous: the call is never VALID, and the verdict says why (``KEL_DUPLICITY`` on V-11).

The world is served from memory (no sockets).
"""

from __future__ import annotations

import datetime as _dt
import tempfile
from typing import Any

import pytest

from vvp import codes
from vvp.fetch import MemoryFetcher
from vvp.testing.world import CALL_AT, CARD, DEST, GOAL, ROTATE_AT, WorldSpec, WorldUrls, build_world, routes_for
from vvp.testing.world import write_evidence
from vvp.testing.worldgen import witnesses as W
from vvp.trust import load_trust_store
from vvp.verdict import CheckStatus, Status, Verdict
from vvp.verifier import CallInput, Verifier, VerifierCache

BASE = "http://127.0.0.1:5643"  # never contacted: served from memory


@pytest.fixture(scope="module")
def case() -> dict[str, Any]:
    world = build_world(WorldSpec())
    with tempfile.TemporaryDirectory(prefix="vvp-test-deldup-") as tmp:
        trust = load_trust_store(write_evidence(world, BASE, tmp).trust)
    urls = WorldUrls(BASE)
    d = world.dossiers["le"]
    iat = int((CALL_AT - _dt.timedelta(seconds=2)).timestamp())
    sp = world.passport(signer=d.signer, kid=urls.kid(world, d.signer), evd=urls.evd(d.said), orig=d.numbers[0],
                        dest=DEST, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
    root = world.roots["identity"]
    assert world.parties["external"].delegator == root  # the shape this test is about
    return {
        "routes": {p: (r.content_type, r.body) for p, r in routes_for(world).items() if r.status == 200},
        "trust": trust, "evd": urls.evd(d.said)[len(BASE):],
        "call": CallInput(reference_time=CALL_AT, identities=(sp.identity,), orig=d.numbers[0], dest=DEST),
        "fork": W.forked_event(world, root, len(world.parties[root].events) - 1, at=ROTATE_AT),
    }


def _verify(case: dict[str, Any], evd_body: bytes | None = None) -> Verdict:
    routes = dict(case["routes"])
    if evd_body is not None:
        routes[case["evd"]] = (routes[case["evd"]][0], evd_body)
    fetcher = MemoryFetcher({BASE + p: v for p, v in routes.items()}, missing_code=codes.FETCH_HTTP_STATUS)
    return Verifier(case["trust"], fetcher, VerifierCache()).verify(case["call"])


def test_positive_control_the_untouched_dossier_is_valid(case: dict[str, Any]) -> None:
    assert _verify(case).status is Status.VALID


def test_a_duplicitous_delegator_in_the_dossier_is_never_valid(case: dict[str, Any]) -> None:
    v = _verify(case, case["routes"][case["evd"]][1] + case["fork"])
    assert v.status is Status.INVALID
    v11 = [c for c in v.checks if c.id == "V-11" and c.code == codes.KEL_DUPLICITY]
    assert v11 and all(c.status is CheckStatus.FAIL for c in v11)
    assert "delegator" in v11[0].message
