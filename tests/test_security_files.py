"""Hostile files and arguments (issue 21): special files as inputs, non-files as outputs, times
and JSON that used to end as INTERNAL_ERROR. One regression test per class, named for it.

Inputs: a FIFO with no writer used to hang any command that read it; ``/dev/zero`` was read until
memory ran out; a 5 GB sparse file was allocated at once. Outputs: ``--record X`` or ``report -o
X`` replaced a symlink or a device node with a regular file. Each is now a coded error.
"""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from vvp import codes
from vvp._cli import main
from vvp.errors import InputUnreadable, OperationalError
from vvp.files import read_input, write_output
from vvp.testing.world import ServedWorld

needs_posix_specials = pytest.mark.skipif(not Path("/dev/zero").exists() or not hasattr(os, "mkfifo"),
                                          reason="needs /dev/zero and mkfifo (POSIX)")
BIG_SPARSE = 5 * 1024 ** 3


def _err_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    rc = main([*argv, "--json"])
    out = capsys.readouterr().out
    doc = json.loads(out)
    return rc, doc


def _fifo(tmp: Path, name: str = "fifo") -> Path:
    p = tmp / name
    os.mkfifo(p)
    return p


def _sparse(tmp: Path, name: str = "sparse.json") -> Path:
    p = tmp / name
    with open(p, "wb") as f:
        f.truncate(BIG_SPARSE)  # no block is allocated; reading it whole would allocate 5 GB
    return p


# ---------------------------------------------------------------------------------------------
# vvp.files.read_input


@needs_posix_specials
@pytest.mark.timeout(30)
@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo", "dir"])
def test_read_input_refuses_what_is_not_a_regular_file(special: str, tmp_path: Path) -> None:
    path = {"fifo": lambda: _fifo(tmp_path), "dir": lambda: tmp_path}.get(special, lambda: Path(special))()
    with pytest.raises(InputUnreadable) as ei:
        read_input(path, max_bytes=1000)
    assert ei.value.code == codes.INPUT_NOT_REGULAR_FILE


@needs_posix_specials
def test_read_input_refuses_a_huge_sparse_file_before_reading(tmp_path: Path) -> None:
    with pytest.raises(InputUnreadable) as ei:
        read_input(_sparse(tmp_path), max_bytes=4 * 1024 * 1024)
    assert ei.value.code == codes.INPUT_TOO_LARGE


def test_read_input_reads_regular_files_and_symlinks_to_them_within_the_cap(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 100)
    (tmp_path / "link").symlink_to(tmp_path / "f")
    assert read_input(tmp_path / "f", max_bytes=100) == b"x" * 100
    assert read_input(tmp_path / "link", max_bytes=100) == b"x" * 100
    with pytest.raises(InputUnreadable) as ei:
        read_input(tmp_path / "f", max_bytes=99)
    assert ei.value.code == codes.INPUT_TOO_LARGE
    with pytest.raises(InputUnreadable) as ei:
        read_input(tmp_path / "absent", max_bytes=99)
    assert ei.value.code == codes.INPUT_UNREADABLE


def test_read_input_stdin_only_where_allowed_and_capped(tmp_path: Path) -> None:
    assert read_input("-", max_bytes=5, allow_stdin=True, stdin=io.BytesIO(b"hello")) == b"hello"
    with pytest.raises(InputUnreadable) as ei:
        read_input("-", max_bytes=4, allow_stdin=True, stdin=io.BytesIO(b"hello"))
    assert ei.value.code == codes.INPUT_TOO_LARGE
    with pytest.raises(InputUnreadable) as ei:  # "-" is a file name where stdin is not allowed
        read_input("-", max_bytes=4)
    assert ei.value.code == codes.INPUT_UNREADABLE


# ---------------------------------------------------------------------------------------------
# Special files through every reader of the CLI


