"""How a record is taken apart for storage and put back together, byte for byte.

A record file is about 113 KB, of which about 87 KB are evidence blobs that every record of the
same dossier repeats. The store keeps two things per record:

* its **blobs**, each once by digest across all records (``sha256:<hex>`` → bytes), compressed
  with zlib when that makes them smaller;
* its **row body**: a header line naming the record's blobs, then the record file's bytes after
  the ``blobs`` member (``,"evidence":[...],...}`` and the newline), zlib-compressed, usually
  against a *preset dictionary*: the body of an earlier record. Records of one verifier differ
  in a few fields (times, call ids, the signature), so a body of about 26 KB compresses to well
  under 1 KB against a dictionary, against about 5.7 KB without one. zstd is not used: it is in
  the standard library only from Python 3.14, and zlib with a dictionary already does this job.

Why the file's own bytes and not its JSON: a record built in this process keeps its file bytes
and has never been parsed (:class:`~vvp.record.Record` parses lazily), and re-serialising 26 KB of
verdict JSON costs more than the rest of storing it. The ``blobs`` member comes first in every
record file (keys are sorted and the schema allows no other key before it), so the file is
``{"blobs":`` + the blobs value + the rest. The blobs value is what
:func:`vvp.record.canonical_json` makes of each blob spelled the way records spell them (text
when UTF-8, else base64): :class:`MemberCache` keeps those spelled members by digest, and
:func:`split` checks that the file holds exactly them before storing the rest alone. A record
spelling a blob any other way (possible only in a file written elsewhere) is stored whole
(``F`` rows): never deduplicated, never altered.

Reassembly joins the same three parts, then checks the result before handing it out: every blob
against its digest; the file against its canonical form (every top-level member re-serialised
with :func:`~vvp.record.canonical_json`); the id against the digest of the signed content (the
members but ``id`` and ``signature``). Any mismatch, or bytes that do not decode, is
``STORE_CORRUPT``.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vvp import codes
from vvp.canonical import canonical_object
from vvp.record import MAX_RECORD_BYTES, MEDIA_TYPE, UNSIGNED_FIELDS, Record, _blob_json, canonical_json, digest
from vvp.store.base import ID_RE, StoreError

ZLIB_LEVEL = 3
"""On a record body against a dictionary, level 3 costs about what level 1 does (about 50 µs) and
gives about 0.7 KB instead of 1 KB; level 6 gives 0.4 KB for about 40 µs more (test world's
valid call). A store grows by the row, so the cheap middle is chosen."""
CODEC_RAW = 0
CODEC_ZLIB = 1
BLOBS_PREFIX = b'{"blobs":'
MEMBER_CACHE_BYTES = 64 * 1024 * 1024
"""Spelled blob members kept in memory (about 87 KB per dossier's evidence)."""

_RECEIVED_AT = b',"media_type":' + canonical_json(MEDIA_TYPE) + b',"received_at":"'
_TIME_TEXT = re.compile(r"\A[0-9T:.+\-Z]{10,40}\Z")
_STATUS_AT_END = re.compile(rb',"status":"(VALID|INVALID|INDETERMINATE)"\}\Z')
_VERIFIER = b',"verifier":{'


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
        member = canonical_json(_blob_json(data))
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
    file: bytes
    body: bytes
    blobs: Mapping[str, bytes]


def _record_internals(record: Record) -> tuple[Mapping[str, bytes], Mapping[str, Any] | None]:
    """The record's blob map and its parsed JSON if it has been parsed already.

    :class:`~vvp.record.Record` has no public accessor for either (``blob(key)`` needs the keys,
    and ``data`` parses a freshly built record's whole file, which is the cost the store exists
    to avoid), so the slots are read here, with the public, slower way as the fallback should
    they change."""
    blobs = getattr(record, "_blobs", None)
    parsed = getattr(record, "_data", None)
    if not isinstance(blobs, Mapping):
        parsed = record.data
        blobs = {k: record.blob(k) for k in parsed["blobs"]}
    return blobs, parsed if isinstance(parsed, Mapping) else None


def split(record: Record, cache: MemberCache) -> Parts:
    """Take a record apart (module docstring)."""
    file = record.to_bytes()
    blobs, parsed = _record_internals(record)
    value = cache.blobs_value(blobs)
    end = len(BLOBS_PREFIX) + len(value)
    if file.startswith(BLOBS_PREFIX) and file[len(BLOBS_PREFIX):end] == value and file[end:end + 1] == b",":
        rest = file[end:]
        body = b"B" + ",".join(sorted(blobs)).encode("ascii") + b"\n" + rest
        external: Mapping[str, bytes] = blobs
    else:
        rest, body, external = file, b"F\n" + file, {}
    received_at, status = _listing(record, rest, parsed)
    return Parts(id=record.id, received_at=received_at, status=status, file=file, body=body, blobs=external)


def _listing(record: Record, rest: bytes, parsed: Mapping[str, Any] | None) -> tuple[str, str]:
    """The reception time and verdict status for the listing columns.

    A parsed record answers directly. A record built in this process and never parsed is read
    at two anchors instead of parsing 26 KB: ``received_at`` follows the constant ``media_type``
    member, after ``evidence`` and ``inputs`` (whose shapes ``build_record`` fixes); the verdict's
    top-level ``status`` is its last member when the verdict text ends with it, right before the
    ``verifier`` member (the last one, which holds only strings and a number). If either anchor
    is not found, the record is parsed after all."""
    if parsed is None:
        i = rest.find(_RECEIVED_AT)
        v = rest.rfind(_VERIFIER)
        if i >= 0 and v > 0:
            start = i + len(_RECEIVED_AT)
            j = rest.find(b'"', start)
            at = rest[start:j].decode("ascii", "replace") if j > 0 else ""
            m = _STATUS_AT_END.search(rest, max(0, v - 40), v)
            if m is not None and _TIME_TEXT.match(at):
                return at, m.group(1).decode("ascii")
        parsed = record.data
    return str(parsed["received_at"]), str(parsed["verdict"]["status"])


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
    if whole:
        file = rest
    else:
        mine: dict[str, bytes] = {}
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
        content = canonical_object({k: v for k, v in members.items() if k not in UNSIGNED_FIELDS})
    except (ValueError, UnicodeDecodeError, RecursionError, TypeError) as ex:
        raise _corrupt(f"{where}: the stored record does not parse: {ex}") from None
    if canonical != file:
        raise _corrupt(f"{where}: the reassembled record is not the canonical file that was stored")
    if tail.get("id") != record_id or digest(content) != record_id:
        raise _corrupt(f"{where}: the reassembled record does not match its id")
    return file


# ---------------------------------------------------------------------------------------------
# Compression


def compress(data: bytes, zdict: bytes | None = None) -> bytes:
    c = zlib.compressobj(ZLIB_LEVEL, zdict=zdict) if zdict is not None else zlib.compressobj(ZLIB_LEVEL)
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
    """``(codec, payload)``: zlib when it saves space, else the bytes as they are."""
    packed = compress(data)
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
