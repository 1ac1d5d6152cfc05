"""The record store contract, run against SQLite and PostgreSQL alike (architecture §4.4).

Byte identity (a record read back is the file ``vvp verify --record`` wrote), evidence blobs kept
once, group commit all-or-nothing, idempotent and conflicting puts, listing, replay detection
(including across processes), corruption and migrations answering with codes.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pgcluster import pg_cluster  # noqa: F401 - the session fixture store_url asks for
from tests.storekit import (
    REPO,
    cluster_of,
    all_golden_bytes,
    golden_bytes,
    make_variants,
    sql,
    store_url,  # noqa: F401 - fixture
    variant_files,  # noqa: F401 - fixture
    variants,  # noqa: F401 - fixture
)
from vvp import codes
from vvp.record import Record, RecordBroken, canonical_json, digest
from vvp.store import RecordNotFound, RecordStore, StoreError, codec, open_store
from vvp.store.sql import SqlStore
from vvp.store.sqlite import SqliteStore
from vvp.store.url import parse_store_url


def _open(url: str, *, schema_target: int | None = None) -> SqlStore:
    loc = parse_store_url(url)
    if loc.kind == "sqlite":
        return SqliteStore(loc.target, schema_target=schema_target)
    from vvp.store.postgres import PostgresStore

    return PostgresStore(loc.target, schema_target=schema_target)


def test_golden_records_read_back_byte_identical(store_url: str) -> None:
    files = all_golden_bytes()  # every format
    with open_store(store_url) as s:
        ids = {name: s.import_bytes(raw) for name, raw in files.items()}
    with open_store(store_url, create=False) as s:  # reopened: nothing lives only in memory
        for name, raw in files.items():
            rid = ids[name]
            assert rid == json.loads(raw)["id"]
            assert s.has(rid)
            out = s.get_bytes(rid)
            assert out == raw, f"{name} does not read back byte for byte"
            rec = s.get(rid)
            assert rec.to_bytes() == raw
            assert Record.from_bytes(out).id == rid


def test_each_blob_is_stored_once(store_url: str) -> None:
    files = all_golden_bytes()
    distinct = {k for raw in files.values() for k in json.loads(raw)["blobs"]}
    total = sum(len(json.loads(raw)["blobs"]) for raw in files.values())
    assert total > len(distinct)  # the golden records do share blobs
    with open_store(store_url) as s:
        for raw in files.values():
            s.import_bytes(raw)
        st = s.stats()
        assert (st.records, st.blobs) == (len(files), len(distinct))
        again = [s.import_bytes(raw) for raw in files.values()]  # idempotent: same ids, nothing added
        assert again == [json.loads(raw)["id"] for raw in files.values()]
        assert s.stats() == st


def _shared_parts(records: list[Record]) -> int:
    """How many parts of these records' signed content recur (the very same objects, long enough):
    the store keeps each of them once, beside the blobs (``S`` rows, vvp.store.codec.SegmentMemo)."""
    seen = Counter(i for r in records for i in {id(p) for p in r.content_parts() if len(p) >= codec.SEGMENT_MIN})
    return sum(1 for n in seen.values() if n > 1)


def test_put_many_is_one_transaction_and_keeps_order(store_url: str, variants: list[Record]) -> None:
    batch = variants[:10]
    with open_store(store_url) as s:
        assert s.put_many([]) == []
        ids = s.put_many(batch)
        assert ids == [r.id for r in batch]
        assert s.ids(limit=100) == ids
        for r in batch:
            assert s.get_bytes(r.id) == r.to_bytes()
        # ten records, one set of blobs (and each content part they share once)
        assert s.stats().blobs == batch[0].blob_count + _shared_parts(batch)


def test_variants_compress_against_a_dictionary(store_url: str, variants: list[Record]) -> None:
    """Records of one dossier's calls add little: the blobs are shared and the rest compresses
    against an earlier record (architecture §5: at most 8 KB per record whose blobs are stored)."""
    with open_store(store_url) as s:
        s.put(variants[0])
        before = s.stats()
        s.put_many(variants[1:21])
        after = s.stats()
    assert after.blobs == before.blobs + _shared_parts(variants[:21])  # no evidence blob again
    per_record = (after.bytes - before.bytes) / 20
    assert per_record <= 8192, per_record
    assert per_record < len(variants[1].to_bytes()) / 50


def test_conflicting_signature_is_refused_and_the_batch_stores_nothing(store_url: str,
                                                                       variants: list[Record]) -> None:
    first, fresh = variants[0], variants[1]
    forged = dict(first.data)
    sig = forged["signature"]["sigs"][0]
    forged["signature"] = {"sigs": [sig[:-2] + ("AA" if sig[-2:] != "AA" else "BA")]}
    other = Record(forged)  # same content, so the same id; another signature
    assert other.id == first.id and other.to_bytes() != first.to_bytes()
    with open_store(store_url) as s:
        s.put(first)
        with pytest.raises(StoreError) as ei:
            s.put_many([fresh, other])
        assert ei.value.code == codes.STORE_CONFLICT
        assert not s.has(fresh.id), "a batch that failed must store nothing"
        assert s.get_bytes(first.id) == first.to_bytes()
        assert s.put(first) == first.id  # the same file again: a no-op


def test_listing_pages_in_storage_order(store_url: str, variants: list[Record]) -> None:
    batch = variants[:5]
    with open_store(store_url) as s:
        for r in batch:
            s.put(r)
        page1 = s.entries(limit=2)
        page2 = s.entries(limit=2, after=page1[-1].id)
        page3 = s.entries(limit=2, after=page2[-1].id)
        assert [e.id for e in page1 + page2 + page3] == [r.id for r in batch]
        assert all(e.status == "VALID" and e.received_at == r.received_at for e, r in zip(page1, batch))
        assert s.entries(limit=2, after=batch[-1].id) == []
        with pytest.raises(RecordNotFound):
            s.entries(after="sha256:" + "0" * 64)
        for bad in (0, -1, 10_001):
            with pytest.raises(StoreError) as ei:
                s.entries(limit=bad)
            assert ei.value.code == codes.STORE_BAD_ARGUMENT


def test_listing_columns_of_records_built_in_process(store_url: str) -> None:
    """A record built in this process is stored without being parsed; its listing columns
    (reception time, verdict status) still come out right, whatever the verdict."""
    built = [r for base in ("valid.json", "revoked-tn-allocation.json", "evidence-unreachable.json")
             for r in make_variants(1, base=base, start=7)]
    with open_store(store_url) as s:
        s.put_many(built)
        entries = s.entries()
    for e, r in zip(entries, built):
        parsed = json.loads(r.to_bytes())
        assert (e.id, e.received_at, e.status) == (r.id, parsed["received_at"], parsed["verdict"]["status"])
    assert [e.status for e in entries] == ["VALID", "INVALID", "INDETERMINATE"]


def test_a_record_spelling_a_blob_its_own_way_is_stored_whole(store_url: str) -> None:
    """A file written elsewhere may spell a UTF-8 blob in base64 (the schema allows it): it is
    kept whole, not deduplicated, and still reads back byte for byte."""
    data = json.loads(golden_bytes()["valid.json"])
    key = sorted(data["blobs"])[0]
    text = data["blobs"][key]["text"].encode("utf-8")
    data["blobs"][key] = {"size": len(text), "base64": base64.b64encode(text).decode("ascii")}
    content = {k: v for k, v in data.items() if k not in ("id", "signature")}
    data["id"] = digest(canonical_json(content))
    odd = Record(data)
    with open_store(store_url) as s:
        s.import_bytes(golden_bytes()["valid.json"])
        before = s.stats()
        assert s.put(odd) == odd.id
        assert s.get_bytes(odd.id) == odd.to_bytes()
        after = s.stats()
        assert after.blobs == before.blobs
        assert after.record_bytes - before.record_bytes > 10_000  # the whole file went in its row


def test_missing_and_malformed_ids_are_coded(store_url: str) -> None:
    with open_store(store_url) as s:
        with pytest.raises(RecordNotFound) as ei:
            s.get_bytes("sha256:" + "ab" * 32)
        assert ei.value.code == codes.STORE_NOT_FOUND
        assert not s.has("sha256:" + "ab" * 32)
        for bad in ("", "sha256:xyz", "SHA256:" + "ab" * 32, "sha256:" + "AB" * 32, "x" * 10_000):
            with pytest.raises(StoreError) as ei2:
                s.get_bytes(bad)
            assert ei2.value.code == codes.STORE_BAD_ARGUMENT


def test_import_refuses_what_is_not_an_intact_record(store_url: str) -> None:
    raw = golden_bytes()["valid.json"]
    with open_store(store_url) as s:
        for bad, code in ((b"not json", codes.RECORD_NOT_JSON),
                          (raw.replace(b'"VALID"', b'"INVALID"', 1), codes.RECORD_ID_MISMATCH),
                          (json.dumps(json.loads(raw), indent=1).encode(), codes.RECORD_NOT_CANONICAL)):
            with pytest.raises(RecordBroken) as ei:
                s.import_bytes(bad)
            assert ei.value.code == code
        assert s.stats().records == 0


def test_seen_passport_window(store_url: str, request: pytest.FixtureRequest) -> None:
    with open_store(store_url) as s:
        assert s.seen_passport("k1", 1000.0, 60.0) is True
        assert s.seen_passport("k1", 1030.0, 60.0) is False  # a replay within the window
        assert s.seen_passport("k2", 1030.0, 60.0) is True  # another key
        assert s.seen_passport("k1", 1059.9, 60.0) is False
        assert s.seen_passport("k1", 1060.0, 60.0) is True  # the window has passed: new again
        assert s.seen_passport("k1", 1061.0, 60.0) is False
        assert s.seen_passport("k1", 900.0, 60.0) is False  # an older time is inside the window too
        # entries older than the window are pruned
        assert s.seen_passport("k3", 5000.0, 60.0) is True
    rows = sql(store_url, "SELECT key FROM passports_seen ORDER BY key", cluster=cluster_of(request, store_url))
    assert [r[0] for r in rows] == ["k3"]
    with open_store(store_url) as s:
        for bad in (("", 1.0, 1.0), ("k", float("nan"), 1.0), ("k", 1.0, 0.0), ("k", 1.0, -5.0),
                    ("k" * 1025, 1.0, 1.0), ("k", True, 1.0)):
            with pytest.raises(StoreError) as ei:
                s.seen_passport(*bad)
            assert ei.value.code == codes.STORE_BAD_ARGUMENT


_REPLAY_CHILD = """
import sys
from vvp.store import open_store
s = open_store(sys.argv[1])
won = [k for k in ("key-%d" % i for i in range(40)) if s.seen_passport(k, 100.0, 300.0)]
s.close()
print(" ".join(won))
"""


def test_seen_passport_is_atomic_across_processes(store_url: str) -> None:
    """Four worker processes see the same 40 PASSporTs at once: each is 'first' exactly once."""
    open_store(store_url).close()  # created and migrated before the race
    procs = [subprocess.Popen([sys.executable, "-c", _REPLAY_CHILD, store_url], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    won: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
        won += out.decode().split()
    assert sorted(won) == sorted(f"key-{i}" for i in range(40))


_WRITER_CHILD = """
import sys
from pathlib import Path
from vvp.store import open_store
s = open_store(sys.argv[1])
for f in sys.argv[2:]:
    print(s.import_bytes(Path(f).read_bytes()), flush=True)
