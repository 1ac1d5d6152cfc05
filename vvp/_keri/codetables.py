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

The block is counted (:class:`vvp._keri.patching.CountedPatch`): the tables are changed when the
first caller enters and restored when the last one leaves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
from collections.abc import Iterator
from typing import Any

from vvp._keri.patching import CountedPatch

_MODULES = ("keri.kering", "keri.core.coring", "keri.core.indexing", "keri.core.counting", "keri.core.signing")
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


_answers: dict[type, tuple[Any, Any]] | None = None


def _class_answers(classes: list[type]) -> dict[type, tuple[Any, Any]]:
    """For each table class, its ``__iter__`` and ``__contains__`` while the block is active.

    A class whose every instance in keri's modules holds the class's default values (keri makes
    each table once, with no arguments, and nowhere with others) answers from its defaults with
    C-level callables: the tuple's own ``__iter__`` and the frozenset's own ``__contains__``,
    bound to the values, which Python calls without the instance (they are not descriptors). That
    saves a Python call per question: a few thousand per dossier, about 0.3 us each. Other classes
    keep the per-instance functions :func:`_iter` and :func:`_contains`. The one difference from
    keri's linear search: an unhashable item raises TypeError instead of answering False; keri
    asks these tables about codes, which are strings."""
    out: dict[type, tuple[Any, Any]] = {}
    instances: dict[type, list[object]] = {}
    for name in _MODULES:
        for obj in vars(importlib.import_module(name)).values():
            if type(obj) in classes:
                instances.setdefault(type(obj), []).append(obj)
    for cls in classes:
        defaults = tuple(f.default for f in dataclasses.fields(cls))
        if all(dataclasses.astuple(x) == defaults for x in instances.get(cls, ())):  # type: ignore[call-overload]
            out[cls] = (defaults.__iter__, frozenset(defaults).__contains__)
        else:
            out[cls] = (_iter, _contains)
    return out


def _apply() -> None:
    global _classes, _answers
    if _classes is None:
        _classes = _tables()
    if _answers is None:
        _answers = _class_answers(_classes)
    for cls in _classes:
        _saved[cls] = (cls.__dict__["__iter__"], cls.__dict__.get("__contains__"))
        it, contains = _answers[cls]
        setattr(cls, "__iter__", it)
        setattr(cls, "__contains__", contains)


def _restore() -> None:
    for cls, (it, contains) in _saved.items():
        setattr(cls, "__iter__", it)
        if contains is None:
            with contextlib.suppress(AttributeError):
                delattr(cls, "__contains__")
        else:
            setattr(cls, "__contains__", contains)
    _saved.clear()


_PATCH = CountedPatch(_apply, _restore)


def fast_code_tables() -> contextlib.AbstractContextManager[None]:
    """keri's code tables answer ``iter`` and ``in`` from values made once (module docstring)."""
    return _PATCH.active()
