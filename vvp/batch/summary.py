"""``summary.html``: what an analyst reads at the end of a batch.

:class:`Summary` is fed every verdict line of the run's output (those of earlier runs as they are
read back, then each new one) and every row error; it keeps counts only, in bounded memory: the
statuses, the statuses per hour of the calls' reference times (coarsened to days, then months,
should a log span that long), the failure codes per claim, the SHAKEN ``verstat`` against the VVP
status, and the busiest signers, accountable parties and dossiers (each with its statuses).
Those three can have as many distinct values as there are callers, so they are counted with a
bounded "heavy hitters" table: exact while there are at most :data:`TOP_CAPACITY` distinct
values, and once there are more, the rarest half is dropped whenever the table fills (a value
that is truly among the busiest is never dropped; its count may then be low by what it had
before a drop, which the page says). The run's rate over time comes from samples the runner
takes.

:func:`render` turns it into a page through :func:`vvp.htmlpage.render_page` (the report's
layout and Content-Security-Policy ``default-src 'none'``: nothing loads, nothing runs) with
``templates/summary.html.j2``. The charts are inline SVG whose geometry is computed here; the
template only draws it, with colours as SVG attributes, so the page needs no script and no style
beyond the shared stylesheet.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from vvp.batch.rows import RowError
from vvp.htmlpage import render_page

STATUSES: Final = ("VALID", "INVALID", "INDETERMINATE")
COLOURS: Final = {"VALID": "#1a7f37", "INVALID": "#cf222e", "INDETERMINATE": "#9a6700"}
TOP_CAPACITY: Final = 10_000
TOP_SHOWN: Final = 10
CODES_SHOWN: Final = 6
MAX_TIME_KEYS: Final = 200_000
MAX_SAMPLES: Final = 2_000
CLAIM_ORDER: Final = ("passport", "context", "dossier", "authorization", "tn_rights", "brand", "business", "shaken")
NO_SHAKEN: Final = "no SHAKEN PASSporT"


def _idx(status: str) -> int:
    return 1 + STATUSES.index(status)


class TopCounter:
    """Counts per key as [total, VALID, INVALID, INDETERMINATE], bounded (module docstring)."""

    def __init__(self, capacity: int = TOP_CAPACITY) -> None:
        self.capacity = capacity
        self.counts: dict[str, list[int]] = {}
        self.pruned = 0

    def add(self, key: str, status: str) -> None:
        c = self.counts.get(key)
        if c is None:
            if len(self.counts) >= 2 * self.capacity:
                self._prune()
            c = self.counts[key] = [0, 0, 0, 0]
        c[0] += 1
        c[_idx(status)] += 1

    def _prune(self) -> None:
        keep = sorted(self.counts.items(), key=lambda kv: -kv[1][0])[: self.capacity]
        self.pruned += len(self.counts) - len(keep)
        self.counts = dict(keep)

    def top(self, n: int) -> list[tuple[str, list[int]]]:
        return sorted(self.counts.items(), key=lambda kv: (-kv[1][0], kv[0]))[:n]


@dataclass
class Summary:
    """Counts of a batch's rows (module docstring)."""

    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    by_time: dict[str, list[int]] = field(default_factory=dict)
    time_key_len: int = 13  # "2026-03-01T12": hours; 10: days; 7: months
    claim_codes: dict[str, Counter[str]] = field(default_factory=dict)
    signers: TopCounter = field(default_factory=TopCounter)
    accountable: TopCounter = field(default_factory=TopCounter)
    dossiers: TopCounter = field(default_factory=TopCounter)
    verstat: dict[str, list[int]] = field(default_factory=dict)
    samples: list[tuple[float, int]] = field(default_factory=list)
    sample_step: int = 1
    earlier_rows: int = 0

    def add(self, line: Mapping[str, Any]) -> None:
        """One verdict line (checked by the caller: ``status`` is one of the three)."""
        status = str(line["status"])
        self.statuses[status] += 1
        i = _idx(status)
        t = line.get("time")
        if isinstance(t, str) and len(t) >= self.time_key_len:
            key = t[: self.time_key_len]
            b = self.by_time.get(key)
            if b is None:
                if len(self.by_time) >= MAX_TIME_KEYS:
                    self._coarsen()
                    key = t[: self.time_key_len]
                b = self.by_time.setdefault(key, [0, 0, 0, 0])
            b[0] += 1
            b[i] += 1
        cc = line.get("claim_codes")
        if isinstance(cc, Mapping):
            for claim, cl in cc.items():
                if isinstance(cl, list):
                    counter = self.claim_codes.setdefault(str(claim), Counter())
                    for code in cl:
                        counter[str(code)] += 1
        for top, key_name in ((self.signers, "signer"), (self.accountable, "accountable"), (self.dossiers, "dossier")):
            v = line.get(key_name)
            if isinstance(v, str):
                top.add(v, status)
        vs = line.get("verstat")
        vkey = vs if isinstance(vs, str) else NO_SHAKEN
        row = self.verstat.get(vkey)
        if row is None:
            row = self.verstat[vkey] = [0, 0, 0, 0]
        row[0] += 1
        row[i] += 1

    def _coarsen(self) -> None:
        self.time_key_len = 10 if self.time_key_len == 13 else 7
        merged: dict[str, list[int]] = {}
        for k, v in self.by_time.items():
            m = merged.setdefault(k[: self.time_key_len], [0, 0, 0, 0])
            for j in range(4):
                m[j] += v[j]
        self.by_time = merged

    def add_error(self, err: RowError) -> None:
        self.errors[err.code] += 1

    def sample(self, elapsed_s: float, done: int) -> None:
        """The run's progress at a moment (kept to at most :data:`MAX_SAMPLES`, evenly thinned)."""
        self.samples.append((elapsed_s, done))
        if len(self.samples) > MAX_SAMPLES:
            self.samples = self.samples[::2]

    @property
    def rows(self) -> int:
        return sum(self.statuses.values())


