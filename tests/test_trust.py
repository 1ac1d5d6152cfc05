"""Trust store loading (architecture §4.2): defaults, unknown keys, relative paths, bad values."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from vvp import codes
from vvp.errors import ConfigError
from vvp.trust import PUBLISHED_SCHEMA_ROLES, Policy, load_trust_store, parse_trust_store

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "schemas/formats/trust-store.v1.schema.json").read_text())

ARCH_DEFAULTS = {
    "max_passport_validity_s": 60, "iat_tolerance_s": 30, "clock_skew_s": 5, "shaken_iat_freshness_s": 60,
    "key_state_freshness_s": 300, "revocation_freshness_s": 300, "x5u_cache_s": 3600, "min_issuer_witnesses": 1,
    "brand_failure": "suppress", "require_brand_proxy": False, "allow_legacy_typ": False,
    "require_ppt_param": False, "crl": "optional", "replay_window_s": 0, "fetch_timeout_s": 5,
    "fetch_max_bytes": 4194304, "fetch_max_redirects": 3, "allow_private_addresses": False,
    "foreign_evidence": "report", "sd_jwt_require_key_binding": False, "callee_iat_tolerance_s": 30,
    "witness_check": "available", "witness_quorum": None,
    # not in the architecture's list: the service's per-request deadline (issue 16)
    "request_deadline_s": 3.0,
    # not in the architecture's list: hard- or soft-fail for foreign X.509 revocation (issue 19)
    "foreign_revocation": "hard-fail",
}


def _write(tmp: Path, data: Any, name: str = "trust.json") -> Path:
    p = tmp / name
    p.write_text(json.dumps(data))
    return p


def _err(tmp: Path, data: Any) -> ConfigError:
    with pytest.raises(ConfigError) as ei:
        load_trust_store(_write(tmp, data))
    return ei.value


def test_every_default_matches_the_architecture(tmp_path: Path) -> None:
    ts = load_trust_store(_write(tmp_path, {}))
    assert ts.policy.to_json() == ARCH_DEFAULTS
    assert {f.name for f in fields(Policy)} == set(ARCH_DEFAULTS)
    assert ts.roots.identity == ts.roots.tn == ts.roots.brand == frozenset()
    assert ts.schemas == ts.sti_pa == ts.sti_crl_signers == ()
    assert dict(ts.schema_roles) == dict(PUBLISHED_SCHEMA_ROLES)


def test_no_trust_file_is_the_defaults() -> None:
    ts = load_trust_store(None)
    assert ts.policy == Policy() and ts.roots.identity == frozenset()


def test_empty_role_defaults_to_published_and_given_role_replaces(tmp_path: Path) -> None:
    ts = load_trust_store(_write(tmp_path, {"schema_roles": {"vetting": [], "gcd": ["EOWN"]}}))
    assert ts.schema_roles["vetting"] == PUBLISHED_SCHEMA_ROLES["vetting"]
    assert ts.schema_roles["gcd"] == ("EOWN",)
    assert ts.roles_of("EOWN") == ("gcd",)


def test_roots_per_question(tmp_path: Path) -> None:
    ts = load_trust_store(_write(tmp_path, {"roots": {"identity": ["EID"], "tn": ["ETN"]}}))
    assert ts.roots.for_question("identity") == {"EID"}
    assert ts.roots.for_question("tn") == {"ETN"}
    assert ts.roots.for_question("brand") == frozenset()


@pytest.mark.parametrize("data", [
    {"rootz": {}},
    {"roots": {"identity": [], "vetting": ["E"]}},
    {"policy": {"min_isuer_witnesses": 3}},
    {"schema_roles": {"dossiers": []}},
])
def test_unknown_keys_rejected_at_every_level(tmp_path: Path, data: dict[str, Any]) -> None:
    e = _err(tmp_path, data)
    assert e.code == codes.TRUST_UNKNOWN_KEY
    with pytest.raises(jsonschema.ValidationError):  # the published schema agrees
        jsonschema.validate(data, SCHEMA)


def test_relative_paths_resolve_against_the_trust_file(tmp_path: Path) -> None:
    (tmp_path / "conf" / "acdc").mkdir(parents=True)
    (tmp_path / "conf" / "anchors.pem").write_text("x")
    p = _write(tmp_path / "conf", {"schemas": ["acdc"], "sti_pa": ["anchors.pem"]})
    ts = load_trust_store(p)
    assert ts.schemas == ((tmp_path / "conf" / "acdc").resolve(),)
    assert ts.sti_pa == ((tmp_path / "conf" / "anchors.pem").resolve(),)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    assert _err(tmp_path, {"schemas": ["nowhere"]}).code == codes.TRUST_PATH_MISSING


@pytest.mark.parametrize("data", [
    {"policy": {"max_passport_validity_s": "60"}},
    {"policy": {"max_passport_validity_s": -1}},
    {"policy": {"max_passport_validity_s": 1.5}},
    {"policy": {"allow_private_addresses": 1}},
    {"policy": {"brand_failure": "loud"}},
    {"policy": {"crl": "maybe"}},
    {"roots": {"identity": "EID"}},
    {"roots": {"identity": [""]}},
    {"policy": []},
    {"policy": {"fetch_timeout_s": 1e12 + 1}},
    {"policy": {"fetch_max_bytes": 10**400}},
    {"policy": {"witness_check": "sometimes"}},
    {"policy": {"witness_quorum": -1}},
    {"foreign": {"vc_issuers": ["https://issuer.example"]}},
    {"foreign": {"contexts": []}},
    {"witnesses": "http://w.example/oobi"},
])
def test_bad_values(tmp_path: Path, data: dict[str, Any]) -> None:
    assert _err(tmp_path, data).code == codes.TRUST_BAD_VALUE
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_version(tmp_path: Path) -> None:
    assert load_trust_store(_write(tmp_path, {"version": 1})).policy == Policy()
    assert _err(tmp_path, {"version": 2}).code == codes.TRUST_BAD_VERSION
    assert _err(tmp_path, {"version": 1.0}).code == codes.TRUST_BAD_VERSION  # 1.0 is not the integer 1


def test_foreign_and_witnesses_are_loaded_as_resolved_paths(tmp_path: Path) -> None:
    for name in ("x.pem", "iss.jwks", "rtu.pem", "ctx.jsonld", "vc.jwks", "w.cesr"):
        (tmp_path / name).write_text("x")
    data = {"foreign": {"x509": ["x.pem"], "sd_jwt_issuers": ["iss.jwks"], "rtu_authorities": ["rtu.pem"],
                        "vc_issuers": ["did:key:z6MkExample", {"id": "https://i.example", "jwks": "vc.jwks"}],
                        "contexts": {"https://www.w3.org/ns/credentials/v2": "ctx.jsonld"}},
            "witnesses": ["http://127.0.0.1:5642/oobi/EW/controller", "w.cesr"],
            "policy": {"witness_quorum": 2, "witness_check": "required", "foreign_evidence": "strict"}}
    jsonschema.validate(data, SCHEMA)
    ts = load_trust_store(_write(tmp_path, data))
    assert ts.foreign.x509 == ((tmp_path / "x.pem").resolve(),)
    assert ts.foreign.vc_issuers[0].jwks is None and ts.foreign.vc_issuers[1].jwks == (tmp_path / "vc.jwks").resolve()
    assert ts.foreign.contexts["https://www.w3.org/ns/credentials/v2"] == (tmp_path / "ctx.jsonld").resolve()
    assert ts.witnesses == ("http://127.0.0.1:5642/oobi/EW/controller", str((tmp_path / "w.cesr").resolve()))
    assert ts.policy.witness_quorum == 2 and ts.policy.witness_check == "required"
    assert _err(tmp_path, {"foreign": {"x509": ["absent.pem"]}}).code == codes.TRUST_PATH_MISSING


def test_unreadable_and_not_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as ei:
        load_trust_store(tmp_path / "absent.json")
    assert ei.value.code == codes.TRUST_UNREADABLE
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError) as ei:
        load_trust_store(tmp_path / "bad.json")
    assert ei.value.code == codes.TRUST_NOT_JSON
    (tmp_path / "dup.json").write_text('{"policy": {}, "policy": {"min_issuer_witnesses": 0}}')
    with pytest.raises(ConfigError) as ei:
        load_trust_store(tmp_path / "dup.json")
    assert ei.value.code == codes.TRUST_NOT_JSON


def test_full_example_validates_against_the_schema(tmp_path: Path) -> None:
    data = {"version": 1, "roots": {"identity": ["E1"], "tn": ["E2"], "brand": ["E3"]}, "schemas": [],
            "schema_roles": {r: [] for r in PUBLISHED_SCHEMA_ROLES}, "sti_pa": [], "sti_crl_signers": [],
            "policy": ARCH_DEFAULTS}
    jsonschema.validate(data, SCHEMA)
    ts = parse_trust_store(data, base=tmp_path)
    assert ts.policy.to_json() == ARCH_DEFAULTS


def test_fractional_seconds_are_kept(tmp_path: Path) -> None:
    """fetch_timeout_s is a float: 1.5 stays 1.5 (it was once cut to 1 by taking the default's type)."""
    ts = load_trust_store(_write(tmp_path, {"policy": {"fetch_timeout_s": 1.5, "request_deadline_s": 0.25}}))
    assert ts.policy.fetch_timeout_s == 1.5 and ts.policy.request_deadline_s == 0.25
