"""``summary.html`` in a real browser: headless Chromium opens the summary of a batch run and

* makes no request while loading (Chromium's NetLog, read as the report's browser test does; its
  control test proves the method sees a page's requests);
* builds every chart: the statuses over time, the failure codes per claim, the top tables' bars,
  the verstat table and the rate chart, as SVG in the DOM it dumps, with no script;
* draws them: the screenshot holds the VALID, INVALID and INDETERMINATE colours of the bars.

The helpers (launching Chromium, reading the NetLog, decoding the PNG) are the report test's.
Without Chromium the test skips with a reason on a developer machine and fails in CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.batchkit import BatchWorld, batch_world
from tests.test_report_browser import chromium, decode_png, load_in_chromium, page_requests, pixels
from vvp._cli import main
from vvp.batch.summary import COLOURS
from vvp.testing.world import ServedWorld

__all__ = ["chromium"]  # the fixture, imported for this module's tests


@pytest.fixture(scope="module")
def bw(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> BatchWorld:
    return batch_world(served_world, tmp_path_factory.mktemp("batch-world"))


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def test_summary_in_headless_chromium(bw: BatchWorld, chromium: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    src = tmp_path / "calls.jsonl"
    src.write_bytes(bw.jsonl.read_bytes() + b"{not a row\n")  # one unreadable row, to be counted
    assert main(bw.argv(src, out, "--json")) == 4
    totals = json.loads(capsys.readouterr().out)
    page = out / "summary.html"
    got = load_in_chromium(chromium, page, tmp_path)

    assert page_requests(got.requests) == [], "the summary made requests while loading"

    dom = got.dom
    assert "<script" not in dom.lower()
    assert f'data-total="{totals["rows"]}"' in dom and 'data-errors="1"' in dom
    for st, n in totals["statuses"].items():
        assert f'data-{st.lower()}="{n}"' in dom
    for chart in ("chart-time", "chart-rate", "chart-codes-passport", "chart-codes-tn_rights"):
        assert f'id="{chart}"' in dom, chart
    for table in ("top-signers", "top-accountable", "top-dossiers", "verstat"):
        assert f'data-table="{table}"' in dom, table
    assert dom.count('class="bar"') > 30  # the bars of the charts, as SVG rectangles
    assert 'class="rate"' in dom  # the rate chart's line

    width, height, bpp, rows = decode_png(got.png)
    seen = {st: 0 for st in COLOURS}
    targets = {st: _rgb(c) for st, c in COLOURS.items()}
    for r, g, b in pixels(rows, bpp):
        for st, (tr, tg, tb) in targets.items():
            if abs(r - tr) <= 6 and abs(g - tg) <= 6 and abs(b - tb) <= 6:
                seen[st] += 1
    assert all(n > 200 for n in seen.values()), f"chart colours drawn (pixels per status): {seen}"
