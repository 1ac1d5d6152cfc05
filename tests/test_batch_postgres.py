"""``vvp batch --store postgresql://…`` with two worker processes: every worker writes its records
to the shared PostgreSQL store (the cluster set-up of docs/batch.md), the verdicts are the serial
ones, and every listed record reads back from that store (and nothing goes to OUT/records.db).

The server is the throw-away cluster of :mod:`tests.pgcluster` (skips outside CI without
PostgreSQL or psycopg; fails in CI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.batchkit import BatchWorld, batch_world, by_id, read_jsonl, reference_lines
from tests.pgcluster import PgCluster, pg_cluster  # noqa: F401 - fixture
from vvp._cli import main
from vvp.store import open_store
from vvp.testing.world import ServedWorld


@pytest.fixture(scope="module")
def bw(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> BatchWorld:
    return batch_world(served_world, tmp_path_factory.mktemp("batch-world"))


def test_two_workers_share_a_postgresql_store(bw: BatchWorld, pg_cluster: PgCluster, tmp_path: Path,  # noqa: F811
                                              capsys: pytest.CaptureFixture[str]) -> None:
    url = pg_cluster.new_database()
    out = tmp_path / "out"
    rc = main(bw.argv(bw.jsonl, out, "--store", url, "--workers", "2", "--batch-rows", "5", "--json"))
    got = json.loads(capsys.readouterr().out)
    lines = read_jsonl(out / "verdicts.jsonl")
    assert by_id(lines) == reference_lines(bw)
    assert rc == 1 and got["workers"] == 2 and got["store"] == url
    assert not (out / "records.db").exists()
    with open_store(url, create=False) as st:
        for line in lines:
            assert line["record"].encode() in st.get_bytes(line["record"])
