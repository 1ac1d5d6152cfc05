"""The foreign-evidence part of the test world: a bridging party, its bridges, and dossiers citing them.

Architecture §2.3: foreign evidence enters a dossier through a bridging ACDC reached by an edge
from the dossier or a credential in it. The project's dossier schema closes its edge block (as
the published VVP dossier schema does), so the bridges here hang from the vetting credential:
each foreign dossier is the world's ``le`` dossier (same accountable party, signer, allocation,
delegation and brand) with its ``vetting`` edge pointing at a vetting credential of Acme issued
with ``vetting-cited.json``, which cites its bridges with ``evidence1``, ``evidence2``, … edges
(NI2I: a bridge has no issuee). The bridges (``bridge.json``, role ``faa``) are issued by
``bridge``, a party of its own (vvp-protocol §3.11: foreign evidence enters through a bridging
party), and each binds one artifact of the :class:`~.foreign_spec.ForeignSpec` by its CESR
Blake3-256 digest, computed with keri (:mod:`vvp._keri.digests`).

Everything is issued after the rest of the world (and after the callee, when there is one), and
only when ``WorldSpec.foreign`` is given: the default world keeps its bytes.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from vvp._keri.digests import compute_digest
from vvp.testing.worldgen.build import ISSUANCE_PHASE_END, LEI_LE, TN_LE, _DossierPlan
from vvp.testing.worldgen.foreign_spec import GONE_PREFIX, BridgePlan, ForeignSpec
from vvp._keri.forge.generator import WorldBuildError
from vvp.testing.worldgen.model import iso
from vvp.testing.worldgen.schemas import LoadedSchema, load_extra_schemas, rules_for

if TYPE_CHECKING:
    from vvp.testing.worldgen.build import _Composer

BRIDGE_PARTY = "bridge"
FOREIGN_PARTIES: tuple[tuple[str, str, str | None], ...] = (
    (BRIDGE_PARTY, "evidence bridge (checks foreign artifacts, issues bridging ACDCs)", None),
)
MAX_BRIDGES_PER_DOSSIER = 99
"""``evidence1`` … ``evidence99``: the edge labels ``vetting-cited.json`` admits."""


def vetting_name(dossier: str) -> str:
    """The credential name of a foreign dossier's vetting credential (it cites the bridges)."""
    return f"vetting_{dossier}"


def dossier_credential_name(dossier: str) -> str:
    return f"dossier_{dossier}"


def location(spec: ForeignSpec, b: BridgePlan) -> str:
    """Where the bridge says its artifact is (``content_location``)."""
    a = spec.artifact(b.artifact)
    if b.location == "data":
        return f"data:{a.media_type};base64,{base64.b64encode(a.body).decode('ascii')}"
    if b.location == "gone":
        return spec.base_url + GONE_PREFIX + a.filename
    return spec.base_url + a.path


def bridge_attributes(spec: ForeignSpec, b: BridgePlan, checked_at: str) -> dict[str, Any]:
    """The bridge's attribute block (without ``d`` and ``dt``, which issuance adds)."""
    a = spec.artifact(b.artifact)
    attrs: dict[str, Any] = {
        "content_identifier": compute_digest(b.bound if b.bound is not None else a.body),
        "content_type": a.media_type,
        "content_location": location(spec, b),
        "art_posture": "verify",
        "checked_at": checked_at,
        "checked_under": b.checked_under,
        "label": a.name,
    }
    if b.rev_latency is not None:
        attrs["rev_latency"] = b.rev_latency
    return attrs


def compose(c: _Composer, spec: ForeignSpec) -> None:
    """Issue the bridging party, its bridges, and the foreign dossiers (module docstring)."""
    extra = {ls.role: ls for ls in load_extra_schemas()}
    bridge_schema, cited_schema = extra["faa"], extra["vetting"]
    c.extra_schemas.extend(extra.values())
    g = c.g
    for name, _title, delegator in FOREIGN_PARTIES:
        c.aids[name] = g.incept(name, delegator=delegator)
        c.extra_parties.append((name, _title, delegator))
    g.registry(BRIDGE_PARTY)
    c.extra_issuers.append(BRIDGE_PARTY)
    names = [a.name for a in spec.artifacts]
    if len(set(names)) != len(names) or len({b.name for b in spec.bridges}) != len(spec.bridges):
        raise WorldBuildError("foreign spec: artifact and bridge names must be unique")
    for b in spec.bridges:
        if b.artifact not in names:
            raise WorldBuildError(f"bridge {b.name}: no artifact {b.artifact!r}")
        _issue(c, b.name, b.title, "faa", bridge_schema, BRIDGE_PARTY,
               bridge_attributes(spec, b, iso(g.clock.now)), recipient=None, edges={})
    plans: list[_DossierPlan] = []
    for d in spec.dossiers:
        if not d.bridges or len(d.bridges) > MAX_BRIDGES_PER_DOSSIER:
            raise WorldBuildError(f"foreign dossier {d.name}: 1 to {MAX_BRIDGES_PER_DOSSIER} bridges")
        edges: dict[str, tuple[str, str, str | None]] = {"qvi": ("qvi", "qvi", None)}
        for n, bridge in enumerate(d.bridges, 1):
            if bridge not in g.creds:
                raise WorldBuildError(f"foreign dossier {d.name}: no bridge {bridge!r}")
            edges[f"evidence{n}"] = (bridge, "faa", "NI2I")
        _issue(c, vetting_name(d.name), f"vetting of Acme Widgets Inc citing: {d.title}", "vetting", cited_schema,
               "qvi", {"LEI": LEI_LE}, recipient="le", edges=edges)
        plans.append(_DossierPlan(d.name, dossier_credential_name(d.name), d.title, "le", "le", "signer",
                                  vetting_name(d.name), "alloc_le", "tn_le", "delsig_le", TN_LE))
    c._dossiers(tuple(plans))
    c.extra_dossiers.extend(plans)
    if g.clock.now >= ISSUANCE_PHASE_END:
        raise WorldBuildError("the issuance phase ran past its day")


def _issue(c: _Composer, name: str, title: str, role: str, schema: LoadedSchema, issuer: str,
           data: dict[str, Any], *, recipient: str | None,
           edges: dict[str, tuple[str, str, str | None]]) -> None:
    """:meth:`_Composer._issue` for a schema outside the six-role set (its SAID is the schema's own)."""
    edge_block = {label: c._edge(t, r, op) for label, (t, r, op) in edges.items()}
    c.g.issue(name, issuer=issuer, schema=schema.said, data=data,
              recipient=c.aids[recipient] if recipient else None, edges=edge_block or None,
              rules=rules_for(schema.sed))
    c.meta[name] = {"title": title, "role": role, "issuee": recipient,
                    "edges": {label: t for label, (t, _, _) in edges.items()}}
