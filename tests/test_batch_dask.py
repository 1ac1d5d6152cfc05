"""``vvp batch --engine dask`` on a real ``dask.distributed`` cluster of two worker processes: the
same per-partition code as the local engine, the same verdicts as the serial reference, every
record stored (architecture §4.6, §7: LocalCluster processes, stopped by the test).

Both ways of getting a cluster are run: the LocalCluster ``vvp batch`` starts itself
(``--workers 2``), and one this test starts and names with ``--scheduler``.

Without ``distributed`` the tests skip with a reason on a developer machine and fail in CI
(``CI=true``), where the ``dev`` extra installs it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.batchkit import BatchWorld, batch_world, by_id, read_jsonl, reference_lines
from vvp import codes
from vvp._cli import main
from vvp.batch.engines import DaskEngine
from vvp.batch.work import WorkerConfig
from vvp.errors import OperationalError
from vvp.store import open_store
from vvp.testing.world import ServedWorld


def _need_distributed() -> None:
    if importlib.util.find_spec("distributed") is None:
        why = "dask.distributed is not installed (pip install 'vvp[dask]'; the dev extra has it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the Dask batch tests: {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def bw(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> BatchWorld:
    _need_distributed()
    return batch_world(served_world, tmp_path_factory.mktemp("batch-world"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    _need_distributed()
    import distributed

    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                 host="127.0.0.1", silence_logs=logging.ERROR)
    try:
        yield c
    finally:
        c.close()


def _check(bw: BatchWorld, out: Path, got: dict[str, Any], rc: int) -> None:
    lines = read_jsonl(out / "verdicts.jsonl")
    assert by_id(lines) == reference_lines(bw)
    assert got["engine"] == "dask" and got["workers"] == 2 and got["errors"] == 0 and rc == 1
    with open_store(str(out / "records.db"), create=False) as st:
        for line in lines:
            assert st.has(line["record"])


def test_dask_local_cluster_of_two_gives_the_serial_verdicts(bw: BatchWorld, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    rc = main(bw.argv(bw.jsonl, out, "--engine", "dask", "--workers", "2", "--batch-rows", "4", "--json"))
    _check(bw, out, json.loads(capsys.readouterr().out), rc)


def test_dask_on_a_named_scheduler(bw: BatchWorld, cluster: Any, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    rc = main(bw.argv(bw.jsonl, out, "--engine", "dask", "--scheduler", cluster.scheduler_address,
                      "--batch-rows", "4", "--json"))
    _check(bw, out, json.loads(capsys.readouterr().out), rc)
    # a rerun on the same cluster has nothing left to do
    rc2 = main(bw.argv(bw.jsonl, out, "--engine", "dask", "--scheduler", cluster.scheduler_address, "--json"))
    again = json.loads(capsys.readouterr().out)
    assert again["this_run"] == 0 and again["skipped"] == len(bw.rows) and rc2 == rc


def test_an_unreachable_scheduler_is_a_coded_error(bw: BatchWorld, tmp_path: Path) -> None:
    config = WorkerConfig(trust=str(bw.trust), evidence=None, offline=False, store=str(tmp_path / "records.db"),
                          keystore=str(bw.keystore))
    with pytest.raises(OperationalError) as ei:
        DaskEngine(config, 1, "tcp://127.0.0.1:9", connect_timeout_s=2)
    assert ei.value.code == codes.BATCH_ENGINE_UNAVAILABLE


def test_scheduler_without_dask_engine_is_a_usage_error(bw: BatchWorld, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(bw.argv(bw.jsonl, tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9")) == 2
    assert codes.USAGE_ERROR in capsys.readouterr().err
