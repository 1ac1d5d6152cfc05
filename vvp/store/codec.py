"""How a record is taken apart for storage and put back together, byte for byte.

A record file is about 113 KB, of which about 87 KB are evidence blobs that every record of the
same dossier repeats. The store therefore keeps two things per record:

* its **blobs**, each once by digest across all records (``sha256:<hex>`` → bytes), compressed
  with zlib when that makes them smaller;
* its **skeleton**: the record's JSON with each blob's content replaced by a one-letter form
  (``"t"``: the record spells the blob as UTF-8 text, ``"b"``: as base64), serialised compactly
  and compressed with zlib (level 6), usually against a *preset dictionary*: the skeleton of an
  earlier record. Records of one verifier differ in a few fields (times, call ids, the
  signature), so a skeleton of about 26 KB compresses to well under 1 KB against a dictionary,
  against about 5.7 KB without one. zstd is not used: it is in the standard library only from
  Python 3.14, and zlib with a dictionary already does this job.

Reassembly rebuilds the record's JSON and serialises it with :func:`vvp.record.canonical_json`,
one top-level member at a time: RFC 8785 serialises an object as its members in key order, so
joining the members gives the file, and joining all but ``id`` and ``signature`` gives the signed
content, whose digest must be the id. Every blob is checked against its digest and size. Any
mismatch, or bytes that do not decode, is ``STORE_CORRUPT``.

Exactness: a blob whose JSON is not exactly what the form would rebuild (say a base64 spelling
with stray padding bits, which decodes to the same bytes) is kept inline in the skeleton as it
is, so reassembly never depends on a guess.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vvp import codes
from vvp.record import MAX_RECORD_BYTES, UNSIGNED_FIELDS, Record, canonical_json, digest
from vvp.store.base import StoreError

ZLIB_LEVEL = 6
"""zlib's default: on a record skeleton against a dictionary, level 6 is about half the size of
level 1 for about 50 µs more (measured on the test world's valid call)."""
CODEC_RAW = 0
CODEC_ZLIB = 1
TEXT = "t"
BASE64 = "b"


def _corrupt(message: str) -> StoreError:
    return StoreError(message, code=codes.STORE_CORRUPT)


@dataclass(frozen=True, slots=True)
class Parts:
    """A record taken apart: the columns of its row, its skeleton (uncompressed JSON) and the
    blobs it refers to by digest."""

    id: str
    received_at: str
    status: str
    signature: Any
    skeleton: bytes
    blobs: Mapping[str, bytes]


def split(record: Record) -> Parts:
    """Take a record apart (module docstring)."""
    data = record.data
    forms: dict[str, Any] = {}
    blobs: dict[str, bytes] = {}
    for key, spelled in data["blobs"].items():
        raw = record.blob(key)
        form: Any = spelled  # inline unless a form rebuilds it exactly
        if spelled.get("size") == len(raw) and len(spelled) == 2:
            if "text" in spelled and spelled["text"].encode("utf-8") == raw:
                form = TEXT
            elif "base64" in spelled and spelled["base64"] == base64.b64encode(raw).decode("ascii"):
                form = BASE64
        forms[key] = form
        if isinstance(form, str):
            blobs[key] = raw
    skel = {k: v for k, v in data.items() if k != "blobs"}
    skel["blobs"] = forms
    try:
        skeleton = json.dumps(skel, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (ValueError, TypeError, UnicodeEncodeError) as ex:
        raise StoreError(f"record {record.id} cannot be serialised for storage: {ex}",
                         code=codes.STORE_BAD_ARGUMENT) from None
    return Parts(id=record.id, received_at=record.received_at, status=str(record.verdict.get("status", "")),
                 signature=data["signature"], skeleton=skeleton, blobs=blobs)


def parse_skeleton(skeleton: bytes, where: str) -> dict[str, Any]:
    try:
        skel = json.loads(skeleton)
    except (ValueError, UnicodeDecodeError, RecursionError) as ex:
        raise _corrupt(f"{where}: the stored record row is not JSON: {ex}") from None
    if not isinstance(skel, dict) or not isinstance(skel.get("blobs"), dict) or not isinstance(skel.get("id"), str):
        raise _corrupt(f"{where}: the stored record row is not a record skeleton")
    return skel


def external_blobs(skel: Mapping[str, Any]) -> list[str]:
    """The digests of the blobs a skeleton refers to (stored outside it)."""
    return [k for k, form in skel["blobs"].items() if isinstance(form, str)]


def reassemble(skel: dict[str, Any], blobs: Mapping[str, bytes], where: str) -> bytes:
    """The record file from a skeleton (:func:`parse_skeleton`) and its blobs, checked: every blob
    against its digest, the id against the digest of the signed content."""
    spelled: dict[str, Any] = {}
    for key, form in skel["blobs"].items():
        if not isinstance(form, str):
            spelled[key] = form
            continue
        data = blobs.get(key)
        if data is None:
            raise _corrupt(f"{where}: blob {key} is missing from the store")
        if digest(data) != key:
            raise _corrupt(f"{where}: stored blob {key} does not match its digest")
        if form == TEXT:
            try:
                spelled[key] = {"size": len(data), "text": data.decode("utf-8")}
            except UnicodeDecodeError:
                raise _corrupt(f"{where}: blob {key} is marked as text but is not UTF-8") from None
        elif form == BASE64:
            spelled[key] = {"size": len(data), "base64": base64.b64encode(data).decode("ascii")}
        else:
            raise _corrupt(f"{where}: blob {key} has an unknown form {form[:20]!r}")
    skel["blobs"] = spelled
    try:
        keys = sorted(skel, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        members = {k: canonical_json(k) + b":" + canonical_json(skel[k]) for k in keys}
    except ValueError as ex:
        raise _corrupt(f"{where}: the stored record cannot be serialised: {ex}") from None
    content = b"{" + b",".join(members[k] for k in keys if k not in UNSIGNED_FIELDS) + b"}"
    if digest(content) != skel["id"]:
        raise _corrupt(f"{where}: the reassembled record does not match its id {skel['id']}")
    return b"{" + b",".join(members[k] for k in keys) + b"}\n"


# ---------------------------------------------------------------------------------------------
# Compression


def compress(data: bytes, zdict: bytes | None = None) -> bytes:
    c = zlib.compressobj(ZLIB_LEVEL, zdict=zdict) if zdict is not None else zlib.compressobj(ZLIB_LEVEL)
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

