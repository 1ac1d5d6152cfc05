"""JSON-LD for W3C Data Integrity: a frozen context loader, strict expansion, bounded RDFC-1.0.

pyld (2.0.x) does the JSON-LD work; three things it does not do are added here, each because a
verifier that skips it can be made to say VALID about data nobody signed, or to spin for minutes:

**Frozen contexts.** Contexts come only from ``foreign.contexts`` (URL → file), read once per
trust store (:class:`ContextSet`). A context URL that is not there is never fetched: the loader
records it and the VC is INDETERMINATE (``VC_CONTEXT_UNAVAILABLE``). For the two W3C base contexts
the file must be the normative one (its SHA-256 is published): another file under that URL would
silently change what every VC means. pyld's resolved contexts are cached per :class:`ContextSet`
(pyld's own cache is process-wide and keyed by URL only, so it is never used).

**No dropped or undefined terms.** pyld drops, without a word, every key that does not expand to
an absolute IRI, and RDF conversion drops triples with relative IRIs or blank-node predicates, so
the signed graph (what the signature covers) can lack data that a reader of the JSON sees. The
strict processor checks every key and ``@type`` value at the exact point where pyld expands it
(under the same active context, with scoped contexts applied): it must be a keyword, a term the
contexts define, an absolute IRI, a compact IRI with a defined prefix, or fall under an ``@vocab``
a configured context declares, except the issuer-dependent ``@vocab`` of the VCDM 2.0 base context,
which is exactly the vocabulary of undefined terms. The expanded document is then checked for
relative IRIs and blank-node predicates. Either is ``VC_TERM_UNDEFINED``.

**A work limit on canonicalisation.** RDFC-1.0 (URDNA2015 in pyld) is exponential on graphs of
indistinguishable blank nodes (a clique of 8 took 74 s in evidence-formats §4.4). Before
canonicalising, the document may hold at most :data:`MAX_VALUES` JSON values (pyld's own RDF
conversion is quadratic in the values of one property) and the dataset at most
:data:`MAX_QUADS` quads and :data:`MAX_BLANK_NODES` blank nodes; during it, a :class:`WorkBudget`
counts every lookup in the canonical identifier issuer and every Hash N-Degree Quads call (and
charges copies of temporary issuers and walks over a node's quads by their size), and stops at
:data:`MAX_WORK`. Every permutation the
algorithm tries starts with such a lookup, so the count bounds the permutations, the recursion
and the loops around them; the work per unit is bounded by the blank-node cap. The limit is a
count, not a clock, on purpose: the same VC must give the same verdict when a forensic record is
re-verified on another machine under another load, which a deadline cannot promise (and a
subprocess with a timeout would add its start-up cost to every VC). docs/evidence.md gives the
measured worst case.

pyld 2.0.x's N-Quads serialiser escapes only ``\\ \\t \\n \\r "`` while RDFC-1.0 also escapes
``\\b``, ``\\f`` and the other control characters; a literal holding one is refused
(``VC_LITERAL_UNSUPPORTED``) rather than hashed in a form another implementation would not produce.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pyld import jsonld  # type: ignore[import-untyped,unused-ignore]
from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped,unused-ignore]

from vvp import codes, jose
from vvp.evidence._trustfiles import read_trust_file

MAX_VALUES: Final = 512
"""JSON values (objects, arrays, scalars) of one document. pyld merges the values of a property
with a linear search each (``_create_node_map``), so its time grows with the square of the values
one subject ends up with, and values written as separate objects with the same id merge too: only
a cap on all values bounds it (1,000 values in one property took 0.12 to 0.3 s, 500 a quarter of
that). The VCs vvp reads state a name, identifiers and a few numbers: some dozens of values."""
MAX_QUADS: Final = 2000
"""A VC with a few dozen claims makes 20 to 100 quads; 2,000 allows large credentials."""
MAX_BLANK_NODES: Final = 200
"""Every JSON object without an id is a blank node; a VC listing many numbers as objects may hold
a hundred. The cap also bounds the cost of one unit of :class:`WorkBudget`."""
MAX_WORK: Final = 50000
"""Issuer lookups plus Hash N-Degree Quads calls per artifact (all its canonicalisations). An
ordinary VC uses well under 100 (docs/evidence.md has the figures)."""

BASE_CONTEXT_V2: Final = "https://www.w3.org/ns/credentials/v2"
BASE_CONTEXT_V1: Final = "https://www.w3.org/2018/credentials/v1"
NORMATIVE_CONTEXT_SHA256: Final[Mapping[str, str]] = {
    BASE_CONTEXT_V2: "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    BASE_CONTEXT_V1: "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc",
}
"""VCDM 2.0 §B.1: implementations treat the base contexts as already retrieved, with these hashes."""
ISSUER_DEPENDENT_VOCAB: Final = "https://www.w3.org/ns/credentials/issuer-dependent#"

_KEYWORDS: Final = frozenset({
    "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit", "@graph", "@id",
    "@import", "@included", "@index", "@json", "@language", "@list", "@nest", "@none", "@omitDefault",
    "@prefix", "@preserve", "@propagate", "@protected", "@requireAll", "@reverse", "@set", "@type",
    "@value", "@version", "@vocab"})
_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")  # pyld's own test
# Characters RDFC-1.0 escapes as \b, \f or \u00XX and pyld 2.0.x writes raw.
_UNESCAPED_BY_PYLD: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class JsonLdFailure(Exception):
    """A coded reason a document cannot be canonicalised; ``indeterminate`` says which status."""

    def __init__(self, code: str, message: str, *, indeterminate: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.indeterminate = indeterminate


class WorkBudget:
    """Counts canonicalisation work (module docstring) and stops at ``limit``."""

    def __init__(self, limit: int = MAX_WORK) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, units: int = 1) -> None:
        self.used += units
        if self.used > self.limit:
            raise JsonLdFailure(codes.VC_CANONICALIZATION_LIMIT,
                                f"RDFC-1.0 canonicalisation stopped after {self.limit} work units "
                                "(a poison graph of indistinguishable blank nodes)", indeterminate=True)


@dataclass(slots=True)
class ContextSet:
    """The contexts of one trust store: parsed documents, their SHA-256, and files that failed.
    Not frozen: it owns pyld's resolved-context cache for these contexts (filled as used)."""

    documents: Mapping[str, Any]
    sha256: Mapping[str, str]
    problems: Mapping[str, str]
    resolved: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def load(contexts: Mapping[str, Path], loaded: Sequence[bytes] | None = None) -> ContextSet:
        """Every configured context once: from ``loaded`` (the files' bytes in the order of
        ``contexts``, as the trust store read them when it was loaded) or else from the paths,
        read now. A bad file is recorded, not raised."""
        docs: dict[str, Any] = {}
        hashes: dict[str, str] = {}
        problems: dict[str, str] = {}
        if loaded is not None and len(loaded) != len(contexts):
            return ContextSet({}, {}, {url: f"the loaded trust store holds {len(loaded)} context files for "
                                            f"{len(contexts)} contexts" for url in contexts})
        for i, (url, path) in enumerate(contexts.items()):
            try:
                data = loaded[i] if loaded is not None else read_trust_file(path)
            except (OSError, ValueError) as e:
                problems[url] = f"{path}: {e}"
                continue
            digest = hashlib.sha256(data).hexdigest()
            hashes[url] = digest
            want = NORMATIVE_CONTEXT_SHA256.get(url)
            if want is not None and digest != want:
                problems[url] = f"{path} is not the normative {url} context (sha256 {digest[:16]}…, want {want[:16]}…)"
                continue
            try:
                doc = jose.loads_strict(data, what=f"context {url}")
            except jose.JoseError as e:
                problems[url] = f"{path}: {e.message}"
                continue
            if not isinstance(doc, dict) or "@context" not in doc:
                problems[url] = f"{path} is not a JSON-LD context document (no @context)"
                continue
            docs[url] = doc
        return ContextSet(docs, hashes, problems)

    def loader(self, asked: list[str]) -> Callable[[str, Any], dict[str, Any]]:
        """A pyld document loader over these contexts only; every URL asked for is noted in
        ``asked`` so that a refusal can be told apart from other JSON-LD errors."""

        def load(url: str, options: Any = None) -> dict[str, Any]:
            asked.append(url)
            doc = self.documents.get(url)
            if doc is None:
                raise LookupError(f"context {url} is not in the trust store")
            # 'static' lets pyld keep the resolved context in this set's own cache (resolved)
            return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                    "document": copy.deepcopy(doc), "tag": "static"}

        return load


