"""The one registry of stable codes.

Every code that vvp can put in a check, a claim, an error or an exit message is registered here,
exactly once, with the area it belongs to and one line saying what it means. Codes are part of
the verdict contract (architecture §4.3): outside tools match on them, records keep them for
years, so a code is never renamed or reused for another meaning; a new meaning gets a new code.

Source code refers to codes through the module constants (``codes.KEL_BAD_SIGNATURE``), so a
typo is a mypy error; ``tests/test_codes.py`` also scans the source for string literals that look
like codes and fails on any that is not registered, and checks that ``docs/codes.md`` (made by
``python -m vvp.codes``) is current.

To add a code: add one ``_c(...)`` line in the section of its area, then run ``make codes-doc``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One registered code: its name, its area and what it means."""

    code: str
    area: str
    meaning: str


_REGISTRY: dict[str, CodeInfo] = {}


def _c(code: str, area: str, meaning: str) -> str:
    if code in _REGISTRY:
        raise RuntimeError(f"code {code} registered twice")
    _REGISTRY[code] = CodeInfo(code, area, meaning)
    return code


def registry() -> dict[str, CodeInfo]:
    """A copy of the registry, keyed by code."""
    return dict(_REGISTRY)


def info(code: str) -> CodeInfo:
    """The registry entry of ``code``; KeyError for an unregistered code."""
    return _REGISTRY[code]


def is_registered(code: str) -> bool:
    return code in _REGISTRY


# --- general -------------------------------------------------------------------------------
OK: Final = _c("OK", "general", "The check passed.")
NOT_CHECKED_IN_THIS_VERSION: Final = _c(
    "NOT_CHECKED_IN_THIS_VERSION", "general",
    "This version of vvp does not check this yet; the claim is INDETERMINATE, never VALID.")
NO_CHECKS: Final = _c("NO_CHECKS", "general", "No check ran for this claim; zero checks is never VALID.")
INTERNAL_ERROR: Final = _c("INTERNAL_ERROR", "general",
                           "An unexpected fault inside vvp; reported instead of a traceback.")
NO_VVP_PASSPORT: Final = _c("NO_VVP_PASSPORT", "general", "The call carries no VVP PASSporT.")

# --- cli -----------------------------------------------------------------------------------
USAGE_ERROR: Final = _c("USAGE_ERROR", "cli", "The command line is wrong (exit 2).")
NOT_AVAILABLE_IN_VERSION: Final = _c(
    "NOT_AVAILABLE_IN_VERSION", "cli", "This subcommand is not available in this version of vvp (exit 4).")
INPUT_UNREADABLE: Final = _c("INPUT_UNREADABLE", "cli", "An input file could not be read (exit 4).")
TIME_INVALID: Final = _c("TIME_INVALID", "cli", "A TIME argument is neither RFC 3339 nor Unix seconds.")
AMBIGUOUS_AID: Final = _c("AMBIGUOUS_AID", "cli", "The KEL stream holds several AIDs and --aid was not given.")
AMBIGUOUS_ROOT: Final = _c("AMBIGUOUS_ROOT", "cli",
                           "The dossier has several ACDCs no edge points at and --said was not given.")

# --- trust store ---------------------------------------------------------------------------
TRUST_UNREADABLE: Final = _c("TRUST_UNREADABLE", "trust", "The trust store file could not be read.")
TRUST_NOT_JSON: Final = _c("TRUST_NOT_JSON", "trust", "The trust store is not a JSON object (or has duplicate keys).")
TRUST_UNKNOWN_KEY: Final = _c("TRUST_UNKNOWN_KEY", "trust",
                              "The trust store has a key vvp does not know; a typo must not weaken a policy.")
TRUST_BAD_VALUE: Final = _c("TRUST_BAD_VALUE", "trust", "A trust store value has the wrong type or range.")
TRUST_BAD_VERSION: Final = _c("TRUST_BAD_VERSION", "trust", "The trust store version is not 1.")
TRUST_PATH_MISSING: Final = _c("TRUST_PATH_MISSING", "trust", "A path named in the trust store does not exist.")

