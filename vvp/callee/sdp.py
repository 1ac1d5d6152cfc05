"""The callee PASSporT's carriage: a SIP response whose SDP body holds ``a=callee-passport``.

vvp-protocol.md §1.1 and §1.6: the callee answers with ``a=callee-passport:<compact JWT>;type=vvp``,
a *session-level* SDP attribute, in the body of its 200 OK (it MUST be there) and maybe of its 180.
A response as captured in a log or trace is read like an INVITE (:mod:`vvp.stir.sip`): CRLF or
bare LF, compact header names (``i:`` Call-ID, ``c:`` Content-Type), folded lines, names in any
case. The body is SDP (``application/sdp``, or no Content-Type and a body that starts with
``v=``) or a MIME multipart whose parts include SDP; the SDP may have several media sections.

What comes out: the status code, Call-ID and CSeq (to bind the response to its INVITE) and every
``a=callee-passport`` value with where it was (session level, or media section *n*). Deciding what
several, none, or a media-level one mean is the verifier's (CE-01), not the parser's.

Refused with a stable code rather than guessed at: a request instead of a response, header lines
without a colon, repeated Call-ID or CSeq, bytes that are not UTF-8, NUL characters
(``CALLEE_RESPONSE_MALFORMED``); a body that is not SDP, a multipart body without a boundary or
without an SDP part, SDP lines that are not ``<letter>=<value>`` or an SDP that does not start
with ``v=`` (``CALLEE_SDP_MALFORMED``). Sizes and counts are capped as for requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from vvp import codes
from vvp.errors import EvidenceInvalid
from vvp.stir import sipmessage

ATTRIBUTE: Final = "callee-passport"
MAX_SDP_LINES: Final = 4096
MAX_MIME_PARTS: Final = 32
MAX_MIME_DEPTH: Final = 3

_STATUS_LINE_RE: Final = re.compile(r"\ASIP/2\.0 ([1-6][0-9]{2})(?: (.*))?\Z", re.IGNORECASE)
_REQUEST_LINE_RE: Final = re.compile(r"\A[A-Za-z]+ \S+ SIP/2\.0\Z", re.IGNORECASE)
_SDP_LINE_RE: Final = re.compile(r"\A([a-z])=(.*)\Z", re.DOTALL)
_BOUNDARY_RE: Final = re.compile(r';\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))', re.IGNORECASE)


class ResponseError(EvidenceInvalid):
    """A SIP response, or its SDP, that cannot be read; ``code`` says which."""

    default_code = codes.CALLEE_RESPONSE_MALFORMED


_KIND: Final = sipmessage.MessageKind("response", ResponseError)
"""Framing as for requests (:mod:`vvp.stir.sipmessage`); every refusal CALLEE_RESPONSE_MALFORMED."""


@dataclass(frozen=True, slots=True)
class CalleeAttribute:
    """One ``a=callee-passport`` value and where it was: ``level`` 0 for the session, *n* for
    the *n*-th media section (1-based)."""

    value: str
    level: int

    @property
    def where(self) -> str:
        return "at session level" if self.level == 0 else f"in media section {self.level}"


@dataclass(frozen=True, slots=True)
class SipResponse:
    """What vvp reads from a SIP response: status, the dialog identifiers, and the attributes."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    call_id: str | None
    cseq: str | None
    content_type: str | None
    attributes: tuple[CalleeAttribute, ...]


def _media_type(content_type: str | None) -> str | None:
    return content_type.split(";", 1)[0].strip().lower() if content_type else None


def parse_sdp(text: str) -> tuple[CalleeAttribute, ...]:
    """Every ``a=callee-passport`` value of one SDP body, with its level. Raises
    :class:`ResponseError` (``CALLEE_SDP_MALFORMED``) for text that is not SDP."""
    lines = [ln for ln in sipmessage.lines(text, _KIND) if ln.strip(" \t")]
    if not lines:
        raise ResponseError("the SDP body is empty", code=codes.CALLEE_SDP_MALFORMED)
    if len(lines) > MAX_SDP_LINES:
        raise ResponseError(f"more than {MAX_SDP_LINES} SDP lines", code=codes.CALLEE_SDP_MALFORMED)
    out: list[CalleeAttribute] = []
    level = 0
    for i, ln in enumerate(lines):
        m = _SDP_LINE_RE.match(ln)
        if m is None:
            raise ResponseError(f"SDP line {i + 1} is not <type>=<value>: {ln[:80]!r}", code=codes.CALLEE_SDP_MALFORMED)
        kind, value = m.group(1), m.group(2)
        if i == 0 and kind != "v":
            raise ResponseError(f"the SDP does not start with v=: {ln[:80]!r}", code=codes.CALLEE_SDP_MALFORMED)
        if kind == "m":
            level += 1
        elif kind == "a":
            name, sep, rest = value.partition(":")
            if name.strip().lower() == ATTRIBUTE:
                out.append(CalleeAttribute(rest.strip(" \t") if sep else "", level))
    return tuple(out)


