"""``vvp records list|show|export|import --store URL`` against SQLite and PostgreSQL.

The golden records import and export unchanged, byte for byte; an exported record re-verifies
alone, offline; every failure is an exit code and a coded line, never a traceback.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.pgcluster import pg_cluster  # noqa: F401 - fixture
from tests.recordkit import no_network
from tests.storekit import GOLDEN, GOLDEN_V2, GOLDEN_V3, REPO, golden_bytes, store_url  # noqa: F401 - fixture
from vvp import codes
from vvp._cli import main
from vvp.store import open_store


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    rc = main(argv)
    out = capsys.readouterr()
    return rc, (json.loads(out.out) if out.out.strip() else None), out.err


def test_golden_records_import_and_export_unchanged(store_url: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    files = GOLDEN + GOLDEN_V2 + GOLDEN_V3  # every record format
    rc, doc, _ = run(["records", "import", *map(str, files), "--store", store_url, "--json"], capsys)
    assert rc == 0 and doc["failed"] == []
    ids = {i["file"]: i["id"] for i in doc["imported"]}
    assert set(ids) == {str(p) for p in files}
    for n, p in enumerate(files):
        out = tmp_path / f"out-{n}-{p.name}"
        rc, _, err = run(["records", "export", ids[str(p)], "-o", str(out), "--store", store_url], capsys)
        assert rc == 0, err
        assert out.read_bytes() == p.read_bytes(), f"{p} does not export byte for byte"


def test_list_and_show(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    files = golden_bytes()
    with open_store(store_url) as s:
        ids = [s.import_bytes(raw) for raw in files.values()]
    rc, doc, err = run(["records", "list", "--store", store_url, "--json", "--limit", "4"], capsys)
    assert rc == 0
    assert [r["id"] for r in doc["records"]] == ids[:4] and doc["next_after"] == ids[3]
    assert [r["status"] for r in doc["records"]] == [json.loads(raw)["verdict"]["status"]
                                                    for raw in list(files.values())[:4]]
    rc, doc, _ = run(["records", "list", "--store", store_url, "--json", "--after", ids[3]], capsys)
    assert rc == 0 and [r["id"] for r in doc["records"]] == ids[4:] and doc["next_after"] is None
    rc, _, err = run(["records", "list", "--store", store_url], capsys)
    assert rc == 0 and ids[0] in err and "6 record(s)" in err
    valid = json.loads(files["valid.json"])
    rc, doc, err = run(["records", "show", valid["id"], "--store", store_url, "--json"], capsys)
    assert rc == 0
    assert doc["id"] == valid["id"] and doc["status"] == "VALID" and doc["bytes"] == len(files["valid.json"])
    assert doc["verdict"] == valid["verdict"] and doc["verifier"]["aid"] == valid["verifier"]["aid"]
    assert [e["url"] for e in doc["evidence"]] == [e["url"] for e in valid["evidence"]]


def test_an_exported_record_reverifies_alone_offline(store_url: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    raw = golden_bytes()["valid.json"]
    with open_store(store_url) as s:
        rid = s.import_bytes(raw)
    out = tmp_path / "exported.json"
    assert run(["records", "export", rid, "-o", str(out), "--store", store_url], capsys)[0] == 0
    with no_network(monkeypatch) as attempts:
        rc, doc, err = run(["reverify", str(out), "--json"], capsys)
    assert attempts == []
    assert rc == 0, err
    assert doc["reproduced"] is True and doc["recorded_status"] == doc["recomputed_status"] == "VALID"


def test_import_stores_the_intact_files_and_names_the_others(store_url: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    raw = golden_bytes()["valid.json"]
    broken = tmp_path / "broken.json"
    broken.write_bytes(raw.replace(b'"VALID"', b'"INVALID"', 1))
    good = tmp_path / "good.json"
    good.write_bytes(raw)
    rc, doc, err = run(["records", "import", str(broken), str(good), "--store", store_url, "--json"], capsys)
    assert rc == 6
    assert [f["code"] for f in doc["failed"]] == [codes.RECORD_ID_MISMATCH]
    assert [i["file"] for i in doc["imported"]] == [str(good)]
    rc, doc, err = run(["records", "import", str(tmp_path / "absent.json"), "--store", store_url, "--json"], capsys)
    assert rc == 4 and doc["failed"][0]["code"] == codes.INPUT_UNREADABLE
    with open_store(store_url) as s:
        assert s.ids() == [json.loads(raw)["id"]]


def test_store_errors_are_exit_codes(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc, err = run(["records", "list", "--store", "mysql://db/x", "--json"], capsys)
    assert rc == 2 and doc["error"]["code"] == codes.STORE_URL_INVALID
    rc, doc, err = run(["records", "list", "--store", str(tmp_path / "nothing-here"), "--json"], capsys)
    assert rc == 4 and doc["error"]["code"] == codes.STORE_UNAVAILABLE
    assert not (tmp_path / "nothing-here").exists()  # a read-only command creates nothing
    open_store(store_url).close()
    missing = "sha256:" + "0" * 64
    for argv in (["show", missing], ["export", missing, "-o", str(tmp_path / "x.json")]):
        rc, doc, err = run(["records", *argv, "--store", store_url, "--json"], capsys)
        assert rc == 4 and doc["error"]["code"] == codes.STORE_NOT_FOUND
    rc, doc, err = run(["records", "show", "nonsense", "--store", store_url, "--json"], capsys)
    assert rc == 4 and doc["error"]["code"] == codes.STORE_BAD_ARGUMENT
    assert not (tmp_path / "x.json").exists()


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["records"], ["records", "list"], ["records", "export", "sha256:00", "--store", "x"],
                 ["records", "import", "--store", "x"], ["records", "drop", "--store", "x"]):
        with pytest.raises(SystemExit) as ei:
            main(argv)
        assert ei.value.code == 2
        assert codes.USAGE_ERROR in capsys.readouterr().err


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_full_disk_during_import_is_coded_without_traceback(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    open_store(store).close()
    size = (store / "records.db").stat().st_size
    r = subprocess.run([sys.executable, "-m", "vvp", "records", "import", *map(str, GOLDEN), "--store", str(store)],
                       cwd=REPO, capture_output=True, timeout=300,
                       preexec_fn=lambda: _limit_file_size(size + 16 * 1024))
    err = r.stderr.decode()
    assert r.returncode == 4, err
    assert codes.STORE_WRITE_FAILED in err and "Traceback" not in err
    assert "stored " not in err  # nothing was reported stored
    with open_store(store, create=False) as s:
        assert s.stats().records == 0  # one transaction: none of it went in
