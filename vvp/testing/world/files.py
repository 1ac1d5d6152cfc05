"""A served world on disk: its trust stores, its evidence files and the ``--evidence`` map.

Why files as well as a server: a verification must be repeatable by hand after the demo's server
is gone (``vvp verify ... --evidence evidence.json --offline`` serves the very same bytes), and the
trust store is the verifier's one input that says which roots and schemas count.

Layout of the output folder::

    trust.json             roots identity/tn/brand, schemas, roles, allow_private_addresses
    trust-untrusted.json   the same, but the identity root is an unrelated AID
    trust-untrusted-tn.json  the same, but the TN root is an unrelated AID
    trust-strict.json      trust.json with ``brand_failure: "strict"`` (an unjustified brand
                           makes the call INVALID, architecture §2 status rules)
    evidence.json          exact URL (and said:<SAID>) -> {"path", "content_type"}
    schemas/<SAID>.json    the schemas the world was built with (the trust store's "schemas")
    evidence/...           kel/, dossiers/, credentials/, tels/, schemas/ as served

A world with foreign evidence (``WorldSpec(foreign=...)``, :mod:`vvp.testing.world.foreign`) adds::

    foreign/...            the foreign trust files (X.509 and token-authority anchors, SD-JWT
                           issuer keys, JSON-LD contexts); every trust store names them in its
                           "foreign" section, with foreign_evidence left at "report"
    trust-foreign-strict.json  trust.json with ``foreign_evidence: "strict"``
    evidence/artifacts/... the artifacts the bridges point at by URL, as served
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vvp.testing.world.server import routes_for

if TYPE_CHECKING:
    from vvp.testing.worldgen.model import World

EVIDENCE_DIR = "evidence"
SCHEMAS_DIR = "schemas"
FOREIGN_DIR = "foreign"


@dataclass(frozen=True, slots=True)
class EvidenceFiles:
    """Paths of everything :func:`write_evidence` wrote."""

    dir: Path
    trust: Path
    trust_untrusted: Path
    evidence_map: Path
    schemas_dir: Path
    trust_untrusted_tn: Path
    trust_strict: Path
    trust_foreign_strict: Path | None = None
    """Only for a world with foreign evidence."""


def foreign_doc(world: World) -> dict[str, Any] | None:
    """The trust store's ``foreign`` section for a world with foreign evidence (None without):
    files written by :func:`write_evidence` under ``foreign/``, external ones by their path."""
    spec = world.spec.foreign
    if spec is None:
        return None
    doc: dict[str, Any] = {}
    for t in spec.trust:
        where = t.external if t.external is not None else f"{FOREIGN_DIR}/{t.filename}"
        if t.key == "contexts":
            doc.setdefault("contexts", {})[t.url] = where
        else:
            doc.setdefault(t.key, []).append(where)
    if spec.vc_issuers:
        doc["vc_issuers"] = list(spec.vc_issuers)
    return doc


def trust_store_doc(world: World, *, identity_roots: Sequence[str] | None = None,
                    tn_roots: Sequence[str] | None = None, schemas: Sequence[str] = (SCHEMAS_DIR,),
                    policy: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The trust store (architecture §4.2) that makes the world's roots the trusted ones.

    With the project's own schemas ``schema_roles`` names them; with the published set it is left
    out, so the published defaults apply (the brief of the world generator). The policy allows
    private addresses because the evidence is served on 127.0.0.1.
    """
    doc: dict[str, Any] = {
        "version": 1,
        "roots": {
            "identity": list(identity_roots) if identity_roots is not None else [world.root_aid("identity")],
            "tn": list(tn_roots) if tn_roots is not None else [world.root_aid("tn")],
            "brand": [world.root_aid("brand")],
        },
        "schemas": list(schemas),
    }
    if world.schema_set == "own":
        doc["schema_roles"] = {role: list(saids) for role, saids in world.schema_roles.items()}
    doc["policy"] = {"allow_private_addresses": True, **(policy or {})}
    foreign = foreign_doc(world)
    if foreign is not None:
        doc["foreign"] = foreign
    return doc


def evidence_map_doc(world: World, base_url: str) -> dict[str, Any]:
    """``--evidence`` map: every served URL, plus ``said:<SAID>`` for schemas and credentials."""
    routes = routes_for(world)
    doc: dict[str, Any] = {}
    for path, res in sorted(routes.items()):
        if res.file is not None:
            doc[f"{base_url}{path}"] = {"path": f"{EVIDENCE_DIR}/{res.file}", "content_type": res.content_type}
    for said in world.schemas:
        res = routes[f"/schemas/{said}.json"]
        doc[f"said:{said}"] = {"path": f"{EVIDENCE_DIR}/{res.file}", "content_type": res.content_type}
    for c in world.credentials.values():
        res = routes[f"/credentials/{c.said}.cesr"]
        doc[f"said:{c.said}"] = {"path": f"{EVIDENCE_DIR}/{res.file}", "content_type": res.content_type}
    for d in world.dossiers.values():
        res = routes[f"/dossiers/{d.said}.cesr"]
        doc[f"said:{d.said}"] = {"path": f"{EVIDENCE_DIR}/{res.file}", "content_type": res.content_type}
    return doc


def _write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path


def write_evidence(world: World, base_url: str, out_dir: str | Path) -> EvidenceFiles:
    """Write the trust stores, the schemas, every evidence file and the evidence map."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    schemas_dir = out / SCHEMAS_DIR
    schemas_dir.mkdir(exist_ok=True)
    for said, raw in world.schemas.items():
        (schemas_dir / f"{said}.json").write_bytes(raw)
    seen: set[str] = set()
    for res in routes_for(world).values():
        if res.file is None or res.file in seen:
            continue
        seen.add(res.file)
        target = out / EVIDENCE_DIR / res.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(res.body)
    trust = _write_json(out / "trust.json", trust_store_doc(world))
    untrusted = _write_json(out / "trust-untrusted.json",
                            trust_store_doc(world, identity_roots=[world.parties["rogue"].aid]))
    untrusted_tn = _write_json(out / "trust-untrusted-tn.json",
                               trust_store_doc(world, tn_roots=[world.parties["rogue"].aid]))
    strict = _write_json(out / "trust-strict.json", trust_store_doc(world, policy={"brand_failure": "strict"}))
    emap = _write_json(out / "evidence.json", evidence_map_doc(world, base_url))
    foreign_strict: Path | None = None
    if world.spec.foreign is not None:
        (out / FOREIGN_DIR).mkdir(exist_ok=True)
        for t in world.spec.foreign.trust:
            if t.body is not None:
                (out / FOREIGN_DIR / t.filename).write_bytes(t.body)
        foreign_strict = _write_json(out / "trust-foreign-strict.json",
                                     trust_store_doc(world, policy={"foreign_evidence": "strict"}))
    return EvidenceFiles(dir=out, trust=trust, trust_untrusted=untrusted, evidence_map=emap, schemas_dir=schemas_dir,
                         trust_untrusted_tn=untrusted_tn, trust_strict=strict, trust_foreign_strict=foreign_strict)