s.close()
"""


def test_several_processes_write_one_store(store_url: str, variant_files: list[Path]) -> None:
    """The service's workers share one store: concurrent writers lose nothing."""
    open_store(store_url).close()
    chunks = [variant_files[i::3][:6] for i in range(3)]
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER_CHILD, store_url, *map(str, c)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in chunks]
    acked: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err.decode()
        acked += out.decode().split()
    assert len(acked) == 18
    with open_store(store_url) as s:
        assert sorted(s.ids(limit=100)) == sorted(acked)
        files = {json.loads(f.read_bytes())["id"]: f.read_bytes() for c in chunks for f in c}
        for rid in acked:
            assert s.get_bytes(rid) == files[rid]


def _first_blob(s: RecordStore, rid: str) -> str:
    return str(sorted(json.loads(s.get_bytes(rid))["blobs"])[0])


def test_corrupted_blob_row_and_dictionary_are_coded(store_url: str, request: pytest.FixtureRequest) -> None:
    raw = golden_bytes()["valid.json"]
    cluster = cluster_of(request, store_url)
    with open_store(store_url) as s:
        rid = s.import_bytes(raw)
        key = _first_blob(s, rid)
    # 1. a blob's bytes changed (valid compression of other bytes): its digest no longer matches
    (codec, data), = sql(store_url, "SELECT codec, data FROM blobs WHERE digest = ?", (key,), cluster=cluster)
    import zlib

    other = zlib.compress(b"x" * 50) if codec == 1 else b"y" * len(bytes(data))
    sql(store_url, "UPDATE blobs SET data = ? WHERE digest = ?", (other, key), cluster=cluster)
    with open_store(store_url) as s:
        with pytest.raises(StoreError) as ei:
            s.get_bytes(rid)
        assert ei.value.code == codes.STORE_CORRUPT
        with pytest.raises(StoreError) as ei:
            s.get(rid)
        assert ei.value.code == codes.STORE_CORRUPT
    # 2. the blob's bytes are garbage that does not decompress
    sql(store_url, "UPDATE blobs SET codec = 1, data = ? WHERE digest = ?", (b"\x00garbage", key), cluster=cluster)
    with open_store(store_url) as s, pytest.raises(StoreError) as ei:
        s.get_bytes(rid)
    assert ei.value.code == codes.STORE_CORRUPT
    # 3. the blob is gone
    sql(store_url, "DELETE FROM blobs WHERE digest = ?", (key,), cluster=cluster)
    with open_store(store_url) as s, pytest.raises(StoreError) as ei:
        s.get_bytes(rid)
    assert ei.value.code == codes.STORE_CORRUPT
    # 4. the record row's body is damaged (one byte flipped)
    rid2 = json.loads(golden_bytes()["evidence-unreachable.json"])["id"]
    with open_store(store_url) as s:
        s.import_bytes(golden_bytes()["evidence-unreachable.json"])
    (body,), = sql(store_url, "SELECT body FROM records WHERE id = ?", (rid2,), cluster=cluster)
    b = bytearray(bytes(body))
    b[len(b) // 2] ^= 0x01
    sql(store_url, "UPDATE records SET body = ? WHERE id = ?", (bytes(b), rid2), cluster=cluster)
    with open_store(store_url) as s, pytest.raises(StoreError) as ei:
        s.get_bytes(rid2)
    assert ei.value.code == codes.STORE_CORRUPT
    # 5. a compression dictionary is damaged: every record compressed against it says so
    sql(store_url, "UPDATE dicts SET data = ?", (zlib.compress(b"{}"),), cluster=cluster)
    with open_store(store_url) as s:
        for r in (rid, rid2):
            with pytest.raises(StoreError) as ei:
                s.get_bytes(r)
            assert ei.value.code == codes.STORE_CORRUPT
        assert s.stats().records == 2


def test_migrations_from_v0_and_v1_to_current(store_url: str) -> None:
    files = all_golden_bytes()
    with _open(store_url, schema_target=1) as s:
        assert s.schema_version() == 1
        ids = [s.import_bytes(raw) for raw in files.values()]
    with _open(store_url) as s:  # v1 -> current, data kept
        assert s.schema_version() == s.latest_version() == 2
        assert [s.get_bytes(i) for i in ids] == list(files.values())
        assert s.seen_passport("after-migration", 1.0, 10.0) is True


def test_a_fresh_store_starts_at_v0_and_is_migrated(store_url: str) -> None:
    with _open(store_url) as s:
        assert s.schema_version() == s.latest_version()
        assert s.stats().records == 0


def test_a_newer_or_foreign_schema_is_refused(store_url: str, request: pytest.FixtureRequest) -> None:
    cluster = cluster_of(request, store_url)
    open_store(store_url).close()
    sql(store_url, "INSERT INTO schema_version (version, description) VALUES (99, 'from the future')",
        cluster=cluster)
    with pytest.raises(StoreError) as ei:
        open_store(store_url)
    assert ei.value.code == codes.STORE_SCHEMA_NEWER
    sql(store_url, "DROP TABLE schema_version", cluster=cluster)
    with pytest.raises(StoreError) as ei:
        open_store(store_url)
    assert ei.value.code == codes.STORE_UNAVAILABLE and "not a vvp record store" in ei.value.message


def test_read_only_open_never_creates(store_url: str) -> None:
    with pytest.raises(StoreError) as ei:
        open_store(store_url, create=False)
    assert ei.value.code == codes.STORE_UNAVAILABLE


def test_closed_store_is_coded(store_url: str) -> None:
    s = open_store(store_url)
    s.close()
    s.close()  # twice is fine
    with pytest.raises(StoreError) as ei:
        s.has("sha256:" + "0" * 64)
    assert ei.value.code == codes.STORE_UNAVAILABLE