def _parts(body: str, content_type: str, depth: int) -> list[tuple[str | None, str]]:
    """The (Content-Type, body) of each part of a multipart body, nested multiparts flattened."""
    if depth > MAX_MIME_DEPTH:
        raise ResponseError(f"multipart bodies nested deeper than {MAX_MIME_DEPTH}", code=codes.CALLEE_SDP_MALFORMED)
    m = _BOUNDARY_RE.search(content_type)
    if m is None:
        raise ResponseError("a multipart body without a boundary parameter", code=codes.CALLEE_SDP_MALFORMED)
    boundary = m.group(1) or m.group(2)
    delim = "--" + boundary
    lines = body.split("\n")
    chunks: list[list[str]] = []
    current: list[str] | None = None
    for ln in lines:
        bare = ln[:-1] if ln.endswith("\r") else ln
        if bare.rstrip(" \t") == delim + "--":
            if current is not None:
                chunks.append(current)
            current = None
            break
        if bare.rstrip(" \t") == delim:
            if current is not None:
                chunks.append(current)
            current = []
            continue
        if current is not None:
            current.append(ln)
    if current is not None:
        chunks.append(current)  # no closing delimiter: take what came (logs cut the end off)
    if not chunks:
        raise ResponseError(f"the multipart body has no part delimited by {delim!r}", code=codes.CALLEE_SDP_MALFORMED)
    if len(chunks) > MAX_MIME_PARTS:
        raise ResponseError(f"more than {MAX_MIME_PARTS} body parts", code=codes.CALLEE_SDP_MALFORMED)
    out: list[tuple[str | None, str]] = []
    for chunk in chunks:
        if not chunk or not chunk[0].rstrip("\r"):  # no part headers: the default type, text/plain
            out.append((None, "\n".join(chunk[1:])))
            continue
        head, part_body = sipmessage.split_head("\n".join(chunk))
        headers = sipmessage.header_fields(sipmessage.lines(head, _KIND), _KIND, "body part ")
        ctype = next((v for n, v in headers if n == "Content-Type"), None)
        if (_media_type(ctype) or "").startswith("multipart/"):
            out += _parts(part_body, ctype or "", depth + 1)
        else:
            out.append((ctype, part_body))
    return out


def _attributes(body: str, content_type: str | None) -> tuple[CalleeAttribute, ...]:
    mt = _media_type(content_type)
    if not body.strip():
        return ()
    if mt == "application/sdp" or (mt is None and body.lstrip().startswith("v=")):
        return parse_sdp(body)
    if mt is not None and mt.startswith("multipart/"):
        sdp = [b for ct, b in _parts(body, content_type or "", 1) if _media_type(ct) == "application/sdp"]
        if not sdp:
            raise ResponseError("the multipart body has no application/sdp part", code=codes.CALLEE_SDP_MALFORMED)
        return tuple(a for b in sdp for a in parse_sdp(b))
    raise ResponseError(f"the body is {mt or 'untyped and not SDP'}, not application/sdp",
                        code=codes.CALLEE_SDP_MALFORMED)


def parse_response(data: bytes | str) -> SipResponse:
    """Parse a raw SIP response and the callee attributes of its SDP (module docstring); raise
    :class:`ResponseError` with a stable code."""
    text = sipmessage.decode(data, _KIND)
    lines, body = sipmessage.head_lines(text, _KIND)
    m = _STATUS_LINE_RE.match(lines[0])
    if m is None:
        if _REQUEST_LINE_RE.match(lines[0]):
            raise ResponseError("this is a SIP request, not a response")
        raise ResponseError(f"not a SIP status line: {lines[0][:80]!r}")
    headers = sipmessage.header_fields(lines[1:], _KIND, "SIP ")
    call_id, cseq, ctype = (sipmessage.single(headers, n, _KIND) for n in ("Call-ID", "CSeq", "Content-Type"))
    return SipResponse(status=int(m.group(1)), reason=(m.group(2) or "").strip(), headers=headers, call_id=call_id,
                       cseq=" ".join(cseq.split()) if cseq is not None else None, content_type=ctype,
                       attributes=_attributes(body, ctype))
