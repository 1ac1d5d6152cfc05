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

# --- context -------------------------------------------------------------------------------

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
