"""keri's code tables inside :func:`vvp._keri.codetables.fast_code_tables` answer as keri's own.

Every table class the block changes: iteration gives keri's values in keri's order, membership
agrees with keri's linear search for every code and for strings that are not codes, and after
the block keri's own methods are back.
"""

from __future__ import annotations

import dataclasses
import importlib

from vvp._keri import codetables


def _instances() -> list[object]:
    out: list[object] = []
    for name in codetables._MODULES:
        for obj in vars(importlib.import_module(name)).values():
            if dataclasses.is_dataclass(obj) and not isinstance(obj, type) and type(obj) in codetables._tables():
                out.append(obj)
    return out


def test_tables_answer_as_keri_inside_the_block() -> None:
    tables = _instances()
    assert len(tables) > 10
    expected = {id(t): tuple(dataclasses.astuple(t)) for t in tables}  # type: ignore[call-overload]
    with codetables.fast_code_tables():
        for t in tables:
            vals = expected[id(t)]
            assert tuple(iter(t)) == vals  # type: ignore[call-overload]
            assert all(v in t for v in vals)  # type: ignore[operator]
            for miss in ("", "not-a-code", "ZZZZ", vals[0] + "x" if vals else "x"):
                assert (miss in t) == (miss in vals)  # type: ignore[operator]
        with codetables.fast_code_tables():  # re-entrant
            assert all(tuple(iter(t)) == expected[id(t)] for t in tables)  # type: ignore[call-overload]
    for cls in {type(t) for t in tables}:
        assert "__contains__" not in cls.__dict__
        assert cls.__dict__["__iter__"].__code__.co_names == ("iter", "astuple")
    assert all(tuple(iter(t)) == expected[id(t)] for t in tables)  # type: ignore[call-overload]
