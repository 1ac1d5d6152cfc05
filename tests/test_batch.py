"""``vvp batch`` end to end over the served test world (architecture §4.6; issue 17).

Every input form gives the verdicts of the serial reference (each call verified alone, no
cache); malformed rows go to errors.jsonl and the run finishes the rest, then exits 4; the exit
code is the worst row; a rerun skips what is done and cuts a torn last line; two worker
processes give the serial verdicts; every listed record is in the store; and the records of the
calls verified last, with every cache warm, re-verify offline when exported alone.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.batchkit import BatchWorld, batch_world, by_id, read_jsonl, reference_lines
from vvp import codes
from vvp._cli import main
from vvp.batch.outputs import LOCK, OutLock
from vvp.batch.progress import Progress
from vvp.batch.rows import MAX_ROW_BYTES
from vvp.batch.runner import BatchOptions, run_batch
from vvp.fetch import FetchLimits, build_fetcher
from vvp.store import open_store
from vvp.testing.calllog import sip_request, write_csv, write_jsonl, write_sip_folder
from vvp.trust import load_trust_store
from vvp.verifier import CallInput, Verifier
from vvp.testing.world import ServedWorld


@pytest.fixture(scope="module")
def bw(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> BatchWorld:
    return batch_world(served_world, tmp_path_factory.mktemp("batch-world"))


def _run(bw: BatchWorld, input: Path | str, out: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    rc = main(bw.argv(input, out, "--json", *extra))
    got = json.loads(capsys.readouterr().out)
    assert got["exit_code"] == rc
    return rc, got


def _assert_records_stored(out: Path, lines: list[dict[str, Any]], store: str | None = None) -> None:
    with open_store(store or str(out / "records.db"), create=False) as st:
        for line in lines:
            assert st.has(line["record"]), f"row {line['id']}: record {line['record']} is not stored"


# ---------------------------------------------------------------------------------------------
# Input forms


def test_jsonl_matches_the_serial_reference(bw: BatchWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = reference_lines(bw)
    statuses = {v["status"] for v in ref.values()}
    assert statuses == {"VALID", "INVALID", "INDETERMINATE"}, "the log must hold every status"
    rc, got = _run(bw, bw.jsonl, tmp_path / "out", capsys=capsys)
    lines = read_jsonl(tmp_path / "out" / "verdicts.jsonl")
    assert by_id(lines) == ref
    assert rc == 1 and got["rows"] == len(ref) and got["errors"] == 0
    assert read_jsonl(tmp_path / "out" / "errors.jsonl") == []
    _assert_records_stored(tmp_path / "out", lines)
    assert (tmp_path / "out" / "summary.html").exists()
    # the verdict line carries what the summary charts need
    valid = next(line for line in lines if line["status"] == "VALID")
    assert valid["codes"] == [] and valid["dossier"] and valid["signer"] and valid["accountable"]
    bad = next(line for line in lines if "PASSPORT_SIGNATURE_INVALID" in line["codes"])
    assert bad["status"] == "INVALID" and bad["claim_codes"]["passport"] == ["PASSPORT_SIGNATURE_INVALID"]


def test_csv_matches_the_serial_reference(bw: BatchWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [dict(r) for r in bw.rows]
    rows[0]["identity"] = [rows[0]["identity"]]  # a JSON array in one quoted CSV field
    rows[1]["call_id"] = None  # an empty field is absent
    write_csv(rows, tmp_path / "calls.csv")
    rc, got = _run(bw, tmp_path / "calls.csv", tmp_path / "out", capsys=capsys)
    ref = reference_lines(bw)
    ref[rows[1]["id"]] = {**ref[rows[1]["id"]], "call_id": None}
    assert by_id(read_jsonl(tmp_path / "out" / "verdicts.jsonl")) == ref
    assert rc == 1 and got["errors"] == 0


def test_csv_without_ids_numbers_the_data_rows(bw: BatchWorld, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write_csv(bw.rows[:5], tmp_path / "calls.csv", columns=("identity", "orig", "dest", "time"))
    _run(bw, tmp_path / "calls.csv", tmp_path / "out", capsys=capsys)
    assert sorted(line["id"] for line in read_jsonl(tmp_path / "out" / "verdicts.jsonl")) == ["1", "2", "3", "4", "5"]


def test_sip_folder_matches_verify_sip(bw: BatchWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = bw.rows[:12]
    write_sip_folder(rows, tmp_path / "sip")
    (tmp_path / "sip" / ".hidden").write_text("not a call")
    rc, got = _run(bw, tmp_path / "sip", tmp_path / "out", capsys=capsys)
    lines = by_id(read_jsonl(tmp_path / "out" / "verdicts.jsonl"))
    assert sorted(lines) == sorted(r["id"] for r in rows)  # the file name is the id; dot files are skipped
    trust = load_trust_store(bw.trust)
    fetcher = build_fetcher(limits=FetchLimits.from_policy(trust.policy))
    for r in rows:
        call = CallInput(reference_time=_dt.datetime.fromisoformat(r["time"].replace("Z", "+00:00")),
                         sip=sip_request(r))
        alone = Verifier(trust, fetcher, use_cache=False).verify(call)
        line = lines[r["id"]]
        assert line["status"] == alone.status.value, r["id"]
        assert line["codes"] == list(dict.fromkeys(c for cr in alone.claims.values() for c in cr.codes))
        assert line["call_id"] == r["call_id"] and line["time"] == r["time"]
    assert got["errors"] == 0


def test_sip_folder_rows_that_cannot_be_read(bw: BatchWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "sip"
    write_sip_folder(bw.rows[:2], folder)
    no_date = sip_request(bw.rows[2]).replace(b"Date: ", b"X-Date: ")
    (folder / "no-date").write_bytes(no_date)
    (folder / "response").write_bytes(b"SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n")
    (folder / "huge").write_bytes(b"INVITE sip:x SIP/2.0\r\n" + b"X: " + b"a" * (300 * 1024) + b"\r\n\r\n")
    rc, got = _run(bw, folder, tmp_path / "out", capsys=capsys)
    errs = {e["id"]: e for e in read_jsonl(tmp_path / "out" / "errors.jsonl")}
    assert errs["no-date"]["code"] == codes.BATCH_SIP_NO_DATE
    assert errs["huge"]["code"] == codes.BATCH_ROW_TOO_LARGE
    assert errs["response"]["code"].startswith("SIP_") and codes.is_registered(errs["response"]["code"])
    assert all(e["line"] is None for e in errs.values())
    assert rc == 4 and got["errors"] == 3 and got["rows"] == 2


# ---------------------------------------------------------------------------------------------
# Malformed rows and exit codes


def test_malformed_rows_go_to_errors_and_the_run_finishes(bw: BatchWorld, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    good = [json.dumps(r) for r in bw.rows[:6]]
    r0 = bw.rows[0]
    lines = [
        good[0],
        "",  # blank: ignored, not a row
        "{not json",
        '{"id": "dup-key", "identity": "x", "identity": "y", "time": "2026-03-01T12:00:00Z"}',
        good[1],
        '["an", "array"]',
        json.dumps({**r0, "id": "unknown-field", "colour": "red"}),
        json.dumps({k: v for k, v in r0.items() if k != "time"} | {"id": "no-time"}),
        json.dumps({**r0, "id": "bad-time", "time": "yesterday"}),
        json.dumps({**r0, "id": "no-identity", "identity": []}),
        good[2],
        json.dumps({**r0}),  # the id of the first row again
        '{"id": "nan", "identity": "x", "time": NaN}',
        json.dumps({**r0, "id": "x" * 300}),
        json.dumps({**r0, "id": "big", "identity": "a" * (MAX_ROW_BYTES + 10)}),
        good[3],
        json.dumps({**r0, "id": "ctl\u0001"}),
        json.dumps({**r0, "id": 7}),  # an integer id is fine
        good[4],
        good[5],
    ]
    src = tmp_path / "calls.jsonl"
    src.write_text("\r\n".join(lines) + "\r\n")  # CRLF line ends are read too
    rc, got = _run(bw, src, tmp_path / "out", capsys=capsys)
    verdicts = by_id(read_jsonl(tmp_path / "out" / "verdicts.jsonl"))
    assert sorted(verdicts) == sorted([r["id"] for r in bw.rows[:6]] + ["7"])
    errs = read_jsonl(tmp_path / "out" / "errors.jsonl")
    got_codes = {(e["line"], e["code"]) for e in errs}
    assert got_codes == {
        (3, codes.BATCH_ROW_NOT_JSON), (4, codes.BATCH_ROW_NOT_JSON), (6, codes.BATCH_ROW_NOT_JSON),
        (7, codes.BATCH_ROW_INVALID), (8, codes.BATCH_ROW_INVALID), (9, codes.TIME_INVALID),
        (10, codes.BATCH_ROW_INVALID), (12, codes.BATCH_DUPLICATE_ID), (13, codes.BATCH_ROW_NOT_JSON),
        (14, codes.BATCH_ROW_INVALID), (15, codes.BATCH_ROW_TOO_LARGE), (17, codes.BATCH_ROW_INVALID)}
    by_line = {e["line"]: e for e in errs}
    assert by_line[12]["id"] == r0["id"] and by_line[7]["id"] == "unknown-field" and "colour" in by_line[7]["message"]
    assert by_line[3]["id"] == "2"  # unreadable: the data row's number (the blank line does not count)
    assert all(set(e) == {"id", "line", "code", "message"} for e in errs)
    assert rc == 4 and got["errors"] == len(errs) == 12
    assert got["error_codes"][codes.BATCH_ROW_INVALID] == 5


def test_a_bad_csv_header_stops_before_any_row(bw: BatchWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for header in ("id,identity,when\n", "id,orig\n", "identity,time,identity\n", ""):
        src = tmp_path / "calls.csv"
        src.write_text(header + "a,b,c\n")
        assert main(bw.argv(src, tmp_path / "out")) == 4
        assert codes.BATCH_INPUT_INVALID in capsys.readouterr().err
        assert not (tmp_path / "out" / "verdicts.jsonl").exists()


def test_csv_rows_that_cannot_be_read(bw: BatchWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bw.rows[0]
    src = tmp_path / "calls.csv"
    body = ("\ufeffid,identity,time\n"
            f'a,{r["identity"]},{r["time"]}\n'
            f'b,{r["identity"]}\n'  # a field short
            f'c,"[1, 2]",{r["time"]}\n'  # an identity array of numbers
            f'"d\nwith a newline",{r["identity"]},{r["time"]}\n'  # a control character in the id
            f'e,"{r["identity"]}",{r["time"]}\n')
    src.write_bytes(body.encode() + b'f,\xff\xfe,' + r["time"].encode() + b"\n")
    rc, got = _run(bw, src, tmp_path / "out", capsys=capsys)
    assert sorted(by_id(read_jsonl(tmp_path / "out" / "verdicts.jsonl"))) == ["a", "e"]
    errs = {e["line"]: e for e in read_jsonl(tmp_path / "out" / "errors.jsonl")}
    assert {k: v["code"] for k, v in errs.items()} == {3: codes.BATCH_ROW_INVALID, 4: codes.BATCH_ROW_INVALID,
                                                      5: codes.BATCH_ROW_INVALID, 8: codes.BATCH_ROW_INVALID}
    assert "not UTF-8" in errs[8]["message"]
    assert rc == 4


def _subset(bw: BatchWorld, want: set[str], each: int = 3) -> list[dict[str, Any]]:
    """Up to ``each`` rows of each status in ``want``."""
    ref = reference_lines(bw)
    return [r for st in sorted(want) for r in [r for r in bw.rows if ref[r["id"]]["status"] == st][:each]]


@pytest.mark.parametrize(("statuses", "bad_row", "expected"), [
    ({"VALID"}, False, 0),
    ({"VALID", "INDETERMINATE"}, False, 3),
    ({"INDETERMINATE"}, False, 3),
    ({"VALID", "INVALID"}, False, 1),
    ({"VALID", "INVALID", "INDETERMINATE"}, False, 1),
    ({"VALID"}, True, 4),
    ({"VALID", "INVALID", "INDETERMINATE"}, True, 4),
])
def test_exit_code_is_the_worst_row(bw: BatchWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    statuses: set[str], bad_row: bool, expected: int) -> None:
    rows = _subset(bw, statuses)
    src = tmp_path / "calls.jsonl"
    write_jsonl(rows, src)
    if bad_row:
        with src.open("a") as fh:
            fh.write("{oops\n")
    rc, got = _run(bw, src, tmp_path / "out", capsys=capsys)
    assert rc == expected
    assert {s for s, n in got["statuses"].items() if n} == statuses


# ---------------------------------------------------------------------------------------------
# Resume and idempotence


def test_rerun_skips_done_rows_and_cuts_a_torn_tail(bw: BatchWorld, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    first = tmp_path / "first.jsonl"
    write_jsonl(bw.rows[:10], first)
    rc1, got1 = _run(bw, first, out, capsys=capsys)
    assert got1["this_run"] == 10
    torn = b'{"id":"call-11","call_id":"caller-3-11@exa'
    with (out / "verdicts.jsonl").open("ab") as fh:
        fh.write(torn)  # what a kill in the middle of a write would leave
    rc, got = _run(bw, bw.jsonl, out, capsys=capsys)
    assert got["truncated_bytes"] == len(torn)
    assert got["skipped"] == 10 and got["this_run"] == len(bw.rows) - 10 and got["earlier"] == 10
    lines = read_jsonl(out / "verdicts.jsonl")
    assert by_id(lines) == reference_lines(bw)  # every row exactly once (by_id refuses repeats)
    _assert_records_stored(out, lines)
    assert rc == 1 and got["rows"] == len(bw.rows)
    # once more: nothing left to do, the same answer
    before = (out / "verdicts.jsonl").read_bytes()
    rc2, got2 = _run(bw, bw.jsonl, out, capsys=capsys)
    assert (out / "verdicts.jsonl").read_bytes() == before
    assert got2["this_run"] == 0 and got2["skipped"] == len(bw.rows) and rc2 == rc
    summary = (out / "summary.html").read_text()
    assert f'data-total="{len(bw.rows)}"' in summary


def test_a_damaged_verdict_line_stops_the_run_and_changes_nothing(bw: BatchWorld, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    src = tmp_path / "calls.jsonl"
    write_jsonl(bw.rows[:4], src)
    _run(bw, src, out, capsys=capsys)
    lines = (out / "verdicts.jsonl").read_bytes().splitlines(keepends=True)
    damaged = lines[0] + b"garbage\n" + b"".join(lines[1:])
    (out / "verdicts.jsonl").write_bytes(damaged)
    assert main(bw.argv(bw.jsonl, out)) == 4
    assert codes.BATCH_VERDICTS_DAMAGED in capsys.readouterr().err
    assert (out / "verdicts.jsonl").read_bytes() == damaged


def test_a_second_run_on_the_same_folder_is_refused(bw: BatchWorld, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    lock = OutLock(out)
    try:
        assert main(bw.argv(bw.jsonl, out)) == 4
        assert codes.BATCH_OUT_BUSY in capsys.readouterr().err
        assert not (out / "verdicts.jsonl").exists()
    finally:
        lock.release()
    assert (out / LOCK).exists()


# ---------------------------------------------------------------------------------------------
# Workers


def test_two_worker_processes_give_the_serial_verdicts(bw: BatchWorld, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    rc, got = _run(bw, bw.jsonl, tmp_path / "out", "--workers", "2", "--batch-rows", "5", capsys=capsys)
    lines = read_jsonl(tmp_path / "out" / "verdicts.jsonl")
    assert by_id(lines) == reference_lines(bw)
    assert got["workers"] == 2 and rc == 1
    _assert_records_stored(tmp_path / "out", lines)


def test_one_worker_with_small_batches_gives_the_serial_verdicts(bw: BatchWorld, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rc, got = _run(bw, bw.jsonl, tmp_path / "out", "--batch-rows", "3", capsys=capsys)
    assert by_id(read_jsonl(tmp_path / "out" / "verdicts.jsonl")) == reference_lines(bw)


def test_a_separate_store(bw: BatchWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    rc, got = _run(bw, bw.jsonl, tmp_path / "out", "--store", store, capsys=capsys)
    assert not (tmp_path / "out" / "records.db").exists()
    _assert_records_stored(tmp_path / "out", read_jsonl(tmp_path / "out" / "verdicts.jsonl"), store)


# ---------------------------------------------------------------------------------------------
# Records


def test_records_of_late_rows_reverify_offline_exported_alone(bw: BatchWorld, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The last rows of a run were verified with every cache warm (no fetch at all for most of
    them); each record, exported alone from the store, must still re-verify offline to the same
    verdict: the caches handed their evidence to the recorder."""
    out = tmp_path / "out"
    _run(bw, bw.jsonl, out, capsys=capsys)
    lines = read_jsonl(out / "verdicts.jsonl")
    late = lines[-6:]
    for line in late:
        f = tmp_path / f"{line['id']}.json"
        assert main(["records", "export", line["record"], "--store", str(out), "-o", str(f)]) == 0
        capsys.readouterr()
        rc = main(["reverify", str(f), "--json"])
        res = json.loads(capsys.readouterr().out)
        assert res["reproduced"] is True, (line["id"], res["differences"], res["not_in_record"])
        assert res["integrity"]["ok"] and res["signature"]["ok"], res["signature"]
        assert "batch" in json.loads(f.read_bytes())["signature"]  # signed with its commit's group
        assert res["recorded_status"] == line["status"] and res["record_id"] == line["record"]
        assert rc == {"VALID": 0, "INVALID": 1, "INDETERMINATE": 3}[line["status"]]


