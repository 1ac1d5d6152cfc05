"""The evidence graph of an audit report, drawn as inline SVG.

Why a hand-made layered drawing rather than a graph library: the report must be one
self-contained file that a court can open years later in any browser, with no script and no
request. A layered layout fits the evidence, which always flows one way (dossier → credentials →
issuers → roots of trust), and a few dozen lines of geometry give the same picture for the same
record on every machine.

* **Columns** are given by the caller (:attr:`GraphNode.column`).
* **Order within a column** starts from the caller's order and is improved by a few sweeps of the
  barycentre heuristic (each node moves towards the mean height of its neighbours in the columns
  already placed), with stable sorts: deterministic, and it keeps crossings few.
* **Links** are cubic curves from the right side of the source to the left side of the target;
  a link within one column bends out to the right. Where several links leave or enter one node,
  their ends are spread over its height so they can be told apart.
* **Text** is cut to fit the node; the full text is in the node's ``<title>`` (a tooltip, no
  script needed) and in the report's tables.

The geometry is computed here; the markup is the template ``vvp/templates/graph.svg.j2``,
rendered with autoescaping (:mod:`vvp.htmlpage`), so every text and attribute value is escaped
there (XML-safe too: only ``&amp; &lt; &gt; &#34; &#39;`` are produced). Names that become markup
rather than values (``data-*`` attribute names) are checked against a strict pattern.

Each node is a ``<g class="node …">`` with ``data-*`` attributes (the caller's: kind, SAID or
AID, state, status, marks), so tests and other tools can read the drawing as data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from vvp.htmlpage import render_fragment

NODE_W = 216
NODE_H = 86
COL_GAP = 64
ROW_GAP = 30
PAD = 16
HEAD_H = 34
BADGE_H = 16
_SWEEPS = 4

# Approximate advance widths (px) of the fonts the stylesheet asks for, to cut text that would
# overflow a node. Generous on purpose: a cut label is still legible, an overflowing one is not.
_TITLE_CHAR_W = 7.6
_LINE_CHAR_W = 6.7
_BADGE_CHAR_W = 6.4
_LABEL_CHAR_W = 6.3

LINK_KINDS = ("edge", "issued-by", "issued-to", "delegated-by")
"""Link kinds the stylesheet knows; each has its own arrowhead so it takes the line's colour."""


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One box of the drawing. ``key`` is what links refer to (a SAID or an AID); under the
    ``title`` come ``text`` (wrapped over at most two rows) and ``ident`` (the identifier, short,
    in a monospace font); ``badges`` are (text, css class) pills on the top edge; ``data`` becomes
    ``data-<name>="<value>"`` attributes; ``tooltip`` the ``<title>``."""

    key: str
    column: int
    title: str
    text: str
    ident: str
    classes: tuple[str, ...]
    badges: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]
    tooltip: str


@dataclass(frozen=True, slots=True)
class GraphLink:
    """An arrow from ``source`` to ``target`` (node keys). ``kind`` is one of :data:`LINK_KINDS`
    and sets its style; ``label`` is written on it (empty: none)."""

    source: str
    target: str
    kind: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class _Box:
    x: float
    y: float

    @property
    def cy(self) -> float:
        return self.y + NODE_H / 2


def _fit(text: str, width: float, char_w: float) -> str:
    room = max(1, int(width / char_w))
    return text if len(text) <= room else text[: max(1, room - 1)] + "…"


def _wrap(text: str, width: float, char_w: float, rows: int) -> list[str]:
    """Greedy word wrap into at most ``rows`` rows; the last row is cut with an ellipsis."""
    room = max(1, int(width / char_w))
    out: list[str] = []
    line = ""
    words = text.split()
    for i, w in enumerate(words):
        cand = f"{line} {w}" if line else w
        if len(cand) <= room:
            line = cand
            continue
        if line:
            out.append(line)
        line = w
        if len(out) == rows - 1:
            line = " ".join(words[i:])
            break
    if line:
        out.append(line)
    return [_fit(x, width, char_w) for x in out[:rows]]


def _num(v: float) -> str:
    """Coordinates with one decimal at most: stable text for the same layout."""
    r = round(v, 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def layout(nodes: Sequence[GraphNode], links: Sequence[GraphLink]) -> dict[str, tuple[float, float]]:
    """Top-left corner of every node (module docstring); deterministic for the same input."""
    columns: dict[int, list[GraphNode]] = {}
    for n in nodes:
        columns.setdefault(n.column, []).append(n)
    order = sorted(columns)
    col_x = {c: PAD + i * (NODE_W + COL_GAP) for i, c in enumerate(order)}
    tallest = max((len(v) for v in columns.values()), default=0)
    neighbours: dict[str, list[str]] = {n.key: [] for n in nodes}
    for lk in links:
        if lk.source in neighbours and lk.target in neighbours and lk.source != lk.target:
            neighbours[lk.source].append(lk.target)
            neighbours[lk.target].append(lk.source)
    column_of = {n.key: n.column for n in nodes}

    def centres() -> dict[str, float]:
        out: dict[str, float] = {}
        for members in columns.values():
            top = HEAD_H + PAD + (tallest - len(members)) * (NODE_H + ROW_GAP) / 2
            for i, n in enumerate(members):
                out[n.key] = top + i * (NODE_H + ROW_GAP) + NODE_H / 2
        return out

    for sweep in range(_SWEEPS):
        forward = sweep % 2 == 0
        for c in (order if forward else list(reversed(order))):
            y = centres()
            members = columns[c]

            def key(item: tuple[int, GraphNode], c: int = c, y: dict[str, float] = y,
                    forward: bool = forward) -> float:
                _, n = item
                near = [y[m] for m in neighbours[n.key]
                        if (column_of[m] < c if forward else column_of[m] > c)]
                return sum(near) / len(near) if near else y[n.key]

            columns[c] = [n for _, n in sorted(enumerate(members), key=key)]
    y = centres()
    return {n.key: (col_x[n.column], y[n.key] - NODE_H / 2) for n in nodes}


def _ports(links: Sequence[GraphLink], boxes: Mapping[str, _Box]) -> dict[tuple[int, str], float]:
    """Where each link leaves its source and enters its target: spread over the node's height,
    in the order of the other end's height, so parallel links do not overlap."""
    out: dict[tuple[int, str], float] = {}
    ends: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for i, lk in enumerate(links):
        ends.setdefault((lk.source, "out"), []).append((boxes[lk.target].cy, i))
        ends.setdefault((lk.target, "in"), []).append((boxes[lk.source].cy, i))
    for (key, side), items in ends.items():
        items.sort()
        box = boxes[key]
        span = NODE_H - 24
        for j, (_, i) in enumerate(items):
            frac = 0.5 if len(items) == 1 else j / (len(items) - 1)
            out[(i, side)] = box.y + 12 + span * frac
    return out


