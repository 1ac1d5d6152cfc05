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
from email.utils import format_datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from vvp import codes
from vvp.testing.worldgen.build import BRAND_VCARD, DELSIG_GOALS
from vvp.testing.worldgen.model import BEFORE_ROTATION_AT, CALL_AT, REVOKE_AT, SignedCallee, SignedPassport
from vvp.clock import rfc3339
from vvp.testing.world.files import EvidenceFiles
from vvp.testing.world.server import WorldUrls

if TYPE_CHECKING:
    from vvp.testing.worldgen.model import World

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
    trust: Literal["main", "untrusted", "untrusted_tn", "strict", "foreign_strict"] = "main"


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


# --- foreign evidence (architecture §2.3): calls on the dossiers of vvp.testing.world.foreign ------------

@dataclass(frozen=True, slots=True)
class ForeignCase:
    """One foreign-evidence case of the world :mod:`vvp.testing.world.foreign` builds: the dossier whose
    vetting credential cites the case's bridges, the ``evidence`` claim a correct verifier reaches,
    and the first code of the case's artifact entry (None: it verifies). ``w3c``: the case exists
    only in a world built with the W3C contexts of the shared corpus."""

    name: str
    title: str
    dossier: str
    evidence: Status
    code: str | None
    w3c: bool = False


FOREIGN_CASES: tuple[ForeignCase, ...] = (
    ForeignCase("cert-valid", "a valid RFC 9060 delegate certificate for orig, with the CRLs of its path",
                "ev_cert_valid", "VALID", None),
    ForeignCase("cert-valid-ocsp", "a valid delegate certificate, its revocation status from an OCSP response "
                "archived at the call", "ev_cert_valid_ocsp", "VALID", None),
    ForeignCase("cert-revoked-before", "a delegate certificate revoked before the call (CRL at the call)",
                "ev_cert_revoked_before", "INVALID", codes.X509_REVOKED),
    ForeignCase("cert-revoked-after", "a delegate certificate revoked after the call (CRLs issued later)",
                "ev_cert_revoked_after", "VALID", None),
    ForeignCase("cert-expired", "a delegate certificate that expired before the call", "ev_cert_expired",
                "INVALID", codes.X509_EXPIRED),
    ForeignCase("cert-unknown-anchor", "a delegate certificate under a root nobody configured",
                "ev_cert_unknown_anchor", "INVALID", codes.X509_NO_TRUSTED_PATH),
    ForeignCase("digest-mismatch", "the bytes served are not the bytes the bridge's digest binds",
                "ev_digest_mismatch", "INVALID", codes.BRIDGE_DIGEST_MISMATCH),
    ForeignCase("artifact-unreachable", "the artifact's URL cannot be fetched (the server answers 404)",
                "ev_artifact_gone", "INDETERMINATE", codes.FETCH_HTTP_STATUS),
    ForeignCase("rtu-valid", "a valid RFC 9447 TNAuthList authority token for orig", "ev_rtu_valid", "VALID", None),
    ForeignCase("rtu-not-orig", "an authority token whose TNAuthList does not cover orig", "ev_rtu_not_orig",
                "INVALID", codes.EVIDENCE_TN_NOT_COVERED),
    ForeignCase("sd-jwt-vc", "an SD-JWT VC of the legal entity (name, LEI, numbers; key binding)", "ev_sd_jwt_vc",
                "VALID", None),
    ForeignCase("w3c-vc", "a W3C VC (eddsa-rdfc-2022) of the legal entity", "ev_w3c_vc", "VALID", None, w3c=True),
)


def foreign_scenarios(*, w3c: bool = False) -> tuple[Scenario, ...]:
    """Each foreign case twice: under the world's ``trust.json`` (``foreign_evidence: "report"``,
    the call's status is the other claims': VALID) and under ``trust-foreign-strict.json`` (the
    status follows the ``evidence`` claim)."""
    out: list[Scenario] = []
    for c in FOREIGN_CASES:
        if c.w3c and not w3c:
            continue
        out.append(Scenario(f"evidence-{c.name}", f"{c.title}; evidence reported", c.dossier, ("VALID",),
                            claim="evidence"))
        out.append(Scenario(f"evidence-{c.name}-strict", f"{c.title}; evidence counts (strict)", c.dossier,
                            (c.evidence,), claim="evidence", trust="foreign_strict"))
    return tuple(out)


