"""The framing every SIP message shares, read once for requests and responses alike.

A request (:mod:`vvp.stir.sip`, the INVITE) and a response (:mod:`vvp.callee.sdp`, the 200 OK
carrying the callee PASSporT) are read from the same kind of capture, so they are framed by the
same code: size cap, UTF-8, no NUL, a leading BOM and blank lines dropped (RFC 3261 §7.5), the
header section ending at the first empty line, CRLF or bare LF line ends (a bare CR refused),
folded continuation lines (RFC 3261 §7.3.1), compact and any-case header names (§7.3.3), and
capped counts and lengths. Two parsers that framed headers differently would let a request and
its response be read by different rules.

What differs by kind of message is only how a refusal is reported: the error class and its codes
(:class:`MessageKind`), and the words naming what was read. The start line (request line or
status line) and what each header means stay with each parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from vvp.errors import EvidenceInvalid
from vvp.stir.identity import MAX_IDENTITY_VALUE_CHARS

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
# Canonical spellings of the names vvp reads or that commonly appear; others are kept as written.
_CANONICAL: Final[Mapping[str, str]] = MappingProxyType({n.lower(): n for n in (
    *COMPACT_NAMES.values(), "CSeq", "Date", "Max-Forwards", "P-Asserted-Identity", "Allow", "Require",
    "User-Agent", "Record-Route", "Route", "Privacy", "P-Charging-Vector", "Diversion", "History-Info",
    "Call-Info", "Reason", "Expires", "Min-SE")})

TOKEN: Final = r"[A-Za-z0-9\-.!%*_+`'~]+"
"""RFC 3261 §25.1 ``token``: a header name, a method."""
_HEADER_RE: Final = re.compile(rf"\A({TOKEN})[ \t]*:(.*)\Z", re.DOTALL)
_HEAD_END_RE: Final = re.compile(r"\r?\n\r?\n")

Headers = tuple[tuple[str, str], ...]
"""Header fields in order, as (canonical name, unfolded value stripped of blanks)."""


@dataclass(frozen=True, slots=True)
class MessageKind:
    """How one kind of SIP message reports what is wrong with its framing.

    ``noun`` names the message in refusals ("the SIP <noun> is not UTF-8"); ``error`` is raised
    with its own default code, except for sizes and counts over a cap, which carry ``too_large``
    when it is set (a request says ``SIP_TOO_LARGE``; a response has one code for everything)."""

    noun: str
    error: type[EvidenceInvalid]
    too_large: str | None = None

    def refuse(self, message: str, *, size: bool = False) -> EvidenceInvalid:
        return self.error(message, code=self.too_large if size else None)


def canonical_header_name(name: str) -> str:
    """``f`` → ``From``, ``call-id`` → ``Call-ID``; unknown names are returned as written."""
    low = name.lower()
    if low in COMPACT_NAMES:
        return COMPACT_NAMES[low]
    return _CANONICAL.get(low, name)


def decode(data: bytes | str, kind: MessageKind) -> str:
    """The message's text: at most :data:`MAX_SIP_BYTES`, UTF-8, no NUL; a leading BOM and
    leading blank lines (RFC 3261 §7.5) removed."""
    if len(data) > MAX_SIP_BYTES:
        raise kind.refuse(f"SIP message larger than {MAX_SIP_BYTES} bytes", size=True)
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise kind.refuse(f"the SIP {kind.noun} is not UTF-8") from None
    else:
        text = data
    if "\x00" in text:
        raise kind.refuse(f"the SIP {kind.noun} contains a NUL character")
    return text.removeprefix("\ufeff").lstrip("\r\n")


def split_head(text: str) -> tuple[str, str]:
    """(header section, body): the body starts after the first empty line."""
    m = _HEAD_END_RE.search(text)
    return (text[: m.start()], text[m.end():]) if m else (text, "")


def lines(text: str, kind: MessageKind) -> list[str]:
    """The lines of a header section, CRLF or bare LF ended; a CR anywhere else is refused."""
    out = []
    for ln in text.split("\n"):
        if ln.endswith("\r"):
            ln = ln[:-1]
        if "\r" in ln:
            raise kind.refuse("a bare CR inside a line")
        out.append(ln)
    return out


def head_lines(text: str, kind: MessageKind) -> tuple[list[str], str]:
    """(the header section's lines, start line first; the body). Refuses an empty message."""
    head, body = split_head(text)
    out = lines(head, kind)
    if not out or not out[0]:
        raise kind.refuse("empty SIP message")
    return out, body


def header_fields(header_lines: list[str], kind: MessageKind, label: str = "") -> Headers:
    """Header lines (after the start line; continuations folded in with one space) as
    (canonical name, value), up to the first empty line. ``label`` prefixes "header" in
    refusals ("SIP ", "body part ")."""
    fields: list[list[str]] = []
    for ln in header_lines:
        if not ln:  # only possible at the very end, when the message has no body separator
            break
        if ln[:1] in (" ", "\t"):
            if not fields:
                raise kind.refuse(f"a continuation line before the first {label}header")
            fields[-1][1] += " " + ln.strip(" \t")
        else:
            hm = _HEADER_RE.match(ln)
            if hm is None:
                raise kind.refuse(f"not a {label}header line: {ln[:80]!r}")
            if len(fields) >= MAX_HEADER_FIELDS:
                raise kind.refuse(f"more than {MAX_HEADER_FIELDS} {label}header fields", size=True)
            fields.append([canonical_header_name(hm.group(1)), hm.group(2)])
        if len(fields[-1][1]) > MAX_HEADER_VALUE_CHARS:
            raise kind.refuse(f"{label}header {fields[-1][0]} longer than {MAX_HEADER_VALUE_CHARS} characters",
                              size=True)
    return tuple((n, v.strip(" \t")) for n, v in fields)


def single(headers: Headers, name: str, kind: MessageKind) -> str | None:
    """The value of a header that must not repeat (``name`` canonical), or None when absent."""
    vals = [v for n, v in headers if n == name]
    if len(vals) > 1:
        raise kind.refuse(f"the {name} header appears {len(vals)} times")
    return vals[0] if vals else None
