"""Snapshot every test-world verdict, to compare two commits byte for byte (issues 13 and 22).

Run on one commit, then on another, and compare::

    .venv/bin/python tests/verdict_snapshot.py --out /tmp/before.json
    # ... change the code ...
    .venv/bin/python tests/verdict_snapshot.py --compare /tmp/before.json

Every scenario of the default world (caller and callee) is verified twice in a shuffled order:
through one long-lived ``Verifier`` per trust store (its second round answered from warm caches)
and through a fresh uncached verification each. The snapshot maps ``round/mode/scenario`` to the
verdict's canonical JSON with the evidence server's port replaced by ``PORT`` (the server binds an
ephemeral port); the world itself is deterministic, so two commits that judge alike give equal
files. Exit 0 when equal (or when writing), 1 with the differing keys listed otherwise.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

from vvp.testing.worldgen import WorldSpec, build_world
from vvp.canonical import canonical_json
from vvp.fetch import FetchLimits, build_fetcher
from vvp.trust import load_trust_store
from vvp.verifier import CalleeInput, CallInput, Verifier, VerifierCache, verify_call
from vvp.testing.world import served_world


def snapshot() -> dict[str, str]:
    world = build_world(WorldSpec(callee=True))
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp, served_world(world, tmp) as sw:
        port = sw.server.base_url.rsplit(":", 1)[1].rstrip("/")

        def norm(v: object) -> str:
            return canonical_json(v).decode().replace(f"127.0.0.1:{port}", "127.0.0.1:PORT")

        calls = list(sw.calls)
        random.Random(1322).shuffle(calls)
        trusts = {c.trust: load_trust_store(c.trust) for c in calls}
        fetcher = build_fetcher(limits=FetchLimits.from_policy(next(iter(trusts.values())).policy))
        shared = {p: Verifier(t, fetcher, VerifierCache()) for p, t in trusts.items()}
        for rnd in range(2):
            for c in calls:
                ci = CallInput(reference_time=c.at, identities=(c.identity,), orig=c.orig, dest=c.dest)
                out[f"{rnd}/shared/{c.name}"] = norm(shared[c.trust].verify(ci).to_json())
                if rnd == 0:
                    out[f"{rnd}/fresh/{c.name}"] = norm(verify_call(ci, trust=trusts[c.trust], fetcher=fetcher).to_json())
        for cc in sw.callee_calls:
            trust = trusts.get(cc.trust) or load_trust_store(cc.trust)
            v = Verifier(trust, fetcher, VerifierCache())
            ci2 = CalleeInput(reference_time=cc.at, response=cc.response.read_bytes(), invite=cc.invite.read_bytes())
            out[f"callee/{cc.name}"] = norm(v.verify_callee(ci2).to_json())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", type=Path, help="write the snapshot to this file")
    g.add_argument("--compare", type=Path, help="compare against a snapshot written before")
    a = ap.parse_args()
    snap = snapshot()
    if a.out:
        a.out.write_text(json.dumps(snap, indent=0, sort_keys=True))
        print(f"{len(snap)} verdicts written to {a.out}", file=sys.stderr)
        return 0
    before = json.loads(a.compare.read_text())
    diff = sorted(k for k in set(before) | set(snap) if before.get(k) != snap.get(k))
    for k in diff:
        print(f"DIFFERS: {k}", file=sys.stderr)
    print(f"{len(snap)} verdicts, {len(diff)} differ", file=sys.stderr)
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