def foreign_case(name: str) -> ForeignCase:
    """The case of a foreign scenario (``evidence-<case>`` or ``evidence-<case>-strict``) or of a case name."""
    for c in FOREIGN_CASES:
        if name in (c.name, f"evidence-{c.name}", f"evidence-{c.name}-strict"):
            return c
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
    trusts = {"main": files.trust, "untrusted": files.trust_untrusted, "untrusted_tn": files.trust_untrusted_tn,
              "strict": files.trust_strict, "foreign_strict": files.trust_foreign_strict}
    trust = trusts[s.trust]
    if trust is None:
        raise KeyError(f"scenario {s.name} needs trust {s.trust!r}, which this world's files do not have")
    return Call(scenario=s, passport=sp, orig=orig, dest=s.dest, at=s.at, trust=trust, kid=kid, evd=evd)


def make_calls(world: World, urls: WorldUrls, files: EvidenceFiles,
               scenarios: Sequence[Scenario] = SCENARIOS) -> tuple[Call, ...]:
    """Sign every scenario's PASSporT against the served URLs."""
    return tuple(make_call(world, urls, files, s) for s in scenarios)


# --- callee calls (architecture §2.2): the called party answers with its own PASSporT ----------

CALLER_TN = "+15551230001"
"""Who calls the callee in these scenarios: Acme's first number."""


@dataclass(frozen=True, slots=True)
class CalleeScenario:
    """One answer to verify in a world built with ``WorldSpec(callee=True)``.

    The call: Acme (``CALLER_TN``) calls ``dest`` (None: the dossier's first number) with Call-ID
    ``<name>@acme.example`` and CSeq ``1 INVITE``; its INVITE carries Acme's own PASSporT with
    ``caller_goal``. The answer: a 200 OK whose SDP holds the callee PASSporT signed by ``signer``
    (None: the dossier's), citing ``dossier`` (``evd_dossier`` to cite another one), with ``iat`` at
    ``at + iat_offset_s`` and ``exp`` ``validity_s`` after it (None: no exp). ``claim_call_id`` and
    ``claim_cseq`` override what the PASSporT claims (None: the INVITE's)."""

    name: str
    title: str
    dossier: str
    expected: tuple[Status, ...]
    claim: str | None = None
    signer: str | None = None
    dest: str | None = None
    evd_dossier: str | None = None
    at: _dt.datetime = CALL_AT
    iat_offset_s: int = -1
    validity_s: int | None = 15
    claim_call_id: str | None = None
    claim_cseq: int | str | None = None
    goal: str | None = GOAL
    caller_goal: str | None = GOAL
    card: tuple[str, ...] | None = ("ORG:Bistro Verde", "NICKNAME:Bistro")
    tamper: Literal["signature", "payload"] | None = None
    header_changes: tuple[tuple[str, str | None], ...] = ()
    extra_claims: tuple[tuple[str, object], ...] = ()
    kid_unreachable: bool = False


