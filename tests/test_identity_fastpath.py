"""The usual-spelling shortcut of :func:`vvp.stir.identity.parse_identity` reads every value
exactly as the general character-by-character parser does: the same result, or the same error
(code and message), for values built from the pieces that make the grammar's edge cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzkit import fuzz_settings
from vvp.stir import identity as ident
from vvp.stir.identity import IdentityError, IdentityValue, parse_identity

_PIECES = ["eyJh", "a.b.c", "x", "_-", ";", ";;", "=", "<", ">", "<http://h/p>", "< http://h >", '"', '"q\\"x"',
           " ", "\t", "\r\n", ",", "info", "INFO", "alg", "ppt", "Ppt", "vvp", "EdDSA", "!%*+`'~", "é", "\u2003",
           "http://a:1/b?c=d", "[::1]", "<>", "<a<b>", "=<", "a=b"]


def _general(value: str) -> IdentityValue | tuple[str, str]:
    try:
        return ident._parse_identity(value, value.strip(" \t\r\n"))
    except IdentityError as e:
        return e.code, e.message


def _fast(value: str) -> IdentityValue | tuple[str, str]:
    try:
        return parse_identity(value)
    except IdentityError as e:
        return e.code, e.message


@pytest.mark.parametrize("value", [
    "a.b.c;info=<http://h/x>;alg=EdDSA;ppt=vvp", "a.b.c", " a.b.c ;ppt=vvp", "a.b.c;ppt=vvp;PPT=shaken",
    "a.b.c;flag;ppt=vvp", "a.b.c;ppt=", "a.b.c;info=<>", "a.b.c;info=<a b>", 'a.b.c;x="y"', "a.b.c;x=y,z",
    "a.b.c" + ";p=1" * 2 + "".join(f";n{i}" for i in range(40)), ";ppt=vvp", "", "a.b.c;info=http://h/x",
    "a.b.c;ALG=EdDSA;Info=<http://h/x>", "a.b.c;é=1", "a.b.c;x=<u>>",
])
def test_usual_spelling_reads_as_the_general_parser(value: str) -> None:
    assert _fast(value) == _general(value)


def test_shortcut_result_is_the_general_one() -> None:
    v = parse_identity("t.o.k;Info=<http://h/x>;alg=EdDSA;ppt=vvp;flag")
    assert v.token == "t.o.k" and v.info == "http://h/x" and v.alg == "EdDSA" and v.ppt == "vvp"
    assert v.params == (("info", "http://h/x"), ("alg", "EdDSA"), ("ppt", "vvp"), ("flag", None))


@given(st.lists(st.sampled_from(_PIECES), max_size=14))
@fuzz_settings(400)
def test_fuzz_shortcut_equals_general(pieces: list[str]) -> None:
    value = "".join(pieces)
    assert _fast(value) == _general(value)


@given(st.text(alphabet=st.sampled_from(list("ab.;=<>\" \t,_-\\é")), max_size=40))
@fuzz_settings(400)
def test_fuzz_characters_shortcut_equals_general(value: str) -> None:
    assert _fast(value) == _general(value)
