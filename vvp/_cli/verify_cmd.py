"""``vvp verify``: one call, from Identity values or a raw SIP request, to a verdict (and a record).

Callee mode (architecture §2.2, §4.1): ``--callee VALUE`` (the ``a=callee-passport`` value, or the
JWT alone) or ``--sip RESPONSE --invite INVITE`` (a 180/200 whose SDP holds the attribute) verifies
the *answer*, bound to the call it answers: the INVITE's Call-ID, CSeq and called number (from
``--invite``, or ``--call-id``, ``--cseq`` and ``--dest``); ``--caller-goal`` is the caller's goal
for VC-09. The verdict then has ``direction: "callee"``.

With ``--record FILE`` every byte of evidence used (and every failed fetch) is kept, and the
verdict, the inputs as received, the reception time and the trust store's content are written as
one signed forensic record (architecture §4.4) that ``vvp reverify`` checks offline.
"""

from __future__ import annotations

import argparse

from vvp import clock, codes
from vvp._cli.common import evidence_options, fetcher_for, json_option, read_file, reference_time, trust_store
from vvp._cli.output import emit_json, human
from vvp._cli.show import print_verdict
from vvp.fetch import RecordingFetcher
from vvp.callee.inputs import CalleeInput
from vvp.errors import UsageError
from vvp.files import check_output
from vvp.replay import store_call_record, write_call_record
from vvp.verdict import exit_code
from vvp.verifier import AnyInput, CallInput, Verifier

HELP = "verify one call's Identity header(s)"
EXIT_CODES = "exit codes: 0 VALID, 1 INVALID, 2 usage error, 3 INDETERMINATE, 4 operational error"


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--identity", metavar="VALUE", action="append",
                     help="an Identity header value with its parameters (repeatable)")
    src.add_argument("--sip", metavar="FILE", help="a raw SIP request (CRLF or LF, compact or folded headers); "
                     "with --invite, the SIP response (180/200) whose SDP holds a=callee-passport")
    src.add_argument("--callee", metavar="VALUE",
                     help="a callee PASSporT: the a=callee-passport value (<jwt>;type=vvp) or the JWT alone")
    p.add_argument("--invite", metavar="FILE", help="callee mode: the raw SIP INVITE the answer belongs to")
    p.add_argument("--cseq", metavar="N", help="callee mode: the INVITE's CSeq (N or \"N INVITE\")")
    p.add_argument("--caller-goal", metavar="GOAL", help="callee mode: the caller's declared goal (VC-09)")
    p.add_argument("--orig", metavar="TN", help="the calling number (context)")
    p.add_argument("--dest", metavar="TN", help="the called number (context)")
    p.add_argument("--call-id", metavar="ID", help="the SIP Call-ID (recorded)")
    p.add_argument("--at", metavar="TIME", help="reference time, RFC 3339 or Unix seconds (default: now)")
    evidence_options(p)
    p.add_argument("--require-context", action="store_true", help="no SIP context makes context INDETERMINATE")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--record", metavar="FILE", help="write the signed forensic record here")
    out.add_argument("--store", metavar="URL", help="commit the signed record to this record store "
                                                    "(sqlite:///PATH, postgresql://..., or a path)")
    p.add_argument("--write-through", action="store_true",
                   help="let --record follow a symlink or write into a device (default: refused)")
    p.add_argument("--keystore", metavar="DIR", help="the verifier's own KERI keystore (for records)")
    json_option(p, "the verdict")


MAX_SIP_BYTES = 256 * 1024  # a SIP INVITE with several Identity headers is a few KiB


def _callee_mode(args: argparse.Namespace) -> bool:
    """Whether the command line asks for a callee verification; usage errors for mixed modes."""
    callee = args.callee is not None or args.invite is not None
    if not callee:
        extra = [o for o, v in (("--cseq", args.cseq), ("--caller-goal", args.caller_goal)) if v is not None]
        if extra:
            raise UsageError(f"{', '.join(extra)}: callee mode only (--callee, or --sip RESPONSE --invite INVITE)")
        return False
    if args.identity:
        raise UsageError("--identity verifies a caller; a callee PASSporT comes with --callee or --sip RESPONSE "
                         "--invite INVITE")
    wrong = [o for o, v in (("--orig", args.orig), ("--require-context", args.require_context or None)) if v]
    if wrong:
        raise UsageError(f"{', '.join(wrong)}: caller mode only (a callee PASSporT has no orig)")
    if args.sip is not None and args.invite is None:
        raise UsageError("a SIP response (--sip) needs the INVITE it answers (--invite)")
    if args.invite is None and (args.call_id is None or args.cseq is None or args.dest is None):
        raise UsageError("--callee needs the call it answers: --invite FILE, or --call-id, --cseq and --dest")
    return True


def run(args: argparse.Namespace) -> int:
    received_at = clock.now()  # the verifier's own claim of when the call reached it (signed in the record)
    callee = _callee_mode(args)
    if args.record:  # a symlink or device as --record is refused now, not after the verification
        check_output(args.record, fail_code=codes.RECORD_WRITE_FAILED, what="record",
                     write_through=args.write_through)
    trust = trust_store(args)
    sip = read_file(args.sip, max_bytes=MAX_SIP_BYTES) if args.sip else None
    call: AnyInput
    if callee:
        invite = read_file(args.invite, max_bytes=MAX_SIP_BYTES) if args.invite else None
        call = CalleeInput(reference_time=reference_time(args), callee=args.callee, response=sip, invite=invite,
                           call_id=args.call_id, cseq=args.cseq, dest=args.dest, caller_goal=args.caller_goal)
    else:
        call = CallInput(reference_time=reference_time(args), identities=tuple(args.identity or ()), sip=sip,
                         orig=args.orig, dest=args.dest, call_id=args.call_id,
                         require_context=bool(args.require_context))
    fetcher = fetcher_for(args, trust)
    recorder = RecordingFetcher(fetcher, clock=clock.SystemClock()) if args.record or args.store else None
    verifier = Verifier(trust, fetcher, use_cache=False)  # one call: nothing to reuse
    if isinstance(call, CalleeInput):
        verdict = verifier.verify_callee(call, fetcher=recorder)
    else:
        verdict = verifier.verify(call, fetcher=recorder)
    if recorder is not None and args.store:
        store_id = store_call_record(args.store, call, verdict, trust=trust, events=recorder.events,
                                     received_at=received_at, keystore=args.keystore)
        human(f"record {store_id} committed to {args.store}")
    elif recorder is not None:
        rec = write_call_record(args.record, call, verdict, trust=trust, events=recorder.events,
                                received_at=received_at, keystore=args.keystore,
                                write_through=args.write_through)
        human(f"record {rec.id} written to {args.record}")
    if args.json:
        emit_json(verdict.to_json())
    print_verdict(verdict, title="callee verdict" if callee else "verdict")
    return int(exit_code(verdict.status))
