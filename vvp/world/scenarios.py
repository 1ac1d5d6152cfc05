"""Named calls in the test world: what is signed, by whom, when, and what a verifier should say.

Each :class:`Scenario` is data (which dossier, which signer, which key, which claims, which
reference time and trust store); :func:`make_calls` turns scenarios into :class:`Call` s with a
signed Identity header value once the world is served (URLs carry the server's port).

``expected`` is the overall status a correct verifier reaches under the trust store the scenario
names, per the architecture's status rules; where the rules leave the choice between INVALID and
INDETERMINATE to the verifier's reading (an untrusted root), both are listed. ``claim`` names the
claim that should carry the finding, as a hint for tests; it is not a promise about codes, which
belong to the verifier.
"""

from __future__ import annotations

import datetime as _dt
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from vvp._keri.worldgen.build import BRAND_VCARD, DELSIG_GOALS
from vvp._keri.worldgen.model import BEFORE_ROTATION_AT, CALL_AT, REVOKE_AT, SignedPassport
from vvp.clock import rfc3339
from vvp.world.files import EvidenceFiles
from vvp.world.server import WorldUrls

if TYPE_CHECKING:
    from vvp._keri.worldgen.model import World

DEST = "+16135550142"
GOAL = DELSIG_GOALS[0]
CARD: tuple[str, ...] = BRAND_VCARD[:2]

