"""Identity header values (RFC 8224 §4) and routing by ppt (vvp/stir/identity.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests._vvp_tokens import header, make_token, seg
from vvp import codes
from vvp.stir.identity import (
    MAX_IDENTITY_PARAMS, MAX_IDENTITY_VALUES, IdentityError, PptKind, PptSource, classify, parse_identity,
    route_identities, split_header_values,
)

TOK = make_token()
SHAKEN = seg({"alg": "ES256", "ppt": "shaken", "typ": "passport"}) + "." + seg({"attest": "A"}) + "." + "A" * 86
NO_PPT = seg({"alg": "ES256", "typ": "passport"}) + ".e30." + "A" * 86


def test_full_value() -> None:
    v = parse_identity(f"{TOK};info=<https://x.example/info?a=1;b=2>;alg=EdDSA;ppt=vvp")
    assert v.token == TOK and v.info == "https://x.example/info?a=1;b=2" and v.alg == "EdDSA" and v.ppt == "vvp"
    assert v.params == (("info", "https://x.example/info?a=1;b=2"), ("alg", "EdDSA"), ("ppt", "vvp"))


def test_bare_token_and_no_info_accepted() -> None:
    v = parse_identity(TOK)
    assert (v.token, v.info, v.alg, v.ppt, v.params) == (TOK, None, None, None, ())
    assert parse_identity(f"{TOK};ppt=vvp").ppt == "vvp"


def test_whitespace_quotes_case_and_flags() -> None:
    v = parse_identity(f"  {TOK} ;\tINFO = < https://x.example/ > ; PPT=\"vvp\" ;Alg=EdDSA;flag;x-ext=\"a\\\"b\"  ")
    assert v.info == "https://x.example/" and v.ppt == "vvp" and v.alg == "EdDSA"
    assert v.has_param("flag") and v.param("flag") is None and v.param("X-EXT") == 'a"b'


def test_bare_info_url_accepted() -> None:
    assert parse_identity(f"{TOK};info=https://x.example/info;ppt=vvp").info == "https://x.example/info"


@pytest.mark.parametrize("value", [
    "", "   ", ";ppt=vvp", f"{TOK};", f"{TOK};=vvp", f"{TOK};ppt=", f"{TOK};ppt=vvp;ppt=shaken",
    f"{TOK};PPT=vvp;ppt=vvp", f"{TOK} junk", f"{TOK};info=<https://x", f"{TOK};info=<>", f"{TOK};x=\"open",
    f"{TOK}, {TOK}", f"{TOK}=", "tok+en", f"{TOK};info=<a b>", f"{TOK};p=<",
    TOK + "".join(f";p{i}=1" for i in range(MAX_IDENTITY_PARAMS + 1)),
])
def test_malformed_values_refused(value: str) -> None:
    with pytest.raises(IdentityError) as ei:
        parse_identity(value)
    assert ei.value.code == codes.IDENTITY_MALFORMED


def test_split_header_values() -> None:
    a, b = f"{TOK};info=<https://x/a,b>;ppt=vvp", f'{SHAKEN};ppt="sha,ken"'
    assert split_header_values(f"{a} ,  {b}") == [a, b]
    assert split_header_values(f"{a},,") == [a]
    assert split_header_values("") == []


# --- routing ----------------------------------------------------------------------------------

def test_route_by_param_then_header() -> None:
    r = route_identities([f"{TOK};ppt=vvp", SHAKEN, f"{SHAKEN};ppt=rcd", TOK, NO_PPT, f"{TOK};ppt=div", "bad value"])
    kinds = [(x.kind, x.ppt, x.ppt_source) for x in r.routed]
    assert kinds == [(PptKind.VVP, "vvp", PptSource.PARAM), (PptKind.SHAKEN, "shaken", PptSource.HEADER),
                     (PptKind.RCD, "rcd", PptSource.PARAM), (PptKind.VVP, "vvp", PptSource.HEADER),
                     (PptKind.OTHER, None, None), (PptKind.OTHER, "div", PptSource.PARAM)]
    assert len(r.vvp) == 2 and len(r.shaken) == 1 and len(r.rcd) == 1 and len(r.other) == 2
    assert [(m.raw, m.code) for m in r.malformed] == [("bad value", codes.IDENTITY_MALFORMED)]


def test_route_param_is_case_insensitive_and_wins_over_header() -> None:
    assert classify(parse_identity(f"{TOK};ppt=VVP")).kind is PptKind.VVP
    assert classify(parse_identity(f"{TOK};ppt=shaken")).kind is PptKind.SHAKEN


def test_route_unreadable_header_is_other_with_code() -> None:
    r = classify(parse_identity("e31.e30.AA"))
    assert (r.kind, r.ppt, r.header_error) == (PptKind.OTHER, None, codes.JOSE_BASE64_INVALID)
    r = classify(parse_identity(seg(header(ppt=5)) + ".e30.AA"))
    assert (r.kind, r.ppt, r.header_error) == (PptKind.OTHER, None, None)


def test_route_caps_the_number_of_values() -> None:
    r = route_identities([TOK] * (MAX_IDENTITY_VALUES + 2))
    assert len(r.routed) == MAX_IDENTITY_VALUES and len(r.malformed) == 2


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_parse_identity_only_raises_identity_error(text: str) -> None:
    try:
        v = parse_identity(text)
    except IdentityError as e:
        assert e.code == codes.IDENTITY_MALFORMED
    else:
        assert v.token and text.strip().startswith(v.token)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab.;=<>\"\\, \tppt=vvp")), max_size=40), max_size=5))
def test_fuzz_route_never_raises(values: list[str]) -> None:
    r = route_identities(values)
    assert len(r.routed) + len(r.malformed) == len(values)
