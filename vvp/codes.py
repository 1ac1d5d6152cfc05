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
DOSSIER_NOT_CITED: Final = _c("DOSSIER_NOT_CITED", "general", "No usable VVP PASSporT cites a dossier (evd).")
MULTIPLE_VVP_PASSPORTS: Final = _c("MULTIPLE_VVP_PASSPORTS", "general",
                                  "The call carries more than one VVP PASSporT; only the first is verified.")
KID_NOT_SINGLE_SIG: Final = _c("KID_NOT_SINGLE_SIG", "passport",
                               "The kid AID's key state has more than one key or a threshold other than 1 (P-07).")

# --- cli -----------------------------------------------------------------------------------
USAGE_ERROR: Final = _c("USAGE_ERROR", "cli", "The command line is wrong (exit 2).")
INTERRUPTED: Final = _c("INTERRUPTED", "cli", "The command was interrupted (Ctrl-C or SIGINT) before it finished.")
INPUT_TOO_DEEP: Final = _c("INPUT_TOO_DEEP", "cli",
                           "An input (JSON trust store, evidence map, record) nests too deeply to be read.")
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
KEL_NOT_A_KEL: Final = _c("KEL_NOT_A_KEL", "kel", "The stream holds no KERI key event at all: it is not a KEL (INVALID).")
KEL_AID_NOT_FOUND: Final = _c("KEL_AID_NOT_FOUND", "kel",
                              "The stream holds no key event of the AID asked for (INDETERMINATE).")
KEL_STREAM_UNREADABLE: Final = _c(
    "KEL_STREAM_UNREADABLE", "kel",
    "Part of the stream is not a readable CESR message, so what follows it was not checked (INVALID).")
KEL_STREAM_TRUNCATED: Final = _c("KEL_STREAM_TRUNCATED", "kel",
                                 "The stream ends inside a message: the evidence is incomplete (INDETERMINATE).")
KEL_SAID_MISMATCH: Final = _c("KEL_SAID_MISMATCH", "kel",
                              "A key event's body does not match its SAID: the body was changed (INVALID).")
KEL_BAD_SIGNATURE: Final = _c(
    "KEL_BAD_SIGNATURE", "kel",
    "A controller signature on a key event does not verify, or names a key index the event does not have (INVALID).")
KEL_THRESHOLD_NOT_MET: Final = _c(
    "KEL_THRESHOLD_NOT_MET", "kel",
    "The verified controller signatures do not satisfy the signing threshold (kt, or the prior nt of a "
    "rotation), weighted thresholds included (INVALID).")
KEL_PREROTATION_VIOLATION: Final = _c(
    "KEL_PREROTATION_VIOLATION", "kel",
    "A rotation's new keys were not committed to by the prior next-key digests (INVALID).")
KEL_BAD_WITNESS_SIGNATURE: Final = _c("KEL_BAD_WITNESS_SIGNATURE", "kel",
                                      "A witness receipt signature on a key event does not verify (INVALID).")
KEL_DUPLICITY: Final = _c("KEL_DUPLICITY", "kel",
                          "Two different key events claim the same place in the KEL (likely duplicitous, INVALID).")
KEL_EVENT_REJECTED: Final = _c("KEL_EVENT_REJECTED", "kel",
                               "keri rejected a key event for a reason given in the message (INVALID).")
KEL_ESCROW_OUT_OF_ORDER: Final = _c(
    "KEL_ESCROW_OUT_OF_ORDER", "kel",
    "A key event is left in keri's out-of-order escrow: an earlier event is missing (INDETERMINATE).")
KEL_ESCROW_PARTIAL_SIGNATURES: Final = _c(
    "KEL_ESCROW_PARTIAL_SIGNATURES", "kel",
    "A key event is left in keri's partial-signature escrow for a reason other than a bad signature, an "
    "unmet threshold or a pre-rotation violation (INDETERMINATE).")
KEL_ESCROW_PARTIAL_WITNESS: Final = _c(
    "KEL_ESCROW_PARTIAL_WITNESS", "kel",
    "A key event has fewer valid witness receipts than its witness threshold (toad) and is left in keri's "
    "partial-witness escrow (INDETERMINATE).")
KEL_ESCROW_MISSING_DELEGATOR: Final = _c(
    "KEL_ESCROW_MISSING_DELEGATOR", "kel",
    "A delegated event waits in keri's delegation escrow because the delegator's KEL is not in the "
    "evidence (INDETERMINATE).")
KEL_ESCROW_DELEGATION_UNANCHORED: Final = _c(
    "KEL_ESCROW_DELEGATION_UNANCHORED", "kel",
    "A delegated event waits in keri's delegation escrow: the delegator's KEL is present but does not "
    "anchor it (INDETERMINATE).")
KEL_SN_BEYOND_KEL: Final = _c("KEL_SN_BEYOND_KEL", "kel",
                              "The sequence number asked for is beyond the last verified event (INDETERMINATE).")
KEL_BEFORE_INCEPTION: Final = _c(
    "KEL_BEFORE_INCEPTION", "kel",
    "The reference time is before the inception was first seen: no key state existed then (INDETERMINATE).")
KEL_FIRST_SEEN_MISSING: Final = _c(
    "KEL_FIRST_SEEN_MISSING", "kel",
    "A key state at a time was asked for but the stream gives no first-seen time for an event that "
    "decides it (INDETERMINATE).")
KEL_FIRST_SEEN_INCONSISTENT: Final = _c(
    "KEL_FIRST_SEEN_INCONSISTENT", "kel",
    "The first-seen times the server attached go backwards along the KEL, so no time can be placed in "
    "it (INDETERMINATE).")

# --- passport ------------------------------------------------------------------------------
# (Identity header values, JOSE compact parsing, the VVP PASSporT: vvp/stir, vvp/jose.py,
# vvp/caller/passport.py)
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
# vvp/caller/context.py)
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
# (the evd dossier and every ACDC in it: vvp/dossier.py, vvp/_keri/dossier_ingest.py)
DOSSIER_UNREACHABLE: Final = _c("DOSSIER_UNREACHABLE", "dossier",
                                "The dossier (evd) could not be fetched; the message names the fetch code.")
DOSSIER_WRAPPER_INVALID: Final = _c(
    "DOSSIER_WRAPPER_INVALID", "dossier",
    "The dossier is JSON but not a CESR stream or a {\"details\": \"<cesr>\"} wrapper of one.")
DOSSIER_STREAM_TRUNCATED: Final = _c("DOSSIER_STREAM_TRUNCATED", "dossier",
                                     "A message of the dossier stream is cut short (the dossier is incomplete).")
DOSSIER_STREAM_UNPARSABLE: Final = _c("DOSSIER_STREAM_UNPARSABLE", "dossier",
                                      "Part of the dossier stream is not CESR keri can read; the rest is lost.")
DOSSIER_MESSAGE_REJECTED: Final = _c("DOSSIER_MESSAGE_REJECTED", "dossier",
                                     "keri refused a KEL or TEL message body of the dossier stream (altered bytes).")
DOSSIER_NO_ACDC: Final = _c("DOSSIER_NO_ACDC", "dossier", "The dossier stream holds no ACDC.")
DOSSIER_SAID_MISMATCH: Final = _c("DOSSIER_SAID_MISMATCH", "dossier",
                                  "No ACDC of the stream has the SAID the citation names (or it does not hash to it).")
DOSSIER_NO_CITATION: Final = _c("DOSSIER_NO_CITATION", "dossier",
                                "No SAID was cited, so there is nothing to compare the dossier SAID with.")
DOSSIER_EDGES_MISSING: Final = _c("DOSSIER_EDGES_MISSING", "dossier", "The dossier has no edges object (e).")
DOSSIER_HAS_ISSUEE: Final = _c("DOSSIER_HAS_ISSUEE", "dossier",
                               "The dossier names an issuee; dossiers SHOULD NOT (warning only).")
DOSSIER_SCHEMA_NOT_BASE: Final = _c(
    "DOSSIER_SCHEMA_NOT_BASE", "dossier",
    "The dossier schema does not allOf-$ref the base dossier schema (warning only; the Provenant one does not).")
DOSSIER_SCHEMA_CLOSED: Final = _c(
    "DOSSIER_SCHEMA_CLOSED", "dossier",
    "The dossier schema sets additionalProperties false at the root or in e; SHOULD be true (warning only).")
DOSSIER_EVIDENCE_IN_ATTRIBUTES: Final = _c(
    "DOSSIER_EVIDENCE_IN_ATTRIBUTES", "dossier",
    "The dossier's a block holds the SAID of another credential; evidence belongs in e (warning only).")
DOSSIER_NOT_IN_GRAPH: Final = _c(
    "DOSSIER_NOT_IN_GRAPH", "dossier",
    "An ACDC of the stream is not reachable from the dossier through edges; it is not judged (warning only).")
ACDC_SAID_MISMATCH: Final = _c("ACDC_SAID_MISMATCH", "dossier",
                               "The ACDC's d is not its SAID, in the received form or the most compact form.")
ACDC_DUPLICATE_KEY: Final = _c("ACDC_DUPLICATE_KEY", "dossier",
                               "The ACDC JSON repeats a key, which parsers resolve differently.")
ACDC_MALFORMED: Final = _c("ACDC_MALFORMED", "dossier",
                           "An ACDC field has the wrong type (issuer, schema, registry, attributes, edges).")
ACDC_BLOCK_SAID_MISMATCH: Final = _c(
    "ACDC_BLOCK_SAID_MISMATCH", "dossier",
    "An expanded a/e/r block's own d does not recompute; the top-level SAID still binds it (warning only).")
ACDC_COMPACTED: Final = _c("ACDC_COMPACTED", "dossier",
                           "A block a check needs is compacted to its SAID (graduated disclosure): cannot judge.")
ISSUER_KEL_UNVERIFIED: Final = _c("ISSUER_KEL_UNVERIFIED", "dossier",
                                  "The issuer's KEL is missing from the evidence or still in keri's escrow.")