Status = Literal["VALID", "INVALID", "INDETERMINATE"]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One call to make in the world. ``orig`` None means the dossier's first allocated number;
    ``key_at`` None means the key in force at ``iat``; ``iat`` is ``at + iat_offset_s``."""

    name: str
    title: str
    dossier: str
    expected: tuple[Status, ...]
    claim: str | None = None
    signer: str | None = None
    orig: str | None = None
    dest: str = DEST
    at: _dt.datetime = CALL_AT
    iat_offset_s: int = -2
    validity_s: int = 15
    key_at: _dt.datetime | None = None
    form: Literal["jws", "cesr"] = "jws"
    tamper: Literal["signature", "payload"] | None = None
    goal: str | None = GOAL
    card: tuple[str, ...] | None = CARD
    trust: Literal["main", "untrusted", "untrusted_tn", "strict"] = "main"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("valid", "valid call, the legal entity is the accountable party", "le", ("VALID",)),
    Scenario("valid-acting", "valid call, an AID acting for the legal entity is the accountable party",
             "acting", ("VALID",)),
    Scenario("valid-cesr-signature", "valid call, signature in the CESR 0B form", "le", ("VALID",), form="cesr"),
    Scenario("valid-before-rotation", "valid call made before the signer rotated, verified at its time", "le",
             ("VALID",), at=BEFORE_ROTATION_AT),
    Scenario("valid-before-revocation", "call on the later-revoked allocation, verified at its time (before)",
             "revoked_tn", ("VALID",), at=REVOKE_AT - _dt.timedelta(days=1)),
    Scenario("brand-not-justified", "a card line the brand credential does not hold: brand suppressed only",
             "le", ("VALID",), claim="brand", card=(*CARD, "NICKNAME:Acme Bank")),
    Scenario("bad-signature", "one bit of the signature flipped", "le", ("INVALID",), claim="passport",
             tamper="signature"),
    Scenario("payload-changed", "dest changed after signing", "le", ("INVALID",), claim="passport",
             tamper="payload"),
    Scenario("rotated-out-key", "signed with the signer's key from before its rotation", "le", ("INVALID",),
             claim="passport", key_at=BEFORE_ROTATION_AT),
    Scenario("expired", "iat ten minutes before the reference time", "le", ("INVALID",), claim="passport",
             iat_offset_s=-600),
    Scenario("validity-too-long", "exp - iat is 300 s (the limit is 60)", "le", ("INVALID",), claim="passport",
             validity_s=300),
    Scenario("wrong-orig", "orig is not a number allocated to the accountable party", "le", ("INVALID",),
             claim="tn_rights", orig="+15551230999"),
    Scenario("revoked-tn-allocation", "the dossier's TN allocation was revoked before the call", "revoked_tn",
             ("INVALID",), claim="tn_rights"),
    Scenario("allocation-outside-parent", "the TN allocation lists a number outside its parent's range",
             "wide_tn", ("INVALID",), claim="tn_rights"),
    Scenario("foreign-delegated-signer", "the delegated-signer credential is issued by a third party",
             "foreign_delsig", ("INVALID",), claim="authorization"),
    Scenario("goal-not-delegated", "goal outside the delegation's c_goal", "le", ("INVALID",),
             claim="authorization", goal="sell.consumer"),
    Scenario("revoked-dossier", "the dossier itself was revoked before the call", "revoked", ("INVALID",),
             claim="dossier"),
    Scenario("untrusted-identity-root", "the trust store trusts another identity root", "le",
             ("INVALID", "INDETERMINATE"), claim="dossier", trust="untrusted"),
    Scenario("untrusted-tn-root", "the trust store trusts another TN root", "le",
             ("INVALID", "INDETERMINATE"), claim="dossier", trust="untrusted_tn"),
    Scenario("brand-not-justified-strict", "a card line the brand credential does not hold, brand_failure strict",
             "le", ("INVALID",), claim="brand", card=(*CARD, "NICKNAME:Acme Bank"), trust="strict"),
    Scenario("no-card-no-brand", "no card and no brand credential: nothing to justify", "no_brand", ("VALID",),
             card=None),
    Scenario("card-without-brand-credential", "a card but no brand credential in the dossier: brand suppressed only",
             "no_brand", ("VALID",), claim="brand"),
    Scenario("kid-not-delegated-signer", "signed by a signer the delegated-signer credential does not name", "le",
             ("INVALID",), claim="authorization", signer="signer_b"),
    Scenario("revoked-tn-allocation-acting", "the acting AID's TN allocation was revoked before the call",
             "revoked_tn_acting", ("INVALID",), claim="tn_rights"),
    Scenario("allocation-outside-parent-acting", "the acting AID's allocation lists a number outside its parent",
             "wide_tn_acting", ("INVALID",), claim="tn_rights"),
    Scenario("foreign-delegated-signer-acting", "the acting AID's delegated signer is delegated by a third party",
             "foreign_delsig_acting", ("INVALID",), claim="authorization"),
)


def scenario(name: str) -> Scenario:
    for s in SCENARIOS:
        if s.name == name:
            return s
    raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Call:
    """A scenario made concrete: a signed Identity value, SIP context, reference time, trust store."""

    scenario: Scenario
    passport: SignedPassport
    orig: str
    dest: str
    at: _dt.datetime
    trust: Path
    kid: str
    evd: str
    extra_args: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def identity(self) -> str:
        return self.passport.identity

    def argv(self, *, evidence_map: Path | None = None, offline: bool = False, json_out: bool = False) -> list[str]:
        """``vvp`` arguments (without the program name) that verify this call."""
        args = ["verify", "--identity", self.identity, "--orig", self.orig, "--dest", self.dest,
                "--at", rfc3339(self.at), "--trust", str(self.trust)]
        if evidence_map is not None:
            args += ["--evidence", str(evidence_map)]
        if offline:
            args.append("--offline")
        if json_out:
            args.append("--json")
        return args + list(self.extra_args)

    def command(self, *, evidence_map: Path | None = None, offline: bool = False) -> str:
        """The shell command a person can paste to verify this call."""
        return shlex.join(["vvp", *self.argv(evidence_map=evidence_map, offline=offline)])


def make_call(world: World, urls: WorldUrls, files: EvidenceFiles, s: Scenario) -> Call:
    d = world.dossiers[s.dossier]
    signer = s.signer or d.signer
    orig = s.orig or d.numbers[0]
    iat = int((s.at + _dt.timedelta(seconds=s.iat_offset_s)).timestamp())
    kid = urls.kid(world, signer)
    evd = urls.evd(d.said)
    sp = world.passport(signer=signer, kid=kid, evd=evd, orig=orig, dest=s.dest, iat=iat, exp=iat + s.validity_s,
                        card=s.card, goal=s.goal, key_at=s.key_at, form=s.form, tamper=s.tamper)
    trust = {"main": files.trust, "untrusted": files.trust_untrusted, "untrusted_tn": files.trust_untrusted_tn,
             "strict": files.trust_strict}[s.trust]
    return Call(scenario=s, passport=sp, orig=orig, dest=s.dest, at=s.at, trust=trust, kid=kid, evd=evd)


def make_calls(world: World, urls: WorldUrls, files: EvidenceFiles,
               scenarios: Sequence[Scenario] = SCENARIOS) -> tuple[Call, ...]:
    """Sign every scenario's PASSporT against the served URLs."""
    return tuple(make_call(world, urls, files, s) for s in scenarios)
