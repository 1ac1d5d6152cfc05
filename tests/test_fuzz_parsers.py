"""Fuzzing every parser of outside input (issue 21): the Identity header, JOSE, SIP, the trust
store, the evidence map, records, strict JSON, batch rows and the service's JSON bodies.

The property is the same everywhere: any input gives a result or the parser's own coded error
(a registered code), never another exception, never a hang. Budget: ``tests/fuzzkit.py``
(``VVP_FUZZ_SCALE`` for a longer run).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests._sip_fixtures import SIP_DIR
from tests._vvp_tokens import make_token
from tests.fuzzkit import fuzz_settings
from vvp import codes, strictjson
from vvp.errors import ConfigError, VvpError
from vvp.fetch import parse_map
from vvp.jose import JoseError, loads_strict, parse_compact
from vvp.record import Record, RecordBroken, check_signature
from vvp.stir.identity import IdentityError, parse_identity, route_identities
from vvp.stir.sip import SipError, parse_sip
from vvp.trust import parse_trust_store

REPO = Path(__file__).resolve().parents[1]
TOKEN = make_token()
SIP_SAMPLES = [p.read_bytes() for p in sorted(SIP_DIR.glob("*.sip"))]
RECORDS = tuple(p.read_bytes() for p in (REPO / "fixtures" / "records" / "valid.json",
                                          REPO / "fixtures" / "records" / "v2" / "valid.json",
                                          REPO / "fixtures" / "records" / "v3" / "valid.json") if p.exists())

_SCALAR = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
_JSON = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def _coded(ex: VvpError) -> None:
    assert codes.is_registered(ex.code), ex.code
    assert ex.message


def _mutate(data: bytes, draw: Any) -> bytes:
    """Flip, insert, delete or truncate a few bytes of ``data``."""
    b = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if not b:
            break
        i = draw(st.integers(0, len(b) - 1))
        if op == "flip":
            b[i] = draw(st.integers(0, 255))
        elif op == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del b[i:i + draw(st.integers(1, 8))]
        else:
            del b[i:]
    return bytes(b)


# ---------------------------------------------------------------------------------------------
# Identity header


_IDENTITY_PIECES = st.sampled_from([TOKEN, ";", "info=", "<https://h/x>", "alg=EdDSA", "ppt=vvp", "ppt=\"vvp\"",
                                    " ", "\t", "\"", "<", ">", ",", "=", "a", "\r\n", "ppt", ";ppt=shaken"])


@fuzz_settings(400)
@given(st.lists(_IDENTITY_PIECES, max_size=12).map("".join) | st.text(max_size=400))
def test_fuzz_identity_value_parses_or_is_a_coded_error(value: str) -> None:
    try:
        iv = parse_identity(value)
    except IdentityError as ex:
        _coded(ex)
        return
    assert iv.token and re.fullmatch(r"[A-Za-z0-9_.=-]+|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){2}", iv.token) is not None \
        or iv.token


@fuzz_settings(200)
@given(st.lists(st.text(max_size=200) | st.just(f"{TOKEN};info=<https://h/x>;alg=EdDSA;ppt=vvp"), max_size=8))
def test_fuzz_identity_routing_never_raises(values: list[str]) -> None:
    routing = route_identities(values)
    assert routing is not None


# ---------------------------------------------------------------------------------------------
# JOSE


@fuzz_settings(400)
@given(st.data())
def test_fuzz_jose_compact_parses_or_is_a_coded_error(data: st.DataObject) -> None:
    token = data.draw(st.text(max_size=300) | st.just(TOKEN).map(
        lambda t: _mutate(t.encode(), data.draw).decode("latin-1")))
    try:
        parse_compact(token)
    except JoseError as ex:
        _coded(ex)


@fuzz_settings(300)
@given(st.binary(max_size=300) | _JSON.map(lambda v: json.dumps(v).encode()))
def test_fuzz_jose_strict_json_parses_or_is_a_coded_error(raw: bytes) -> None:
    try:
        loads_strict(raw)
    except JoseError as ex:
        _coded(ex)


# ---------------------------------------------------------------------------------------------
# SIP


@fuzz_settings(300)
@given(st.data())
def test_fuzz_sip_parses_or_is_a_coded_error(data: st.DataObject) -> None:
    raw = data.draw(st.binary(max_size=400) | st.sampled_from(SIP_SAMPLES).map(lambda s: _mutate(s, data.draw)))
    try:
        parse_sip(raw)
    except SipError as ex:
        _coded(ex)


# ---------------------------------------------------------------------------------------------
# Trust store and evidence map

_TRUST_KEYS = st.sampled_from(["version", "roots", "schemas", "schema_roles", "sti_pa", "sti_crl_signers", "policy",
                               "foreign", "witnesses", "x"])
_POLICY_KEYS = st.sampled_from(["fetch_timeout_s", "fetch_max_bytes", "clock_skew_s", "crl", "brand_failure",
                                "allow_private_addresses", "min_issuer_witnesses", "replay_window_s", "bogus"])
# Paths a hostile trust store may name (never "/" or a big folder here: walking a real tree is
# test_security_files' job, with a folder made for it).
_PATHS = st.sampled_from(["/dev/zero", "/dev/null", ".", "..", "", "absent.pem", "a/../../b", "/proc/self/fd/0"])
_VALUE = (_JSON | _PATHS | st.lists(_PATHS, max_size=3) | st.sampled_from([10**400, 1e308, -1, 0, 1.0, True])
          | st.dictionaries(_POLICY_KEYS, _SCALAR | st.sampled_from([10**400, 1e12, -5, "strict"]), max_size=3)
          | st.dictionaries(st.sampled_from(["identity", "tn", "brand", "x509", "contexts"]),
                            st.lists(st.text(max_size=10), max_size=2), max_size=3))


@fuzz_settings(300)
@given(st.dictionaries(_TRUST_KEYS, _VALUE, max_size=5) | _JSON)
def test_fuzz_trust_store_parses_or_is_a_coded_error(data: Any) -> None:
    try:
        parse_trust_store(data, base=Path("/nonexistent-vvp-fuzz"))
    except VvpError as ex:  # ConfigError, or an operational error naming a file
        _coded(ex)


@fuzz_settings(300)
@given(st.dictionaries(st.text(max_size=20), _VALUE | st.fixed_dictionaries(
    {"path": _PATHS}, optional={"content_type": st.text(max_size=10) | st.integers()}), max_size=5) | _JSON)
def test_fuzz_evidence_map_parses_or_is_a_coded_error(data: Any) -> None:
    try:
        parse_map(data, Path("/nonexistent"))
    except ConfigError as ex:
        _coded(ex)


# ---------------------------------------------------------------------------------------------
# Records


@fuzz_settings(150)
@given(st.data())
def test_fuzz_record_bytes_are_refused_unless_intact(data: st.DataObject) -> None:
    good = data.draw(st.sampled_from(RECORDS))
    raw = _mutate(good, data.draw)
    assume(raw != good and raw != good.rstrip(b"\n"))
    try:
        rec = Record.from_bytes(raw)
    except RecordBroken as ex:
        _coded(ex)
        return
    # Accepted: the mutation can only have touched what the id does not cover (the signature),
    # and then the signature must fail.
    original = Record.from_bytes(good)
    assert rec.id == original.id
    assert rec.content_bytes() == original.content_bytes()
    assert not check_signature(rec).ok


@fuzz_settings(100)
@given(_JSON)
def test_fuzz_record_json_of_any_shape_is_refused_with_a_code(value: Any) -> None:
    with pytest.raises(RecordBroken) as ei:
        Record.from_bytes(json.dumps(value).encode())
    _coded(ei.value)


# ---------------------------------------------------------------------------------------------
# Strict JSON: the depth limit agrees with a plain recursive count


def _depth(v: Any) -> int:
    if isinstance(v, list):
        return 1 + max((_depth(x) for x in v), default=0)
    if isinstance(v, dict):
        return 1 + max((_depth(x) for x in v.values()), default=0)
    return 0


_BRACKETY = st.text(alphabet='[]{}"\\ab', max_size=6)
_DEEP = st.recursive(st.none() | _BRACKETY | st.integers(),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_BRACKETY, inner, max_size=3),
                     max_leaves=30)


@fuzz_settings(400)
@given(_DEEP, st.integers(0, 12), st.booleans())
def test_fuzz_strict_json_depth_limit_matches_the_real_depth(value: Any, limit: int, as_bytes: bool) -> None:
    text = json.dumps(value, ensure_ascii=bool(limit % 2))
    raw: str | bytes = text.encode() if as_bytes else text
    assert strictjson.depth_exceeds(raw, limit) == (_depth(value) > limit)
    if _depth(value) > limit:
        with pytest.raises(strictjson.DepthError):
            strictjson.loads(raw, max_depth=limit)
    else:
        assert strictjson.loads(raw, max_depth=limit) == value


@fuzz_settings(300)
@given(st.binary(max_size=200) | st.text(alphabet='[]{}":,0123456789.eE-+ \\tnrufals', max_size=300))
def test_fuzz_strict_json_raises_only_value_errors(raw: bytes | str) -> None:
    try:
        strictjson.loads(raw, max_depth=8)
    except ValueError:
        pass


# ---------------------------------------------------------------------------------------------
# Batch rows and the service's JSON bodies (their front ends' parsers)


@fuzz_settings(300)
@given(st.binary(max_size=300) | _JSON.map(lambda v: json.dumps(v).encode())
       | st.dictionaries(st.sampled_from(["id", "identity", "orig", "dest", "call_id", "time", "x"]),
                         _JSON | st.sampled_from(["2026-03-01T12:00:00Z", "1767225600", "", "+15551230001"]),
                         max_size=6).map(lambda v: json.dumps(v).encode()))
def test_fuzz_batch_json_row_parses_or_is_a_row_error(raw: bytes) -> None:
    rows = pytest.importorskip("vvp.batch.rows")
    got = rows.parse_row(rows.RawRow(id="1", line=1, kind=rows.RowKind.JSON, data=raw, evd=None))
    if isinstance(got, rows.RowError):
        assert codes.is_registered(got.code)
    else:
        assert isinstance(got, rows.Row)


@fuzz_settings(300)
@given(st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=8))
def test_fuzz_batch_csv_row_parses_or_is_a_row_error(fields: dict[str, str]) -> None:
    rows = pytest.importorskip("vvp.batch.rows")
    got = rows.parse_row(rows.RawRow(id="1", line=1, kind=rows.RowKind.CSV, data=fields, evd=None))
    assert isinstance(got, (rows.Row, rows.RowError))
    if isinstance(got, rows.RowError):
        assert codes.is_registered(got.code)
