"""The forensic record (architecture §4.4): one file that proves what was true at call time.

A record is what a regulator or a court comes back to, months or years after a call, when the
OOBI hosts are gone, keys have rotated and credentials have been revoked. So it holds everything
needed to re-run the verification with no network, and it says who produced it:

* the inputs exactly as received (Identity values, SIP context, reference time) and the
  reception time (the verifier's own claim, signed by it);
* every fetch, in order: the bytes served (KEL streams with their first-seen attachments, dossier
  streams, TELs, schemas, certificates, CRLs) or the failure (URL, code, message, time), so a
  replay reproduces an INDETERMINATE verdict as faithfully as a VALID one;
* the trust store as content, not paths: its JSON as loaded plus the bytes of every schema and
  PEM file it names;
* the verdict with all its checks, and the versions of vvp, keri and Python;
* the verifier's own KERI identifier: its AID, the establishment event whose keys signed, and
  its KEL.

Every byte blob (evidence and trust files alike) is stored once in ``blobs``, addressed by its
SHA-256 digest (``sha256:<hex>``), so a KEL that two credentials share appears once.

Integrity is byte-exact. Three formats are read (docs/record-format.md); :func:`build_record`
writes the third:

* **v1** (``…;version=1``, written by vvp 0.1.0): the *signed content* is the record without
  ``id`` and ``signature``, serialised as canonical JSON (:func:`canonical_json`, RFC 8785:
  sorted keys, no whitespace, UTF-8, ECMAScript number form); ``id`` is the digest of those bytes
  and ``signature`` holds the verifier's indexed signatures over them, blobs and all (about
  113 KB, which Ed25519 hashes twice: most of the cost of a v1 record).
* **v2** (``…;version=2``): the signed content also leaves out ``blobs`` and holds a
  ``manifest`` instead, every blob's digest and size; the evidence and the trust files name their
  blobs by digest as in v1, so the content commits to every blob byte through SHA-256. ``id`` is
  the digest of the content bytes (about 25 KB) and the verifier signs the 32 bytes of that
  digest (hash-then-sign). Blobs must match their digests and the manifest exactly, and be
  spelled as vvp spells them, so the file is still a function of what was signed.
* **v3** (``…;version=3``): the file and the signed content are as in v2; only the digest
  differs. ``id`` names the root of a digest tree over the content (:func:`content_digest_v3`):
  each member's SHA-256, and for the verdict the SHA-256 of each check's canonical JSON, so that
  the parts that recur from record to record (the trust member, the evidence of a cached
  dossier, most checks) are hashed once per process rather than once per record. The verifier
  signs the 32-byte root, as it signs the v2 digest; or, for records signed in a group
  (:func:`sign_together`, :mod:`vvp.recordbatch`), the root of a Merkle tree of the group's ids,
  each record holding its inclusion proof in ``signature.batch``.

In every format, the file itself is the canonical JSON of the whole record plus a newline, and
:meth:`Record.from_bytes` accepts nothing else: a reformatted file is reported as such
(``RECORD_NOT_CANONICAL``), so every changed byte is detected, including ones JSON would consider
insignificant.

A :class:`Record` that exists is well-formed (sigstore's ``Bundle`` discipline): its constructor
checks the media type, the JSON Schema of its version (``schemas/formats/verdict-record.v1.schema.json``,
``…v2.schema.json``, ``…v3.schema.json``), the id, every blob against its digest (and, from v2 on,
the manifest), every reference
to a blob, and the shape of the trust files. Only the signature needs keri and is checked
separately (:func:`check_signature`).

Layer: record. It may import the vocabulary, fetch, clock and ``vvp._keri``; the trust store and
the verifier sit above it, so turning a :class:`~vvp.trust.TrustStore` into a
:class:`TrustSnapshot` and re-running a verification live in :mod:`vvp.replay`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as _dt
import functools
import hashlib
import importlib
import json
import os
import platform
import re
import stat
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from vvp import __version__, clock, codes, strictjson
from vvp.files import read_input, write_output
from vvp.canonical import canonical_json as canonical_json  # re-exported: records are its main user
from vvp.canonical import canonical_json_of_plain, canonical_object

# The verifier's identifier is re-exported: front ends open it through the record layer.
from vvp._keri.signer import Signature as Signature
from vvp._keri.signer import SignatureCheck as SignatureCheck
from vvp._keri.signer import SignerState as SignerState
from vvp._keri.signer import VerifierIdentity as VerifierIdentity
from vvp._keri.signer import keri_version, verify_signature
from vvp._keri.signer import keystore_path as keystore_path
from vvp._keri.signer import open_identity as open_identity
from vvp.errors import FetchError, InputUnreadable, OperationalError, VvpError
from vvp.fetch import (
    EvidenceKind,
    Fetched,
    FetchEvent,
    FetchFailure,
    check_content_type,
)
from vvp.recordbatch import BatchProof, signed_message, root_message, tree
from vvp.verdict import Check, ExitCode, Status, Verdict

MEDIA_TYPE_V1 = "application/vnd.vvp.verdict-record+json;version=1"
MEDIA_TYPE_V2 = "application/vnd.vvp.verdict-record+json;version=2"
MEDIA_TYPE_V3 = "application/vnd.vvp.verdict-record+json;version=3"
MEDIA_TYPE = MEDIA_TYPE_V3
"""The format :func:`build_record` writes (docs/record-format.md)."""
MEDIA_TYPES = (MEDIA_TYPE_V1, MEDIA_TYPE_V2, MEDIA_TYPE_V3)
"""Every format this vvp reads: records an earlier vvp wrote keep re-verifying (architecture §4.4)."""
SCHEMA_RESOURCES = {MEDIA_TYPE_V1: "schemas/formats/verdict-record.v1.schema.json",
                    MEDIA_TYPE_V2: "schemas/formats/verdict-record.v2.schema.json",
                    MEDIA_TYPE_V3: "schemas/formats/verdict-record.v3.schema.json"}
SCHEMA_RESOURCE = SCHEMA_RESOURCES[MEDIA_TYPE]
DIGEST_PREFIX = "sha256:"
UNSIGNED_FIELDS_V1 = ("id", "signature")
"""v1: the fields outside the signed content: the digest of it, and the signature over it."""
UNSIGNED_FIELDS_V2 = ("id", "signature", "blobs")
"""v2: also ``blobs``, which the signed ``manifest`` (and every reference by digest) commits to."""
_UNSIGNED = {MEDIA_TYPE_V1: UNSIGNED_FIELDS_V1, MEDIA_TYPE_V2: UNSIGNED_FIELDS_V2, MEDIA_TYPE_V3: UNSIGNED_FIELDS_V2}
TREE_TAG_V3 = b"vvp-record-v3\n"
"""v3: what the digest tree of a record's signed content starts with (:func:`content_digest_v3`)."""
VERDICT_TAG_V3 = b"vvp-verdict-v3\n"
"""v3: what the digest of the ``verdict`` member starts with (:func:`verdict_digest_v3`)."""
BLOBS_PREFIX = b'{"blobs":'
"""How every record file starts: ``blobs`` sorts first among the members the schemas allow."""
TRUST_FILE_FIELDS = ("schemas", "sti_pa", "sti_crl_signers", "foreign.x509", "foreign.rtu_authorities",
                     "foreign.sd_jwt_issuers", "foreign.vc_issuers", "foreign.contexts")
"""Trust store keys that name files or folders; their bytes go into the record. Most are lists of
paths (``index``: the position in the list); ``foreign.vc_issuers`` is a list whose items with a
``jwks`` file have one (``index``: the issuer's position), ``foreign.contexts`` maps URLs to files
(``index``: the URL's position in sorted order). :func:`trust_slots` says which indices exist."""

# Limits (style rule 5). A call's evidence is at most a few dozen fetches of at most
# fetch_max_bytes (4 MiB by default) each; 64 MiB leaves room for base64 and the trust files
# while refusing to parse a file that cannot be a record of one call.
MAX_RECORD_BYTES = 64 * 1024 * 1024
MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024
MAX_TRUST_TOTAL_BYTES = 32 * 1024 * 1024
MAX_TRUST_FILES = 4096
MAX_DEPTH = 64
"""Deepest JSON nesting a record may have (a verdict is about 6 deep); deeper is not a record,
and refusing it early keeps recursion in the schema validator and the serialiser bounded."""


class RecordBroken(VvpError):
    """The record's integrity fails: it is not what vvp wrote (exit 6). ``code`` says how."""

    exit_code = ExitCode.RECORD_BROKEN


# ---------------------------------------------------------------------------------------------
# Digests (canonical JSON is vvp.canonical)


def digest(data: bytes) -> str:
    """``sha256:<hex>``: the address of a blob and the form of a record id (checkable with
    ``sha256sum``, no vvp needed)."""
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# Evidence as recorded


# ---------------------------------------------------------------------------------------------
# Trust store as content


