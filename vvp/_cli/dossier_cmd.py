"""``vvp dossier SOURCE [--said SAID] [--at TIME] [--trust FILE] [--evidence MAP] [--offline] [--json]``

Verifies the dossier in SOURCE (a file, or a URL fetched within the trust store's fetch limits,
from the evidence map first, nothing else when ``--offline``) as of TIME (default now): every
ACDC's SAID, its issuance anchored in its issuer's KEL, its issuer, schema, edges and revocation,
and every chain to the root of trust for its question (architecture §4.1, §4.3).

The cited SAID is ``--said``, else (for a URL) the SAID in the URL path. Without one, the dossier is
the one ACDC no edge points at; when several are, exit 2 listing them. ``--json`` prints
``status``, ``said``, ``checks`` and ``credentials`` (each ``said``, ``schema``, ``role``,
``issuer``, ``issuee``, ``state``); a summary goes to stderr.

Exit codes: 0 VALID, 1 INVALID, 3 INDETERMINATE, 2 usage error or ambiguous root, 4 when SOURCE or
the trust store cannot be read.
"""

from __future__ import annotations

import argparse

from vvp import codes
from vvp._cli.common import evidence_options, fetcher_for, json_option, is_url, read_file, reference_time, trust_store
from vvp._cli.output import emit_json, human
from vvp.clock import rfc3339
from vvp.dossier import DossierPolicy, DossierResult, citation_said, verify_dossier, verify_dossier_stream
from vvp.errors import UsageError
from vvp.verdict import CheckStatus, ExitCode, exit_code


HELP = "verify a dossier (CESR stream) as of a time"
EXIT_CODES = ("exit codes: 0 VALID, 1 INVALID, 2 usage error or ambiguous root, 3 INDETERMINATE, "
              "4 the source or trust store cannot be read")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="SOURCE", help="a file or a URL")
    p.add_argument("--said", metavar="SAID", help="the dossier SAID (the citation)")
    p.add_argument("--at", metavar="TIME", help="reference time, RFC 3339 or Unix seconds (default: now)")
    evidence_options(p)
    json_option(p)


def run(args: argparse.Namespace) -> int:
    at = reference_time(args)
    said = args.said
    if said is not None and citation_said(f"/{said}") != said:
        raise UsageError(f"--said must be a SAID, not {said!r}")
    trust = trust_store(args)
    policy = DossierPolicy.from_trust(trust)
    fetcher = fetcher_for(args, trust)
    source = str(args.source)
    if is_url(source):
        result = verify_dossier(source, fetcher=fetcher, reference_time=at, policy=policy, expected_said=said)
    else:
        data = read_file(source, max_bytes=trust.policy.fetch_max_bytes)
        result = verify_dossier_stream(data, reference_time=at, policy=policy, expected_said=said, fetcher=fetcher,
                                       source=source)
    doc = result.to_json()
    doc["reference_time"] = rfc3339(at)
    if result.said is None and result.expected_said is None and len(result.root_candidates) > 1:
        if args.json:
            emit_json(doc)
        human(f"vvp: {codes.AMBIGUOUS_ROOT}: {source} holds {len(result.root_candidates)} ACDCs no edge points "
              "at; choose the dossier with --said:")
        for c in result.root_candidates:
            human(f"  {c}")
        return int(ExitCode.USAGE)
    if args.json:
        emit_json(doc)
    show(result, at_text=rfc3339(at))
    return int(exit_code(result.status))


def show(r: DossierResult, *, at_text: str) -> None:
    """A short human summary on stderr: status, the graph, and every check that did not pass."""
    human(f"dossier {r.said or '(none)'}: {r.status.value} at {at_text}")
    for c in r.credentials.values():
        role = c.role or "-"
        human(f"  {c.said}  {role:<13} {c.state:<8} {c.status.value:<13} issuer {c.issuer}"
              + (f" -> {c.issuee}" if c.issuee else ""))
    for chk in r.checks:
        if chk.status is not CheckStatus.PASS:
            subj = f" {chk.subject}" if chk.subject else ""
            human(f"  {chk.status.value:<13} {chk.id}{subj}: {chk.code}: {chk.message}")