ISSUER_DELEGATOR_MISSING: Final = _c("ISSUER_DELEGATOR_MISSING", "dossier",
                                     "The issuer is a delegated AID whose delegator's KEL is not in the evidence.")
ISSUER_KEL_INVALID: Final = _c("ISSUER_KEL_INVALID", "dossier",
                               "keri refused an event of the issuer's KEL (bad signature, altered event, duplicity).")
REGISTRY_UNAVAILABLE: Final = _c("REGISTRY_UNAVAILABLE", "dossier",
                                 "The credential's registry (vcp) is not in the evidence, or not anchored yet.")
ACDC_ISSUER_NOT_REGISTRY_ISSUER: Final = _c(
    "ACDC_ISSUER_NOT_REGISTRY_ISSUER", "dossier",
    "The ACDC claims an issuer other than the issuer of the registry that issued it (a forged issuer).")
ACDC_REGISTRY_MISMATCH: Final = _c("ACDC_REGISTRY_MISMATCH", "dossier",
                                   "The credential's iss event belongs to another registry than its ri.")
ISSUANCE_UNAVAILABLE: Final = _c("ISSUANCE_UNAVAILABLE", "dossier",
                                 "The credential's TEL iss event is not in the evidence: issuance cannot be proven.")
ISSUANCE_NOT_ANCHORED: Final = _c(
    "ISSUANCE_NOT_ANCHORED", "dossier",
    "The iss (or vcp) event is not sealed by the issuer's verified KEL event it names (missing seal or a fork).")
ISSUANCE_KEL_INCOMPLETE: Final = _c("ISSUANCE_KEL_INCOMPLETE", "dossier",
                                    "The issuance is anchored beyond the end of the issuer's KEL in the evidence.")
ISSUANCE_REJECTED: Final = _c("ISSUANCE_REJECTED", "dossier", "keri refused the credential's TEL event.")
ISSUED_AFTER_REFERENCE: Final = _c("ISSUED_AFTER_REFERENCE", "dossier",
                                   "The credential was issued after the reference time.")
ISSUER_TOO_FEW_WITNESSES: Final = _c("ISSUER_TOO_FEW_WITNESSES", "dossier",
                                     "The issuer has fewer witnesses than min_issuer_witnesses (V-27).")
SCHEMA_UNAVAILABLE: Final = _c("SCHEMA_UNAVAILABLE", "dossier",
                               "The credential's schema is not in the trust store's schema folders nor obtainable.")
SCHEMA_VALIDATION_FAILED: Final = _c("SCHEMA_VALIDATION_FAILED", "dossier",
                                     "The credential does not conform to its declared schema.")
EDGE_MALFORMED: Final = _c("EDGE_MALFORMED", "dossier", "An edge lacks n (target SAID) or s (target schema SAID).")
EDGE_TARGET_UNAVAILABLE: Final = _c("EDGE_TARGET_UNAVAILABLE", "dossier",
                                    "An edge target is neither in the stream nor obtainable (said: map entry).")
EDGE_TARGET_INVALID: Final = _c("EDGE_TARGET_INVALID", "dossier",
                                "The evidence holds a body for the edge target that does not hash to its SAID.")
EDGE_SCHEMA_MISMATCH: Final = _c("EDGE_SCHEMA_MISMATCH", "dossier",
                                 "The edge target's schema is not the s the edge names.")
EDGE_I2I_VIOLATION: Final = _c("EDGE_I2I_VIOLATION", "dossier",
                               "I2I edge: the citing credential's issuer is not the target's issuee.")
EDGE_DI2I_VIOLATION: Final = _c(
    "EDGE_DI2I_VIOLATION", "dossier",
    "DI2I edge: the citing credential's issuer is neither the target's issuee nor a KERI delegate of it.")
EDGE_UNKNOWN_OPERATOR: Final = _c("EDGE_UNKNOWN_OPERATOR", "dossier", "The edge operator is not I2I, NI2I or DI2I.")
CREDENTIAL_REVOKED: Final = _c("CREDENTIAL_REVOKED", "dossier",
                               "The credential was revoked at or before the reference time.")
CREDENTIAL_STATE_UNKNOWN: Final = _c("CREDENTIAL_STATE_UNKNOWN", "dossier",
                                     "The credential's TEL state at the reference time cannot be established.")
ROOTS_NOT_CONFIGURED: Final = _c("ROOTS_NOT_CONFIGURED", "dossier",
                                 "The trust store names no root for this question, so the chain cannot be trusted.")
CHAIN_UNTRUSTED_ROOT: Final = _c("CHAIN_UNTRUSTED_ROOT", "dossier",
                                 "The credential's chain ends at an issuer that is no configured root of trust.")
CHAIN_INCOMPLETE: Final = _c("CHAIN_INCOMPLETE", "dossier",
                             "The chain to a root cannot be finished with the evidence given.")
ROOT_WRONG_QUESTION: Final = _c("ROOT_WRONG_QUESTION", "dossier",
                                "The chain ends at a root trusted for another question only (V-12).")


# --- authorization, tn_rights, brand, business ---------------------------------------------
AUTH_NO_DOSSIER: Final = _c("AUTH_NO_DOSSIER", "authorization",
                             "The dossier could not be read, so the call's bindings cannot be judged.")
AUTH_AP_UNRESOLVED: Final = _c("AUTH_AP_UNRESOLVED", "authorization",
                                "The accountable party is not established, so what depends on it cannot be judged.")
AUTH_NO_VETTING: Final = _c("AUTH_NO_VETTING", "authorization",
                             "The dossier cites no vetting credential: nobody is accountable.")
AUTH_VETTING_COMPACTED: Final = _c("AUTH_VETTING_COMPACTED", "authorization",
                                    "The vetting or alloc credential is compacted: the accountable party cannot be resolved.")
AUTH_AP_NOT_BOUND: Final = _c("AUTH_AP_NOT_BOUND", "authorization",
                               "The dossier issuer is neither the vetting issuee nor acting for it through an alloc GCD.")
AUTH_NO_DELEGATION: Final = _c("AUTH_NO_DELEGATION", "authorization",
                                "The signer is not the accountable party and the dossier has no delegated-signer credential (P-08).")
AUTH_DELSIG_COMPACTED: Final = _c("AUTH_DELSIG_COMPACTED", "authorization",
                                   "The delegated-signer credential is compacted: its issuee or constraints cannot be read.")
AUTH_DELSIG_WRONG_ISSUER: Final = _c("AUTH_DELSIG_WRONG_ISSUER", "authorization",
                                      "The delegated-signer credential was not issued by the accountable party (V-16).")
AUTH_DELSIG_WRONG_ISSUEE: Final = _c("AUTH_DELSIG_WRONG_ISSUEE", "authorization",
                                      "The delegated-signer credential does not name the signer (V-16).")
AUTH_PROTO_NOT_VVP_OP: Final = _c("AUTH_PROTO_NOT_VVP_OP", "authorization",
                                   "The delegation's c_proto does not include VVP:OP.")
AUTH_CONSTRAINT_MALFORMED: Final = _c("AUTH_CONSTRAINT_MALFORMED", "authorization",
                                       "A delegation constraint has a malformed value.")
AUTH_OUTSIDE_DELEGATION_TIME: Final = _c("AUTH_OUTSIDE_DELEGATION_TIME", "authorization",
                                          "The call time is outside the delegation's c_after/c_before.")
AUTH_CONSTRAINT_NOT_EVALUATED: Final = _c("AUTH_CONSTRAINT_NOT_EVALUATED", "authorization",
                                           "The delegation carries constraints vvp cannot evaluate from a call (hours, geography, human judgement).")
TN_NO_ORIG: Final = _c("TN_NO_ORIG", "tn_rights",
                        "The PASSporT has no usable orig TN to judge.")
TN_NO_ALLOCATION: Final = _c("TN_NO_ALLOCATION", "tn_rights",
                              "No TN allocation in the dossier is held by the accountable party or the signer.")
TN_ALLOCATION_COMPACTED: Final = _c("TN_ALLOCATION_COMPACTED", "tn_rights",
                                     "A TN allocation is compacted: its numbers cannot be read.")
TN_NOT_ALLOCATED: Final = _c("TN_NOT_ALLOCATED", "tn_rights",
                              "orig is not in any TN allocation held by the accountable party or the signer (V-17).")
TN_CHANNEL_NOT_VOICE: Final = _c("TN_CHANNEL_NOT_VOICE", "tn_rights",
                                  "The TN allocation is not for the voice channel.")
TN_DO_NOT_ORIGINATE: Final = _c("TN_DO_NOT_ORIGINATE", "tn_rights",
                                 "The TN allocation is marked do-not-originate.")
TN_DATES_MALFORMED: Final = _c("TN_DATES_MALFORMED", "tn_rights",
                                "The TN allocation's startDate/endDate is malformed.")
TN_OUTSIDE_DATES: Final = _c("TN_OUTSIDE_DATES", "tn_rights",
                              "The call time is outside the TN allocation's startDate/endDate.")
TN_ALLOCATION_NOT_ISSUED: Final = _c("TN_ALLOCATION_NOT_ISSUED", "tn_rights",
                                      "A TN allocation in the chain is revoked (or not issued) at the reference time.")
TN_PARENT_MISSING: Final = _c("TN_PARENT_MISSING", "tn_rights",
                               "A parent TN allocation named by a tnalloc edge is not available.")
TN_ALLOCATION_MALFORMED: Final = _c("TN_ALLOCATION_MALFORMED", "tn_rights",
                                     "A TN allocation's numbers block is malformed.")
TN_WIDER_THAN_PARENT: Final = _c("TN_WIDER_THAN_PARENT", "tn_rights",
                                  "A TN allocation is wider than its parent allocation (V-22).")
BRAND_NO_CARD: Final = _c("BRAND_NO_CARD", "brand",
                           "The PASSporT has no card: there is no brand to show.")
BRAND_CARD_SYNTAX: Final = _c("BRAND_CARD_SYNTAX", "brand",
                               "A card entry is not an RFC 6350 vCard content line (P-12).")
