"""``vvp verify``: one call, from Identity values or a raw SIP request, to a verdict (and a record).

With ``--record FILE`` every byte of evidence used (and every failed fetch) is kept, and the
verdict, the inputs as received, the reception time and the trust store's content are written as
one signed forensic record (architecture §4.4) that ``vvp reverify`` checks offline.
"""

from __future__ import annotations

import argparse

from vvp import clock
from vvp._cli.common import evidence_options, fetcher_for, json_option, read_file, reference_time, trust_store
from vvp._cli.output import emit_json, human
from vvp._cli.show import print_verdict
from vvp.fetch import RecordingFetcher
from vvp.replay import write_call_record
from vvp.verdict import exit_code
from vvp.verifier import CallInput, Verifier

HELP = "verify one call's Identity header(s)"
EXIT_CODES = "exit codes: 0 VALID, 1 INVALID, 2 usage error, 3 INDETERMINATE, 4 operational error"


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--identity", metavar="VALUE", action="append",
                     help="an Identity header value with its parameters (repeatable)")
    src.add_argument("--sip", metavar="FILE", help="a raw SIP request (CRLF or LF, compact or folded headers)")
    p.add_argument("--orig", metavar="TN", help="the calling number (context)")
    p.add_argument("--dest", metavar="TN", help="the called number (context)")
    p.add_argument("--call-id", metavar="ID", help="the SIP Call-ID (recorded)")
    p.add_argument("--at", metavar="TIME", help="reference time, RFC 3339 or Unix seconds (default: now)")
    evidence_options(p)
    p.add_argument("--require-context", action="store_true", help="no SIP context makes context INDETERMINATE")
    p.add_argument("--record", metavar="FILE", help="write the signed forensic record here")
    p.add_argument("--keystore", metavar="DIR", help="the verifier's own KERI keystore (for records)")
    json_option(p, "the verdict")


MAX_SIP_BYTES = 256 * 1024  # a SIP INVITE with several Identity headers is a few KiB


def run(args: argparse.Namespace) -> int:
    received_at = clock.now()  # the verifier's own claim of when the call reached it (signed in the record)
    trust = trust_store(args)
    sip = read_file(args.sip, max_bytes=MAX_SIP_BYTES) if args.sip else None
    call = CallInput(reference_time=reference_time(args), identities=tuple(args.identity or ()), sip=sip,
                     orig=args.orig, dest=args.dest, call_id=args.call_id,
                     require_context=bool(args.require_context))
    fetcher = fetcher_for(args, trust)
    recorder = RecordingFetcher(fetcher, clock=clock.SystemClock()) if args.record else None
    verifier = Verifier(trust, fetcher, use_cache=False)  # one call: nothing to reuse
    verdict = verifier.verify(call, fetcher=recorder)
    if recorder is not None:
        rec = write_call_record(args.record, call, verdict, trust=trust, events=recorder.events,
                                received_at=received_at, keystore=args.keystore)
        human(f"record {rec.id} written to {args.record}")
    if args.json:
        emit_json(verdict.to_json())
    print_verdict(verdict)
    return int(exit_code(verdict.status))
