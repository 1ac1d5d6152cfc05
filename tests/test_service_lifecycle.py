"""``vvp serve`` under stress: replay across workers, overload, deadlines, SIGTERM, SIGKILL, PostgreSQL.

Each test starts its own real server (a subprocess on 127.0.0.1, stopped by its process id) over
the served test world. A "hanging" evidence host is a local socket that accepts and never
answers (:func:`tests.servicekit.silent_server`): a PASSporT whose ``evd`` points there makes a
verification wait on a fetch, which is how deadlines, overload and drain are provoked without
sleeping in the server.
"""

from __future__ import annotations

import datetime as _dt
import http.client
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from vvp import codes
from vvp.clock import rfc3339
from vvp.record import Record
from vvp.replay import reverify
from vvp.testing.world import CALL_AT, CARD, DEST, GOAL, ServedWorld
from tests.pgcluster import PgCluster, pg_cluster  # noqa: F401 - fixture
from tests.servicekit import Server, post_json, request, reverify_json, running, silent_server, start_server

pytestmark = pytest.mark.slow


def trust_with(sw: ServedWorld, name: str, **policy: Any) -> Path:
    """The world's main trust store with policy changes, beside it (its relative paths still hold)."""
    doc = json.loads(sw.files.trust.read_text())
    doc.setdefault("policy", {}).update(policy)
    p = sw.files.trust.parent / f"trust-service-{name}.json"
    p.write_text(json.dumps(doc))
    return p


def verify_body(sw: ServedWorld, name: str = "valid") -> dict[str, Any]:
    c = sw.call(name)
    return {"identity": [c.identity], "orig": c.orig, "dest": c.dest, "at": rfc3339(c.at)}


