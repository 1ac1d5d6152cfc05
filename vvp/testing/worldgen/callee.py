"""Signing callee PASSporTs with the world's keys (vvp-protocol.md §1.6).

The same JWS as the caller's (:mod:`.passport`: same header, same signing input, plain JWS
signature), with the callee's claims: ``call-id`` and ``cseq`` (the INVITE's), ``iat``, ``exp``
only when given (a callee may impose no new timeout), ``evd``, and optionally ``card`` and
``goal``; no ``orig``/``dest``. The value carried in the SDP is ``<jwt>;type=vvp``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from vvp._keri.forge.signatures import ed25519_sign
from vvp.testing.worldgen.model import SignedCallee
from vvp.testing.worldgen.passport import _compact, b64url

if TYPE_CHECKING:
    from vvp.testing.worldgen.model import World

TAMPERED_CALL_ID = "tampered-after-signing@example.net"


def sign_callee(world: World, *, signer: str, kid: str, evd: str, call_id: str, cseq: int | str, iat: int,
                exp: int | None = None, card: tuple[str, ...] | None = None, goal: str | None = None,
                tamper: Literal["signature", "payload"] | None = None,
                extra_claims: Mapping[str, Any] | None = None, header_changes: Mapping[str, Any] | None = None,
                type_param: str | None = "vvp") -> SignedCallee:
    """A callee PASSporT signed by party ``signer`` with its key in force at ``iat``.

    ``header_changes`` set (or, with None, drop) header fields, still EdDSA-signed (an ``alg`` of
    ES256 on an Ed25519 signature: the verifier must refuse the alg, not try it).
    ``tamper="signature"`` flips one signature bit; ``tamper="payload"`` changes ``call-id``
    after signing. ``extra_claims`` are added as given (None values drop a claim).
    ``type_param`` None leaves the ``;type=`` suffix off."""
    party = world.parties[signer]
    epoch = party.key_at(_dt.datetime.fromtimestamp(iat, _dt.UTC))
    header: dict[str, Any] = {"alg": "EdDSA", "typ": "passport", "ppt": "vvp", "kid": kid}
    for k, v in (header_changes or {}).items():
        if v is None:
            header.pop(k, None)
        else:
            header[k] = v
    claims: dict[str, Any] = {"call-id": call_id, "cseq": cseq}
    if card is not None:
        claims["card"] = list(card)
    if goal is not None:
        claims["goal"] = goal
    claims["evd"] = evd
    claims["iat"] = iat
    if exp is not None:
        claims["exp"] = exp
    for k, v in (extra_claims or {}).items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    signing_input = f"{b64url(_compact(header))}.{b64url(_compact(claims))}"
    raw = ed25519_sign(epoch.seeds[0], signing_input.encode("ascii"))
    if tamper == "signature":
        raw = raw[:31] + bytes([raw[31] ^ 0x01]) + raw[32:]
    if tamper == "payload":
        claims = {**claims, "call-id": TAMPERED_CALL_ID}
        signing_input = f"{b64url(_compact(header))}.{b64url(_compact(claims))}"
    jws = f"{signing_input}.{b64url(raw)}"
    value = jws if type_param is None else f"{jws};type={type_param}"
    return SignedCallee(header=header, claims=claims, jws=jws, value=value, signer=signer, signer_aid=party.aid)
