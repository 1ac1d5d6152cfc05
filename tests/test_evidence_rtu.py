"""RTU tokens (RFC 9447 TNAuthList authority tokens) through vvp/evidence/rtu.py: the valid token
(x5c and x5u), one not covering orig, the wrong tktype, forbidden algorithms (none, HS256, RS256)
checked before any key, the JWS pitfalls of evidence-formats §6 (duplicate keys, loose base64,
DER signatures, NumericDate types), the token authority's anchor, and fingerprints."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
from typing import Any

import pytest

from vvp import codes, jose
from vvp.errors import FetchError
from vvp.evidence.base import ArtifactResult, CheckContext, ForeignTrust
from vvp.evidence.rtu import RtuChecker, decode_tkvalue, fingerprint_matches
from vvp.fetch import EvidenceKind, Fetched, MemoryFetcher, RecordingFetcher
from vvp.stir.tnauthlist import encode_tnauthlist
from vvp.testing import foreign_pki as F
from vvp.trust import Policy
from vvp.verdict import Status

PKI = F.build()
TRUST = ForeignTrust(files={"rtu_authorities": (PKI.rtu_root.pem,)})


def judge(token: str | bytes, *, orig: str | None = F.ORIG, jwk: dict[str, str] | None = None,
          fetcher: Any = None, trust: ForeignTrust = TRUST, at: _dt.datetime = F.CALL_AT) -> ArtifactResult:
    ctx = CheckContext(reference_time=at, trust=trust, policy=Policy(), orig=orig, account_jwk=jwk, fetcher=fetcher)
    return RtuChecker().check(token.encode() if isinstance(token, str) else token, "application/jwt", ctx)


def _seg(obj: Any) -> str:
    return jose.b64url_encode(json.dumps(obj, separators=(",", ":")).encode())


def _parts(token: str) -> tuple[str, str, str]:
    h, p, s = token.split(".")
    return h, p, s


class NoFetch:
    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        raise AssertionError(f"fetched {url}")


def test_valid_token_with_x5c() -> None:
    r = judge(PKI.rtu_token(), jwk=PKI.account_jwk, fetcher=NoFetch())
    assert r.status is Status.VALID and r.codes == ()
    assert r.anchor is not None and "Token Authority Root" in r.anchor
    assert r.facts.tns == ("+" + F.ORIG,) and r.native["fingerprint"] == "match" and r.native["covers_orig"] is True
    assert r.native["key_source"] == "x5c" and r.native["tktype"] == "TNAuthList"


def test_valid_token_with_x5u_fetched_as_an_artifact_and_recorded() -> None:
    rec = RecordingFetcher(MemoryFetcher(PKI.served()))
    r = judge(PKI.rtu_token(x5u=True), fetcher=rec)
    assert r.status is Status.VALID and r.native["key_source"] == "x5u"
    assert [(e.url, e.kind) for e in rec.events] == [(F.TOKEN_AUTHORITY_URL, EvidenceKind.ARTIFACT)]


def test_x5u_unreachable_or_without_fetcher_is_indeterminate() -> None:
    r = judge(PKI.rtu_token(x5u=True), fetcher=MemoryFetcher({}))
    assert r.status is Status.INDETERMINATE and r.codes == (codes.FETCH_OFFLINE,)
    assert judge(PKI.rtu_token(x5u=True)).status is Status.INDETERMINATE


def test_x5u_serving_junk() -> None:
    r = judge(PKI.rtu_token(x5u=True), fetcher=MemoryFetcher({F.TOKEN_AUTHORITY_URL: (F.PEM_CHAIN, b"\x00junk")}))
    assert r.status is Status.INVALID and r.codes == (codes.X509_MALFORMED,)


def test_x5u_is_not_fetched_when_x5c_is_present() -> None:
    tok = PKI.rtu_token(header={"x5u": F.TOKEN_AUTHORITY_URL})
    assert judge(tok, fetcher=NoFetch()).status is Status.VALID


def test_token_not_covering_orig() -> None:
    r = judge(PKI.rtu_token(tns=[F.OTHER_TN]))
    assert r.status is Status.INVALID and r.codes == (codes.EVIDENCE_TN_NOT_COVERED,)
    assert r.native["covers_orig"] is False
    assert judge(PKI.rtu_token(tns=[F.OTHER_TN]), orig=None).status is Status.VALID


def test_ranges_and_spcs() -> None:
    r = judge(PKI.rtu_token(tns=[], ranges=[F.SP_RANGE]))
    assert r.status is Status.VALID and r.facts.tn_ranges == (("+15551230000", "+15551239999"),)
    spc = judge(PKI.rtu_token(tns=[], spcs=["1234"]))
    assert spc.status is Status.VALID and spc.native["covers_orig"] is None and spc.facts.spcs == ("1234",)


@pytest.mark.parametrize("tktype", ["JWTClaimConstraints", "tnauthlist", "", None, 7])
def test_wrong_tktype(tktype: Any) -> None:
    r = judge(PKI.rtu_token(tktype=tktype))
    assert r.status is Status.INVALID and r.codes == (codes.RTU_TKTYPE_UNSUPPORTED,)


def test_alg_none_is_refused_before_any_key() -> None:
    _, p, _ = _parts(PKI.rtu_token())
    for h in ({"alg": "none", "typ": "JWT"}, {"alg": "none"}, {"typ": "JWT"}):
        r = judge(f"{_seg(h)}.{p}.", fetcher=NoFetch())
        assert r.status is Status.INVALID and r.codes == (codes.RTU_ALG_FORBIDDEN,)


def test_hs256_with_the_certificate_as_secret_is_refused() -> None:
    _, p, _ = _parts(PKI.rtu_token())
    x5c = [base64.b64encode(PKI.token_authority.der).decode()]
    h = _seg({"alg": "HS256", "typ": "JWT", "x5c": x5c})
    for secret in (PKI.token_authority.der, PKI.token_authority.pem):
        sig = jose.b64url_encode(hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest())
        r = judge(f"{h}.{p}.{sig}")
        assert r.status is Status.INVALID and r.codes == (codes.RTU_ALG_FORBIDDEN,)


@pytest.mark.parametrize("alg", ["RS256", "ES384", "EdDSA", "ES256K", "es256"])
def test_other_algorithms_are_refused(alg: str) -> None:
    tok = PKI.rtu_token(header={"alg": alg})
    assert judge(tok).codes == (codes.RTU_ALG_FORBIDDEN,)


def test_duplicate_keys_are_refused() -> None:
    h, p, s = _parts(PKI.rtu_token())
    hdr = base64.urlsafe_b64decode(h + "==").decode()
    dup_h = jose.b64url_encode(hdr.replace('"alg":"ES256"', '"alg":"ES256","alg":"ES256"').encode())
    assert judge(f"{dup_h}.{p}.{s}").codes == (codes.JOSE_JSON_DUPLICATE_KEY,)
    body = base64.urlsafe_b64decode(p + "==").decode()
    dup_p = jose.b64url_encode(body.replace('"tktype":"TNAuthList"', '"tktype":"TNAuthList","tktype":"TNAuthList"')
                               .encode())
    assert judge(f"{h}.{dup_p}.{s}").codes == (codes.JOSE_JSON_DUPLICATE_KEY,)


def test_loose_base64_is_refused() -> None:
    h, p, s = _parts(PKI.rtu_token())
    for bad in (f"{h}=.{p}.{s}", f"{h}.{p}+.{s}", f"{h}.{p}.{s[:-1]}!", f" {h}.{p}.{s}x"):
        r = judge(bad)
        assert r.status is Status.INVALID and r.codes and r.codes[0].startswith("JOSE_"), bad


def test_der_encoded_signature_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    h, p, s = _parts(PKI.rtu_token())
    raw = jose.b64url_decode(s)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    r = judge(f"{h}.{p}.{jose.b64url_encode(der)}")
    assert r.status is Status.INVALID and r.codes == (codes.RTU_SIGNATURE_INVALID,)


def test_tampered_payload_and_other_signer() -> None:
    h, _, s = _parts(PKI.rtu_token())
    _, p2, _ = _parts(PKI.rtu_token(tns=[F.OTHER_TN]))
    assert codes.RTU_SIGNATURE_INVALID in judge(f"{h}.{p2}.{s}").codes
    assert judge(PKI.rtu_token(signer=F.seed_key("not the authority"))).codes == (codes.RTU_SIGNATURE_INVALID,)


@pytest.mark.parametrize("claims, code", [
    ({"exp": "1780272000"}, codes.RTU_CLAIMS_INVALID),
    ({"exp": True}, codes.RTU_CLAIMS_INVALID),
    ({"exp": 1780272000.5}, codes.RTU_CLAIMS_INVALID),
    ({"exp": None}, codes.RTU_CLAIMS_INVALID),
    ({"jti": ""}, codes.RTU_CLAIMS_INVALID),
    ({"jti": 5}, codes.RTU_CLAIMS_INVALID),
    ({"iat": "1769904000"}, codes.RTU_CLAIMS_INVALID),
    ({"nbf": int(_dt.datetime(2026, 4, 1, tzinfo=_dt.UTC).timestamp())}, codes.RTU_NOT_YET_VALID),
    ({"atc": "TNAuthList"}, codes.RTU_CLAIMS_INVALID),
])
def test_claim_types_and_times(claims: dict[str, Any], code: str) -> None:
    r = judge(PKI.rtu_token(claims=claims))
    assert r.status is Status.INVALID and code in r.codes


def test_expired_token() -> None:
    r = judge(PKI.rtu_token(exp=_dt.datetime(2026, 3, 1, 11, 0, tzinfo=_dt.UTC)))
    assert r.status is Status.INVALID and r.codes == (codes.RTU_EXPIRED,)
    # the same token was valid an hour before its exp
    assert judge(PKI.rtu_token(exp=_dt.datetime(2026, 3, 1, 11, 0, tzinfo=_dt.UTC)),
                 at=_dt.datetime(2026, 3, 1, 10, 0, tzinfo=_dt.UTC)).status is Status.VALID


def test_ca_token_is_refused() -> None:
    assert judge(PKI.rtu_token(ca=True)).codes == (codes.RTU_CA_TOKEN,)
    assert judge(PKI.rtu_token(ca=None)).status is Status.VALID  # absent means false
    assert codes.RTU_CLAIMS_INVALID in judge(PKI.rtu_token(claims={"atc": {
        "tktype": "TNAuthList", "tkvalue": jose.b64url_encode(encode_tnauthlist(tns=[F.ORIG])), "ca": "no"}})).codes


def test_tkvalue_encodings() -> None:
    der = encode_tnauthlist(tns=[F.ORIG])
    assert decode_tkvalue(jose.b64url_encode(der)) == der
    assert decode_tkvalue(base64.b64encode(der).decode()) == der
    spc = encode_tnauthlist(spcs=["818H"])
    assert base64.b64encode(spc).decode() == "MAigBhYEODE4SA=="  # Peeringhub's published example
    assert decode_tkvalue("MAigBhYEODE4SA==") == spc
    assert decode_tkvalue("MAigBhYEODE4SA") == spc  # the same bytes in RFC 9447's base64url
    for bad in ("MAigBhYEODE4SA=", "MAig BhYEODE4SA==", "", "MAigBhYEODE4SB===", "MAigBhYEODE4SB==", "MAigBhYEODE4SB"):
        with pytest.raises(ValueError):
            decode_tkvalue(bad)
    for bad_value in ("!!!", jose.b64url_encode(der + b"\x00"), jose.b64url_encode(b"\x16\x03abc")):
        r = judge(PKI.rtu_token(tkvalue=bad_value))
        assert r.codes == (codes.RTU_TKVALUE_INVALID,), bad_value


def test_fingerprint() -> None:
    thumb = F.jwk_thumbprint(PKI.account_jwk)
    colon = "SHA256 " + ":".join(f"{b:02X}" for b in jose.b64url_decode(thumb))
    assert fingerprint_matches(thumb, thumb) and fingerprint_matches(colon, thumb)
    assert fingerprint_matches(colon.lower().replace("sha256 ", ""), thumb)
    assert not fingerprint_matches(colon[:-2] + "00", thumb) and not fingerprint_matches(None, thumb)
    assert judge(PKI.rtu_token(fingerprint=colon), jwk=PKI.account_jwk).native["fingerprint"] == "match"
    other = F.ec_jwk(F.seed_key("someone else").public_key())
    r = judge(PKI.rtu_token(), jwk=other)
    assert r.status is Status.INVALID and r.codes == (codes.RTU_FINGERPRINT_MISMATCH,)
    assert judge(PKI.rtu_token(fingerprint=None), jwk=PKI.account_jwk).codes == (codes.RTU_FINGERPRINT_MISMATCH,)
    assert judge(PKI.rtu_token()).native["fingerprint"] == "not_checked"


def test_token_authority_anchor() -> None:
    r = judge(PKI.rtu_token(), trust=ForeignTrust())
    assert r.status is Status.INDETERMINATE and r.codes == (codes.FOREIGN_ANCHOR_NOT_CONFIGURED,)
    wrong = ForeignTrust(files={"rtu_authorities": (PKI.root.pem,)})  # an X.509 evidence anchor, not a token authority
    assert judge(PKI.rtu_token(), trust=wrong).codes == (codes.X509_NO_TRUSTED_PATH,)
    # a token signed by a key whose self-made certificate travels in x5c
    rogue = F.issue(F._name("Rogue authority", "rogue"), F.seed_key("rogue"), None, serial=9,
                    not_before=_dt.datetime(2025, 1, 1, tzinfo=_dt.UTC), not_after=_dt.datetime(2030, 1, 1, tzinfo=_dt.UTC),
                    ca=False)
    tok = PKI.rtu_token(header={"x5c": [base64.b64encode(rogue.der).decode()]}, signer=rogue.key)  # type: ignore[arg-type]
    assert judge(tok).codes == (codes.X509_NO_TRUSTED_PATH,)


def test_authority_certificate_must_be_for_signing() -> None:
    tok = PKI.rtu_token(header={"x5c": [base64.b64encode(PKI.rtu_root.der).decode()]}, signer=PKI.rtu_root.key)  # type: ignore[arg-type]
    r = judge(tok)
    assert r.status is Status.INVALID and codes.RTU_AUTHORITY_NOT_FOR_SIGNING in r.codes


@pytest.mark.parametrize("header, code", [
    ({"crit": ["exp"]}, codes.RTU_HEADER_INVALID),
    ({"typ": "passport"}, codes.RTU_HEADER_INVALID),
    ({"x5c": "not a list"}, codes.RTU_HEADER_INVALID),
    ({"x5c": ["***"]}, codes.RTU_HEADER_INVALID),
    ({"x5c": [base64.b64encode(b"\x30\x03\x02\x01\x01").decode()]}, codes.RTU_HEADER_INVALID),
])
def test_bad_headers(header: dict[str, Any], code: str) -> None:
    assert code in judge(PKI.rtu_token(header=header)).codes


def test_no_key_source() -> None:
    h, p, s = _parts(PKI.rtu_token())
    hdr = {"alg": "ES256", "typ": "JWT", "jwk": F.ec_jwk(PKI.token_authority.key.public_key())}  # type: ignore[arg-type]
    r = judge(f"{_seg(hdr)}.{p}.{s}")
    assert r.codes == (codes.RTU_HEADER_INVALID,)  # a key in the header is never used


def test_jwt_without_atc_is_not_an_authority_token() -> None:
    h, _, s = _parts(PKI.rtu_token())
    r = judge(f"{h}.{_seg({'iss': 'x', 'exp': 1780272000})}.{s}")
    assert r.status is Status.INDETERMINATE and r.codes == (codes.RTU_NOT_AUTHORITY_TOKEN,)


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00", b"a.b", b"x" * (11 * 1024 * 1024), b"...", b"e30.e30.e30",
                                  b"e30.eyJhdGMiOnt9fQ.AAAA"])
def test_hostile_bytes_get_coded_results(data: bytes) -> None:
    r = judge(data)
    assert r.status is not Status.VALID and r.codes


def test_fetch_errors_keep_their_code() -> None:
    class Failing:
        def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
            raise FetchError("refused", code=codes.FETCH_ADDRESS_PRIVATE, url=url)
    assert judge(PKI.rtu_token(x5u=True), fetcher=Failing()).codes == (codes.FETCH_ADDRESS_PRIVATE,)
