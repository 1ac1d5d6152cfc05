"""W3C VC Data Integrity checker (vvp.evidence.w3cvc): VCs signed by vvp.testing.foreign_vc with
plain pyld over the W3C base context from ../shared/corpus/vc/contexts (skipped without it) and a
context of the tests' own; the valid cases and every applicable pitfall of evidence-formats §6."""

from __future__ import annotations

import copy
import datetime as _dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import corpus_path
from vvp import codes
from vvp.evidence import _jsonld, _trustfiles, issuer_keys, w3cvc
from vvp.evidence.base import ArtifactResult, CheckContext, ForeignTrust, VcIssuer
from vvp.evidence.w3cvc import W3cVcChecker
from vvp.testing import foreign_vc as fv
from vvp.trust import Policy
from vvp.verdict import Status

MT = "application/vc+ld+json"
AT = fv.CALL_AT
ED = fv.ed25519_key("w3c issuer ed25519")
P256 = fv.p256_key("w3c issuer p256")
ISSUER_URL = "https://issuer.foreign.example"


@pytest.fixture(scope="module")
def contexts() -> dict[str, Any]:
    v2 = corpus_path("vc", "contexts", "credentials-v2.jsonld")
    return {fv.BASE_CONTEXT_V2: json.loads(v2.read_text()), fv.ORG_CONTEXT_URL: fv.ORG_CONTEXT}


@pytest.fixture
def context_files(tmp_path: Path, contexts: dict[str, Any]) -> dict[str, Path]:
    files = fv.write_contexts(tmp_path, {fv.ORG_CONTEXT_URL: fv.ORG_CONTEXT})
    files[fv.BASE_CONTEXT_V2] = corpus_path("vc", "contexts", "credentials-v2.jsonld")  # the normative bytes
    return files


def trust_for(context_files: dict[str, Path], *issuers: VcIssuer) -> ForeignTrust:
    return ForeignTrust(vc_issuers=issuers or (VcIssuer(fv.did_key_of(ED)), VcIssuer(fv.did_key_of(P256))),
                        contexts=context_files)


@pytest.fixture
def trust(context_files: dict[str, Path]) -> ForeignTrust:
    return trust_for(context_files)


def check(vc: dict[str, Any] | bytes, trust: ForeignTrust, *, at: _dt.datetime = AT,
          checker: W3cVcChecker | None = None) -> ArtifactResult:
    data = vc if isinstance(vc, bytes) else json.dumps(vc).encode()
    return (checker or W3cVcChecker()).check(data, MT, CheckContext(at, trust, Policy()))


def signed(contexts: dict[str, Any], key: Any = ED, *, issuer: str | None = None, **kw: Any) -> dict[str, Any]:
    sign_kw = {k: kw.pop(k) for k in ("vm", "proof_purpose", "extra_proof", "created") if k in kw}
    vc = fv.organisation_vc(issuer or fv.did_key_of(key), **kw)
    return fv.sign_data_integrity(vc, key, contexts, **sign_kw)


def invalid(r: ArtifactResult, code: str) -> None:
    assert r.status is Status.INVALID, (r.status, r.codes, r.messages)
    assert code in r.codes, (r.codes, r.messages)


def indeterminate(r: ArtifactResult, code: str) -> None:
    assert r.status is Status.INDETERMINATE, (r.status, r.codes, r.messages)
    assert r.codes == (code,), (r.codes, r.messages)


# --- valid ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key,suite", [(ED, "eddsa-rdfc-2022"), (P256, "ecdsa-rdfc-2019")])
def test_did_key_issuer(contexts: dict[str, Any], trust: ForeignTrust, key: Any, suite: str) -> None:
    r = check(signed(contexts, key), trust)
    assert r.status is Status.VALID, (r.codes, r.messages)
    assert r.native["cryptosuite"] == suite and r.anchor == fv.did_key_of(key)
    assert r.facts.legal_name == fv.LEGAL_NAME and r.facts.lei == fv.LEI and r.facts.tns == fv.TNS
    assert r.native["status_checked"] is False
    assert r.native["contexts"][fv.BASE_CONTEXT_V2] == _jsonld.NORMATIVE_CONTEXT_SHA256[fv.BASE_CONTEXT_V2]


