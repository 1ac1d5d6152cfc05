"""Schemas by SAID: the trust store's schema files (bytes read when the store was loaded), the
package's own ``schemas/acdc``, then ``said:`` entries through the fetcher; SAIDs checked by keri and
validators compiled once per schema (V-10)."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import jsonschema  # type: ignore[import-untyped]
import jsonschema_rs

from vvp._keri.acdc import schema_said as _schema_said
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, Fetcher

if TYPE_CHECKING:
    from vvp.dossier.policy import DossierPolicy


_SAID_RE = re.compile(r"(?<![-\w])([EFGHI][-\w]{43}|0[DEFG][-\w]{86})(?![-\w])")


_MAX_SCHEMA_BYTES = 1 << 20


_PACKAGE_SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "acdc"


def schema_index(files: Iterable[bytes]) -> dict[str, tuple[bytes, ...]]:
    """Schema files by the ``$id`` they claim (a claim only: :meth:`_SchemaIndex.accept` checks it)."""
    idx: dict[str, list[bytes]] = {}
    for raw in files:
        if len(raw) > _MAX_SCHEMA_BYTES:
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        sid = obj.get("$id") if isinstance(obj, dict) else None
        if isinstance(sid, str) and _SAID_RE.fullmatch(sid):
            idx.setdefault(sid, []).append(raw)
    return {k: tuple(v) for k, v in idx.items()}


@functools.cache
def package_schemas() -> Mapping[str, tuple[bytes, ...]]:
    """The project's own ACDC schemas (package data: immutable for the life of the process)."""
    files: list[bytes] = []
    if _PACKAGE_SCHEMAS.is_dir():
        for f in sorted(_PACKAGE_SCHEMAS.rglob("*.json")):
            with contextlib.suppress(OSError):
                files.append(f.read_bytes())
    return MappingProxyType(schema_index(files))


class _SchemaIndex:
    """Process-wide and keyed by content only: schemas whose SAID keri has verified, and their
    compiled validators (a pure function of the schema's bytes, so sharing them across trust
    stores cannot leak one store's choices into another's verdicts)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.verified: dict[str, tuple[bytes, Mapping[str, Any]]] = {}
        self.validators: dict[str, Any] = {}
        self.fast: dict[str, jsonschema_rs.Validator | None] = {}
        self.compilations = 0

    def accept(self, said: str, raw: bytes) -> Mapping[str, Any] | None:
        """The schema when ``raw`` is a JSON Schema whose ``$id`` is ``said`` and its SAID (keri's
        Schemer checks it, once per distinct content)."""
        with self.lock:
            got = self.verified.get(said)
        if got is not None and got[0] == raw:
            return got[1]
        if _schema_said(raw) != said:
            return None
        try:
            sed = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(sed, dict):
            return None
        with self.lock:
            self.verified[said] = (raw, sed)
        return sed

    def validator(self, said: str, sed: Mapping[str, Any]) -> Any:
        with self.lock:
            v = self.validators.get(said)
        if v is None:
            cls = jsonschema.validators.validator_for(sed)
            v = cls(sed)
            with self.lock:
                self.validators[said] = v
                self.compilations += 1
        return v


_SCHEMAS = _SchemaIndex()


class SchemaSource:
    """Schemas by SAID: the policy's schema files (the trust store's, then the package's own), then a
    ``said:<SAID>`` entry through the fetcher (an evidence map). Lookups are cached per source."""

    def __init__(self, policy: DossierPolicy, fetcher: Fetcher | None = None) -> None:
        self._policy = policy
        self.fetcher = fetcher
        self._found: dict[str, Mapping[str, Any]] = {}
        self._misses: dict[str, str] = {}

    def get(self, said: str) -> tuple[Mapping[str, Any] | None, str]:
        """(schema, "") or (None, why not). Only this source's files and fetcher count, so a
        verdict never depends on what else the process verified before."""
        if said in self._found:
            return self._found[said], ""
        if said in self._misses:
            return None, self._misses[said]
        for raw in self._policy.schemas_by_said.get(said, ()):
            sed = _SCHEMAS.accept(said, raw)
            if sed is not None:
                self._found[said] = sed
                return sed, ""
        why = "not in the schema folders"
        if self.fetcher is not None:
            try:
                got = self.fetcher.fetch(f"said:{said}", EvidenceKind.SCHEMA)
                sed = _SCHEMAS.accept(said, got.body)
                if sed is not None:
                    self._found[said] = sed
                    return sed, ""
                why = "the schema obtained for it does not hash to its SAID"
            except FetchError as ex:
                why += f", and said:{said} is not obtainable ({ex.code})"
        self._misses[said] = why
        return None, why


def _local_refs_only(node: Any) -> bool:
    """Every ``$ref``/``$dynamicRef`` of a schema points inside it (``#...``): nothing to fetch."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("$ref", "$dynamicRef", "$recursiveRef") and not (isinstance(v, str) and v.startswith("#")):
                return False
            if not _local_refs_only(v):
                return False
    elif isinstance(node, list):
        return all(_local_refs_only(x) for x in node)
    return True


def fast_validator_for(said: str, sed: Mapping[str, Any]) -> jsonschema_rs.Validator | None:
    """A compiled ``jsonschema_rs`` validator of a self-contained schema (made once per SAID for
    the whole process), or None (a reference outside it, or a schema it will not compile).

    Why: ``jsonschema``'s validation of a dossier's credentials was about 2 ms of a first dossier
    (8 credentials, ``oneOf`` blocks walked branch by branch in Python); the compiled one checks
    them in about 15 µs. It only ever *passes* a credential: whenever it finds fault (or cannot
    answer) ``jsonschema`` judges and words the failure, so V-10's messages are ``jsonschema``'s.
    Formats are not asserted (as ``jsonschema`` without a format checker), nothing is fetched."""
    with _SCHEMAS.lock:
        if said in _SCHEMAS.fast:
            return _SCHEMAS.fast[said]
    v: jsonschema_rs.Validator | None = None
    if _local_refs_only(sed):
        try:
            v = jsonschema_rs.validator_for(dict(sed), validate_formats=False, offline=True)
        except Exception:  # noqa: BLE001 - no fast path: jsonschema judges (and says why)
            v = None
    with _SCHEMAS.lock:
        _SCHEMAS.fast[said] = v
        _SCHEMAS.compilations += 1
    return v


def fast_valid(v: jsonschema_rs.Validator | None, instance: Any) -> bool:
    """True only when ``v`` (:func:`fast_validator_for`) finds ``instance`` valid; False also when
    it cannot answer (the caller then asks ``jsonschema``)."""
    if v is None:
        return False
    try:
        return bool(v.is_valid(instance))
    except Exception:  # noqa: BLE001 - e.g. a number beyond its range: jsonschema judges
        return False


def validator_for(said: str, sed: Mapping[str, Any]) -> Any:
    """The compiled validator of a schema, made once per schema SAID for the whole process."""
    return _SCHEMAS.validator(said, sed)


def schema_compilations() -> int:
    """How many schema validators this process has compiled: compiling is the costly part of
    V-10, so tests and the benchmark count it to prove a warm call compiles nothing."""
    return _SCHEMAS.compilations
