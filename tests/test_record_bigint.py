"""Integers a JSON number cannot carry exactly never reach a verdict (so never break its record).

A record is RFC 8785 canonical JSON, whose numbers are IEEE 754 doubles: an integer beyond
±(2**53 - 1) that is not already a double's canonical form cannot be written, and building the
record failed (``RECORD_WRITE_FAILED``) when such a value, copied from a token, reached the
verdict. A SHAKEN PASSporT's ``iat`` of 12345678901234567890 did (vvp/stir/shaken.py): it is now
refused as a NumericDate (``SHAKEN_IAT_INVALID``), and the details of foreign artifacts (token
claims copied as they are) go through :func:`vvp.verdict.json_safe`.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import shaken_pki as P
from tests.recordkit import SALT, shm_dir
from vvp import clock, codes
from vvp.fetch import RecordingFetcher
from vvp.record import Record, VerifierIdentity, canonical_json, check_signature, open_identity
from vvp.replay import make_record, reverify
from vvp.stir.shaken import ShakenPolicy, ShakenResult, verify_shaken
from vvp.trust import load_trust_store
from vvp.verdict import MAX_SAFE_INTEGER, CheckStatus, json_safe
from vvp.verifier import CallInput, verify_call

HUGE = 12345678901234567890


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        yield ident


def _shaken_value(iat: int) -> str:
    return P.signed(P.good_header(), {**P.good_claims(), "iat": iat})


def _verify(iat: int) -> ShakenResult:
    pki = P.build()
    return verify_shaken(_shaken_value(iat), reference_time=P.T, anchors=pki.anchors,
                         crl_signers=(pki.crl_signer.cert,), policy=ShakenPolicy(), fetcher=pki.fetcher())


def test_such_an_integer_is_not_canonical_json() -> None:
    """Why the guard exists: the record's serialiser refuses it (and rightly: 1.2345678901234567e+19
    would be another number)."""
    with pytest.raises(ValueError):
        canonical_json({"iat": HUGE})


@pytest.mark.parametrize("iat", [HUGE, -HUGE, MAX_SAFE_INTEGER + 1, 2 ** 64])
def test_a_shaken_iat_beyond_a_json_number_is_not_a_numeric_date(iat: int) -> None:
    r = _verify(iat)
    check = next(c for c in r.checks if c.id == "X-SHAKEN-12")
    assert (check.status, check.code) == (CheckStatus.FAIL, codes.SHAKEN_IAT_INVALID)
    assert str(iat)[:10] in check.message
    assert r.details()["iat"] is None
    canonical_json(r.details())  # writable
    freshness = next(c for c in r.checks if c.id == "X-SHAKEN-14")
    assert freshness.status is CheckStatus.NOT_APPLICABLE


def test_the_largest_exact_iat_is_still_read() -> None:
    r = _verify(MAX_SAFE_INTEGER)
    check = next(c for c in r.checks if c.id == "X-SHAKEN-12")
    assert check.status is CheckStatus.PASS and r.details()["iat"] == MAX_SAFE_INTEGER


def test_a_call_with_such_a_shaken_iat_is_recorded_and_reverifies(identity: VerifierIdentity,
                                                                  tmp_path: Path) -> None:
    pki = P.build()
    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    (tmp_path / "crl-signer.pem").write_bytes(pki.crl_signer.pem)
    (tmp_path / "trust.json").write_text(json.dumps({"version": 1, "sti_pa": [str(tmp_path / "root.pem")],
                                                     "sti_crl_signers": [str(tmp_path / "crl-signer.pem")]}))
    trust = load_trust_store(tmp_path / "trust.json")
    call = CallInput(reference_time=P.T, identities=(_shaken_value(HUGE),), orig="+" + P.ORIG, dest="+" + P.DEST)
    recorder = RecordingFetcher(pki.fetcher(), clock=clock.FixedClock(P.T))
    verdict = verify_call(call, trust=trust, fetcher=recorder)
    assert codes.SHAKEN_IAT_INVALID in verdict.to_json()["claims"]["shaken"]["codes"]
    rec = make_record(call, verdict, trust=trust, events=recorder.events, received_at=P.T + _dt.timedelta(seconds=1),
                      identity=identity)
    again = Record.from_bytes(rec.to_bytes())
    assert check_signature(again).ok
    assert again.verdict["claims"]["shaken"]["iat"] is None
    assert reverify(again).reproduced is True


def test_json_safe_keeps_what_json_carries_and_spells_out_the_rest() -> None:
    value = {"iat": HUGE, "exp": -HUGE, "ok": MAX_SAFE_INTEGER, "neg": -MAX_SAFE_INTEGER, "flag": True,
             "f": 1.5, "nan": float("nan"), "inf": float("-inf"), "nested": [{"n": 2 ** 64}, (1, "x", None)],
             "huge": 10 ** 5000}
    safe = json_safe(value)
    assert safe == {"iat": str(HUGE), "exp": str(-HUGE), "ok": MAX_SAFE_INTEGER, "neg": -MAX_SAFE_INTEGER,
                    "flag": True, "f": 1.5, "nan": "nan", "inf": "-inf", "nested": [{"n": str(2 ** 64)}, [1, "x", None]],
                    "huge": f"an integer of {(10 ** 5000).bit_length()} bits"}
    canonical_json(safe)
    assert value["iat"] == HUGE  # the input is not changed