BRAND_NO_CREDENTIAL: Final = _c("BRAND_NO_CREDENTIAL", "brand",
                                 "A card without a brand credential issued to the accountable party or its legal entity (V-20).")
BRAND_CREDENTIAL_COMPACTED: Final = _c("BRAND_CREDENTIAL_COMPACTED", "brand",
                                        "A brand credential is compacted: its vcard cannot be read.")
BRAND_LINE_NOT_JUSTIFIED: Final = _c("BRAND_LINE_NOT_JUSTIFIED", "brand",
                                      "A card line is not in any brand credential's vcard (V-18).")
BRAND_PROXY_MISSING: Final = _c("BRAND_PROXY_MISSING", "brand",
                                 "A delegate signer shows a brand without a brand-proxy credential from the accountable party (V-21).")
BUSINESS_NO_GOAL: Final = _c("BUSINESS_NO_GOAL", "business",
                              "The PASSporT claims no goal.")
BUSINESS_GOAL_MALFORMED: Final = _c("BUSINESS_GOAL_MALFORMED", "business",
                                     "The goal is not a goal code.")
BUSINESS_NO_DELEGATION: Final = _c("BUSINESS_NO_DELEGATION", "business",
                                    "The goal cannot be judged without a valid delegated-signer credential.")
BUSINESS_GOAL_NOT_DELEGATED: Final = _c("BUSINESS_GOAL_NOT_DELEGATED", "business",
                                         "The goal is not covered by the delegated signer's c_goal (P-14).")

# --- record --------------------------------------------------------------------------------
RECORD_UNREADABLE: Final = _c("RECORD_UNREADABLE", "record", "The record file could not be opened or read (exit 4).")
RECORD_TOO_LARGE: Final = _c("RECORD_TOO_LARGE", "record",
                             "The record file is larger than vvp reads (MAX_RECORD_BYTES; exit 4).")
RECORD_NOT_JSON: Final = _c("RECORD_NOT_JSON", "record",
                            "The record is not UTF-8 JSON, repeats a key, or nests too deep (exit 6).")
RECORD_BAD_MEDIA_TYPE: Final = _c(
    "RECORD_BAD_MEDIA_TYPE", "record",
    "The record's media type is not one this vvp reads (application/vnd.vvp.verdict-record+json;version=1, "
    "version=2 or version=3) (exit 6).")
RECORD_SCHEMA_INVALID: Final = _c("RECORD_SCHEMA_INVALID", "record",
                                  "The record does not match the JSON Schema of its version "
                                  "(verdict-record.v1.schema.json, verdict-record.v2.schema.json) (exit 6).")
RECORD_NOT_CANONICAL: Final = _c(
    "RECORD_NOT_CANONICAL", "record",
    "The record file is not byte for byte the canonical JSON vvp writes: it was reformatted or modified (exit 6).")
RECORD_ID_MISMATCH: Final = _c("RECORD_ID_MISMATCH", "record",
                               "The record id is not the digest of its signed content (exit 6).")
RECORD_BLOB_MISMATCH: Final = _c("RECORD_BLOB_MISMATCH", "record",
                                 "A stored evidence or trust blob does not match its digest or size (exit 6).")
RECORD_BLOB_MISSING: Final = _c("RECORD_BLOB_MISSING", "record",
                                "The record refers to a blob it does not hold (exit 6).")
RECORD_INCONSISTENT: Final = _c(
    "RECORD_INCONSISTENT", "record",
    "The record's parts contradict each other, or its inputs or trust store cannot be rebuilt (exit 6).")
RECORD_SIGNER_KEL_INVALID: Final = _c(
    "RECORD_SIGNER_KEL_INVALID", "record",
    "The verifier's KEL in the record does not verify, or lacks the establishment event that signed (exit 6).")
RECORD_SIGNATURE_INVALID: Final = _c(
    "RECORD_SIGNATURE_INVALID", "record",
    "The verifier's signature does not verify against its key state at the signing event (exit 6).")
RECORD_NOT_REPRODUCED: Final = _c(
    "RECORD_NOT_REPRODUCED", "record",
    "Re-verifying the record's own evidence and trust store gave a different verdict (exit 5).")
RECORD_REJUDGED: Final = _c(
    "RECORD_REJUDGED", "record",
    "reverify --trust: the recorded evidence was judged against another trust store, a different question "
    "from the one recorded; the recorded verdict is unchanged.")
RECORD_WRITE_FAILED: Final = _c("RECORD_WRITE_FAILED", "record", "The record could not be written (exit 4).")
KEYSTORE_UNAVAILABLE: Final = _c(
    "KEYSTORE_UNAVAILABLE", "record",
    "The verifier's own keystore could not be opened or created, so no record can be signed (exit 4).")

# --- report --------------------------------------------------------------------------------
REPORT_WRITE_FAILED: Final = _c("REPORT_WRITE_FAILED", "report", "The audit report file could not be written (exit 4).")

# --- shaken --------------------------------------------------------------------------------
# (STIR/SHAKEN beside VVP: vvp/stir/shaken.py, certs.py, tnauthlist.py, crl.py, verstat.py,
# atis.py; docs/shaken.md. The SIP response code each maps to is in vvp/stir/verstat.py.)
SHAKEN_NO_PASSPORT: Final = _c("SHAKEN_NO_PASSPORT", "shaken",
                               "The call carries no SHAKEN PASSporT, so there is no SHAKEN verstat.")
SHAKEN_PREREQUISITE_FAILED: Final = _c(
    "SHAKEN_PREREQUISITE_FAILED", "shaken",
    "Not evaluated: a value this SHAKEN check needs was found missing or malformed by another check.")
SHAKEN_INFO_MISSING: Final = _c("SHAKEN_INFO_MISSING", "shaken",
                                "The Identity value has no info parameter (436 Bad Identity Info).")
SHAKEN_INFO_INVALID: Final = _c("SHAKEN_INFO_INVALID", "shaken",
                                "The Identity info parameter is not an absolute http(s) URI (436 Bad Identity Info).")
SHAKEN_PPT_PARAM_MISMATCH: Final = _c("SHAKEN_PPT_PARAM_MISMATCH", "shaken",
                                      "The Identity ppt parameter is not \"shaken\" (438 Invalid Identity Header).")
SHAKEN_ALG_PARAM_MISMATCH: Final = _c("SHAKEN_ALG_PARAM_MISMATCH", "shaken",
                                      "The Identity alg parameter is not ES256 (437 Unsupported Credential).")
SHAKEN_HEADER_FIELD_MISSING: Final = _c(
    "SHAKEN_HEADER_FIELD_MISSING", "shaken",
    "The SHAKEN PASSporT header lacks alg, typ, ppt or x5u, or one is not a string (436 Bad Identity Info).")
SHAKEN_ALG_NOT_ES256: Final = _c("SHAKEN_ALG_NOT_ES256", "shaken",
                                 "The SHAKEN PASSporT alg is not ES256, the only one SHAKEN allows "
                                 "(437 Unsupported Credential).")
SHAKEN_TYP_INVALID: Final = _c("SHAKEN_TYP_INVALID", "shaken",
                               "The SHAKEN PASSporT typ is not \"passport\" (437 Unsupported Credential).")
SHAKEN_PPT_INVALID: Final = _c("SHAKEN_PPT_INVALID", "shaken",
                               "The SHAKEN PASSporT header ppt is not \"shaken\" (438 Invalid Identity Header).")
SHAKEN_X5U_MISMATCH: Final = _c("SHAKEN_X5U_MISMATCH", "shaken",
                                "The PASSporT x5u differs from the Identity info URI (436 Bad Identity Info).")
SHAKEN_X5U_NOT_HTTPS: Final = _c("SHAKEN_X5U_NOT_HTTPS", "shaken",
                                 "The x5u is not an https URL as ATIS-1000074 expects (warning only).")
SHAKEN_CRIT_UNSUPPORTED: Final = _c("SHAKEN_CRIT_UNSUPPORTED", "shaken",
                                    "The SHAKEN PASSporT header has a crit parameter, which SHAKEN does not define "
                                    "(438 Invalid Identity Header).")
SHAKEN_ATTEST_INVALID: Final = _c("SHAKEN_ATTEST_INVALID", "shaken",
                                  "attest is missing or not \"A\", \"B\" or \"C\" (438 Invalid Identity Header).")
SHAKEN_ORIG_INVALID: Final = _c("SHAKEN_ORIG_INVALID", "shaken",
                                "orig is missing or not {\"tn\": one TN} (438 Invalid Identity Header).")
SHAKEN_DEST_INVALID: Final = _c("SHAKEN_DEST_INVALID", "shaken",
                                "dest is missing or not {\"tn\": [one or more TNs]} (438 Invalid Identity Header).")
SHAKEN_IAT_INVALID: Final = _c("SHAKEN_IAT_INVALID", "shaken",
                               "iat is missing or not an integer NumericDate (438 Invalid Identity Header).")
SHAKEN_ORIGID_INVALID: Final = _c("SHAKEN_ORIGID_INVALID", "shaken",
                                  "origid is missing or not a non-empty string (438 Invalid Identity Header).")
SHAKEN_ORIGID_NOT_UUID: Final = _c("SHAKEN_ORIGID_NOT_UUID", "shaken",
                                   "origid is not a UUID as ATIS-1000074 asks (warning only).")
SHAKEN_IAT_STALE: Final = _c("SHAKEN_IAT_STALE", "shaken",
                             "iat is older than shaken_iat_freshness_s before the reference time (403 Stale Date).")
SHAKEN_IAT_IN_FUTURE: Final = _c("SHAKEN_IAT_IN_FUTURE", "shaken",
                                 "iat is later than the reference time by more than shaken_iat_freshness_s "
                                 "(403 Stale Date).")
SHAKEN_ORIG_MISMATCH: Final = _c("SHAKEN_ORIG_MISMATCH", "shaken",
                                 "The SHAKEN orig differs from the calling TN of the SIP context "
                                 "(438 Invalid Identity Header).")