# --- evidence map (--evidence) -------------------------------------------------------------
MAP_UNREADABLE: Final = _c("MAP_UNREADABLE", "fetch", "The evidence map file could not be read.")
MAP_INVALID: Final = _c("MAP_INVALID", "fetch", "The evidence map is not a JSON object of URL to path or entry.")
MAP_FILE_MISSING: Final = _c("MAP_FILE_MISSING", "fetch", "A file named in the evidence map cannot be read.")

# --- fetch ---------------------------------------------------------------------------------
FETCH_BAD_URL: Final = _c("FETCH_BAD_URL", "fetch", "The URL cannot be parsed or has no host.")
FETCH_SCHEME_REFUSED: Final = _c("FETCH_SCHEME_REFUSED", "fetch", "Only http and https URLs are fetched.")
FETCH_HOST_NUMERIC_FORM: Final = _c(
    "FETCH_HOST_NUMERIC_FORM", "fetch",
    "The host is an IPv4 address in decimal, octal, hex or shortened form, a classic SSRF disguise.")
FETCH_ADDRESS_LOOPBACK: Final = _c("FETCH_ADDRESS_LOOPBACK", "fetch",
                                   "The target is a loopback address and private addresses are not allowed.")
FETCH_ADDRESS_PRIVATE: Final = _c("FETCH_ADDRESS_PRIVATE", "fetch",
                                  "The target is a private-range address and private addresses are not allowed.")
FETCH_ADDRESS_LINK_LOCAL: Final = _c("FETCH_ADDRESS_LINK_LOCAL", "fetch",
                                     "The target is a link-local address and private addresses are not allowed.")
FETCH_ADDRESS_UNSPECIFIED: Final = _c("FETCH_ADDRESS_UNSPECIFIED", "fetch",
                                      "The target is 0.0.0.0 or :: and private addresses are not allowed.")
FETCH_ADDRESS_IPV4_MAPPED: Final = _c(
    "FETCH_ADDRESS_IPV4_MAPPED", "fetch",
    "The target is an IPv4-mapped IPv6 address of a forbidden IPv4 address (e.g. ::ffff:127.0.0.1).")
FETCH_ADDRESS_RESERVED: Final = _c("FETCH_ADDRESS_RESERVED", "fetch",
                                   "The target is a multicast or reserved address.")
FETCH_NAME_RESOLVES_PRIVATE: Final = _c(
    "FETCH_NAME_RESOLVES_PRIVATE", "fetch",
    "The host name resolves to a forbidden address and private addresses are not allowed.")
FETCH_DNS_FAILED: Final = _c("FETCH_DNS_FAILED", "fetch", "The host name could not be resolved.")
FETCH_CONNECT_FAILED: Final = _c("FETCH_CONNECT_FAILED", "fetch", "The connection could not be made.")
FETCH_TIMEOUT: Final = _c("FETCH_TIMEOUT", "fetch", "The server did not answer in full within fetch_timeout_s.")
FETCH_TOO_LARGE: Final = _c("FETCH_TOO_LARGE", "fetch", "The body is larger than fetch_max_bytes.")
FETCH_TOO_MANY_REDIRECTS: Final = _c("FETCH_TOO_MANY_REDIRECTS", "fetch",
                                     "More redirects than fetch_max_redirects (or a redirect loop).")
FETCH_REDIRECT_REFUSED: Final = _c(
    "FETCH_REDIRECT_REFUSED", "fetch",
    "A redirect pointed at a URL that would itself be refused (forbidden address or scheme).")
FETCH_HTTP_STATUS: Final = _c("FETCH_HTTP_STATUS", "fetch", "The server answered with a non-200 status.")
FETCH_BAD_CONTENT_TYPE: Final = _c("FETCH_BAD_CONTENT_TYPE", "fetch",
                                   "The content type is not one expected for this kind of evidence.")
