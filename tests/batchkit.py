"""Shared set-up of the ``vvp batch`` tests: a small call log over the served test world, and the
serial reference its verdicts are compared with.

The log (:func:`batch_world`) has 36 calls from 12 Zipf-weighted callers, with every kind of
fault the generator makes (:mod:`vvp.testing.calllog`) but a revoked dossier: flipped signature
bits and unallocated calling numbers (INVALID) and a dossier URL that serves nothing
(INDETERMINATE). Small on purpose: CI runs every test here.

The reference (:func:`reference_lines`) verifies each row on its own, with a fresh verifier and no
cache at all (``use_cache=False``): what ``vvp verify`` says for that call. Batch runs with any
number of workers on any engine must give the same verdict lines, record ids aside.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vvp.batch.rows import RawRow, Row, parse_row, peek_json
from vvp.batch.work import verdict_line
from vvp.fetch import FetchLimits, build_fetcher
from vvp.testing.calllog import call_rows, write_jsonl
from vvp.trust import load_trust_store
from vvp.verifier import Verifier
from vvp.testing.world import ServedWorld

SEED = 3
ROWS = 36
CALLERS = 12
FAULT_SHARE = 0.35


@dataclass(frozen=True)
class BatchWorld:
    sw: ServedWorld
    dir: Path
    rows: tuple[dict[str, Any], ...]
    jsonl: Path
    keystore: Path

    @property
    def trust(self) -> Path:
        return self.sw.files.trust

    def argv(self, input: Path | str, out: Path, *extra: str) -> list[str]:
        return ["batch", str(input), "--out", str(out), "--trust", str(self.trust), "--keystore", str(self.keystore),
                "--no-progress", *extra]


_WORLDS: dict[int, BatchWorld] = {}


def batch_world(sw: ServedWorld, root: Path) -> BatchWorld:
    """The log over ``sw`` (made once per served world; files under the first ``root`` given)."""
    got = _WORLDS.get(id(sw))
    if got is None or got.sw is not sw:
        got = _WORLDS[id(sw)] = _make(sw, root)
    return got


def _make(sw: ServedWorld, root: Path) -> BatchWorld:
    root.mkdir(parents=True, exist_ok=True)
    rows = tuple(call_rows(sw, ROWS, seed=SEED, callers=CALLERS, fault_share=FAULT_SHARE))
    jsonl = root / "calls.jsonl"
    write_jsonl(rows, jsonl)
    return BatchWorld(sw=sw, dir=root, rows=rows, jsonl=jsonl, keystore=root / "keystore")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def comparable(line: dict[str, Any]) -> dict[str, Any]:
    """A verdict line without its record id (a record's id covers its reception time)."""
    return {k: v for k, v in line.items() if k != "record"}


def by_id(lines: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for line in lines:
        assert line["id"] not in out, f"row {line['id']} appears twice"
        out[line["id"]] = comparable(line)
    return out


@functools.cache
def _reference(trust: Path, rows_json: str) -> dict[str, dict[str, Any]]:
    t = load_trust_store(trust)
    fetcher = build_fetcher(limits=FetchLimits.from_policy(t.policy))
    out: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(json.loads(rows_json), start=1):
        raw = peek_json(json.dumps(r).encode(), default_id=str(i), line=i)
        assert isinstance(raw, RawRow), raw
        row = parse_row(raw)
        assert isinstance(row, Row), row
        verdict = Verifier(t, fetcher, use_cache=False).verify(row.call_input())
        line = json.loads(verdict_line(row, verdict, "sha256:" + "0" * 64))
        out[line["id"]] = comparable(line)
    return out


def reference_lines(bw: BatchWorld) -> dict[str, dict[str, Any]]:
    """Each row verified alone, with no cache (module docstring)."""
    return copy.deepcopy(_reference(bw.trust, json.dumps(list(bw.rows))))
