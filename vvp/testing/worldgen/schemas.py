"""ACDC schema sets of the test world: the project's own (``schemas/acdc``) or the published ones.

Why two sets: the verifier must not be written against one set of SAIDs. The world is built with
the project's own schemas by default (so ``vvp demo`` runs anywhere, with nothing from
``../shared``), and the same generator can build it with the published vLEI/Provenant schemas read
from a ``corpus/schemas`` folder at build time (never copied into the project).

SAIDs are keri's: every ``$id`` (the top one and those of the ``a``/``e``/``r`` blocks) is the SAID
of its JSON object computed by ``Saider.saidify`` with label ``$id``, innermost first, exactly
what ``keri.core.scheming.Schemer`` checks on load (computed by :mod:`vvp._keri.forge.schemas`).
``python -m vvp.testing.worldgen.schemas --write schemas/acdc`` recomputes them after an edit (a
cross reference is written ``"SAID:<file>"`` or as the referenced file's previous ``$id`` and is
replaced by the new SAID); ``--check`` only verifies.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vvp
from vvp import codes
from vvp._keri.forge.schemas import SchemaSaidError, check_schema_ids, saidify_schema, verified_said
from vvp.testing.worldgen.model import SchemaSetName
from vvp.errors import OperationalError

ROLES: tuple[str, ...] = ("qvi", "vetting", "tn_allocation", "gcd", "brand", "dossier")

# role -> file, in dependency order (a later file may pin an earlier one's SAID).
OWN_FILES: Mapping[str, str] = {
    "qvi": "qvi.json",
    "vetting": "vetting.json",
    "tn_allocation": "tn-allocation.json",
    "gcd": "gcd.json",
    "brand": "brand.json",
    "dossier": "dossier.json",
}
# Schemas only the foreign-evidence world uses (``WorldSpec(foreign=...)``; vvp.testing.worldgen.foreign),
# after the six above in dependency order: (trust store role, file). The vetting variant cites
# evidence bridges (the dossier schema closes its edges, so bridges hang from a credential).
EXTRA_FILES: tuple[tuple[str, str], ...] = (
    ("faa", "bridge.json"),
    ("vetting", "vetting-cited.json"),
)
# role -> path under a corpus ``schemas`` folder (keri-notes §6; vvp-protocol §3.4).
PUBLISHED_FILES: Mapping[str, str] = {
    "qvi": "vlei/qualified-vLEI-issuer-vLEI-credential.json",
    "vetting": "vlei/legal-entity-vLEI-credential.json",
    "tn_allocation": "provenant/tn-alloc/tn-alloc.schema.json",
    "gcd": "provenant/gcd/gcd.schema.json",
    "brand": "provenant/brand-owner/brand-owner.schema.json",
    "dossier": "provenant/vvp-dossier/vvp-dossier.schema.json",
}
REF_PREFIX = "SAID:"


class SchemaSetError(OperationalError):
    """A schema set is missing, unreadable, or has a ``$id`` that is not its SAID."""

    default_code = codes.WORLD_SCHEMAS_MISSING


@dataclass(frozen=True, slots=True)
class LoadedSchema:
    role: str
    said: str
    raw: bytes
    sed: Mapping[str, Any]
    path: str


@dataclass(frozen=True, slots=True)
class SchemaSet:
    """The six schemas a world uses, by trust-store role."""

    name: SchemaSetName
    by_role: Mapping[str, LoadedSchema]

    def said(self, role: str) -> str:
        return self.by_role[role].said


def own_schema_dir() -> Path:
    """The project's ACDC schemas, shipped inside the package (``vvp/schemas`` → ``schemas/``)."""
    return Path(vvp.__file__).resolve().parent / "schemas" / "acdc"


def _load(role: str, path: Path) -> LoadedSchema:
    try:
        raw = path.read_bytes()
    except OSError as ex:
        raise SchemaSetError(f"cannot read schema {path}: {ex}") from None
    try:
        said = verified_said(raw)  # keri checks the $id SAID and that it is a JSON Schema
    except SchemaSaidError as ex:
        raise SchemaSetError(f"schema {path} does not verify: {ex}") from None
    return LoadedSchema(role=role, said=said, raw=raw, sed=json.loads(raw), path=str(path))


def all_own_files() -> tuple[str, ...]:
    """Every schema file of ``schemas/acdc`` in dependency order (the SAID tool's order)."""
    return tuple(OWN_FILES.values()) + tuple(f for _, f in EXTRA_FILES)


def load_extra_schemas() -> tuple[LoadedSchema, ...]:
    """The foreign-evidence world's extra schemas (:data:`EXTRA_FILES`), SAID-checked by keri."""
    return tuple(_load(role, own_schema_dir() / f) for role, f in EXTRA_FILES)