def _point(t: float, p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float],
           p3: tuple[float, float]) -> tuple[float, float]:
    """The point at parameter ``t`` of a cubic Bézier curve."""
    u = 1 - t
    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return (a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1])


@dataclass(frozen=True, slots=True)
class _Label:
    """A link's label: its plate (a rounded rectangle) and text, coordinates as text."""

    x: str
    y: str
    w: str
    tx: str
    ty: str
    text: str


@dataclass(frozen=True, slots=True)
class _DrawnLink:
    kind: str
    source: str
    target: str
    d: str
    label: _Label | None


@dataclass(frozen=True, slots=True)
class _Badge:
    css: str
    x: str
    w: str
    tx: str
    text: str


@dataclass(frozen=True, slots=True)
class _DrawnNode:
    classes: str
    data: tuple[tuple[str, str], ...]
    x: str
    y: str
    tooltip: str
    title: str
    title_y: int
    lines: tuple[tuple[int, str], ...]
    ident: str
    badges: tuple[_Badge, ...]


@dataclass(frozen=True, slots=True)
class _Column:
    x: str
    y: int
    text: str


_DATA_NAME = re.compile(r"[a-z][a-z0-9-]*")


def _draw_link(i: int, lk: GraphLink, boxes: Mapping[str, _Box], ports: Mapping[tuple[int, str], float]) -> _DrawnLink:
    """The link's curve, and its label (drawn in a later layer, above the boxes, so a label is
    never hidden behind a box the curve passes under)."""
    s, t = boxes[lk.source], boxes[lk.target]
    sy, ty = ports[(i, "out")], ports[(i, "in")]
    if t.x > s.x:
        x0, x3 = s.x + NODE_W, t.x
        dx = (x3 - x0) / 2
        x1, x2 = x0 + dx, x3 - dx
    elif t.x < s.x:
        x0, x3 = s.x, t.x + NODE_W
        dx = (x0 - x3) / 2
        x1, x2 = x0 - dx, x3 + dx
    else:
        x0 = x3 = s.x + NODE_W
        bend = min(COL_GAP - 16, 28 + abs(ty - sy) / 8)  # the arc stays in the gap beside the column
        x1 = x2 = x0 + bend
    d = (f"M{_num(x0)},{_num(sy)} C{_num(x1)},{_num(sy)} {_num(x2)},{_num(ty)} "
         f"{_num(x3)},{_num(ty)}")
    kind = lk.kind if lk.kind in LINK_KINDS else "edge"
    label: _Label | None = None
    if lk.label:
        # On a forward link the label sits in the gap just left of the target's column, where the
        # links into different targets have already parted (a link spanning columns would
        # otherwise put its label under a box it passes behind); else at the curve's midpoint.
        want = x3 - COL_GAP / 2 if t.x > s.x else None
        mx, my = _point(0.5, (x0, sy), (x1, sy), (x2, ty), (x3, ty))
        if want is not None and want > x0:
            lo, hi = 0.0, 1.0
            for _ in range(30):
                mid = (lo + hi) / 2
                if _point(mid, (x0, sy), (x1, sy), (x2, ty), (x3, ty))[0] < want:
                    lo = mid
                else:
                    hi = mid
            mx, my = _point(lo, (x0, sy), (x1, sy), (x2, ty), (x3, ty))
        elif t.x == s.x:
            mx, my = x1 - 6, (sy + ty) / 2
        text = _fit(lk.label, 120, _LABEL_CHAR_W)
        w = len(text) * _LABEL_CHAR_W + 8
        label = _Label(x=_num(mx - w / 2), y=_num(my - 8), w=_num(w), tx=_num(mx), ty=_num(my + 4), text=text)
    return _DrawnLink(kind=kind, source=lk.source, target=lk.target, d=d, label=label)