FETCH_PROTOCOL_ERROR: Final = _c("FETCH_PROTOCOL_ERROR", "fetch", "The HTTP exchange was malformed.")
FETCH_TLS_FAILED: Final = _c("FETCH_TLS_FAILED", "fetch", "The TLS handshake or certificate check failed.")
FETCH_OFFLINE: Final = _c("FETCH_OFFLINE", "fetch", "Offline: the URL is not in the evidence map, so it was not fetched.")
FETCH_NOT_IN_RECORD: Final = _c("FETCH_NOT_IN_RECORD", "fetch",
                                "Replaying a record: the URL was not fetched when the record was made.")

# --- kel -----------------------------------------------------------------------------------
# (KERI key state: vvp/_keri and vvp kel)

# --- passport ------------------------------------------------------------------------------
# (Identity header values, JOSE compact parsing, the VVP PASSporT: vvp/stir, vvp/jose.py,
# vvp/passport.py)
IDENTITY_MALFORMED: Final = _c("IDENTITY_MALFORMED", "passport",
                               "An Identity header value does not follow the RFC 8224 grammar.")
JOSE_TOO_LARGE: Final = _c("JOSE_TOO_LARGE", "passport",
                           "The JWS compact token, or one of its segments, exceeds vvp's size limits.")
JOSE_MALFORMED: Final = _c("JOSE_MALFORMED", "passport",
                           "The token is not a JWS compact serialization of three non-empty segments.")
JOSE_DETACHED_PAYLOAD: Final = _c(
    "JOSE_DETACHED_PAYLOAD", "passport",
    "The token omits its payload (compact form); VVP needs the full form because evd and card "
    "cannot be rebuilt from SIP.")
JOSE_BASE64_INVALID: Final = _c(
    "JOSE_BASE64_INVALID", "passport",
    "A segment is not canonical base64url (padding, a character outside the alphabet, or non-zero "
    "unused bits).")
JOSE_JSON_INVALID: Final = _c(
    "JOSE_JSON_INVALID", "passport",
    "The header or payload is not strict JSON in UTF-8 (NaN, Infinity and lone surrogates refused).")
JOSE_JSON_DUPLICATE_KEY: Final = _c("JOSE_JSON_DUPLICATE_KEY", "passport",
                                    "The header or payload repeats a JSON key, which parsers resolve differently.")
JOSE_JSON_LIMIT: Final = _c("JOSE_JSON_LIMIT", "passport",
                            "The header or payload nests too deeply or holds too many values.")
JOSE_NOT_OBJECT: Final = _c("JOSE_NOT_OBJECT", "passport", "The header or payload is not a JSON object.")
JOSE_SIGNATURE_ENCODING: Final = _c(
    "JOSE_SIGNATURE_ENCODING", "passport",
    "An 88-character 0B (CESR) signature does not decode to two zero lead bytes and 64 signature bytes.")
PASSPORT_ALG_NOT_ALLOWED: Final = _c("PASSPORT_ALG_NOT_ALLOWED", "passport",
                                     "The PASSporT alg is not on the allow-list (EdDSA).")
PASSPORT_ALG_FORBIDDEN: Final = _c("PASSPORT_ALG_FORBIDDEN", "passport",
                                   "The PASSporT uses an RSA, HMAC or ES256 algorithm, which VVP forbids.")
PASSPORT_ALG_UNSUPPORTED: Final = _c(
    "PASSPORT_ALG_UNSUPPORTED", "passport",
    "The alg is allowed by the VVP draft (FN-DSA) but vvp cannot verify it, so the PASSporT cannot be judged.")
PASSPORT_TYP_INVALID: Final = _c("PASSPORT_TYP_INVALID", "passport",
                                 "The PASSporT typ is missing or not \"passport\" (JWT only with allow_legacy_typ).")
PASSPORT_TYP_LEGACY: Final = _c("PASSPORT_TYP_LEGACY", "passport",
                                "typ is the legacy \"JWT\" of the -03/-04 samples, accepted by allow_legacy_typ.")
