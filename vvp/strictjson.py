"""JSON as vvp reads it from outside: duplicate keys and the constants NaN/Infinity refused.

Python's ``json`` silently keeps the last of two equal keys, so two parsers can read two different
documents from the same bytes (the classic JOSE and ACDC confusion). Every JSON document vvp reads
from outside (trust stores, records, credentials, dossier wrappers, PASSporTs) goes through the
hook here; callers turn :class:`DuplicateKeyError` (a ValueError) into their own coded error.
"""

from __future__ import annotations

import json
from typing import Any


class DuplicateKeyError(ValueError):
    """An object repeats a key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` that refuses a repeated key."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise DuplicateKeyError(k)
        out[k] = v
    return out


def refuse_constant(name: str) -> Any:
    """``parse_constant`` that refuses ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON)."""
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes | str) -> Any:
    """Parse JSON strictly; raises ValueError (DuplicateKeyError for a repeated key)."""
    return json.loads(raw, object_pairs_hook=object_pairs, parse_constant=refuse_constant)
