"""The raw ASGI fast path (vvp/service/fastpath.py) answers exactly as the Starlette routes do.

One worker (served test world, offline evidence, a stopped clock so that a call's record, and so
its id, is the same whichever path answered it), two applications over it: ``create_app`` with
the fast path and with ``fast_path=False`` (every request through Starlette). A table of good
and bad requests to ``POST /vvp/v1/verify`` and ``POST /stir/v1/verification`` goes through both;
for each one the status, the whole header list, the body, the access-log line (but its time
fields), the metrics it moved and the exception the server sees must be the same. The table:
warm calls (VALID and INVALID, identity as a string and as a list, Unix and RFC 3339 times),
malformed JSON, duplicate keys, NaN, bad UTF-8, nesting too deep, an empty body, wrong and
missing content types (and the accepted spellings), bodies over the limit by Content-Length and
while reading (chunked), a non-numeric Content-Length, unknown members, wrong types, schema
violations, ATIS shape errors (missing and invalid members, SVC4000 and SVC4001), overload (503 +
Retry-After), draining, and a client that disconnects.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import io
import json
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import Response

from vvp import clock
from vvp.clock import rfc3339
from vvp.service import metrics
from vvp.service.app import JSON, create_app
from vvp.service.config import ServiceConfig
from vvp.service.fastpath import FastPath, raw_headers
from vvp.service.worker import Worker
from vvp.stir import atis
from vvp.testing.world import ServedWorld

Message = MutableMapping[str, Any]
NOW = _dt.datetime(2026, 3, 1, 12, 0, 5, tzinfo=_dt.UTC)


@dataclass(frozen=True)
class Req:
    name: str
    path: str
    chunks: tuple[bytes, ...]
    """The body as the server receives it (one message per chunk); empty: the client disconnects."""
    status: int
    headers: tuple[tuple[str, str], ...] = (("content-type", JSON),)
    content_length: bool = True
    """Declare the body's length (False: as a chunked body arrives)."""


def _body(doc: Any) -> tuple[bytes, ...]:
    return (json.dumps(doc).encode(),)


def _table(sw: ServedWorld) -> list[Req]:
    v, bad = sw.call("valid"), sw.call("bad-signature")
    good = {"identity": [v.identity], "orig": v.orig, "dest": v.dest, "at": rfc3339(v.at)}
    atis_good = {"verificationRequest": {"from": {"tn": v.orig}, "to": {"tn": [v.dest]},
                                         "time": int(v.at.timestamp()), "identity": v.identity}}
    vr: dict[str, Any] = dict(atis_good["verificationRequest"])
    verify, stir = "/vvp/v1/verify", "/stir/v1/verification"
    big = b'{"identity": "' + b"a" * 700_000 + b'"}'
    return [
        Req("verify valid", verify, _body(good), 200),
        Req("verify valid, identity a string, Unix time", verify,
            _body({**good, "identity": v.identity, "at": int(v.at.timestamp())}), 200),
        Req("verify invalid signature", verify,
            _body({"identity": [bad.identity], "orig": bad.orig, "dest": bad.dest, "at": rfc3339(bad.at)}), 200),
        Req("verify with charset", verify, _body(good), 200, (("content-type", "application/json; charset=utf-8"),)),
        Req("verify upper-case type", verify, _body(good), 200, (("content-type", "Application/JSON"),)),
        Req("verify in three chunks", verify, (json.dumps(good).encode()[:10], json.dumps(good).encode()[10:20],
                                               json.dumps(good).encode()[20:]), 200, content_length=False),
        Req("not json", verify, (b"{not json",), 400),
        Req("empty body", verify, (b"",), 400),
        Req("duplicate key", verify, (b'{"identity": "a", "identity": "b"}',), 400),
        Req("NaN", verify, (b'{"identity": "a", "at": NaN}',), 400),
        Req("bad utf-8", verify, (b'{"identity": "\xff\xfe"}',), 400),
        Req("deep", verify, (b"[" * 5000 + b"]" * 5000,), 400),
        Req("array", verify, (b"[]",), 400),
        Req("unknown member", verify, (b'{"identity": "a", "idnetity": "b"}',), 400),
        Req("wrong type", verify, (b'{"identity": 5}',), 400),
        Req("string for a number", verify, (b'{"identity": "a", "at": "5"}',), 400),
        Req("several errors", verify, (b'{"identity": 5, "orig": 7, "x": 1}',), 400),
        Req("empty identity list", verify, (b'{"identity": []}',), 400),
        Req("bad tn", verify, (b'{"identity": "a", "orig": "call me"}',), 400),
        Req("february 30", verify, (b'{"identity": "a", "at": "2026-02-30T00:00:00Z"}',), 400),
        Req("missing identity", verify, (b"{}",), 400),
        Req("text/plain", verify, _body(good), 415, (("content-type", "text/plain"),)),
        Req("no content type", verify, _body(good), 415, ()),
        Req("two content types, the first wrong", verify, _body(good), 415,
            (("content-type", "text/plain"), ("content-type", JSON))),
        Req("too large by content-length", verify, (big + b" " * 400_000,), 413),
        Req("too large while reading", verify, (big, big), 413, content_length=False),
        Req("content-length not a number", verify, (b"{}",), 413, (("content-type", JSON), ("content-length", "x1"))),
        Req("client gone", verify, (), 500),
        Req("atis valid", stir, _body(atis_good), 200),
        Req("atis to a string, unknown members, integral float time", stir,
            _body({"verificationRequest": {**vr, "to": {"tn": "+1-613-555-0142"}, "x-vendor": {"a": 1},
                                           "time": float(vr["time"])}, "other": True}), 200),
        Req("atis invalid signature", stir,
            _body({"verificationRequest": {**vr, "identity": [bad.identity]}}), 200),
        Req("atis missing from", stir, _body({"verificationRequest": {"to": {"tn": "1"}, "identity": "x"}}), 400),
        Req("atis bad tn", stir, _body({"verificationRequest": {"from": {"tn": "abc"}, "to": {"tn": "1"},
                                                                "identity": "x"}}), 400),
        Req("atis fractional time", stir, _body({"verificationRequest": {**vr, "time": 1.5}}), 400),
        Req("atis time null", stir, _body({"verificationRequest": {**vr, "time": None}}), 200),
        Req("atis empty to list", stir, _body({"verificationRequest": {**vr, "to": {"tn": []}}}), 400),
        Req("atis not an object", stir, (b'"x"',), 400),
        Req("atis malformed", stir, (b'{"verificationRequest": ',), 400),
        Req("atis duplicate key", stir, (b'{"verificationRequest": {}, "verificationRequest": {}}',), 400),
        Req("atis wrong type", stir, _body(atis_good), 415, (("content-type", "application/xml"),)),
        Req("atis too large", stir, (b" " * (atis.MAX_REQUEST_BYTES + 1),), 413),
        Req("atis client gone", stir, (), 500),
    ]