PASSPORT_PPT_INVALID: Final = _c("PASSPORT_PPT_INVALID", "passport",
                                 "The PASSporT header ppt is missing or not \"vvp\".")
PASSPORT_KID_INVALID: Final = _c("PASSPORT_KID_INVALID", "passport",
                                 "The PASSporT kid is missing or not an http(s) OOBI URL.")
PASSPORT_KID_NO_AID: Final = _c("PASSPORT_KID_NO_AID", "passport",
                                "No path segment of the kid OOBI URL is a KERI AID.")
PASSPORT_CRIT_UNSUPPORTED: Final = _c(
    "PASSPORT_CRIT_UNSUPPORTED", "passport",
    "The header has a crit parameter; vvp understands no JWS extension, so it must refuse the token.")
PASSPORT_ALG_PARAM_MISMATCH: Final = _c("PASSPORT_ALG_PARAM_MISMATCH", "passport",
                                        "The Identity header alg parameter differs from the PASSporT alg.")
PASSPORT_ORIG_INVALID: Final = _c("PASSPORT_ORIG_INVALID", "passport",
                                  "The orig claim is missing or not in SHAKEN format ({\"tn\": TN or [TN]}).")
PASSPORT_ORIG_NOT_ONE_TN: Final = _c("PASSPORT_ORIG_NOT_ONE_TN", "passport",
                                     "The orig claim does not hold exactly one TN.")
PASSPORT_DEST_INVALID: Final = _c("PASSPORT_DEST_INVALID", "passport",
                                  "The dest claim is missing or does not hold one or more valid TNs.")
PASSPORT_EVD_INVALID: Final = _c("PASSPORT_EVD_INVALID", "passport",
                                 "The evd claim is missing or not an http(s) URL.")
PASSPORT_IAT_INVALID: Final = _c("PASSPORT_IAT_INVALID", "passport",
                                 "The iat claim is missing or not a NumericDate.")
PASSPORT_EXP_INVALID: Final = _c("PASSPORT_EXP_INVALID", "passport",
                                 "The exp claim is missing or not a NumericDate.")
PASSPORT_CLAIM_INVALID: Final = _c(
    "PASSPORT_CLAIM_INVALID", "passport",
    "An optional claim (goal, call-reason, origId, jti) has the wrong type, or two spellings of it disagree.")
PASSPORT_VALIDITY_TOO_LONG: Final = _c("PASSPORT_VALIDITY_TOO_LONG", "passport",
                                       "exp - iat exceeds max_passport_validity_s (60 s by default).")
PASSPORT_EXP_NOT_RECOMMENDED: Final = _c("PASSPORT_EXP_NOT_RECOMMENDED", "passport",
                                         "exp - iat is longer than the recommended 15 s (warning only).")
PASSPORT_TIMEOUT_NOT_AGGRESSIVE: Final = _c(
    "PASSPORT_TIMEOUT_NOT_AGGRESSIVE", "passport",
    "exp - iat is longer than the aggressive 30 s timeout the draft suggests (warning only).")
PASSPORT_EXP_NOT_AFTER_IAT: Final = _c("PASSPORT_EXP_NOT_AFTER_IAT", "passport", "exp is not after iat.")
PASSPORT_EXPIRED: Final = _c("PASSPORT_EXPIRED", "passport", "exp is not after the reference time.")
PASSPORT_IAT_TOO_OLD: Final = _c("PASSPORT_IAT_TOO_OLD", "passport",
                                 "iat is older than iat_tolerance_s before the reference time.")
PASSPORT_IAT_IN_FUTURE: Final = _c("PASSPORT_IAT_IN_FUTURE", "passport",
                                   "iat is later than the reference time by more than clock_skew_s.")
PASSPORT_SIGNATURE_ENCODING: Final = _c(
    "PASSPORT_SIGNATURE_ENCODING", "passport",
    "The signature is neither an 86-character JWS nor an 88-character CESR 0B Ed25519 signature.")
PASSPORT_PPT_PARAM_MISSING: Final = _c("PASSPORT_PPT_PARAM_MISSING", "passport",
                                       "The Identity header value has no ;ppt=vvp parameter.")
