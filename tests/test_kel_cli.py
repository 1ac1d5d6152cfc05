"""``vvp kel`` (architecture §4.1, §4.3): sources, options, the JSON fields, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.kel_helpers import world
from vvp import codes
from vvp._cli import main
from vvp.testing.kels import flip_signature, keep_receipts, render
from vvp.fetch import MemoryFetcher
from vvp.kel import aid_from_oobi, resolve_kel
from vvp.verdict import Status

FIELDS = ["status", "aid", "sn", "est_sn", "keys", "kt", "next_digests", "witnesses", "toad", "delegator",
          "first_seen", "codes"]


def write(tmp_path: Path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict[str, Any], str]:
    rc = main(argv + ["--json"])
    cap = capsys.readouterr()
    return rc, json.loads(cap.out), cap.err


def test_valid_kel_json_has_the_contract_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = world()
    src = write(tmp_path, "alice.cesr", render(w.msgs["alice"]))
    rc, doc, err = run_json(capsys, ["kel", src])
    assert rc == 0
    for f in FIELDS:
        assert f in doc, f
    assert doc["status"] == "VALID" and doc["aid"] == w.aids["alice"]
    assert (doc["sn"], doc["est_sn"], doc["toad"], doc["delegator"], doc["codes"]) == (2, 1, 0, None, [])
    assert doc["keys"] == w.keys["alice"][1] and doc["kt"] == "1" and len(doc["next_digests"]) == 1
    assert doc["witnesses"] == [] and doc["first_seen"] == "2025-01-01T02:00:00Z"
    assert [e["outcome"] for e in doc["events"]] == ["accepted"] * 3
    assert "VALID" in err  # the human summary goes to stderr


def test_human_output_only_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "alice.cesr", render(world().msgs["alice"]))
    assert main(["kel", src]) == 0
    cap = capsys.readouterr()
    assert cap.out == "" and "VALID" in cap.err and "keys (1, kt 1)" in cap.err


def test_sn_and_at(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = world()
    src = write(tmp_path, "rotor.cesr", render(w.msgs["rotor"]))
    rc, doc, _ = run_json(capsys, ["kel", src, "--sn", "1"])
    assert rc == 0 and (doc["sn"], doc["est_sn"]) == (1, 0)
    t2 = w.msgs["rotor"][2].first_seen
    assert t2 is not None
    rc, doc, _ = run_json(capsys, ["kel", src, "--at", (t2.replace(minute=30)).isoformat().replace("+00:00", "Z")])
    assert rc == 0 and (doc["sn"], doc["est_sn"]) == (2, 2) and doc["keys"] == w.keys["rotor"][2]
    rc, doc, _ = run_json(capsys, ["kel", src, "--at", str(int(t2.timestamp()) + 60)])
    assert rc == 0 and doc["sn"] == 2
    rc, doc, _ = run_json(capsys, ["kel", src, "--at", "2020-01-01T00:00:00Z"])
    assert rc == 3 and doc["codes"] == [codes.KEL_BEFORE_INCEPTION] and doc["keys"] is None


def test_bad_options_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "alice.cesr", render(world().msgs["alice"]))
    assert main(["kel", src, "--sn", "-1"]) == 2
    assert codes.USAGE_ERROR in capsys.readouterr().err
    assert main(["kel", src, "--at", "yesterday"]) == 2
    assert codes.TIME_INVALID in capsys.readouterr().err
    with pytest.raises(SystemExit) as ei:
        main(["kel", src, "--sn", "1", "--at", "2025-01-01T00:00:00Z"])
    assert ei.value.code == 2


def test_invalid_exits_1_and_indeterminate_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = world()
    msgs = w.msgs["alice"]
    bad = write(tmp_path, "bad.cesr", render([msgs[0], flip_signature(msgs[1]), msgs[2]]))
    rc, doc, err = run_json(capsys, ["kel", bad])
    assert rc == 1 and doc["status"] == "INVALID" and doc["codes"] == [codes.KEL_BAD_SIGNATURE]
    assert all(doc[f] is None for f in FIELDS if f not in ("status", "aid", "codes"))
    assert codes.KEL_BAD_SIGNATURE in err
    wm = w.msgs["witnessed"]
    under = write(tmp_path, "under.cesr", render([wm[0], keep_receipts(wm[1], 1)]))
    rc, doc, _ = run_json(capsys, ["kel", under])
    assert rc == 3 and doc["codes"] == [codes.KEL_ESCROW_PARTIAL_WITNESS]


def test_several_aids_without_aid_exit_2_listing_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = world()
    src = write(tmp_path, "two.cesr", render(w.msgs["alice"] + w.msgs["rotor"]))
    assert main(["kel", src]) == 2
    err = capsys.readouterr().err
    assert codes.AMBIGUOUS_AID in err and w.aids["alice"] in err and w.aids["rotor"] in err
    rc, doc, _ = run_json(capsys, ["kel", src])
    assert rc == 2 and doc["aids"] == [w.aids["alice"], w.aids["rotor"]]
    rc, doc, _ = run_json(capsys, ["kel", src, "--aid", w.aids["rotor"]])
    assert rc == 0 and doc["aid"] == w.aids["rotor"]


def test_unreadable_source_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kel", str(tmp_path / "missing.cesr")]) == 4
    assert codes.INPUT_UNREADABLE in capsys.readouterr().err


def test_trust_policy_limits_the_source_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "alice.cesr", render(world().msgs["alice"]))
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"policy": {"fetch_max_bytes": 100}}))
    assert main(["kel", src, "--trust", str(trust)]) == 4
    assert codes.INPUT_TOO_LARGE in capsys.readouterr().err  # vvp.files: the cap's own code (issue 21)


def test_url_source_from_the_evidence_map_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = world()
    write(tmp_path, "two.cesr", render(w.chains["delegate"]))  # delegator + delegate: two AIDs
    url = f"https://agent.example/oobi/{w.aids['delegate']}/agent/{w.aids['delegator']}"
    evmap = tmp_path / "map.json"
    evmap.write_text(json.dumps({url: "two.cesr"}))
    rc, doc, _ = run_json(capsys, ["kel", url, "--evidence", str(evmap), "--offline"])
    assert rc == 0, doc
    assert doc["aid"] == w.aids["delegate"]  # the first AID segment of the URL, not the agent's
    assert doc["delegator"] == w.aids["delegator"] and doc["source"] == url
    other = "https://agent.example/oobi/" + w.aids["alice"] + "/controller"
    rc, doc, _ = run_json(capsys, ["kel", other, "--evidence", str(evmap), "--offline"])
    assert rc == 3 and doc["codes"] == [codes.FETCH_OFFLINE]


def test_resolve_kel_fetch_problems_are_indeterminate() -> None:
    w = world()
    url = f"http://127.0.0.1:9/oobi/{w.aids['alice']}/controller"
    r = resolve_kel(url, MemoryFetcher({url: ("text/html", render(w.msgs["alice"]))}))
    assert r.status is Status.INDETERMINATE and r.codes == (codes.FETCH_BAD_CONTENT_TYPE,) and r.aid == w.aids["alice"]
    r = resolve_kel(url, MemoryFetcher({url: ("application/cesr", render(w.msgs["rotor"]))}))
    assert r.status is Status.INDETERMINATE and r.codes == (codes.KEL_AID_NOT_FOUND,)
    r = resolve_kel(url, MemoryFetcher({url: ("application/cesr", render(w.msgs["rotor"]))}), aid=w.aids["rotor"])
    assert r.status is Status.VALID


def test_aid_from_oobi() -> None:
    w = world()
    a, b = w.aids["alice"], w.witnesses[0]
    assert aid_from_oobi(f"https://h/oobi/{a}/witness/{b}") == a
    assert aid_from_oobi(f"https://h/prefix/{a}") == a
    assert aid_from_oobi("https://h/oobi/notanaid/controller") is None
    assert aid_from_oobi("::not a url::") is None
    assert aid_from_oobi(f"https://h/x/{w.msgs['alice'][1].said}x/controller") is None
