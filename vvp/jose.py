"""JWS compact serialization, parsed by hand and strictly (architecture §3).

Why not a JOSE library: they accept duplicate JSON keys (the last one wins in one parser, the
first in another, so two verifiers can read two different claims out of one signed token), they
tolerate padding and non-canonical base64url, and they pick the algorithm from the token. Here:

* exactly three segments; an empty payload (the RFC 8225 compact form) is its own error, since
  VVP needs the full form;
* every segment is *canonical* base64url: only ``A-Z a-z 0-9 - _``, no padding, no impossible
  length, and the unused low bits of the last character zero (checked by re-encoding). So one
  token has exactly one spelling, and a changed character always changes the decoded bytes;
* the header and payload are strict JSON in UTF-8: duplicate keys, ``NaN``/``Infinity``, lone
  surrogates, excessive depth or size are refused; both must be objects;
* the signature segment is either plain JWS base64url, or the 88-character CESR ``0B`` form of an
  Ed25519 signature that VVP's -03 draft specifies (vvp-protocol.md §1.5): replace ``0B`` by
  ``AA``, decode 66 bytes, the first two must be zero, the last 64 are the signature. Which one
  was used is recorded (P-21). The signing input is the ASCII of ``header.payload`` as received.

This module judges the *form* of a token only. Whether its ``alg`` is acceptable, and whether its
signature verifies, is for the profile that uses it (:mod:`vvp.caller.passport` for VVP; the SHAKEN
code for ES256), so that an RS256 token is reported as a forbidden algorithm rather than as an
odd-looking signature.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from vvp import codes, strictjson
from vvp.errors import EvidenceInvalid

# --- limits ---------------------------------------------------------------------------------
# Real VVP PASSporTs are about 1.3 KB and SHAKEN ones about 0.6 KB; a payload with many card lines
# and long URLs stays well under 8 KB. 32 KiB leaves room for card data URIs while bounding the
# work done on hostile input (and matches what a SIP header can sensibly carry).
MAX_TOKEN_CHARS: Final = 32768
# A JOSE header holds a handful of short fields (alg, typ, ppt, kid/x5u URL).
MAX_HEADER_SEGMENT_CHARS: Final = 4096
# The largest signature we still want to *read* (to report its algorithm properly) is RSA-8192:
# 1024 bytes, 1366 characters. Ed25519 and ES256 need 86.
MAX_SIGNATURE_SEGMENT_CHARS: Final = 2048
# PASSporT JSON nests three levels ({"orig": {"tn": ["…"]}}); 16 is generous and stops
# recursion bombs long before Python's own limit.
MAX_JSON_DEPTH: Final = 16
# Total JSON values (objects, arrays, scalars) in one header or payload.
MAX_JSON_VALUES: Final = 2048

# CESR "0B": an Ed25519 signature (64 bytes) left-padded to 66 bytes, base64url-encoded, with the
# leading "AA" replaced by the code "0B" (vvp-protocol.md §1.5).
CESR_ED25519_SIG_CODE: Final = "0B"
CESR_ED25519_SIG_CHARS: Final = 88
_CESR_LEAD_BYTES: Final = 2

_B64URL_RE: Final = re.compile(r"\A[A-Za-z0-9_-]*\Z")
# The last character of a canonical segment whose length is 2 or 3 modulo 4: its unused low 4 or
# 2 bits are zero, i.e. its index in the alphabet is a multiple of 16 or of 4.
_CANONICAL_LAST: Final = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}
_URLSAFE_TO_STANDARD: Final = bytes.maketrans(b"-_", b"+/")


class SignatureEncoding(StrEnum):
    """How the third segment carried the signature (recorded for P-21)."""

    JWS = "jws"
    CESR_0B = "cesr-0B"


class JoseError(EvidenceInvalid):
    """A token that is not a strict JWS compact serialization. ``code`` says which rule broke."""

    default_code = codes.JOSE_MALFORMED


@dataclass(frozen=True, slots=True)
class JoseToken:
    """A parsed JWS compact token. ``header`` and ``payload`` are read-only views of the JSON."""

    raw: str
    header_b64: str
    payload_b64: str
    signature_b64: str
    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    signature: bytes
    signature_encoding: SignatureEncoding

    @property
    def signing_input(self) -> bytes:
        """``base64url(header) "." base64url(payload)`` exactly as received (RFC 7515 §5.2)."""
        return f"{self.header_b64}.{self.payload_b64}".encode("ascii")




# --- base64url ------------------------------------------------------------------------------

def b64url_encode(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str, *, what: str = "segment") -> bytes:
    """Decode canonical unpadded base64url, or raise :class:`JoseError` (JOSE_BASE64_INVALID).

    Canonical means the encoding :func:`b64url_encode` would produce for the decoded bytes: the
    standard decoder ignores stray characters and non-zero unused bits, which would let many
    spellings share one meaning.
    """
    tail = len(segment) % 4
    raw: bytes | None = None
    if tail != 1 and "+" not in segment and "/" not in segment and "=" not in segment:
        # The usual case, quickly: once "+", "/" and "=" are ruled out, whatever the strict decoder
        # of the translated text accepts also passes the alphabet and length tests below (and
        # whatever it refuses goes the long way round, for the exact error).
        try:
            raw = binascii.a2b_base64((segment + "=" * (-len(segment) % 4)).encode("ascii")
                                      .translate(_URLSAFE_TO_STANDARD), strict_mode=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None:
        if not _B64URL_RE.match(segment):
            raise JoseError(f"{what} has characters outside the base64url alphabet (or padding)",
                            code=codes.JOSE_BASE64_INVALID)
        if tail == 1:
            raise JoseError(f"{what} has an impossible base64url length {len(segment)}",
                            code=codes.JOSE_BASE64_INVALID)
        try:
            # what base64.urlsafe_b64decode does, without its per-call checks (the alphabet is known)
            raw = binascii.a2b_base64((segment + "=" * (-len(segment) % 4)).encode("ascii")
                                      .translate(_URLSAFE_TO_STANDARD))
        except (binascii.Error, ValueError):
            raise JoseError(f"{what} is not base64url", code=codes.JOSE_BASE64_INVALID) from None
    # Canonical iff re-encoding gives the segment back, i.e. iff the unused bits are zero.
    if tail and segment[-1] not in _CANONICAL_LAST[tail]:
        raise JoseError(f"{what} is not canonical base64url (non-zero unused bits in the last character)",
                        code=codes.JOSE_BASE64_INVALID)
    return raw


# --- strict JSON ----------------------------------------------------------------------------

def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _has_lone_surrogate(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_tree(root: Any, what: str) -> None:
    """Depth, value count, finite numbers and encodable strings, without recursion."""
    count = 0
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_JSON_VALUES:
            raise JoseError(f"{what} holds more than {MAX_JSON_VALUES} JSON values", code=codes.JOSE_JSON_LIMIT)
        if depth > MAX_JSON_DEPTH:
            raise JoseError(f"{what} nests deeper than {MAX_JSON_DEPTH}", code=codes.JOSE_JSON_LIMIT)
        if isinstance(node, dict):
            for k, v in node.items():
                if _has_lone_surrogate(k):
                    raise JoseError(f"{what} has a key with a lone surrogate", code=codes.JOSE_JSON_INVALID)
                stack.append((v, depth + 1))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str):
            if _has_lone_surrogate(node):
                raise JoseError(f"{what} has a string with a lone surrogate", code=codes.JOSE_JSON_INVALID)
        elif isinstance(node, float) and not math.isfinite(node):
            raise JoseError(f"{what} has a number out of range", code=codes.JOSE_JSON_INVALID)


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """:func:`vvp.strictjson.object_pairs`, with the common case (no repeated key) done by
    ``dict`` in C: only when the dict is shorter than the pairs is the repeat looked for."""
    out = dict(pairs)
    if len(out) != len(pairs):
        return strictjson.object_pairs(pairs)  # raises DuplicateKeyError naming the first repeat
    return out


# One decoder for every strict parse (``json.loads`` with hooks makes a new one per call); a
# decoder keeps no state between parses, like the standard library's own shared one.
_STRICT_DECODER: Final = json.JSONDecoder(object_pairs_hook=_object_pairs, parse_constant=strictjson.refuse_constant,
                                          parse_float=_finite_float)
# The decoder's scanner (``JSONDecoder.__init__`` sets it; typeshed does not declare it).
_STRICT_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = _STRICT_DECODER.scan_once  # type: ignore[attr-defined]


def loads_strict(data: bytes, *, what: str = "JSON") -> Any:
    """Parse UTF-8 JSON strictly (module docstring); raise :class:`JoseError` on any breach."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise JoseError(f"{what} is not UTF-8", code=codes.JOSE_JSON_INVALID) from None
    try:
        if text.startswith("\ufeff"):  # as json.loads refuses it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        # What ``decode`` does when the text starts with its value and ends with it (a token's
        # JSON always does), without its two Python frames and whitespace matches: the scanner
        # from offset 0 is the very call ``decode`` makes then, so it raises what ``decode``
        # would. Leading whitespace (the scanner stops at once), trailing whitespace or extra
        # data go through ``decode`` itself, for its reading and its messages.
        try:
            value, end = _STRICT_SCAN(text, 0)
        except StopIteration:
            end = -1
        if end != len(text):
            value = _STRICT_DECODER.decode(text)
    except strictjson.DuplicateKeyError as e:
        raise JoseError(f"{what} repeats the key {e.key!r}", code=codes.JOSE_JSON_DUPLICATE_KEY) from None
    except RecursionError:
        raise JoseError(f"{what} nests too deeply", code=codes.JOSE_JSON_LIMIT) from None
    except ValueError as e:  # JSONDecodeError, int digit limit, refused constants
        raise JoseError(f"{what} is not valid JSON: {str(e)[:120]}", code=codes.JOSE_JSON_INVALID) from None
    # The tree walk is needed only when the text could break a limit: depth is at most the number
    # of opening brackets, the value count at most one more than commas plus opening brackets (an
    # overcount when strings hold such characters, which only makes the walk run), and a lone
    # surrogate can only come from a \u escape, strict UTF-8 decoding refusing encoded ones.
    opens = text.count("[") + text.count("{")
    if opens > MAX_JSON_DEPTH or opens + text.count(",") + 1 > MAX_JSON_VALUES or "\\u" in text:
        _check_tree(value, what)
    return value


