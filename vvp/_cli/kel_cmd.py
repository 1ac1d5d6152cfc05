"""``vvp kel SOURCE [--aid AID] [--at TIME | --sn N] [--trust FILE] [--evidence MAP] [--offline] [--json]``

Verifies the KEL(s) in SOURCE (a file, or a URL such as an OOBI, fetched within the trust
store's fetch limits, from the evidence map first, nothing else when ``--offline``) and prints the
key state of one AID: after event N (``--sn``), at TIME (``--at``: the state after the last event
first seen at or before it), or after its last event. ``--json`` prints the fields of
architecture §4.3 (null when not VALID) plus the event table; a summary goes to stderr.

Exit codes: 0 VALID, 1 INVALID, 3 INDETERMINATE, 2 when SOURCE holds several AIDs and ``--aid``
does not choose (the AIDs are listed), 4 when SOURCE or the trust store cannot be read.
"""

from __future__ import annotations

import argparse

from vvp import codes
from vvp._cli.common import evidence_options, fetcher_for, json_option, is_url, read_file, trust_store
from vvp._cli.output import emit_json, human
from vvp.clock import parse_time, rfc3339
from vvp.errors import UsageError
from vvp.kel import resolve_kel, verify_kel
from vvp.keystate import KelResult, Outcome, threshold_json
from vvp.verdict import ExitCode, Status, exit_code

MAX_LINES = 8  # problem lines shown on stderr; --json has every event


HELP = "verify a KEL and print the key state at a time or sn"
EXIT_CODES = ("exit codes: 0 VALID, 1 INVALID, 2 usage error or several AIDs without --aid, 3 INDETERMINATE, "
              "4 the source or trust store cannot be read")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="SOURCE", help="a file or a URL (an OOBI)")
    p.add_argument("--aid", metavar="AID", help="the AID whose key state to print")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--at", metavar="TIME", help="key state at this time (RFC 3339 or Unix seconds)")
    when.add_argument("--sn", metavar="N", type=int, help="key state after event N")
    evidence_options(p)
    json_option(p)


def run(args: argparse.Namespace) -> int:
    at = parse_time(args.at) if args.at is not None else None  # `--at ''` is a usage error, not "no time"
    if args.sn is not None and args.sn < 0:
        raise UsageError(f"--sn must be 0 or more, not {args.sn}")
    trust = trust_store(args)
    source = str(args.source)
    if is_url(source):
        result = resolve_kel(source, fetcher_for(args, trust), aid=args.aid, at=at, sn=args.sn)
    else:
        data = read_file(source, max_bytes=trust.policy.fetch_max_bytes)
        result = verify_kel(data, aid=args.aid, at=at, sn=args.sn, source=source)
    if args.json:
        emit_json(result.to_json())
    if codes.AMBIGUOUS_AID in result.codes and args.aid is None:
        human(f"vvp: {codes.AMBIGUOUS_AID}: {source} holds {len(result.aids)} AIDs; choose one with --aid:")
        for a in result.aids:
            human(f"  {a}")
        return int(ExitCode.USAGE)
    show(result)
    return int(exit_code(result.status))


def show(r: KelResult) -> None:
    """A short human summary on stderr."""
    where = f" at {rfc3339(r.at)}" if r.at else (f" at sn {r.requested_sn}" if r.requested_sn is not None else "")
    human(f"KEL {r.aid or '(no AID)'}: {r.status.value}{where}")
    st = r.state
    if st is not None and r.status is Status.VALID:
        fs = rfc3339(st.first_seen) if st.first_seen else "unknown"
        human(f"  sn {st.sn} (establishment event sn {st.est_sn}), first seen {fs}")
        human(f"  keys ({len(st.keys)}, kt {threshold_json(st.kt)}): {', '.join(st.keys)}")
        human(f"  next key digests ({len(st.next_digests)}, nt {threshold_json(st.nt)})")
        human(f"  witnesses {len(st.witnesses)}, toad {st.toad}; delegator {st.delegator or 'none'}")
    for c in r.codes:
        human(f"  {c}")
    for m in r.messages[:MAX_LINES]:
        human(f"    {m}")
    if len(r.messages) > MAX_LINES:
        human(f"    ... and {len(r.messages) - MAX_LINES} more (--json has them all)")
    counts = {o: sum(1 for e in r.events if e.outcome is o) for o in Outcome}
    if r.events:
        human("  events: " + ", ".join(f"{n} {o.value}" for o, n in counts.items() if n))
    if r.ignored:
        human("  not key events (ignored): " + ", ".join(f"{n} {k}" for k, n in r.ignored))
