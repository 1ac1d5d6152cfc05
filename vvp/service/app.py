"""The ASGI application of ``vvp serve`` (architecture §4.5), on Starlette.

Endpoints: ``POST /stir/v1/verification`` (ATIS-1000082, verdict under ``vvp``),
``POST /vvp/v1/verify``, ``POST /vvp/v1/verify-callee``, ``GET /vvp/v1/records/{id}`` (the record
file with its media type), ``GET /healthz``, ``GET /readyz``, ``GET /metrics``, ``GET /openapi.json``.

Every body goes through the same gate before anything is verified: ``Content-Type`` must be
``application/json`` (415), the body at most ``max_body_bytes`` (413, refused from
``Content-Length`` before reading, or while reading), strict JSON (400: duplicate keys, NaN,
bad UTF-8, too deep), then the endpoint's model in strict mode (400: unknown members on our own
endpoints, wrong types, patterns). Every error is JSON with a stable code; an unexpected fault
is a 500 with ``INTERNAL_ERROR``, logged, and the worker goes on. A 200 is sent only when the
call's record is committed (:meth:`vvp.service.worker.Worker.answer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import os
import re
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Final

import orjson
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vvp import clock, codes, strictjson
from vvp.errors import UsageError, VvpError
from vvp.record import media_type_of
from vvp.service import metrics
from vvp.service.accesslog import AccessLog, ASGIApp
from vvp.service.config import ServiceConfig
from vvp.service.models import (
    AtisRequest,
    CalleeRequest,
    VerifyRequest,
    openapi_document,
)
from vvp.service.worker import Answer, ServiceRefusal, Worker
from vvp.stir import atis
from vvp.stir.verstat import SIP_REASONS, Verstat
from vvp.store.base import check_id
from vvp.callee.inputs import CalleeInput
from vvp.verifier import CallInput

JSON: Final = "application/json"
_UNIX_TEXT: Final = re.compile(r"\A\s*-?[0-9.]+\s*\Z")
LOG_KEY: Final = "vvp.log"
"""Where a handler leaves what the access log should add (code, record id) in the ASGI scope."""


class HttpError(Exception):
    """An answer other than 200, with a stable code; ``atis`` selects the ATIS error shape."""

    def __init__(self, status: int, code: str, message: str, *, atis_id: str | None = None,
                 variable: str = "verificationRequest", headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.atis_id = atis_id
        self.variable = variable
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        if self.atis_id is not None:
            text = {atis.MISSING: "Missing mandatory parameter: %1", atis.INVALID: "Invalid parameter value: %1"}
            return {"requestError": {"serviceException": {"messageId": self.atis_id, "text": text[self.atis_id],
                                                          "variables": [self.variable], "detail": self.message,
                                                          "code": self.code}}}
        return {"error": {"code": self.code, "message": self.message}}


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=dict(headers or {}))


def verdict_body(a: Answer) -> bytes:
    """``{"verdict", "record_id", "replay", "deadline"}`` with the verdict as the canonical bytes
    already made for its record (not serialised a second time)."""
    rest = orjson.dumps({"record_id": a.record_id, "replay": a.replay.to_json() if a.replay else None,
                         "deadline": a.deadline})
    return b'{"verdict":' + a.verdict_bytes() + b"," + rest[1:]


def verdict_response(a: Answer) -> Response:
    return Response(verdict_body(a), media_type=JSON)


def note(scope: MutableMapping[str, Any], **fields: Any) -> None:
    """What the access log should add to this request's line (code, record id, verdict)."""
    scope.setdefault(LOG_KEY, {}).update(fields)


def _note(request: Request, **fields: Any) -> None:
    note(request.scope, **fields)


def check_head(ctype: str, declared: str | None, limit: int, *, atis_shape: bool = False) -> None:
    """The gate's first rules, from the headers alone: ``Content-Type`` (415) and a declared
    ``Content-Length`` over ``limit`` (413), before any of the body is read."""
    aid = atis.INVALID if atis_shape else None
    if ctype.split(";", 1)[0].strip().lower() != JSON:
        raise HttpError(415, codes.SERVICE_CONTENT_TYPE, f"the body must be {JSON}, not {ctype or '(none)'!r}",
                        atis_id=aid)
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_large(limit, atis_shape=atis_shape)


