"""keri's pretty-printed event bodies, made only when a log line or message actually uses them.

keri logs each event it accepts with ``logger.debug("Event Body=\\n%s\\n", serder.pretty())``: the
argument is evaluated before the call, so every accepted event is serialised again as indented
JSON (``json.dumps(sad, indent=1)``) for a debug line that vvp never emits (its stores log at
WARNING, :func:`vvp._keri._store.fresh_store`). About a hundred such bodies per dossier of the test
world: roughly 0.5 ms of its first verification, for nothing.

While :func:`lazy_pretty` is active, ``Serder.pretty`` returns a :class:`LazyPretty` instead of
the string: an object whose ``str()`` (what ``%s``, ``{}``, ``format`` and ``print`` call) is
exactly the string keri's ``pretty`` would have returned, computed only when something asks for
it. Every use keri makes of ``pretty()`` is one of those (log arguments, ``str.format`` and
f-strings in exception messages); a log record or message built from it reads the same text.
Outside the block keri runs exactly as shipped; :func:`vvp._keri.baseline.bare_ingest` runs
outside it. The block is counted (:class:`vvp._keri.patching.CountedPatch`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from keri.core import serdering

from vvp._keri.patching import CountedPatch

_original: Any = None


class LazyPretty:
    """keri's ``serder.pretty(size=size)``, made when first turned into a string."""

    __slots__ = ("_serder", "_size", "_text")

    def __init__(self, serder: Any, size: int | None) -> None:
        self._serder = serder
        self._size = size
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = str(_original_pretty(self._serder, size=self._size))
        return self._text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return repr(str(self))


def _original_pretty(serder: Any, *, size: int | None = None) -> Any:
    fn = _original if _original is not None else serdering.Serder.__dict__["pretty"]
    return fn(serder, size=size)


def _lazy(self: Any, *, size: int | None = None) -> LazyPretty:
    return LazyPretty(self, size)


def _apply() -> None:
    global _original
    _original = serdering.Serder.__dict__["pretty"]
    serdering.Serder.pretty = _lazy


def _restore() -> None:
    serdering.Serder.pretty = _original


_PATCH = CountedPatch(_apply, _restore)


def lazy_pretty() -> contextlib.AbstractContextManager[None]:
    """``Serder.pretty`` made lazy inside the block (module docstring)."""
    return _PATCH.active()
