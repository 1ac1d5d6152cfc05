"""The record as a file: canonical JSON, digests, the schema, load-time checks, atomic writes,
evidence deduplication and the replay fetcher. (Signing: test_record_signer.py; re-verification:
test_record_reverify.py.)"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.recordkit import SALT, resign, shm_dir
from vvp import clock, codes
from vvp.errors import FetchError, InputUnreadable, OperationalError
from vvp.fetch import (
    EvidenceKind,
    Fetched,
    FetchEvent,
    FetchFailure,
    MemoryFetcher,
    RecordingFetcher,
)
from vvp.record import (
    MEDIA_TYPE,
    MEDIA_TYPE_V1,
    MEDIA_TYPE_V2,
    MEDIA_TYPE_V3,
    MEDIA_TYPES,
    Record,
    RecordBroken,
    ReplayFetcher,
    TrustFile,
    TrustSnapshot,
    VerifierIdentity,
    blob_member,
    build_record,
    canonical_json,
    check_signature,
    join_file,
    digest,
    load_record,
    materialise_trust,
    media_type_of,
    open_identity,
    record_id,
    record_schema,
    safe_relpath,
    signed_content,
    verdict_json_bytes,
    write_record,
)
from vvp.verdict import build_verdict, indeterminate, passed

T0 = clock.parse_time("2026-01-15T12:00:00Z")
KEL = b'{"v":"KERI10JSON0000ed_","t":"icp"}-VAn-AABAAshared-kel'
BINARY = bytes(range(256))


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        yield ident


def _verdict() -> Any:
    return build_verdict([indeterminate("V-04", "context", codes.NOT_CHECKED_IN_THIS_VERSION, "toy")],
                         reference_time="2026-01-15T12:00:00Z")


def _events() -> list[FetchEvent]:
    def got(url: str, body: bytes, ctype: str = "application/json+cesr") -> FetchEvent:
        return FetchEvent(url, EvidenceKind.OOBI, T0, fetched=Fetched(url, url, ctype, body, "http"))
    return [
        got("http://a.example/oobi/E1", KEL),
        got("http://b.example/oobi/E1/witness", KEL),  # the same KEL from another URL: stored once
        got("http://c.example/cert.der", BINARY, "application/pkix-cert"),
        FetchEvent("http://d.example/oobi/E2", EvidenceKind.OOBI, T0,
                      failure=FetchFailure("http://d.example/oobi/E2", codes.FETCH_CONNECT_FAILED, "refused")),
    ]


def _trust(tmp: Path | None = None) -> TrustSnapshot:
    files = (TrustFile("schemas", 0, "dir", "acdc", (("a.json", b'{"$id":"Ea"}'), ("sub/b.json", b'{"$id":"Eb"}'))),
             TrustFile("sti_pa", 0, "file", "anchors.pem", (("anchors.pem", b"-----BEGIN CERTIFICATE-----\n"),)))
    store = {"version": 1, "schemas": ["acdc"], "sti_pa": ["anchors.pem"], "sti_crl_signers": [],
             "policy": {"fetch_timeout_s": 2.5}}
    return TrustSnapshot(store=store, as_loaded=store, source="trust.json", files=files)


def _record(identity: VerifierIdentity, **kw: Any) -> Record:
    args: dict[str, Any] = dict(inputs={"reference_time": "2026-01-15T12:00:00Z", "identities": ["x"]},
                                received_at=T0, verdict=_verdict(), trust=_trust(), events=_events(),
                                identity=identity, software={"vvp": "0", "keri": "1.3.6", "python": "3"})
    args.update(kw)
    return build_record(**args)


# --- canonical JSON ---------------------------------------------------------------------------

@pytest.mark.parametrize("value,text", [
    (0.0, "0"), (-0.0, "0"), (5.0, "5"), (2.5, "2.5"), (1e21, "1e+21"), (1e-7, "1e-7"), (0.000001, "0.000001"),
    (123456789012345680000.0, "123456789012345680000"), (1.5e300, "1.5e+300"), (-1.25e-10, "-1.25e-10"),
    (4.35, "4.35"), (0.1 + 0.2, "0.30000000000000004"), (2 ** 53 - 1, str(2 ** 53 - 1)),
])
def test_numbers_take_the_ecmascript_form(value: Any, text: str) -> None:
    assert canonical_json(value) == text.encode()


def test_keys_sort_by_utf16_and_strings_escape_minimally() -> None:
    # RFC 8785 §3.2.3: U+1F600 (a surrogate pair, D83D) sorts before U+FB33 (FB33) in UTF-16.
    obj = {"\ufb33": 1, "\U0001f600": 2, "b": [True, None], "a": "é\n\"\\\u0007\u2028/"}
    assert canonical_json(obj) == ('{"a":"é\\n\\"\\\\\\u0007\u2028/","b":[true,null],"\U0001f600":2,"\ufb33":1}'
                                   ).encode("utf-8")


# Integers beyond 2**53 - 1 are refused unless already the canonical form of a double (vvp/canonical.py).
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "\ud800", {1: 2}, {"a": object()}, 10 ** 30, 2 ** 53 + 1])
def test_non_json_values_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        canonical_json(bad)


def test_canonical_form_is_stable_through_a_json_round_trip() -> None:
    v = {"z": [1, 2.5, {"y": "ü", "x": None}], "policy": {"fetch_timeout_s": 5.0}}
    once = canonical_json(v)
    assert canonical_json(json.loads(once)) == once


# --- building ---------------------------------------------------------------------------------

def test_a_record_holds_what_the_contract_says(identity: VerifierIdentity) -> None:
    rec = _record(identity)
    d = rec.data
    assert d["media_type"] == MEDIA_TYPE == MEDIA_TYPE_V3 and rec.version == 3 and rec.media_type == MEDIA_TYPE
    assert set(d) == {"media_type", "id", "received_at", "inputs", "trust", "evidence", "manifest", "blobs",
                      "verdict", "software", "verifier", "signature"}
    # v3 (like v2) signs the content without the blobs, which the manifest (and the references) commit to
    content = {k: v for k, v in d.items() if k not in ("id", "signature", "blobs")}
    assert rec.content_bytes() == canonical_json(content)
    assert d["manifest"] == [{"digest": k, "size": d["blobs"][k]["size"]} for k in sorted(d["blobs"])]
    # the id names the root of the digest tree, written out here from its definition
    def h(b: bytes) -> bytes:
        return hashlib.sha256(b).digest()
    v = d["verdict"]
    verdict_digest = h(b"vvp-verdict-v3\n" + h(canonical_json({k: x for k, x in v.items() if k != "checks"}))
                       + b"".join(h(canonical_json(c)) for c in v["checks"]))
    tree = b"vvp-record-v3\n" + b"".join(bytes((len(k),)) + k.encode() + (verdict_digest if k == "verdict"
                                                                            else h(canonical_json(content[k])))
                                          for k in sorted(content))
    assert rec.signed_bytes() == h(tree) == bytes.fromhex(rec.id[7:]) and rec.id.startswith("sha256:")
    assert rec.id == record_id(MEDIA_TYPE_V3, rec.content_bytes()) != digest(rec.content_bytes())
    assert check_signature(rec).ok
    assert rec.status == d["verdict"]["status"] and rec.received_at == d["received_at"]
    assert d["verifier"]["aid"] == identity.aid and d["verifier"]["kel"].startswith('{"v":"KERI10JSON')
    assert [e["url"] for e in d["evidence"]] == [e.url for e in _events()]
    assert d["evidence"][3] == {"url": "http://d.example/oobi/E2", "kind": "oobi", "at": "2026-01-15T12:00:00Z",
                                "failure": {"code": codes.FETCH_CONNECT_FAILED, "message": "refused"}}
    assert d["trust"]["store"]["policy"] == {"fetch_timeout_s": 2.5}
    # round trip through the accessors
    ev = rec.evidence()
    assert ev[0].fetched is not None and ev[0].fetched.body == KEL and ev[2].fetched is not None
    assert ev[2].fetched.body == BINARY and ev[3].failure is not None
    snap = rec.trust_snapshot()
    assert snap.files == _trust().files and snap.store == _trust().store
    # build_record skips re-checking what it just assembled; the full checks must agree
    assert Record.from_bytes(rec.to_bytes()).data == rec.data


def test_evidence_is_stored_once_by_digest(identity: VerifierIdentity) -> None:
    rec = _record(identity)
    blobs = rec.data["blobs"]
    assert rec.data["evidence"][0]["fetched"]["blob"] == rec.data["evidence"][1]["fetched"]["blob"] == digest(KEL)
    # KEL once, the binary certificate once (base64), three trust files
    assert len(blobs) == 5
    assert blobs[digest(KEL)] == {"size": len(KEL), "text": KEL.decode()}
    assert "base64" in blobs[digest(BINARY)]
    assert rec.to_bytes().count(b"shared-kel") == 1


def test_plain_recording_fetcher_events_are_accepted(identity: VerifierIdentity) -> None:
    rf = RecordingFetcher(MemoryFetcher({"http://a.example/k": ("application/cesr", b"k")}))
    rf.fetch("http://a.example/k", EvidenceKind.OOBI)
    with pytest.raises(FetchError):
        rf.fetch("http://a.example/missing", EvidenceKind.OOBI)
    rec = _record(identity, events=rf.events)
    assert [e["at"] for e in rec.data["evidence"]] == [None, None]
    assert rec.data["evidence"][1]["failure"]["code"] == codes.FETCH_OFFLINE


def test_evidence_recorder_stamps_each_fetch_with_the_given_clock() -> None:
    at = clock.parse_time("2026-01-15T12:00:07Z")
    rec = RecordingFetcher(MemoryFetcher({"http://a.example/k": ("application/cesr", b"k")}),
                           clock=clock.FixedClock(at))
    assert rec.fetch("http://a.example/k", EvidenceKind.OOBI).body == b"k"
    with pytest.raises(FetchError):
        rec.fetch("http://a.example/x", EvidenceKind.OOBI)
    assert [(e.at, e.fetched is not None, e.failure is not None) for e in rec.events] == [(at, True, False),
                                                                                         (at, False, True)]


def test_the_record_matches_its_json_schema(identity: VerifierIdentity) -> None:
    jsonschema = importlib.import_module("jsonschema")  # untyped; see vvp.record._validator
    schema = record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(json.loads(_record(identity).to_bytes()))
    repo = Path(__file__).resolve().parents[1] / "schemas/formats"
    assert json.loads((repo / "verdict-record.v3.schema.json").read_text()) == schema
    v1 = record_schema(MEDIA_TYPE_V1)
    jsonschema.Draft202012Validator.check_schema(v1)
    assert json.loads((repo / "verdict-record.v1.schema.json").read_text()) == v1
    assert v1["properties"]["media_type"]["const"] == MEDIA_TYPE_V1
    assert schema["properties"]["media_type"]["const"] == MEDIA_TYPE_V3
    assert set(schema["required"]) == set(v1["required"]) | {"manifest"}
    v2 = record_schema(MEDIA_TYPE_V2)  # v3 is v2's file with another digest: the same members
    assert {k: x for k, x in v2["properties"].items() if k not in ("media_type", "id", "signature")} == \
        {k: x for k, x in schema["properties"].items() if k not in ("media_type", "id", "signature")}
    assert v2["required"] == schema["required"] and v2["$defs"] == schema["$defs"]


# --- writing and loading ----------------------------------------------------------------------

def test_write_is_atomic_and_the_file_is_canonical(identity: VerifierIdentity, tmp_path: Path) -> None:
    rec = _record(identity)
    p = write_record(rec, tmp_path / "r.json")
    raw = p.read_bytes()
    assert raw == canonical_json(json.loads(raw)) + b"\n"
    assert list(tmp_path.iterdir()) == [p]  # no temporary file left
    again = load_record(p)
    assert again.id == rec.id and again.data == rec.data
    # a failed replace (the target is a folder) leaves neither a record nor a temporary file
    (tmp_path / "d.json").mkdir()
    with pytest.raises(OperationalError) as ei:
        write_record(rec, tmp_path / "d.json")
    assert ei.value.code == codes.RECORD_WRITE_FAILED
    assert sorted(x.name for x in tmp_path.iterdir()) == ["d.json", "r.json"]
    with pytest.raises(OperationalError):
        write_record(rec, tmp_path / "no" / "such" / "dir.json")


def test_unreadable_and_oversized_files_are_operational_errors(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputUnreadable) as ei:
        load_record(tmp_path / "missing.json")
    assert ei.value.code == codes.RECORD_UNREADABLE
    with pytest.raises(InputUnreadable):
        load_record(tmp_path)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 100)
    monkeypatch.setattr("vvp.record.MAX_RECORD_BYTES", 50)
    with pytest.raises(InputUnreadable) as ei:
        load_record(big)
    assert ei.value.code == codes.RECORD_TOO_LARGE


@pytest.mark.parametrize("raw,code", [
    (b"\xff\xfe", codes.RECORD_NOT_JSON),
    (b"{", codes.RECORD_NOT_JSON),
    (b"[1]", codes.RECORD_NOT_JSON),
    (b'{"a":1,"a":2}', codes.RECORD_NOT_JSON),
    (b'{"x":NaN}', codes.RECORD_NOT_JSON),
    (b"[" * 100000, codes.RECORD_NOT_JSON),
    (b'{"media_type":"application/vnd.vvp.verdict-record+json;version=4"}', codes.RECORD_BAD_MEDIA_TYPE),
    (b'{"media_type":"application/vnd.vvp.verdict-record+json;version=1"}', codes.RECORD_SCHEMA_INVALID),
    (b"{}", codes.RECORD_BAD_MEDIA_TYPE),
    (('{"media_type":"%s"}' % MEDIA_TYPE).encode(), codes.RECORD_SCHEMA_INVALID),
])
def test_what_is_not_a_record_is_broken(raw: bytes, code: str) -> None:
    with pytest.raises(RecordBroken) as ei:
        Record.from_bytes(raw)
    assert ei.value.code == code


def test_a_reformatted_record_is_not_accepted(identity: VerifierIdentity) -> None:
    rec = _record(identity)
    pretty = json.dumps(rec.data, indent=2).encode()
    with pytest.raises(RecordBroken) as ei:
        Record.from_bytes(pretty)
    assert ei.value.code == codes.RECORD_NOT_CANONICAL
    assert Record.from_bytes(rec.to_bytes().rstrip(b"\n")).id == rec.id  # the final newline is optional
    with pytest.raises(RecordBroken):
        Record.from_bytes(rec.to_bytes() + b"\n")


def _resigned(identity: VerifierIdentity, change: Any) -> dict[str, Any]:
    data = json.loads(_record(identity).to_bytes())
    change(data)
    return resign(data, identity)


def _bad_blob(d: dict[str, Any]) -> None:
    d["blobs"][digest(KEL)]["text"] = "changed"
    d["blobs"][digest(KEL)]["size"] = len("changed")


def _set(path: list[Any], value: Any) -> Any:
    def f(d: Any) -> None:
        for p in path[:-1]:
            d = d[p]
        d[path[-1]] = value
    return f


@pytest.mark.parametrize("change,code", [
    (_bad_blob, codes.RECORD_BLOB_MISMATCH),
    (_set(["blobs", digest(BINARY), "base64"], "!!!"), codes.RECORD_BLOB_MISMATCH),
    (_set(["blobs", digest(BINARY), "size"], 1), codes.RECORD_BLOB_MISMATCH),
    (lambda d: d["blobs"].pop(digest(KEL)), codes.RECORD_BLOB_MISSING),
    (_set(["trust", "files", 0, "entries", 0, "path"], "../../escape.json"), codes.RECORD_INCONSISTENT),
    (_set(["trust", "files", 0, "entries", 0, "path"], "/etc/passwd"), codes.RECORD_INCONSISTENT),
    (_set(["trust", "files", 0, "name"], ".."), codes.RECORD_INCONSISTENT),
    (_set(["trust", "files", 1, "index"], 5), codes.RECORD_INCONSISTENT),
    (lambda d: d["trust"]["files"].pop(1), codes.RECORD_INCONSISTENT),
    (_set(["evidence", 0, "kind"], "carrier-pigeon"), codes.RECORD_SCHEMA_INVALID),
    (_set(["surplus"], 1), codes.RECORD_SCHEMA_INVALID),
    (_set(["received_at"], "2026-13-45T00:00:00Z"), codes.RECORD_SCHEMA_INVALID),
    (_set(["evidence", 0, "at"], "2026-02-30T00:00:00Z"), codes.RECORD_SCHEMA_INVALID),
    (_set(["verdict", "deep"], json.loads("[" * 70 + "]" * 70)), codes.RECORD_NOT_JSON),
])
def test_signed_but_inconsistent_records_are_still_refused(identity: VerifierIdentity, change: Any,
                                                           code: str) -> None:
    """A valid id and signature do not make a record sound: a verifier that signed nonsense is
    caught by the checks behind them."""
    data = _resigned(identity, change)
    with pytest.raises(RecordBroken) as ei:
        Record(data)
    assert ei.value.code == code


def test_a_verifier_kel_that_is_not_cesr_text_is_refused(identity: VerifierIdentity) -> None:
    data = json.loads(_record(identity).to_bytes())
    data["verifier"]["kel"] = "KEL \u2713"
    data["id"] = digest(canonical_json(signed_content(data)))
    with pytest.raises(RecordBroken) as ei:
        Record(data)
    assert ei.value.code == codes.RECORD_SIGNER_KEL_INVALID


def test_a_changed_id_is_a_mismatch(identity: VerifierIdentity) -> None:
    data = json.loads(_record(identity).to_bytes())
    data["id"] = digest(b"something else")
    with pytest.raises(RecordBroken) as ei:
        Record(data)
    assert ei.value.code == codes.RECORD_ID_MISMATCH


@pytest.mark.parametrize("change", ["check message", "checks swapped", "check dropped", "verdict status",
                                    "claims", "inputs", "manifest", "v2 label"])
def test_v3_digest_tree_covers_every_byte_of_the_content(identity: VerifierIdentity, change: str) -> None:
    """The v3 id is the root of a digest tree (vvp.record.content_digest_v3): any change to a
    check, their order, the rest of the verdict or any other member changes it, and a v3 file
    relabelled v2 (whose id is the plain SHA-256 of the content) does not pass either."""
    data = json.loads(_record(identity, verdict=build_verdict(
        [passed("X-A", "passport", "first"), passed("X-B", "passport", "second"),
         indeterminate("V-04", "context", codes.NOT_CHECKED_IN_THIS_VERSION, "toy")],
        reference_time="2026-01-15T12:00:00Z")).to_bytes())
    v = data["verdict"]
    if change == "check message":
        v["checks"][1]["message"] += "."
    elif change == "checks swapped":
        v["checks"][0], v["checks"][1] = v["checks"][1], v["checks"][0]
    elif change == "check dropped":
        del v["checks"][0]
    elif change == "verdict status":
        v["status"] = "VALID" if v["status"] != "VALID" else "INVALID"
    elif change == "claims":
        v["claims"]["passport"]["codes"] = [codes.NOT_CHECKED_IN_THIS_VERSION]
    elif change == "inputs":
        data["inputs"]["identities"] = ["y"]
    elif change == "manifest":
        data["manifest"] = data["manifest"][::-1]
    else:
        data["media_type"] = MEDIA_TYPE_V2
    with pytest.raises(RecordBroken) as ei:
        Record.from_bytes(canonical_json(data) + b"\n")
    assert ei.value.code in (codes.RECORD_ID_MISMATCH, codes.RECORD_MANIFEST_MISMATCH, codes.RECORD_SCHEMA_INVALID)
    if change != "manifest":
        assert ei.value.code == codes.RECORD_ID_MISMATCH


def test_v3_resigned_after_a_change_is_intact_again(identity: VerifierIdentity) -> None:
    """The other side of the test above: a record whose digest tree is made again over the
    changed content (what a verifier that signs whatever it is given would do) is intact, and its
    signature checks: the tree is a function of the content alone."""
    data = json.loads(_record(identity).to_bytes())
    data["verdict"]["checks"][0]["message"] += "."
    again = Record(resign(data, identity))
    assert again.version == 3 and check_signature(again).ok
    assert again.id == record_id(MEDIA_TYPE_V3, again.content_bytes())


# --- trust content ----------------------------------------------------------------------------

def test_trust_files_materialise_inside_the_folder_given(tmp_path: Path) -> None:
    store = materialise_trust(_trust(), tmp_path)
    schemas = Path(store["schemas"][0])
    assert schemas.is_dir() and schemas.is_relative_to(tmp_path) and schemas.name == "acdc"
    assert (schemas / "sub" / "b.json").read_bytes() == b'{"$id":"Eb"}'
    pem = Path(store["sti_pa"][0])
    assert pem.read_bytes().startswith(b"-----BEGIN") and pem.name == "anchors.pem"
    assert store["policy"] == {"fetch_timeout_s": 2.5}


@pytest.mark.parametrize("p,ok", [("a.json", True), ("a/b.json", True), ("", False), ("/a", False),
                                  ("a/../b", False), ("..", False), ("a//b", False), ("a\\b", False),
                                  ("./a", False), ("a\x00", False)])
def test_safe_relative_paths(p: str, ok: bool) -> None:
    assert safe_relpath(p) is ok


# --- replay fetcher ---------------------------------------------------------------------------

def test_replay_serves_recorded_outcomes_in_order_and_nothing_else() -> None:
    u = "http://a.example/oobi/E1"
    evs = [FetchEvent(u, EvidenceKind.OOBI, None, failure=FetchFailure(u, codes.FETCH_TIMEOUT, "slow")),
           FetchEvent(u, EvidenceKind.OOBI, None, fetched=Fetched(u, u + "/final", "application/json+cesr",
                                                                      b"kel", "http"))]
    rf = ReplayFetcher(evs)
    with pytest.raises(FetchError) as ei:
        rf.fetch(u, EvidenceKind.OOBI)
    assert (ei.value.code, ei.value.message) == (codes.FETCH_TIMEOUT, "slow")
    got = rf.fetch(u, EvidenceKind.OOBI)
    assert (got.body, got.final_url, got.source) == (b"kel", u + "/final", "replay")
    assert rf.fetch(u, EvidenceKind.OOBI).body == b"kel"  # asked again: the last outcome again
    with pytest.raises(FetchError) as ei:
        rf.fetch("http://elsewhere.example/", EvidenceKind.OOBI)
    assert ei.value.code == codes.FETCH_NOT_IN_RECORD
    assert rf.misses == ["http://elsewhere.example/"]
    with pytest.raises(FetchError) as ei:  # the content type still has to fit the kind asked for
        rf.fetch(u, EvidenceKind.CRL)
    assert ei.value.code == codes.FETCH_BAD_CONTENT_TYPE


def test_replay_of_fetch_events_without_times() -> None:
    u = "http://a.example/x"
    ev = FetchEvent(u, EvidenceKind.OOBI, fetched=Fetched(u, u, "application/cesr", b"x", "memory"))
    assert ev.fetched is not None
    assert ReplayFetcher([FetchEvent(u, ev.kind, None, fetched=ev.fetched)]).fetch(u, EvidenceKind.OOBI).body == b"x"


def test_received_at_and_times_are_rfc3339_utc(identity: VerifierIdentity) -> None:
    local = _dt.datetime(2026, 1, 15, 13, 0, 0, 250000, tzinfo=_dt.timezone(_dt.timedelta(hours=1)))
    rec = _record(identity, received_at=local)
    assert rec.received_at == "2026-01-15T12:00:00.250000Z"


# --- format v2: what is signed, the manifest, the spelling of blobs, two formats read -------------

def test_a_built_record_makes_its_file_only_when_asked(identity: VerifierIdentity) -> None:
    """A store needs the skeleton (every member but ``blobs``) and the blob bytes; the file is
    exactly those joined, and a record read back from the file gives the same skeleton."""
    rec = _record(identity)
    assert rec.data_if_parsed() is None
    skeleton = rec.skeleton()
    assert skeleton is not None and rec.data_if_parsed() is None  # still neither file JSON nor parse
    file = join_file(skeleton, {k: blob_member(v) for k, v in rec.blobs.items()})
    assert file == rec.to_bytes()
    d = json.loads(file)
    assert skeleton == canonical_json({k: v for k, v in d.items() if k != "blobs"})
    again = Record.from_bytes(file)
    assert again.skeleton() == skeleton and again.blobs == rec.blobs and again == rec
    assert (again.id, again.status, again.received_at, again.signature) == (rec.id, rec.status, rec.received_at,
                                                                          rec.signature)


def _unsigned_change(identity: VerifierIdentity, change: Any) -> dict[str, Any]:
    """The record's JSON with ``change`` made outside the signed content: id and signature stay valid."""
    data: dict[str, Any] = json.loads(_record(identity).to_bytes())
    before = canonical_json(signed_content(data))
    change(data)
    assert canonical_json(signed_content(data)) == before
    return data


