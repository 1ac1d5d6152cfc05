"""``vvp demo``: build the world, serve it, verify its calls, print the verdicts.

The demo runs the verifier only through its published contract, the ``vvp verify`` command line
(architecture §4.1), in process, with ``--json``. It never makes a verdict up: when this build of
vvp has no ``vvp verify`` it says so for every call and shows only what it could check through
modules that exist (that each call's ``kid`` OOBI and ``evd`` dossier are served and fetched by
vvp's own fetcher with the right content types). A verifier that returns INDETERMINATE with
``NOT_CHECKED_IN_THIS_VERSION`` shows up as exactly that.

The output folder is kept (its path is printed) so that every call can be rerun by hand after the
server is gone: ``calls.sh`` holds one ``vvp verify ... --evidence evidence.json --offline``
command per call.

The world includes the called party (``WorldSpec(callee=True)``), so after the calls the demo
verifies *answers*: each callee scenario's 200 OK, whose SDP carries the callee's own PASSporT,
with ``vvp verify --sip RESPONSE --invite INVITE`` (architecture §2.2), in a table of its own.

It also holds foreign evidence (:mod:`vvp.testing.world.foreign`, architecture §2.3): dossiers whose
vetting credential cites bridges binding delegate certificates, CRLs, an OCSP response, authority
tokens and an SD-JWT VC (the W3C VC case needs the shared corpus and is left out). Each case is
verified under ``trust.json`` (``foreign_evidence: "report"``) and ``trust-foreign-strict.json``,
and a third table shows the artifact's judgement beside both statuses. The world is built for the
server's base URL (the bridges hold their artifacts' URLs), so the server starts first.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from vvp import codes
from vvp.clock import rfc3339
from vvp.errors import VvpError
from vvp.fetch import EvidenceKind, FetchLimits, HttpFetcher
from vvp.testing.world import ServedWorld
from vvp.testing.world.foreign import served_foreign_world
from vvp.testing.world.scenarios import FOREIGN_CASES, Call, CalleeCall, ForeignCase

CLAIM_ORDER = ("passport", "context", "dossier", "authorization", "tn_rights", "brand", "business", "evidence")
NOT_AVAILABLE = "vvp verify is not available in this version"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the verifier said about one call, or why nothing was said. ``evidence`` is the
    verdict's ``evidence`` claim (foreign evidence; empty when there is none)."""

    status: str | None
    findings: tuple[tuple[str, str], ...]
    exit_code: int | None
    note: str
    evidence: Any = None

    @property
    def verified(self) -> bool:
        return self.status is not None

    @property
    def only_unchecked(self) -> bool:
        """Every finding says "not checked in this version" (so a difference is not a wrong verdict)."""
        return bool(self.findings) and all(code in UNCHECKED for _, code in self.findings)


def verifier_available() -> bool:
    """True when this build has ``vvp verify`` (its module ``vvp._cli.verify_cmd``)."""
    return importlib.util.find_spec("vvp._cli.verify_cmd") is not None


def _codes_of(doc: Any) -> tuple[tuple[str, str], ...]:
    """(claim, code) of every failing or indeterminate check, in claim order."""
    out: list[tuple[str, str]] = []
    claims = doc.get("claims", {}) if isinstance(doc, dict) else {}
    for name in CLAIM_ORDER:
        claim = claims.get(name)
        if isinstance(claim, dict):
            for code in claim.get("codes", []) or []:
                if (name, str(code)) not in out:
                    out.append((name, str(code)))
    return tuple(out)


def _codes_text(pairs: Sequence[tuple[str, str]], limit: int = 72) -> str:
    """``CODE (claim, claim); CODE2 (claim)``, shortened to ``limit`` characters."""
    by_code: dict[str, list[str]] = {}
    for claim, code in pairs:
        by_code.setdefault(code, []).append(claim)
    text = "; ".join(f"{code} ({', '.join(claims)})" for code, claims in by_code.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


UNCHECKED = frozenset({codes.NOT_CHECKED_IN_THIS_VERSION, codes.NO_CHECKS})


def verify_call(call: Call | CalleeCall) -> Outcome:
    """Verify one call with ``vvp verify --json`` in process; the single door to the verifier."""
    if not verifier_available():
        return Outcome(None, (), None, NOT_AVAILABLE)
    from vvp._cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(call.argv(json_out=True))
    try:
        doc = json.loads(out.getvalue())
        status = doc["status"]
    except (ValueError, KeyError, TypeError):
        last = (err.getvalue().strip().splitlines() or ["no output"])[-1]
        return Outcome(None, (), rc, f"no verdict (exit {rc}): {last[:160]}")
    return Outcome(str(status), _codes_of(doc), rc, "", doc.get("claims", {}).get("evidence"))


@dataclass(frozen=True, slots=True)
class EvidenceProbe:
    """Whether a call's kid OOBI and evd dossier came back from the server as vvp fetches them."""

    kid_ok: bool
    evd_ok: bool
    detail: str


def probe_evidence(call: Call | CalleeCall) -> EvidenceProbe:
    fetcher = HttpFetcher(FetchLimits(allow_private_addresses=True))
    details = []
    ok = []
    for url, kind in ((call.kid, EvidenceKind.OOBI), (call.evd, EvidenceKind.DOSSIER)):
        try:
            got = fetcher.fetch(url, kind)
            ok.append(True)
            details.append(f"{kind.value} {got.content_type} {len(got.body)} B")
        except VvpError as ex:
            ok.append(False)
            details.append(f"{kind.value} {ex.code}")
    return EvidenceProbe(ok[0], ok[1], ", ".join(details))


def _short(aid: str) -> str:
    return f"{aid[:8]}…"


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header) - 1)]
    lines = []
    for r in [header, *rows]:
        cells = [r[i].ljust(widths[i]) for i in range(len(header) - 1)] + [r[-1]]
        lines.append("  ".join(cells).rstrip())
    return lines


