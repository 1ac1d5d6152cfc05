"""Records signed in a group (vvp.recordbatch, vvp.record.sign_together): one signature over the
root of a Merkle tree of the group's ids, each record holding its inclusion proof.

The tree and the proofs are checked against a plain recursive RFC 9162 tree written here from
the RFC's definition (with vvp's domain tags), for every group size up to 40 and every index; a
record of a group re-verifies alone, offline, read back from a file and from the store; any
change to its proof (index, size, a path hash, the path's length) or its id makes the signature
fail with a code, never a traceback, while its integrity (the id) stays intact.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from tests.recordkit import SALT, shm_dir
from vvp import codes
from vvp.fetch import EvidenceKind, Fetched, FetchEvent
from vvp.record import (
    Record,
    RecordBroken,
    TrustSnapshot,
    VerifierIdentity,
    build_record,
    check_signature,
    open_identity,
    prepare_record,
    sign_together,
)
from vvp.recordbatch import BatchProof, leaf_hash, root_from_path, root_message, signed_message, tree
from vvp.store import open_store
from vvp.verdict import build_verdict, passed

T0 = _dt.datetime(2026, 1, 15, 12, 0, tzinfo=_dt.UTC)


def _h(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def _mth(ds: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, written from the RFC (vvp's tags for its 0x00 and 0x01 prefixes)."""
    if len(ds) == 1:
        return _h(b"vvp-batch-leaf-v3\n" + ds[0])
    k = 1
    while k * 2 < len(ds):
        k *= 2
    return _h(b"vvp-batch-node-v3\n" + _mth(ds[:k]) + _mth(ds[k:]))


def _path(m: int, ds: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n])."""
    if len(ds) == 1:
        return []
    k = 1
    while k * 2 < len(ds):
        k *= 2
    if m < k:
        return _path(m, ds[:k]) + [_mth(ds[k:])]
    return _path(m - k, ds[k:]) + [_mth(ds[:k])]


@pytest.mark.parametrize("n", range(1, 41))
def test_the_tree_and_every_path_are_rfc_9162s(n: int) -> None:
    ds = [_h(bytes([i, n])) for i in range(n)]
    root, paths = tree(ds)
    assert root == _mth(ds)
    for i in range(n):
        assert list(paths[i]) == _path(i, ds)
        assert root_from_path(ds[i], BatchProof(i, n, paths[i])) == root
        if n > 1:  # a wrong index, size or leaf never leads to the root
            assert root_from_path(ds[i], BatchProof((i + 1) % n, n, paths[i])) != root
            assert root_from_path(ds[(i + 1) % n], BatchProof(i, n, paths[i])) != root
            # another size may give the same root (a left part is the same tree), but never the
            # message the keys signed, which names the size
            assert signed_message(ds[i], BatchProof(i, n + 1, paths[i])) != root_message(root, n)
            assert root_from_path(ds[i], BatchProof(i, n, paths[i][:-1])) != root
            assert root_from_path(ds[i], BatchProof(i, n, paths[i] + (root,))) is None


def test_proofs_that_cannot_be_are_refused() -> None:
    d = _h(b"x")
    for proof in (BatchProof(2, 2, (d,)), BatchProof(-1, 2, (d,)), BatchProof(0, 0, ()), BatchProof(0, 2, (b"short",)),
                  BatchProof(0, 1 << 21, (d,))):
        assert root_from_path(d, proof) is None
    assert leaf_hash(d) != d and root_message(d, 2) != root_message(d, 3)
    with pytest.raises(ValueError):
        tree([])


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        yield ident


def _pending(identity: VerifierIdentity, n: int) -> list[Any]:
    trust = TrustSnapshot(store={"version": 1}, as_loaded=None, source=None)
    out = []
    for i in range(n):
        body = b"kel %d" % (i % 3)
        ev = FetchEvent("http://a.example/oobi", EvidenceKind.OOBI, T0,
                        fetched=Fetched("http://a.example/oobi", "http://a.example/oobi", "application/json+cesr", body,
                                        "http"))
        verdict = build_verdict([passed("X-A", "passport", f"call {i}")], reference_time="2026-01-15T12:00:00Z")
        out.append(prepare_record(inputs={"reference_time": "2026-01-15T12:00:00Z", "identities": [f"x{i}"]},
                                  received_at=T0 + _dt.timedelta(seconds=i), verdict=verdict, trust=trust,
                                  events=[ev], identity=identity, software={"vvp": "0", "keri": "1.3.6", "python": "3"}))
    return out


@pytest.mark.parametrize("n", [1, 2, 3, 7, 32])
def test_records_signed_together_each_verify_alone(identity: VerifierIdentity, n: int, tmp_path: Any) -> None:
    pending = _pending(identity, n)
    records = sign_together(pending, identity)
    assert [r.id for r in records] == [p.id for p in pending]
    assert len({tuple(r.signature.sigs) for r in records}) == 1  # one signature for the group
    url = f"sqlite:///{tmp_path}/r.db"
    with open_store(url) as store:
        store.put_many(records)
    with open_store(url, create=False) as store:
        back = [store.get_bytes(r.id) for r in records]
    for r, raw in zip(records, back):
        assert raw == r.to_bytes()
        again = Record.from_bytes(raw)  # alone, from its bytes
        data = json.loads(raw)
        if n == 1:
            assert "batch" not in data["signature"] and again.batch is None
        else:
            assert data["signature"]["batch"]["size"] == n and again.batch is not None
        assert check_signature(again).ok and check_signature(r).ok
        assert again.signed_bytes() == r.signed_bytes()


def test_a_record_alone_is_signed_as_before(identity: VerifierIdentity) -> None:
    """build_record signs one record over its id's 32 bytes, with no batch member."""
    p = _pending(identity, 1)[0]
    rec = sign_together([p], identity)[0]
    assert rec.batch is None and rec.signed_bytes() == bytes.fromhex(rec.id[7:])
    assert "batch" not in json.loads(rec.to_bytes())["signature"]
    alone = build_record(inputs={"reference_time": "2026-01-15T12:00:00Z", "identities": ["y"]}, received_at=T0,
                         verdict=build_verdict([passed("X-A", "passport", "y")], reference_time="2026-01-15T12:00:00Z"),
                         trust=TrustSnapshot(store={"version": 1}, as_loaded=None, source=None), events=[],
                         identity=identity)  # the one-record path every CLI record takes
    assert alone.batch is None and check_signature(Record.from_bytes(alone.to_bytes())).ok


