"""How a record is taken apart for storage and put back together, byte for byte.

A record file is about 120 KB, of which about 87 KB are evidence blobs that every record of the
same dossier repeats. The store keeps two things per record:

* its **blobs**, each once by digest across all records (``sha256:<hex>`` → bytes), compressed
  with zlib when that makes them smaller;
* its **row body**: a header line naming the record's blobs, then the rest of the record
  (below), zlib-compressed, usually against a *preset dictionary*: the body of an earlier
  record. Records of one verifier differ in a few places (times, call ids, the signature), so a
  body compresses to about 1 KB against a dictionary (a ``C`` body of 33 KB: about 7 KB without
  one). zstd is not used: it is in the standard library only from Python 3.14, and zlib with a
  dictionary does this job once the body is compressed in pieces (:data:`PIECE`).

The rest of the record, by row kind (:func:`split`):

* ``S`` (format v2, a record built in this process): a line with the canonical JSON of
  ``{"id", "signature"}``, then the signed content (every member but ``id``, ``signature`` and
  ``blobs``) as items: runs of its bytes, and references by SHA-256 to the large parts of it
  that recur record after record as the very same objects (the trust member, the runs of checks
  a warm verification answers from its caches: about 26 KB of the 32 KB), each kept once in the
  ``blobs`` table (:class:`SegmentMemo`). What is compressed per record is the 7 KB rest.
* ``C`` (format v2 otherwise): the same line, then the signed content's bytes whole.

  Writing never makes the record file: a record :func:`~vvp.record.build_record` made hands its
  content (as the parts that make it: :meth:`~vvp.record.Record.content_parts`), id, signature,
  blobs and listing fields through public accessors.
* ``B`` (format v1): the record file's bytes after its ``blobs`` member (``,"evidence":[...],...}``
  and the newline), from :meth:`~vvp.record.Record.skeleton`.
* ``F``: the whole file, for a v1 file written elsewhere that spells a blob its own way (its
  signature covers the spelling; v2's does not, so a v2 record cannot): never deduplicated,
  never altered.

The file is then ``{"blobs":`` + each blob spelled one way (:func:`~vvp.record.blob_member`:
text when UTF-8, else base64) + ``,`` + the other members in canonical order: the ``blobs``
member comes first in every record file (keys are sorted and the schemas allow no other key
before it), and RFC 8785 is compositional.

Reassembly joins the parts, then checks the result before handing it out: every blob against
its digest; the file against its canonical form (every top-level member re-serialised with
:func:`~vvp.record.canonical_json`; a ``C`` row's content must be canonical as stored); the id
against the digest of the signed content (the members that are not ``id``, ``signature`` and,
in v2, ``blobs``); in v2 the manifest against the blobs joined. Any mismatch, or bytes that do
not decode, is ``STORE_CORRUPT``.
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import zstandard

from vvp import codes
from vvp.canonical import canonical_object
from vvp.record import (
    BLOBS_PREFIX,
    DIGEST_PREFIX,
    MAX_RECORD_BYTES,
    MEDIA_TYPE_V1,
    MEDIA_TYPE_V3,
    Record,
    RecordBroken,
    blob_member,
    canonical_json,
    content_digest_v3,
    digest,
    manifest_of,
    signed_content,
    unsigned_fields,
)
from vvp.store.base import ID_RE, StoreError

ZLIB_LEVEL = 3
"""Row bodies (codec 2, the write path): measured on the test world's valid call (a 33 KB body
against the body of an earlier call of the same caller), levels 1 to 3 (zlib's fast strategy,
which does not hash the inside of long matches) cost the same, about 50 µs, and give 1.4 KB
(level 1) to 1.0 KB (level 3); level 6 (the lazy strategy) gives 0.6 KB for twice the time.
docs/performance.md has the figures."""
BLOB_ZLIB_LEVEL = 6
"""Blobs are compressed once, when first stored: zlib's default level."""
CODEC_RAW = 0
CODEC_ZLIB = 1
"""One zlib stream (with the row's dictionary, if it has one: rows written before codec 2)."""
CODEC_ZLIB_PIECES = 2
"""Row bodies against a dictionary, in zlib pieces (:class:`DictCompressor`): written before
codec 3, still read."""
CODEC_ZSTD_DICT = 3
"""Row bodies against a dictionary, one zstd frame (:class:`ZstdDictCompressor`): what is written."""
ZSTD_LEVEL = -1
"""zstd's first fast level. On the test world's ``S`` bodies (about 6.5 KB against an earlier
one) level 3 (the default) gives 306 bytes and level -1 351, but on the recorded-call path, where
the verification between two groups of rows has just evicted the compressor's tables from the
CPU caches, level 3 cost about 17 µs per row and level -1 about 8 (CPU time, same pipeline, load
about 2.5); with its tables warm, 7.4 against 3.5 µs. 45 bytes a row for 9 µs a call. Readers do
not depend on the level."""
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
    """A record taken apart: the columns of its row, its body (uncompressed, as the parts that
    joined make it: a ``C`` body is its header and the record's signed content, never copied
    into one string on the write path) and the blobs the body names (empty for an ``F`` row,
    which holds the whole file)."""

    id: str
    received_at: str
    status: str
    body_parts: tuple[bytes, ...]
    blobs: Mapping[str, bytes]
    record: Record
    segments: Mapping[str, bytes] = field(default_factory=dict)
    """Parts of the signed content the body names by digest (``S`` rows), kept like blobs."""

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.body_parts)

    def body(self) -> bytes:
        return b"".join(self.body_parts)


