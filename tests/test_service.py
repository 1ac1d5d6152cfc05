"""``vvp serve`` end to end: the real server as a subprocess on 127.0.0.1, over the served test world.

Covers every endpoint (ATIS verification, verify, verify-callee, records, healthz, readyz, metrics,
openapi.json), records that re-verify offline (cold and warm calls), malformed, oversized and
wrongly typed bodies (4xx with a coded JSON error, and the server still healthy), the JSON
access log. The harder life-cycle cases (replay across workers, overload, deadlines, SIGTERM,
SIGKILL) are in ``tests/test_service_lifecycle.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from vvp import codes
from vvp.clock import rfc3339
from vvp.record import MEDIA_TYPE
from vvp.service.models import api_schemas, openapi_document
from vvp.testing.world import ServedWorld
from tests.servicekit import Server, post_json, request, reverify_json, start_server

pytestmark = pytest.mark.slow

SCHEMAS = api_schemas()


def verify_body(sw: ServedWorld, name: str = "valid") -> dict[str, Any]:
    c = sw.call(name)
    return {"identity": [c.identity], "orig": c.orig, "dest": c.dest, "at": rfc3339(c.at)}


def atis_body(sw: ServedWorld, name: str = "valid") -> dict[str, Any]:
    c = sw.call(name)
    return {"verificationRequest": {"from": {"tn": c.orig}, "to": {"tn": [c.dest]}, "time": int(c.at.timestamp()),
                                    "identity": c.identity}}


def valid(schema: str, doc: Any) -> None:
    jsonschema.validate(doc, SCHEMAS[schema])


@pytest.fixture(scope="module")
def server(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("svc"), trust=served_world.files.trust)
    try:
        yield srv
    finally:
        srv.kill_group()


def _save(tmp_path: Path, raw: bytes) -> Path:
    p = tmp_path / "record.json"
    p.write_bytes(raw)
    return p


def test_verify_answers_after_the_record_is_stored_and_it_reverifies(server: Server, served_world: ServedWorld,
                                                                     tmp_path: Path) -> None:
    for round_ in ("cold", "warm"):
        r = post_json(server.port, "/vvp/v1/verify", verify_body(served_world))
        assert r.status == 200, r.body
        doc = r.json()
        valid("api-verify-response", doc)
        assert doc["verdict"]["status"] == "VALID", round_
        assert doc["replay"] is None and doc["deadline"] is None
        rec = request(server.port, "GET", f"/vvp/v1/records/{doc['record_id']}")
        assert rec.status == 200
        assert rec.headers["content-type"] == MEDIA_TYPE
        rv = reverify_json(_save(tmp_path, rec.body))
        assert rv["reproduced"] is True, (round_, rv.get("differences"), rv.get("not_in_record"))
        assert rv["recorded_status"] == "VALID" and rv["_exit"] == 0
        data = json.loads(rec.body)
        assert data["id"] == doc["record_id"]
        assert data["inputs"]["service"] == {"endpoint": "verify", "request_deadline_s": 3.0, "replay": None,
                                            "deadline": None}


def test_every_main_trust_scenario_verifies_through_the_service(server: Server, served_world: ServedWorld) -> None:
    seen = 0
    for c in served_world.calls:
        if c.scenario.trust != "main":
            continue
        r = post_json(server.port, "/vvp/v1/verify", verify_body(served_world, c.name))
        assert r.status == 200, (c.name, r.body)
        assert r.json()["verdict"]["status"] in c.scenario.expected, c.name
        seen += 1
    assert seen >= 10


def test_atis_endpoint_answers_verstat_from_vvp(server: Server, served_world: ServedWorld, tmp_path: Path) -> None:
    r = post_json(server.port, "/stir/v1/verification", atis_body(served_world))
    assert r.status == 200, r.body
    doc = r.json()
    valid("api-stir-verification-response", doc)
    vr = doc["verificationResponse"]
    assert vr["verstat"] == "TN-Validation-Passed" and vr["verstat_source"] == "vvp"
    assert vr["vvp"]["status"] == "VALID"
    rec = request(server.port, "GET", f"/vvp/v1/records/{vr['record_id']}")
    assert json.loads(rec.body)["inputs"]["service"]["endpoint"] == "stir"
    bad = post_json(server.port, "/stir/v1/verification", atis_body(served_world, "bad-signature")).json()
    assert bad["verificationResponse"]["verstat"] == "TN-Validation-Failed"
    assert bad["verificationResponse"]["vvp"]["status"] == "INVALID"
    # identity as one string, TNs with + and separators, unknown ATIS members ignored
    body = atis_body(served_world)
    body["verificationRequest"]["to"]["tn"] = "+1-613-555-0142"
    body["verificationRequest"]["x-vendor"] = {"anything": 1}
    r2 = post_json(server.port, "/stir/v1/verification", body)
    assert r2.status == 200 and r2.json()["verificationResponse"]["vvp"]["status"] == "VALID"


def test_atis_errors_have_the_atis_shape(server: Server) -> None:
    r = post_json(server.port, "/stir/v1/verification", {"verificationRequest": {"to": {"tn": "1"}, "identity": "x"}})
    assert r.status == 400
    doc = r.json()
    valid("api-stir-error", doc)
    exc = doc["requestError"]["serviceException"]
    assert exc["messageId"] == "SVC4000" and exc["variables"] == ["verificationRequest.from"]
    r = post_json(server.port, "/stir/v1/verification",
                  {"verificationRequest": {"from": {"tn": "abc"}, "to": {"tn": "1"}, "identity": "x"}})
    assert r.status == 400 and r.json()["requestError"]["serviceException"]["messageId"] == "SVC4001"
    r = post_json(server.port, "/stir/v1/verification",
                  {"verificationRequest": {"from": {"tn": "1"}, "to": {"tn": "1"}, "identity": "x", "time": 1.5}})
    assert r.status == 400 and r.json()["requestError"]["serviceException"]["code"] == codes.ATIS_REQUEST_INVALID


def test_verify_callee_refuses_bad_bodies(server: Server) -> None:
    r = post_json(server.port, "/vvp/v1/verify-callee", {"callee": "x"})
    assert r.status == 400 and r.json()["error"]["code"] == codes.SERVICE_REQUEST_INVALID
    r = post_json(server.port, "/vvp/v1/verify-callee", {"callee": "x", "call_id": "c", "cseq": "one", "dest": "1"})
    assert r.status == 400  # cseq is a number, or a CSeq value ('1 INVITE')


BAD_BODIES: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("not json", b"{not json", {}, 400, codes.SERVICE_BODY_NOT_JSON),
    ("duplicate key", b'{"identity": "a", "identity": "b"}', {}, 400, codes.SERVICE_BODY_NOT_JSON),
    ("NaN", b'{"identity": "a", "at": NaN}', {}, 400, codes.SERVICE_BODY_NOT_JSON),
    ("bad utf-8", b'{"identity": "\xff\xfe"}', {}, 400, codes.SERVICE_BODY_NOT_JSON),
    ("deep", b"[" * 100000 + b"]" * 100000, {}, 400, codes.SERVICE_BODY_NOT_JSON),
    ("array", b"[]", {}, 400, codes.SERVICE_REQUEST_INVALID),
    ("unknown field", b'{"identity": "a", "idnetity": "b"}', {}, 400, codes.SERVICE_REQUEST_INVALID),
    ("wrong type", b'{"identity": 5}', {}, 400, codes.SERVICE_REQUEST_INVALID),
    ("string for int", b'{"identity": "a", "at": "5"}', {}, 400, codes.SERVICE_REQUEST_INVALID),
    ("empty list", b'{"identity": []}', {}, 400, codes.SERVICE_REQUEST_INVALID),
    ("bad tn", b'{"identity": "a", "orig": "call me"}', {}, 400, codes.SERVICE_REQUEST_INVALID),
    ("bad time", b'{"identity": "a", "at": "2026-02-30T00:00:00Z"}', {}, 400, codes.SERVICE_REQUEST_INVALID),
    ("missing identity", b"{}", {}, 400, codes.SERVICE_REQUEST_INVALID),
    ("text/plain", b'{"identity": "a"}', {"Content-Type": "text/plain"}, 415, codes.SERVICE_CONTENT_TYPE),
    ("no content type", b'{"identity": "a"}', {"Content-Type": ""}, 415, codes.SERVICE_CONTENT_TYPE),
    ("too large", b'{"identity": "' + b"a" * 2_000_000 + b'"}', {}, 413, codes.SERVICE_BODY_TOO_LARGE),
]


@pytest.mark.parametrize("name,body,headers,status,code", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_get_a_coded_json_error(server: Server, name: str, body: bytes, headers: dict[str, str],
                                           status: int, code: str) -> None:
    hdrs = {"Content-Type": "application/json", **headers}
    if hdrs["Content-Type"] == "":
        del hdrs["Content-Type"]
    r = request(server.port, "POST", "/vvp/v1/verify", body, headers=hdrs)
    assert r.status == status, r.body[:300]
    assert r.headers["content-type"] == "application/json"
    doc = r.json()
    valid("api-error", doc)
    assert doc["error"]["code"] == code
    assert request(server.port, "GET", "/healthz").status == 200


def test_an_oversized_chunked_body_is_cut_off(server: Server) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("POST", "/vvp/v1/verify")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        chunk = b"a" * 65536
        try:
            for _ in range(40):  # 2.5 MiB, over the 1 MiB limit
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server may close the connection once it has answered 413
        r = conn.getresponse()
        assert r.status == 413
        assert json.loads(r.read())["error"]["code"] == codes.SERVICE_BODY_TOO_LARGE
    finally:
        conn.close()
    assert request(server.port, "GET", "/healthz").status == 200


def test_unknown_paths_methods_and_records(server: Server) -> None:
    r = request(server.port, "GET", "/nope")
    assert r.status == 404 and r.json()["error"]["code"] == codes.SERVICE_NOT_FOUND
    r = request(server.port, "GET", "/vvp/v1/verify")
    assert r.status == 405 and r.json()["error"]["code"] == codes.SERVICE_METHOD_NOT_ALLOWED
    for rid in ("sha256:" + "0" * 64, "not-an-id", "sha256:" + "g" * 64):
        r = request(server.port, "GET", f"/vvp/v1/records/{rid}")
        assert r.status == 404 and r.json()["error"]["code"] == codes.STORE_NOT_FOUND


def test_health_readiness_metrics_and_openapi(server: Server, served_world: ServedWorld) -> None:
    h = request(server.port, "GET", "/healthz").json()
    valid("api-healthz", h)
    ready = request(server.port, "GET", "/readyz")
    assert ready.status == 200
    valid("api-readyz", ready.json())
    assert ready.json()["ready"] is True
    post_json(server.port, "/vvp/v1/verify", verify_body(served_world))
    post_json(server.port, "/vvp/v1/verify", verify_body(served_world, "bad-signature"))
    m = request(server.port, "GET", "/metrics")
    assert m.status == 200 and m.headers["content-type"].startswith("text/plain")
    text = m.body.decode()
    for name in ("vvp_http_requests_total", "vvp_http_request_duration_seconds_bucket",
                 'vvp_verifications_total{frontend="verify",status="VALID"}',
                 'vvp_claim_codes_total{claim="passport",code="PASSPORT_SIGNATURE_INVALID"}',
                 "vvp_store_commit_duration_seconds_count", "vvp_store_commit_batch_records_bucket",
                 "vvp_queue_depth", 'vvp_cache_lookups_total{kind="oobi"', "vvp_fetch_duration_seconds_count",
                 "vvp_verify_duration_seconds_count"):
        assert name in text, name
    o = request(server.port, "GET", "/openapi.json")
    assert o.status == 200
    assert o.json() == json.loads(json.dumps(openapi_document()))


def test_access_log_is_json_on_stderr(server: Server, served_world: ServedWorld) -> None:
    rid = post_json(server.port, "/vvp/v1/verify", verify_body(served_world)).json()["record_id"]
    request(server.port, "POST", "/vvp/v1/verify", b"{", headers={"Content-Type": "application/json"})
    lines = server.log_lines()
    ok = [x for x in lines if x.get("record_id") == rid]
    assert ok and ok[0]["status"] == 200 and ok[0]["method"] == "POST" and ok[0]["verdict"] == "VALID"
    assert ok[0]["path"] == "/vvp/v1/verify" and isinstance(ok[0]["ms"], float) and ok[0]["ts"].endswith("Z")
    assert any(x.get("code") == codes.SERVICE_BODY_NOT_JSON and x["status"] == 400 for x in lines)
    assert all("identity" not in json.dumps(x) for x in lines if "path" in x)  # no bodies in the log


def test_a_bad_trust_store_fails_to_start_with_a_code(tmp_path: Path) -> None:
    import subprocess

    from tests.servicekit import VVP

    bad = tmp_path / "trust.json"
    bad.write_text('{"version": 1, "policy": {"no_such_knob": 1}}')
    out = subprocess.run([VVP, "serve", "--trust", str(bad), "--port", "0", "--store", str(tmp_path / "r.db")],
                         capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
                         env={**__import__("os").environ, "VVP_KEYSTORE": str(tmp_path / "ks")})
    assert out.returncode == 4
    assert codes.TRUST_UNKNOWN_KEY in out.stderr.decode()
    out = subprocess.run([VVP, "serve", "--workers", "0"], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and codes.SERVICE_CONFIG_INVALID in out.stderr.decode()
