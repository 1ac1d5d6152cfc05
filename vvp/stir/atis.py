"""The ATIS-1000082 STI-VS verification exchange (architecture §4.5), without the HTTP.

``POST /stir/v1/verification`` takes a ``verificationRequest`` and answers a
``verificationResponse``; the service wraps :func:`answer_verification_request`, which parses and
validates the body strictly, hands the call to a ``verify_call`` function (the service's: it runs
the verifier and stores the record), and shapes the answer::

    {"verificationRequest": {"from": {"tn": "12155551212"}, "to": {"tn": ["12155551213"]},
      "time": 1767225600, "identity": ["<Identity value>", ...]}}
    → 200 {"verificationResponse": {"verstat": "TN-Validation-Failed", "reasonCode": 438,
            "reasonString": "Invalid Identity Header", "verstat_source": "shaken",
            "vvp": {<verdict JSON>}, "record_id": "<id>"}}

Rules: ``identity`` is one string or a non-empty list of strings; TNs are canonicalised (a ``+``
and visual separators are accepted, :mod:`vvp.tn`); ``to.tn`` is a list or one string; ``time``
(integer Unix seconds) is the reference time, and when it is absent the request carries ``None``
so that the *front end* supplies "now" (nothing below the front ends reads the clock). Unknown
members are ignored, as ATIS clients may send optional ones vvp does not use. The body is strict
JSON (duplicate keys refused: two ``identity`` members could be read two ways).

verstat comes from the ``shaken`` claim when the call had a SHAKEN PASSporT. Otherwise it comes
from VVP (``verstat_source: "vvp"``): Passed when the verdict is VALID with ``tn_rights`` VALID,
Failed when INVALID, No-TN-Validation otherwise. A malformed body gets HTTP 400 with an ATIS/OMA
style ``requestError`` (``serviceException`` with ``messageId`` SVC4000 for a missing member and
SVC4001 for an invalid one, ``text`` and ``variables``) and the stable code
``ATIS_REQUEST_INVALID``. An exception from ``verify_call`` (e.g. the record could not be stored)
is not caught: the service must not acknowledge a verification whose record is not stored.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from vvp import clock, codes, jose
from vvp.errors import VvpError
from vvp.stir.verstat import SIP_REASONS, Verstat
from vvp.tn import TnError, normalize_tn

# Sixteen Identity values of up to ~36 KB each, plus the TNs: 1 MiB is ample and bounded.
MAX_REQUEST_BYTES: Final = 1048576
MAX_IDENTITIES: Final = 16
# Unix seconds up to year 9999: anything larger is not a call time.
MAX_TIME: Final = 253402300799

MISSING: Final = "SVC4000"
INVALID: Final = "SVC4001"
_TEXT: Final = {MISSING: "Missing mandatory parameter: %1", INVALID: "Invalid parameter value: %1"}


class AtisRequestError(VvpError):
    """A verificationRequest vvp cannot act on; becomes HTTP 400."""

    default_code = codes.ATIS_REQUEST_INVALID

    def __init__(self, message_id: str, variable: str, detail: str) -> None:
        super().__init__(f"{variable}: {detail}")
        self.message_id = message_id
        self.variable = variable
        self.detail = detail

    def to_json(self) -> dict[str, Any]:
        return {"requestError": {"serviceException": {
            "messageId": self.message_id, "text": _TEXT[self.message_id], "variables": [self.variable],
            "detail": self.detail, "code": self.code}}}


@dataclass(frozen=True, slots=True)
class VerificationRequest:
    """A parsed request: canonical TNs, the Identity values as sent, the reference time if given."""

    orig: str
    dest: tuple[str, ...]
    identities: tuple[str, ...]
    reference_time: _dt.datetime | None


@dataclass(frozen=True, slots=True)
class CallAnswer:
    """What ``verify_call`` returns: the verdict JSON and the id of its stored record."""

    verdict: Mapping[str, Any]
    record_id: str | None


def _tn(value: Any, variable: str) -> str:
    if not isinstance(value, str):
        raise AtisRequestError(INVALID, variable, "must be a telephone number string")
    try:
        return normalize_tn(value)
    except TnError as e:
        raise AtisRequestError(INVALID, variable, e.message) from None


def _member(obj: Mapping[str, Any], name: str, variable: str) -> Any:
    if name not in obj:
        raise AtisRequestError(MISSING, variable, "is required")
    return obj[name]


def parse_verification_request(body: bytes | str | Mapping[str, Any]) -> VerificationRequest:
    """Parse and validate a ``verificationRequest`` body (module docstring); raise :class:`AtisRequestError`."""
    if isinstance(body, Mapping):
        doc: Any = body
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if len(raw) > MAX_REQUEST_BYTES:
            raise AtisRequestError(INVALID, "verificationRequest", f"body larger than {MAX_REQUEST_BYTES} bytes")
        try:
            doc = jose.loads_strict(raw, what="request body")
        except jose.JoseError as e:
            raise AtisRequestError(INVALID, "verificationRequest", e.message) from None
    if not isinstance(doc, Mapping):
        raise AtisRequestError(INVALID, "verificationRequest", "the body must be a JSON object")
    req = _member(doc, "verificationRequest", "verificationRequest")
    if not isinstance(req, Mapping):
        raise AtisRequestError(INVALID, "verificationRequest", "must be an object")
    frm = _member(req, "from", "from")
    if not isinstance(frm, Mapping):
        raise AtisRequestError(INVALID, "from", "must be an object with tn")
    orig = _tn(_member(frm, "tn", "from.tn"), "from.tn")
    to = _member(req, "to", "to")
    if not isinstance(to, Mapping):
        raise AtisRequestError(INVALID, "to", "must be an object with tn")
    to_tn = _member(to, "tn", "to.tn")
    to_list = [to_tn] if isinstance(to_tn, str) else to_tn
    if not isinstance(to_list, list) or not to_list:
        raise AtisRequestError(INVALID, "to.tn", "must be a TN or a non-empty list of TNs")
    dest = tuple(_tn(t, "to.tn") for t in to_list)
    ident = _member(req, "identity", "identity")
    idents = [ident] if isinstance(ident, str) else ident
    if not isinstance(idents, list) or not idents or not all(isinstance(i, str) and i for i in idents):
        raise AtisRequestError(INVALID, "identity", "must be an Identity value or a non-empty list of them")
    if len(idents) > MAX_IDENTITIES:
        raise AtisRequestError(INVALID, "identity", f"more than {MAX_IDENTITIES} Identity values")
    at: _dt.datetime | None = None
    if "time" in req:
        t = req["time"]
        if type(t) is not int or not 0 <= t <= MAX_TIME:
            raise AtisRequestError(INVALID, "time", "must be integer Unix seconds")
        at = clock.from_unix(t)
    return VerificationRequest(orig, dest, tuple(idents), at)


def response_verstat(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """``verstat`` (with ``reasonCode``/``reasonString`` when a SIP code applies) and its source."""
    claims = verdict.get("claims") or {}
    shaken = claims.get("shaken") if isinstance(claims, Mapping) else None
    if isinstance(shaken, Mapping) and isinstance(shaken.get("verstat"), str):
        out: dict[str, Any] = {"verstat": shaken["verstat"]}
        code = shaken.get("sip_code")
        if isinstance(code, int) and code in SIP_REASONS:
            out["reasonCode"] = code
            out["reasonString"] = shaken.get("reason") or SIP_REASONS[code]
        out["verstat_source"] = "shaken"
        return out
    status = verdict.get("status")
    tn_rights = claims.get("tn_rights") if isinstance(claims, Mapping) else None
    tn_ok = isinstance(tn_rights, Mapping) and tn_rights.get("status") == "VALID"
    if status == "VALID" and tn_ok:
        v = Verstat.PASSED
    elif status == "INVALID":
        v = Verstat.FAILED
    else:
        v = Verstat.NO_VALIDATION
    return {"verstat": v.value, "verstat_source": "vvp"}


def verification_response(answer: CallAnswer) -> dict[str, Any]:
    """The 200 body for a verified call."""
    return {"verificationResponse": {**response_verstat(answer.verdict), "vvp": dict(answer.verdict),
                                     "record_id": answer.record_id}}


def answer_verification_request(body: bytes | str | Mapping[str, Any],
                                verify_call: Callable[[VerificationRequest], CallAnswer]) -> tuple[int, dict[str, Any]]:
    """``(HTTP status, JSON body)`` for one ``POST /stir/v1/verification`` (module docstring)."""
    try:
        request = parse_verification_request(body)
    except AtisRequestError as e:
        return 400, e.to_json()
    return 200, verification_response(verify_call(request))
