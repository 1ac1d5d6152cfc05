"""The pieces of ``vvp batch`` on their own: routing rows to workers, the output files' recovery,
the id index, the summary's bounded counts and its page, the row rules, and the JSON Schema of a
batch row and of the output lines."""

from __future__ import annotations

import base64
import datetime as _dt
import collections
import json
import random
from html import unescape
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.batchkit import BatchWorld, batch_world, read_jsonl
from vvp import codes
from vvp.batch.outputs import IdIndex, recover_verdicts
from vvp.batch.partition import Partitioner, dossier_key
from vvp.batch.runner import BatchOptions, run_batch
from vvp.batch.rows import RawRow, Row, RowError, RowKind, parse_row, peek_csv, peek_json
from vvp.batch.summary import RunFacts, Summary, TopCounter, render
from vvp.errors import OperationalError
from vvp.testing.world import ServedWorld

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "formats" / "batch-row.v1.schema.json")
                    .read_text())


def _jws(payload: dict[str, Any]) -> str:
    def seg(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return f"{seg({'alg': 'EdDSA'})}.{seg(payload)}.c2ln"


# ---------------------------------------------------------------------------------------------
# Routing


def test_dossier_key_reads_the_evd_cheaply() -> None:
    shaken = _jws({"attest": "A", "orig": {"tn": "1"}}) + ";info=<https://x/c.pem>;ppt=shaken"
    vvp = _jws({"evd": "https://d.example/dossier.cesr"}) + ";info=<https://k>;alg=EdDSA;ppt=vvp"
    assert dossier_key([shaken, vvp]) == "https://d.example/dossier.cesr"
    assert dossier_key([shaken]) is None
    assert dossier_key(["not.a.token", "", "a.b", _jws({"evd": 5}), 42]) is None  # never raises


def test_rows_of_one_dossier_go_to_one_worker_while_loads_are_even() -> None:
    p = Partitioner(4)
    first = {f"d{i}": p.assign(f"d{i}", f"r{i}") for i in range(8)}
    for _ in range(20):
        for d, w in first.items():
            assert p.assign(d, "x") == w
            p.done(w, 1)
    assert len(set(first.values())) > 1  # the dossiers are spread over the workers


def test_a_hot_dossier_spills_to_an_idle_worker() -> None:
    p = Partitioner(2, spill_rows=10)
    home = p.assign("hot", "r0")
    got = [p.assign("hot", f"r{i}") for i in range(1, 40)]  # nothing answered: the home worker backs up
    assert home in got and (1 - home) in got
    assert max(p.outstanding) - min(p.outstanding) <= 11


def test_zipf_load_is_balanced_between_two_workers() -> None:
    """Zipf-distributed dossiers, workers answering at the same pace: each ends with about half."""
    rng = random.Random(7)
    weights = [1 / k ** 1.1 for k in range(1, 301)]
    p = Partitioner(2)
    totals = collections.Counter[int]()
    backlog: list[collections.deque[int]] = [collections.deque(), collections.deque()]
    for i in range(20_000):
        d = rng.choices(range(300), weights=weights)[0]
        w = p.assign(f"dossier-{d}", f"r{i}")
        totals[w] += 1
        backlog[w].append(i)
        if i % 2:  # each worker answers one row per two rows read
            for q, wk in ((backlog[0], 0), (backlog[1], 1)):
                if q:
                    q.popleft()
                    p.done(wk, 1)
    share = totals[0] / (totals[0] + totals[1])
    assert 0.45 <= share <= 0.55, totals


def test_rows_without_a_dossier_are_spread_by_id() -> None:
    p = Partitioner(3)
    got = {p.assign(None, f"row-{i}") for i in range(60)}
    assert got == {0, 1, 2}
    assert Partitioner(3).assign(None, "row-1") == Partitioner(3).assign(None, "row-1")
    assert Partitioner(1).assign("d", "r") == 0


# ---------------------------------------------------------------------------------------------
# Output files


def _line(i: int, status: str = "VALID") -> bytes:
    return json.dumps({"id": f"r{i}", "record": "sha256:" + "0" * 64, "status": status}).encode() + b"\n"


def test_recovery_cuts_only_a_partial_last_line(tmp_path: Path) -> None:
    p = tmp_path / "verdicts.jsonl"
    whole = _line(1) + _line(2, "INVALID")
    p.write_bytes(whole + b'{"id": "r3", "rec')
    seen: list[str] = []
    got = recover_verdicts(p, lambda d: seen.append(d["id"]))
    assert seen == ["r1", "r2"] and got.lines == 2 and got.truncated_bytes == len(b'{"id": "r3", "rec')
    assert p.read_bytes() == whole
    assert recover_verdicts(p, lambda d: None).truncated_bytes == 0
    assert recover_verdicts(tmp_path / "absent.jsonl", lambda d: None).lines == 0


@pytest.mark.parametrize("bad", [b"{broken}\n", b"[1]\n", b'{"id": "x", "status": "MAYBE", "record": "r"}\n', b"\n"])
def test_a_damaged_complete_line_is_refused_untouched(tmp_path: Path, bad: bytes) -> None:
    p = tmp_path / "verdicts.jsonl"
    data = _line(1) + bad + _line(3) + b'{"partial'
    p.write_bytes(data)
    with pytest.raises(OperationalError) as ei:
        recover_verdicts(p, lambda d: None)
    assert ei.value.code == codes.BATCH_VERDICTS_DAMAGED
    assert p.read_bytes() == data


def test_id_index_new_done_and_repeat(tmp_path: Path) -> None:
    idx = IdIndex(tmp_path / "ids.sqlite")
    try:
        assert idx.mark_done("a") and not idx.mark_done("a")
        assert idx.visit("a") == "done"
        assert idx.visit("b") == "new"
        assert idx.visit("b") == "repeat" and idx.visit("a") == "repeat"
        for i in range(60_000):  # past a commit boundary
            assert idx.visit(f"n{i}") == "new"
        assert idx.visit("n59999") == "repeat"
    finally:
        idx.close()
    assert not (tmp_path / "ids.sqlite").exists()


# ---------------------------------------------------------------------------------------------
# Summary


def test_top_counter_is_bounded_and_keeps_the_heavy_hitters() -> None:
    t = TopCounter(capacity=50)
    for i in range(5000):
        t.add("heavy", "VALID")
        t.add(f"rare-{i}", "INVALID")
    assert len(t.counts) <= 100 and t.pruned > 0
    name, counts = t.top(1)[0]
    assert name == "heavy" and counts == [5000, 5000, 0, 0]


def _facts(**kw: Any) -> RunFacts:
    base = dict(input="in.jsonl", out="out", store="out/records.db", engine="local", workers=1,
                started="2026-03-01T00:00:00Z", finished="2026-03-01T00:01:00Z", elapsed_s=60.0,
                rows_this_run=3, rows_earlier=0, rate=0.05, complete=True)
    base.update(kw)
    return RunFacts(**base)  # type: ignore[arg-type]


def test_summary_page_escapes_what_it_shows_and_runs_nothing() -> None:
    s = Summary()
    hostile = '<script>alert(1)</script>"><img src=x>'
    s.add({"id": "1", "status": "VALID", "time": "2026-03-01T12:00:00Z", "signer": hostile, "accountable": "A",
           "dossier": "D", "verstat": hostile, "claim_codes": {}})
    s.add({"id": "2", "status": "INVALID", "time": "2026-03-01T13:00:00Z", "signer": "S", "accountable": None,
           "dossier": "D", "verstat": None, "claim_codes": {"passport": ["PASSPORT_SIGNATURE_INVALID"]}})
    s.add_error(RowError("3", 3, codes.BATCH_ROW_NOT_JSON, "x"))
    html = render(s, _facts(input=hostile, complete=False))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in unescape(html)
    assert 'data-total="2"' in html and 'data-errors="1"' in html and 'data-complete="false"' in html
    assert 'id="chart-time"' in html and 'id="chart-codes-passport"' in html


def test_summary_time_buckets_coarsen_for_long_logs() -> None:
    s = Summary()
    t0 = _dt.datetime(2026, 2, 1, tzinfo=_dt.UTC)
    for i in range(40 * 3):  # 120 hours over 40 days: drawn per day
        t = t0 + _dt.timedelta(hours=8 * i)
        s.add({"id": str(i), "status": "VALID", "time": t.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert "Calls per day" in render(s, _facts())
    few = Summary()
    few.add({"id": "1", "status": "VALID", "time": "2026-02-01T00:00:00Z"})
    assert "Calls per hour" in render(few, _facts())


# ---------------------------------------------------------------------------------------------
# Rows


def test_row_rules() -> None:
    ok = {"identity": "tok;ppt=vvp", "time": 1772366400}
    row = parse_row(peek_json(json.dumps(ok).encode(), default_id="9", line=9))  # type: ignore[arg-type]
    assert isinstance(row, Row) and row.id == "9" and row.at.isoformat() == "2026-03-01T12:00:00+00:00"
    row = parse_row(peek_json(json.dumps({**ok, "time": 1772366400.5, "id": 0}).encode(), default_id="1", line=1))  # type: ignore[arg-type]
    assert isinstance(row, Row) and row.id == "0" and row.at.microsecond == 500000
    bad = [({**ok, "time": True}, codes.BATCH_ROW_INVALID), ({**ok, "id": -1}, codes.BATCH_ROW_INVALID),
           ({**ok, "identity": ["a"] * 17}, codes.BATCH_ROW_INVALID), ({**ok, "orig": 5}, codes.BATCH_ROW_INVALID),
           ({**ok, "time": "2026-03-01T12:00:00"}, codes.TIME_INVALID), ({**ok, "dest": ""}, codes.BATCH_ROW_INVALID),
           ({**ok, "identity": "\ud800"}, codes.BATCH_ROW_NOT_JSON), ({**ok, "time": 1e300}, codes.TIME_INVALID)]
    for fields, code in bad:
        peeked = peek_json(json.dumps(fields).encode(), default_id="1", line=1)
        got = peeked if isinstance(peeked, RowError) else parse_row(peeked)
        assert isinstance(got, RowError) and got.code == code, (fields, got)
    csv_row = peek_csv(["x", '["a;ppt=vvp", "b"]', "1772366400", ""], ["id", "identity", "time", "orig"],
                       default_id="1", line=2)
    assert isinstance(csv_row, RawRow) and csv_row.kind is RowKind.CSV
    parsed = parse_row(csv_row)
    assert isinstance(parsed, Row) and parsed.identities == ("a;ppt=vvp", "b") and parsed.orig is None


# ---------------------------------------------------------------------------------------------
# The JSON Schema of a batch row and of the output lines


def _validator(ref: str | None = None) -> jsonschema.Draft202012Validator:
    schema = SCHEMA if ref is None else {"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{ref}"}
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def bw(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> BatchWorld:
    return batch_world(served_world, tmp_path_factory.mktemp("batch-world"))


def test_schema_describes_rows_and_output_lines(bw: BatchWorld, tmp_path: Path) -> None:
    rows = _validator()
    for r in bw.rows:
        rows.validate(r)
    assert not rows.is_valid({"identity": "x"}) and not rows.is_valid({"identity": "x", "time": 1, "colour": 1})
    assert rows.is_valid({"identity": ["a", "b"], "time": 1.5, "id": 3, "orig": None})
    src = tmp_path / "calls.jsonl"
    src.write_bytes(bw.jsonl.read_bytes() + b"{bad\n")
    run_batch(BatchOptions(input=src, out=tmp_path / "out", trust=str(bw.trust), keystore=str(bw.keystore),
                           progress="off"))
    lines, errs = _validator("verdict_line"), _validator("error_line")
    verdicts = read_jsonl(tmp_path / "out" / "verdicts.jsonl")
    assert len(verdicts) == len(bw.rows)
    for v in verdicts:
        lines.validate(v)
    errors = read_jsonl(tmp_path / "out" / "errors.jsonl")
    assert len(errors) == 1
    for e in errors:
        errs.validate(e)


def test_summary_crosses_shaken_verstat_with_the_vvp_status() -> None:
    s = Summary()
    for i, (verstat, status) in enumerate([("TN-Validation-Passed", "VALID")] * 5 + [("TN-Validation-Passed", "INVALID")]
                                          + [("No-TN-Validation", "INDETERMINATE")] * 2 + [(None, "VALID")] * 3):
        s.add({"id": str(i), "status": status, "time": "2026-03-01T12:00:00Z", "verstat": verstat})
    html = render(s, _facts())
    rows = html.split('data-verstat="')[1:]
    assert [r.split('"', 1)[0] for r in rows] == ["TN-Validation-Passed", "No-TN-Validation", "no SHAKEN PASSporT"]
    passed = rows[0]
    assert 'data-status="VALID" data-count="5"' in passed and 'data-status="INVALID" data-count="1"' in passed
    assert 'data-status="INDETERMINATE" data-count="2"' in rows[1]
