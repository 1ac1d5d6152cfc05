"""A small keri-made world for the dossier tests that the shared test world does not cover.

The shared world (``vvp.testing.world``) has the realistic dossiers; the checks of issue 6 also need
credentials no honest issuer makes: one "issued" from an attacker's registry while claiming
another issuer, edges whose ``s`` lies or whose operator does not hold, an issuer without
witnesses, a TEL anchored among several seals, SAIDs over the most compact form, a compacted
target. They are made here with the world's own generator (fixed salts, a stopped clock), plus a
permissive schema so that V-13 can be tested without V-10 failing first.

Imported by the ``test_dossier_*`` modules; its one test checks the positive control.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
from dataclasses import dataclass
from typing import Any

from keri import kering  # noqa: I001 - keri.core before keri.db (import order)
from keri.app import signing
from keri.core import coring, eventing, serdering
from keri.vc import proving

from vvp._keri import tel as _tel
from vvp._keri.forge.generator import Generator, StepClock, keri_clock, quiet_keri, said_block
from vvp.testing.worldgen.model import iso
from vvp.testing.worldgen.schemas import load_schema_set, rules_for
from vvp.dossier import DossierPolicy

EPOCH = _dt.datetime(2025, 6, 1, tzinfo=_dt.UTC)
ROTATE_AT = _dt.datetime(2025, 8, 1, tzinfo=_dt.UTC)
REVOKE_AT = _dt.datetime(2025, 9, 1, tzinfo=_dt.UTC)
CALL_AT = _dt.datetime(2025, 10, 1, tzinfo=_dt.UTC)

GENERIC_SCHEMA: dict[str, Any] = {
    "$id": "",
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "vvp dossier tests: any credential",
    "type": "object",
    "required": ["v", "d", "i", "s"],
    "properties": {"v": {"type": "string"}, "d": {"type": "string"}, "i": {"type": "string"},
                   "s": {"type": "string"}, "ri": {"type": "string"},
                   "a": {"oneOf": [{"type": "string"}, {"type": "object"}]},
                   "e": {"oneOf": [{"type": "string"}, {"type": "object"}]}},
}


def _generic_schema() -> tuple[str, bytes]:
    _, sed = coring.Saider.saidify(sad=dict(GENERIC_SCHEMA), label="$id")
    raw = json.dumps(sed, separators=(",", ":")).encode()
    return str(sed["$id"]), raw


@dataclass(frozen=True)
class Mini:
    """Streams by name (``kel:<party>``, ``reg:<party>``, ``tel:<cred>``, ``acdc:<cred>``), the
    AIDs, credential SAIDs, schema SAIDs by role and the schema bytes."""

    aids: dict[str, str]
    saids: dict[str, str]
    schema: dict[str, str]
    schemas: dict[str, bytes]
    streams: dict[str, bytes]
    delegators: dict[str, str]

    def kel(self, party: str) -> bytes:
        d = self.delegators.get(party)
        return (self.kel(d) if d else b"") + self.streams[f"kel:{party}"]

    def dossier(self, *creds: str, order: tuple[str, ...] | None = None, without: tuple[str, ...] = ()) -> bytes:
        """KELs of the issuers (delegators first), registries, credential TELs, then ACDCs."""
        names = list(order or creds)
        issuers: list[str] = []
        for c in names:
            p = self.issuer_party[c]
            if p not in issuers:
                issuers.append(p)
        kels: list[str] = []
        for p in issuers:
            chain = [p]
            while chain[-1] in self.delegators:
                chain.append(self.delegators[chain[-1]])
            for q in reversed(chain):
                if q not in kels:
                    kels.append(q)
        out = b"".join(self.streams[f"kel:{p}"] for p in kels if p not in without)
        out += b"".join(self.streams[f"reg:{p}"] for p in issuers if f"reg:{p}" in self.streams)
        out += b"".join(self.streams[f"tel:{c}"] for c in names)
        out += b"".join(self.streams[f"acdc:{c}"] for c in names)
        return out

    @property
    def issuer_party(self) -> dict[str, str]:
        return json.loads(self.streams["meta:issuers"])  # type: ignore[no-any-return]

    def policy(self, **kw: Any) -> DossierPolicy:
        roles = {"qvi": (self.schema["qvi"],), "vetting": (self.schema["vetting"],),
                 "tn_allocation": (self.schema["tn_allocation"],), "gcd": (self.schema["gcd"],),
                 "brand": (self.schema["brand"],), "dossier": (self.schema["dossier"],)}
        roots = {"identity": frozenset({self.aids["root"]}), "tn": frozenset({self.aids["regulator"]}),
                 "brand": frozenset()}
        base: dict[str, Any] = {"roots": roots, "schema_roles": roles, "min_issuer_witnesses": 1}
        base.update(kw)
        return DossierPolicy(**base)


class _Build:
    def __init__(self, g: Generator) -> None:
        self.g = g
        self.saids: dict[str, str] = {}
        self.streams: dict[str, bytes] = {}
        self.issuer_of: dict[str, str] = {}

    def export(self, name: str) -> None:
        self.streams[f"tel:{name}"] = self.g.credential_tel(name)
        self.streams[f"acdc:{name}"] = self.g.credential_acdc(name)
        self.saids[name] = str(self.g.creds[name].creder.said)
        self.issuer_of[name] = self.g.creds[name].issuer

    def issue(self, name: str, issuer: str, schema: str, data: dict[str, Any], recipient: str | None = None,
              edges: dict[str, Any] | None = None, rules: Any = None, private: bool = False) -> None:
        self.g.issue(name, issuer=issuer, schema=schema, data=data, recipient=recipient, edges=edges,
                     rules=rules, private=private)
        self.export(name)

    def _anchor_and_log(self, name: str, issuer: str, said: str, extra_seal: bool = False) -> Any:
        """``iss`` in ``issuer``'s registry for ``said``, anchored (optionally among two seals)."""
        p = self.g.parties[issuer]
        self.g.clock.tick()
        iss = p.reg.issue(said=said, dt=iso(self.g.clock.now))
        seals = [eventing.SealEvent(i=iss.pre, s=iss.snh, d=iss.said)._asdict()]
        if extra_seal:
            seals = [eventing.SealEvent(i=p.hab.pre, s="0", d=p.hab.pre)._asdict()] + seals
        p.hab.interact(data=seals)
        self.g._record_event(p)
        self.g._witness(p)
        p.reg.anchorMsg(pre=iss.pre, regd=iss.said, seqner=coring.Seqner(sn=p.hab.kever.sn),
                        saider=coring.Saider(qb64=p.hab.kever.serder.said))
        with _tel.multi_seal_anchors():
            p.rgy.processEscrows()
        state = p.rgy.tevers[p.reg.regk].vcState(said)
        assert state is not None and state.et == "iss", f"{name}: issuance did not anchor"
        return iss

    def forged(self, name: str, *, registry_of: str, claims: str, schema: str, data: dict[str, Any],
               recipient: str | None, edges: dict[str, Any]) -> None:
        """An ACDC whose ``i`` is ``claims`` but issued in ``registry_of``'s registry."""
        p = self.g.parties[registry_of]
        self.g.clock.tick()
        creder = proving.credential(issuer=claims, schema=schema, data={"dt": iso(self.g.clock.now), **data},
                                    recipient=recipient, status=p.reg.regk, source=said_block(edges))
        iss = self._anchor_and_log(name, registry_of, str(creder.said))
        self._store(name, registry_of, creder, iss)

    def _store(self, name: str, party: str, creder: Any, iss: Any, raw: bytes | None = None) -> None:
        p = self.g.parties[party]
        self.streams[f"tel:{name}"] = b"".join(bytes(m) for m in p.reger.clonePreIter(pre=str(creder.said)))
        body = signing.serialize(creder, coring.Prefixer(qb64=iss.pre), coring.Seqner(sn=iss.sn),
                                 coring.Saider(qb64=iss.said))
        if raw is not None:
            body = bytearray(raw) + bytearray(bytes(body)[len(bytes(creder.raw)):])
        self.streams[f"acdc:{name}"] = bytes(body)
        self.saids[name] = str(creder.said)
        self.issuer_of[name] = party

    def multiseal(self, name: str, issuer: str, schema: str, data: dict[str, Any], recipient: str | None) -> None:
        p = self.g.parties[issuer]
        self.g.clock.tick()
        creder = proving.credential(issuer=p.hab.pre, schema=schema, data={"dt": iso(self.g.clock.now), **data},
                                    recipient=recipient, status=p.reg.regk)
        iss = self._anchor_and_log(name, issuer, str(creder.said), extra_seal=True)
        self._store(name, issuer, creder, iss)

    def compact_said(self, name: str, issuer: str, schema: str, data: dict[str, Any], recipient: str | None,
                     *, send_compact: bool) -> None:
        """An ACDC whose SAID is computed over its most compact form (the ACDC spec's rule); the
        stream carries the expanded body (``send_compact`` False) or the compact one."""
        p = self.g.parties[issuer]
        self.g.clock.tick()
        a: dict[str, Any] = {"d": "", "i": recipient, "dt": iso(self.g.clock.now), **data}
        _, a = coring.Saider.saidify(sad=a, label="d")
        sad = {"v": kering.versify(protocol="ACDC", kind="JSON", size=0), "d": "", "i": p.hab.pre,
               "ri": p.reg.regk, "s": schema, "a": a["d"]}
        compact = serdering.SerderACDC(sad=sad, makify=True)
        said = str(compact.said)
        expanded = dict(compact.sad)
        expanded["a"] = a
        raw = json.dumps(expanded, separators=(",", ":")).encode()
        expanded["v"] = kering.versify(protocol="ACDC", kind="JSON", size=len(raw))
        raw = json.dumps(expanded, separators=(",", ":")).encode()
        iss = self._anchor_and_log(name, issuer, said)
        self._store(name, issuer, compact, iss, raw=None if send_compact else raw)


