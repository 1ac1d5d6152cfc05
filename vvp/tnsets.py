"""Sets of telephone numbers as TN allocation credentials state them, and their containment.

An allocation holds either a list of E.164 numbers (``numbers.tn``) or an inclusive range
(``numbers.rangeStart`` .. ``numbers.rangeEnd``) of numbers with the same digit count. The two
questions VVP asks are "is ``orig`` in it?" and "is this child allocation equal to or narrower
than its parent?" (V-17, V-22). Numbers are compared as E.164 digit strings without ``+``; a
range is meaningful only between numbers of equal length, so ranges of unequal length are
rejected rather than compared numerically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_E164 = re.compile(r"\A\+?[0-9]{7,15}\Z")
MAX_LISTED = 100_000  # a list longer than this is not an allocation a verifier should walk


class TnSetError(ValueError):
    """The ``numbers`` block is malformed."""


def _digits(tn: object) -> str:
    if not isinstance(tn, str) or not _E164.match(tn):
        raise TnSetError(f"not an E.164 number: {tn!r}")
    return tn.lstrip("+")


@dataclass(frozen=True, slots=True)
class TnSet:
    """Either ``listed`` numbers or one inclusive ``(start, end)`` range, as digit strings."""

    listed: frozenset[str] = frozenset()
    ranges: tuple[tuple[str, str], ...] = ()

    def contains(self, tn: str) -> bool:
        d = tn.lstrip("+")
        if d in self.listed:
            return True
        return any(len(a) == len(d) and a <= d <= b for a, b in self.ranges)

    def within(self, parent: TnSet) -> bool:
        """Every number of ``self`` is in ``parent``."""
        if not all(parent.contains(t) for t in self.listed):
            return False
        for a, b in self.ranges:
            if not any(len(pa) == len(a) and pa <= a and b <= pb for pa, pb in parent.ranges):
                # a range can also be covered by a parent list only if tiny; enumerate at most 1000
                if len(a) != len(b) or int(b) - int(a) > 1000:
                    return False
                if not all(parent.contains(str(n).zfill(len(a))) for n in range(int(a), int(b) + 1)):
                    return False
        return True

    def describe(self) -> str:
        parts = [f"+{t}" for t in sorted(self.listed)[:5]] + [f"+{a}..+{b}" for a, b in self.ranges]
        more = "" if len(self.listed) <= 5 else f" (+{len(self.listed) - 5} more)"
        return ", ".join(parts) + more


def from_numbers(numbers: Any) -> TnSet:
    """Build a TnSet from a TN allocation's ``a.numbers`` block."""
    if not isinstance(numbers, Mapping):
        raise TnSetError("numbers must be an object")
    listed: set[str] = set()
    ranges: list[tuple[str, str]] = []
    if "tn" in numbers:
        tns = numbers["tn"]
        if isinstance(tns, str):
            tns = [tns]
        if not isinstance(tns, list) or not tns or len(tns) > MAX_LISTED:
            raise TnSetError("numbers.tn must be a non-empty list")
        listed = {_digits(t) for t in tns}
    if "rangeStart" in numbers or "rangeEnd" in numbers:
        a, b = _digits(numbers.get("rangeStart")), _digits(numbers.get("rangeEnd"))
        if len(a) != len(b) or a > b:
            raise TnSetError(f"range +{a}..+{b} is not an ordered range of equal-length numbers")
        ranges.append((a, b))
    if not listed and not ranges:
        raise TnSetError("numbers holds neither tn nor rangeStart/rangeEnd")
    return TnSet(frozenset(listed), tuple(ranges))