PASSPORT_PPT_PARAM_MISMATCH: Final = _c("PASSPORT_PPT_PARAM_MISMATCH", "passport",
                                        "The Identity header ppt parameter is not \"vvp\".")
PASSPORT_SIGNATURE_INVALID: Final = _c("PASSPORT_SIGNATURE_INVALID", "passport",
                                       "The PASSporT signature does not verify with the signer's key state.")
PASSPORT_PREREQUISITE_FAILED: Final = _c(
    "PASSPORT_PREREQUISITE_FAILED", "passport",
    "Not evaluated: a value this check needs was found missing or malformed by another check.")

# --- context -------------------------------------------------------------------------------
# (TN normalisation, raw SIP requests, and the context claim: vvp/tn.py, vvp/stir/sip.py,
# vvp/context.py)
TN_INVALID: Final = _c("TN_INVALID", "context",
                       "A value that should be a telephone number is not E.164 digits with optional + and separators.")
SIP_TOO_LARGE: Final = _c("SIP_TOO_LARGE", "context",
                          "The SIP request exceeds vvp's limits on size, header count or header length.")
SIP_MALFORMED: Final = _c("SIP_MALFORMED", "context",
                          "The SIP request cannot be parsed (request line, header syntax, encoding, duplicates).")
CONTEXT_NOT_GIVEN: Final = _c("CONTEXT_NOT_GIVEN", "context",
                              "No SIP context was given, so orig, dest and iat were not compared with one.")
CONTEXT_REQUIRED: Final = _c("CONTEXT_REQUIRED", "context",
                             "--require-context is set and this part of the SIP context was not given.")
CONTEXT_PASSPORT_UNUSABLE: Final = _c(
    "CONTEXT_PASSPORT_UNUSABLE", "context",
    "Not compared: the PASSporT value is missing or malformed (the passport claim says why).")
CONTEXT_TN_INVALID: Final = _c("CONTEXT_TN_INVALID", "context",
                               "A TN given as context (--orig, --dest) is not a telephone number.")
CONTEXT_NO_TN: Final = _c("CONTEXT_NO_TN", "context",
                          "The SIP header that should carry the TN holds a URI without one.")
CONTEXT_ORIG_MISMATCH: Final = _c("CONTEXT_ORIG_MISMATCH", "context",
                                  "orig differs from the calling TN (--orig, P-Asserted-Identity or From).")
CONTEXT_DEST_MISMATCH: Final = _c("CONTEXT_DEST_MISMATCH", "context",
                                  "No dest TN equals the called TN (--dest, To or Request-URI).")
CONTEXT_DATE_MALFORMED: Final = _c("CONTEXT_DATE_MALFORMED", "context",
                                   "The SIP Date header is not an RFC 3261 date.")
CONTEXT_DATE_MISMATCH: Final = _c("CONTEXT_DATE_MISMATCH", "context",
                                  "iat is further than iat_tolerance_s from the SIP Date.")

# --- dossier -------------------------------------------------------------------------------

# --- authorization, tn_rights, brand, business ---------------------------------------------

# --- record --------------------------------------------------------------------------------

# --- shaken --------------------------------------------------------------------------------

# --- world (test world and demo) -----------------------------------------------------------


def markdown() -> str:
    """``docs/codes.md``: every code, grouped by area, in registration order."""
    lines = [
        "# Stable codes",
        "",
        "Generated by `python -m vvp.codes` from `vvp/codes.py`; do not edit by hand",
        "(`make codes-doc` rewrites it, and a test fails when it is stale).",
        "",
    ]
    areas: dict[str, list[CodeInfo]] = {}
    for ci in _REGISTRY.values():
        areas.setdefault(ci.area, []).append(ci)
    for area, items in areas.items():
        lines += [f"## {area}", "", "| code | meaning |", "|---|---|"]
        lines += [f"| `{ci.code}` | {ci.meaning} |" for ci in items]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown())
