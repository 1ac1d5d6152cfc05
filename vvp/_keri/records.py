"""keri's database records turned into plain dicts without ``dataclasses.asdict``'s generic walk.

Each event keri accepts writes two records through its ``Komer`` databases (its key-state record
and its event-source record), each serialised as ``json.dumps(helping.dictify(record))``; keri's
``dictify`` is ``dataclasses.asdict``, a generic recursive copy (a ``deepcopy`` call per leaf):
about 0.4 ms of CPU for the 84 records of the test world's first dossier.

While :func:`fast_records` is active, ``helping.dictify`` builds the same dict with a walk that
knows the types those records hold (str, int, float, bool, None, list, dict and nested
dataclasses, all exact types): the same keys in the same order with equal values, so the same
JSON bytes in keri's store. A record holding anything else (or defining ``_ser``) goes to keri's
own ``dictify``. Outside the block keri runs exactly as shipped;
:func:`vvp._keri.baseline.bare_ingest` runs outside it. The block is counted
(:class:`vvp._keri.patching.CountedPatch`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from keri.help import helping

from vvp._keri.patching import CountedPatch

_original: Any = helping.dictify
_ATOMS = frozenset({str, int, float, bool, type(None)})
_names: dict[type, tuple[str, ...]] = {}


class _Other(Exception):
    """A value of a type the walk does not know: keri's dictify decides."""


def _names_of(cls: type) -> tuple[str, ...]:
    got = _names.get(cls)
    if got is None:
        got = _names[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return got


def _plain(obj: Any) -> Any:
    t = type(obj)
    if t in _ATOMS:
        return obj  # asdict's deepcopy of these returns the object itself
    if t is list:
        return [_plain(x) for x in obj]
    if t is dict:
        return {_plain(k): _plain(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(t):
        return {name: _plain(getattr(obj, name)) for name in _names_of(t)}
    raise _Other


def plain_dict(val: Any) -> Any:
    """keri's ``helping.dictify(val)``: the same dict (module docstring)."""
    if callable(getattr(val, "_ser", None)) or not dataclasses.is_dataclass(type(val)):
        return _original(val)
    try:
        return _plain(val)
    except _Other:
        return _original(val)


def _apply() -> None:
    helping.dictify = plain_dict


def _restore() -> None:
    helping.dictify = _original


_PATCH = CountedPatch(_apply, _restore)


def fast_records() -> contextlib.AbstractContextManager[None]:
    """``helping.dictify`` is :func:`plain_dict` inside the block (module docstring)."""
    return _PATCH.active()
