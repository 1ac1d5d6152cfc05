"""Micro-benchmark of foreign-evidence verification (SD-JWT VCs, W3C VCs), as ratios to one raw
Ed25519 verify measured in the same run.

``python -m benchmarks.bench_foreign [--n N] [--rounds R] [--json]``

* Floor: one Ed25519 signature verify with libsodium (``pysodium.crypto_sign_verify_detached``).
* SD-JWT VC: :class:`vvp.evidence.sdjwt.SdJwtChecker` on the test world's legal-person SD-JWT VC
  (6 disclosures presented, decoys, a KB-JWT required by policy): ES256 issuer and holder
  (two ECDSA verifies), and with an EdDSA issuer.
* W3C VC: :class:`vvp.evidence.w3cvc.W3cVcChecker` on an organisation credential, with
  ``eddsa-rdfc-2022`` and ``ecdsa-rdfc-2019`` (P-256): strict JSON, two RDFC-1.0
  canonicalisations through pyld (resolved contexts cached per trust store), the signature.
  Needs the W3C base context from ../shared/corpus/vc/contexts (skipped, and said so, without it).
* Poison graphs: the time :func:`vvp.evidence._jsonld.canonicalize` takes to stop at its work
  limit (``VC_CANONICALIZATION_LIMIT``) on the worst shapes found (cliques, rings, grids, complete
  bipartite graphs, cliques whose nodes carry many quads), and to finish documents just under the
  JSON value cap that pyld converts in quadratic time; one run each: the worst case bounds what
  one hostile VC can cost.

Checkers are built once, as a verifier holds them (trust files read once per trust store).
Rounds alternate floor and measured path; times are medians, ratios medians of per-round ratios.
Nothing here asserts a time: machines differ.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pysodium

from vvp.evidence import _jsonld
from vvp.evidence.base import CheckContext, ForeignTrust, VcIssuer
from vvp.evidence.sdjwt import SdJwtChecker
from vvp.evidence.w3cvc import W3cVcChecker
from vvp.testing import foreign_vc as fv
from vvp.trust import Policy
from vvp.verdict import Status

from benchmarks.bench import interleaved, per_call  # noqa: E402 - the timing helpers of every benchmark

CORPUS_CONTEXTS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "vc" / "contexts"


def _floor() -> Callable[[], object]:
    pk, sk = pysodium.crypto_sign_seed_keypair(b"\x07" * 32)
    msg = b"x" * 64
    sig = pysodium.crypto_sign_detached(msg, sk)

    def ed25519() -> object:
        pysodium.crypto_sign_verify_detached(sig, msg, pk)
        return None

    return ed25519


def _sdjwt_cases(tmp: Path) -> dict[str, Callable[[], object]]:
    cases: dict[str, Callable[[], object]] = {}
    for alg in ("ES256", "EdDSA"):
        w = fv.SdJwtWorld.make(f"bench issuer {alg}", issuer_alg=alg)
        p = tmp / f"sdjwt-{alg}.jwks"
        p.write_bytes(w.jwks())
        ctx = CheckContext(fv.CALL_AT, ForeignTrust(sd_jwt_issuers=(p,)), Policy(sd_jwt_require_key_binding=True))
        data = w.legal_person().encode("ascii")
        checker = SdJwtChecker()
        assert checker.check(data, "application/dc+sd-jwt", ctx).status is Status.VALID

        def run(checker: SdJwtChecker = checker, data: bytes = data, ctx: CheckContext = ctx) -> object:
            return checker.check(data, "application/dc+sd-jwt", ctx)

        cases[f"SD-JWT VC, {alg} issuer + ES256 KB-JWT"] = run
    return cases


def _contexts(tmp: Path) -> tuple[dict[str, Any], dict[str, Path]] | None:
    v2 = CORPUS_CONTEXTS / "credentials-v2.jsonld"
    if not v2.exists():
        return None
    docs = {fv.BASE_CONTEXT_V2: json.loads(v2.read_text(encoding="utf-8")), fv.ORG_CONTEXT_URL: fv.ORG_CONTEXT}
    files = fv.write_contexts(tmp, {fv.ORG_CONTEXT_URL: fv.ORG_CONTEXT})
    files[fv.BASE_CONTEXT_V2] = v2
    return docs, files


def _vc_cases(tmp: Path) -> dict[str, Callable[[], object]]:
    ctxs = _contexts(tmp)
    if ctxs is None:
        return {}
    docs, files = ctxs
    cases: dict[str, Callable[[], object]] = {}
    for key in (fv.ed25519_key("bench vc ed25519"), fv.p256_key("bench vc p256")):
        vc = fv.sign_data_integrity(fv.organisation_vc(fv.did_key_of(key)), key, docs)
        data = json.dumps(vc).encode("utf-8")
        ctx = CheckContext(fv.CALL_AT, ForeignTrust(vc_issuers=(VcIssuer(fv.did_key_of(key)),), contexts=files),
                           Policy())
        checker = W3cVcChecker()
        assert checker.check(data, "application/vc+ld+json", ctx).status is Status.VALID

        def run(checker: W3cVcChecker = checker, data: bytes = data, ctx: CheckContext = ctx) -> object:
            return checker.check(data, "application/vc+ld+json", ctx)

        cases[f"W3C VC, {vc['proof']['cryptosuite']}"] = run
    return cases


def _poison_shapes() -> dict[str, list[dict[str, Any]]]:
    def graph(edges: Sequence[tuple[int, int]], n: int, extra: int = 0) -> list[dict[str, Any]]:
        adj: dict[int, list[str]] = {i: [f"urn:x:{k}" for k in range(extra)] for i in range(n)}
        for a, b in edges:
            adj[a].append(f"_:n{b}")
        return [{"@id": f"_:n{i}", "knows": adj[i]} for i in range(n)]

    def clique(n: int) -> list[tuple[int, int]]:
        return [(i, j) for i in range(n) for j in range(n) if i != j]

    w = 9
    grid = [(y * w + x, y * w + (x + 1) % w) for y in range(w) for x in range(w)]
    grid += [(y * w + x, ((y + 1) % w) * w + x) for y in range(w) for x in range(w)]
    return {
        "clique of 8 (74 s unguarded, evidence-formats 4.4)": graph(clique(8), 8),
        "clique of 12": graph(clique(12), 12),
        "ring of 120": graph([(i, (i + 1) % 120) for i in range(120)], 120),
        "two-way ring of 95": graph([(i, (i + 1) % 95) for i in range(95)] + [((i + 1) % 95, i) for i in range(95)], 95),
        "grid 9 x 9 (torus)": graph(grid, w * w),
        "complete bipartite 10 x 10": graph([(i, 10 + j) for i in range(10) for j in range(10)], 20),
        "clique of 6, 70 quads per node": graph(clique(6), 6, extra=70),
    }


def _wide_shapes() -> dict[str, dict[str, Any]]:
    """Documents near the JSON value cap that pyld's RDF conversion handles in quadratic time."""
    n = _jsonld.MAX_VALUES - 10
    return {
        f"one property with {n} values": {"@id": "urn:x:s", "knows": [f"urn:x:{k}" for k in range(n)]},
        f"{n // 3} objects merging into one subject": {"@graph": [{"@id": "urn:x:s", "knows": f"urn:x:{k}"}
                                                                 for k in range(n // 3 - 2)]},
    }


def _poison(tmp: Path) -> list[dict[str, Any]]:
    p = tmp / "knows.jsonld"
    p.write_text(json.dumps(fv.ORG_CONTEXT), encoding="utf-8")
    contexts = _jsonld.ContextSet.load({fv.ORG_CONTEXT_URL: p})
    out = []
    docs = {name: {"@context": [fv.ORG_CONTEXT_URL], "@graph": nodes} for name, nodes in _poison_shapes().items()}
    docs.update({name: {"@context": [fv.ORG_CONTEXT_URL], **d} for name, d in _wide_shapes().items()})
    for name, doc in docs.items():
        budget = _jsonld.WorkBudget()
        start = time.perf_counter()
        try:
            _jsonld.canonicalize(doc, contexts, budget)
            code = "completed"
        except _jsonld.JsonLdFailure as e:
            code = e.code
        out.append({"shape": name, "outcome": code, "work": budget.used,
                    "ms": round((time.perf_counter() - start) * 1000, 1)})
    return out


def run(n: int, rounds: int) -> dict[str, Any]:
    floor = _floor()
    with tempfile.TemporaryDirectory(prefix="vvp-bench-foreign-") as t:
        tmp = Path(t)
        cases = {**_sdjwt_cases(tmp), **_vc_cases(tmp)}
        results: dict[str, Any] = {"cases": {}, "work_limit": _jsonld.MAX_WORK,
                                   "w3c_skipped": None if any(k.startswith("W3C") for k in cases)
                                   else f"needs {CORPUS_CONTEXTS}/credentials-v2.jsonld"}
        floor_us: list[float] = []
        for name, fn in cases.items():
            fn()  # warm: trust files read, contexts resolved
            f, m, ratio = interleaved(floor, fn, n * 20, n, rounds)
            floor_us.append(f * 1e6)
            results["cases"][name] = {"us": round(m * 1e6, 1), "ratio_to_ed25519": round(ratio, 1)}
        results["ed25519_verify_us"] = round(statistics.median(floor_us), 2) if floor_us else None
        results["poison"] = _poison(tmp)
        f = statistics.median(per_call(floor, n * 20) for _ in range(rounds))
        worst = max(p["ms"] for p in results["poison"])
        results["poison_worst_ms"] = worst
        results["poison_worst_ratio_to_ed25519"] = round(worst / 1000 / f, 0)
    return results


def _report(r: dict[str, Any]) -> str:
    lines = [f"foreign evidence: medians, ratios to one Ed25519 verify ({r['ed25519_verify_us']} us, libsodium)"]
    for name, c in r["cases"].items():
        lines.append(f"  {name:<44} {c['us']:>9} us   {c['ratio_to_ed25519']:>7} x Ed25519")
    if r["w3c_skipped"]:
        lines.append(f"  W3C VC cases skipped: {r['w3c_skipped']}")
    lines.append(f"poison graphs (RDFC-1.0 work limit {r['work_limit']} units), one run each:")
    for p in r["poison"]:
        lines.append(f"  {p['shape']:<52} {p['outcome']:<28} work {p['work']:>6}  {p['ms']:>7} ms")
    lines.append(f"  worst case {r['poison_worst_ms']} ms = {r['poison_worst_ratio_to_ed25519']:.0f} x Ed25519")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_foreign", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="verifications per round and case (default 200)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    args = ap.parse_args(argv)
    r = run(max(1, args.n), max(1, args.rounds))
    sys.stdout.write((json.dumps(r, indent=1) if args.json else _report(r)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
