"""``did:key`` and Multikey (base58btc multibase) for W3C Data Integrity proofs.

A ``did:key`` is self-certifying: the DID is the public key, ``z`` + base58btc(multicodec prefix ‖
key bytes). Only the two key types the cryptosuites here use are read: Ed25519 (prefix
``0xed 0x01``, 32 bytes, DIDs starting ``z6Mk``) and P-256 (prefix ``0x80 0x24``, a 33-byte
compressed point, DIDs starting ``zDn``). Its verification method is ``did:key:<mb>#<mb>`` (the
did:key method spec): another fragment names no key of that DID.

base58btc is written here (a few lines) rather than taken from a package: the alphabet and the
leading-zero rule are all there is, and decoding refuses any character outside the alphabet.
"""

from __future__ import annotations

from typing import Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX: Final = {c: i for i, c in enumerate(_ALPHABET)}
_ED25519_PREFIX: Final = b"\xed\x01"
_P256_PREFIX: Final = b"\x80\x24"
MAX_MULTIBASE_CHARS: Final = 200
"""A P-256 Multikey is 48 characters, an Ed25519 one 48, a P-384 signature 132: room to spare."""


class DidKeyError(ValueError):
    """Not a did:key / Multikey / multibase value this verifier can use."""


def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_ALPHABET[r])
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    if len(text) > MAX_MULTIBASE_CHARS:
        raise DidKeyError(f"base58 value longer than {MAX_MULTIBASE_CHARS} characters")
    n = 0
    for c in text:
        i = _INDEX.get(c)
        if i is None:
            raise DidKeyError(f"{c!r} is not a base58btc character")
        n = n * 58 + i
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + body


def multibase_decode(value: str) -> bytes:
    """A ``z``-prefixed (base58btc) multibase value; the only base Data Integrity uses."""
    if not value.startswith("z"):
        raise DidKeyError("multibase value does not use base58btc (prefix 'z')")
    return b58decode(value[1:])


def multikey_public_key(mb: str) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
    """The public key of an Ed25519 or P-256 Multikey value."""
    raw = multibase_decode(mb)
    if raw.startswith(_ED25519_PREFIX) and len(raw) == 34:
        return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])
    if raw.startswith(_P256_PREFIX) and len(raw) == 35:
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        except ValueError:
            raise DidKeyError("the P-256 Multikey is not a point on the curve") from None
    raise DidKeyError("Multikey is neither Ed25519 (0xed01, 32 bytes) nor P-256 (0x8024, 33 bytes)")


def parse_did_key(did: str) -> tuple[str, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey]:
    """``did:key:<mb>`` → (mb, key)."""
    if not did.startswith("did:key:"):
        raise DidKeyError(f"not a did:key: {did[:60]!r}")
    mb = did[len("did:key:"):]
    return mb, multikey_public_key(mb)


def did_key_verification_method(vm: str) -> tuple[str, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey]:
    """``did:key:<mb>#<mb>`` → (the DID, its key); the fragment must repeat the key."""
    did, sep, fragment = vm.partition("#")
    mb, key = parse_did_key(did)
    if not sep or fragment != mb:
        raise DidKeyError("a did:key verification method is did:key:<key>#<key>")
    return did, key


def encode_ed25519_multikey(raw: bytes) -> str:
    """``z`` + base58btc(0xed01 ‖ key): the Multikey of a raw Ed25519 public key (fixtures)."""
    return "z" + b58encode(_ED25519_PREFIX + raw)


def encode_p256_multikey(compressed: bytes) -> str:
    """``z`` + base58btc(0x8024 ‖ compressed point): a P-256 Multikey (fixtures)."""
    return "z" + b58encode(_P256_PREFIX + compressed)