def _draw_node(n: GraphNode, box: _Box) -> _DrawnNode:
    for name, _ in n.data:
        if not _DATA_NAME.fullmatch(name):
            raise ValueError(f"graph node data name {name!r} is not a lower-case attribute name")
    y = 42 if n.badges else 39
    lines = []
    for row in _wrap(n.text, NODE_W - 24, _LINE_CHAR_W, 2):
        lines.append((y, row))
        y += 15
    badges = []
    bx = 10.0
    for text, cls in n.badges:
        w = len(text) * _BADGE_CHAR_W + 12
        if bx + w > NODE_W - 6:
            break
        badges.append(_Badge(css=cls, x=_num(bx), w=_num(w), tx=_num(bx + w / 2), text=text))
        bx += w + 6
    return _DrawnNode(classes=" ".join(("node", *n.classes)), data=n.data, x=_num(box.x), y=_num(box.y),
                      tooltip=n.tooltip, title=_fit(n.title, NODE_W - 24, _TITLE_CHAR_W),
                      title_y=25 if n.badges else 22, lines=tuple(lines),
                      ident=_fit(n.ident, NODE_W - 24, _LINE_CHAR_W), badges=tuple(badges))


def render_svg(nodes: Sequence[GraphNode], links: Sequence[GraphLink], column_titles: Mapping[int, str], *,
               title: str, description: str) -> Markup:
    """The whole ``<svg>`` element for inline use in an HTML page (no XML prolog, no script),
    from ``templates/graph.svg.j2``: every text and attribute value escaped by the template."""
    if len({n.key for n in nodes}) != len(nodes):
        raise ValueError("graph node keys must be unique")
    pos = layout(nodes, links)
    boxes = {k: _Box(x, y) for k, (x, y) in pos.items()}
    drawn = [lk for lk in links if lk.source in boxes and lk.target in boxes and lk.source != lk.target]
    cols = sorted({n.column for n in nodes})
    width = PAD * 2 + len(cols) * NODE_W + max(0, len(cols) - 1) * COL_GAP + 40
    height = max((b.y + NODE_H for b in boxes.values()), default=HEAD_H + PAD) + PAD
    ports = _ports(drawn, boxes)
    columns = [_Column(x=_num(PAD + i * (NODE_W + COL_GAP) + 2), y=PAD + 6,
                       text=_fit(column_titles[c], NODE_W + COL_GAP - 12, _LINE_CHAR_W))
               for i, c in enumerate(cols) if column_titles.get(c, "")]
    return render_fragment(
        "graph.svg.j2", width=_num(width), height=_num(height), title=title, description=description,
        link_kinds=LINK_KINDS, columns=columns, links=[_draw_link(i, lk, boxes, ports) for i, lk in enumerate(drawn)],
        nodes=[_draw_node(n, boxes[n.key]) for n in nodes], node_w=NODE_W, node_h=NODE_H, badge_h=BADGE_H)
