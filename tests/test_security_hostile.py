"""Every hostile-server mode against the CLI (issue 21): ``vvp kel``, ``vvp dossier`` and ``vvp
verify`` with the hostile URL as the ``kid`` OOBI, the ``evd`` dossier or a SHAKEN ``x5u``.

Everything else the calls need is served from the test world's evidence map, so the one hostile
fetch is the only thing that can hold the command. Each run must finish within the fetch deadline
plus generous slack (a correctness bound, measured with a monotonic clock; the old fetcher was
held for as long as the server dripped), print one JSON document naming the mode's code, and
exit with the verdict's code (never 4, never a traceback).
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import shaken_pki
from tests.hostile_server import EXPECTED, MODES, hostile
from vvp._cli import main
from vvp.testing import stipki
from vvp.testing.world import CARD, DEST, GOAL, ServedWorld

DEADLINE = 1  # fetch_timeout_s of the trust store (an integer: the policy field is read as one)
SLACK = 3.0  # deadline + slack: robust on a loaded 2-core machine
DRIP = 0.3  # seconds between dripped bytes: far below any per-read timeout, so only a total deadline cuts it

CONTENT_TYPE = {"kid": "application/json+cesr", "evd": "application/cesr", "x5u": "application/pem-certificate-chain",
                "kel": "application/cesr", "dossier": "application/cesr"}
RC = {"kel": 3, "dossier": 3, "kid": 3, "evd": 3, "x5u": 0}
"""Exit code per target: the fetch failure makes the KEL, the dossier or the PASSporT INDETERMINATE;
a SHAKEN x5u failure is the SHAKEN claim's own (its verstat) and leaves the VVP verdict VALID."""
TARGETS = tuple(RC)


@dataclass(frozen=True)
class Setup:
    sw: ServedWorld
    trust: Path
    emap: Path


@pytest.fixture(scope="module")
def setup(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """The world's trust store with a short fetch deadline, and its evidence map with absolute
    paths (not ``--offline``: an unmapped URL, the hostile one, is fetched over HTTP)."""
    tmp = tmp_path_factory.mktemp("hostile")
    files = served_world.files
    trust = json.loads(files.trust.read_text())
    trust["schemas"] = [str((files.trust.parent / p).resolve()) for p in trust["schemas"]]
    trust["policy"] = {**trust.get("policy", {}), "fetch_timeout_s": DEADLINE, "allow_private_addresses": True}
    (tmp / "trust.json").write_text(json.dumps(trust))
    emap = json.loads(files.evidence_map.read_text())
    emap = {k: {**v, "path": str((files.evidence_map.parent / v["path"]).resolve())} for k, v in emap.items()}
    (tmp / "map.json").write_text(json.dumps(emap))
    return Setup(served_world, tmp / "trust.json", tmp / "map.json")


def argv_for(s: Setup, target: str, url: str) -> list[str]:
    """The command line that makes ``url`` the one fetched thing for ``target``."""
    if target in ("kel", "dossier"):
        return [target, url, "--trust", str(s.trust), "--json"]
    world, call = s.sw.world, s.sw.call("valid")
    d = world.dossiers["le"]
    iat = int((call.at - _dt.timedelta(seconds=2)).timestamp())
    common = ["--orig", call.orig, "--dest", call.dest, "--at", str(int(call.at.timestamp())),
              "--trust", str(s.trust), "--evidence", str(s.emap), "--json"]
    if target == "x5u":
        pki = shaken_pki.build()
        token = stipki.shaken_passport(pki.ee["spc"].key, x5u=url, orig=call.orig.lstrip("+"),
                                       dest=[call.dest.lstrip("+")], iat=iat)
        return ["verify", "--identity", call.identity, "--identity", stipki.identity_value(token, url), *common]
    kid = s.sw.urls.kid(world, d.signer)
    evd = s.sw.urls.evd(d.said)
    hostile_base = url.rsplit("/", 1)[0]
    if target == "kid":  # the signer's own OOBI path, on the hostile host (the kid must name the AID)
        kid = kid.replace(s.sw.urls.base, hostile_base)
    else:
        evd = url
    sp = world.passport(signer=d.signer, kid=kid, evd=evd, orig=d.numbers[0], dest=DEST, iat=iat, exp=iat + 15,
                        form="jws", card=CARD, goal=GOAL)
    return ["verify", "--identity", sp.identity, *common]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str, float]:
    capsys.readouterr()
    t0 = time.monotonic()
    rc = main(argv)
    took = time.monotonic() - t0
    out = capsys.readouterr().out
    return rc, json.loads(out), out, took


@pytest.mark.timeout(120)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("mode", MODES)
def test_hostile_mode_against_the_cli(mode: str, target: str, setup: Setup,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    with hostile(mode, content_type=CONTENT_TYPE[target], interval=DRIP) as srv:
        url = srv.url("/a")
        rc, doc, out, took = run_cli(argv_for(setup, target, url), capsys)
        connections = srv.connections
    assert isinstance(doc, dict) and "error" not in doc, out[:500]
    assert EXPECTED[mode] in out, f"{mode} {target}: {EXPECTED[mode]} not in the output:\n{out[:2000]}"
    assert rc == RC[target], f"{mode} {target}: exit {rc}"
    assert took < DEADLINE + SLACK, f"{mode} {target}: {took:.1f} s"
    if mode != "never-accept":
        assert connections >= 1  # the hostile server was really asked


def test_the_setup_verifies_the_valid_call_without_any_fetch(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    """Control: with nothing hostile, the call of the matrix is VALID from the map alone, so a
    failure above is the hostile server's doing."""
    call = setup.sw.call("valid")
    rc, doc, _, _ = run_cli(["verify", "--identity", call.identity, "--orig", call.orig, "--dest", call.dest,
                             "--at", str(int(call.at.timestamp())), "--trust", str(setup.trust),
                             "--evidence", str(setup.emap), "--offline", "--json"], capsys)
    assert rc == 0 and doc["status"] == "VALID"
