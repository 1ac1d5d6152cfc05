"""Plain frozen values of the witness check (architecture §2.4): where witnesses are, what they
said, and how that compares with what the evidence host served.

Nothing here fetches or imports keri; :mod:`vvp.witness.ask` does the asking and
:mod:`vvp.witness.compare` the comparing.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from vvp.keystate import EventSeal

Mode = Literal["off", "available", "required"]


@dataclass(frozen=True, slots=True)
class WitnessPolicy:
    """The policy slice of the witness check (the trust store's ``witness_check``,
    ``witness_quorum``, ``clock_skew_s`` and ``key_state_freshness_s``)."""

    mode: Mode = "available"
    quorum: int | None = None
    clock_skew_s: float = 5.0
    freshness_s: float = 300.0

    def key(self) -> tuple[Any, ...]:
        return (self.mode, self.quorum, self.clock_skew_s)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a witness said it can be asked: from its own signed ``/loc/scheme`` reply.

    ``dt`` is the reply's datetime (when the witness said so: a later reply replaces an earlier
    one), ``source`` where the reply was found (an OOBI URL, ``dossier``, ``trust``)."""

    eid: str
    url: str
    scheme: str
    dt: str
    source: str


@dataclass(frozen=True, slots=True)
class RejectedReply:
    """A ``/loc/scheme`` reply that was found and not used, with the code saying why."""

    eid: str
    url: str
    source: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Directory:
    """Witness locations known to one verification, learnt only from verified replies."""

    endpoints: Mapping[str, Endpoint] = field(default_factory=lambda: MappingProxyType({}))
    rejected: tuple[RejectedReply, ...] = ()

    def url_of(self, eid: str) -> str | None:
        e = self.endpoints.get(eid)
        return e.url if e is not None else None

    def merged(self, other: Directory) -> Directory:
        """Both directories; for one witness the reply with the later ``dt`` wins (BADA)."""
        if not other.endpoints and not other.rejected:
            return self
        if not self.endpoints and not self.rejected:
            return other
        eps = dict(self.endpoints)
        for eid, ep in other.endpoints.items():
            cur = eps.get(eid)
            if cur is None or ep.dt > cur.dt:
                eps[eid] = ep
        return Directory(MappingProxyType(eps), self.rejected + other.rejected)


@dataclass(frozen=True, slots=True)
class Point:
    """One accepted key event as far as the comparison needs it."""

    sn: int
    said: str
    ilk: str
    first_seen: _dt.datetime | None
    seals: tuple[EventSeal, ...] = ()


@dataclass(frozen=True, slots=True)
class ServedKel:
    """An AID's verified KEL as the evidence host served it (accepted events in sn order), with
    the witness list and threshold in force at its last event."""

    aid: str
    points: tuple[Point, ...]
    witnesses: tuple[str, ...]
    toad: int

    @property
    def tip(self) -> int:
        return self.points[-1].sn if self.points else -1


Outcome = Literal["answered", "unreachable", "no_endpoint", "invalid"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What one witness said when asked for the AID's KEL (or why it said nothing usable).

    ``points`` are the AID's events the witness's answer proves (verified by keri), with the
    witness's own first-seen times; ``url`` the URL asked (None: no location known)."""

    eid: str
    url: str | None
    outcome: Outcome
    code: str
    message: str
    points: tuple[Point, ...] = ()

    @property
    def tip(self) -> int:
        return self.points[-1].sn if self.points else -1

    def to_json(self) -> dict[str, Any]:
        return {"eid": self.eid, "url": self.url, "outcome": self.outcome, "code": self.code,
                "message": self.message, "sn": self.tip if self.points else None,
                "said": self.points[-1].said if self.points else None}


@dataclass(frozen=True, slots=True)
class Duplicity:
    """Two different events at one sequence number, and who holds each (``served`` or an eid)."""

    sn: int
    versions: tuple[tuple[str, tuple[str, ...]], ...]  # (said, holders)


@dataclass(frozen=True, slots=True)
class Disagreement:
    """First-seen times of one event more than ``clock_skew_s`` apart."""

    sn: int
    said: str
    times: tuple[tuple[str, _dt.datetime], ...]  # (holder, first-seen)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The served KEL against the witnesses' answers (:func:`vvp.witness.compare.compare`).

    ``extra`` are events the witnesses hold beyond the served tip (withheld by the host, now
    used); ``earliest`` maps each event SAID to the earliest first-seen time any witness gave
    it (the served time when no witness has it); ``lagging`` lists (eid, its tip) of answering
    witnesses behind the longest verified KEL."""

    aid: str
    answers: tuple[Answer, ...]
    answered: int
    quorum: int
    duplicity: tuple[Duplicity, ...]
    extra: tuple[Point, ...]
    extra_from: str | None
    earliest: Mapping[str, _dt.datetime]
    disagreements: tuple[Disagreement, ...]
    lagging: tuple[tuple[str, int], ...]
    served_tip: int

    @property
    def tip(self) -> int:
        return self.extra[-1].sn if self.extra else self.served_tip
