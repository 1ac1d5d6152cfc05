"""Goal codes (Aries RFC 0519 style, e.g. ``negotiate.schedule``) and their coverage by ``c_goal``.

A GCD's ``c_goal`` values are OR'd and each is matched "as if it had a trailing ``.*``"
(vvp-protocol.md §3.5): ``ops.telco`` covers ``ops.telco`` and ``ops.telco.send.sign``, but not
``ops.telcom``. A ``*`` segment inside a value matches exactly one segment (the -03 sample uses
``ops.telco.*.proxybrand``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_GOAL = re.compile(r"\A[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\Z")
_PATTERN = re.compile(r"\A(\*|[A-Za-z0-9_-]+)(\.(\*|[A-Za-z0-9_-]+))*(\.\*)?\Z")


def is_goal(text: str) -> bool:
    return bool(_GOAL.match(text))


def covers(pattern: str, goal: str) -> bool:
    """Whether one ``c_goal`` value covers ``goal`` (implicit trailing wildcard)."""
    if not _PATTERN.match(pattern) or not is_goal(goal):
        return False
    p = pattern.split(".")
    if p[-1] == "*" and len(p) > 1 and not pattern.endswith(".*.*"):
        p = p[:-1]  # an explicit trailing ".*" is the implicit one
    g = goal.split(".")
    if len(g) < len(p):
        return False
    return all(ps == "*" or ps == gs for ps, gs in zip(p, g, strict=False))


def covered_by_any(patterns: Iterable[str], goal: str) -> bool:
    return any(covers(p, goal) for p in patterns)
