"""The foreign-evidence benchmark (SD-JWT VCs, W3C VCs, poison graphs) runs and prints its ratios to
the Ed25519 floor (no timing assertions: machines differ)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_foreign
from tests.conftest import CORPUS


def test_benchmark_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_foreign.main(["--n", "2", "--rounds", "1", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    names = list(r["cases"])
    assert any(n.startswith("SD-JWT VC, ES256") for n in names) and any(n.startswith("SD-JWT VC, EdDSA") for n in names)
    if (CORPUS / "vc" / "contexts" / "credentials-v2.jsonld").exists():
        assert {"W3C VC, eddsa-rdfc-2022", "W3C VC, ecdsa-rdfc-2019"} <= set(names)
    else:
        assert r["w3c_skipped"]
    assert all(c["ratio_to_ed25519"] > 0 for c in r["cases"].values())
    # every poison shape stops at the work limit; the wide documents complete under the value cap
    for p in r["poison"]:
        assert p["outcome"] in ("VC_CANONICALIZATION_LIMIT", "completed"), p
        if p["outcome"] == "VC_CANONICALIZATION_LIMIT":
            assert p["work"] > r["work_limit"], p
    out = bench_foreign._report(r)
    for text in ("ratios to one Ed25519 verify", "x Ed25519", "poison graphs", "worst case"):
        assert text in out
