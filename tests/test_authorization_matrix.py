"""The authorization scenario matrix over the test world, in both accountable-party shapes
(issue 7 acceptance; architecture §2 step 6, vvp-protocol.md §4.1 steps 10-13).

Every case runs the published contract, ``vvp verify ... --json`` in process, against the served
world, and asserts the overall status, the claims that are not VALID (with their status), and
the failing check's id, code and subject. Shape ``le``: the legal entity is the accountable party
(AP); shape ``acting``: an AID acting for it through an ``alloc`` GCD. The world has every variant
in both shapes (``vvp.testing.worldgen.build``), so each case is parametrised over both.

Tests are named after the requirement id they prove, so ``docs/conformance.md`` can cite them.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from tests.world_fixtures import served_world, world  # noqa: F401 - fixtures
from vvp import codes
from vvp._cli import main
from vvp.testing.worldgen.build import TN_ACTING, TN_LE
from vvp.clock import rfc3339
from vvp.testing.world import CALL_AT, CARD, DEST, REVOKE_AT, ServedWorld

SHAPES = ("le", "acting")
Shape = Literal["le", "acting"]
Trust = Literal["main", "untrusted", "untrusted_tn", "strict"]


@dataclass(frozen=True)
class ShapeWorld:
    """The names of one shape's dossiers and parties."""

    good: str
    revoked_tn: str
    wide_tn: str
    foreign_delsig: str
    no_brand: str
    ap: str
    signer: str
    other_signer: str
    numbers: tuple[str, ...]


NAMES: Mapping[str, ShapeWorld] = {
    "le": ShapeWorld("le", "revoked_tn", "wide_tn", "foreign_delsig", "no_brand", "le", "signer", "signer_b", TN_LE),
    "acting": ShapeWorld("acting", "revoked_tn_acting", "wide_tn_acting", "foreign_delsig_acting", "no_brand_acting",
                         "acting", "signer_b", "signer", TN_ACTING),
}
UNJUSTIFIED_CARD = (*CARD, "NICKNAME:Acme Bank")


@dataclass(frozen=True)
class Outcome:
    rc: int
    doc: Mapping[str, Any]

    @property
    def status(self) -> str:
        return str(self.doc["status"])

    def claim(self, name: str) -> Mapping[str, Any]:
        return self.doc["claims"][name]  # type: ignore[no-any-return]

    def not_valid(self) -> dict[str, str]:
        """Deciding and brand claims whose status is neither VALID nor NOT_APPLICABLE."""
        return {k: v["status"] for k, v in self.doc["claims"].items()
                if k != "shaken" and v["status"] not in ("VALID", "NOT_APPLICABLE")}

    def check(self, id_: str, claim: str, subject: str | None = None) -> Mapping[str, Any]:
        found = [c for c in self.doc["checks"] if c["id"] == id_ and c["claim"] == claim
                 and (subject is None or c["subject"] == subject)]
        assert len(found) == 1, (id_, claim, subject, self.doc["checks"])
        return found[0]  # type: ignore[no-any-return]

    def fails(self, claim: str, id_: str, code: str, *, subject: str | None = None,
              status: str = "INVALID", check_status: str = "fail") -> None:
        """The claim has ``status``, lists ``code``, and check ``id_`` failed with ``code``."""
        assert self.claim(claim)["status"] == status, self.claim(claim)
        assert code in self.claim(claim)["codes"], self.claim(claim)
        c = self.check(id_, claim, subject)
        assert (c["status"], c["code"]) == (check_status, code), c


