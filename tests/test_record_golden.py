"""Golden records (fixtures/records/): records an earlier build wrote must re-verify with today's
code, offline, to the same verdict. A failure here means a change can no longer reproduce an old
verdict: if that is intended, regenerate with ``.venv/bin/python tests/make_golden_records.py``
and commit the new records with the change (fixtures/records/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.recordkit import no_network
from vvp._cli import main
from vvp.record import MEDIA_TYPE, load_record
from vvp.verdict import exit_code

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "records"
FILES = sorted(GOLDEN.glob("*.json"))


def test_there_are_golden_records_of_every_status() -> None:
    statuses = {load_record(p).verdict["status"] for p in FILES}
    assert statuses == {"VALID", "INVALID", "INDETERMINATE"}
    readme = (GOLDEN / "README.md").read_text()
    for p in FILES:
        assert f"`{p.name}`" in readme, f"{p.name} is not described in fixtures/records/README.md"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden_record_reproduces(path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rec = load_record(path)
    assert rec.data["media_type"] == MEDIA_TYPE
    with no_network(monkeypatch) as attempts:
        rc = main(["reverify", str(path), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert attempts == []
    assert doc["integrity"]["ok"] and doc["signature"]["ok"], doc
    assert doc["reproduced"] is True, (
        f"{path.name} no longer reproduces: {json.dumps(doc['differences'], indent=1)[:3000]}\n"
        "If this change of verdict is intended, run `.venv/bin/python tests/make_golden_records.py`.")
    assert rc == exit_code(rec.verdict["status"]) == doc["exit_code"]
