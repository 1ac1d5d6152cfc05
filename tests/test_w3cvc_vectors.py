"""The W3C Data Integrity test vectors (../shared/corpus/vc/di-eddsa, di-ecdsa; w3c/vc-di-eddsa and
w3c/vc-di-ecdsa TestVectors): every intermediate value reproduces byte for byte (canonical
N-Quads of the document and of the proof configuration, their SHA-256, the combined hash data,
the signature) and the signed credentials verify."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest

from tests.conftest import corpus_path
from vvp import codes
from vvp.evidence import _didkey, _jwk
from vvp.evidence._jsonld import ContextSet
from vvp.evidence.base import CheckContext, ForeignTrust, VcIssuer
from vvp.evidence.w3cvc import W3cVcChecker, data_integrity_inputs
from vvp.trust import Policy
from vvp.verdict import Status

VECTORS = {"eddsa-rdfc-2022": ("di-eddsa", "DataInt"), "ecdsa-rdfc-2019": ("di-ecdsa", "ECDSAP256")}
CONTEXT_FILES = {"https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
                 "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld"}
AT = _dt.datetime(2024, 1, 1, tzinfo=_dt.UTC)


def contexts() -> dict[str, Path]:
    return {url: corpus_path("vc", "contexts", f) for url, f in CONTEXT_FILES.items()}


def vector(suite: str, name: str) -> str:
    folder, sfx = VECTORS[suite]
    return corpus_path("vc", folder, name.format(sfx)).read_text(encoding="utf-8")


@pytest.mark.parametrize("suite", VECTORS)
def test_intermediate_values_reproduce_byte_for_byte(suite: str) -> None:
    signed = json.loads(vector(suite, "signed{}.json"))
    inputs = data_integrity_inputs(signed, ContextSet.load(contexts()))
    assert inputs.document.nquads == vector(suite, "canonDoc{}.txt")
    assert inputs.proof_config.nquads == vector(suite, "proofCanon{}.txt")
    assert inputs.document_hash.hex() == vector(suite, "docHash{}.txt").strip()
    assert inputs.proof_hash.hex() == vector(suite, "proofHash{}.txt").strip()
    assert inputs.hash_data.hex() == vector(suite, "combinedHash{}.txt").strip()
    assert inputs.signature.hex() == vector(suite, "sigHex{}.txt").strip()
    assert signed["proof"]["proofValue"] == vector(suite, "sigBTC58{}.txt").strip()
    assert "z" + _didkey.b58encode(inputs.signature) == signed["proof"]["proofValue"]
    # the proof configuration the vectors list is the proof minus proofValue, with the VC's @context
    config = json.loads(vector(suite, "proofConfig{}.json"))
    assert config == {**{k: v for k, v in signed["proof"].items() if k != "proofValue"},
                      "@context": signed["@context"]}


def vector_trust(tmp_path: Path, suite: str) -> ForeignTrust:
    """The vectors' issuer is a URL and their verification method a did:key: the trust store says
    that this issuer uses that key (a JWK set holding it)."""
    signed = json.loads(vector(suite, "signed{}.json"))
    vm = signed["proof"]["verificationMethod"]
    _, key = _didkey.did_key_verification_method(vm)
    jwks = tmp_path / f"{suite}.jwks"
    jwks.write_text(json.dumps({"keys": [{**_jwk.key_to_jwk(key), "kid": vm}]}))
    return ForeignTrust(vc_issuers=(VcIssuer(signed["issuer"], jwks),), contexts=contexts())


@pytest.mark.parametrize("suite", VECTORS)
def test_signed_vectors_verify(suite: str, tmp_path: Path) -> None:
    data = vector(suite, "signed{}.json").encode()
    r = W3cVcChecker().check(data, "application/vc+ld+json", CheckContext(AT, vector_trust(tmp_path, suite), Policy()))
    assert r.status is Status.VALID, (r.codes, r.messages)
    assert r.native["cryptosuite"] == suite
    assert r.native["canonicalization"]["quads"] == 8


@pytest.mark.parametrize("suite", VECTORS)
def test_changed_vectors_do_not_verify(suite: str, tmp_path: Path) -> None:
    signed = json.loads(vector(suite, "signed{}.json"))
    signed["credentialSubject"]["alumniOf"] = "The School of Forgery"
    r = W3cVcChecker().check(json.dumps(signed).encode(), "application/vc+ld+json",
                             CheckContext(AT, vector_trust(tmp_path, suite), Policy()))
    assert r.status is Status.INVALID and r.codes == (codes.VC_SIGNATURE_INVALID,)


@pytest.mark.parametrize("suite", VECTORS)
def test_the_verification_method_alone_is_not_the_issuer(suite: str) -> None:
    # trusting the did:key does not make it the issuer https://vc.example/issuers/5678
    signed = json.loads(vector(suite, "signed{}.json"))
    did = signed["proof"]["verificationMethod"].split("#")[0]
    tr = ForeignTrust(vc_issuers=(VcIssuer(did),), contexts=contexts())
    r = W3cVcChecker().check(json.dumps(signed).encode(), "application/vc+ld+json", CheckContext(AT, tr, Policy()))
    assert r.status is Status.INVALID and r.codes == (codes.VC_ISSUER_UNTRUSTED,)
