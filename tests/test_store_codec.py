"""How the store takes a record apart and packs its row (vvp/store/codec.py): row bodies in pieces
against their dictionary (codec 2), rows of the earlier single-stream form still read, and a
record built in process stored without its file ever being made. (The store contract over
SQLite and PostgreSQL: test_store_contract.py.)"""

from __future__ import annotations

import hashlib
import random
import zlib
from pathlib import Path

import pytest

from tests.storekit import make_variants, sql
from vvp import codes
from vvp.record import Record
from vvp.store import RecordStore, StoreError, codec, open_store


def _noise(n: int, seed: int) -> bytes:
    """Bytes that do not compress on their own (so only a dictionary can help)."""
    out = bytearray()
    block = seed.to_bytes(8, "big")
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def _edited(base: bytes, seed: int, edits: int = 8) -> bytes:
    """``base`` with a few short changes (some growing or shrinking it), as two records of one
    caller differ: times, call ids, the signature."""
    rnd = random.Random(seed)
    b = bytearray(base)
    for _ in range(edits if b else 0):
        at = rnd.randrange(len(b))
        b[at:at + rnd.randrange(0, 12)] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 16)))
    return bytes(b)


@pytest.mark.parametrize("dict_len", [0, 3000, codec.PIECE, 33_000, 90_000])
@pytest.mark.parametrize("body_len", [0, 1, codec.PIECE - 1, codec.PIECE, codec.PIECE + 1, 3 * codec.PIECE + 5,
                                      120_000])
def test_pieces_round_trip(dict_len: int, body_len: int) -> None:
    zdict = _noise(dict_len, 1)
    body = _edited(zdict, 2)[:body_len] if dict_len >= body_len else (zdict + _noise(body_len, 3))[:body_len]
    packed = codec.DictCompressor(zdict).compress(body)
    assert codec.decompress_pieces(packed, zdict, "test") == body


@pytest.mark.parametrize("dict_len", [3000, 7000, codec.SMALL_DICT, codec.SMALL_DICT + 1, 33_000])
def test_small_dictionaries_prime_a_small_compressor_that_finds_them_whole(dict_len: int) -> None:
    """A dictionary slice of up to SMALL_DICT bytes is primed into a 16 KB window (a smaller state
    to copy per row); the body finds all of it (a few hundred bytes for a body that differs in a few
    places), the stream says its window, and the standard reader decompresses it."""
    zdict = _noise(dict_len, 6)
    body = _edited(zdict, 7)[:codec.PIECE]
    packed = codec.DictCompressor(zdict).compress(body)
    assert codec.decompress_pieces(packed, zdict, "test") == body
    first = packed[4:]  # the first piece's zlib stream
    assert first[0] >> 4 == (6 if dict_len <= codec.SMALL_DICT else 7)  # CINFO: log2(window) - 8
    assert len(packed) < 600, len(packed)


def test_a_body_beyond_the_zlib_window_still_finds_its_dictionary() -> None:
    """zlib reaches back 32 KB: against a 40 KB dictionary as one stream, a 40 KB body that
    differs from it in a few places finds almost nothing; in pieces it is a few hundred bytes."""
    zdict = _noise(40_000, 4)
    body = _edited(zdict, 5)
    whole = codec.compress(body, zdict)
    pieces = codec.DictCompressor(zdict).compress(body)
    assert len(whole) > len(body) // 2  # the single stream misses its dictionary
    assert len(pieces) < len(body) // 20, len(pieces)
    assert codec.decompress(whole, zdict, "test") == body == codec.decompress_pieces(pieces, zdict, "test")


def test_pieces_beyond_the_dictionary_limit_need_no_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "DICT_PIECES", 2)
    zdict = _noise(5 * codec.PIECE, 6)
    body = _edited(zdict, 7)
    packed = codec.DictCompressor(zdict).compress(body)
    assert codec.decompress_pieces(packed, zdict, "test") == body
    assert codec.dict_slice(zdict, 2) is None and codec.dict_slice(zdict, 1) is not None


