"""The ``vvp`` command line (architecture §4.1): argparse, one module per subcommand.

Exit codes: 0 VALID, 1 INVALID, 2 usage error, 3 INDETERMINATE, 4 operational error (cannot read
inputs, internal fault, or a subcommand not available in this version); ``reverify`` adds 5 (the
verdict does not reproduce) and 6 (the record's integrity or signature fails); ``batch`` exits
with its worst row, ordered 4 > 1 > 3 > 0.

``--json`` prints exactly one JSON document on stdout; every human line goes to stderr.

Each subcommand lives in ``vvp/_cli/<name>.py`` with ``run(args) -> int``. A subcommand whose
module is not present in this version exits 4 with code ``NOT_AVAILABLE_IN_VERSION``: it never
prints a verdict it did not compute.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vvp import __version__, codes
from vvp._cli.output import fail_line
from vvp.errors import NotAvailable, OperationalError, UsageError, VvpError
from vvp.verdict import ExitCode


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: {codes.USAGE_ERROR}: {message}\n")
        raise SystemExit(ExitCode.USAGE)


def _common_evidence(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trust", metavar="FILE", help="trust store (roots, schemas, policy); default: no roots")
    p.add_argument("--evidence", metavar="MAP", help="JSON map of URL or said:<SAID> to local files")
    p.add_argument("--offline", action="store_true", help="fetch nothing that the evidence map does not give")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="vvp", description="Verify the evidence behind telephone calls signed with VVP.")
    ap.add_argument("--version", action="version", version=f"vvp {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("verify", help="verify one call's Identity header(s)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--identity", metavar="VALUE", action="append", help="an Identity header value (repeatable)")
    src.add_argument("--sip", metavar="FILE", help="a raw SIP request")
    p.add_argument("--orig", metavar="TN")
    p.add_argument("--dest", metavar="TN")
    p.add_argument("--call-id", metavar="ID")
    p.add_argument("--at", metavar="TIME", help="reference time, RFC 3339 or Unix seconds (default: now)")
    _common_evidence(p)
    p.add_argument("--require-context", action="store_true", help="no SIP context makes context INDETERMINATE")
    p.add_argument("--record", metavar="FILE", help="write the signed forensic record here")
    p.add_argument("--keystore", metavar="DIR", help="the verifier's own KERI keystore (for records)")
    p.add_argument("--json", action="store_true", help="print the verdict JSON on stdout")

    p = sub.add_parser("reverify", help="re-verify a forensic record offline")
    p.add_argument("record", metavar="RECORD")
    p.add_argument("--trust", metavar="FILE", help="re-judge the same evidence against another trust store")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("dossier", help="verify a dossier (CESR stream)")
    p.add_argument("source", metavar="SOURCE", help="file or URL")
    p.add_argument("--said", metavar="SAID", help="the dossier SAID (the citation)")
    p.add_argument("--at", metavar="TIME")
    _common_evidence(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("kel", help="verify a KEL and print the key state")
    p.add_argument("source", metavar="SOURCE", help="file or URL (an OOBI)")
    p.add_argument("--aid", metavar="AID")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--at", metavar="TIME")
    when.add_argument("--sn", metavar="N", type=int)
    _common_evidence(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("batch", help="verify a call log (JSON Lines or CSV)")
    p.add_argument("input", metavar="INPUT")
    p.add_argument("--out", metavar="DIR", required=True)
    _common_evidence(p)
    p.add_argument("--workers", metavar="N", type=int)
    p.add_argument("--engine", choices=("local", "dask"), default="local")
    p.add_argument("--scheduler", metavar="ADDRESS")
    p.add_argument("--keystore", metavar="DIR")

    p = sub.add_parser("serve", help="the HTTP verification service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--trust", metavar="FILE")
    p.add_argument("--store", metavar="URL")
    p.add_argument("--keystore", metavar="DIR")

    p = sub.add_parser("report", help="render a record as an HTML audit report")
    p.add_argument("record", metavar="RECORD")
    p.add_argument("-o", "--output", metavar="report.html", required=True)

    p = sub.add_parser("inspect", help="print what an Identity value or record holds, UNVERIFIED")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--identity", metavar="VALUE")
    g.add_argument("record", metavar="RECORD", nargs="?")

    sub.add_parser("demo", help="build the demo world, serve it on 127.0.0.1, verify calls in it")
    return ap


def _run(args: argparse.Namespace) -> int:
    name = str(args.command)
    modname = f"vvp._cli.{name}_cmd"
    try:
        mod = importlib.import_module(modname)
    except ModuleNotFoundError as ex:
        if ex.name != modname:
            raise
        raise NotAvailable(f"'vvp {name}' is not available in this version of vvp ({__version__})") from None
    rc: int = mod.run(args)
    return rc


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vvp`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UsageError as ex:
        fail_line(ex.diagnostics())
        return ExitCode.USAGE
    except OperationalError as ex:
        fail_line(ex.diagnostics())
        return ExitCode.OPERATIONAL
    except VvpError as ex:
        fail_line(ex.diagnostics())
        return ExitCode.OPERATIONAL
    except KeyboardInterrupt:
        fail_line("interrupted")
        return ExitCode.OPERATIONAL
    except Exception as ex:  # noqa: BLE001 - the CLI never shows a traceback; the code says what happened
        fail_line(f"{codes.INTERNAL_ERROR}: {type(ex).__name__}: {ex}")
        return ExitCode.OPERATIONAL
