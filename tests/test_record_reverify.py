"""Re-verification, offline: round trips in the test world, INDETERMINATE reproduction, a later
rotation and revocation, ``--trust`` re-judging, non-reproduction (exit 5), byte flips (exit 6,
never 0), deduplication and the CLI.

The machinery is driven here by ``toy_verify`` (tests/recordkit.py), whose statuses the tests
construct; test_record_world.py runs the same round trip with the real verifier.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.recordkit import (
    SALT,
    Made,
    call_input,
    no_network,
    record_call,
    resign,
    shm_dir,
    top_level_spans,
    toy_verify,
)
from tests.world_fixtures import own_world
from vvp import clock, codes
from vvp._cli import main
from vvp.testing.worldgen import World, WorldSpec, build_world
from vvp.fetch import EvidenceKind, FetchLimits, RecordingFetcher, build_fetcher
from vvp.record import (
    VerifierIdentity,
    canonical_json,
    digest,
    load_record,
    open_identity,
)
from vvp.replay import compare_verdicts, make_record, reverify_file, write_call_record
from vvp.trust import load_trust_store
from vvp.verdict import Verdict, build_verdict, failed
from vvp.verifier import CallInput, verify_call
from vvp.testing.world import ServedWorld, served_world


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        yield ident


@pytest.fixture(scope="module")
def sw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedWorld]:
    with served_world(own_world(), tmp_path_factory.mktemp("world")) as s:
        yield s


@pytest.fixture(scope="module")
def valid(sw: ServedWorld, identity: VerifierIdentity, tmp_path_factory: pytest.TempPathFactory) -> Made:
    made = record_call(sw.call("valid"), tmp_path_factory.mktemp("rec") / "valid.json", identity)
    assert made.verdict.status == "VALID", made.verdict.to_json()
    return made


# --- round trip -------------------------------------------------------------------------------

def test_round_trip_reproduces_offline(valid: Made, monkeypatch: pytest.MonkeyPatch) -> None:
    ev = valid.record.evidence()
    assert [e.kind for e in ev] == [EvidenceKind.OOBI, EvidenceKind.DOSSIER]
    assert all(e.fetched is not None and e.fetched.source == "http" for e in ev)
    assert valid.record.trust_snapshot().files, "the world's schema folder travels as content"
    with no_network(monkeypatch) as attempts:
        r = reverify_file(valid.path, verify=toy_verify)
    assert attempts == []
    assert (r.integrity.ok, r.signature is not None and r.signature.ok) == (True, True)
    assert (r.recorded_status, r.recomputed_status, r.reproduced, r.code) == ("VALID", "VALID", True, codes.OK)
    assert r.exit_code == 0 and r.differences == () and r.not_in_record == ()
    assert r.recomputed_verdict == valid.record.verdict


def test_the_trust_store_is_replayed_from_its_recorded_bytes(valid: Made, sw: ServedWorld,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema folder the trust store named is gone: the replay still sees its schemas."""
    # the original folder is gone: only the record's copy of its bytes can serve the replay
    moved = sw.files.schemas_dir.with_name("schemas-moved")
    sw.files.schemas_dir.rename(moved)
    try:
        r = reverify_file(valid.path, verify=toy_verify)
    finally:
        moved.rename(sw.files.schemas_dir)
    assert r.reproduced is True and r.recomputed_status == "VALID"