@functools.cache
def mini() -> Mini:
    """Build the mini world once per test session (about a second)."""
    own = load_schema_set("own")
    gsaid, graw = _generic_schema()
    schema = {role: ls.said for role, ls in own.by_role.items()}
    schema["generic"] = gsaid
    schemas = {ls.said: ls.raw for ls in own.by_role.values()}
    schemas[gsaid] = graw
    clock = StepClock(EPOCH)
    g = Generator(clock)
    b = _Build(g)
    delegators = {"external": "root", "agent": "le"}
    try:
        with keri_clock(clock), quiet_keri():
            g.make_witnesses()
            aids = {}
            for name in ("root", "external", "qvi", "le", "agent", "rogue", "regulator"):
                aids[name] = g.incept(name, delegator=delegators.get(name))
            aids["lonely"] = g.incept("lonely", witnessed=False)
            for name in ("external", "qvi", "le", "agent", "rogue", "regulator", "lonely"):
                g.registry(name)
                b.streams[f"reg:{name}"] = g.registry_tel(name)
            sq = own.by_role["qvi"]
            b.issue("qvi", "external", sq.said, {"LEI": "984500VVPTESTQVI0147"}, recipient=aids["qvi"])
            edge_q = {"qvi": {"n": b.saids["qvi"], "s": sq.said}}
            b.issue("vetting", "qvi", own.said("vetting"), {"LEI": "984500ACMEWIDGETS162"}, recipient=aids["le"],
                    edges=edge_q)
            tn = own.by_role["tn_allocation"]
            b.issue("tn", "regulator", tn.said,
                    {"numbers": {"tn": ["+15551230001"]}, "channel": "voice", "doNotOriginate": False},
                    recipient=aids["le"], rules=rules_for(tn.sed), private=True)
            v = {"n": b.saids["vetting"], "s": own.said("vetting")}
            b.issue("dossier", "le", gsaid, {"name": "mini dossier"},
                    edges={"vetting": {**v, "o": "NI2I"}, "tn": {"n": b.saids["tn"], "s": tn.said, "o": "I2I"}})
            b.issue("bad_s", "le", gsaid, {"name": "edge s lies"},
                    edges={"vetting": {"n": b.saids["vetting"], "s": sq.said, "o": "NI2I"}})
            b.issue("di2i_ok", "agent", gsaid, {"name": "a delegate of le cites le's vetting"},
                    edges={"vetting": {**v, "o": "DI2I"}})
            b.issue("di2i_bad", "rogue", gsaid, {"name": "a stranger cites le's vetting"},
                    edges={"vetting": {**v, "o": "DI2I"}})
            b.issue("i2i_bad", "rogue", gsaid, {"name": "a stranger claims to be le"},
                    edges={"vetting": {**v, "o": "I2I"}})
            b.issue("i2i_ok", "le", gsaid, {"name": "le cites its own vetting"}, edges={"vetting": {**v, "o": "I2I"}})
            b.issue("lonely_cred", "lonely", gsaid, {"name": "issued by a witnessless AID"})
            b.forged("forged", registry_of="rogue", claims=aids["qvi"], schema=own.said("vetting"),
                     data={"LEI": "984500ACMEWIDGETS162"}, recipient=aids["le"], edges=edge_q)
            b.multiseal("multiseal", "le", gsaid, {"name": "anchored among two seals"}, recipient=aids["agent"])
            b.compact_said("compact_expanded", "le", gsaid, {"name": "most compact SAID, sent expanded"},
                           aids["agent"], send_compact=False)
            b.compact_said("compact_sent", "le", gsaid, {"name": "most compact SAID, sent compact"},
                           aids["agent"], send_compact=True)
            b.issue("cites_compact", "agent", gsaid, {"name": "cites a compacted credential"},
                    edges={"held": {"n": b.saids["compact_sent"], "s": gsaid, "o": "I2I"}})
            b.issue("bad_op", "le", gsaid, {"name": "an unknown operator"}, edges={"vetting": {**v, "o": "XYZ"}})
            b.issue("no_s", "le", gsaid, {"name": "an edge without s"}, edges={"vetting": {"n": b.saids["vetting"]}})
            b.issue("nonconforming", "qvi", own.said("vetting"), {"name": "no LEI"}, recipient=aids["le"],
                    edges=edge_q)
            b.issue("bad_dossier", "le", own.said("dossier"), {"name": b.saids["vetting"]}, recipient=aids["agent"])
            b.issue("revocable", "le", gsaid, {"name": "revoked at REVOKE_AT"}, recipient=aids["agent"])
            g.rotate("le", ROTATE_AT)  # every issuer key of le's credentials above is now rotated out
            g.rotate("qvi", ROTATE_AT + _dt.timedelta(hours=1))
            g.revoke("revocable", REVOKE_AT)
            b.export("revocable")
            for name in ("root", "external", "qvi", "le", "agent", "rogue", "regulator", "lonely"):
                b.streams[f"kel:{name}"] = g.kel(name)
    finally:
        g.close()
    b.streams["meta:issuers"] = json.dumps(b.issuer_of).encode()
    return Mini(aids=aids, saids=b.saids, schema=schema, schemas=schemas, streams=b.streams,
                delegators=delegators)


def schema_fetcher(m: Mini) -> Any:
    """A fetcher that serves the mini world's schemas as ``said:`` entries (an evidence map)."""
    from vvp.fetch import MemoryFetcher
    return MemoryFetcher({f"said:{s}": ("application/schema+json", raw) for s, raw in m.schemas.items()})


def test_mini_world_positive_control() -> None:
    from vvp.dossier import verify_dossier_stream
    m = mini()
    r = verify_dossier_stream(m.dossier("qvi", "vetting", "tn", "dossier"), reference_time=CALL_AT,
                              policy=m.policy(), expected_said=m.saids["dossier"], fetcher=schema_fetcher(m))
    assert r.status.value == "VALID", [c.to_json() for c in r.checks if c.status.value != "pass"]
    assert set(r.credentials) == {m.saids[n] for n in ("qvi", "vetting", "tn", "dossier")}
