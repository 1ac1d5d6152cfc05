"""The SQLite store: URLs, durability settings, a SIGKILL mid-run, a full disk, damaged files.

The crash and full-disk tests run a real child process that writes records and prints each id
only after ``put`` returned; the parent then reopens the store and checks that every printed id
is there, byte for byte, and that nothing is half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.storekit import REPO, golden_bytes, variant_files  # noqa: F401 - fixture
from tests.storekit import variants  # noqa: F401 - fixture (variant_files needs it)
from vvp import codes
from vvp.record import Record
from vvp.store import StoreError, StoreLocation, StoreUrlInvalid, open_store, parse_store_url
from vvp.store.sqlite import SqliteStore


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:///records.db", StoreLocation("sqlite", "records.db")),
    ("sqlite:////var/lib/vvp/records.db", StoreLocation("sqlite", "/var/lib/vvp/records.db")),
    ("sqlite:///:memory:", StoreLocation("sqlite", ":memory:")),
    ("/var/lib/vvp", StoreLocation("sqlite", "/var/lib/vvp")),
    ("relative/dir", StoreLocation("sqlite", "relative/dir")),
    ("postgresql://vvp@db.example/records", StoreLocation("postgresql", "postgresql://vvp@db.example/records")),
    ("postgres:///vvp?host=/run/postgresql", StoreLocation("postgresql", "postgres:///vvp?host=/run/postgresql")),
])
def test_store_urls(url: str, expected: StoreLocation) -> None:
    assert parse_store_url(url) == expected


@pytest.mark.parametrize("url", ["", "   ", "sqlite://records.db", "sqlite:", "sqlite:///", "sqlite:///a.db?mode=ro",
                                 "mysql://host/db", "http://example.com/store", "postgresql:/x", "a\x00b"])
def test_wrong_urls_are_coded_usage_errors(url: str) -> None:
    with pytest.raises(StoreUrlInvalid) as ei:
        open_store(url)
    assert ei.value.code == codes.STORE_URL_INVALID


def test_a_folder_holds_records_db_and_the_url_forms_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = golden_bytes()["valid.json"]
    with open_store(tmp_path) as s:
        rid = s.import_bytes(raw)
    assert (tmp_path / "records.db").is_file()
    monkeypatch.chdir(tmp_path)
    for url in (str(tmp_path), str(tmp_path / "records.db"), f"sqlite:///{tmp_path}/records.db", "sqlite:///records.db",
                "records.db"):
        with open_store(url, create=False) as s:
            assert s.get_bytes(rid) == raw


def test_wal_and_full_sync(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "r.db") as s:
        assert s.pragma("journal_mode") == "wal"
        assert s.pragma("synchronous") == 2  # FULL: the WAL is synced at every commit
        with pytest.raises(StoreError):
            s.pragma("journal_mode; DROP TABLE records")


def test_replay_memory_commits_without_a_sync_of_its_own(tmp_path: Path, variants: list[Record]) -> None:
    """seen_passport commits under synchronous=NORMAL (the record's durable commit that follows
    syncs the same log); every other transaction stays FULL, also after a failed one."""
    with SqliteStore(tmp_path / "r.db") as s:
        seen: list[str] = []
        s._conn.set_trace_callback(seen.append)
        assert s.seen_passport("k1", 1000.0, 60.0) is True
        assert seen[0] == "PRAGMA synchronous=NORMAL" and seen[-1] == "PRAGMA synchronous=FULL", seen
        assert s.pragma("synchronous") == 2
        seen.clear()
        s.put(variants[0])
        assert not any("synchronous" in q for q in seen), seen  # a record: FULL, nothing changed
        s._conn.execute("DROP TABLE passports_seen")
        with pytest.raises(StoreError) as err:
            s.seen_passport("k2", 1000.0, 60.0)
        assert err.value.code == codes.STORE_WRITE_FAILED
        assert s.pragma("synchronous") == 2
    with SqliteStore(tmp_path / "r.db") as s:  # what was committed is there after reopening
        assert s.get_bytes(variants[0].id) == variants[0].to_bytes()


def test_in_memory_store(tmp_path: Path) -> None:
    raw = golden_bytes()["valid.json"]
    with open_store("sqlite:///:memory:") as s:
        assert s.get_bytes(s.import_bytes(raw)) == raw


def test_unopenable_paths_are_coded(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as ei:
        open_store(tmp_path / "no" / "such" / "folder" / "r.db")
    assert ei.value.code == codes.STORE_UNAVAILABLE
    not_db = tmp_path / "record.json"
    not_db.write_bytes(golden_bytes()["valid.json"])
    with pytest.raises(StoreError) as ei:
        open_store(not_db)
    assert ei.value.code == codes.STORE_UNAVAILABLE
    assert not_db.read_bytes() == golden_bytes()["valid.json"]  # and it was not touched


def test_a_damaged_database_file_is_coded(tmp_path: Path, variants: list[Record]) -> None:
    db = tmp_path / "r.db"
    with open_store(db) as s:
        s.put_many(variants[:20])
    data = bytearray(db.read_bytes())
    for i in range(4096 + 100, len(data), 4096):  # garble every page but the header page
        data[i:i + 64] = os.urandom(64)
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError) as ei:
        s2 = open_store(db)
        try:
            for r in variants[:20]:
                s2.get_bytes(r.id)
        finally:
            s2.close()
    assert ei.value.code in (codes.STORE_CORRUPT, codes.STORE_UNAVAILABLE, codes.STORE_READ_FAILED)


# ---------------------------------------------------------------------------------------------
# A SIGKILL mid-run


_CRASH_CHILD = """
import hashlib, sys
from pathlib import Path
from vvp.record import Record
from vvp.store import open_store
s = open_store(sys.argv[1])
files = [Path(f) for f in sys.argv[2:]]
i = 0
while True:  # until killed: singles and groups of three, round and round
    group = [Record.from_bytes(files[(i + k) % len(files)].read_bytes()) for k in range(1 if i % 4 else 3)]
    ids = s.put_many(group) if len(group) > 1 else [s.put(group[0])]
    for r, rid in zip(group, ids):
        print(rid, hashlib.sha256(r.to_bytes()).hexdigest(), flush=True)
    i += len(group)
