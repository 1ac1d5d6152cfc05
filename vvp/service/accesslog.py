"""JSON access log on stderr and the per-endpoint HTTP metrics, as one pure ASGI middleware.

One line per answered request, one JSON object per line (log shippers parse it without rules):
``ts`` (RFC 3339 UTC, when the answer started), ``pid``, ``method``, ``path``, ``status``,
``ms`` (arrival to the end of the answer), ``bytes`` (body sent), ``client``, and what the handler
added: ``code`` (the error code of a refusal), ``record_id`` and ``verdict`` (the verdict status).
The path is logged as sent, cut at 200 characters; bodies and Identity values never are.

A pure ASGI middleware (not Starlette's ``BaseHTTPMiddleware``) so that the log costs a few
microseconds and never buffers a response. The lines of the requests answered in one turn of the
event loop are written together at the end of that turn (one ``write`` system call, not one per
request; nothing waits for a timer).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TextIO

import orjson

from vvp import clock
from vvp.service import metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RECORD_PREFIX = "/vvp/v1/records/"


class AccessLog:
    """Wraps the application; logs and measures every HTTP request (module docstring)."""

    def __init__(self, app: ASGIApp, *, enabled: bool = True, routes: set[str] | None = None,
                 stream: TextIO | None = None) -> None:
        self.app = app
        self.enabled = enabled
        self.routes = routes or set()
        self.stream = stream
        self._lines: list[bytes] = []

    def endpoint(self, path: str) -> str:
        """The route a path belongs to (a bounded set of metric labels)."""
        if path in self.routes:
            return path
        if path.startswith(RECORD_PREFIX):
            return RECORD_PREFIX + "{id}"
        return "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "bytes": 0}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.done(scope, state["status"], state["bytes"], time.perf_counter() - t0)

    def done(self, scope: Scope, status: int, nbytes: int, seconds: float) -> None:
        """Count and log one answered request (also called by the fast path,
        :mod:`vvp.service.fastpath`, which answers without going through :meth:`__call__`)."""
        ep = self.endpoint(scope.get("path", ""))
        metrics.count(metrics.child(metrics.REQUESTS, ep, str(status)))
        metrics.observe(metrics.child(metrics.REQUEST_SECONDS, ep), seconds)
        if self.enabled:
            self._write(scope, status, nbytes, seconds)

    def _write(self, scope: Scope, status: int, nbytes: int, seconds: float) -> None:
        client = scope.get("client")
        line: dict[str, Any] = {"ts": clock.rfc3339(clock.now()), "pid": os.getpid(), "method": scope.get("method"),
                                "path": str(scope.get("path", ""))[:200], "status": status,
                                "ms": round(seconds * 1000, 3), "bytes": nbytes,
                                "client": f"{client[0]}:{client[1]}" if client else None}
        extra = scope.get("vvp.log")
        if extra:
            line.update(extra)
        self._lines.append(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
        if len(self._lines) == 1:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop running (a caller outside one): write now
                self.flush()

    def flush(self) -> None:
        """Write the lines gathered so far, in one piece."""
        lines, self._lines = self._lines, []
        if not lines:
            return
        out = self.stream or sys.stderr
        try:
            out.write(b"".join(lines).decode())
            out.flush()
        except (OSError, ValueError):
            pass  # a closed or full stderr must not fail the request

