"""``vvp demo``: build the deterministic world in a temporary folder, serve it on 127.0.0.1,
verify a handful of calls in it and print the verdicts (see :mod:`vvp.world.demo`)."""

from __future__ import annotations

import argparse
import sys

from vvp.world.demo import run_demo


def run(args: argparse.Namespace) -> int:
    """The demo's output is its table, so it goes to stdout."""
    rc: int = run_demo(sys.stdout, workdir=getattr(args, "workdir", None))
    sys.stdout.flush()
    return rc
