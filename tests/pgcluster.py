"""A throw-away PostgreSQL cluster for the record store tests (architecture §7).

The session fixture :func:`pg_cluster` runs ``initdb`` into a private temporary folder and starts
``postgres`` on a Unix socket in that folder (no TCP port, so nothing else can reach it and no
port can clash), as an unprivileged user: PostgreSQL refuses to run as root, so under root the
server runs as ``nobody``. At the end of the session it stops the server by its process id
(SIGINT: PostgreSQL's fast shutdown; SIGKILL if that takes more than 30 s) and deletes the folder.

The binaries come from Debian's ``postgresql`` package (``/usr/lib/postgresql/<version>/bin``;
``.ci/run`` installs it when missing). Without them, or without psycopg, the tests that need the
cluster skip with the reason on a developer machine and FAIL in CI (``CI=true``): CI must run them.

Import the fixture into a test module (``from tests.pgcluster import pg_cluster``); each test
gets its own database from :meth:`PgCluster.new_database`.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "vvp"
PORT = 5432  # names the socket file only: the socket is in a private folder
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer machine; fail in CI, which must run the PostgreSQL tests."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the PostgreSQL store tests: {reason}")
    pytest.skip(reason)


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian layout), or initdb's folder on PATH."""
    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.name)) or (0,)

    found = sorted((Path(p) for p in Path("/").glob(PG_BIN_GLOB.lstrip("/"))
                    if (Path(p) / "initdb").is_file() and (Path(p) / "postgres").is_file()), key=version)
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).parent / "postgres").is_file():
        return Path(initdb).parent
    return None


@dataclass
class PgCluster:
    """A running throw-away cluster: where its socket is, and a way to make fresh databases."""

    socket_dir: Path
    pid: int
    _n: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, dbname: str) -> str:
        return f"postgresql:///{dbname}?host={self.socket_dir}&port={PORT}&user={SUPERUSER}"

    def new_database(self) -> str:
        """A new empty database; returns its store URL."""
        import psycopg

        name = f"vvp_test_{next(self._n)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def execute(self, url: str, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Run one statement in the database of ``url`` (tests that damage a store on purpose)."""
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.execute(sql, params)
            return list(cur.fetchall()) if cur.description is not None else []


def _run_as() -> dict[str, Any]:
    """``subprocess`` arguments that drop root to ``nobody`` (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return {}
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        unavailable("running as root and there is no 'nobody' user to run PostgreSQL as")
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def _tail(p: Path, n: int = 2000) -> str:
    try:
        return p.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bindir = find_bindir()
    if bindir is None:
        unavailable("PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run installs it)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg 3 is not installed (pip install -e '.[dev]')")
    as_user = _run_as()
    base = Path(tempfile.mkdtemp(prefix="vvp-pg-"))
    data, sock, log = base / "data", base / "sock", base / "postgres.log"
    sock.mkdir()
    if as_user:
        for p in (base, sock):
            os.chown(p, as_user["user"], as_user["group"])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", "TZ": "UTC",
           "HOME": str(base)}
    proc: subprocess.Popen[bytes] | None = None
    try:
        r = subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                            "--encoding=UTF8", "--locale=C", "--no-sync"],
                           env=env, capture_output=True, timeout=120, **as_user)
        if r.returncode != 0:
            pytest.fail(f"initdb failed ({r.returncode}): {r.stderr.decode(errors='replace')[-2000:]}")
        with open(log, "wb") as logf:
            if as_user:
                os.chown(log, as_user["user"], as_user["group"])
            proc = subprocess.Popen([str(bindir / "postgres"), "-D", str(data), "-k", str(sock), "-p", str(PORT),
                                     "-c", "listen_addresses=", "-c", "max_connections=50"],
                                    env=env, stdout=logf, stderr=subprocess.STDOUT, **as_user)
        cluster = PgCluster(socket_dir=sock, pid=proc.pid)
        _wait_ready(cluster, proc, log)
        yield cluster
    finally:
        if proc is not None:
            _stop(proc)
        shutil.rmtree(base, ignore_errors=True)


def _wait_ready(cluster: PgCluster, proc: subprocess.Popen[bytes], log: Path) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"postgres exited with {proc.returncode} while starting: {_tail(log)}")
        try:
            with psycopg.connect(cluster.url("postgres"), connect_timeout=2):
                return
        except psycopg.Error as ex:
            last = str(ex)
        time.sleep(0.1)
    pytest.fail(f"postgres did not accept connections within {START_TIMEOUT_S:g} s: {last}; {_tail(log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server by its process id: SIGINT is PostgreSQL's fast shutdown."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT_S)
