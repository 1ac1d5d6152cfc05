"""Foreign trust files in records: a call verified with a trust store whose foreign section names
anchors keeps their bytes (``foreign.x509``, ``foreign.rtu_authorities``), and the record
re-verifies offline with the evidence claim reproduced (NOT_APPLICABLE here: the test world's
dossiers carry no bridge yet, see docs/evidence.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.recordkit import SALT, record_call, shm_dir
from tests.world_fixtures import own_world
from vvp.record import open_identity
from vvp.replay import reverify_file
from vvp.testing import foreign_pki as F
from vvp.trust import load_trust_store
from vvp.verdict import Status
from vvp.verifier import verify_call
from vvp.testing.world import served_world


def test_foreign_anchor_files_are_recorded_and_replayed(tmp_path: Path) -> None:
    pki = F.build()
    with shm_dir() as ks, open_identity(ks / "ks", salt=SALT) as ident, \
            served_world(own_world(), tmp_path / "world") as sw:
        call = sw.call("valid")
        trust_json: dict[str, Any] = json.loads(Path(call.trust).read_text())
        (tmp_path / "x509.pem").write_bytes(pki.root.pem)
        (tmp_path / "rtu.pem").write_bytes(pki.rtu_root.pem)
        base = Path(call.trust).parent
        trust_json["foreign"] = {"x509": [str(tmp_path / "x509.pem")], "rtu_authorities": [str(tmp_path / "rtu.pem")]}
        for key in ("schemas", "sti_pa", "sti_crl_signers", "witnesses"):
            trust_json[key] = [str(base / p) if not Path(p).is_absolute() and not str(p).startswith("http") else p
                               for p in trust_json.get(key, [])]
        tf = tmp_path / "trust.json"
        tf.write_text(json.dumps(trust_json))
        trust = load_trust_store(tf)
        assert trust.foreign.files["x509"] == (pki.root.pem,)
        made = record_call(call, tmp_path / "rec.json", ident, verify=verify_call, trust_file=tf)
    assert made.verdict.claims["evidence"].status is Status.NOT_APPLICABLE
    doc = json.loads((tmp_path / "rec.json").read_text())
    fields = {f["field"] for f in doc["trust"]["files"]}
    assert {"foreign.x509", "foreign.rtu_authorities"} <= fields
    assert set(doc["trust"]["store"]["foreign"]) == {"x509", "rtu_authorities"}
    (tmp_path / "x509.pem").unlink()  # replay uses the recorded bytes, not the path
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("vvp.fetch.HttpFetcher.fetch", lambda *a, **k: (_ for _ in ()).throw(AssertionError("fetched")))
        result = reverify_file(tmp_path / "rec.json")
    assert result.reproduced is True, result.differences
