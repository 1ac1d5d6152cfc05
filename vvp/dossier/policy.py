"""What the dossier checks take from the trust store, as plain values (:class:`DossierPolicy`),
and the vocabulary of roles, questions and operators."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vvp.dossier.graph import stream_digest
from vvp.dossier.schemas import package_schemas, schema_index

CLAIM = "dossier"




# Which trust question a schema role answers (architecture §4.2).
ROLE_QUESTION: Mapping[str, str] = {"vetting": "identity", "qvi": "identity", "tn_allocation": "tn",
                                    "brand": "brand"}


QUESTIONS: tuple[str, ...] = ("identity", "tn", "brand")


OPERATORS: frozenset[str] = frozenset({"I2I", "NI2I", "DI2I"})


# The ToIP base dossier schema SAID a compliant dossier schema $refs (vvp-protocol §3.4).
BASE_DOSSIER_SCHEMA = "EBLnGaNHgEnOvMDqnQO8lpzPQqfZRxC_Rdoinii5buGz"


@dataclass(frozen=True, slots=True)
class DossierPolicy:
    """What the dossier checks need from the trust store, as plain values.

    ``roots`` maps each question (``identity``, ``tn``, ``brand``) to its root AIDs;
    ``schema_roles`` maps each role to its schema SAIDs; ``schema_files`` are the bytes of the
    trust store's JSON Schema files, read when the trust store was loaded (never re-read by path
    during a call); ``revocation_freshness_s`` bounds how long a cached dossier fetch is reused (V-07).
    """

    roots: Mapping[str, frozenset[str]] = field(default_factory=dict)
    schema_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    schema_files: tuple[bytes, ...] = ()
    min_issuer_witnesses: int = 1
    revocation_freshness_s: float = 300.0
    _key: tuple[Any, ...] = field(default=(), init=False, repr=False, compare=False)
    _index: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The cache key is computed once (every warm call needs it, and sorting it costs more than
        # the rest of a result-cache hit). A policy is a value: the mappings are copied here, so
        # what the caller passed can change afterwards without making the key lie. Schemas enter
        # the key by content, so a replaced schema file loaded again is a different policy.
        object.__setattr__(self, "roots", {q: frozenset(v) for q, v in self.roots.items()})
        object.__setattr__(self, "schema_roles", {r: tuple(v) for r, v in self.schema_roles.items()})
        # the trust store's schemas first, then the package's own (read once per process, when the
        # first policy is made: never during a call)
        own, pkg = schema_index(self.schema_files), package_schemas()
        object.__setattr__(self, "_index", {s: own.get(s, ()) + pkg.get(s, ()) for s in {*own, *pkg}})
        object.__setattr__(self, "_key", (
            tuple(sorted((q, tuple(sorted(v))) for q, v in self.roots.items())),
            tuple(sorted((r, tuple(v)) for r, v in self.schema_roles.items())),
            stream_digest(self.schema_files), self.min_issuer_witnesses))

    @classmethod
    def from_trust(cls, trust: Any) -> DossierPolicy:
        """From a :class:`vvp.trust.TrustStore` (read duck-typed: this layer may not import it):
        the loaded bytes of its ``schemas`` files (``*.json`` inside folders, any named file)."""
        roots = {q: frozenset(trust.roots.for_question(q)) for q in QUESTIONS}
        files = tuple(data for tf in trust.files_of("schemas") for rel, data in tf.entries
                      if tf.type == "file" or rel.endswith(".json"))
        return cls(roots=roots, schema_roles={k: tuple(v) for k, v in trust.schema_roles.items()},
                   schema_files=files, min_issuer_witnesses=int(trust.policy.min_issuer_witnesses),
                   revocation_freshness_s=float(trust.policy.revocation_freshness_s))

    @classmethod
    def with_schema_dirs(cls, dirs: Sequence[Path], **kw: Any) -> DossierPolicy:
        """A policy whose schemas are read now from ``dirs`` (tests and tools outside a trust store)."""
        files: list[bytes] = []
        for d in dirs:
            for f in ([d] if d.is_file() else sorted(d.rglob("*.json"))):
                with contextlib.suppress(OSError):
                    files.append(f.read_bytes())
        return cls(schema_files=tuple(files), **kw)

    @property
    def schemas_by_said(self) -> Mapping[str, tuple[bytes, ...]]:
        """The policy's schema files by the SAID their ``$id`` claims (checked when used)."""
        return self._index

    def roles_of(self, schema: str) -> tuple[str, ...]:
        return tuple(r for r, saids in self.schema_roles.items() if schema in saids)

    def roots_for(self, question: str) -> frozenset[str]:
        return frozenset(self.roots.get(question, frozenset()))

    def key(self) -> tuple[Any, ...]:
        """A hashable digest of everything a result depends on (cache keys)."""
        return self._key
