"""A hostile HTTP server on 127.0.0.1 for the robustness tests (issue 21; evidence-formats.md §6).

Plain ``socket`` and ``threading`` (stdlib), one daemon thread per connection. Bounded: every
connection stops after ``max_s`` seconds, at the first failed send (the client gave up), or when
the server stops; the server stops itself when its ``with`` block ends (or after ``max_s`` with
no client). Each mode is one way a server can try to hold or poison a fetch:

==================  ================================================================  ========================
mode                what the server does                                              code the fetch must end with
==================  ================================================================  ========================
drip-status         the status line, one byte every ``interval``                      FETCH_TIMEOUT
drip-headers        a status line, then header bytes one at a time, never ending     FETCH_TIMEOUT
drip-body           full headers, then the body one byte every ``interval``          FETCH_TIMEOUT
continue-forever    ``100 Continue`` every ``interval``, for ever                    FETCH_TIMEOUT
continue-flood      ``100 Continue`` as fast as it can                               FETCH_PROTOCOL_ERROR
endless-body        a body with no length, as fast as it can, for ever               FETCH_TOO_LARGE
endless-chunked     chunk after chunk, never the last one                            FETCH_TOO_LARGE
huge-headers        header lines as fast as it can, never the blank line             FETCH_HEAD_TOO_LARGE
short-body          Content-Length larger than the body, then close                  FETCH_BODY_INCOMPLETE
gzip-bomb           ``Content-Encoding: gzip`` (not asked for), 10 MB of zeros        FETCH_ENCODING_REFUSED
redirect-loop       ``/a`` → ``/b`` → ``/a``                                          FETCH_TOO_MANY_REDIRECTS
redirect-scheme     a redirect to ``https://`` the same host                          FETCH_REDIRECT_SCHEME_CHANGED
redirect-metadata   a redirect to ``http://169.254.169.254/latest/meta-data/``       FETCH_REDIRECT_REFUSED
reset               reads the request, then resets the connection (RST)              FETCH_CONNECTION_LOST
reset-mid-body      headers and part of the body, then RST                           FETCH_CONNECTION_LOST
close-silently      reads the request, closes without a word                         FETCH_CONNECTION_LOST
garbage             answers with bytes that are not HTTP                             FETCH_PROTOCOL_ERROR
never-accept        a listener that never accepts a connection                       FETCH_TIMEOUT
wrong-type          a complete 200 answer as ``text/html``                           FETCH_BAD_CONTENT_TYPE
==================  ================================================================  ========================
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from vvp import codes

EXPECTED: dict[str, str] = {
    "drip-status": codes.FETCH_TIMEOUT,
    "drip-headers": codes.FETCH_TIMEOUT,
    "drip-body": codes.FETCH_TIMEOUT,
    "continue-forever": codes.FETCH_TIMEOUT,
    "continue-flood": codes.FETCH_PROTOCOL_ERROR,
    "endless-body": codes.FETCH_TOO_LARGE,
    "endless-chunked": codes.FETCH_TOO_LARGE,
    "huge-headers": codes.FETCH_HEAD_TOO_LARGE,
    "short-body": codes.FETCH_BODY_INCOMPLETE,
    "gzip-bomb": codes.FETCH_ENCODING_REFUSED,
    "redirect-loop": codes.FETCH_TOO_MANY_REDIRECTS,
    "redirect-scheme": codes.FETCH_REDIRECT_SCHEME_CHANGED,
    "redirect-metadata": codes.FETCH_REDIRECT_REFUSED,
    "reset": codes.FETCH_CONNECTION_LOST,
    "reset-mid-body": codes.FETCH_CONNECTION_LOST,
    "close-silently": codes.FETCH_CONNECTION_LOST,
    "garbage": codes.FETCH_PROTOCOL_ERROR,
    "never-accept": codes.FETCH_TIMEOUT,
    "wrong-type": codes.FETCH_BAD_CONTENT_TYPE,
}
"""Every mode and the code a fetch from it must end with (the table in the module docstring)."""

MODES = tuple(EXPECTED)

_BOMB = gzip.compress(b"\0" * (10 * 1024 * 1024), compresslevel=9)


class _Stop(Exception):
    """The connection's time is up, the client left, or the server is stopping."""