def too_large(limit: int, *, atis_shape: bool = False) -> HttpError:
    return HttpError(413, codes.SERVICE_BODY_TOO_LARGE, f"the body is over the {limit}-byte limit",
                     atis_id=atis.INVALID if atis_shape else None)


def parse_body(raw: bytes, *, atis_shape: bool = False) -> Any:
    """The body as strict JSON, or a 400 (duplicate keys, NaN, bad UTF-8, too deep)."""
    aid = atis.INVALID if atis_shape else None
    try:
        return strictjson.loads(raw)
    except RecursionError:
        raise HttpError(400, codes.SERVICE_BODY_NOT_JSON, "the body nests too deeply", atis_id=aid) from None
    except ValueError as ex:
        raise HttpError(400, codes.SERVICE_BODY_NOT_JSON, f"the body is not strict JSON: {ex}"[:500],
                        atis_id=aid) from None


async def read_json(request: Request, limit: int, *, atis_shape: bool = False) -> Any:
    """The body as strict JSON within ``limit`` bytes, or an :class:`HttpError` (415/413/400)."""
    check_head(request.headers.get("content-type", ""), request.headers.get("content-length"), limit,
               atis_shape=atis_shape)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit, atis_shape=atis_shape)
        chunks.append(chunk)
    return parse_body(b"".join(chunks), atis_shape=atis_shape)


def _validation_error(ex: ValidationError, *, atis_shape: bool) -> HttpError:
    errs = ex.errors(include_url=False, include_input=False)
    first = errs[0] if errs else {"loc": (), "msg": "invalid", "type": "value_error"}
    loc = ".".join(str(p) for p in first.get("loc", ()) if not str(p).startswith(("constrained-", "list[", "str")))
    loc = loc.replace("from_", "from")
    missing = first.get("type") == "missing"
    more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
    msg = f"{loc or 'body'}: {first.get('msg', 'invalid')}{more}"
    if atis_shape:
        return HttpError(400, codes.ATIS_REQUEST_INVALID, msg, atis_id=atis.MISSING if missing else atis.INVALID,
                         variable=loc or "verificationRequest")
    return HttpError(400, codes.SERVICE_REQUEST_INVALID, msg)


def _validate[M: BaseModel](model: type[M], doc: Any, *, atis_shape: bool = False) -> M:
    try:
        return model.model_validate(doc)
    except ValidationError as ex:
        raise _validation_error(ex, atis_shape=atis_shape) from None


def _reference(at: str | int | None, default: _dt.datetime) -> _dt.datetime:
    if at is None:
        return default
    if isinstance(at, int):
        return clock.from_unix(at)
    if _UNIX_TEXT.match(at):
        raise HttpError(400, codes.SERVICE_REQUEST_INVALID, "at: a string is RFC 3339; Unix seconds are a number")
    try:
        return clock.parse_time(at)
    except UsageError as ex:
        raise HttpError(400, codes.SERVICE_REQUEST_INVALID, f"at: {ex.message}") from None


