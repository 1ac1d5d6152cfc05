"""Identity header field values (RFC 8224 §4) and routing them by PASSporT type.

Grammar (RFC 8224 §4 with erratum 6499, evidence-formats.md §1.1)::

    Identity = "Identity" HCOLON signed-identity-digest SEMI ident-info *( SEMI ident-info-params )
    signed-identity-digest = 1*(base64url-char / ".")
    ident-info        = "info" EQUAL "<" absoluteURI ">"
    ident-info-params = "alg" EQUAL token / "ppt" EQUAL token / generic-param

What this parser accepts, and why:

* The value only, without the ``Identity:`` name (``--identity VALUE``, the HTTP API). A raw
  header that may hold several comma-separated values is split with :func:`split_header_values`.
* ``info`` is *not* required: the VVP draft never says what it holds (vvp-protocol.md §1.1), and
  it is never used for trust. It may be bracketed (as RFC 8224 says) or bare (as some senders
  write it); quoted parameter values are unquoted. Whitespace is allowed around ``;`` and ``=``.
* Parameter names are case-insensitive (RFC 3261 §7.3.1) and may not repeat: a value with two
  ``ppt`` parameters could be routed two ways.
* The token must be base64url and dots; anything else is refused here, before any JOSE parsing.

Routing (:func:`route_identities`): a value is VVP, SHAKEN, RCD or other by its ``ppt``
parameter, or, when the parameter is absent, by the ``ppt`` of its JOSE header. The parameter wins
because that is what scanners route on; profiles then check that the two agree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from vvp import codes, jose
from vvp.errors import EvidenceInvalid, VvpError

# The token is bounded by the JOSE limit; parameters (info URL, alg, ppt, extensions) add a little.
MAX_IDENTITY_VALUE_CHARS: Final = jose.MAX_TOKEN_CHARS + 4096
# RFC 8224 defines three parameters; a handful of extensions is plausible, dozens are not.
MAX_IDENTITY_PARAMS: Final = 32
# One INVITE realistically carries SHAKEN, RCD, DIV and VVP PASSporTs; 16 is a generous cap.
MAX_IDENTITY_VALUES: Final = 16

_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_.\-]+")
# RFC 3261 token characters, for parameter names.
_PNAME_RE: Final = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
# A bare parameter value: a token, a host (with ':' and IPv6 brackets) or an unbracketed URL.
_PVALUE_RE: Final = re.compile(r"[^\s;,\"<>]+")
_WS: Final = " \t"


class IdentityError(EvidenceInvalid):
    """An Identity header value that does not follow the grammar in the module docstring."""

    default_code = codes.IDENTITY_MALFORMED


@dataclass(frozen=True, slots=True)
class IdentityValue:
    """One parsed Identity header value.

    ``params`` keeps every parameter in order with lower-cased names (``None`` for a parameter
    without ``=value``); ``info``, ``alg`` and ``ppt`` are the same values picked out.
    """

    raw: str
    token: str
    info: str | None
    alg: str | None
    ppt: str | None
    params: tuple[tuple[str, str | None], ...]

    def param(self, name: str) -> str | None:
        """The value of parameter ``name`` (case-insensitive), ``None`` when absent or valueless."""
        n = name.lower()
        for k, v in self.params:
            if k == n:
                return v
        return None

    def has_param(self, name: str) -> bool:
        n = name.lower()
        return any(k == n for k, _ in self.params)


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def _quoted(s: str, i: int) -> tuple[str, int]:
    """Parse an RFC 3261 quoted-string starting at ``s[i] == '"'``; return (text, next index)."""
    out: list[str] = []
    i += 1
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            if i + 1 >= len(s):
                break
            out.append(s[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        if ch in "\r\n":
            break
        out.append(ch)
        i += 1
    raise IdentityError("unterminated quoted parameter value")


# The usual spelling, recognised in one step (:func:`_usual_params`): no whitespace, no quoted
# values, every parameter ``;name``, ``;name=<URI>`` or ``;name=bare``. Each piece is exactly what
# the general parser below would take at that point (the same character classes, narrowed to no
# whitespace), and the delimiters ``;`` ``=`` ``<`` ``>`` belong to none of them, so there is
# one way to match and it is the general parser's reading; anything else goes the general way.
_TOKEN_ALL_RE: Final = re.compile(r"[A-Za-z0-9_.\-]+")
_USUAL_PARAM: Final = r";([A-Za-z0-9\-.!%*_+`'~]++)(?:=(?:<([^<>\s\"]++)>|([^\s;,\"<>]++)))?"
_USUAL_PARAMS_RE: Final = re.compile(f"(?:{_USUAL_PARAM})*+")
_USUAL_PARAM_RE: Final = re.compile(_USUAL_PARAM)
# Parameter texts remembered (a sender writes the same ones call after call): only short ones.
_MAX_SHARED_PARAMS_CHARS: Final = 2048

_UsualParams = tuple[tuple[tuple[str, str | None], ...], str | None, str | None, str | None]


@functools.lru_cache(maxsize=256)
def _usual_params(text: str) -> _UsualParams | None:
    """(params, info, alg, ppt) of the parameters that follow the token, when ``text`` is in the
    usual spelling and breaks no rule (no repeated name, at most :data:`MAX_IDENTITY_PARAMS`);
    None otherwise, for the general parser to read (and to name the rule that broke). A function
    of the exact text, remembered: the result is immutable."""
    if _USUAL_PARAMS_RE.fullmatch(text) is None:
        return None
    params = tuple([(name.lower(), uri or bare or None) for name, uri, bare in _USUAL_PARAM_RE.findall(text)])
    if len(params) > MAX_IDENTITY_PARAMS:
        return None
    d = dict(params)
    if len(d) != len(params):
        return None
    return params, d.get("info"), d.get("alg"), d.get("ppt")


def parse_identity(value: str) -> IdentityValue:
    """Parse one Identity header value (module docstring); raise :class:`IdentityError`."""
    if len(value) > MAX_IDENTITY_VALUE_CHARS:
        raise IdentityError(f"Identity value longer than {MAX_IDENTITY_VALUE_CHARS} characters")
    s = value.strip(" \t\r\n")
    semi = s.find(";")
    token = s if semi < 0 else s[:semi]
    if _TOKEN_ALL_RE.fullmatch(token) is not None:
        rest = "" if semi < 0 else s[semi:]
        usual = _usual_params(rest) if len(rest) <= _MAX_SHARED_PARAMS_CHARS else None
        if usual is not None:
            return IdentityValue(raw=value, token=token, info=usual[1], alg=usual[2], ppt=usual[3], params=usual[0])
    return _parse_identity(value, s)


def _parse_identity(value: str, s: str) -> IdentityValue:
    """:func:`parse_identity` of ``value`` (stripped: ``s``) the general way, one character at a time."""
    m = _TOKEN_RE.match(s)
    if m is None:
        raise IdentityError("the Identity value does not start with a base64url PASSporT")
    token = m.group(0)
    i = m.end()
    params: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    while True:
        i = _skip_ws(s, i)
        if i >= len(s):
            break
        if s[i] != ";":
            raise IdentityError(f"unexpected {s[i]!r} at position {i} of the Identity value "
                                "(expected ';' before a parameter)")
        i = _skip_ws(s, i + 1)
        pm = _PNAME_RE.match(s, i)
        if pm is None:
            raise IdentityError(f"missing parameter name at position {i} of the Identity value")
        name = pm.group(0).lower()
        i = _skip_ws(s, pm.end())
        pval: str | None = None
        if i < len(s) and s[i] == "=":
            i = _skip_ws(s, i + 1)
            if i < len(s) and s[i] == "<":
                end = s.find(">", i + 1)
                if end < 0:
                    raise IdentityError(f"unterminated <URI> in parameter {name!r}")
                pval = s[i + 1:end].strip(_WS)
                if not pval or any(c in pval for c in "<> \t\""):
                    raise IdentityError(f"parameter {name!r} has a malformed <URI>")
                i = end + 1
            elif i < len(s) and s[i] == '"':
                pval, i = _quoted(s, i)
            else:
                vm = _PVALUE_RE.match(s, i)
                if vm is None:
                    raise IdentityError(f"parameter {name!r} has no value after '='")
                pval = vm.group(0)
                i = vm.end()
        if name in seen:
            raise IdentityError(f"parameter {name!r} appears twice in the Identity value")
        seen.add(name)
        params.append((name, pval))
        if len(params) > MAX_IDENTITY_PARAMS:
            raise IdentityError(f"more than {MAX_IDENTITY_PARAMS} parameters in the Identity value")
    d = dict(params)
    return IdentityValue(raw=value, token=token, info=d.get("info"), alg=d.get("alg"), ppt=d.get("ppt"),
                         params=tuple(params))


def split_header_values(header_value: str) -> list[str]:
    """Split a header field value at commas outside quotes and angle brackets.

    RFC 3261 §7.3.1 lets a sender combine header fields into one, comma-separated. Identity
    values contain no top-level commas (base64url tokens, token or quoted parameter values, a
    bracketed URI), so a top-level comma always separates two values. Empty pieces are dropped.
    """
    out: list[str] = []
    buf: list[str] = []
    in_quotes = False
    in_angle = False
    escaped = False
    for ch in header_value:
        if in_quotes:
            buf.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_quotes = False
            continue
        if ch == '"':
            in_quotes = True
        elif ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        elif ch == "," and not in_angle:
            piece = "".join(buf).strip(" \t")
            if piece:
                out.append(piece)
            buf = []
            continue
        buf.append(ch)
    piece = "".join(buf).strip(" \t")
    if piece:
        out.append(piece)
    return out


# --- routing --------------------------------------------------------------------------------

class PptKind(StrEnum):
    """Which profile a PASSporT belongs to."""

    VVP = "vvp"
    SHAKEN = "shaken"
    RCD = "rcd"
    OTHER = "other"


class PptSource(StrEnum):
    """Where the ``ppt`` used for routing came from."""

    PARAM = "param"
    HEADER = "header"


@dataclass(frozen=True, slots=True)
class RoutedIdentity:
    """An Identity value with its profile. ``ppt`` is the value routed on (as written), or
    ``None`` when neither the parameter nor the JOSE header has one; ``header_error`` is the code
    of the failure when the JOSE header had to be read and could not be."""

    value: IdentityValue
    kind: PptKind
    ppt: str | None
    ppt_source: PptSource | None
    header_error: str | None = None


@dataclass(frozen=True, slots=True)
class MalformedIdentity:
    """An Identity value that could not be parsed at all, with the stable code of the reason."""

    raw: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class IdentityRouting:
    """Every Identity value of a call, routed, in input order; unparseable ones kept aside."""

    routed: tuple[RoutedIdentity, ...]
    malformed: tuple[MalformedIdentity, ...]

    def of_kind(self, kind: PptKind) -> tuple[RoutedIdentity, ...]:
        return tuple(r for r in self.routed if r.kind is kind)

    @property
    def vvp(self) -> tuple[RoutedIdentity, ...]:
        return self.of_kind(PptKind.VVP)

    @property
    def shaken(self) -> tuple[RoutedIdentity, ...]:
        return self.of_kind(PptKind.SHAKEN)

    @property
    def rcd(self) -> tuple[RoutedIdentity, ...]:
        return self.of_kind(PptKind.RCD)

    @property
    def other(self) -> tuple[RoutedIdentity, ...]:
        return self.of_kind(PptKind.OTHER)


_KINDS: Final = {k.value: k for k in PptKind}


def _kind(ppt: str) -> PptKind:
    return _KINDS.get(ppt.lower(), PptKind.OTHER)


def classify(value: IdentityValue) -> RoutedIdentity:
    """Route one value by its ``ppt`` parameter, else by its JOSE header's ``ppt``."""
    if value.ppt is not None:
        return RoutedIdentity(value, _kind(value.ppt), value.ppt, PptSource.PARAM)
    try:
        header = jose.decode_header(value.token)
    except jose.JoseError as e:
        return RoutedIdentity(value, PptKind.OTHER, None, None, header_error=e.code)
    ppt = header.get("ppt")
    if isinstance(ppt, str):
        return RoutedIdentity(value, _kind(ppt), ppt, PptSource.HEADER)
    return RoutedIdentity(value, PptKind.OTHER, None, None)


def route_identities(values: Iterable[str]) -> IdentityRouting:
    """Parse and route every Identity value; never raises for bad values (they are kept in
    ``malformed`` with their code). More than :data:`MAX_IDENTITY_VALUES` values: the extra ones
    are reported as malformed rather than silently dropped."""
    routed: list[RoutedIdentity] = []
    bad: list[MalformedIdentity] = []
    for n, raw in enumerate(values):
        if n >= MAX_IDENTITY_VALUES:
            bad.append(MalformedIdentity(raw, codes.IDENTITY_MALFORMED,
                                         f"more than {MAX_IDENTITY_VALUES} Identity values; this one was not read"))
            continue
        try:
            routed.append(classify(parse_identity(raw)))
        except VvpError as e:
            bad.append(MalformedIdentity(raw, e.code, e.message))
    return IdentityRouting(tuple(routed), tuple(bad))
