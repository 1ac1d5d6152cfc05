"""Starting the service: checks in the parent, then uvicorn with N worker processes on one port.

The parent does, once and before any worker exists, what workers would otherwise race to do:
load the trust store (so a bad one is a usage error now, not N crashed workers), create or
migrate the record store, create the verifier's keystore, and make an empty folder for
prometheus-client's multiprocess files. Then uvicorn binds the port and, for ``--workers N > 1``,
spawns N worker processes that share the listening socket (its supervisor restarts a worker that
dies, and forwards SIGTERM so each one drains); ``--workers 1`` serves in this process. Each
worker loads its own Verifier, keystore handle and store connection in the application's
lifespan (:func:`vvp.service.app.create_app`).

SIGTERM (or SIGINT): uvicorn stops accepting, lets in-flight requests finish (at most
``--drain-s`` seconds), then the lifespan commits what the writer holds and closes the stores.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import orjson

from vvp import codes
from vvp.errors import OperationalError
from vvp.record import keystore_path, open_identity
from vvp.service.config import CONFIG_ENV, MULTIPROC_ENV, ServiceConfig, default_store_url
from vvp.store.url import open_store
from vvp.trust import load_trust_store


SINGLE_ACCEPT_ENV = "UV_TCP_SINGLE_ACCEPT"
"""libuv's switch (read when a socket starts listening; uvloop's event loop is libuv) to accept
one connection per wake-up of a worker and then yield, instead of every connection waiting.
Why: the N workers share one listening socket, and the first worker woken otherwise takes a whole
burst of new connections, so keep-alive clients stay where that burst put them. Measured with 2
workers and 32 connections opened at once, four rounds: 1,133/1,867, 0/3,000, 1,140/1,860 and
1,395/1,605 requests per worker without it; 1,467/1,533, 1,032/1,968, 1,384/1,616 and
1,417/1,583 with it. The split stays per connection and can stay uneven (``make bench-service``'s
70 % stage: 16/84 % of the CPU before, 33/67 % to 55/45 % with it; docs/service.md says what to
do with few connections). Set for ``--workers`` above 1 unless the environment already sets it;
with the plain asyncio loop it does nothing."""


class StartFailed(OperationalError):
    default_code = codes.SERVICE_START_FAILED


def prepare(cfg: ServiceConfig) -> tuple[ServiceConfig, Path, bool]:
    """Checks and one-time set-up in the parent (module docstring); the config workers get, the
    metrics folder, and whether this process made that folder (and so removes it at exit)."""
    cfg = cfg.check()
    load_trust_store(cfg.trust)  # a bad trust store: its coded error, before any worker starts
    store_url = cfg.store or default_store_url(os.environ)
    open_store(store_url).close()  # created and migrated once, by one process
    with open_identity(keystore_path(cfg.keystore, os.environ)):
        pass  # the keystore exists before N workers open it
    made = cfg.metrics_dir is None
    mdir = Path(cfg.metrics_dir) if cfg.metrics_dir else Path(tempfile.mkdtemp(prefix="vvp-metrics-"))
    mdir.mkdir(parents=True, exist_ok=True)
    for f in mdir.glob("*.db"):  # samples of an earlier run would be summed into this one's
        f.unlink()
    from dataclasses import replace
    return replace(cfg, store=store_url, metrics_dir=str(mdir)), mdir, made


def serve(cfg: ServiceConfig) -> int:
    """Run the service until SIGTERM/SIGINT; the exit code (0, or 4 when it could not start)."""
    cfg, mdir, made = prepare(cfg)
    os.environ[MULTIPROC_ENV] = str(mdir)  # before prometheus_client is imported, here and in workers
    os.environ[CONFIG_ENV] = cfg.to_env()
    if cfg.workers > 1:
        os.environ.setdefault(SINGLE_ACCEPT_ENV, "1")
    import uvicorn

    sys.stderr.write(orjson.dumps({"event": "serve", "pid": os.getpid(), "host": cfg.host, "port": cfg.port,
                                   "workers": cfg.workers, "store": _masked(cfg.store or ""),
                                   "sip": cfg.sip}).decode() + "\n")
    sys.stderr.flush()
    # uvicorn re-raises the SIGTERM/SIGINT it drained on to the handler it found: a handler here
    # makes that a normal return (exit 0 after a drain) instead of death by the signal.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _drained)
    try:
        uvicorn.run("vvp.service.app:app_from_env", factory=True, host=cfg.host, port=cfg.port,
                    workers=cfg.workers, log_level="warning", access_log=False, lifespan="on",
                    timeout_graceful_shutdown=cfg.drain_s, loop=_loop(), http=_http(), server_header=False,
                    date_header=False)
    except SystemExit as ex:
        if ex.code not in (0, None):
            raise StartFailed(f"the service could not start on {cfg.host}:{cfg.port} (exit {ex.code}); "
                              "the reason is logged above") from None
    finally:
        if made:
            shutil.rmtree(mdir, ignore_errors=True)
    return 0


def _drained(signum: int, frame: object) -> None:
    """The stop signal, seen again after uvicorn has drained: nothing left to do."""


def _loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def _http() -> str:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


def _masked(url: str) -> str:
    """A store URL for a log line: a password in it replaced by ``***``."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        if ":" in cred:
            return f"{scheme}://{cred.split(':', 1)[0]}:***@{host}"
    return url
