"""The audit report in a real browser: headless Chromium (architecture §7) opens the page for
the happy-path record and for the record with a revoked credential, and:

* takes a screenshot that is not blank, and in which the verdict banner has its colour: proof that
  the browser applied the stylesheet the Content-Security-Policy allows by hash (had the hash been
  wrong, the page would render unstyled and the colour would be missing);
* dumps the DOM as the browser built it (``--dump-dom``): one SVG node per credential and per
  issuer, the revoked node marked, the verdict text present;
* makes no network request while loading.

How "no network request" is established: Chromium writes a NetLog (``--log-net-log``) of every
URL request its network stack starts. A ``file://`` page's own load does not go through the
network stack, so any request whose initiator or network isolation key is the page (``null`` /
``file://``) is one the page made. The browser's own background traffic (component updates, time
checks; started by the browser, initiator "not an origin", no file:// isolation key) is not the
page's and is ignored; anything that cannot be classified counts as the page's. A control page
with an ``<img>`` and a stylesheet on 127.0.0.1 proves the method sees page requests; its host is
the discard port, so nothing is fetched. The profile directory is fresh for every run.

Without Chromium the tests skip with a reason on a developer machine, and fail in CI
(``CI=true``): ``.ci/run`` installs Debian's ``chromium`` when it is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.test_report import GOLDEN, expected_graph, parse_page
from vvp import codes
from vvp._cli import main
from vvp.record import load_record

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = (1280, 1800)
TIMEOUT_S = 120
# The verdict banner's background (the stylesheet's --ok and --bad).
BANNER_RGB = {"VALID": (0x1A, 0x7F, 0x37), "INVALID": (0xCF, 0x22, 0x2E)}


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    why = ("no headless Chromium on PATH (tried: " + ", ".join(BROWSERS) + "); install Debian's `chromium` "
           "package (.ci/run does it as root)")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the report's browser test: {why}")
    pytest.skip(why)


@dataclass(frozen=True)
class Loaded:
    """What one headless run produced."""

    dom: str
    png: bytes
    requests: list[dict[str, Any]]
    stderr: str


def load_in_chromium(chromium: str, page: Path, work: Path) -> Loaded:
    """Open ``page`` once: screenshot, DOM dump and NetLog from the same load."""
    profile = work / "profile"
    shot = work / "shot.png"
    netlog = work / "netlog.json"
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
            "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
            f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--log-net-log={netlog}", "--net-log-capture-mode=Default",
            f"--screenshot={shot}", "--dump-dom", page.resolve().as_uri()]
    run = subprocess.run(args, capture_output=True, timeout=TIMEOUT_S, cwd=work, check=False)
    err = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 0, f"chromium exited {run.returncode}: {err[-2000:]}"
    assert shot.exists(), f"no screenshot: {err[-2000:]}"
    return Loaded(dom=run.stdout.decode("utf-8"), png=shot.read_bytes(), requests=_url_requests(netlog), stderr=err)


def _url_requests(netlog: Path) -> list[dict[str, Any]]:
    """Every URL request the network stack started (NetLog ``URL_REQUEST_START_JOB``)."""
    raw = netlog.read_text(encoding="utf-8")
    try:
        log = json.loads(raw)
    except json.JSONDecodeError:  # a log cut at exit lacks its closing brackets
        log = json.loads(raw.rstrip().rstrip(",") + "]}")
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    begin = log["constants"]["logEventPhase"]["PHASE_BEGIN"]
    return [dict(e.get("params", {})) for e in log.get("events", [])
            if e.get("type") == start and e.get("phase") == begin]


def page_requests(requests: list[dict[str, Any]]) -> list[str]:
    """The requests the page made (module docstring): all but the browser's own."""
    out = []
    for p in requests:
        browser_own = (p.get("initiator") == "not an origin" and "file://" not in str(p.get("network_isolation_key"))
                       and "file://" not in str(p.get("site_for_cookies")))
        if not browser_own:
            out.append(str(p.get("url")))
    return out


# ---------------------------------------------------------------------------------------------
# A small PNG reader (stdlib only): 8-bit RGB or RGBA, not interlaced, as Chromium writes them.


