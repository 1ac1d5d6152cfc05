"""Time: the only module that reads the wall clock, and the parsing/formatting of TIME values.

A verification takes one reference time as input and passes it down; nothing below the front
ends asks "what time is it?". Monotonic timers for timeouts are fine anywhere (they measure
durations, not dates). Verdicts print times as RFC 3339 UTC with ``Z``.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Protocol

from vvp import codes
from vvp.errors import UsageError

UTC = _dt.UTC


class Clock(Protocol):
    def now(self) -> _dt.datetime: ...


class SystemClock:
    """The wall clock. Used by front ends to default the reference time to "now"."""

    def now(self) -> _dt.datetime:
        return _dt.datetime.now(UTC)


class FixedClock:
    """A clock stopped at one instant (tests, replays, the deterministic test world)."""

    def __init__(self, at: _dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> _dt.datetime:
        return self._at


def now() -> _dt.datetime:
    """The current UTC time: the single place vvp reads the wall clock."""
    return SystemClock().now()


_UNIX = re.compile(r"\A-?\d{1,12}(\.\d{1,9})?\Z")


def parse_time(value: str) -> _dt.datetime:
    """Parse a TIME argument: RFC 3339 (offset required, ``Z`` allowed) or Unix seconds.

    Every refusal is a :class:`UsageError` (exit 2) with a code, never an internal error: an empty
    value is ``TIME_INVALID`` (it never silently means "now"); a well-formed time outside what
    ``datetime`` holds in UTC (year 1 with a positive offset, year 9999 with a negative one,
    ±10¹² Unix seconds) is ``TIME_OUT_OF_RANGE``."""
    v = value.strip()
    if not v:
        raise UsageError("TIME is empty: give RFC 3339 or Unix seconds (leave the option out for now)",
                         code=codes.TIME_INVALID)
    if _UNIX.match(v):
        try:
            return _dt.datetime.fromtimestamp(float(v), UTC)
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"Unix seconds {value!r} are outside the years 1 to 9999",
                             code=codes.TIME_OUT_OF_RANGE) from None
    try:
        t = _dt.datetime.fromisoformat(v.replace("z", "Z"))
    except ValueError:
        raise UsageError(f"not RFC 3339 or Unix seconds: {value!r}", code=codes.TIME_INVALID) from None
    if t.tzinfo is None:
        raise UsageError(f"RFC 3339 time needs an offset or Z: {value!r}", code=codes.TIME_INVALID)
    try:
        return t.astimezone(UTC)
    except (ValueError, OverflowError):
        raise UsageError(f"{value!r} is outside the years 1 to 9999 once converted to UTC",
                         code=codes.TIME_OUT_OF_RANGE) from None


def from_unix(seconds: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(seconds, UTC)


def to_unix(t: _dt.datetime) -> float:
    return t.timestamp()


def rfc3339(t: _dt.datetime) -> str:
    """RFC 3339 UTC with ``Z``; sub-second digits only when there are some.

    ``isoformat`` writes the same text as the ``strftime`` forms for years from 1000 (it
    zero-pads earlier years, which ``%Y`` does not), at half the cost: a record writes a few
    times per call."""
    u = t if t.tzinfo is UTC else t.astimezone(UTC)  # the usual case: already UTC (same instant, same text)
    if u.year >= 1000:
        return u.isoformat()[:-6] + "Z"  # "...+00:00" -> "...Z"; microseconds only when non-zero
    if u.microsecond:
        return u.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return u.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_keri_datetime(value: str) -> _dt.datetime:
    """Parse a KERI/ACDC ISO-8601 datetime (``2026-11-23T22:09:41.360588+00:00``) to aware UTC."""
    t = _dt.datetime.fromisoformat(value)
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC)
