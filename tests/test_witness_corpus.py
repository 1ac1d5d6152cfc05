"""Witnesses on real data (issue 15): the Provenant-stage witness OOBI's /loc/scheme replies,
signed by real keripy witnesses, verify; and the corpus verdicts are unchanged by the witness
step, under ``off`` and under ``available`` with no witness reachable (offline), where the
verdict says plainly that the check was not made."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import corpus_path
from vvp import codes
from vvp._cli import main
from vvp._keri.witness import loc_replies
from vvp.witness.endpoints import learn

pytestmark = pytest.mark.corpus

WITNESS_IDS = ("V-09", "X-WITNESS-")


def test_real_witness_location_replies_verify() -> None:
    oobi = corpus_path("vvp", "provenant-stage-witness-oobi-EGay5.cesr").read_bytes()
    replies = loc_replies(oobi)
    assert replies and all(r.accepted and r.code == codes.OK and r.signer == r.eid for r in replies)
    d = learn(oobi, "corpus")
    assert d.endpoints and all(e.url.startswith("http://") for e in d.endpoints.values())
    tampered = oobi.replace(b"witness4.stage", b"witness9.stage")
    assert "witness9" not in json.dumps([e.url for e in learn(tampered, "corpus").endpoints.values()])


def _verdicts(tmp: Path, capsys: pytest.CaptureFixture[str], mode: str) -> dict[str, tuple[int, dict[str, Any]]]:
    data = json.loads(corpus_path("vvp", "provenant-stage-passports.json").read_text())
    oobi = corpus_path("vvp", "provenant-stage-witness-oobi-EGay5.cesr")
    (tmp / "map.json").write_text(json.dumps({data["common"]["kid"]: str(oobi)}))
    (tmp / f"trust-{mode}.json").write_text(json.dumps({"policy": {"max_passport_validity_s": 300,
                                                                    "witness_check": mode}}))
    out = {}
    for name, entry in data["jwts"].items():
        jwt = str(entry["jwt"])
        iat = json.loads(base64.urlsafe_b64decode(jwt.split(".")[1] + "=="))["iat"]
        rc = main(["verify", "--identity", jwt, "--at", str(iat + 5), "--evidence", str(tmp / "map.json"),
                   "--offline", "--json", "--trust", str(tmp / f"trust-{mode}.json")])
        out[name] = (rc, json.loads(capsys.readouterr().out))
    return out


def _without_witness_checks(v: dict[str, Any]) -> dict[str, Any]:
    return {**v, "checks": [c for c in v["checks"] if not str(c["id"]).startswith(WITNESS_IDS)]}


def test_corpus_verdicts_unchanged_under_off_and_offline_available(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    off = _verdicts(tmp_path, capsys, "off")
    available = _verdicts(tmp_path, capsys, "available")
    assert off.keys() == available.keys() and off
    for name, (rc, v) in off.items():
        rc2, v2 = available[name]
        assert rc == rc2 and v["status"] == v2["status"] and v["claims"] == v2["claims"], name
        assert not [c for c in v["checks"] if str(c["id"]).startswith(WITNESS_IDS)], name
        assert _without_witness_checks(v2) == v, name
        (v09,) = [c for c in v2["checks"] if c["id"] == "V-09"]
        assert v09["status"] == "warn" and v09["code"] == codes.WITNESS_CHECK_NOT_MADE, name
