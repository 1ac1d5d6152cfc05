"""The passport claim's checks (vvp-protocol.md §8.1, §8.3 V-01..V-03, V-06), one defect at a time.

Each negative test asserts the failing check's id and code and that every other passport check
passed; ``test_positive_control`` is the same token without the defect.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests._vvp_tokens import (
    AGENT_AID, ALL_IDS, DEST, DROP, EVD, KID, ORIG, OTHER_SEED, REF, SIGNER_AID, T0, assert_fails, assert_only,
    claims, evaluate, header, identity, make_token, public_key, seg, sign,
)
from vvp import codes
from vvp.errors import EvidenceInvalid, EvidenceUnavailable
from vvp.jose import SignatureEncoding, b64url_encode
from vvp.caller.passport import (
    PassportPolicy, check_passport, check_signature, ed25519_verifier, find_aid_in_url, parse_vvp_passport,
)
from vvp.verdict import Check, CheckStatus, Status, claim_status

PASSPORT_300 = PassportPolicy(max_passport_validity_s=300)


def ev(hdr: dict[str, object] | None = None, payload: dict[str, object] | None = None, *,
       params: str = ";info=<https://agent.example.com/info>;alg=EdDSA;ppt=vvp",
       policy: PassportPolicy = PassportPolicy(), ref: dt.datetime = REF) -> list[Check]:
    """The passport checks (and V-06 with the test key) of a token made from ``hdr``/``payload``."""
    return evaluate(identity(make_token(hdr, payload), params), policy=policy, ref=ref)


# --- positive controls ----------------------------------------------------------------------

def test_positive_control() -> None:
    checks = ev()
    assert [c.id for c in checks] == list(ALL_IDS)
    assert_only(checks, set())
    assert claim_status(checks).status is Status.VALID


def test_positive_control_normalised_fields() -> None:
    p = parse_vvp_passport(make_token())
    assert p.orig_tn == ORIG[1:] and p.dest_tns == (DEST[1:],)
    assert p.kid == KID and p.kid_aid == SIGNER_AID and p.evd == EVD
    assert p.iat == T0 and p.exp == T0 + 15
    assert p.card == ("ORG:Example Corp",) and p.goal == "negotiate.schedule" and p.call_reason == "appointment"
    assert p.orig_id and p.jti and p.alg == "EdDSA" and p.typ == "passport" and p.ppt == "vvp"
    assert p.signature_encoding is SignatureEncoding.JWS and len(p.signature) == 64
    assert p.signing_input == make_token().rsplit(".", 1)[0].encode()


def test_P_21_cesr_0B_signature_accepted_and_recorded() -> None:
    tok = make_token(cesr=True)
    sig = tok.rsplit(".", 1)[1]
    assert len(sig) == 88 and sig.startswith("0B")
    checks = evaluate(identity(tok))
    assert_only(checks, set())
    p21 = next(c for c in checks if c.id == "P-21")
    assert "0B" in p21.message
    assert parse_vvp_passport(tok).signature_encoding is SignatureEncoding.CESR_0B
    # The same signature bytes in both encodings.
    assert parse_vvp_passport(tok).signature == parse_vvp_passport(make_token()).signature


def test_P_21_cesr_0B_signature_tampered_fails_V_06() -> None:
    tok = make_token(cesr=True)
    h, p, s = tok.split(".")
    s2 = s[:40] + ("A" if s[40] != "A" else "B") + s[41:]
    assert_fails(evaluate(identity(f"{h}.{p}.{s2}")), "V-06", codes.PASSPORT_SIGNATURE_INVALID)


# --- header: P-01, P-02, P-03, P-04, P-05, crit, x5u -----------------------------------------

@pytest.mark.parametrize("alg", ["ES256", "RS256", "HS256", "PS256", "RS512", "HS512"])
def test_P_01_P_02_forbidden_algs_refused(alg: str) -> None:
    checks = ev(header(alg=alg), params=";ppt=vvp")
    assert_only(checks, {("P-01", "fail", codes.PASSPORT_ALG_NOT_ALLOWED),
                         ("P-02", "fail", codes.PASSPORT_ALG_FORBIDDEN),
                         ("V-06", "not_applicable", codes.PASSPORT_PREREQUISITE_FAILED)})
    assert claim_status(checks).status is Status.INVALID


@pytest.mark.parametrize("alg", ["none", "ES384", "Ed25519", "eddsa", "", 7, None])
def test_P_01_alg_not_on_allow_list(alg: object) -> None:
    hdr = header(alg=alg) if alg is not None else header(alg=DROP)
    checks = ev(hdr, params=";ppt=vvp")
    assert_only(checks, {("P-01", "fail", codes.PASSPORT_ALG_NOT_ALLOWED),
                         ("V-06", "not_applicable", codes.PASSPORT_PREREQUISITE_FAILED)})


def test_P_01_alg_none_with_empty_signature() -> None:
    h, p = seg(header(alg="none")), seg(claims())
    checks = evaluate(identity(f"{h}.{p}.", ";ppt=vvp"))
    assert_only(checks, {("P-01", "fail", codes.PASSPORT_ALG_NOT_ALLOWED),
                         ("P-21", "fail", codes.PASSPORT_SIGNATURE_ENCODING),
                         ("V-06", "not_applicable", codes.PASSPORT_PREREQUISITE_FAILED)})


def test_P_01_fn_dsa_is_indeterminate_not_accepted() -> None:
    checks = ev(header(alg="FN-DSA-512"), params=";ppt=vvp")
    assert_only(checks, {("P-01", "indeterminate", codes.PASSPORT_ALG_UNSUPPORTED),
                         ("V-06", "not_applicable", codes.PASSPORT_PREREQUISITE_FAILED)})
    assert claim_status(checks).status is Status.INDETERMINATE


def test_P_03_typ_JWT_refused_by_default() -> None:
    assert_fails(ev(header(typ="JWT")), "P-03", codes.PASSPORT_TYP_INVALID)


def test_P_03_typ_JWT_accepted_with_allow_legacy_typ() -> None:
    checks = ev(header(typ="JWT"), policy=PassportPolicy(allow_legacy_typ=True))
    assert_only(checks, {("P-03", "warn", codes.PASSPORT_TYP_LEGACY)})
    assert claim_status(checks).status is Status.VALID


@pytest.mark.parametrize("typ", [DROP, "Passport ", "jws", 1])
def test_P_03_typ_missing_or_wrong(typ: object) -> None:
    assert_fails(ev(header(typ=typ), policy=PassportPolicy(allow_legacy_typ=True)), "P-03",
                 codes.PASSPORT_TYP_INVALID)


@pytest.mark.parametrize("ppt", [DROP, "shaken", "VVP", None])
def test_P_04_ppt_missing_or_wrong(ppt: object) -> None:
    assert_fails(ev(header(ppt=ppt)), "P-04", codes.PASSPORT_PPT_INVALID)


@pytest.mark.parametrize("kid", [DROP, SIGNER_AID, f"did:web:example.com:{SIGNER_AID}", f"ftp://h/oobi/{SIGNER_AID}",
                                 "https:///oobi/x", 42, f"https://h/oobi/ {SIGNER_AID}"])
def test_P_05_kid_not_an_oobi_url(kid: object) -> None:
    assert_fails(ev(header(kid=kid)), "P-05", codes.PASSPORT_KID_INVALID)


@pytest.mark.parametrize("kid", ["https://agent.example.com/oobi/", "https://h/oobi/Enotanaid/controller",
                                 "https://h/oobi/" + "E" + "Z" * 43 + "/witness"])
def test_P_05_kid_without_aid(kid: str) -> None:
    assert_fails(ev(header(kid=kid)), "P-05", codes.PASSPORT_KID_NO_AID)


@pytest.mark.parametrize("path, aid", [
    (f"/oobi/{SIGNER_AID}/controller", SIGNER_AID),
    (f"/oobi/{SIGNER_AID}/witness/{AGENT_AID}", SIGNER_AID),
    (f"/oobi/{SIGNER_AID}/agent/{AGENT_AID}", SIGNER_AID),
    (f"/.well-known/keri/oobi/{SIGNER_AID}", SIGNER_AID),
    (f"/x/{AGENT_AID}/{SIGNER_AID}", AGENT_AID),
    ("/oobi/EGay5ufBqAanbhFa_qe-KMFUPJHn8J0MFba96yyWRrLF/witness", "EGay5ufBqAanbhFa_qe-KMFUPJHn8J0MFba96yyWRrLF"),
    ("/oobi/0DAA" + "A" * 84 + "/controller", "0DAA" + "A" * 84),
    ("/oobi/1AAB" + "A" * 44, "1AAB" + "A" * 44),
])
def test_P_05_kid_aid_is_first_matching_path_segment(path: str, aid: str) -> None:
    url = "http://witness.example.com:5631" + path + "?name=x"
    assert find_aid_in_url(url) == aid
    p = parse_vvp_passport(make_token(header(kid=url)))
    assert p.kid_aid == aid


def test_X_PASSPORT_02_crit_refused() -> None:
    assert_fails(ev(header(crit=["b64"], b64=False)), "X-PASSPORT-02", codes.PASSPORT_CRIT_UNSUPPORTED)


def test_P_24_x5u_present_is_ignored_and_reported() -> None:
    checks = ev(header(x5u="https://cert.example.com/sp.pem"))
    assert_only(checks, set())
    assert any(c.id == "P-24" and c.status is CheckStatus.PASS for c in checks)


def test_P_24_x5u_does_not_rescue_a_bad_signature() -> None:
    checks = evaluate(identity(make_token(header(x5u="https://cert.example.com/sp.pem"))), key=public_key(OTHER_SEED))
    assert_only(checks, {("V-06", "fail", codes.PASSPORT_SIGNATURE_INVALID)})


def test_unknown_header_fields_ignored() -> None:
    assert_only(ev(header(foo="bar", iss="x")), set())


# --- Identity parameters: P-23 and alg -------------------------------------------------------

def test_P_23_ppt_param_missing_warns_by_default() -> None:
    checks = ev(params=";info=<https://agent.example.com/info>")
    assert_only(checks, {("P-23", "warn", codes.PASSPORT_PPT_PARAM_MISSING)})
    assert claim_status(checks).status is Status.VALID


def test_P_23_ppt_param_missing_fails_with_require_ppt_param() -> None:
    assert_fails(ev(params="", policy=PassportPolicy(require_ppt_param=True)), "P-23",
                 codes.PASSPORT_PPT_PARAM_MISSING)


def test_P_23_ppt_param_present_passes_with_require_ppt_param() -> None:
    assert_only(ev(params=";ppt=vvp", policy=PassportPolicy(require_ppt_param=True)), set())


def test_P_23_ppt_param_mismatch() -> None:
    assert_fails(ev(params=";ppt=rcd"), "P-23", codes.PASSPORT_PPT_PARAM_MISMATCH)


def test_X_PASSPORT_03_alg_param_mismatch() -> None:
    assert_fails(ev(params=";alg=ES256;ppt=vvp"), "X-PASSPORT-03", codes.PASSPORT_ALG_PARAM_MISMATCH)


# --- claims: P-09, P-10, P-11, P-15, P-16, P-17, optional claims --------------------------------

@pytest.mark.parametrize("orig, tn", [
    ({"tn": "17045550100"}, "17045550100"),
    ({"tn": ["17045550100"]}, "17045550100"),
    ({"tn": "+17045550100"}, "17045550100"),
    ({"tn": ["+1-704-555-0100"]}, "17045550100"),
    ({"tn": ["+1 (704)"]}, None),
])
def test_P_09_orig_spellings_normalised(orig: dict[str, object], tn: str | None) -> None:
    tok = make_token(payload=claims(orig=orig))
    if tn is None:
        assert_fails(evaluate(identity(tok)), "P-09", codes.PASSPORT_ORIG_INVALID)
    else:
        assert parse_vvp_passport(tok).orig_tn == tn
        assert_only(evaluate(identity(tok)), set())


@pytest.mark.parametrize("orig", [DROP, None, "17045550100", ["17045550100"], {}, {"tn": 17045550100},
                                  {"tn": None}, {"uri": 5}])
def test_P_09_orig_missing_or_malformed(orig: object) -> None:
    checks = ev(payload=claims(orig=orig))
    assert_only(checks, {("P-09", "fail", codes.PASSPORT_ORIG_INVALID),
                         ("P-10", "not_applicable", codes.PASSPORT_PREREQUISITE_FAILED)})


@pytest.mark.parametrize("tn", ["+1704555010A", "1704-CALL-NOW", "", "++17045550100", "1234567890123456"])
def test_P_09_orig_tn_not_a_number(tn: str) -> None:
    assert_fails(ev(payload=claims(orig={"tn": [tn]})), "P-09", codes.PASSPORT_ORIG_INVALID)


@pytest.mark.parametrize("orig", [{"tn": ["17045550100", "17045550101"]}, {"tn": []},
                                  {"uri": "sip:alice@example.com"}, {"uri": ["sip:alice@example.com"]}])
def test_P_10_orig_not_exactly_one_tn(orig: dict[str, object]) -> None:
    assert_fails(ev(payload=claims(orig=orig)), "P-10", codes.PASSPORT_ORIG_NOT_ONE_TN)


@pytest.mark.parametrize("dest", [{"tn": "12125550199"}, {"tn": ["12125550199", "+1 212 555 0198".replace(" ", "-")]}])
def test_P_11_dest_spellings_normalised(dest: dict[str, object]) -> None:
    assert_only(ev(payload=claims(dest=dest)), set())


@pytest.mark.parametrize("dest", [DROP, None, "12125550199", {"tn": []}, {"tn": ["x"]}, {"uri": ["sip:b@h"]},
                                  {"tn": [None]}])
def test_P_11_dest_missing_or_malformed(dest: object) -> None:
    assert_fails(ev(payload=claims(dest=dest)), "P-11", codes.PASSPORT_DEST_INVALID)


@pytest.mark.parametrize("evd", [DROP, None, "", "dossier.cesr", "file:///etc/passwd", 3, "https://"])
def test_P_15_evd_missing_or_not_url(evd: object) -> None:
    assert_fails(ev(payload=claims(evd=evd)), "P-15", codes.PASSPORT_EVD_INVALID)


_NA_NEEDS_BOTH = {(i, "not_applicable", codes.PASSPORT_PREREQUISITE_FAILED) for i in ("P-18", "P-19", "P-20", "V-01")}


@pytest.mark.parametrize("iat", [DROP, None, str(T0), True, -1, 1e20, [T0]])
def test_P_16_iat_missing_or_not_numeric(iat: object) -> None:
    checks = ev(payload=claims(iat=iat))
    assert_only(checks, {("P-16", "fail", codes.PASSPORT_IAT_INVALID),
                         ("V-03", "not_applicable", codes.PASSPORT_PREREQUISITE_FAILED)} | _NA_NEEDS_BOTH)


@pytest.mark.parametrize("exp", [DROP, None, str(T0 + 15), False])
def test_P_17_exp_missing_or_not_numeric(exp: object) -> None:
    checks = ev(payload=claims(exp=exp))
    assert_only(checks, {("P-17", "fail", codes.PASSPORT_EXP_INVALID),
                         ("V-02", "not_applicable", codes.PASSPORT_PREREQUISITE_FAILED)} | _NA_NEEDS_BOTH)


def test_null_and_empty_optional_claims_are_absent() -> None:
    payload = claims(card=None, goal=None, call__reason=None, origId="", jti=None)
    checks = ev(payload=payload)
    assert_only(checks, set())
    p = parse_vvp_passport(make_token(payload=payload))
    assert (p.card, p.goal, p.call_reason, p.orig_id, p.jti) == (None, None, None, None, None)


def test_optional_claims_may_be_dropped() -> None:
    assert_only(ev(payload=claims(card=DROP, goal=DROP, call__reason=DROP, origId=DROP, jti=DROP)), set())


def test_call_reason_underscore_spelling_normalised() -> None:
    payload = claims(call__reason=DROP, call_reason="planifier")
    assert_only(ev(payload=payload), set())
    assert parse_vvp_passport(make_token(payload=payload)).call_reason == "planifier"


def test_origid_lowercase_spelling_normalised() -> None:
    payload = claims(origId=DROP, origid="abc")
    assert parse_vvp_passport(make_token(payload=payload)).orig_id == "abc"


def test_X_PASSPORT_04_conflicting_spellings_refused() -> None:
    assert_fails(ev(payload=claims(call_reason="other")), "X-PASSPORT-04", codes.PASSPORT_CLAIM_INVALID)


@pytest.mark.parametrize("name, value", [("goal", 5), ("call__reason", ["x"]), ("origId", {}), ("jti", 1)])
def test_X_PASSPORT_04_optional_claim_wrong_type(name: str, value: object) -> None:
    assert_fails(ev(payload=claims(**{name: value})), "X-PASSPORT-04", codes.PASSPORT_CLAIM_INVALID)


def test_card_syntax_not_judged_here() -> None:
    payload = claims(card=["NOTE;LEI:984500983AD71E4FBC41", "CATEGORIES:", 7])
    assert_only(ev(payload=payload), set())
    p = parse_vvp_passport(make_token(payload=payload))
    assert p.card is None and p.payload["card"][2] == 7


def test_unknown_claims_ignored() -> None:
    assert_only(ev(payload=claims(request_id="", attest="A", rcd={"nam": "x"})), set())


# --- timing: P-18, P-19, P-20, V-01, V-02, V-03 ----------------------------------------------------

def test_P_18_exp_minus_iat_over_60_refused() -> None:
    checks = ev(payload=claims(exp=T0 + 61))
    assert_only(checks, {("P-18", "fail", codes.PASSPORT_VALIDITY_TOO_LONG),
                         ("P-19", "warn", codes.PASSPORT_EXP_NOT_RECOMMENDED),
                         ("P-20", "warn", codes.PASSPORT_TIMEOUT_NOT_AGGRESSIVE)})


def test_P_18_exactly_60_accepted_and_300_with_policy() -> None:
    warns = {("P-19", "warn", codes.PASSPORT_EXP_NOT_RECOMMENDED), ("P-20", "warn", codes.PASSPORT_TIMEOUT_NOT_AGGRESSIVE)}
    assert_only(ev(payload=claims(exp=T0 + 60)), warns)
    assert_only(ev(payload=claims(exp=T0 + 300), policy=PASSPORT_300), warns)
    assert_only(ev(payload=claims(exp=T0 + 301), policy=PASSPORT_300),
                warns | {("P-18", "fail", codes.PASSPORT_VALIDITY_TOO_LONG)})


def test_P_19_P_20_warnings_only() -> None:
    checks = ev(payload=claims(exp=T0 + 20))
    assert_only(checks, {("P-19", "warn", codes.PASSPORT_EXP_NOT_RECOMMENDED)})
    assert claim_status(checks).status is Status.VALID
    checks = ev(payload=claims(exp=T0 + 31))
    assert_only(checks, {("P-19", "warn", codes.PASSPORT_EXP_NOT_RECOMMENDED),
                         ("P-20", "warn", codes.PASSPORT_TIMEOUT_NOT_AGGRESSIVE)})
    assert claim_status(checks).status is Status.VALID


@pytest.mark.parametrize("exp", [T0, T0 - 1])
def test_V_01_exp_not_after_iat(exp: int) -> None:
    ref = dt.datetime.fromtimestamp(T0 - 5, dt.UTC)  # keep V-02 and V-03 passing
    assert_fails(ev(payload=claims(exp=exp), ref=ref), "V-01", codes.PASSPORT_EXP_NOT_AFTER_IAT)


def test_V_02_expired_at_reference_time() -> None:
    ref = dt.datetime.fromtimestamp(T0 + 15, dt.UTC)  # exp == reference time: not after it
    assert_fails(ev(ref=ref), "V-02", codes.PASSPORT_EXPIRED)


def test_V_03_iat_31_s_old_refused() -> None:
    payload = claims(exp=T0 + 60)
    ref = dt.datetime.fromtimestamp(T0 + 31, dt.UTC)
    checks = ev(payload=payload, ref=ref)
    assert_only(checks, {("V-03", "fail", codes.PASSPORT_IAT_TOO_OLD),
                         ("P-19", "warn", codes.PASSPORT_EXP_NOT_RECOMMENDED),
                         ("P-20", "warn", codes.PASSPORT_TIMEOUT_NOT_AGGRESSIVE)})
    ref30 = dt.datetime.fromtimestamp(T0 + 30, dt.UTC)
    assert not {c.id for c in ev(payload=payload, ref=ref30) if c.status.value == "fail"}


def test_V_03_future_iat_within_clock_skew_accepted() -> None:
    assert_only(ev(ref=dt.datetime.fromtimestamp(T0 - 5, dt.UTC)), set())


def test_V_03_future_iat_beyond_clock_skew_refused() -> None:
    ref = dt.datetime.fromtimestamp(T0 - 6, dt.UTC)
    assert_fails(ev(ref=ref), "V-03", codes.PASSPORT_IAT_IN_FUTURE)
    assert_only(ev(ref=ref, policy=PassportPolicy(clock_skew_s=6)), set())


def test_V_03_tolerance_is_policy() -> None:
    payload = claims(exp=T0 + 60)
    ref = dt.datetime.fromtimestamp(T0 + 40, dt.UTC)
    checks = ev(payload=payload, ref=ref, policy=PassportPolicy(iat_tolerance_s=45))
    assert {c.id for c in checks if c.status.value == "fail"} == set()


def test_naive_reference_time_is_a_caller_bug() -> None:
    with pytest.raises(ValueError):
        check_passport(make_token(), reference_time=dt.datetime(2026, 1, 1))


# --- signature: V-06 (P-22) ---------------------------------------------------------------------

def test_V_06_wrong_key_fails() -> None:
    checks = evaluate(identity(make_token()), key=public_key(OTHER_SEED))
    assert_fails(checks, "V-06", codes.PASSPORT_SIGNATURE_INVALID)
    v06 = next(c for c in checks if c.id == "V-06")
    assert v06.subject == SIGNER_AID


def test_P_22_signature_covers_header() -> None:
    tok = make_token()
    _, p, s = tok.split(".")
    h2 = seg(header(kid=KID.replace("agent.example.com", "evil.example.com")))
    assert_fails(evaluate(identity(f"{h2}.{p}.{s}")), "V-06", codes.PASSPORT_SIGNATURE_INVALID)


def test_P_22_signature_covers_claims() -> None:
    tok = make_token()
    h, _, s = tok.split(".")
    p2 = seg(claims(orig={"tn": ["+17045550101"]}))
    assert_fails(evaluate(identity(f"{h}.{p2}.{s}")), "V-06", codes.PASSPORT_SIGNATURE_INVALID)


def test_V_06_signature_over_reencoded_json_is_not_accepted() -> None:
    """The signing input is the segments as received, not a re-serialisation."""
    tok = make_token()
    h, p, s = tok.split(".")
    spaced = b64url_encode(json.dumps(claims(), separators=(", ", ": ")).encode())
    assert_fails(evaluate(identity(f"{h}.{spaced}.{s}")), "V-06", codes.PASSPORT_SIGNATURE_INVALID)
    assert_only(evaluate(identity(f"{h}.{spaced}.{sign(h, spaced)}")), set())


def test_V_06_callback_key_state_unavailable_is_indeterminate() -> None:
    p = parse_vvp_passport(make_token())

    def unavailable(sig: bytes, msg: bytes) -> bool:
        raise EvidenceUnavailable("witness unreachable", code=codes.FETCH_TIMEOUT)

    def invalid(sig: bytes, msg: bytes) -> bool:
        raise EvidenceInvalid("rotated out", code=codes.PASSPORT_SIGNATURE_INVALID)

    c = check_signature(p, unavailable)
    assert (c.id, c.status, c.code) == ("V-06", CheckStatus.INDETERMINATE, codes.FETCH_TIMEOUT)
    c = check_signature(p, invalid, subject="X")
    assert (c.status, c.code, c.subject) == (CheckStatus.FAIL, codes.PASSPORT_SIGNATURE_INVALID, "X")


def test_V_06_callback_gets_raw_signature_and_signing_input() -> None:
    seen: list[tuple[bytes, bytes]] = []
    tok = make_token(cesr=True)
    p = parse_vvp_passport(tok)
    check_signature(p, lambda s, m: seen.append((s, m)) is None)
    assert seen == [(p.signature, tok.rsplit(".", 1)[0].encode())]
    assert len(seen[0][0]) == 64


def test_ed25519_verifier_rejects_wrong_key_length() -> None:
    with pytest.raises(ValueError):
        ed25519_verifier(b"\x00" * 31)


# --- token-level failures: X-PASSPORT-01 ----------------------------------------------------

@pytest.mark.parametrize("value, code", [
    ("", codes.IDENTITY_MALFORMED),
    (";ppt=vvp", codes.IDENTITY_MALFORMED),
    ("abc def", codes.IDENTITY_MALFORMED),
    ("abc.def", codes.JOSE_MALFORMED),
    ("a.b.c.d", codes.JOSE_MALFORMED),
    (".e30.AAAA", codes.JOSE_MALFORMED),
    ("e30..AAAA", codes.JOSE_DETACHED_PAYLOAD),
    ("e30=.e30.AAAA", codes.IDENTITY_MALFORMED),
    ("e31.e30.AAAA", codes.JOSE_BASE64_INVALID),
    ("W10.e30.AAAA", codes.JOSE_NOT_OBJECT),
    ("e30.e30.AAAA", None),
])
def test_X_PASSPORT_01_token_form(value: str, code: str | None) -> None:
    r = check_passport(value, reference_time=REF)
    if code is None:
        assert r.passport is not None
        return
    assert r.passport is None
    assert [(c.id, c.status.value, c.code) for c in r.checks] == [("X-PASSPORT-01", "fail", code)]
    assert claim_status(r.checks).status is Status.INVALID


def test_X_PASSPORT_01_duplicate_claim_refused() -> None:
    raw = json.dumps(claims())[:-1] + ', "orig": {"tn": ["+19995550100"]}}'
    tok = make_token(raw_payload=raw)
    r = check_passport(identity(tok), reference_time=REF)
    assert [(c.id, c.code) for c in r.checks] == [("X-PASSPORT-01", codes.JOSE_JSON_DUPLICATE_KEY)]


def test_X_PASSPORT_01_duplicate_header_key_refused() -> None:
    raw = json.dumps(header())[:-1] + ', "alg": "none"}'
    r = check_passport(identity(make_token(raw_header=raw)), reference_time=REF)
    assert [(c.id, c.code) for c in r.checks] == [("X-PASSPORT-01", codes.JOSE_JSON_DUPLICATE_KEY)]


def test_subject_is_passed_through() -> None:
    r = check_passport(identity(make_token()), reference_time=REF, subject="call-1")
    assert {c.subject for c in r.checks} == {"call-1"}