SEGMENT_MIN = 1024
"""Parts of a signed content shorter than this are always written inline."""
SEGMENT_MEMO_BYTES = 8 * 1024 * 1024
"""Parts remembered by :class:`SegmentMemo` (the parts themselves are held, the least recently
seen dropped first). Recurring parts are seen again with every call that reuses them, so they stay;
a bound reached within the first few thousand records keeps a long-running worker's memory flat."""


class SegmentMemo:
    """Which parts of records' signed content recur, by identity.

    A record :func:`~vvp.record.build_record` made holds its content as parts
    (:meth:`~vvp.record.Record.content_parts`), and the large ones that recur are the very same
    objects record after record: the trust member (one per trust snapshot), the verifier member
    (one per establishment event), the runs of checks a warm verification answers from its
    caches (about 25 KB of the verdict's 26 KB). Such a part is stored once, like a blob, by its
    SHA-256, and a row names it (``S`` rows): the part is hashed once and never compressed again.
    A part is named only from its second sighting on (a part made for one call never is), and
    held while remembered so that its ``id`` cannot be reused."""

    def __init__(self, max_bytes: int = SEGMENT_MEMO_BYTES) -> None:
        self._items: OrderedDict[int, tuple[bytes, tuple[str, bytes] | None]] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes

    def ref_of(self, part: bytes) -> tuple[str, bytes] | None:
        """``part``'s digest and the item an ``S`` body names it by (``R`` + the 32 bytes of the
        digest), both made once per part, when this very object was seen before; else None (and
        it is remembered as seen)."""
        key = id(part)
        hit = self._items.get(key)
        if hit is not None and hit[0] is part:
            self._items.move_to_end(key)
            if hit[1] is not None:
                return hit[1]
            d = digest(part)
            ref = (d, b"R" + bytes.fromhex(d[len(DIGEST_PREFIX):]))
            self._items[key] = (part, ref)
            return ref
        if hit is not None:  # another object under a reused id: the old one is gone
            self._bytes -= len(hit[0])
        self._items[key] = (part, None)
        self._bytes += len(part)
        while self._bytes > self._max and len(self._items) > 1:
            _, (old, _d) = self._items.popitem(last=False)
            self._bytes -= len(old)
        return None


