"""``vvp dossier`` (architecture §4.1, §4.3): sources, citation, JSON document, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_dossier_checks import world
from vvp import codes
from vvp._cli import main
from vvp.clock import rfc3339
from vvp.testing.world import CALL_AT, REVOKE_AT, EvidenceFiles, write_evidence

BASE = "http://127.0.0.1:9"  # never contacted: everything comes from the evidence map


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> EvidenceFiles:
    return write_evidence(world(), BASE, tmp_path_factory.mktemp("dossier-cli"))


def _file(tmp_path: Path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any] | None, str]:
    rc = main(argv)
    out = capsys.readouterr()
    doc = json.loads(out.out) if out.out.strip() else None
    return rc, doc, out.err


def test_file_with_said_json(files: EvidenceFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = world().dossiers["le"]
    src = _file(tmp_path, "le.cesr", d.stream)
    rc, doc, err = run(["dossier", src, "--said", d.said, "--trust", str(files.trust), "--at", rfc3339(CALL_AT),
                        "--json"], capsys)
    assert rc == 0, err
    assert doc is not None and doc["status"] == "VALID" and doc["said"] == d.said
    assert {"status", "said", "checks", "credentials"} <= set(doc)
    creds = {c["said"]: c for c in doc["credentials"]}
    assert set(creds) == {world().credentials[n].said for n in d.credentials}
    for c in creds.values():
        assert {"said", "schema", "role", "issuer", "issuee", "state"} <= set(c)
        assert c["state"] == "issued"
    assert creds[d.said]["role"] == "dossier" and creds[d.said]["issuee"] is None
    assert "VALID" in err  # the human summary goes to stderr


def test_url_through_evidence_map_offline(files: EvidenceFiles, capsys: pytest.CaptureFixture[str]) -> None:
    d = world().dossiers["le"]
    url = f"{BASE}/dossiers/{d.said}.cesr"
    rc, doc, err = run(["dossier", url, "--evidence", str(files.evidence_map), "--offline", "--trust",
                        str(files.trust), "--at", rfc3339(CALL_AT), "--json"], capsys)
    assert rc == 0, err
    assert doc is not None
    ds14 = next(c for c in doc["checks"] if c["id"] == "DS-14")
    assert ds14["status"] == "pass" and ds14["subject"] == d.said  # the SAID came from the URL


def test_url_unreachable_is_indeterminate(files: EvidenceFiles, capsys: pytest.CaptureFixture[str]) -> None:
    d = world().dossiers["le"]
    url = f"https://nowhere.example/dossiers/{d.said}.cesr"
    rc, doc, _ = run(["dossier", url, "--offline", "--trust", str(files.trust), "--json"], capsys)
    assert rc == 3
    assert doc is not None and codes.DOSSIER_UNREACHABLE in doc["codes"]


def test_served_over_http(files: EvidenceFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vvp.testing.world import EvidenceServer, routes_for
    w = world()
    d = w.dossiers["le"]
    with EvidenceServer(routes_for(w)) as server:
        url = f"{server.base_url}/dossiers/{d.said}.cesr"
        rc, doc, err = run(["dossier", url, "--trust", str(files.trust), "--at", rfc3339(CALL_AT), "--json"], capsys)
        assert rc == 0, err
        rc, doc, err = run(["dossier", f"{server.base_url}/dossiers/{d.said}x.cesr", "--trust", str(files.trust),
                            "--json"], capsys)
        assert rc == 3 and doc is not None and codes.DOSSIER_UNREACHABLE in doc["codes"]


def test_revoked_dossier_exit_codes(files: EvidenceFiles, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    d = world().dossiers["revoked"]
    src = _file(tmp_path, "revoked.cesr", d.stream)
    rc, _, err = run(["dossier", src, "--trust", str(files.trust), "--at", rfc3339(CALL_AT)], capsys)
    assert rc == 1 and codes.CREDENTIAL_REVOKED in err
    rc, _, err = run(["dossier", src, "--trust", str(files.trust), "--at", rfc3339(REVOKE_AT) + ""], capsys)
    assert rc == 0, err  # the dossier is revoked a minute after REVOKE_AT


def test_without_said_root_is_the_unreferenced_acdc(files: EvidenceFiles, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    d = world().dossiers["acting"]
    src = _file(tmp_path, "acting.cesr", d.stream)
    rc, doc, _ = run(["dossier", src, "--trust", str(files.trust), "--at", rfc3339(CALL_AT), "--json"], capsys)
    assert rc == 0 and doc is not None and doc["said"] == d.said
    assert next(c for c in doc["checks"] if c["id"] == "DS-14")["status"] == "not_applicable"


def test_several_roots_exit_2_listing_them(files: EvidenceFiles, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    w = world()
    src = _file(tmp_path, "two.cesr", w.dossiers["le"].stream + w.dossiers["acting"].stream)
    rc, _, err = run(["dossier", src, "--trust", str(files.trust)], capsys)
    assert rc == 2
    assert codes.AMBIGUOUS_ROOT in err
    assert w.dossiers["le"].said in err and w.dossiers["acting"].said in err
    rc, doc, _ = run(["dossier", src, "--said", w.dossiers["acting"].said, "--trust", str(files.trust), "--at",
                      rfc3339(CALL_AT), "--json"], capsys)
    assert rc == 0 and doc is not None and doc["said"] == w.dossiers["acting"].said


def test_no_roots_is_indeterminate(files: EvidenceFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Roles known but no roots (what ``--trust`` absent gives for published schemas): the identity
    and TN questions cannot be VALID."""
    doc = json.loads(Path(files.trust).read_text())
    doc["roots"] = {}
    doc["schemas"] = [str(files.schemas_dir)]
    trust = _file(tmp_path, "noroots.json", json.dumps(doc).encode())
    d = world().dossiers["le"]
    src = _file(tmp_path, "le.cesr", d.stream)
    rc, out, _ = run(["dossier", src, "--trust", trust, "--at", rfc3339(CALL_AT), "--json"], capsys)
    assert rc == 3
    assert out is not None and codes.ROOTS_NOT_CONFIGURED in out["codes"]


def test_unreadable_source_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc, err = run(["dossier", str(tmp_path / "missing.cesr")], capsys)
    assert rc == 4 and doc is None and codes.INPUT_UNREADABLE in err


def test_bad_said_argument_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _file(tmp_path, "x.cesr", world().dossiers["le"].stream)
    rc, _, err = run(["dossier", src, "--said", "not-a-said"], capsys)
    assert rc == 2 and codes.USAGE_ERROR in err
