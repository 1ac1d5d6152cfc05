"""The fuzz budget (issue 21): small in CI, larger on demand.

``tests/test_fuzz_*.py`` size every ``@settings(max_examples=...)`` with :func:`examples`, so the
whole fuzz set runs in about a minute on 2 cores by default (the CI smoke run). For a longer run
(nightly, or before a release) set ``VVP_FUZZ_SCALE``: every target's number of examples is
multiplied by it, e.g.::

    VVP_FUZZ_SCALE=50 .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_fuzz_*.py --timeout=0

Failing examples are not stored between runs (``database=None``): the CI run is deterministic in
what it checks (``derandomize``) unless ``VVP_FUZZ_SEED=random`` asks for fresh draws.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

SCALE_VAR = "VVP_FUZZ_SCALE"
SEED_VAR = "VVP_FUZZ_SEED"


def scale() -> float:
    """The multiplier from ``VVP_FUZZ_SCALE`` (default 1; bad values count as 1)."""
    try:
        value = float(os.environ.get(SCALE_VAR, "1"))
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def examples(n: int) -> int:
    """``n`` examples in the CI smoke run, ``n × VVP_FUZZ_SCALE`` otherwise."""
    return max(1, int(n * scale()))


def fuzz_settings(n: int, **kw: Any) -> Any:
    """``@settings`` for a fuzz target of ``n`` smoke examples: no deadline per example (the
    machine is shared), no example database, derandomized unless ``VVP_FUZZ_SEED=random``."""
    return settings(max_examples=examples(n), deadline=None, database=None,
                    derandomize=os.environ.get(SEED_VAR, "") != "random",
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture],
                    **kw)
