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
from vvp.store import StoreError, codec, open_store


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
    assert rows == [(codec.CODEC_ZLIB_PIECES, 1)] * 3  # the first body became the dictionary of all three


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
        raw = codec.decompress_pieces(bytes(body), zdict, "row")
        sql(url, "UPDATE records SET codec = 1, dict = ?, body = ? WHERE id = ?",
            (dict_id, codec.compress(raw, zdict), rid))
    with open_store(url) as s:
        assert [s.get_bytes(i) for i in ids] == [r.to_bytes() for r in records]
    sql(url, "UPDATE records SET codec = 9 WHERE id = ?", (ids[1],))
    with open_store(url) as s, pytest.raises(StoreError) as ei:
        s.get_bytes(ids[1])
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
    assert b"".join(parts.body_parts[1:]) == rec.content_bytes() and len(parts.body_parts) > 2  # never joined
    assert parts.body().startswith(b"C" + ",".join(sorted(rec.blobs)).encode() + b"\n")
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with open_store(url) as s:
        rid = s.put(rec)
        assert s.get_bytes(rid) == rec.to_bytes()
    (dict_id, zd), = sql(url, "SELECT id, data FROM dicts")
    zdict = codec.decompress(bytes(zd), None, "dict")
    (body,), = sql(url, "SELECT body FROM records WHERE id = ?", (rid,))
    raw = codec.decompress_pieces(bytes(body), zdict, "row")
    head, sig, content = raw.split(b"\n", 2)
    assert content == rec.content_bytes()
    for bad in (head + b"\n" + sig + b"\n" + content.replace(b'{"evidence":', b'{ "evidence":', 1),
                head + b"\n" + sig.replace(rid[7:17].encode(), b"0" * 10) + b"\n" + content):
        sql(url, "UPDATE records SET codec = 1, dict = NULL, body = ? WHERE id = ?", (codec.compress(bad), rid))
        with open_store(url) as s, pytest.raises(StoreError) as ei:
            s.get_bytes(rid)
        assert ei.value.code == codes.STORE_CORRUPT
