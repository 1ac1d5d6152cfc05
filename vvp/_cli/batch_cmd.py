"""``vvp batch INPUT --out DIR``: verify every call of a call log, resumably, on all cores or on Dask.

INPUT is JSON Lines, CSV (a ``.csv`` file with a header) or a folder of raw SIP requests
(architecture §4.6; docs/batch.md). Under ``--out``: ``verdicts.jsonl`` (one line per call),
``errors.jsonl`` (rows that could not be read), ``summary.html`` (charts and totals) and, unless
``--store`` names another store, ``records.db`` holding every call's signed forensic record
(``vvp records export ID --store DIR -o FILE`` gives one to an auditor). A rerun skips the rows
already in ``verdicts.jsonl``: kill it at any moment and run it again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vvp._cli.common import evidence_options
from vvp._cli.output import emit_json, human
from vvp.batch.runner import BATCH_ROWS, BatchOptions, run_batch
from vvp.errors import UsageError

HELP = "verify a call log (JSON Lines, CSV or SIP files): resumable, local cores or Dask"
EXIT_CODES = ("exit codes: the worst row, 4 (a row could not be read or verified, or the run stopped) > "
              "1 INVALID > 3 INDETERMINATE > 0 all VALID; 2 usage error")


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= n <= 1024:
        raise argparse.ArgumentTypeError("--workers is from 1 to 1024")
    return n


def _batch_rows(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= n <= 100_000:
        raise argparse.ArgumentTypeError("--batch-rows is from 1 to 100000")
    return n


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="INPUT", help="a JSON Lines file, a .csv file, or a folder of SIP requests")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="output folder: verdicts.jsonl, errors.jsonl, summary.html, records.db")
    p.add_argument("--store", metavar="URL",
                   help="record store (sqlite:///PATH, postgresql://..., or a path); default: DIR/records.db")
    evidence_options(p)
    p.add_argument("--workers", metavar="N", type=_workers, default=1,
                   help="worker processes (default 1: in this process); with --engine dask and no --scheduler, "
                        "the local cluster's size")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local processes (default) or dask.distributed (needs vvp[dask])")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://HOST:PORT); default: a local cluster")
    p.add_argument("--keystore", metavar="DIR", help="the verifier's own KERI keystore (signs the records)")
    p.add_argument("--batch-rows", metavar="N", type=_batch_rows, default=BATCH_ROWS,
                   help=f"rows per batch: one group commit of records and one fsync of verdicts.jsonl each "
                        f"(default {BATCH_ROWS})")
    p.add_argument("--no-progress", action="store_true", help="print no progress on stderr")
    p.add_argument("--json", action="store_true", help="print the run's totals as one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    if args.scheduler and args.engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    opts = BatchOptions(input=Path(args.input), out=Path(args.out), store=args.store, trust=args.trust,
                        evidence=args.evidence, offline=bool(args.offline), workers=args.workers,
                        engine=args.engine, scheduler=args.scheduler, keystore=args.keystore,
                        progress="off" if args.no_progress else "auto", batch_rows=args.batch_rows)
    got = run_batch(opts)
    if args.json:
        emit_json(got.to_json())
    st = got.statuses
    more = f" ({got.this_run:,} in this run, {got.earlier:,} from earlier runs)" if got.earlier else ""
    human(f"{got.rows:,} calls{more}: VALID {st['VALID']:,}, INVALID {st['INVALID']:,}, "
          f"INDETERMINATE {st['INDETERMINATE']:,}; {got.errors:,} rows could not be read"
          + (f" (see {Path(args.out) / 'errors.jsonl'})" if got.errors else ""))
    human(f"summary: {Path(args.out) / 'summary.html'}; records: {got.store}")
    return got.exit_code
