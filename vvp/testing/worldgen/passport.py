"""Signing VVP PASSporTs and Identity header values with the world's keys.

The JWS signing input is ``base64url(header) "." base64url(payload)`` (RFC 7515); keri's Ed25519
``Signer`` signs it (:mod:`vvp._keri.forge.signatures`). The signature travels in one of the two
forms a verifier must accept (vvp-protocol.md §1.5): plain JWS, the 64 raw bytes in base64url
(86 characters), or CESR, which is keri's own qb64 of an Ed25519 signature: code ``0B`` then 86
characters (88 in all; the same as left-padding the raw bytes to 66, base64url, and replacing
the leading ``AA`` with ``0B``).

The Identity header value is ``<jws>;info=<kid URL>;alg=EdDSA;ppt=vvp`` (RFC 8224 puts the
``info`` URI in angle brackets).
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from vvp._keri.forge.signatures import cesr_ed25519_signature, ed25519_sign
from vvp.testing.worldgen.model import SignedPassport

if TYPE_CHECKING:
    from vvp.testing.worldgen.model import World


TAMPERED_DEST = "+19995550100"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def tn_claim(tn: str, plus: bool) -> dict[str, list[str]]:
    """``{"tn": [number]}``: the draft's sample keeps the ``+``; real Provenant traffic drops it."""
    digits = tn.lstrip("+")
    return {"tn": [f"+{digits}" if plus else digits]}


def sign(world: World, *, signer: str, kid: str, evd: str, orig: str, dest: str, iat: int,
         exp: int | None = None, card: tuple[str, ...] | None = None, goal: str | None = None,
         key_at: _dt.datetime | None = None, key_sn: int | None = None,
         form: Literal["jws", "cesr"] = "jws", tamper: Literal["signature", "payload"] | None = None,
         extra_claims: Mapping[str, Any] | None = None, tn_plus: bool = True,
         header_changes: Mapping[str, Any] | None = None) -> SignedPassport:
    """A VVP PASSporT signed by party ``signer``.

    The key is the one in force at ``key_at`` (default: at ``iat``), or the one established at
    ``key_sn``. ``exp`` defaults to ``iat + 15`` (the draft's SHOULD). ``tamper="signature"``
    flips one bit of the signature after signing (the encoding stays canonical);
    ``tamper="payload"`` changes ``dest`` after signing, so the signature no longer covers it.
    """
    party = world.parties[signer]
    if key_sn is not None:
        epoch = party.key_sn(key_sn)
    else:
        epoch = party.key_at(key_at or _dt.datetime.fromtimestamp(iat, _dt.UTC))
    header: dict[str, Any] = {"alg": "EdDSA", "typ": "passport", "ppt": "vvp", "kid": kid}
    for k, v in (header_changes or {}).items():  # a refused alg or a legacy typ, still EdDSA-signed
        if v is None:
            header.pop(k, None)
        else:
            header[k] = v
    claims: dict[str, Any] = {"orig": tn_claim(orig, tn_plus), "dest": tn_claim(dest, tn_plus)}
    if card is not None:
        claims["card"] = list(card)
    if goal is not None:
        claims["goal"] = goal
    claims["evd"] = evd
    claims["iat"] = iat
    claims["exp"] = exp if exp is not None else iat + 15
    for k, v in (extra_claims or {}).items():
        claims[k] = v
    signing_input = f"{b64url(_compact(header))}.{b64url(_compact(claims))}"
    raw = ed25519_sign(epoch.seeds[0], signing_input.encode("ascii"))
    if tamper == "signature":
        raw = raw[:31] + bytes([raw[31] ^ 0x01]) + raw[32:]
    if form == "cesr":
        sig = cesr_ed25519_signature(raw)
    else:
        sig = b64url(raw)
    if tamper == "payload":
        changed = dict(claims)
        changed["dest"] = tn_claim(TAMPERED_DEST, tn_plus)
        signing_input = f"{b64url(_compact(header))}.{b64url(_compact(changed))}"
        claims = changed
    jws = f"{signing_input}.{sig}"
    identity = f"{jws};info=<{kid}>;alg=EdDSA;ppt=vvp"
    return SignedPassport(header=header, claims=claims, jws=jws, identity=identity, signer=signer,
                          signer_aid=party.aid, key_sn=epoch.sn, form=form)