def _term_problem(active_ctx: Mapping[str, Any], term: str) -> str | None:
    """Why ``term`` (a key or a type) is not defined under ``active_ctx``, or None (module docstring)."""
    if term.startswith("@"):
        return None if term in _KEYWORDS else "looks like a keyword but is none (JSON-LD ignores it)"
    mappings: Mapping[str, Any] = active_ctx.get("mappings", {})
    if term in mappings:
        m = mappings[term]
        iri = m.get("@id") if isinstance(m, dict) else None
        if iri is None:
            return "is mapped to null by the contexts (JSON-LD drops it)"
        if isinstance(iri, str) and iri.startswith(ISSUER_DEPENDENT_VOCAB):
            return "is an issuer-dependent (undefined) term"
        return None
    if ":" in term:
        prefix, suffix = term.split(":", 1)
        if prefix == "_":
            return "is a blank node identifier used as a property or type"
        if suffix.startswith("//") or prefix in ("urn", "did"):
            return None
        pm = mappings.get(prefix)
        if pm and pm.get("_prefix"):
            return None
        return f"uses the prefix {prefix!r}, which the contexts do not define"
    vocab = active_ctx.get("@vocab")
    if not isinstance(vocab, str):
        return "is not defined by the contexts (JSON-LD would drop it)"
    if vocab.startswith(ISSUER_DEPENDENT_VOCAB):
        return "is not defined by the contexts (only the base context's issuer-dependent @vocab would take it)"
    return None


