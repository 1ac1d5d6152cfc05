"""The ``vvp`` command line (architecture §4.1): argparse, one module per subcommand.

Exit codes: 0 VALID, 1 INVALID, 2 usage error, 3 INDETERMINATE, 4 operational error (cannot read
inputs, internal fault, or a subcommand not available in this version); ``reverify`` adds 5 (the
verdict does not reproduce) and 6 (the record's integrity or signature fails); ``batch`` exits
with its worst row, ordered 4 > 1 > 3 > 0.

``--json`` prints exactly one JSON document on stdout; every human line goes to stderr. An error
under ``--json`` prints ``{"error": {"code": …, "message": …}}`` on stdout instead. ``-v`` shows
the traceback behind ``INTERNAL_ERROR`` (a bug: the traceback is what a bug report needs).

CLI: each subcommand declares its own arguments. ``vvp/_cli/<name>_cmd.py`` defines ``HELP``
(one line), ``add_arguments(parser)`` and ``run(args) -> int``; :data:`COMMANDS` lists the names
in the order ``--help`` shows them. A listed subcommand whose module is not present in this
version is shown as not available and exits 4 with ``NOT_AVAILABLE_IN_VERSION``: it never prints
a verdict it did not compute.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import platform
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from vvp import __version__, codes
from vvp._cli.output import emit_json, fail_line
from vvp.errors import NotAvailable, OperationalError, UsageError, VvpError
from vvp.verdict import ExitCode

COMMANDS: tuple[str, ...] = ("verify", "reverify", "dossier", "kel", "evidence", "batch", "serve", "records",
                             "report", "inspect", "demo")
"""Every subcommand of architecture §4.1, in help order."""

RECORD_FORMATS = ("application/vnd.vvp.verdict-record+json;version=3 (written), "
                  "application/vnd.vvp.verdict-record+json;version=2 (read), "
                  "application/vnd.vvp.verdict-record+json;version=1 (read)")
"""The record formats (vvp.record.MEDIA_TYPES; spelled out here so --version imports no keri)."""

EXIT_CODES_EPILOG = ("exit codes: 0 VALID, 1 INVALID, 2 usage error, 3 INDETERMINATE, 4 operational error "
                     "(cannot read inputs, internal fault, not available in this version)")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: {codes.USAGE_ERROR}: {message}\n")
        raise SystemExit(ExitCode.USAGE)


def version_text() -> str:
    """vvp, keri, Python and the record format versions (read from package metadata: no keri import)."""
    try:
        keri_v = importlib.metadata.version("keri")
    except importlib.metadata.PackageNotFoundError:
        keri_v = "not installed"
    return (f"vvp {__version__} (keri {keri_v}, Python {platform.python_version()}; "
            f"records {RECORD_FORMATS})")


class _VersionAction(argparse.Action):
    """``--version`` printed as one unwrapped line (argparse's own action re-wraps the text)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)  # type: ignore[arg-type]

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        sys.stdout.write(version_text() + "\n")
        parser.exit(0)


def _module(name: str) -> ModuleType | None:
    modname = f"vvp._cli.{name}_cmd"
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as ex:
        if ex.name != modname:
            raise
        return None


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="vvp", description="Verify the evidence behind telephone calls signed with VVP.",
                 epilog=EXIT_CODES_EPILOG)
    ap.add_argument("--version", action=_VersionAction, help="print the vvp, keri, Python and record format versions")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show the traceback behind an INTERNAL_ERROR (for bug reports)")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        mod = _module(name)
        if mod is None:
            p = sub.add_parser(name, help="(not available in this version: exits 4)",
                               description=f"'vvp {name}' is not available in vvp {__version__}.",
                               epilog="exit codes: 4 NOT_AVAILABLE_IN_VERSION")
            p.add_argument("rest", nargs=argparse.REMAINDER, help="ignored")
            p.add_argument("--json", action="store_true", help="print the error as JSON on stdout")
            continue
        epilog = getattr(mod, "EXIT_CODES", EXIT_CODES_EPILOG)
        p = sub.add_parser(name, help=str(mod.HELP), description=(mod.__doc__ or "").strip().split("\n\n")[0],
                           epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
    return ap


def _run(args: argparse.Namespace) -> int:
    name = str(args.command)
    mod = _module(name)
    if mod is None:
        raise NotAvailable(f"'vvp {name}' is not available in this version of vvp ({__version__})")
    rc: int = mod.run(args)
    return rc


def _error(args: argparse.Namespace | None, code: str, message: str) -> None:
    if args is not None and (getattr(args, "json", False) or "--json" in (getattr(args, "rest", None) or ())):
        emit_json({"error": {"code": code, "message": message}})
    fail_line(f"{code}: {message}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vvp`` console script; returns the exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        if _module(str(args.command)) is not None:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.rest = list(getattr(args, "rest", None) or ()) + extra  # an absent subcommand takes anything
    try:
        return _run(args)
    except UsageError as ex:
        _error(args, ex.code, ex.message)
        return ExitCode.USAGE
    except (OperationalError, VvpError) as ex:
        _error(args, ex.code, ex.message)
        return ExitCode.OPERATIONAL
    except KeyboardInterrupt:
        _error(args, codes.INTERRUPTED, "interrupted")
        return ExitCode.OPERATIONAL
    except RecursionError:
        _error(args, codes.INPUT_TOO_DEEP, "an input nests too deeply to be read")
        return ExitCode.OPERATIONAL
    except Exception as ex:  # noqa: BLE001 - the CLI never shows a traceback unless asked (-v)
        if getattr(args, "verbose", False):
            traceback.print_exc(file=sys.stderr)
        _error(args, codes.INTERNAL_ERROR, f"{type(ex).__name__}: {ex}"
               + ("" if getattr(args, "verbose", False) else " (run with -v for the traceback)"))
        return ExitCode.OPERATIONAL
