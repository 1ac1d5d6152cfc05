""":func:`vvp.jose.loads_strict` scans a token's JSON with the decoder's scanner directly; the
outcome must be what the decoder's own ``decode`` gives (the reading before that shortcut): the
same value, or the same error code and message, on texts built from JSON's edge cases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzkit import fuzz_settings
from vvp import jose, strictjson
from vvp.jose import JoseError

_PIECES = ['{', '}', '[', ']', '"a"', '"b"', ':', ',', '1', '-0', '1e400', '2.5', 'NaN', 'true', 'null', ' ', '\n',
           '"\\ud800"', '"\\u00e9"', '\ufeff', 'x', '"', '{"a":1}', '{"a":1,"a":2}', '[1,2]', '9' * 30]


def _reference(data: bytes) -> Any:
    """The strict parse as it was read through ``JSONDecoder.decode``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "not utf-8"
    try:
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = jose._STRICT_DECODER.decode(text)
    except strictjson.DuplicateKeyError as e:
        return ("dup", e.key)
    except RecursionError:
        return "deep"
    except ValueError as e:
        return ("invalid", str(e)[:120])
    try:
        jose._check_tree(value, "JSON")
    except JoseError as e:
        return ("tree", e.code)
    return ("ok", value)


def _shortcut(data: bytes) -> Any:
    try:
        value = jose.loads_strict(data)
    except JoseError as e:
        if "not UTF-8" in e.message:
            return "not utf-8"
        if "repeats the key" in e.message:
            return ("dup", e.message.split("repeats the key ", 1)[1].strip("'\""))
        if "nests too deeply" in e.message:
            return "deep"
        if "is not valid JSON: " in e.message:
            return ("invalid", e.message.split("is not valid JSON: ", 1)[1])
        return ("tree", e.code)
    return ("ok", value)


@pytest.mark.parametrize("text", ['{"a":1}', ' {"a":1}', '{"a":1} ', '{"a":1}x', '{"a":1}{}', '', ' ', '{"a":1,"a":2}',
                                  '{"a":NaN}', '\ufeff{}', '[1e400]', '{"a":"\\ud800"}', '"s"', '{"a":', '{"a" 1}'])
def test_shortcut_reads_as_decode(text: str) -> None:
    assert _shortcut(text.encode("utf-8", "surrogatepass")) == _reference(text.encode("utf-8", "surrogatepass"))


@given(st.lists(st.sampled_from(_PIECES), max_size=12))
@fuzz_settings(400)
def test_fuzz_shortcut_reads_as_decode(pieces: list[str]) -> None:
    data = "".join(pieces).encode("utf-8")
    assert _shortcut(data) == _reference(data)