class _StrictProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor with the undefined-term check at the point of expansion.

    Relies on pyld 2.0.x's ``_expand_object`` signature (pinned ``pyld>=2.0.4,<3`` in pyproject);
    tests/test_w3cvc.py proves the check fires, so a changed signature cannot pass silently."""

    def _expand_object(self, active_ctx: Any, active_property: Any, expanded_active_property: Any, element: Any,
                       expanded_parent: Any, options: Any, inside_list: bool = False, type_key: Any = None,
                       type_scoped_ctx: Any = None) -> Any:
        for key, value in element.items():
            if key == "@context":
                continue
            problem = _term_problem(active_ctx, key)
            if problem:
                raise JsonLdFailure(codes.VC_TERM_UNDEFINED, f"the term {key!r} {problem}")
            if self._expand_iri(active_ctx, key, vocab=True) == "@type":
                tctx = type_scoped_ctx if type_scoped_ctx is not None else active_ctx
                for t in value if isinstance(value, list) else [value]:
                    if isinstance(t, str):
                        tp = _term_problem(tctx, t)
                        if tp:
                            raise JsonLdFailure(codes.VC_TERM_UNDEFINED, f"the type {t!r} {tp}")
        return super()._expand_object(active_ctx, active_property, expanded_active_property, element,
                                      expanded_parent, options, inside_list=inside_list, type_key=type_key,
                                      type_scoped_ctx=type_scoped_ctx)


def _check_expanded(expanded: Any) -> None:
    """No relative IRI where RDF conversion would drop a triple, no blank-node predicate."""
    stack = [expanded]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict) or "@value" in node:
            continue
        ident = node.get("@id")
        if isinstance(ident, str) and not _ABSOLUTE_IRI.match(ident):
            raise JsonLdFailure(codes.VC_TERM_UNDEFINED,
                                f"the identifier {ident[:80]!r} is a relative IRI (RDF would drop its statements)")
        for t in node.get("@type", []) if isinstance(node.get("@type"), list) else []:
            if isinstance(t, str) and not _ABSOLUTE_IRI.match(t):
                raise JsonLdFailure(codes.VC_TERM_UNDEFINED, f"the type {t[:80]!r} is a relative IRI")
        for k, v in node.items():
            if k.startswith("_:"):
                raise JsonLdFailure(codes.VC_TERM_UNDEFINED, f"the property {k!r} is a blank node")
            if k in ("@graph", "@list", "@set", "@included") or not k.startswith("@"):
                stack.append(v)
            elif k == "@reverse" and isinstance(v, dict):
                stack.extend(v.values())


def find_inline_contexts(doc: Any) -> str | None:
    """A description of the first ``@context`` that is not a URL string (or list of them)."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                if k == "@context":
                    items = v if isinstance(v, list) else [v]
                    if not items or not all(isinstance(i, str) for i in items):
                        return "an embedded @context object (or a null/empty one)"
                else:
                    stack.append(v)
    return None


