"""The CLI skeleton: every subcommand of architecture §4.1 is present; absent ones exit 4, coded."""

from __future__ import annotations

import importlib.util

import pytest

from vvp import codes
from vvp._cli import main

SUBCOMMANDS = ["verify", "reverify", "dossier", "kel", "batch", "serve", "report", "inspect", "demo"]


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ei:
        main(["--help"])
    assert ei.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ei:
        main(["kel"])
    assert ei.value.code == 2
    assert codes.USAGE_ERROR in capsys.readouterr().err
    with pytest.raises(SystemExit) as ei:
        main(["nosuchcommand"])
    assert ei.value.code == 2


@pytest.mark.parametrize("argv", [
    ["serve"],
    ["inspect", "--identity", "x"],
])
def test_absent_subcommands_exit_4_with_a_code(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert importlib.util.find_spec(f"vvp._cli.{argv[0]}_cmd") is None, f"vvp {argv[0]} exists now: drop it here"
    assert main(argv) == 4
    captured = capsys.readouterr()
    assert captured.out == ""  # no fake verdict on stdout
    assert codes.NOT_AVAILABLE_IN_VERSION in captured.err