def _pieces(payload: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(payload):
        n = int.from_bytes(payload[pos:pos + 4], "big")
        out.append(payload[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def _frame(pieces: list[bytes]) -> bytes:
    return b"".join(len(p).to_bytes(4, "big") + p for p in pieces)


def test_damaged_piece_payloads_are_corrupt() -> None:
    zdict = _noise(2 * codec.PIECE + 5000, 8)
    body = _edited(zdict, 9)
    packed = codec.DictCompressor(zdict).compress(body)
    parts = _pieces(packed)
    assert len(parts) == 3
    short = zlib.compressobj(1, zdict=codec.dict_slice(zdict, 0))
    damaged = {
        "truncated": packed[:-5],
        "a length past the end": packed[:-1],
        "trailing bytes": packed + b"\x00",
        "a short piece before the last": _frame([short.compress(body[:100]) + short.flush()] + parts[1:]),
        "no pieces": b"",
        "pieces swapped": _frame([parts[1], parts[0], parts[2]]),
    }
    for what, payload in damaged.items():
        with pytest.raises(StoreError) as ei:
            codec.decompress_pieces(payload, zdict, "test")
        assert ei.value.code == codes.STORE_CORRUPT, what
    with pytest.raises(StoreError) as ei:  # another dictionary
        codec.decompress_pieces(packed, _noise(len(zdict), 10), "test")
    assert ei.value.code == codes.STORE_CORRUPT


def test_a_built_record_is_stored_and_read_back_without_making_its_file(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The write path takes the skeleton and the blobs (public accessors): never the 113 KB file.
    Reading back reassembles exactly the file the record would write."""
    records = make_variants(3)
    expected = [r.to_bytes() for r in make_variants(3)]  # the same records, built again: same bytes
    made: list[str] = []
    real = Record.to_bytes

    def spy(self: Record) -> bytes:
        made.append(self.id)
        return real(self)

    monkeypatch.setattr(Record, "to_bytes", spy)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with open_store(url) as s:
        ids = s.put_many(records)
        assert made == [] and all(r.data_if_parsed() is None for r in records)
        assert [s.get_bytes(i) for i in ids] == expected
    rows = sql(url, "SELECT codec, dict FROM records ORDER BY seq")
    assert rows == [(codec.CODEC_ZSTD_DICT, 1)] * 3  # the first body became the dictionary of all three


def test_rows_of_the_single_stream_form_still_read(tmp_path: Path) -> None:
    """Rows written before codec 2 (one zlib stream against the whole dictionary) read back."""
    records = make_variants(4, start=100)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with open_store(url) as s:
        ids = s.put_many(records)
    (dict_id, zd), = sql(url, "SELECT id, data FROM dicts")
    zdict = codec.decompress(bytes(zd), None, "dict")
    for rid in ids[1:]:
        (body,), = sql(url, "SELECT body FROM records WHERE id = ?", (rid,))
        raw = codec.decompress_zstd(bytes(body), zdict, "row")
        sql(url, "UPDATE records SET codec = 1, dict = ?, body = ? WHERE id = ?",
            (dict_id, codec.compress(raw, zdict), rid))
    with open_store(url) as s:
        assert [s.get_bytes(i) for i in ids] == [r.to_bytes() for r in records]
    sql(url, "UPDATE records SET codec = 9 WHERE id = ?", (ids[1],))
    with open_store(url) as s, pytest.raises(StoreError) as ei:
        s.get_bytes(ids[1])
    assert ei.value.code == codes.STORE_CORRUPT


def test_rows_of_zlib_pieces_still_read(tmp_path: Path) -> None:
    """Rows written before codec 3 (codec 2: zlib pieces against the dictionary) read back."""
    records = make_variants(4, start=150)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with open_store(url) as s:
        ids = s.put_many(records)
    (dict_id, zd), = sql(url, "SELECT id, data FROM dicts")
    zdict = codec.decompress(bytes(zd), None, "dict")
    for rid in ids:
        (row_codec, body), = sql(url, "SELECT codec, body FROM records WHERE id = ?", (rid,))
        assert row_codec == codec.CODEC_ZSTD_DICT
        raw = codec.decode_body(row_codec, bytes(body), zdict, "row")
        sql(url, "UPDATE records SET codec = 2, dict = ?, body = ? WHERE id = ?",
            (dict_id, codec.DictCompressor(zdict).compress(raw), rid))
    with open_store(url) as s:
        assert [s.get_bytes(i) for i in ids] == [r.to_bytes() for r in records]


def test_damaged_zstd_payloads_are_corrupt() -> None:
    zdict = _noise(7000, 13)
    body = _edited(zdict, 14)
    packed = codec.ZstdDictCompressor(zdict).compress([body[:100], body[100:]])
    assert codec.decompress_zstd(packed, zdict, "test") == body == codec.decode_body(
        codec.CODEC_ZSTD_DICT, packed, zdict, "test")
    assert len(packed) < 400, len(packed)
    assert codec.decompress_zstd(codec.ZstdDictCompressor(b"").compress(body), b"", "test") == body
    big = bytearray(packed)
    for payload in (b"", b"not zstd at all", packed[:-3], packed + b"trailing", packed[:4] + bytes(len(packed) - 4)):
        with pytest.raises(StoreError) as ei:
            codec.decompress_zstd(payload, zdict, "test")
        assert ei.value.code == codes.STORE_CORRUPT, payload
    with pytest.raises(StoreError) as ei:  # the wrong dictionary: garbage or an error, never the body
        got = codec.decompress_zstd(packed, _noise(7000, 15), "test")
        assert got != body
        raise StoreError("decoded to other bytes", code=codes.STORE_CORRUPT)
    assert ei.value.code == codes.STORE_CORRUPT
    with pytest.raises(StoreError) as ei:
        codec.decode_body(codec.CODEC_ZSTD_DICT, bytes(big), None, "test")  # codec 3 without its dictionary
    assert ei.value.code == codes.STORE_CORRUPT


@pytest.mark.parametrize("cuts", [(), (0,), (5,), (codec.PIECE,), (codec.PIECE - 1, codec.PIECE + 1), (100, 30_000),
                                  (0, 0, 41_000)])
def test_pieces_from_parts_are_the_pieces_of_the_joined_bytes(cuts: tuple[int, ...]) -> None:
    """A ``C`` body is compressed from its header and the record's content where they lie."""
    zdict = _noise(45_000, 11)
    body = _edited(zdict, 12)
    bounds = [0, *cuts, len(body)]
    parts = [body[a:b] for a, b in zip(bounds, bounds[1:])]
    zc = codec.DictCompressor(zdict)
    assert zc.compress(parts) == zc.compress(body)
    assert codec.decompress_pieces(zc.compress(parts), zdict, "test") == body


def test_a_v2_row_holds_the_signed_content_as_it_was_signed(tmp_path: Path) -> None:
    """``C`` rows: the content bytes, the id and the signature; a content that is not the
    canonical bytes of itself, or another id, is corrupt."""
    rec = make_variants(1, start=300)[0]
    parts = codec.split(rec)
    assert parts.body().endswith(b"\n" + rec.content_bytes())
    assert parts.body().startswith(b"C" + ",".join(sorted(rec.blobs)).encode() + b"\n")
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with open_store(url) as s:
        rid = s.put(rec)
        assert s.get_bytes(rid) == rec.to_bytes()
    (dict_id, zd), = sql(url, "SELECT id, data FROM dicts")
    zdict = codec.decompress(bytes(zd), None, "dict")
    (body,), = sql(url, "SELECT body FROM records WHERE id = ?", (rid,))
    raw = codec.decompress_zstd(bytes(body), zdict, "row")
    head, sig, content = raw.split(b"\n", 2)
    assert content == rec.content_bytes()
    for bad in (head + b"\n" + sig + b"\n" + content.replace(b'{"evidence":', b'{ "evidence":', 1),
                head + b"\n" + sig.replace(rid[7:17].encode(), b"0" * 10) + b"\n" + content):
        sql(url, "UPDATE records SET codec = 1, dict = NULL, body = ? WHERE id = ?", (codec.compress(bad), rid))
        with open_store(url) as s, pytest.raises(StoreError) as ei:
            s.get_bytes(rid)
        assert ei.value.code == codes.STORE_CORRUPT


@pytest.fixture(scope="module")
def warm_records(tmp_path_factory: pytest.TempPathFactory) -> list[Record]:
    """Records of one call verified again and again by one warm Verifier, as a service records
    them: most of each verdict is checks its caches hold, so the content's large parts recur."""
    import datetime as _dt

    from tests.recordkit import SALT, shm_dir
    from vvp.fetch import MemoryFetcher, RecordingFetcher
    from vvp.record import open_identity
    from vvp.replay import make_record, snapshot_trust
    from vvp.trust import load_trust_store
    from vvp.verifier import CallInput, Verifier, VerifierCache
    from vvp.testing.world import SCENARIOS, WorldSpec, WorldUrls, build_world, routes_for, write_evidence
    from vvp.testing.world.scenarios import make_calls

    base = "http://127.0.0.1:5642"
    world = build_world(WorldSpec())
    served = MemoryFetcher({base + p: (r.content_type, r.body) for p, r in routes_for(world).items()
                            if r.status == 200}, missing_code=codes.FETCH_HTTP_STATUS)
    files = write_evidence(world, base, str(tmp_path_factory.mktemp("world")))
    call = make_calls(world, WorldUrls(base), files, [s for s in SCENARIOS if s.name == "valid"])[0]
    trust = load_trust_store(call.trust)
    verifier = Verifier(trust, served, VerifierCache())
    snap = snapshot_trust(trust)
    ci = CallInput(reference_time=call.at, identities=(call.identity,), orig=call.orig, dest=call.dest)
    out: list[Record] = []
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        for i in range(8):
            rf = RecordingFetcher(served)
            v = verifier.verify(ci, fetcher=rf)
            out.append(make_record(ci, v, trust=trust, events=rf.events, identity=ident, snapshot=snap,
                                   received_at=call.at + _dt.timedelta(seconds=i)))
    return out


def test_recurring_content_parts_are_stored_once_and_named(tmp_path: Path, warm_records: list[Record]) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    memo = codec.SegmentMemo()
    kinds = [codec.split(r, memo).body_parts[0][:1] for r in warm_records]
    assert kinds[0] == b"C" and set(kinds[2:]) == {b"S"}  # named from the second sighting on
    with open_store(url) as s:
        ids = s.put_many(warm_records[:4])
        ids += s.put_many(warm_records[4:])
        st = s.stats()
        assert [s.get_bytes(i) for i in ids] == [r.to_bytes() for r in warm_records]
    assert st.blobs > warm_records[0].blob_count  # the shared parts, beside the evidence blobs
    per_record = st.record_bytes / len(ids)
    assert per_record < len(warm_records[0].content_bytes()) / 10, per_record
    # a damaged or missing shared part is corrupt, not a wrong record
    evidence = set(warm_records[0].blobs)
    parts = [str(r[0]) for r in sql(url, "SELECT digest FROM blobs") if str(r[0]) not in evidence]
    assert parts
    (size, data), = sql(url, "SELECT size, data FROM blobs WHERE digest = ?", (parts[0],))
    sql(url, "UPDATE blobs SET codec = 0, data = ? WHERE digest = ?", (b"x" * int(size), parts[0]))
    with open_store(url) as s:
        bad = [i for i in ids if not _reads(s, i)]
    assert bad and ids[0] not in bad  # the first record was written whole (C row)
    sql(url, "DELETE FROM blobs WHERE digest = ?", (parts[0],))
    with open_store(url) as s:
        assert [i for i in ids if not _reads(s, i)] == bad


def _reads(s: RecordStore, rid: str) -> bool:
    try:
        s.get_bytes(rid)
        return True
    except StoreError as ex:
        assert ex.code == codes.STORE_CORRUPT
        return False


def test_damaged_content_items_are_corrupt() -> None:
    memo = codec.SegmentMemo()
    part = b"p" * codec.SEGMENT_MIN
    parts = (b"{", part, b"}")
    codec._segmented(parts, memo)
    items, refs = codec._segmented(parts, memo)
    assert list(refs.values()) == [part]
    rest = b'{"id":"x"}\n' + b"".join(items)
    assert codec.segment_refs(rest, "t") == list(refs)
    for bad in (rest[:-1], rest + b"Z", rest.replace(b"I\x00\x00\x00\x01{", b"I\x00\x00\x00\x09{"), b"no line"):
        with pytest.raises(StoreError) as ei:
            codec.segment_refs(bad, "t")
        assert ei.value.code == codes.STORE_CORRUPT


def test_a_stream_of_s_rows_soon_gets_a_dictionary_of_its_kind(tmp_path: Path, warm_records: list[Record],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The first record of a process goes whole (C) and becomes the first dictionary; the next
    ones name their shared parts (S) and may compress poorly against a C body: then after
    DICT_KIND_GAP records one of them becomes the dictionary (not after DICT_MIN_GAP), and only
    one (the S dictionary is of their kind)."""
    from vvp.store import sql as sqlstore

    monkeypatch.setattr(sqlstore, "DICT_KIND_GAP", 3)
    # how well an S body does against the C dictionary depends on how long the runs of checks
    # this process remembers are: make every row "poor" so that only the gap rules decide
    monkeypatch.setattr(sqlstore, "DICT_RATIO", 10_000)
    monkeypatch.setattr(sqlstore, "DICT_MIN_BODY", 0)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with open_store(url) as s:
        for r in warm_records:
            s.put(r)
        assert [s.get_bytes(r.id) for r in warm_records] == [r.to_bytes() for r in warm_records]
    kinds = [codec.decompress(bytes(d), None, "dict")[:1] for (d,) in sql(url, "SELECT data FROM dicts ORDER BY id")]
    assert kinds == [b"C", b"S"]
    last = sql(url, "SELECT dict FROM records ORDER BY seq DESC LIMIT 2")
    assert {r[0] for r in last} == {2}  # the later rows use the S dictionary


def test_sig_line_is_canonical_json() -> None:
    """The row's id and signature line is canonical_json of them, on the fast path (ASCII) and
    off it (controls, non-ASCII, non-BMP, a lone surrogate refused as canonical_json refuses it)."""
    import pytest as _pytest

    from vvp.canonical import canonical_json as cj
    from vvp.store.codec import sig_line_of

    for rid, sigs in (("sha256:" + "ab" * 32, ("AABcde-_", "AAB\x01\"\\")),
                      ("sha256:x", ()), ("é", ("\U0001f600", "\ue000")), ("a\nb", ("\x7f",))):
        assert sig_line_of(rid, {"sigs": list(sigs)}) == cj({"id": rid, "signature": {"sigs": list(sigs)}})
    for batch in ({"sigs": ["AABcde-_"], "batch": {"index": 3, "size": 5, "path": ["00" * 32, "ff" * 32]}},
                  {"sigs": ["A"], "batch": {"index": True, "size": 2 ** 60, "path": ["\u00e9", "\x01"]}},
                  {"sigs": ["A"], "batch": {"index": 1.5, "size": 2, "path": []}},
                  {"sigs": ["A"], "batch": {"index": 0, "size": 2, "path": [], "extra": "\U0001f600"}}):
        try:
            want = cj({"id": "sha256:" + "ab" * 32, "signature": batch})
        except ValueError:
            with _pytest.raises(ValueError):
                sig_line_of("sha256:" + "ab" * 32, batch)
            continue
        assert sig_line_of("sha256:" + "ab" * 32, batch) == want
    with _pytest.raises(ValueError):
        sig_line_of("\ud800", {"sigs": []})
