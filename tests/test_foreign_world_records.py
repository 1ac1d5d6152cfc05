"""Records of calls with foreign evidence re-verify offline (issues 19 and 20, acceptance).

Every case of the foreign world is verified with a private copy of the world's strict trust store
(so the status depends on the evidence claim), recorded, and then the copy is deleted and the
network banned: ``reverify`` must rebuild the trust store from the record (foreign.x509,
foreign.rtu_authorities, foreign.sd_jwt_issuers, foreign.contexts files) and find every artifact,
CRL and OCSP response in it (fetched by URL: recorded events; in ``data:`` URIs: inside the
recorded dossier), and reproduce the verdict check by check. Also the trust-file slots of the
new ``foreign`` fields (issuer-indexed JWK sets, URL-sorted contexts) and how a record that
names them wrongly is refused.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.foreign_world_kit import foreign_world, main_bridge, need_w3c
from tests.recordkit import SALT, no_network, record_call, resign, shm_dir
from vvp import codes
from vvp.errors import ConfigError
from vvp.record import Record, RecordBroken, VerifierIdentity, canonical_json, materialise_trust, open_identity
from vvp.replay import reverify_file, snapshot_trust
from vvp.testing import foreign_vc as fv
from vvp.trust import load_trust_store, parse_trust_store
from vvp.verifier import verify_call
from vvp.testing.world.scenarios import FOREIGN_CASES, ForeignCase

EXIT = {"VALID": 0, "INVALID": 1, "INDETERMINATE": 3}


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        yield ident


def private_trust(src: Path, into: Path) -> Path:
    """A copy of one of the world's trust stores whose every file (schemas, foreign anchors,
    contexts, including the corpus's base context) is a copy under ``into``."""
    doc: dict[str, Any] = json.loads(src.read_text())
    into.mkdir(parents=True)
    base = src.parent

    def copy(word: str) -> str:
        p = Path(word) if Path(word).is_absolute() else base / word
        target = into / "files" / f"{len(list((into).rglob('*')))}-{p.name}"
        target.parent.mkdir(exist_ok=True)
        (shutil.copytree if p.is_dir() else shutil.copy)(p, target)
        return str(target)

    doc["schemas"] = [copy(s) for s in doc["schemas"]]
    foreign = doc.get("foreign", {})
    for key in ("x509", "rtu_authorities", "sd_jwt_issuers"):
        foreign[key] = [copy(s) for s in foreign.get(key, [])]
    foreign["contexts"] = {u: copy(f) for u, f in foreign.get("contexts", {}).items()}
    out = into / "trust.json"
    out.write_text(json.dumps(doc))
    return out


def _blobs_text(rec_doc: dict[str, Any]) -> list[bytes]:
    return [b["text"].encode() if "text" in b else base64.b64decode(b["base64"]) for b in rec_doc["blobs"].values()]