def verify(sw: ServedWorld, capsys: pytest.CaptureFixture[str], *, dossier: str, signer: str | None = None,
           orig: str | None = None, at: _dt.datetime = CALL_AT, card: tuple[str, ...] | None = CARD,
           goal: str | None = "negotiate.schedule", trust: Trust = "main") -> Outcome:
    """Sign a call in the served world and verify it with ``vvp verify --json``."""
    d = sw.world.dossiers[dossier]
    orig = orig or d.numbers[0]
    sp = sw.passport(dossier=dossier, signer=signer, orig=orig, at=at, card=card, goal=goal)
    path = {"main": sw.files.trust, "untrusted": sw.files.trust_untrusted,
            "untrusted_tn": sw.files.trust_untrusted_tn, "strict": sw.files.trust_strict}[trust]
    capsys.readouterr()
    rc = main(["verify", "--identity", sp.identity, "--orig", orig, "--dest", DEST, "--at", rfc3339(at),
               "--trust", str(path), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == {"VALID": 0, "INVALID": 1, "INDETERMINATE": 3}[doc["status"]]
    return Outcome(rc, doc)


def said(sw: ServedWorld, credential: str) -> str:
    return sw.world.credentials[credential].said


def aid(sw: ServedWorld, party: str) -> str:
    return sw.world.parties[party].aid


shape_param = pytest.mark.parametrize("shape", SHAPES)


@shape_param
def test_positive_control_valid_call(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                     capsys: pytest.CaptureFixture[str]) -> None:
    n = NAMES[shape]
    o = verify(served_world, capsys, dossier=n.good)
    assert (o.status, o.rc) == ("VALID", 0)
    assert o.not_valid() == {}
    for claim in ("passport", "context", "dossier", "authorization", "tn_rights", "brand", "business"):
        assert o.claim(claim)["status"] == "VALID", claim
    auth = o.claim("authorization")
    assert (auth["shape"], auth["accountable_party"], auth["signer"]) == \
        (shape, aid(served_world, n.ap), aid(served_world, n.signer))
    assert o.doc["display"]["brand"] == {"card": list(CARD), "credential": said(served_world, "brand"),
                                         "issuer": aid(served_world, "brand_root")}
    assert o.check("V-16", "authorization")["status"] == "pass"
    assert o.check("V-17", "tn_rights")["status"] == "pass"


@shape_param
def test_V_15_accountable_party_signs_itself(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """No delegation needed when the signer is the AP; the goal is the AP's own (P-14 passes)."""
    n = NAMES[shape]
    o = verify(served_world, capsys, dossier=n.good, signer=n.ap)
    assert o.status == "VALID", o.not_valid()
    c = o.check("V-15", "authorization")
    assert (c["status"], c["subject"]) == ("pass", aid(served_world, n.ap))
    assert o.check("P-14", "business")["status"] == "pass"


@shape_param
def test_V_20_no_card_and_no_brand_credential_brand_not_applicable(
        shape: Shape, served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    o = verify(served_world, capsys, dossier=NAMES[shape].no_brand, card=None)
    assert o.status == "VALID"
    assert o.not_valid() == {}
    assert o.claim("brand") == {"status": "NOT_APPLICABLE", "codes": []}
    c = o.check("V-18", "brand")
    assert (c["status"], c["code"]) == ("not_applicable", codes.BRAND_NO_CARD)
    assert o.doc["display"]["brand"] is None


@shape_param
def test_V_18_card_line_not_justified_is_suppressed(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].good, card=UNJUSTIFIED_CARD)
    assert (o.status, o.rc) == ("VALID", 0)
    assert o.not_valid() == {"brand": "INVALID"}
    o.fails("brand", "V-18", codes.BRAND_LINE_NOT_JUSTIFIED)
    assert o.doc["display"]["brand"] is None


@shape_param
def test_V_18_card_line_not_justified_strict(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                             capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].good, card=UNJUSTIFIED_CARD, trust="strict")
    assert (o.status, o.rc) == ("INVALID", 1)
    assert o.not_valid() == {"brand": "INVALID"}
    o.fails("brand", "V-18", codes.BRAND_LINE_NOT_JUSTIFIED)
    assert o.doc["display"]["brand"] is None


@shape_param
def test_V_20_card_without_brand_credential(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                            capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].no_brand)
    assert o.status == "VALID"
    assert o.not_valid() == {"brand": "INVALID"}
    o.fails("brand", "V-20", codes.BRAND_NO_CREDENTIAL)
    assert o.doc["display"]["brand"] is None


@shape_param
def test_V_17_orig_outside_allocation(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                      capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].good, orig="+15551230999")
    assert o.status == "INVALID"
    assert o.not_valid() == {"tn_rights": "INVALID"}
    o.fails("tn_rights", "V-17", codes.TN_NOT_ALLOCATED, subject="15551230999")


