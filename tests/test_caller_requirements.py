"""Caller requirements of vvp-protocol.md §8 proven end to end through :func:`verify_call`, where
no narrower test proves them: the ``kid`` OOBI (P-06, P-07), optimised paths keep the guarantees
(V-00), only ACDCs count as core credentials (V-25), and semantic rules consume only what the
cryptographic layer proved (DS-19). Evidence is served from memory under a fixed base URL, so
each test can swap one resource for a bad one.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.world_fixtures import own_world
from vvp import codes
from vvp.fetch import MemoryFetcher
from vvp.keystate import KelResult, KeyState
from vvp.caller.passport import PassportPolicy, check_passport
from vvp.trust import TrustStore, load_trust_store
from vvp.verdict import Status
from vvp.verifier import CallInput, VerifierCache, _key_state_checks, verify_call
from vvp.testing.world import CALL_AT, CARD, DEST, GOAL, SCENARIOS, World, WorldUrls, routes_for, write_evidence
from vvp.testing.world.files import EvidenceFiles
from vvp.testing.world.scenarios import make_calls

BASE = "http://127.0.0.1:5642"  # never contacted


@dataclass
class Served:
    world: World
    urls: WorldUrls
    files: EvidenceFiles
    trust: TrustStore
    items: dict[str, tuple[str, bytes]]

    def call(self, dossier: str = "le") -> CallInput:
        d = self.world.dossiers[dossier]
        iat = int((CALL_AT - _dt.timedelta(seconds=2)).timestamp())
        sp = self.world.passport(signer=d.signer, kid=self.urls.kid(self.world, d.signer), evd=self.urls.evd(d.said),
                                 orig=d.numbers[0], dest=DEST, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
        return CallInput(reference_time=CALL_AT, identities=(sp.identity,), orig=d.numbers[0], dest=DEST)

    def verify(self, call: CallInput, **replace: tuple[str, bytes]) -> dict[str, Any]:
        items = {**self.items, **replace}
        return verify_call(call, trust=self.trust, fetcher=MemoryFetcher(items)).to_json()


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[Served]:
    w = own_world()
    files = write_evidence(w, BASE, tmp_path)
    items = {BASE + p: (r.content_type, r.body) for p, r in routes_for(w).items() if r.status == 200}
    yield Served(world=w, urls=WorldUrls(BASE), files=files, trust=load_trust_store(files.trust), items=items)


def checks(doc: dict[str, Any], id_: str) -> list[dict[str, Any]]:
    return [c for c in doc["checks"] if c["id"] == id_]


def kid_url(s: Served, dossier: str = "le") -> str:
    return s.urls.kid(s.world, s.world.dossiers[dossier].signer)


def test_P_06_kid_oobi_that_is_not_a_kel(served: Served) -> None:
    call = served.call()
    doc = served.verify(call, **{kid_url(served): ("application/json+cesr", b'{"v":"KERI10JSON000000_"}junk')})
    assert doc["status"] == "INVALID"
    (p06,) = checks(doc, "P-06")
    assert (p06["status"], p06["code"]) == ("fail", codes.KEL_STREAM_UNREADABLE)
    assert checks(doc, "V-06")[0]["status"] != "pass"


def test_P_06_kid_oobi_serving_another_aids_kel(served: Served) -> None:
    call = served.call()
    doc = served.verify(call, **{kid_url(served): ("application/json+cesr", served.world.parties["le"].oobi)})
    assert doc["status"] == "INDETERMINATE"
    (p06,) = checks(doc, "P-06")
    assert (p06["status"], p06["code"]) == ("indeterminate", codes.KEL_AID_NOT_FOUND)
    assert doc["claims"]["passport"]["status"] == "INDETERMINATE"


def test_P_07_multisig_signer_is_refused(served: Served) -> None:
    """The key-state step refuses a kid AID with several keys or a threshold other than 1 and
    never checks the signature with one of them."""
    call = served.call()
    pr = check_passport(call.identities[0].split(";")[0], reference_time=CALL_AT, policy=PassportPolicy())
    assert pr.passport is not None
    signer = served.world.parties["signer"]
    state = KeyState(aid=signer.aid, sn=1, said="E" + "A" * 43, est_sn=1, est_said="E" + "A" * 43,
                     keys=(signer.keys[-1].public_keys[0], served.world.parties["le"].keys[0].public_keys[0]),
                     kt="1", next_digests=(), nt="1", witnesses=(), toad=0, delegator=None, first_seen=None,
                     est_first_seen=None)
    kel = KelResult(status=Status.VALID, aid=signer.aid, state=state, codes=(), messages=())
    got = {c.id: c for c in _key_state_checks(pr.passport, kel)}
    assert (got["P-07"].status.value, got["P-07"].code) == ("fail", codes.KID_NOT_SINGLE_SIG)
    assert got["V-06"].status.value == "not_applicable"
    single = dataclasses.replace(state, keys=state.keys[:1], kt="2")
    got = {c.id: c for c in _key_state_checks(pr.passport, dataclasses.replace(kel, state=single))}
    assert got["P-07"].code == codes.KID_NOT_SINGLE_SIG


def test_V_00_cached_and_uncached_paths_give_the_same_verdicts(served: Served) -> None:
    """The caches (V-05, V-07) are an optimisation: every scenario of the world gets the very
    same verdict without a cache, from a cold cache and from a warm one shared by all calls."""
    calls = make_calls(served.world, served.urls, served.files, SCENARIOS)
    fetcher = MemoryFetcher(served.items)
    shared = VerifierCache()
    trusts = {p: load_trust_store(p) for p in {c.trust for c in calls}}
    for c in calls:
        ci = CallInput(reference_time=c.at, identities=(c.identity,), orig=c.orig, dest=c.dest)
        trust = trusts[c.trust]
        plain = verify_call(ci, trust=trust, fetcher=fetcher).to_json()
        cold = verify_call(ci, trust=trust, fetcher=fetcher, cache=shared).to_json()
        warm = verify_call(ci, trust=trust, fetcher=fetcher, cache=shared).to_json()
        assert plain == cold == warm, c.name
        assert plain["status"] in c.scenario.expected, c.name


def test_V_25_raw_vc_in_place_of_the_tn_allocation_is_not_accepted(served: Served) -> None:
    """A W3C VC given where the dossier cites a TN allocation ACDC proves no TN right."""
    w = served.world
    d, tn = w.dossiers["le"], w.credentials["tn_le"]
    vc = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"], "id": tn.said,
          "credentialSubject": {"tn": list(d.numbers)}}
    doc = served.verify(served.call(), **{served.urls.evd(d.said): ("application/cesr", d.stream.replace(tn.acdc, b"")),
                                          f"said:{tn.said}": ("application/json", json.dumps(vc).encode())})
    assert doc["status"] == "INVALID"
    assert doc["claims"]["tn_rights"] == {"status": "INVALID", "codes": [codes.TN_NO_ALLOCATION]}
    assert doc["claims"]["dossier"]["status"] == "INDETERMINATE"
    assert codes.EDGE_TARGET_UNAVAILABLE in doc["claims"]["dossier"]["codes"]


def test_DS_19_semantic_rules_consume_only_proven_credentials(served: Served) -> None:
    """A delegated-signer credential whose body does not hash to its SAID fails the dossier and
    is not there for the authorization claim: the signer is then an undelegated stranger."""
    w = served.world
    d, delsig = w.dossiers["le"], w.credentials["delsig_le"]
    bad = delsig.raw.replace(b'"role":"delegated-signer"', b'"role":"delegated-signeR"')
    assert bad != delsig.raw
    tampered = d.stream.replace(delsig.raw, bad)
    doc = served.verify(served.call(), **{served.urls.evd(d.said): ("application/cesr", tampered)})
    assert doc["status"] == "INVALID"
    assert codes.ACDC_SAID_MISMATCH in doc["claims"]["dossier"]["codes"]
    (p08,) = checks(doc, "P-08")
    assert (p08["status"], p08["code"]) == ("fail", codes.AUTH_NO_DELEGATION)
    assert checks(doc, "V-16") == []