def _segmented(parts: Sequence[bytes], memo: SegmentMemo) -> tuple[list[bytes], dict[str, bytes]]:
    """The items of an ``S`` body: runs of inline bytes (``I`` + 4-byte length + bytes) and
    references to recurring parts (``R`` + the 32 bytes of their SHA-256)."""
    items: list[bytes] = []
    refs: dict[str, bytes] = {}
    start = 0
    ref_of = memo.ref_of
    for i, part in enumerate(parts):
        if len(part) < SEGMENT_MIN:
            continue
        ref = ref_of(part)
        if ref is None:
            continue
        if start < i:
            chunk = b"".join(parts[start:i]) if i - start > 1 else parts[start]
            items += (b"I" + len(chunk).to_bytes(4, "big"), chunk)
        items.append(ref[1])
        refs[ref[0]] = part
        start = i + 1
    if start < len(parts):
        chunk = b"".join(parts[start:])
        items += (b"I" + len(chunk).to_bytes(4, "big"), chunk)
    return items, refs


def segment_refs(rest: bytes, where: str) -> list[str]:
    """The digests an ``S`` body's items name (after its id and signature line)."""
    _, nl, items = rest.partition(b"\n")
    if not nl:
        raise _corrupt(f"{where}: the stored row has no id and signature line")
    out: list[str] = []
    pos = 0
    while pos < len(items):
        tag = items[pos:pos + 1]
        if tag == b"R" and pos + 33 <= len(items):
            out.append(DIGEST_PREFIX + items[pos + 1:pos + 33].hex())
            pos += 33
        elif tag == b"I" and pos + 5 <= len(items):
            pos += 5 + int.from_bytes(items[pos + 1:pos + 5], "big")
        else:
            raise _corrupt(f"{where}: the stored row's content items are damaged")
    if pos != len(items):
        raise _corrupt(f"{where}: the stored row's content items are damaged")
    return out


def _join_segments(items: bytes, segments: Mapping[str, bytes], where: str) -> bytes:
    out: list[bytes] = []
    pos = 0
    while pos < len(items):
        if items[pos:pos + 1] == b"R":
            d = DIGEST_PREFIX + items[pos + 1:pos + 33].hex()
            part = segments.get(d)
            if part is None:
                raise _corrupt(f"{where}: content part {d} is missing from the store")
            out.append(part)
            pos += 33
        else:
            n = int.from_bytes(items[pos + 1:pos + 5], "big")
            out.append(items[pos + 5:pos + 5 + n])
            pos += 5 + n
    return b"".join(out)


def _sig_line(record: Record) -> bytes:
    """``canonical_json({"id": ..., "signature": {...}})`` of a record. A record's id and its
    signatures are ASCII (a digest, CESR), and on ASCII strings with sorted ASCII keys orjson's
    output is RFC 8785's (:mod:`vvp.canonical`, points 1, 3 and 4), so the walk proving plainness
    is skipped for a record signed alone; anything else (a group's inclusion proof: integers and
    hex) takes :func:`~vvp.canonical.canonical_json`."""
    return sig_line_of(record.id, record.signature_json())


def sig_line_of(record_id: str, sig: Mapping[str, Any]) -> bytes:
    """:func:`_sig_line` of an id and a ``signature`` member."""
    sigs = sig.get("sigs")
    batch = sig.get("batch")
    if (type(sigs) is list and type(record_id) is str and record_id.isascii()
            and all(type(s) is str and s.isascii() for s in sigs)
            and (len(sig) == 1 or (len(sig) == 2 and _plain_batch(batch)))):
        return orjson.dumps({"id": record_id, "signature": sig}, option=orjson.OPT_SORT_KEYS)
    return canonical_json({"id": record_id, "signature": sig})


def _plain_batch(batch: Any) -> bool:
    """Whether a group inclusion proof is one orjson writes as RFC 8785 does: small integers
    (no bool, below 2**53) and ASCII text, under ASCII keys."""
    if type(batch) is not dict or set(batch) != {"index", "size", "path"}:
        return False
    index, size, path = batch["index"], batch["size"], batch["path"]
    return (type(index) is int and type(size) is int and 0 <= index < 2 ** 53 and 0 <= size < 2 ** 53
            and type(path) is list and all(type(p) is str and p.isascii() for p in path))


_KEYS_MEMO: dict[tuple[str, ...], bytes] = {}
KEYS_MEMO_ENTRIES = 1024


