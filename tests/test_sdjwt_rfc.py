"""The RFC 9901 examples (../shared/corpus/sd-jwt/examples/): issued from their specification files
with the sd-jwt package (the generator the RFC's examples came from), presented as the
specifications say, and verified with vvp's own checker, which must output exactly the claims the
holder disclosed. The simple example must reproduce the RFC's own disclosures byte for byte."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import corpus_path
from vvp import codes
from vvp.evidence.base import CheckContext, ForeignTrust
from vvp.evidence.sdjwt import SdJwtChecker
from vvp.testing import foreign_vc as fv
from vvp.trust import Policy
from vvp.verdict import Status

SPECS = ("simple", "simple_structured", "complex_ekyc", "json_serialization_flattened", "w3c-vc")
AT = _dt.datetime(2024, 1, 1, tzinfo=_dt.UTC)  # after the examples' iat (2023-05-02), before exp (2029)


def example(name: str) -> fv.RfcExample:
    folder = corpus_path("sd-jwt", "examples")
    return fv.rfc_example(folder / f"{name}.specification.yml", fv.load_rfc_settings(folder / "settings.yml"))


def verify(ex: fv.RfcExample, tmp_path: Path, *, require_kb: bool | None = None) -> Any:
    jwks = tmp_path / f"{ex.name}.jwks"
    jwks.write_bytes(ex.issuer_jwks)
    policy = Policy(sd_jwt_require_key_binding=ex.key_binding if require_kb is None else require_kb)
    ctx = CheckContext(AT, ForeignTrust(sd_jwt_issuers=(jwks,)), policy)
    return SdJwtChecker().check(ex.presentation.encode("ascii"), ex.media_type, ctx)


@pytest.mark.parametrize("name", SPECS)
def test_rfc_example_gives_the_disclosed_claims(name: str, tmp_path: Path) -> None:
    ex = example(name)
    r = verify(ex, tmp_path)
    assert r.status is Status.VALID, (r.codes, r.messages)
    expected = {k: v for k, v in ex.expected_claims.items() if k != "cnf"}
    assert r.native["claims"] == expected
    assert r.native["key_binding"]["verified"] is ex.key_binding


def test_simple_example_discloses_what_rfc_9901_lists(tmp_path: Path) -> None:
    ex = example("simple")
    r = verify(ex, tmp_path)
    claims = r.native["claims"]
    # RFC 9901 §5.2: given_name, family_name, address and the first nationality are disclosed
    assert claims["given_name"] == "John" and claims["family_name"] == "Doe"
    assert claims["address"] == {"street_address": "123 Main St", "locality": "Anytown", "region": "Anystate",
                                 "country": "US"}
    assert claims["nationalities"] == ["US"]
    assert claims["sub"] == "user_42" and claims["iss"] == "https://issuer.example.com"
    for withheld in ("email", "phone_number", "phone_number_verified", "birthdate", "updated_at"):
        assert withheld not in claims


def test_simple_example_reproduces_the_rfc_disclosures(tmp_path: Path) -> None:
    ex = example("simple")
    disclosures = ex.issuance.split("~")[1:-1]
    # RFC 9901 §5.1, the family_name and given_name disclosures and their SHA-256 digests
    family = "WyJlbHVWNU9nM2dTTklJOEVZbnN4QV9BIiwgImZhbWlseV9uYW1lIiwgIkRvZSJd"
    given = "WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd"
    assert family in disclosures and given in disclosures
    assert fv.digest(family) == "TGf4oLbgwd5JQaHyKVQZU9UdGE0w5rtDsrZzfUaomLo"
    assert fv.digest(given) == "jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4"
    # RFC 9901 §4.2.3's hand-worked digest of a non-ASCII disclosure
    assert fv.digest("WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0") == \
        "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"


def test_examples_without_key_binding_fail_when_policy_requires_it(tmp_path: Path) -> None:
    ex = example("simple_structured")
    assert not ex.key_binding
    r = verify(ex, tmp_path, require_kb=True)
    assert r.status is Status.INVALID and r.codes == (codes.SDJWT_KEY_BINDING_MISSING,)


def test_json_example_changed_disclosure_list_breaks_sd_hash(tmp_path: Path) -> None:
    ex = example("json_serialization_flattened")
    obj = json.loads(ex.presentation)
    obj["header"]["disclosures"] = obj["header"]["disclosures"][:-1]
    changed = fv.RfcExample(ex.name, json.dumps(obj), ex.media_type, ex.issuer_jwks, ex.key_binding,
                            ex.expected_claims, ex.issuance)
    r = verify(changed, tmp_path)
    assert r.status is Status.INVALID and codes.SDJWT_KB_SD_HASH_MISMATCH in r.codes