def _other_base64(data: bytes) -> str:
    """Base64 of ``data`` that decodes to the same bytes but is not the standard spelling."""
    text = base64.b64encode(data).decode()
    stem = text.rstrip("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for c in alphabet:
        other = stem[:-1] + c + text[len(stem):]
        if other != text and base64.b64decode(other, validate=True) == data:
            return other
    raise AssertionError("no other spelling")


@pytest.mark.parametrize("change,code", [
    # a blob the signed manifest does not list, added after signing
    (lambda d: d["blobs"].update({digest(b"extra"): {"size": 5, "text": "extra"}}), codes.RECORD_MANIFEST_MISMATCH),
    # a listed blob taken out
    (lambda d: d["blobs"].pop(digest(KEL)), codes.RECORD_BLOB_MISSING),
    # a blob spelled otherwise than vvp writes it (text bytes as base64; another base64 of the same bytes)
    (lambda d: d["blobs"].update({digest(KEL): {"size": len(KEL), "base64": base64.b64encode(KEL).decode()}}),
     codes.RECORD_NOT_CANONICAL),
    (lambda d: d["blobs"].update({digest(BINARY): {"size": len(BINARY), "base64": _other_base64(BINARY)}}),
     codes.RECORD_NOT_CANONICAL),
    # a blob changed under its digest
    (lambda d: d["blobs"].update({digest(KEL): {"size": len(KEL), "text": KEL.decode().upper()}}),
     codes.RECORD_BLOB_MISMATCH),
])
def test_v2_blobs_are_held_to_the_signed_manifest(identity: VerifierIdentity, change: Any, code: str) -> None:
    """The blobs are outside the signed content, so every change to them keeps the id and the
    signature valid: the manifest, the digests and the one spelling are what catch it."""
    with pytest.raises(RecordBroken) as ei:
        Record(_unsigned_change(identity, change))
    assert ei.value.code == code


def _manifest(change: Any) -> Any:
    def f(d: dict[str, Any]) -> None:
        d["manifest"] = change([dict(m) for m in d["manifest"]])
    return f


@pytest.mark.parametrize("change,code", [
    (_manifest(lambda m: list(reversed(m))), codes.RECORD_MANIFEST_MISMATCH),
    (_manifest(lambda m: m + m[-1:]), codes.RECORD_MANIFEST_MISMATCH),
    (_manifest(lambda m: m[1:]), codes.RECORD_MANIFEST_MISMATCH),
    (_manifest(lambda m: [{**m[0], "size": m[0]["size"] + 1}] + m[1:]), codes.RECORD_MANIFEST_MISMATCH),
    (_manifest(lambda m: sorted(m + [{"digest": digest(b"absent"), "size": 6}], key=lambda e: e["digest"])),
     codes.RECORD_BLOB_MISSING),
    (_manifest(lambda m: [{**m[0], "extra": 1}] + m[1:]), codes.RECORD_SCHEMA_INVALID),
])
def test_a_signed_manifest_that_does_not_fit_the_blobs_is_refused(identity: VerifierIdentity, change: Any,
                                                                  code: str) -> None:
    data = resign(_unsigned_change(identity, lambda d: None), identity, manifest=False)
    change(data)
    with pytest.raises(RecordBroken) as ei:
        Record(resign(data, identity, manifest=False))
    assert ei.value.code == code


def test_v2_signs_the_digest_of_its_content(identity: VerifierIdentity) -> None:
    """Hash-then-sign: the signature is over the 32 bytes the id names; a signature over the
    content bytes themselves (v1's rule) does not verify a v2 record."""
    rec = _record(identity)
    data = json.loads(rec.to_bytes())
    data["signature"] = {"sigs": list(identity.sign(rec.content_bytes()).sigs)}
    forged = Record(data)  # integrity holds: the signature is not part of it
    check = check_signature(forged)
    assert not check.ok and check.code == codes.RECORD_SIGNATURE_INVALID
    assert check_signature(Record.from_bytes(rec.to_bytes())).ok


GOLDEN_V1 = Path(__file__).resolve().parents[1] / "fixtures" / "records" / "valid.json"


def test_v1_records_are_read_as_v1() -> None:
    """vvp 0.1.0's format: the signed content holds the blobs, and the signature is over it."""
    raw = GOLDEN_V1.read_bytes()
    rec = Record.from_bytes(raw)
    assert (rec.version, rec.media_type) == (1, MEDIA_TYPE_V1)
    assert rec.signed_bytes() == rec.content_bytes() == canonical_json(
        {k: v for k, v in rec.data.items() if k not in ("id", "signature")})
    assert check_signature(rec).ok and rec.status == rec.verdict["status"]
    skeleton = rec.skeleton()
    assert skeleton is not None and join_file(skeleton, {k: blob_member(v) for k, v in rec.blobs.items()}) == raw


def test_a_v1_file_that_spells_a_blob_otherwise_has_no_skeleton(identity: VerifierIdentity) -> None:
    """In v1 the spelling of a blob is signed, so another spelling is a different, valid record:
    it is read, but a store must keep it whole."""
    rec = Record.from_bytes(GOLDEN_V1.read_bytes())
    data = json.loads(GOLDEN_V1.read_bytes())
    key = next(k for k, b in data["blobs"].items() if "text" in b)
    blob = rec.blob(key)
    data["blobs"][key] = {"size": len(blob), "base64": base64.b64encode(blob).decode()}
    other = Record(resign(data, identity))
    assert other.version == 1 and other.skeleton() is None and other.blob(key) == blob
    assert check_signature(other).ok


def test_the_media_type_of_a_file(identity: VerifierIdentity) -> None:
    assert media_type_of(_record(identity).to_bytes()) == MEDIA_TYPE_V3
    assert media_type_of(GOLDEN_V1.read_bytes()) == MEDIA_TYPE_V1
    assert media_type_of(b"not json") == MEDIA_TYPE == media_type_of(b"[1]")


def test_vvp_version_names_every_record_format() -> None:
    from vvp._cli import RECORD_FORMATS, version_text

    assert MEDIA_TYPES == (MEDIA_TYPE_V1, MEDIA_TYPE_V2, MEDIA_TYPE_V3)
    assert all(m in RECORD_FORMATS and m in version_text() for m in MEDIA_TYPES)


def test_verdicts_are_serialised_in_parts_exactly(tmp_path: Path) -> None:
    """build_record serialises a verdict from its checks' memoised JSON
    (vvp.record.verdict_json_bytes): byte for byte canonical_json(verdict.to_json()), for every
    scenario of the test world, cold and again warm (when most checks are cached objects)."""
    from vvp.verdict import build_verdict as _build_verdict, passed as _passed
    from vvp.verifier import CallInput, Verifier, VerifierCache
    from vvp.testing.world import SCENARIOS, WorldSpec, WorldUrls, build_world, routes_for, write_evidence
    from vvp.testing.world.scenarios import make_calls
    from vvp.trust import load_trust_store

    base = "http://127.0.0.1:5642"
    world = build_world(WorldSpec())
    served = MemoryFetcher({base + p: (r.content_type, r.body) for p, r in routes_for(world).items()
                            if r.status == 200}, missing_code=codes.FETCH_HTTP_STATUS)
    files = write_evidence(world, base, str(tmp_path))
    calls = make_calls(world, WorldUrls(base), files, list(SCENARIOS))
    verifiers: dict[Path, Verifier] = {}
    seen = 0
    for _ in range(3):  # cold, then checks remembered one by one, then in runs
        for call in calls:
            v = verifiers.setdefault(call.trust, Verifier(load_trust_store(call.trust), served, VerifierCache()))
            verdict = v.verify(CallInput(reference_time=call.at, identities=(call.identity,), orig=call.orig,
                                         dest=call.dest))
            assert verdict_json_bytes(verdict) == canonical_json(verdict.to_json()), call.name
            seen += 1
    assert seen == 3 * len(SCENARIOS)
    odd = _build_verdict([_passed("X-A", "passport", "\U0001f600 \u2028")], reference_time="2026-01-15T12:00:00Z",
                         extra={"checks": ["taken over"], "n": 1.5})
    assert verdict_json_bytes(odd) == canonical_json(odd.to_json())


def test_runs_of_remembered_checks_are_used_only_where_they_fit() -> None:
    from vvp.record import _CheckMemo
    from vvp.verdict import Check, passed as _passed

    def array(cs: list[Check]) -> bytes:
        return canonical_json([c.to_json() for c in cs])

    a, b, c, d = (_passed(f"X-R-{i}", "passport", f"check {i} \u00e9") for i in range(4))
    memo = _CheckMemo()
    seqs = [[a, b, c, _passed("X-R-9", "passport", "new")], [a, b, c, _passed("X-R-9", "passport", "newer")],
            [a, b, c], [a, b, d, c], [a, b], [b, c, a], [a], [], [a, b, c, a, b, c],
            [_passed("X-R-0", "passport", "check 0 \u00e9"), b, c]]  # an equal check in another object
    for seq in seqs + seqs:
        assert memo.array(seq) == array(seq), seq
    assert memo.runs  # runs were learned and used


def test_check_memo_keeps_recurring_checks_through_many_one_off_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call makes a few checks of its own: the memo drops them a generation later (never one
    entry per insert) and keeps the checks that recur; its size stays bounded; the JSON is exact."""
    import vvp.record as record_mod
    from vvp.record import _CheckMemo
    from vvp.verdict import Check, passed as _passed

    monkeypatch.setattr(record_mod, "CHECK_MEMO_ENTRIES", 64)
    monkeypatch.setattr(record_mod, "CHECK_NURSERY_ENTRIES", 16)

    def array(cs: list[Check]) -> bytes:
        return canonical_json([c.to_json() for c in cs])

    memo = _CheckMemo()
    cached = [_passed(f"X-C-{i}", "passport", f"cached {i}") for i in range(6)]
    for call in range(500):
        own = [_passed("P-16", "passport", f"iat of call {call}"), _passed("P-17", "passport", f"exp {call}")]
        seq = cached[:3] + own + cached[3:]
        assert memo.array(seq) == array(seq)
        assert len(memo.items) <= 32 and len(memo._old) <= 32 and len(memo._nursery) <= 16
        # a call's own checks, seen once, never enter the generations (the collector would walk them)
        kept = [v[0] for v in (*memo.items.values(), *memo._old.values())]
        assert not any(k is c for k in kept for c in own)
    # the recurring checks are served as runs, which hold them, however many one-off checks came
    assert memo.runs[id(cached[0])][0] == tuple(cached[:3]) and memo.runs[id(cached[3])][0] == tuple(cached[3:])


def test_fetch_times_are_written_as_rfc3339_writes_them() -> None:
    import random

    from vvp.record import _fetch_time

    rnd = random.Random(5)
    zones = [_dt.UTC, _dt.timezone(_dt.timedelta(hours=5, minutes=30)), None]
    for _ in range(500):
        t = _dt.datetime(rnd.choice([999, 2026]), rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23),
                         rnd.randint(0, 59), rnd.randint(0, 59), rnd.choice([0, 7, 999999]), tzinfo=rnd.choice(zones))
        assert _fetch_time(t) == clock.rfc3339(t) == _fetch_time(t)


def test_rfc3339_is_the_strftime_form() -> None:
    """vvp.clock.rfc3339 takes isoformat's faster path from year 1000 on: the same text."""
    import random

    rnd = random.Random(7)
    zones = [_dt.UTC, _dt.timezone(_dt.timedelta(hours=5, minutes=30)), _dt.timezone(_dt.timedelta(hours=-8))]
    for _ in range(2000):
        t = _dt.datetime(rnd.choice([2, 999, 1000, 1970, 2026, 9998]), rnd.randint(1, 12), rnd.randint(1, 28),
                         rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59),
                         rnd.choice([0, 0, 1, 11, 999999, rnd.randint(0, 999999)]), tzinfo=rnd.choice(zones))
        u = t.astimezone(_dt.UTC)
        want = u.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if u.microsecond else "%Y-%m-%dT%H:%M:%SZ")
        assert clock.rfc3339(t) == want, t