class Service:
    """The handlers, bound to one :class:`Worker` (one per process)."""

    def __init__(self, cfg: ServiceConfig, worker: Worker) -> None:
        self.cfg = cfg
        self.worker = worker
        self._openapi = orjson.dumps(openapi_document())

    async def _answer(self, scope: MutableMapping[str, Any], call: CallInput | CalleeInput, endpoint: str,
                      received_at: _dt.datetime, started: float) -> Answer:
        try:
            answer = await self.worker.answer(call, endpoint=endpoint, received_at=received_at, started=started)
        except ServiceRefusal as ex:
            raise HttpError(503, ex.code, ex.message, headers={"Retry-After": str(self.cfg.retry_after_s)}) from None
        except VvpError as ex:  # the record could not be stored: never acknowledge the call
            raise HttpError(503, ex.code, f"the call's record could not be stored: {ex.message}",
                            headers={"Retry-After": str(self.cfg.retry_after_s)}) from None
        note(scope, record_id=answer.record_id, verdict=answer.verdict.status.value)
        return answer

    # The endpoints' work once the body is read, shared by the Starlette routes below and the
    # raw ASGI fast path (vvp.service.fastpath): the same rules, the same answers.

    @property
    def stir_limit(self) -> int:
        return min(self.cfg.max_body_bytes, atis.MAX_REQUEST_BYTES)

    async def verify_doc(self, doc: Any, scope: MutableMapping[str, Any], started: float,
                         received_at: _dt.datetime) -> bytes:
        """``POST /vvp/v1/verify`` from its strict-JSON body: the 200 body, or an HttpError."""
        req = _validate(VerifyRequest, doc)
        idents = (req.identity,) if isinstance(req.identity, str) else tuple(req.identity)
        call = CallInput(reference_time=_reference(req.at, received_at), identities=idents, orig=req.orig,
                         dest=req.dest, call_id=req.call_id, require_context=req.require_context)
        a = await self._answer(scope, call, "verify", received_at, started)
        return verdict_body(a)

    async def stir_doc(self, doc: Any, scope: MutableMapping[str, Any], started: float,
                       received_at: _dt.datetime) -> bytes:
        """``POST /stir/v1/verification`` from its strict-JSON body: the 200 body, or an HttpError."""
        model = _validate(AtisRequest, doc, atis_shape=True)
        inner_req = {k: v for k, v in doc["verificationRequest"].items() if k != "time"}
        if model.verificationRequest.time is not None:  # null is absent (now); 5.0 is 5
            inner_req["time"] = model.verificationRequest.time
        doc = {**doc, "verificationRequest": inner_req}
        try:
            vr = atis.parse_verification_request(doc)
        except atis.AtisRequestError as ex:
            raise HttpError(400, ex.code, ex.detail, atis_id=ex.message_id, variable=ex.variable) from None
        call = CallInput(reference_time=vr.reference_time or received_at, identities=vr.identities, orig=vr.orig,
                         dest=vr.dest[0])
        a = await self._answer(scope, call, "stir", received_at, started)
        body = atis.verification_response(atis.CallAnswer(a.verdict_json, a.record_id))
        inner = body["verificationResponse"]
        if a.replay is not None:  # a replayed PASSporT is refused whatever its evidence says
            inner.update(verstat=Verstat.FAILED.value, reasonCode=403, reasonString=SIP_REASONS[403],
                         verstat_source="service")
        inner["replay"] = a.replay.to_json() if a.replay else None
        inner["deadline"] = a.deadline
        metrics.count(metrics.child(metrics.VERSTATS, str(inner["verstat"])))
        return orjson.dumps(body)

    async def verify(self, request: Request) -> Response:
        started, received_at = time.monotonic(), clock.now()
        doc = await read_json(request, self.cfg.max_body_bytes)
        return Response(await self.verify_doc(doc, request.scope, started, received_at), media_type=JSON)

    async def stir(self, request: Request) -> Response:
        started, received_at = time.monotonic(), clock.now()
        doc = await read_json(request, self.stir_limit, atis_shape=True)
        return Response(await self.stir_doc(doc, request.scope, started, received_at), media_type=JSON)

    async def verify_callee(self, request: Request) -> Response:
        started, received_at = time.monotonic(), clock.now()
        req = _validate(CalleeRequest, await read_json(request, self.cfg.max_body_bytes))
        call = CalleeInput(reference_time=_reference(req.at, received_at), callee=req.callee, call_id=req.call_id,
                           cseq=str(req.cseq), dest=req.dest, caller_goal=req.caller_goal)
        a = await self._answer(request.scope, call, "verify-callee", received_at, started)
        return verdict_response(a)

    async def record(self, request: Request) -> Response:
        rid = request.path_params["id"]
        store = self.worker.store
        if store is None:
            raise HttpError(503, codes.SERVICE_NOT_READY, "the record store is not open")
        try:
            check_id(rid)
            raw = await asyncio.get_running_loop().run_in_executor(None, store.get_bytes, rid)
        except VvpError as ex:
            if ex.code in (codes.STORE_NOT_FOUND, codes.STORE_BAD_ARGUMENT):
                raise HttpError(404, codes.STORE_NOT_FOUND, f"no record {str(rid)[:100]!r} in the store") from None
            raise HttpError(503, ex.code, ex.message, headers={"Retry-After": str(self.cfg.retry_after_s)}) from None
        return Response(raw, media_type=media_type_of(raw))  # a v1 record imported stays v1

    async def healthz(self, request: Request) -> Response:
        return json_response({"status": "ok", "pid": os.getpid()})

    async def readyz(self, request: Request) -> Response:
        r = self.worker.readiness()
        return json_response(r, 200 if r["ready"] else 503)

    async def metrics(self, request: Request) -> Response:
        metrics.flush()  # this worker's samples of the last FLUSH_S, before the files are read
        data = await asyncio.get_running_loop().run_in_executor(None, metrics.exposition)
        return Response(data, media_type=metrics.CONTENT_TYPE)

    async def openapi(self, request: Request) -> Response:
        return Response(self._openapi, media_type=JSON)


