"""``benchmarks/bench_callee.py`` runs and reports every figure (a smoke test: no time is asserted)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_callee


def test_the_callee_benchmark_runs_and_reports_each_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_callee.main(["--iterations", "3", "--rounds", "1", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["status"] == "VALID" and r["ed25519_verify_us"] > 0
    for path in ("callee_value", "callee_sip", "caller"):
        assert r[f"{path}_us"] > 0 and r[f"{path}_ratio_to_ed25519"] > 0 and r[f"{path}_ratio_to_budget"] > 0
    assert "callee 200 OK" in bench_callee.report(r)