def test_verdict_claims_text_is_reused_only_when_proven_canonical() -> None:
    """vvp.record._top_rest remembers the canonical JSON of a verdict's claims and display under
    orjson's text of what they are made from, and splices later verdicts (other reference times)
    from it. Members whose orjson text is not their canonical JSON (a float RFC 8785 spells
    otherwise, keys beyond the BMP that sort otherwise in UTF-16, escapes) are remembered as
    RFC 8785 writes them, and what orjson refuses (an integer beyond 2**53) is never remembered:
    every verdict below, twice over and at four reference times, is byte for byte
    canonical_json(verdict.to_json())."""
    from vvp import record as _record
    from vvp.verdict import build_verdict as _build_verdict, passed as _passed

    details: list[dict[str, Any]] = [
        {"evidence": {"n": 2, "s": "plain"}},
        {"evidence": {"n": 1e21}},  # orjson 1e21, RFC 8785 1e+21
        {"evidence": {"n": 0.1, "m": -0.0}},
        {"evidence": {"\U0001f600": 1, "\uff61": 2}},  # UTF-8 and UTF-16 orders differ
        {"evidence": {"big": 2 ** 53}},  # beyond what orjson's strict mode writes; RFC 8785 writes 2.0**53 so
        {"evidence": {"t": "\u2028\x7f\"\\"}},
    ]
    _record._TOP_TEXTS.clear()
    for _ in range(2):
        for d in details:
            for rt in ("2026-01-15T12:00:00Z", "2026-01-15T12:00:00.000001Z", "a\"b\\\\c\x7f\x01", "\u00e9\u2028"):
                v = _build_verdict([_passed("X-A", "passport", "ok")], reference_time=rt, claim_details=d,
                                   display={"brand": {"name": "\u00e9"}})
                assert verdict_json_bytes(v) == canonical_json(v.to_json()), (d, rt)
    assert len(_record._TOP_TEXTS) == len(details) - 1  # all but the one orjson refuses


