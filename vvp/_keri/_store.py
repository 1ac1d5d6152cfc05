"""A fresh keri verifier store for one verification: on tmpfs, closed and removed afterwards.

Why fresh: a shared store keeps the first version of every KEL it saw ("first seen wins"),
accumulates escrow junk and cues, and lets one call's input affect the next (keri-notes §4, §7).
On tmpfs a fresh Baser+Reger costs 1-2 ms. Why our own directory: keri's ``temp=True`` stores
leak their parent directories; with ``headDirPath`` inside a directory we remove, nothing stays.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import tempfile
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


@contextlib.contextmanager
def fresh_store(*, cloned: bool = False) -> Iterator[Store]:
    """Open a fresh store; always closed and removed on exit, whatever happened inside.

    keri's stdout prints are swallowed here too: they are not vvp's output (``--json`` must print
    exactly one document).
    """
    path = tempfile.mkdtemp(prefix=TMP_PREFIX, dir=tmp_root())
    lg = _quiet_keri_logger()
    log = KeriLog()
    lg.addHandler(log)
    old_level = lg.level
    lg.setLevel(logging.WARNING)
    db = reger = None
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            db = basing.Baser(name="v", headDirPath=path, reopen=True)
            reger = viring.Reger(name="v", headDirPath=path, reopen=True)
            kvy = eventing.Kevery(db=db, lax=False, local=False, cloned=cloned)
            tvy = veventing.Tevery(reger=reger, db=db, local=False)
        with contextlib.redirect_stdout(io.StringIO()):
            yield Store(path=path, db=db, reger=reger, kvy=kvy, tvy=tvy, log=log)
    finally:
        lg.removeHandler(log)
        lg.setLevel(old_level)
        with contextlib.suppress(Exception):
            if reger is not None:
                reger.close()
        with contextlib.suppress(Exception):
            if db is not None:
                db.close()
        shutil.rmtree(path, ignore_errors=True)
