"""The cost of asking witnesses (architecture §2.4, issue 15), beside the caller benchmark.

The test world served for real on 127.0.0.1 (``vvp.testing.world.EvidenceServer``) with every witness at
its own endpoint and kid OOBIs that carry the witnesses' signed location replies; the valid call
verified through the HTTP fetcher (loopback) with a fresh cache each time, once with
``witness_check: "off"`` (the served streams alone) and once with ``"available"`` (the signer's
and every issuer's witnesses asked, up to each AID's toad). Figures: both cold times, their
difference and ratio, how many witness answers a cold call fetched, and the warm call with
witnesses (answers cached) over the warm call with the check off, the same calls interleaved.
Nothing is asserted: machines differ.
"""

from __future__ import annotations

import datetime as _dt
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vvp.fetch import FetchLimits, build_fetcher
from vvp.trust import load_trust_store
from vvp.verifier import CallInput, Verifier, VerifierCache
from vvp.testing.world import CALL_AT, CARD, DEST, GOAL, World, served_world


def _per_call(fn: Callable[[], object], n: int) -> float:
    import time

    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def run_witness(world: World, cold_n: int, warm_n: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vvp-bench-wit-") as tmp, \
            served_world(world, Path(tmp), scenarios=(), witnesses=True) as sw:
        d = world.dossiers["le"]
        iat = int((CALL_AT - _dt.timedelta(seconds=2)).timestamp())
        sp = world.passport(signer=d.signer, kid=sw.urls.kid(world, d.signer), evd=sw.urls.evd(d.said),
                            orig=d.numbers[0], dest=DEST, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
        call = CallInput(reference_time=CALL_AT, identities=(sp.identity,), orig=d.numbers[0], dest=DEST)
        trust = load_trust_store(sw.files.trust)
        fetcher = build_fetcher(limits=FetchLimits.from_policy(trust.policy))
        on = Verifier(trust, fetcher)
        off = Verifier(trust.with_policy(witness_check="off"), fetcher)
        counted = VerifierCache()
        status = on.with_cache(counted).verify(call).status.value
        if status != "VALID":
            raise RuntimeError(f"the witness benchmark call is not VALID: {status}")
        fetches = counted.witnesses.fetches
        cold_on, cold_off, warm_on, warm_off = [], [], [], []
        on_w, off_w = Verifier(trust, fetcher), Verifier(trust.with_policy(witness_check="off"), fetcher)
        on_w.verify(call)
        off_w.verify(call)
        for _ in range(rounds):
            cold_off.append(_per_call(lambda: off.with_cache(VerifierCache()).verify(call), cold_n))
            cold_on.append(_per_call(lambda: on.with_cache(VerifierCache()).verify(call), cold_n))
            warm_off.append(_per_call(lambda: off_w.verify(call), warm_n))
            warm_on.append(_per_call(lambda: on_w.verify(call), warm_n))
    c_on, c_off = statistics.median(cold_on), statistics.median(cold_off)
    return {
        "witness_cold_off_ms": round(c_off * 1e3, 2),
        "witness_cold_on_ms": round(c_on * 1e3, 2),
        "witness_cold_extra_ms": round((c_on - c_off) * 1e3, 2),
        "witness_cold_ratio": round(c_on / c_off, 2),
        "witness_answers_per_cold_call": fetches,
        "witness_warm_ratio": round(statistics.median(a / b for a, b in zip(warm_on, warm_off)), 3),
        "witness_status": status,
    }


def report(r: dict[str, Any]) -> str:
    return (
        "witnesses (loopback HTTP: the signer's and every issuer's witnesses asked, fresh cache)\n"
        f"  cold call, witness_check off             {r['witness_cold_off_ms']:>10} ms\n"
        f"  cold call, witnesses asked               {r['witness_cold_on_ms']:>10} ms  "
        f"({r['witness_answers_per_cold_call']} witness answers fetched and verified)\n"
        f"  cost of asking witnesses                 {r['witness_cold_extra_ms']:>10} ms  "
        f"(ratio {r['witness_cold_ratio']}x)\n"
        f"  warm call with witnesses / check off     {r['witness_warm_ratio']:>10}x  (answers cached)\n")
