"""Single KERI messages and edits of KERI streams, made with keri's own primitives, for tests.

What a witness host serves besides KELs, and what a test needs to make a host lie: a signed
``/loc/scheme`` reply (as keripy's ``makeLocScheme`` makes it), a second properly signed and
receipted interaction event at a sequence number (duplicity), a first-seen replay couple, a
stream split into its messages and rejoined, and an event's first-seen time moved (the ``-E``
couple is not signed: any host can write any time there). Seeds are qb64 private keys; times are
KERI datetime text. No world knowledge: ``vvp.testing.worldgen.witnesses`` picks the keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keri import core  # noqa: I001 - keri.core first (keri's import order)
from keri import kering
from keri.core import coring, eventing, serdering, signing
from keri.core.counting import CtrDex_1_0


class StreamEditError(ValueError):
    """The stream does not hold what the edit needs."""


def loc_scheme_reply(eid: str, url: str, *, scheme: str, stamp: str, seed: str) -> bytes:
    """A ``/loc/scheme`` reply "``eid`` is at ``url``" dated ``stamp``, signed by the
    non-transferable key of qb64 ``seed``."""
    signer = signing.Signer(qb64=seed, transferable=False)
    serder = eventing.reply(route="/loc/scheme", data=dict(eid=eid, scheme=scheme, url=url), stamp=stamp)
    cigar = signer.sign(ser=serder.raw)
    return bytes(eventing.messagize(serder, cigars=[cigar]))


@dataclass(frozen=True, slots=True)
class KelMessage:
    """One message of a KEL stream: the event and its attachments, as served."""

    aid: str
    sn: int
    ilk: str
    said: str
    raw: bytes


def split(stream: bytes) -> list[KelMessage]:
    """A KERI stream (KELs as a controller replays them, TELs, replies) split into its messages;
    ``aid`` is the message's ``i`` (a TEL event's: the registry or credential), ``sn`` -1 for a
    reply."""
    out: list[KelMessage] = []
    rest = bytes(stream)
    while rest:
        serder = serdering.SerderKERI(raw=rest)
        nxt = rest.find(b'{"v":"KERI', serder.size)
        end = len(rest) if nxt < 0 else nxt
        ked = serder.ked
        sn = int(ked["s"], 16) if isinstance(ked.get("s"), str) else -1  # replies have no sn
        pre = ked.get("i") if isinstance(ked.get("i"), str) else ""
        out.append(KelMessage(str(pre), sn, str(serder.ilk), str(serder.said), rest[:end]))
        rest = rest[end:]
    return out


def join(msgs: Sequence[KelMessage]) -> bytes:
    return b"".join(m.raw for m in msgs)


def _dater_text(stamp: str) -> bytes:
    return bytes(coring.Dater(dts=stamp).qb64b)


def moved_first_seen(stream: bytes, aid: str, sn: int, stamp: str) -> bytes:
    """``stream`` with the first-seen time attached to ``aid``'s event ``sn`` replaced by ``stamp``."""
    out = []
    for m in split(stream):
        if m.aid == aid and m.sn == sn:
            raw = m.raw
            i = raw.find(b"-EAB")
            if i < 0:
                raise StreamEditError(f"{aid} sn {sn} carries no first-seen couple")
            start = i + 4 + len(coring.Seqner(sn=0).qb64b)
            old = raw[start:start + len(_dater_text(stamp))]
            m = KelMessage(m.aid, m.sn, m.ilk, m.said, raw[:start] + _dater_text(stamp) + raw[start + len(old):])
        out.append(m)
    return join(out)


def first_seen_couple(fn: int, stamp: str) -> bytes:
    """A ``-E`` first-seen replay couple: ordinal ``fn``, time ``stamp``."""
    ctr = core.Counter(code=CtrDex_1_0.FirstSeenReplayCouples, count=1, gvrsn=kering.Vrsn_1_0)
    return bytes(ctr.qb64b) + bytes(coring.Seqner(sn=fn).qb64b) + _dater_text(stamp)


def forked_interaction(aid: str, *, sn: int, prior_said: str, note: str, seed: str,
                       witness_seeds: Sequence[str]) -> bytes:
    """An interaction event of ``aid`` at ``sn`` after the event ``prior_said``, its one seal a
    digest of ``note``: signed (index 0) by the transferable key of ``seed`` and receipted by the
    witness keys ``witness_seeds`` (indices in order), without attachments beyond those."""
    serder = eventing.interact(pre=aid, dig=prior_said, sn=sn,
                               data=[dict(i=aid, s="0", d=coring.Diger(ser=note.encode()).qb64)])
    siger = signing.Signer(qb64=seed, transferable=True).sign(ser=serder.raw, index=0)
    wigers = [signing.Signer(qb64=w, transferable=False).sign(ser=serder.raw, index=i)
              for i, w in enumerate(witness_seeds)]
    return bytes(eventing.messagize(serder, sigers=[siger], wigers=wigers, pipelined=False))
