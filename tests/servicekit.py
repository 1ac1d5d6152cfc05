"""Helpers for the service tests: the real ``vvp serve`` as a subprocess on 127.0.0.1, a small
HTTP client, and a server that never answers (for deadlines, overload and drain).

Every process a test starts is stopped by the test, by its process id (architecture §7): a
server is started in its own session (``start_new_session``), so SIGKILL of its process group
reaches uvicorn's worker processes too, and :meth:`Server.stop` always ends in a group kill.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VVP = str(REPO / ".venv" / "bin" / "vvp") if (REPO / ".venv" / "bin" / "vvp").exists() else "vvp"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(port: int, method: str, path: str, body: bytes | None = None, *,
            headers: Mapping[str, str] | None = None, timeout: float = 30.0) -> Reply:
    """One request on a fresh connection (so uvicorn's workers share the load)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        r = conn.getresponse()
        data = r.read()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def post_json(port: int, path: str, doc: Any, *, timeout: float = 30.0) -> Reply:
    return request(port, "POST", path, json.dumps(doc).encode(), headers={"Content-Type": "application/json"},
                   timeout=timeout)


@dataclass
class Server:
    """A running ``vvp serve`` (start with :func:`start_server`)."""

    proc: subprocess.Popen[bytes]
    port: int
    store: str
    stderr_path: Path
    args: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.stderr_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")[-4000:]

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM to the server (uvicorn drains), then wait; the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill_group()

    def kill_group(self) -> None:
        """SIGKILL to the server's whole process group (its workers included)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            pass


def start_server(tmp: Path, *, trust: Path | str | None, store: str | None = None, workers: int = 1,
                 keystore: Path | None = None, extra: Sequence[str] = (), ready_timeout: float = 120.0,
                 port: int | None = None) -> Server:
    """Start ``vvp serve`` and wait until every worker answers ``/readyz``."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    store = store or f"sqlite:///{tmp / 'records.db'}"
    args = [VVP, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--store", store]
    if trust is not None:
        args += ["--trust", str(trust)]
    args += list(extra)
    env = dict(os.environ)
    env["VVP_KEYSTORE"] = str(keystore or tmp / "keystore")
    env["XDG_DATA_HOME"] = str(tmp / "xdg")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    errp = tmp / f"serve-{port}-{time.monotonic_ns()}.log"
    with open(errp, "wb") as err:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env,
                                start_new_session=True)
    srv = Server(proc, port, store, errp, args)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"vvp serve exited {proc.returncode}: {srv.stderr()}")
        try:
            if request(port, "GET", "/readyz", timeout=2).status == 200:
                return srv
        except OSError:
            pass
        time.sleep(0.1)
    srv.kill_group()
    raise AssertionError(f"vvp serve not ready within {ready_timeout} s: {srv.stderr()}")


@contextmanager
def running(tmp: Path, **kw: Any) -> Iterator[Server]:
    srv = start_server(tmp, **kw)
    try:
        yield srv
    finally:
        srv.kill_group()


@contextmanager
def silent_server() -> Iterator[tuple[str, threading.Event]]:
    """An HTTP server on 127.0.0.1 that accepts connections and never answers until released
    (the ``Event``); yields its base URL. Bounded: it releases itself after 120 s."""
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    lsock.settimeout(0.2)
    release = threading.Event()
    stop = threading.Event()
    held: list[socket.socket] = []

    def loop() -> None:
        t_end = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < t_end:
            try:
                c, _ = lsock.accept()
                held.append(c)
            except TimeoutError:
                pass
            except OSError:
                return
            if release.is_set():
                for c in held:
                    c.close()
                held.clear()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{lsock.getsockname()[1]}", release
    finally:
        stop.set()
        t.join(5)
        for c in held:
            c.close()
        lsock.close()


def reverify_json(record_path: Path) -> dict[str, Any]:
    """``vvp reverify RECORD --json`` in a subprocess (offline: the record alone)."""
    out = subprocess.run([VVP, "reverify", str(record_path), "--json"], capture_output=True, timeout=300,
                         stdin=subprocess.DEVNULL)
    doc: dict[str, Any] = json.loads(out.stdout)
    doc["_exit"] = out.returncode
    return doc


def python() -> str:
    return sys.executable
