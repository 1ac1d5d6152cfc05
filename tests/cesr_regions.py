"""Where each byte of a CESR v1 stream sits: message body, counter, or which attachment group.

The tamper sweeps (``tests/test_tamper_sweep.py``) flip every byte of a stream (or a sample) and
must explain each flip that still verifies by *what* was flipped: an unsigned attachment such as
a first-seen datetime is allowed to change without changing the verdict, a signed body is not.
This walker frames a stream the way CESR v1 does (JSON messages by their version string's size,
count codes ``-X##`` / ``-0X#####``, primitives by their code's size), from the code tables of the
CESR specification (no keri import: tests stay outside ``vvp/_keri``). It knows the groups keri
writes for KELs, TELs and ACDC dossiers; an unknown code raises, so a sweep never silently
misclassifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64_INDEX = {c: i for i, c in enumerate(B64)}
_VERSION = re.compile(rb'\{"v":"(KERI|ACDC)10JSON([0-9a-f]{6})_"')

# Fixed sizes of one-character and small matter codes (CESR spec, Matter code table).
_MATTER_1 = {"A": 44, "B": 44, "C": 44, "D": 44, "E": 44, "F": 44, "G": 44, "H": 44, "I": 44, "J": 44, "K": 76,
             "L": 76, "M": 4, "N": 12, "O": 44, "P": 124, "Q": 44, "R": 8, "S": 16, "T": 20, "U": 24, "V": 4,
             "W": 4, "X": 4, "Y": 8, "Z": 44}
_MATTER_2 = {"0A": 24, "0B": 88, "0C": 88, "0D": 88, "0E": 88, "0F": 88, "0G": 88, "0H": 8, "0I": 88, "0J": 4,
             "0K": 4, "0L": 8, "0M": 8, "0N": 12, "0O": 12, "0P": 32, "0Q": 28, "0R": 76, "0S": 72}
_MATTER_4 = {"1AAA": 48, "1AAB": 48, "1AAC": 80, "1AAD": 80, "1AAE": 156, "1AAF": 8, "1AAG": 36, "1AAH": 100,
             "1AAI": 48, "1AAJ": 48, "1AAK": 4, "1AAL": 4, "1AAM": 4, "1AAN": 12}
# Indexed signatures (Indexer code table).
_INDEXED = {"A": 88, "B": 88, "C": 88, "D": 88, "E": 88, "F": 88, "0A": 156, "0B": 156, "2A": 92, "2B": 92,
            "2C": 92, "2D": 92, "2E": 92, "2F": 92, "3A": 160, "3B": 160}

# What one item of each counted group holds: "m" a matter primitive, "i" an indexed signature,
# "A" a nested controller-signature group. Quadlet-counted groups (-V, -L) are walked inside.
_GROUPS = {
    "A": "i",  # ControllerIdxSigs
    "B": "i",  # WitnessIdxSigs
    "C": "mm",  # NonTransReceiptCouples (prefix, signature)
    "D": "mmmi",  # TransReceiptQuadruples
    "E": "mm",  # FirstSeenReplayCouples (ordinal, datetime)
    "F": "mmmA",  # TransIdxSigGroups (prefix, sn, digest, signatures)
    "G": "mm",  # SealSourceCouples (sn, digest)
    "H": "mA",  # TransLastIdxSigGroups (prefix, signatures)
    "I": "mmm",  # SealSourceTriples (prefix, sn, digest)
}
GROUP_NAMES = {"A": "controller signatures", "B": "witness receipts", "C": "non-transferable receipt couples",
               "D": "transferable receipt quadruples", "E": "first-seen ordinal and datetime",
               "F": "transferable signature groups", "G": "seal-source couples", "H": "last-establishment signature "
               "groups", "I": "seal-source triples", "L": "pathed material", "V": "attachment group"}


@dataclass(frozen=True, slots=True)
class Region:
    """Bytes ``[start, end)`` of one kind: ``body`` (a KERI or ACDC message), ``counter`` (a count
    code), or ``-X`` (an item of attachment group X, ``-F/-A`` when nested)."""

    start: int
    end: int
    kind: str


class CesrFramingError(ValueError):
    """The stream holds a code this walker does not know (the sweep must not guess)."""


def _b64int(text: str) -> int:
    n = 0
    for c in text:
        n = n * 64 + _B64_INDEX[c]
    return n


def _matter_size(s: str, i: int) -> int:
    c = s[i]
    if c.isalpha():
        return _MATTER_1[c]
    if c == "0":
        return _MATTER_2[s[i:i + 2]]
    if c in "123":
        return _MATTER_4[s[i:i + 4]]
    if c in "456":
        return 4 + 4 * _b64int(s[i + 2:i + 4])
    if c in "789":
        return 8 + 4 * _b64int(s[i + 4:i + 8])
    raise CesrFramingError(f"unknown matter code at {i}: {s[i:i + 4]!r}")


def _indexed_size(s: str, i: int) -> int:
    code = s[i] if s[i].isalpha() else s[i:i + 2]
    if code not in _INDEXED:
        raise CesrFramingError(f"unknown indexed signature code at {i}: {s[i:i + 4]!r}")
    return _INDEXED[code]


def _counter(s: str, i: int) -> tuple[str, int, int]:
    """(group letter, count, counter length) of the count code at ``i``."""
    if s[i] != "-":
        raise CesrFramingError(f"expected a count code at {i}: {s[i:i + 8]!r}")
    if s[i + 1] == "0":
        return s[i + 2], _b64int(s[i + 3:i + 8]), 8
    return s[i + 1], _b64int(s[i + 2:i + 4]), 4


def _group(s: str, i: int, out: list[Region], prefix: str) -> int:
    """Walk one counted group at ``i``; returns where it ends."""
    letter, count, clen = _counter(s, i)
    out.append(Region(i, i + clen, "counter"))
    j = i + clen
    if letter in ("V", "L"):  # counted in quadlets: everything inside is framed again
        end = j + 4 * count
        if letter == "L":  # a path primitive, then groups
            size = _matter_size(s, j)
            out.append(Region(j, j + size, f"{prefix}-L"))
            j += size
        while j < end:
            j = _group(s, j, out, f"{prefix}-{letter}/" if letter == "L" else prefix)
        return end
    shape = _GROUPS.get(letter)
    if shape is None:
        raise CesrFramingError(f"unknown group -{letter} at {i}")
    kind = f"{prefix}-{letter}"
    for _ in range(count):
        for part in shape:
            if part == "A":
                j = _group(s, j, out, f"{kind}/")
                continue
            size = _matter_size(s, j) if part == "m" else _indexed_size(s, j)
            out.append(Region(j, j + size, kind))
            j += size
    return j


def regions(stream: bytes) -> list[Region]:
    """Every byte of ``stream`` in exactly one region, in order (raises CesrFramingError)."""
    s = stream.decode("ascii")
    out: list[Region] = []
    i = 0
    while i < len(s):
        m = _VERSION.match(stream, i)
        if m is not None:
            size = int(m.group(2), 16)
            out.append(Region(i, i + size, f"body:{m.group(1).decode()}"))
            i += size
            continue
        i = _group(s, i, out, "")
    covered = sum(r.end - r.start for r in out)
    if covered != len(s) or out[-1].end != len(s):
        raise CesrFramingError(f"regions cover {covered} of {len(s)} bytes")
    return out


def kind_at(regs: list[Region], pos: int) -> str:
    """The kind of the region holding byte ``pos`` (binary search over ``regs``)."""
    lo, hi = 0, len(regs)
    while lo < hi:
        mid = (lo + hi) // 2
        if regs[mid].end <= pos:
            lo = mid + 1
        else:
            hi = mid
    r = regs[lo]
    assert r.start <= pos < r.end
    return r.kind