# ---------------------------------------------------------------------------------------------
# The page's model: plain values and chart geometry (drawn by templates/summary.html.j2)


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass(frozen=True, slots=True)
class Chart:
    """One SVG chart: its size, rectangles, an optional polyline, labels and an id for tools."""

    id: str
    width: int
    height: int
    rects: tuple[Rect, ...] = ()
    labels: tuple[Label, ...] = ()
    polyline: str | None = None
    lines: tuple[tuple[float, float, float, float], ...] = ()
    title: str = ""


@dataclass(frozen=True, slots=True)
class TopRow:
    name: str
    total: int
    valid: int
    invalid: int
    indeterminate: int
    bar: Chart


@dataclass(frozen=True, slots=True)
class TopTable:
    id: str
    title: str
    rows: tuple[TopRow, ...]
    distinct: int
    approximate: bool


@dataclass(frozen=True, slots=True)
class CrossRow:
    verstat: str
    counts: tuple[int, int, int]
    shades: tuple[float, float, float]
    total: int


@dataclass(frozen=True, slots=True)
class RunFacts:
    """Facts about the run written at the end (front end's words, not the data's)."""

    input: str
    out: str
    store: str
    engine: str
    workers: int
    started: str
    finished: str
    elapsed_s: float
    rows_this_run: int
    rows_earlier: int
    rate: float
    complete: bool


@dataclass(frozen=True, slots=True)
class Page:
    title: str
    run: RunFacts
    total: int
    statuses: tuple[tuple[str, int, float], ...]
    errors: int
    error_codes: tuple[tuple[str, int], ...]
    valid_share: float
    time_chart: Chart | None
    time_unit: str
    claim_charts: tuple[tuple[str, Chart], ...]
    tops: tuple[TopTable, ...]
    cross: tuple[CrossRow, ...]
    cross_columns: tuple[str, ...]
    rate_chart: Chart | None


