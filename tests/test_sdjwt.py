"""SD-JWT / SD-JWT VC checker (vvp.evidence.sdjwt): the valid case, every applicable pitfall of
evidence-formats §6, trust files, x5c, and hostile input. Fixtures come from
vvp.testing.foreign_vc (made with the sd-jwt package), never from the checker under test."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vvp import codes
from vvp.evidence import _trustfiles, issuer_keys, sdjwt
from vvp.evidence.base import ArtifactResult, CheckContext, ForeignTrust
from vvp.evidence.sdjwt import SdJwtChecker
from vvp.testing import foreign_vc as fv
from vvp.testing.foreign_vc import SDObj
from vvp.trust import Policy
from vvp.verdict import Status

DC = "application/dc+sd-jwt"
PLAIN = "application/sd-jwt"
AT = fv.CALL_AT
KB_IAT = int((AT - _dt.timedelta(hours=1)).timestamp())


@pytest.fixture(scope="module")
def world() -> fv.SdJwtWorld:
    return fv.SdJwtWorld.make()


def trust_with(tmp_path: Path, *files: tuple[str, bytes]) -> ForeignTrust:
    paths = []
    for name, data in files:
        p = tmp_path / name
        p.write_bytes(data)
        paths.append(p)
    return ForeignTrust(sd_jwt_issuers=tuple(paths))


@pytest.fixture
def trust(tmp_path: Path, world: fv.SdJwtWorld) -> ForeignTrust:
    return trust_with(tmp_path, ("issuer.jwks", world.jwks()))


def check(data: str | bytes, trust: ForeignTrust, *, media_type: str = DC, require_kb: bool = False,
          at: _dt.datetime = AT, skew: int = 5) -> ArtifactResult:
    ctx = CheckContext(at, trust, Policy(sd_jwt_require_key_binding=require_kb, clock_skew_s=skew))
    raw = data.encode("ascii") if isinstance(data, str) else data
    return SdJwtChecker().check(raw, media_type, ctx)


def invalid(r: ArtifactResult, code: str) -> None:
    assert r.status is Status.INVALID, (r.status, r.codes, r.messages)
    assert code in r.codes, (r.codes, r.messages)


def kb(pres: str, world: fv.SdJwtWorld, **kw: Any) -> str:
    return pres + fv.key_binding_jwt(pres, world.holder, iat=KB_IAT, **kw)


def signed(world: fv.SdJwtWorld, payload: dict[str, Any] | str, *discs: str, typ: str = "dc+sd-jwt",
           header: dict[str, Any] | str | None = None, key: Any = None) -> str:
    """A hand-made SD-JWT (for shapes the sd-jwt package refuses to make) signed by the world's issuer."""
    hdr = header if header is not None else {"alg": "ES256", "typ": typ, "kid": world.kid}
    jwt = fv.sign_jws(hdr, payload, world.issuer if key is None else key)
    return jwt + "~" + "".join(d + "~" for d in discs)


def base_payload(**extra: Any) -> dict[str, Any]:
    return {"iss": fv.ISSUER_URL, "vct": fv.VCT, "iat": int(fv.ISSUED_AT.timestamp()),
            "exp": int(fv.EXPIRES_AT.timestamp()), "_sd_alg": "sha-256", **extra}


# --- the valid case ----------------------------------------------------------------------------

