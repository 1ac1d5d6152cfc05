"""One call carrying both a VVP and a SHAKEN Identity value (issue 10 acceptance): one verdict with
both claims, and its record re-verifies offline to the same ``verstat``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import shaken_pki
from vvp._cli import main
from vvp.testing import stipki
from vvp.testing.world import ServedWorld

PEM = "application/pem-certificate-chain"


def _setup(sw: ServedWorld, tmp: Path) -> tuple[list[str], Path]:
    pki = shaken_pki.build()
    call = sw.call("valid")
    iat = int(call.at.timestamp()) - 2
    token = stipki.shaken_passport(pki.ee["spc"].key, x5u=shaken_pki.X5U["spc"], orig=call.orig.lstrip("+"),
                                   dest=[call.dest.lstrip("+")], iat=iat)
    shaken_identity = stipki.identity_value(token, shaken_pki.X5U["spc"])
    (tmp / "chain.pem").write_bytes(pki.chain_pem("spc"))
    (tmp / "root.pem").write_bytes(pki.root.pem)
    (tmp / "crl-signer.pem").write_bytes(pki.crl_signer.pem)
    (tmp / "sti.crl").write_bytes(pki.crl)
    emap = json.loads(sw.files.evidence_map.read_text())
    base = sw.files.evidence_map.parent
    emap = {k: {**v, "path": str((base / v["path"]).resolve())} for k, v in emap.items()}
    emap[shaken_pki.X5U["spc"]] = {"path": str(tmp / "chain.pem"), "content_type": PEM}
    emap[shaken_pki.CRL_URL] = {"path": str(tmp / "sti.crl"), "content_type": "application/pkix-crl"}
    (tmp / "map.json").write_text(json.dumps(emap))
    trust = json.loads(call.trust.read_text())
    tbase = call.trust.parent
    trust["schemas"] = [str((tbase / p).resolve()) for p in trust.get("schemas", [])]
    trust["sti_pa"] = [str(tmp / "root.pem")]
    trust["sti_crl_signers"] = [str(tmp / "crl-signer.pem")]
    (tmp / "trust.json").write_text(json.dumps(trust))
    argv = ["verify", "--identity", call.identity, "--identity", shaken_identity, "--orig", call.orig,
            "--dest", call.dest, "--at", str(int(call.at.timestamp())), "--trust", str(tmp / "trust.json"),
            "--evidence", str(tmp / "map.json"), "--offline", "--json"]
    return argv, tmp


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_one_verdict_with_both_claims_and_its_record_reverifies(
        served_world: ServedWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv, tmp = _setup(served_world, tmp_path)
    rc = main([*argv, "--record", str(tmp / "r.json"), "--keystore", str(tmp / "ks")])
    v = _json(capsys)
    assert rc == 0 and v["status"] == "VALID"
    assert v["claims"]["passport"]["status"] == "VALID"
    shaken = v["claims"]["shaken"]
    assert shaken["status"] == "VALID" and shaken["verstat"] == "TN-Validation-Passed"
    assert shaken["vvp_supports_attestation"] is True
    assert {c["claim"] for c in v["checks"]} >= {"passport", "dossier", "tn_rights", "shaken"}

    rc = main(["reverify", str(tmp / "r.json"), "--json"])
    r = _json(capsys)
    assert rc == 0 and r["reproduced"] is True and r["differences"] == []
    assert r["recomputed_status"] == r["recorded_status"] == "VALID"
    record = json.loads((tmp / "r.json").read_text())
    assert record["verdict"]["claims"]["shaken"]["verstat"] == "TN-Validation-Passed"


def test_shaken_failure_does_not_change_the_vvp_status(
        served_world: ServedWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A SHAKEN PASSporT whose x5u cannot be fetched: its own verstat, the VVP status unchanged."""
    argv, tmp = _setup(served_world, tmp_path)
    emap = json.loads((tmp / "map.json").read_text())
    del emap[shaken_pki.X5U["spc"]]
    (tmp / "map.json").write_text(json.dumps(emap))
    rc = main(argv)
    v = _json(capsys)
    assert rc == 0 and v["status"] == "VALID"
    assert v["claims"]["shaken"]["status"] != "VALID"
    assert v["claims"]["shaken"]["verstat"] != "TN-Validation-Passed"
    assert v["claims"]["shaken"]["vvp_supports_attestation"] is True
