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


def validator_for(said: str, sed: Mapping[str, Any]) -> Any:
    """The compiled validator of a schema, made once per schema SAID for the whole process."""
    return _SCHEMAS.validator(said, sed)


def schema_compilations() -> int:
    """How many schema validators this process has compiled: compiling is the costly part of
    V-10, so tests and the benchmark count it to prove a warm call compiles nothing."""
    return _SCHEMAS.compilations
