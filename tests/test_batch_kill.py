"""SIGKILL a real ``vvp batch`` process at several moments, run it again, and check that every row
is in ``verdicts.jsonl`` exactly once, with the verdict an uninterrupted run gives, and that every
record a line names can be read back from the store (architecture §4.6, §6).

The kills land at different moments of the run: while it starts (keystore, store, workers),
after its first lines, and in the middle of a run with two worker processes (the runner is
killed; its workers notice and exit by themselves, which is checked). Small batches (two rows)
make the run long enough, in number of commits, for the kills to land inside it; a kill that
comes after the process ended anyway is allowed, but most must interrupt (checked too).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.batchkit import BatchWorld, batch_world, by_id, read_jsonl
from vvp._cli import main
from vvp.store import open_store
from vvp.testing.calllog import call_rows, write_jsonl
from vvp.testing.world import ServedWorld

ROWS = 240
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bw(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> BatchWorld:
    return batch_world(served_world, tmp_path_factory.mktemp("batch-world"))


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _run_and_kill(bw: BatchWorld, src: Path, out: Path, *, when: str, at_lines: int, extra: tuple[str, ...],
                  tmp: Path) -> bool:
    """Start ``vvp batch`` and SIGKILL it at the moment ``when`` describes; True when the kill
    interrupted the run (the process was still running)."""
    argv = [sys.executable, "-m", "vvp", *bw.argv(src, out, *extra)]
    log = (tmp / f"kill-{when}.log").open("wb")
    proc = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    children: list[psutil.Process] = []
    try:
        verdicts = out / "verdicts.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if when == "start" and (out / ".lock").exists():
                break
            if when != "start" and _lines(verdicts) >= at_lines:
                break
            time.sleep(0.001)
        try:
            children = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        interrupted = proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        log.close()
    # The runner's worker processes notice that it is gone and exit on their own.
    gone, alive = psutil.wait_procs(children, timeout=20)
    for p in alive:
        p.kill()
    assert not alive, f"worker processes outlived the killed runner: {[p.pid for p in alive]}"
    return interrupted


def test_sigkill_at_several_points_then_rerun(bw: BatchWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "calls.jsonl"
    write_jsonl(call_rows(bw.sw, ROWS, seed=5, callers=20, fault_share=0.2, id_prefix="k-"), src)

    # What an uninterrupted run says.
    clean = tmp_path / "clean"
    rc_clean = main(bw.argv(src, clean))
    capsys.readouterr()
    expected = by_id(read_jsonl(clean / "verdicts.jsonl"))
    assert len(expected) == ROWS

    out = tmp_path / "out"
    small = ("--batch-rows", "2")
    plan = [("start", 0, small), ("first", 1, small), ("middle", ROWS // 3, (*small, "--workers", "2")),
            ("later", 2 * ROWS // 3, small)]
    interrupted = []
    for when, at_lines, extra in plan:
        interrupted.append(_run_and_kill(bw, src, out, when=when, at_lines=at_lines, extra=extra, tmp=tmp_path))
        # After any kill: whole lines only, except perhaps a partial last line (cut by the rerun).
        data = (out / "verdicts.jsonl").read_bytes() if (out / "verdicts.jsonl").exists() else b""
        complete = data[: data.rfind(b"\n") + 1]
        assert len(by_id([json.loads(x) for x in complete.splitlines()])) == complete.count(b"\n")
    assert sum(interrupted) >= 3, f"most kills must land inside a run: {interrupted}"

    rc = main(bw.argv(src, out))
    capsys.readouterr()
    lines = read_jsonl(out / "verdicts.jsonl")
    assert by_id(lines) == expected  # every row exactly once, with the uninterrupted verdict
    assert rc == rc_clean
    with open_store(str(out / "records.db"), create=False) as st:
        for line in lines:
            raw = st.get_bytes(line["record"])  # stored, whole, and checked on the way out
            assert line["record"].encode() in raw