SHAKEN_DEST_MISMATCH: Final = _c("SHAKEN_DEST_MISMATCH", "shaken",
                                 "No SHAKEN dest TN equals the called TN of the SIP context "
                                 "(438 Invalid Identity Header).")
SHAKEN_VVP_ORIG_MISMATCH: Final = _c("SHAKEN_VVP_ORIG_MISMATCH", "shaken",
                                     "The VVP and SHAKEN PASSporTs of one call name different orig TNs "
                                     "(438 Invalid Identity Header).")
SHAKEN_VVP_DEST_MISMATCH: Final = _c("SHAKEN_VVP_DEST_MISMATCH", "shaken",
                                     "The VVP and SHAKEN PASSporTs of one call name different dest TNs "
                                     "(438 Invalid Identity Header).")
SHAKEN_X5U_UNPARSABLE: Final = _c("SHAKEN_X5U_UNPARSABLE", "shaken",
                                  "The x5u body is not a PEM or DER certificate chain within vvp's limits "
                                  "(436 Bad Identity Info).")
SHAKEN_NO_TRUST_ANCHORS: Final = _c("SHAKEN_NO_TRUST_ANCHORS", "shaken",
                                    "No STI-PA trust anchor is configured (sti_pa), so the certificate cannot be "
                                    "judged (INDETERMINATE, 437 Unsupported Credential).")
SHAKEN_CERT_EXPIRED: Final = _c("SHAKEN_CERT_EXPIRED", "shaken",
                                "The x5u end-entity certificate has expired at the reference time "
                                "(437 Unsupported Credential).")
SHAKEN_CERT_NOT_YET_VALID: Final = _c("SHAKEN_CERT_NOT_YET_VALID", "shaken",
                                      "The x5u end-entity certificate is not yet valid at the reference time "
                                      "(437 Unsupported Credential).")
SHAKEN_CHAIN_INVALID: Final = _c("SHAKEN_CHAIN_INVALID", "shaken",
                                 "The x5u certificate does not chain to an STI-PA trust anchor at the reference "
                                 "time (437 Unsupported Credential).")
SHAKEN_CERT_NOT_FOR_SIGNING: Final = _c(
    "SHAKEN_CERT_NOT_FOR_SIGNING", "shaken",
    "The end-entity certificate is a CA, lacks digitalSignature, has an unknown critical extension, or its key "
    "is not P-256 (437 Unsupported Credential).")
SHAKEN_TNAUTHLIST_MISSING: Final = _c("SHAKEN_TNAUTHLIST_MISSING", "shaken",
                                      "The end-entity certificate has no TNAuthList extension "
                                      "(437 Unsupported Credential).")
SHAKEN_TNAUTHLIST_MALFORMED: Final = _c(
    "SHAKEN_TNAUTHLIST_MALFORMED", "shaken",
    "The certificate has no RFC 8226 TNAuthList: the extension is not strict DER of a non-empty TNEntry "
    "SEQUENCE (e.g. a bare IA5String) (437 Unsupported Credential).")
SHAKEN_TNAUTHLIST_SPC_INVALID: Final = _c(
    "SHAKEN_TNAUTHLIST_SPC_INVALID", "shaken",
    "The TNAuthList has more than one SPC, or an SPC that is not digits and upper-case letters "
    "(437 Unsupported Credential).")
SHAKEN_ORIG_NOT_AUTHORIZED: Final = _c("SHAKEN_ORIG_NOT_AUTHORIZED", "shaken",
                                       "orig is outside the TNs and ranges of the certificate's TNAuthList "
                                       "(438 Invalid Identity Header).")
SHAKEN_SIGNATURE_ENCODING: Final = _c("SHAKEN_SIGNATURE_ENCODING", "shaken",
                                      "The signature is not 64 bytes of raw ES256 r||s (e.g. DER-encoded) "
                                      "(438 Invalid Identity Header).")
SHAKEN_SIGNATURE_INVALID: Final = _c("SHAKEN_SIGNATURE_INVALID", "shaken",
                                     "The ES256 signature does not verify with the x5u certificate's key "
                                     "(438 Invalid Identity Header).")
SHAKEN_REVOKED: Final = _c("SHAKEN_REVOKED", "shaken",
                           "A certificate of the x5u chain is revoked at the reference time by the STI-PA CRL "
                           "(437 Unsupported Credential).")
SHAKEN_CRL_NO_DISTRIBUTION_POINT: Final = _c(
    "SHAKEN_CRL_NO_DISTRIBUTION_POINT", "shaken",
    "A certificate names no http(s) CRL distribution point, so its revocation cannot be checked "
    "(INDETERMINATE under crl: required, else a warning).")
SHAKEN_CRL_INVALID: Final = _c(
    "SHAKEN_CRL_INVALID", "shaken",
    "The CRL is unparsable, not signed by a configured STI CRL signer (sti_crl_signers), or not current at "
    "the reference time (INDETERMINATE under crl: required, else a warning).")
SHAKEN_CRL_OFF: Final = _c("SHAKEN_CRL_OFF", "shaken", "CRL checking is turned off by policy (crl: off).")
SHAKEN_PROFILE_BASIC_CONSTRAINTS: Final = _c(
    "SHAKEN_PROFILE_BASIC_CONSTRAINTS", "shaken",
    "ATIS-1000080 profile: basicConstraints is missing, not critical, or has the wrong cA value (warning only).")
SHAKEN_PROFILE_KEY_USAGE: Final = _c(
    "SHAKEN_PROFILE_KEY_USAGE", "shaken",
    "ATIS-1000080 profile: keyUsage is missing, not critical, or not exactly digitalSignature (end entity) or "
    "keyCertSign (CA) (warning only).")
SHAKEN_PROFILE_CRL_DISTRIBUTION_POINT: Final = _c(
    "SHAKEN_PROFILE_CRL_DISTRIBUTION_POINT", "shaken",
    "ATIS-1000080 profile: the CRL distribution points are not a single http(s) URL (none on a root) "
    "(warning only).")
SHAKEN_PROFILE_CERTIFICATE_POLICY: Final = _c(
    "SHAKEN_PROFILE_CERTIFICATE_POLICY", "shaken",
    "ATIS-1000080 profile: certificatePolicies is not one non-critical SHAKEN CP 1.3/1.4 OID (none on a root) "
    "(warning only).")
SHAKEN_PROFILE_TNAUTHLIST: Final = _c(
    "SHAKEN_PROFILE_TNAUTHLIST", "shaken",
    "ATIS-1000080 profile: the TNAuthList is not exactly one SPC of digits and upper-case letters, or a CA "
    "certificate carries one (warning only).")
SHAKEN_PROFILE_ALGORITHM: Final = _c(
    "SHAKEN_PROFILE_ALGORITHM", "shaken",
    "ATIS-1000080 profile: the key is not P-256 or the certificate is not signed with ecdsa-with-SHA256 "
    "(P-384/SHA-384 allowed for CAs) (warning only).")
ATIS_REQUEST_INVALID: Final = _c("ATIS_REQUEST_INVALID", "shaken",
                                 "An ATIS-1000082 verificationRequest body is malformed (HTTP 400).")

# --- world (test world and demo) -----------------------------------------------------------
WORLD_BUILD_FAILED: Final = _c("WORLD_BUILD_FAILED", "world",
                               "The deterministic test world could not be generated (keri refused a step).")
WORLD_SCHEMAS_MISSING: Final = _c(
    "WORLD_SCHEMAS_MISSING", "world",
    "The schema set asked for is missing or unreadable, or a schema's $id is not its SAID.")
WORLD_SERVER_FAILED: Final = _c("WORLD_SERVER_FAILED", "world",
                                "The evidence server could not listen on 127.0.0.1.")
WORLD_CHECK_FAILED: Final = _c(
    "WORLD_CHECK_FAILED", "world",
    "keri's own parser does not accept the generated world as intended (a KEL, TEL or ACDC).")

# --- store ---------------------------------------------------------------------------------
STORE_URL_INVALID: Final = _c(
    "STORE_URL_INVALID", "store",
    "The --store value is not a store URL vvp understands (sqlite:///PATH, postgresql://..., or a path; exit 2).")
STORE_UNAVAILABLE: Final = _c(
    "STORE_UNAVAILABLE", "store",
    "The record store cannot be opened or reached (no such folder, not a vvp store, server down or refusing).")
STORE_DRIVER_MISSING: Final = _c(
    "STORE_DRIVER_MISSING", "store",
    "The store needs a database driver that is not installed (PostgreSQL: pip install 'vvp[pg]').")
STORE_SCHEMA_NEWER: Final = _c(
    "STORE_SCHEMA_NEWER", "store",
    "The store's schema version is newer than this vvp knows; it is left untouched (use a newer vvp).")
STORE_WRITE_FAILED: Final = _c(
    "STORE_WRITE_FAILED", "store",
    "A write to the record store failed (disk full, I/O error, lock timeout, connection lost); nothing of "
    "it was acknowledged.")
STORE_READ_FAILED: Final = _c(
    "STORE_READ_FAILED", "store",
    "A read from the record store failed (I/O error, lock timeout, connection lost).")
STORE_CORRUPT: Final = _c(
    "STORE_CORRUPT", "store",
    "Stored data does not decode or does not match its digest (a blob, a record row or a dictionary): the "
    "record cannot be reassembled as written.")
STORE_NOT_FOUND: Final = _c("STORE_NOT_FOUND", "store", "The store holds no record with that id.")
STORE_CONFLICT: Final = _c(
    "STORE_CONFLICT", "store",
    "The store already holds a record with this id but a different signature; the new one was not stored.")
STORE_BAD_ARGUMENT: Final = _c(
    "STORE_BAD_ARGUMENT", "store",
    "An argument given to the store is not valid (a malformed record id, an empty replay key, a bad window "
    "or limit).")

# --- evidence (foreign evidence: bridges, X.509, RTU tokens) ------------------------------
FOREIGN_ANCHOR_NOT_CONFIGURED: Final = _c(
    "FOREIGN_ANCHOR_NOT_CONFIGURED", "evidence",
    "No trust anchor is configured in the trust store's foreign section for this type of evidence "
    "(INDETERMINATE, never VALID).")
