"""The one keri stream driver: a CESR stream fed to keri's own parser one message at a time.

Both ingests use it: the KEL verification of an OOBI or KEL stream (:mod:`vvp._keri.kel`) and the
dossier ingest (:mod:`vvp._keri.dossier_ingest`). keri's ``Parser.parse`` swallows every error
and, on meeting a body it refuses (one flipped byte), discards everything after it (keri-notes
§1.4, §4). Driving ``Parser.msgParsator`` for exactly one message at a time instead makes every
error belong to one message and keeps the rest of the stream judged:

* :meth:`StreamDriver.messages` walks the stream: where each message starts (its offset in the
  stream as fed), what keri's ``sniff``/``smell`` say is there, never the same spot twice; a
  message that ``take`` (the verified state of :mod:`vvp._keri.verified`) dealt with is not
  handed to keri and not yielded.
* :meth:`StreamDriver.parse_one` hands the message at the head to keri and says how it went
  (:class:`Parsed`): keri dispatched it, refused it after extracting it, lost the message
  boundary, dropped a bad attachment group, or wanted more bytes than the stream has.
* :meth:`StreamDriver.step_over_attachments` and :func:`skip_counted_group` step over the
  attachments a refused body leaves behind: a placeholder ACDC made by keri is put in front of
  them, so that keri's own parser consumes exactly those attachments and no more (any kind of
  attachment), or a pipelined ``-V`` group is dropped with keri's ``Counter``.

What each ingest makes of an outcome (a stream issue, a problem, where to stop) is its own
reporting; the driving is here, once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from keri import core, kering  # noqa: I001
from keri.core import coring, parsing  # noqa: F401  (coring before the parser: keri's import order)
from keri.core.counting import CtrDex_1_0

from vvp._keri import acdc as _acdc

PLACEHOLDER = _acdc.make_placeholder_acdc()
PLACEHOLDER_SAID = str(json.loads(PLACEHOLDER)["d"])
_MAX_STEPS = 64  # generator steps per message; a complete message needs at most two
WS = b" \t\r\n"
# The version string of nearly every message (a version 1 JSON body, KERI or ACDC) at the very
# start of its body: keri's ``smell`` then finds exactly this match (no earlier one can start
# inside ``{"v":"``) and reads it as this protocol and this hexadecimal size (see Head below).
_V1_JSON = re.compile(rb'\{"v":"(KERI|ACDC)10JSON([0-9a-f]{6})_"')


@dataclass(frozen=True, slots=True)
class Parsed:
    """How keri took one message (:meth:`StreamDriver.parse_one`).

    ``kind``: ``done`` (keri extracted it and dispatched it, whatever the handler decided);
    ``refused`` (keri extracted it, then raised: a body that does not match its SAID, a key event
    without signatures, a message nobody handles; ``error`` says what); ``sized_group`` (an
    attachment group keri could not read, which keri already dropped); ``extraction`` (keri lost
    the message boundary: where the next message starts is unknown); ``short`` (keri wants more
    bytes than the stream has); ``lost`` (the end-of-stream placeholder was consumed with an
    unreadable attachment: the boundary is lost too)."""

    kind: str
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class Head:
    """What keri's ``sniff`` (and, for a message, ``smell``) say is at the head of the stream:
    ``cold`` keri's Colds value; ``proto`` and ``size`` for a message; ``error`` when keri cannot
    sniff it at all, ``smell_error`` when it looks like a message whose version string keri
    cannot read."""

    offset: int
    cold: Any
    proto: str = ""
    size: int = 0
    error: BaseException | None = None
    smell_error: BaseException | None = None

    @property
    def is_message(self) -> bool:
        return self.error is None and self.cold == kering.Colds.msg


class StreamDriver:
    """Feeds streams to one keri parser (module docstring). Not thread-safe: one per ingest.

    ``kvy``, ``tvy``, ``exc``, ``rvy`` and ``vry`` are the parser's handlers (keri's or taps of
    them). ``take(ims, head)``, when given, is offered each message first: True means it dealt
    with the message (an event keri already accepted) and removed it from ``ims``.
    ``skip_whitespace``: whitespace between messages is not evidence (a dossier served with
    newlines); otherwise it is bytes keri cannot read. ``end_placeholder``: a message with no
    attachments at the very end of a stream makes keri wait for attachments that will never
    come; with this the placeholder is appended, which tells keri a new message starts, and is
    removed again afterwards (without it, the message is reported ``short``).
    """

    def __init__(self, *, kvy: Any, tvy: Any = None, exc: Any = None, rvy: Any = None, vry: Any = None,
                 take: Callable[[bytearray, Head], bool] | None = None, skip_whitespace: bool = False,
                 end_placeholder: bool = False) -> None:
        self.handlers: dict[str, Any] = {"kvy": kvy, "tvy": tvy, "exc": exc, "rvy": rvy, "vry": vry}
        self.psr = parsing.Parser(framed=True, local=False, **self.handlers)
        self.take = take
        self.skip_whitespace = skip_whitespace
        self.end_placeholder = end_placeholder
        self.messages_seen = 0  # messages met (taken ones included)
        self.stuck_at: int | None = None  # where keri made no progress (the walk stopped there)

    def head(self, ims: bytearray, offset: int) -> Head:
        """What is at the head of ``ims`` (keri's sniff, and smell for a message)."""
        try:
            cold = kering.sniff(ims)
        except Exception as ex:  # noqa: BLE001 - keri raises several types for garbage
            return Head(offset, None, error=ex)
        if cold != kering.Colds.msg:
            return Head(offset, cold)
        if len(ims) >= kering.SMELLSIZE:  # the common case read without keri's Smellage (as smell reads it)
            m = _V1_JSON.match(ims)
            if m is not None:
                return Head(offset, cold, m.group(1).decode(), int(m.group(2), 16))
        return self.smelled(ims, offset, cold)

    @staticmethod
    def smelled(ims: bytearray, offset: int, cold: Any) -> Head:
        """:meth:`head` of a message by keri's ``smell`` alone."""
        try:
            smellage = kering.smell(ims)
        except Exception as ex:  # noqa: BLE001
            return Head(offset, cold, smell_error=ex)
        return Head(offset, cold, str(smellage.proto), int(smellage.size))

    def messages(self, ims: bytearray) -> Iterator[Head]:
        """Each position in ``ims`` where something starts, until the caller stops or ``ims`` is
        empty. The caller consumes what it is given (or stops); a spot given twice ends the walk
        (``stuck_at``). Messages ``take`` dealt with are counted and not given."""
        total = len(ims)
        last = -1
        while ims:
            if self.skip_whitespace:
                while ims and ims[0] in WS:
                    del ims[0]
                if not ims:
                    return
            offset = total - len(ims)
            if offset == last:  # every pass must consume bytes; never loop on the same spot
                self.stuck_at = offset
                return
            last = offset
            h = self.head(ims, offset)
            if h.is_message:
                self.messages_seen += 1
                if self.take is not None and self.take(ims, h):
                    continue
            yield h

    def parse_one(self, ims: bytearray) -> Parsed:
        """Hand the message at the head of ``ims`` to keri, alone (class docstring)."""
        gen = self.psr.msgParsator(ims=ims, framed=True, local=False, **self.handlers)
        placed = False
        for _ in range(_MAX_STEPS):
            try:
                next(gen)
            except StopIteration:
                if placed:
                    if bytes(ims[:len(PLACEHOLDER)]) != PLACEHOLDER:
                        return Parsed("lost")
                    del ims[:len(PLACEHOLDER)]
                return Parsed("done")
            except kering.SizedGroupError as ex:  # keri already dropped the bad group
                return Parsed("sized_group", ex)
            except kering.ExtractionError as ex:  # cannot know where the next message starts
                return Parsed("extraction", ex)
            except Exception as ex:  # noqa: BLE001 - non-extraction: keri extracted the message, then refused it
                if placed:
                    if bytes(ims[:len(PLACEHOLDER)]) != PLACEHOLDER:
                        return Parsed("lost", ex)
                    del ims[:len(PLACEHOLDER)]
                return Parsed("refused", ex)
            # the generator yielded: keri wants more bytes than the stream has
            if self.end_placeholder and not ims and not placed:
                ims.extend(PLACEHOLDER)
                placed = True
                continue
            break
        gen.close()
        return Parsed("short")

    def step_over_attachments(self, ims: bytearray) -> Parsed:
        """Attachments at the head of ``ims`` that belong to no message (their body was refused):
        a placeholder ACDC is put in front of them and handed to keri with them, so that keri's
        parser consumes exactly those attachments (its ``vry`` must recognise the placeholder by
        :data:`PLACEHOLDER_SAID` and keep its seal)."""
        ims[0:0] = PLACEHOLDER
        return self.parse_one(ims)


def skip_counted_group(ims: bytearray, cold: Any) -> bool:
    """Drop a pipelined attachment group (``-V``) at the head of ``ims`` using keri's Counter.

    Attachments not framed by a counted group cannot be stepped over this way without parsing
    them; False then (and for anything that is not a counted ``-V`` group).
    """
    try:
        if cold == kering.Colds.txt:
            ctr = core.Counter(qb64b=ims, strip=False, gvrsn=kering.Vrsn_1_0)
            unit, head = 4, len(ctr.qb64b)
        elif cold == kering.Colds.bny:
            ctr = core.Counter(qb2=ims, strip=False, gvrsn=kering.Vrsn_1_0)
            unit, head = 3, len(ctr.qb2)
        else:
            return False
    except Exception:  # noqa: BLE001
        return False
    if ctr.code != CtrDex_1_0.AttachmentGroup:
        return False
    size = head + ctr.count * unit
    if size > len(ims):
        return False
    del ims[:size]
    return True