def _blob_keys(blobs: Mapping[str, bytes]) -> bytes:
    """A row's blob keys, sorted and joined: remembered by the keys in the mapping's own order
    (the records of a warm caller's calls hold the same blobs, call after call), so the sort is
    done once per set; only the keys are held, never the blobs."""
    order = tuple(blobs)
    keys = _KEYS_MEMO.get(order)
    if keys is None:
        keys = ",".join(sorted(order)).encode("ascii")
        if len(_KEYS_MEMO) >= KEYS_MEMO_ENTRIES:
            _KEYS_MEMO.clear()
        _KEYS_MEMO[order] = keys
    return keys


def split(record: Record, segments: SegmentMemo | None = None) -> Parts:
    """Take a record apart (module docstring), through its public accessors only: a v2 record
    :func:`~vvp.record.build_record` made gives its signed content, id, signature, blobs and
    listing fields without ever making its file or parsing it.

    * ``C`` (v2): ``C`` + the blob keys, a line with the canonical JSON of ``{"id", "signature"}``,
      then the signed content's bytes (every member but those two and ``blobs``);
    * ``B`` (v1): ``B`` + the blob keys, then the file after its ``blobs`` member;
    * ``F``: the whole file (a v1 file spelling a blob its own way)."""
    keys = _blob_keys(record.blobs)
    if record.media_type != MEDIA_TYPE_V1:
        sig = _sig_line(record)
        content = record.content_parts()
        if segments is not None and len(content) > 1:
            items, refs = _segmented(content, segments)
            if refs:  # the inline rest is a few KB: joined once, compressed in one call
                return Parts(id=record.id, received_at=record.received_at, status=record.status,
                             body_parts=(b"".join((b"S", keys, b"\n", sig, b"\n", *items)),), blobs=record.blobs,
                             record=record, segments=refs)
        return Parts(id=record.id, received_at=record.received_at, status=record.status,
                     body_parts=(b"".join((b"C", keys, b"\n", sig, b"\n", *content)),), blobs=record.blobs,
                     record=record)
    skeleton = record.skeleton()
    if skeleton is not None:
        blobs = record.blobs
        body = b"".join((b"B", keys, b"\n,", memoryview(skeleton)[1:], b"\n"))
    else:
        blobs, body = {}, b"F\n" + record.to_bytes()
    return Parts(id=record.id, received_at=record.received_at, status=record.status, body_parts=(body,), blobs=blobs,
                 record=record)


def body_blobs(body: bytes, where: str) -> tuple[str, list[str], bytes]:
    """``(kind, blob keys, rest)`` of a row body: kind ``B``, ``C``, ``S`` or ``F`` (``F`` has no keys)."""
    head, nl, rest = body.partition(b"\n")
    if not nl:
        raise _corrupt(f"{where}: the stored row has no header")
    if head == b"F":
        return "F", [], rest
    if not head[:1] in (b"B", b"C", b"S"):
        raise _corrupt(f"{where}: the stored row has an unknown header")
    try:
        keys = head[1:].decode("ascii").split(",") if len(head) > 1 else []
    except UnicodeDecodeError:
        raise _corrupt(f"{where}: the stored row's blob list is not ASCII") from None
    if not all(ID_RE.match(k) for k in keys):
        raise _corrupt(f"{where}: the stored row's blob list is damaged")
    return head[:1].decode("ascii"), keys, rest