@pytest.mark.parametrize("change", ["index", "size", "path hash", "path shorter", "path longer", "other group's sigs"])
def test_a_changed_proof_fails_the_signature_not_the_integrity(identity: VerifierIdentity, change: str) -> None:
    records = sign_together(_pending(identity, 5), identity)
    other = sign_together(_pending(identity, 4), identity)
    data = json.loads(records[2].to_bytes())
    b = data["signature"]["batch"]
    if change == "index":
        b["index"] = 3
    elif change == "size":
        b["size"] = 6
    elif change == "path hash":
        b["path"][0] = "0" * 64
    elif change == "path shorter":
        b["path"] = b["path"][:-1]
    elif change == "path longer":
        b["path"].append("1" * 64)
    else:
        data["signature"]["sigs"] = json.loads(other[2].to_bytes())["signature"]["sigs"]
    rec = Record(copy.deepcopy(data))  # intact: the proof is outside what the id covers
    assert rec.id == records[2].id
    check = check_signature(rec)
    assert not check.ok and check.code in (codes.RECORD_SIGNATURE_INVALID,)


def test_a_proof_the_schema_refuses_is_broken(identity: VerifierIdentity) -> None:
    data = json.loads(sign_together(_pending(identity, 3), identity)[0].to_bytes())
    for bad in ({"index": "0", "size": 3, "path": []}, {"index": 0, "size": 1, "path": []},
                {"index": 0, "size": 3, "path": ["AB" * 32]}, {"index": 0, "size": 3, "path": [], "x": 1}):
        d = copy.deepcopy(data)
        d["signature"]["batch"] = bad
        with pytest.raises(RecordBroken) as ei:
            Record(d)
        assert ei.value.code == codes.RECORD_SCHEMA_INVALID