@dataclass(frozen=True, slots=True)
class TrustFile:
    """The bytes behind one path of the trust store: ``store[field][index]``, a file or a folder.

    ``name`` is the original base name (loaders may look at suffixes); ``entries`` are
    ``(relative path, bytes)``, a single ``(name, bytes)`` for a file.
    """

    field: str
    index: int
    type: str
    name: str
    entries: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class TrustSnapshot:
    """A trust store as content.

    ``store`` is the trust store in force, in the trust-store v1 JSON format with every default
    written out (roots, roles, the whole policy): a later vvp whose defaults differ still replays
    the policy that was used. ``as_loaded`` is the JSON exactly as the user's file had it (``None``
    without ``--trust``), kept for provenance; ``source`` the file it came from (information only,
    never read again); ``files`` the bytes of every file and folder ``store`` names.
    """

    store: Mapping[str, Any]
    as_loaded: Mapping[str, Any] | None
    source: str | None
    files: tuple[TrustFile, ...] = ()
    _parts: _RecordParts | None = field(default=None, init=False, repr=False, compare=False)

    def record_parts(self) -> _RecordParts:
        """What every record made under this snapshot shares, prepared once (see
        :class:`_RecordParts`). A front end that records many calls under one trust store reuses
        its snapshot (:func:`vvp.replay.make_record`), so its files are neither hashed nor
        serialised again per record. (A snapshot is content: its mappings are not changed after
        it is made.)"""
        parts = self._parts
        if parts is None:
            blobs: dict[str, tuple[bytes, bytes]] = {}
            files = []
            for tf in self.files:
                entries = []
                for rel, data in tf.entries:
                    key = digest(data)
                    blobs.setdefault(key, (blob_member(data), data))
                    entries.append({"path": rel, "blob": key})
                files.append({"field": tf.field, "index": tf.index, "type": tf.type, "name": tf.name,
                              "entries": entries})
            member = canonical_json({"store": self.store, "as_loaded": self.as_loaded, "source": self.source,
                                     "files": files})
            parts = _RecordParts(member, blobs)
            object.__setattr__(self, "_parts", parts)
        return parts


MANIFEST_MEMO_ENTRIES = 1024
"""How many manifests (distinct sets of blobs) a snapshot's record parts remember."""
EVIDENCE_MEMO_ENTRIES = 1024
"""How many runs of cached fetch events (:meth:`_RecordParts.evidence_of`) a snapshot's record parts remember."""


@dataclass(frozen=True, slots=True, eq=False)
class _Evidence:
    """What a record's evidence contributes, made once per run of cached fetch events: the
    ``evidence`` and ``manifest`` members, and every blob (the evidence's and the trust
    files') as its canonical member and as bytes. The mappings are shared by every record made
    from the same run (a :class:`Record`'s blobs are read-only)."""

    events: tuple[FetchEvent, ...]
    member: bytes
    manifest: bytes
    blob_members: Mapping[str, bytes]
    raw_blobs: Mapping[str, bytes]
    digest: bytes
    """SHA-256 of :attr:`member` (the v3 digest tree names the member by it)."""
    manifest_digest: bytes
    """SHA-256 of :attr:`manifest`."""


BLOB_MEMO_BYTES = 64 * 1024 * 1024
"""How much evidence a snapshot's blob memo keeps (the blobs and their JSON), oldest dropped first."""


class _RecordParts:
    """The parts of records made under one trust snapshot, made once.

    * the ``trust`` member's canonical bytes and its files' blobs (``digest -> (canonical blob
      JSON, bytes)``);
    * a memo of evidence blobs already put in a record: a warm verification hands the recorder
      the very bytes objects its caches hold (architecture §2.1), so the same KEL and dossier
      come back call after call. Their digest and canonical JSON (about a third of the cost of a
      record) are kept, keyed by the bytes object itself (its ``id``, with the object held so
      the id cannot be reused), bounded by :data:`BLOB_MEMO_BYTES`. It lives with the snapshot
      because a front end holds one snapshot per trust store, as it holds one
      :class:`~vvp.verifier.Verifier` (and so one set of caches) per trust store.
    """

    def __init__(self, member: bytes, blobs: Mapping[str, tuple[bytes, bytes]]) -> None:
        self.member = member
        self.member_digest = _sha(member)
        """SHA-256 of the ``trust`` member (the v3 digest tree names the member by it)."""
        self.blobs = blobs
        self._memo: dict[int, tuple[bytes, str, bytes]] = {}
        self._memo_bytes = 0
        self._lock = threading.Lock()
        self._manifests: dict[tuple[str, ...], bytes] = {}
        self._evidence: dict[tuple[int, ...], _Evidence] = {}

    def evidence_of(self, events: Sequence[FetchEvent]) -> _Evidence | None:
        """The remembered :class:`_Evidence` of exactly these event objects, in this order, or None.

        Only evidence a cache answered with is remembered (every event ``source: "cache"``, made
        by :meth:`remember_evidence`): a warm call hands the recorder the very event objects its
        caches hold (architecture §2.1), call after call, and those objects are held by the caches
        anyway, so remembering them holds no evidence that would otherwise be freed. A fresh
        fetch's events are new objects every time and are never looked for here."""
        hit = self._evidence.get(tuple(map(id, events)))
        if hit is not None and len(hit.events) == len(events) and all(a is b for a, b in zip(hit.events, events)):
            return hit
        return None

    def remember_evidence(self, ev: _Evidence) -> None:
        if not all(e.fetched is not None and e.fetched.source == "cache" for e in ev.events):
            return
        with self._lock:
            if len(self._evidence) >= EVIDENCE_MEMO_ENTRIES:
                self._evidence.clear()
            self._evidence[tuple(map(id, ev.events))] = ev

    def manifest(self, blobs: Mapping[str, bytes]) -> bytes:
        """The canonical ``manifest`` member of a record holding ``blobs`` (:func:`manifest_of`),
        remembered by the blobs' digests in order: a digest names its bytes, so its size too, and
        the records of one dossier's calls hold the same blobs, call after call."""
        key = tuple(blobs)
        got = self._manifests.get(key)
        if got is None:
            got = canonical_json_of_plain(manifest_of(blobs))
            with self._lock:
                if len(self._manifests) >= MANIFEST_MEMO_ENTRIES:
                    self._manifests.clear()
                self._manifests[key] = got
        return got

    def blob(self, data: bytes) -> tuple[str, bytes]:
        """``(digest, canonical blob JSON)`` of ``data``."""
        hit = self._memo.get(id(data))
        if hit is not None and hit[0] is data:
            return hit[1], hit[2]
        key = digest(data)
        member = blob_member(data)
        size = len(data) + len(member)
        if size <= BLOB_MEMO_BYTES // 4:
            with self._lock:
                while self._memo and self._memo_bytes + size > BLOB_MEMO_BYTES:
                    old = self._memo.pop(next(iter(self._memo)))
                    self._memo_bytes -= len(old[0]) + len(old[2])
                self._memo[id(data)] = (data, key, member)
                self._memo_bytes += size
        return key, member


_SEGMENT_BAD = re.compile(r"[\\\x00-\x1f]")


def safe_relpath(p: str) -> bool:
    """A relative path that stays inside the folder it is written to (a record comes from
    anywhere; materialising it must never write outside a private temporary folder)."""
    if not p or p.startswith("/") or _SEGMENT_BAD.search(p):
        return False
    return all(seg not in ("", ".", "..") for seg in p.split("/"))


def read_trust_files(field_name: str, paths: Sequence[Path]) -> tuple[TrustFile, ...]:
    """Read the files or folders one trust store list names (hidden entries skipped), within the
    limits above (per list)."""
    out: list[TrustFile] = []
    total = 0
    count = 0
    for i, p in enumerate(paths):
        entries: list[tuple[str, bytes]] = []
        if p.is_dir():
            kind = "dir"
            for f in _folder_files(p, MAX_TRUST_FILES - count):
                entries.append((f.relative_to(p).as_posix(), _read_limited(f)))
        else:
            kind = "file"
            entries.append((p.name, _read_limited(p)))
        count += len(entries)
        total += sum(len(b) for _, b in entries)
        if count > MAX_TRUST_FILES or total > MAX_TRUST_TOTAL_BYTES:
            raise OperationalError(f"the trust store names more than {MAX_TRUST_FILES} files or "
                                   f"{MAX_TRUST_TOTAL_BYTES} bytes; too much to put in a record",
                                   code=codes.RECORD_WRITE_FAILED)
        out.append(TrustFile(field_name, i, kind, p.name, tuple(entries)))
    return tuple(out)


def _folder_files(folder: Path, budget: int) -> list[Path]:
    """The regular files under ``folder`` (hidden entries skipped) in path order, found by a walk
    that stops once more than ``budget`` are found: a trust store naming ``/`` as a schema folder
    is refused after a few thousand files, not after walking the whole disk; a folder that cannot
    be listed is ``TRUST_PATH_MISSING``, not an internal error."""
    def refuse(ex: OSError) -> None:
        raise OperationalError(f"cannot list trust folder {ex.filename}: {ex.strerror or ex}",
                               code=codes.TRUST_PATH_MISSING)

    found: list[Path] = []
    for root, dirs, files in os.walk(folder, onerror=refuse):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            f = Path(root) / name
            try:
                mode = f.stat().st_mode
            except FileNotFoundError:  # a dangling link: not a file, as before
                continue
            except OSError as ex:
                raise OperationalError(f"cannot read trust file {f}: {ex.strerror or ex}",
                                       code=codes.TRUST_PATH_MISSING) from None
            if not stat.S_ISREG(mode):
                continue
            found.append(f)
            if len(found) > budget:
                raise OperationalError(f"the trust store names more than {MAX_TRUST_FILES} files; too many to "
                                       "put in a record", code=codes.RECORD_WRITE_FAILED)
    return sorted(found)


def _read_limited(p: Path) -> bytes:
    """A trust file's bytes: a regular file of at most MAX_TRUST_FILE_BYTES (vvp.files.read_input:
    an ``sti_pa`` naming ``/dev/zero`` or a FIFO is refused, never read without bound)."""
    try:
        return read_input(p, max_bytes=MAX_TRUST_FILE_BYTES, what="trust file")
    except InputUnreadable as ex:
        code = {codes.INPUT_TOO_LARGE: codes.RECORD_WRITE_FAILED,
                codes.INPUT_NOT_REGULAR_FILE: codes.INPUT_NOT_REGULAR_FILE}.get(ex.code, codes.TRUST_PATH_MISSING)
        raise OperationalError(ex.message, code=code) from None


