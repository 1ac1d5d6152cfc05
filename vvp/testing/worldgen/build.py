"""The world's content: who exists, who issues what to whom, and when.

Parties (each single-key, kt 1, with the same three witnesses and toad 2, except the witnesses):

============  =================================================================================
root          identity root ("GLEIF-like"); issues nothing itself, delegates ``external``
external      KERI-delegated by ``root`` ("GLEIF External-like"); issues the QVI credential
qvi           accredited vetting issuer; issues the legal entity's vetting credential
le            the legal entity (Acme Widgets Inc): accountable party in shape ``le``
acting        an AID acting for ``le`` through an ``alloc`` GCD: accountable party in shape ``acting``
regulator     numbering regulator (TN root); allocates a range to ``carrier``
carrier       range holder; allocates numbers to ``le`` and ``acting``
brand_root    brand vetter (brand root); issues the brand credential to ``le``
signer        the signing service of ``le`` (delsig issuee; rotates at ``ROTATE_AT`` by default)
signer_b      the signing service of ``acting``
rogue         an unrelated issuer, used to issue a delegated-signer credential it has no right to
============  =================================================================================

Dossiers (``World.dossiers``): ``le`` and ``acting`` are the good ones, one per accountable-party
shape (architecture §2 step 6); the others are deterministic variants for negative tests:
``revoked_tn`` (its TN allocation is revoked at ``REVOKE_AT``), ``wide_tn`` (an allocation
listing a number outside its parent's range), ``foreign_delsig`` (the delegated-signer credential
is issued by ``rogue``, not by the accountable party), ``no_brand`` (no ``bownr`` edge: the
dossier holds no brand credential) and ``revoked`` (the dossier itself is revoked a minute after
``REVOKE_AT``). The authorization matrix must hold in both shapes, so every binding variant has
an ``acting`` twin: ``revoked_tn_acting`` (revoked two minutes after ``REVOKE_AT``),
``wide_tn_acting``, ``foreign_delsig_acting`` and ``no_brand_acting``.

Order matters for stability: the credentials and dossiers of the twins are issued after every
original one, so adding them left the SAIDs of the original credentials unchanged (only the
issuers' KELs grew by the anchoring events).

The callee (``WorldSpec(callee=True)``, architecture §2.2): ``callee`` (Bistro Verde, the called
party: vetted by ``qvi``, numbers from ``carrier``, a brand from ``brand_root``, its own registry)
answers calls with its own PASSporT and its own dossiers, ``callee`` (voice numbers) and
``callee_dno`` (an inbound-only, do-not-originate number); ``callee_agent`` is its answering
service, the ``delsig`` issuee both dossier schemas require (a callee has no delegate: VC-05).
They are incepted and issued after everything above, and only when asked for, because every
issuance grows its issuer's KEL: the default world, and with it every golden record, stays byte
for byte what it was.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vvp._keri.forge.generator import Generator, StepClock, WorldBuildError, acdc_json, keri_clock, quiet_keri
from vvp.testing.worldgen.model import (
    EPOCH,
    VALID_UNTIL,
    Credential,
    Dossier,
    Party,
    Registry,
    Shape,
    World,
    WorldSpec,
    iso,
)
from vvp.testing.worldgen.schemas import LoadedSchema, SchemaSet, allows, allows_top, load_schema_set, rules_for

ISSUANCE_PHASE_END = EPOCH + _dt.timedelta(days=1)

PARTIES: tuple[tuple[str, str, str | None], ...] = (
    ("root", "identity root (GLEIF-like)", None),
    ("external", "delegated issuer of the identity root (GLEIF External-like)", "root"),
    ("qvi", "accredited vetting issuer (QVI-like)", None),
    ("le", "legal entity Acme Widgets Inc", None),
    ("acting", "AID acting for Acme Widgets Inc (alloc GCD)", None),
    ("regulator", "numbering regulator (TN root)", None),
    ("carrier", "carrier holding a number range", None),
    ("brand_root", "brand vetter (brand root)", None),
    ("signer", "signing service of Acme Widgets Inc", None),
    ("signer_b", "signing service of the acting AID", None),
    ("rogue", "an unrelated issuer", None),
)
ISSUERS: tuple[str, ...] = ("external", "qvi", "le", "acting", "regulator", "carrier", "brand_root", "rogue")

CARRIER_RANGE = ("+15551230000", "+15551239999")
TN_LE = ("+15551230001", "+15551230002")
TN_LE_REVOKED = ("+15551230003",)
TN_LE_WIDE = ("+15559870001",)
TN_ACTING = ("+15551230010", "+15551230011")
TN_ACTING_REVOKED = ("+15551230013",)
TN_ACTING_WIDE = ("+15559870011",)
DELSIG_GOALS = ("negotiate.schedule", "support")
DELSIG_PROTO = ("VVP:OP",)
BRAND_VCARD = ("ORG:Acme Widgets Inc", "NICKNAME:Acme", "URL:https://acme.example",
               "TEL;TYPE=work:+15551230001")

CALLEE_PARTIES: tuple[tuple[str, str, str | None], ...] = (
    ("callee", "legal entity Bistro Verde (a called party)", None),
    ("callee_agent", "answering service of Bistro Verde", None),
)
CALLEE_ISSUERS: tuple[str, ...] = ("callee",)
TN_CALLEE = ("+15551230020", "+15551230021")
TN_CALLEE_DNO = ("+15551230029",)
CALLEE_VCARD = ("ORG:Bistro Verde", "NICKNAME:Bistro", "URL:https://bistro.example")
CALLEE_GOALS = ("negotiate.schedule", "support")


def lei(base18: str) -> str:
    """An ISO 17442 LEI: 18 characters and their ISO 7064 MOD 97-10 check digits."""
    digits = "".join(str(int(ch, 36)) for ch in base18.upper()) + "00"
    return f"{base18.upper()}{98 - int(digits) % 97:02d}"


LEI_QVI = lei("984500VVPTESTQVI01")
LEI_LE = lei("984500ACMEWIDGETS1")
LEI_CALLEE = lei("984500BISTROVERDE1")


@dataclass(frozen=True, slots=True)
class _DossierPlan:
    name: str
    cred: str
    title: str
    shape: Shape
    ap: str
    signer: str
    vetting: str
    alloc: str
    tnalloc: str
    delsig: str
    numbers: tuple[str, ...]
    brand: bool = True
    legal_entity: str = "le"
    brand_credential: str = "brand"


DOSSIERS: tuple[_DossierPlan, ...] = (
    _DossierPlan("le", "dossier_le", "Acme outbound (AP is the legal entity)", "le", "le", "signer",
                 "le_vetting", "alloc_le", "tn_le", "delsig_le", TN_LE),
    _DossierPlan("acting", "dossier_acting", "Acme outbound via its acting AID", "acting", "acting", "signer_b",
                 "le_vetting", "alloc_acting", "tn_acting", "delsig_acting", TN_ACTING),
    _DossierPlan("revoked_tn", "dossier_revoked_tn", "Acme outbound, TN allocation revoked", "le", "le", "signer",
                 "le_vetting", "alloc_le", "tn_le_revoked", "delsig_le", TN_LE_REVOKED),
    _DossierPlan("wide_tn", "dossier_wide_tn", "Acme outbound, allocation outside its parent", "le", "le",
                 "signer", "le_vetting", "alloc_le", "tn_le_wide", "delsig_le", TN_LE_WIDE),
    _DossierPlan("foreign_delsig", "dossier_foreign_delsig", "Acme outbound, signer delegated by a third party",
                 "le", "le", "signer", "le_vetting", "alloc_le", "tn_le", "delsig_rogue", TN_LE),
    _DossierPlan("revoked", "dossier_revoked", "Acme outbound, dossier revoked", "le", "le", "signer",
                 "le_vetting", "alloc_le", "tn_le", "delsig_le", TN_LE),
)
"""The original dossiers, issued first (their credentials' SAIDs predate the twins below)."""

TWIN_DOSSIERS: tuple[_DossierPlan, ...] = (
    _DossierPlan("revoked_tn_acting", "dossier_revoked_tn_acting", "acting AID outbound, TN allocation revoked",
                 "acting", "acting", "signer_b", "le_vetting", "alloc_acting", "tn_acting_revoked", "delsig_acting",
                 TN_ACTING_REVOKED),
    _DossierPlan("wide_tn_acting", "dossier_wide_tn_acting", "acting AID outbound, allocation outside its parent",
                 "acting", "acting", "signer_b", "le_vetting", "alloc_acting", "tn_acting_wide", "delsig_acting",
                 TN_ACTING_WIDE),
    _DossierPlan("foreign_delsig_acting", "dossier_foreign_delsig_acting",
                 "acting AID outbound, signer delegated by a third party", "acting", "acting", "signer_b",
                 "le_vetting", "alloc_acting", "tn_acting", "delsig_rogue_b", TN_ACTING),
    _DossierPlan("no_brand", "dossier_no_brand", "Acme outbound, no brand credential", "le", "le", "signer",
                 "le_vetting", "alloc_le", "tn_le", "delsig_le", TN_LE, brand=False),
    _DossierPlan("no_brand_acting", "dossier_no_brand_acting", "acting AID outbound, no brand credential",
                 "acting", "acting", "signer_b", "le_vetting", "alloc_acting", "tn_acting", "delsig_acting",
                 TN_ACTING, brand=False),
)
"""Variants that make every authorization case exist in both accountable-party shapes."""

ALL_DOSSIERS: tuple[_DossierPlan, ...] = DOSSIERS + TWIN_DOSSIERS

CALLEE_DOSSIERS: tuple[_DossierPlan, ...] = (
    _DossierPlan("callee", "dossier_callee", "Bistro Verde answers (its own dossier)", "le", "callee", "callee",
                 "callee_vetting", "alloc_callee", "tn_callee", "delsig_callee", TN_CALLEE, legal_entity="callee",
                 brand_credential="callee_brand"),
    _DossierPlan("callee_dno", "dossier_callee_dno", "Bistro Verde answers on an inbound-only number", "le",
                 "callee", "callee", "callee_vetting", "alloc_callee", "tn_callee_dno", "delsig_callee",
                 TN_CALLEE_DNO, legal_entity="callee", brand_credential="callee_brand"),
)
"""The callee's dossiers (``WorldSpec(callee=True)`` only), issued by the callee itself."""


class _Composer:
    """Drives the generator through the world's plan and collects the frozen result."""

    def __init__(self, spec: WorldSpec, schemas: SchemaSet, gen: Generator) -> None:
        self.spec = spec
        self.s = schemas
        self.g = gen
        self.aids: dict[str, str] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        # what an additive part of the world (vvp.testing.worldgen.foreign) adds to the cast
        self.extra_parties: list[tuple[str, str, str | None]] = []
        self.extra_issuers: list[str] = []
        self.extra_dossiers: list[_DossierPlan] = []
        self.extra_schemas: list[LoadedSchema] = []

    def _sed(self, role: str) -> Mapping[str, Any]:
        return self.s.by_role[role].sed

    def _edge(self, target: str, role: str, op: str | None) -> dict[str, str]:
        """An edge to credential ``target`` (of ``role``), pinned to the target's own schema."""
        e = {"n": str(self.g.creds[target].creder.said), "s": str(self.g.creds[target].creder.schema)}
        if op is not None:
            e["o"] = op
        return e

    def _issue(self, name: str, title: str, role: str, issuer: str, data: Mapping[str, Any],
               recipient: str | None = None, edges: Mapping[str, tuple[str, str, str | None]] | None = None,
               private: bool = False) -> None:
        sed = self._sed(role)
        for k in data:
            if not allows(sed, "a", k):
                raise WorldBuildError(f"{name}: schema {self.s.said(role)} ({role}) has no attribute {k!r}")
        edge_block = {label: self._edge(t, r, op) for label, (t, r, op) in (edges or {}).items()}
        rules = rules_for(sed)
        if private and not allows_top(sed, "u"):
            private = False
        self.g.issue(name, issuer=issuer, schema=self.s.said(role), data=data,
                     recipient=self.aids[recipient] if recipient else None, edges=edge_block or None,
                     rules=rules, private=private)
        self.meta[name] = {"title": title, "role": role, "issuee": recipient,
                           "edges": {label: t for label, (t, _, _) in (edges or {}).items()}}

    def run(self) -> None:
        g = self.g
        g.make_witnesses()
        for name, _title, delegator in PARTIES:
            self.aids[name] = g.incept(name, delegator=delegator)
        for name in ISSUERS:
            g.registry(name)
        self._credentials()
        if self.spec.callee:
            self._callee()
        if self.spec.foreign is not None:
            from vvp.testing.worldgen import foreign  # the additive part imports this module

            foreign.compose(self, self.spec.foreign)
        self._timeline()

    def _tn(self, numbers: tuple[str, ...] | None = None, rng: tuple[str, str] | None = None,
            dno: bool = False) -> dict[str, Any]:
        nums: dict[str, Any] = {"tn": list(numbers)} if numbers else {"rangeStart": rng[0], "rangeEnd": rng[1]} \
            if rng else {}
        return {"numbers": nums, "channel": "voice", "doNotOriginate": dno,
                "startDate": iso(EPOCH), "endDate": iso(VALID_UNTIL)}

    def _callee(self) -> None:
        """The called party and its dossiers, after everything else (module docstring)."""
        g, i = self.g, self._issue
        for name, _title, delegator in CALLEE_PARTIES:
            self.aids[name] = g.incept(name, delegator=delegator)
        for name in CALLEE_ISSUERS:
            g.registry(name)
        i("callee_vetting", "vetting of Bistro Verde", "vetting", "qvi", {"LEI": LEI_CALLEE}, recipient="callee",
          edges={"qvi": ("qvi", "qvi", None)})
        parent = {"tnalloc": ("tn_carrier", "tn_allocation", "I2I")}
        i("tn_callee", "numbers allocated to Bistro Verde", "tn_allocation", "carrier", self._tn(TN_CALLEE),
          recipient="callee", edges=parent, private=True)
        i("tn_callee_dno", "an inbound-only number of Bistro Verde (do not originate)", "tn_allocation", "carrier",
          self._tn(TN_CALLEE_DNO, dno=True), recipient="callee", edges=parent, private=True)
        i("alloc_callee", "Bistro Verde names itself accountable party", "gcd", "callee", {"role": "tn-allocator"},
          recipient="callee", private=True)
        i("delsig_callee", "Bistro Verde delegates to its answering service", "gcd", "callee",
          {"role": "delegated-signer", "c_goal": list(CALLEE_GOALS), "c_proto": list(DELSIG_PROTO),
           "c_after": iso(EPOCH), "c_before": iso(VALID_UNTIL)}, recipient="callee_agent",
          edges={"issuer": ("alloc_callee", "gcd", "I2I")}, private=True)
        i("callee_brand", "brand of Bistro Verde", "brand", "brand_root", {"vcard": list(CALLEE_VCARD)},
          recipient="callee")
        self._dossiers(CALLEE_DOSSIERS)
        if self.g.clock.now >= ISSUANCE_PHASE_END:
            raise WorldBuildError("the issuance phase ran past its day")

    def _credentials(self) -> None:
        i = self._issue
        i("qvi", "accreditation of the QVI", "qvi", "external", {"LEI": LEI_QVI}, recipient="qvi")
        i("le_vetting", "vetting of Acme Widgets Inc", "vetting", "qvi", {"LEI": LEI_LE}, recipient="le",
          edges={"qvi": ("qvi", "qvi", None)})
        i("tn_carrier", "range allocated to the carrier", "tn_allocation", "regulator",
          self._tn(rng=CARRIER_RANGE), recipient="carrier", private=True)
        parent = {"tnalloc": ("tn_carrier", "tn_allocation", "I2I")}
        i("tn_le", "numbers allocated to Acme", "tn_allocation", "carrier", self._tn(TN_LE), recipient="le",
          edges=parent, private=True)
        i("tn_le_revoked", "number allocated to Acme, later revoked", "tn_allocation", "carrier",
          self._tn(TN_LE_REVOKED), recipient="le", edges=parent, private=True)
        i("tn_le_wide", "number outside the carrier's range", "tn_allocation", "carrier",
          self._tn(TN_LE_WIDE), recipient="le", edges=parent, private=True)
        i("tn_acting", "numbers allocated to the acting AID", "tn_allocation", "carrier", self._tn(TN_ACTING),
          recipient="acting", edges=parent, private=True)
        i("alloc_le", "Acme names itself accountable party", "gcd", "le", {"role": "tn-allocator"},
          recipient="le", private=True)
        i("alloc_acting", "Acme lets the acting AID act for it", "gcd", "le", {"role": "tn-allocator"},
          recipient="acting", private=True)
        delsig = {"role": "delegated-signer", "c_goal": list(DELSIG_GOALS), "c_proto": list(DELSIG_PROTO),
                  "c_after": iso(EPOCH), "c_before": iso(VALID_UNTIL)}
        i("delsig_le", "Acme delegates signing to its signer", "gcd", "le", delsig, recipient="signer",
          edges={"issuer": ("alloc_le", "gcd", "I2I")}, private=True)
        i("delsig_acting", "the acting AID delegates signing", "gcd", "acting", delsig, recipient="signer_b",
          edges={"issuer": ("alloc_acting", "gcd", "I2I")}, private=True)
        i("delsig_rogue", "a third party 'delegates' Acme's signing", "gcd", "rogue", delsig, recipient="signer",
          private=True)
        i("brand", "brand of Acme Widgets Inc", "brand", "brand_root", {"vcard": list(BRAND_VCARD)},
          recipient="le")
        self._dossiers(DOSSIERS)
        i("tn_acting_revoked", "number allocated to the acting AID, later revoked", "tn_allocation", "carrier",
          self._tn(TN_ACTING_REVOKED), recipient="acting", edges=parent, private=True)
        i("tn_acting_wide", "number outside the carrier's range, to the acting AID", "tn_allocation", "carrier",
          self._tn(TN_ACTING_WIDE), recipient="acting", edges=parent, private=True)
        i("delsig_rogue_b", "a third party 'delegates' the acting AID's signing", "gcd", "rogue", delsig,
          recipient="signer_b", private=True)
        self._dossiers(TWIN_DOSSIERS)
        if self.g.clock.now >= ISSUANCE_PHASE_END:
            raise WorldBuildError("the issuance phase ran past its day")

    def _dossiers(self, plans: tuple[_DossierPlan, ...]) -> None:
        for d in plans:
            edges: dict[str, tuple[str, str, str | None]] = {
                "vetting": (d.vetting, "vetting", "NI2I"),
                "alloc": (d.alloc, "gcd", "I2I"),
                "tnalloc": (d.tnalloc, "tn_allocation", "I2I"),
                "delsig": (d.delsig, "gcd", "NI2I"),
            }
            if d.brand:
                edges["bownr"] = (d.brand_credential, "brand", "NI2I")
            self._issue(d.cred, d.title, "dossier", d.ap, {"name": d.title}, edges=edges)

    def _timeline(self) -> None:
        events: list[tuple[_dt.datetime, int, str, str]] = []
        for n, (party, at) in enumerate(self.spec.rotations):
            if party not in self.g.parties:
                raise WorldBuildError(f"rotation of unknown party {party!r}")
            events.append((at, n, "rotate", party))
        for n, (cred, at) in enumerate(self.spec.revocations):
            if cred not in self.g.creds:
                raise WorldBuildError(f"revocation of unknown credential {cred!r}")
            events.append((at, len(self.spec.rotations) + n, "revoke", cred))
        for at, _, kind, name in sorted(events):
            if at < ISSUANCE_PHASE_END:
                raise WorldBuildError(f"{kind} of {name} at {iso(at)} falls inside the issuance phase")
            if kind == "rotate":
                self.g.rotate(name, at)
            else:
                self.g.revoke(name, at)

    # -- freezing ------------------------------------------------------------------------------

    def world(self, seconds: float) -> World:
        g = self.g
        parties: dict[str, Party] = {}
        cast = PARTIES + (CALLEE_PARTIES if self.spec.callee else ()) + tuple(self.extra_parties)
        titles = {n: t for n, t, _ in cast}
        for i, w in enumerate(g.witnesses):
            name = f"witness-{i + 1}"
            kel = b"".join(bytes(m) for m in g._wby.db.clonePreIter(pre=w.pre))
            parties[name] = Party(name=name, title=f"witness {i + 1}", aid=str(w.pre), transferable=False,
                                  witnesses=(), toad=0, delegator=None, events=(), keys=(), kel=kel, oobi=kel)
        for name, _t, delegator in cast:
            st = g.parties[name]
            kel = g.kel(name)
            oobi = (parties[delegator].oobi if delegator else b"") + kel
            parties[name] = Party(name=name, title=titles[name], aid=str(st.hab.pre), transferable=True,
                                  witnesses=tuple(str(w) for w in st.hab.kever.wits), toad=st.toad,
                                  delegator=delegator, events=tuple(st.events), keys=tuple(st.keys), kel=kel, oobi=oobi)
        registries = {
            name: Registry(name=name, regk=str(g.parties[name].reg.regk), issuer=parties[name].aid,
                           issuer_party=name, tel=g.registry_tel(name),
                           events=tuple(g.parties[name].registry_events))
            for name in ISSUERS + (CALLEE_ISSUERS if self.spec.callee else ()) + tuple(self.extra_issuers)
        }
        creds: dict[str, Credential] = {}
        for name, c in g.creds.items():
            m = self.meta[name]
            issuee = m["issuee"]
            creds[name] = Credential(
                name=name, title=m["title"], said=str(c.creder.said), role=m["role"], schema=str(c.creder.schema),
                issuer=parties[c.issuer].aid, issuer_party=c.issuer,
                issuee=parties[issuee].aid if issuee else None, issuee_party=issuee,
                registry=str(c.creder.regi), raw=bytes(c.creder.raw), acdc=g.credential_acdc(name),
                tel=g.credential_tel(name), sad=acdc_json(c.creder), edges=dict(m["edges"]),
                issued_at=c.issued_at, revoked_at=c.revoked_at, tel_events=tuple(c.tel_events))
        plans = ALL_DOSSIERS + (CALLEE_DOSSIERS if self.spec.callee else ()) + tuple(self.extra_dossiers)
        dossiers = {d.name: self._dossier(d, parties, registries, creds) for d in plans}
        roles: dict[str, tuple[str, ...]] = {role: (ls.said,) for role, ls in self.s.by_role.items()}
        for ls in self.extra_schemas:  # a second schema may play a role (vetting with cited evidence)
            roles[ls.role] = roles.get(ls.role, ()) + (ls.said,)
        return World(spec=self.spec, schema_set=self.s.name,
                     schemas={ls.said: ls.raw for ls in (*self.s.by_role.values(), *self.extra_schemas)},
                     schema_roles=roles,
                     parties=parties, registries=registries, credentials=creds, dossiers=dossiers,
                     roots={"identity": "root", "tn": "regulator", "brand": "brand_root"}, build_seconds=seconds)

    @staticmethod
    def _dossier(d: _DossierPlan, parties: Mapping[str, Party], registries: Mapping[str, Registry],
                 creds: Mapping[str, Credential]) -> Dossier:
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            for target in creds[name].edges.values():
                visit(target)
            order.append(name)

        visit(d.cred)
        kel_parties: list[str] = []

        def add_party(name: str) -> None:
            delegator = parties[name].delegator
            if delegator:
                add_party(delegator)
            if name not in kel_parties:
                kel_parties.append(name)

        for name in order:
            add_party(creds[name].issuer_party)
        reg_parties: list[str] = []
        for name in order:
            if creds[name].issuer_party not in reg_parties:
                reg_parties.append(creds[name].issuer_party)
        stream = (b"".join(parties[p].kel for p in kel_parties)
                  + b"".join(registries[p].tel for p in reg_parties)
                  + b"".join(creds[n].tel for n in order)
                  + b"".join(creds[n].acdc for n in order))
        return Dossier(name=d.name, title=d.title, said=creds[d.cred].said, shape=d.shape, ap=d.ap,
                       legal_entity=d.legal_entity, signer=d.signer, numbers=d.numbers, credentials=tuple(order), stream=stream)


def build_world(spec: WorldSpec | None = None) -> World:
    """Build the world ``spec`` describes (default: own schemas, default timeline).

    Takes about a second or two; the result is plain data, so cache it (tests build one per
    session). Raises :class:`WorldBuildError` (code ``WORLD_BUILD_FAILED``) when keri refuses a
    step, and ``SchemaSetError`` (``WORLD_SCHEMAS_MISSING``) when the schema set is not there.
    """
    spec = spec or WorldSpec()
    schemas = load_schema_set(spec.schemas, spec.published_dir)
    started = time.perf_counter()
    clock = StepClock(EPOCH)
    gen = Generator(clock)
    try:
        with keri_clock(clock), quiet_keri():
            composer = _Composer(spec, schemas, gen)
            composer.run()
            world = composer.world(0.0)
    except WorldBuildError:
        raise
    except Exception as ex:  # noqa: BLE001 - any keri failure means the world is not what it claims
        raise WorldBuildError(f"{type(ex).__name__}: {ex}") from ex
    finally:
        with contextlib.suppress(Exception):
            gen.close()
    from dataclasses import replace

    return replace(world, build_seconds=time.perf_counter() - started)
