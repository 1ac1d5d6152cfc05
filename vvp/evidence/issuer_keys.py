"""Where the foreign-evidence checkers find an issuer's public keys, and what they refuse.

SD-JWT (``foreign.sd_jwt_issuers``) and W3C VC (``foreign.vc_issuers`` with a JWK set) issuers
are trusted through the same kind of file (:mod:`vvp.evidence._jwk`: JWK sets, issuer metadata,
PEM keys and certificates), found the same way: the bytes the trust store read when it was
loaded (``ForeignTrust.files``, recorded with the store), or, for a ForeignTrust made by hand
(tests, tools), the path read now. Both refuse the same way too: no issuer configured at all is
INDETERMINATE ``FOREIGN_ANCHOR_NOT_CONFIGURED`` (nothing to check against, which is not the
artifact's fault); a file that cannot be read or parsed is not an exception but a *problem*
string kept beside the keys that did load, so that the checker can still verify with those and
say INDETERMINATE (its own ``*_ISSUER_KEYS_INVALID`` code) only when they do not suffice.

What stays with each format is which configured key may verify which token: SD-JWT matches
``iss``, ``alg`` and ``kid`` and accepts ``x5c`` chains to the anchors here
(:mod:`vvp.evidence.sdjwt`); W3C VC matches the proof's verification method against a
``did:key`` issuer or the issuer's JWK set (:mod:`vvp.evidence.w3cvc`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sized
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from vvp import codes
from vvp.evidence._jwk import TrustedKey, load_key_file
from vvp.evidence._trustfiles import read_trust_file
from vvp.evidence.refusal import indeterminate


@dataclass(frozen=True, slots=True)
class IssuerKeys:
    """The keys and ``x5c`` anchor certificates of some trust files, and the files that failed
    (``"<source>: <why>"``, in file order)."""

    keys: tuple[TrustedKey, ...] = ()
    anchors: tuple[x509.Certificate, ...] = ()
    problems: tuple[str, ...] = ()


def load_issuer_keys(sources: Iterable[tuple[str, bytes | Path]]) -> IssuerKeys:
    """The keys of each ``(source name, bytes or path)``: bytes as the trust store read them when
    it was loaded, a path read now. ``source`` names the file in each key (``TrustedKey.source``)
    and in its problem; a file that cannot be read or parsed is a problem, never an exception."""
    keys: list[TrustedKey] = []
    anchors: list[x509.Certificate] = []
    problems: list[str] = []
    for name, source in sources:
        try:
            kf = load_key_file(source if isinstance(source, bytes) else read_trust_file(source), name)
        except (OSError, ValueError) as e:  # JwkError is a ValueError
            problems.append(f"{name}: {e}")
            continue
        keys.extend(kf.keys)
        anchors.extend(kf.anchors)
    return IssuerKeys(tuple(keys), tuple(anchors), tuple(problems))


def require_configured(issuers: Sized, what: str, key: str) -> None:
    """Refuse (INDETERMINATE ``FOREIGN_ANCHOR_NOT_CONFIGURED``) when ``foreign.<key>`` names no
    issuer: without one there is nothing to verify against (``what`` names it in the message)."""
    if not issuers:
        raise indeterminate(codes.FOREIGN_ANCHOR_NOT_CONFIGURED, f"no {what} is configured (foreign.{key})")
