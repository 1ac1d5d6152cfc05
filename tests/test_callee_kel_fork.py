"""The callee's KEL as its kid OOBI serves it and as the callee's dossier carries it must be one
KEL (architecture §2.2 and §2.4): a dossier that forks it (another validly signed event at an sn
the OOBI proved) makes the answer INVALID with ``KEL_DUPLICITY`` (X-KEL-01), as for a caller.
keri verifies each source in its own store, where each is consistent alone.

Served from memory (no sockets).
"""

from __future__ import annotations

import tempfile
from typing import Any

import pytest

from vvp import codes
from vvp._keri.baseline import split_messages
from vvp.callee.inputs import CalleeInput
from vvp.fetch import MemoryFetcher
from vvp.testing.world import ROTATE_AT, WorldSpec, WorldUrls, build_world, make_callee_calls, routes_for
from vvp.testing.world import write_evidence
from vvp.testing.worldgen import witnesses as W
from vvp.trust import load_trust_store
from vvp.verdict import Status, Verdict
from vvp.verifier import Verifier, VerifierCache

BASE = "http://127.0.0.1:5644"  # never contacted: served from memory
_KEL_ILKS = frozenset({"icp", "rot", "ixn", "dip", "drt"})


@pytest.fixture(scope="module")
def case() -> dict[str, Any]:
    world = build_world(WorldSpec(callee=True))
    with tempfile.TemporaryDirectory(prefix="vvp-test-callee-fork-") as tmp:
        files = write_evidence(world, BASE, tmp)
        trust = load_trust_store(files.trust)
        (cc,) = [c for c in make_callee_calls(world, WorldUrls(BASE), files) if c.name == "callee-valid"]
        call = CalleeInput(reference_time=cc.at, response=cc.response.read_bytes(), invite=cc.invite.read_bytes())
    (party,) = [n for n, p in world.parties.items() if n == "callee"]
    aid = world.parties[party].aid
    assert aid in cc.kid
    routes = {p: (r.content_type, r.body) for p, r in routes_for(world).items() if r.status == 200}
    kid_path, evd_path = cc.kid[len(BASE):], cc.evd[len(BASE):]
    last = len(world.parties[party].events) - 1
    assert kid_path in routes
    # the callee is also an issuer in its dossier: the dossier's copy of its KEL gets the other
    # event at its last sn in place of the one the kid OOBI serves (each source consistent alone)
    dossier = b"".join(m.raw for m in split_messages(routes[evd_path][1])
                       if not (m.ked.get("t") in _KEL_ILKS and m.ked.get("i") == aid
                               and int(str(m.ked.get("s")), 16) == last))
    forked_dossier = dossier + W.forked_event(world, party, last, at=ROTATE_AT)
    return {"trust": trust, "call": call, "routes": routes, "evd": evd_path, "aid": aid, "sn": last,
            "forked_dossier": forked_dossier}


def _verify(case: dict[str, Any], evd_body: bytes | None = None) -> Verdict:
    routes = dict(case["routes"])
    if evd_body is not None:
        routes[case["evd"]] = (routes[case["evd"]][0], evd_body)
    fetcher = MemoryFetcher({BASE + p: v for p, v in routes.items()}, missing_code=codes.FETCH_HTTP_STATUS)
    return Verifier(case["trust"], fetcher, VerifierCache()).verify_callee(case["call"])


def test_positive_control_the_untouched_answer_is_valid(case: dict[str, Any]) -> None:
    v = _verify(case)
    assert v.status is Status.VALID
    assert not [c for c in v.checks if c.id == "X-KEL-01"]


def test_a_dossier_forking_the_callee_kel_is_duplicity(case: dict[str, Any]) -> None:
    v = _verify(case, case["forked_dossier"])
    assert v.status is Status.INVALID
    (c,) = [c for c in v.checks if c.id == "X-KEL-01"]
    assert c.code == codes.KEL_DUPLICITY and c.subject == case["aid"] and f"sn {case['sn']}" in c.message
