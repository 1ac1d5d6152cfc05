"""Input and output files as vvp opens them: regular files only, read with a byte cap, written
atomically.

Why a module of its own: a path on a command line or in a trust store can name anything the
file system holds. ``/dev/zero`` or ``/dev/urandom`` read with ``read_bytes()`` fills memory; a
FIFO with no writer blocks ``open()`` for ever; a 5 GB sparse file is allocated at once; and
``os.replace`` over a device node or a symlink replaces the node or the link itself. Every
reader and writer of user-named files goes through the two functions here, so each of those
cases is one coded error decided in one place:

* :func:`read_input` reads a **regular file** (a symlink to one is fine), or standard input when
  the caller allows ``-``, and never more than ``max_bytes`` (+1 to notice the excess). The size
  is checked from ``stat`` before anything is read, the file is opened non-blocking (so a FIFO
  swapped in after the check cannot block the open) and checked again on the open descriptor.
  Refusals raise :class:`~vvp.errors.InputUnreadable` with ``INPUT_NOT_REGULAR_FILE``,
  ``INPUT_TOO_LARGE`` or ``INPUT_UNREADABLE``; callers re-raise them in their own error class and
  keep the first two codes (they say what is wrong better than a generic "unreadable").
* :func:`write_output` replaces a **regular file** (or creates one) atomically: a temporary file in
  the same folder, fsync, rename, fsync of the folder. A symlink, device, FIFO or socket at the
  path is refused with ``OUTPUT_NOT_REGULAR_FILE`` unless the user asked to write through
  (``write_through``): then a symlink is followed to its final target (replaced atomically when it
  is a regular file or absent) and a device or FIFO is opened and written in place, without
  blocking when a FIFO has no reader.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from vvp import codes
from vvp.errors import InputUnreadable, OperationalError

STDIN = "-"
"""The path that means standard input, where a caller allows it."""

_READ_CHUNK = 1 << 20
_OPEN_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_OPEN_WRITE_THROUGH = os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words (for messages)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def _refuse_non_regular(st: os.stat_result, path: str, what: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise InputUnreadable(f"{what} {path} is {kind_of(st.st_mode)}; vvp reads only regular files",
                              code=codes.INPUT_NOT_REGULAR_FILE)


def _refuse_too_large(size: int, path: str, what: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputUnreadable(f"{what} {path} has {size} bytes, over the {max_bytes}-byte limit",
                              code=codes.INPUT_TOO_LARGE)


def read_input(path: str | os.PathLike[str], *, max_bytes: int, what: str = "input", allow_stdin: bool = False,
               stdin: BinaryIO | None = None) -> bytes:
    """The bytes of a regular file (or of standard input for ``-`` when ``allow_stdin``), at most
    ``max_bytes`` of them; anything else raises :class:`InputUnreadable` with a code (module doc).
    ``what`` names the input in messages (``"trust store"``, ``"evidence map"``)."""
    name = os.fspath(path)
    if allow_stdin and name == STDIN:
        stream = stdin if stdin is not None else sys.stdin.buffer
        try:
            data = stream.read(max_bytes + 1)
        except OSError as ex:
            raise InputUnreadable(f"cannot read {what} from standard input: {ex.strerror or ex}",
                                  code=codes.INPUT_UNREADABLE) from None
        _refuse_too_large(len(data), "(standard input)", what, max_bytes)
        return data
    try:
        st = os.stat(name)  # no open yet: opening a device or a FIFO can itself block or act
    except (OSError, ValueError) as ex:
        raise InputUnreadable(f"cannot read {what} {name}: {_reason(ex)}", code=codes.INPUT_UNREADABLE) from None
    _refuse_non_regular(st, name, what)
    _refuse_too_large(st.st_size, name, what, max_bytes)
    try:
        fd = os.open(name, _OPEN_READ)
    except OSError as ex:
        raise InputUnreadable(f"cannot read {what} {name}: {_reason(ex)}", code=codes.INPUT_UNREADABLE) from None
    try:
        fst = os.fstat(fd)  # what was opened, whatever the path names now
        _refuse_non_regular(fst, name, what)
        _refuse_too_large(fst.st_size, name, what, max_bytes)
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        _refuse_too_large(total, name, what, max_bytes)  # a file that grew while it was read
        return b"".join(chunks)
    except OSError as ex:
        raise InputUnreadable(f"cannot read {what} {name}: {_reason(ex)}", code=codes.INPUT_UNREADABLE) from None
    finally:
        os.close(fd)


def _reason(ex: BaseException) -> str:
    return (ex.strerror if isinstance(ex, OSError) and ex.strerror else str(ex)) or type(ex).__name__


def write_output(path: str | os.PathLike[str], data: bytes, *, fail_code: str, what: str = "output",
                 write_through: bool = False) -> Path:
    """Write ``data`` at ``path`` (module doc): atomically over a regular file or none; a symlink,
    device, FIFO or socket refused with ``OUTPUT_NOT_REGULAR_FILE`` (a folder: ``fail_code``) unless
    ``write_through``. Any other failure is an :class:`OperationalError` with ``fail_code``.
    Returns the path written (the symlink's final target when written through one)."""
    p = Path(path)
    lst = check_output(p, fail_code=fail_code, what=what, write_through=write_through)
    if lst is not None and not stat.S_ISREG(lst.st_mode):
        return _write_through(p, data, fail_code=fail_code, what=what)
    _replace_atomically(p, data, mode=(lst.st_mode & 0o777) if lst is not None else 0o644, fail_code=fail_code,
                        what=what)
    return p


def check_output(path: str | os.PathLike[str], *, fail_code: str, what: str = "output",
                 write_through: bool = False) -> os.stat_result | None:
    """Refuse an output path :func:`write_output` would refuse, before any work is done (a front
    end checks ``--record FILE`` before verifying, not after). Returns the path's ``lstat`` (None
    when nothing is there yet)."""
    p = Path(path)
    try:
        lst = os.lstat(p)
    except FileNotFoundError:
        return None
    except OSError as ex:
        raise OperationalError(f"cannot write {what} {p}: {_reason(ex)}", code=fail_code) from None
    if stat.S_ISDIR(lst.st_mode):  # nothing to refuse or follow: a folder cannot be written as a file
        raise OperationalError(f"cannot write {what} {p}: it is a directory", code=fail_code)
    if not stat.S_ISREG(lst.st_mode) and not write_through:
        raise OperationalError(
            f"{what} {p} is {kind_of(lst.st_mode)}; vvp replaces only regular files "
            "(--write-through follows a link or writes into a device)",
            code=codes.OUTPUT_NOT_REGULAR_FILE)
    return lst


def _write_through(p: Path, data: bytes, *, fail_code: str, what: str) -> Path:
    try:
        target = Path(os.path.realpath(p, strict=False))
        try:
            st: os.stat_result | None = os.stat(target)
        except FileNotFoundError:
            st = None
    except (OSError, RuntimeError) as ex:  # a symlink loop
        raise OperationalError(f"cannot write {what} through {p}: {_reason(ex)}", code=fail_code) from None
    if st is None or stat.S_ISREG(st.st_mode):
        _replace_atomically(target, data, mode=(st.st_mode & 0o777) if st is not None else 0o644,
                            fail_code=fail_code, what=what)
        return target
    if stat.S_ISDIR(st.st_mode) or stat.S_ISSOCK(st.st_mode):
        raise OperationalError(f"cannot write {what} through {p}: it leads to {kind_of(st.st_mode)}",
                               code=fail_code)
    try:  # a device or a FIFO, written in place; a FIFO without a reader fails (ENXIO), never blocks
        fd = os.open(target, _OPEN_WRITE_THROUGH)
    except OSError as ex:
        raise OperationalError(f"cannot write {what} through {p}: {_reason(ex)}", code=fail_code) from None
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError as ex:
        raise OperationalError(f"cannot write {what} through {p}: {_reason(ex)}", code=fail_code) from None
    finally:
        os.close(fd)
    return target


def _replace_atomically(p: Path, data: bytes, *, mode: int, fail_code: str, what: str) -> None:
    """A temporary file beside ``p``, fsync, rename over ``p``, fsync the folder: a reader sees the
    old file or the whole new one; a crash leaves the old file (or none), never a part."""
    parent = p.parent if str(p.parent) else Path(".")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
        tmp = None
        dfd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError as ex:
        raise OperationalError(f"cannot write {what} {p}: {_reason(ex)}", code=fail_code) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
