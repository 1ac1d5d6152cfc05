"""The CLI skeleton: every subcommand of architecture §4.1 is present; absent ones exit 4, coded."""

from __future__ import annotations

import importlib.util

import pytest

from vvp import codes
from vvp._cli import main

SUBCOMMANDS = ["verify", "reverify", "dossier", "kel", "evidence", "batch", "serve", "records", "report", "inspect",
               "demo"]


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


def test_every_subcommand_of_the_architecture_is_built() -> None:
    import vvp._cli as cli

    assert set(SUBCOMMANDS) <= set(cli.COMMANDS)
    assert [n for n in cli.COMMANDS if importlib.util.find_spec(f"vvp._cli.{n}_cmd") is None] == []


@pytest.mark.parametrize("argv", [
    ["inspect", "--identity", "x"],
    ["inspect"],
])
def test_a_subcommand_not_in_this_version_exits_4_with_a_code(argv: list[str], capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism for a listed subcommand whose module is absent (none is, today): exit 4, coded,
    nothing on stdout."""
    import vvp._cli as cli

    real = cli._module
    monkeypatch.setattr(cli, "_module", lambda name: None if name == argv[0] else real(name))
    assert main(argv) == 4
    captured = capsys.readouterr()
    assert captured.out == ""  # no fake verdict on stdout
    assert codes.NOT_AVAILABLE_IN_VERSION in captured.err


def test_inspect_prints_what_it_sees_marked_unverified(capsys: pytest.CaptureFixture[str]) -> None:
    import json
    from pathlib import Path

    rec = Path(__file__).resolve().parents[1] / "fixtures" / "records" / "valid.json"
    assert main(["inspect", str(rec), "--json"]) == 0
    got = capsys.readouterr()
    doc = json.loads(got.out)
    assert doc["verified"] is False and doc["kind"] == "record" and doc["recorded_status"] == "VALID"
    assert "UNVERIFIED" in got.err
    ident = doc["inputs"]["identities"][0]
    assert main(["inspect", "--identity", ident, "--json"]) == 0
    tok = json.loads(capsys.readouterr().out)
    assert tok["verified"] is False and tok["header"]["ppt"] == "vvp" and "orig" in tok["payload"]
    assert main(["inspect", "--identity", "not a passport", "--json"]) == 4
    assert "error" in json.loads(capsys.readouterr().out)
