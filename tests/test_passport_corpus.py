"""Real Provenant-stage PASSporTs (../shared/corpus/vvp, see its README).

Expected: every signature verifies with the signer's current key (``DKee5pbD…``, from the witness
OOBI response); under the default 60 s policy each is INVALID for ``exp - iat`` (P-18) only;
with ``max_passport_validity_s: 300`` the passport claim is VALID; and no single-character change
anywhere in a token (kept canonical base64url) ever yields a VALID passport claim.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import corpus_path
from vvp import codes
from vvp.jose import JoseError, b64url_decode
from vvp.caller.passport import PassportPolicy, check_passport, check_signature, ed25519_verifier, parse_vvp_passport
from vvp.verdict import Check, CheckStatus, Status, claim_status

pytestmark = pytest.mark.corpus

SIGNER_AID = "EGay5ufBqAanbhFa_qe-KMFUPJHn8J0MFba96yyWRrLF"
POLICY_300 = PassportPolicy(max_passport_validity_s=300)
WARNINGS = {("P-19", "warn", codes.PASSPORT_EXP_NOT_RECOMMENDED),
            ("P-20", "warn", codes.PASSPORT_TIMEOUT_NOT_AGGRESSIVE),
            ("P-23", "warn", codes.PASSPORT_PPT_PARAM_MISSING)}  # bare tokens: no ;ppt=vvp
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _passports() -> dict[str, dict[str, object]]:
    data = json.loads(corpus_path("vvp", "provenant-stage-passports.json").read_text())
    jwts: dict[str, dict[str, object]] = data["jwts"]
    return jwts


def _signer_key() -> bytes:
    """The current signing key of EGay5… from the witness OOBI's icp (decoded with keri, test only)."""
    from keri.core.coring import Verfer

    text = corpus_path("vvp", "provenant-stage-witness-oobi-EGay5.cesr").read_text()
    icp, _ = json.JSONDecoder().raw_decode(text)
    assert icp["t"] == "icp" and icp["i"] == SIGNER_AID and icp["kt"] == "1"
    (qb64,) = icp["k"]
    assert qb64.startswith("DKee5pbD")
    raw: bytes = Verfer(qb64=qb64).raw
    return raw


@pytest.fixture(scope="module")
def key() -> bytes:
    return _signer_key()


def _ref(token: str) -> dt.datetime:
    iat = json.loads(b64url_decode(token.split(".")[1]))["iat"]
    return dt.datetime.fromtimestamp(iat + 5, dt.UTC)


def _claim(token: str, key: bytes, policy: PassportPolicy, ref: dt.datetime) -> list[Check]:
    r = check_passport(token, reference_time=ref, policy=policy)
    checks = list(r.checks)
    if r.passport is not None:
        checks.append(check_signature(r.passport, ed25519_verifier(key)))
    return checks


def _non_passing(checks: list[Check]) -> set[tuple[str, str, str]]:
    return {(c.id, c.status.value, c.code) for c in checks if c.status is not CheckStatus.PASS}


def test_corpus_passports_parse_and_normalise() -> None:
    for name, entry in _passports().items():
        p = parse_vvp_passport(str(entry["jwt"]))
        assert p.orig_tn == entry["orig_tn"], name
        assert p.dest_tns == ("12123331234",)
        assert p.kid_aid == SIGNER_AID and p.alg == "EdDSA" and p.typ == "passport" and p.ppt == "vvp"
        assert p.evd is not None and str(entry["dossier_said"]) in p.evd
        assert p.exp is not None and p.iat is not None and p.exp - p.iat == 300
        assert p.goal is None and p.call_reason is None and p.orig_id is None  # null / "" count as absent
        assert p.payload["request_id"] == ""  # unknown claims kept, ignored
        assert (p.card is not None) == bool(entry["has_brand"])
        assert p.signature_encoding.value == "jws"


def test_corpus_V_06_signatures_verify(key: bytes) -> None:
    for name, entry in _passports().items():
        p = parse_vvp_passport(str(entry["jwt"]))
        c = check_signature(p, ed25519_verifier(key))
        assert (c.id, c.status, c.subject) == ("V-06", CheckStatus.PASS, SIGNER_AID), (name, c.message)


def test_corpus_P_18_invalid_under_default_policy(key: bytes) -> None:
    for name, entry in _passports().items():
        tok = str(entry["jwt"])
        checks = _claim(tok, key, PassportPolicy(), _ref(tok))
        assert _non_passing(checks) == WARNINGS | {("P-18", "fail", codes.PASSPORT_VALIDITY_TOO_LONG)}, name
        result = claim_status(checks)
        assert result.status is Status.INVALID and result.codes == (codes.PASSPORT_VALIDITY_TOO_LONG,)


def test_corpus_valid_with_max_passport_validity_300(key: bytes) -> None:
    for name, entry in _passports().items():
        tok = str(entry["jwt"])
        checks = _claim(tok, key, POLICY_300, _ref(tok))
        assert _non_passing(checks) == WARNINGS, name
        assert claim_status(checks).status is Status.VALID


def _replacements(segment: str, i: int) -> list[str]:
    """Up to two other characters at ``i`` that keep ``segment`` canonical but change its bytes."""
    original = b64url_decode(segment)
    start = ALPHABET.index(segment[i])
    out: list[str] = []
    for step in (1, 33, 17, 9, 5, 3, 2, 4, 8, 16, 32, 48, 60):
        c = ALPHABET[(start + step) % 64]
        changed = segment[:i] + c + segment[i + 1:]
        try:
            if b64url_decode(changed) != original:
                out.append(c)
        except JoseError:
            continue
        if len(out) == 2:
            break
    return out


def test_corpus_byte_sweep_never_valid(key: bytes) -> None:
    """Every position of header, payload and signature, each replaced by two other base64url
    characters that change the decoded bytes: the passport claim is never VALID."""
    tried = positions = 0
    first_failure: dict[str, int] = {}
    for name, entry in _passports().items():
        tok = str(entry["jwt"])
        ref = _ref(tok)
        assert claim_status(_claim(tok, key, POLICY_300, ref)).status is Status.VALID  # the control
        segments = tok.split(".")
        for s_index, segment in enumerate(segments):
            for i in range(len(segment)):
                reps = _replacements(segment, i)
                assert len(reps) == 2, (name, s_index, i)
                positions += 1
                for c in reps:
                    parts = list(segments)
                    parts[s_index] = segment[:i] + c + segment[i + 1:]
                    checks = _claim(".".join(parts), key, POLICY_300, ref)
                    status = claim_status(checks).status
                    assert status is not Status.VALID, (name, s_index, i, c)
                    bad = next(c for c in checks if c.status in (CheckStatus.FAIL, CheckStatus.INDETERMINATE))
                    first_failure[bad.id] = first_failure.get(bad.id, 0) + 1
                    tried += 1
    assert positions > 2000 and tried == 2 * positions
    # Most changes are caught by the signature; the rest earlier, by form or claim checks.
    assert first_failure.get("V-06", 0) > 0 and first_failure.get("X-PASSPORT-01", 0) > 0


def test_corpus_files_are_not_in_the_repo() -> None:
    repo = Path(__file__).resolve().parents[1]
    assert not list(repo.glob("fixtures/**/provenant*"))
