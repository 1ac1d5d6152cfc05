"""Every hostile-server mode against ``vvp batch`` (issue 21): one batch per mode, with three rows
whose ``kid`` OOBI, ``evd`` dossier or SHAKEN ``x5u`` is on the hostile host.

The rest of each call comes from the world's evidence map. Per batch (one worker: rows run one
after the other) the run must finish within three fetch deadlines plus generous slack and the
batch's own start-up (a correctness bound, monotonic clock: per-row times are not visible from
outside), write a verdict line per row, and each row's record must hold the failed fetch with
the mode's code.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.hostile_server import EXPECTED, MODES, hostile
from tests.test_security_hostile import CONTENT_TYPE, DEADLINE, DRIP, SLACK, Setup, argv_for
from tests.test_security_hostile import setup as setup  # noqa: F401 - the module fixture, shared
from vvp._cli import main
from vvp.clock import rfc3339
from vvp.store import open_store

TARGETS = ("kid", "evd", "x5u")
BATCH_OVERHEAD = 6.0
"""Generous room for what a batch does besides its rows (keystore, store, summary page): about
2 s on a quiet machine. The bound is for hangs (a drip held the old fetcher for as long as it
dripped), not a benchmark."""
STATUS = {"kid": "INDETERMINATE", "evd": "INDETERMINATE", "x5u": "VALID"}


def _rows(s: Setup, url_for: dict[str, str]) -> list[dict[str, object]]:
    call = s.sw.call("valid")
    rows = []
    for target in TARGETS:
        argv = argv_for(s, target, url_for[target])
        idents = [argv[i + 1] for i, a in enumerate(argv) if a == "--identity"]
        rows.append({"id": target, "identity": idents, "orig": call.orig, "dest": call.dest,
                     "call_id": f"{target}@hostile.example", "time": rfc3339(call.at)})
    return rows


@pytest.mark.timeout(180)
@pytest.mark.parametrize("mode", MODES)
def test_hostile_mode_against_the_batch(mode: str, setup: Setup, tmp_path: Path,  # noqa: F811 - fixture
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with hostile(mode, content_type=CONTENT_TYPE["kid"], interval=DRIP) as h_kid, \
            hostile(mode, content_type=CONTENT_TYPE["evd"], interval=DRIP) as h_evd, \
            hostile(mode, content_type=CONTENT_TYPE["x5u"], interval=DRIP) as h_x5u:
        rows = _rows(setup, {"kid": h_kid.url("/a"), "evd": h_evd.url("/a"), "x5u": h_x5u.url("/a")})
        calls = tmp_path / "calls.jsonl"
        calls.write_text("".join(json.dumps(r) + "\n" for r in rows))
        out = tmp_path / "out"
        capsys.readouterr()
        t0 = time.monotonic()
        rc = main(["batch", str(calls), "--out", str(out), "--trust", str(setup.trust), "--evidence", str(setup.emap),
                   "--keystore", str(tmp_path / "ks"), "--workers", "1", "--no-progress", "--json"])
        took = time.monotonic() - t0
    totals = json.loads(capsys.readouterr().out)
    assert took < len(TARGETS) * DEADLINE + SLACK + BATCH_OVERHEAD, f"{mode}: {took:.1f} s for {len(TARGETS)} rows"
    assert rc == totals["exit_code"] and rc in (0, 3), totals
    lines = {d["id"]: d for d in (json.loads(x) for x in (out / "verdicts.jsonl").read_text().splitlines())}
    assert set(lines) == set(TARGETS), lines.keys()
    with open_store(str(out / "records.db"), create=False) as store:
        for target in TARGETS:
            line = lines[target]
            assert line["status"] == STATUS[target], (mode, target, line)
            rec = store.get(line["record"])
            failed = [e.failure.code for e in rec.evidence() if e.failure is not None]
            assert EXPECTED[mode] in failed, (mode, target, failed)
