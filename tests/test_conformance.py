"""``docs/conformance.md`` is complete and honest (issue 7).

* Every requirement id of vvp-protocol.md §8.1 to §8.6 has exactly one row, with the
  protocol's level (checked against the protocol itself when ``../shared/docs`` is beside the
  checkout, else against the ids written down here).
* Every M/MN row names tests, and every test it names exists (found by reading the test files'
  syntax trees, so a renamed test breaks this one); the only M/MN rows without a test are the
  allowlisted "not yet" rows, and an allowlisted row that gains a test must leave the allowlist.
* Only S/SN/R/NR/P rows (and the unlevelled S-09) may say "not applicable", always with a reason.
* For four rows, a child pytest run with that row's check disabled (a ``-p`` plugin that
  monkeypatches the checking function to pass) makes the row's named test fail: the named tests
  really exercise the checks.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "conformance.md"
PROTOCOL = ROOT.parent / "shared" / "docs" / "vvp-protocol.md"

# The §8.1, §8.3, §8.5 and §8.6 ids with the first word of their level (vvp-protocol.md).
EXPECTED: dict[str, str] = {
    **{f"P-{n:02d}": "M" for n in range(1, 25)},
    "P-02": "MN", "P-18": "MN", "P-19": "S", "P-20": "S", "P-24": "MN",
    **{f"V-{n:02d}": "M" for n in range(0, 28)},
    "V-07": "R", "V-19": "P/M", "V-20": "MN", "V-26": "MN",
    **{f"S-{n:02d}": "M" for n in range(1, 11)},
    "S-03": "S", "S-04": "S", "S-05": "S", "S-06": "S", "S-09": "—",
    **{f"DS-{n:02d}": "M" for n in range(1, 22)},
    "DS-05": "SN", "DS-06": "S", "DS-08": "NR", "DS-09": "R", "DS-21": "S",
    **{f"CE-{n:02d}": "M" for n in range(1, 10)},
    "CE-06": "P",
    **{f"VC-{n:02d}": "M" for n in range(0, 10)},
}
SECTIONS = ("8.1", "8.2", "8.3", "8.4", "8.5", "8.6")

# M/MN rows that honestly have no test yet; each says "Not yet" and why in the table.
NOT_YET_MANDATORY = frozenset({"V-26", "S-10", "DS-10", "DS-11", "DS-12", "DS-16"})

_ID = re.compile(r"^(?:P|V|S|DS|CE|VC)-\d{2}$")
_REF = re.compile(r"`(?:([\w/]+\.py))?::([A-Za-z_]\w*)(?:\[[^\]`]*\])?`")


@dataclass(frozen=True)
class Row:
    id: str
    level: str
    tests: tuple[tuple[str, str], ...]  # (file, function)
    test_cell: str
    note: str

    @property
    def mandatory(self) -> bool:
        return bool({"M", "MN"} & set(re.split(r"[/\s]+", self.level.split(" (")[0])))


def rows() -> list[Row]:
    out: list[Row] = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not _ID.match(cells[0]):
            continue
        refs: list[tuple[str, str]] = []
        current: str | None = None
        for m in _REF.finditer(cells[2]):
            current = m.group(1) or current
            assert current is not None, f"{cells[0]}: {m.group(0)} names no file"
            refs.append((current, m.group(2)))
        out.append(Row(cells[0], cells[1], tuple(refs), cells[2], cells[3]))
    return out


def collected_tests(path: Path) -> set[str]:
    """Names of the test functions pytest collects from ``path`` (module level and ``Test*`` classes)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name.startswith("Test")):
        names |= {f"{cls.name}::{f.name}" for f in cls.body if isinstance(f, ast.FunctionDef)}
    return {n for n in names if n.split("::")[-1].startswith("test_")}


def protocol_ids() -> dict[str, str]:
    """The ids and first level words of the four sections, read from the protocol digest."""
    text = PROTOCOL.read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for sec in SECTIONS:
        body = text.split(f"### {sec} ", 1)[1].split("\n### ", 1)[0]
        for line in body.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 2 and _ID.match(cells[0]):
                out[cells[0]] = cells[1].split(" ")[0]
    return out


def test_every_requirement_has_one_row_with_its_level() -> None:
    got = rows()
    ids = [r.id for r in got]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert set(ids) == set(EXPECTED), (sorted(set(EXPECTED) - set(ids)), sorted(set(ids) - set(EXPECTED)))
    for r in got:
        assert r.level.split(" ")[0] == EXPECTED[r.id], (r.id, r.level)


def test_the_expected_ids_are_the_protocols() -> None:
    if not PROTOCOL.is_file():
        pytest.skip(f"needs the shared docs beside the checkout: {PROTOCOL} is missing")
    assert protocol_ids() == EXPECTED


