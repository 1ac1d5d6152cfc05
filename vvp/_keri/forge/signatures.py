"""Ed25519 signatures made with keri's ``Signer`` from a qb64 seed, for test worlds.

A PASSporT's JWS signature (RFC 7515 signing input, Ed25519) travels either plain (the 64 raw
bytes in base64url) or in CESR, keri's own qb64 of an Ed25519 signature (code ``0B``): the
signing and the CESR text are keri's, the JWS around them is the caller's business.
"""

from __future__ import annotations

import hashlib

from keri.core import coring, signing


def ed25519_sign(seed: str, data: bytes, *, transferable: bool = True) -> bytes:
    """The 64 raw bytes of the Ed25519 signature over ``data`` by the key of qb64 ``seed``."""
    cigar = signing.Signer(qb64=seed, transferable=transferable).sign(data)
    return bytes(cigar.raw)


def cesr_ed25519_signature(raw: bytes) -> str:
    """64 raw Ed25519 signature bytes as keri's qb64 (``0B`` and 86 characters)."""
    return str(coring.Cigar(raw=raw, code=coring.MtrDex.Ed25519_Sig).qb64)


def nontransferable_seed(label: str, *, person: bytes) -> str:
    """A non-transferable Ed25519 seed (qb64) derived from a label: the same key on every run."""
    raw = hashlib.blake2b(label.encode("utf-8"), digest_size=32, person=person).digest()
    return str(signing.Signer(raw=raw, transferable=False).qb64)