def _report(out: TextIO, calls: Sequence[Call], outcomes: Sequence[Outcome], probes: Sequence[EvidenceProbe]) -> None:
    rows = []
    for i, (call, oc) in enumerate(zip(calls, outcomes, strict=True), 1):
        expected = "|".join(call.scenario.expected)
        got = oc.status if oc.status is not None else "not verified"
        notes = _codes_text(oc.findings) if oc.findings else (oc.note or "-")
        rows.append([str(i), call.name, rfc3339(call.at), expected, got, _mark(call, oc), notes])
    for line in _table(rows, ["#", "scenario", "reference time", "expected", "got", "", "codes / notes"]):
        out.write(f"  {line}\n")
    out.write("\n")
    kid_ok = sum(p.kid_ok for p in probes)
    evd_ok = sum(p.evd_ok for p in probes)
    out.write(f"evidence  {kid_ok}/{len(probes)} kid OOBIs and {evd_ok}/{len(probes)} dossiers fetched from the "
              "server by vvp's fetcher with the expected content types\n")
    verified = [oc for oc in outcomes if oc.verified]
    if not verified:
        note = outcomes[0].note if outcomes else NOT_AVAILABLE
        out.write(f"verdicts  none: {note}; nothing above is a verdict\n")
        return
    marks = [_mark(c, oc) for c, oc in zip(calls, outcomes, strict=True)]
    out.write(f"verdicts  {len(verified)}/{len(outcomes)} calls verified: {marks.count('ok')} as expected, "
              f"{marks.count('unchecked')} not decided because this version does not check those claims yet "
              f"({codes.NOT_CHECKED_IN_THIS_VERSION}), {marks.count('DIFFERS')} different from the expectation\n")


def _answers(out: TextIO, calls: Sequence[CalleeCall], outcomes: Sequence[Outcome]) -> None:
    """The callee table: each answer's 200 OK verified against its INVITE."""
    rows = []
    for i, (call, oc) in enumerate(zip(calls, outcomes, strict=True), 1):
        got = oc.status if oc.status is not None else "not verified"
        notes = _codes_text(oc.findings) if oc.findings else (oc.note or "-")
        rows.append([str(i), call.name, "|".join(call.scenario.expected), got, _mark(call, oc), notes])
    for line in _table(rows, ["#", "answer", "expected", "got", "", "codes / notes"]):
        out.write(f"  {line}\n")
    out.write("\n")
    marks = [_mark(c, oc) for c, oc in zip(calls, outcomes, strict=True)]
    verified = sum(1 for oc in outcomes if oc.verified)
    out.write(f"answers   {verified}/{len(outcomes)} callee answers verified: {marks.count('ok')} as expected, "
              f"{marks.count('DIFFERS')} different from the expectation\n")


def _artifact_cell(ev: Any, bridge: str) -> tuple[str, str]:
    """(artifact status, ``media type: codes; consistent``) of one bridge's entry in an evidence claim."""
    arts = ev.get("artifacts", []) if isinstance(ev, dict) else []
    entry = next((a for a in arts if isinstance(a, dict) and a.get("bridge") == bridge), None)
    if entry is None:
        return "-", "no entry for the bridge"
    consistent = {True: "agree", False: "contradict", None: "not compared"}.get(entry.get("consistent"), "?")
    text = (f"{entry.get('media_type')}: {', '.join(entry.get('codes') or []) or 'verified'}; facts {consistent}"
            + (f"; +{len(arts) - 1} CRL/OCSP bridges" if len(arts) > 1 else ""))
    return str(entry.get("status")), text


def _foreign(out: TextIO, sw: ServedWorld, cases: Sequence[ForeignCase],
             outcomes: Sequence[tuple[Outcome, Outcome]]) -> None:
    """The foreign-evidence table: each case's artifact, and the call's status under both trust stores."""
    spec = sw.world.spec.foreign
    rows = []
    ok = 0
    for i, (case, (rep, strict)) in enumerate(zip(cases, outcomes, strict=True), 1):
        bridge = ""
        if spec is not None:
            plan = next(d for d in spec.dossiers if d.name == case.dossier)
            bridge = sw.world.credentials[plan.bridges[0]].said
        art_status, text = _artifact_cell(rep.evidence, bridge)
        fine = (rep.status == "VALID" and strict.status == case.evidence and art_status == case.evidence)
        ok += fine
        rows.append([str(i), case.name, f"{art_status}", f"{rep.status or '-'}", f"{strict.status or '-'}",
                     "ok" if fine else ("" if rep.status is None else "DIFFERS"), text])
    for line in _table(rows, ["#", "case", "artifact", "report", "strict", "", "what the artifact is and what was found"]):
        out.write(f"  {line}\n")
    out.write("\n")
    out.write(f"foreign   {ok}/{len(cases)} cases as expected: the artifact judged under its own rules at the call's "
              "time; under report the call's status is the other claims', under strict it follows the evidence\n")