CALLEE_SCENARIOS: tuple[CalleeScenario, ...] = (
    CalleeScenario("callee-valid", "the callee answers with its own PASSporT and dossier", "callee", ("VALID",)),
    CalleeScenario("callee-no-exp", "no exp: the callee imposes no new timeout (CE-06)", "callee", ("VALID",),
                   validity_s=None),
    CalleeScenario("callee-unknown-claims", "claims a callee PASSporT does not define are ignored (CE-08)",
                   "callee", ("VALID",),
                   extra_claims=(("x-vendor", {"trace": "a1"}), ("orig", {"tn": ["+15551230020"]}))),
    CalleeScenario("callee-dno-number", "answered on an inbound-only (do-not-originate) number (VC-07)",
                   "callee_dno", ("VALID",)),
    CalleeScenario("callee-brand-not-justified", "a card line the callee's brand credential does not hold: "
                   "brand suppressed only", "callee", ("VALID",), claim="brand",
                   card=("ORG:Bistro Verde", "NICKNAME:Acme")),
    CalleeScenario("callee-call-id-mismatch", "call-id names another call (VC-01)", "callee", ("INVALID",),
                   claim="context", claim_call_id="another-call@acme.example"),
    CalleeScenario("callee-cseq-mismatch", "cseq is not the INVITE's (VC-01)", "callee", ("INVALID",),
                   claim="context", claim_cseq=2),
    CalleeScenario("callee-iat-far-off", "iat ten minutes before the answer (VC-02)", "callee", ("INVALID",),
                   claim="context", iat_offset_s=-600, validity_s=None),
    CalleeScenario("callee-expired", "exp before the answer was received (VC-03)", "callee", ("INVALID",),
                   claim="passport", iat_offset_s=-20, validity_s=10),
    CalleeScenario("callee-dossier-of-another", "the PASSporT cites a dossier another AID issued (VC-05)",
                   "callee", ("INVALID",), claim="authorization", evd_dossier="le"),
    CalleeScenario("callee-delegate-signs", "the callee's answering service signs: a callee has no delegate (VC-05)",
                   "callee", ("INVALID",), claim="authorization", signer="callee_agent"),
    CalleeScenario("callee-number-not-allocated", "the called number is in no allocation the callee holds (VC-07)",
                   "callee", ("INVALID",), claim="tn_rights", dest="+15551230099"),
    CalleeScenario("callee-goals-disjoint", "the goals do not overlap (VC-09)", "callee", ("INVALID",),
                   claim="business", goal="support", caller_goal="negotiate.schedule"),
    CalleeScenario("callee-bad-signature", "one bit of the signature flipped (VC-04)", "callee", ("INVALID",),
                   claim="passport", tamper="signature"),
    CalleeScenario("callee-es256", "alg ES256 (CE-09: the caller's header rules)", "callee", ("INVALID",),
                   claim="passport", header_changes=(("alg", "ES256"),)),
    CalleeScenario("callee-oobi-unreachable", "the callee's kid OOBI cannot be fetched (VC-04)", "callee",
                   ("INDETERMINATE",), claim="passport", kid_unreachable=True),
)


def callee_scenario(name: str) -> CalleeScenario:
    for s in CALLEE_SCENARIOS:
        if s.name == name:
            return s
    raise KeyError(name)


def _sdp(value_lines: Sequence[str]) -> str:
    """A real-looking SDP answer: session-level attributes, then an audio and a video section."""
    return "\n".join([
        "v=0", "o=bistro 2890844527 2890844528 IN IP4 198.51.100.7", "s=-", "c=IN IP4 198.51.100.7", "t=0 0",
        *value_lines,
        "m=audio 49172 RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000", "a=sendrecv",
        "m=video 51372 RTP/AVP 99", "a=rtpmap:99 H264/90000", "a=inactive", ""])


def invite_text(*, call_id: str, dest: str, date: _dt.datetime, identity: str | None) -> str:
    """The INVITE a callee answers (LF line ends; callers turn them into CRLF)."""
    lines = [f"INVITE sip:{dest}@bistro.example;user=phone SIP/2.0",
             "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9",
             "Max-Forwards: 70",
             f"From: \"Acme Widgets\" <sip:{CALLER_TN}@acme.example;user=phone>;tag=9fxced76sl",
             f"To: <sip:{dest}@bistro.example;user=phone>",
             f"Call-ID: {call_id}",
             "CSeq: 1 INVITE",
             f"Date: {format_datetime(date, usegmt=True)}",
             "Contact: <sip:acme-gw@192.0.2.10:5060>"]
    if identity is not None:
        lines.append(f"Identity: {identity}")
    lines += ["Content-Type: application/sdp", "Content-Length: 0", "", ""]
    return "\n".join(lines)


