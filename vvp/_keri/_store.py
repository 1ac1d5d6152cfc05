"""A fresh keri verifier store for one verification: on tmpfs, closed and removed afterwards.

Why fresh: a shared store keeps the first version of every KEL it saw ("first seen wins"),
accumulates escrow junk and cues, and lets one call's input affect the next (keri-notes §4, §7).
On tmpfs a fresh Baser+Reger costs 1-2 ms. Why our own directory: keri's ``temp=True`` stores
leak their parent directories; with ``headDirPath`` inside a directory we remove, nothing stays.
Long-lived verifiers may instead take a store that an earlier verification used and that was
emptied completely afterwards (``fresh_store(reusable=True)``, :class:`_Pool`): as fresh for
keri, without opening 116 databases again.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Import order matters: keri.db.basing first fails with a circular import (keri-notes, Setup).
from keri.core import eventing, parsing  # noqa: I001
from keri.db import basing
from keri.vdr import eventing as veventing
from keri.vdr import viring
from keri import help as keri_help

TMP_PREFIX = "vvp-keri-"


def tmp_root() -> str:
    """Where per-verification stores go: ``$VVP_TMPDIR`` when set (operators choose the tmpfs;
    tests use a private folder to count what is left behind), else /dev/shm when it is there and
    writable, else $TMPDIR."""
    chosen = os.environ.get("VVP_TMPDIR")
    if chosen:
        return chosen
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return tempfile.gettempdir()


class KeriLog(logging.Handler):
    """Collects keri's log records (keri logs every swallowed error to one hio logger)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.records.append(record.getMessage()[:500])


def _quiet_keri_logger() -> logging.Logger:
    lg: logging.Logger = keri_help.ogler.getLogger()
    for h in list(lg.handlers):
        if type(h) is logging.StreamHandler:  # keri's own stderr handler: its noise is not our output
            lg.removeHandler(h)
    return lg


@dataclass
class Store:
    """One verification's keri state: a Baser (KELs), a Reger (TELs), their Kevery and Tevery."""

    path: str
    db: Any
    reger: Any
    kvy: Any
    tvy: Any
    log: KeriLog

    def parser(self, vry: Any = None) -> Any:
        return parsing.Parser(framed=True, kvy=self.kvy, tvy=self.tvy, vry=vry)


@dataclass
class _Opened:
    """An opened, empty Baser and Reger in their own directory, ready for one verification."""

    root: str
    path: str
    db: Any
    reger: Any


class _Pool:
    """Emptied stores kept for the next verification (item 2 of issue 22: store set-up per
    verification). Opening a Baser and a Reger creates their 116 named databases, about 1.5 ms of
    CPU per verification, ten times the cost of emptying them again. A store comes back here only
    when its verification ended normally and every one of its databases was emptied in one
    transaction each (keri's version record aside), and keri's in-memory caches of it cleared;
    otherwise it is closed and removed as before. Bounded; what it holds is removed when the
    process exits. Only long-lived verifiers use it (``fresh_store(reusable=True)``): a one-off
    verification still leaves nothing behind."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._free: list[_Opened] = []
        self._lock = threading.Lock()
        atexit.register(self.close)

    def take(self, root: str) -> _Opened | None:
        with self._lock:
            for i, o in enumerate(self._free):
                if o.root == root:
                    return self._free.pop(i)
        return None

    def give(self, o: _Opened) -> bool:
        """Keep ``o`` when it could be emptied and there is room; False: the caller closes it."""
        if not _empty(o):
            return False
        with self._lock:
            if len(self._free) >= self.size:
                return False
            self._free.append(o)
        return True

    def close(self) -> None:
        with self._lock:
            free, self._free = self._free, []
        for o in free:
            _close(o)


def _empty(o: _Opened) -> bool:
    """Empty every named database of the store (keri's version record aside) and keri's caches
    of them; False when anything could not be emptied."""
    try:
        for env in (o.db.env, o.reger.env):
            with env.begin(write=True) as txn:
                names = [bytes(k) for k, _ in txn.cursor()]
                for name in names:
                    if name != b"__version__":
                        txn.drop(env.open_db(name, txn=txn), delete=False)
        dict.clear(o.db._kevers)
        o.db.prefixes.clear()
        o.db.groups.clear()
        dict.clear(o.reger._tevers)
        o.reger.registries.clear()
    except Exception:  # noqa: BLE001 - a store that cannot be emptied is not reused
        return False
    return True


def _close(o: _Opened) -> None:
    with contextlib.suppress(Exception):
        o.reger.close()
    with contextlib.suppress(Exception):
        o.db.close()
    shutil.rmtree(o.path, ignore_errors=True)


_POOL = _Pool()


@contextlib.contextmanager
def fresh_store(*, cloned: bool = False, reusable: bool = False) -> Iterator[Store]:
    """Open a fresh store; always closed and removed on exit, whatever happened inside.

    ``reusable``: take an emptied store from the pool (:class:`_Pool`) when there is one, and give
    it back emptied when the block ends normally (for long-lived verifiers).

    keri's stdout prints are swallowed here too: they are not vvp's output (``--json`` must print
    exactly one document).
    """
    root = tmp_root()
    lg = _quiet_keri_logger()
    log = KeriLog()
    lg.addHandler(log)
    old_level = lg.level
    lg.setLevel(logging.WARNING)
    opened = _POOL.take(root) if reusable else None
    path = opened.path if opened is not None else tempfile.mkdtemp(prefix=TMP_PREFIX, dir=root)
    db = reger = None
    ok = False
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            if opened is not None:
                db, reger = opened.db, opened.reger
            else:
                db = basing.Baser(name="v", headDirPath=path, reopen=True)
                reger = viring.Reger(name="v", headDirPath=path, reopen=True)
            kvy = eventing.Kevery(db=db, lax=False, local=False, cloned=cloned)
            tvy = veventing.Tevery(reger=reger, db=db, local=False)
        with contextlib.redirect_stdout(io.StringIO()):
            yield Store(path=path, db=db, reger=reger, kvy=kvy, tvy=tvy, log=log)
        ok = True
    finally:
        lg.removeHandler(log)
        lg.setLevel(old_level)
        done = _Opened(root, path, db, reger)
        if not (reusable and ok and db is not None and reger is not None and _POOL.give(done)):
            _close(done)
