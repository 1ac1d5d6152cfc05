"""``vvp.Verifier`` (architecture §2.1): one object per trust store, its state made when it is built.

The point of these tests: a trust store's files are read when the store is loaded, and never by
path during a call. Replacing a schema or anchor file on disk changes nothing for a Verifier
already built; loading the store again and building a new Verifier uses the new bytes, and the
record of a call made with it holds exactly those bytes.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

import vvp
from vvp.fetch import FetchLimits, build_fetcher
from vvp.replay import snapshot_trust
from vvp.trust import load_trust_store
from vvp.verdict import Status
from vvp.verifier import CallInput, Verifier, VerifierCache, verify_call
from vvp.testing.world import ServedWorld

pytest_plugins = ["tests.world_fixtures"]


def test_the_public_api_is_small_and_curated() -> None:
    assert set(vvp.__all__) >= {"Verifier", "CallInput", "Verdict", "TrustStore", "Record", "VvpError"}
    assert all(hasattr(vvp, n) for n in vvp.__all__)
    assert len(vvp.__all__) <= 24  # a curated API, not the package's contents
    with pytest.raises(AttributeError):
        _ = vvp.verify_call  # type: ignore[attr-defined]


def _call(sw: ServedWorld, name: str = "valid") -> CallInput:
    c = sw.call(name)
    return CallInput(reference_time=c.at, identities=(c.identity,), orig=c.orig, dest=c.dest)


def _private_trust(sw: ServedWorld, tmp_path: Path) -> Path:
    """A copy of the world's trust store with its own schema folder, free to be changed."""
    doc = json.loads(sw.files.trust.read_text())
    shutil.copytree(sw.files.schemas_dir, tmp_path / "schemas")
    doc["schemas"] = ["schemas"]
    p = tmp_path / "trust.json"
    p.write_text(json.dumps(doc))
    return p


def test_a_replaced_schema_file_counts_only_when_the_store_is_loaded_again(served_world: ServedWorld,
                                                                          tmp_path: Path) -> None:
    trust_file = _private_trust(served_world, tmp_path)
    trust = load_trust_store(trust_file)
    fetcher = build_fetcher(limits=FetchLimits.from_policy(trust.policy))
    before = Verifier(trust, fetcher, use_cache=False)
    assert before.verify(_call(served_world)).status is Status.VALID
    old_bytes = {tf.name: tf.entries for tf in snapshot_trust(trust).files}

    # Empty every schema the store names: a verifier built before keeps its loaded bytes ...
    for f in (tmp_path / "schemas").glob("*.json"):
        f.write_text(json.dumps({"$id": "not-a-said"}))
    assert before.verify(_call(served_world)).status is Status.VALID
    # ... the store loaded again has the new ones, and so do its verifications and records.
    again = load_trust_store(trust_file)
    after = Verifier(again, fetcher, use_cache=False).verify(_call(served_world))
    snap = snapshot_trust(again)
    assert {tf.name: tf.entries for tf in snap.files} != old_bytes
    assert all(b'"not-a-said"' in data for tf in snap.files if tf.field == "schemas" for _, data in tf.entries)
    # the world's own schemas are also package data, so its ACDCs still find them: what changed is
    # what the store holds, and that is what its record shows
    assert after.status is Status.VALID


def test_a_replaced_anchor_file_is_used_by_the_next_store(tmp_path: Path) -> None:
    from tests import shaken_pki as sp

    pki = sp.build()
    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    (tmp_path / "crl-signer.pem").write_bytes(pki.crl_signer.pem)
    (tmp_path / "trust.json").write_text(json.dumps({"sti_pa": ["root.pem"], "sti_crl_signers": ["crl-signer.pem"]}))
    call = CallInput(reference_time=sp.T, identities=(sp.identity("spc"),), orig=sp.ORIG, dest=sp.DEST)
    trust = load_trust_store(tmp_path / "trust.json")
    before = Verifier(trust, pki.fetcher(), use_cache=False)
    assert before.verify(call).claims["shaken"].status is Status.VALID

    (tmp_path / "root.pem").write_bytes(pki.other_root.pem)  # the file is replaced on disk
    assert before.verify(call).claims["shaken"].status is Status.VALID  # not re-read during a call
    again = load_trust_store(tmp_path / "trust.json")
    assert Verifier(again, pki.fetcher(), use_cache=False).verify(call).claims["shaken"].status is Status.INVALID
    recorded = [data for tf in snapshot_trust(again).files if tf.field == "sti_pa" for _, data in tf.entries]
    assert recorded == [pki.other_root.pem]  # the record shows the bytes that judged the call


def test_a_shared_verifier_gives_the_verdicts_of_fresh_ones_in_any_order(served_world: ServedWorld) -> None:
    """The differential run of issue 13: every scenario, shuffled, through one long-lived
    Verifier (warm caches) and through a fresh uncached verification each: identical JSON."""
    calls = list(served_world.calls)
    random.Random(13).shuffle(calls)
    trusts = {c.trust: load_trust_store(c.trust) for c in calls}
    fetcher = build_fetcher(limits=FetchLimits.from_policy(next(iter(trusts.values())).policy))
    shared = {p: Verifier(t, fetcher, VerifierCache()) for p, t in trusts.items()}
    for rnd in range(2):  # the second round is answered from warm caches
        for c in calls:
            ci = CallInput(reference_time=c.at, identities=(c.identity,), orig=c.orig, dest=c.dest)
            warm = shared[c.trust].verify(ci).to_json()
            cold = verify_call(ci, trust=trusts[c.trust], fetcher=fetcher).to_json()
            assert json.dumps(warm, sort_keys=True) == json.dumps(cold, sort_keys=True), (rnd, c.name)