def load_schema_set(name: SchemaSetName, published_dir: str | Path | None = None) -> SchemaSet:
    """Load and SAID-check a schema set. ``published`` needs ``published_dir`` (``corpus/schemas``)."""
    if name == "own":
        base = own_schema_dir()
        files = OWN_FILES
    else:
        if published_dir is None:
            raise SchemaSetError("the published schema set needs the corpus schemas folder")
        base = Path(published_dir)
        files = PUBLISHED_FILES
    if not base.is_dir():
        raise SchemaSetError(f"schema folder {base} does not exist")
    return SchemaSet(name=name, by_role={role: _load(role, base / rel) for role, rel in files.items()})


# ---------------------------------------------------------------------------------------------
# Content derived from a schema (so one generator fits both sets)


def _object_alternative(prop: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The expanded (object) form of an ``a``/``e``/``r`` property: the object branch of a oneOf."""
    if prop.get("type") == "object":
        return prop
    for alt in prop.get("oneOf", ()):
        if isinstance(alt, Mapping) and alt.get("type") == "object":
            return alt
    return None


def _legal_text(rule: Mapping[str, Any]) -> str | None:
    """The fixed legal language of one rule: ``properties.l.const``, directly or inside a oneOf."""
    candidates = [rule, *[a for a in rule.get("oneOf", ()) if isinstance(a, Mapping)]]
    for c in candidates:
        const = c.get("properties", {}).get("l", {}).get("const")
        if isinstance(const, str):
            return const
    return None


def rules_for(sed: Mapping[str, Any]) -> dict[str, Any] | None:
    """The rules block (without ``d``) a schema's own consts dictate, or None if it has none.

    Every rule whose legal language the schema fixes is included in its ``{"l": ...}`` form;
    blocks that fix no language (e.g. a brand-owner ``r`` that only requires ``d``) get ``{}``.
    """
    r = sed.get("properties", {}).get("r")
    if not isinstance(r, Mapping):
        return None
    block = _object_alternative(r)
    if block is None:
        return None
    out: dict[str, Any] = {}
    for label, rule in block.get("properties", {}).items():
        if label == "d" or not isinstance(rule, Mapping):
            continue
        text = _legal_text(rule)
        if text is not None:
            out[label] = {"l": text}
    return out


def allows(sed: Mapping[str, Any], block: str, field: str) -> bool:
    """Whether a schema's expanded ``block`` (``a``, ``e``) admits a property ``field``."""
    prop = sed.get("properties", {}).get(block)
    if not isinstance(prop, Mapping):
        return False
    obj = _object_alternative(prop)
    if obj is None:
        return False
    if field in obj.get("properties", {}):
        return True
    return obj.get("additionalProperties", True) is not False


def allows_top(sed: Mapping[str, Any], field: str) -> bool:
    """Whether the schema admits a top-level ACDC field (e.g. ``u``, ``e``, ``r``)."""
    if field in sed.get("properties", {}):
        return True
    return sed.get("additionalProperties", True) is not False


# ---------------------------------------------------------------------------------------------
# Computing $id SAIDs (the maintenance tool; keri's SAIDs from vvp._keri.forge.schemas)


def _replace_strings(node: Any, table: Mapping[str, str]) -> Any:
    if isinstance(node, list):
        return [_replace_strings(x, table) for x in node]
    if isinstance(node, dict):
        return {k: (v if k == "$id" else _replace_strings(v, table)) for k, v in node.items()}
    if isinstance(node, str) and node in table:
        return table[node]
    return node


def saidify_dir(folder: Path) -> dict[str, dict[str, Any]]:
    """Recompute the SAIDs of the own schema files in ``folder`` (in dependency order)."""
    seds = {f: json.loads((folder / f).read_text(encoding="utf-8")) for f in all_own_files()}
    old_ids = {f: s.get("$id", "") for f, s in seds.items()}
    out: dict[str, dict[str, Any]] = {}
    for f in all_own_files():  # dependency order
        table: dict[str, str] = {}
        for prev, new_sed in out.items():
            table[REF_PREFIX + prev] = new_sed["$id"]
            if old_ids[prev]:
                table[old_ids[prev]] = new_sed["$id"]
        sed = _replace_strings(seds[f], table)
        leftover = [s for s in json.dumps(sed).split('"') if s.startswith(REF_PREFIX)]
        if leftover:
            raise ValueError(f"{f}: unresolved reference(s) {leftover} (order in OWN_FILES)")
        out[f] = saidify_schema(sed)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m vvp.testing.worldgen.schemas",
                                 description="Recompute or check the $id SAIDs of the project's ACDC schemas.")
    ap.add_argument("folder", nargs="?", default=str(own_schema_dir()))
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the files with fresh SAIDs")
    mode.add_argument("--check", action="store_true", help="exit 1 if any $id is wrong")
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    if args.write:
        for f, sed in saidify_dir(folder).items():
            (folder / f).write_text(json.dumps(sed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            sys.stdout.write(f"{sed['$id']}  {f}\n")
        return 0
    rc = 0
    for f in all_own_files():
        bad = check_schema_ids(json.loads((folder / f).read_text(encoding="utf-8")))
        for b in bad:
            sys.stdout.write(f"{f}: wrong $id at {b}\n")
        rc = rc or (1 if bad else 0)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
