"""Compare the KEL the evidence host served with what the AID's witnesses hold (§2.4).

Pure: the answers were fetched and verified by keri before they get here. The rules:

* two different events at one sequence number, anywhere among the served KEL and the answers,
  are duplicity (INVALID, ``KEL_DUPLICITY``): KERI's whole promise is one event per place;
* the longest verified KEL wins: events a witness holds beyond the served tip were left out by
  the host (a rotation, an anchoring event) and are used; a witness behind the longest is
  lagging, which is reported and harms nothing;
* an event's time is the earliest first-seen time any witness gave it (architecture §2.4: a
  rotation counts against the signer from when any witness first saw it); the served time is
  used only for events no answering witness holds; times more than ``clock_skew_s`` apart are
  reported.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from types import MappingProxyType

from vvp.witness.model import Answer, Comparison, Disagreement, Duplicity, Point, ServedKel

SERVED = "served"


def quorum_for(served: ServedKel, quorum: int | None) -> int:
    """How many witnesses must answer: ``witness_quorum`` when set, else the AID's toad, never
    more than it has witnesses and at least one when it has any."""
    n = len(served.witnesses)
    if n == 0:
        return 0
    want = served.toad if quorum is None else quorum
    return max(1, min(want, n))


def compare(served: ServedKel, answers: Sequence[Answer], *, quorum: int, clock_skew_s: float) -> Comparison:
    """The comparison of ``served`` with ``answers`` (module docstring)."""
    holders: dict[int, dict[str, list[str]]] = {}
    times: dict[str, list[tuple[str, _dt.datetime]]] = {}
    for who, points in [(SERVED, served.points)] + [(a.eid, a.points) for a in answers if a.outcome == "answered"]:
        for p in points:
            holders.setdefault(p.sn, {}).setdefault(p.said, []).append(who)
            if p.first_seen is not None:
                times.setdefault(p.said, []).append((who, p.first_seen))
    dup = tuple(Duplicity(sn, tuple((said, tuple(h)) for said, h in sorted(v.items())))
                for sn, v in sorted(holders.items()) if len(v) > 1)
    answered = [a for a in answers if a.outcome == "answered"]
    longest = max(answered, key=lambda a: (a.tip, -answered.index(a)), default=None)
    extra: tuple[Point, ...] = ()
    extra_from: str | None = None
    if not dup and longest is not None and longest.tip > served.tip:
        extra = tuple(p for p in longest.points if p.sn > served.tip)
        extra_from = longest.eid
    tip = max([served.tip] + [a.tip for a in answered])
    earliest: dict[str, _dt.datetime] = {}
    disagreements: list[Disagreement] = []
    skew = _dt.timedelta(seconds=clock_skew_s)
    for said, ts in times.items():
        wit = [t for who, t in ts if who != SERVED]
        earliest[said] = min(wit) if wit else min(t for _, t in ts)
        all_t = [t for _, t in ts]
        if len(all_t) > 1 and max(all_t) - min(all_t) > skew:
            sn = next(sn for sn, v in holders.items() if said in v)
            disagreements.append(Disagreement(sn, said, tuple(ts)))
    lagging = tuple((a.eid, a.tip) for a in answered if a.tip < tip)
    return Comparison(aid=served.aid, answers=tuple(answers), answered=len(answered), quorum=quorum,
                      duplicity=dup, extra=extra, extra_from=extra_from, earliest=MappingProxyType(earliest),
                      disagreements=tuple(sorted(disagreements, key=lambda d: d.sn)), lagging=lagging,
                      served_tip=served.tip)
