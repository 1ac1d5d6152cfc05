"""TNAuthList (RFC 8226 §9), the certificate extension that says which numbers a STIR key speaks for.

ASN.1 (the module uses EXPLICIT TAGS)::

    id-pe-TNAuthList OBJECT IDENTIFIER ::= { id-pe 26 }            -- 1.3.6.1.5.5.7.1.26
    TNAuthorizationList ::= SEQUENCE SIZE (1..MAX) OF TNEntry
    TNEntry ::= CHOICE { spc [0] ServiceProviderCode, range [1] TelephoneNumberRange,
                         one [2] TelephoneNumber }
    ServiceProviderCode ::= IA5String
    TelephoneNumberRange ::= SEQUENCE { start TelephoneNumber, count INTEGER (2..MAX), ... }
    TelephoneNumber ::= IA5String (SIZE (1..15)) (FROM ("0123456789#*"))

Why strict: an SPC is not a set of numbers, and a range that is read loosely (a count of 0 or 1,
digits that overflow into a longer number, ``#`` inside a range) silently widens what a key may
sign for. So the DER is decoded by ``cryptography``'s declarative ASN.1 decoder (strict DER: no
indefinite lengths, no non-minimal lengths, no trailing bytes), and the RFC's value constraints
are then checked here: the list is not empty; a TN has 1 to 15 characters from ``0-9#*``; a range
starts at a digits-only TN, counts at least 2, and stays within numbers of the start's length
(``1215555999`` + 2 would roll over into 11 digits, which no real allocation does). The range's
``...`` extension marker is not accepted: no extension has ever been defined, and accepting
unknown trailing fields is how parsers disagree.

Real-world non-conformance this rejects (evidence-formats.md §1.3): libstirshaken's reference
certificate carries a bare IA5String URL instead of the SEQUENCE; zlint's ``shakenTNAuthEmpty``
carries an empty SEQUENCE.

The ATIS-1000080 *profile* rules on top (exactly one SPC made of digits and upper-case letters,
no TNs in an STI end-entity certificate) are judged in :mod:`vvp.stir.certs`, not here: RFC 8226
and RFC 9060 delegate certificates legitimately list TNs and ranges.
"""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from typing import Annotated, Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat import asn1

from vvp import codes
from vvp.errors import EvidenceInvalid

OID_TNAUTHLIST: Final = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26")

# The extension value of a real STI certificate is 10 bytes (one SPC). Delegate certificates can
# list many numbers; 64 KiB (several thousand entries) bounds the work on hostile input while
# staying far above any certificate seen in practice.
MAX_TNAUTHLIST_BYTES: Final = 65536
MAX_TN_CHARS: Final = 15
# An SPC in the US is a 4-character OCN; other countries use longer codes. 64 is generous.
MAX_SPC_CHARS: Final = 64
_TN_CHARS: Final = frozenset("0123456789#*")
_DIGITS: Final = frozenset("0123456789")


# What ``cryptography`` raises for certificate or CRL material it cannot read. Parsing is partly
# lazy (names, extensions, entries), so these can appear on first access, not only on load; and
# some are not ValueErrors (a repeated extension, an unknown version).
X509_PARSE_ERRORS: Final[tuple[type[Exception], ...]] = (
    ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType, x509.InvalidVersion, UnsupportedAlgorithm)


class TNAuthListError(EvidenceInvalid):
    """The extension value is not a strict RFC 8226 TNAuthorizationList."""

    default_code = codes.SHAKEN_TNAUTHLIST_MALFORMED


@asn1.sequence
class _Range:
    start: asn1.IA5String
    count: int


_Entry = (Annotated[asn1.Variant[asn1.IA5String, typing.Literal["spc"]], asn1.Explicit(0)]
          | Annotated[asn1.Variant[_Range, typing.Literal["range"]], asn1.Explicit(1)]
          | Annotated[asn1.Variant[asn1.IA5String, typing.Literal["one"]], asn1.Explicit(2)])


@asn1.sequence
class _Wrapper:
    # The declarative decoder wants a SEQUENCE type at the top, and the extension value is a bare
    # SEQUENCE OF; :func:`parse_tnauthlist` wraps the bytes in one outer SEQUENCE header, so the
    # inner value is decoded exactly as written (its own tag and length are still checked).
    entries: list[_Entry]


@dataclass(frozen=True, slots=True)
class TnRange:
    """``count`` consecutive numbers from ``start`` (same number of digits)."""

    start: str
    count: int

    @property
    def last(self) -> str:
        return str(int(self.start) + self.count - 1).zfill(len(self.start))

    def covers(self, tn: str) -> bool:
        """Whether canonical TN ``tn`` is inside the range (integer arithmetic, same length)."""
        if len(tn) != len(self.start) or not set(tn) <= _DIGITS:
            return False
        return 0 <= int(tn) - int(self.start) < self.count


@dataclass(frozen=True, slots=True)
class TNAuthList:
    """A decoded TNAuthList, entries kept by kind and in order."""

    spcs: tuple[str, ...] = ()
    tns: tuple[str, ...] = ()
    ranges: tuple[TnRange, ...] = ()

    @property
    def lists_numbers(self) -> bool:
        """True when the list names TNs or ranges (then ``orig`` must be among them)."""
        return bool(self.tns or self.ranges)

    def covers(self, tn: str) -> bool:
        """Whether canonical TN ``tn`` is one of the listed TNs or inside a listed range."""
        return tn in self.tns or any(r.covers(tn) for r in self.ranges)

    def describe(self) -> str:
        parts = [f"SPC {s!r}" for s in self.spcs] + [f"TN {t}" for t in self.tns]
        parts += [f"range {r.start}..{r.last} ({r.count})" for r in self.ranges]
        return ", ".join(parts) if parts else "(empty)"