def trust_list(store: Mapping[str, Any], field_name: str) -> Any:
    """The list a trust file field names in the store JSON: ``store[field]``, or
    ``store["foreign"][key]`` for ``foreign.<key>`` (None when absent)."""
    node: Any = store
    for part in field_name.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def trust_slots(store: Mapping[str, Any], field_name: str) -> tuple[int, ...]:
    """The indices at which the store JSON names a file for ``field_name`` (see
    :data:`TRUST_FILE_FIELDS`): every position of a list of paths, the positions of the
    ``vc_issuers`` items that have a ``jwks`` file, every position of the URL-sorted contexts."""
    named = trust_list(store, field_name)
    if field_name == "foreign.contexts":
        return tuple(range(len(named))) if isinstance(named, Mapping) else ()
    if not isinstance(named, list):
        return ()
    if field_name == "foreign.vc_issuers":
        return tuple(i for i, v in enumerate(named) if isinstance(v, Mapping) and isinstance(v.get("jwks"), str))
    return tuple(range(len(named)))


def _set_trust_path(store: dict[str, Any], field_name: str, index: int, path: str) -> None:
    """Name ``path`` at slot ``index`` of ``field_name`` in the store JSON (the slot must exist)."""
    named = trust_list(store, field_name)
    if field_name == "foreign.contexts":
        named[sorted(named)[index]] = path
    elif field_name == "foreign.vc_issuers":
        named[index]["jwks"] = path
    else:
        named[index] = path


def materialise_trust(snapshot: TrustSnapshot, directory: Path) -> dict[str, Any]:
    """Write the snapshot's files under ``directory`` and return the store JSON with each named
    path replaced by the absolute path of its copy, ready for the trust store parser."""
    store: dict[str, Any] = json.loads(json.dumps(snapshot.store))
    for tf in snapshot.files:
        base = directory / tf.field / str(tf.index)
        base.mkdir(parents=True, exist_ok=True)
        if tf.type == "file":
            target = base / tf.name
            target.write_bytes(tf.entries[0][1])
        else:
            target = base / tf.name
            target.mkdir(parents=True, exist_ok=True)
            for rel, data in tf.entries:
                f = target / rel
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_bytes(data)
        _set_trust_path(store, tf.field, tf.index, str(target))
    return store


# ---------------------------------------------------------------------------------------------
# The record


def unsigned_fields(media_type: object) -> tuple[str, ...]:
    """The top-level members outside the signed content of a record of ``media_type`` (v1:
    ``id`` and ``signature``; v2: also ``blobs``). An unknown media type gets the current
    format's (such a record is refused anyway)."""
    return _UNSIGNED.get(media_type, UNSIGNED_FIELDS_V2) if isinstance(media_type, str) else UNSIGNED_FIELDS_V2


def signed_content(data: Mapping[str, Any]) -> dict[str, Any]:
    """The signed content of a record's JSON, by the record's own media type."""
    unsigned = unsigned_fields(data.get("media_type"))
    return {k: v for k, v in data.items() if k not in unsigned}


def signing_input(media_type: str, content: bytes) -> bytes:
    """What the verifier's keys sign for a record of ``media_type`` whose canonical content is
    ``content``: v1 the content bytes themselves; v2 the 32-byte SHA-256 of them; v3 the 32-byte
    root of the digest tree over them (:func:`content_digest_v3`). In v2 and v3 those are the
    bytes the id names in hex: hash-then-sign, so a signature costs the same for any size of
    record."""
    if media_type == MEDIA_TYPE_V1:
        return content
    if media_type == MEDIA_TYPE_V3:
        parsed = json.loads(content)
        if not isinstance(parsed, dict):
            raise ValueError("a record's signed content is a JSON object")
        return content_digest_v3(parsed)
    return hashlib.sha256(content).digest()


def record_id(media_type: str, content: bytes) -> str:
    """The id of a record of ``media_type`` whose canonical signed content is ``content``: the
    SHA-256 of the content in v1 and v2, the digest tree's root in v3, as ``sha256:<hex>``."""
    if media_type == MEDIA_TYPE_V3:
        return DIGEST_PREFIX + signing_input(media_type, content).hex()
    return digest(content)


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def verdict_digest_v3(verdict: Any) -> bytes:
    """v3: the digest of a record's ``verdict`` member: SHA-256 of :data:`VERDICT_TAG_V3`, the
    SHA-256 of the canonical JSON of the verdict without ``checks``, and the SHA-256 of each
    check's canonical JSON, in order. A verdict that is not an object with a ``checks`` array
    (which no record's schema admits) is digested whole, like any other member.

    Why a tree: most of a warm call's verdict is the same checks, call after call (those of a
    cached dossier and key state); their digests are made once per process
    (:class:`_CheckMemo`), so a record hashes about 4 KB of digests instead of 26 KB of JSON,
    and the signature still covers every byte (SHA-256 is collision resistant, and the tree's
    shape is fixed by the tags and the fixed-length digests)."""
    if not isinstance(verdict, Mapping) or not isinstance(verdict.get("checks"), list):
        return _sha(canonical_json(verdict))
    rest = {k: v for k, v in verdict.items() if k != "checks"}
    return _sha(b"".join((VERDICT_TAG_V3, _sha(canonical_json(rest)),
                          *(_sha(canonical_json(c)) for c in verdict["checks"]))))


def _tree(named: Iterable[tuple[str, bytes]]) -> bytes:
    """The v3 root over ``(key, member digest)`` pairs in canonical key order."""
    out = [TREE_TAG_V3]
    for k, d in named:
        kb = k.encode("utf-8")
        if len(kb) > 255:
            raise ValueError(f"record member name too long: {k[:40]!r}")
        out += (bytes((len(kb),)), kb, d)
    return _sha(b"".join(out))