def decode_png(data: bytes) -> tuple[int, int, int, list[bytearray]]:
    """(width, height, bytes per pixel, rows of raw pixel bytes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    width = height = bpp = 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    i = 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 0xFF
        elif f == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif f == 3:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 0xFF
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def pixels(rows: list[bytearray], bpp: int) -> Iterator[tuple[int, int, int]]:
    for row in rows:
        for x in range(0, len(row), bpp):
            yield row[x], row[x + 1], row[x + 2]


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["valid", "revoked-tn-allocation"])
def test_report_in_headless_chromium(name: str, chromium: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    record = GOLDEN / f"{name}.json"
    page = tmp_path / f"{name}.html"
    assert main(["report", str(record), "-o", str(page)]) == 0
    capsys.readouterr()
    got = load_in_chromium(chromium, page, tmp_path)
    shots = Path(os.environ.get("VVP_REPORT_SHOTS", "")) if os.environ.get("VVP_REPORT_SHOTS") else None
    if shots is not None:  # keep the screenshot for a person to look at
        shots.mkdir(parents=True, exist_ok=True)
        (shots / f"{name}.png").write_bytes(got.png)

    # No network request while loading.
    assert page_requests(got.requests) == [], "the report made requests while loading"

    # The screenshot is not blank, and the verdict banner is drawn in its colour.
    width, height, bpp, rows = decode_png(got.png)
    assert (width, height) == WINDOW
    verdict = load_record(record).verdict
    status = verdict["status"]
    banner = BANNER_RGB[status]
    total = width * height
    inked = coloured = 0
    colours: set[tuple[int, int, int]] = set()
    for r, g, b in pixels(rows, bpp):
        if r < 245 or g < 245 or b < 245:
            inked += 1
            if len(colours) < 4096:
                colours.add((r >> 4, g >> 4, b >> 4))
        if abs(r - banner[0]) <= 10 and abs(g - banner[1]) <= 10 and abs(b - banner[2]) <= 10:
            coloured += 1
    assert inked > total * 0.05, f"only {inked} of {total} pixels are not white: the page looks blank"
    assert len(colours) > 40, "the screenshot has almost no distinct colours"
    assert coloured > 30_000, f"the {status} banner colour covers {coloured} pixels: was the stylesheet applied?"

    # The DOM as the browser built it.
    dom = parse_page(got.dom)
    assert f"Verdict: {status}" in dom.text
    creds, issuers = expected_graph(verdict)
    cred_nodes = [n for _, n in dom.elements if n.get("data-kind") == "credential" and "node" in n.get("class", "")]
    issuer_nodes = [n for _, n in dom.elements if n.get("data-kind") == "issuer" and "node" in n.get("class", "")]
    assert sorted(n["data-said"] for n in cred_nodes) == sorted(creds)
    assert sorted(n["data-aid"] for n in issuer_nodes) == sorted(issuers)
    svgs = [a for t, a in dom.elements if t == "svg" and "graph" in a.get("class", "")]
    assert len(svgs) == 1
    revoked = [n["data-said"] for n in cred_nodes if n.get("data-state") == "revoked"]
    if name == "valid":
        assert revoked == []
    else:
        assert revoked == [c["subject"] for c in verdict["checks"] if c["code"] == codes.CREDENTIAL_REVOKED]
    assert not any(t == "script" for t, _ in dom.elements)


def test_the_request_detector_sees_page_requests(chromium: str, tmp_path: Path) -> None:
    """The control: a page that does ask for an image and a stylesheet is caught (module
    docstring). Port 9 (discard) on loopback: the attempts are logged, nothing is served."""
    page = tmp_path / "control.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" href="http://127.0.0.1:9/probe.css">'
                    '</head><body><p>control</p><img src="http://127.0.0.1:9/probe.png"></body></html>')
    got = load_in_chromium(chromium, page, tmp_path)
    asked = page_requests(got.requests)
    assert "http://127.0.0.1:9/probe.png" in asked and "http://127.0.0.1:9/probe.css" in asked, got.requests
