"""``vvp demo``: build the deterministic world in a temporary folder, serve it on 127.0.0.1,
verify a handful of calls in it and print the verdicts (see :mod:`vvp.testing.world.demo`)."""

from __future__ import annotations

import argparse
import sys

from vvp.testing.world.demo import run_demo


HELP = "build the demo world, serve it on 127.0.0.1, verify calls in it"
EXIT_CODES = "exit codes: 0 every call came out as expected, 1 some did not, 4 the world could not be built or served"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No options: the demo world is deterministic."""


def run(args: argparse.Namespace) -> int:
    """The demo's output is its table, so it goes to stdout."""
    rc: int = run_demo(sys.stdout, workdir=getattr(args, "workdir", None))
    sys.stdout.flush()
    return rc
