"""JSON as vvp reads it from outside: duplicate keys and the constants NaN/Infinity refused.

Python's ``json`` silently keeps the last of two equal keys, so two parsers can read two different
documents from the same bytes (the classic JOSE and ACDC confusion). Every JSON document vvp reads
from outside (trust stores, records, credentials, dossier wrappers, PASSporTs) goes through the
hook here; callers turn :class:`DuplicateKeyError` (a ValueError) into their own coded error.

Depth is limited before parsing: Python's ``json`` recurses once per nesting level and raises
``RecursionError`` at about a thousand, which is not a ``ValueError`` and, caught nowhere, became an
internal error for a 100,000-deep trust store. :func:`loads` refuses anything deeper than
``max_depth`` (:data:`DEFAULT_MAX_DEPTH`) with :class:`DepthError` (a ValueError), counted on the
raw text without recursion; callers map it to ``INPUT_TOO_DEEP`` or their own not-JSON code.
"""

from __future__ import annotations

import json
import re
from array import array
from itertools import accumulate
from typing import Any

DEFAULT_MAX_DEPTH = 256
"""Deeper than any document vvp reads (ACDCs, schemas, records, trust stores nest a few tens of
levels), far enough below the interpreter's recursion limit to parse wherever it is called."""

# Depth is counted on the brackets outside strings: escaped backslashes and quotes are dropped
# (leftmost pairs first, which is how escapes pair), everything but quotes and brackets deleted,
# strings (now just quotes around brackets) removed, brackets turned into +1/-1 and summed.
_KEEP = b'"[]{}'
_DELETE = bytes(c for c in range(256) if c not in _KEEP)
_STRING = re.compile(rb'"[^"]*"')
_SIGNS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")


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


class DepthError(ValueError):
    """The document nests deeper than the limit (arrays and objects)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nests deeper than {limit} levels")
        self.limit = limit


def depth_exceeds(raw: bytes | str, limit: int) -> bool:
    """Whether ``raw`` opens more than ``limit`` arrays/objects inside one another (brackets in
    strings do not count), found without recursion and at C speed (see the comment above the
    tables). Free in the common case: a text with at most ``limit`` opening brackets in all cannot
    be deeper. An unbalanced text, which is not JSON anyway, may be reported as too deep."""
    if isinstance(raw, str):
        if raw.count("[") + raw.count("{") <= limit:
            return False
        data = raw.encode("utf-8", "surrogatepass")
    else:
        if raw.count(b"[") + raw.count(b"{") <= limit:
            return False
        data = raw
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    signs = _STRING.sub(b"", data.translate(None, _DELETE)).translate(_SIGNS)
    return max(accumulate(array("b", signs)), default=0) > limit


def loads(raw: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse JSON strictly; raises ValueError (DuplicateKeyError for a repeated key, DepthError
    for nesting deeper than ``max_depth``)."""
    if depth_exceeds(raw, max_depth):
        raise DepthError(max_depth)
    try:
        return json.loads(raw, object_pairs_hook=object_pairs, parse_constant=refuse_constant)
    except RecursionError:  # only when called with little stack left: still a coded refusal
        raise DepthError(max_depth) from None
