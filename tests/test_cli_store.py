"""``--store`` on the CLI (architecture §4.1): ``vvp verify --store URL`` commits the signed record,
``vvp reverify --store URL ID`` and ``vvp report --store URL ID`` read it back; the exported file is
what ``vvp reverify FILE`` checks alone, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.recordkit import shm_dir
from vvp._cli import main
from vvp.testing.world import ServedWorld

pytest_plugins = ["tests.world_fixtures"]


def test_verify_store_reverify_report_and_export(served_world: ServedWorld, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    with shm_dir() as ks:
        ids = []
        for name in ("valid", "revoked-tn-allocation"):
            call = served_world.call(name)
            rc = main(call.argv(json_out=True) + ["--store", url, "--keystore", str(ks / "ks")])
            out = capsys.readouterr()
            assert rc == {"VALID": 0, "INVALID": 1, "INDETERMINATE": 3}[json.loads(out.out)["status"]]
            line = next(x for x in out.err.splitlines() if x.startswith("record "))
            ids.append(line.split()[1])
    assert main(["records", "list", "--store", url, "--json"]) == 0
    listed = capsys.readouterr().out
    assert all(rid in listed for rid in ids), (ids, listed)
    for rid in ids:
        assert main(["reverify", "--store", url, rid, "--json"]) in (0, 1, 3)
        doc = json.loads(capsys.readouterr().out)
        assert doc["reproduced"] is True and doc["integrity"]["ok"] is True
        html = tmp_path / f"{rid[7:19]}.html"
        assert main(["report", "--store", url, rid, "-o", str(html)]) == 0
        capsys.readouterr()
        assert "Content-Security-Policy" in html.read_text()
        exported = tmp_path / f"{rid[7:19]}.json"
        assert main(["records", "export", rid, "--store", url, "-o", str(exported)]) == 0
        capsys.readouterr()
        assert main(["reverify", str(exported), "--json"]) in (0, 1, 3)
        assert json.loads(capsys.readouterr().out)["reproduced"] is True
    assert main(["reverify", "--store", url, "sha256:" + "0" * 64]) == 4  # not in the store: coded
    assert "STORE_NOT_FOUND" in capsys.readouterr().err