@pytest.fixture(scope="module")
def worker(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    tmp = tmp_path_factory.mktemp("parity")
    cfg = ServiceConfig(trust=str(served_world.files.trust), evidence=str(served_world.files.evidence_map),
                        offline=True, store=f"sqlite:///{tmp / 'records.db'}", keystore=str(tmp / "keystore"))
    w = Worker(cfg, environ={"HOME": str(tmp)}, wall=clock.FixedClock(NOW))
    w.open()
    try:
        yield w
    finally:
        w.close()


@dataclass
class Outcome:
    status: int | None
    headers: list[tuple[bytes, bytes]]
    body: bytes
    raised: str | None
    log: list[dict[str, Any]]
    moved: dict[tuple[str, tuple[tuple[str, str], ...]], float]


_COUNTED = (metrics.REQUESTS, metrics.REQUEST_SECONDS, metrics.REJECTED, metrics.VERIFICATIONS, metrics.CLAIM_CODES,
            metrics.VERSTATS, metrics.CACHE, metrics.QUEUE_DEPTH, metrics.LOOP_FALLBACKS)


def _counts() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for m in _COUNTED:
        for fam in m.collect():
            for s in fam.samples:
                if s.name.endswith(("_total", "_count")) or fam.type == "gauge":
                    out[(s.name, tuple(sorted(s.labels.items())))] = float(s.value)
    return out


def _scope(req: Req) -> dict[str, Any]:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in req.headers]
    if req.content_length and not any(k == "content-length" for k, _ in req.headers):
        headers.append((b"content-length", str(sum(len(c) for c in req.chunks)).encode()))
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": req.path, "raw_path": req.path.encode(), "root_path": "",
            "query_string": b"", "headers": headers, "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8080),
            "state": {}}


