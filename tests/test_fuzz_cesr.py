"""Fuzzing the CESR readers (issue 21): KEL streams (``vvp.kel.verify_kel``), dossier streams and
their JSON wrapper (``vvp.dossier.verify_dossier_stream``).

Inputs are the test world's real streams mutated (bytes flipped, inserted, deleted, spliced,
truncated, messages repeated or reordered) and plain junk. The properties: never an exception,
every code registered, never INTERNAL_ERROR, and a VALID outcome never names another signer
than the unmutated stream's. These run keri for every example (a dossier ingest is about 50 ms),
so the smoke budget is small; ``VVP_FUZZ_SCALE`` raises it (``tests/fuzzkit.py``).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.cesr_regions import regions
from tests.fuzzkit import fuzz_settings
from tests.test_dossier_checks import judge, world
from vvp import codes
from vvp.dossier import DossierResult
from vvp.kel import verify_kel
from vvp.keystate import KelResult
from vvp.verdict import Status


def _messages(stream: bytes) -> list[bytes]:
    """The stream cut into messages, each with its attachments."""
    starts = [r.start for r in regions(stream) if r.kind.startswith("body:")] + [len(stream)]
    return [stream[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]


def _mutated(stream: bytes, draw: Any) -> bytes:
    msgs = _messages(stream)
    how = draw(st.sampled_from(["bytes", "messages", "splice", "junk"]))
    if how == "messages":
        picked = draw(st.lists(st.integers(0, len(msgs) - 1), min_size=0, max_size=len(msgs) + 2))
        return b"".join(msgs[i] for i in picked)
    if how == "splice":
        other = draw(st.sampled_from(_SOURCES))
        a = draw(st.integers(0, len(stream)))
        b = draw(st.integers(0, len(other)))
        return stream[:a] + other[b:]
    if how == "junk":
        return draw(st.binary(max_size=300) | st.text(alphabet="-ABCDEFV0123456789_{}\"v:KERI10JSON", max_size=300)
                    .map(str.encode))
    data = bytearray(stream)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=12))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 90))]
        else:
            del data[i:]
    return bytes(data)


_W = world()
_DOSSIER = _W.dossiers["le"]
_KEL = _W.parties[_DOSSIER.signer].oobi
_SOURCES = (_KEL, _DOSSIER.stream, _W.parties[_DOSSIER.signer].oobi)
_GOOD_KEL = verify_kel(_KEL)


def _check_kel(r: KelResult) -> None:
    assert all(codes.is_registered(c) for c in r.codes), r.codes
    assert codes.INTERNAL_ERROR not in r.codes, r.messages
    if r.status is Status.VALID:
        assert r.state is not None and _GOOD_KEL.state is not None
        assert r.state.aid == _GOOD_KEL.state.aid or r.state.aid in {p.aid for p in _W.parties.values()}
        assert r.state.sn <= max(_GOOD_KEL.state.sn, 16)


def _check_dossier(r: DossierResult) -> None:
    for c in r.checks:
        assert codes.is_registered(c.code), c.code
        assert c.code != codes.INTERNAL_ERROR, c.message
    if r.status is Status.VALID:
        assert r.said is not None and r.said in _DOSSIER.stream.decode("latin-1")


@fuzz_settings(150)
@given(st.data())
def test_fuzz_kel_stream_never_raises(data: st.DataObject) -> None:
    stream = _mutated(_KEL, data.draw)
    _check_kel(verify_kel(stream))
    _check_kel(verify_kel(stream, aid=_GOOD_KEL.state.aid if _GOOD_KEL.state else None, sn=data.draw(
        st.integers(0, 3))))


@fuzz_settings(60)
@given(st.data())
def test_fuzz_dossier_stream_never_raises(data: st.DataObject) -> None:
    stream = _mutated(_DOSSIER.stream, data.draw)
    _check_dossier(judge(stream, said=data.draw(st.sampled_from([_DOSSIER.said, None]))))


_JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                    max_size=3), max_leaves=10)


@fuzz_settings(60)
@given(st.data())
def test_fuzz_dossier_json_wrapper_never_raises(data: st.DataObject) -> None:
    """The ``{"details": "<CESR>"}`` wrapper deployments serve, and JSON that only looks like it."""
    details = data.draw(st.sampled_from([_DOSSIER.stream.decode(), ""]) | st.text(max_size=60) | _JSONISH)
    doc = data.draw(st.sampled_from([{"details": details}, {"details": details, "v": "ACDC10JSON"},
                                     {"detail": details}, [details]]) | _JSONISH)
    raw = json.dumps(doc).encode()
    if data.draw(st.booleans()):
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    _check_dossier(judge(raw, said=data.draw(st.sampled_from([_DOSSIER.said, None]))))