@needs_posix_specials
@pytest.mark.timeout(60)
@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_regression_special_file_as_trust_store_evidence_map_sip_source_or_record(
        special: str, tmp_path: Path, served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    call = served_world.call("valid")
    path = str(_fifo(tmp_path)) if special == "fifo" else special
    base = ["--identity", call.identity, "--orig", call.orig, "--dest", call.dest, "--offline"]
    cases = [
        ["verify", *base, "--trust", path],
        ["verify", *base, "--evidence", path],
        ["verify", "--sip", path, "--offline"],
        ["kel", path],
        ["dossier", path],
        ["reverify", path],
    ]
    for argv in cases:
        rc, doc = _err_json(argv, capsys)
        assert rc == 4 and doc["error"]["code"] == codes.INPUT_NOT_REGULAR_FILE, (argv, doc)
    capsys.readouterr()
    assert main(["report", path, "-o", str(tmp_path / "r.html")]) == 4
    assert codes.INPUT_NOT_REGULAR_FILE in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


@needs_posix_specials
@pytest.mark.timeout(60)
def test_regression_huge_sparse_trust_store_and_map_refused_unread(
        tmp_path: Path, served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    call = served_world.call("valid")
    sparse = str(_sparse(tmp_path))
    for opt in ("--trust", "--evidence"):
        rc, doc = _err_json(["verify", "--identity", call.identity, "--offline", opt, sparse], capsys)
        assert rc == 4 and doc["error"]["code"] == codes.INPUT_TOO_LARGE, doc
    rc, doc = _err_json(["reverify", sparse], capsys)
    assert rc == 4 and doc["error"]["code"] == codes.RECORD_TOO_LARGE, doc


@needs_posix_specials
@pytest.mark.timeout(60)
@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_regression_special_file_named_inside_the_trust_store(
        special: str, tmp_path: Path, served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    """An ``sti_pa`` (or schema) path naming a device or FIFO: refused, never read."""
    call = served_world.call("valid")
    path = str(_fifo(tmp_path)) if special == "fifo" else special
    trust = json.loads(call.trust.read_text())
    trust["schemas"] = [str((call.trust.parent / p).resolve()) for p in trust["schemas"]]
    trust["sti_pa"] = [path]
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    rc, doc = _err_json(["verify", "--identity", call.identity, "--offline", "--trust", str(tmp_path / "trust.json")],
                        capsys)
    assert rc == 4 and doc["error"]["code"].startswith("TRUST_"), doc
    assert "regular file" in doc["error"]["message"]


@needs_posix_specials
@pytest.mark.timeout(60)
def test_regression_special_file_as_mapped_evidence(tmp_path: Path, served_world: ServedWorld,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A mapped evidence file that is a FIFO: the fetch fails with a code; the verdict says so."""
    call = served_world.call("valid")
    emap = json.loads(served_world.files.evidence_map.read_text())
    base = served_world.files.evidence_map.parent
    emap = {k: {**v, "path": str((base / v["path"]).resolve())} for k, v in emap.items()}
    emap[call.evd] = {"path": str(_fifo(tmp_path)), "content_type": "application/cesr"}
    (tmp_path / "map.json").write_text(json.dumps(emap))
    capsys.readouterr()
    rc = main(call.argv(evidence_map=tmp_path / "map.json", offline=True, json_out=True))
    out = capsys.readouterr().out
    assert rc == 3 and json.loads(out)["status"] == "INDETERMINATE"
    assert codes.INPUT_NOT_REGULAR_FILE in out


# ---------------------------------------------------------------------------------------------
# Outputs


def test_write_output_replaces_regular_files_atomically_and_keeps_their_mode(tmp_path: Path) -> None:
    p = tmp_path / "out.json"
    write_output(p, b"one", fail_code=codes.RECORD_WRITE_FAILED)
    assert p.read_bytes() == b"one" and stat.S_IMODE(p.stat().st_mode) == 0o644
    p.chmod(0o600)
    write_output(p, b"two", fail_code=codes.RECORD_WRITE_FAILED)
    assert p.read_bytes() == b"two" and stat.S_IMODE(p.stat().st_mode) == 0o600
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.json"]  # no temporary file left


def test_write_output_refuses_a_symlink_unless_written_through(tmp_path: Path) -> None:
    target = tmp_path / "target.json"
    target.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    with pytest.raises(OperationalError) as ei:
        write_output(link, b"new", fail_code=codes.RECORD_WRITE_FAILED)
    assert ei.value.code == codes.OUTPUT_NOT_REGULAR_FILE
    assert link.is_symlink() and target.read_bytes() == b"old"
    assert write_output(link, b"new", fail_code=codes.RECORD_WRITE_FAILED, write_through=True) == target
    assert link.is_symlink() and target.read_bytes() == b"new"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "not-yet.json")
    write_output(dangling, b"made", fail_code=codes.RECORD_WRITE_FAILED, write_through=True)
    assert (tmp_path / "not-yet.json").read_bytes() == b"made" and dangling.is_symlink()


@needs_posix_specials
@pytest.mark.timeout(30)
def test_write_output_refuses_a_device_or_fifo_and_writes_through_without_blocking(tmp_path: Path) -> None:
    with pytest.raises(OperationalError) as ei:
        write_output("/dev/null", b"x", fail_code=codes.REPORT_WRITE_FAILED)
    assert ei.value.code == codes.OUTPUT_NOT_REGULAR_FILE
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    write_output("/dev/null", b"x", fail_code=codes.REPORT_WRITE_FAILED, write_through=True)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = _fifo(tmp_path)
    with pytest.raises(OperationalError) as ei:
        write_output(fifo, b"x", fail_code=codes.REPORT_WRITE_FAILED)
    assert ei.value.code == codes.OUTPUT_NOT_REGULAR_FILE
    with pytest.raises(OperationalError) as ei:  # no reader: ENXIO at once, never a hang
        write_output(fifo, b"x", fail_code=codes.REPORT_WRITE_FAILED, write_through=True)
    assert ei.value.code == codes.REPORT_WRITE_FAILED
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@needs_posix_specials
@pytest.mark.timeout(120)
def test_regression_record_and_report_over_symlink_or_device(
        tmp_path: Path, served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    call = served_world.call("valid")
    argv = call.argv(evidence_map=served_world.files.evidence_map, offline=True) + ["--keystore",
                                                                                    str(tmp_path / "ks")]
    target = tmp_path / "kept.json"
    target.write_bytes(b"not a record")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    for out in (str(link), "/dev/null"):
        rc, doc = _err_json([*argv, "--record", out], capsys)
        assert rc == 4 and doc["error"]["code"] == codes.OUTPUT_NOT_REGULAR_FILE, doc
    assert link.is_symlink() and target.read_bytes() == b"not a record"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)

    capsys.readouterr()
    assert main([*argv, "--record", str(link), "--write-through"]) == 0
    assert link.is_symlink() and target.read_bytes().startswith(b"{")
    capsys.readouterr()
    assert main(["reverify", str(link)]) == 0

    report_target = tmp_path / "page.html"
    report_target.write_text("old page")
    report_link = tmp_path / "page-link.html"
    report_link.symlink_to(report_target)
    capsys.readouterr()
    assert main(["report", str(target), "-o", str(report_link)]) == 4
    assert codes.OUTPUT_NOT_REGULAR_FILE in capsys.readouterr().err
    assert report_target.read_text() == "old page"
    assert main(["report", str(target), "-o", "/dev/null"]) == 4
    assert main(["report", str(target), "-o", str(report_link), "--write-through"]) == 0
    assert report_link.is_symlink() and report_target.read_text().startswith("<!DOCTYPE html>")


# ---------------------------------------------------------------------------------------------
# Times


@pytest.mark.parametrize(("at", "code"), [
    ("", codes.TIME_INVALID),
    ("   ", codes.TIME_INVALID),
    ("0001-01-01T00:00:00+01:00", codes.TIME_OUT_OF_RANGE),
    ("9999-12-31T23:59:59-01:00", codes.TIME_OUT_OF_RANGE),
    ("999999999999", codes.TIME_OUT_OF_RANGE),
    ("-999999999999", codes.TIME_OUT_OF_RANGE),
    ("1000000000000", codes.TIME_INVALID),
    ("-1e12", codes.TIME_INVALID),
    ("2026-13-01T00:00:00Z", codes.TIME_INVALID),
    ("2026-03-01T12:00:00", codes.TIME_INVALID),
])
def test_regression_bad_times_are_usage_errors_with_a_code(at: str, code: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["kel", "http://127.0.0.1:9/x", "--offline", f"--at={at}"],
                 ["dossier", "http://127.0.0.1:9/x", "--offline", f"--at={at}"],
                 ["verify", "--identity", "x", "--offline", f"--at={at}"]):
        rc, doc = _err_json(argv, capsys)
        assert rc == 2 and doc["error"]["code"] == code, (argv, doc)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("at", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "0", "-62135596800"])
def test_extreme_but_valid_times_give_a_verdict_not_an_internal_error(
        at: str, served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    call = served_world.call("valid")
    argv = [a if a != call.argv()[call.argv().index("--at") + 1] else at
            for a in call.argv(evidence_map=served_world.files.evidence_map, offline=True, json_out=True)]
    capsys.readouterr()
    rc = main(argv)
    doc = json.loads(capsys.readouterr().out)
    assert rc in (1, 3) and doc["status"] in ("INVALID", "INDETERMINATE"), doc.get("error")


# ---------------------------------------------------------------------------------------------
# Deep JSON


@pytest.mark.timeout(60)
@pytest.mark.parametrize("opt", ["--trust", "--evidence"])
def test_regression_100000_deep_trust_store_or_map_is_a_coded_error(
        opt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    rc, doc = _err_json(["verify", "--identity", "x", "--offline", opt, str(deep)], capsys)
    assert rc == 4 and doc["error"]["code"] == codes.INPUT_TOO_DEEP, doc
    deep.write_text("[" * 100_000 + "]" * 100_000)
    rc, doc = _err_json(["verify", "--identity", "x", "--offline", opt, str(deep)], capsys)
    assert rc == 4 and doc["error"]["code"] == codes.INPUT_TOO_DEEP, doc


def test_duplicate_keys_in_the_evidence_map_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The map used to be read with plain json (last key wins); now it is strict like every input."""
    m = tmp_path / "map.json"
    m.write_text('{"http://x/k": "a.cesr", "http://x/k": "b.cesr"}')
    rc, doc = _err_json(["kel", "http://x/k", "--evidence", str(m), "--offline"], capsys)
    assert rc == 4 and doc["error"]["code"] == codes.MAP_INVALID


@pytest.mark.timeout(120)
def test_regression_trust_folder_with_too_many_files_stops_at_the_cap(tmp_path: Path) -> None:
    """A schema folder of more than MAX_TRUST_FILES files (or ``/``): refused with a code once
    the cap is passed, not after walking and reading everything (fuzzing found ``"/"`` walked the
    whole disk and died on an unreadable ``/proc`` entry as INTERNAL_ERROR)."""
    from vvp.record import MAX_TRUST_FILES
    from vvp.trust import parse_trust_store

    many = tmp_path / "schemas"
    many.mkdir()
    for i in range(MAX_TRUST_FILES + 1):
        (many / f"{i:05}.json").write_bytes(b"{}")
    with pytest.raises(OperationalError) as ei:
        parse_trust_store({"version": 1, "schemas": [str(many)]}, base=tmp_path)
    assert ei.value.code == codes.TRUST_BAD_VALUE and f"more than {MAX_TRUST_FILES} files" in ei.value.message


@needs_posix_specials
@pytest.mark.timeout(30)
@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_regression_foreign_key_files_read_at_verification_time_refuse_special_files(
        special: str, tmp_path: Path) -> None:
    """JWK sets and JSON-LD contexts (foreign evidence) are read when a call needs them: a FIFO
    there must not block the verification, a device must not be read."""
    from vvp.evidence._trustfiles import read_trust_file

    path = _fifo(tmp_path) if special == "fifo" else Path(special)
    with pytest.raises(ValueError, match="regular file"):
        read_trust_file(path)
