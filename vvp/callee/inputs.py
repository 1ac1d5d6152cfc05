"""The inputs of one callee verification, exactly as received (architecture §2.2, §4.1, §4.4).

They go into the forensic record verbatim (``to_json``) and come back from it for ``vvp reverify``
(``from_json``): the JSON names ``"direction": "callee"``, which is how a replay tells a callee
record from a caller one (whose inputs, :class:`vvp.verifier.CallInput`, never carry it).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from vvp import clock
from vvp.callee.sdp import ResponseError, parse_response

DIRECTION: Final = "callee"


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _bytes(v: Any) -> bytes | None:
    return v.encode("latin-1") if isinstance(v, str) else None


@dataclass(frozen=True, slots=True)
class CalleeInput:
    """One answer to verify: the callee PASSporT, from a SIP response (``response``, a raw 180/200
    whose SDP holds ``a=callee-passport``) or alone (``callee``: the attribute value, the JWT with
    or without ``;type=vvp``), and the call it answers: the raw INVITE (``invite``) and/or its
    ``call_id``, ``cseq`` and called number ``dest`` given directly (they win over the INVITE's).
    ``caller_goal`` is the caller's declared goal for VC-09 (default: the goal claim of the VVP
    PASSporT in the INVITE, when there is one)."""

    reference_time: _dt.datetime
    callee: str | None = None
    response: bytes | None = None
    invite: bytes | None = None
    call_id: str | None = None
    cseq: str | None = None
    dest: str | None = None
    caller_goal: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"direction": DIRECTION, "reference_time": clock.rfc3339(self.reference_time), "callee": self.callee,
                "response": self.response.decode("latin-1") if self.response is not None else None,
                "invite": self.invite.decode("latin-1") if self.invite is not None else None,
                "call_id": self.call_id, "cseq": self.cseq, "dest": self.dest, "caller_goal": self.caller_goal}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> CalleeInput:
        if d.get("direction") != DIRECTION:
            raise ValueError("not the inputs of a callee verification (no \"direction\": \"callee\")")
        return cls(reference_time=clock.parse_time(str(d["reference_time"])), callee=_text(d.get("callee")),
                   response=_bytes(d.get("response")), invite=_bytes(d.get("invite")), call_id=_text(d.get("call_id")),
                   cseq=_text(d.get("cseq")), dest=_text(d.get("dest")), caller_goal=_text(d.get("caller_goal")))


def is_callee_inputs(d: Mapping[str, Any]) -> bool:
    """Whether recorded inputs are a callee verification's."""
    return d.get("direction") == DIRECTION


def recorded_passport_value(inputs: Mapping[str, Any]) -> str | None:
    """The callee PASSporT value a callee verification's recorded inputs hold: the one given alone,
    else the one ``a=callee-passport`` of the recorded response (None when there is none, or
    several). For readers of records (the report); the verdict says whether it held."""
    value = inputs.get("callee")
    if isinstance(value, str):
        return value
    response = inputs.get("response")
    if not isinstance(response, str):
        return None
    try:
        attrs = parse_response(response.encode("latin-1")).attributes
    except (ResponseError, UnicodeEncodeError):
        return None
    return attrs[0].value if len(attrs) == 1 else None
