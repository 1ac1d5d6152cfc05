"""A raw SIP request, parsed for what a verification needs (architecture §4.1 ``--sip FILE``).

The input is an INVITE as captured in a log or trace: CRLF or bare LF line ends, compact header
names (``f:`` for From, ``y:`` for Identity, RFC 3261 §7.3.3 and RFC 8224), folded continuation
lines (a line starting with a space or tab continues the previous header, RFC 3261 §7.3.1),
header names in any case, several Identity headers (or several values in one, comma-separated).
The body is ignored.

Out come the Identity values and the context for the ``context`` claim: the calling TN (From and
P-Asserted-Identity), the called TN (To and the Request-URI), Date, Call-ID and CSeq. TNs are taken
from ``tel:`` URIs and from ``sip:``/``sips:`` URIs whose user part is a telephone number (with
``user=phone``, a leading ``+``, or digits and visual separators only), then normalised by
:func:`vvp.tn.normalize_tn`; a URI with no TN gives ``None``, which the context claim reports.

Refused, with a stable code, rather than guessed at: a response instead of a request, a header
line without a colon, a continuation line before any header, bytes that are not UTF-8, NUL or
stray CR characters, and *repeated* From, To, Call-ID, CSeq or Date headers (two From headers
would let a verifier and a switch bind the call to different callers). Sizes and counts are
capped (constants below).
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final
from urllib.parse import unquote

from vvp import codes
from vvp.errors import EvidenceInvalid
from vvp.stir.identity import MAX_IDENTITY_VALUE_CHARS, MAX_IDENTITY_VALUES, split_header_values
from vvp.tn import try_normalize_tn

# --- limits ---------------------------------------------------------------------------------
# A SIP message over UDP is at most 64 KiB; over TCP/TLS a logged INVITE with a large SDP body
# and several PASSporTs stays far below 256 KiB.
MAX_SIP_BYTES: Final = 256 * 1024
# Real INVITEs carry 15–40 header fields.
MAX_HEADER_FIELDS: Final = 256
# The longest legitimate field is an Identity header holding one PASSporT and its parameters.
MAX_HEADER_VALUE_CHARS: Final = MAX_IDENTITY_VALUE_CHARS + 1024

# Compact header names (RFC 3261 §7.3.3 and the IANA SIP header registry).
COMPACT_NAMES: Final[Mapping[str, str]] = MappingProxyType({
    "a": "Accept-Contact", "b": "Referred-By", "c": "Content-Type", "d": "Request-Disposition",
    "e": "Content-Encoding", "f": "From", "i": "Call-ID", "j": "Reject-Contact", "k": "Supported",
    "l": "Content-Length", "m": "Contact", "n": "Identity-Info", "o": "Event", "r": "Refer-To",
    "s": "Subject", "t": "To", "u": "Allow-Events", "v": "Via", "x": "Session-Expires", "y": "Identity",
})
# Canonical spellings of the names this module reads or that commonly appear; others are kept
# as written.
_CANONICAL: Final[Mapping[str, str]] = MappingProxyType({n.lower(): n for n in (
    *COMPACT_NAMES.values(), "CSeq", "Date", "Max-Forwards", "P-Asserted-Identity", "Allow", "Require",
    "User-Agent", "Record-Route", "Route", "Privacy", "P-Charging-Vector", "Diversion", "History-Info",
    "Call-Info", "Reason", "Expires", "Min-SE")})
# Headers that must not repeat: the context binds to exactly one of each.
_SINGLETONS: Final = ("From", "To", "Call-ID", "CSeq", "Date")

_TOKEN: Final = r"[A-Za-z0-9\-.!%*_+`'~]+"
_REQUEST_LINE_RE: Final = re.compile(rf"\A({_TOKEN}) (\S+) SIP/2\.0\Z", re.IGNORECASE)
_STATUS_LINE_RE: Final = re.compile(r"\ASIP/2\.0 \d{3}", re.IGNORECASE)
_HEADER_RE: Final = re.compile(rf"\A({_TOKEN})[ \t]*:(.*)\Z", re.DOTALL)
_TN_USER_RE: Final = re.compile(r"\A\+?[0-9\-.()]+\Z")


class SipError(EvidenceInvalid):
    """A SIP request that cannot be parsed; ``code`` is SIP_MALFORMED or SIP_TOO_LARGE."""

    default_code = codes.SIP_MALFORMED


@dataclass(frozen=True, slots=True)
class SipRequest:
    """What vvp reads from a SIP request.

    ``headers`` keeps every header field in order as (canonical name, unfolded value).
    ``*_tn`` are canonical TN digits or ``None`` when the header is absent or carries no TN;
    ``pai_tn`` is the first TN among the P-Asserted-Identity values. ``date`` is ``None`` when
    the Date header is absent *or* unparseable; ``date_raw`` tells the two apart.
    """

    method: str
    request_uri: str
    headers: tuple[tuple[str, str], ...]
    identities: tuple[str, ...]
    from_uri: str | None
    to_uri: str | None
    pai_uris: tuple[str, ...]
    from_tn: str | None
    to_tn: str | None
    pai_tn: str | None
    ruri_tn: str | None
    date: _dt.datetime | None
    date_raw: str | None
    call_id: str | None
    cseq: str | None

    def header_values(self, name: str) -> tuple[str, ...]:
        """All values of header ``name`` (any case, compact or full name), in order."""
        want = canonical_header_name(name)
        return tuple(v for n, v in self.headers if n == want)


def canonical_header_name(name: str) -> str:
    """``f`` → ``From``, ``call-id`` → ``Call-ID``; unknown names are returned as written."""
    low = name.lower()
    if low in COMPACT_NAMES:
        return COMPACT_NAMES[low]
    return _CANONICAL.get(low, name)


# --- URIs and TNs ---------------------------------------------------------------------------

def addr_uri(value: str) -> str | None:
    """The URI of a name-addr or addr-spec header value (From, To, P-Asserted-Identity).

    ``"Alice" <sip:+1555@h>;tag=1`` and ``Alice <sip:…>`` give the bracketed URI;
    ``sip:+1555@h;tag=1`` gives ``sip:+1555@h`` (RFC 3261 §20: without brackets, everything after
    the first ``;`` is a header parameter). ``None`` when the value has no recognisable URI.
    """
    v = value.strip(" \t")
    i = 0
    if v.startswith('"'):
        i = 1
        while i < len(v):
            if v[i] == "\\":
                i += 2
                continue
            if v[i] == '"':
                break
            i += 1
        else:
            return None
        i += 1
    lt = v.find("<", i)
    if lt >= 0:
        gt = v.find(">", lt + 1)
        if gt < 0:
            return None
        uri = v[lt + 1:gt].strip(" \t")
        return uri or None
    if i:
        return None  # a quoted display name must be followed by <URI>
    uri = v.split(";", 1)[0].strip(" \t")
    return uri if ":" in uri and " " not in uri else None


def tn_from_uri(uri: str) -> str | None:
    """The canonical TN in a ``tel:`` or ``sip:``/``sips:`` URI, or ``None`` (module docstring)."""
    scheme, sep, rest = uri.partition(":")
    if not sep:
        return None
    scheme = scheme.lower()
    if scheme == "tel":
        return try_normalize_tn(unquote(rest.split(";", 1)[0]))
    if scheme not in ("sip", "sips"):
        return None
    userinfo, at, hostpart = rest.partition("@")
    if not at:
        return None
    user = unquote(userinfo.split(":", 1)[0].split(";", 1)[0])
    uri_params = [p.strip().lower() for p in hostpart.split("?", 1)[0].split(";")[1:]]
    if "user=phone" in uri_params or _TN_USER_RE.match(user):
        return try_normalize_tn(user)
    return None


def _tn_of(value: str | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    uri = addr_uri(value)
    return uri, (tn_from_uri(uri) if uri is not None else None)


def _parse_date(raw: str) -> _dt.datetime | None:
    try:
        t = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if t.tzinfo is None:  # "-0000" (RFC 5322: UTC, source zone unknown)
        t = t.replace(tzinfo=_dt.UTC)
    return t.astimezone(_dt.UTC)


# --- the request ----------------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    out = []
    for ln in lines:
        if ln.endswith("\r"):
            ln = ln[:-1]
        if "\r" in ln:
            raise SipError("a bare CR inside a line")
        out.append(ln)
    return out


def parse_sip(data: bytes | str) -> SipRequest:
    """Parse a raw SIP request (module docstring); raise :class:`SipError` with a stable code."""
    if len(data) > MAX_SIP_BYTES:
        raise SipError(f"SIP message larger than {MAX_SIP_BYTES} bytes", code=codes.SIP_TOO_LARGE)
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SipError("the SIP message is not UTF-8") from None
    else:
        text = data
    if "\x00" in text:
        raise SipError("the SIP message contains a NUL character")
    if text.startswith("\ufeff"):
        text = text[1:]
    # Leading blank lines are ignored (RFC 3261 §7.5); only the header section matters, and the
    # body starts after the first empty line.
    text = text.lstrip("\r\n")
    head_end = re.search(r"\r?\n\r?\n", text)
    head = text[: head_end.start()] if head_end else text
    lines = _lines(head)
    if not lines or not lines[0]:
        raise SipError("empty SIP message")
    request_line = lines[0]
    if _STATUS_LINE_RE.match(request_line):
        raise SipError("this is a SIP response, not a request")
    m = _REQUEST_LINE_RE.match(request_line)
    if m is None:
        raise SipError(f"not a SIP request line: {request_line[:80]!r}")
    method, request_uri = m.group(1).upper(), m.group(2)

    fields: list[list[str]] = []
    for ln in lines[1:]:
        if not ln:  # only possible at the very end, when the message has no body separator
            break
        if ln[:1] in (" ", "\t"):
            if not fields:
                raise SipError("a continuation line before the first header")
            fields[-1][1] += " " + ln.strip(" \t")
        else:
            hm = _HEADER_RE.match(ln)
            if hm is None:
                raise SipError(f"not a header line: {ln[:80]!r}")
            if len(fields) >= MAX_HEADER_FIELDS:
                raise SipError(f"more than {MAX_HEADER_FIELDS} header fields", code=codes.SIP_TOO_LARGE)
            fields.append([canonical_header_name(hm.group(1)), hm.group(2)])
        if len(fields[-1][1]) > MAX_HEADER_VALUE_CHARS:
            raise SipError(f"header {fields[-1][0]} longer than {MAX_HEADER_VALUE_CHARS} characters",
                           code=codes.SIP_TOO_LARGE)
    headers = tuple((n, v.strip(" \t")) for n, v in fields)

    def one(name: str) -> str | None:
        vals = [v for n, v in headers if n == name]
        if len(vals) > 1:
            raise SipError(f"the {name} header appears {len(vals)} times")
        return vals[0] if vals else None

    single = {name: one(name) for name in _SINGLETONS}
    identities: list[str] = []
    for n, v in headers:
        if n == "Identity":
            identities.extend(split_header_values(v))
    if len(identities) > MAX_IDENTITY_VALUES:
        raise SipError(f"more than {MAX_IDENTITY_VALUES} Identity values", code=codes.SIP_TOO_LARGE)
    pai_uris: list[str] = []
    for n, v in headers:
        if n == "P-Asserted-Identity":
            for piece in split_header_values(v):
                u = addr_uri(piece)
                if u is not None:
                    pai_uris.append(u)
    pai_tn = next((t for t in (tn_from_uri(u) for u in pai_uris) if t is not None), None)
    from_uri, from_tn = _tn_of(single["From"])
    to_uri, to_tn = _tn_of(single["To"])
    date_raw = single["Date"]
    return SipRequest(
        method=method, request_uri=request_uri, headers=headers, identities=tuple(identities),
        from_uri=from_uri, to_uri=to_uri, pai_uris=tuple(pai_uris),
        from_tn=from_tn, to_tn=to_tn, pai_tn=pai_tn, ruri_tn=tn_from_uri(request_uri),
        date=_parse_date(date_raw) if date_raw is not None else None, date_raw=date_raw,
        call_id=single["Call-ID"], cseq=" ".join(single["CSeq"].split()) if single["CSeq"] is not None else None,
    )
