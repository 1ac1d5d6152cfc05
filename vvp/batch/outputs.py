"""The files of ``--out``: ``verdicts.jsonl`` (the run's memory), ``errors.jsonl``, the lock and
the scratch index of ids.

``verdicts.jsonl`` is what makes a run resumable, so it is written with care:

* lines are appended whole, a batch of them with one ``write`` on an ``O_APPEND`` descriptor,
  then ``fsync``: a line that is in the file survives a crash, and the records it names were
  stored before it was written (:mod:`vvp.batch.work`);
* a kill can only ever cut the *last* line short (nothing is written after a partial line in
  the same run). :func:`recover_verdicts` finds such a tail (no final newline), cuts it off and
  syncs, before anything else is appended: the rows of that line are simply verified again;
* any other line that is not a verdict line is damage no kill makes: the run stops
  (``BATCH_VERDICTS_DAMAGED``) and changes nothing.

``errors.jsonl`` is rewritten by every run: it lists the rows *this* run could not verify (rows
that cannot be read fail the same way every time; a row that failed for an internal fault is
tried again). The lock (``.lock``, ``flock``) keeps two runs off the same folder.

Which ids are done, and which ids this run's input has already shown, is an index of ids on disk
(:class:`IdIndex`, SQLite, rebuilt from ``verdicts.jsonl`` at every start and removed at the
end), not a set in memory: a log of 10⁹ calls has 10⁹ ids, and memory must stay flat.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from vvp import codes
from vvp.batch.rows import RowError
from vvp.errors import OperationalError

VERDICTS: Final = "verdicts.jsonl"
ERRORS: Final = "errors.jsonl"
SUMMARY: Final = "summary.html"
RECORDS_DB: Final = "records.db"
LOCK: Final = ".lock"
INDEX: Final = ".ids.sqlite"
STATUSES: Final = frozenset({"VALID", "INVALID", "INDETERMINATE"})


def _fail(message: str) -> OperationalError:
    return OperationalError(message, code=codes.BATCH_OUTPUT_FAILED)


class OutLock:
    """An exclusive lock on the ``--out`` folder for the life of a run."""

    def __init__(self, out: Path) -> None:
        try:
            self._fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as ex:
            raise _fail(f"cannot create {out / LOCK}: {ex.strerror or ex}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._fd)
            raise OperationalError(f"another vvp batch is writing to {out} (its lock {out / LOCK} is held)",
                                   code=codes.BATCH_OUT_BUSY) from None

    def release(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)


@dataclass(frozen=True, slots=True)
class Recovered:
    """What :func:`recover_verdicts` found: complete lines, and the bytes of a partial last line
    that were cut off (0 when the file ended cleanly)."""

    lines: int
    truncated_bytes: int


def check_verdict_line(obj: Any) -> bool:
    return (isinstance(obj, dict) and isinstance(obj.get("id"), str) and obj.get("status") in STATUSES
            and isinstance(obj.get("record"), str))


def recover_verdicts(path: Path, on_line: Callable[[dict[str, Any]], None]) -> Recovered:
    """Read an existing ``verdicts.jsonl`` (module docstring): every complete line goes to
    ``on_line``; a partial last line is cut off (and the cut synced); a damaged complete line
    raises ``BATCH_VERDICTS_DAMAGED`` before anything is changed."""
    if not path.exists():
        return Recovered(0, 0)
    n = 0
    good_end = 0
    try:
        with path.open("rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break  # the partial tail a kill leaves
                n += 1
                try:
                    obj = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    obj = None
                if not check_verdict_line(obj):
                    raise OperationalError(f"{path} line {n} is not a verdict line (not a partial last line a kill "
                                           "leaves: the file was damaged or edited); nothing was changed",
                                           code=codes.BATCH_VERDICTS_DAMAGED)
                on_line(obj)
                good_end += len(raw)
            size = os.fstat(fh.fileno()).st_size
    except OSError as ex:
        raise _fail(f"cannot read {path}: {ex.strerror or ex}") from None
    cut = size - good_end
    if cut:
        try:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.ftruncate(fd, good_end)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as ex:
            raise _fail(f"cannot cut the partial last line off {path}: {ex.strerror or ex}") from None
    return Recovered(n, cut)


class AppendLog:
    """A JSON Lines file written by appending whole batches of lines (``sync``: fsync each)."""

    def __init__(self, path: Path, *, sync: bool, truncate: bool = False) -> None:
        self.path = path
        self.sync = sync
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | (os.O_TRUNC if truncate else 0)
        try:
            self._fd = os.open(path, flags, 0o644)
        except OSError as ex:
            raise _fail(f"cannot open {path}: {ex.strerror or ex}") from None

    def append(self, lines: Iterable[bytes]) -> None:
        data = memoryview(b"".join(lines))
        try:
            while data:
                n = os.write(self._fd, data)
                data = data[n:]
            if self.sync:
                os.fsync(self._fd)
        except OSError as ex:
            raise _fail(f"cannot write {self.path}: {ex.strerror or ex}") from None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


def error_line(err: RowError) -> bytes:
    return orjson.dumps(err.to_json()) + b"\n"


class IdIndex:
    """Ids done by earlier runs and ids seen in this run's input, on disk (module docstring).

    Scratch data: no journal, no sync (a crash loses it, and every run rebuilds it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-16384", "temp_store=FILE"):
                self._db.execute(f"PRAGMA {pragma}")
            self._db.execute("CREATE TABLE done (id TEXT PRIMARY KEY) WITHOUT ROWID")
            self._db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID")
            self._db.execute("BEGIN")
        except sqlite3.Error as ex:
            raise _fail(f"cannot make the id index {path}: {ex}") from None
        self._pending = 0
        self.done_count = 0

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= 50_000:
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")
            self._pending = 0

    def mark_done(self, row_id: str) -> bool:
        """Note an id from ``verdicts.jsonl``; False when it was there already (a repeat)."""
        cur = self._db.execute("INSERT OR IGNORE INTO done VALUES (?)", (row_id,))
        self._tick()
        if cur.rowcount:
            self.done_count += 1
            return True
        return False

    def visit(self, row_id: str) -> str:
        """An id of this run's input: ``"new"`` (verify it), ``"done"`` (an earlier run did) or
        ``"repeat"`` (an earlier row of this input has it)."""
        cur = self._db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (row_id,))
        self._tick()
        if not cur.rowcount:
            return "repeat"
        if self.done_count and self._db.execute("SELECT 1 FROM done WHERE id = ?", (row_id,)).fetchone():
            return "done"
        return "new"

    def close(self, *, remove: bool = True) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        if remove:
            with contextlib.suppress(OSError):
                self.path.unlink()
