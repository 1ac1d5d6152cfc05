"""The HTTP API's bodies as pydantic models: one definition for validation, the JSON Schemas in
``schemas/formats/api-*.schema.json`` and the OpenAPI document at ``/openapi.json``.

Why models and not hand-written schemas: the request checks, the published schemas and the
OpenAPI document must never disagree, so all three come from these classes
(:func:`api_schemas` writes the files; ``tests/test_service_schemas.py`` fails when they are
stale; :func:`openapi_document` builds the OpenAPI document from the same classes).

Bodies reach the models only after the project's strict JSON parser (duplicate keys and NaN
refused, :mod:`vvp.strictjson`) and a size limit; the models then validate in pydantic's
*strict* mode (no ``"1"`` for 1, no coercion), so a body the schema calls invalid is refused
and a body it calls valid is acted on. Our own endpoints refuse unknown members (a typo must not
be silently ignored); the ATIS endpoint ignores them, as ATIS-1000082 clients may send optional
members vvp does not use (:mod:`vvp.stir.atis`).
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from vvp import __version__
from vvp.stir.atis import MAX_IDENTITIES, MAX_TIME

TN_PATTERN: Final = r"^\+?[().\-]*([0-9][().\-]*){1,15}$"
"""A telephone number as :func:`vvp.tn.normalize_tn` accepts it: E.164 digits (at most 15) with an
optional leading ``+`` and RFC 3966 visual separators."""
MAX_IDENTITY_CHARS: Final = 65536
"""One Identity header value: a PASSporT with a large ``card`` is a few KiB; 64 Ki is ample."""
MAX_TEXT: Final = 1024

Tn = Annotated[str, Field(pattern=TN_PATTERN, max_length=64, description="a telephone number, E.164 digits "
                                                                          "with an optional + and visual separators")]
IdentityValue = Annotated[str, Field(min_length=1, max_length=MAX_IDENTITY_CHARS,
                                     description="an Identity header field value with its parameters, "
                                                 "without the 'Identity:' name")]
IdentityList = Annotated[list[IdentityValue], Field(min_length=1, max_length=MAX_IDENTITIES)]
def _integral(v: Any) -> Any:
    """JSON Schema's ``integer`` includes ``5.0``: an integral float is that integer (strict
    mode refuses floats otherwise, and every non-number still fails)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


UnixSeconds = Annotated[int, BeforeValidator(_integral), Field(ge=0, le=MAX_TIME, description="Unix seconds")]
Rfc3339 = Annotated[str, Field(min_length=1, max_length=64, json_schema_extra={"format": "date-time"},
                               description="RFC 3339 with an offset or Z (checked when the request is read)")]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
RecordId = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$", description="the record's id (§4.4)")]
Code = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="a stable code (docs/codes.md)")]


class _Strict(BaseModel):
    """Our own request bodies: strict types, unknown members refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Open(BaseModel):
    """Bodies whose unknown members are allowed (responses that may grow; ATIS requests)."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


# --- errors ---------------------------------------------------------------------------------

class ErrorDetail(_Strict):
    code: Code
    message: str


class ErrorResponse(_Strict):
    """Every 4xx and 5xx answer of the service (the ATIS endpoint's 400/413/415 excepted)."""

    model_config = ConfigDict(title="vvp API error", extra="forbid", strict=True, frozen=True)
    error: ErrorDetail


class AtisServiceException(_Strict):
    messageId: Literal["SVC4000", "SVC4001"]
    text: str
    variables: list[str]
    detail: str
    code: Code


class AtisRequestErrorBody(_Strict):
    serviceException: AtisServiceException


class AtisErrorResponse(_Strict):
    """A ``verificationRequest`` that cannot be acted on (ATIS/OMA ``requestError``)."""

    model_config = ConfigDict(title="ATIS-1000082 request error", extra="forbid", strict=True, frozen=True)
    requestError: AtisRequestErrorBody


# --- the verdict (architecture §4.3; open: the verdict may grow) ----------------------------

StatusWord = Literal["VALID", "INVALID", "INDETERMINATE"]
ClaimStatus = Literal["VALID", "INVALID", "INDETERMINATE", "NOT_APPLICABLE"]


class Claim(_Open):
    status: ClaimStatus
    codes: list[str]


class CheckModel(_Open):
    model_config = ConfigDict(title="Check", extra="allow", strict=True, frozen=True)
    id: str
    claim: str
    subject: str | None
    status: Literal["pass", "fail", "indeterminate", "not_applicable", "warn"]
    code: str
    message: str


class VerdictModel(_Open):
    """The verdict JSON of architecture §4.3 (the minimum; more members may appear)."""

    model_config = ConfigDict(title="Verdict", extra="allow", strict=True, frozen=True)
    status: StatusWord
    reference_time: str
    claims: dict[str, Claim]
    checks: list[CheckModel]