def test_cached_evidence_is_remembered_per_run_of_the_same_events(identity: VerifierIdentity) -> None:
    """A warm call hands the recorder the very event objects its caches hold, and the evidence
    member, manifest and blobs made from them are remembered per run of those objects
    (vvp.record._RecordParts.evidence_of). Another order, a subset or a fresh fetch is another
    run: each record below holds exactly its own events, and re-reads as written."""
    from dataclasses import replace as _replace
    from vvp.fetch.local import as_cached

    trust = _trust()
    cached = [as_cached(e) for e in _events() if e.fetched is not None]
    assert len(cached) >= 2
    fresh = [e for e in _events() if e.fetched is not None]
    runs = [cached, cached[::-1], cached[:1], cached, fresh, fresh, [_replace(cached[0], url=cached[0].url + "?x")]]
    for events in runs:
        rec = _record(identity, trust=trust, events=events)
        again = Record.from_bytes(rec.to_bytes())
        assert [(e["url"], e["fetched"]["source"]) for e in again.data["evidence"]] == \
            [(e.url, e.fetched.source) for e in events if e.fetched is not None]
        assert set(again.blobs) == set(rec.blobs)
    parts = trust.record_parts()
    assert parts.evidence_of(cached) is not None and parts.evidence_of(cached[::-1]) is not None
    assert parts.evidence_of(fresh) is None  # fetched now, not from a cache: never remembered
    assert parts.evidence_of(list(cached)) is parts.evidence_of(cached)