def _fmt(n: float) -> str:
    return f"{n:,.0f}"


def _time_chart(s: Summary) -> tuple[Chart | None, str]:
    if not s.by_time:
        return None, ""
    data = dict(s.by_time)
    klen = s.time_key_len
    while len(data) > 60 and klen > 7:  # hours -> days -> months
        klen = 10 if klen == 13 else 7
        merged: dict[str, list[int]] = {}
        for k, v in data.items():
            m = merged.setdefault(k[:klen], [0, 0, 0, 0])
            for j in range(4):
                m[j] += v[j]
        data = merged
    unit = {13: "hour", 10: "day", 7: "month"}[klen]
    keys = sorted(data)
    if len(keys) > 60:  # still too many months: the most recent 60
        keys = keys[-60:]
    width, height, left, bottom, top = 920, 260, 56, 44, 14
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(data[k][0] for k in keys) or 1
    bw = plot_w / len(keys)
    rects: list[Rect] = []
    labels: list[Label] = [Label(left - 6, top + 4, _fmt(peak), "end"), Label(left - 6, top + plot_h, "0", "end")]
    every = max(1, math.ceil(len(keys) / 12))
    for i, k in enumerate(keys):
        v = data[k]
        x = left + i * bw
        y: float = top + plot_h
        for j, st in enumerate(STATUSES, start=1):
            h = plot_h * v[j] / peak
            if h > 0:
                y -= h
                rects.append(Rect(round(x + 1, 2), round(y, 2), round(max(bw - 2, 1), 2), round(h, 2), COLOURS[st],
                                  f"{k.replace('T', ' ')}{':00' if unit == 'hour' else ''}: {v[j]:,} {st} of {v[0]:,}"))
        if i % every == 0:
            text = k[11:13] + ":00" if unit == "hour" else k[5:] if unit == "day" else k
            if unit == "hour" and (i == 0 or k[:10] != keys[i - every][:10]):
                text = k[5:10] + " " + text
            labels.append(Label(round(x + bw / 2, 2), height - bottom + 16, text, "middle"))
    axis = ((left, top + plot_h, width - 10, top + plot_h), (left, top, left, top + plot_h))
    return Chart("chart-time", width, height, tuple(rects), tuple(labels), None, axis,
                 f"Calls per {unit} of their reference time, by status"), unit


def _hbar(id_: str, items: Sequence[tuple[str, int]], colour: str, title: str) -> Chart:
    width, row_h, label_w = 620, 22, 300
    peak = max((n for _, n in items), default=1) or 1
    rects, labels = [], []
    for i, (name, n) in enumerate(items):
        y = 4 + i * row_h
        w = (width - label_w - 70) * n / peak
        rects.append(Rect(label_w, y, round(max(w, 1), 2), row_h - 6, colour, f"{name}: {n:,}"))
        labels.append(Label(label_w - 8, y + row_h - 10, name, "end"))
        labels.append(Label(round(label_w + w + 6, 2), y + row_h - 10, _fmt(n)))
    return Chart(id_, width, 8 + row_h * len(items), tuple(rects), tuple(labels), title=title)


def _stack_bar(id_: str, counts: Sequence[int], peak: int) -> Chart:
    """A small horizontal bar split by status (for the top tables)."""
    width, height = 240, 14
    rects, x = [], 0.0
    total = sum(counts)
    for st, n in zip(STATUSES, counts, strict=True):
        if n:
            w = width * n / (peak or 1)
            rects.append(Rect(round(x, 2), 0, round(max(w, 0.5), 2), height, COLOURS[st], f"{n:,} {st} of {total:,}"))
            x += w
    return Chart(id_, width, height, tuple(rects))