FOREIGN_ANCHOR_UNREADABLE: Final = _c(
    "FOREIGN_ANCHOR_UNREADABLE", "evidence",
    "A foreign anchor file of the trust store holds no certificate vvp can read (INDETERMINATE).")
EVIDENCE_MEDIA_TYPE_UNSUPPORTED: Final = _c(
    "EVIDENCE_MEDIA_TYPE_UNSUPPORTED", "evidence",
    "No checker in this version verifies artifacts of this media type (INDETERMINATE).")
EVIDENCE_TOO_LARGE: Final = _c("EVIDENCE_TOO_LARGE", "evidence",
                               "The artifact is larger than its checker reads.")
EVIDENCE_TN_NOT_COVERED: Final = _c(
    "EVIDENCE_TN_NOT_COVERED", "evidence",
    "The artifact's TNAuthList lists numbers, and the call's originating number is not among them.")
EVIDENCE_CHECKER_FAILED: Final = _c(
    "EVIDENCE_CHECKER_FAILED", "evidence",
    "A checker stopped on input it could not evaluate (a fault in vvp or a library); the artifact is "
    "INDETERMINATE.")
EVIDENCE_INCONSISTENT: Final = _c(
    "EVIDENCE_INCONSISTENT", "evidence",
    "The facts the artifact asserts contradict what the dossier's ACDCs proved (consistent: false): "
    "its numbers do not cover orig, or its LEI is not the vetting credential's.")
EVIDENCE_CONSISTENCY_UNKNOWN: Final = _c(
    "EVIDENCE_CONSISTENCY_UNKNOWN", "evidence",
    "The artifact's facts could not be compared with ACDC-proven facts (consistent: null); shown as a warning.")
EVIDENCE_REVOCATION_LINK: Final = _c(
    "EVIDENCE_REVOCATION_LINK", "evidence",
    "Reports the bridge's posture and rev_latency: no link between the artifact's revocation and the "
    "bridge's is assumed (warning, informational).")
NO_FOREIGN_EVIDENCE: Final = _c(
    "NO_FOREIGN_EVIDENCE", "evidence",
    "The dossier holds no bridging ACDC (faa or citation role): the evidence claim is NOT_APPLICABLE.")
BRIDGE_ATTRIBUTES_COMPACT: Final = _c(
    "BRIDGE_ATTRIBUTES_COMPACT", "evidence",
    "The bridging ACDC's attributes are compacted to a SAID, so the artifact it binds cannot be read "
    "(INDETERMINATE).")
BRIDGE_NO_DIGEST: Final = _c(
    "BRIDGE_NO_DIGEST", "evidence",
    "The bridging ACDC binds no artifact digest (art_digest, content_identifier or a citation's cargo).")
BRIDGE_DIGEST_CONFLICT: Final = _c("BRIDGE_DIGEST_CONFLICT", "evidence",
                                   "The bridge's art_digest and content_identifier differ.")
BRIDGE_DIGEST_UNSUPPORTED: Final = _c(
    "BRIDGE_DIGEST_UNSUPPORTED", "evidence",
    "The bridge's artifact digest is not a CESR digest vvp can recompute (INDETERMINATE).")
BRIDGE_DIGEST_MISMATCH: Final = _c(
    "BRIDGE_DIGEST_MISMATCH", "evidence",
    "The artifact's bytes do not hash to the digest the bridging ACDC binds (INVALID).")
BRIDGE_NO_LOCATION: Final = _c(
    "BRIDGE_NO_LOCATION", "evidence",
    "The bridging ACDC says nowhere the artifact can be obtained (no content_location, no data: URI) (INDETERMINATE).")
BRIDGE_NO_MEDIA_TYPE: Final = _c(
    "BRIDGE_NO_MEDIA_TYPE", "evidence",
    "The bridging ACDC does not name the artifact's media type (content_type) (INDETERMINATE).")
BRIDGE_DATA_URI_INVALID: Final = _c(
    "BRIDGE_DATA_URI_INVALID", "evidence", "A data: URI in the bridge is malformed (RFC 2397) (INVALID).")
BRIDGE_DATA_URI_TOO_LARGE: Final = _c(
    "BRIDGE_DATA_URI_TOO_LARGE", "evidence",
    "A data: URI in the bridge is larger than the fetch size limit allows (INVALID).")
BRIDGE_ARTIFACT_UNAVAILABLE: Final = _c(
    "BRIDGE_ARTIFACT_UNAVAILABLE", "evidence",
    "No location of the artifact could be used (every URL failed or is not fetchable) (INDETERMINATE).")
BRIDGE_NOT_VERIFIED: Final = _c(
    "BRIDGE_NOT_VERIFIED", "evidence",
    "The bridging ACDC itself did not verify as a credential at the reference time, so what it binds is "
    "not evidence (its dossier checks say why).")
BRIDGE_FIELD_INVALID: Final = _c(
    "BRIDGE_FIELD_INVALID", "evidence",
    "A field of the bridging ACDC has the wrong type or shape (content_location, content_type, rev_latency).")
X509_MALFORMED: Final = _c(
    "X509_MALFORMED", "evidence",
    "The artifact is not certificate material vvp reads strictly: truncated or trailing DER, a PEM with "
    "anything but whitespace outside its CERTIFICATE blocks, too many certificates.")
X509_NO_TRUSTED_PATH: Final = _c(
    "X509_NO_TRUSTED_PATH", "evidence",
    "No certification path leads from the certificate to a configured foreign anchor (INVALID).")
X509_PATH_INVALID: Final = _c(
    "X509_PATH_INVALID", "evidence",
    "RFC 5280 path processing failed at the reference time (a signature, basic constraints, key usage, "
    "name or policy constraints).")
X509_EXPIRED: Final = _c("X509_EXPIRED", "evidence",
                         "A certificate of the path expired before the reference time.")
X509_NOT_YET_VALID: Final = _c("X509_NOT_YET_VALID", "evidence",
                               "A certificate of the path is valid only after the reference time.")
X509_REVOKED: Final = _c(
    "X509_REVOKED", "evidence",
    "A CRL or OCSP response carried with the artifact says a certificate of the path was revoked at or "
    "before the reference time (INVALID; a revocation after it does not count).")
X509_REVOCATION_UNAVAILABLE: Final = _c(
    "X509_REVOCATION_UNAVAILABLE", "evidence",
    "Under foreign_revocation hard-fail, a certificate that declares a CRL or OCSP location has no "
    "usable revocation data for the reference time among the carried artifacts (INDETERMINATE).")
X509_REVOCATION_UNKNOWN: Final = _c(
    "X509_REVOCATION_UNKNOWN", "evidence",
    "Under foreign_revocation soft-fail, revocation could not be checked and was skipped (warning).")
X509_REVINFO_MALFORMED: Final = _c(
    "X509_REVINFO_MALFORMED", "evidence",
    "A CRL or OCSP response carried as an artifact cannot be read (INVALID).")
X509_WEAK_ALGORITHM: Final = _c("X509_WEAK_ALGORITHM", "evidence",
                                "A certificate or CRL of the path uses a disallowed algorithm (MD5, SHA-1).")
X509_TNAUTHLIST_MALFORMED: Final = _c(
    "X509_TNAUTHLIST_MALFORMED", "evidence", "A certificate's TNAuthList is not strict RFC 8226 DER (INVALID).")
X509_DELEGATION_EXCEEDS_PARENT: Final = _c(
    "X509_DELEGATION_EXCEEDS_PARENT", "evidence",
    "A delegate certificate (RFC 9060) lists numbers that its issuer's TNAuthList does not cover (INVALID).")
RTU_NOT_AUTHORITY_TOKEN: Final = _c(
    "RTU_NOT_AUTHORITY_TOKEN", "evidence",
    "An application/jwt artifact without an atc claim: not an authority token, and no checker in this "
    "version verifies other JWTs (INDETERMINATE).")
RTU_ALG_FORBIDDEN: Final = _c(
    "RTU_ALG_FORBIDDEN", "evidence",
    "The RTU token's alg is not ES256 (alg none, HMAC and every other algorithm are refused before any key lookup).")
RTU_HEADER_INVALID: Final = _c(
    "RTU_HEADER_INVALID", "evidence",
    "The RTU token's header is unusable: crit present, typ other than JWT, no x5c or x5u, or an x5c that is "
    "not base64 DER certificates.")
RTU_SIGNATURE_INVALID: Final = _c(
    "RTU_SIGNATURE_INVALID", "evidence",
    "The RTU token's ES256 signature does not verify with the token authority's key (or is not 64 raw bytes).")
RTU_CLAIMS_INVALID: Final = _c(
    "RTU_CLAIMS_INVALID", "evidence",
    "The RTU token lacks exp, jti or atc, or one has the wrong type (NumericDates are integers, not booleans).")
RTU_EXPIRED: Final = _c("RTU_EXPIRED", "evidence", "The RTU token's exp is at or before the reference time.")
RTU_NOT_YET_VALID: Final = _c("RTU_NOT_YET_VALID", "evidence",
                              "The RTU token's nbf (or iat) is after the reference time, beyond the clock skew.")
RTU_TKTYPE_UNSUPPORTED: Final = _c("RTU_TKTYPE_UNSUPPORTED", "evidence",
                                   "The authority token's atc.tktype is not TNAuthList.")
RTU_TKVALUE_INVALID: Final = _c(
    "RTU_TKVALUE_INVALID", "evidence",
    "The authority token's atc.tkvalue is not base64 of a strict RFC 8226 TNAuthList.")
RTU_CA_TOKEN: Final = _c(
    "RTU_CA_TOKEN", "evidence",
    "The authority token has atc.ca true (for issuing CA certificates), which is not evidence of a right "
    "to use numbers.")
RTU_FINGERPRINT_MISMATCH: Final = _c(
    "RTU_FINGERPRINT_MISMATCH", "evidence",
    "The authority token's atc.fingerprint is not the thumbprint of the account key it is presented with.")