def hanging_body(sw: ServedWorld, base: str) -> dict[str, Any]:
    """A valid PASSporT of the world whose dossier URL is on a host that never answers."""
    d = sw.world.dossiers["le"]
    iat = int((CALL_AT - _dt.timedelta(seconds=2)).timestamp())
    pp = sw.world.passport(signer=d.signer, kid=sw.urls.kid(sw.world, d.signer), evd=f"{base}/dossiers/{d.said}.cesr",
                           orig=d.numbers[0], dest=DEST, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
    return {"identity": [pp.identity], "orig": d.numbers[0], "dest": DEST, "at": rfc3339(CALL_AT)}


def in_thread(fn: Any, *args: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn(*args))
        except Exception as ex:  # noqa: BLE001 - reported by the test's assertion
            out.append(ex)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def wait_admitted(srv: Server, n: int = 1) -> None:
    """Until the server's queue holds ``n`` verifications (its metric), at most 20 s."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if f"vvp_queue_depth {float(n)}" in request(srv.port, "GET", "/metrics").body.decode():
            return
        time.sleep(0.02)
    raise AssertionError(f"the server never held {n} verification(s): {srv.stderr()}")


def _save(tmp: Path, rid: str, raw: bytes) -> Path:
    p = tmp / f"{rid.split(':')[1][:16]}.json"
    p.write_bytes(raw)
    return p


def _fetch_record(srv: Server, rid: str, tmp: Path) -> Path:
    r = request(srv.port, "GET", f"/vvp/v1/records/{rid}")
    assert r.status == 200, (rid, r.body[:200])
    return _save(tmp, rid, r.body)


def test_a_deadline_that_expires_while_a_fetch_hangs(served_world: ServedWorld, tmp_path: Path) -> None:
    trust = trust_with(served_world, "deadline", request_deadline_s=1.0)
    with silent_server() as (base, _release), running(tmp_path / "srv", trust=trust) as srv:
        t0 = time.monotonic()
        r = post_json(srv.port, "/vvp/v1/verify", hanging_body(served_world, base))
        waited = time.monotonic() - t0
        assert r.status == 200, r.body
        doc = r.json()
        verdict = doc["verdict"]
        assert verdict["status"] == "INDETERMINATE"
        assert doc["deadline"]["code"] == codes.SERVICE_DEADLINE_EXCEEDED and doc["deadline"]["request_deadline_s"] == 1
        ds13 = [c for c in verdict["checks"] if c["id"] == "DS-13"]
        assert ds13 and ds13[0]["status"] == "indeterminate" and codes.SERVICE_DEADLINE_EXCEEDED in ds13[0]["message"]
        assert waited < 30  # cut at the deadline, not at the 5 s fetch timeout times retries (not a timing claim)
        rec_path = _fetch_record(srv, doc["record_id"], tmp_path)
        rec = json.loads(rec_path.read_bytes())
        failures = [e for e in rec["evidence"] if "failure" in e]
        assert failures and failures[-1]["failure"]["code"] == codes.SERVICE_DEADLINE_EXCEEDED
        assert rec["inputs"]["service"]["request_deadline_s"] == 1.0
        assert rec["inputs"]["service"]["deadline"]["code"] == codes.SERVICE_DEADLINE_EXCEEDED
        rv = reverify_json(rec_path)
        assert rv["reproduced"] is True and rv["recomputed_status"] == "INDETERMINATE", rv.get("differences")
        # the same worker goes on answering valid calls from its warm cache
        assert post_json(srv.port, "/vvp/v1/verify", verify_body(served_world)).json()["verdict"]["status"] == "VALID"
        metrics = request(srv.port, "GET", "/metrics").body.decode()
        assert "vvp_deadline_exceeded_total 1.0" in metrics
        assert f'vvp_fetch_failures_total{{code="{codes.SERVICE_DEADLINE_EXCEEDED}",kind="dossier"}}' in metrics


def test_overload_answers_503_with_retry_after(served_world: ServedWorld, tmp_path: Path) -> None:
    trust = trust_with(served_world, "overload", request_deadline_s=4.0)
    with silent_server() as (base, _release), running(tmp_path / "srv", trust=trust,
                                                      extra=["--threads", "1", "--max-pending", "1",
                                                             "--retry-after", "2"]) as srv:
        t, out = in_thread(post_json, srv.port, "/vvp/v1/verify", hanging_body(served_world, base))
        wait_admitted(srv)
        deadline = time.monotonic() + 30
        busy = None
        while time.monotonic() < deadline and t.is_alive():
            r = post_json(srv.port, "/vvp/v1/verify", verify_body(served_world))
            if r.status == 503:
                busy = r
                break
            time.sleep(0.05)
        assert busy is not None, "no 503 while the one admitted verification was waiting"
        assert busy.headers["retry-after"] == "2"
        assert busy.json()["error"]["code"] == codes.SERVICE_OVERLOADED
        t.join(60)
        assert out and out[0].status == 200 and out[0].json()["verdict"]["status"] == "INDETERMINATE"
        assert request(srv.port, "GET", "/healthz").status == 200
        assert post_json(srv.port, "/vvp/v1/verify", verify_body(served_world)).status == 200
        assert 'vvp_rejected_total{reason="overloaded"}' in request(srv.port, "GET", "/metrics").body.decode()


def test_replay_is_detected_across_two_workers(served_world: ServedWorld, tmp_path: Path) -> None:
    trust = trust_with(served_world, "replay", replay_window_s=300)
    with running(tmp_path / "srv", trust=trust, workers=2) as srv:
        body = verify_body(served_world)
        first: list[str] = []
        replays: list[str] = []
        for i in range(60):
            # after a few rounds, two requests at once: a worker busy with one leaves the other
            # to the second worker (sequential requests may all be accepted by the same one)
            pair = [in_thread(post_json, srv.port, "/vvp/v1/verify", body) for _ in range(1 if i < 5 else 2)]
            for t, out in pair:
                t.join(60)
                r = out[0]
                assert r.status == 200, r.body
                doc = r.json()
                (replays if doc["replay"] is not None else first).append(doc["record_id"])
            time.sleep(0.01)  # the access log line is written at the end of the worker's turn
            pids = {x["pid"] for x in srv.log_lines() if x.get("path") == "/vvp/v1/verify"}
            if len(pids) >= 2 and len(replays) >= 2:
                break
        assert len(pids) >= 2, "every request went to one worker: the test proves nothing"
        assert len(first) == 1, "the PASSporT was accepted as new more than once"
        assert replays
        doc = r.json()
        assert doc["replay"]["code"] == codes.SERVICE_PASSPORT_REPLAYED and doc["replay"]["window_s"] == 300
        atis = post_json(srv.port, "/stir/v1/verification", {"verificationRequest": {
            "from": {"tn": body["orig"]}, "to": {"tn": body["dest"]}, "time": int(CALL_AT.timestamp()),
            "identity": body["identity"]}}).json()["verificationResponse"]
        assert atis["verstat"] == "TN-Validation-Failed" and atis["reasonCode"] == 403
        assert atis["verstat_source"] == "service" and atis["replay"]["code"] == codes.SERVICE_PASSPORT_REPLAYED
        # the record of a replayed call says so, and its verdict still re-verifies
        p = _fetch_record(srv, replays[-1], tmp_path)
        assert json.loads(p.read_bytes())["inputs"]["service"]["replay"]["code"] == codes.SERVICE_PASSPORT_REPLAYED
        assert reverify_json(p)["reproduced"] is True
        # another PASSporT is new
        other = post_json(srv.port, "/vvp/v1/verify", verify_body(served_world, "valid-cesr-signature")).json()
        assert other["replay"] is None


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_drains_in_flight_requests(served_world: ServedWorld, tmp_path: Path, workers: int) -> None:
    trust = trust_with(served_world, "drain", request_deadline_s=3.0)
    with silent_server() as (base, _release):
        srv = start_server(tmp_path / "srv", trust=trust, workers=workers)
        try:
            t, out = in_thread(post_json, srv.port, "/vvp/v1/verify", hanging_body(served_world, base))
            wait_admitted(srv)
            rc = srv.terminate(timeout=60)
            t.join(30)
        finally:
            srv.kill_group()
    assert rc == 0, srv.stderr()
    assert out and not isinstance(out[0], Exception), out
    assert out[0].status == 200 and out[0].json()["verdict"]["status"] == "INDETERMINATE"
    rid = out[0].json()["record_id"]
    with running(tmp_path / "srv", trust=trust, store=srv.store) as again:
        assert request(again.port, "GET", f"/vvp/v1/records/{rid}").status == 200


def _load(srv: Server, body: dict[str, Any], acked: list[str], stop: threading.Event, errors: list[str]) -> None:
    while not stop.is_set():
        try:
            r = post_json(srv.port, "/vvp/v1/verify", body, timeout=10)
        except (OSError, http.client.HTTPException):
            return  # the server is gone (killed mid-response: never acknowledged)
        if r.status == 200:
            acked.append(r.json()["record_id"])
        elif r.status != 503:
            errors.append(f"{r.status} {r.body[:200]!r}")


@pytest.mark.parametrize("workers", [2])
def test_sigkill_under_load_loses_no_acknowledged_record(served_world: ServedWorld, tmp_path: Path,
                                                         workers: int) -> None:
    names = ["valid", "valid-acting", "valid-cesr-signature", "bad-signature"]
    srv = start_server(tmp_path / "srv", trust=served_world.files.trust, workers=workers)
    acked: list[list[str]] = [[] for _ in names]
    errors: list[str] = []
    stop = threading.Event()
    threads = [threading.Thread(target=_load, args=(srv, verify_body(served_world, n), acked[i], stop, errors),
                                daemon=True) for i, n in enumerate(names)]
    try:
        for t in threads:
            t.start()
        t_end = time.monotonic() + 60
        while time.monotonic() < t_end and sum(len(a) for a in acked) < 150:
            time.sleep(0.05)
        srv.kill_group()  # SIGKILL to every process of the service, mid-load
    finally:
        stop.set()
        srv.kill_group()
        for t in threads:
            t.join(30)
    assert not errors, errors[:3]
    ids = [rid for a in acked for rid in a]
    assert len(ids) >= 20, "too little load before the kill to prove anything"
    with running(tmp_path / "srv", trust=served_world.files.trust, store=srv.store, workers=workers) as again:
        raws = {}
        for rid in ids:
            r = request(again.port, "GET", f"/vvp/v1/records/{rid}")
            assert r.status == 200, rid
            raws[rid] = r.body
    # every acknowledged record re-verifies offline (in process, the record alone), and one through the CLI
    for rid, raw in raws.items():
        rv = reverify(Record.from_bytes(raw))
        assert rv.reproduced is True, (rid, [d.to_json() for d in rv.differences])
    last = _save(tmp_path, ids[-1], raws[ids[-1]])
    assert reverify_json(last)["reproduced"] is True


def test_postgresql_store_serves_and_shares_replay_memory(served_world: ServedWorld, tmp_path: Path,
                                                          pg_cluster: PgCluster) -> None:  # noqa: F811
    url = pg_cluster.new_database()
    trust = trust_with(served_world, "replay-pg", replay_window_s=300)
    with running(tmp_path / "srv", trust=trust, store=url, workers=2) as srv:
        seen = [post_json(srv.port, "/vvp/v1/verify", verify_body(served_world, "valid-acting")).json()
                for _ in range(4)]
        assert [d["replay"] is None for d in seen].count(True) == 1
        assert all(d["verdict"]["status"] == "VALID" for d in seen)
        rv = reverify_json(_fetch_record(srv, seen[0]["record_id"], tmp_path))
        assert rv["reproduced"] is True
    with running(tmp_path / "srv2", trust=trust, store=url) as again:  # the records outlive the service
        assert request(again.port, "GET", f"/vvp/v1/records/{seen[-1]['record_id']}").status == 200
