"""The SHAKEN benchmark runs and prints a ratio (no timing assertions: machines differ)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_shaken


def test_benchmark_prints_a_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_shaken.main(["--iterations", "20", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "ratio SHAKEN / ES256" in out and "TN-Validation-Passed" in out


def test_benchmark_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_shaken.main(["--iterations", "10", "--rounds", "1", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["ratio"] > 0 and res["verstat"] == "TN-Validation-Passed"