@pytest.mark.parametrize("case", FOREIGN_CASES, ids=lambda c: c.name)
def test_a_record_with_foreign_evidence_reverifies_offline(case: ForeignCase, tmp_path: Path,
                                                           identity: VerifierIdentity,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    need_w3c(case)
    sw = foreign_world()
    assert sw.files.trust_foreign_strict is not None
    trust = private_trust(sw.files.trust_foreign_strict, tmp_path / "trust")
    call = sw.call(f"evidence-{case.name}-strict")
    made = record_call(call, tmp_path / "rec.json", identity, verify=verify_call, trust_file=trust)
    assert made.verdict.status.value == case.evidence
    doc = json.loads((tmp_path / "rec.json").read_bytes())
    fields = {f["field"] for f in doc["trust"]["files"]}
    assert {"foreign.x509", "foreign.rtu_authorities", "foreign.sd_jwt_issuers"} <= fields
    assert ("foreign.contexts" in fields) is bool(doc["trust"]["store"]["foreign"].get("contexts"))
    spec = sw.world.spec.foreign
    assert spec is not None
    plan = next(d for d in spec.dossiers if d.name == case.dossier)
    blobs = _blobs_text(doc)
    events = doc["evidence"]
    for bridge in plan.bridges:
        b = spec.bridge(bridge)
        body = spec.artifact(b.artifact).body
        if b.location == "url":  # fetched, and kept as evidence of kind artifact
            ev = [e for e in events if e["kind"] == "artifact" and e["url"].endswith(spec.artifact(b.artifact).path)]
            assert ev and "fetched" in ev[0] and body in blobs, bridge
        elif b.location == "data":  # inside the bridge ACDC, inside the recorded dossier stream
            assert any(base64.b64encode(body) in blob for blob in blobs), bridge
        else:
            failed = [e for e in events if e["kind"] == "artifact" and "failure" in e]
            assert failed and failed[0]["failure"]["code"] == codes.FETCH_HTTP_STATUS
    shutil.rmtree(tmp_path / "trust")  # replay must use the recorded bytes, not the files
    with no_network(monkeypatch) as attempts:
        result = reverify_file(tmp_path / "rec.json")
    assert attempts == []
    assert result.reproduced is True, result.differences
    assert result.recomputed_status == case.evidence and int(result.exit_code) == EXIT[case.evidence]
    assert result.recomputed_verdict is not None
    e = [a for a in result.recomputed_verdict["claims"]["evidence"]["artifacts"]
         if a["bridge"] == main_bridge(sw, case)]
    assert e and e[0]["status"] == case.evidence


def test_the_recorded_store_names_the_foreign_files(tmp_path: Path, identity: VerifierIdentity) -> None:
    sw = foreign_world()
    trust = private_trust(sw.files.trust, tmp_path / "trust")
    made = record_call(sw.call("evidence-sd-jwt-vc"), tmp_path / "rec.json", identity, verify=verify_call,
                       trust_file=trust)
    foreign = made.record.trust_snapshot().store["foreign"]
    assert {"x509", "rtu_authorities", "sd_jwt_issuers"} <= set(foreign)
    snap = made.record.trust_snapshot()
    jwks = [tf for tf in snap.files if tf.field == "foreign.sd_jwt_issuers"]
    assert [tf.index for tf in jwks] == [0] and jwks[0].entries[0][1] == (trust.parent / foreign["sd_jwt_issuers"][0]
                                                                         ).read_bytes()


# --- the trust-file slots of the new foreign fields ------------------------------------------------

def _store(tmp_path: Path) -> Path:
    (tmp_path / "jwks-a.json").write_bytes(fv.jwk_set(fv.public_jwk(fv.ed25519_key("a"))))
    (tmp_path / "jwks-b.json").write_bytes(fv.jwk_set(fv.public_jwk(fv.ed25519_key("b"))))
    (tmp_path / "ctx-z.jsonld").write_text('{"@context": {"z": "https://z.example/z"}}')
    (tmp_path / "ctx-a.jsonld").write_text('{"@context": {"a": "https://a.example/a"}}')
    (tmp_path / "sd.json").write_bytes(fv.SdJwtWorld.make("x").jwks())
    did = fv.did_key_of(fv.ed25519_key("did"))
    doc = {"version": 1, "foreign": {
        "sd_jwt_issuers": ["sd.json"],
        "vc_issuers": [did, {"id": "https://b.example", "jwks": "jwks-b.json"}, {"id": "https://a.example",
                                                                                   "jwks": "jwks-a.json"}],
        "contexts": {"https://z.example/ctx": "ctx-z.jsonld", "https://a.example/ctx": "ctx-a.jsonld"}}}
    (tmp_path / "trust.json").write_text(json.dumps(doc))
    return tmp_path / "trust.json"


def test_jwk_sets_are_indexed_by_issuer_and_contexts_by_url(tmp_path: Path) -> None:
    ts = load_trust_store(_store(tmp_path))
    slots = [(tf.field, tf.index, tf.name) for tf in ts.files if tf.field.startswith("foreign.")]
    assert slots == [("foreign.sd_jwt_issuers", 0, "sd.json"),
                     ("foreign.vc_issuers", 1, "jwks-b.json"), ("foreign.vc_issuers", 2, "jwks-a.json"),
                     ("foreign.contexts", 0, "ctx-a.jsonld"), ("foreign.contexts", 1, "ctx-z.jsonld")]
    assert list(ts.foreign.contexts) == ["https://a.example/ctx", "https://z.example/ctx"]
    assert ts.foreign.files["contexts"] == ((tmp_path / "ctx-a.jsonld").read_bytes(),
                                            (tmp_path / "ctx-z.jsonld").read_bytes())
    assert ts.foreign.files["vc_issuers"] == ((tmp_path / "jwks-b.json").read_bytes(),
                                              (tmp_path / "jwks-a.json").read_bytes())
    # as content and back: the materialised store names private copies with the same bytes
    snap = snapshot_trust(ts)
    rebuilt_dir = tmp_path / "replay"
    rebuilt = parse_trust_store(materialise_trust(snap, rebuilt_dir), base=rebuilt_dir)
    assert rebuilt.foreign.files == ts.foreign.files
    assert [v.id for v in rebuilt.foreign.vc_issuers] == [v.id for v in ts.foreign.vc_issuers]
    assert all(str(p).startswith(str(rebuilt_dir)) for p in rebuilt.foreign.contexts.values())


def test_a_folder_cannot_be_a_jwk_set_or_a_context(tmp_path: Path) -> None:
    path = _store(tmp_path)
    doc = json.loads(path.read_text())
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "x.json").write_text("{}")
    for key in ("contexts", "vc_issuers"):
        bad = json.loads(json.dumps(doc))
        if key == "contexts":
            bad["foreign"]["contexts"]["https://a.example/ctx"] = "folder"
        else:
            bad["foreign"]["vc_issuers"][1]["jwks"] = "folder"
        path.write_text(json.dumps(bad))
        with pytest.raises(ConfigError) as ei:
            load_trust_store(path)
        assert ei.value.code == codes.TRUST_BAD_VALUE and "folder" in ei.value.message