@dataclass
class HostileServer:
    """One hostile mode on 127.0.0.1 (module docstring). ``content_type`` is what a well-formed
    answer claims (the kind being fetched expects it, so only the mode's own fault can fail)."""

    mode: str
    content_type: str = "application/cesr"
    interval: float = 0.4
    max_s: float = 30.0

    def __post_init__(self) -> None:
        if self.mode not in EXPECTED:
            raise ValueError(f"unknown hostile mode {self.mode!r}")
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []
        self.connections = 0

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def url(self, path: str = "/a") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> HostileServer:
        if self.mode == "never-accept":
            # backlog 0 and no accept(): the kernel may complete a handshake or two, nobody answers
            self._listener.listen(0)
            return self
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        t = threading.Thread(target=self._accept_loop, name=f"hostile-{self.mode}", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        until = time.monotonic() + self.max_s
        while not self._stop.is_set() and time.monotonic() < until:
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    # -- one connection ---------------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        deadline = time.monotonic() + self.max_s
        try:
            conn.settimeout(1.0)
            path = self._read_request(conn, deadline)
            getattr(self, "_mode_" + self.mode.replace("-", "_"))(conn, path, deadline)
        except (_Stop, OSError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _alive(self, deadline: float) -> None:
        if self._stop.is_set() or time.monotonic() > deadline:
            raise _Stop()

    def _read_request(self, conn: socket.socket, deadline: float) -> str:
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            self._alive(deadline)
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                raise _Stop()
            data += chunk
        parts = data.split(b" ", 2)
        return parts[1].decode("latin-1") if len(parts) > 1 else "/"

    def _send(self, conn: socket.socket, data: bytes, deadline: float) -> None:
        self._alive(deadline)
        conn.sendall(data)

    def _drip(self, conn: socket.socket, data: bytes, deadline: float) -> None:
        for i in range(len(data)):
            self._send(conn, data[i:i + 1], deadline)
            self._stop.wait(self.interval)

    def _head(self, status: str = "200 OK", extra: str = "", *, length: int | None = None) -> bytes:
        lines = f"HTTP/1.1 {status}\r\nContent-Type: {self.content_type}\r\n"
        if length is not None:
            lines += f"Content-Length: {length}\r\n"
        return (lines + extra + "\r\n").encode("latin-1")

    def _reset(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    # -- the modes --------------------------------------------------------------------------

    def _mode_drip_status(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._drip(conn, self._head(length=2) + b"ok" + b" " * 10_000, deadline)

    def _mode_drip_headers(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\n", deadline)
        while True:
            self._drip(conn, b"X-Slow: a\r\n", deadline)

    def _mode_drip_body(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, self._head(length=1000), deadline)
        self._drip(conn, b"x" * 1000, deadline)

    def _mode_continue_forever(self, conn: socket.socket, path: str, deadline: float) -> None:
        while True:
            self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n", deadline)
            self._stop.wait(self.interval)

    def _mode_continue_flood(self, conn: socket.socket, path: str, deadline: float) -> None:
        for _ in range(100_000):
            self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n", deadline)

    def _mode_endless_body(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, self._head(), deadline)
        block = b"x" * 65536
        while True:
            self._send(conn, block, deadline)

    def _mode_endless_chunked(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, self._head(extra="Transfer-Encoding: chunked\r\n"), deadline)
        chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
        while True:
            self._send(conn, chunk, deadline)

    def _mode_huge_headers(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, b"HTTP/1.1 200 OK\r\n", deadline)
        line = b"X-Filler: " + b"a" * 1000 + b"\r\n"
        while True:
            self._send(conn, line * 16, deadline)

    def _mode_short_body(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, self._head(length=100_000) + b"only this much", deadline)

    def _mode_gzip_bomb(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, self._head(extra="Content-Encoding: gzip\r\n", length=len(_BOMB)) + _BOMB, deadline)

    def _mode_redirect_loop(self, conn: socket.socket, path: str, deadline: float) -> None:
        nxt = "/b" if path.startswith("/a") else "/a"
        self._send(conn, self._head("302 Found", f"Location: {nxt}\r\n", length=0), deadline)

    def _mode_redirect_scheme(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, self._head("302 Found", f"Location: https://127.0.0.1:{self.port}{path}\r\n", length=0),
                   deadline)

    def _mode_redirect_metadata(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, self._head("302 Found", "Location: http://169.254.169.254/latest/meta-data/\r\n", length=0),
                   deadline)

    def _mode_reset(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._reset(conn)

    def _mode_reset_mid_body(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, self._head(length=100_000) + b"x" * 1000, deadline)
        self._stop.wait(0.1)
        self._reset(conn)

    def _mode_close_silently(self, conn: socket.socket, path: str, deadline: float) -> None:
        conn.shutdown(socket.SHUT_RDWR)

    def _mode_garbage(self, conn: socket.socket, path: str, deadline: float) -> None:
        self._send(conn, b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n", deadline)

    def _mode_never_accept(self, conn: socket.socket, path: str, deadline: float) -> None:
        raise AssertionError("a never-accepting listener accepted")  # start() never runs the accept loop

    def _mode_wrong_type(self, conn: socket.socket, path: str, deadline: float) -> None:
        page = b"<html><body>not evidence</body></html>"
        self._send(conn, (f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(page)}\r\n\r\n")
                   .encode() + page, deadline)


@contextmanager
def hostile(mode: str, *, content_type: str = "application/cesr", interval: float = 0.4,
            max_s: float = 30.0) -> Iterator[HostileServer]:
    """``with hostile("drip-headers") as srv: fetch(srv.url())``: the server stops on exit."""
    srv = HostileServer(mode, content_type=content_type, interval=interval, max_s=max_s)
    with srv:
        yield srv