class Replay(_Strict):
    """The same PASSporT was presented earlier within the replay window (any worker)."""

    code: Literal["SERVICE_PASSPORT_REPLAYED"]
    window_s: int
    message: str


class Deadline(_Strict):
    """The request deadline ran out while the verification waited on a fetch: the verdict is
    INDETERMINATE for want of that evidence (the failed fetch is in the record)."""

    code: Literal["SERVICE_DEADLINE_EXCEEDED"]
    request_deadline_s: float
    message: str


# --- POST /vvp/v1/verify ------------------------------------------------------------------------

class VerifyRequest(_Strict):
    """The CLI's inputs (``vvp verify``) as a JSON body."""

    model_config = ConfigDict(title="POST /vvp/v1/verify request", extra="forbid", strict=True, frozen=True)
    identity: IdentityValue | IdentityList
    orig: Tn | None = None
    dest: Tn | None = None
    call_id: Text | None = None
    at: Rfc3339 | UnixSeconds | None = Field(default=None, description="the reference time; now when absent")
    require_context: bool = False


class VerifyResponse(_Strict):
    model_config = ConfigDict(title="POST /vvp/v1/verify response", extra="forbid", strict=True, frozen=True)
    verdict: VerdictModel
    record_id: RecordId
    replay: Replay | None = None
    deadline: Deadline | None = None


# --- POST /vvp/v1/verify-callee -------------------------------------------------------------

class CalleeRequest(_Strict):
    """A called party's PASSporT (architecture §2.2) with the INVITE's facts."""

    model_config = ConfigDict(title="POST /vvp/v1/verify-callee request", extra="forbid", strict=True,
                              frozen=True)
    callee: IdentityValue
    call_id: Text
    cseq: Annotated[int, BeforeValidator(_integral), Field(ge=0, le=2**31 - 1)] | Annotated[
        str, Field(pattern=r"^[0-9]{1,10}( [A-Z]{1,20})?$", description="the INVITE's CSeq: '1' or '1 INVITE'")]
    dest: Tn
    caller_goal: Text | None = None
    at: Rfc3339 | UnixSeconds | None = None


# --- POST /stir/v1/verification (ATIS-1000082) ------------------------------------------------

class AtisFrom(_Open):
    tn: Tn


class AtisTo(_Open):
    tn: Tn | Annotated[list[Tn], Field(min_length=1, max_length=MAX_IDENTITIES)]


class AtisVerificationRequest(_Open):
    from_: AtisFrom = Field(alias="from")
    to: AtisTo
    time: UnixSeconds | None = Field(default=None, description="the reference time; now when absent")
    identity: IdentityValue | IdentityList

    model_config = ConfigDict(extra="allow", strict=True, frozen=True, populate_by_name=False)


class AtisRequest(_Open):
    model_config = ConfigDict(title="POST /stir/v1/verification request (ATIS-1000082)", extra="allow",
                              strict=True, frozen=True)
    verificationRequest: AtisVerificationRequest


class AtisVerificationResponse(_Strict):
    verstat: Literal["TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"]
    reasonCode: int | None = None
    reasonString: str | None = None
    verstat_source: Literal["shaken", "vvp", "service"]
    vvp: VerdictModel
    record_id: RecordId
    replay: Replay | None = None
    deadline: Deadline | None = None


class AtisResponse(_Strict):
    model_config = ConfigDict(title="POST /stir/v1/verification response (ATIS-1000082)", extra="forbid",
                              strict=True, frozen=True)
    verificationResponse: AtisVerificationResponse


# --- operations ------------------------------------------------------------------------------

class Health(_Strict):
    model_config = ConfigDict(title="GET /healthz", extra="forbid", strict=True, frozen=True)
    status: Literal["ok"]
    pid: int


class Readiness(_Strict):
    model_config = ConfigDict(title="GET /readyz", extra="forbid", strict=True, frozen=True)
    ready: bool
    pid: int
    trust: bool
    store: bool
    keystore: bool
    draining: bool


SCHEMA_FILES: Final[dict[str, type[BaseModel]]] = {
    "api-verify-request": VerifyRequest,
    "api-verify-response": VerifyResponse,
    "api-verify-callee-request": CalleeRequest,
    "api-stir-verification-request": AtisRequest,
    "api-stir-verification-response": AtisResponse,
    "api-stir-error": AtisErrorResponse,
    "api-error": ErrorResponse,
    "api-healthz": Health,
    "api-readyz": Readiness,
}
"""``schemas/formats/<name>.v1.schema.json`` → the model it is generated from."""

_ID_BASE = "https://vvp.invalid/schemas/formats/"


