"""The authorization claims on credential graphs the world does not publish.

:func:`vvp.caller.authorization.check_authorization` reads a proven :class:`DossierResult`; these tests
take the world's real result for a good dossier and change one binding (drop the delegation, move
a constraint, rename an issuee) to prove the rules the scenario matrix cannot reach without
minting more credentials: P-08/V-15, V-19 (delegation constraints), V-21 (brand proxy), V-23
(bearer vetting, the QVI edge), V-24 (brand issued to someone else), X-AUTH-01.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.world_fixtures import own_world
from vvp import codes
from vvp.caller.authorization import AuthPolicy, AuthResult, CallFacts, check_authorization
from vvp.dossier import Credential, DossierPolicy, DossierResult, verify_dossier_stream
from vvp.fetch import MemoryFetcher
from vvp.verdict import Check, CheckStatus, Status, claim_status
from vvp.testing.world import CALL_AT, CARD, GOAL, World


def policy(w: World) -> DossierPolicy:
    return DossierPolicy(roots={q: frozenset({w.root_aid(q)}) for q in ("identity", "tn", "brand")},
                         schema_roles=dict(w.schema_roles), min_issuer_witnesses=1)


def schemas(w: World) -> MemoryFetcher:
    return MemoryFetcher({f"said:{s}": ("application/schema+json", raw) for s, raw in w.schemas.items()})


def result(name: str, stream: bytes | None = None) -> DossierResult:
    w = own_world()
    d = w.dossiers[name]
    return verify_dossier_stream(d.stream if stream is None else stream, reference_time=CALL_AT, policy=policy(w),
                                 expected_said=d.said, fetcher=schemas(w))


def facts(name: str, *, signer: str | None = None, card: Any = CARD, goal: str | None = GOAL) -> CallFacts:
    w = own_world()
    d = w.dossiers[name]
    return CallFacts(signer=w.parties[signer or d.signer].aid, orig=d.numbers[0].lstrip("+"), card=list(card)
                     if card is not None else None, goal=goal)


def edit(r: DossierResult, credential: str, change: Callable[[Credential], Credential | None]) -> DossierResult:
    """``r`` with one credential changed (or removed, with the edges that point at it)."""
    said = own_world().credentials[credential].said
    out: dict[str, Credential] = {}
    for k, c in r.credentials.items():
        if k == said:
            new = change(c)
            if new is not None:
                out[k] = new
        else:
            out[k] = c
    if said not in out:
        out = {k: dataclasses.replace(c, edges=tuple(e for e in c.edges if e.target != said)) for k, c in out.items()}
    return dataclasses.replace(r, credentials=out)


def attrs(c: Credential, **changes: Any) -> Credential:
    a: dict[str, Any] = dict(c.attributes or {})
    a.update(changes)
    return dataclasses.replace(c, attributes=a, issuee=a.get("i"))


def one(res: AuthResult, id_: str) -> Check:
    found = [c for c in res.checks if c.id == id_]
    assert len(found) == 1, (id_, res.checks)
    return found[0]


def claim(res: AuthResult, name: str) -> Status:
    return claim_status(c for c in res.checks if c.claim == name).status


def run(r: DossierResult, f: CallFacts, **policy_kw: Any) -> AuthResult:
    return check_authorization(r, f, reference_time=CALL_AT, policy=AuthPolicy(**policy_kw))


@pytest.mark.parametrize("shape", ["le", "acting"])
def test_control_the_unedited_graph_authorizes_the_call(shape: str) -> None:
    res = run(result(shape), facts(shape))
    assert all(c.status in (CheckStatus.PASS, CheckStatus.NOT_APPLICABLE) for c in res.checks), res.checks
    assert res.display_brand is not None and res.parties is not None and res.parties.shape == shape


@pytest.mark.parametrize("shape", ["le", "acting"])
def test_V_15_P_08_signer_not_the_ap_without_delegation_evidence(shape: str) -> None:
    delsig = "delsig_le" if shape == "le" else "delsig_acting"
    res = run(edit(result(shape), delsig, lambda c: None), facts(shape))
    c = one(res, "P-08")
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.AUTH_NO_DELEGATION)
    assert claim(res, "authorization") is Status.INVALID
    assert [x for x in res.checks if x.id in ("V-15", "V-16")] == []


def test_V_15_signer_is_the_ap_needs_no_delegation() -> None:
    res = run(edit(result("le"), "delsig_le", lambda c: None), facts("le", signer="le"))
    assert one(res, "V-15").status is CheckStatus.PASS
    assert claim(res, "authorization") is Status.VALID


@pytest.mark.parametrize(("change", "id_", "status", "code"), [
    ({"c_proto": ["SIP:OP"]}, "X-AUTH-02", CheckStatus.FAIL, codes.AUTH_PROTO_NOT_VVP_OP),
    ({"c_before": "2026-02-01T00:00:00.000000+00:00"}, "X-AUTH-03", CheckStatus.FAIL,
     codes.AUTH_OUTSIDE_DELEGATION_TIME),
    ({"c_after": "2026-06-01T00:00:00.000000+00:00"}, "X-AUTH-03", CheckStatus.FAIL,
     codes.AUTH_OUTSIDE_DELEGATION_TIME),
    ({"c_after": "next tuesday"}, "X-AUTH-03", CheckStatus.FAIL, codes.AUTH_CONSTRAINT_MALFORMED),
    ({"c_ical": "BEGIN:VCALENDAR"}, "X-AUTH-04", CheckStatus.INDETERMINATE, codes.AUTH_CONSTRAINT_NOT_EVALUATED),
    ({"c_rgeo": ["US"]}, "X-AUTH-04", CheckStatus.INDETERMINATE, codes.AUTH_CONSTRAINT_NOT_EVALUATED),
])
def test_V_19_delegation_constraints(change: Mapping[str, Any], id_: str, status: CheckStatus, code: str) -> None:
    """Protocol, time window and the constraints vvp cannot evaluate from a call (never passed)."""
    res = run(edit(result("le"), "delsig_le", lambda c: attrs(c, **change)), facts("le"))
    c = one(res, id_)
    assert (c.status, c.code) == (status, code)
    assert claim(res, "authorization") is (Status.INVALID if status is CheckStatus.FAIL else Status.INDETERMINATE)


def test_V_21_brand_proxy_required_for_a_delegate() -> None:
    r = result("le")
    res = run(r, facts("le"), require_brand_proxy=True)
    c = one(res, "V-21")
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.BRAND_PROXY_MISSING)
    assert claim(res, "brand") is Status.INVALID and res.display_brand is None
    itself = run(r, facts("le", signer="le"), require_brand_proxy=True)  # no delegate: no proxy needed
    assert [x for x in itself.checks if x.id == "V-21"] == [] and itself.display_brand is not None
    assert [x for x in run(r, facts("le")).checks if x.id == "V-21"] == []  # off by default


def test_V_23_bearer_vetting_credential_binds_nobody() -> None:
    res = run(edit(result("le"), "le_vetting", lambda c: dataclasses.replace(c, issuee=None)), facts("le"))
    c = one(res, "X-AUTH-01")
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.AUTH_AP_NOT_BOUND)
    assert claim(res, "authorization") is Status.INVALID


def test_V_23_vetting_chain_needs_its_qvi_edge_target() -> None:
    """Without the QVI credential its ``qvi`` edge points at, the vetting credential cannot be
    chained to the identity root: never VALID."""
    w = own_world()
    d = w.dossiers["le"]
    r = result("le", d.stream.replace(w.credentials["qvi"].acdc, b""))
    vetting = w.credentials["le_vetting"].said
    got = {c.id: c for c in r.checks if c.subject == vetting}
    assert got["V-11"].status is CheckStatus.INDETERMINATE and got["V-11"].code == codes.CHAIN_INCOMPLETE
    assert got["V-13"].code == codes.EDGE_TARGET_UNAVAILABLE
    assert r.status is Status.INDETERMINATE


@pytest.mark.parametrize("shape", ["le", "acting"])
def test_V_24_brand_issued_to_another_aid_is_not_used(shape: str) -> None:
    rogue = own_world().parties["rogue"].aid
    res = run(edit(result(shape), "brand", lambda c: attrs(c, i=rogue)), facts(shape))
    c = one(res, "V-20")
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.BRAND_NO_CREDENTIAL)
    assert [x for x in res.checks if x.id == "V-24"] == []
    assert res.display_brand is None


def test_X_AUTH_01_acting_ap_needs_an_alloc_from_the_legal_entity() -> None:
    rogue = own_world().parties["rogue"].aid
    res = run(edit(result("acting"), "alloc_acting", lambda c: dataclasses.replace(c, issuer=rogue)), facts("acting"))
    c = one(res, "X-AUTH-01")
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.AUTH_AP_NOT_BOUND)
    assert {x.id for x in res.checks if x.claim == "tn_rights"} == {"V-17"}  # nothing judged without an AP
