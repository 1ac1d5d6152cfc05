"""V-10's compiled fast path (``jsonschema_rs``) agrees with ``jsonschema`` on validity.

The fast validator only ever passes a credential (any fault it finds, ``jsonschema`` judges and
words), so the one way it could change a verdict is passing what ``jsonschema`` fails. This is
the differential: every credential of the test world, the corpus's example credentials, and
systematic mutations of each (fields removed, retyped, added; nested blocks emptied), against
their schemas, must get the same validity from both.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from tests.conftest import CORPUS
from vvp.dossier import schemas as dossier_schemas
from vvp.testing.world import build_world


def _mutations(sad: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The instance itself, then one change at a time at every object member (two levels deep)."""
    yield sad
    replacements: tuple[Any, ...] = (None, 7, 1.5, "", "x", [], {}, True, "E" + "A" * 43)

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        for k, v in node.items():
            yield (*path, k)
            if isinstance(v, dict) and len(path) < 2:
                yield from walk(v, (*path, k))

    for path in list(walk(sad, ())):
        for r in (*replacements, "delete"):
            m = copy.deepcopy(sad)
            parent = m
            for p in path[:-1]:
                parent = parent[p]
            if r == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = r
            yield m
    extra = copy.deepcopy(sad)
    extra["zz_extra"] = "x"
    yield extra
    if isinstance(sad.get("a"), dict):
        extra_a = copy.deepcopy(sad)
        extra_a["a"]["zz_extra"] = 1
        yield extra_a


def _agree(schema: dict[str, Any], instance: dict[str, Any]) -> None:
    fast = dossier_schemas.fast_validator_for(f"test:{json.dumps(schema, sort_keys=True)[:64]}:{id(schema)}", schema)
    slow = jsonschema.validators.validator_for(schema)(schema)
    slow_ok = not any(True for _ in slow.iter_errors(instance))
    if fast is None:
        return  # no fast path for this schema: jsonschema alone judges
    assert dossier_schemas.fast_valid(fast, instance) == slow_ok, json.dumps(instance)[:300]


def test_world_credentials_and_mutations_agree() -> None:
    w = build_world()
    checked = 0
    for c in w.credentials.values():
        schema = json.loads(w.schemas[c.schema])
        fast = dossier_schemas.fast_validator_for(c.schema, schema)
        assert fast is not None  # the world's schemas are self-contained: the fast path is used
        assert dossier_schemas.fast_valid(fast, dict(c.sad))
        for m in _mutations(dict(c.sad)):
            _agree(schema, m)
            checked += 1
    assert checked > 500


def _corpus_pairs() -> list[tuple[Path, Path]]:
    root = CORPUS / "schemas" / "provenant"
    if not root.is_dir():
        return []
    out = []
    for schema in sorted(root.rglob("*.schema.json")):
        for ex in sorted(schema.parent.glob("*example*.json")):
            out.append((schema, ex))
    return out


def test_corpus_examples_and_mutations_agree() -> None:
    pairs = _corpus_pairs()
    if not pairs:
        pytest.skip(f"needs the shared corpus beside the checkout: {CORPUS / 'schemas'} is missing")
    checked = 0
    for schema_path, example_path in pairs:
        schema, example = json.loads(schema_path.read_bytes()), json.loads(example_path.read_bytes())
        if not isinstance(schema, dict) or not isinstance(example, dict):
            continue
        for m in _mutations(example):
            _agree(schema, m)
            checked += 1
    assert checked > 100


def test_remote_reference_gets_no_fast_path() -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "properties": {"a": {"$ref": "https://example.invalid/other.json"}}}
    assert dossier_schemas.fast_validator_for("test:remote-ref", schema) is None
    local = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {"n": {"type": "integer"}},
             "properties": {"a": {"$ref": "#/$defs/n"}}}
    v = dossier_schemas.fast_validator_for("test:local-ref", local)
    assert v is not None
    assert dossier_schemas.fast_valid(v, {"a": 1}) and not dossier_schemas.fast_valid(v, {"a": "1"})


def test_unanswerable_instance_is_not_passed() -> None:
    v = dossier_schemas.fast_validator_for("test:int", {"type": "object", "properties": {"n": {"type": "integer"}}})
    assert v is not None
    huge = {"n": 10 ** 40}
    # whatever the compiled validator makes of a number beyond its range, it never passes what
    # jsonschema fails; here jsonschema passes it, and so may the fast path (or defer)
    assert dossier_schemas.fast_valid(v, huge) in (True, False)
    assert not dossier_schemas.fast_valid(None, {"n": 1})