Handler = Callable[[Request], Awaitable[Response]]


def refusal(scope: MutableMapping[str, Any], ex: HttpError) -> bytes:
    """The body of an :class:`HttpError`'s answer; its code noted for the access log and, for a
    bad request (400, 413, 415), counted."""
    note(scope, code=ex.code)
    if ex.status in (400, 413, 415):
        metrics.count(metrics.child(metrics.REJECTED, "bad_request"))
    return orjson.dumps(ex.body())


def _guard(fn: Handler) -> Handler:
    """Turn an :class:`HttpError` into its JSON answer (and note its code for the access log)."""

    async def run(request: Request) -> Response:
        try:
            return await fn(request)
        except HttpError as ex:
            return Response(refusal(request.scope, ex), ex.status, media_type=JSON, headers=ex.headers)

    return run


async def _http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: codes.SERVICE_NOT_FOUND, 405: codes.SERVICE_METHOD_NOT_ALLOWED}.get(status, codes.INTERNAL_ERROR)
    msg = {404: f"no endpoint {request.url.path}", 405: f"{request.method} is not allowed on {request.url.path}"}
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    _note(request, code=code)
    return json_response({"error": {"code": code, "message": msg.get(status, "an internal fault")}}, status, headers)


def internal_fault(scope: MutableMapping[str, Any], exc: BaseException) -> bytes:
    """The body of the 500 answer to an unexpected exception (a bug), its traceback on stderr."""
    traceback.print_exception(exc, file=sys.stderr)
    note(scope, code=codes.INTERNAL_ERROR)
    return orjson.dumps({"error": {"code": codes.INTERNAL_ERROR, "message": f"an internal fault: {type(exc).__name__}"}})


async def _internal(request: Request, exc: Exception) -> Response:
    return Response(internal_fault(request.scope, exc), 500, media_type=JSON)


def create_app(cfg: ServiceConfig, worker: Worker | None = None) -> ASGIApp:
    """The application of one worker: routes, error handlers, the worker's life cycle, the access
    log, and in front of them the fast path of the two verification routes
    (:mod:`vvp.service.fastpath`; ``cfg.fast_path`` False leaves every request to Starlette)."""
    w = worker or Worker(cfg)
    svc = Service(cfg, w)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, w.open)
        metrics.defer_on_loop(loop)
        sip = None
        if cfg.sip is not None:
            from vvp.service.sipfront import start_sip
            sip = await start_sip(cfg, w)
        housekeeping = asyncio.create_task(w.housekeeping())
        try:
            yield
        finally:
            housekeeping.cancel()
            w.draining = True
            if sip is not None:
                await sip.drain(cfg.drain_s)
                sip.close()
            metrics.defer_on_loop(None)  # what is pending written; from here on samples go out at once
            await loop.run_in_executor(None, w.close)

    routes = [
        Route("/stir/v1/verification", _guard(svc.stir), methods=["POST"]),
        Route("/vvp/v1/verify", _guard(svc.verify), methods=["POST"]),
        Route("/vvp/v1/verify-callee", _guard(svc.verify_callee), methods=["POST"]),
        Route("/vvp/v1/records/{id}", _guard(svc.record), methods=["GET"]),
        Route("/healthz", svc.healthz, methods=["GET"]),
        Route("/readyz", svc.readyz, methods=["GET"]),
        Route("/metrics", svc.metrics, methods=["GET"]),
        Route("/openapi.json", svc.openapi, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: _http_exception, Exception: _internal})
    log = AccessLog(app, enabled=cfg.access_log, routes={r.path for r in routes})
    if not cfg.fast_path:
        return log
    from vvp.service.fastpath import FastPath
    return FastPath(svc, log, log)


def app_from_env() -> ASGIApp:
    """The uvicorn factory each worker process calls (its config comes in ``VVP_SERVICE_CONFIG``)."""
    return create_app(ServiceConfig.from_env())

