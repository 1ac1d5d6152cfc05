"""How a record is taken apart for storage and put back together, byte for byte.

A record file is about 113 KB, of which about 87 KB are evidence blobs that every record of the
same dossier repeats. The store keeps two things per record:

* its **blobs**, each once by digest across all records (``sha256:<hex>`` → bytes), compressed
  with zlib when that makes them smaller;
* its **row body**: a header line naming the record's blobs, then the record file's bytes after
  the ``blobs`` member (``,"evidence":[...],...}`` and the newline), zlib-compressed, usually against a *preset
  dictionary*: the body of an earlier record. Records of one verifier differ in a few fields
  (times, call ids, the signature), so a body of about 26 KB compresses to about 1 KB against a
  dictionary, against about 6 KB without one. zstd is not used: it is in the standard library
  only from Python 3.14, and zlib with a dictionary already does this job.

Writing never makes the record file. The rest after ``blobs`` is the record's
:meth:`~vvp.record.Record.skeleton` (its members but ``blobs``, canonical JSON), which a record
:func:`~vvp.record.build_record` made holds as parts (the signed content's members, the id and
the signature), and the blobs are :attr:`~vvp.record.Record.blobs`: the ``blobs`` member comes
first in every record file (keys are sorted and the schemas allow no other key before it), and
each blob is spelled one way (:func:`~vvp.record.blob_member`: text when UTF-8, else base64), so
the file is ``{"blobs":`` + the spelled blobs + ``,`` + the rest. A v1 record file written
elsewhere may spell a blob another way (its signature covers the spelling, v2's does not, so a
v2 record cannot); such a record has no skeleton and is stored whole (``F`` rows): never
deduplicated, never altered.

Reassembly joins the parts, then checks the result before handing it out: every blob against
its digest; the file against its canonical form (every top-level member re-serialised with
:func:`~vvp.record.canonical_json`); the id against the digest of the signed content (the members
that are not ``id``, ``signature`` and, in v2, ``blobs``); in v2 the manifest against the blobs
joined. Any mismatch, or bytes that do not decode, is ``STORE_CORRUPT``.
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vvp import codes
from vvp.canonical import canonical_object
from vvp.record import (
    BLOBS_PREFIX,
    MAX_RECORD_BYTES,
    MEDIA_TYPE_V1,
    Record,
    RecordBroken,
    blob_member,
    canonical_json,
    digest,
    manifest_of,
    unsigned_fields,
)
from vvp.store.base import ID_RE, StoreError

ZLIB_LEVEL = 1
"""Measured on the test world's valid call (a 26 KB body against the body of an earlier record of
the same caller as dictionary): levels 1 to 3 (zlib's fast strategy) cost about the same on such
a body, whose long matches are not hashed byte by byte, and differ by a few hundred bytes of
output; levels 4 and up (the lazy strategy) cost more for a little less. The write path takes
the cheapest: docs/performance.md has the figures."""
BLOB_ZLIB_LEVEL = 6
"""Blobs are compressed once, when first stored: zlib's default level."""
CODEC_RAW = 0
CODEC_ZLIB = 1
MEMBER_CACHE_BYTES = 64 * 1024 * 1024
"""Spelled blob members kept in memory (about 87 KB per dossier's evidence)."""


def _corrupt(message: str) -> StoreError:
    return StoreError(message, code=codes.STORE_CORRUPT)


class MemberCache:
    """``digest → canonical JSON of the blob as records spell it`` (``{"size":…,"text":…}``),
    least recently used first out past :data:`MEMBER_CACHE_BYTES`. A digest names its bytes, so
    an entry never goes stale."""

    def __init__(self, max_bytes: int = MEMBER_CACHE_BYTES) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes

    def member(self, key: str, data: bytes) -> bytes:
        got = self._items.get(key)
        if got is not None:
            self._items.move_to_end(key)
            return got
        member = blob_member(data)
        self._items[key] = member
        self._bytes += len(member)
        while self._bytes > self._max and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= len(old)
        return member

    def blobs_value(self, blobs: Mapping[str, bytes]) -> bytes:
        """The canonical ``blobs`` value of a record holding exactly ``blobs``. Keys are
        ``sha256:<hex>`` (ASCII), so byte order is RFC 8785's UTF-16 order."""
        return b"{" + b",".join(b'"' + k.encode("ascii") + b'":' + self.member(k, blobs[k])
                                for k in sorted(blobs)) + b"}"


@dataclass(frozen=True, slots=True)
class Parts:
    """A record taken apart: the columns of its row, its body (uncompressed) and the blobs the
    body names (empty for an ``F`` row, which holds the whole file)."""

    id: str
    received_at: str
    status: str
    body: bytes
    blobs: Mapping[str, bytes]
    record: Record


def split(record: Record) -> Parts:
    """Take a record apart (module docstring), through its public accessors only: a record
    :func:`~vvp.record.build_record` made gives its skeleton, blobs and listing fields without
    ever making its file or parsing it."""
    skeleton = record.skeleton()
    if skeleton is not None:
        blobs = record.blobs
        body = b"".join((b"B", ",".join(sorted(blobs)).encode("ascii"), b"\n,", skeleton[1:], b"\n"))
    else:
        blobs, body = {}, b"F\n" + record.to_bytes()
    return Parts(id=record.id, received_at=record.received_at, status=record.status, body=body, blobs=blobs,
                 record=record)


def body_blobs(body: bytes, where: str) -> tuple[list[str], bytes]:
    """``(blob keys, rest)`` of a ``B`` body, ``([], file)`` of an ``F`` body."""
    head, nl, rest = body.partition(b"\n")
    if not nl:
        raise _corrupt(f"{where}: the stored row has no header")
    if head == b"F":
        return [], rest
    if not head.startswith(b"B"):
        raise _corrupt(f"{where}: the stored row has an unknown header")
    try:
        keys = head[1:].decode("ascii").split(",") if len(head) > 1 else []
    except UnicodeDecodeError:
        raise _corrupt(f"{where}: the stored row's blob list is not ASCII") from None
    if not all(ID_RE.match(k) for k in keys):
        raise _corrupt(f"{where}: the stored row's blob list is damaged")
    return keys, rest


def reassemble(body: bytes, blobs: Mapping[str, bytes], record_id: str, cache: MemberCache, where: str) -> bytes:
    """The record file from its row body and its blobs, checked (module docstring)."""
    keys, rest = body_blobs(body, where)
    whole = body.startswith(b"F")
    mine: dict[str, bytes] = {}
    if whole:
        file = rest
        value = b""
    else:
        for key in keys:
            data = blobs.get(key)
            if data is None:
                raise _corrupt(f"{where}: blob {key} is missing from the store")
            if digest(data) != key:
                raise _corrupt(f"{where}: stored blob {key} does not match its digest")
            mine[key] = data
        value = cache.blobs_value(mine)
        file = BLOBS_PREFIX + value + rest
    try:
        tail = json.loads(file if whole else b'{"blobs":{}' + rest)
        if not isinstance(tail, dict):
            raise ValueError("not an object")
        members = {k: canonical_json(v) for k, v in tail.items() if whole or k != "blobs"}
        if not whole:
            members["blobs"] = value
        canonical = canonical_object(members) + b"\n"
        unsigned = unsigned_fields(tail.get("media_type"))
        content = canonical_object({k: v for k, v in members.items() if k not in unsigned})
    except (ValueError, UnicodeDecodeError, RecursionError, TypeError) as ex:
        raise _corrupt(f"{where}: the stored record does not parse: {ex}") from None
    if canonical != file:
        raise _corrupt(f"{where}: the reassembled record is not the canonical file that was stored")
    if tail.get("id") != record_id or digest(content) != record_id:
        raise _corrupt(f"{where}: the reassembled record does not match its id")
    if tail.get("media_type") != MEDIA_TYPE_V1:
        # v2: the blobs are outside the signed content; the signed manifest must list exactly them
        if whole:
            try:
                Record.from_bytes(file)
            except RecordBroken as ex:
                raise _corrupt(f"{where}: the stored record is broken: {ex.code}: {ex.message}") from None
        elif tail.get("manifest") != manifest_of(mine):
            raise _corrupt(f"{where}: the stored blobs are not the ones the record's manifest lists")
    return file


# ---------------------------------------------------------------------------------------------
# Compression


def compress(data: bytes, zdict: bytes | None = None, level: int = ZLIB_LEVEL) -> bytes:
    c = zlib.compressobj(level, zdict=zdict) if zdict is not None else zlib.compressobj(level)
    return c.compress(data) + c.flush()


class DictCompressor:
    """zlib against one preset dictionary, primed once: each body is compressed by a copy of the
    primed state (the same output as a fresh compressor, for half the cost: priming with a 26 KB
    dictionary is about 30 µs of the 50)."""

    def __init__(self, zdict: bytes) -> None:
        self._primed = zlib.compressobj(ZLIB_LEVEL, zdict=zdict)

    def compress(self, data: bytes) -> bytes:
        c = self._primed.copy()
        return c.compress(data) + c.flush()


def decompress(payload: bytes, zdict: bytes | None, where: str) -> bytes:
    """zlib data (with its dictionary), bounded by the record size limit: a damaged row cannot
    make the reader allocate without limit."""
    try:
        d = zlib.decompressobj(zdict=zdict) if zdict is not None else zlib.decompressobj()
        out = d.decompress(payload, MAX_RECORD_BYTES + 1)
        if len(out) > MAX_RECORD_BYTES or d.unconsumed_tail:
            raise _corrupt(f"{where}: stored data expands beyond {MAX_RECORD_BYTES} bytes")
        out += d.flush()
    except zlib.error as ex:
        raise _corrupt(f"{where}: stored data does not decompress: {ex}") from None
    if not d.eof or d.unused_data:
        raise _corrupt(f"{where}: stored data is truncated or has trailing bytes")
    return out


def encode_blob(data: bytes) -> tuple[int, bytes]:
    """``(codec, payload)``: zlib when it saves space, else the bytes as they are. A blob is
    compressed once, when it is first stored (not per record), so at zlib's default level."""
    packed = compress(data, level=BLOB_ZLIB_LEVEL)
    return (CODEC_ZLIB, packed) if len(packed) < len(data) else (CODEC_RAW, data)


def decode_blob(key: str, size: int, codec: int, payload: bytes) -> bytes:
    where = f"blob {key}"
    if codec == CODEC_RAW:
        data = bytes(payload)
    elif codec == CODEC_ZLIB:
        data = decompress(bytes(payload), None, where)
    else:
        raise _corrupt(f"{where}: unknown codec {codec}")
    if len(data) != size:
        raise _corrupt(f"{where}: {len(data)} bytes stored, {size} expected")
    return data
