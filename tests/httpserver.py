"""A tiny programmable HTTP server on 127.0.0.1 for fetcher tests (bounded, stops by itself)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[str]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            route = routes.get(self.path.split("?")[0])
            if route is None:
                self.send_error(404)
                return
            try:
                route(self)
            except (BrokenPipeError, ConnectionResetError):
                pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def body(ctype: str, data: bytes, *, length: bool = True) -> Route:
    def r(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        if length:
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    return r


def redirect(location: str, status: int = 302) -> Route:
    def r(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return r


def slow(ctype: str, chunks: int, delay: float) -> Route:
    """Sends one byte every ``delay`` seconds, ``chunks`` times (a slow-drip body)."""
    def r(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(chunks))
        h.end_headers()
        for _ in range(chunks):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(delay)
    return r