# ---------------------------------------------------------------------------------------------
# Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_plain_lines_off_a_terminal() -> None:
    out = io.StringIO()
    p = Progress("auto", stream=out, interval_s=0.0)
    assert p.mode == "lines"
    p.start(skipped=5)
    p.update(done=10, read=20, fraction_read=0.25, statuses={"VALID": 12, "INVALID": 3}, errors=1)
    p.finish(statuses={"VALID": 20, "INVALID": 3}, errors=1)
    text = out.getvalue().splitlines()
    assert len(text) == 2
    assert text[0].startswith("batch: 10 rows (+5 from an earlier run)") and "rows/s" in text[0] and "ETA " in text[0]
    assert "VALID 12, INVALID 3, INDETERMINATE 0, errors 1" in text[0]
    assert text[1].startswith("batch done: 10 rows") and "ETA" not in text[1]


def test_progress_bar_on_a_terminal_and_off() -> None:
    tty = _Tty()
    p = Progress("auto", stream=tty)
    assert p.mode == "bar"
    p.start(skipped=0)
    p.update(done=128, read=256, fraction_read=0.5, statuses={"VALID": 128}, errors=0)
    p.finish(statuses={"VALID": 128}, errors=0)
    assert "row" in tty.getvalue() and "VALID 128" in tty.getvalue()
    quiet = io.StringIO()
    q = Progress("off", stream=quiet)
    q.start(skipped=0)
    q.update(done=1, read=1, fraction_read=1.0, statuses={}, errors=0)
    q.finish(statuses={}, errors=0)
    assert quiet.getvalue() == ""


