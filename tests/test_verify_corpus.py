"""`vvp verify` on the real Provenant-stage PASSporTs (corpus README): the witness OOBI through
``--evidence``, ``--offline``, ``--at`` iat + 5."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.conftest import corpus_path
from vvp._cli import main

pytestmark = pytest.mark.corpus


def _setup(tmp: Path, validity: int | None) -> tuple[dict[str, dict[str, object]], list[str]]:
    data = json.loads(corpus_path("vvp", "provenant-stage-passports.json").read_text())
    oobi = corpus_path("vvp", "provenant-stage-witness-oobi-EGay5.cesr")
    (tmp / "map.json").write_text(json.dumps({data["common"]["kid"]: str(oobi)}))
    args = ["--evidence", str(tmp / "map.json"), "--offline", "--json"]
    if validity is not None:
        (tmp / "trust.json").write_text(json.dumps({"policy": {"max_passport_validity_s": validity}}))
        args += ["--trust", str(tmp / "trust.json")]
    return data["jwts"], args


def _run(jwt: str, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    iat = json.loads(base64.urlsafe_b64decode(jwt.split(".")[1] + "=="))["iat"]
    rc = main(["verify", "--identity", jwt, "--at", str(iat + 5), *args])
    return rc, json.loads(capsys.readouterr().out)


def _check(v: dict[str, object], cid: str) -> dict[str, object]:
    checks = v["checks"]
    assert isinstance(checks, list)
    return next(c for c in checks if c["id"] == cid)


def test_corpus_passports_invalid_under_default_validity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jwts, args = _setup(tmp_path, None)
    for name, entry in jwts.items():
        rc, v = _run(str(entry["jwt"]), args, capsys)
        assert rc == 1 and v["status"] == "INVALID", name
        assert v["claims"]["passport"] == {"status": "INVALID", "codes": ["PASSPORT_VALIDITY_TOO_LONG"]}  # type: ignore[index]
        assert _check(v, "V-06")["status"] == "pass", name  # the signature itself verifies


def test_corpus_passports_valid_passport_with_300s(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jwts, args = _setup(tmp_path, 300)
    for name, entry in jwts.items():
        rc, v = _run(str(entry["jwt"]), args, capsys)
        assert v["claims"]["passport"]["status"] == "VALID", name  # type: ignore[index]
        assert _check(v, "V-06")["status"] == "pass" and _check(v, "V-05")["status"] == "pass"
        assert _check(v, "P-07")["status"] == "pass"
        # the dossiers behind evd are not available: never VALID overall
        assert rc == 3 and v["status"] == "INDETERMINATE", name