RTU_AUTHORITY_NOT_FOR_SIGNING: Final = _c(
    "RTU_AUTHORITY_NOT_FOR_SIGNING", "evidence",
    "The token authority's certificate is not a P-256 signing certificate (CA, or keyUsage without "
    "digitalSignature).")

# --- evidence: SD-JWT and W3C VC (foreign evidence II) ------------------------------------
SDJWT_MALFORMED: Final = _c(
    "SDJWT_MALFORMED", "evidence",
    "The artifact is not an SD-JWT in compact or flattened JSON serialization (RFC 9901 §4, §8): "
    "segments, separators, an empty disclosure, a general JSON serialization (INVALID).")
SDJWT_ALG_FORBIDDEN: Final = _c(
    "SDJWT_ALG_FORBIDDEN", "evidence",
    "The issuer-signed JWT or the KB-JWT uses an alg other than ES256, ES384 or EdDSA (none, HMAC and RSA "
    "are refused before any key lookup) (INVALID).")
SDJWT_HEADER_INVALID: Final = _c(
    "SDJWT_HEADER_INVALID", "evidence",
    "The issuer-signed JWT's header is not acceptable: a typ that does not fit the media type (dc+sd-jwt, "
    "vc+sd-jwt), a crit parameter, a CESR-encoded signature (INVALID).")
SDJWT_ISSUER_KEYS_INVALID: Final = _c(
    "SDJWT_ISSUER_KEYS_INVALID", "evidence",
    "A file of foreign.sd_jwt_issuers cannot be read as a JWK set, issuer metadata or PEM, and no other "
    "configured key verified the token (INDETERMINATE).")
SDJWT_ISSUER_UNTRUSTED: Final = _c(
    "SDJWT_ISSUER_UNTRUSTED", "evidence",
    "No key of foreign.sd_jwt_issuers (for this iss) matches the token, and no x5c chain leads to a "
    "configured anchor (INVALID).")
SDJWT_X5C_INVALID: Final = _c(
    "SDJWT_X5C_INVALID", "evidence",
    "The x5c chain does not validate to a configured anchor at the reference time, or its leaf does not "
    "name the token's iss (INVALID).")
SDJWT_SIGNATURE_INVALID: Final = _c("SDJWT_SIGNATURE_INVALID", "evidence",
                                    "The issuer-signed JWT's signature does not verify (INVALID).")
SDJWT_SD_ALG_UNSUPPORTED: Final = _c(
    "SDJWT_SD_ALG_UNSUPPORTED", "evidence",
    "_sd_alg names a hash other than sha-256, sha-384 or sha-512 (INVALID: the digests cannot be trusted).")
SDJWT_DISCLOSURE_INVALID: Final = _c(
    "SDJWT_DISCLOSURE_INVALID", "evidence",
    "A disclosure is not a base64url JSON array [salt, name, value] or [salt, value], names _sd or ..., "
    "or has the wrong length for where its digest appears (INVALID).")
SDJWT_DISCLOSURE_REPEATED: Final = _c("SDJWT_DISCLOSURE_REPEATED", "evidence",
                                      "The same disclosure is presented twice (INVALID).")
SDJWT_DISCLOSURE_UNREFERENCED: Final = _c(
    "SDJWT_DISCLOSURE_UNREFERENCED", "evidence",
    "A presented disclosure is referenced by no digest of the payload or of other disclosures "
    "(RFC 9901 §7.1 step 5) (INVALID).")
SDJWT_DIGEST_REPEATED: Final = _c(
    "SDJWT_DIGEST_REPEATED", "evidence",
    "A digest appears more than once in the payload and disclosures (RFC 9901 §7.1 step 4) (INVALID).")
SDJWT_CLAIM_CONFLICT: Final = _c(
    "SDJWT_CLAIM_CONFLICT", "evidence",
    "A disclosure names a claim that already exists in the object it is disclosed into (INVALID).")
SDJWT_CLAIM_NOT_DISCLOSABLE: Final = _c(
    "SDJWT_CLAIM_NOT_DISCLOSABLE", "evidence",
    "An SD-JWT VC discloses iss, nbf, exp, cnf, vct, vct#integrity or status selectively, which SD-JWT VC "
    "forbids (INVALID).")
SDJWT_PAYLOAD_INVALID: Final = _c(
    "SDJWT_PAYLOAD_INVALID", "evidence",
    "A payload claim has the wrong type: _sd not an array of strings, exp/nbf/iat not integers, iss or vct "
    "missing or not a string where required, cnf not a JWK (INVALID).")
SDJWT_EXPIRED: Final = _c("SDJWT_EXPIRED", "evidence",
                          "The SD-JWT's exp is at or before the reference time (beyond clock_skew_s) (INVALID).")
SDJWT_NOT_YET_VALID: Final = _c(
    "SDJWT_NOT_YET_VALID", "evidence",
    "The SD-JWT's nbf, or its iat, is after the reference time (beyond clock_skew_s) (INVALID).")
SDJWT_KEY_BINDING_MISSING: Final = _c(
    "SDJWT_KEY_BINDING_MISSING", "evidence",
    "policy.sd_jwt_require_key_binding is true and the presentation carries no KB-JWT (INVALID).")
SDJWT_KB_INVALID: Final = _c(
    "SDJWT_KB_INVALID", "evidence",
    "The KB-JWT is malformed: typ not kb+jwt, iat/aud/nonce/sd_hash missing or mistyped, no cnf.jwk "
    "holder key, iat after the reference time or before the SD-JWT's own iat (INVALID).")
SDJWT_KB_SIGNATURE_INVALID: Final = _c(
    "SDJWT_KB_SIGNATURE_INVALID", "evidence",
    "The KB-JWT's signature does not verify under the holder key of cnf.jwk (INVALID).")
SDJWT_KB_SD_HASH_MISMATCH: Final = _c(
    "SDJWT_KB_SD_HASH_MISMATCH", "evidence",
    "The KB-JWT's sd_hash is not the digest of the presented SD-JWT and disclosures (INVALID).")
VC_MALFORMED: Final = _c(
    "VC_MALFORMED", "evidence",
    "The artifact is not a W3C VC 2.0 JSON-LD document vvp reads: not an object, no VerifiableCredential "
    "type, no issuer or credentialSubject, a date that is not an xsd:dateTimeStamp (INVALID).")
VC_VERSION_UNSUPPORTED: Final = _c(
    "VC_VERSION_UNSUPPORTED", "evidence",
    "The first @context is not https://www.w3.org/ns/credentials/v2 (VCDM 1.1 and others are not verified "
    "in this version) (INDETERMINATE).")
VC_CONTEXT_UNAVAILABLE: Final = _c(
    "VC_CONTEXT_UNAVAILABLE", "evidence",
    "The VC (or a configured context) uses a JSON-LD context that foreign.contexts does not hold; contexts "
    "are never fetched (INDETERMINATE).")
VC_CONTEXT_INVALID: Final = _c(
    "VC_CONTEXT_INVALID", "evidence",
    "A context file of foreign.contexts cannot be read as JSON, or the file given for a W3C base context "
    "URL is not the normative one (its SHA-256 differs) (INDETERMINATE).")
VC_CONTEXT_INLINE: Final = _c(
    "VC_CONTEXT_INLINE", "evidence",
    "The VC carries an inline (embedded) @context object; contexts are trust inputs, so only context URLs "
    "from the trust store are accepted (INVALID).")
VC_TERM_UNDEFINED: Final = _c(
    "VC_TERM_UNDEFINED", "evidence",
    "A term, type or IRI of the VC is not defined by its contexts: JSON-LD would drop it (or file it under "
    "the base context's issuer-dependent vocabulary, or leave a relative IRI), so signed data and read data "
    "would differ (INVALID).")
VC_JSONLD_INVALID: Final = _c("VC_JSONLD_INVALID", "evidence",
                              "JSON-LD processing (pyld) refused the VC: invalid JSON-LD syntax (INVALID).")
VC_CANONICALIZATION_LIMIT: Final = _c(
    "VC_CANONICALIZATION_LIMIT", "evidence",
    "JSON-LD processing stopped at its work limit (JSON values, quads, blank nodes, or RDFC-1.0 hashing "
    "steps): a document this costly is treated as a poison graph (INDETERMINATE).")
VC_LITERAL_UNSUPPORTED: Final = _c(
    "VC_LITERAL_UNSUPPORTED", "evidence",
    "A value holds a control character whose canonical N-Quads escape pyld writes differently from "
    "RDFC-1.0, so the canonical form cannot be trusted (INDETERMINATE).")
VC_PROOF_MALFORMED: Final = _c(
    "VC_PROOF_MALFORMED", "evidence",
    "The proof is missing or not a DataIntegrityProof with a verificationMethod, proofPurpose, created "
    "and a base58btc proofValue of the right length; or its @context does not match the VC's (INVALID).")
VC_PROOF_SET_UNSUPPORTED: Final = _c(
    "VC_PROOF_SET_UNSUPPORTED", "evidence",
    "The VC carries several proofs or a proof chain (previousProof), which this version does not verify "
    "(INDETERMINATE).")
VC_CRYPTOSUITE_UNSUPPORTED: Final = _c(
    "VC_CRYPTOSUITE_UNSUPPORTED", "evidence",
    "The proof's cryptosuite is not eddsa-rdfc-2022 or ecdsa-rdfc-2019 on P-256 (INDETERMINATE).")
VC_PROOF_PURPOSE: Final = _c("VC_PROOF_PURPOSE", "evidence",
                             "The proof's proofPurpose is not assertionMethod (INVALID).")
VC_ISSUER_KEYS_INVALID: Final = _c(
    "VC_ISSUER_KEYS_INVALID", "evidence",
    "The JWK set file configured for the VC's issuer cannot be read (INDETERMINATE).")
VC_ISSUER_UNTRUSTED: Final = _c(
    "VC_ISSUER_UNTRUSTED", "evidence",
    "The VC's issuer is not in foreign.vc_issuers (INVALID).")
