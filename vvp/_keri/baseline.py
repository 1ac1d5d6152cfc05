"""keri's own ingest, nothing of vvp: the floor the cold path is measured against.

Architecture §5 measures the cold path against "keri's own bare ingest": Kevery and Tevery (and
keri's credential Verifier, since the streams hold ACDCs) parsing the very same streams in a fresh
store, with none of vvp's bookkeeping (message-by-message feeding, explanations, first-seen
times, checks). The benchmarks (``benchmarks/``: ``bench``, ``cold``, ``bench_callee``) hold the
harness; the keri calls they need live here because only ``vvp._keri`` may import keri, and
nothing in vvp's verification path imports this module.

The cold path's cost is also shown against the cryptography it cannot avoid: the number of
Ed25519 verifications keri performed for it (controller signatures, witness receipts, delegation
seals are digests, not signatures) times the measured floor. :func:`count_signature_verifications`
counts them by wrapping keri's Ed25519 verify for Verfers made while it is active;
:func:`raw_ed25519_key` gives a key's raw bytes for the libsodium floor, and
:func:`split_messages` picks the messages of a known stream with keri's own framing rules.
"""

from __future__ import annotations

import contextlib
import json
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from keri import core, kering
from keri.core import coring, parsing, scheming  # noqa: I001
from keri.vdr import verifying

from vvp._keri._store import fresh_store


class _Creders:
    """The parser's ``vry`` when only Kevery and Tevery are measured: keeps each parsed ACDC, as
    vvp's own ingest does, and judges nothing."""

    def __init__(self) -> None:
        self.got: list[Any] = []

    def processCredential(self, creder: Any, prefixer: Any = None, seqner: Any = None,  # noqa: N802
                          saider: Any = None) -> None:
        self.got.append(creder)


def bare_ingest(streams: Sequence[bytes], schemas: Mapping[str, bytes] | None = None, *,
                credential_verifier: bool = False) -> None:
    """keri alone over each stream, each in its own fresh store (as vvp ingests a KEL and a
    dossier in separate stores): one ``Parser.parse`` by Kevery and Tevery and one pass over their
    escrows. ACDCs are only parsed, unless ``credential_verifier``: then keri's own ``Verifier``
    judges them too (schemas, given as SAID → bytes, are pinned first so that it validates
    instead of escrowing them), which costs keri a schema compilation per credential."""
    for data in streams:
        with fresh_store() as st:
            vry: Any
            if credential_verifier:
                hby = types.SimpleNamespace(db=st.db, kvy=st.kvy, name="bench", temp=True, inited=True)
                vry = verifying.Verifier(hby=hby, reger=st.reger)
                for said, raw in (schemas or {}).items():
                    st.db.schema.pin(said, scheming.Schemer(raw=raw))
                tvy = vry.tvy
            else:
                vry, tvy = _Creders(), st.tvy
            parsing.Parser(framed=True, kvy=st.kvy, tvy=tvy, vry=vry).parse(ims=bytearray(data))
            st.kvy.processEscrows()
            tvy.processEscrows()
            if credential_verifier:
                vry.processEscrows()


@dataclass
class SignatureCount:
    """How many Ed25519 verifications keri ran while the counter was active."""

    ed25519: int = 0


@contextlib.contextmanager
def count_signature_verifications() -> Iterator[SignatureCount]:
    """Count keri's Ed25519 verifications (``Verfer`` binds its verify function when it is made,
    so Verfers made inside the block are counted; the cold path makes all of its own)."""
    count = SignatureCount()
    original: Any = coring.Verfer.__dict__["_ed25519"]
    inner = original.__func__

    def counting(sig: bytes, ser: bytes, key: bytes) -> bool:
        count.ed25519 += 1
        return bool(inner(sig=sig, ser=ser, key=key))

    coring.Verfer._ed25519 = staticmethod(counting)
    try:
        yield count
    finally:
        coring.Verfer._ed25519 = original


def raw_ed25519_key(qb64: str) -> bytes:
    """The 32 raw bytes of a qb64 Ed25519 public key (for the libsodium floor)."""
    verfer = coring.Verfer(qb64=qb64)
    if verfer.code not in (coring.MtrDex.Ed25519, coring.MtrDex.Ed25519N):
        raise ValueError(f"{qb64} is not an Ed25519 key")
    return bytes(verfer.raw)


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a stream as the benchmark picks parts of real streams: its body's fields and
    its bytes (body and attachments)."""

    ked: Mapping[str, Any]
    raw: bytes


def split_messages(stream: bytes) -> list[Message]:
    """The messages of a stream, each with its attachments: a counted ``-V`` group (as keri and
    KERIA frame a key event's), else everything up to the next message body (an ACDC's ``-I``
    triple). For picking parts of a known stream in the benchmark, not for judging evidence.
    Raises ValueError where no message starts."""
    out: list[Message] = []
    ims = bytearray(stream.strip())
    while ims:
        try:
            smellage = kering.smell(ims)
        except Exception as ex:  # noqa: BLE001 - not a message where one should start
            raise ValueError(f"not a message at offset {len(stream) - len(ims)}: {ex}") from None
        size = int(smellage.size)
        body = bytes(ims[:size])
        end = size
        if len(ims) > size and ims[size:size + 2] == b"-V":
            ctr = core.Counter(qb64b=bytes(ims[size:size + 8]), strip=False, gvrsn=kering.Vrsn_1_0)
            end = size + len(ctr.qb64b) + ctr.count * 4
        elif len(ims) > size and ims[size:size + 1] != b"{":  # unframed (an ACDC's -I triple): to the next body
            nxt = ims.find(b'{"v":"', size)
            end = len(ims) if nxt < 0 else nxt
        out.append(Message(json.loads(body), bytes(ims[:end])))
        del ims[:end]
        while ims and ims[0] in b" \n\r\t":
            del ims[:1]
    return out
