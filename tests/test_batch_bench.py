"""The batch benchmark runs end to end on a tiny log and prints every figure (no timing assertions:
machines differ; ``make bench-batch`` runs it at full size)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_batch


def test_batch_benchmark_prints_every_ratio_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_batch.main(["--rows", "200", "--callers", "20", "--inprocess-rows", "200", "--rss-rows", "60,120",
                             "--no-dask", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["rows"] == 200 and sum(r["statuses"].values()) == 200
    for key in ("inprocess_recorded_rows_per_s", "workers1_rows_per_s", "workers2_rows_per_s",
                "workers1_over_inprocess", "workers2_over_workers1", "cores_for_1e9_per_day", "rss_small_mb",
                "rss_large_mb", "rss_ratio"):
        assert r[key] > 0, key
    assert r["rss_small_rows"] == 60 and r["rss_large_rows"] == 120
    text = bench_batch.report(r)
    for words in ("in-process recorded call", "vvp batch --workers 1", "vvp batch --workers 2",
                  "one worker / in-process recorded call", "two workers / one worker", "dask on two / local on two",
                  "cores for 10^9 calls a day", "peak RSS larger / smaller", "two workers / one worker (CPU, 2 free cores)",
                  r["machine"]["cpu"]):
        assert words in text, words