def _object(segment: str, what: str) -> Mapping[str, Any]:
    value = loads_strict(b64url_decode(segment, what=what), what=what)
    if not isinstance(value, dict):
        raise JoseError(f"{what} is not a JSON object", code=codes.JOSE_NOT_OBJECT)
    return MappingProxyType(value)


# --- compact serialization ------------------------------------------------------------------

def _split(token: str) -> tuple[str, str, str]:
    if len(token) > MAX_TOKEN_CHARS:
        raise JoseError(f"token longer than {MAX_TOKEN_CHARS} characters", code=codes.JOSE_TOO_LARGE)
    parts = token.split(".")
    if len(parts) != 3:
        raise JoseError(f"a JWS compact token has 3 segments, this one has {len(parts)}")
    h, p, s = parts
    if not h:
        raise JoseError("the JOSE header segment is empty")
    if len(h) > MAX_HEADER_SEGMENT_CHARS:
        raise JoseError(f"JOSE header segment longer than {MAX_HEADER_SEGMENT_CHARS} characters",
                        code=codes.JOSE_TOO_LARGE)
    if not p:
        raise JoseError("the payload segment is empty: compact-form PASSporTs are not accepted",
                        code=codes.JOSE_DETACHED_PAYLOAD)
    if len(s) > MAX_SIGNATURE_SEGMENT_CHARS:
        raise JoseError(f"signature segment longer than {MAX_SIGNATURE_SEGMENT_CHARS} characters",
                        code=codes.JOSE_TOO_LARGE)
    return h, p, s


