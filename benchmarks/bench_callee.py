"""Benchmark of the warm callee path beside the caller's, as ratios to one Ed25519 verify.

``python -m benchmarks.bench_callee [--iterations N] [--rounds R] [--json]``

Architecture §5 holds the callee to the caller's warm-path target: at most 3 × the Ed25519 floor
plus JSON parsing. Measured in the same run, in process, one :class:`vvp.verifier.Verifier` with a
warm :class:`vvp.verifier.VerifierCache` (the callee's KEL and dossier already verified, evidence
served from memory, no persistence), on the callee world (``WorldSpec(callee=True)``):

* ``callee_value``: :meth:`Verifier.verify_callee` on the attribute value with the INVITE's
  Call-ID, CSeq, called number and caller goal given directly (``--callee VALUE ...``);
* ``callee_sip``: the same answer from the raw 200 OK and the raw INVITE (``--sip RESPONSE
  --invite INVITE``): SIP and SDP parsing added, and the caller's goal read from the INVITE's
  own PASSporT;
* ``caller``: :meth:`Verifier.verify` on the caller's valid call of the same world, beside them.

The floor is one libsodium (pysodium) Ed25519 verify of the callee PASSporT's own signature;
"JSON parsing" is base64url-decoding and ``json.loads`` of its header and payload. Rounds alternate
floor and path; times are medians over rounds, ratios medians of per-round ratios (as in
:mod:`benchmarks.bench`). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import json
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import pysodium

from benchmarks.bench import WARM_TARGET_FLOOR_MULTIPLE, interleaved, per_call
from vvp import codes, jose
from vvp._keri.baseline import raw_ed25519_key
from vvp.testing.worldgen import WorldSpec, build_world
from vvp.callee.claims import split_value
from vvp.callee.inputs import CalleeInput
from vvp.fetch import MemoryFetcher
from vvp.trust import load_trust_store
from vvp.verdict import Verdict
from vvp.verifier import CallInput, Verifier, VerifierCache
from vvp.testing.world import CALL_AT, CARD, DEST, GOAL, WorldUrls, routes_for, write_evidence
from vvp.testing.world.scenarios import callee_scenario, make_callee_call

BASE = "http://127.0.0.1:5642"  # never contacted: the evidence is served from memory


def run(iterations: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vvp-bench-callee-") as tmp:
        world = build_world(WorldSpec(callee=True))
        files = write_evidence(world, BASE, tmp)
        fetcher = MemoryFetcher({BASE + p: (r.content_type, r.body) for p, r in routes_for(world).items()
                                 if r.status == 200}, missing_code=codes.FETCH_HTTP_STATUS)
        urls = WorldUrls(BASE)
        answer = make_callee_call(world, urls, files, callee_scenario("callee-valid"))
        value_in = CalleeInput(reference_time=answer.at, callee=answer.value, call_id=answer.call_id, cseq=answer.cseq,
                               dest=answer.dest, caller_goal=answer.caller_goal)
        sip_in = CalleeInput(reference_time=answer.at, response=answer.response.read_bytes(),
                             invite=answer.invite.read_bytes())
        d = world.dossiers["le"]
        iat = int((CALL_AT - _dt.timedelta(seconds=2)).timestamp())
        sp = world.passport(signer=d.signer, kid=urls.kid(world, d.signer), evd=urls.evd(d.said), orig=d.numbers[0],
                            dest=DEST, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
        caller_in = CallInput(reference_time=CALL_AT, identities=(sp.identity,), orig=d.numbers[0], dest=DEST)
        verifier = Verifier(load_trust_store(files.trust), fetcher, VerifierCache())

        token = jose.parse_compact(split_value(answer.value).token)
        sig, data = token.signature, token.signing_input
        pk = raw_ed25519_key(world.parties["callee"].key_at(answer.at).public_keys[0])

        def ed25519() -> object:
            pysodium.crypto_sign_verify_detached(sig, data, pk)
            return None

        head, payload, _ = split_value(answer.value).token.split(".")

        def json_parse() -> object:
            return (json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))),
                    json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))

        paths: dict[str, Callable[[], Verdict]] = {
                 "callee_value": lambda: verifier.verify_callee(value_in),
                 "callee_sip": lambda: verifier.verify_callee(sip_in),
                 "caller": lambda: verifier.verify(caller_in)}
        for name, fn in paths.items():  # warm the caches, and make sure each path is the valid one
            got = fn().status.value
            if got != "VALID":
                raise RuntimeError(f"the {name} benchmark verification is not VALID: {got}")
        per_call(ed25519, max(1, iterations // 10))
        json_s = statistics.median(per_call(json_parse, iterations * 4) for _ in range(rounds))
        out: dict[str, Any] = {}
        ed_all: list[float] = []
        for name, fn in paths.items():
            per_call(fn, max(1, iterations // 10))
            ed_s, path_s, ratio = interleaved(ed25519, fn, iterations * 4, iterations, rounds)
            ed_all.append(ed_s)
            out[f"{name}_us"] = round(path_s * 1e6, 1)
            out[f"{name}_ratio_to_ed25519"] = round(ratio, 2)
            out[f"{name}_calls_per_s"] = round(1 / path_s)
    ed_us = statistics.median(ed_all)
    budget = WARM_TARGET_FLOOR_MULTIPLE * ed_us + json_s
    for name in paths:
        out[f"{name}_ratio_to_budget"] = round(out[f"{name}_us"] / 1e6 / budget, 3)
    return {"ed25519_verify_us": round(ed_us * 1e6, 2), "json_parse_us": round(json_s * 1e6, 2),
            "warm_budget_us": round(budget * 1e6, 1), **out, "iterations": iterations, "rounds": rounds,
            "status": "VALID"}


def report(r: dict[str, Any]) -> str:
    lines = [f"floor     one Ed25519 verify (libsodium) {r['ed25519_verify_us']} µs; JSON parsing "
             f"{r['json_parse_us']} µs; budget (3 × Ed25519 + JSON) {r['warm_budget_us']} µs",
             f"{'path':<14}{'µs/call':>10}{'× Ed25519':>12}{'× budget':>11}{'calls/s':>10}"]
    for name, what in (("callee_value", "callee value"), ("callee_sip", "callee 200 OK"), ("caller", "caller")):
        lines.append(f"{what:<14}{r[f'{name}_us']:>10}{r[f'{name}_ratio_to_ed25519']:>12}"
                     f"{r[f'{name}_ratio_to_budget']:>11}{r[f'{name}_calls_per_s']:>10}")
    lines.append("target    warm callee path ≤ 1.0 × budget, as the caller's (architecture §5)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=2000, help="calls per round and path (default 2000)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds, alternating floor and path (default 5)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    r = run(max(1, args.iterations), max(1, args.rounds))
    sys.stdout.write((json.dumps(r, indent=1) if args.json else report(r)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