@shape_param
def test_V_17_number_of_the_other_shape_is_not_held(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Wrong holder: a number allocated in the world, but to the other accountable party."""
    other = NAMES["acting" if shape == "le" else "le"].numbers[0]
    o = verify(served_world, capsys, dossier=NAMES[shape].good, orig=other)
    assert o.not_valid() == {"tn_rights": "INVALID"}
    o.fails("tn_rights", "V-17", codes.TN_NOT_ALLOCATED)


@shape_param
def test_V_22_allocation_wider_than_its_parent(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                               capsys: pytest.CaptureFixture[str]) -> None:
    n = NAMES[shape]
    o = verify(served_world, capsys, dossier=n.wide_tn)
    assert o.status == "INVALID"
    assert o.not_valid() == {"tn_rights": "INVALID"}
    alloc = "tn_le_wide" if shape == "le" else "tn_acting_wide"
    o.fails("tn_rights", "V-22", codes.TN_WIDER_THAN_PARENT, subject=said(served_world, alloc))
    assert o.check("V-17", "tn_rights")["status"] == "pass"


@shape_param
def test_V_14_allocation_revoked_before_the_call(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].revoked_tn)
    assert o.status == "INVALID"
    assert o.not_valid() == {"dossier": "INVALID", "tn_rights": "INVALID"}
    alloc = said(served_world, "tn_le_revoked" if shape == "le" else "tn_acting_revoked")
    o.fails("dossier", "V-14", codes.CREDENTIAL_REVOKED, subject=alloc)
    o.fails("tn_rights", "V-22", codes.TN_ALLOCATION_NOT_ISSUED, subject=alloc)


@shape_param
def test_V_14_allocation_revoked_after_the_call_is_valid_at_call_time(
        shape: Shape, served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    o = verify(served_world, capsys, dossier=NAMES[shape].revoked_tn, at=REVOKE_AT - _dt.timedelta(days=1))
    assert (o.status, o.rc) == ("VALID", 0)
    assert o.not_valid() == {}
    alloc = said(served_world, "tn_le_revoked" if shape == "le" else "tn_acting_revoked")
    c = o.check("V-14", "dossier", alloc)
    assert c["status"] == "pass" and "revoked later" in c["message"], c
    assert o.check("V-22", "tn_rights")["status"] == "pass"


@shape_param
def test_V_16_delegated_signer_credential_issued_by_a_third_party(
        shape: Shape, served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    n = NAMES[shape]
    o = verify(served_world, capsys, dossier=n.foreign_delsig)
    assert o.status == "INVALID"
    assert o.not_valid() == {"authorization": "INVALID", "business": "INDETERMINATE"}
    o.fails("authorization", "V-16", codes.AUTH_DELSIG_WRONG_ISSUER, subject=aid(served_world, n.signer))
    o.fails("business", "P-14", codes.BUSINESS_NO_DELEGATION, status="INDETERMINATE", check_status="indeterminate")


@shape_param
def test_V_16_kid_not_the_delegated_signer_issuee(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """S-08 too: a signer (here another party's signing service) that the AP's delegation does not name."""
    n = NAMES[shape]
    o = verify(served_world, capsys, dossier=n.good, signer=n.other_signer)
    assert o.status == "INVALID"
    assert o.not_valid() == {"authorization": "INVALID", "business": "INDETERMINATE"}
    o.fails("authorization", "V-16", codes.AUTH_DELSIG_WRONG_ISSUEE, subject=aid(served_world, n.other_signer))
    assert o.claim("passport")["status"] == "VALID"


@shape_param
def test_P_14_goal_outside_c_goal(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                  capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].good, goal="sell.consumer")
    assert o.status == "INVALID"
    assert o.not_valid() == {"business": "INVALID"}
    o.fails("business", "P-14", codes.BUSINESS_GOAL_NOT_DELEGATED)


@shape_param
def test_P_14_goal_narrower_than_c_goal_is_covered(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].good, goal="support.billing")
    assert o.status == "VALID"
    assert o.check("P-14", "business")["status"] == "pass"


@shape_param
def test_V_11_untrusted_vetting_root(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                     capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].good, trust="untrusted")
    assert o.status == "INVALID"
    assert o.not_valid() == {"dossier": "INVALID"}
    o.fails("dossier", "V-11", codes.CHAIN_UNTRUSTED_ROOT, subject=said(served_world, "le_vetting"))


@shape_param
def test_V_11_untrusted_tn_root(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].good, trust="untrusted_tn")
    assert o.status == "INVALID"
    assert o.not_valid() == {"dossier": "INVALID"}
    alloc = said(served_world, "tn_le" if shape == "le" else "tn_acting")
    o.fails("dossier", "V-11", codes.CHAIN_UNTRUSTED_ROOT, subject=alloc)
    assert o.check("V-11", "dossier", said(served_world, "le_vetting"))["status"] == "pass"


@shape_param
def test_P_12_card_entry_not_a_vcard_line(shape: Shape, served_world: ServedWorld,  # noqa: F811
                                          capsys: pytest.CaptureFixture[str]) -> None:
    o = verify(served_world, capsys, dossier=NAMES[shape].good, card=(CARD[0], "not a content line"))
    assert o.status == "VALID"
    assert o.not_valid() == {"brand": "INVALID"}
    o.fails("brand", "P-12", codes.BRAND_CARD_SYNTAX)
    assert o.doc["display"]["brand"] is None
