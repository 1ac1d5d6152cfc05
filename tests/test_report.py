"""``vvp report``: the audit page of a forensic record, checked as HTML (no browser here; the
browser test is tests/test_report_browser.py).

What must hold for a page a court may rely on:

* it is self-contained and inert: a Content-Security-Policy with ``default-src 'none'`` whose only
  allowance is the page's own stylesheet, by hash; no script, no ``src``/``href`` of any kind, no
  ``url()`` but same-document fragments; every piece of text from the record escaped;
* the evidence graph has one node per credential and per issuer (checked against the recorded
  verdict's own checks, not against the code that drew it), with the accountable party, the
  signer and the brand marked, and the revoked credential marked;
* it is deterministic, and the exit codes say when the record is not sound (6: integrity refused,
  signature failing; 5: the verdict does not reproduce).
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import pytest

from tests.recordkit import SALT, resign, shm_dir
from vvp import codes
from vvp._cli import main
from vvp.htmlpage import content_security_policy, environment, render_page, stylesheet
from vvp.record import Record, VerifierIdentity, canonical_json, load_record, open_identity
from vvp.report import build_report, render_html
from vvp.report_svg import GraphLink, GraphNode, layout, render_svg

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "fixtures" / "records"
VALID = GOLDEN / "valid.json"
REVOKED = GOLDEN / "revoked-tn-allocation.json"
UNREACHABLE = GOLDEN / "evidence-unreachable.json"

URL_ATTRS = frozenset({"src", "href", "srcset", "action", "formaction", "poster", "data", "xlink:href",
                       "background", "ping", "manifest", "codebase", "cite", "longdesc", "usemap"})


# ---------------------------------------------------------------------------------------------
# Reading a page (shared with tests/test_report_browser.py)


@dataclass
class Page:
    """A parsed page: every element with its attributes, the text, and the stylesheets."""

    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text: str = ""
    styles: list[str] = field(default_factory=list)

    def find(self, **attrs: str) -> list[dict[str, str]]:
        return [a for _, a in self.elements if all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def tags(self, name: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == name]

    def nodes(self, kind: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == "g" and a.get("data-kind") == kind
                and "node" in a.get("class", "").split()]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "style":
            self._in_style = True
            self.page.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.page.styles[-1] += data
        else:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = "".join(self._text)


def parse_page(text: str) -> Page:
    p = _Parser()
    p.feed(text)
    p.close()
    return p.page


def expected_graph(verdict: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The credentials and their issuers, read from the recorded verdict's own checks: every
    credential gets a DS-01 check, and its V-08 check names its issuer."""
    creds = {c["subject"] for c in verdict["checks"] if c["id"] == "DS-01" and c["subject"]}
    issuers = set()
    for c in verdict["checks"]:
        if c["id"] == "V-08" and c["subject"] in creds:
            m = re.search(r" by (\S+): its iss event", c["message"])
            assert m, c["message"]
            issuers.add(m.group(1))
    return creds, issuers


def assert_inert(page: Page, raw: str) -> None:
    """No script, no request: the CSP says so, and nothing in the page would ask anyway."""
    csp = [a["content"] for a in page.tags("meta") if a.get("http-equiv", "").lower() == "content-security-policy"]
    assert len(csp) == 1, csp
    directives = {d.strip().split()[0]: d.strip().split()[1:] for d in csp[0].split(";") if d.strip()}
    assert directives["default-src"] == ["'none'"]
    assert len(page.styles) == 1
    digest = base64.b64encode(hashlib.sha256(page.styles[0].encode()).digest()).decode()
    assert directives["style-src"] == [f"'sha256-{digest}'"], "the CSP must allow exactly the page's stylesheet"
    assert "script-src" not in directives and "unsafe-inline" not in csp[0]
    assert raw.index("Content-Security-Policy") < raw.index("<style>"), "the CSP must come before the style"
    assert not page.tags("script") and not page.tags("iframe") and not page.tags("object") and not page.tags("img")
    assert not page.tags("link") and not page.tags("embed") and not page.tags("base") and not page.tags("form")
    for tag, attrs in page.elements:
        for name, value in attrs.items():
            assert name not in URL_ATTRS, f"<{tag} {name}={value!r}>"
            assert not name.startswith("on"), f"<{tag} {name}=…> is an event handler"
            for ref in re.findall(r"url\(([^)]*)\)", value):
                assert ref.startswith("#"), f"<{tag} {name}={value!r}> refers outside the page"
    assert "@import" not in page.styles[0] and "url(" not in page.styles[0]
    assert not re.search(r"(?i)<(script|iframe|img|link|object|embed)\b", raw)


