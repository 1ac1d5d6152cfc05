"""``vvp verify``: one call, from Identity values or a raw SIP request, to a verdict (and a record).

With ``--record FILE`` every byte of evidence used (and every failed fetch) is kept, and the
verdict, the inputs as received, the reception time and the trust store's content are written as
one signed forensic record (architecture §4.4) that ``vvp reverify`` checks offline.
"""

from __future__ import annotations

import argparse

from vvp import clock
from vvp._cli.common import fetcher_for, read_file, reference_time, trust_store
from vvp._cli.output import emit_json, human
from vvp._cli.show import print_verdict
from vvp.fetch import RecordingFetcher
from vvp.replay import write_call_record
from vvp.verdict import exit_code
from vvp.verifier import CallInput, verify_call

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
    verdict = verify_call(call, trust=trust, fetcher=recorder if recorder is not None else fetcher)
    if recorder is not None:
        rec = write_call_record(args.record, call, verdict, trust=trust, events=recorder.events,
                                received_at=received_at, keystore=args.keystore)
        human(f"record {rec.id} written to {args.record}")
    if args.json:
        emit_json(verdict.to_json())
    print_verdict(verdict)
    return int(exit_code(verdict.status))
