"""keri's code tables, iterated and searched without rebuilding them on every question.

keri keeps its CESR code tables (``MtrDex``, ``IdrDex``, ``CtrDex_1_0``, ``PreDex``...) as frozen
dataclasses whose ``__iter__`` is ``iter(astuple(self))``, and asks ``code in MtrDex`` many times
per event. Each such question rebuilds the table with ``dataclasses.astuple`` (a recursive copy of
every field): measured, about a fifth of keri's bare ingest of the test world's dossier (the
largest single cost in its profile, above the Ed25519 verifications). Nothing else is wrong with
those calls.

While :func:`fast_code_tables` is active, those tables answer ``iter`` from a tuple and ``in`` from
a frozenset made once per table instance: the same values, in the same order, for the same
questions. Only tables that are frozen dataclasses whose every field is a ``str`` are changed (a
table holding anything mutable would hand out shared objects), and only their ``__iter__`` and
``__contains__``. Outside the block keri runs exactly as shipped; :func:`vvp._keri.baseline.bare_ingest`
(the baseline the cold path is measured against) runs outside it.

The block is counted (re-entrant, thread-safe): the tables are changed when the first caller
enters and restored when the last one leaves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import threading
from collections.abc import Iterator
from typing import Any

_MODULES = ("keri.kering", "keri.core.coring", "keri.core.indexing", "keri.core.counting", "keri.core.signing")
_lock = threading.Lock()
_depth = 0
_saved: dict[type, tuple[Any, Any]] = {}
_values: dict[int, tuple[object, tuple[str, ...], frozenset[str]]] = {}
_classes: list[type] | None = None


def _tables() -> list[type]:
    """The code-table classes to speed up: frozen, every field a str default, ``__iter__`` being
    exactly ``iter(astuple(self))`` (checked by its code's names)."""
    out: list[type] = []
    for name in _MODULES:
        mod = importlib.import_module(name)
        for obj in vars(mod).values():
            if not (isinstance(obj, type) and obj.__module__ == name and dataclasses.is_dataclass(obj)):
                continue
            it = obj.__dict__.get("__iter__")
            code = getattr(it, "__code__", None)
            if code is None or code.co_names != ("iter", "astuple") or "__contains__" in obj.__dict__:
                continue
            if not obj.__dataclass_params__.frozen:  # type: ignore[attr-defined]
                continue
            if all(isinstance(f.default, str) for f in dataclasses.fields(obj)):
                out.append(obj)
    return out


def _entry(table: object) -> tuple[object, tuple[str, ...], frozenset[str]]:
    got = _values.get(id(table))
    if got is None or got[0] is not table:
        vals = tuple(dataclasses.astuple(table))  # type: ignore[call-overload]
        if not all(isinstance(v, str) for v in vals):  # an instance made with other values: keep keri's way
            raise TypeError("not a table of str codes")
        got = (table, vals, frozenset(vals))
        _values[id(table)] = got
    return got


def _iter(self: object) -> Iterator[str]:
    got = _values.get(id(self))
    if got is not None and got[0] is self:  # the common case inline: asked thousands of times per dossier
        return iter(got[1])
    try:
        return iter(_entry(self)[1])
    except TypeError:
        return iter(dataclasses.astuple(self))  # type: ignore[call-overload]


def _contains(self: object, item: object) -> bool:
    got = _values.get(id(self))
    try:
        if got is not None and got[0] is self:  # the common case inline (as in _iter)
            return item in got[2]
        return item in _entry(self)[2]
    except TypeError:  # unhashable item, or a table that is not all str: keri's own linear search
        return any(item == v for v in dataclasses.astuple(self))  # type: ignore[call-overload]


@contextlib.contextmanager
def fast_code_tables() -> Iterator[None]:
    """keri's code tables answer ``iter`` and ``in`` from values made once (module docstring)."""
    global _depth, _classes
    with _lock:
        if _depth == 0:
            if _classes is None:
                _classes = _tables()
            for cls in _classes:
                _saved[cls] = (cls.__dict__["__iter__"], cls.__dict__.get("__contains__"))
                setattr(cls, "__iter__", _iter)
                setattr(cls, "__contains__", _contains)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for cls, (it, contains) in _saved.items():
                    setattr(cls, "__iter__", it)
                    if contains is None:
                        with contextlib.suppress(AttributeError):
                            delattr(cls, "__contains__")
                    else:
                        setattr(cls, "__contains__", contains)
                _saved.clear()
