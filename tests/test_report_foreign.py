"""``vvp report`` of calls with foreign evidence: the artifacts beside the ACDC graph.

Records of the foreign world's calls (a valid delegate certificate with its CRLs, an authority
token that does not cover orig under strict, Acme's SD-JWT VC) rendered as in tests/test_report.py:
the page stays inert, every artifact of the recorded ``evidence`` claim has a row (media type,
digest, status and codes, anchor, facts, whether they agree) and its bridge's node in the graph
carries the artifact's result; text from the record, hostile or not, comes out escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.foreign_world_kit import foreign_world, main_bridge
from tests.recordkit import SALT, record_call, resign, shm_dir
from tests.test_report import HOSTILE, HOSTILE_ATTR, Page, _write, assert_inert, parse_page, render
from vvp.testing.worldgen.build import LEI_LE
from vvp.record import VerifierIdentity, open_identity
from vvp.verifier import verify_call
from vvp.testing.world.scenarios import foreign_case


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=SALT) as ident:
        yield ident


def _record(name: str, tmp_path: Path, identity: VerifierIdentity) -> tuple[Path, dict[str, Any]]:
    sw = foreign_world()
    trust = sw.files.trust_foreign_strict if name.endswith("-strict") else sw.files.trust
    made = record_call(sw.call(name), tmp_path / f"{name}.json", identity, verify=verify_call, trust_file=trust)
    return made.path, json.loads(made.record.to_bytes())


def _rows(page: Page) -> dict[str, dict[str, str]]:
    return {a["data-bridge"]: a for _, a in page.elements if "data-bridge" in a}


@pytest.mark.parametrize("name", ["evidence-cert-valid", "evidence-rtu-not-orig-strict", "evidence-sd-jwt-vc"])
def test_the_artifacts_are_shown_beside_the_graph(name: str, tmp_path: Path, identity: VerifierIdentity,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path, doc = _record(name, tmp_path, identity)
    rc, raw = render(path, tmp_path / "page.html", capsys)
    assert rc == 0
    page = parse_page(raw)
    assert_inert(page, raw)
    arts = doc["verdict"]["claims"]["evidence"]["artifacts"]
    rows = _rows(page)
    assert set(rows) == {a["bridge"] for a in arts}
    for a in arts:
        row = rows[a["bridge"]]
        assert row["data-status"] == a["status"] and row["data-media-type"] == a["media_type"]
        want = {True: "agree", False: "contradict", None: "not-compared"}[a["consistent"]]
        assert row["data-consistent"] == want
        assert a["digest"] in page.text and all(c in page.text for c in a["codes"])
        if a["anchor"]:
            assert a["anchor"] in page.text
        node = page.find(data_said=a["bridge"])
        assert node and node[0]["data-artifact-status"] == a["status"], a["bridge"]
        assert node[0]["data-artifact-media-type"] == a["media_type"]
    case = foreign_case(name)
    main = rows[main_bridge(foreign_world(), case)]
    assert main["data-status"] == case.evidence
    assert page.find(data_claim="evidence")
    if name == "evidence-sd-jwt-vc":
        assert f"LEI {LEI_LE}" in page.text and "legal name Acme Widgets Inc" in page.text
        assert "reported beside the verdict" in page.text
    if name.endswith("-strict"):
        assert "counts in the verdict" in page.text and "+15551239999" in page.text
        assert page.find(data_status="INVALID") and "Foreign evidence the dossier binds" in page.text


def test_a_record_without_foreign_evidence_has_no_artifact_section(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rc, raw = render(Path(__file__).resolve().parents[1] / "fixtures" / "records" / "valid.json",
                     tmp_path / "page.html", capsys)
    assert rc == 0 and 'id="artifacts"' not in raw and not _rows(parse_page(raw))


def test_hostile_strings_in_the_evidence_claim_come_out_escaped(tmp_path: Path, identity: VerifierIdentity,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path, data = _record("evidence-sd-jwt-vc", tmp_path, identity)
    arts = data["verdict"]["claims"]["evidence"]["artifacts"]
    a = arts[0]
    a["facts"]["legal_name"] = HOSTILE
    a["facts"]["tns"] = [HOSTILE]
    a["facts"]["tn_ranges"] = [[HOSTILE, HOSTILE_ATTR]]
    a["anchor"] = HOSTILE
    a["codes"] = [HOSTILE]
    a["media_type"] = HOSTILE_ATTR
    a["location"] = HOSTILE
    a["art_posture"] = HOSTILE
    arts.append("not an object")  # a malformed entry is skipped, not a traceback
    hostile = _write(resign(data, identity), tmp_path / "hostile.json")
    rc, raw = render(hostile, tmp_path / "hostile.html")
    err = capsys.readouterr().err
    page = parse_page(raw)
    assert raw, err
    assert_inert(page, raw)
    assert rc == 5  # the verdict in the record was changed: the page says it does not reproduce
    assert html.escape(HOSTILE) in raw and HOSTILE in page.text and HOSTILE_ATTR in page.text
    row = _rows(page)[a["bridge"]]
    assert row["data-media-type"] == HOSTILE_ATTR  # an attribute value, not new attributes
    assert "onmouseover" not in row
    assert len(page.styles) == 1
