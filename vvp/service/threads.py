"""Names of a worker's threads as the operating system shows them (``top -H``, ``/proc/PID/task``).

Why: a worker runs an event loop, a group-commit writer, verification threads and fetch
threads; operations (and ``make bench-service``, which reports each worker's CPU per request by
thread) can only tell them apart if the kernel knows their names. CPython 3.13 names only the
Python object, so each thread names itself here (Linux ``prctl(PR_SET_NAME)``, 15 bytes at
most); elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Final

PR_SET_NAME: Final = 15
"""``prctl`` option number (linux/prctl.h)."""

_libc: ctypes.CDLL | None = None


def name_os_thread(name: str) -> None:
    """Give the calling thread ``name`` (cut to 15 bytes) in the kernel; never fails."""
    global _libc
    if not sys.platform.startswith("linux"):
        return
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode("ascii", "replace")[:15]), 0, 0, 0)
    except (OSError, AttributeError):
        pass
