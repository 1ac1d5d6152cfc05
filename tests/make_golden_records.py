"""Regenerate the golden records in ``fixtures/records/v3/`` (one command, deterministic).

    .venv/bin/python tests/make_golden_records.py          # rewrite the records and README
    .venv/bin/python tests/make_golden_records.py --check  # exit 1 if regenerating would change them

This writes the current record format (v3). The v1 records directly in ``fixtures/records/``
were written by vvp 0.1.0, the v2 records in ``fixtures/records/v2/`` by vvp until the v3 digest
tree replaced that format: both are frozen history, nothing regenerates them, and
``tests/test_record_golden.py`` proves that today's code still re-verifies them.

Why golden records: records are kept for years, so today's code must re-verify the records an
earlier version wrote (``tests/test_record_golden.py`` does, offline, in every test run). When a
change to the verifier is *meant* to change a verdict, that test fails on purpose; rerun this
script and commit the new records together with the change, saying why in the commit message.

Deterministic: the world is built from fixed salts and times (``vvp.testing.worldgen``), its
evidence is served from memory under a fixed base URL, the verifier's keystore is made from a
fixed test salt, and every clock reading (fetch times, reception time) is a fixed offset from the
call's reference time. Only the ``software`` versions change when vvp, keri or Python do.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from vvp import clock, codes
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, Fetched, Fetcher, MemoryFetcher, RecordingFetcher
from vvp.record import Record, open_identity
from vvp.replay import make_record
from vvp.trust import load_trust_store
from vvp.verifier import CallInput, verify_call
from vvp.testing.world import (
    SCENARIOS,
    WorldSpec,
    WorldUrls,
    build_world,
    routes_for,
    write_evidence,
)
from vvp.testing.world.scenarios import make_calls

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "records" / "v3"
BASE_URL = "http://127.0.0.1:5642"  # never contacted: evidence is served from memory
SALT = b"vvp-test-record!"  # the test verifier's keystore salt (tests/recordkit.py uses the same)
SCENARIO_NAMES = ("valid", "valid-acting", "bad-signature", "revoked-tn-allocation", "untrusted-identity-root")
UNREACHABLE = "evidence-unreachable"


class _Unreachable:
    """Every fetch fails as a dead host would: the INDETERMINATE case a record must reproduce."""

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        raise FetchError(f"{url}: cannot connect: [Errno 111] Connection refused", code=codes.FETCH_CONNECT_FAILED,
                         url=url)


@dataclass(frozen=True)
class Golden:
    name: str
    title: str
    record: Record


def generate() -> list[Golden]:
    world = build_world(WorldSpec())
    urls = WorldUrls(BASE_URL)
    served = MemoryFetcher({BASE_URL + path: (res.content_type, res.body)
                            for path, res in routes_for(world).items() if res.status == 200},
                           missing_code=codes.FETCH_HTTP_STATUS)
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    out: list[Golden] = []
    with tempfile.TemporaryDirectory(prefix="vvp-golden-") as tmp, \
            tempfile.TemporaryDirectory(prefix="vvp-golden-ks-", dir=shm) as ks, \
            open_identity(Path(ks) / "keystore", salt=SALT) as identity:
        files = write_evidence(world, BASE_URL, tmp)
        chosen = [s for s in SCENARIOS if s.name in SCENARIO_NAMES]
        calls = {c.name: c for c in make_calls(world, urls, files, chosen)}
        jobs: list[tuple[str, str, str, Fetcher]] = [(n, n, calls[n].scenario.title, served) for n in SCENARIO_NAMES]
        jobs.append((UNREACHABLE, "valid", "the valid call while every evidence host is down", _Unreachable()))
        for name, call_name, title, fetcher in jobs:
            call = calls[call_name]
            trust = load_trust_store(call.trust)
            trust = replace(trust, source=Path(call.trust.name))  # no machine path in a golden file
            recorder = RecordingFetcher(fetcher, clock=clock.FixedClock(call.at + _dt.timedelta(seconds=1)))
            ci = CallInput(reference_time=call.at, identities=(call.identity,), orig=call.orig, dest=call.dest,
                           call_id=f"golden-{name}")
            verdict = verify_call(ci, trust=trust, fetcher=recorder)
            rec = make_record(ci, verdict, trust=trust, events=recorder.events,
                              received_at=call.at + _dt.timedelta(seconds=2), identity=identity)
            out.append(Golden(name, title, rec))
    return out


def readme(goldens: list[Golden]) -> str:
    lines = [
        "# Golden forensic records, format v3",
        "",
        "Records in the current format (`application/vnd.vvp.verdict-record+json;version=3`,",
        "docs/record-format.md) written by vvp for the deterministic test world (`vvp.testing.worldgen`),",
        "signed by the test verifier identifier (keystore salt `vvp-test-record!`: a test key, never a",
        "production one). `tests/test_record_golden.py` re-verifies every file here offline in every test",
        "run: a change that can no longer reproduce one of these verdicts fails the build. The format v1",
        "records in the folder above and the format v2 records in `../v2/` (the same calls, as earlier",
        "builds wrote them) are frozen history.",
        "",
        "Made by `tests/make_golden_records.py` (deterministic). When a verdict is *meant* to change,",
        "regenerate with `.venv/bin/python tests/make_golden_records.py` and commit the new files with",
        "the change that explains them (`--check` says whether they are current). Never edit a record by",
        "hand: its id and signature cover every byte of its content and, through its manifest, every blob.",
        "",
        "| file | call | recorded status | size |",
        "|---|---|---|---|",
    ]
    for g in goldens:
        lines.append(f"| `{g.name}.json` | {g.title} | {g.record.verdict['status']} | {len(g.record.to_bytes())} B |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the files on disk differ from a regeneration")
    args = ap.parse_args(argv)
    goldens = generate()
    wanted = {f"{g.name}.json": g.record.to_bytes() for g in goldens}
    wanted["README.md"] = readme(goldens).encode()
    if args.check:
        stale = sorted(n for n, b in wanted.items() if not (OUT / n).exists() or (OUT / n).read_bytes() != b)
        extra = sorted(p.name for p in OUT.glob("*.json") if p.name not in wanted) if OUT.is_dir() else []
        for n in stale + extra:
            sys.stderr.write(f"stale: fixtures/records/v3/{n}\n")
        return 1 if stale or extra else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        if old.name not in wanted:
            old.unlink()
    for n, b in wanted.items():
        (OUT / n).write_bytes(b)
        sys.stderr.write(f"wrote fixtures/records/v3/{n} ({len(b)} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
