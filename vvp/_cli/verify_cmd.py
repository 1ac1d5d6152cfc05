"""``vvp verify``: one call, from Identity values or a raw SIP request, to a verdict (and a record)."""

from __future__ import annotations

import argparse

from vvp._cli.common import fetcher_for, read_file, reference_time, trust_store
from vvp._cli.output import emit_json
from vvp._cli.show import print_verdict
from vvp.verdict import exit_code
from vvp.verifier import CallInput, verify_call

MAX_SIP_BYTES = 256 * 1024  # a SIP INVITE with several Identity headers is a few KiB


def run(args: argparse.Namespace) -> int:
    trust = trust_store(args)
    sip = read_file(args.sip, max_bytes=MAX_SIP_BYTES) if args.sip else None
    call = CallInput(reference_time=reference_time(args), identities=tuple(args.identity or ()), sip=sip,
                     orig=args.orig, dest=args.dest, call_id=args.call_id,
                     require_context=bool(args.require_context))
    fetcher = fetcher_for(args, trust)
    verdict = verify_call(call, trust=trust, fetcher=fetcher)
    if args.json:
        emit_json(verdict.to_json())
    print_verdict(verdict)
    return int(exit_code(verdict.status))
