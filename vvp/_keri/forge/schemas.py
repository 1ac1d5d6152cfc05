"""ACDC schema SAIDs computed and checked exactly as keri does, for the project's own schemas.

Every ``$id`` of an ACDC schema (the top one and those of nested ``a``/``e``/``r`` blocks) is the
SAID of its JSON object by ``Saider.saidify`` with label ``$id``, innermost first: what keri's
``Schemer`` checks when it loads a schema. The schema sets and the maintenance tool around these
functions live in :mod:`vvp.testing.worldgen.schemas`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from keri.core import coring, scheming


class SchemaSaidError(ValueError):
    """keri does not load these bytes as a schema whose ``$id`` is its SAID."""


def verified_said(raw: bytes) -> str:
    """The ``$id`` SAID of a schema, after keri's ``Schemer`` checked that it is the SAID of the
    schema and that the schema is a JSON Schema; :class:`SchemaSaidError` otherwise."""
    try:
        schemer = scheming.Schemer(raw=raw)
    except Exception as ex:  # noqa: BLE001 - keri raises several types; all mean "not this schema"
        raise SchemaSaidError(f"{type(ex).__name__}: {ex}") from None
    return str(schemer.said)


def _saidify_nested(node: Any, top: bool) -> Any:
    if isinstance(node, list):
        return [_saidify_nested(x, False) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _saidify_nested(v, False) for k, v in node.items()}
    if not top and "$id" in out:
        _, out = coring.Saider.saidify(sad=out, label="$id")
    return out


def saidify_schema(sed: Mapping[str, Any]) -> dict[str, Any]:
    """Fill every ``$id``: nested blocks innermost first, then the schema itself."""
    inner = _saidify_nested(copy.deepcopy(dict(sed)), True)
    _, out = coring.Saider.saidify(sad=inner, label="$id")
    return dict(out)


def check_schema_ids(sed: Mapping[str, Any]) -> list[str]:
    """Every ``$id`` that is not the SAID of its object (empty list: all correct)."""
    bad: list[str] = []

    def walk(node: Any, path: str, top: bool) -> None:
        if isinstance(node, list):
            for i, x in enumerate(node):
                walk(x, f"{path}[{i}]", False)
            return
        if not isinstance(node, dict):
            return
        for k, v in node.items():
            walk(v, f"{path}/{k}", False)
        if "$id" in node:
            said = node["$id"]
            try:
                ok = coring.Saider(qb64=said, label="$id").verify(node, prefixed=True, label="$id")
            except Exception:  # noqa: BLE001 - an unparsable $id is simply wrong
                ok = False
            if not ok:
                bad.append(f"{path or '/'}: {said!r}")

    walk(sed, "", True)
    return bad