VC_VERIFICATION_METHOD_INVALID: Final = _c(
    "VC_VERIFICATION_METHOD_INVALID", "evidence",
    "The proof's verificationMethod is not a key of the configured issuer (its did:key, or a key of its "
    "JWK set), or does not fit the cryptosuite (INVALID).")
VC_SIGNATURE_INVALID: Final = _c(
    "VC_SIGNATURE_INVALID", "evidence",
    "The Data Integrity signature does not verify over the canonical proof configuration and document "
    "(INVALID: the VC or its proof was changed).")
VC_NOT_YET_VALID: Final = _c(
    "VC_NOT_YET_VALID", "evidence",
    "The VC's validFrom, or its proof's created, is after the reference time (beyond clock_skew_s) (INVALID).")
VC_EXPIRED: Final = _c(
    "VC_EXPIRED", "evidence",
    "The VC's validUntil, or its proof's expires, is at or before the reference time (beyond clock_skew_s) "
    "(INVALID).")
# --- service (vvp serve: the HTTP API and its SIP front end) ------------------------------
SERVICE_CONTENT_TYPE: Final = _c(
    "SERVICE_CONTENT_TYPE", "service",
    "A request body is not declared as application/json (HTTP 415); nothing was verified.")
SERVICE_BODY_TOO_LARGE: Final = _c(
    "SERVICE_BODY_TOO_LARGE", "service",
    "A request body is larger than the endpoint accepts (HTTP 413); nothing was verified.")
SERVICE_BODY_NOT_JSON: Final = _c(
    "SERVICE_BODY_NOT_JSON", "service",
    "A request body is not strict JSON: not UTF-8, malformed, a duplicate key, NaN or Infinity, or nested "
    "too deeply (HTTP 400); nothing was verified.")
SERVICE_REQUEST_INVALID: Final = _c(
    "SERVICE_REQUEST_INVALID", "service",
    "A request body does not match the endpoint's JSON Schema: a missing or unknown member, a wrong type or "
    "value (HTTP 400); nothing was verified.")
SERVICE_NOT_FOUND: Final = _c("SERVICE_NOT_FOUND", "service", "No such endpoint (HTTP 404).")
SERVICE_METHOD_NOT_ALLOWED: Final = _c(
    "SERVICE_METHOD_NOT_ALLOWED", "service", "The endpoint exists but not for this HTTP method (HTTP 405).")
SERVICE_OVERLOADED: Final = _c(
    "SERVICE_OVERLOADED", "service",
    "The worker's queue of verifications is full: retry after Retry-After seconds (HTTP 503). Nothing was "
    "verified or stored.")
SERVICE_NOT_READY: Final = _c(
    "SERVICE_NOT_READY", "service",
    "The worker has not loaded its trust store, keystore and record store yet, or is draining after SIGTERM "
    "(HTTP 503 from /readyz and the verification endpoints).")
SERVICE_DEADLINE_EXCEEDED: Final = _c(
    "SERVICE_DEADLINE_EXCEEDED", "service",
    "The request deadline (policy request_deadline_s) ran out before this fetch finished: the evidence was "
    "not obtained for this call (INDETERMINATE), and the call's record holds the failure, so it re-verifies "
    "to the same verdict.")
SERVICE_PASSPORT_REPLAYED: Final = _c(
    "SERVICE_PASSPORT_REPLAYED", "service",
    "The same PASSporT reached this service (any worker) earlier within policy replay_window_s: the answer "
    "says so (verstat TN-Validation-Failed, SIP 403), and the record's inputs.service.replay too.")
SERVICE_CONFIG_INVALID: Final = _c(
    "SERVICE_CONFIG_INVALID", "service",
    "A vvp serve option is not valid (a port, a worker count, a --sip address, a limit): a usage error.")
SERVICE_START_FAILED: Final = _c(
    "SERVICE_START_FAILED", "service",
    "vvp serve could not start: the address cannot be bound, or a worker could not load the trust store, the "
    "keystore or the record store.")
SIP_REQUEST_UNPARSABLE: Final = _c(
    "SIP_REQUEST_UNPARSABLE", "service",
    "A datagram on the SIP front end is not a SIP request that can be answered (bad start line, headers, "
    "or a missing Via, From, To, Call-ID or CSeq): answered 400 when a reply is possible.")
SIP_METHOD_NOT_SUPPORTED: Final = _c(
    "SIP_METHOD_NOT_SUPPORTED", "service",
    "The SIP front end answers INVITE (302 with the verdict) and OPTIONS (200) only: other methods get 405.")


# --- callee (the called party's PASSporT in the SDP of a 180/200, vvp-protocol §1.6, §8.2, §8.4)
CALLEE_RESPONSE_MALFORMED: Final = _c(
    "CALLEE_RESPONSE_MALFORMED", "callee",
    "The SIP response cannot be read: not a SIP response, a header line without a colon, repeated Call-ID/CSeq, "
    "bytes that are not UTF-8 (INDETERMINATE: no callee PASSporT could be taken from it).")
CALLEE_RESPONSE_STATUS: Final = _c(
    "CALLEE_RESPONSE_STATUS", "callee",
    "The SIP response is not a 180-199 or 2xx answer, the only ones that carry a callee PASSporT (CE-01).")
CALLEE_SDP_MALFORMED: Final = _c(
    "CALLEE_SDP_MALFORMED", "callee",
    "The response body is not SDP (no SDP part in a multipart body, a line that is not type=value, no v= line) "
    "(INDETERMINATE).")
CALLEE_PASSPORT_MISSING: Final = _c(
    "CALLEE_PASSPORT_MISSING", "callee",
    "The response's SDP has no a=callee-passport attribute: no callee assurance (INDETERMINATE, CE-01).")
CALLEE_PASSPORT_MULTIPLE: Final = _c(
    "CALLEE_PASSPORT_MULTIPLE", "callee",
    "The response's SDP has more than one a=callee-passport attribute: which one the caller's phone trusts is "
    "ambiguous, so none is (INVALID, CE-01).")
CALLEE_PASSPORT_MEDIA_LEVEL: Final = _c(
    "CALLEE_PASSPORT_MEDIA_LEVEL", "callee",
    "The a=callee-passport attribute is in a media section, not at session level as registered (warning, CE-01).")
CALLEE_NOT_FROM_RESPONSE: Final = _c(
    "CALLEE_NOT_FROM_RESPONSE", "callee",
    "The callee PASSporT was given alone (--callee), not read from a SIP response: CE-01 does not apply.")
CALLEE_TYPE_PARAM_MISSING: Final = _c(
    "CALLEE_TYPE_PARAM_MISSING", "callee",
    "The callee PASSporT value has no ;type=vvp suffix (warning: accepted, flagged as a deviation, CE-02).")
CALLEE_TYPE_PARAM_INVALID: Final = _c(
    "CALLEE_TYPE_PARAM_INVALID", "callee",
    "The callee PASSporT value carries ;type= other than vvp, or parameters that cannot be read (CE-02).")
CALLEE_CALL_ID_INVALID: Final = _c(
    "CALLEE_CALL_ID_INVALID", "callee",
    "The callee PASSporT's call-id claim is missing, empty or not a string (CE-04).")
CALLEE_CSEQ_INVALID: Final = _c(
    "CALLEE_CSEQ_INVALID", "callee",
    "The callee PASSporT's cseq claim is missing or not a sequence number (an integer, or \"N\" or \"N METHOD\") "
    "(CE-04).")
CALLEE_CALL_ID_MISMATCH: Final = _c(
    "CALLEE_CALL_ID_MISMATCH", "callee",
    "The callee PASSporT's call-id is not the INVITE's Call-ID: it answers another call (VC-01).")
CALLEE_CSEQ_MISMATCH: Final = _c(
    "CALLEE_CSEQ_MISMATCH", "callee",
    "The callee PASSporT's cseq is not the INVITE's CSeq (number, and method when the claim names one) (VC-01).")
CALLEE_CONTEXT_MISSING: Final = _c(
    "CALLEE_CONTEXT_MISSING", "callee",
    "The INVITE's Call-ID or CSeq was not given (no --invite, --call-id or --cseq): VC-01 cannot be judged "
    "(INDETERMINATE).")
CALLEE_CONTEXT_INVALID: Final = _c(
    "CALLEE_CONTEXT_INVALID", "callee",
    "A given INVITE Call-ID or CSeq (--call-id, --cseq, or the INVITE's headers) is malformed (INDETERMINATE).")
CALLEE_RESPONSE_NOT_FOR_INVITE: Final = _c(
    "CALLEE_RESPONSE_NOT_FOR_INVITE", "callee",
    "The SIP response's Call-ID or CSeq differs from the INVITE's: the response does not answer that INVITE.")
CALLEE_IAT_TOO_OLD: Final = _c(
    "CALLEE_IAT_TOO_OLD", "callee",
    "The callee PASSporT's iat is more than callee_iat_tolerance_s before the reference time (VC-02).")
CALLEE_IAT_IN_FUTURE: Final = _c(
    "CALLEE_IAT_IN_FUTURE", "callee",
    "The callee PASSporT's iat is more than clock_skew_s after the reference time (VC-02).")
CALLEE_NO_EXP: Final = _c(
    "CALLEE_NO_EXP", "callee",
    "The callee PASSporT has no exp: the callee imposes no new timeout, so there is none to evaluate (VC-03).")
CALLEE_DOSSIER_NOT_OWN: Final = _c(
    "CALLEE_DOSSIER_NOT_OWN", "callee",
    "The cited dossier was issued by another AID than the callee PASSporT's kid; a callee has no delegate "
    "(INVALID, VC-05).")
CALLEE_NO_TN: Final = _c(
    "CALLEE_NO_TN", "callee",
    "No called number is known (no --dest, and the INVITE's To and Request-URI carry no TN): VC-07 cannot be "
    "judged (INDETERMINATE).")
CALLEE_GOALS_DISJOINT: Final = _c(
    "CALLEE_GOALS_DISJOINT", "callee",
    "Both sides declare a goal and neither goal is a subset of the other (INVALID, VC-09).")