def content_digest_v3(content: Mapping[str, Any]) -> bytes:
    """v3: the root of the digest tree over a record's signed content (its members but ``id``,
    ``signature`` and ``blobs``): SHA-256 of :data:`TREE_TAG_V3`, then for each member in
    canonical key order (RFC 8785: by UTF-16 code units) one byte holding the length of the
    key's UTF-8, the key, and the member's digest: :func:`verdict_digest_v3` for ``verdict``,
    the SHA-256 of its canonical JSON for every other member."""
    keys = sorted(content, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    return _tree((k, verdict_digest_v3(content[k]) if k == "verdict" else _sha(canonical_json(content[k])))
                 for k in keys)


def manifest_of(blobs: Mapping[str, bytes]) -> list[dict[str, Any]]:
    """The ``manifest`` (v2 and v3) of a record holding ``blobs``: every blob's digest and size, sorted by
    digest (ASCII, so code point order is RFC 8785's order too)."""
    return [{"digest": k, "size": len(blobs[k])} for k in sorted(blobs)]


@functools.cache
def record_schema(media_type: str = MEDIA_TYPE) -> dict[str, Any]:
    """The JSON Schema of records of ``media_type`` (package data, so it works from any directory)."""
    text = resources.files("vvp").joinpath(SCHEMA_RESOURCES[media_type]).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator(media_type: str) -> Any:
    # jsonschema ships no type information (its stubs are a separate package vvp does not
    # require); importing it by name keeps mypy --strict clean whether or not the stubs exist.
    jsonschema = importlib.import_module("jsonschema")
    schema = record_schema(media_type)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _blob_json(data: bytes) -> dict[str, Any]:
    """Text stays readable (CESR, JSON, PEM); anything that is not UTF-8 goes in base64."""
    try:
        return {"size": len(data), "text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"size": len(data), "base64": base64.b64encode(data).decode("ascii")}


def blob_member(data: bytes) -> bytes:
    """The canonical JSON of one blob as records spell it (:func:`_blob_json`): with the blob
    map, all a record store needs to put a record file back together."""
    return canonical_json(_blob_json(data))


def _spelled_as_written(b: Mapping[str, Any], data: bytes) -> bool:
    """Whether a blob entry spells ``data`` as :func:`_blob_json` does: text exactly when the
    bytes are UTF-8, else standard padded base64 (a decoder also takes other last characters)."""
    if "text" in b:
        return True  # its bytes are the UTF-8 of a string, so UTF-8
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return bool(base64.b64encode(data).decode("ascii") == b["base64"])


def _broken(code: str, message: str) -> RecordBroken:
    return RecordBroken(message, code=code)


def _check_manifest(manifest: Sequence[Mapping[str, Any]], blobs: Mapping[str, bytes]) -> None:
    """v2: the signed manifest lists exactly the blobs present, each with its size, sorted."""
    listed = [str(m["digest"]) for m in manifest]
    if any(a >= b for a, b in zip(listed, listed[1:])):
        raise _broken(codes.RECORD_MANIFEST_MISMATCH, "the manifest is not sorted by digest, or repeats one")
    for m in manifest:
        data = blobs.get(m["digest"])
        if data is None:
            raise _broken(codes.RECORD_BLOB_MISSING, f"the manifest lists blob {m['digest']}, which the record lacks")
        if len(data) != m["size"]:
            raise _broken(codes.RECORD_MANIFEST_MISMATCH,
                          f"blob {m['digest']} has {len(data)} bytes; the signed manifest says {m['size']}")
    if len(listed) != len(blobs):
        extra = sorted(set(blobs) - set(listed))[0]
        raise _broken(codes.RECORD_MANIFEST_MISMATCH, f"blob {extra} is not in the signed manifest")


@dataclass(frozen=True, slots=True)
class _Built:
    """What :func:`build_record` keeps of a record it made, so that neither the file nor the
    JSON need ever be made for a record that is only stored: the content's members as canonical
    JSON (joined once into the signed content), each blob's canonical member (for the file), the
    signature, and the two listing fields a store wants."""

    members: Mapping[str, bytes | tuple[bytes, ...]]
    """The signed content's members as canonical JSON (the verdict as the parts that joined make it)."""
    content_parts: tuple[bytes, ...]
    """The signed content as the parts that joined make it (never joined on a store's write path)."""
    digest: bytes
    """What was signed: the root of the content's v3 digest tree (:func:`content_digest_v3`)."""
    blob_members: Mapping[str, bytes]
    signature: Signature
    received_at: str
    status: str
    batch: BatchProof | None = None
    """Where the record sits in a group signed together (:func:`sign_together`), or None."""


class Record:
    """A forensic record that is well-formed and intact (module docstring), of either format
    this vvp reads (:data:`MEDIA_TYPES`); the signature is checked by :func:`check_signature`.
    ``data`` is the record's JSON: treat it as read-only.

    Immutable, equal by content. What it holds depends on where it came from, and everything
    else is made on first use:

    * read from a file (:meth:`from_bytes`, or ``Record(data)``): the file bytes, the signed
      content's bytes and the blobs, all checked;
    * made by :func:`build_record` (v3): the signed content as the parts that make it, its
      digest, its members, the blobs and the signature. The content's bytes are joined only
      when asked for (:meth:`content_bytes`), the file (``to_bytes``, about 120 KB for the test
      world's valid call) likewise, and ``data`` is parsed from the file only when asked for: a
      front end that only stores records asks for :meth:`content_parts`, :attr:`blobs`, the id,
      the signature and the listing fields, and never pays for any of those. So ``data`` is
      always exactly what a reader of the file sees.

    (A hand-written class rather than a dataclass for those lazy attributes.)
    """

    __slots__ = ("_data", "_media_type", "_id", "_blobs", "_content", "_file", "_cut", "_built", "_skeleton")
    _data: Mapping[str, Any] | None
    _media_type: str
    _id: str
    _blobs: Mapping[str, bytes]
    _content: bytes | None
    _file: bytes | None
    _cut: int
    _built: _Built | None
    _skeleton: bytes | None

    def __init__(self, data: Mapping[str, Any]) -> None:
        media_type, blobs, content, file, cut = self._check(data)
        for name, value in (("_data", data), ("_media_type", media_type), ("_id", str(data["id"])),
                            ("_blobs", blobs), ("_content", content), ("_file", file), ("_cut", cut),
                            ("_built", None), ("_skeleton", None)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return self.to_bytes() == other.to_bytes() or self.data == other.data

    def __hash__(self) -> int:
        raise TypeError("unhashable type: 'Record'")

    def __repr__(self) -> str:
        return f"Record(id={self._id!r}, version={self.version}, {len(self._blobs)} blobs)"

    @property
    def data(self) -> Mapping[str, Any]:
        d = self._data
        if d is None:
            # The standard parser, as a reader's: orjson reads integers beyond 64 bits as floats.
            d = json.loads(self.to_bytes())
            object.__setattr__(self, "_data", d)
        assert d is not None
        return d

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_bytes(cls, raw: bytes) -> Record:
        """Parse a record file (v1, v2 or v3). Raises :class:`RecordBroken` unless the bytes are
        exactly a well-formed, intact record as vvp writes it."""
        try:
            text = raw.decode("utf-8")
            data = strictjson.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as ex:
            raise _broken(codes.RECORD_NOT_JSON, f"the record is not valid UTF-8 JSON: {ex}") from None
        if not isinstance(data, dict):
            raise _broken(codes.RECORD_NOT_JSON, "the record is not a JSON object")
        rec = cls(data)  # checks the depth first
        if raw != rec.to_bytes() and raw != rec.to_bytes()[:-1]:
            raise _broken(codes.RECORD_NOT_CANONICAL,
                          "the file is not the canonical JSON vvp writes (its bytes were changed or reformatted); "
                          "its parsed content matches its id, but the file is not the one that was written")
        return rec

    @classmethod
    def _made(cls, built: _Built, blobs: Mapping[str, bytes], record_id: str, content: bytes | None = None) -> Record:
        """A record :func:`build_record` has just assembled from checked parts: skips
        re-running the schema, re-hashing every blob (about 10 ms for a 100 KB record, on the
        service's per-call path) and making the file. Everything that reads a record from
        outside goes through the checks."""
        rec = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(rec, "_data", None)
        setattr_(rec, "_media_type", MEDIA_TYPE)
        setattr_(rec, "_id", record_id)
        setattr_(rec, "_blobs", blobs)
        setattr_(rec, "_content", content)
        setattr_(rec, "_file", None)
        setattr_(rec, "_cut", -1)
        setattr_(rec, "_built", built)
        setattr_(rec, "_skeleton", None)
        return rec

    @staticmethod
    def _check(d: Mapping[str, Any]) -> tuple[str, dict[str, bytes], bytes, bytes, int]:
        """The record's media type, blobs, signed content bytes, file bytes and where the members
        after ``blobs`` start in the file (-1 when a v1 file spells a blob otherwise than vvp
        does), or :class:`RecordBroken`."""
        if not isinstance(d, Mapping):
            raise _broken(codes.RECORD_NOT_JSON, "the record is not a JSON object")
        if not _depth_within(d, MAX_DEPTH):
            raise _broken(codes.RECORD_NOT_JSON, f"the record nests deeper than {MAX_DEPTH} levels")
        mt = d.get("media_type")
        if not isinstance(mt, str) or mt not in MEDIA_TYPES:
            raise _broken(codes.RECORD_BAD_MEDIA_TYPE,
                          f"media type {mt!r} is not one this vvp reads ({', '.join(MEDIA_TYPES)}; "
                          "a record of a later version needs a later vvp)")
        errors = sorted(_validator(mt).iter_errors(d), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            raise _broken(codes.RECORD_SCHEMA_INVALID, f"at {where}: {e.message[:300]}")
        times = [("received_at", d["received_at"]), ("inputs.reference_time", d["inputs"]["reference_time"])]
        times += [(f"evidence[{i}].at", ev["at"]) for i, ev in enumerate(d["evidence"]) if ev["at"] is not None]
        for where, value in times:
            try:
                clock.parse_time(value)
            except VvpError:
                raise _broken(codes.RECORD_SCHEMA_INVALID, f"at {where}: {value!r} is not a time") from None
        # Blobs first: a changed byte inside evidence is named as such, not just as a wrong id.
        blobs: dict[str, bytes] = {}
        as_written = True
        for key, b in d["blobs"].items():
            try:
                data = (b["text"].encode("utf-8") if "text" in b
                        else base64.b64decode(b["base64"].encode("ascii"), validate=True))
            except (UnicodeEncodeError, binascii.Error, ValueError):
                raise _broken(codes.RECORD_BLOB_MISMATCH, f"blob {key} cannot be decoded") from None
            if len(data) != b["size"] or digest(data) != key:
                raise _broken(codes.RECORD_BLOB_MISMATCH, f"blob {key} does not match its digest or size")
            if not _spelled_as_written(b, data):
                if mt != MEDIA_TYPE_V1:
                    # v2 and v3 blobs are outside the signed content: only their bytes are signed (by
                    # digest), so their spelling must be the one vvp writes, or the file would
                    # not be the one that was signed.
                    raise _broken(codes.RECORD_NOT_CANONICAL,
                                  f"blob {key} is not spelled as vvp writes it (text exactly when its bytes are "
                                  "UTF-8, else standard padded base64)")
                as_written = False
            blobs[key] = data
        if mt != MEDIA_TYPE_V1:
            _check_manifest(d["manifest"], blobs)
        for i, ev in enumerate(d["evidence"]):
            if "fetched" in ev and ev["fetched"]["blob"] not in blobs:
                raise _broken(codes.RECORD_BLOB_MISSING, f"evidence[{i}] refers to missing blob {ev['fetched']['blob']}")
        store = d["trust"]["store"]
        seen: set[tuple[str, int]] = set()
        for i, tf in enumerate(d["trust"]["files"]):
            where = f"trust.files[{i}]"
            slots = trust_slots(store, tf["field"]) if isinstance(store, Mapping) else ()
            if tf["index"] not in slots:
                raise _broken(codes.RECORD_INCONSISTENT, f"{where} names {tf['field']}[{tf['index']}], "
                                                         "which the recorded trust store does not have")
            if (tf["field"], tf["index"]) in seen:
                raise _broken(codes.RECORD_INCONSISTENT, f"{where} repeats {tf['field']}[{tf['index']}]")
            seen.add((tf["field"], tf["index"]))
            if not safe_relpath(tf["name"]) or "/" in tf["name"]:
                raise _broken(codes.RECORD_INCONSISTENT, f"{where} has an unsafe name {tf['name']!r}")
            paths = [e["path"] for e in tf["entries"]]
            if tf["type"] == "file" and paths != [tf["name"]]:
                raise _broken(codes.RECORD_INCONSISTENT, f"{where} is a file but its entry is not its name")
            if len(set(paths)) != len(paths) or not all(safe_relpath(p) for p in paths):
                raise _broken(codes.RECORD_INCONSISTENT, f"{where} has an unsafe or repeated entry path")
            for e in tf["entries"]:
                if e["blob"] not in blobs:
                    raise _broken(codes.RECORD_BLOB_MISSING, f"{where} refers to missing blob {e['blob']}")
        if isinstance(store, Mapping):
            for fld in TRUST_FILE_FIELDS:
                missing = [j for j in trust_slots(store, fld) if (fld, j) not in seen]
                if missing:
                    raise _broken(codes.RECORD_INCONSISTENT,
                                  f"the recorded trust store names {fld}{missing} but the record lacks their bytes")
        try:
            d["verifier"]["kel"].encode("ascii")
        except UnicodeEncodeError:
            raise _broken(codes.RECORD_SIGNER_KEL_INVALID, "the verifier KEL is not CESR text") from None
        unsigned = unsigned_fields(mt)
        try:
            members = {k: canonical_json(v) for k, v in d.items()}
            content = canonical_object({k: v for k, v in members.items() if k not in unsigned})
            file = canonical_object(members, trailer=b"\n")
        except ValueError as ex:
            raise _broken(codes.RECORD_NOT_JSON, f"the record cannot be canonicalised: {ex}") from None
        try:
            expected = (DIGEST_PREFIX + content_digest_v3(signed_content(d)).hex() if mt == MEDIA_TYPE_V3
                        else digest(content))
        except ValueError as ex:
            raise _broken(codes.RECORD_NOT_JSON, f"the record cannot be canonicalised: {ex}") from None
        if expected != d["id"]:
            raise _broken(codes.RECORD_ID_MISMATCH,
                          f"the id {d['id']} is not the digest of the signed content ({expected})")
        cut = len(BLOBS_PREFIX) + len(members["blobs"]) if as_written else -1
        return mt, blobs, content, file, cut

    # -- accessors --------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._id

    @property
    def media_type(self) -> str:
        """The record's format: :data:`MEDIA_TYPE_V1`, :data:`MEDIA_TYPE_V2` or :data:`MEDIA_TYPE_V3`."""
        return self._media_type

    @property
    def version(self) -> int:
        """The format's version number (1, 2 or 3)."""
        return _VERSIONS[self._media_type]

    @property
    def received_at(self) -> str:
        """When the verifier says it received the call: its own claim, covered by its signature."""
        if self._built is not None:
            return self._built.received_at
        return str(self.data["received_at"])

    @property
    def status(self) -> str:
        """The recorded verdict's status (``VALID``, ``INVALID`` or ``INDETERMINATE``)."""
        if self._built is not None:
            return self._built.status
        return str(self.data["verdict"]["status"])

    @property
    def inputs(self) -> Mapping[str, Any]:
        inputs: Mapping[str, Any] = self.data["inputs"]
        return inputs

    @property
    def verdict(self) -> Mapping[str, Any]:
        verdict: Mapping[str, Any] = self.data["verdict"]
        return verdict

    @property
    def software(self) -> Mapping[str, str]:
        sw: Mapping[str, str] = self.data["software"]
        return sw

    @property
    def signer(self) -> SignerState:
        if self._built is not None:
            return self._built.signature.state
        v = self.data["verifier"]
        return SignerState(aid=str(v["aid"]), est_sn=int(v["est_sn"]), est_said=str(v["est_said"]))

    @property
    def signature(self) -> Signature:
        if self._built is not None:
            return self._built.signature
        return Signature(state=self.signer, sigs=tuple(str(s) for s in self.data["signature"]["sigs"]))

    @property
    def batch(self) -> BatchProof | None:
        """The inclusion proof of a v3 record signed in a group (:func:`sign_together`), or None
        for a record signed alone. Its shape is checked by the schema; whether it leads to what
        the keys signed, by :func:`check_signature`."""
        if self._built is not None:
            return self._built.batch
        b = self.data["signature"].get("batch")
        if b is None:
            return None
        return BatchProof(index=int(b["index"]), size=int(b["size"]), path=tuple(bytes.fromhex(p) for p in b["path"]))

    def signature_json(self) -> dict[str, Any]:
        """The ``signature`` member as JSON."""
        built = self._built
        if built is None:
            return dict(self.data["signature"])
        out: dict[str, Any] = {"sigs": list(built.signature.sigs)}
        if built.batch is not None:
            out["batch"] = built.batch.to_json()
        return out

    @property
    def kel(self) -> bytes:
        """The verifier's KEL as it stood when it signed (CESR)."""
        return str(self.data["verifier"]["kel"]).encode("ascii")

    def content(self) -> dict[str, Any]:
        """The signed content: everything but ``id`` and ``signature`` (and, from v2 on, ``blobs``)."""
        return signed_content(self.data)

    def content_bytes(self) -> bytes:
        """The exact bytes the id digests (canonical JSON of :meth:`content`)."""
        content = self._content
        if content is None:
            built = self._built
            assert built is not None
            content = b"".join(built.content_parts)
            object.__setattr__(self, "_content", content)
        return content

    def content_parts(self) -> tuple[bytes, ...]:
        """:meth:`content_bytes` as byte strings that joined make it: a record
        :func:`build_record` made has never joined them (a store compresses them where they lie);
        any other record gives its content whole."""
        built = self._built
        return built.content_parts if built is not None else (self.content_bytes(),)

    def verdict_bytes(self) -> bytes:
        """The ``verdict`` member as the canonical JSON the record signs: for a record
        :func:`build_record` made, the bytes it already composed (a service answers with them
        instead of serialising the verdict a second time)."""
        built = self._built
        if built is not None:
            v = built.members["verdict"]
            return v if isinstance(v, bytes) else b"".join(v)
        return canonical_json(self.data["verdict"])

    def signed_bytes(self) -> bytes:
        """The exact bytes the verifier's signature covers (:func:`signing_input`): the content
        bytes in v1, their 32-byte SHA-256 in v2, the digest tree's root in v3 (what the id
        names in hex, in both)."""
        built = self._built
        if built is not None and built.batch is None:
            return built.digest
        if self._media_type == MEDIA_TYPE_V3:
            digest32 = bytes.fromhex(self._id[len(DIGEST_PREFIX):])  # checked against the content when read
            proof = self.batch
            if proof is None:
                return digest32
            msg = signed_message(digest32, proof)
            if msg is None:
                raise _broken(codes.RECORD_SIGNATURE_INVALID,
                              f"the group inclusion proof (index {proof.index} of {proof.size}, {len(proof.path)} "
                              "hashes) cannot be one of a group of that size")
            return msg
        return signing_input(self._media_type, self.content_bytes())

    def blob(self, key: str) -> bytes:
        return self._blobs[key]

    @property
    def blobs(self) -> Mapping[str, bytes]:
        """Every blob's bytes by digest (read-only): what a record store keeps once across records."""
        return self._blobs

    def data_if_parsed(self) -> Mapping[str, Any] | None:
        """:attr:`data` if it exists already, else ``None``: a freshly built record has not parsed
        its file, and a caller that only needs the bytes (a store) need not make it."""
        return self._data

    @property
    def blob_count(self) -> int:
        return len(self._blobs)

    def evidence(self) -> tuple[FetchEvent, ...]:
        """Every fetch of the original verification, in order, with its bytes or failure."""
        out: list[FetchEvent] = []
        for ev in self.data["evidence"]:
            at = clock.parse_time(ev["at"]) if ev.get("at") is not None else None
            kind = EvidenceKind(ev["kind"])
            if "fetched" in ev:
                f = ev["fetched"]
                got = Fetched(url=ev["url"], final_url=f["final_url"], content_type=f["content_type"],
                              body=self._blobs[f["blob"]], source=f["source"])
                out.append(FetchEvent(ev["url"], kind, at, fetched=got))
            else:
                fl = ev["failure"]
                out.append(FetchEvent(ev["url"], kind, at, failure=FetchFailure(ev["url"], fl["code"], fl["message"])))
        return tuple(out)

    def trust_snapshot(self) -> TrustSnapshot:
        t = self.data["trust"]
        files = tuple(TrustFile(tf["field"], int(tf["index"]), tf["type"], tf["name"],
                                tuple((e["path"], self._blobs[e["blob"]]) for e in tf["entries"]))
                      for tf in t["files"])
        return TrustSnapshot(store=t["store"], as_loaded=t["as_loaded"], source=t["source"], files=files)

    def _unsigned_members(self, built: _Built) -> dict[str, bytes]:
        sig = built.signature
        members = {k: v if isinstance(v, bytes) else b"".join(v) for k, v in built.members.items()}
        signature: dict[str, Any] = {"sigs": list(sig.sigs)}
        if built.batch is not None:
            signature["batch"] = built.batch.to_json()
        return {**members, "id": canonical_json(self._id), "signature": canonical_json(signature)}

    def skeleton(self) -> bytes | None:
        """The record file without its ``blobs`` member (canonical JSON of every other member,
        no newline): with :attr:`blobs` all a store needs to keep, since the file is then
        ``{"blobs":`` + each blob spelled as :func:`blob_member` spells it + ``,`` + the rest
        (see :func:`join_file`). ``None`` for a v1 file that spells a blob otherwise (possible
        only in a file written elsewhere, and signed as it is): it must be kept whole."""
        sk = self._skeleton
        if sk is not None:
            return sk
        built = self._built
        if built is not None:
            sk = canonical_object(self._unsigned_members(built))
        elif self._cut < 0:
            return None
        else:
            file = self._file
            assert file is not None
            sk = b"{" + file[self._cut + 1:-1]
        object.__setattr__(self, "_skeleton", sk)
        return sk

    def to_bytes(self) -> bytes:
        """The record file: canonical JSON of the whole record (blobs included) and a newline."""
        file = self._file
        if file is None:
            built = self._built
            assert built is not None
            members = self._unsigned_members(built)
            members["blobs"] = canonical_object(built.blob_members)
            file = canonical_object(members, trailer=b"\n")
            object.__setattr__(self, "_file", file)
        return file


def media_type_of(file: bytes) -> str:
    """The media type a record file declares (for a ``Content-Type``), or :data:`MEDIA_TYPE` when
    it declares none this vvp reads. Not a check: :meth:`Record.from_bytes` is."""
    try:
        mt = orjson.loads(file).get("media_type")
    except (orjson.JSONDecodeError, AttributeError):
        return MEDIA_TYPE
    return mt if isinstance(mt, str) and mt in MEDIA_TYPES else MEDIA_TYPE


def join_file(skeleton: bytes, blob_members: Mapping[str, bytes]) -> bytes:
    """A record file from its :meth:`Record.skeleton` and its blobs' canonical members
    (digest → :func:`blob_member`): RFC 8785 is compositional and ``blobs`` sorts first, so this
    is exactly the canonical JSON of the whole record. Digests are ASCII, so their byte order is
    the canonical order."""
    if not skeleton.startswith(b"{") or len(skeleton) < 3:
        raise ValueError("not a record skeleton")
    value = b"{" + b",".join(b'"' + k.encode("ascii") + b'":' + blob_members[k] for k in sorted(blob_members)) + b"}"
    return BLOBS_PREFIX + value + b"," + skeleton[1:] + b"\n"


def _depth_within(value: Any, limit: int) -> bool:
    """Whether ``value`` nests at most ``limit`` containers deep (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, Mapping):
            children: Iterable[Any] = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if depth > limit:
            return False
        stack.extend((c, depth + 1) for c in children)
    return True


# ---------------------------------------------------------------------------------------------
# Building, writing, loading, checking


def software_versions() -> dict[str, str]:
    """The versions that produced a verdict: vvp, keri (as imported) and Python."""
    return {"vvp": __version__, "keri": keri_version(), "python": platform.python_version()}


@functools.cache
def _software_member() -> tuple[bytes, bytes]:
    """:func:`software_versions` as canonical JSON, and its SHA-256: fixed for the life of a process."""
    member = canonical_json(software_versions())
    return member, _sha(member)


@functools.lru_cache(maxsize=16)
def _verifier_member(state: SignerState, kel: bytes) -> tuple[bytes, bytes]:
    """The ``verifier`` member and its SHA-256: the same bytes for every record signed under one
    establishment event (the identity hands out its KEL made once per event)."""
    member = canonical_json({"aid": state.aid, "est_sn": state.est_sn, "est_said": state.est_said,
                             "kel": kel.decode("ascii")})
    return member, _sha(member)


_MEDIA_TYPE_MEMBER = canonical_json(MEDIA_TYPE)
_MEDIA_TYPE_DIGEST = _sha(_MEDIA_TYPE_MEMBER)

CHECK_MEMO_ENTRIES = 16384
"""How many checks' canonical JSON :class:`_CheckMemo` keeps (a few MB), oldest dropped first."""
CHECK_NURSERY_ENTRIES = 4096
"""How many checks seen once :class:`_CheckMemo` holds before it drops them all: enough for a
check that recurs every few hundred calls (a distinct caller's cached results) to be seen a
second time there."""
CHECK_RUNS_BYTES = 16 * 1024 * 1024
"""How much joined JSON of runs of checks :class:`_CheckMemo` keeps, oldest dropped first."""


class _CheckMemo:
    """The canonical JSON of :class:`~vvp.verdict.Check` objects, by identity, and of runs of them.

    A warm verification answers most of its checks with the very objects its caches hold (a
    cached dossier result's, a cached key state's): on the test world's valid call, 108 of 113
    checks are the same objects call after call, in a few runs between the checks made for this
    call (times, the PASSporT's iat and exp). A check is immutable, so its canonical JSON is made
    once and kept, keyed by the object's ``id`` with the object held (so the id cannot be
    reused); and a run of such checks that recurs is kept joined, keyed by its first check, so
    that a verdict's checks array is a few byte strings joined rather than a hundred looked up
    (on a machine whose caches the verification has just filled, each lookup is a cache miss).
    A run is used only where the verdict holds those very checks (or equal ones, whose JSON is
    the same) in that order. Both are bounded (:data:`CHECK_MEMO_ENTRIES`, :data:`CHECK_RUNS_BYTES`).

    The checks are kept in two generations, not one dict whose oldest entry is popped per
    insert: every call also makes a few checks of its own (its times, its PASSporT's iat and
    exp) that never recur, so a full memo would drop one entry per such check, and dropping the
    first entry of a dict means skipping every hole earlier drops left at its front (on the
    test world's distinct calls that made the verdict's JSON cost 60-80 µs instead of 18). Here
    new checks go in :attr:`items`; when it holds half the bound it becomes the old generation
    (the previous old one is dropped whole) and a new one starts; a check found only in the old
    generation moves back into the new one. So the checks a warm cache hands out call after
    call stay.

    A check enters the generations only when it is seen a second time (the same object); the
    first time it goes to a nursery that is dropped whole when full. Why: a call's own checks
    never recur, and kept in the generations they were about 16,000 young objects (each check
    and its tuple) that outlived the collector's young generations, so every generation-1
    collection walked them (4-12 ms pauses of a service worker's event loop every few seconds,
    at 70 % of saturation; ``gc.get_objects`` at such a collection: 12,881 checks and 14,060
    tuples of 27,553 objects). The nursery holds each one for a few hundred calls instead,
    while it still holds the object, so its ``id`` cannot be reused by another check that would
    then pass for a second sighting."""

    def __init__(self) -> None:
        self.items: dict[int, tuple[Check, bytes, bytes]] = {}
        """``id(check) -> (check, bytes, SHA-256 of the bytes)``, the new generation: read without
        the lock (a dict read is atomic)."""
        self._old: dict[int, tuple[Check, bytes, bytes]] = {}
        """The previous generation (class docstring)."""
        self._nursery: dict[int, tuple[Check, bytes, bytes]] = {}
        """Checks seen once (class docstring), dropped whole when it holds
        :data:`CHECK_NURSERY_ENTRIES`."""
        self.runs: dict[int, tuple[tuple[Check, ...], bytes, bytes]] = {}
        """``id(first check) -> (checks, their JSON joined by commas, their digests joined)``."""
        self._runs_bytes = 0
        self._lock = threading.Lock()

    def entry(self, check: Check) -> tuple[Check, bytes, bytes]:
        """``(check, its canonical JSON, the SHA-256 of that)`` (the digest is what a v3 record's
        verdict digest names it by: :func:`verdict_digest_v3`)."""
        hit = self.items.get(id(check))
        if hit is not None and hit[0] is check:
            return hit
        key = id(check)
        hit = self._old.get(key)
        if hit is None or hit[0] is not check:
            hit = self._nursery.get(key)
            if hit is None or hit[0] is not check:  # first sighting: kept in the nursery only
                j = check.to_json()
                for v in j.values():  # a check's fields are text; anything else takes the checked path
                    if v is not None and not isinstance(v, str):
                        out = canonical_json(j)
                        break
                else:
                    out = canonical_json_of_plain(j)
                hit = (check, out, hashlib.sha256(out).digest())
                with self._lock:
                    if len(self._nursery) >= CHECK_NURSERY_ENTRIES:
                        self._nursery = {}
                    self._nursery[key] = hit
                return hit
        with self._lock:
            if len(self.items) >= CHECK_MEMO_ENTRIES // 2:
                self._old, self.items = self.items, {}
            self.items[key] = hit
        return hit

    def bytes_of(self, check: Check) -> bytes:
        return self.entry(check)[1]

    def _learn(self, run: tuple[Check, ...], parts: list[bytes], digests: list[bytes]) -> None:
        joined = b",".join(parts)
        with self._lock:
            old = self.runs.pop(id(run[0]), None)
            if old is not None:
                self._runs_bytes -= len(old[1]) + len(old[2])
            size = len(joined) + 32 * len(run)
            while self.runs and self._runs_bytes + size > CHECK_RUNS_BYTES:
                gone = self.runs.pop(next(iter(self.runs)))
                self._runs_bytes -= len(gone[1]) + len(gone[2])
            if size <= CHECK_RUNS_BYTES:
                self.runs[id(run[0])] = (run, joined, b"".join(digests))
                self._runs_bytes += size

    def array(self, checks: Sequence[Check]) -> bytes:
        """The canonical JSON of the array of ``checks``' JSON (docstring of the class)."""
        return b"".join(self.array_parts(checks))

    def array_parts(self, checks: Sequence[Check]) -> list[bytes]:
        """:meth:`array` as the byte strings that joined make it (runs and checks, commas, brackets)."""
        return self.array_parts_digests(checks)[0]

    def array_parts_digests(self, checks: Sequence[Check]) -> tuple[list[bytes], list[bytes]]:
        """:meth:`array_parts`, and the checks' digests (each check's SHA-256, in order) as byte
        strings that joined make them."""
        out: list[bytes] = []
        digs: list[bytes] = []
        runs, items = self.runs, self.items
        n = len(checks)
        i = 0
        start = -1  # where the current stretch of remembered checks outside any run began
        learn: list[tuple[int, int, int]] = []  # (first check, end, first part) of stretches to keep as runs
        while i < n:
            c = checks[i]
            r = runs.get(id(c))
            if r is not None and r[0][0] is c and tuple(checks[i:i + len(r[0])]) == r[0]:
                if start >= 0 and i - start > 1:
                    learn.append((start, i, len(out) - (i - start)))
                start = -1
                out.append(r[1])
                digs.append(r[2])
                i += len(r[0])
                continue
            hit = items.get(id(c))
            if hit is not None and hit[0] is c:
                if start < 0:
                    start = i
            else:
                if start >= 0 and i - start > 1:
                    learn.append((start, i, len(out) - (i - start)))
                start = -1
                hit = self.entry(c)
            out.append(hit[1])
            digs.append(hit[2])
            i += 1
        if start >= 0 and n - start > 1:
            learn.append((start, n, len(out) - (n - start)))
        for a, b, at in learn:
            self._learn(tuple(checks[a:b]), out[at:at + b - a], digs[at:at + b - a])
        if not out:
            return [b"[]"], digs
        parts = [b"["]
        for x in out:
            parts += (x, b",")
        parts[-1] = b"]"
        return parts, digs


_CHECKS = _CheckMemo()


def verdict_json_bytes(verdict: Verdict) -> bytes:
    """``canonical_json(verdict.to_json())``, made in parts (:func:`verdict_json_parts`)."""
    return b"".join(verdict_json_parts(verdict))


_CHECKS_KEY = b'{"checks":'


def verdict_json_parts(verdict: Verdict) -> list[bytes]:
    """``canonical_json(verdict.to_json())`` as byte strings that joined make it: RFC 8785 is
    compositional, and ``checks`` sorts before every other member a verdict without ``extra``
    has (``claims``, ``direction``, ``display``, ``reference_time``, ``status``), so the object is
    ``{"checks":`` + the checks array (each check's canonical JSON, :class:`_CheckMemo`, joined by
    commas) + ``,`` + the canonical JSON of the other members less its opening brace
    (:meth:`~vvp.verdict.Verdict.json_without_checks`, made canonical in one call). A verdict
    with ``extra`` members (which may sort anywhere, or take ``checks`` over) is serialised whole
    instead; a test compares the two on every world scenario."""
    if not verdict.extra:
        return [_CHECKS_KEY, *_CHECKS.array_parts(verdict.checks), _top_rest(verdict)]
    return [canonical_json(verdict.to_json())]


def verdict_member(verdict: Verdict) -> tuple[list[bytes], bytes]:
    """:func:`verdict_json_parts`, and the verdict's v3 digest (:func:`verdict_digest_v3`) made
    from the checks' remembered digests: the canonical JSON of the verdict without ``checks`` is
    ``{`` + what follows the checks array, and is hashed whole (a few hundred bytes)."""
    if not verdict.extra:
        parts, digs = _CHECKS.array_parts_digests(verdict.checks)
        rest = _top_rest(verdict)
        top = hashlib.sha256(b"{")
        top.update(memoryview(rest)[1:])
        return [_CHECKS_KEY, *parts, rest], _sha(b"".join((VERDICT_TAG_V3, top.digest(), *digs)))
    j = verdict.to_json()
    return [canonical_json(j)], verdict_digest_v3(j)


TOP_TEXTS_ENTRIES = 1024
"""How many verdicts' claims and display :func:`_top_rest` remembers as canonical JSON."""
_TOP_TEXTS: dict[bytes, bytes] = {}
_KEY_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_DATETIME
                | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)
_STATUS_JSON = {st.value: canonical_json_of_plain(st.value) for st in Status}
_RT_KEY = b',"reference_time":'
_STATUS_KEY = b',"status":'


def _top_rest(verdict: Verdict) -> bytes:
    """``,`` + the canonical JSON of :meth:`~vvp.verdict.Verdict.json_without_checks` less its
    opening brace: what follows the checks array in a verdict's canonical JSON.

    Why not simply that: building those members (each claim merged with its details) and proving
    them plain cost more than serialising them, on every call. But a caller's calls carry the
    same claims, details and display call after call; only the reference time changes (and it
    sorts after them, with the status). So the canonical JSON of the members less those two is
    made once (:func:`~vvp.canonical.canonical_json`, every check included) and remembered under
    orjson's text of what it is made from (the direction, each claim's status and codes, the
    details, the display), and the reference time and status (text here by construction,
    checked) are spliced after it: RFC 8785 is compositional, and ``claims``, ``direction`` and
    ``display`` sort before ``reference_time`` and ``status``. Equal texts are equal JSON values
    (orjson writes an integer without a fraction or exponent and a float always with one, and
    refuses integers beyond 2**53, dates, dataclasses and subclasses here), and the canonical
    form is a function of the JSON value."""
    rt, st = verdict.reference_time, verdict.status.value
    key: bytes | None = None
    if type(rt) is str and type(st) is str:
        try:
            key = orjson.dumps([verdict.direction, [[n, cr.status.value, cr.codes] for n, cr in verdict.claims.items()],
                                verdict.claim_details, verdict.display], option=_KEY_OPTIONS)
        except (orjson.JSONEncodeError, AttributeError):
            key = None
    core = _TOP_TEXTS.get(key) if key is not None else None
    if core is None:
        top = verdict.json_without_checks()
        if key is None:
            return b"," + canonical_json(top)[1:]
        del top["reference_time"], top["status"]
        core = canonical_json(top)
        if len(_TOP_TEXTS) >= TOP_TEXTS_ENTRIES:
            _TOP_TEXTS.clear()
        _TOP_TEXTS[bytes(memoryview(key))] = core  # orjson's buffer is many times its length (vvp.canonical)
    status = _STATUS_JSON.get(st)
    return b"".join((b",", memoryview(core)[1:-1], _RT_KEY,
                     b'"%s"' % rt.encode() if rt.isascii() and rt.isprintable() and '"' not in rt
                     and "\\" not in rt else canonical_json_of_plain(rt), _STATUS_KEY,
                     status if status is not None else canonical_json_of_plain(st), b"}"))


_FETCH_TIMES: dict[_dt.datetime, str] = {}
FETCH_TIMES_ENTRIES = 4096


def _fetch_time(at: _dt.datetime) -> str:
    """:func:`vvp.clock.rfc3339` of a fetch time, remembered: a warm call's evidence carries the
    original fetch times of what its caches hold (architecture §2.1), the same call after call.
    Only times in UTC are remembered (two that compare equal are the same instant, so the same
    text; a naive or local time is written as it is, where ``fold`` may matter)."""
    if at.tzinfo is not _dt.UTC:
        return clock.rfc3339(at)
    got = _FETCH_TIMES.get(at)
    if got is None:
        got = clock.rfc3339(at)
        if len(_FETCH_TIMES) >= FETCH_TIMES_ENTRIES:
            _FETCH_TIMES.clear()
        _FETCH_TIMES[at] = got
    return got


def _evidence(parts: _RecordParts, events: Sequence[FetchEvent]) -> _Evidence:
    """The evidence member, the manifest and the blobs of a record of ``events`` (in order)
    under ``parts``' trust snapshot: raises ValueError for an event with neither bytes nor a
    failure."""
    blob_members: dict[str, bytes] = {}
    raw_blobs: dict[str, bytes] = {}

    def put(data: bytes) -> str:
        key, member = parts.blob(data)
        if key not in blob_members:
            blob_members[key] = member
            raw_blobs[key] = data
        return key

    evidence: list[dict[str, Any]] = []
    texts: list[object] = []  # every leaf of the evidence that is not made here: text, checked below
    for ev in events:
        kind = ev.kind
        item: dict[str, Any] = {"url": ev.url,
                                "kind": kind.value if type(kind) is EvidenceKind else EvidenceKind(kind).value,
                                "at": _fetch_time(ev.at) if ev.at is not None else None}
        if ev.fetched is not None:
            f = ev.fetched
            item["fetched"] = {"final_url": f.final_url, "content_type": f.content_type, "source": f.source,
                               "blob": put(f.body)}
            texts += (ev.url, f.final_url, f.content_type, f.source)
        elif ev.failure is not None:
            item["failure"] = {"code": ev.failure.code, "message": ev.failure.message}
            texts += (ev.url, ev.failure.code, ev.failure.message)
        else:
            raise ValueError(f"fetch event for {ev.url} has neither bytes nor failure")
        evidence.append(item)
    evidence_plain = all(isinstance(t, str) for t in texts)
    for key, (member, data) in parts.blobs.items():
        if key not in blob_members:
            blob_members[key] = member
            raw_blobs[key] = data
    member = canonical_json_of_plain(evidence) if evidence_plain else canonical_json(evidence)
    manifest = parts.manifest(raw_blobs)
    return _Evidence(events=tuple(events), member=member, manifest=manifest, blob_members=blob_members,
                     raw_blobs=raw_blobs, digest=_sha(member), manifest_digest=_sha(manifest))


@dataclass(frozen=True, slots=True, eq=False)
class PendingRecord:
    """A record :func:`prepare_record` assembled, not yet signed: :func:`sign_together` signs it
    (alone, or with others in one group). Its id is final (the signature is outside what the
    id covers), so a front end may answer with it before the group is signed."""

    id: str
    digest: bytes
    """The 32 bytes the id names (the root of the content's v3 digest tree)."""
    state: SignerState
    """The establishment event whose keys must sign (read when the record was assembled)."""
    members: Mapping[str, bytes | tuple[bytes, ...]]
    content_parts: tuple[bytes, ...]
    blob_members: Mapping[str, bytes]
    raw_blobs: Mapping[str, bytes]
    received_at: str
    status: str


def sign_together(pending: Sequence[PendingRecord], identity: VerifierIdentity) -> list[Record]:
    """Sign records, in order: one alone is signed over its id's 32 bytes (no ``batch``
    member); two or more made under the same establishment event are signed once, over the
    root of a Merkle tree of their ids (:mod:`vvp.recordbatch`), each record keeping its
    inclusion path. Records made under different establishment events (a rotation in between)
    are signed in one group per event."""
    out: list[Record | None] = [None] * len(pending)
    groups: dict[SignerState, list[int]] = {}
    for i, p in enumerate(pending):
        groups.setdefault(p.state, []).append(i)
    for state, idx in groups.items():
        if len(idx) == 1:
            p = pending[idx[0]]
            sig = identity.sign(p.digest, expect=state)
            out[idx[0]] = _signed(p, sig, None)
            continue
        root, paths = tree([pending[i].digest for i in idx])
        sig = identity.sign(root_message(root, len(idx)), expect=state)
        for n, i in enumerate(idx):
            out[i] = _signed(pending[i], sig, BatchProof(index=n, size=len(idx), path=paths[n]))
    return [r for r in out if r is not None]


def _signed(p: PendingRecord, sig: Signature, batch: BatchProof | None) -> Record:
    return Record._made(_Built(p.members, p.content_parts, p.digest, p.blob_members, sig, p.received_at, p.status,
                               batch), p.raw_blobs, p.id)


def build_record(*, inputs: Mapping[str, Any], received_at: _dt.datetime, verdict: Verdict | Mapping[str, Any],
                 trust: TrustSnapshot, events: Iterable[FetchEvent], identity: VerifierIdentity,
                 software: Mapping[str, str] | None = None) -> Record:
    """Assemble and sign a record (format v3, :data:`MEDIA_TYPE`) of one verification, alone
    (:func:`prepare_record`, then :func:`sign_together` of that one record)."""
    return sign_together([prepare_record(inputs=inputs, received_at=received_at, verdict=verdict, trust=trust,
                                         events=events, identity=identity, software=software)], identity)[0]


def prepare_record(*, inputs: Mapping[str, Any], received_at: _dt.datetime, verdict: Verdict | Mapping[str, Any],
                   trust: TrustSnapshot, events: Iterable[FetchEvent], identity: VerifierIdentity,
                   software: Mapping[str, str] | None = None) -> PendingRecord:
    """Assemble a record (format v3, :data:`MEDIA_TYPE`) of one verification, to be signed by
    :func:`sign_together`.

    ``inputs`` is the call's input JSON exactly as the verifier took it (``CallInput.to_json()``),
    ``received_at`` the verifier's reception time (from the front end's clock), ``events`` what
    a :class:`~vvp.fetch.RecordingFetcher` saw, in order.

    Serialised once, and only what is signed: each member of the signed content is made
    canonical JSON once (the trust member once per snapshot, the verifier member once per
    establishment event), the content (about 32 KB: the blobs are outside it, named by digest
    in the evidence, the trust files and the manifest) is kept as those parts, the id is the root
    of its digest tree (:func:`content_digest_v3`, made from digests remembered with the parts
    that recur) and the verifier signs those 32 bytes. The file, with every blob, is joined only
    when :meth:`Record.to_bytes` is asked for; RFC 8785 is compositional
    (:func:`~vvp.canonical.canonical_object`), so it is exactly the canonical JSON of the whole
    record, as :meth:`Record.from_bytes` demands.
    """
    try:
        parts = trust.record_parts()
        evs: Sequence[FetchEvent] = events if isinstance(events, (list, tuple)) else list(events)
        ev = parts.evidence_of(evs)
        if ev is None:
            ev = _evidence(parts, evs)
            parts.remember_evidence(ev)
        state = identity.state()
        v_member: bytes | tuple[bytes, ...]
        if isinstance(verdict, Verdict):
            v_parts, v_digest = verdict_member(verdict)
            v_member, status = tuple(v_parts), verdict.status.value
        else:
            v_member, v_digest, status = canonical_json(verdict), verdict_digest_v3(verdict), str(verdict.get("status"))
        received = clock.rfc3339(received_at)
        received_member = canonical_json_of_plain(received)
        inputs_member = canonical_json(inputs)
        if software is not None:
            software_member = canonical_json(software)
            software_digest = _sha(software_member)
        else:
            software_member, software_digest = _software_member()
        verifier_member, verifier_digest = _verifier_member(state, identity.kel())
        members: dict[str, bytes | tuple[bytes, ...]] = {
            "media_type": _MEDIA_TYPE_MEMBER,
            "received_at": received_member,
            "inputs": inputs_member,
            "trust": parts.member,
            "evidence": ev.member,
            "manifest": ev.manifest,
            "verdict": v_member,
            "software": software_member,
            "verifier": verifier_member,
        }
        # The v3 digest tree (content_digest_v3), members in canonical order: what recurs from
        # record to record (trust, evidence, manifest, software, verifier, most checks) was
        # hashed once, when it was first made.
        signed = _sha(b"".join((TREE_TAG_V3,
                                _TREE_KEYS[0], ev.digest, _TREE_KEYS[1], _sha(inputs_member),
                                _TREE_KEYS[2], ev.manifest_digest, _TREE_KEYS[3], _MEDIA_TYPE_DIGEST,
                                _TREE_KEYS[4], _sha(received_member), _TREE_KEYS[5], software_digest,
                                _TREE_KEYS[6], parts.member_digest, _TREE_KEYS[7], v_digest,
                                _TREE_KEYS[8], verifier_digest)))
    except ValueError as ex:
        raise OperationalError(f"cannot build the record: {ex}", code=codes.RECORD_WRITE_FAILED) from None
    content: list[bytes] = []
    for member_key, name in _CONTENT_KEYS:  # canonical_object_parts(members), its keys sorted once
        v = members[name]
        content.append(member_key)
        if isinstance(v, bytes):
            content.append(v)
        else:
            content += v
    content.append(b"}")
    return PendingRecord(id=DIGEST_PREFIX + signed.hex(), digest=signed, state=state, members=members,
                         content_parts=tuple(content), blob_members=ev.blob_members, raw_blobs=ev.raw_blobs,
                         received_at=received, status=status)


_VERSIONS = {MEDIA_TYPE_V1: 1, MEDIA_TYPE_V2: 2, MEDIA_TYPE_V3: 3}

_CONTENT_MEMBERS = ("evidence", "inputs", "manifest", "media_type", "received_at", "software", "trust", "verdict",
                    "verifier")
"""The members of a v2 or v3 record's signed content, in canonical (sorted, ASCII) order."""
assert list(_CONTENT_MEMBERS) == sorted(_CONTENT_MEMBERS)
_CONTENT_KEYS = tuple(((b"{" if i == 0 else b",") + orjson.dumps(k) + b":", k) for i, k in enumerate(_CONTENT_MEMBERS))
_TREE_KEYS = tuple(bytes((len(k),)) + k.encode("ascii") for k in _CONTENT_MEMBERS)
"""Each member's key as the v3 digest tree spells it (:func:`content_digest_v3`), in canonical order."""


def write_record(record: Record, path: str | Path, *, write_through: bool = False) -> Path:
    """Write atomically: a temporary file in the same folder, fsync, rename, fsync the folder.
    A reader sees the old file or the whole new one, never a part; a crash leaves no record
    rather than a broken one. Only a regular file (or nothing) is replaced: a symlink or device at
    ``path`` is refused with ``OUTPUT_NOT_REGULAR_FILE`` unless ``write_through``
    (:func:`vvp.files.write_output`)."""
    write_output(path, record.to_bytes(), fail_code=codes.RECORD_WRITE_FAILED, what="record",
                 write_through=write_through)
    return Path(path)


def load_record(path: str | Path) -> Record:
    """Read and parse a record file. Unreadable → :class:`~vvp.errors.InputUnreadable` (exit 4);
    read but not an intact record → :class:`RecordBroken` (exit 6). Only a regular file is read
    (a FIFO or a device is ``INPUT_NOT_REGULAR_FILE``), never more than MAX_RECORD_BYTES."""
    p = Path(path)
    try:
        raw = read_input(p, max_bytes=MAX_RECORD_BYTES, what="record")
    except InputUnreadable as ex:
        code = {codes.INPUT_TOO_LARGE: codes.RECORD_TOO_LARGE,
                codes.INPUT_NOT_REGULAR_FILE: codes.INPUT_NOT_REGULAR_FILE}.get(ex.code, codes.RECORD_UNREADABLE)
        raise InputUnreadable(ex.message, code=code) from None
    return Record.from_bytes(raw)


def check_signature(record: Record) -> SignatureCheck:
    """The verifier's signature over the signed content (v1: its bytes; v2: their SHA-256; v3:
    the root of its digest tree, or for a record signed in a group the group's root message
    its inclusion proof leads to), checked against the KEL in the record at the establishment
    event that signed (a later rotation changes nothing)."""
    try:
        signed = record.signed_bytes()
    except RecordBroken as ex:
        st = record.signer
        return SignatureCheck(False, ex.code, ex.message, st.aid, st.est_sn, None)
    return verify_signature(record.kel, signed, record.signature)


# ---------------------------------------------------------------------------------------------
# Replay


class ReplayFetcher:
    """Serves a record's own evidence and nothing else: offline by construction.

    The n-th request for a URL gets the n-th recorded outcome for it (bytes or the recorded
    failure, with its code and message), and the last one again if asked more often. A URL the
    record never saw fails with ``FETCH_NOT_IN_RECORD`` and is listed in :attr:`misses`: there is
    no network code behind this class at all.
    """

    def __init__(self, evidence: Iterable[FetchEvent]) -> None:
        self._queues: dict[str, deque[FetchEvent]] = {}
        self._last: dict[str, FetchEvent] = {}
        for ev in evidence:
            self._queues.setdefault(ev.url, deque()).append(ev)
        self.requests: list[str] = []
        self.misses: list[str] = []

    @classmethod
    def of(cls, record: Record) -> ReplayFetcher:
        return cls(record.evidence())

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        self.requests.append(url)
        q = self._queues.get(url)
        if q:
            ev = q.popleft()
            self._last[url] = ev
        elif url in self._last:
            ev = self._last[url]
        else:
            self.misses.append(url)
            raise FetchError(f"{url}: not in the record (it was not fetched when the record was made)",
                             code=codes.FETCH_NOT_IN_RECORD, url=url)
        if ev.failure is not None:
            raise FetchError(ev.failure.message, code=ev.failure.code, url=url)
        assert ev.fetched is not None
        check_content_type(url, ev.fetched.content_type, kind)
        f = ev.fetched
        return Fetched(url=url, final_url=f.final_url, content_type=f.content_type, body=f.body, source="replay")