def test_a_record_whose_foreign_files_do_not_line_up_is_refused(tmp_path: Path, identity: VerifierIdentity) -> None:
    sw = foreign_world()
    made = record_call(sw.call("evidence-sd-jwt-vc"), tmp_path / "rec.json", identity, verify=verify_call,
                       trust_file=private_trust(sw.files.trust, tmp_path / "trust"))
    good = json.loads(made.record.to_bytes())

    def broken(change: Any) -> RecordBroken:
        data = json.loads(json.dumps(good))
        change(data)
        with pytest.raises(RecordBroken) as ei:
            Record.from_bytes(canonical_json(resign(data, identity)) + b"\n")
        return ei.value

    def jwks_without_bytes(d: dict[str, Any]) -> None:
        d["trust"]["store"]["foreign"]["vc_issuers"] = [{"id": "https://x.example", "jwks": "x.json"}]

    def file_for_a_did_key(d: dict[str, Any]) -> None:
        d["trust"]["store"]["foreign"]["vc_issuers"] = [fv.did_key_of(fv.ed25519_key("did"))]
        tf = next(f for f in d["trust"]["files"] if f["field"] == "foreign.sd_jwt_issuers")
        d["trust"]["files"].append({**tf, "field": "foreign.vc_issuers", "index": 0})

    def context_beyond_the_map(d: dict[str, Any]) -> None:
        tf = next(f for f in d["trust"]["files"] if f["field"] == "foreign.sd_jwt_issuers")
        d["trust"]["store"]["foreign"]["contexts"] = {"https://a.example/ctx": "c.jsonld"}
        d["trust"]["files"] += [{**tf, "field": "foreign.contexts", "index": 0},
                                {**tf, "field": "foreign.contexts", "index": 1}]

    for change in (jwks_without_bytes, file_for_a_did_key, context_beyond_the_map):
        assert broken(change).code == codes.RECORD_INCONSISTENT, change.__name__
    # a did:key issuer needs no file: the same record with one added is intact (and signed anew)
    data = json.loads(json.dumps(good))
    data["trust"]["store"]["foreign"]["vc_issuers"] = [fv.did_key_of(fv.ed25519_key("did"))]
    Record.from_bytes(canonical_json(resign(data, identity)) + b"\n")
