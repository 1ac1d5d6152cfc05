"""The service's parts in process: the API schemas are current and are the OpenAPI's, group commit
batches and isolates a bad record, the config crosses into workers intact, SIP helpers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import jsonschema
import pytest

from vvp import codes
from vvp.errors import VvpError
from vvp.record import Record
from vvp.service.commit import GroupCommitWriter
from vvp.service.config import ServiceConfig, ServiceConfigError, parse_sip_address
from vvp.service.models import SCHEMA_FILES, api_schemas, openapi_document
from vvp.service.sipfront import _lenient_headers, _transaction_key, _with_param, _without_tag, response
from vvp.service.worker import replay_keys
from vvp.store.base import StoreError
from vvp.verifier import CallInput

REPO = Path(__file__).resolve().parents[1]


def test_the_api_schema_files_are_generated_from_the_models() -> None:
    for stem, schema in api_schemas().items():
        path = REPO / "schemas" / "formats" / f"{stem}.v1.schema.json"
        assert path.exists(), f"{path} missing: python -m vvp.service.models schemas/formats"
        assert json.loads(path.read_text()) == schema, f"{path.name} is stale: python -m vvp.service.models schemas/formats"
        jsonschema.Draft202012Validator.check_schema(schema)
    assert set(api_schemas()) == set(SCHEMA_FILES)


def test_openapi_components_are_the_models_schemas() -> None:
    doc = openapi_document()
    assert doc["openapi"].startswith("3.1")
    comps = doc["components"]["schemas"]
    for model in SCHEMA_FILES.values():
        assert model.__name__ in comps
    # every $ref resolves inside the document
    refs = set()

    def walk(x: object) -> None:
        if isinstance(x, dict):
            if "$ref" in x:
                refs.add(x["$ref"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc)
    assert refs and all(r.startswith("#/components/schemas/") and r.rsplit("/", 1)[1] in comps for r in refs)
    assert set(doc["paths"]) == {"/stir/v1/verification", "/vvp/v1/verify", "/vvp/v1/verify-callee",
                                 "/vvp/v1/records/{id}", "/healthz", "/readyz", "/metrics", "/openapi.json"}


class FakeStore:
    """put_many that records batches; refuses any batch holding a record in ``bad``."""

    def __init__(self, bad: set[str] | None = None, delay: float = 0.0) -> None:
        self.batches: list[list[str]] = []
        self.bad = bad or set()
        self.delay = delay
        self.lock = threading.Lock()

    def put_many(self, records: Sequence[Record]) -> list[str]:
        time.sleep(self.delay)
        ids = [r.id for r in records]
        if self.bad & set(ids):
            raise StoreError("refused", code=codes.STORE_CONFLICT)
        with self.lock:
            self.batches.append(ids)
        return ids


class R:
    def __init__(self, rid: str) -> None:
        self.id = rid


def test_group_commit_batches_under_load_and_isolates_a_bad_record() -> None:
    store = FakeStore(bad={"bad"}, delay=0.05)
    w = GroupCommitWriter(store, batch_max=100)  # type: ignore[arg-type]
    first = w.submit(R("r0"))  # type: ignore[arg-type]
    time.sleep(0.01)  # r0's commit is in progress: the next ones queue up behind it
    futs = [w.submit(R(f"r{i}")) for i in range(1, 20)]  # type: ignore[arg-type]
    assert first.result(5) == "r0"
    assert [f.result(5) for f in futs] == [f"r{i}" for i in range(1, 20)]
    assert max(len(b) for b in store.batches) > 1  # group commit: many records, one put_many
    blocker = w.submit(R("s0"))  # type: ignore[arg-type]
    time.sleep(0.01)
    mixed = [w.submit(R("s1")), w.submit(R("bad")), w.submit(R("s2"))]  # type: ignore[arg-type]
    assert blocker.result(5) == "s0"
    assert mixed[0].result(5) == "s1" and mixed[2].result(5) == "s2"  # not failed by their neighbour
    with pytest.raises(VvpError) as ei:
        mixed[1].result(5)
    assert ei.value.code == codes.STORE_CONFLICT
    w.close()
    late = w.submit(R("late"))  # type: ignore[arg-type]
    with pytest.raises(VvpError):
        late.result(1)


def test_config_crosses_to_workers_and_is_checked() -> None:
    cfg = ServiceConfig(port=9000, workers=2, trust="/t.json", sip="udp:127.0.0.1:5070", sip_at="2026-03-01T12:00:00Z")
    assert ServiceConfig.from_env({"VVP_SERVICE_CONFIG": cfg.to_env()}) == cfg
    for bad in (ServiceConfig(workers=0), ServiceConfig(port=70000), ServiceConfig(sip="tcp:1.2.3.4:5"),
                ServiceConfig(sip="udp:host:x"), ServiceConfig(sip_at="yesterday"), ServiceConfig(max_pending=0)):
        with pytest.raises(ServiceConfigError):
            bad.check()
    with pytest.raises(ServiceConfigError):
        ServiceConfig.from_env({})
    assert parse_sip_address("udp:[::1]:5060") == ("::1", 5060)


def test_replay_keys_are_the_judged_passports() -> None:
    at = __import__("vvp.clock", fromlist=["x"]).parse_time("2026-03-01T12:00:00Z")
    a = replay_keys(CallInput(reference_time=at, identities=("aaa.bbb.ccc;info=<https://x/y>;alg=EdDSA;ppt=vvp",)))
    b = replay_keys(CallInput(reference_time=at, identities=("aaa.bbb.ccc;info=<https://x/z>;alg=EdDSA;ppt=vvp",)))
    assert a == b and len(a) == 1 and a[0].startswith("vvp:")  # the same PASSporT whatever its parameters
    assert replay_keys(CallInput(reference_time=at)) == ()


def test_sip_helpers() -> None:
    assert _with_param("<sip:+1555@x;user=phone>", "verstat=TN-Validation-Passed") == \
        "<sip:+1555@x;user=phone;verstat=TN-Validation-Passed>"
    assert _with_param("sip:+1555@x", "verstat=No-TN-Validation") == "<sip:+1555@x;verstat=No-TN-Validation>"
    assert _without_tag('"A" <sip:a@b>;tag=123;x=1') == '"A" <sip:a@b>;x=1'
    raw = (b"INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@b>;tag=1\r\n"
           b"t: <sip:x@y>\r\ni: c1\r\nCSeq: 2 INVITE\r\n\r\n")
    h = _lenient_headers(raw)
    assert _transaction_key(h) == ("z9hG4bK1", "c1", "2 INVITE")
    out = response(400, "Bad Request", h, [("X-VVP-Error", "SIP_MALFORMED")], to_tag="t1").decode()
    assert out.startswith("SIP/2.0 400 Bad Request\r\n") and "To: <sip:x@y>;tag=t1\r\n" in out
    assert out.endswith("Content-Length: 0\r\n\r\n")


def test_the_cpu_token_is_given_back_only_by_its_holder() -> None:
    from vvp.service.deadline import CpuToken

    tok = CpuToken()
    entered = threading.Event()

    def other() -> None:
        with tok:
            entered.set()

    with tok:
        with tok.yielded():  # the holder waits on a fetch: another verification may compute
            t = threading.Thread(target=other)
            t.start()
            assert entered.wait(5)
            t.join(5)
        # a thread that does not hold the token passes through without releasing it
        seen: list[bool] = []

        def stranger() -> None:
            with tok.yielded():
                pass
            seen.append(tok._sem.acquire(blocking=False))

        s = threading.Thread(target=stranger)
        s.start()
        s.join(5)
        assert seen == [False]  # still held by this thread: nothing was released twice


@pytest.mark.parametrize(("workers", "preset", "expected"), [(1, None, None), (2, None, "1"), (3, "0", "0")])
def test_serve_asks_libuv_to_spread_new_connections_over_several_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, preset: str | None, expected: str | None) -> None:
    """With more than one worker on the shared socket, ``vvp serve`` sets libuv's
    UV_TCP_SINGLE_ACCEPT (one accept per wake-up) unless the environment already says."""
    import os

    import uvicorn

    from vvp.service import runner

    # serve() writes os.environ (for the workers it would start): a copy, dropped after the test
    env = {k: v for k, v in os.environ.items()
           if k not in (runner.SINGLE_ACCEPT_ENV, "VVP_SERVICE_CONFIG", "PROMETHEUS_MULTIPROC_DIR")}
    if preset is not None:
        env[runner.SINGLE_ACCEPT_ENV] = preset
    monkeypatch.setattr(os, "environ", env)
    seen: dict[str, object] = {}

    def fake_run(*args: object, **kwargs: object) -> None:
        seen["env"] = os.environ.get(runner.SINGLE_ACCEPT_ENV)
        seen["workers"] = kwargs.get("workers")

    monkeypatch.setattr(uvicorn, "run", fake_run)
    cfg = ServiceConfig(workers=workers, store=f"sqlite:///{tmp_path / 'records.db'}",
                        keystore=str(tmp_path / "keystore"), metrics_dir=str(tmp_path / "metrics"))
    assert runner.serve(cfg) == 0
    assert seen == {"env": expected, "workers": workers}
