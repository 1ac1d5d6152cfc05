"""What ``vvp serve`` was asked to do, as one frozen value that crosses into worker processes.

Workers are separate processes (uvicorn's spawn-based supervisor, or the one process of
``--workers 1``); each one reads this value from the environment variable
:data:`CONFIG_ENV` as JSON, so nothing but plain data crosses the process boundary and every
worker builds its own Verifier, cache, store connection and keystore handle from it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Final

from vvp import codes
from vvp.errors import UsageError

CONFIG_ENV: Final = "VVP_SERVICE_CONFIG"
MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's multiprocess folder: set before prometheus_client is first imported."""


class ServiceConfigError(UsageError):
    default_code = codes.SERVICE_CONFIG_INVALID


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Options of ``vvp serve`` (see ``vvp serve --help`` for each one's meaning)."""

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    trust: str | None = None
    store: str | None = None
    """A store URL (``sqlite:///PATH``, ``postgresql://…``, a plain path); None: the default SQLite
    store under ``$XDG_DATA_HOME/vvp/``."""
    keystore: str | None = None
    evidence: str | None = None
    offline: bool = False
    threads: int = 8
    """Verification threads per worker (fetches wait in them, never on the event loop)."""
    max_pending: int = 64
    """Verifications a worker admits at once (running, waiting for a thread or for the commit);
    one more is answered 503 with Retry-After."""
    retry_after_s: int = 1
    max_body_bytes: int = 1048576
    batch_max: int = 256
    """Most records one group commit stores."""
    drain_s: int = 30
    """How long SIGTERM waits for in-flight requests before closing them."""
    access_log: bool = True
    warm_on_loop: bool = True
    """Verify a call on the event loop when the Verifier's caches can answer it without a fetch
    (no thread hand-off); False: every call in a verification thread."""
    fast_path: bool = True
    """Answer ``POST /vvp/v1/verify`` and ``POST /stir/v1/verification`` with the raw ASGI fast
    path (:mod:`vvp.service.fastpath`, the same answers with less work per request); False:
    every request through Starlette (the parity tests compare the two)."""
    metrics_dir: str | None = None
    """prometheus-client's multiprocess folder (made and emptied by the serve command)."""
    sip: str | None = None
    """``udp:HOST:PORT``: also a SIP redirect front end (architecture §4.5)."""
    sip_at: str | None = None
    """A fixed reference time for SIP calls (replaying captured traffic, tests); None: arrival."""

    def check(self) -> ServiceConfig:
        """This config, or :class:`ServiceConfigError` naming the option that is out of range."""
        limits = {"port": (0, 65535), "workers": (1, 64), "threads": (1, 256), "max_pending": (1, 100000),
                  "retry_after_s": (1, 3600), "max_body_bytes": (1024, 64 * 1048576), "batch_max": (1, 10000),
                  "drain_s": (0, 3600)}
        for name, (lo, hi) in limits.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ServiceConfigError(f"--{name.replace('_', '-')} must be an integer from {lo} to {hi}")
        if self.sip is not None:
            parse_sip_address(self.sip)
        if self.sip_at is not None:
            from vvp.clock import parse_time
            try:
                parse_time(self.sip_at)
            except UsageError as ex:
                raise ServiceConfigError(f"--sip-at: {ex.message}") from None
        return self

    def to_env(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceConfig:
        raw = (os.environ if environ is None else environ).get(CONFIG_ENV)
        if not raw:
            raise ServiceConfigError(f"{CONFIG_ENV} is not set: start the service with 'vvp serve'")
        data: Any = json.loads(raw)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known}).check()


def parse_sip_address(spec: str) -> tuple[str, int]:
    """``udp:HOST:PORT`` → (host, port); IPv6 hosts in brackets (``udp:[::1]:5060``)."""
    transport, _, rest = spec.partition(":")
    if transport.lower() != "udp" or not rest:
        raise ServiceConfigError(f"--sip {spec!r}: expected udp:HOST:PORT (only UDP is served)")
    host, _, port = rest.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ServiceConfigError(f"--sip {spec!r}: expected udp:HOST:PORT with a port from 0 to 65535")
    return host, int(port)


def default_store_url(environ: Mapping[str, str]) -> str:
    """``sqlite:///$XDG_DATA_HOME/vvp/records.db`` (architecture §4.5), its folder made on first use."""
    xdg = environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path(environ.get("HOME") or Path.home()) / ".local/share"
    folder = base / "vvp"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'records.db'}"
