"""``POST /vvp/v1/verify-callee`` on the real server: the callee world's answers (architecture §2.2).

The callee world (``WorldSpec(callee=True)``) is served on 127.0.0.1 and ``vvp serve`` runs as a
subprocess with its trust store; every callee scenario is verified through the endpoint and
must reach the scenario's expected status, and the record of a valid answer re-verifies offline
(``vvp reverify`` reads callee records too).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vvp.clock import rfc3339
from vvp.testing.world import ServedWorld, served_world
from tests.callee_kit import callee_world
from tests.servicekit import Server, post_json, request, reverify_json, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def callee_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedWorld]:
    with served_world(callee_world(), tmp_path_factory.mktemp("callee-world")) as sw:
        yield sw


@pytest.fixture(scope="module")
def server(callee_served: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("svc-callee"), trust=callee_served.files.trust)
    try:
        yield srv
    finally:
        srv.kill_group()


def body_of(c: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"callee": c.value, "call_id": c.call_id, "cseq": c.cseq, "dest": c.dest,
                           "at": rfc3339(c.at)}
    if c.caller_goal is not None:
        out["caller_goal"] = c.caller_goal
    return out


def test_every_callee_scenario_through_the_service(server: Server, callee_served: ServedWorld,
                                                   tmp_path: Path) -> None:
    checked = 0
    for c in callee_served.callee_calls:
        if c.trust != callee_served.files.trust:
            continue  # the service runs one trust store
        r = post_json(server.port, "/vvp/v1/verify-callee", body_of(c))
        assert r.status == 200, (c.name, r.body[:300])
        doc = r.json()
        assert doc["verdict"]["status"] in c.scenario.expected, (c.name, doc["verdict"]["claims"])
        assert doc["verdict"].get("direction") == "callee"
        checked += 1
    assert checked >= 3
    valid = next(c for c in callee_served.callee_calls if c.name == "callee-valid")
    for _ in ("cold or warm", "warm"):
        doc = post_json(server.port, "/vvp/v1/verify-callee", body_of(valid)).json()
        assert doc["verdict"]["status"] == "VALID"
        rec = request(server.port, "GET", f"/vvp/v1/records/{doc['record_id']}")
        assert json.loads(rec.body)["inputs"]["direction"] == "callee"
        p = tmp_path / "callee-record.json"
        p.write_bytes(rec.body)
        rv = reverify_json(p)
        assert rv["reproduced"] is True, rv.get("differences")
    number_only = {**body_of(valid), "cseq": int(valid.cseq.split()[0])}
    assert post_json(server.port, "/vvp/v1/verify-callee", number_only).json()["verdict"]["status"] == "VALID"