def render(record: Path, out: Path, capsys: pytest.CaptureFixture[str] | None = None) -> tuple[int, str]:
    rc = main(["report", str(record), "-o", str(out)])
    if capsys is not None:
        capsys.readouterr()
    return rc, out.read_text(encoding="utf-8") if out.exists() else ""


# ---------------------------------------------------------------------------------------------
# The golden records


def test_happy_path_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, raw = render(VALID, tmp_path / "valid.html")
    err = capsys.readouterr().err
    assert rc == 0 and "report written to" in err
    page = parse_page(raw)
    assert_inert(page, raw)
    rec = load_record(VALID)
    verdict = rec.verdict
    assert "Verdict: VALID" in page.text
    assert page.find(id="verdict")[0]["data-status"] == "VALID"
    creds, issuers = expected_graph(verdict)
    cred_nodes = page.nodes("credential")
    assert len(cred_nodes) == len(creds) >= 8
    assert {n["data-said"] for n in cred_nodes} == creds
    issuer_nodes = page.nodes("issuer")
    assert len(issuer_nodes) == len(issuers) and {n["data-aid"] for n in issuer_nodes} == issuers
    assert all(n["data-state"] == "issued" for n in cred_nodes)
    auth = verdict["claims"]["authorization"]

    def marked(mark: str) -> list[dict[str, str]]:
        return [n for _, n in page.elements if mark in n.get("data-marks", "").split()]

    assert [n["data-aid"] for n in marked("accountable")] == [auth["accountable_party"]]
    assert [n["data-aid"] for n in marked("signer")] == [auth["signer"]]
    assert [n["data-said"] for n in marked("brand")] == [verdict["display"]["brand"]["credential"]]
    assert [n["data-said"] for n in marked("dossier")] == [verdict["claims"]["dossier"]["said"]]
    roots = rec.data["trust"]["store"]["roots"]
    drawn_roots = {n["data-aid"]: n["data-trust-root"] for _, n in page.elements if n.get("data-trust-root")}
    assert drawn_roots == {aid: q for q, aids in roots.items() for aid in aids}
    # Every check, in plain words, grouped by claim.
    for c in verdict["checks"]:
        assert c["message"] in page.text, c
    for claim, body in verdict["claims"].items():
        section = page.find(id=f"claim-{claim}")
        assert section and section[0]["data-status"] == body["status"]
    # The timeline: the signer's establishment events, every issuance, the call, the reception.
    assert f"{rec.received_at}" in page.text and "The call" in page.text
    kinds = [a["data-kind"] for t, a in page.elements if t == "tr" and "data-kind" in a]
    assert kinds.count("issuance") == len(creds) and kinds.count("call") == 1 and kinds.count("received") == 1
    assert kinds.count("establishment") >= 9  # one inception per party, and the signer's rotation
    assert "Record intact" in page.text and "Signed by the verifier" in page.text
    assert "Re-verified offline: same verdict" in page.text
    assert rec.signer.aid in page.text and rec.id in page.text