class _GuardedIssuer(jsonld.IdentifierIssuer):  # type: ignore[misc]
    """The canonical identifier issuer, counting every lookup against the budget."""

    def __init__(self, prefix: str, budget: WorkBudget) -> None:
        super().__init__(prefix)
        self._budget = budget

    def has_id(self, old: Any) -> bool:
        self._budget.spend()
        return old in self.existing

    def get_id(self, old: Any = None) -> Any:
        self._budget.spend()
        return super().get_id(old)


class _CountedTempIssuer(jsonld.IdentifierIssuer):  # type: ignore[misc]
    """A temporary issuer of Hash N-Degree Quads whose copies (one per permutation tried) are
    charged by their size: without this, one unit of work could cost a copy of 200 entries."""

    _budget: WorkBudget

    @classmethod
    def adopt(cls, issuer: Any, budget: WorkBudget) -> _CountedTempIssuer:
        new: _CountedTempIssuer = cls.__new__(cls)
        new.prefix, new.counter = issuer.prefix, issuer.counter
        new.existing, new.order = dict(issuer.existing), list(issuer.order)
        new._budget = budget
        return new

    def __deepcopy__(self, memo: Any) -> _CountedTempIssuer:
        self._budget.spend(1 + len(self.order) // COPY_ENTRIES_PER_UNIT)
        return _CountedTempIssuer.adopt(self, self._budget)


COPY_ENTRIES_PER_UNIT: Final = 8
"""Copying a temporary issuer of n entries costs 1 + n // 8 work units."""
QUADS_PER_UNIT: Final = 4
"""Relating a blank node to its neighbours walks its n quads: 1 + n // 4 work units."""


class _GuardedURDNA2015(jsonld.URDNA2015):  # type: ignore[misc]
    """URDNA2015 (= RDFC-1.0 with SHA-256) whose work is counted (module docstring)."""

    def __init__(self, budget: WorkBudget) -> None:
        super().__init__()
        self.canonical_issuer = _GuardedIssuer("_:c14n", budget)
        self._budget = budget

    def create_hash_to_related(self, id_: Any, issuer: Any) -> Any:
        # walks every quad of the node: charged by their number, or a node with many literal
        # quads would make one counted call cost a thousand steps
        self._budget.spend(1 + len(self.blank_node_info[id_]["quads"]) // QUADS_PER_UNIT)
        return super().create_hash_to_related(id_, issuer)

    def hash_n_degree_quads(self, id_: Any, issuer: Any) -> Any:
        self._budget.spend()
        if not isinstance(issuer, _CountedTempIssuer):  # the first call, from main(): count its copies
            issuer = _CountedTempIssuer.adopt(issuer, self._budget)
        return super().hash_n_degree_quads(id_, issuer)


@dataclass(frozen=True, slots=True)
class Canonical:
    """One document canonicalised: the RDFC-1.0 N-Quads, the expanded form, and their size."""

    nquads: str
    expanded: Any
    quads: int
    blank_nodes: int


def _dataset_size(dataset: Mapping[str, Any]) -> tuple[int, int]:
    quads = 0
    blanks: set[str] = set()
    for graph, triples in dataset.items():
        if graph.startswith("_:"):
            blanks.add(graph)
        for t in triples:
            quads += 1
            for pos in ("subject", "object"):
                c = t[pos]
                if c["type"] == "blank node":
                    blanks.add(c["value"])
                elif c["type"] == "literal" and _UNESCAPED_BY_PYLD.search(c["value"]):
                    raise JsonLdFailure(codes.VC_LITERAL_UNSUPPORTED,
                                        "a literal holds a control character that pyld escapes differently from "
                                        "RDFC-1.0", indeterminate=True)
    return quads, len(blanks)


def _count_values(doc: Any) -> int:
    count, stack = 0, [doc]
    while stack and count <= MAX_VALUES:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def canonicalize(doc: Any, contexts: ContextSet, budget: WorkBudget) -> Canonical:
    """RDFC-1.0 canonical N-Quads of ``doc`` with every guard of the module docstring.
    Raises :class:`JsonLdFailure`; never fetches."""
    values = _count_values(doc)
    if values > MAX_VALUES:
        raise JsonLdFailure(codes.VC_CANONICALIZATION_LIMIT,
                            f"the document holds more than {MAX_VALUES} JSON values", indeterminate=True)
    inline = find_inline_contexts(doc)
    if inline:
        raise JsonLdFailure(codes.VC_CONTEXT_INLINE, f"the document carries {inline}")
    asked: list[str] = []
    load = contexts.loader(asked)
    options = {"documentLoader": load, "base": "", "processingMode": "json-ld-1.1",
               "contextResolver": ContextResolver(contexts.resolved, load)}
    proc = _StrictProcessor()
    try:
        expanded = proc.expand(doc, dict(options))
        _check_expanded(expanded)
        # expanded input needs no contexts; the loader stays in place so nothing can fetch
        dataset = proc.to_rdf(expanded, {**options, "contextResolver": ContextResolver(contexts.resolved, load)})
    except JsonLdFailure:
        raise
    except Exception as e:  # pyld raises JsonLdError, and on odd input also KeyError/TypeError
        _raise_for(e, asked, contexts)
        raise  # unreachable: _raise_for always raises
    quads, blanks = _dataset_size(dataset)
    if quads > MAX_QUADS or blanks > MAX_BLANK_NODES:
        raise JsonLdFailure(codes.VC_CANONICALIZATION_LIMIT,
                            f"the graph has {quads} quads and {blanks} blank nodes (limits {MAX_QUADS} and "
                            f"{MAX_BLANK_NODES})", indeterminate=True)
    try:
        nquads = _GuardedURDNA2015(budget).main(dataset, {"format": "application/n-quads"})
    except JsonLdFailure:
        raise
    except Exception as e:
        raise JsonLdFailure(codes.VC_JSONLD_INVALID, f"canonicalisation failed: {_brief(e)}") from None
    if not isinstance(nquads, str):
        raise JsonLdFailure(codes.VC_JSONLD_INVALID, "canonicalisation returned no N-Quads")
    return Canonical(nquads, expanded, quads, blanks)


def _brief(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e)[:200]}"


def _raise_for(e: Exception, asked: list[str], contexts: ContextSet) -> None:
    for url in asked:
        if url in contexts.problems:
            raise JsonLdFailure(codes.VC_CONTEXT_INVALID, f"context {url}: {contexts.problems[url]}",
                                indeterminate=True) from None
        if url not in contexts.documents:
            raise JsonLdFailure(codes.VC_CONTEXT_UNAVAILABLE,
                                f"the context {url} is not in the trust store (foreign.contexts); "
                                "contexts are never fetched", indeterminate=True) from None
    cause: BaseException | None = e
    for _ in range(16):  # pyld wraps our own failure when it happens inside context processing
        if cause is None:
            break
        if isinstance(cause, JsonLdFailure):
            raise cause from None
        nxt = getattr(cause, "cause", None)
        cause = nxt if isinstance(nxt, BaseException) else cause.__cause__
    raise JsonLdFailure(codes.VC_JSONLD_INVALID, f"JSON-LD processing failed: {_brief(e)}") from None


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

