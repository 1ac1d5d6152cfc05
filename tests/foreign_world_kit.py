"""The foreign-evidence test world, served once per test process, and helpers to read its verdicts.

One server and one build for every test module that uses :func:`foreign_world` (a build takes a
couple of seconds, and the world is built for its server's base URL: see vvp.testing.world.foreign). The
W3C VC case is in it only when ``../shared/corpus/vc/contexts`` exists; tests of that case skip
with a reason otherwise.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS
from vvp._cli import main
from vvp.testing.world import ServedWorld
from vvp.testing.world.foreign import served_foreign_world
from vvp.testing.world.scenarios import ForeignCase, foreign_case

CONTEXTS = CORPUS / "vc" / "contexts"
_LOCK = threading.Lock()
_SERVED: list[ServedWorld] = []


def foreign_world() -> ServedWorld:
    """The served foreign world of this process (started on first use, stopped at exit)."""
    with _LOCK:
        if not _SERVED:
            folder = Path(tempfile.mkdtemp(prefix="vvp-foreign-world-"))
            stack = contextlib.ExitStack()
            _SERVED.append(stack.enter_context(served_foreign_world(
                folder, contexts_dir=CONTEXTS if CONTEXTS.is_dir() else None)))
            atexit.register(shutil.rmtree, folder, True)
            atexit.register(stack.close)
        return _SERVED[0]


def need_w3c(case: ForeignCase) -> None:
    if case.w3c and not CONTEXTS.is_dir():
        pytest.skip(f"needs the shared corpus beside the checkout: {CONTEXTS} is missing")


def cli(argv: list[str]) -> tuple[int, dict[str, Any]]:
    """``vvp`` in process with ``--json`` among ``argv``: (exit code, the one JSON document)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, json.loads(out.getvalue())


@functools.cache
def _verdict_json(name: str, offline: bool) -> str:
    sw = foreign_world()
    call = sw.call(name)
    rc, doc = cli(call.argv(json_out=True, evidence_map=sw.files.evidence_map if offline else None, offline=offline))
    return json.dumps([rc, doc])


def verify_scenario(name: str, *, offline: bool = False) -> tuple[int, dict[str, Any]]:
    """``vvp verify --json`` of a scenario of the served foreign world, live (HTTP) or from the
    evidence map offline; made once per process (a fresh copy each time)."""
    rc, doc = json.loads(_verdict_json(name, offline))
    return int(rc), doc


def main_bridge(sw: ServedWorld, case: ForeignCase) -> str:
    """The SAID of the bridge the case is about (the first its vetting credential cites)."""
    w = sw.world
    assert w.spec.foreign is not None
    plan = next(d for d in w.spec.foreign.dossiers if d.name == case.dossier)
    return w.credentials[plan.bridges[0]].said


def artifact_entry(verdict: Mapping[str, Any], bridge: str) -> dict[str, Any]:
    """The ``evidence`` claim's entry for one bridge."""
    arts = verdict["claims"]["evidence"]["artifacts"]
    found = [a for a in arts if a["bridge"] == bridge]
    assert len(found) == 1, arts
    return dict(found[0])


def scenario_case(name: str) -> ForeignCase:
    return foreign_case(name)
