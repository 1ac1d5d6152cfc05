"""Per-record cost of the record path on the test world's valid call (run by hand; not a test).

    .venv/bin/python tests/time_record_path.py [--n 300] [--rounds 5]

Why a script and not a test: timings depend on the machine and its load, and the project never
asserts one (issue 14 item 2 asks for before/after figures). It prints medians over ``rounds``
of ``n`` repetitions each:

* ``warm verify``: :func:`vvp.verifier.verify_call` of the valid call with a warm cache (the path
  a recorded call must not dominate);
* ``build_record``: assemble, serialise once, sign and wrap the record of that call, with the
  events of a cold verification (a full record: every evidence blob, about 113 KB) and the trust
  snapshot taken once, as a long-lived front end does;
* its parts: ``canonical_json`` of the signed content, ``sign`` of those bytes, ``kel()``,
  ``state()``, and ``to_bytes()`` of the finished record (the file).

The evidence is served from memory (no sockets); the keystore is a throw-away one on tmpfs made
with the tests' fixed salt.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vvp import clock, codes  # noqa: E402
from vvp._keri._store import tmp_root  # noqa: E402
from vvp.fetch import MemoryFetcher, RecordingFetcher  # noqa: E402
from vvp.record import build_record, canonical_json, open_identity  # noqa: E402
from vvp.replay import snapshot_trust  # noqa: E402
from vvp.trust import load_trust_store  # noqa: E402
from vvp.verifier import CallInput, VerifierCache, verify_call  # noqa: E402
from vvp.world import CALL_AT, CARD, DEST, GOAL, WorldUrls, build_world, routes_for, write_evidence  # noqa: E402

BASE = "http://127.0.0.1:5642"  # never contacted: served from memory
SALT = b"vvp-test-record!"


def per_call(fn: Callable[[], object], n: int, rounds: int) -> float:
    """Median over ``rounds`` of the mean seconds per call over ``n`` calls."""
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        out.append((time.perf_counter() - start) / n)
    return statistics.median(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vvp-time-") as tmp, \
            tempfile.TemporaryDirectory(prefix="vvp-time-ks-", dir=tmp_root()) as ks:
        world = build_world()
        files = write_evidence(world, BASE, tmp)
        fetcher = MemoryFetcher({BASE + p: (r.content_type, r.body) for p, r in routes_for(world).items()
                                 if r.status == 200}, missing_code=codes.FETCH_HTTP_STATUS)
        urls = WorldUrls(BASE)
        d = world.dossiers["le"]
        iat = int((CALL_AT - _dt.timedelta(seconds=2)).timestamp())
        sp = world.passport(signer=d.signer, kid=urls.kid(world, d.signer), evd=urls.evd(d.said),
                            orig=d.numbers[0], dest=DEST, iat=iat, exp=iat + 15, card=CARD, goal=GOAL)
        call = CallInput(reference_time=CALL_AT, identities=(sp.identity,), orig=d.numbers[0], dest=DEST)
        trust = load_trust_store(files.trust)
        rec_fetcher = RecordingFetcher(fetcher, clock=clock.FixedClock(CALL_AT))
        cache = VerifierCache()
        verdict = verify_call(call, trust=trust, fetcher=rec_fetcher, cache=cache)
        if verdict.status.value != "VALID":
            raise SystemExit(f"the valid call is {verdict.status.value}")
        events = tuple(rec_fetcher.events)
        snapshot = snapshot_trust(trust)
        received = CALL_AT + _dt.timedelta(seconds=1)
        with open_identity(Path(ks) / "ks", salt=SALT) as ident:
            def warm() -> object:
                return verify_call(call, trust=trust, fetcher=fetcher, cache=cache)

            def build() -> object:
                return build_record(inputs=call.to_json(), received_at=received, verdict=verdict, trust=snapshot,
                                    events=events, identity=ident)

            rec = build()
            content = rec.content()
            signed = canonical_json(content)
            parts: dict[str, Callable[[], object]] = {
                "warm verify": warm,
                "build_record": build,
                "  canonical_json(content)": lambda: canonical_json(content),
                "  sign(content bytes)": lambda: ident.sign(signed),
                "  kel()": ident.kel,
                "  state()": ident.state,
                "  record.to_bytes()": rec.to_bytes,
            }
            for fn in parts.values():  # warm up
                fn()
            times = {name: per_call(fn, args.n, args.rounds) for name, fn in parts.items()}
        size = len(rec.to_bytes())
    print(f"record of the valid call: {size:,} bytes, {len(events)} fetch events")
    for name, s in times.items():
        print(f"{name:28s} {s * 1e6:10.1f} µs")
    w, b = times["warm verify"], times["build_record"]
    print(f"recorded call / warm path     {(w + b) / w:8.2f} x   recorded calls/s (verify + build): {1 / (w + b):,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