def _check_tn(value: str, where: str) -> str:
    if not 1 <= len(value) <= MAX_TN_CHARS:
        raise TNAuthListError(f"{where} has {len(value)} characters; a TelephoneNumber has 1 to {MAX_TN_CHARS}")
    if not set(value) <= _TN_CHARS:
        raise TNAuthListError(f"{where} {value!r} has characters outside 0-9 # *")
    return value


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def parse_tnauthlist(der: bytes) -> TNAuthList:
    """Decode the extension value ``der`` strictly (module docstring); raise :class:`TNAuthListError`."""
    if len(der) > MAX_TNAUTHLIST_BYTES:
        raise TNAuthListError(f"TNAuthList of {len(der)} bytes exceeds {MAX_TNAUTHLIST_BYTES}")
    if not der or der[0] != 0x30:
        tag = f"0x{der[0]:02x}" if der else "nothing"
        hint = " (an IA5String, as in libstirshaken's reference certificate)" if der[:1] == b"\x16" else ""
        raise TNAuthListError(f"TNAuthList must be a DER SEQUENCE (tag 0x30), found {tag}{hint}")
    try:
        decoded = asn1.decode_der(_Wrapper, b"\x30" + _der_length(len(der)) + der)
    except ValueError as e:
        raise TNAuthListError(f"TNAuthList is not strict RFC 8226 DER: {str(e)[:160]}") from None
    if not decoded.entries:
        raise TNAuthListError("TNAuthList is an empty SEQUENCE; RFC 8226 requires at least one entry")
    spcs: list[str] = []
    tns: list[str] = []
    ranges: list[TnRange] = []
    for n, entry in enumerate(decoded.entries):
        value = entry.value
        if isinstance(value, _Range):
            start = _check_tn(value.start.as_str(), f"entry {n}: range start")
            if not set(start) <= _DIGITS:
                raise TNAuthListError(f"entry {n}: range start {start!r} is not all digits")
            if value.count < 2:
                raise TNAuthListError(f"entry {n}: range count {value.count} is below the RFC 8226 minimum of 2")
            if len(str(int(start) + value.count - 1)) > len(start):
                raise TNAuthListError(f"entry {n}: range {start} + {value.count} runs past {len(start)}-digit numbers")
            ranges.append(TnRange(start, value.count))
        elif entry.tag == "spc":
            spc = value.as_str()
            if len(spc) > MAX_SPC_CHARS:
                raise TNAuthListError(f"entry {n}: SPC longer than {MAX_SPC_CHARS} characters")
            spcs.append(spc)
        else:
            tns.append(_check_tn(value.as_str(), f"entry {n}: TN"))
    return TNAuthList(tuple(spcs), tuple(tns), tuple(ranges))


def tnauthlist_of(cert: x509.Certificate) -> TNAuthList | None:
    """The certificate's TNAuthList, ``None`` when it has none; :class:`TNAuthListError` when the
    extension is there but malformed (or the extensions cannot be read at all). Memoised per
    certificate (the warm SHAKEN path asks about one certificate millions of times)."""
    res = _tnauthlist_memo(cert)
    if isinstance(res, TNAuthListError):
        raise TNAuthListError(res.message, code=res.code)
    return res


@functools.lru_cache(maxsize=4096)
def _tnauthlist_memo(cert: x509.Certificate) -> TNAuthList | TNAuthListError | None:
    try:
        return _tnauthlist_uncached(cert)
    except TNAuthListError as e:
        return e


def _tnauthlist_uncached(cert: x509.Certificate) -> TNAuthList | None:
    try:
        ext = cert.extensions.get_extension_for_oid(OID_TNAUTHLIST)
    except x509.ExtensionNotFound:
        return None
    except X509_PARSE_ERRORS as e:  # duplicate or undecodable extensions
        raise TNAuthListError(f"the certificate's extensions cannot be read: {e}") from None
    value = ext.value
    if not isinstance(value, x509.UnrecognizedExtension):  # a future cryptography may decode it itself
        raise TNAuthListError(f"unexpected decoded TNAuthList type {type(value).__name__}")
    return parse_tnauthlist(value.value)


# --- encoding (test PKIs and the demo world issue certificates with it) -----------------------

def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _ia5(value: str) -> bytes:
    return _tlv(0x16, value.encode("ascii"))


def _integer(n: int) -> bytes:
    raw = n.to_bytes((n.bit_length() + 8) // 8 or 1, "big", signed=True)
    return _tlv(0x02, raw)


def encode_tnauthlist(*, spcs: typing.Sequence[str] = (), tns: typing.Sequence[str] = (),
                      ranges: typing.Sequence[TnRange] = ()) -> bytes:
    """DER of a TNAuthList with the given entries (SPCs, then TNs, then ranges)."""
    entries = [_tlv(0xA0, _ia5(s)) for s in spcs] + [_tlv(0xA2, _ia5(t)) for t in tns]
    entries += [_tlv(0xA1, _tlv(0x30, _ia5(r.start) + _integer(r.count))) for r in ranges]
    return _tlv(0x30, b"".join(entries))


def tnauthlist_extension(der: bytes) -> x509.UnrecognizedExtension:
    """The extension object to add to a certificate builder (non-critical, as ATIS-1000080 says)."""
    return x509.UnrecognizedExtension(OID_TNAUTHLIST, der)
