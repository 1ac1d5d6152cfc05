"""Shared test set-up: the corpus location, and a network guard.

Tests run offline: any attempt to connect anywhere but the loopback range fails the test
(architecture §7; the fetcher's own tests use 127.0.0.1 or a fake transport).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"

pytest_plugins: list[str] = ["tests.world_fixtures"]


def corpus_path(*parts: str) -> Path:
    """A path in ../shared/corpus; skips the test with a clear reason when the corpus is absent."""
    p = CORPUS.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs the shared corpus beside the checkout: {p} is missing")
    return p


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"needs the shared corpus beside the checkout: {CORPUS} is missing")
    return CORPUS


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(addr: Any) -> None:
    if isinstance(addr, tuple) and addr:
        host = str(addr[0]).split("%", 1)[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise AssertionError(f"test tried to connect to a name: {host}") from None
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if not (ip.is_loopback or (mapped is not None and mapped.is_loopback)):
            raise AssertionError(f"test tried to reach the network: {host}")


@pytest.fixture(autouse=True)
def _network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def connect(self: socket.socket, addr: Any) -> None:
        _loopback_only(addr)
        _real_connect(self, addr)

    def connect_ex(self: socket.socket, addr: Any) -> int:
        _loopback_only(addr)
        return _real_connect_ex(self, addr)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield
