"""The two verification endpoints as a raw ASGI handler in front of Starlette.

Why: ``POST /vvp/v1/verify`` and ``POST /stir/v1/verification`` are what an SBC calls while the
phone rings, thousands of times a second; everything else (records, health, metrics, OpenAPI,
verify-callee) is occasional. On those two, Starlette's layers (its error and exception
middleware, the router, a ``Request`` and a ``Response`` object, the body as an async generator)
and the access log's wrapper around ``send`` cost about as much event-loop time per request as
the JSON gate and the answer together (py-spy under load). :class:`FastPath` takes exactly those
two routes (method ``POST``, the path as routed, no ``root_path``) and answers them itself;
every other request, the lifespan included, goes to the Starlette application unchanged.

What it must keep, and how it keeps it: the endpoint's work once the body is read is the same
code as on the Starlette routes (:meth:`Service.verify_doc`, :meth:`Service.stir_doc`: models in
strict mode, deadlines, admission and 503 with ``Retry-After``, replay, group commit, metrics);
the gate is the same functions (:func:`check_head`, :func:`too_large`, :func:`parse_body`) over
the ASGI messages instead of Starlette's stream; refusals and faults are the same bodies
(:func:`refusal`, :func:`internal_fault`); the response headers are built as Starlette's
``Response`` builds them (:func:`raw_headers`); the access log and the per-endpoint metrics are
the same call (:meth:`AccessLog.done`). ``tests/test_service_fastpath_parity.py`` sends a table
of good and bad requests through both and compares status, headers and body byte for byte.

uvicorn stays the server (``docs/service.md``): workers, signals and the drain are its.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Final

from starlette.requests import ClientDisconnect

from vvp import clock
from vvp.service.accesslog import AccessLog, ASGIApp, Receive, Scope, Send
from vvp.service.app import (JSON, HttpError, Service, check_head, internal_fault, parse_body, refusal,
                             too_large)

_JSON_TYPE: Final = JSON.encode("latin-1")

Core = Callable[[Any, MutableMapping[str, Any], float, Any], Awaitable[bytes]]


def raw_headers(status: int, body_length: int, headers: Mapping[str, str] | None = None) -> list[tuple[bytes, bytes]]:
    """The header list Starlette's ``Response(body, status, headers, media_type=JSON)`` sends: the
    given headers lower-cased in their order, then ``content-length`` and ``content-type`` unless
    given (no length on 1xx, 204 and 304; JSON is not ``text/``, so no charset is added)."""
    out = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    keys = [k for k, _ in out]
    if b"content-length" not in keys and not (status < 200 or status in (204, 304)):
        out.append((b"content-length", str(body_length).encode("latin-1")))
    if b"content-type" not in keys:
        out.append((b"content-type", _JSON_TYPE))
    return out


def _header(scope: Scope, name: bytes) -> str | None:
    """The first header called ``name`` (as Starlette's ``Headers.get`` finds it), latin-1."""
    for k, v in scope["headers"]:
        if k == name:
            return bytes(v).decode("latin-1")
    return None


async def read_json(scope: Scope, receive: Receive, limit: int, *, atis_shape: bool) -> Any:
    """The gate of :func:`vvp.service.app.read_json` on raw ASGI messages: 415 and 413 from the
    headers, 413 as soon as the chunks read pass ``limit``, then strict JSON (400)."""
    check_head(_header(scope, b"content-type") or "", _header(scope, b"content-length"), limit,
               atis_shape=atis_shape)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            body = message.get("body", b"")
            if body:
                size += len(body)
                if size > limit:
                    raise too_large(limit, atis_shape=atis_shape)
                chunks.append(body)
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            raise ClientDisconnect()
    return parse_body(chunks[0] if len(chunks) == 1 else b"".join(chunks), atis_shape=atis_shape)


class FastPath:
    """The outermost ASGI application of a worker (module docstring): the two verification routes
    answered here, everything else handed to ``fallback`` (Starlette inside the access log)."""

    def __init__(self, svc: Service, log: AccessLog, fallback: ASGIApp) -> None:
        self.svc = svc
        self.log = log
        self.fallback = fallback
        self.routes: dict[str, tuple[Core, int, bool]] = {
            "/vvp/v1/verify": (svc.verify_doc, svc.cfg.max_body_bytes, False),
            "/stir/v1/verification": (svc.stir_doc, svc.stir_limit, True),
        }

    def takes(self, scope: Scope) -> bool:
        """Whether this request is one the fast path answers (the rest goes to Starlette)."""
        return (scope["type"] == "http" and scope.get("method") == "POST" and not scope.get("root_path")
                and scope.get("path") in self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.takes(scope):
            await self.fallback(scope, receive, send)
            return
        t0 = time.perf_counter()
        core, limit, atis_shape = self.routes[scope["path"]]
        status, nbytes, started = 500, 0, False
        try:
            try:
                began, received_at = time.monotonic(), clock.now()
                doc = await read_json(scope, receive, limit, atis_shape=atis_shape)
                body = await core(doc, scope, began, received_at)
                status, headers = 200, raw_headers(200, len(body))
            except HttpError as ex:
                body = refusal(scope, ex)
                status, headers = ex.status, raw_headers(ex.status, len(body), ex.headers)
            started = True
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            nbytes = len(body)
        except Exception as exc:
            # as Starlette's ServerErrorMiddleware: a 500 JSON answer if none was started, then
            # the exception goes on to the server (which logs it)
            if not started:
                body = internal_fault(scope, exc)
                status = 500
                await send({"type": "http.response.start", "status": 500, "headers": raw_headers(500, len(body))})
                await send({"type": "http.response.body", "body": body})
                nbytes = len(body)
            raise
        finally:
            self.log.done(scope, status, nbytes, time.perf_counter() - t0)