def test_indeterminate_reproduces_with_the_recorded_failures(identity: VerifierIdentity, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with served_world(own_world(), tmp_path / "w") as down:
        call = down.call("valid")
    # the server is stopped: both fetches fail at call time, and the record keeps the failures
    made = record_call(call, tmp_path / "down.json", identity)
    assert made.verdict.status == "INDETERMINATE"
    fails = [e["failure"]["code"] for e in made.record.data["evidence"]]
    assert fails == [codes.FETCH_CONNECT_FAILED, codes.FETCH_CONNECT_FAILED]
    with no_network(monkeypatch) as attempts:
        r = reverify_file(made.path, verify=toy_verify)
    assert attempts == []
    assert (r.recomputed_status, r.reproduced, r.exit_code) == ("INDETERMINATE", True, 3)
    assert r.recomputed_verdict is not None
    assert [c["code"] for c in r.recomputed_verdict["checks"][:2]] == fails


# --- a later rotation and a later revocation --------------------------------------------------

@pytest.fixture(scope="module")
def world_then() -> World:
    """The world as it was at the call: no rotation, no revocation yet (same AIDs and SAIDs)."""
    return build_world(WorldSpec(rotations=(), revocations=()))


def test_a_call_before_a_rotation_and_a_revocation_re_verifies_to_its_verdict(
        world_then: World, identity: VerifierIdentity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    later = own_world()
    assert later.parties["signer"].oobi != world_then.parties["signer"].oobi  # the signer rotated since
    with served_world(world_then, tmp_path / "then") as then:
        call = then.call("valid-before-rotation")
        made = record_call(call, tmp_path / "then.json", identity)
    assert made.verdict.status == "VALID"
    kel_then = made.record.evidence()[0].fetched
    assert kel_then is not None and kel_then.body == world_then.parties["signer"].oobi
    # months later: the world has moved on (served again), but reverify never asks it
    with served_world(later, tmp_path / "now"), no_network(monkeypatch) as attempts:
        r = reverify_file(made.path, verify=toy_verify)
    assert attempts == []
    assert (r.recorded_status, r.recomputed_status, r.reproduced, r.exit_code) == ("VALID", "VALID", True, 0)


# --- --trust: a different question ------------------------------------------------------------

def test_another_trust_store_is_a_different_question(valid: Made, sw: ServedWorld,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    before = valid.path.read_bytes()
    other = load_trust_store(sw.files.trust_untrusted)
    with no_network(monkeypatch):
        r = reverify_file(valid.path, trust=other, verify=toy_verify)
    assert r.question == "rejudged" and r.code == codes.RECORD_REJUDGED and r.reproduced is None
    assert (r.recorded_status, r.recomputed_status, r.exit_code) == ("VALID", "INDETERMINATE", 3)
    paths = {d.path for d in r.differences}
    assert {"status", "claims.authorization", "checks[X-TOY-03@None]"} <= paths
    assert valid.path.read_bytes() == before  # the recorded result is untouched
    j = r.to_json()
    assert j["reproduced"] is None and j["trust"] == {"used": "other", "source": str(sw.files.trust_untrusted)}
    # the same trust store as recorded: same answer, and still reported as re-judged
    same = reverify_file(valid.path, trust=load_trust_store(sw.files.trust), verify=toy_verify)
    assert same.question == "rejudged" and same.differences == () and same.exit_code == 0


# --- not reproduced: exit 5 -------------------------------------------------------------------

def _always_invalid(call: CallInput, *, trust: Any, fetcher: Any) -> Verdict:
    return build_verdict([failed("X-TOY-01", "passport", codes.INTERNAL_ERROR, "changed mind")],
                         reference_time=clock.rfc3339(call.reference_time))


def test_a_verdict_that_no_longer_reproduces_exits_5(valid: Made) -> None:
    r = reverify_file(valid.path, verify=_always_invalid)
    assert (r.reproduced, r.code, r.exit_code) == (False, codes.RECORD_NOT_REPRODUCED, 5)
    assert (r.recorded_status, r.recomputed_status) == ("VALID", "INVALID")
    paths = [d.path for d in r.differences]
    assert "status" in paths and "checks[X-TOY-01@None]" in paths and "checks[X-TOY-02@" + \
        valid.record.verdict["checks"][1]["subject"] + "]" in paths


def test_asking_for_evidence_the_record_lacks_is_named(valid: Made) -> None:
    def greedy(call: CallInput, *, trust: Any, fetcher: Any) -> Verdict:
        from vvp.errors import FetchError
        with pytest.raises(FetchError) as ei:
            fetcher.fetch("http://127.0.0.1:9/never-fetched", EvidenceKind.OOBI)
        assert ei.value.code == codes.FETCH_NOT_IN_RECORD
        return toy_verify(call, trust=trust, fetcher=fetcher)
    r = reverify_file(valid.path, verify=greedy)
    assert r.not_in_record == ("http://127.0.0.1:9/never-fetched",) and r.reproduced is True


def test_compare_treats_a_reworded_message_as_a_note() -> None:
    a = {"status": "VALID", "claims": {"passport": {"status": "VALID", "codes": []}},
         "checks": [{"id": "V-06", "subject": "E1", "claim": "passport", "status": "pass", "code": "OK",
                     "message": "old words"}]}
    b = json.loads(json.dumps(a))
    b["checks"][0]["message"] = "new words"
    diffs, notes = compare_verdicts(a, b)
    assert diffs == () and len(notes) == 1 and "new words" in notes[0]
    b["checks"][0]["code"] = "KEL_BAD_SIGNATURE"
    b["claims"]["passport"] = {"status": "INVALID", "codes": ["KEL_BAD_SIGNATURE"]}
    b["extra"] = 1
    diffs, _ = compare_verdicts(a, b)
    assert [d.path for d in diffs] == ["claims.passport", "extra", "checks[V-06@E1]"]


# --- byte flips: exit 6 (or 5), never 0 -------------------------------------------------------

def _flip_positions(raw: bytes) -> list[tuple[str, int]]:
    """Seeded positions in every top-level key and value of the record, and inside one evidence
    blob (the kid OOBI's KEL stream)."""
    out: list[tuple[str, int]] = []
    for key, ((k0, k1), (v0, v1)) in top_level_spans(raw).items():
        rng = random.Random(f"flip:{key}")
        out.append((f"{key} (key)", rng.randrange(k0, k1)))
        out += [(key, p) for p in sorted({v0, v1 - 1, *(rng.randrange(v0, v1) for _ in range(4))})]
    data = json.loads(raw)
    kel_blob = data["evidence"][0]["fetched"]["blob"]
    text = canonical_json(data["blobs"][kel_blob]["text"])[1:-1]
    start = raw.index(text)
    rng = random.Random("flip:blob")
    out += [("evidence blob", p) for p in sorted(rng.randrange(start, start + len(text)) for _ in range(8))]
    return out


def test_byte_flips_anywhere_break_the_record(valid: Made, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    raw = valid.path.read_bytes()
    positions = _flip_positions(raw)
    fields = {name.split(" ")[0] for name, _ in positions}
    assert fields >= set(json.loads(raw)) | {"evidence"}
    seen_codes: dict[str, set[str]] = {}
    target = tmp_path / "flipped.json"
    for name, pos in positions:
        for mask in (0x01, 0x20):
            b = bytearray(raw)
            b[pos] ^= mask
            target.write_bytes(bytes(b))
            rc = main(["reverify", str(target), "--json"])
            out = json.loads(capsys.readouterr().out)
            assert rc in (5, 6), f"{name} @ {pos} ^ {mask:#x}: exit {rc}"
            assert rc == out["exit_code"] and out["code"] != codes.OK
            if rc == 6:
                assert out["reproduced"] is None and out["recomputed_status"] is None
            seen_codes.setdefault(name, set()).add(out["code"])
    assert seen_codes["evidence blob"] & {codes.RECORD_BLOB_MISMATCH, codes.RECORD_NOT_JSON}
    assert codes.RECORD_SIGNATURE_INVALID in seen_codes["signature"]
    assert codes.RECORD_ID_MISMATCH in seen_codes["verdict"] | seen_codes["inputs"]


# --- deduplication ----------------------------------------------------------------------------

def test_a_kel_served_under_two_urls_is_stored_once(sw: ServedWorld, identity: VerifierIdentity) -> None:
    w = sw.world
    qvi = w.parties["qvi"]
    trust = load_trust_store(sw.files.trust)
    rec = RecordingFetcher(build_fetcher(limits=FetchLimits.from_policy(trust.policy)),
                           clock=clock.FixedClock(clock.parse_time("2026-03-01T12:00:00Z")))
    urls = [sw.urls.oobi(qvi.aid), sw.urls.oobi(qvi.aid, "witness", qvi.witnesses[0])] if qvi.witnesses else \
        [sw.urls.oobi(qvi.aid), sw.urls.oobi(qvi.aid, "controller")]
    for u in urls:
        rec.fetch(u, EvidenceKind.OOBI)
    ci = call_input(sw.call("valid"))
    verdict = _always_invalid(ci, trust=trust, fetcher=rec)  # the verdict does not matter here
    record = make_record(ci, verdict, trust=trust, events=rec.events, received_at=ci.reference_time,
                         identity=identity)
    blobs = {e["fetched"]["blob"] for e in record.data["evidence"]}
    assert len(record.data["evidence"]) == 2 and blobs == {digest(qvi.oobi)}
    assert record.to_bytes().count(canonical_json(qvi.oobi.decode())[1:-1]) == 1


# --- CLI --------------------------------------------------------------------------------------

def test_cli_json_and_human_report(valid: Made, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # the record was made by the toy verifier; the CLI re-runs the real one, so it need not
    # reproduce: what matters here is the shape of the answer
    with no_network(monkeypatch):
        rc = main(["reverify", str(valid.path), "--json"])
    cap = capsys.readouterr()
    doc = json.loads(cap.out)
    for key in ("integrity", "signature", "recorded_status", "recomputed_status", "reproduced", "differences"):
        assert key in doc
    assert doc["integrity"]["ok"] and doc["signature"]["ok"] and doc["signature"]["signer"] == \
        valid.record.signer.aid
    assert rc == doc["exit_code"] and rc in (0, 1, 3, 5)
    assert "integrity  OK" in cap.err and "signature  OK" in cap.err and "received" in cap.err


def test_cli_trust_says_plainly_it_is_another_question(valid: Made, sw: ServedWorld,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["reverify", str(valid.path), "--trust", str(sw.files.trust_untrusted)])
    cap = capsys.readouterr()
    assert cap.out == ""
    assert "RECORD_REJUDGED" in cap.err and "different question" in cap.err and "unchanged" in cap.err
    assert rc in (0, 1, 3)


def test_cli_exit_5_for_an_intact_record_whose_verdict_differs(sw: ServedWorld, identity: VerifierIdentity,
                                                               tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Content intact and signed, but the recorded verdict is not what the evidence gives."""
    made = record_call(sw.call("valid"), tmp_path / "real.json", identity, verify=verify_call)
    data = json.loads(made.path.read_bytes())
    recorded = data["verdict"]
    recorded["status"] = "VALID" if recorded["status"] != "VALID" else "INVALID"
    bent = tmp_path / "bent.json"
    bent.write_bytes(canonical_json(resign(data, identity)) + b"\n")
    rc = main(["reverify", str(bent), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert (rc, doc["reproduced"], doc["integrity"]["ok"], doc["signature"]["ok"]) == (5, False, True, True)
    assert any(d["path"] == "status" for d in doc["differences"])


def test_cli_unreadable_record_exits_4_and_garbage_exits_6(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reverify", str(tmp_path / "missing.json")]) == 4
    assert codes.RECORD_UNREADABLE in capsys.readouterr().err
    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    assert main(["reverify", str(junk), "--json"]) == 6
    doc = json.loads(capsys.readouterr().out)
    assert doc["integrity"] == {"ok": False, "code": codes.RECORD_NOT_JSON, "message": doc["integrity"]["message"]}
    assert main(["reverify", str(junk), "--trust", str(tmp_path / "no-trust.json")]) == 4


def test_write_call_record_uses_the_keystore_rules(sw: ServedWorld, tmp_path: Path) -> None:
    call = sw.call("valid")
    ci = call_input(call)
    trust = load_trust_store(call.trust)
    verdict = verify_call(ci, trust=trust, fetcher=build_fetcher(limits=FetchLimits.from_policy(trust.policy)))
    with shm_dir() as d:
        env = {"VVP_KEYSTORE": str(d / "env-ks"), "HOME": str(tmp_path)}
        rec = write_call_record(tmp_path / "r.json", ci, verdict, trust=trust, events=(), received_at=call.at,
                                environ=env, salt=SALT)
        assert (d / "env-ks").is_dir()
    assert load_record(tmp_path / "r.json").id == rec.id
    assert rec.trust_snapshot().as_loaded == json.loads(call.trust.read_text())