def test_issuer_url_with_a_jwk_set(tmp_path: Path, contexts: dict[str, Any], context_files: dict[str, Path]) -> None:
    jwks = tmp_path / "issuer.jwks"
    jwks.write_bytes(fv.jwk_set(fv.public_jwk(ED, kid="key-1")))
    tr = trust_for(context_files, VcIssuer(ISSUER_URL, jwks))
    r = check(signed(contexts, ED, issuer=ISSUER_URL, vm=f"{ISSUER_URL}#key-1"), tr)
    assert r.status is Status.VALID, (r.codes, r.messages)
    assert r.anchor is not None and r.anchor.startswith(f"{ISSUER_URL} jwk:")
    # the same key named by its did:key is accepted for that issuer too (the set holds the key)
    assert check(signed(contexts, ED, issuer=ISSUER_URL), tr).status is Status.VALID
    # a key the set does not hold is not
    invalid(check(signed(contexts, P256, issuer=ISSUER_URL), tr), codes.VC_VERIFICATION_METHOD_INVALID)
    invalid(check(signed(contexts, ED, issuer=ISSUER_URL, vm=f"{ISSUER_URL}#key-2"), tr),
            codes.VC_VERIFICATION_METHOD_INVALID)


def test_issuer_as_object_and_single_proof_in_an_array(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = fv.organisation_vc({"id": fv.did_key_of(ED)})  # type: ignore[arg-type]
    s = fv.sign_data_integrity(vc, ED, contexts)
    s["proof"] = [s["proof"]]
    assert check(s, trust).status is Status.VALID


# --- pitfalls ------------------------------------------------------------------------------------

def test_tampered_value(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = signed(contexts)
    vc["credentialSubject"]["legalName"] = "Forged Carrier LLC"
    invalid(check(vc, trust), codes.VC_SIGNATURE_INVALID)


def test_tampered_term(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = signed(contexts)
    subject = vc["credentialSubject"]
    subject["taxID"] = subject.pop("leiCode")  # the same value under another defined term
    invalid(check(vc, trust), codes.VC_SIGNATURE_INVALID)


def test_tampered_proof(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = signed(contexts)
    vc["proof"]["created"] = "2026-01-02T00:00:00Z"
    invalid(check(vc, trust), codes.VC_SIGNATURE_INVALID)


def test_dropped_term_even_under_a_valid_signature(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    # signed by the issuer with a term no context defines: the signature covers a graph without
    # it, a JSON reader would see it; vvp refuses the VC rather than ignore the term
    subject = {"id": "did:example:carrier", "legalName": fv.LEGAL_NAME, "registeredTNs": list(fv.TNS)}
    vc = signed(contexts, subject=subject)
    r = check(vc, trust)
    invalid(r, codes.VC_TERM_UNDEFINED)
    assert "registeredTNs" in r.messages[0]


def test_undefined_type(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = fv.organisation_vc(fv.did_key_of(ED))
    vc["type"].append("UnknownCredential")
    vc["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-01-01T00:00:00Z",
                   "verificationMethod": fv.verification_method(ED), "proofPurpose": "assertionMethod",
                   "proofValue": "z" + "1" * 64}
    invalid(check(vc, trust), codes.VC_TERM_UNDEFINED)


def test_context_not_in_the_trust_store(contexts: dict[str, Any], context_files: dict[str, Path]) -> None:
    vc = signed(contexts)
    only_base = {fv.BASE_CONTEXT_V2: context_files[fv.BASE_CONTEXT_V2]}
    r = check(vc, ForeignTrust(vc_issuers=(VcIssuer(fv.did_key_of(ED)),), contexts=only_base))
    indeterminate(r, codes.VC_CONTEXT_UNAVAILABLE)
    assert fv.ORG_CONTEXT_URL in r.messages[0]
    r2 = check(vc, ForeignTrust(vc_issuers=(VcIssuer(fv.did_key_of(ED)),)))
    indeterminate(r2, codes.VC_CONTEXT_UNAVAILABLE)


def test_a_tampered_base_context_file_is_refused(tmp_path: Path, contexts: dict[str, Any],
                                                 context_files: dict[str, Path]) -> None:
    doctored = copy.deepcopy(contexts[fv.BASE_CONTEXT_V2])
    doctored["@context"]["registeredTNs"] = "https://evil.example/tns"
    p = tmp_path / "v2-doctored.jsonld"
    p.write_text(json.dumps(doctored))
    tr = trust_for({**context_files, fv.BASE_CONTEXT_V2: p})
    indeterminate(check(signed(contexts), tr), codes.VC_CONTEXT_INVALID)


def test_inline_context(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = signed(contexts)
    vc["@context"] = [fv.BASE_CONTEXT_V2, {"legalName": "https://evil.example/name", "leiCode": "https://schema.org/leiCode",
                                           "telephone": "https://schema.org/telephone"}]
    invalid(check(vc, trust), codes.VC_CONTEXT_INLINE)


def test_poison_graph_stops_at_the_work_limit(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    # a trusted issuer's name and a garbage signature are enough to make a verifier canonicalise:
    # the work limit must stop it long before the signature is looked at
    vc = fv.organisation_vc(fv.did_key_of(ED), subject={"knows": []})
    vc["credentialSubject"] = fv.clique_subjects(9)
    vc["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-01-01T00:00:00Z",
                   "verificationMethod": fv.verification_method(ED), "proofPurpose": "assertionMethod",
                   "proofValue": "z" + "1" * 64}
    r = check(vc, trust)
    indeterminate(r, codes.VC_CANONICALIZATION_LIMIT)
    assert _jsonld.MAX_WORK < r.native["canonicalization"]["work"] <= _jsonld.MAX_WORK + 1 + _jsonld.MAX_BLANK_NODES


def test_wrong_proof_purpose(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = signed(contexts, proof_purpose="authentication")
    invalid(check(vc, trust), codes.VC_PROOF_PURPOSE)


def test_untrusted_issuer(contexts: dict[str, Any], trust: ForeignTrust, context_files: dict[str, Path]) -> None:
    stranger = fv.ed25519_key("a stranger")
    invalid(check(signed(contexts, stranger), trust), codes.VC_ISSUER_UNTRUSTED)
    # a trusted issuer's name with a stranger's did:key as verification method
    invalid(check(signed(contexts, stranger, issuer=fv.did_key_of(ED)), trust), codes.VC_VERIFICATION_METHOD_INVALID)
    # a trusted did:key verification method under an issuer that is not that DID
    invalid(check(signed(contexts, ED, issuer="https://impostor.example"), trust), codes.VC_ISSUER_UNTRUSTED)
    indeterminate(check(signed(contexts), ForeignTrust(contexts=context_files)), codes.FOREIGN_ANCHOR_NOT_CONFIGURED)


def test_key_must_fit_the_cryptosuite(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = signed(contexts, ED)
    vc["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    invalid(check(vc, trust), codes.VC_VERIFICATION_METHOD_INVALID)


def test_validity_period(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    invalid(check(signed(contexts, valid_from="2026-04-01T00:00:00Z"), trust), codes.VC_NOT_YET_VALID)
    invalid(check(signed(contexts, valid_until="2026-02-01T00:00:00Z"), trust), codes.VC_EXPIRED)
    vc = signed(contexts, valid_until="2026-03-01T12:00:00Z")  # exactly the reference time
    assert check(vc, trust, at=AT - _dt.timedelta(seconds=6)).status is Status.VALID
    invalid(check(vc, trust, at=AT + _dt.timedelta(seconds=5)), codes.VC_EXPIRED)
    invalid(check(signed(contexts, created="2026-06-01T00:00:00Z"), trust), codes.VC_NOT_YET_VALID)
    invalid(check(signed(contexts, extra_proof={"expires": "2026-02-01T00:00:00Z"}), trust), codes.VC_EXPIRED)
    invalid(check(signed(contexts, valid_from="2026-01-01T00:00:00"), trust), codes.VC_MALFORMED)  # no time zone


def test_duplicate_json_keys(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    text = json.dumps(signed(contexts))
    text = text.replace('"issuer": ', '"issuer": "https://evil.example", "issuer": ', 1)
    r = check(text.encode(), trust)
    invalid(r, codes.VC_MALFORMED)
    assert codes.JOSE_JSON_DUPLICATE_KEY in r.codes


def test_relative_identifier(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = signed(contexts, subject={"id": "carrier", "legalName": fv.LEGAL_NAME})
    invalid(check(vc, trust), codes.VC_TERM_UNDEFINED)


def test_proof_sets_chains_and_suites(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = signed(contexts)
    two = dict(vc, proof=[vc["proof"], vc["proof"]])
    indeterminate(check(two, trust), codes.VC_PROOF_SET_UNSUPPORTED)
    indeterminate(check(dict(vc, proof={**vc["proof"], "previousProof": "urn:p"}), trust), codes.VC_PROOF_SET_UNSUPPORTED)
    indeterminate(check(dict(vc, proof={**vc["proof"], "cryptosuite": "bbs-2023"}), trust),
                  codes.VC_CRYPTOSUITE_UNSUPPORTED)
    invalid(check(dict(vc, proof={**vc["proof"], "type": "Ed25519Signature2020"}), trust), codes.VC_PROOF_MALFORMED)
    invalid(check({k: v for k, v in vc.items() if k != "proof"}, trust), codes.VC_PROOF_MALFORMED)
    invalid(check(dict(vc, proof={**vc["proof"], "proofValue": "u" + vc["proof"]["proofValue"][1:]}), trust),
            codes.VC_PROOF_MALFORMED)
    short = dict(vc, proof={**vc["proof"], "proofValue": vc["proof"]["proofValue"][:-4]})
    invalid(check(short, trust), codes.VC_SIGNATURE_INVALID)
    with_ctx = dict(vc, proof={**vc["proof"], "@context": ["https://other.example/ctx"]})
    invalid(check(with_ctx, trust), codes.VC_PROOF_MALFORMED)


def test_shape_and_version(contexts: dict[str, Any], trust: ForeignTrust) -> None:
    vc = signed(contexts)
    indeterminate(check(dict(vc, **{"@context": ["https://www.w3.org/2018/credentials/v1", fv.ORG_CONTEXT_URL]}),
                        trust), codes.VC_VERSION_UNSUPPORTED)
    invalid(check(dict(vc, type=["OrganisationCredential"]), trust), codes.VC_MALFORMED)
    invalid(check({k: v for k, v in vc.items() if k != "issuer"}, trust), codes.VC_MALFORMED)
    invalid(check({k: v for k, v in vc.items() if k != "credentialSubject"}, trust), codes.VC_MALFORMED)


@pytest.mark.parametrize("data", [b"", b"[]", b"null", b"{", b"\xff", b'{"@context": 5}', b"x" * 300000,
                                  b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": 5}'])
def test_garbage_gives_a_coded_result(trust: ForeignTrust, data: bytes) -> None:
    for mt in w3cvc.MEDIA_TYPES:
        r = W3cVcChecker().check(data, mt, CheckContext(AT, trust, Policy()))
        assert r.status in (Status.INVALID, Status.INDETERMINATE)
        assert r.codes and all(codes.is_registered(c) for c in r.codes)


def test_trust_files_are_read_once_per_trust(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            contexts: dict[str, Any], context_files: dict[str, Path]) -> None:
    reads: list[Path] = []
    real = _trustfiles.read_trust_file

    def counting(p: Path) -> bytes:
        reads.append(p)
        return real(p)

    monkeypatch.setattr(_jsonld, "read_trust_file", counting)
    monkeypatch.setattr(issuer_keys, "read_trust_file", counting)
    jwks = tmp_path / "issuer.jwks"
    jwks.write_bytes(fv.jwk_set(fv.public_jwk(ED, kid="key-1")))
    tr = trust_for(context_files, VcIssuer(ISSUER_URL, jwks))
    checker = W3cVcChecker()
    vc = signed(contexts, ED, issuer=ISSUER_URL, vm=f"{ISSUER_URL}#key-1")
    for _ in range(3):
        assert check(vc, tr, checker=checker).status is Status.VALID
    assert len(reads) == 3  # two contexts and one JWK set, once


def test_bytes_loaded_with_the_trust_store_are_used_not_the_paths(tmp_path: Path, contexts: dict[str, Any],
                                                                  context_files: dict[str, Path]) -> None:
    gone = {url: tmp_path / f"gone-{i}.jsonld" for i, url in enumerate(context_files)}
    loaded = tuple(context_files[url].read_bytes() for url in gone)
    jwks = fv.jwk_set(fv.public_jwk(ED, kid="key-1"))
    issuers = (VcIssuer(fv.did_key_of(P256)), VcIssuer(ISSUER_URL, tmp_path / "gone.jwks"))
    tr = ForeignTrust(vc_issuers=issuers, contexts=gone, files={"vc_issuers": (jwks,), "contexts": loaded})
    assert check(signed(contexts, ED, issuer=ISSUER_URL, vm=f"{ISSUER_URL}#key-1"), tr).status is Status.VALID
    assert check(signed(contexts, P256), tr).status is Status.VALID
    # bytes that do not line up with the configured contexts are refused, not guessed at
    bad = ForeignTrust(vc_issuers=issuers, contexts=gone, files={"vc_issuers": (jwks,), "contexts": loaded[:1]})
    indeterminate(check(signed(contexts, P256), bad), codes.VC_CONTEXT_INVALID)
