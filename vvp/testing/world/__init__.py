"""The deterministic test world, served: what tests and ``vvp demo`` use.

The world itself is generated with keri under ``vvp._keri.worldgen`` (the only place allowed to
import keri); this package is plain Python around it: an HTTP evidence server on 127.0.0.1
(:mod:`vvp.testing.world.server`), the trust store and ``--evidence`` map writer
(:mod:`vvp.testing.world.files`), the named calls (:mod:`vvp.testing.world.scenarios`) and the demo
(:mod:`vvp.testing.world.demo`).

Typical test use::

    world = build_world()                       # or the session fixture
    with served_world(world, tmp_path) as sw:   # server up, files written, calls signed
        call = sw.call("valid")
        rc = vvp._cli.main(call.argv(json_out=True))
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

# Re-exports in the "X as X" form (no __all__: UPPER_SNAKE names in it would read as codes).
from vvp._keri.worldgen import BEFORE_ROTATION_AT as BEFORE_ROTATION_AT
from vvp._keri.worldgen import CALL_AT as CALL_AT
from vvp._keri.worldgen import REVOKE_AT as REVOKE_AT
from vvp._keri.worldgen import ROTATE_AT as ROTATE_AT
from vvp._keri.worldgen import SignedPassport as SignedPassport
from vvp._keri.worldgen import World as World
from vvp._keri.worldgen import WorldSpec as WorldSpec
from vvp._keri.worldgen import build_world as build_world
from vvp.testing.world.files import EvidenceFiles as EvidenceFiles
from vvp.testing.world.files import write_evidence as write_evidence
from vvp.testing.world.scenarios import CARD as CARD
from vvp.testing.world.scenarios import DEST as DEST
from vvp.testing.world.scenarios import GOAL as GOAL
from vvp.testing.world.scenarios import SCENARIOS as SCENARIOS
from vvp.testing.world.scenarios import CALLEE_SCENARIOS as CALLEE_SCENARIOS
from vvp.testing.world.scenarios import Call as Call
from vvp.testing.world.scenarios import CalleeCall as CalleeCall
from vvp.testing.world.scenarios import CalleeScenario as CalleeScenario
from vvp.testing.world.scenarios import make_callee_calls as make_callee_calls
from vvp.testing.world.scenarios import Scenario as Scenario
from vvp.testing.world.scenarios import make_calls as make_calls
from vvp.testing.world.server import EvidenceServer as EvidenceServer
from vvp.testing.world.server import Resource as Resource
from vvp.testing.world.server import WorldUrls as WorldUrls
from vvp.testing.world.server import routes_for as routes_for


@dataclass(frozen=True)
class ServedWorld:
    """A world with its server running, its files written and its scenario calls signed."""

    world: World
    server: EvidenceServer
    urls: WorldUrls
    files: EvidenceFiles
    calls: tuple[Call, ...]
    callee_calls: tuple[CalleeCall, ...] = ()
    """The callee scenarios' answers, for a world built with ``WorldSpec(callee=True)``."""

    def call(self, name: str) -> Call:
        for c in self.calls:
            if c.name == name:
                return c
        raise KeyError(name)

    def callee_call(self, name: str) -> CalleeCall:
        for c in self.callee_calls:
            if c.name == name:
                return c
        raise KeyError(name)

    def passport(self, *, dossier: str = "le", signer: str | None = None, orig: str | None = None,
                 dest: str = DEST, at: _dt.datetime = CALL_AT, iat_offset_s: int = -2, validity_s: int = 15,
                 form: Literal["jws", "cesr"] = "jws", **kwargs: Any) -> SignedPassport:
        """Sign a PASSporT for one of the world's dossiers with the URLs of this server filled in;
        any other keyword goes to :meth:`World.passport` (``card``, ``goal``, ``key_at``, ``tamper``...)."""
        d = self.world.dossiers[dossier]
        who = signer or d.signer
        iat = int((at + _dt.timedelta(seconds=iat_offset_s)).timestamp())
        kwargs.setdefault("card", CARD)
        kwargs.setdefault("goal", GOAL)
        return self.world.passport(signer=who, kid=self.urls.kid(self.world, who), evd=self.urls.evd(d.said),
                                   orig=orig or d.numbers[0], dest=dest, iat=iat, exp=iat + validity_s, form=form,
                                   **kwargs)


@contextlib.contextmanager
def served_world(world: World, out_dir: str | Path, *,
                 scenarios: Sequence[Scenario] = SCENARIOS, witnesses: bool = False) -> Iterator[ServedWorld]:
    """Serve ``world`` on 127.0.0.1, write its trust stores and evidence map into ``out_dir``,
    sign the scenario calls; stop the server on exit (the files stay). ``witnesses``: also serve
    each witness at its own endpoint and make the kid OOBIs carry the witnesses' signed location
    replies, as real witness OOBIs do (architecture §2.4; :func:`vvp.testing.world.server.witness_routes`)."""
    with EvidenceServer(routes_for(world)) as server:
        if witnesses:
            from vvp.testing.world.server import kid_routes, witness_routes

            for path, res in {**witness_routes(world, server.base_url), **kid_routes(world, server.base_url)}.items():
                server.set(path, res)
        urls = WorldUrls(server.base_url)
        files = write_evidence(world, server.base_url, out_dir)
        yield ServedWorld(world=world, server=server, urls=urls, files=files,
                          calls=make_calls(world, urls, files, scenarios),
                          callee_calls=make_callee_calls(world, urls, files) if "callee" in world.parties else ())
