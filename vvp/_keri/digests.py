"""CESR digests of arbitrary bytes (foreign artifacts bound by a bridging ACDC's ``art_digest`` or
``content_identifier``), computed by keri's own ``Diger``: nothing here re-implements CESR.

A CESR digest names its algorithm in its code (``E`` Blake3-256, ``F`` Blake2b-256, ``G``
Blake2s-256, ``H`` SHA3-256, ``I`` SHA2-256, and the 512-bit ``0D``..``0G``), so the verifier
recomputes exactly the digest the bridge committed to. Anything that is not a digest code keri
knows is reported as unsupported (None), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from keri import kering
from keri.core import coring


@dataclass(frozen=True, slots=True)
class DigestCheck:
    """``matches`` None when ``qb64`` is not a CESR digest keri can compute (``reason`` says why)."""

    matches: bool | None
    algorithm: str | None
    reason: str = ""


_NAMES = {getattr(coring.DigDex, n): n for n in dir(coring.DigDex) if not n.startswith("_")}


def check_digest(qb64: str, data: bytes) -> DigestCheck:
    """Whether ``data`` hashes to the CESR digest ``qb64`` with the algorithm its code names."""
    if not qb64 or len(qb64) > 256:
        return DigestCheck(None, None, "not a CESR digest string")
    try:
        diger = coring.Diger(qb64=qb64)
    except (kering.KeriError, ValueError, TypeError, KeyError, IndexError) as e:
        return DigestCheck(None, None, f"not a CESR digest keri reads: {type(e).__name__}: {str(e)[:120]}")
    if diger.qb64 != qb64:
        return DigestCheck(None, None, "characters follow the CESR digest")
    if diger.code not in _NAMES:
        return DigestCheck(None, None, f"code {diger.code!r} is not a digest code")
    return DigestCheck(bool(diger.verify(ser=data)), _NAMES[diger.code])


def compute_digest(data: bytes, algorithm: str = "Blake3_256") -> str:
    """The CESR digest (qb64) of ``data`` with a ``DigDex`` algorithm name (test worlds bind artifacts with it)."""
    return str(coring.Diger(ser=data, code=getattr(coring.DigDex, algorithm)).qb64)
