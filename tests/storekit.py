"""Helpers for the record store tests: real records, one fixture for both stores, raw SQL access.

Records: the golden records in ``fixtures/records/`` (real records of the test world, signed by
the test verifier), and *variants* of the valid one: the same call received at another second,
built and signed again by :func:`vvp.record.build_record` with the same test verifier, so they
share every evidence blob, as the records of one dossier's calls do. No test here needs the network.

``store_url`` is parametrised over SQLite and PostgreSQL; the PostgreSQL case asks for the
session cluster of :mod:`tests.pgcluster` only when it runs, so SQLite-only runs never start it.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pgcluster import PgCluster
from tests.recordkit import SALT, shm_dir
from vvp import clock
from vvp.record import Record, build_record, open_identity
from vvp.store.url import parse_store_url

REPO = Path(__file__).resolve().parents[1]
GOLDEN_DIR = REPO / "fixtures" / "records"
GOLDEN = sorted(GOLDEN_DIR.glob("*.json"))
"""The record format v1 golden records (vvp 0.1.0, frozen)."""
GOLDEN_V2 = sorted((GOLDEN_DIR / "v2").glob("*.json"))
"""The same calls in record format v2 (written until 2026-12-05, frozen)."""
GOLDEN_V3 = sorted((GOLDEN_DIR / "v3").glob("*.json"))
"""The same calls in record format v3 (written now)."""
VARIANTS = 40


def golden_bytes() -> dict[str, bytes]:
    """The v1 golden records by file name."""
    return {p.name: p.read_bytes() for p in GOLDEN}


def all_golden_bytes() -> dict[str, bytes]:
    """Every golden set by path under fixtures/records (``valid.json``, ``v2/valid.json``,
    ``v3/valid.json``, ...)."""
    return {p.relative_to(GOLDEN_DIR).as_posix(): p.read_bytes() for p in GOLDEN + GOLDEN_V2 + GOLDEN_V3}


def make_variants(n: int, *, base: str = "valid.json", start: int = 10) -> list[Record]:
    """``n`` records of the golden ``base`` call received ``start``, ``start + 1``, ... seconds
    after it, built and signed by :func:`vvp.record.build_record` with the test verifier (the
    service's path: the records are never parsed, as a front end's are not): distinct ids,
    identical evidence blobs."""
    rec = Record.from_bytes((GOLDEN_DIR / base).read_bytes())
    t0 = clock.parse_time(rec.received_at)
    trust, events = rec.trust_snapshot(), rec.evidence()
    out: list[Record] = []
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        for i in range(n):
            out.append(build_record(inputs=rec.inputs, received_at=t0 + _dt.timedelta(seconds=start + i),
                                    verdict=rec.verdict, trust=trust, events=events, identity=ident,
                                    software=rec.software))
    return out


@pytest.fixture(scope="session")
def variants() -> list[Record]:
    return make_variants(VARIANTS)


@pytest.fixture(scope="session")
def variant_files(variants: list[Record], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("store-variants")
    paths = []
    for i, r in enumerate(variants):
        p = d / f"variant-{i:03d}.json"
        p.write_bytes(r.to_bytes())
        paths.append(p)
    return paths


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store's URL: an SQLite folder, or a new database in the session cluster."""
    if request.param == "sqlite":
        d = tmp_path / "store"
        d.mkdir()
        yield str(d)
    else:
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        yield cluster.new_database()


def sql(url: str, statement: str, params: tuple[Any, ...] = (), *, cluster: PgCluster | None = None) -> list[Any]:
    """Run one statement directly against a store's database (to damage it on purpose)."""
    loc = parse_store_url(url)
    if loc.kind == "postgresql":
        assert cluster is not None
        return cluster.execute(url, statement.replace("?", "%s"), params)
    p = Path(loc.target)
    if p.is_dir():
        p = p / "records.db"
    conn = sqlite3.connect(p, isolation_level=None)
    try:
        return list(conn.execute(statement, params).fetchall())
    finally:
        conn.close()


def cluster_of(request: pytest.FixtureRequest, url: str) -> PgCluster | None:
    if parse_store_url(url).kind == "postgresql":
        c: PgCluster = request.getfixturevalue("pg_cluster")
        return c
    return None