async def _run(app: Any, req: Req, err: io.StringIO) -> Outcome:
    chunks = list(req.chunks)
    sent: list[Message] = []

    async def receive() -> Message:
        if not chunks:
            return {"type": "http.disconnect"}
        c = chunks.pop(0)
        return {"type": "http.request", "body": c, "more_body": bool(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    before = _counts()
    raised = None
    err.seek(0)
    err.truncate()
    try:
        await app(_scope(req), receive, send)
    except Exception as ex:  # noqa: BLE001 - what the server would see, compared below
        raised = type(ex).__name__
    await asyncio.sleep(0)  # the access log writes its lines at the end of the loop's turn
    after = _counts()
    moved = {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}
    start = [m for m in sent if m["type"] == "http.response.start"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    log = [{k: v for k, v in json.loads(x).items() if k not in ("ts", "ms")}
           for x in err.getvalue().splitlines() if x.startswith("{")]
    return Outcome(start[0]["status"] if start else None, list(start[0]["headers"]) if start else [], body, raised,
                   log, moved)


def _both_apps(worker: Worker, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, io.StringIO]:
    """The service app with its fast path and without (all through Starlette), over one worker,
    the clock stopped and stderr (the access log) captured."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    fast = create_app(worker.cfg, worker)
    slow = create_app(replace(worker.cfg, fast_path=False), worker)
    return fast, slow, err


def test_the_fast_path_and_starlette_answer_alike(worker: Worker, served_world: ServedWorld,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow, err = _both_apps(worker, monkeypatch)
    assert isinstance(fast, FastPath) and not isinstance(slow, FastPath)
    table = _table(served_world)

    async def compare() -> list[str]:
        for req in table:  # every call verified once first: both paths then answer from warm caches
            if req.status == 200:
                assert (await _run(slow, req, err)).status == 200, req.name
        checked = []
        for req in table:
            assert fast.takes(_scope(req)), req.name  # each of these is the fast path's to answer
            a = await _run(fast, req, err)
            b = await _run(slow, req, err)
            assert a.status == req.status, (req.name, a.status, a.body[:300])
            assert (a.status, a.headers, a.body) == (b.status, b.headers, b.body), req.name
            assert a.raised == b.raised, req.name
            assert a.log == b.log and len(a.log) == 1, (req.name, a.log, b.log)
            assert a.moved == b.moved, req.name
            ctype = dict(a.headers).get(b"content-type")
            assert ctype == b"application/json", req.name
            if a.status == 200:
                doc = json.loads(a.body)
                assert "verdict" in doc or "verificationResponse" in doc
            checked.append(req.name)
        return checked

    assert len(asyncio.run(compare())) == len(table)


def test_refusals_under_load_and_while_draining_answer_alike(worker: Worker, served_world: ServedWorld,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow, err = _both_apps(worker, monkeypatch)
    v = served_world.call("valid")
    reqs = [Req("verify", "/vvp/v1/verify", _body({"identity": v.identity, "at": rfc3339(v.at)}), 503),
            Req("stir", "/stir/v1/verification",
                _body({"verificationRequest": {"from": {"tn": v.orig}, "to": {"tn": v.dest}, "identity": v.identity}}),
                503)]

    async def compare() -> None:
        for state in ("overloaded", "draining"):
            for req in reqs:
                if state == "overloaded":
                    worker.pending = worker.cfg.max_pending
                else:
                    worker.draining = True
                try:
                    a = await _run(fast, req, err)
                    b = await _run(slow, req, err)
                finally:
                    worker.pending, worker.draining = 0, False
                assert a.status == 503, (state, req.name, a.body)
                assert (a.status, a.headers, a.body) == (b.status, b.headers, b.body), (state, req.name)
                assert dict(a.headers)[b"retry-after"] == str(worker.cfg.retry_after_s).encode()
                assert a.log == b.log and a.moved == b.moved, (state, req.name)

    asyncio.run(compare())


def test_other_requests_are_left_to_starlette(worker: Worker) -> None:
    fast = create_app(worker.cfg, worker)
    assert isinstance(fast, FastPath)
    base = _scope(Req("x", "/vvp/v1/verify", (b"{}",), 400))
    for change in ({"method": "GET"}, {"method": "PUT"}, {"path": "/vvp/v1/verify/"}, {"path": "/vvp/v1/verify-callee"},
                   {"path": "/vvp/v1/records/x"}, {"root_path": "/api"}, {"type": "websocket"}):
        assert not fast.takes({**base, **change}), change
    assert not fast.takes({"type": "lifespan"})


@pytest.mark.parametrize("status,headers", [(200, None), (400, {}), (413, {}), (415, {}), (500, None),
                                            (503, {"Retry-After": "1"}), (503, {"Retry-After": "7", "X-A": "b"}),
                                            (204, None), (304, {}), (101, None),
                                            (200, {"Content-Type": "text/plain"}), (200, {"content-length": "3"})])
def test_response_headers_are_built_as_starlette_builds_them(status: int, headers: dict[str, str] | None) -> None:
    body = b'{"a":1}'
    assert raw_headers(status, len(body), headers) == Response(body, status, headers=headers,
                                                               media_type=JSON).raw_headers


def test_the_parity_test_would_see_a_difference(worker: Worker, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    """A control: a fast path whose refusal body differs by one byte is caught by the comparison."""
    from vvp.service.app import refusal

    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    req = Req("not json", "/vvp/v1/verify", (b"{",), 400)
    fast = create_app(worker.cfg, worker)
    slow = create_app(replace(worker.cfg, fast_path=False), worker)
    monkeypatch.setattr("vvp.service.fastpath.refusal", lambda scope, ex: refusal(scope, ex) + b" ")

    async def both() -> tuple[Outcome, Outcome]:
        return await _run(fast, req, err), await _run(slow, req, err)

    a, b = asyncio.run(both())
    assert a.status == b.status == 400
    assert a.body != b.body and a.headers != b.headers  # one more byte: the body and its length differ
