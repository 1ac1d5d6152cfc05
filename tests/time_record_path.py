"""Per-record cost of the record path on the test world's valid call (run by hand; not a test).

    .venv/bin/python tests/time_record_path.py [--n 300] [--rounds 5]

Why a script and not a test: timings depend on the machine and its load, and the project never
asserts one (issue 14 item 2 asks for before/after figures). It prints medians over ``rounds``
of ``n`` repetitions each, in this process's CPU time:

* ``warm verify``: one long-lived :class:`vvp.verifier.Verifier` verifying the valid call with
  its caches warm (the path a recorded call must not dominate);
* ``recorded warm call``: the same through a :class:`~vvp.fetch.RecordingFetcher`, then
  :func:`vvp.record.build_record` of what it saw (the cache hands over the evidence it was built
  from, so the record is complete: every blob, about 113 KB), with the trust snapshot taken
  once and the verifier's identity held open, as a long-lived front end does (no store commit);
* ``build_record``: that record's assembly, serialisation, signature and wrapping alone (format
  v2: the signed content leaves the blobs out, so it is about 30 KB, and the verifier signs its
  32-byte SHA-256);
* its parts: the verdict's canonical JSON as build_record makes it (from remembered checks) and
  as a plain ``canonical_json(verdict.to_json())`` would, ``sha256`` of the content bytes (the
  id), ``sign`` of those 32 bytes, ``kel()``, ``state()``;
* the store's share: taking the record apart (``split``: an ``S`` row, its recurring parts named
  by digest) and compressing the rest against the body of an earlier record (codec 2);
* ``build_record + to_bytes()``: a record made into its file, as ``vvp verify --record`` does
  (a store never asks for the file).

The evidence is served from memory (no sockets); the keystore is a throw-away one on tmpfs made
with the tests' fixed salt.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
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
from vvp.record import Record, build_record, canonical_json, digest, open_identity, verdict_json_bytes  # noqa: E402
from vvp.replay import snapshot_trust  # noqa: E402
from vvp.store import codec  # noqa: E402
from vvp.trust import load_trust_store  # noqa: E402
from vvp.verifier import CallInput, Verifier, VerifierCache  # noqa: E402
from vvp.testing.world import CALL_AT, CARD, DEST, GOAL, WorldUrls, build_world, routes_for, write_evidence  # noqa: E402

BASE = "http://127.0.0.1:5642"  # never contacted: served from memory
SALT = b"vvp-test-record!"


def per_call(fn: Callable[[], object], n: int, rounds: int) -> tuple[float, float]:
    """Median and best over ``rounds`` of the mean CPU seconds of this process per call over
    ``n`` calls (CPU time, not wall time: on a machine shared with other work, waiting for a CPU
    would swamp the differences; the best is the steadier figure)."""
    out = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(n):
            fn()
        out.append((time.process_time() - start) / n)
    return statistics.median(out), min(out)


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
        verifier = Verifier(trust, fetcher, VerifierCache())
        fetch_clock = clock.FixedClock(CALL_AT)
        cold = verifier.verify(call, fetcher=RecordingFetcher(fetcher, clock=fetch_clock))
        if cold.status.value != "VALID":
            raise SystemExit(f"the valid call is {cold.status.value}")
        snapshot = snapshot_trust(trust)
        received = CALL_AT + _dt.timedelta(seconds=1)
        rec_fetcher = RecordingFetcher(fetcher, clock=fetch_clock)
        verdict = verifier.verify(call, fetcher=rec_fetcher)  # warm: the events come from the caches
        events = tuple(rec_fetcher.events)
        with open_identity(Path(ks) / "ks", salt=SALT) as ident:
            def warm() -> object:
                return verifier.verify(call)

            def build() -> Record:
                return build_record(inputs=call.to_json(), received_at=received, verdict=verdict, trust=snapshot,
                                    events=events, identity=ident)

            def recorded() -> Record:
                rf = RecordingFetcher(fetcher, clock=fetch_clock)
                v = verifier.verify(call, fetcher=rf)
                return build_record(inputs=call.to_json(), received_at=received, verdict=v, trust=snapshot,
                                    events=rf.events, identity=ident)

            rec = build()
            signed = rec.content_bytes()
            h = hashlib.sha256(signed).digest()
            memo = codec.SegmentMemo()
            codec.split(rec, memo)  # first sighting of its recurring parts: from now on an S row
            body = codec.split(rec, memo).body()
            zc = codec.ZstdDictCompressor(body)
            parts: dict[str, Callable[[], object]] = {
                "warm verify": warm,
                "recorded warm call": recorded,
                "build_record": build,
                "  verdict_json_bytes(verdict)": lambda: verdict_json_bytes(verdict),
                "  canonical_json(to_json())": lambda: canonical_json(verdict.to_json()),
                "  sha256(content bytes): id": lambda: digest(signed),
                "  sign(32-byte digest)": lambda: ident.sign(h),
                "  kel()": ident.kel,
                "  state()": ident.state,
                "store: split (S row)": lambda: codec.split(rec, memo),
                "store: compress the body": lambda: zc.compress(body),
                "build_record + to_bytes()": lambda: build().to_bytes(),
            }
            for fn in parts.values():  # warm up
                fn()
            times = {name: per_call(fn, args.n, args.rounds) for name, fn in parts.items()}
        size = len(rec.to_bytes())
    print(f"record of the valid call: {size:,} bytes ({len(signed):,} signed), {len(events)} fetch events")
    print(f"{'':28s} {'median':>10s} {'best':>10s}")
    for name, (med, best) in times.items():
        print(f"{name:28s} {med * 1e6:8.1f} µs {best * 1e6:8.1f} µs")
    for label, i in (("median", 0), ("best", 1)):
        w, r = times["warm verify"][i], times["recorded warm call"][i]
        print(f"{label:6s}: recorded warm call / warm path {r / w:6.2f} x; recorded calls/s {1 / r:,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