def test_legal_person_vc_with_key_binding_is_valid(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    r = check(world.legal_person(), trust, require_kb=True)
    assert r.status is Status.VALID, (r.codes, r.messages)
    assert r.codes == (codes.OK,)
    assert r.facts.legal_name == fv.LEGAL_NAME and r.facts.lei == fv.LEI and r.facts.tns == fv.TNS
    n = r.native
    assert n["iss"] == fv.ISSUER_URL and n["vct"] == fv.VCT
    assert n["status"] == {"status_list": {"idx": 7, "uri": f"{fv.ISSUER_URL}/status/1"}}
    assert n["status_checked"] is False
    assert n["key_binding"]["verified"] is True and n["key_binding"]["required"] is True
    # recursive (address.country) and array (phone_numbers) disclosures, decoys dropped, locality withheld
    assert n["claims"]["address"] == {"country": "US"}
    assert n["claims"]["phone_numbers"] == list(fv.TNS)
    assert "_sd" not in json.dumps(n["claims"]) and "_sd_alg" not in n["claims"] and "cnf" not in n["claims"]
    assert r.anchor is not None and r.anchor.startswith("jwk:")


def test_partial_disclosure_hides_what_is_not_presented(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = world.legal_person(disclosed={"lei": True, "phone_numbers": [False, True]}, key_binding=False)
    r = check(pres, trust)
    assert r.status is Status.VALID, r.messages
    assert "legal_name" not in r.native["claims"] and "address" not in r.native["claims"]
    assert r.native["claims"]["phone_numbers"] == [fv.TNS[1]]
    assert r.facts.legal_name is None and r.facts.tns == (fv.TNS[1],)


@pytest.mark.parametrize("alg", ["ES384", "EdDSA"])
def test_other_allowed_issuer_algorithms(tmp_path: Path, alg: str) -> None:
    w = fv.SdJwtWorld.make(f"issuer {alg}", issuer_alg=alg)
    r = check(w.legal_person(), trust_with(tmp_path, ("i.jwks", w.jwks())), require_kb=True)
    assert r.status is Status.VALID, r.messages
    assert r.native["alg"] == alg


def test_pem_public_key_as_issuer(tmp_path: Path, world: fv.SdJwtWorld) -> None:
    r = check(world.legal_person(), trust_with(tmp_path, ("i.pem", fv.public_pem(world.issuer))))
    assert r.status is Status.VALID, r.messages


def test_sha_384_disclosures(tmp_path: Path, world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    d = fv.disclosure("c2FsdHNhbHRzYWx0", "legal_name", fv.LEGAL_NAME)
    pres = signed(world, base_payload(_sd_alg="sha-384", _sd=[fv.digest(d, "sha-384")]), d)
    r = check(pres, trust)
    assert r.status is Status.VALID, r.messages
    assert r.native["claims"]["legal_name"] == fv.LEGAL_NAME


def test_json_serialization(tmp_path: Path, world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    issuance = fv.issue_sd_jwt(fv.legal_person_claims(), world.issuer, holder_key=world.holder, kid=world.kid,
                               serialization="json")
    pres = fv.with_key_binding(fv.select(issuance, {"lei": True}, serialization="json"), world.holder, iat=KB_IAT)
    r = check(pres, trust, media_type="application/sd-jwt+json", require_kb=True)
    assert r.status is Status.VALID, r.messages
    assert r.native["serialization"] == "json" and r.native["claims"]["lei"] == fv.LEI


def test_one_trailing_line_ending_is_accepted_other_whitespace_is_not(world: fv.SdJwtWorld,
                                                                     trust: ForeignTrust) -> None:
    pres = world.legal_person()
    assert check(pres + "\n", trust).status is Status.VALID
    assert check(pres + "\r\n", trust).status is Status.VALID
    invalid(check(pres + " \n", trust), codes.SDJWT_MALFORMED)


# --- pitfalls of evidence-formats §6 ---------------------------------------------------------------

def test_unreferenced_disclosure(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = world.legal_person(key_binding=False)
    extra = fv.disclosure("aW5qZWN0ZWQtc2FsdA", "legal_name", "Someone Else Inc")
    invalid(check(pres + extra + "~", trust), codes.SDJWT_DISCLOSURE_UNREFERENCED)
    # also when the holder binds the injected disclosure with a fresh KB-JWT
    invalid(check(kb(pres + extra + "~", world), trust, require_kb=True), codes.SDJWT_DISCLOSURE_UNREFERENCED)


def test_tampered_disclosure_is_unreferenced(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = world.legal_person(key_binding=False)
    jwt, *discs, _ = pres.split("~")
    decoded = [json.loads(base64.urlsafe_b64decode(d + "=" * (-len(d) % 4))) for d in discs]
    i = next(i for i, d in enumerate(decoded) if len(d) == 3 and d[1] == "legal_name")
    discs[i] = fv.disclosure(decoded[i][0], "legal_name", "Forged Name LLC")
    invalid(check(jwt + "~" + "".join(d + "~" for d in discs), trust), codes.SDJWT_DISCLOSURE_UNREFERENCED)


def test_repeated_disclosure(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = world.legal_person(key_binding=False)
    first = pres.split("~")[1]
    invalid(check(pres + first + "~", trust), codes.SDJWT_DISCLOSURE_REPEATED)


def test_duplicate_digest(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    d = fv.disclosure("c2FsdC0x", "legal_name", fv.LEGAL_NAME)
    dg = fv.digest(d)
    invalid(check(signed(world, base_payload(_sd=[dg, dg]), d), trust), codes.SDJWT_DIGEST_REPEATED)
    # the same digest once in _sd and once as an array element
    a = fv.disclosure("c2FsdC0y", fv.TNS[0])
    pay = base_payload(_sd=[fv.digest(a)], phone_numbers=[{"...": fv.digest(a)}])
    invalid(check(signed(world, pay, a), trust), codes.SDJWT_DIGEST_REPEATED)
    # a repeated decoy digest counts too (RFC 9901 §7.1 step 4 speaks of any digest)
    invalid(check(signed(world, base_payload(_sd=["ZGVjb3k", "ZGVjb3k"])), trust), codes.SDJWT_DIGEST_REPEATED)


@pytest.mark.parametrize("sd_alg", ["md5", "sha-1", "sha3-256", "SHA-256", 256])
def test_unsupported_sd_alg(world: fv.SdJwtWorld, trust: ForeignTrust, sd_alg: Any) -> None:
    d = fv.disclosure("c2FsdC0x", "legal_name", fv.LEGAL_NAME)
    invalid(check(signed(world, base_payload(_sd_alg=sd_alg, _sd=[fv.digest(d)]), d), trust),
            codes.SDJWT_SD_ALG_UNSUPPORTED)


def test_expired(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    exp = AT - _dt.timedelta(days=1)
    pres = world.legal_person(exp=exp, key_binding=False)
    invalid(check(pres, trust), codes.SDJWT_EXPIRED)
    # at the boundary: valid until exp + clock_skew_s, expired from then on
    assert check(pres, trust, at=exp + _dt.timedelta(seconds=4)).status is Status.VALID
    invalid(check(pres, trust, at=exp + _dt.timedelta(seconds=5)), codes.SDJWT_EXPIRED)


def test_not_yet_valid(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    nbf = AT + _dt.timedelta(days=1)
    invalid(check(world.legal_person(nbf=nbf, key_binding=False), trust), codes.SDJWT_NOT_YET_VALID)
    future_iat = AT + _dt.timedelta(hours=2)
    invalid(check(world.legal_person(iat=future_iat, key_binding=False), trust), codes.SDJWT_NOT_YET_VALID)


@pytest.mark.parametrize("value", ["1798761600", 1798761600.5, True, None])
def test_numeric_dates_must_be_integers(world: fv.SdJwtWorld, trust: ForeignTrust, value: Any) -> None:
    invalid(check(signed(world, base_payload(exp=value)), trust), codes.SDJWT_PAYLOAD_INVALID)


def test_key_binding_missing_when_required(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = world.legal_person(key_binding=False)
    assert check(pres, trust, require_kb=False).status is Status.VALID
    r = check(pres, trust, require_kb=True)
    invalid(r, codes.SDJWT_KEY_BINDING_MISSING)
    assert r.native["key_binding"] == {"present": False, "required": True, "verified": False}


def test_sd_hash_mismatch(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    full = world.legal_person()
    # a disclosure removed after the holder signed: the KB-JWT no longer covers what is presented
    parts = full.split("~")
    stripped = "~".join(parts[:1] + parts[2:])
    invalid(check(stripped, trust, require_kb=True), codes.SDJWT_KB_SD_HASH_MISMATCH)
    pres = world.legal_person(key_binding=False)
    invalid(check(kb(pres, world, sd_hash="AAAA"), trust), codes.SDJWT_KB_SD_HASH_MISMATCH)
    # sd_hash over the presentation without its final "~" (a known implementation bug)
    invalid(check(kb(pres, world, sd_hash=fv.digest(pres[:-1])), trust), codes.SDJWT_KB_SD_HASH_MISMATCH)


def test_key_binding_jwt_checks(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = world.legal_person(key_binding=False)
    invalid(check(kb(pres, world, typ="JWT"), trust), codes.SDJWT_KB_INVALID)
    other = fv.p256_key("not the holder")
    invalid(check(pres + fv.key_binding_jwt(pres, other, iat=KB_IAT), trust), codes.SDJWT_KB_SIGNATURE_INVALID)
    late = int((AT + _dt.timedelta(minutes=5)).timestamp())
    invalid(check(pres + fv.key_binding_jwt(pres, world.holder, iat=late), trust), codes.SDJWT_KB_INVALID)
    early = int((fv.ISSUED_AT - _dt.timedelta(days=1)).timestamp())
    invalid(check(pres + fv.key_binding_jwt(pres, world.holder, iat=early), trust), codes.SDJWT_KB_INVALID)
    none_kb = fv.sign_jws({"alg": "none", "typ": "kb+jwt"}, {"iat": KB_IAT, "aud": "a", "nonce": "n",
                                                               "sd_hash": fv.digest(pres)}, None)
    invalid(check(pres + none_kb, trust), codes.SDJWT_ALG_FORBIDDEN)
    # a KB-JWT that is present is verified even when policy does not require one
    invalid(check(pres + "eyJhbGciOiJFUzI1NiJ9.e30.AAAA", trust, require_kb=False), codes.SDJWT_KB_INVALID)


def test_kb_without_cnf(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = signed(world, base_payload())
    invalid(check(kb(pres, world), trust), codes.SDJWT_KB_INVALID)


def test_alg_none(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = fv.sign_jws({"alg": "none", "typ": "dc+sd-jwt"}, base_payload(), None) + "~"
    invalid(check(pres, trust), codes.SDJWT_ALG_FORBIDDEN)


def test_hmac_with_the_public_key_as_secret(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    secret = world.jwks()  # the classic confusion: the verifier's public key bytes as an HMAC key
    pres = fv.sign_jws({"alg": "HS256", "typ": "dc+sd-jwt", "kid": world.kid}, base_payload(), secret) + "~"
    invalid(check(pres, trust), codes.SDJWT_ALG_FORBIDDEN)


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES512", "HS512", "Ed25519", "", None])
def test_other_algorithms_are_refused(world: fv.SdJwtWorld, trust: ForeignTrust, alg: Any) -> None:
    pres = fv.sign_jws({"alg": alg, "typ": "dc+sd-jwt"}, base_payload(), world.issuer) + "~"
    invalid(check(pres, trust), codes.SDJWT_ALG_FORBIDDEN)


def test_key_and_algorithm_must_match(tmp_path: Path) -> None:
    w = fv.SdJwtWorld.make("eddsa issuer", issuer_alg="EdDSA")
    tr = trust_with(tmp_path, ("i.jwks", w.jwks()))
    # an Ed25519 signature under a header claiming ES256: no ES256 key is configured
    pres = fv.sign_jws({"alg": "ES256", "typ": "dc+sd-jwt"}, base_payload(), w.issuer) + "~"
    invalid(check(pres, tr), codes.SDJWT_ISSUER_UNTRUSTED)


def test_duplicate_json_keys(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    hdr = '{"alg": "ES256", "typ": "dc+sd-jwt", "alg": "none"}'
    r = check(fv.sign_jws(hdr, base_payload(), world.issuer) + "~", trust)
    invalid(r, codes.SDJWT_MALFORMED)
    assert codes.JOSE_JSON_DUPLICATE_KEY in r.codes
    pay = json.dumps(base_payload())[:-1] + ', "iss": "https://evil.example"}'
    r = check(fv.sign_jws({"alg": "ES256", "typ": "dc+sd-jwt"}, pay, world.issuer) + "~", trust)
    invalid(r, codes.SDJWT_MALFORMED)
    assert codes.JOSE_JSON_DUPLICATE_KEY in r.codes
    d = base64.urlsafe_b64encode(b'["salt", "address", {"country": "US", "country": "DE"}]').rstrip(b"=").decode()
    r = check(signed(world, base_payload(_sd=[fv.digest(d)]), d), trust)
    invalid(r, codes.SDJWT_DISCLOSURE_INVALID)
    assert codes.JOSE_JSON_DUPLICATE_KEY in r.codes


def test_loose_base64_is_refused(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = world.legal_person(key_binding=False)
    jwt, rest = pres.split("~", 1)
    h, p, s = jwt.split(".")
    invalid(check(f"{h}=.{p}.{s}~{rest}", trust), codes.SDJWT_MALFORMED)  # padding
    d = rest.split("~")[0]
    padded = d + "=" * (-len(d) % 4)
    if padded != d:
        invalid(check(f"{jwt}~{padded}~", trust), codes.SDJWT_MALFORMED)


# --- disclosure structure -------------------------------------------------------------------------

def test_claim_conflict(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    d = fv.disclosure("c2FsdA", "iss", "https://evil.example")
    pres = signed(world, base_payload(_sd=[fv.digest(d)]), d, typ="example+sd-jwt")
    invalid(check(pres, trust, media_type=PLAIN), codes.SDJWT_CLAIM_CONFLICT)


@pytest.mark.parametrize("name", ["exp", "iss", "vct", "cnf", "status", "nbf"])
def test_vc_claims_that_must_not_be_disclosable(world: fv.SdJwtWorld, trust: ForeignTrust, name: str) -> None:
    claims = {k: v for k, v in fv.legal_person_claims().items() if k != name}
    value = fv.legal_person_claims().get(name, 1798761600)
    claims[SDObj(name)] = value
    issuance = fv.issue_sd_jwt(claims, world.issuer, kid=world.kid)
    r = check(issuance, trust)
    assert r.status is Status.INVALID
    assert r.codes[0] in (codes.SDJWT_CLAIM_NOT_DISCLOSABLE, codes.SDJWT_PAYLOAD_INVALID), r.codes
    if name not in ("iss", "vct"):  # without iss or vct in the signed payload the VC is refused earlier
        assert r.codes[0] == codes.SDJWT_CLAIM_NOT_DISCLOSABLE


def test_disclosure_shapes(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    two = fv.disclosure("c2FsdA", "value-only")
    invalid(check(signed(world, base_payload(_sd=[fv.digest(two)]), two), trust), codes.SDJWT_DISCLOSURE_INVALID)
    three = fv.disclosure("c2FsdA", "name", "value")
    invalid(check(signed(world, base_payload(tns=[{"...": fv.digest(three)}]), three), trust),
            codes.SDJWT_DISCLOSURE_INVALID)
    for bad in (fv.disclosure("c2FsdA", "_sd", ["x"]), fv.disclosure("c2FsdA", "...", "x"),
                fv.disclosure(7, "name", "x"), fv.disclosure("c2FsdA", 7, "x"),
                fv.disclosure("c2FsdA", "a", "b", "c"),
                base64.urlsafe_b64encode(b'{"not": "an array"}').rstrip(b"=").decode()):
        invalid(check(signed(world, base_payload(_sd=[fv.digest(bad)]), bad), trust), codes.SDJWT_DISCLOSURE_INVALID)


def test_recursive_disclosures(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    inner = fv.disclosure("aW5uZXI", "country", "US")
    outer = fv.disclosure("b3V0ZXI", "address", {"_sd": [fv.digest(inner)], "locality": "Anytown"})
    elem = fv.disclosure("ZWxlbQ", {"_sd": [fv.digest(fv.disclosure("bmVzdA", "tn", fv.TNS[0]))]})
    nested = fv.disclosure("bmVzdA", "tn", fv.TNS[0])
    pay = base_payload(_sd=[fv.digest(outer)], lines=[{"...": fv.digest(elem)}, {"...": "ZGVjb3k"}])
    r = check(signed(world, pay, outer, inner, elem, nested), trust)
    assert r.status is Status.VALID, r.messages
    assert r.native["claims"]["address"] == {"locality": "Anytown", "country": "US"}
    assert r.native["claims"]["lines"] == [{"tn": fv.TNS[0]}]
    # the inner disclosure alone, without the outer one that references it: unreferenced
    invalid(check(signed(world, pay, inner), trust), codes.SDJWT_DISCLOSURE_UNREFERENCED)


def test_payload_sd_must_be_an_array_of_strings(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    invalid(check(signed(world, base_payload(_sd="abc")), trust), codes.SDJWT_PAYLOAD_INVALID)
    invalid(check(signed(world, base_payload(_sd=[1])), trust), codes.SDJWT_PAYLOAD_INVALID)
    invalid(check(signed(world, base_payload(tns=[{"...": 5}])), trust), codes.SDJWT_PAYLOAD_INVALID)


def test_deep_nesting_is_bounded(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    discs: list[str] = []
    value: Any = "leaf"
    for i in range(sdjwt.MAX_NESTING + 4):
        d = fv.disclosure(f"c2FsdC0{i}", "n", value)
        discs.append(d)
        value = {"_sd": [fv.digest(d)]}
    r = check(signed(world, base_payload(**value), *discs), trust)
    invalid(r, codes.SDJWT_PAYLOAD_INVALID)


# --- header and media type -------------------------------------------------------------------------

def test_typ_must_fit_the_media_type(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    invalid(check(signed(world, base_payload(), typ="example+sd-jwt"), trust), codes.SDJWT_HEADER_INVALID)
    assert check(signed(world, base_payload(), typ="vc+sd-jwt"), trust,
                 media_type="application/vc+sd-jwt").status is Status.VALID
    invalid(check(signed(world, base_payload(), typ="kb+jwt"), trust, media_type=PLAIN), codes.SDJWT_HEADER_INVALID)
    crit = {"alg": "ES256", "typ": "dc+sd-jwt", "crit": ["exp"], "exp": 1}
    invalid(check(signed(world, base_payload(), header=crit), trust), codes.SDJWT_HEADER_INVALID)


def test_vc_needs_iss_and_vct(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    p = base_payload()
    del p["vct"]
    invalid(check(signed(world, p), trust), codes.SDJWT_PAYLOAD_INVALID)
    # a plain SD-JWT does not need a vct
    assert check(signed(world, p, typ="example+sd-jwt"), trust, media_type=PLAIN).status is Status.VALID


# --- trust ---------------------------------------------------------------------------------------

def test_no_issuers_configured_is_indeterminate(world: fv.SdJwtWorld) -> None:
    r = check(world.legal_person(), ForeignTrust())
    assert r.status is Status.INDETERMINATE and r.codes == (codes.FOREIGN_ANCHOR_NOT_CONFIGURED,)


def test_unreadable_trust_file_is_indeterminate(tmp_path: Path, world: fv.SdJwtWorld) -> None:
    r = check(world.legal_person(), trust_with(tmp_path, ("bad.jwks", b"{not json")))
    assert r.status is Status.INDETERMINATE and r.codes == (codes.SDJWT_ISSUER_KEYS_INVALID,)
    # a readable file with the right key beside it still verifies
    tr = trust_with(tmp_path, ("bad2.jwks", b'{"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}'),
                    ("good.jwks", world.jwks()))
    assert check(world.legal_person(), tr).status is Status.VALID


def test_private_key_in_trust_file_is_refused(tmp_path: Path, world: fv.SdJwtWorld) -> None:
    jwk = fv.public_jwk(world.issuer, world.kid)
    jwk["d"] = "AAAA"
    r = check(world.legal_person(), trust_with(tmp_path, ("i.jwks", fv.jwk_set(jwk))))
    assert r.status is Status.INDETERMINATE and r.codes == (codes.SDJWT_ISSUER_KEYS_INVALID,)


def test_unknown_issuer_key(tmp_path: Path, world: fv.SdJwtWorld) -> None:
    other = fv.SdJwtWorld.make("another issuer")
    # the token's kid names no configured key
    invalid(check(world.legal_person(), trust_with(tmp_path, ("other.jwks", other.jwks()))),
            codes.SDJWT_ISSUER_UNTRUSTED)
    # a configured key without kid fits the algorithm, but the signature is not its
    tr = trust_with(tmp_path, ("nokid.jwks", fv.jwk_set(fv.public_jwk(other.issuer))))
    invalid(check(world.legal_person(), tr), codes.SDJWT_SIGNATURE_INVALID)
    ed = fv.SdJwtWorld.make("an eddsa issuer", issuer_alg="EdDSA")
    invalid(check(world.legal_person(), trust_with(tmp_path, ("ed.jwks", ed.jwks()))), codes.SDJWT_ISSUER_UNTRUSTED)


def test_issuer_metadata_binds_keys_to_one_iss(tmp_path: Path, world: fv.SdJwtWorld) -> None:
    good = trust_with(tmp_path, ("m1.json", fv.issuer_metadata(fv.ISSUER_URL, fv.public_jwk(world.issuer))))
    assert check(world.legal_person(), good).status is Status.VALID
    wrong = trust_with(tmp_path, ("m2.json", fv.issuer_metadata("https://other.example", fv.public_jwk(world.issuer))))
    invalid(check(world.legal_person(), wrong), codes.SDJWT_ISSUER_UNTRUSTED)


def test_tampered_payload(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = world.legal_person(key_binding=False)
    jwt, rest = pres.split("~", 1)
    h, p, s = jwt.split(".")
    payload = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    payload["vct"] = "https://evil.example/vct"
    p2 = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    invalid(check(f"{h}.{p2}.{s}~{rest}", trust), codes.SDJWT_SIGNATURE_INVALID)


def test_jwk_and_jku_headers_are_never_trusted(tmp_path: Path, world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    rogue = fv.p256_key("rogue")
    hdr = {"alg": "ES256", "typ": "dc+sd-jwt", "jwk": fv.public_jwk(rogue), "jku": "https://evil.example/jwks"}
    invalid(check(fv.sign_jws(hdr, base_payload(), rogue) + "~", trust), codes.SDJWT_SIGNATURE_INVALID)


def test_trust_files_are_read_once_per_trust(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            world: fv.SdJwtWorld) -> None:
    reads: list[Path] = []
    real = _trustfiles.read_trust_file

    def counting(p: Path) -> bytes:
        reads.append(p)
        return real(p)

    monkeypatch.setattr(issuer_keys, "read_trust_file", counting)
    checker = SdJwtChecker()
    tr = trust_with(tmp_path, ("i.jwks", world.jwks()))
    ctx = CheckContext(AT, tr, Policy())
    pres = world.legal_person().encode()
    for _ in range(3):
        assert checker.check(pres, DC, ctx).status is Status.VALID
    assert len(reads) == 1
    # a new trust store (even naming the same file) is read again: the file may have changed
    (tmp_path / "i.jwks").write_bytes(fv.SdJwtWorld.make("replaced").jwks())
    ctx2 = CheckContext(AT, ForeignTrust(sd_jwt_issuers=tr.sd_jwt_issuers), Policy())
    assert checker.check(pres, DC, ctx2).status is Status.INVALID
    assert len(reads) == 2


# --- x5c -----------------------------------------------------------------------------------------

def x5c_token(pki: fv.X5cPki, *, iss: str = fv.ISSUER_URL) -> str:
    hdr = {"alg": "ES256", "typ": "dc+sd-jwt", "x5c": pki.x5c()}
    return fv.sign_jws(hdr, base_payload(iss=iss), pki.leaf_key) + "~"


def test_x5c_to_a_configured_anchor(tmp_path: Path) -> None:
    pki = fv.x5c_pki("x5c issuer")
    tr = trust_with(tmp_path, ("root.pem", pki.root_pem()))
    r = check(x5c_token(pki), tr)
    assert r.status is Status.VALID, r.messages
    assert r.anchor is not None and r.anchor.startswith("x509:") and "x5c issuer root" in r.anchor
    assert r.native["issuer_key"]["source"] == "x5c"


def test_x5c_to_another_root(tmp_path: Path) -> None:
    pki, other = fv.x5c_pki("x5c issuer"), fv.x5c_pki("someone else")
    invalid(check(x5c_token(pki), trust_with(tmp_path, ("root.pem", other.root_pem()))), codes.SDJWT_X5C_INVALID)


def test_x5c_leaf_must_name_iss(tmp_path: Path) -> None:
    pki = fv.x5c_pki("x5c issuer")
    tr = trust_with(tmp_path, ("root.pem", pki.root_pem()))
    invalid(check(x5c_token(pki, iss="https://impostor.example"), tr), codes.SDJWT_X5C_INVALID)
    dns = fv.x5c_pki("x5c dns", san_uris=(), san_dns=("registry.foreign.example",))
    assert check(x5c_token(dns), trust_with(tmp_path, ("dns.pem", dns.root_pem()))).status is Status.VALID


def test_x5c_at_the_reference_time(tmp_path: Path) -> None:
    pki = fv.x5c_pki("x5c issuer")
    tr = trust_with(tmp_path, ("root.pem", pki.root_pem()))
    invalid(check(x5c_token(pki), tr, at=_dt.datetime(2031, 1, 1, tzinfo=_dt.UTC)), codes.SDJWT_X5C_INVALID)


# --- hostile input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"~", b"~~", b"a.b.c", b"a.b.c~~~", b"\xff\xfe", b"{}", b"x" * 70000,
                                  "é~".encode(), b"a..c~", b"..~"])
def test_garbage_gives_a_coded_result(trust: ForeignTrust, data: bytes) -> None:
    for media_type in sdjwt.MEDIA_TYPES:
        r = check(data, trust, media_type=media_type)
        assert r.status in (Status.INVALID, Status.INDETERMINATE)
        assert r.codes and all(codes.is_registered(c) for c in r.codes)


def test_too_many_disclosures(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    discs = [fv.disclosure(f"s{i}", f"c{i}", i) for i in range(sdjwt.MAX_DISCLOSURES + 1)]
    r = check(signed(world, base_payload(_sd=[fv.digest(d) for d in discs]), *discs), trust)
    assert r.status is Status.INDETERMINATE and r.codes == (codes.EVIDENCE_TOO_LARGE,)


def test_mutations_never_verify_and_never_raise(world: fv.SdJwtWorld, trust: ForeignTrust) -> None:
    pres = world.legal_person()
    rnd = random.Random(20)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
    mutators: list[Callable[[str], str]] = [
        lambda s: s[:i] + rnd.choice(alphabet) + s[i + 1:] if (i := rnd.randrange(len(s))) >= 0 else s,
        lambda s: s[:i] + s[i + 1:] if (i := rnd.randrange(len(s))) >= 0 else s,
        lambda s: s[:i] + rnd.choice(alphabet) + s[i:] if (i := rnd.randrange(len(s))) >= 0 else s,
    ]
    for _ in range(300):
        m = rnd.choice(mutators)(pres)
        if m == pres:
            continue
        r = check(m, trust, require_kb=True)
        assert r.codes and all(codes.is_registered(c) for c in r.codes)
        assert r.status is not Status.VALID or m.rstrip("\n") == pres, (m, r.codes)


def test_bytes_loaded_with_the_trust_store_are_used_not_the_paths(tmp_path: Path, world: fv.SdJwtWorld) -> None:
    # a loaded trust store carries its files' bytes (recorded with it): the paths are not read again
    gone = tmp_path / "moved-away.jwks"
    tr = ForeignTrust(sd_jwt_issuers=(gone,), files={"sd_jwt_issuers": (world.jwks(),)})
    assert check(world.legal_person(), tr).status is Status.VALID
    tr2 = ForeignTrust(sd_jwt_issuers=(gone,), files={"sd_jwt_issuers": (b"not a key file",)})
    r = check(world.legal_person(), tr2)
    assert r.status is Status.INDETERMINATE and r.codes == (codes.SDJWT_ISSUER_KEYS_INVALID,)
