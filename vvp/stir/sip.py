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
capped. The framing (line ends, folding, header names, caps) is :mod:`vvp.stir.sipmessage`, shared
with the SIP responses :mod:`vvp.callee.sdp` reads; the request line and the headers' meaning are here.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

from vvp import codes
from vvp.errors import EvidenceInvalid
from vvp.stir import sipmessage
from vvp.stir.identity import MAX_IDENTITY_VALUES, split_header_values
# The framing (limits, compact and canonical header names, line ends, folding) is shared with SIP
# responses in vvp.stir.sipmessage; these names stay importable from here, where they used to live.
from vvp.stir.sipmessage import COMPACT_NAMES as COMPACT_NAMES
from vvp.stir.sipmessage import MAX_HEADER_FIELDS as MAX_HEADER_FIELDS
from vvp.stir.sipmessage import MAX_HEADER_VALUE_CHARS as MAX_HEADER_VALUE_CHARS
from vvp.stir.sipmessage import MAX_SIP_BYTES as MAX_SIP_BYTES
from vvp.stir.sipmessage import TOKEN
from vvp.stir.sipmessage import canonical_header_name as canonical_header_name
from vvp.tn import try_normalize_tn

# Headers that must not repeat: the context binds to exactly one of each.
_SINGLETONS: Final = ("From", "To", "Call-ID", "CSeq", "Date")

_REQUEST_LINE_RE: Final = re.compile(rf"\A({TOKEN}) (\S+) SIP/2\.0\Z", re.IGNORECASE)
_STATUS_LINE_RE: Final = re.compile(r"\ASIP/2\.0 \d{3}", re.IGNORECASE)
_TN_USER_RE: Final = re.compile(r"\A\+?[0-9\-.()]+\Z")


class SipError(EvidenceInvalid):
    """A SIP request that cannot be parsed; ``code`` is SIP_MALFORMED or SIP_TOO_LARGE."""

    default_code = codes.SIP_MALFORMED


_KIND: Final = sipmessage.MessageKind("message", SipError, codes.SIP_TOO_LARGE)


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

def parse_sip(data: bytes | str) -> SipRequest:
    """Parse a raw SIP request (module docstring); raise :class:`SipError` with a stable code."""
    text = sipmessage.decode(data, _KIND)
    # Only the header section matters; the body starts after the first empty line.
    lines, _ = sipmessage.head_lines(text, _KIND)
    request_line = lines[0]
    if _STATUS_LINE_RE.match(request_line):
        raise SipError("this is a SIP response, not a request")
    m = _REQUEST_LINE_RE.match(request_line)
    if m is None:
        raise SipError(f"not a SIP request line: {request_line[:80]!r}")
    method, request_uri = m.group(1).upper(), m.group(2)

    headers = sipmessage.header_fields(lines[1:], _KIND)
    single = {name: sipmessage.single(headers, name, _KIND) for name in _SINGLETONS}
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
