"""A callee verdict in a forensic record: recorded, re-verified offline, reproduced; tampered, refused.

The record keeps the callee's inputs as received (``"direction": "callee"``, the 200 OK and the
INVITE), so ``vvp reverify`` replays them through ``Verifier.verify_callee`` on the recorded
evidence alone (the network is refused while it runs).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.callee_kit import Kit, ck, run_cli, served_callee  # noqa: F401 - fixtures
from tests.recordkit import no_network, resign, shm_dir
from vvp import clock, codes
from vvp.callee.inputs import CalleeInput
from vvp.fetch import RecordingFetcher
from vvp.record import VerifierIdentity, canonical_json, open_identity
from vvp.replay import make_record, reverify_file
from vvp.verifier import Verifier, VerifierCache, input_from_json
from vvp.testing.world import ServedWorld

SALT = b"vvp-test-callee!"


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        yield ident


def _record(ck: Kit, name: str, identity: VerifierIdentity, path: Path, *, warm: Verifier | None = None) -> dict:  # type: ignore[type-arg]
    call = ck.call(name)
    ci = CalleeInput(reference_time=call.at, response=call.response.read_bytes(), invite=call.invite.read_bytes())
    rec = RecordingFetcher(ck.fetcher, clock=clock.FixedClock(call.at + _dt.timedelta(seconds=1)))
    v = (warm or Verifier(ck.trust, ck.fetcher, use_cache=False)).verify_callee(ci, fetcher=rec)
    record = make_record(ci, v, trust=ck.trust, events=rec.events, received_at=call.at + _dt.timedelta(seconds=2),
                         identity=identity)
    path.write_bytes(record.to_bytes())
    return v.to_json()


def test_inputs_round_trip_and_are_told_apart_from_a_callers(ck: Kit) -> None:
    call = ck.call("callee-valid")
    ci = CalleeInput(reference_time=call.at, response=call.response.read_bytes(), invite=call.invite.read_bytes(),
                     caller_goal="x", dest="+15551230020")
    doc = ci.to_json()
    assert doc["direction"] == "callee" and input_from_json(doc) == ci
    caller = input_from_json({"reference_time": doc["reference_time"], "identities": []})
    assert not isinstance(caller, CalleeInput)


@pytest.mark.parametrize("name", ["callee-valid", "callee-dno-number", "callee-dossier-of-another",
                                  "callee-oobi-unreachable"])
def test_recorded_callee_verdicts_reproduce_offline(ck: Kit, identity: VerifierIdentity, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    recorded = _record(ck, name, identity, tmp_path / "r.json")
    with no_network(monkeypatch) as attempts:
        r = reverify_file(tmp_path / "r.json")
    assert attempts == []
    assert (r.integrity.ok, r.signature is not None and r.signature.ok) == (True, True)
    assert r.reproduced is True and r.differences == () and r.not_in_record == (), r.differences
    assert r.recomputed_verdict == recorded and r.recomputed_verdict["direction"] == "callee"
    assert r.exit_code == {"VALID": 0, "INVALID": 1, "INDETERMINATE": 3}[recorded["status"]]


def test_a_warm_callee_call_records_every_byte_it_relied_on(ck: Kit, identity: VerifierIdentity, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    warm = Verifier(ck.trust, ck.fetcher, VerifierCache())
    _record(ck, "callee-valid", identity, tmp_path / "cold.json", warm=warm)
    recorded = _record(ck, "callee-valid", identity, tmp_path / "warm.json", warm=warm)
    with no_network(monkeypatch):
        r = reverify_file(tmp_path / "warm.json")
    assert r.reproduced is True and r.recomputed_verdict == recorded


def test_tampered_callee_records_exit_5_or_6(ck: Kit, identity: VerifierIdentity, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _record(ck, "callee-valid", identity, tmp_path / "r.json")
    raw = (tmp_path / "r.json").read_bytes()
    # a byte changed anywhere in the content: integrity (exit 6)
    flipped = tmp_path / "flipped.json"
    flipped.write_bytes(raw.replace(b'"direction":"callee"', b'"direction":"callef"', 1))
    with no_network(monkeypatch):
        r6 = reverify_file(flipped)
    assert r6.exit_code == 6 and not r6.integrity.ok
    # re-signed after changing the answer's inputs (another Call-ID in the INVITE): intact, signed,
    # but the verdict no longer follows from the evidence (exit 5)
    data = json.loads(raw)
    data["inputs"]["invite"] = data["inputs"]["invite"].replace("callee-valid@acme.example", "other@acme.example")
    bent = tmp_path / "bent.json"
    bent.write_bytes(canonical_json(resign(data, identity)) + b"\n")
    with no_network(monkeypatch):
        r5 = reverify_file(bent)
    assert (r5.integrity.ok, r5.signature is not None and r5.signature.ok, r5.reproduced, r5.exit_code) == \
        (True, True, False, 5)
    assert any(d.path.startswith("claims.context") for d in r5.differences)
    # the recorded verdict turned into a caller's (direction dropped), re-signed: not reproduced
    data = json.loads(raw)
    del data["verdict"]["direction"]
    dropped = tmp_path / "dropped.json"
    dropped.write_bytes(canonical_json(resign(data, identity)) + b"\n")
    with no_network(monkeypatch):
        rd = reverify_file(dropped)
    assert rd.exit_code == 5 and any(d.path == "direction" for d in rd.differences)


def test_cli_record_and_reverify_a_200_ok(served_callee: ServedWorld, tmp_path: Path) -> None:  # noqa: F811
    call = served_callee.callee_call("callee-valid")
    with shm_dir() as ks:
        rc, doc, err = run_cli([*call.argv(json_out=True), "--record", str(tmp_path / "r.json"),
                                "--keystore", str(ks / "ks")])
    assert rc == 0 and doc is not None and doc["direction"] == "callee", err
    rc2, out, err2 = run_cli(["reverify", str(tmp_path / "r.json"), "--json"])
    assert rc2 == 0 and out is not None and out["reproduced"] is True, err2
    assert out["recomputed"]["direction"] == "callee"
    assert codes.OK == out["code"]