def test_progress_goes_to_stderr_and_json_to_stdout(bw: BatchWorld, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "calls.jsonl"
    write_jsonl(bw.rows[:3], src)
    argv = [a for a in bw.argv(src, tmp_path / "out", "--json") if a != "--no-progress"]
    main(argv)
    cap = capsys.readouterr()
    assert json.loads(cap.out)["rows"] == 3  # stdout: exactly one JSON document
    assert "batch done: 3 rows" in cap.err


def test_run_batch_api_and_usage_errors(bw: BatchWorld, tmp_path: Path) -> None:
    got = run_batch(BatchOptions(input=bw.jsonl, out=tmp_path / "out", trust=str(bw.trust),
                                 keystore=str(bw.keystore), progress="off"), environ=dict(os.environ))
    assert got.rows == len(bw.rows) and got.exit_code == 1
    with pytest.raises(Exception) as ei:
        run_batch(BatchOptions(input=bw.jsonl, out=tmp_path / "o2", workers=0))
    assert getattr(ei.value, "code", None) == codes.USAGE_ERROR


def test_an_input_that_is_not_a_file_or_folder_is_refused(bw: BatchWorld, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(bw.argv("/dev/zero", tmp_path / "out")) == 4  # an endless line, not a log
    assert codes.INPUT_NOT_REGULAR_FILE in capsys.readouterr().err
    assert main(bw.argv(tmp_path / "absent.jsonl", tmp_path / "out")) == 4
    assert codes.INPUT_UNREADABLE in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing was made for an input that cannot be read
    folder = tmp_path / "sip"
    write_sip_folder(bw.rows[:1], folder)
    os.mkfifo(folder / "a-fifo")
    (folder / "sub").mkdir()
    rc, got = _run(bw, folder, tmp_path / "out2", capsys=capsys)
    errs = read_jsonl(tmp_path / "out2" / "errors.jsonl")
    assert [(e["id"], e["code"]) for e in errs] == [("a-fifo", codes.INPUT_NOT_REGULAR_FILE)]
    assert rc == 4 and got["rows"] == 1
