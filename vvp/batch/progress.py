"""Progress of a batch on stderr: rows done, rows/s, ETA and the statuses so far.

On a terminal it is a live bar (tqdm, redrawn in place); otherwise (a log file, CI, a pipe) one
plain line every :data:`LINE_INTERVAL_S` seconds and one at the end, so a log shows the run's pace
without being flooded. ``--no-progress`` prints neither; stdout is never used (``--json`` owns it).

The total is rarely known in advance (counting the rows of a 100 GB log would mean reading it
twice), so the ETA is estimated from how far into the input the reader is: bytes read of the
file's size (files read of the folder's count for SIP requests), scaled by the share of rows
read that are already answered. Durations come from a monotonic timer.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

LINE_INTERVAL_S = 10.0
"""How often a plain progress line is printed when stderr is not a terminal."""
STATUSES = ("VALID", "INVALID", "INDETERMINATE")


def _eta_text(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    s = int(seconds + 0.5)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}"


class Progress:
    """Tell a person how the batch is going (module docstring). ``mode``: ``bar``, ``lines`` or
    ``off``; ``auto`` picks ``bar`` when ``stream`` is a terminal."""

    def __init__(self, mode: str = "auto", *, stream: TextIO | None = None,
                 interval_s: float = LINE_INTERVAL_S) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if callable(isatty) and isatty() else "lines"
        self.mode = mode
        self.interval_s = interval_s
        self._t0 = time.monotonic()
        self._last_line = self._t0
        self._bar: Any = None
        self.done = 0
        self.skipped = 0

    def start(self, skipped: int) -> None:
        """The run starts (workers ready): ``skipped`` rows were done by an earlier run."""
        self._t0 = self._last_line = time.monotonic()
        self.skipped = skipped
        if self.mode == "bar":
            tqdm: Any = importlib.import_module("tqdm").tqdm  # as Any: tqdm ships no type hints

            self._bar = tqdm(total=None, unit="row", file=self.stream, dynamic_ncols=True, smoothing=0.1,
                             desc="vvp batch", mininterval=0.5)

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def rate(self) -> float:
        el = self.elapsed()
        return self.done / el if el > 0 else 0.0

    def _eta(self, fraction_read: float | None, read: int) -> float | None:
        if fraction_read is None or self.done == 0 or read == 0:
            return None
        answered = min(1.0, self.done / read)
        fraction_done = fraction_read * answered
        if fraction_done <= 0:
            return None
        el = self.elapsed()
        return el / fraction_done - el

    def update(self, *, done: int, read: int, fraction_read: float | None, statuses: Mapping[str, int],
               errors: int) -> None:
        """New totals: rows answered and read in this run, how far into the input the reader is
        (0..1, None when unknown), statuses of all rows (this run and earlier ones), row errors."""
        step = done - self.done
        self.done = done
        if self.mode == "off":
            return
        eta = self._eta(fraction_read, read)
        if self._bar is not None:
            if fraction_read is not None and read:
                est = int(read / max(fraction_read, 1e-9))
                if self._bar.total is None or abs(self._bar.total - est) > max(10, est // 100):
                    self._bar.total = max(est, done)
            self._bar.set_postfix_str(self._statuses(statuses, errors), refresh=False)
            self._bar.update(step)
            return
        now = time.monotonic()
        if now - self._last_line >= self.interval_s:
            self._last_line = now
            self._line(statuses, errors, eta)

    def _statuses(self, statuses: Mapping[str, int], errors: int) -> str:
        parts = [f"{s} {statuses.get(s, 0):,}" for s in STATUSES]
        parts.append(f"errors {errors:,}")
        return ", ".join(parts)

    def _line(self, statuses: Mapping[str, int], errors: int, eta: float | None, *, final: bool = False) -> None:
        rate = self.rate()
        head = "batch done" if final else "batch"
        skipped = f" (+{self.skipped:,} from an earlier run)" if self.skipped else ""
        tail = "" if final else f", ETA {_eta_text(eta)}"
        self.stream.write(f"{head}: {self.done:,} rows{skipped} in {_eta_text(self.elapsed())} "
                          f"({rate:,.0f} rows/s){tail}; {self._statuses(statuses, errors)}\n")
        self.stream.flush()

    def finish(self, *, statuses: Mapping[str, int], errors: int) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.mode != "off":
            self._line(statuses, errors, None, final=True)
