"""The PostgreSQL store: what only it has (a server that may be down, go away, or be raced).

The contract tests of :mod:`tests.test_store_contract` run against PostgreSQL too; these add the
failures of a client-server database. The cluster is the session's throw-away one
(:mod:`tests.pgcluster`); the unreachable-server tests need no cluster at all.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.pgcluster import PgCluster, pg_cluster, unavailable  # noqa: F401 - fixture
from tests.storekit import REPO, golden_bytes
from vvp import codes
from vvp.store import StoreError, StoreUrlInvalid, open_store


@pytest.fixture
def psycopg_installed() -> None:
    """psycopg is a dev dependency: missing, these tests skip on a developer machine and fail in CI."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg 3 is not installed (pip install -e '.[dev]')")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens there any more


@pytest.mark.usefixtures("psycopg_installed")
def test_unreachable_server_is_coded() -> None:
    url = f"postgresql://vvp:secret@127.0.0.1:{_closed_port()}/records?connect_timeout=3"
    with pytest.raises(StoreError) as ei:
        open_store(url)
    assert ei.value.code == codes.STORE_UNAVAILABLE
    assert "secret" not in ei.value.message  # the password never goes into a message
    assert "***" in ei.value.message


@pytest.mark.usefixtures("psycopg_installed")
def test_a_missing_socket_folder_is_coded(tmp_path: object) -> None:
    with pytest.raises(StoreError) as ei:
        open_store(f"postgresql:///records?host={tmp_path}/nowhere&connect_timeout=3")
    assert ei.value.code == codes.STORE_UNAVAILABLE


@pytest.mark.usefixtures("psycopg_installed")
def test_malformed_postgres_url_is_a_usage_error() -> None:
    with pytest.raises(StoreUrlInvalid) as ei:
        open_store("postgresql://host/db?nosuchoption=1")
    assert ei.value.code == codes.STORE_URL_INVALID


def test_missing_driver_is_coded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "vvp.store.postgres", raising=False)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # "import psycopg" now fails, as without the package
    with pytest.raises(StoreError) as ei:
        open_store("postgresql://127.0.0.1:1/records")
    assert ei.value.code == codes.STORE_DRIVER_MISSING


def test_a_lost_connection_fails_one_call_coded_and_the_next_reconnects(pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_database()
    files = golden_bytes()
    with open_store(url) as s:
        rid = s.import_bytes(files["valid.json"])
        victims = pg_cluster.execute(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND pid <> pg_backend_pid()")
        assert victims
        for (pid,) in victims:
            pg_cluster.execute(url, "SELECT pg_terminate_backend(%s)", (pid,))
        raw = files["valid-acting.json"]
        with pytest.raises(StoreError) as ei:
            s.import_bytes(raw)
        assert ei.value.code == codes.STORE_WRITE_FAILED
        assert s.import_bytes(raw)  # connected again; storing again is harmless
        assert s.get_bytes(rid) == files["valid.json"]


_OPEN_CHILD = """
import sys
from vvp.store import open_store
open_store(sys.argv[1]).close()
"""


def test_concurrent_first_opens_migrate_once(pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_database()
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN_CHILD, url], cwd=REPO, stderr=subprocess.PIPE)
             for _ in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    rows = pg_cluster.execute(url, "SELECT version FROM schema_version ORDER BY version")
    assert [r[0] for r in rows] == [1, 2]


def test_commits_are_synchronous(pg_cluster: PgCluster) -> None:
    """Whatever the server's default, the store's session commits durably."""
    url = pg_cluster.new_database()
    pg_cluster.execute(url, "ALTER DATABASE " + url.split("///")[1].split("?")[0] + " SET synchronous_commit = off")
    with open_store(url) as s:
        from vvp.store.postgres import PostgresStore

        assert isinstance(s, PostgresStore)
        with s._tx(write=False) as cur:
            cur.execute("SHOW synchronous_commit")
            assert cur.fetchone()[0] == "on"


def test_missing_postgres_skips_outside_ci_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        unavailable("no PostgreSQL here")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        unavailable("no PostgreSQL here")