def _mark(call: Call | CalleeCall, oc: Outcome) -> str:
    if oc.status is None:
        return ""
    if oc.only_unchecked:
        return "unchecked"
    return "ok" if oc.status in call.scenario.expected else "DIFFERS"


def _write_script(sw: ServedWorld) -> Path:
    lines = ["#!/bin/sh", "# Each call of the demo, verified offline from the evidence the demo served.", ""]
    for call in sw.calls:
        lines.append(f"# {call.name}: {call.scenario.title} (expected {'|'.join(call.scenario.expected)})")
        lines.append(call.command(evidence_map=sw.files.evidence_map, offline=True))
        lines.append("")
    for answer in sw.callee_calls:
        lines.append(f"# {answer.name}: {answer.scenario.title} (expected {'|'.join(answer.scenario.expected)})")
        lines.append(answer.command(evidence_map=sw.files.evidence_map, offline=True))
        lines.append("")
    # (the foreign-evidence calls are in sw.calls, named evidence-*, with their report and strict trust stores)
    path = sw.files.dir / "calls.sh"
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o755)
    return path


def run_demo(out: TextIO, *, workdir: str | Path | None = None) -> int:
    """The whole demo; returns the exit code (0 when it ran to the end)."""
    out.write("vvp demo: a deterministic test world, served on 127.0.0.1, and calls verified in it\n\n")
    started = time.perf_counter()
    folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="vvp-demo-"))
    with served_foreign_world(folder, callee=True) as sw:
        world = sw.world
        n_creds = len(world.credentials)
        out.write(f"world     {world.schema_set} schemas, {len(world.parties)} identifiers, {n_creds} credentials, "
                  f"{len(world.dossiers)} dossiers, built in {time.perf_counter() - started:.1f} s\n")
        out.write(f"roots     identity {_short(world.root_aid('identity'))}  tn {_short(world.root_aid('tn'))}  "
                  f"brand {_short(world.root_aid('brand'))}\n")
        out.write(f"serving   {sw.server.base_url}  ({len(sw.server.paths())} paths: OOBIs, dossiers, schemas, TELs, "
                  "foreign artifacts)\n")
        out.write(f"files     {sw.files.dir}  (trust.json, trust-untrusted.json, trust-untrusted-tn.json, "
                  "trust-strict.json, trust-foreign-strict.json, foreign/, evidence.json, calls.sh)\n\n")
        if not verifier_available():
            out.write(f"note      {NOT_AVAILABLE}: the calls below are signed and served, not verified\n\n")
        calls = [c for c in sw.calls if not c.name.startswith("evidence-")]
        outcomes = [verify_call(c) for c in calls]
        probes = [probe_evidence(c) for c in calls]
        script = _write_script(sw)
        _report(out, calls, outcomes, probes)
        if sw.callee_calls:
            out.write("\nAnswers: the called party's own PASSporT in the SDP of its 200 OK, verified with "
                      "vvp verify --sip RESPONSE --invite INVITE\n\n")
            _answers(out, sw.callee_calls, [verify_call(c) for c in sw.callee_calls])
        names = {c.name for c in sw.calls}
        cases = [c for c in FOREIGN_CASES if f"evidence-{c.name}" in names]
        if cases:
            out.write("\nForeign evidence: bridges in the vetting credential bind artifacts by digest; each is judged "
                      "under its own rules (X.509 with archived CRLs/OCSP, RFC 9447 tokens, SD-JWT VCs)\n\n")
            _foreign(out, sw, cases, [(verify_call(sw.call(f"evidence-{c.name}")),
                                       verify_call(sw.call(f"evidence-{c.name}-strict"))) for c in cases])
    example = sw.calls[0]
    out.write("\nRun a call by hand (the server has stopped; the evidence map serves the same bytes offline):\n")
    out.write(f"  {example.command(evidence_map=sw.files.evidence_map, offline=True)}\n")
    out.write(f"All {len(sw.calls)} calls (the evidence-* ones hold foreign evidence) and {len(sw.callee_calls)} answers: "
              f"sh {shlex.quote(str(script))}\n")
    out.write(f"Remove the demo files with: rm -r {shlex.quote(str(sw.files.dir))}\n")
    here = shutil.which("vvp")
    if here is None:  # not on PATH (make demo runs .venv/bin/vvp): say where the command is
        exe = Path(sys.executable).with_name("vvp")
        out.write(f"(vvp is {shlex.quote(str(exe))} here; put {shlex.quote(str(exe.parent))} on PATH to run "
                  "these as written)\n")
    return 0