def reassemble(body: bytes, blobs: Mapping[str, bytes], record_id: str, cache: MemberCache, where: str) -> bytes:
    """The record file from its row body and its blobs (and, for an ``S`` row, the content parts
    it names, found among ``blobs`` too), checked (module docstring)."""
    kind, keys, rest = body_blobs(body, where)
    if kind == "S":
        sig_line, _, items = rest.partition(b"\n")
        named = segment_refs(rest, where)
        for d in named:
            part = blobs.get(d)
            if part is not None and digest(part) != d:
                raise _corrupt(f"{where}: stored content part {d} does not match its digest")
        rest = sig_line + b"\n" + _join_segments(items, blobs, where)
        kind = "C"
    mine: dict[str, bytes] = {}
    for key in keys:
        data = blobs.get(key)
        if data is None:
            raise _corrupt(f"{where}: blob {key} is missing from the store")
        if digest(data) != key:
            raise _corrupt(f"{where}: stored blob {key} does not match its digest")
        mine[key] = data
    value = cache.blobs_value(mine)
    try:
        if kind == "C":
            sig_line, nl, content = rest.partition(b"\n")
            unsigned = json.loads(sig_line) if nl else None
            tail = json.loads(content)
            if not isinstance(tail, dict) or not isinstance(unsigned, dict) or set(unsigned) != {"id", "signature"}:
                raise ValueError("not a record's content, id and signature")
            members = {k: canonical_json(v) for k, v in tail.items()}
            if canonical_object(members) != content or set(members) & {"id", "signature", "blobs"}:
                raise ValueError("the stored content is not canonical")
            members.update((k, canonical_json(v)) for k, v in unsigned.items())
            tail.update(unsigned)
        else:
            tail = json.loads(rest if kind == "F" else b'{"blobs":{}' + rest)
            if not isinstance(tail, dict):
                raise ValueError("not an object")
            members = {k: canonical_json(v) for k, v in tail.items() if kind == "F" or k != "blobs"}
            content = b""
        if kind != "F":
            members["blobs"] = value
        canonical = canonical_object(members) + b"\n"
        file = rest if kind == "F" else canonical
        unsigned_names = unsigned_fields(tail.get("media_type"))
        if kind != "C":
            content = canonical_object({k: v for k, v in members.items() if k not in unsigned_names})
    except (ValueError, UnicodeDecodeError, RecursionError, TypeError) as ex:
        raise _corrupt(f"{where}: the stored record does not parse: {ex}") from None
    if kind == "B" and BLOBS_PREFIX + value + rest != canonical:
        raise _corrupt(f"{where}: the reassembled record is not the canonical file that was stored")
    if kind == "F" and canonical != file:
        raise _corrupt(f"{where}: the reassembled record is not the canonical file that was stored")
    if kind == "C" and tail.get("media_type") == MEDIA_TYPE_V1:
        raise _corrupt(f"{where}: a v1 record stored as content")
    try:
        expected = (DIGEST_PREFIX + content_digest_v3(signed_content(tail)).hex()
                    if tail.get("media_type") == MEDIA_TYPE_V3 else digest(content))
    except ValueError as ex:
        raise _corrupt(f"{where}: the stored record does not parse: {ex}") from None
    if tail.get("id") != record_id or expected != record_id:
        raise _corrupt(f"{where}: the reassembled record does not match its id")
    if tail.get("media_type") != MEDIA_TYPE_V1:
        # v2: the blobs are outside the signed content; the signed manifest must list exactly them
        if kind == "F":
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


PIECE = 20 * 1024
"""Row bodies compressed against a dictionary go in pieces of this many bytes (codec 2), each its
own zlib stream against the part of the dictionary around the same offset (:func:`dict_slice`).
Why: zlib reaches back at most 32 KB, and a body and its dictionary are each about 33 KB, so
against the whole dictionary (codec 1) a body finds almost none of it (about 5 KB per row, and
a second, plain compression on every write when the store judged that poor); in pieces the
matching bytes are about 26 KB back. 16 KB pieces cost a little more (one more compressor
copied per row) for the same size; 24 KB the same."""
REACH = 6 * 1024
"""How far before and after a piece's own offset its dictionary slice reaches: bodies of one
caller differ by a few bytes here and there (times, call ids), so their parts sit within this of
each other. PIECE + 2 * REACH is the 32 KB a zlib window holds."""
DICT_PIECES = 64
"""Pieces past this many (the first 1 MiB of a body) are compressed without a dictionary: the
primed compressors a dictionary keeps (about 200 KB each) stay bounded for any body."""