"""


def test_sigkill_mid_run_loses_no_acknowledged_record(tmp_path: Path, variant_files: list[Path]) -> None:
    store = tmp_path / "store"
    store.mkdir()
    open_store(store).close()
    proc = subprocess.Popen([sys.executable, "-c", _CRASH_CHILD, str(store), *map(str, variant_files)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    acked: dict[str, str] = {}
    buf = b""
    target = random.randint(12, 30)
    deadline = time.monotonic() + 120
    try:
        while len(acked) < target and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if not ready:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            assert chunk, proc.stderr.read().decode() if proc.stderr else "child exited"
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                rid, sha = line.decode().split()
                acked[rid] = sha
        time.sleep(random.uniform(0, 0.02))  # land somewhere inside the next write
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    rest = proc.stdout.read()
    for line in (buf + rest).split(b"\n")[:-1]:  # complete lines only: printed after put returned
        rid, sha = line.decode().split()
        acked[rid] = sha
    assert len(acked) >= 12
    with open_store(store, create=False) as s:
        stored = s.ids(limit=10_000)
        assert set(acked) <= set(stored), "an acknowledged record is missing after the kill"
        for rid in stored:  # everything there is whole, acknowledged or not
            raw = s.get_bytes(rid)
            assert Record.from_bytes(raw).id == rid
            if rid in acked:
                assert hashlib.sha256(raw).hexdigest() == acked[rid]
    import sqlite3

    conn = sqlite3.connect(store / "records.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# A full disk


_FULL_DISK_CHILD = """
import json, resource, signal, sys
from pathlib import Path
from vvp.record import Record
from vvp.store import StoreError, open_store
s = open_store(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
for f in sys.argv[3:]:
    rec = Record.from_bytes(Path(f).read_bytes())
    print("try", rec.id, flush=True)
    try:
        rid = s.put(rec)
    except StoreError as ex:
        print("error", ex.code, flush=True)
        sys.exit(0)
    print("ok", rid, flush=True)
print("never full", flush=True)
"""


def test_full_disk_is_coded_and_acknowledges_nothing_unstored(tmp_path: Path, variant_files: list[Path]) -> None:
    store = tmp_path / "store"
    store.mkdir()
    with open_store(store) as s:
        s.import_bytes(golden_bytes()["valid.json"])  # the blobs are there; rows are what grows
    db = store / "records.db"
    limit = db.stat().st_size + 24 * 1024  # a few commits' worth of WAL frames
    r = subprocess.run([sys.executable, "-c", _FULL_DISK_CHILD, str(store), str(limit), *map(str, variant_files)],
                       cwd=REPO, capture_output=True, timeout=300)
    out = r.stdout.decode().splitlines()
    assert r.returncode == 0, r.stderr.decode()
    assert "Traceback" not in r.stderr.decode()
    assert out[-1] == f"error {codes.STORE_WRITE_FAILED}", out[-3:]
    acked = [line.split()[1] for line in out if line.startswith("ok ")]
    failed = [line.split()[1] for line in out if line.startswith("try ")][-1]
    assert acked and failed not in acked
    with open_store(store, create=False) as s:
        for rid in acked:
            assert Record.from_bytes(s.get_bytes(rid)).id == rid
        assert not s.has(failed), "the write that failed must not be stored"
        s.put(Record.from_bytes(next(f.read_bytes() for f in variant_files
                                     if json.loads(f.read_bytes())["id"] == failed)))
        assert s.has(failed)  # with room again, the same record goes in
