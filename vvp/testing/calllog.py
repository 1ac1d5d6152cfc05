"""Synthetic call logs over the served test world, for ``vvp batch``'s tests and benchmark.

A regulator's log is not a hundred copies of one call: a few callers make most of the calls
(Zipf), every call carries its own PASSporT (its own ``iat``, callee and signature), and some
fail. :func:`call_rows` makes such a log, deterministically from a seed:

* ``callers`` caller profiles, each a dossier of the world with one of its numbers, a goal and a
  card; profile *k* is chosen with weight ``1 / k**zipf_s``;
* a share of the profiles are faulty, and all their calls fail the same way, as a bad caller's
  would: a flipped signature bit (INVALID), a calling number outside the dossier's allocation
  (INVALID, ``tn_rights``), a revoked dossier (INVALID), or a dossier URL that serves nothing
  (INDETERMINATE);
* call times are spread evenly over ``span`` from ``start`` (one reference time per call), so a
  summary has a day to chart.

Rows are dicts in the JSON Lines form of architecture §4.6 (``id``, ``identity``, ``orig``,
``dest``, ``call_id``, ``time``); :func:`write_jsonl`, :func:`write_csv` and :func:`write_sip_folder`
put them on disk in each input form. The world's world-building needs keri, but this module does
not import it: signing goes through :class:`vvp.testing.world.ServedWorld`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import itertools
import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal

from vvp.clock import rfc3339
from vvp.testing.world import CALL_AT, CARD, GOAL, ServedWorld

Fault = Literal["signature", "orig", "revoked", "no-dossier"]
FAULTS: tuple[Fault, ...] = ("signature", "orig", "revoked", "no-dossier")
GOOD_DOSSIERS = ("le", "acting", "no_brand", "no_brand_acting")
GOALS = (GOAL, "support")


@dataclass(frozen=True, slots=True)
class Caller:
    """One calling party's profile: which dossier and number it calls with, and how it fails."""

    name: str
    dossier: str
    orig: str
    goal: str
    card: tuple[str, ...] | None
    fault: Fault | None = None


def make_callers(sw: ServedWorld, n: int, *, seed: int = 1, fault_share: float = 0.08) -> list[Caller]:
    """``n`` caller profiles (module docstring); about ``fault_share`` of them faulty."""
    rng = random.Random(seed)
    out: list[Caller] = []
    for k in range(n):
        fault: Fault | None = None
        if k > 0 and rng.random() < fault_share:  # the busiest caller is a good one
            fault = FAULTS[rng.randrange(len(FAULTS))]
        dossier = "revoked" if fault == "revoked" else GOOD_DOSSIERS[rng.randrange(len(GOOD_DOSSIERS))]
        numbers = sw.world.dossiers[dossier].numbers
        orig = "+1555123%04d" % (9000 + k % 900) if fault == "orig" else numbers[rng.randrange(len(numbers))]
        card = None if dossier.startswith("no_brand") and rng.random() < 0.5 else CARD
        out.append(Caller(f"caller-{k + 1}", dossier, orig, GOALS[rng.randrange(len(GOALS))], card, fault))
    return out


def _identity(sw: ServedWorld, c: Caller, at: _dt.datetime, dest: str) -> str:
    if c.fault == "no-dossier":
        d = sw.world.dossiers["le"]
        iat = int((at - _dt.timedelta(seconds=2)).timestamp())
        return sw.world.passport(signer=d.signer, kid=sw.urls.kid(sw.world, d.signer),
                                 evd=f"{sw.urls.base}/dossiers/{c.name}-missing.cesr", orig=c.orig, dest=dest,
                                 iat=iat, exp=iat + 15, card=c.card, goal=c.goal).identity
    return sw.passport(dossier=c.dossier, orig=c.orig, dest=dest, at=at, card=c.card, goal=c.goal,
                       tamper="signature" if c.fault == "signature" else None).identity


def call_rows(sw: ServedWorld, n: int, *, seed: int = 1, callers: int = 300, zipf_s: float = 1.1,
              start: _dt.datetime = CALL_AT, span: _dt.timedelta = _dt.timedelta(days=1),
              fault_share: float = 0.08, id_prefix: str = "call-") -> Iterator[dict[str, Any]]:
    """``n`` rows of a call log (module docstring), streamed."""
    profiles = make_callers(sw, callers, seed=seed, fault_share=fault_share)
    cum = list(itertools.accumulate(1.0 / (k ** zipf_s) for k in range(1, callers + 1)))
    rng = random.Random(seed * 7919 + 1)
    step = span.total_seconds() / max(n, 1)
    for i in range(n):
        c = rng.choices(profiles, cum_weights=cum)[0]
        at = start + _dt.timedelta(seconds=int(i * step))
        dest = "+1613555%04d" % rng.randrange(10_000)
        yield {"id": f"{id_prefix}{i + 1}", "identity": _identity(sw, c, at, dest), "orig": c.orig, "dest": dest,
               "call_id": f"{c.name}-{i + 1}@example.net", "time": rfc3339(at)}


def write_jsonl(rows: Iterable[dict[str, Any]], path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, separators=(",", ":")) + "\n")
            n += 1
    return n


def write_csv(rows: Iterable[dict[str, Any]], path: Path, *,
              columns: Sequence[str] = ("id", "identity", "orig", "dest", "call_id", "time")) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            ident = r.get("identity")
            cells = {**r, "identity": json.dumps(ident) if isinstance(ident, list) else ident}
            w.writerow(["" if cells.get(c) is None else str(cells[c]) for c in columns])
            n += 1
    return n


def sip_request(row: dict[str, Any]) -> bytes:
    """A raw SIP INVITE carrying a row's Identity value(s), numbers, Call-ID and time (Date)."""
    at = _dt.datetime.fromisoformat(str(row["time"]).replace("Z", "+00:00"))
    idents = row["identity"] if isinstance(row["identity"], list) else [row["identity"]]
    lines = [f"INVITE sip:{row['dest']}@example.net;user=phone SIP/2.0",
             "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1",
             "Max-Forwards: 70",
             f"From: <sip:{row['orig']}@example.com;user=phone>;tag=1",
             f"To: <sip:{row['dest']}@example.net;user=phone>",
             f"Call-ID: {row['call_id']}",
             "CSeq: 1 INVITE",
             f"Date: {format_datetime(at, usegmt=True)}",
             *[f"Identity: {v}" for v in idents],
             "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def write_sip_folder(rows: Iterable[dict[str, Any]], folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for r in rows:
        (folder / str(r["id"])).write_bytes(sip_request(r))
        n += 1
    return n