def dict_slice(zdict: bytes, k: int) -> bytes | None:
    """The dictionary of piece ``k`` (codec 2): ``zdict`` from :data:`REACH` before the piece's
    offset to :data:`REACH` after its end, the offset clipped to the dictionary's last piece
    (so a body longer than its dictionary still finds the dictionary's tail); None past
    :data:`DICT_PIECES` or for an empty dictionary."""
    if k >= DICT_PIECES or not zdict:
        return None
    start = min(k * PIECE, max(0, len(zdict) - PIECE))
    return zdict[max(0, start - REACH):start + PIECE + REACH]


SMALL_DICT = 12 * 1024
"""Dictionary slices up to this long are primed into a compressor with a 16 KB window
(:func:`small_state`)."""


def small_state(dict_len: int) -> tuple[int, int]:
    """``(wbits, memLevel)`` of the primed compressor for a dictionary slice of ``dict_len``
    bytes. Each piece is compressed by a copy of that compressor, so its state is copied once
    per row: zlib's default (a 32 KB window, memLevel 8) is about 256 KB, and on a record path
    whose caches the verification has just filled that copy is a third of the compression.
    The dictionary of an ``S`` body is an earlier ``S`` body, about 7 KB, which the body
    matches at about the same offsets, so a 16 KB window reaches all of it, and memLevel 6
    (a smaller hash table and pending buffer) finds the same matches on such a body: about
    100 KB of state, the same compressed size, about 5 µs less per record (test world,
    distinct calls, in the pipeline, when the store wrote codec 2). A longer slice (a ``C`` or ``B`` body) keeps zlib's
    defaults. Only the compressor is tuned: the stream says its window size, and readers
    decompress it as before (codec 2, any window)."""
    return (14, 6) if dict_len <= SMALL_DICT else (15, 8)


