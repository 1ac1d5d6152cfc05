"""vvp.evidence.refusal: a checker's refusal and any fault inside it become a coded result, never
an exception (the Checker promise), with what the check had filled in ``native`` kept."""

from __future__ import annotations

from typing import Any

from vvp import codes
from vvp.evidence.base import ArtifactResult
from vvp.evidence.refusal import guarded_check, indeterminate, invalid
from vvp.verdict import Status

MT = "application/vc+ld+json"


def test_a_refusal_is_its_coded_result() -> None:
    native: dict[str, Any] = {"format": "x"}

    def refuse() -> ArtifactResult:
        native["seen"] = True
        raise invalid(codes.VC_MALFORMED, "bad", codes.JOSE_NOT_OBJECT)

    r = guarded_check(MT, native, "W3C VC", refuse)
    assert (r.status, r.codes, r.messages) == (Status.INVALID, (codes.VC_MALFORMED, codes.JOSE_NOT_OBJECT), ("bad",))
    assert r.native == {"format": "x", "seen": True}

    def undecided() -> ArtifactResult:
        raise indeterminate(codes.EVIDENCE_TOO_LARGE, "big")

    assert guarded_check(MT, {}, "W3C VC", undecided).status is Status.INDETERMINATE


def test_a_fault_is_checker_failed_not_a_traceback() -> None:
    def fault() -> ArtifactResult:
        raise KeyError("k")

    r = guarded_check(MT, {}, "SD-JWT", fault)
    assert r.status is Status.INDETERMINATE and r.codes == (codes.EVIDENCE_CHECKER_FAILED,)
    assert r.messages == ("the SD-JWT checker stopped: KeyError: 'k'",)


def test_a_result_passes_through() -> None:
    ok = ArtifactResult(MT, Status.VALID, (codes.OK,))
    assert guarded_check(MT, {}, "W3C VC", lambda: ok) is ok