def api_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every API body, by file stem (``schemas/formats/<stem>.v1.schema.json``)."""
    out: dict[str, dict[str, Any]] = {}
    for stem, model in SCHEMA_FILES.items():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        out[stem] = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                     "$id": f"{_ID_BASE}{stem}.v1.schema.json", **schema}
    return out


def _response(model: type[BaseModel] | None, description: str, media: str = "application/json",
              headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if model is not None:
        out["content"] = {media: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
    if headers:
        out["headers"] = headers
    return out


_RETRY = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}


def _errors(*statuses: int, atis: bool = False) -> dict[str, Any]:
    words = {400: "the body is not strict JSON or does not match the schema",
             404: "no such resource", 413: "the body is too large", 415: "the body is not application/json",
             500: "an internal fault (a bug)", 501: "not available in this version",
             503: "overloaded (Retry-After), draining, or the record could not be stored"}
    out: dict[str, Any] = {}
    for s in statuses:
        model: type[BaseModel] = AtisErrorResponse if atis and s in (400, 413, 415) else ErrorResponse
        out[str(s)] = _response(model, words[s], headers=_RETRY if s == 503 else None)
    return out


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the service, from the same models as the JSON Schemas."""
    models: list[type[BaseModel]] = [VerifyRequest, VerifyResponse, CalleeRequest, AtisRequest, AtisResponse,
                                     AtisErrorResponse, ErrorResponse, Health, Readiness]
    _, defs = models_json_schema([(m, "validation") for m in models], by_alias=True,
                                 ref_template="#/components/schemas/{model}")
    components = dict(defs.get("$defs", {}))

    def body(model: type[BaseModel]) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}

    record_media = ("application/vnd.vvp.verdict-record+json;version=3",  # written now
                    "application/vnd.vvp.verdict-record+json;version=2",  # written until 2026-12-05
                    "application/vnd.vvp.verdict-record+json;version=1")  # imported from vvp 0.1.0
    return {
        "openapi": "3.1.0",
        "info": {"title": "vvp verification service", "version": __version__,
                 "description": "Verifies calls signed with the Verifiable Voice Protocol (VVP) and STIR/SHAKEN; "
                                "every answer is sent after its signed forensic record is stored."},
        "paths": {
            "/stir/v1/verification": {"post": {
                "operationId": "stirVerification", "summary": "ATIS-1000082 STI-VS verification, VVP verdict added",
                "requestBody": body(AtisRequest),
                "responses": {"200": _response(AtisResponse, "verified; the record is stored"),
                              **_errors(400, 413, 415, 503, atis=True)}}},
            "/vvp/v1/verify": {"post": {
                "operationId": "verify", "summary": "verify one call (the CLI's inputs)",
                "requestBody": body(VerifyRequest),
                "responses": {"200": _response(VerifyResponse, "verified; the record is stored"),
                              **_errors(400, 413, 415, 503)}}},
            "/vvp/v1/verify-callee": {"post": {
                "operationId": "verifyCallee", "summary": "verify a called party's PASSporT",
                "requestBody": body(CalleeRequest),
                "responses": {"200": _response(VerifyResponse, "verified; the record is stored"),
                              **_errors(400, 413, 415, 503)}}},
            "/vvp/v1/records/{id}": {"get": {
                "operationId": "getRecord", "summary": "a stored forensic record, byte for byte",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "maxLength": 200}}],
                "responses": {"200": {"description": "the self-contained record file (architecture §4.4)",
                                      "content": {m: {"schema": {"type": "object"}} for m in record_media}},
                              **_errors(404, 503)}}},
            "/healthz": {"get": {"operationId": "healthz", "summary": "the worker answers",
                                 "responses": {"200": _response(Health, "alive")}}},
            "/readyz": {"get": {"operationId": "readyz", "summary": "trust store, keystore and record store loaded",
                                "responses": {"200": _response(Readiness, "ready"),
                                              "503": _response(Readiness, "not ready, or draining")}}},
            "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics (all workers)",
                                 "responses": {"200": {"description": "Prometheus text format",
                                                       "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "this document",
                                      "responses": {"200": {"description": "OpenAPI 3.1",
                                                            "content": {"application/json": {
                                                                "schema": {"type": "object"}}}}}}},
        },
        "components": {"schemas": components},
    }


def write_schemas(folder: str) -> list[str]:
    """Write every API body's JSON Schema into ``folder`` (``schemas/formats``); the file names."""
    import json
    from pathlib import Path

    out: list[str] = []
    for stem, schema in api_schemas().items():
        p = Path(folder) / f"{stem}.v1.schema.json"
        p.write_text(json.dumps(schema, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        out.append(p.name)
    return out


if __name__ == "__main__":  # python -m vvp.service.models schemas/formats
    import sys

    print("\n".join(write_schemas(sys.argv[1] if len(sys.argv) > 1 else "schemas/formats")))