CALLEE_GOAL_NOT_BOTH: Final = _c(
    "CALLEE_GOAL_NOT_BOTH", "callee",
    "Only one side (or neither) declares a goal: VC-09 does not apply.")
CALLEE_INPUT_INVALID: Final = _c(
    "CALLEE_INPUT_INVALID", "callee",
    "The callee verification's inputs are contradictory or incomplete (e.g. --invite without a response, "
    "--cseq that is not a number) (exit 2).")


# --- robustness: hostile servers and files (issue 21) ----------------------------------------
INPUT_NOT_REGULAR_FILE: Final = _c(
    "INPUT_NOT_REGULAR_FILE", "files",
    "An input path names a FIFO, device, socket or directory: vvp reads only regular files (or - for standard "
    "input where allowed), so /dev/zero cannot fill memory and a FIFO cannot hang a command.")
INPUT_TOO_LARGE: Final = _c(
    "INPUT_TOO_LARGE", "files",
    "An input file is larger than vvp reads for its kind (checked before reading, so a huge sparse file is "
    "never allocated).")
OUTPUT_NOT_REGULAR_FILE: Final = _c(
    "OUTPUT_NOT_REGULAR_FILE", "files",
    "An output path (--record, report -o) names a symlink, device, FIFO or socket: vvp replaces "
    "only regular files, unless asked to write through (--write-through).")
TIME_OUT_OF_RANGE: Final = _c(
    "TIME_OUT_OF_RANGE", "cli",
    "A TIME argument is well formed but outside the dates vvp can represent (years 1 to 9999 in UTC).")
FETCH_BODY_INCOMPLETE: Final = _c(
    "FETCH_BODY_INCOMPLETE", "fetch",
    "The connection ended before the body was complete (fewer bytes than Content-Length, or no final chunk).")
FETCH_CONNECTION_LOST: Final = _c(
    "FETCH_CONNECTION_LOST", "fetch",
    "The server reset the connection, or closed it before a complete status line and headers.")
FETCH_HEAD_TOO_LARGE: Final = _c(
    "FETCH_HEAD_TOO_LARGE", "fetch",
    "The status line and headers are longer, or more numerous, than vvp reads.")
FETCH_ENCODING_REFUSED: Final = _c(
    "FETCH_ENCODING_REFUSED", "fetch",
    "The body came with a Content-Encoding (or a Transfer-Encoding other than chunked) that vvp did not ask for: "
    "a compressed body is never decompressed, so it cannot be a compression bomb.")
FETCH_REDIRECT_SCHEME_CHANGED: Final = _c(
    "FETCH_REDIRECT_SCHEME_CHANGED", "fetch",
    "A redirect pointed to another scheme (http to https or back); redirects never change scheme.")
FETCH_ADDRESS_NEVER_FETCHED: Final = _c(
    "FETCH_ADDRESS_NEVER_FETCHED", "fetch",
    "The target is link-local (169.254.0.0/16, fe80::/10) or a cloud metadata address (100.100.100.200, "
    "fd00:ec2::254): refused even when allow_private_addresses is on.")

# --- batch (vvp batch: call logs, architecture §4.6) -----------------------------------------
BATCH_INPUT_INVALID: Final = _c(
    "BATCH_INPUT_INVALID", "batch",
    "The batch input as a whole cannot be read: not a JSON Lines file, a CSV file with a valid header, or a "
    "folder of SIP requests (exit 4, before any row is verified).")
BATCH_ROW_NOT_JSON: Final = _c(
    "BATCH_ROW_NOT_JSON", "batch",
    "A JSON Lines row is not one strict JSON object (syntax, not UTF-8, duplicate keys, NaN); the row goes to "
    "errors.jsonl and the run goes on (exit 4 at the end).")
BATCH_ROW_INVALID: Final = _c(
    "BATCH_ROW_INVALID", "batch",
    "A row's fields are not a call (unknown field, missing identity or time, wrong type, empty or oversized "
    "value, control characters, CSV quoting or field count); the row goes to errors.jsonl (exit 4 at the end).")
BATCH_ROW_TOO_LARGE: Final = _c(
    "BATCH_ROW_TOO_LARGE", "batch",
    "A row (a line, a CSV record or a SIP file) is over the size limit; it is skipped unread and goes to "
    "errors.jsonl (exit 4 at the end).")
BATCH_DUPLICATE_ID: Final = _c(
    "BATCH_DUPLICATE_ID", "batch",
    "A row has the id of an earlier row of the same input; only the first is verified, the repeat goes to "
    "errors.jsonl (exit 4 at the end).")
BATCH_SIP_NO_DATE: Final = _c(
    "BATCH_SIP_NO_DATE", "batch",
    "A SIP request in the input folder has no parseable Date header, so the call has no reference time; it goes "
    "to errors.jsonl (exit 4 at the end).")
BATCH_OUT_BUSY: Final = _c(
    "BATCH_OUT_BUSY", "batch",
    "Another vvp batch is running on the same --out folder (its lock is held); nothing was done (exit 4).")
BATCH_OUTPUT_FAILED: Final = _c(
    "BATCH_OUTPUT_FAILED", "batch",
    "A batch output file (verdicts.jsonl, errors.jsonl, summary.html) cannot be written (exit 4); rows whose "
    "verdict line was written are kept and a rerun resumes after them.")
BATCH_VERDICTS_DAMAGED: Final = _c(
    "BATCH_VERDICTS_DAMAGED", "batch",
    "verdicts.jsonl holds a complete line that is not a verdict line (damage not caused by a kill, which only "
    "ever leaves a partial last line); nothing is changed (exit 4).")
BATCH_WORKER_LOST: Final = _c(
    "BATCH_WORKER_LOST", "batch",
    "A batch worker process or Dask worker died or failed to start; the rows it held are not written and a "
    "rerun verifies them (exit 4).")
BATCH_ENGINE_UNAVAILABLE: Final = _c(
    "BATCH_ENGINE_UNAVAILABLE", "batch",
    "--engine dask needs dask.distributed (pip install 'vvp[dask]'), or its --scheduler cannot be reached "
    "(exit 4).")

# --- witnesses (independent witnesses: key state and revocation the evidence host cannot hide, §2.4)
WITNESS_REPLY_MALFORMED: Final = _c(
    "WITNESS_REPLY_MALFORMED", "witness",
    "A /loc/scheme reply lacks a string eid, scheme, url or dt: it is not used to find a witness.")
WITNESS_REPLY_UNVERIFIED: Final = _c(
    "WITNESS_REPLY_UNVERIFIED", "witness",
    "A /loc/scheme reply is not signed by exactly the witness it speaks for (another key, a transferable "
    "endorser, a changed URL under the signature): it is not used to find a witness.")
WITNESS_ENDPOINT_UNKNOWN: Final = _c(
    "WITNESS_ENDPOINT_UNKNOWN", "witness",
    "No verified /loc/scheme reply of this witness (in the OOBI response, the dossier or the trust store's "
    "witnesses) gives an http(s) URL at which to ask it.")
WITNESS_UNREACHABLE: Final = _c(
    "WITNESS_UNREACHABLE", "witness",
    "Fewer witnesses than the quorum answered (unreachable, no known location, or an answer that does not "
    "verify); under witness_check \"available\" a warning, the served stream alone is used.")
WITNESS_QUORUM_NOT_MET: Final = _c(
    "WITNESS_QUORUM_NOT_MET", "witness",
    "witness_check is \"required\" and fewer than witness_quorum (default: the AID's toad) witnesses "
    "answered with a verified KEL (INDETERMINATE).")
WITNESS_CHECK_NOT_MADE: Final = _c(
    "WITNESS_CHECK_NOT_MADE", "witness",
    "The KEL was not compared with its witnesses: the verification is offline or from an evidence map, or no "
    "witness location is known. Said plainly; under \"required\" INDETERMINATE.")
WITNESS_ANSWER_INVALID: Final = _c(
    "WITNESS_ANSWER_INVALID", "witness",
    "A witness's answer is not a KEL of the AID that keri verifies; it is not used (and counts as no answer).")
WITNESS_LAGGING: Final = _c(
    "WITNESS_LAGGING", "witness",
    "A witness's KEL of the AID ends before what another witness or the served stream holds; reported, "
    "the longest verified KEL is used.")
WITNESS_FIRST_SEEN_DISAGREES: Final = _c(
    "WITNESS_FIRST_SEEN_DISAGREES", "witness",
    "First-seen times of one event differ by more than clock_skew_s between the witnesses or the served stream; "
    "the earliest witness time is used (a rotation counts from when any witness first saw it).")
WITNESS_EVENTS_WITHHELD: Final = _c(
    "WITNESS_EVENTS_WITHHELD", "witness",
    "The witnesses hold later key events of the AID than the served stream (a rotation or an anchoring "
    "event the evidence host left out); they are verified and used.")
WITNESS_NONE_DESIGNATED: Final = _c(
    "WITNESS_NONE_DESIGNATED", "witness",
    "The AID designates no witnesses: nobody independent of the evidence host can be asked (a warning; "
    "INDETERMINATE under \"required\").")
KID_WITNESS_NOT_OF_AID: Final = _c(
    "KID_WITNESS_NOT_OF_AID", "witness",
    "The kid OOBI names a witness (/oobi/{aid}/witness/{eid}) that is not one of the AID's witnesses: the "
    "kid is refused (INVALID).")
TEL_EVENT_WITHHELD: Final = _c(
    "TEL_EVENT_WITHHELD", "witness",
    "The issuer's KEL (as served, or as its witnesses hold it) seals a TEL event of this credential that the "
    "dossier stream lacks; at sn >= 1 that is a revocation, and the credential is never VALID after the seal.")


# --- record format v2 (signed manifest of blob digests, hash-then-sign) --------------------
RECORD_MANIFEST_MISMATCH: Final = _c(
    "RECORD_MANIFEST_MISMATCH", "record",
    "A v2 record's signed manifest does not list exactly the blobs the file holds, with their sizes, sorted by "
    "digest (exit 6).")


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