class DictCompressor:
    """zlib against one preset dictionary, in pieces (codec 2, :data:`PIECE`), each piece's
    compressor primed once: a piece is compressed by a copy of the primed state (the same output
    as a fresh compressor, without hashing the dictionary slice again). The payload is each
    piece's compressed length (4 bytes, big-endian) and bytes, in order.

    The store wrote codec 2 before codec 3 (:class:`ZstdDictCompressor`) and still reads it; this
    writer is kept so that tests can make such rows, and as the measured alternative."""

    def __init__(self, zdict: bytes) -> None:
        self._zdict = zdict
        self._last = max(0, (len(zdict) - 1) // PIECE)  # pieces from here on share the dictionary's tail
        self._primed: dict[int, Any] = {}

    def _compressor(self, k: int) -> Any:
        key = min(k, self._last)
        c = self._primed.get(key)
        if c is None:
            zd = dict_slice(self._zdict, key)
            c = self._primed[key] = (zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, *small_state(len(zd)), zdict=zd)
                                     if zd else zlib.compressobj(ZLIB_LEVEL))
        return c

    def compress(self, data: bytes | Sequence[bytes]) -> bytes:
        """``data``, or the bytes ``data``'s parts make joined (not joined here: each piece is
        fed from the parts it overlaps, through memory views)."""
        parts = [memoryview(data)] if isinstance(data, bytes) else [memoryview(p) for p in data]
        total = sum(len(p) for p in parts)
        out: list[bytes] = []
        i = off = 0  # the part being read, and the offset in it
        for k in range(max(1, -(-total // PIECE))):
            c = self._compressor(k).copy() if k < DICT_PIECES else zlib.compressobj(ZLIB_LEVEL)
            want, z = PIECE, []
            while want and i < len(parts):
                chunk = parts[i][off:off + want]
                z.append(c.compress(chunk))
                want -= len(chunk)
                off += len(chunk)
                if off == len(parts[i]):
                    i, off = i + 1, 0
            z.append(c.flush())
            piece = b"".join(z)
            out += (len(piece).to_bytes(4, "big"), piece)
        return b"".join(out)


class ZstdDictCompressor:
    """zstd against one preset dictionary (codec 3), the dictionary's tables made once: a row
    body is one frame, with its size in the frame header (for a bounded read) and no checksum
    (the reassembled record is checked against its digests anyway).

    Why zstd rather than zlib (codecs 1, 2): a row body and its dictionary are records of the
    same verifier that differ in a few places, and zstd with a prepared raw-content dictionary
    compresses such a 7 KB body in about 5 µs to about 310 bytes (level 3; :data:`ZSTD_LEVEL`), where zlib against the same
    dictionary (primed, copied per row) took about 26 µs for 380 bytes; it is the largest part
    of a store's CPU per record. zstd's window reaches the whole of any dictionary, so no
    pieces are needed. Not safe for concurrent use: the store calls it under its lock."""

    def __init__(self, zdict: bytes) -> None:
        if zdict:
            d = zstandard.ZstdCompressionDict(zdict, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
            d.precompute_compress(level=ZSTD_LEVEL)
            self._c = zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=d, write_checksum=False,
                                               write_content_size=True)
        else:
            self._c = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=False, write_content_size=True)

    def compress(self, data: bytes | Sequence[bytes]) -> bytes:
        """``data``, or the bytes ``data``'s parts make joined."""
        raw = data if isinstance(data, bytes) else b"".join(data)
        out: bytes = self._c.compress(raw)
        return out


def decompress_zstd(payload: bytes, zdict: bytes | None, where: str) -> bytes:
    """A codec 3 payload (:class:`ZstdDictCompressor`) back to its bytes: one frame that says its
    size, at most the record size limit, nothing after it; anything else is ``STORE_CORRUPT``."""
    try:
        size = zstandard.frame_content_size(payload)
    except zstandard.ZstdError as ex:
        raise _corrupt(f"{where}: stored data is not a zstd frame: {ex}") from None
    if size < 0 or size > MAX_RECORD_BYTES:
        raise _corrupt(f"{where}: stored data does not say its size, or expands beyond {MAX_RECORD_BYTES} bytes")
    try:
        d = (zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(
            zdict, dict_type=zstandard.DICT_TYPE_RAWCONTENT)) if zdict else zstandard.ZstdDecompressor())
        out: bytes = d.decompress(payload, max_output_size=MAX_RECORD_BYTES, allow_extra_data=False)
    except zstandard.ZstdError as ex:
        raise _corrupt(f"{where}: stored data does not decompress: {ex}") from None
    if len(out) != size:
        raise _corrupt(f"{where}: stored data is truncated")
    return out


def decode_body(row_codec: int, payload: bytes, zdict: bytes | None, where: str) -> bytes:
    """A row body back from its stored form (codec 1, 2 or 3, with the row's dictionary)."""
    if row_codec == CODEC_ZLIB:
        return decompress(payload, zdict, where)
    if row_codec == CODEC_ZLIB_PIECES and zdict is not None:
        return decompress_pieces(payload, zdict, where)
    if row_codec == CODEC_ZSTD_DICT and zdict is not None:
        return decompress_zstd(payload, zdict, where)
    raise _corrupt(f"{where}: unknown codec {row_codec}")


def decompress_pieces(payload: bytes, zdict: bytes | None, where: str) -> bytes:
    """A codec 2 payload (:class:`DictCompressor`) back to its bytes: every piece but the last
    exactly :data:`PIECE` bytes, the whole bounded by the record size limit."""
    out: list[bytes] = []
    pos = total = 0
    k = 0
    while pos < len(payload) or k == 0:
        if pos + 4 > len(payload):
            raise _corrupt(f"{where}: stored data is truncated")
        n = int.from_bytes(payload[pos:pos + 4], "big")
        chunk = payload[pos + 4:pos + 4 + n]
        if len(chunk) != n:
            raise _corrupt(f"{where}: stored data is truncated")
        pos += 4 + n
        if out and len(out[-1]) != PIECE:
            raise _corrupt(f"{where}: a stored piece is short")
        piece = decompress(chunk, dict_slice(zdict, k) if zdict is not None else None, where)
        total += len(piece)
        if total > MAX_RECORD_BYTES:
            raise _corrupt(f"{where}: stored data expands beyond {MAX_RECORD_BYTES} bytes")
        out.append(piece)
        k += 1
    return b"".join(out)


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
