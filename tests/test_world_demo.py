"""``vvp demo`` runs end to end from any directory and never reports a verdict it did not get."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from vvp._cli import main
from vvp.testing.world import SCENARIOS, demo
from vvp.testing.world.scenarios import FOREIGN_CASES, foreign_scenarios


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the demo keeps its folder: keep it here
    monkeypatch.chdir(tmp_path)  # any directory
    assert main(["demo"]) == 0
    out: str = capsys.readouterr().out
    return out


def test_demo_prints_the_table_and_how_to_rerun(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    out = _run(capsys, monkeypatch, tmp_path)
    for s in SCENARIOS:
        assert f" {s.name} " in out
    n = len(SCENARIOS)
    assert f"evidence  {n}/{n} kid OOBIs and {n}/{n} dossiers" in out
    assert "vvp verify --identity" in out and "--offline" in out
    folder = next(tmp_path.glob("vvp-demo-*"))
    script = (folder / "calls.sh").read_text()
    foreign = foreign_scenarios()  # the demo needs nothing from ../shared: no W3C VC case
    assert script.count("vvp verify --identity") == n + len(foreign)
    assert all(f"# {s.name}: " in script for s in foreign)
    assert (folder / "trust.json").is_file() and (folder / "evidence.json").is_file()
    assert (folder / "trust-foreign-strict.json").is_file()
    if demo.verifier_available():
        assert f"verdicts  {n}/{n} calls verified" in out
        cases = [c for c in FOREIGN_CASES if not c.w3c]
        assert f"foreign   {len(cases)}/{len(cases)} cases as expected" in out
        table = out.split("\nForeign evidence:", 1)[1]
        assert " sd-jwt-vc " in table and "application/dc+sd-jwt: verified; facts agree" in table
        assert "X509_REVOKED" in table and "BRIDGE_DIGEST_MISMATCH" in table


def test_demo_without_a_verifier_says_so(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setattr(demo, "verifier_available", lambda: False)
    out = _run(capsys, monkeypatch, tmp_path)
    assert "verdicts  none: vvp verify is not available in this version" in out
    table = out.split("codes / notes", 1)[1].split("\nevidence", 1)[0]
    rows = [ln for ln in table.splitlines() if ln.strip()]
    assert len(rows) == len(SCENARIOS)
    assert all("not verified" in ln and "vvp verify is not available" in ln for ln in rows)
