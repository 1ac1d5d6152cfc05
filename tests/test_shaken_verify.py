"""SHAKEN verification against the test PKI (tests/shaken_pki.py): each acceptance case of issue 10
as a named test asserting its verstat and SIP code, then the edges around them."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests import shaken_pki as P
from vvp import codes, jose
from vvp.fetch import Fetcher, FetchEvent, FetchFailure, MemoryFetcher
from vvp.testing import stipki
from vvp.stir.shaken import ShakenPolicy, ShakenResult, verify_shaken
from vvp.stir.verstat import Verstat
from vvp.verdict import CheckStatus


def verify(value: str, *, policy: ShakenPolicy = ShakenPolicy(), fetcher: Fetcher | None = None,
           at: _dt.datetime = P.T, **kw: object) -> ShakenResult:
    pki = P.build()
    return verify_shaken(value, reference_time=at, anchors=pki.anchors, crl_signers=(pki.crl_signer.cert,),
                         policy=policy, fetcher=fetcher if fetcher is not None else pki.fetcher(),
                         **kw)  # type: ignore[arg-type]


def status_of(r: ShakenResult, cid: str) -> CheckStatus:
    found = [c.status for c in r.checks if c.id == cid]
    assert found, f"no check {cid}"
    return found[0]


def codes_of(r: ShakenResult, status: CheckStatus = CheckStatus.FAIL) -> list[str]:
    return [c.code for c in r.checks if c.status is status]


def assert_outcome(r: ShakenResult, verstat: Verstat, sip: int | None, code: str | None = None) -> None:
    assert (r.verstat, r.sip_code) == (verstat, sip), [(c.id, c.status.value, c.code, c.message) for c in r.checks
                                                      if c.status is not CheckStatus.PASS]
    if code is not None:
        assert code in [c.code for c in r.checks], code


# --- the acceptance cases ---------------------------------------------------------------------

def test_valid_spc_certificate_passes() -> None:
    r = verify(P.identity("spc"))
    assert_outcome(r, Verstat.PASSED, None)
    assert r.reason is None and r.signature_verified and r.revocation == "good"
    assert (r.attest, r.orig, r.dest, r.spc) == ("A", P.ORIG, (P.DEST,), "1234")
    assert len(r.chain) == 3 and r.chain[-1] == P.build().root.cert
    assert not codes_of(r) and not codes_of(r, CheckStatus.INDETERMINATE) and not codes_of(r, CheckStatus.WARN)


def test_valid_tn_certificate_passes() -> None:
    r = verify(P.identity("tn"))
    assert_outcome(r, Verstat.PASSED, None)
    assert status_of(r, "X-SHAKEN-21") is CheckStatus.PASS
    # ATIS-1000080 v005 wants only an SPC: a TN-listing certificate is a profile warning, not a failure
    assert codes_of(r, CheckStatus.WARN) == [codes.SHAKEN_PROFILE_TNAUTHLIST]


def test_valid_range_certificate_passes() -> None:
    r = verify(P.identity("range", orig="12155551299"))
    assert_outcome(r, Verstat.PASSED, None)
    assert r.tnauthlist is not None and r.tnauthlist.ranges[0].last == "12155551299"


def test_bad_signature_is_failed_438() -> None:
    value = P.identity("spc")
    token, params = value.split(";", 1)
    h, p, s = token.split(".")
    sig = bytearray(jose.b64url_decode(s))
    sig[10] ^= 0x01
    r = verify(f"{h}.{p}.{jose.b64url_encode(bytes(sig))};{params}")
    assert_outcome(r, Verstat.FAILED, 438, codes.SHAKEN_SIGNATURE_INVALID)
    assert not r.signature_verified and r.reason == "Invalid Identity Header"


def test_signature_by_another_key_is_failed_438() -> None:
    token = stipki.sign_jws(P.good_header("spc"), P.good_claims(), P.build().ee["tn"].key)
    r = verify(stipki.identity_value(token, P.X5U["spc"]))
    assert_outcome(r, Verstat.FAILED, 438, codes.SHAKEN_SIGNATURE_INVALID)


def test_alg_es384_is_unsupported_credential_437() -> None:
    r = verify(P.signed({**P.good_header(), "alg": "ES384"}, P.good_claims(), alg=None))
    assert_outcome(r, Verstat.NO_VALIDATION, 437, codes.SHAKEN_ALG_NOT_ES256)
    assert status_of(r, "X-SHAKEN-17") is CheckStatus.NOT_APPLICABLE  # the x5u is never dereferenced


def test_alg_none_is_unsupported_credential_437() -> None:
    header = jose.b64url_encode(stipki.canonical_json({**P.good_header(), "alg": "none"}))
    claims = jose.b64url_encode(stipki.canonical_json(P.good_claims()))
    # an unsecured JWS (empty signature, RFC 7515 appendix A.5) and one with a stray signature
    for sig in ("", "AAAA"):
        r = verify(f"{header}.{claims}.{sig};info=<{P.X5U['spc']}>")
        assert_outcome(r, Verstat.NO_VALIDATION, 437, codes.SHAKEN_ALG_NOT_ES256)
        assert status_of(r, "X-SHAKEN-17") is CheckStatus.NOT_APPLICABLE


def test_iat_two_minutes_old_is_stale_date_403() -> None:
    r = verify(P.identity("spc", iat=P.T_UNIX - 120))
    assert_outcome(r, Verstat.NO_VALIDATION, 403, codes.SHAKEN_IAT_STALE)
    assert r.reason == "Stale Date"
    assert r.signature_verified  # everything else was still checked


def test_iat_in_the_future_is_stale_date_403() -> None:
    r = verify(P.identity("spc", iat=P.T_UNIX + 120))
    assert_outcome(r, Verstat.NO_VALIDATION, 403, codes.SHAKEN_IAT_IN_FUTURE)


def test_iat_at_the_freshness_limit_passes() -> None:
    assert verify(P.identity("spc", iat=P.T_UNIX - 60)).verstat is Verstat.PASSED
    assert verify(P.identity("spc", iat=P.T_UNIX - 30), policy=ShakenPolicy(iat_freshness_s=29)).sip_code == 403


def test_x5u_not_equal_to_info_is_bad_identity_info_436() -> None:
    r = verify(P.identity("spc", info="https://cert.sp.example/other.pem"))
    assert_outcome(r, Verstat.NO_VALIDATION, 436, codes.SHAKEN_X5U_MISMATCH)
    assert r.reason == "Bad Identity Info"


def test_certificate_not_chaining_to_an_anchor_is_437() -> None:
    r = verify(P.identity("untrusted"))
    assert_outcome(r, Verstat.FAILED, 437, codes.SHAKEN_CHAIN_INVALID)
    assert r.signature_verified  # the signature is fine; the key is just not certified
    assert r.chain == ()


def test_end_entity_expired_at_the_reference_time_is_437() -> None:
    r = verify(P.identity("expired"))
    assert_outcome(r, Verstat.FAILED, 437, codes.SHAKEN_CERT_EXPIRED)


def test_end_entity_valid_at_an_earlier_reference_time() -> None:
    at = _dt.datetime(2026, 10, 1, tzinfo=_dt.UTC)
    r = verify(P.identity("expired", iat=int(at.timestamp())), at=at, policy=ShakenPolicy(crl="off"))
    assert_outcome(r, Verstat.PASSED, None)


def test_end_entity_not_yet_valid_is_437() -> None:
    at = _dt.datetime(2025, 6, 1, tzinfo=_dt.UTC)
    r = verify(P.identity("spc", iat=int(at.timestamp())), at=at)
    assert_outcome(r, Verstat.FAILED, 437, codes.SHAKEN_CERT_NOT_YET_VALID)


def test_revoked_by_crl_is_437() -> None:
    r = verify(P.identity("revoked"))
    assert_outcome(r, Verstat.FAILED, 437, codes.SHAKEN_REVOKED)
    assert r.revocation == "revoked"


def test_revoked_even_when_crl_is_only_optional_and_not_when_off() -> None:
    assert verify(P.identity("revoked"), policy=ShakenPolicy(crl="required")).verstat is Verstat.FAILED
    off = verify(P.identity("revoked"), policy=ShakenPolicy(crl="off"))
    assert off.verstat is Verstat.PASSED and off.revocation == "off"
    assert status_of(off, "X-SHAKEN-23") is CheckStatus.NOT_APPLICABLE


def test_orig_outside_the_listed_tns_is_438() -> None:
    r = verify(P.identity("tn", orig="12155559999"))
    assert_outcome(r, Verstat.FAILED, 438, codes.SHAKEN_ORIG_NOT_AUTHORIZED)


def test_orig_outside_the_listed_range_is_438() -> None:
    for orig in ("12155551199", "12155551300", "1215555120"):  # below, above, shorter
        r = verify(P.identity("range", orig=orig))
        assert_outcome(r, Verstat.FAILED, 438, codes.SHAKEN_ORIG_NOT_AUTHORIZED)


def test_orig_is_not_checked_against_an_spc() -> None:
    r = verify(P.identity("spc", orig="447700900123"))
    assert_outcome(r, Verstat.PASSED, None)
    assert "identifies the provider" in next(c.message for c in r.checks if c.id == "X-SHAKEN-21")


def test_malformed_header_is_invalid_identity_header_438() -> None:
    r = verify("not a passport;info=<https://cert.sp.example/spc.pem>")
    assert_outcome(r, Verstat.NO_VALIDATION, 438, codes.IDENTITY_MALFORMED)
    assert [c.id for c in r.checks] == ["X-SHAKEN-01"]


@pytest.mark.parametrize("value, code", [
    ("e30.e30.AAAA;info=<https://cert.sp.example/spc.pem>", codes.SHAKEN_HEADER_FIELD_MISSING),
    ("eyJhbGciOiJFUzI1NiJ9..AAAA;info=<https://cert.sp.example/spc.pem>", codes.JOSE_DETACHED_PAYLOAD),
    ("a.b;info=<https://cert.sp.example/spc.pem>", codes.JOSE_MALFORMED),
    ("e30=.e30.AAAA;info=<https://cert.sp.example/spc.pem>", codes.IDENTITY_MALFORMED),
    ("e30.e30.AAAA;info=<https://x>;info=<https://y>", codes.IDENTITY_MALFORMED),
])
def test_malformed_headers_are_no_validation(value: str, code: str) -> None:
    r = verify(value)
    assert r.verstat is Verstat.NO_VALIDATION and r.sip_code in (436, 438)
    assert code in codes_of(r)


# --- header rules -------------------------------------------------------------------------------

def test_duplicate_json_key_is_438() -> None:
    hdr = b'{"alg":"ES256","ppt":"shaken","typ":"passport","typ":"passport","x5u":"%s"}' % P.X5U["spc"].encode()
    claims = stipki.canonical_json(P.good_claims())
    si = jose.b64url_encode(hdr) + "." + jose.b64url_encode(claims)
    key = P.build().ee["spc"].key
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    r_, s_ = decode_dss_signature(key.sign(si.encode(), ec.ECDSA(hashes.SHA256())))
    token = si + "." + jose.b64url_encode(r_.to_bytes(32, "big") + s_.to_bytes(32, "big"))
    r = verify(stipki.identity_value(token, P.X5U["spc"]))
    assert_outcome(r, Verstat.NO_VALIDATION, 438, codes.JOSE_JSON_DUPLICATE_KEY)


@pytest.mark.parametrize("change, code, sip", [
    ({"typ": "JWT"}, codes.SHAKEN_TYP_INVALID, 437),
    ({"typ": None}, codes.SHAKEN_HEADER_FIELD_MISSING, 436),
    ({"ppt": "vvp"}, codes.SHAKEN_PPT_INVALID, 438),
    ({"ppt": None}, codes.SHAKEN_HEADER_FIELD_MISSING, 436),
    ({"x5u": None}, codes.SHAKEN_HEADER_FIELD_MISSING, 436),
    ({"alg": None}, codes.SHAKEN_HEADER_FIELD_MISSING, 436),
    ({"alg": "RS256"}, codes.SHAKEN_ALG_NOT_ES256, 437),
    ({"crit": ["x"]}, codes.SHAKEN_CRIT_UNSUPPORTED, 438),
])
def test_header_rules(change: Mapping[str, object], code: str, sip: int) -> None:
    header = {k: v for k, v in {**P.good_header(), **change}.items() if v is not None}
    r = verify(P.signed(header, P.good_claims()))
    assert_outcome(r, Verstat.NO_VALIDATION, sip, code)


def test_identity_parameters_must_agree() -> None:
    r = verify(P.signed(P.good_header(), P.good_claims(), alg="ES384"))
    assert_outcome(r, Verstat.NO_VALIDATION, 437, codes.SHAKEN_ALG_PARAM_MISMATCH)
    r = verify(P.signed(P.good_header(), P.good_claims(), ppt="div"))
    assert_outcome(r, Verstat.NO_VALIDATION, 438, codes.SHAKEN_PPT_PARAM_MISMATCH)
    # absent parameters are fine (alg defaults to ES256, RFC 8224 §4.1)
    assert verify(P.signed(P.good_header(), P.good_claims(), alg=None, ppt=None)).verstat is Verstat.PASSED


def test_info_missing_or_not_a_url_is_436() -> None:
    token = P.identity("spc").split(";", 1)[0]
    assert_outcome(verify(token), Verstat.NO_VALIDATION, 436, codes.SHAKEN_INFO_MISSING)
    assert_outcome(verify(token + ";info=<urn:x>"), Verstat.NO_VALIDATION, 436, codes.SHAKEN_INFO_INVALID)


def test_der_encoded_signature_is_refused() -> None:
    value = P.identity("spc")
    token, params = value.split(";", 1)
    h, p, s = token.split(".")
    raw = jose.b64url_decode(s)
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    r = verify(f"{h}.{p}.{jose.b64url_encode(der)};{params}")
    assert_outcome(r, Verstat.FAILED, 438, codes.SHAKEN_SIGNATURE_ENCODING)


def test_http_x5u_is_a_warning_only() -> None:
    url = "http://cert.sp.example/spc.pem"
    pki = P.build()
    token = stipki.shaken_passport(pki.ee["spc"].key, x5u=url, orig=P.ORIG, dest=[P.DEST], iat=P.T_UNIX)
    r = verify(stipki.identity_value(token, url), fetcher=pki.fetcher({url: (P.PEM, pki.chain_pem("spc"))}))
    assert_outcome(r, Verstat.PASSED, None)
    assert codes_of(r, CheckStatus.WARN) == [codes.SHAKEN_X5U_NOT_HTTPS]


# --- claims -------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, code", [
    ({"attest": "D"}, codes.SHAKEN_ATTEST_INVALID),
    ({"attest": None}, codes.SHAKEN_ATTEST_INVALID),
    ({"orig": {"tn": [P.ORIG]}}, codes.SHAKEN_ORIG_INVALID),
    ({"orig": '{"tn":"12155551212"}'}, codes.SHAKEN_ORIG_INVALID),
    ({"orig": {"tn": P.ORIG, "uri": "sip:a@b"}}, codes.SHAKEN_ORIG_INVALID),
    ({"orig": {"tn": "12-abc"}}, codes.SHAKEN_ORIG_INVALID),
    ({"dest": {"tn": P.DEST}}, codes.SHAKEN_DEST_INVALID),
    ({"dest": {"tn": []}}, codes.SHAKEN_DEST_INVALID),
    ({"dest": None}, codes.SHAKEN_DEST_INVALID),
    ({"iat": str(P.T_UNIX)}, codes.SHAKEN_IAT_INVALID),  # RFC 8225 erratum 5985
    ({"iat": float(P.T_UNIX)}, codes.SHAKEN_IAT_INVALID),
    ({"iat": True}, codes.SHAKEN_IAT_INVALID),
    ({"origid": ""}, codes.SHAKEN_ORIGID_INVALID),
    ({"origid": None}, codes.SHAKEN_ORIGID_INVALID),
])
def test_claim_rules_are_438_and_verification_goes_on(change: Mapping[str, object], code: str) -> None:
    claims = {k: v for k, v in {**P.good_claims(), **change}.items() if v is not None}
    r = verify(P.signed(P.good_header(), claims))
    assert_outcome(r, Verstat.NO_VALIDATION, 438, code)
    assert r.signature_verified and status_of(r, "X-SHAKEN-18") is CheckStatus.PASS


def test_a_certificate_failure_outranks_a_claim_failure() -> None:
    claims = {**P.good_claims(), "attest": "X"}
    r = verify(P.signed(P.good_header("untrusted"), claims, which="untrusted"))
    assert_outcome(r, Verstat.FAILED, 437, codes.SHAKEN_CHAIN_INVALID)
    assert codes.SHAKEN_ATTEST_INVALID in codes_of(r)


def test_non_uuid_origid_is_a_warning() -> None:
    r = verify(P.signed(P.good_header(), {**P.good_claims(), "origid": "ref"}))
    assert_outcome(r, Verstat.PASSED, None)
    assert codes_of(r, CheckStatus.WARN) == [codes.SHAKEN_ORIGID_NOT_UUID]


def test_plus_in_tns_is_canonicalised_and_extra_claims_ignored() -> None:
    claims = {**P.good_claims(), "orig": {"tn": "+" + P.ORIG}, "dest": {"tn": ["+1-215-555-1213"]}, "rcd": {}}
    r = verify(P.signed(P.good_header(), claims))
    assert_outcome(r, Verstat.PASSED, None)
    assert (r.orig, r.dest) == (P.ORIG, (P.DEST,))


def test_sip_context_is_compared() -> None:
    ok = verify(P.identity(), context_orig="+1 215-555-1212".replace(" ", ""), context_dest=P.DEST)
    assert_outcome(ok, Verstat.PASSED, None)
    assert status_of(ok, "X-SHAKEN-15") is CheckStatus.PASS and status_of(ok, "X-SHAKEN-16") is CheckStatus.PASS
    bad = verify(P.identity(), context_orig="12155550000")
    assert_outcome(bad, Verstat.NO_VALIDATION, 438, codes.SHAKEN_ORIG_MISMATCH)
    bad = verify(P.identity(), context_dest="12155550000")
    assert_outcome(bad, Verstat.NO_VALIDATION, 438, codes.SHAKEN_DEST_MISMATCH)


# --- certificates -------------------------------------------------------------------------------

def test_x5u_unreachable_is_indeterminate_436() -> None:
    r = verify(P.identity(), fetcher=P.build().fetcher(without=[P.X5U["spc"]]))
    assert_outcome(r, Verstat.NO_VALIDATION, 436, codes.FETCH_OFFLINE)
    assert status_of(r, "X-SHAKEN-17") is CheckStatus.INDETERMINATE


def test_x5u_garbage_is_436() -> None:
    f = P.build().fetcher({P.X5U["spc"]: (P.PEM, b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n")})
    assert_outcome(verify(P.identity(), fetcher=f), Verstat.NO_VALIDATION, 436, codes.SHAKEN_X5U_UNPARSABLE)
    f = P.build().fetcher({P.X5U["spc"]: (P.PEM, b"\x30\x03\x02\x01\x01")})
    assert_outcome(verify(P.identity(), fetcher=f), Verstat.NO_VALIDATION, 436, codes.SHAKEN_X5U_UNPARSABLE)


def test_missing_intermediate_does_not_chain() -> None:
    pki = P.build()
    f = pki.fetcher({P.X5U["spc"]: (P.PEM, pki.ee["spc"].pem)})
    assert_outcome(verify(P.identity(), fetcher=f), Verstat.FAILED, 437, codes.SHAKEN_CHAIN_INVALID)


def test_ca_intermediate_as_anchor_also_works() -> None:
    pki = P.build()
    r = verify_shaken(P.identity(), reference_time=P.T, anchors=(pki.ca.cert,), crl_signers=(pki.crl_signer.cert,),
                      policy=ShakenPolicy(), fetcher=pki.fetcher())
    assert_outcome(r, Verstat.PASSED, None)
    assert len(r.chain) == 2


def test_no_anchors_is_indeterminate() -> None:
    pki = P.build()
    r = verify_shaken(P.identity(), reference_time=P.T, anchors=(), crl_signers=(pki.crl_signer.cert,),
                      policy=ShakenPolicy(), fetcher=pki.fetcher())
    assert_outcome(r, Verstat.NO_VALIDATION, 437, codes.SHAKEN_NO_TRUST_ANCHORS)
    assert status_of(r, "X-SHAKEN-18") is CheckStatus.INDETERMINATE


def test_certificate_without_tnauthlist_is_437() -> None:
    r = verify(P.identity("no_tnauth"))
    assert_outcome(r, Verstat.FAILED, 437, codes.SHAKEN_TNAUTHLIST_MISSING)


def test_end_entity_that_is_a_ca_cannot_sign() -> None:
    pki = P.build()
    rogue = stipki.make_ca(stipki.name("SHAKEN 1234"), stipki.p256_key(0xE9), pki.ca, serial=0x3009,
                           not_before=P.NOT_BEFORE, not_after=P.NOT_AFTER, crl_url=P.CRL_URL)
    url = "https://cert.sp.example/ca-as-ee.pem"
    token = stipki.shaken_passport(rogue.key, x5u=url, orig=P.ORIG, dest=[P.DEST], iat=P.T_UNIX)
    r = verify(stipki.identity_value(token, url), fetcher=pki.fetcher({url: (P.PEM, rogue.pem + pki.ca.pem)}))
    assert r.verstat is Verstat.FAILED and codes.SHAKEN_CERT_NOT_FOR_SIGNING in codes_of(r)


# --- CRL policy ---------------------------------------------------------------------------------

def test_crl_unreachable_optional_is_a_warning_required_is_indeterminate() -> None:
    f = P.build().fetcher(without=[P.CRL_URL])
    opt = verify(P.identity(), fetcher=f)
    assert_outcome(opt, Verstat.PASSED, None)
    assert opt.revocation == "unknown" and codes.FETCH_OFFLINE in codes_of(opt, CheckStatus.WARN)
    req = verify(P.identity(), fetcher=f, policy=ShakenPolicy(crl="required"))
    assert_outcome(req, Verstat.NO_VALIDATION, 437, codes.FETCH_OFFLINE)


def test_crl_from_an_unknown_signer_is_not_trusted() -> None:
    pki = P.build()
    rogue = stipki.make_crl_signer(stipki.name("STI-PA CRL Signer"), stipki.p256_key(0xFA4E), serial=7,
                                   not_before=P.NOT_BEFORE, not_after=P.NOT_AFTER)
    crl = stipki.make_crl(rogue, this_update=P.T - _dt.timedelta(hours=1), next_update=P.T + _dt.timedelta(days=1))
    f = pki.fetcher({P.CRL_URL: (P.CRL_TYPE, crl)})
    r = verify(P.identity("revoked"), fetcher=f, policy=ShakenPolicy(crl="required"))
    assert_outcome(r, Verstat.NO_VALIDATION, 437, codes.SHAKEN_CRL_INVALID)
    assert r.revocation == "unknown"


def test_stale_crl_is_not_current() -> None:
    pki = P.build()
    crl = stipki.make_crl(pki.crl_signer, this_update=P.T - _dt.timedelta(days=9),
                          next_update=P.T - _dt.timedelta(days=2))
    r = verify(P.identity(), fetcher=pki.fetcher({P.CRL_URL: (P.CRL_TYPE, crl)}), policy=ShakenPolicy(crl="required"))
    assert_outcome(r, Verstat.NO_VALIDATION, 437, codes.SHAKEN_CRL_INVALID)


def test_garbage_crl_is_invalid() -> None:
    r = verify(P.identity(), fetcher=P.build().fetcher({P.CRL_URL: (P.CRL_TYPE, b"not a crl")}),
               policy=ShakenPolicy(crl="required"))
    assert_outcome(r, Verstat.NO_VALIDATION, 437, codes.SHAKEN_CRL_INVALID)


# --- results for the record ------------------------------------------------------------------------

def test_evidence_lists_every_body_used() -> None:
    r = verify(P.identity())
    assert [(e.url, e.kind.value) for e in r.evidence] == [(P.X5U["spc"], "x5u"), (P.CRL_URL, "crl")]
    assert r.cached == ()
    assert r.evidence[0].fetched is not None and r.evidence[0].fetched.body == P.build().chain_pem("spc")
    assert r.chain_der[0] == P.build().ee["spc"].der


def test_replaying_the_evidence_offline_gives_the_same_verstat() -> None:
    for which, kw in (("spc", {}), ("revoked", {}), ("range", {"orig": "12155551300"})):
        value = P.identity(which, **kw)  # type: ignore[arg-type]
        live = verify(value)
        served: dict[str, tuple[str, bytes]] = {}
        for ev in live.evidence:
            assert ev.fetched is not None
            served[ev.url] = (ev.fetched.content_type, ev.fetched.body)
        replay = verify(value, fetcher=MemoryFetcher(served, missing_code=codes.FETCH_NOT_IN_RECORD))
        assert (replay.verstat, replay.sip_code) == (live.verstat, live.sip_code)
        assert [(c.id, c.status, c.code) for c in replay.checks] == [(c.id, c.status, c.code) for c in live.checks]


def test_recorded_failures_replay_to_the_same_verstat() -> None:
    failing = MemoryFetcher({}, failures={P.X5U["spc"]: FetchFailure(P.X5U["spc"], codes.FETCH_TIMEOUT, "slow")})
    r = verify(P.identity(), fetcher=failing)
    assert_outcome(r, Verstat.NO_VALIDATION, 436, codes.FETCH_TIMEOUT)


def test_subject_distinguishes_two_shaken_values() -> None:
    a = verify(P.identity(), subject="identity[0]")
    assert {c.subject for c in a.checks if c.id == "X-SHAKEN-01"} == {"identity[0]"}
    per_cert = [c.subject for c in a.checks if c.id == "X-SHAKEN-23"]
    assert len(per_cert) == 2 and all(s is not None and s.startswith("identity[0]/sha256:") for s in per_cert)


def test_reference_time_must_be_aware() -> None:
    with pytest.raises(ValueError):
        verify(P.identity(), at=_dt.datetime(2026, 11, 23, 12))


def test_fetch_events_have_kinds() -> None:
    r = verify(P.identity())
    assert all(isinstance(e, FetchEvent) for e in r.evidence)

