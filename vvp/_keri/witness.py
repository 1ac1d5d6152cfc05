"""Witness location replies (``/loc/scheme``) in a CESR stream, read and verified with keri.

Why this exists (architecture §2.4): a verifier may only ask a witness for a KEL at a URL the
witness itself vouched for. keripy's witnesses answer an OOBI with the KEL followed by signed
``rpy`` messages; the one with route ``/loc/scheme`` says "endpoint ``eid`` is reachable at
``url`` over ``scheme``" and is signed by ``eid``'s own non-transferable key (a ``-C`` couple:
the signer's prefix and its signature). Anyone can *write* such a message; only the witness can
sign it. So a reply counts only when its single endorser is the ``eid`` it speaks for and the
signature verifies over the reply's exact bytes; everything else is reported with a code and
never used.

The stream is walked with keri's own parser, message by message (``vvp._keri.kel.drive``), with
every other message type handed to a sink that ignores it: what keri does with KELs is the
business of :mod:`vvp._keri.kel`. A stream without any ``rpy`` message is not parsed at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vvp._keri.kel import drive  # first: it imports keri in the order keri needs
from vvp import codes

LOC_SCHEME_ROUTE = "/loc/scheme"
_RPY_MARKERS = (b'"t":"rpy"', b'"t": "rpy"')


@dataclass(frozen=True, slots=True)
class LocReply:
    """One ``/loc/scheme`` reply as found in a stream, and what became of it.

    ``accepted`` is True only for a reply endorsed by exactly the ``eid`` it names with a
    signature that verifies; ``code`` is ``OK`` then, else the stable code saying why it is not
    used. ``dt`` is the reply's own datetime text (BADA: a later reply replaces an earlier one).
    """

    eid: str
    scheme: str
    url: str
    dt: str
    said: str
    signer: str | None
    accepted: bool
    code: str
    message: str


class _Ignore:
    """Stands in for every handler keri's parser needs besides the reply handler: counts calls
    (so the message loop knows a message was handled) and does nothing else."""

    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("process"):
            raise AttributeError(name)

        def handler(*args: Any, **kwargs: Any) -> None:
            self.calls += 1

        return handler


class _Replies:
    """The reply handler: keeps each ``/loc/scheme`` reply with its non-transferable endorsers."""

    def __init__(self) -> None:
        self.calls = 0
        self.found: list[LocReply] = []

    def processReply(self, serder: Any, cigars: Any = None, tsgs: Any = None) -> None:  # noqa: N802 - keri's name
        self.calls += 1
        ked = serder.ked if isinstance(getattr(serder, "ked", None), dict) else {}
        if ked.get("r") != LOC_SCHEME_ROUTE:
            return
        a = ked.get("a")
        data: dict[str, Any] = a if isinstance(a, dict) else {}
        eid, scheme, url = (data.get(k) for k in ("eid", "scheme", "url"))
        dt = ked.get("dt")
        said = str(getattr(serder, "said", ""))
        if not all(isinstance(v, str) for v in (eid, scheme, url, dt)):
            self.found.append(LocReply(str(eid), str(scheme), str(url), str(dt), said, None, False,
                                       codes.WITNESS_REPLY_MALFORMED,
                                       "a /loc/scheme reply without string eid, scheme, url and dt"))
            return
        assert isinstance(eid, str) and isinstance(scheme, str) and isinstance(url, str) and isinstance(dt, str)
        if tsgs:
            self.found.append(LocReply(eid, scheme, url, dt, said, None, False, codes.WITNESS_REPLY_UNVERIFIED,
                                       "endorsed by a transferable identifier, not by the witness's own key"))
            return
        cigs = list(cigars or [])
        if len(cigs) != 1:
            self.found.append(LocReply(eid, scheme, url, dt, said, None, False, codes.WITNESS_REPLY_UNVERIFIED,
                                       f"{len(cigs)} endorsements; a witness's location reply has exactly one"))
            return
        cig = cigs[0]
        signer = str(cig.verfer.qb64)
        if signer != eid:
            self.found.append(LocReply(eid, scheme, url, dt, said, signer, False, codes.WITNESS_REPLY_UNVERIFIED,
                                       f"signed by {signer}, not by the endpoint {eid} it speaks for"))
            return
        try:
            ok = bool(cig.verfer.verify(cig.raw, serder.raw))
        except Exception:  # noqa: BLE001 - a signature keri cannot check does not verify
            ok = False
        if not ok:
            self.found.append(LocReply(eid, scheme, url, dt, said, signer, False, codes.WITNESS_REPLY_UNVERIFIED,
                                       "the witness's signature does not verify over the reply"))
            return
        self.found.append(LocReply(eid, scheme, url, dt, said, signer, True, codes.OK, "signed by the witness"))


def loc_replies(stream: bytes) -> tuple[LocReply, ...]:
    """Every ``/loc/scheme`` reply in ``stream``, verified (module docstring). Never raises: a
    stream keri cannot read yields the replies found before the unreadable part."""
    if not any(m in stream for m in _RPY_MARKERS):
        return ()
    replies = _Replies()
    sinks = {"tvy": _Ignore(), "exc": _Ignore(), "rvy": replies, "vry": _Ignore()}
    try:
        rep = drive(stream, kvy=_Ignore(), sinks=sinks)
    except Exception:  # noqa: BLE001 - what was verified before a keri fault still stands
        return tuple(replies.found)
    for bb in rep.bad_bodies:  # a reply changed under its SAID (its URL edited): reported, not used
        ked = getattr(bb.serder, "ked", None)
        if not isinstance(ked, dict) or ked.get("t") != "rpy" or ked.get("r") != LOC_SCHEME_ROUTE:
            continue
        a = ked.get("a")
        data: dict[str, Any] = a if isinstance(a, dict) else {}
        replies.found.append(LocReply(str(data.get("eid")), str(data.get("scheme")), str(data.get("url")),
                                      str(ked.get("dt")), str(ked.get("d")), None, False,
                                      codes.WITNESS_REPLY_UNVERIFIED,
                                      f"the reply does not match its SAID (stream offset {bb.offset}): changed "
                                      "after it was signed"))
    return tuple(replies.found)
