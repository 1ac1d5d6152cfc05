"""``vvp reverify RECORD [--trust FILE] [--json]``: re-verify a forensic record, offline.

Nothing is fetched: the verification re-runs over the record's own evidence (see
:mod:`vvp.replay`). Exit codes (architecture §4.1):

* 0 / 1 / 3: the record is intact, its signature verifies, and the recomputed verdict (VALID /
  INVALID / INDETERMINATE) reproduces the recorded one; with ``--trust``, the new judgment's code;
* 5: intact and signed, but the recomputed verdict differs from the recorded one;
* 6: the record's integrity or the verifier's signature fails (including a file that is not a
  record at all: not JSON, reformatted, wrong media type);
* 4: the record file (or the ``--trust`` file) cannot be read.

``--json`` prints one document with at least ``integrity``, ``signature``, ``recorded_status``,
``recomputed_status``, ``reproduced`` and ``differences``; a short report goes to stderr.
"""

from __future__ import annotations

import argparse
import json

from vvp._cli.output import emit_json, human
from vvp._cli.common import load_record_arg, record_source
from vvp.record import RecordBroken
from vvp.replay import Reverification, broken_result, reverify, reverify_file
from vvp.trust import load_trust_store


HELP = "re-verify a forensic record offline"
EXIT_CODES = ("exit codes: 0/1/3 the recomputed verdict (VALID/INVALID/INDETERMINATE) reproduces the recorded one, "
              "2 usage error, 4 the record cannot be read, 5 the verdict does not reproduce, "
              "6 the record's integrity or signature fails")


def add_arguments(p: argparse.ArgumentParser) -> None:
    record_source(p)
    p.add_argument("--trust", metavar="FILE", help="re-judge the same evidence against another trust store")
    p.add_argument("--json", action="store_true", help="print the re-verification as one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    other = load_trust_store(args.trust) if args.trust else None
    if args.store is None:
        result = reverify_file(args.record, trust=other)
    else:
        try:
            rec = load_record_arg(args)
        except RecordBroken as ex:
            result = broken_result(ex)
        else:
            result = reverify(rec, trust=other)
    if args.json:
        emit_json(result.to_json())
    report(result)
    return int(result.exit_code)


def _short(v: object) -> str:
    text = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def _finding(ok: bool, code: str, message: str) -> str:
    return f"OK      {message}" if ok else f"FAILED  {code}: {message}"


def report(r: Reverification) -> None:
    """The human report, on stderr."""
    human(f"record     {r.record_id or '(unknown)'}")
    if r.received_at:
        human(f"           received {r.received_at} (the verifier's own claim, signed by it); "
              f"reference time {r.reference_time}")
    human(f"integrity  {_finding(r.integrity.ok, r.integrity.code, r.integrity.message)}")
    if r.signature is not None:
        human(f"signature  {_finding(r.signature.ok, r.signature.code, r.signature.message)}")
    if not r.integrity.ok or (r.signature is not None and not r.signature.ok):
        human("RECORD BROKEN: nothing in it can be relied on; no verdict was recomputed")
        return
    if r.question == "rejudged":
        human(f"NOTE       RECORD_REJUDGED: the recorded evidence was judged against another trust store "
              f"({r.trust_source or 'given with --trust'}).")
        human("           That is a different question from the one this record answers; the recorded verdict "
              "stands unchanged.")
        human(f"recorded   {r.recorded_status}   (with the trust store recorded at call time)")
        human(f"re-judged  {r.recomputed_status}   (with the other trust store)")
        if r.differences:
            human(f"the other trust store changes {len(r.differences)} thing(s):")
    else:
        human(f"recorded   {r.recorded_status}")
        verdict_word = "reproduced" if r.reproduced else "NOT REPRODUCED"
        human(f"recomputed {r.recomputed_status}   {verdict_word}")
    for d in r.differences:
        human(f"  {d.path}: {_short(d.recorded)} -> {_short(d.recomputed)}")
    for n in r.notes:
        human(f"  note: {n}")
    for url in r.not_in_record:
        human(f"  asked for evidence the record does not hold: {url}")
