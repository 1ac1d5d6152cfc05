"""Shared set-up of the callee tests: the callee world, its evidence in memory, signing and verifying.

The world is ``WorldSpec(callee=True)``, built once per process (``functools.cache``). Evidence is
served from memory under a fixed base URL (never contacted), like the golden records, so these
tests need no server; the CLI tests use the served world instead (``served_callee``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vvp import codes
from vvp._cli import main
from vvp.testing.worldgen import World, WorldSpec, build_world
from vvp.testing.worldgen.build import TN_CALLEE
from vvp.testing.worldgen.model import SignedCallee
from vvp.callee.inputs import CalleeInput
from vvp.fetch import Fetcher, MemoryFetcher
from vvp.trust import TrustStore, load_trust_store
from vvp.verdict import Verdict
from vvp.verifier import Verifier
from vvp.testing.world import CALL_AT, GOAL, ServedWorld, WorldUrls, routes_for, served_world, write_evidence
from vvp.testing.world.files import EvidenceFiles
from vvp.testing.world.scenarios import CALLEE_SCENARIOS, CalleeCall, crlf, invite_text, make_callee_call, response_text

BASE = "http://127.0.0.1:5642"  # never contacted: evidence is served from memory
CALL_ID = "c1@acme.example"
CALLEE_TN = TN_CALLEE[0]


@functools.cache
def callee_world() -> World:
    return build_world(WorldSpec(callee=True))


@dataclass
class Kit:
    """The callee world with its files written and a memory fetcher over its routes."""

    world: World
    urls: WorldUrls
    files: EvidenceFiles
    trust: TrustStore
    fetcher: Fetcher

    def call(self, name: str) -> CalleeCall:
        s = next(s for s in CALLEE_SCENARIOS if s.name == name)
        return make_callee_call(self.world, self.urls, self.files, s)

    def sign(self, *, signer: str = "callee", dossier: str = "callee", at: _dt.datetime = CALL_AT,
             iat_offset_s: int = -1, **kw: Any) -> SignedCallee:
        """A callee PASSporT with the defaults of a valid answer; ``kw`` override any argument of
        :meth:`World.callee_passport` (``exp`` defaults to 15 s after iat; pass ``exp=None`` to omit)."""
        iat = int((at + _dt.timedelta(seconds=iat_offset_s)).timestamp())
        args: dict[str, Any] = dict(signer=signer, kid=self.urls.kid(self.world, signer),
                                    evd=self.urls.evd(self.world.dossiers[dossier].said), call_id=CALL_ID, cseq=1,
                                    iat=iat, exp=iat + 15, card=("ORG:Bistro Verde",), goal=GOAL)
        args.update(kw)
        return self.world.callee_passport(**args)

    def inputs(self, value: str, *, at: _dt.datetime = CALL_AT, **kw: Any) -> CalleeInput:
        args: dict[str, Any] = dict(call_id=CALL_ID, cseq="1 INVITE", dest=CALLEE_TN, caller_goal=GOAL)
        args.update(kw)
        return CalleeInput(reference_time=at, callee=value, **args)

    def response_inputs(self, response: str | bytes, *, at: _dt.datetime = CALL_AT,
                        invite: bytes | None = None) -> CalleeInput:
        """A raw response with the default INVITE (Call-ID ``CALL_ID`` to ``CALLEE_TN``)."""
        inv = invite if invite is not None else self.invite()
        return CalleeInput(reference_time=at, response=crlf(response) if isinstance(response, str) else response,
                           invite=inv)

    def invite(self, *, call_id: str = CALL_ID, dest: str = CALLEE_TN) -> bytes:
        return crlf(invite_text(call_id=call_id, dest=dest, date=CALL_AT - _dt.timedelta(seconds=3), identity=None))

    def response(self, sdp_lines: list[str], **kw: Any) -> str:
        kw.setdefault("call_id", CALL_ID)
        kw.setdefault("dest", CALLEE_TN)
        return response_text(sdp_lines=sdp_lines, **kw)

    def verify(self, call: CalleeInput, *, trust: TrustStore | None = None, fetcher: Fetcher | None = None) -> Verdict:
        return Verifier(trust or self.trust, fetcher or self.fetcher, use_cache=False).verify_callee(call)


def memory_fetcher(world: World, base: str = BASE) -> MemoryFetcher:
    return MemoryFetcher({base + path: (res.content_type, res.body) for path, res in routes_for(world).items()
                          if res.status == 200}, missing_code=codes.FETCH_HTTP_STATUS)


@pytest.fixture(scope="session")
def ck(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    world = callee_world()
    files = write_evidence(world, BASE, tmp_path_factory.mktemp("callee-world"))
    return Kit(world, WorldUrls(BASE), files, load_trust_store(files.trust), memory_fetcher(world))


@pytest.fixture(scope="session")
def served_callee(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedWorld]:
    with served_world(callee_world(), tmp_path_factory.mktemp("served-callee")) as sw:
        yield sw


def by_id(v: Verdict | dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The verdict's checks by id (first subject wins; callee ids do not repeat)."""
    doc = v.to_json() if isinstance(v, Verdict) else v
    out: dict[str, dict[str, Any]] = {}
    for c in doc["checks"]:
        out.setdefault(c["id"], c)
    return out


def run_cli(argv: list[str]) -> tuple[int, dict[str, Any] | None, str]:
    """``vvp`` in process: exit code, the JSON document (None when stdout is not one), stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as ex:  # argparse's own usage errors (exit 2, message on stderr)
            rc = int(ex.code or 0)
    try:
        doc = json.loads(out.getvalue())
    except ValueError:
        doc = None
    return rc, doc, err.getvalue()


def write(tmp: Path, name: str, data: str | bytes) -> Path:
    p = tmp / name
    p.write_bytes(crlf(data) if isinstance(data, str) else data)
    return p
