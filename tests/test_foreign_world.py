"""Foreign evidence in the test world, end to end (issues 19 and 20: the world's cases).

Each case of vvp.testing.world.scenarios.FOREIGN_CASES is a dossier of the accountable party whose vetting
credential cites evidence bridges; the call is verified through ``vvp verify`` (in process, over
HTTP from the world's server) under the world's ``trust.json`` (``foreign_evidence: "report"``:
the evidence claim is reported, the status is the other claims') and ``trust-foreign-strict.json``
(the status follows the evidence claim), and through a long-lived ``Verifier``. The expectations
are the case table's (evidence status, first code) and facts the test states itself (Acme's LEI
and numbers), never the verifier's own output.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.foreign_world_kit import artifact_entry, foreign_world, main_bridge, need_w3c, verify_scenario
from tests.world_fixtures import own_world
from vvp import codes
from vvp._keri.digests import compute_digest
from vvp.testing.worldgen import build_world
from vvp.testing.worldgen.build import LEI_LE, TN_LE
from vvp.testing.worldgen.check import check_dossier, check_party
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, FetchLimits, HttpFetcher, build_fetcher
from vvp.trust import load_trust_store
from vvp.verdict import Status
from vvp.verifier import CallInput, Verifier
from vvp.testing.world.foreign import LEGAL_NAME, foreign_world_spec
from vvp.testing.world.scenarios import FOREIGN_CASES, ForeignCase, foreign_case, foreign_scenarios

EXIT = {"VALID": 0, "INVALID": 1, "INDETERMINATE": 3}
ALL = [s.name for s in foreign_scenarios(w3c=True)]
ANCHORS = {"application/pem-certificate-chain": "VVP Test Foreign Root", "application/jwt": "Token Authority Root",
           "application/dc+sd-jwt": "jwk:", "application/vc+ld+json": "did:key:"}


def _case_and_call(name: str) -> tuple[ForeignCase, Any]:
    case = foreign_case(name)
    need_w3c(case)
    return case, foreign_world().call(name)


def _location_kind(sw: Any, bridge_said: str) -> str:
    loc = sw.world.credential_by_said(bridge_said).sad["a"]["content_location"]
    return "data" if loc.startswith("data:") else ("gone" if "/artifacts/gone/" in loc else "url")


@pytest.mark.parametrize("name", ALL)
def test_every_case_through_vvp_verify(name: str) -> None:
    case, call = _case_and_call(name)
    sw = foreign_world()
    strict = name.endswith("-strict")
    rc, v = verify_scenario(call.name)
    ev = v["claims"]["evidence"]
    assert ev["status"] == case.evidence and ev["counts_in_status"] is strict
    # report: the call's status is the other claims' (all VALID here); strict: it follows the evidence
    want = case.evidence if strict else "VALID"
    assert v["status"] == want and rc == EXIT[want], (v["status"], ev)
    for claim, body in v["claims"].items():
        if claim != "evidence":
            assert body["status"] in ("VALID", "NOT_APPLICABLE"), (claim, body)
    bridge = main_bridge(sw, case)
    e = artifact_entry(v, bridge)
    assert e["status"] == case.evidence
    assert (e["codes"][:1] == [case.code]) if case.code else e["codes"] == []
    bound = sw.world.credential_by_said(bridge).sad["a"]
    assert e["digest"] == bound["content_identifier"] and e["media_type"] == bound["content_type"]
    assert e["role"] == "faa" and e["art_posture"] == "verify"
    kind = _location_kind(sw, bridge)
    if kind == "url":
        assert e["location"] == bound["content_location"] and e["location"].startswith(sw.urls.base + "/artifacts/")
    elif kind == "data":
        assert e["location"] == "data:"
    else:
        assert e["location"] is None
    if case.evidence == "VALID":
        assert e["consistent"] is True and ANCHORS[e["media_type"]] in (e["anchor"] or "")
    for other in ev["artifacts"]:
        if other["bridge"] != bridge:  # the CRLs and OCSP responses the certificate cases carry
            assert other["status"] == "VALID" and other["media_type"] in ("application/pkix-crl",
                                                                          "application/ocsp-response")


@pytest.mark.parametrize("case", [c for c in FOREIGN_CASES if c.evidence == "VALID"], ids=lambda c: c.name)
def test_facts_are_acmes_and_agree_with_the_dossier(case: ForeignCase) -> None:
    need_w3c(case)
    sw = foreign_world()
    _, v = verify_scenario(f"evidence-{case.name}")
    facts = artifact_entry(v, main_bridge(sw, case))["facts"]
    assert TN_LE[0] in facts["tns"] or any(a <= TN_LE[0] <= b for a, b in facts["tn_ranges"]), facts
    if case.name.startswith("cert") or case.name in ("sd-jwt-vc", "w3c-vc"):
        assert facts["lei"] == LEI_LE
    if case.name in ("sd-jwt-vc", "w3c-vc"):
        assert facts["legal_name"] == LEGAL_NAME and set(TN_LE) <= set(facts["tns"])


def test_contradicting_and_unjudged_artifacts_say_so() -> None:
    sw = foreign_world()
    _, v = verify_scenario("evidence-rtu-not-orig")
    e = artifact_entry(v, main_bridge(sw, foreign_case("rtu-not-orig")))
    assert e["consistent"] is False and codes.EVIDENCE_INCONSISTENT in e["codes"]
    assert e["facts"]["tns"] == ["+15551239999"]
    for name in ("digest-mismatch", "artifact-unreachable"):
        _, v = verify_scenario(f"evidence-{name}")
        e = artifact_entry(v, main_bridge(sw, foreign_case(name)))
        assert e["consistent"] is None and e["anchor"] is None and e["native"] == {}


def test_revocation_data_is_read_at_the_reference_time() -> None:
    """The same sp CRL lists both revocations when issued later; only the one before the call counts."""
    sw = foreign_world()
    _, before = verify_scenario("evidence-cert-revoked-before")
    _, after = verify_scenario("evidence-cert-revoked-after")
    assert artifact_entry(before, main_bridge(sw, foreign_case("cert-revoked-before")))["status"] == "INVALID"
    assert artifact_entry(after, main_bridge(sw, foreign_case("cert-revoked-after")))["status"] == "VALID"


def test_a_long_lived_verifier_gives_the_cli_verdicts() -> None:
    sw = foreign_world()
    for trust_file, suffix in ((sw.files.trust, ""), (sw.files.trust_foreign_strict, "-strict")):
        assert trust_file is not None
        trust = load_trust_store(trust_file)
        verifier = Verifier(trust, build_fetcher(limits=FetchLimits.from_policy(trust.policy)))
        for case in FOREIGN_CASES:
            if case.w3c and sw.world.spec.foreign is not None and not sw.world.spec.foreign.vc_issuers:
                continue
            call = sw.call(f"evidence-{case.name}{suffix}")
            ci = CallInput(reference_time=call.at, identities=(call.identity,), orig=call.orig, dest=call.dest)
            first, second = verifier.verify(ci).to_json(), verifier.verify(ci).to_json()  # cold, then warm
            _, via_cli = verify_scenario(call.name)
            assert first["claims"]["evidence"] == second["claims"]["evidence"] == via_cli["claims"]["evidence"]
            assert first["status"] == second["status"] == via_cli["status"]


def test_offline_from_the_evidence_map() -> None:
    """calls.sh's form: the map serves the artifacts' bytes; the 404 URL is not in it."""
    sw = foreign_world()
    for case in FOREIGN_CASES:
        if case.w3c and not sw.world.spec.foreign.vc_issuers:  # type: ignore[union-attr]
            continue
        rc, v = verify_scenario(f"evidence-{case.name}-strict", offline=True)
        e = artifact_entry(v, main_bridge(sw, case))
        assert v["status"] == case.evidence and e["status"] == case.evidence, case.name
        want = codes.FETCH_OFFLINE if case.name == "artifact-unreachable" else case.code
        assert (e["codes"][:1] == [want]) if want else e["codes"] == []


def test_the_server_serves_each_artifact_and_not_the_gone_one() -> None:
    sw = foreign_world()
    spec = sw.world.spec.foreign
    assert spec is not None
    fetcher = HttpFetcher(FetchLimits(allow_private_addresses=True))
    for a in spec.artifacts:
        got = fetcher.fetch(sw.urls.base + a.path, EvidenceKind.ARTIFACT)
        assert got.body == a.body and got.content_type == a.media_type
    gone = [b for b in spec.bridges if b.location == "gone"]
    assert gone
    for b in gone:
        with pytest.raises(FetchError) as ei:
            fetcher.fetch(sw.world.credentials[b.name].sad["a"]["content_location"], EvidenceKind.ARTIFACT)
        assert ei.value.code == codes.FETCH_HTTP_STATUS


def test_bridges_bind_their_artifacts_by_blake3_digest() -> None:
    sw = foreign_world()
    spec = sw.world.spec.foreign
    assert spec is not None
    for b in spec.bridges:
        a = sw.world.credentials[b.name].sad["a"]
        body = spec.artifact(b.artifact).body
        assert a["content_identifier"] == compute_digest(b.bound if b.bound is not None else body)
        assert (a["content_identifier"] == compute_digest(body)) is (b.bound is None)
        if b.location == "data":
            head, data = a["content_location"].split(",", 1)
            assert head == f"data:{a['content_type']};base64" and base64.b64decode(data) == body


def test_trust_stores_name_the_foreign_anchors() -> None:
    sw = foreign_world()
    assert sw.files.trust_foreign_strict is not None
    report, strict = load_trust_store(sw.files.trust), load_trust_store(sw.files.trust_foreign_strict)
    assert report.policy.foreign_evidence == "report" and strict.policy.foreign_evidence == "strict"
    for ts in (report, strict):
        assert len(ts.foreign.x509) == 1 and len(ts.foreign.rtu_authorities) == 1 and len(ts.foreign.sd_jwt_issuers) == 1
        assert {"x509", "rtu_authorities", "sd_jwt_issuers"} <= {k for k, v in ts.foreign.files.items() if v}
        assert ts.schema_roles["faa"] == sw.world.schema_roles["faa"]
        assert len(ts.schema_roles["vetting"]) == 2
    if sw.world.spec.foreign is not None and sw.world.spec.foreign.vc_issuers:
        assert [v.id for v in report.foreign.vc_issuers] == list(sw.world.spec.foreign.vc_issuers)
        assert len(report.foreign.files["contexts"]) == len(report.foreign.contexts) == 2


def test_the_default_calls_are_unchanged_in_the_foreign_world() -> None:
    sw = foreign_world()
    for name in ("valid", "revoked-tn-allocation", "foreign-delegated-signer"):
        _, v = verify_scenario(name)
        assert v["status"] in sw.call(name).scenario.expected and v["claims"]["evidence"]["status"] == "NOT_APPLICABLE"


def test_the_foreign_world_is_deterministic_and_additive() -> None:
    base = "http://127.0.0.1:5642"
    one, two = build_world(foreign_world_spec(base)), build_world(foreign_world_spec(base))
    assert one.digests() == two.digests()
    default = own_world()
    for name, c in default.credentials.items():  # issued after everything: every earlier ACDC is the same
        assert one.credentials[name].raw == c.raw, name
    assert set(one.dossiers) - set(default.dossiers) == {c.dossier for c in FOREIGN_CASES if not c.w3c}
    other = foreign_world().world  # built for another base URL (its server's)
    assert other.credentials["bridge_cert_valid"].said != one.credentials["bridge_cert_valid"].said  # URL inside
    assert other.credentials["bridge_sd_jwt_vc"].said == one.credentials["bridge_sd_jwt_vc"].said  # data: URI


def test_keri_accepts_the_foreign_part_of_the_world() -> None:
    w = foreign_world().world
    problems = check_party(w, w.parties["bridge"]) + check_party(w, w.parties["qvi"])
    # one dossier per kind of bridge (certificate and CRLs, OCSP, token, SD-JWT VC, a digest of other bytes)
    for name in ("ev_cert_valid", "ev_cert_valid_ocsp", "ev_rtu_valid", "ev_sd_jwt_vc", "ev_digest_mismatch"):
        problems += check_dossier(w, w.dossiers[name])
    assert problems == []


def test_cases_and_scenarios_line_up() -> None:
    names = [s.name for s in foreign_scenarios(w3c=True)]
    assert len(names) == len(set(names)) == 2 * len(FOREIGN_CASES)
    assert not set(names) & {s.name for s in foreign_world().calls if not s.name.startswith("evidence-")}
    assert {c.evidence for c in FOREIGN_CASES} == {"VALID", "INVALID", "INDETERMINATE"}
    assert all(Status(c.evidence) for c in FOREIGN_CASES)