def test_every_mandatory_row_names_tests_that_exist() -> None:
    files: dict[str, set[str]] = {}
    missing: list[str] = []
    for r in rows():
        if r.mandatory and r.id not in NOT_YET_MANDATORY:
            assert r.tests, f"{r.id} ({r.level}) names no test"
        for file, name in r.tests:
            path = ROOT / "tests" / file
            if file not in files:
                files[file] = collected_tests(path) if path.is_file() else set()
            if name not in files[file]:
                missing.append(f"{r.id}: {file}::{name}")
    assert missing == []


def test_not_yet_and_not_applicable_are_used_honestly() -> None:
    by_id = {r.id: r for r in rows()}
    for rid in NOT_YET_MANDATORY:
        r = by_id[rid]
        assert r.mandatory, f"{rid} is not M/MN: it does not need the allowlist"
        assert not r.tests, f"{rid} has a test now: take it off the allowlist"
        assert r.note.startswith("Not yet:") and len(r.note) > 40, r
    for r in by_id.values():
        if r.mandatory:
            assert "not applicable" not in r.note.lower(), f"{r.id} is {r.level}: it may not be 'not applicable'"
        elif not r.tests:
            assert re.match(r"^Not (yet|applicable)\b", r.note) and len(r.note) > 40, \
                f"{r.id} names no test and gives no reason: {r.note!r}"


# --- disabling a check makes its named test fail ------------------------------------------------


@dataclass(frozen=True)
class Disable:
    row: str
    node: str  # a test the row names
    patch: str  # plugin source: makes the check pass whatever it is given


DISABLED: tuple[Disable, ...] = (
    Disable("V-17", "test_authorization_matrix.py::test_V_17_orig_outside_allocation", """
import vvp.tnsets
vvp.tnsets.TnSet.contains = lambda self, tn: True  # every number is "in" every allocation
"""),
    Disable("V-14", "test_dossier_checks.py::test_V_14_revoked_before_call", """
import vvp.dossier.checks as d
d._revocation = lambda ctx, a, tm: (d.passed("V-14", d.CLAIM, "revocation not checked", a.said), "issued")
"""),
    Disable("V-16", "test_authorization_matrix.py::test_V_16_delegated_signer_credential_issued_by_a_third_party", """
import vvp.caller.authorization as a
def _delegation(d, parties, facts, ref, out):
    out.append(a.passed("V-16", a.AUTH, "delegation not checked", facts.signer))
    return a._first(d, "delsig")
a._delegation = _delegation
"""),
    Disable("VC-05", "test_callee_checks.py::test_VC_05_dossier_issued_by_another_aid", """
import vvp.callee.bindings as b
_bind = b._bind
def _any_issuer(d, f, ref, policy):
    if d is not None and d.root is not None and f.callee is not None:  # pretend the dossier is the callee's
        import dataclasses
        d = dataclasses.replace(d, credentials={**d.credentials, d.said: dataclasses.replace(d.root, issuer=f.callee)})
    return _bind(d, f, ref, policy)
b._bind = _any_issuer
"""),
)


def test_the_disabled_checks_are_named_by_their_rows() -> None:
    by_id = {r.id: r for r in rows()}
    for dis in DISABLED:
        file, name = dis.node.split("::")
        assert (file, name) in by_id[dis.row].tests, dis
        assert by_id[dis.row].mandatory


def test_disabling_a_check_makes_its_named_test_fail(tmp_path: Path) -> None:
    """Four child pytest runs at once, each with one check disabled by a ``-p`` plugin; the
    plugin leaves a marker so a run that never loaded it cannot pass for a failure."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    env.pop("PYTEST_ADDOPTS", None)
    procs = []
    for dis in DISABLED:
        mod = "vvp_disable_" + dis.row.replace("-", "_").lower()
        marker = tmp_path / f"{mod}.loaded"
        (tmp_path / f"{mod}.py").write_text(
            f'"""Disables {dis.row} for one child run."""\n{dis.patch}\n'
            f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", mod, "-x",
               f"tests/{dis.node}"]
        procs.append((dis, marker, subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                                    stderr=subprocess.STDOUT, text=True)))
    for dis, marker, p in procs:
        out, _ = p.communicate(timeout=240)
        assert marker.exists(), f"{dis.row}: the disabling plugin was not loaded:\n{out[-2000:]}"
        assert p.returncode == 1, f"{dis.row}: exit {p.returncode}, expected a test failure:\n{out[-2000:]}"
        # one test failed and none errored (pytest's closing line; with CI set the summary lines
        # are not truncated and may show the assertion's exception name, so read only the tally)
        tally = out.strip().splitlines()[-1]
        assert re.search(r"\b1 failed\b", tally) and not re.search(r"\b\d+ errors?\b", tally), \
            f"{dis.row}: {out[-2000:]}"
        assert f"FAILED tests/{dis.node}" in out, out[-2000:]
