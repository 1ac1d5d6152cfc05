"""One call, verified: the orchestration of architecture §2 over the domain modules.

``verify_call`` never raises for anything wrong with the evidence: every problem becomes a check
with a stable code, and the verdict is assembled from the checks by the rules in
:mod:`vvp.verdict`. It does no I/O of its own: bytes come through the ``fetcher`` it is given
(HTTP, an evidence map, a record being replayed), and time is the call's ``reference_time``.

Steps (numbered as in architecture §2; check ids are the requirement ids of vvp-protocol.md §8):

1. Parse every Identity header value (and the SIP request, when given); pick the VVP PASSporT.
2. PASSporT header, claims and timing.
3. ``kid`` OOBI → KEL → key state at the reference time → signature.
4. ``evd`` → dossier → every ACDC proven.
5-6. Roots per question; accountable party, signer, TN rights, brand, goal.
8. SHAKEN beside it (its own ``verstat``; never changes ``status``).
9. The verdict.

A step that this version does not perform yet is reported as INDETERMINATE with code
``NOT_CHECKED_IN_THIS_VERSION`` for its claim: never as passing.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vvp import clock, codes
from vvp.fetch import Fetcher
from vvp.trust import TrustStore
from vvp.verdict import Check, Verdict, build_verdict, indeterminate


@dataclass(frozen=True, slots=True)
class CallInput:
    """The inputs of one verification, exactly as received (they go into the record verbatim)."""

    reference_time: _dt.datetime
    identities: tuple[str, ...] = ()
    sip: bytes | None = None
    orig: str | None = None
    dest: str | None = None
    call_id: str | None = None
    require_context: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"reference_time": clock.rfc3339(self.reference_time), "identities": list(self.identities),
                "sip": self.sip.decode("latin-1") if self.sip is not None else None, "orig": self.orig,
                "dest": self.dest, "call_id": self.call_id, "require_context": self.require_context}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> CallInput:
        sip = d.get("sip")
        return cls(reference_time=clock.parse_time(str(d["reference_time"])),
                   identities=tuple(str(x) for x in d.get("identities", [])),
                   sip=sip.encode("latin-1") if isinstance(sip, str) else None,
                   orig=d.get("orig"), dest=d.get("dest"), call_id=d.get("call_id"),
                   require_context=bool(d.get("require_context", False)))


_NOT_YET = {
    "passport": "P-00", "context": "V-04", "dossier": "V-08", "authorization": "V-15", "tn_rights": "V-17",
    "brand": "V-18", "business": "V-19", "shaken": "X-SHAKEN-00",
}


def _not_checked(claim: str) -> Check:
    return indeterminate(_NOT_YET[claim], claim, codes.NOT_CHECKED_IN_THIS_VERSION,
                         f"the {claim} claim is not checked in this version of vvp")


def verify_call(call: CallInput, *, trust: TrustStore, fetcher: Fetcher) -> Verdict:
    """Verify one call (module docstring). Never raises for bad evidence or bad input."""
    checks: list[Check] = [_not_checked(c) for c in _NOT_YET]
    return build_verdict(checks, reference_time=clock.rfc3339(call.reference_time),
                         brand_strict=trust.policy.brand_failure == "strict")
