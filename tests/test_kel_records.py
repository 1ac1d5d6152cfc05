"""vvp._keri.records: keri's records made into the same dicts (and JSON) as keri's own dictify."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from keri.help import helping

from vvp._keri.dossier_ingest import ingest
from vvp._keri.records import fast_records, plain_dict
from vvp.testing.world import WorldSpec, build_world


def _records_seen(ingests: list[list[bytes]]) -> list[Any]:
    """Every record keri hands to ``dictify`` while vvp ingests each stream list of ``ingests``
    inside :func:`fast_records` (the records keri would write)."""
    seen: list[Any] = []
    with fast_records():
        inner = helping.dictify

        def spy(val: Any) -> Any:
            seen.append(val)
            return inner(val)

        helping.dictify = spy
        try:
            for streams in ingests:
                ingest(streams)
        finally:
            helping.dictify = inner
    return seen


def _records_of_world() -> list[Any]:
    world = build_world(WorldSpec(callee=True))
    return _records_seen([[d.stream] for d in world.dossiers.values()])


def test_same_dicts_and_json_as_keri() -> None:
    records = _records_of_world()
    kinds = {type(r).__name__ for r in records}
    assert {"KeyStateRecord", "EventSourceRecord"} <= kinds
    for r in records:
        ours, keris = plain_dict(r), dataclasses.asdict(r)
        assert ours == keris
        assert list(ours) == list(keris)
        assert json.dumps(ours, separators=(",", ":"), ensure_ascii=False) == \
            json.dumps(keris, separators=(",", ":"), ensure_ascii=False)


def test_unknown_values_go_to_keri() -> None:
    @dataclasses.dataclass
    class Odd:
        a: str
        b: tuple[int, ...]
        c: list[dict[str, Any]]

    odd = Odd("x", (1, 2), [{"k": [1, None, True, 1.5]}])
    assert plain_dict(odd) == dataclasses.asdict(odd)
    assert isinstance(plain_dict(odd)["b"], tuple)


def test_restored_after_block() -> None:
    original = helping.dictify
    with fast_records():
        with fast_records():
            assert helping.dictify is plain_dict
        assert helping.dictify is plain_dict
    assert helping.dictify is original


def test_same_json_on_the_corpus_chain() -> None:
    from tests.conftest import corpus_path

    streams = [corpus_path("keri", "gleif-root-and-external.cesr").read_bytes(),
               corpus_path("keri", "le-vlei-chain.cesr").read_bytes()]
    seen = _records_seen([[b"".join(streams)]])
    assert len(seen) > 10
    for r in seen:
        assert json.dumps(plain_dict(r), separators=(",", ":"), ensure_ascii=False) == \
            json.dumps(dataclasses.asdict(r), separators=(",", ":"), ensure_ascii=False)
