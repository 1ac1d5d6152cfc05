"""One signature for a group of v3 records: a Merkle tree over their ids, each record carrying
its inclusion path (docs/record-format.md, "Signed in a group").

Why: a front end that commits records in groups (the batch runner commits 128 at a time) pays
one Ed25519 signature per record otherwise, about 20-30 µs, the largest single cost of a record
after the verification itself. Signing the root of a tree over the group's ids costs one
signature per group and about two SHA-256 of 32-80 bytes per record, and every record still
proves on its own, offline, that the verifier signed it: its id is a leaf of the tree whose root
the verifier signed, by the path it holds. This is the inclusion proof of Certificate
Transparency (RFC 9162 §2.1), with vvp's own domain tags instead of RFC 9162's one-byte
prefixes, so that no leaf, node or root can be mistaken for a record id (whose preimage starts
``vvp-record-v3``) or for another kind of node.

What the keys sign for a group of ``n`` records is ``SHA-256("vvp-batch-root-v3\\n" ‖ n as 8
bytes big-endian ‖ root)``, where the root is RFC 9162's tree hash over the leaves
``SHA-256("vvp-batch-leaf-v3\\n" ‖ id bytes)`` with interior nodes ``SHA-256("vvp-batch-node-v3\\n"
‖ left ‖ right)``. A record's ``signature`` member then holds ``batch``: its ``index``, the group
``size`` and the ``path`` (the sibling hashes from the leaf up, lowercase hex).

Layer: record (no keri: the signature itself is made and checked by :mod:`vvp._keri.signer`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

LEAF_TAG = b"vvp-batch-leaf-v3\n"
NODE_TAG = b"vvp-batch-node-v3\n"
ROOT_TAG = b"vvp-batch-root-v3\n"
MAX_SIZE = 1 << 20
"""The largest group a proof may name (a path then has at most 20 hashes)."""


@dataclass(frozen=True, slots=True)
class BatchProof:
    """Where a record sits in the group signed together: ``index`` of ``size``, and ``path``, the
    32-byte sibling hashes from its leaf to the root (RFC 9162 §2.1.3.1 order)."""

    index: int
    size: int
    path: tuple[bytes, ...]

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "size": self.size, "path": [p.hex() for p in self.path]}


def leaf_hash(record_digest: bytes) -> bytes:
    return hashlib.sha256(LEAF_TAG + record_digest).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_TAG + left + right).digest()


def root_message(root: bytes, size: int) -> bytes:
    """What the verifier's keys sign for a group of ``size`` records whose tree hash is ``root``."""
    return hashlib.sha256(ROOT_TAG + size.to_bytes(8, "big") + root).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` ≥ 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def tree(digests: Sequence[bytes]) -> tuple[bytes, list[tuple[bytes, ...]]]:
    """The tree hash over ``digests`` (record ids as bytes, in order) and every leaf's inclusion
    path, each subtree hashed once (about ``2n`` hashes for ``n`` records)."""
    n = len(digests)
    if not 1 <= n <= MAX_SIZE:
        raise ValueError(f"a group signed together holds 1 to {MAX_SIZE} records, not {n}")
    leaves = [leaf_hash(d) for d in digests]
    paths: list[list[bytes]] = [[] for _ in range(n)]

    def build(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        k = lo + _split(hi - lo)
        left, right = build(lo, k), build(k, hi)
        for i in range(lo, k):
            paths[i].append(right)
        for i in range(k, hi):
            paths[i].append(left)
        return _node(left, right)

    root = build(0, n)
    return root, [tuple(p) for p in paths]


def root_from_path(record_digest: bytes, proof: BatchProof) -> bytes | None:
    """The tree hash that ``proof`` leads to from a record's id, or None when the proof cannot be
    one of a tree of ``proof.size`` leaves (RFC 9162 §2.1.3.2, which also fixes the path's
    length: a path too long or too short fails)."""
    if not (0 <= proof.index < proof.size <= MAX_SIZE) or any(len(p) != 32 for p in proof.path):
        return None
    fn, sn = proof.index, proof.size - 1
    r = leaf_hash(record_digest)
    for p in proof.path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def signed_message(record_digest: bytes, proof: BatchProof) -> bytes | None:
    """What the keys signed for the group a record with this id and ``proof`` belongs to, or
    None when the proof is not well-formed."""
    root = root_from_path(record_digest, proof)
    return root_message(root, proof.size) if root is not None else None
