"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) at C speed, and exactly.

Why it matters: a forensic record's id is the SHA-256 of its canonical bytes and the verifier
signs those bytes, so one differing byte makes a good record look tampered with. Why it must be
fast: a long-lived front end writes one record per call, and serialising a 113 KB record in pure
Python cost about 2 ms, fifteen times the verification it records.

Two serialisers, one definition:

* **The reference** is the ``rfc8785`` package (a direct transcription of the RFC, with the
  reference implementation's number formatting). It defines the output, and it is the only
  serialiser used when the fast path cannot be proven identical.
* **The fast path** is ``orjson`` with sorted keys and 53-bit integers. It is used only for
  values on which its output is the reference's, byte for byte, which holds because:

  1. every node is exactly a ``dict``, ``list``, ``tuple``, ``str``, ``int``, ``bool`` or
     ``None`` (:func:`_plain`; no ``float``: orjson writes ``5.0`` where ECMAScript writes ``5``
     and ``null`` for NaN; no subclasses or other mappings, which the reference treats its own way);
  2. integers: both write decimal digits; ``OPT_STRICT_INTEGER`` refuses exactly what the
     reference refuses (beyond ±(2**53 - 1)), and a refusal sends the value to the reference
     path, which accepts only the few such integers that are canonical doubles (:func:`_big_int`);
  3. strings: orjson escapes exactly what RFC 8785 §3.2.2.2 escapes (``"``, ``\\``, ``\\b``
     ``\\f`` ``\\n`` ``\\r`` ``\\t``, other C0 controls as lower-case ``\\u00xx``, nothing else)
     and refuses lone surrogates; ``tests/test_canonical.py`` checks this for every Unicode
     scalar value;
  4. key order: orjson sorts keys by their UTF-8 bytes, which is code point order (the fuzz
     tests compare it with the reference on keys from every plane); RFC 8785
     sorts by UTF-16 code units. At the first code point where two keys differ, both orders
     agree unless one is outside the BMP (a surrogate pair, lead unit D800-DBFF) and the other
     is U+E000-U+FFFF. So the fast output is kept only when no key holds a character outside the
     BMP: if the output has no 4-byte UTF-8 sequence (no byte F0-F4) no key can hold one, and
     otherwise the keys are looked at (:func:`_keys_in_bmp`).

Anything else (floats, subclasses, mappings that are not dicts, non-BMP keys, refusals) goes to
the reference, which also gives every refusal its :class:`ValueError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson
import rfc8785

_FAST_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_NON_BMP_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")
_NoneType = type(None)
_SAFE_INT = 2 ** 53 - 1

def _plain(value: Any) -> bool:
    """Whether every node of ``value`` is exactly a dict, list, tuple, str, int, bool or None
    (iterative; dict keys are left to the serialiser, which refuses non-string keys on both
    paths)."""
    t = type(value)
    if t is not dict and t is not list and t is not tuple:
        return t is str or t is int or t is bool or t is _NoneType
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        for v in (node.values() if type(node) is dict else node):
            t = type(v)
            if t is str:
                continue
            if t is dict or t is list or t is tuple:
                push(v)
            elif not (t is int or t is _NoneType or t is bool):
                return False
    return True


def _dict_keys(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            yield from node
            stack.extend(v for v in node.values() if type(v) in (dict, list, tuple))
        else:
            stack.extend(v for v in node if type(v) in (dict, list, tuple))


def _keys_in_bmp(value: Any) -> bool:
    return all(k.isascii() or max(k) < "\U00010000" for k in _dict_keys(value))


_COMPACT_MAX = 16 * 1024
"""orjson's results up to this size are copied into an object of their own size (below)."""


def _fast(value: Any) -> bytes | None:
    """orjson's bytes when they are provably the reference's (module docstring), else None.

    orjson returns a bytes object whose allocation is many times its length (measured with
    tracemalloc on orjson 3.13: 4 KiB held for 100 bytes, 16 KiB for 1.1 KB), and canonical bytes
    are kept: in the record's check memo, the store's memo of recurring parts, cached results. A
    service worker's memory grew by hundreds of MiB that way; small results (the ones kept in
    numbers) are therefore copied compact, for well under a microsecond each."""
    try:
        out = orjson.dumps(value, option=_FAST_OPTIONS)
    except orjson.JSONEncodeError:
        return None  # a lone surrogate, an integer beyond 2**53, nesting deeper than orjson goes
    if out.isascii() or not any(lead in out for lead in _NON_BMP_LEADS) or _keys_in_bmp(value):
        return bytes(memoryview(out)) if len(out) <= _COMPACT_MAX else out
    return None


def _big_int(v: int) -> float:
    """An integer beyond ±(2**53 - 1) as the JSON number it stands for, or ValueError.

    RFC 8785 numbers are IEEE 754 doubles; the ``rfc8785`` package refuses every integer beyond
    ±(2**53 - 1), even those a double holds exactly. But such integers are what a JSON parser
    returns for the canonical form of some doubles (2.0**53 is written ``9007199254740992``,
    2.0**68 ``295147905179352830000``, Appendix B), so refusing them would make a record that
    was written unreadable. An integer is therefore accepted when its decimal digits are already
    the canonical form of the double nearest to it (its bytes are then canonical, and read back
    as the same integer), and refused otherwise (10**30 would become ``1e+30``, a different value).
    """
    try:
        f = float(v)
    except OverflowError:
        raise ValueError(f"{v} is beyond the range of a JSON number") from None
    if rfc8785.dumps(f) != str(int(v)).encode("ascii"):
        raise ValueError(f"{v} is beyond ±(2**53 - 1) and is not the canonical form of a JSON number")
    return f


def _for_reference(value: Any) -> Any:
    """``value`` in the types the reference takes: mappings as dicts, tuples as lists, integers
    beyond ±(2**53 - 1) as their doubles (:func:`_big_int`), recursively."""
    if isinstance(value, Mapping):
        return {k: _for_reference(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_for_reference(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -_SAFE_INT <= value <= _SAFE_INT:
        return _big_int(value)
    return value


def _reference(value: Any) -> bytes:
    try:
        return rfc8785.dumps(_for_reference(value))
    except RecursionError:
        raise ValueError("canonical JSON: the value nests too deeply") from None


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of a JSON value: keys sorted by UTF-16 code units, no
    insignificant whitespace, ECMAScript numbers, minimal string escapes, UTF-8.

    Accepts dicts (and other mappings) with string keys, lists and tuples, strings, integers
    within ±(2**53 - 1) (and larger ones already in canonical form, :func:`_big_int`), finite
    floats, booleans and ``None``. Anything else (NaN, infinities, other large integers, lone
    surrogates, non-string keys, other types) raises :class:`ValueError`. Whatever it returns
    parses back (``json.loads``) to a value it maps to the same bytes.
    """
    if _plain(value):
        out = _fast(value)
        if out is not None:
            return out
    return _reference(value)


def canonical_json_of_plain(value: Any) -> bytes:
    """:func:`canonical_json` of a value whose caller has already made sure, while building it,
    that every container is a ``dict``, ``list`` or ``tuple`` and every leaf a ``str`` (or
    subclass), ``int``, ``bool`` or ``None`` (no ``float``): the walk of :func:`_plain` is then
    skipped, and the rest (integers beyond 2**53, lone surrogates, keys beyond the BMP) is
    handled exactly as by :func:`canonical_json`. For the parts of a record vvp assembles
    itself on every call (evidence entries, manifest, checks), where the walk would cost more
    than the serialisation."""
    out = _fast(value)
    return out if out is not None else _reference(value)


def canonical_object(members: Mapping[str, bytes], *, trailer: bytes = b"") -> bytes:
    """The canonical JSON of an object whose members' values are already canonical JSON bytes,
    followed by ``trailer`` (a record file's newline).

    RFC 8785 is compositional: an object's canonical form is its members, sorted by the UTF-16
    code units of their keys, each as the canonical key, a colon and the canonical value. So a
    record can be serialised once in parts and the parts joined in more than one way (its
    signed content, and its file with ``id`` and ``signature`` added), each exactly canonical.
    The bytes are joined once (a record's members are about 100 KB).
    """
    if not all(isinstance(k, str) for k in members):
        raise ValueError("canonical JSON object keys must be strings")
    keys = sorted(members)
    if not all(k.isascii() for k in keys):  # code point order is UTF-16 order for ASCII keys
        keys.sort(key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    parts = [b"{"]
    known = _KEYS
    for k in keys:
        kb = known.get(k) if type(k) is str else None
        parts += (kb if kb is not None else _key(k), members[k])
    if len(parts) > 1:
        parts[1] = parts[1][1:]  # no comma before the first member
    parts += (b"}", trailer)
    return b"".join(parts)


def canonical_object_parts(members: Mapping[str, bytes | Sequence[bytes]]) -> list[bytes]:
    """:func:`canonical_object` as the list of byte strings that joined make it, each member's
    value given as bytes or as a sequence of byte strings (itself canonical JSON when joined):
    for a caller that hashes or compresses the object where its parts lie instead of copying a
    30 KB record into one string (:func:`vvp.record.build_record`)."""
    if not all(isinstance(k, str) for k in members):
        raise ValueError("canonical JSON object keys must be strings")
    keys = sorted(members)
    if not all(k.isascii() for k in keys):
        keys.sort(key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    parts = [b"{"]
    known = _KEYS
    for i, k in enumerate(keys):
        kb = known.get(k) if type(k) is str else None
        if kb is None:
            kb = _key(k)
        parts.append(kb[1:] if i == 0 else kb)
        v = members[k]
        if isinstance(v, bytes):
            parts.append(v)
        else:
            parts += v
    parts.append(b"}")
    return parts


_KEYS: dict[str, bytes] = {}
"""``,"name":`` of member names already seen (a record has a dozen, the same every time)."""
_KEYS_MAX = 4096


def _key(k: str) -> bytes:
    """A member name as canonical JSON, preceded by a comma and followed by a colon: a string
    alone has no order or number to get wrong, so orjson's escaping (module docstring, point 3)
    is the whole of it; a lone surrogate or a non-string goes to :func:`canonical_json`, which
    refuses it. Remembered for the next object (up to :data:`_KEYS_MAX` names)."""
    if type(k) is str:
        try:
            out = b"," + orjson.dumps(k) + b":"
        except orjson.JSONEncodeError:
            pass
        else:
            if len(_KEYS) < _KEYS_MAX:
                _KEYS[k] = out
            return out
    return b"," + canonical_json(k) + b":"