def test_revoked_credential_is_marked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, raw = render(REVOKED, tmp_path / "revoked.html", capsys)
    assert rc == 0
    page = parse_page(raw)
    assert_inert(page, raw)
    verdict = load_record(REVOKED).verdict
    assert "Verdict: INVALID" in page.text
    revoked = [c["subject"] for c in verdict["checks"] if c["code"] == codes.CREDENTIAL_REVOKED]
    assert len(revoked) == 1
    nodes = page.nodes("credential")
    creds, issuers = expected_graph(verdict)
    assert {n["data-said"] for n in nodes} == creds and {n["data-aid"] for n in page.nodes("issuer")} == issuers
    marked = [n for n in nodes if n["data-state"] == "revoked"]
    assert [n["data-said"] for n in marked] == revoked
    assert "revoked" in marked[0]["class"].split() and marked[0]["data-status"] == "INVALID"
    assert all(n["data-state"] == "issued" for n in nodes if n not in marked)
    rows = [a for t, a in page.elements if t == "tr" and a.get("data-kind") == "revocation"]
    assert len(rows) == 1 and "t-before" in rows[0]["class"]
    assert codes.CREDENTIAL_REVOKED in page.text and codes.TN_ALLOCATION_NOT_ISSUED in page.text


def test_unreachable_evidence_renders_what_is_known(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, raw = render(UNREACHABLE, tmp_path / "u.html", capsys)
    assert rc == 0
    page = parse_page(raw)
    assert_inert(page, raw)
    assert "Verdict: INDETERMINATE" in page.text and codes.DOSSIER_UNREACHABLE in page.text
    assert page.nodes("credential") == [] and page.nodes("issuer") == []
    assert [n["data-marks"] for n in page.nodes("party")] == ["signer"]


def test_the_report_is_deterministic() -> None:
    rec = load_record(REVOKED)
    assert render_html(build_report(rec)) == render_html(build_report(rec))


# ---------------------------------------------------------------------------------------------
# Records made to test the edges


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        yield ident


def _write(data: Mapping[str, Any], path: Path) -> Path:
    path.write_bytes(canonical_json(data) + b"\n")
    return path


HOSTILE = '</td><script>alert(1)</script><img src=x onerror=alert(2)><style>body{display:none}</style>'
HOSTILE_ATTR = 'EABC" onmouseover="alert(3)" data-x="'


def test_text_from_the_record_is_escaped(tmp_path: Path, identity: VerifierIdentity,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(VALID.read_bytes())
    v = data["verdict"]
    v["checks"][0]["message"] = HOSTILE
    v["checks"][1]["subject"] = HOSTILE_ATTR
    v["display"]["brand"]["card"] = [HOSTILE]
    v["claims"]["authorization"]["accountable_party"] = HOSTILE_ATTR
    data["inputs"]["call_id"] = HOSTILE
    path = _write(resign(data, identity), tmp_path / "hostile.json")
    rc, raw = render(path, tmp_path / "hostile.html", capsys)
    page = parse_page(raw)
    assert_inert(page, raw)
    assert HOSTILE in page.text and HOSTILE_ATTR in page.text  # shown as text, exactly
    assert html.escape(HOSTILE) in raw
    assert len(page.styles) == 1
    # The verdict fields changed, so the re-verification notices: exit 5, said on the page.
    assert rc == 5 and page.find(data_alarm="reproduction")


def test_a_verdict_that_does_not_reproduce_is_flagged(tmp_path: Path, identity: VerifierIdentity,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(REVOKED.read_bytes())
    data["verdict"]["status"] = "VALID"
    path = _write(resign(data, identity), tmp_path / "moved.json")
    rc, raw = render(path, tmp_path / "moved.html")
    assert rc == 5 and codes.RECORD_NOT_REPRODUCED in capsys.readouterr().err
    page = parse_page(raw)
    assert page.find(data_alarm="reproduction") and "verdict NOT reproduced" in page.text


def test_a_failing_signature_is_rendered_with_a_warning_and_exit_6(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(VALID.read_bytes())
    sig = data["signature"]["sigs"][0]
    data["signature"]["sigs"][0] = sig[:-3] + ("AAA" if not sig.endswith("AAA") else "BBB")
    path = _write(data, tmp_path / "badsig.json")
    Record.from_bytes(path.read_bytes())  # still intact: the signature is outside the signed content
    rc, raw = render(path, tmp_path / "badsig.html")
    assert rc == 6 and "signature does not verify" in capsys.readouterr().err
    page = parse_page(raw)
    assert page.find(data_alarm="signature") and "Signature FAILED" in page.text
    assert page.nodes("credential"), "the evidence is still shown, under the warning"


def test_a_record_whose_integrity_fails_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = VALID.read_bytes().replace(b'"golden-valid"', b'"golden-vaLid"')
    assert raw != VALID.read_bytes()
    path = tmp_path / "changed.json"
    path.write_bytes(raw)
    out = tmp_path / "changed.html"
    assert main(["report", str(path), "-o", str(out)]) == 6
    err = capsys.readouterr().err
    assert codes.RECORD_ID_MISMATCH in err and not out.exists()


def test_unreadable_input_and_unwritable_output_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "r.html")]) == 4
    assert codes.RECORD_UNREADABLE in capsys.readouterr().err
    assert main(["report", str(VALID), "-o", str(tmp_path / "no" / "such" / "dir" / "r.html")]) == 4
    assert codes.REPORT_WRITE_FAILED in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


BRAND_SCRIPT = "<script>alert(1)</script>"
BRAND_BREAKOUT = '"><img src=x>'


def test_a_hostile_brand_name_comes_out_escaped(tmp_path: Path, identity: VerifierIdentity,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A brand name is whatever the caller's brand credential says: the page shows it as text, in
    running text and in attributes (the accountable party's AID becomes ``data-aid`` and a
    tooltip in the graph), and adds no element of its own."""
    data = json.loads(VALID.read_bytes())
    v = data["verdict"]
    v["display"]["brand"]["card"] = [f"ORG:{BRAND_SCRIPT}", f"FN:{BRAND_BREAKOUT}"]
    v["claims"]["authorization"]["accountable_party"] = BRAND_BREAKOUT
    path = _write(resign(data, identity), tmp_path / "brand.json")
    rc, raw = render(path, tmp_path / "brand.html", capsys)
    assert rc == 5  # the verdict was edited, so it does not reproduce; the page is still written
    page = parse_page(raw)
    assert_inert(page, raw)
    assert f"ORG:{BRAND_SCRIPT}, FN:{BRAND_BREAKOUT} (justified by" in page.text
    assert "ORG:&lt;script&gt;alert(1)&lt;/script&gt;, FN:&#34;&gt;&lt;img src=x&gt;" in raw
    drawn = [n for n in page.nodes("party") + page.nodes("issuer") if n["data-aid"] == BRAND_BREAKOUT]
    assert len(drawn) == 1 and "accountable" in drawn[0]["data-marks"].split()
    # No element, attribute name or tag that the unedited record's page does not have.
    _, plain = render(VALID, tmp_path / "plain.html", capsys)
    base = parse_page(plain)
    assert {t for t, _ in page.elements} == {t for t, _ in base.elements}
    names = {k for _, a in page.elements for k in a}
    assert names - {k for _, a in base.elements for k in a} == {"data-alarm"}  # the reproduction banner


def test_the_graph_svg_is_escaped_and_well_formed_xml() -> None:
    """The graph template on its own: hostile keys, titles, texts, badges, data values, link
    labels and column titles come out as text (XML-parsable, values round-trip), and a data name
    that is not a plain attribute name is refused rather than written."""
    evil = '"/><script>alert(1)</script><x a="'
    nodes = [GraphNode(key=evil, column=0, title=evil, text=f"{evil} {evil}", ident=evil, classes=(evil,),
                       badges=((evil, evil),), data=(("kind", "credential"), ("said", evil)), tooltip=evil),
             GraphNode(key="b", column=1, title="b", text="", ident="b", classes=(), badges=(), data=(),
                       tooltip="b")]
    svg = render_svg(nodes, [GraphLink(evil, "b", "edge", evil)], {0: evil, 1: "ok"}, title=evil, description=evil)
    root = ET.fromstring(svg)
    tags = {el.tag.split("}")[1] for el in root.iter()}
    assert tags <= {"svg", "title", "desc", "defs", "marker", "path", "text", "g", "rect"}, tags
    node = next(el for el in root.iter() if el.get("data-said") is not None)
    assert node.get("data-said") == evil and evil in (node.get("class") or "")
    link = next(el for el in root.iter() if el.get("data-link") == "edge")
    assert link.get("data-from") == evil and link.get("data-to") == "b"
    texts = "".join(root.itertext())
    assert evil in texts
    page = parse_page(str(svg))
    assert not page.tags("script") and not page.tags("x")
    with pytest.raises(ValueError, match="attribute name"):
        render_svg([GraphNode(key="k", column=0, title="t", text="", ident="k", classes=(), badges=(),
                              data=(("x onload", "y"),), tooltip="t")], [], {}, title="t", description="d")


def test_the_base_layout_serves_any_page() -> None:
    """What another page (the batch summary) gets from ``render_page``: the same CSP and
    stylesheet, by hash of the bytes in the page, an escaped title, strict variables, and no way
    to override the CSP or the style."""
    hostile = "</title><script>alert(1)</script>"
    raw = render_page("base.html.j2", title=hostile)
    page = parse_page(raw)
    assert_inert(page, raw)
    assert page.styles == [stylesheet()]
    assert f"<title>{html.escape(hostile, quote=False)}</title>" in raw
    assert [a["content"] for a in page.tags("meta") if "http-equiv" in a] == [content_security_policy()]
    env = environment()
    assert env.autoescape is True and env.undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError):
        render_page("base.html.j2")
    with pytest.raises(jinja2.UndefinedError):
        render_page("report.html.j2", title="no report given")
    with pytest.raises(ValueError, match="sets"):
        render_page("base.html.j2", title="t", csp="default-src *")


def test_nothing_in_the_html_path_escapes_by_hand() -> None:
    """The guard that keeps it so: the page and graph code build no markup (no ``html.escape``,
    no ``Markup(...)`` outside :mod:`vvp.htmlpage`), and no template turns escaping off."""
    for name in ("report.py", "report_svg.py", "htmlpage.py"):
        src = (REPO / "vvp" / name).read_text(encoding="utf-8")
        assert "import html" not in src and "html.escape" not in src and "escape(" not in src, name
        if name != "htmlpage.py":
            assert "Markup(" not in src, name
    templates = sorted((REPO / "vvp" / "templates").glob("*.j2"))
    assert {t.name for t in templates} >= {"base.html.j2", "macros.html.j2", "report.html.j2", "graph.svg.j2"}
    for t in templates:
        text = t.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|Markup", text), t.name


def test_csp_allows_nothing_but_the_stylesheet() -> None:
    csp = content_security_policy()
    assert csp.startswith("default-src 'none';")
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", csp.split("style-src ", 1)[1].split(";")[0])


# ---------------------------------------------------------------------------------------------
# The layout


def _node(key: str, column: int) -> GraphNode:
    return GraphNode(key=key, column=column, title=key, text="", ident=key, classes=(), badges=(), data=(),
                     tooltip=key)


def test_layout_is_layered_deterministic_and_without_overlap() -> None:
    nodes = [_node("d", 0), _node("a", 1), _node("b", 1), _node("c", 1), _node("x", 2), _node("y", 2)]
    links = [GraphLink("d", "a", "edge"), GraphLink("d", "b", "edge"), GraphLink("d", "c", "edge"),
             GraphLink("a", "y", "issued-by"), GraphLink("c", "x", "issued-by")]
    pos = layout(nodes, links)
    assert pos == layout(nodes, links)
    xs = {n.column: pos[n.key][0] for n in nodes}
    assert xs[0] < xs[1] < xs[2]
    for col in (1, 2):
        ys = sorted(pos[n.key][1] for n in nodes if n.column == col)
        assert all(b - a >= 86 for a, b in itertools.pairwise(ys))
    # The barycentre sweep puts y (linked from a, above) above x (linked from c, below).
    assert pos["y"][1] < pos["x"][1]
