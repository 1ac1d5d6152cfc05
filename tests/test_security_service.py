"""Every hostile-server mode against ``vvp serve`` (issue 21): a PASSporT whose ``kid`` OOBI, ``evd``
dossier or SHAKEN ``x5u`` is on the hostile host, posted to ``/vvp/v1/verify``.

One real server (a subprocess on 127.0.0.1, stopped by its process id) for the module, over the
served test world with its evidence map, so the hostile fetch is the only one that can wait.
Each answer must come within the fetch deadline plus generous slack (a correctness bound,
measured with a monotonic clock), be a 200 with a verdict naming the mode's code, and the
server must stay healthy: ``/healthz`` 200 after every request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzzkit import fuzz_settings
from tests.hostile_server import EXPECTED, MODES, hostile
from tests.servicekit import Server, post_json, request, running
from tests.test_security_hostile import CONTENT_TYPE, DEADLINE, DRIP, SLACK, argv_for, Setup
from vvp.clock import rfc3339
from vvp.testing.world import ServedWorld

pytestmark = pytest.mark.slow
TARGETS = ("kid", "evd", "x5u")
STATUS = {"kid": "INDETERMINATE", "evd": "INDETERMINATE", "x5u": "VALID"}


@pytest.fixture(scope="module")
def service(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Setup]]:
    tmp = tmp_path_factory.mktemp("hostile-service")
    files = served_world.files
    trust = json.loads(files.trust.read_text())
    trust["schemas"] = [str((files.trust.parent / p).resolve()) for p in trust["schemas"]]
    trust["policy"] = {**trust.get("policy", {}), "fetch_timeout_s": DEADLINE, "allow_private_addresses": True}
    (tmp / "trust.json").write_text(json.dumps(trust))
    setup = Setup(served_world, tmp / "trust.json", files.evidence_map)
    with running(tmp / "srv", trust=tmp / "trust.json", extra=["--evidence", str(files.evidence_map)]) as srv:
        yield srv, setup


def _body(setup: Setup, target: str, url: str) -> dict[str, Any]:
    """The /vvp/v1/verify body of the CLI case (same PASSporTs as tests/test_security_hostile.py)."""
    argv = argv_for(setup, target, url)
    idents = [argv[i + 1] for i, a in enumerate(argv) if a == "--identity"]
    call = setup.sw.call("valid")
    return {"identity": idents, "orig": call.orig, "dest": call.dest, "at": rfc3339(call.at)}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("mode", MODES)
def test_hostile_mode_against_the_service(mode: str, target: str, service: tuple[Server, Setup]) -> None:
    srv, setup = service
    with hostile(mode, content_type=CONTENT_TYPE[target], interval=DRIP) as host:
        body = _body(setup, target, host.url("/a"))
        t0 = time.monotonic()
        r = post_json(srv.port, "/vvp/v1/verify", body, timeout=60)
        took = time.monotonic() - t0
    assert r.status == 200, (r.status, r.body[:500])
    text = r.body.decode()
    doc = r.json()
    assert doc["verdict"]["status"] == STATUS[target], (mode, target, doc["verdict"]["status"])
    assert EXPECTED[mode] in text, f"{mode} {target}: {EXPECTED[mode]} not in {text[:1500]}"
    assert took < DEADLINE + SLACK, f"{mode} {target}: {took:.1f} s"
    assert request(srv.port, "GET", "/healthz", timeout=10).status == 200
    assert srv.proc.poll() is None


def test_the_service_still_verifies_a_valid_call_after_the_hostile_run(service: tuple[Server, Setup]) -> None:
    srv, setup = service
    call = setup.sw.call("valid")
    r = post_json(srv.port, "/vvp/v1/verify", {"identity": [call.identity], "orig": call.orig, "dest": call.dest,
                                               "at": rfc3339(call.at)})
    assert r.status == 200 and r.json()["verdict"]["status"] == "VALID"
    assert request(srv.port, "GET", "/readyz").status == 200


_SCALAR = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
           | st.sampled_from(["2026-03-01T12:00:00Z", "", "+15551230001", "12155551212", "x;info=<http://h/x>"]))
_JSON = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["identity", "orig", "dest", "call_id", "at", "verificationRequest", "from", "to", "tn", "time",
                     "x"]) | st.text(max_size=6), inner, max_size=4), max_leaves=10)


@pytest.mark.timeout(300)
@fuzz_settings(80)
@given(path=st.sampled_from(["/vvp/v1/verify", "/stir/v1/verification"]), doc=_JSON,
       raw=st.none() | st.binary(max_size=200))
@example(path="/vvp/v1/verify", doc={"identity": ["x"], "at": 10**15}, raw=None)
@example(path="/vvp/v1/verify", doc={"identity": ["x"], "at": -10**15}, raw=None)
@example(path="/vvp/v1/verify", doc={"identity": ["x"], "at": "9999-12-31T23:59:59-01:00"}, raw=None)
@example(path="/vvp/v1/verify", doc={"identity": ["x"], "at": ""}, raw=None)
@example(path="/vvp/v1/verify", doc={"identity": ["x"]}, raw=b"[" * 100_000 + b"]" * 100_000)
@example(path="/stir/v1/verification", doc={"verificationRequest": {"from": {"tn": "1"}, "to": {"tn": ["2"]},
                                                                    "identity": "x", "time": 10**15}}, raw=None)
def test_fuzz_service_json_bodies_get_a_coded_answer(service: tuple[Server, Setup], path: str, doc: Any,
                                                     raw: bytes | None) -> None:
    """Any body: a JSON answer with a 2xx or 4xx status (never 5xx), and the server stays healthy."""
    srv, _ = service
    body = raw if raw is not None else json.dumps(doc).encode()
    r = request(srv.port, "POST", path, body, headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status < 500, (r.status, body[:200], r.body[:300])
    json.loads(r.body)
    assert request(srv.port, "GET", "/healthz", timeout=10).status == 200
