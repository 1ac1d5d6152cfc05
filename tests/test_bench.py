"""The caller benchmark runs and prints its ratios (no timing assertions: machines differ)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench


def test_benchmark_prints_every_ratio_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--warm", "10", "--cold", "1", "--rounds", "1", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["status"] == "VALID"
    assert res["warm_ratio_to_ed25519"] > 0 and res["warm_ratio_to_budget"] > 0 and res["cold_ratio_to_keri"] > 0
    assert res["cold_signatures"] > 1  # the KELs' signatures and receipts, and the PASSporT's
    out = bench._report(res)  # what `python -m benchmarks.bench` prints for the same figures
    for text in ("Ed25519 verify, libsodium", "ES256 verify, cryptography", "ratio to the Ed25519 floor",
                 "ratio to 3 x Ed25519 + JSON parsing", "calls per second", "ratio to keri's bare ingest",
                 "ratio to signatures x Ed25519 floor", "(VALID)"):
        assert text in out, text