def decode_signature(segment: str) -> tuple[bytes, SignatureEncoding]:
    """The signature bytes of the third segment and the encoding it used (module docstring)."""
    if len(segment) == CESR_ED25519_SIG_CHARS and segment.startswith(CESR_ED25519_SIG_CODE):
        raw = b64url_decode("AA" + segment[len(CESR_ED25519_SIG_CODE):], what="CESR 0B signature")
        if raw[:_CESR_LEAD_BYTES] != b"\x00" * _CESR_LEAD_BYTES:
            raise JoseError("CESR 0B signature: the two lead bytes are not zero",
                            code=codes.JOSE_SIGNATURE_ENCODING)
        return raw[_CESR_LEAD_BYTES:], SignatureEncoding.CESR_0B
    return b64url_decode(segment, what="signature segment"), SignatureEncoding.JWS


@functools.lru_cache(maxsize=1024)
def header_object(segment: str) -> Mapping[str, Any]:
    """The JOSE header a header segment encodes (strict, as for any segment), parsed once per
    distinct segment: every call a signer makes carries the same header (alg, typ, ppt, kid), and
    the result is a read-only view (nothing in vvp changes what it holds, so tokens can share it).
    A segment that fails raises every time (nothing is cached)."""
    return _object(segment, "JOSE header")


def decode_header(token: str) -> Mapping[str, Any]:
    """Only the JOSE header of ``token``, with the same strictness (used to route Identity values)."""
    h, _, _ = _split(token)
    return header_object(h)


def parse_compact(token: str) -> JoseToken:
    """Parse a JWS compact token strictly; raise :class:`JoseError` with the rule that broke.
    The token's ``header`` is :func:`header_object` of its ``header_b64`` (the same object for
    every token with that header)."""
    h, p, s = _split(token)
    header = header_object(h)
    payload = _object(p, "payload")
    signature, encoding = decode_signature(s)
    return JoseToken(raw=token, header_b64=h, payload_b64=p, signature_b64=s, header=header,
                     payload=payload, signature=signature, signature_encoding=encoding)


def encode_cesr_0b(signature: bytes) -> str:
    """The CESR ``0B`` form of a 64-byte Ed25519 signature (the inverse of :func:`decode_signature`)."""
    if len(signature) != 64:
        raise ValueError("a CESR 0B signature holds exactly 64 bytes")
    return CESR_ED25519_SIG_CODE + b64url_encode(b"\x00" * _CESR_LEAD_BYTES + signature)[2:]
