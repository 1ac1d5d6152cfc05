"""keri's own parser accepts the generated world as intended, for both schema sets and both
accountable-party shapes (issue 4 acceptance); and the world has the structure it claims."""

from __future__ import annotations

import dataclasses

import pytest

from tests.world_fixtures import world, world_published  # noqa: F401 - fixtures
from vvp.testing.worldgen import BEFORE_ROTATION_AT, CALL_AT, REVOKE_AT, ROTATE_AT, World, check_world
from vvp.testing.worldgen.check import check_dossier, check_party
from vvp.testing.worldgen.build import CARRIER_RANGE
from vvp.trust import PUBLISHED_SCHEMA_ROLES


def _assert_shapes(w: World) -> None:
    shapes = {d.shape for d in w.dossiers.values()}
    assert shapes == {"le", "acting"}
    le = w.parties["le"].aid
    vetting = w.credentials["le_vetting"]
    assert vetting.issuee == le
    # shape le: the dossier issuer is the vetting issuee itself
    d_le = w.credentials["dossier_le"]
    assert d_le.issuer == le and w.dossiers["le"].shape == "le"
    # shape acting: the dossier issuer holds an alloc GCD issued by the vetting issuee
    d_acting = w.credentials["dossier_acting"]
    alloc = w.credentials[d_acting.edges["alloc"]]
    assert w.dossiers["acting"].shape == "acting"
    assert d_acting.issuer == w.parties["acting"].aid != le
    assert alloc.issuer == le and alloc.issuee == d_acting.issuer
    # signer = delsig issuee, delsig issued by the AP
    for name in ("le", "acting"):
        d = w.dossiers[name]
        dossier = w.credentials[f"dossier_{name}"]
        delsig = w.credentials[dossier.edges["delsig"]]
        assert delsig.issuer == dossier.issuer
        assert delsig.issuee == w.parties[d.signer].aid
        tn = w.credentials[dossier.edges["tnalloc"]]
        assert tn.issuee == dossier.issuer
        assert tuple(tn.sad["a"]["numbers"]["tn"]) == d.numbers


def _assert_chains(w: World) -> None:
    # the identity root delegates the QVI accreditation's issuer
    ext = w.parties["external"]
    assert ext.delegator == "root"
    assert w.credentials["qvi"].issuer == ext.aid
    assert w.credentials["le_vetting"].edges == {"qvi": "qvi"}
    # regulator -> carrier -> AP, narrowing (except the deliberate wide variant)
    carrier = w.credentials["tn_carrier"]
    assert carrier.issuer == w.root_aid("tn")
    assert carrier.sad["a"]["numbers"] == {"rangeStart": CARRIER_RANGE[0], "rangeEnd": CARRIER_RANGE[1]}
    for name in ("tn_le", "tn_le_revoked", "tn_acting", "tn_le_wide", "tn_acting_revoked", "tn_acting_wide"):
        c = w.credentials[name]
        assert c.edges == {"tnalloc": "tn_carrier"}
        inside = all(CARRIER_RANGE[0] <= n <= CARRIER_RANGE[1] for n in c.sad["a"]["numbers"]["tn"])
        assert inside == (not name.endswith("_wide"))
        assert "u" in c.sad and "u" in c.sad["a"]  # private: salty nonces
    assert w.credentials["brand"].issuer == w.root_aid("brand")
    assert w.credentials["brand"].issuee == w.parties["le"].aid
    assert w.credentials["delsig_rogue"].issuer == w.parties["rogue"].aid
    assert w.credentials["delsig_rogue_b"].issuer == w.parties["rogue"].aid
    # every binding variant has a twin in the acting shape; no_brand dossiers cite no brand
    for name, twin in (("revoked_tn", "revoked_tn_acting"), ("wide_tn", "wide_tn_acting"),
                       ("foreign_delsig", "foreign_delsig_acting"), ("no_brand", "no_brand_acting")):
        assert (w.dossiers[name].shape, w.dossiers[twin].shape) == ("le", "acting")
        assert w.credentials[f"dossier_{twin}"].issuer == w.parties["acting"].aid
    for name in ("no_brand", "no_brand_acting"):
        assert "bownr" not in w.credentials[f"dossier_{name}"].edges and "brand" not in w.dossiers[name].credentials
    assert w.credentials["tn_acting_revoked"].revoked_at is not None
    # witnesses: every identifier but the witnesses has three, threshold two
    for p in w.parties.values():
        if p.transferable:
            assert len(p.witnesses) == 3 and p.toad == 2, p.name
    # timeline: the signer's rotation, the revocations
    signer = w.parties["signer"]
    assert [k.sn for k in signer.keys] == [0, 1] and signer.keys[1].at == ROTATE_AT
    assert signer.key_at(BEFORE_ROTATION_AT).sn == 0 and signer.key_at(CALL_AT).sn == 1
    revoked = w.credentials["tn_le_revoked"]
    assert revoked.revoked_at == REVOKE_AT
    assert revoked.state_at(BEFORE_ROTATION_AT) == "issued" and revoked.state_at(CALL_AT) == "revoked"
    assert w.credentials["dossier_revoked"].state_at(CALL_AT) == "revoked"


def test_own_world_is_accepted_by_keri(world: World) -> None:  # noqa: F811
    report = check_world(world)
    assert report.problems == ()
    assert report.kels == len(world.parties) and report.dossiers == len(world.dossiers) == 11
    # every credential of the world is in some dossier, so every one was checked
    assert set().union(*(d.credentials for d in world.dossiers.values())) == set(world.credentials)
    _assert_shapes(world)
    _assert_chains(world)
    assert world.schema_set == "own"
    assert all(world.schema_roles[r] != PUBLISHED_SCHEMA_ROLES[r] for r in world.schema_roles)


@pytest.mark.corpus
def test_published_world_is_accepted_by_keri(world_published: World) -> None:  # noqa: F811
    report = check_world(world_published)
    assert report.problems == ()
    _assert_shapes(world_published)
    _assert_chains(world_published)
    for role, saids in world_published.schema_roles.items():
        assert set(saids) <= set(PUBLISHED_SCHEMA_ROLES[role]), role


def test_the_check_notices_a_broken_world(world: World) -> None:  # noqa: F811
    signer = world.parties["signer"]
    j = signer.oobi.index(b"-AAB", signer.oobi.index(b'"t":"rot"')) + 8  # inside the rotation's signature
    flipped = b"B" if signer.oobi[j:j + 1] != b"B" else b"C"
    broken_kel = signer.oobi[:j] + flipped + signer.oobi[j + 1:]
    parties = dict(world.parties)
    parties["signer"] = dataclasses.replace(signer, oobi=broken_kel)
    dossier = world.dossiers["le"]
    cut = dossier.stream.rindex(b'{"v":"ACDC')
    dossiers = dict(world.dossiers)
    dossiers["le"] = dataclasses.replace(dossier, stream=dossier.stream[:cut])  # the dossier ACDC is gone
    broken = dataclasses.replace(world, parties=parties, dossiers=dossiers)
    kel_problems = check_party(broken, broken.parties["signer"])
    assert kel_problems and all(p.startswith("signer:") for p in kel_problems)
    dossier_problems = check_dossier(broken, broken.dossiers["le"])
    assert any(p.startswith("le/dossier_le:") for p in dossier_problems)
    assert check_party(world, signer) == []