def response_text(*, call_id: str, dest: str, sdp_lines: Sequence[str], status: str = "200 OK",
                  sdp: str | None = None) -> str:
    """A 200 OK (or another status) answering :func:`invite_text`'s INVITE, with an SDP body holding
    ``sdp_lines`` at session level (``sdp`` replaces the whole body)."""
    body = sdp if sdp is not None else _sdp(sdp_lines)
    return "\n".join([
        f"SIP/2.0 {status}",
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;received=192.0.2.10",
        f"From: \"Acme Widgets\" <sip:{CALLER_TN}@acme.example;user=phone>;tag=9fxced76sl",
        f"To: <sip:{dest}@bistro.example;user=phone>;tag=8321234356",
        f"Call-ID: {call_id}",
        "CSeq: 1 INVITE",
        "Contact: <sip:bistro@198.51.100.7:5060>",
        "Content-Type: application/sdp",
        f"Content-Length: {len(body.replace(chr(10), chr(13) + chr(10)).encode())}",
        "", body])


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class CalleeCall:
    """A callee scenario made concrete: the signed value, the INVITE and the 200 OK (written as
    files beside the trust stores), the reference time and the trust store."""

    scenario: CalleeScenario
    passport: SignedCallee
    invite: Path
    response: Path
    at: _dt.datetime
    trust: Path
    kid: str
    evd: str
    call_id: str
    cseq: str
    dest: str
    caller_goal: str | None

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def value(self) -> str:
        return self.passport.value

    def argv(self, *, evidence_map: Path | None = None, offline: bool = False, json_out: bool = False,
             via: Literal["value", "sip"] = "sip") -> list[str]:
        """``vvp verify`` arguments: the 200 OK and its INVITE (``via="sip"``), or the value with
        the INVITE's identifiers (``via="value"``)."""
        if via == "sip":
            args = ["verify", "--sip", str(self.response), "--invite", str(self.invite)]
        else:
            args = ["verify", "--callee", self.value, "--call-id", self.call_id, "--cseq", self.cseq,
                    "--dest", self.dest]
            if self.caller_goal is not None:
                args += ["--caller-goal", self.caller_goal]
        args += ["--at", rfc3339(self.at), "--trust", str(self.trust)]
        if evidence_map is not None:
            args += ["--evidence", str(evidence_map)]
        if offline:
            args.append("--offline")
        if json_out:
            args.append("--json")
        return args

    def command(self, *, evidence_map: Path | None = None, offline: bool = False) -> str:
        return shlex.join(["vvp", *self.argv(evidence_map=evidence_map, offline=offline)])


def make_callee_call(world: World, urls: WorldUrls, files: EvidenceFiles, s: CalleeScenario) -> CalleeCall:
    """Sign the scenario's caller and callee PASSporTs against the served URLs, write its INVITE and
    200 OK under ``<files>/callee/``."""
    if "callee" not in world.parties:
        raise KeyError("callee scenarios need a world built with WorldSpec(callee=True)")
    d = world.dossiers[s.dossier]
    signer = s.signer or d.signer
    dest = s.dest or d.numbers[0]
    call_id = f"{s.name}@acme.example"
    iat = int((s.at + _dt.timedelta(seconds=s.iat_offset_s)).timestamp())
    caller = world.dossiers["le"]
    caller_iat = int((s.at - _dt.timedelta(seconds=3)).timestamp())
    caller_pp = world.passport(signer=caller.signer, kid=urls.kid(world, caller.signer), evd=urls.evd(caller.said),
                               orig=CALLER_TN, dest=dest, iat=caller_iat, exp=caller_iat + 15, card=CARD,
                               goal=s.caller_goal)
    aid = world.parties[signer].aid
    kid = f"{urls.base}/unreachable/oobi/{aid}" if s.kid_unreachable else urls.kid(world, signer)
    evd = urls.evd(world.dossiers[s.evd_dossier or s.dossier].said)
    sc = world.callee_passport(signer=signer, kid=kid, evd=evd,
                               call_id=s.claim_call_id if s.claim_call_id is not None else call_id,
                               cseq=s.claim_cseq if s.claim_cseq is not None else 1, iat=iat,
                               exp=iat + s.validity_s if s.validity_s is not None else None, card=s.card, goal=s.goal,
                               tamper=s.tamper, header_changes=dict(s.header_changes) or None,
                               extra_claims=dict(s.extra_claims) or None)
    folder = files.dir / "callee"
    folder.mkdir(exist_ok=True)
    invite = folder / f"{s.name}.invite.sip"
    invite.write_bytes(crlf(invite_text(call_id=call_id, dest=dest, date=s.at - _dt.timedelta(seconds=3),
                                        identity=caller_pp.identity)))
    response = folder / f"{s.name}.200.sip"
    response.write_bytes(crlf(response_text(call_id=call_id, dest=dest, sdp_lines=[sc.sdp_line])))
    return CalleeCall(scenario=s, passport=sc, invite=invite, response=response, at=s.at, trust=files.trust,
                      kid=kid, evd=evd, call_id=call_id, cseq="1 INVITE", dest=dest, caller_goal=s.caller_goal)


def make_callee_calls(world: World, urls: WorldUrls, files: EvidenceFiles,
                      scenarios: Sequence[CalleeScenario] = CALLEE_SCENARIOS) -> tuple[CalleeCall, ...]:
    return tuple(make_callee_call(world, urls, files, s) for s in scenarios)