def _tops(s: Summary) -> tuple[TopTable, ...]:
    out = []
    for key, title, top in (("signers", "Top signers (the kid AID of the VVP PASSporT)", s.signers),
                            ("accountable", "Top accountable parties", s.accountable),
                            ("dossiers", "Top dossiers (SAID)", s.dossiers)):
        best = top.top(TOP_SHOWN)
        peak = best[0][1][0] if best else 1
        rows = tuple(TopRow(name, c[0], c[1], c[2], c[3], _stack_bar(f"bar-{key}-{i}", c[1:], peak))
                     for i, (name, c) in enumerate(best))
        out.append(TopTable(f"top-{key}", title, rows, len(top.counts), top.pruned > 0))
    return tuple(out)


def _cross(s: Summary) -> tuple[CrossRow, ...]:
    order = ["TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation", NO_SHAKEN]
    keys = [k for k in order if k in s.verstat] + sorted(k for k in s.verstat if k not in order)
    peak = max((max(v[1:]) for v in s.verstat.values()), default=1) or 1
    rows = []
    for k in keys:
        v = s.verstat[k]
        rows.append(CrossRow(k, (v[1], v[2], v[3]), tuple(round(0.08 + 0.72 * n / peak, 3) if n else 0.0
                                                          for n in v[1:]), v[0]))  # type: ignore[arg-type]
    return tuple(rows)


def _rate_chart(s: Summary) -> Chart | None:
    pts = s.samples
    if len(pts) < 2:
        return None
    rates: list[tuple[float, float]] = []
    window = max(1, len(pts) // 100)
    for i in range(window, len(pts), window):
        (t0, d0), (t1, d1) = pts[i - window], pts[i]
        if t1 > t0:
            rates.append((t1, (d1 - d0) / (t1 - t0)))
    if not rates:
        return None
    width, height, left, bottom, top = 920, 220, 64, 36, 14
    plot_w, plot_h = width - left - 12, height - bottom - top
    t_end = rates[-1][0] or 1.0
    peak = max(r for _, r in rates) or 1.0
    points = " ".join(f"{left + plot_w * t / t_end:.1f},{top + plot_h - plot_h * r / peak:.1f}" for t, r in rates)
    labels = (Label(left - 6, top + 4, f"{peak:,.0f}/s", "end"), Label(left - 6, top + plot_h, "0", "end"),
              Label(left, height - 12, "0 s"), Label(width - 12, height - 12, f"{t_end:,.0f} s", "end"))
    axis = ((left, top + plot_h, width - 12, top + plot_h), (left, top, left, top + plot_h))
    return Chart("chart-rate", width, height, (), labels, points, axis, "Rows verified per second during this run")


def page(s: Summary, run: RunFacts) -> Page:
    total = s.rows
    statuses = tuple((st, s.statuses.get(st, 0), (s.statuses.get(st, 0) / total if total else 0.0))
                     for st in STATUSES)
    claim_charts = []
    for claim in [c for c in CLAIM_ORDER if c in s.claim_codes] + sorted(c for c in s.claim_codes
                                                                         if c not in CLAIM_ORDER):
        items = s.claim_codes[claim].most_common(CODES_SHOWN)
        if items:
            claim_charts.append((claim, _hbar(f"chart-codes-{claim}", items, "#cf222e",
                                              f"Most frequent codes of the claim {claim}")))
    tchart, unit = _time_chart(s)
    return Page(title="vvp batch summary", run=run, total=total, statuses=statuses, errors=sum(s.errors.values()),
                error_codes=tuple(s.errors.most_common()), valid_share=statuses[0][2], time_chart=tchart,
                time_unit=unit, claim_charts=tuple(claim_charts), tops=_tops(s), cross=_cross(s),
                cross_columns=STATUSES, rate_chart=_rate_chart(s))


def render(s: Summary, run: RunFacts) -> str:
    """The whole ``summary.html`` (module docstring)."""
    p = page(s, run)
    return render_page("summary.html.j2", title=p.title, page=p, colours=COLOURS)
