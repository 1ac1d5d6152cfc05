"""JSON-LD guards of vvp.evidence._jsonld with contexts of the tests' own (no corpus needed):
frozen loading, undefined-term detection at the point of expansion, and the canonicalisation
work limit against poison graphs. Timings are measured by benchmarks/bench_foreign.py, never
asserted here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vvp import codes
from vvp.evidence import _jsonld
from vvp.evidence._jsonld import ContextSet, JsonLdFailure, WorkBudget, canonicalize

CTX = "https://test.example/ctx/v1"
VOCAB_CTX = "https://test.example/vocab/v1"
CONTEXTS: dict[str, Any] = {
    CTX: {"@context": {"@protected": True, "id": "@id", "type": "@type",
                       "Thing": "https://schema.org/Thing", "name": "https://schema.org/name",
                       "knows": {"@id": "https://schema.org/knows", "@type": "@id"},
                       "schema": {"@id": "https://schema.org/", "@prefix": True},
                       "dropped": None}},
    VOCAB_CTX: {"@context": {"@vocab": "https://test.example/terms#"}},
}


@pytest.fixture
def contexts(tmp_path: Path) -> ContextSet:
    paths = {}
    for i, (url, doc) in enumerate(CONTEXTS.items()):
        p = tmp_path / f"c{i}.jsonld"
        p.write_text(json.dumps(doc))
        paths[url] = p
    return ContextSet.load(paths)


def doc(body: dict[str, Any], *ctx: str) -> dict[str, Any]:
    return {"@context": list(ctx or (CTX,)), "id": "urn:example:1", "type": "Thing", **body}


def fails(d: Any, contexts: ContextSet, code: str, budget: WorkBudget | None = None) -> JsonLdFailure:
    with pytest.raises(JsonLdFailure) as e:
        canonicalize(d, contexts, budget or WorkBudget())
    assert e.value.code == code, e.value.message
    return e.value


def test_defined_terms_canonicalise(contexts: ContextSet) -> None:
    c = canonicalize(doc({"name": "A", "schema:legalName": "B", "https://schema.org/url": "C"}), contexts,
                     WorkBudget())
    assert c.nquads.splitlines() == sorted([
        '<urn:example:1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Thing> .',
        '<urn:example:1> <https://schema.org/legalName> "B" .',
        '<urn:example:1> <https://schema.org/name> "A" .',
        '<urn:example:1> <https://schema.org/url> "C" .'])
    assert c.quads == 4 and c.blank_nodes == 0


@pytest.mark.parametrize("body,what", [
    ({"undefinedTerm": "x"}, "undefinedTerm"),          # no @vocab: JSON-LD would drop it silently
    ({"dropped": "x"}, "dropped"),                      # mapped to null
    ({"ex:foo": "x"}, "ex:foo"),                        # a prefix nobody defined
    ({"@foo": "x"}, "@foo"),                            # keyword-like, ignored by JSON-LD
    ({"_:b0": "x"}, "_:b0"),                            # a blank node as a property
    ({"knows": {"id": "urn:x", "unknown": 1}}, "unknown"),  # nested objects too
])
def test_undefined_terms_are_errors(contexts: ContextSet, body: dict[str, Any], what: str) -> None:
    f = fails(doc(body), contexts, codes.VC_TERM_UNDEFINED)
    assert what in f.message


def test_undefined_types_and_relative_iris(contexts: ContextSet) -> None:
    d = doc({})
    d["type"] = ["Thing", "UndefinedType"]
    assert "UndefinedType" in fails(d, contexts, codes.VC_TERM_UNDEFINED).message
    assert "relative" in fails(doc({"knows": "not/absolute"}), contexts, codes.VC_TERM_UNDEFINED).message
    d2 = doc({})
    d2["id"] = "relative-id"
    fails(d2, contexts, codes.VC_TERM_UNDEFINED)


def test_a_configured_vocab_defines_terms(contexts: ContextSet) -> None:
    c = canonicalize(doc({"anything": "x"}, CTX, VOCAB_CTX), contexts, WorkBudget())
    assert "<https://test.example/terms#anything>" in c.nquads


def test_the_base_contexts_issuer_dependent_vocab_is_not_a_definition(tmp_path: Path) -> None:
    p = tmp_path / "idv.jsonld"
    p.write_text(json.dumps({"@context": {"@vocab": _jsonld.ISSUER_DEPENDENT_VOCAB}}))
    cs = ContextSet.load({"https://test.example/idv": p})
    f = fails({"@context": "https://test.example/idv", "@id": "urn:x", "legalName": "A"}, cs,
              codes.VC_TERM_UNDEFINED)
    assert "issuer-dependent" in f.message


def test_contexts_are_never_fetched(contexts: ContextSet) -> None:
    fails(doc({"name": "A"}, CTX, "https://not-configured.example/ctx"), contexts, codes.VC_CONTEXT_UNAVAILABLE)


@pytest.mark.parametrize("ctx", [{"@vocab": "https://evil.example/"}, [CTX, {"name": "https://evil.example/n"}],
                                 None, []])
def test_inline_contexts_are_refused(contexts: ContextSet, ctx: Any) -> None:
    fails({"@context": ctx, "@id": "urn:x"}, contexts, codes.VC_CONTEXT_INLINE)
    fails(doc({"knows": {"@context": ctx, "id": "urn:y"}}), contexts, codes.VC_CONTEXT_INLINE)


def test_normative_hash_of_the_base_contexts(tmp_path: Path) -> None:
    p = tmp_path / "fake-v2.jsonld"
    p.write_text(json.dumps({"@context": {"@vocab": "https://evil.example/"}}))
    cs = ContextSet.load({_jsonld.BASE_CONTEXT_V2: p})
    assert _jsonld.BASE_CONTEXT_V2 in cs.problems and _jsonld.BASE_CONTEXT_V2 not in cs.documents
    fails({"@context": _jsonld.BASE_CONTEXT_V2, "@id": "urn:x"}, cs, codes.VC_CONTEXT_INVALID)


def test_unreadable_context_file(tmp_path: Path) -> None:
    p = tmp_path / "broken.jsonld"
    p.write_text('{"@context": {"a": "https://x/a", "a": "https://x/b"}}')  # a repeated key
    cs = ContextSet.load({"https://test.example/broken": p})
    fails({"@context": "https://test.example/broken", "@id": "urn:x"}, cs, codes.VC_CONTEXT_INVALID)


def test_resolved_contexts_are_cached_per_context_set(contexts: ContextSet, tmp_path: Path) -> None:
    canonicalize(doc({"name": "A"}), contexts, WorkBudget())
    assert CTX in contexts.resolved
    # another set serving different bytes under the same URL is not affected by that cache
    other = tmp_path / "other.jsonld"
    other.write_text(json.dumps({"@context": {"id": "@id", "type": "@type", "Thing": "https://schema.org/Thing"}}))
    fails(doc({"name": "A"}), ContextSet.load({CTX: other}), codes.VC_TERM_UNDEFINED)


def test_control_characters_that_pyld_escapes_differently(contexts: ContextSet) -> None:
    fails(doc({"name": "a\bb"}), contexts, codes.VC_LITERAL_UNSUPPORTED)
    assert "\\t" in canonicalize(doc({"name": "a\tb"}), contexts, WorkBudget()).nquads


def clique(n: int) -> dict[str, Any]:
    return {"@context": [CTX], "@graph": [{"id": f"_:n{i}", "knows": [f"_:n{j}" for j in range(n) if j != i]}
                                          for i in range(n)]}


def test_small_cliques_canonicalise_within_the_limit(contexts: ContextSet) -> None:
    for n in (3, 4):
        b = WorkBudget()
        c = canonicalize(clique(n), contexts, b)
        assert c.blank_nodes == n and 0 < b.used < _jsonld.MAX_WORK


@pytest.mark.parametrize("n", [7, 8, 10, 12])
def test_poison_cliques_stop_at_the_work_limit(contexts: ContextSet, n: int) -> None:
    b = WorkBudget()
    f = fails(clique(n), contexts, codes.VC_CANONICALIZATION_LIMIT, b)
    assert f.indeterminate
    # the count stops at the limit (plus at most one charge of a single copy or quad walk)
    assert _jsonld.MAX_WORK < b.used <= _jsonld.MAX_WORK + 1 + _jsonld.MAX_BLANK_NODES


def test_other_poison_shapes_stop_at_the_work_limit(contexts: ContextSet) -> None:
    ring = {"@context": [CTX], "@graph": [{"id": f"_:r{i}", "knows": f"_:r{(i + 1) % 150}"} for i in range(150)]}
    fails(ring, contexts, codes.VC_CANONICALIZATION_LIMIT)
    bip = {"@context": [CTX], "@graph": [{"id": f"_:a{i}", "knows": [f"_:b{j}" for j in range(8)]} for i in range(8)]}
    fails(bip, contexts, codes.VC_CANONICALIZATION_LIMIT)


def test_size_caps_before_canonicalising(contexts: ContextSet) -> None:
    many = {"@context": [CTX], "@graph": [{"name": f"n{i}"} for i in range(_jsonld.MAX_BLANK_NODES + 1)]}
    b = WorkBudget()
    f = fails(many, contexts, codes.VC_CANONICALIZATION_LIMIT, b)
    assert "blank nodes" in f.message and b.used == 0


def test_a_small_budget_is_honoured(contexts: ContextSet) -> None:
    fails(clique(4), contexts, codes.VC_CANONICALIZATION_LIMIT, WorkBudget(50))


def test_the_strict_expansion_hook_is_in_place() -> None:
    # pyld is pinned <3 because the check overrides its private _expand_object; if pyld renamed it,
    # the override would silently never run. The parameter names must match pyld's own.
    import inspect

    from pyld import jsonld

    ours = list(inspect.signature(_jsonld._StrictProcessor._expand_object).parameters)
    theirs = list(inspect.signature(jsonld.JsonLdProcessor._expand_object).parameters)
    assert ours == theirs
    assert hasattr(jsonld.URDNA2015, "hash_n_degree_quads") and hasattr(jsonld.URDNA2015, "create_hash_to_related")


def test_json_value_cap(contexts: ContextSet) -> None:
    # pyld's RDF conversion is quadratic in the values of one property: the document size is capped
    wide = doc({"knows": [f"urn:x:{i}" for i in range(_jsonld.MAX_VALUES)]})
    b = WorkBudget()
    f = fails(wide, contexts, codes.VC_CANONICALIZATION_LIMIT, b)
    assert "JSON values" in f.message and b.used == 0
    assert canonicalize(doc({"knows": [f"urn:x:{i}" for i in range(100)]}), contexts, WorkBudget()).quads == 101
