"""Fuzzing the passport and context checks: no input raises, ids stay unique, tampering never passes."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tests._sip_fixtures import SIP_DIR
from tests._vvp_tokens import REF, T0, claims, evaluate, header, identity, make_token
from vvp import codes
from vvp.caller.context import check_context
from vvp.caller.passport import check_passport
from vvp.stir.sip import parse_sip
from vvp.verdict import Check, CheckStatus, Status, claim_status

SIP = parse_sip((SIP_DIR / "invite-compact-folded.sip").read_bytes())
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

_SCALAR = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
           | st.sampled_from(["EdDSA", "passport", "vvp", "JWT", "+17045550100", "https://h/oobi/x",
                              str(T0), "tel:+1", ""]))
_JSON = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["tn", "uri", "x"]) | st.text(max_size=4), inner, max_size=3), max_leaves=8)
_HEADER_KEYS = st.sampled_from(["alg", "typ", "ppt", "kid", "crit", "x5u", "b64"])
_CLAIM_KEYS = st.sampled_from(["orig", "dest", "evd", "iat", "exp", "card", "goal", "call-reason", "call_reason",
                               "origId", "origid", "jti"])


def _well_formed(checks: list[Check]) -> None:
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids)), ids
    assert all(codes.is_registered(c.code) for c in checks)
    assert all(c.message and len(c.message) < 400 for c in checks)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_any_text_gives_checks_not_exceptions(text: str) -> None:
    r = check_passport(text, reference_time=REF)
    _well_formed(list(r.checks))
    if r.passport is None:
        assert [c.id for c in r.checks] == ["X-PASSPORT-01"]
        assert r.checks[0].status is CheckStatus.FAIL


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_HEADER_KEYS, _JSON, max_size=4), st.dictionaries(_CLAIM_KEYS, _JSON, max_size=6),
       st.booleans(), st.integers(min_value=-100, max_value=400))
def test_fuzz_signed_arbitrary_claims(hdr_over: dict[str, object], claim_over: dict[str, object],
                                      cesr: bool, offset: int) -> None:
    """Arbitrary header and claim values, correctly signed: checks are coded, never raise."""
    tok = make_token(header(**hdr_over), claims(**{k.replace("-", "__"): v for k, v in claim_over.items()}),
                     cesr=cesr)
    ref = dt.datetime.fromtimestamp(T0 + offset, dt.UTC)
    checks = evaluate(identity(tok), ref=ref)
    _well_formed(checks)
    ctx = check_context(check_passport(tok, reference_time=ref).passport, sip=SIP, orig="+17045550100")
    _well_formed(ctx)


_VALID = make_token()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(_VALID) - 1), st.sampled_from(ALPHABET + ".=+/ ")),
                min_size=1, max_size=4))
def test_fuzz_tampering_never_valid(edits: list[tuple[int, str]]) -> None:
    chars = list(_VALID)
    for pos, c in edits:
        chars[pos] = c
    tampered = "".join(chars)
    if tampered == _VALID:
        return
    checks = evaluate(identity(tampered))
    _well_formed(checks)
    assert claim_status(checks).status is not Status.VALID
