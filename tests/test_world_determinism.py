"""The world generator is deterministic and leaves nothing behind (issue 4 acceptance).

Two builds of one spec must give byte-identical KELs, TELs and dossiers: fixed salts, registry
nonces, ``u`` nonces and a stopped keri clock (keri-notes §8). The build must also restore keri's
clock and leave no store directory anywhere.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest
from hio.base import filing
from keri.db import dbing
from keri.help import helping

from tests.world_fixtures import world  # noqa: F401 - fixture
from vvp._keri._store import tmp_root
from vvp.testing.worldgen import REVOKE_AT, ROTATE_AT, World, WorldBuildError, WorldSpec, build_world
from vvp._keri.forge.generator import Generator, StepClock


def test_two_builds_are_byte_identical(world: World) -> None:  # noqa: F811
    again = build_world(WorldSpec())
    first, second = world.digests(), again.digests()
    assert first == second
    kinds = {k.split("/")[0] for k in first}
    assert {"kel", "oobi", "tel", "acdc", "dossier"} <= kinds
    assert len([k for k in first if k.startswith("dossier/")]) == len(world.dossiers) == 11
    assert {p.aid for p in world.parties.values()} == {p.aid for p in again.parties.values()}


def test_build_restores_keri_clock_and_leaves_no_directories(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Any keri store opened with temp=True would land in TempHeadDir: point it at an empty folder."""
    trap = tmp_path / "keri-temp"
    trap.mkdir()
    monkeypatch.setattr(dbing.LMDBer, "TempHeadDir", str(trap))
    monkeypatch.setattr(filing.Filer, "TempHeadDir", str(trap))
    stores = tmp_path / "stores"  # a private store root: other processes cannot make this flaky
    stores.mkdir()
    monkeypatch.setenv("VVP_TMPDIR", str(stores))
    assert tmp_root() == str(stores)
    original = helping.nowUTC
    w = build_world(WorldSpec(rotations=(), revocations=()))
    assert helping.nowUTC is original
    assert list(trap.iterdir()) == []
    assert list(stores.iterdir()) == []
    assert w.build_seconds > 0  # measured (the build's speed is a benchmark's business, not a test's)


def test_generator_directory_is_removed_on_close() -> None:
    gen = Generator(StepClock(_dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)))
    root = Path(gen.root)
    assert root.is_dir()
    gen.close()
    assert not root.exists()


def test_controls_move_only_what_they_control(world: World) -> None:  # noqa: F811
    later = ROTATE_AT + _dt.timedelta(days=3)
    revoke = REVOKE_AT + _dt.timedelta(days=1)
    other = build_world(WorldSpec(rotations=(("signer", later),),
                                  revocations=(("tn_le_revoked", revoke),
                                               ("dossier_revoked", REVOKE_AT + _dt.timedelta(minutes=1)))))
    a, b = world.digests(), other.digests()
    assert a["kel/signer"] != b["kel/signer"]
    assert other.parties["signer"].keys[1].at == later
    assert other.credentials["tn_le_revoked"].revoked_at == revoke
    for same in ("kel/le", "kel/root", "kel/external", "kel/qvi", "acdc/dossier_le", "acdc/tn_le_revoked"):
        assert a[same] == b[same], same
    for moved in ("kel/carrier", "tel/credential/tn_le_revoked", "dossier/revoked_tn"):
        assert a[moved] != b[moved], moved


def test_controls_must_fall_after_the_issuance_phase() -> None:
    with pytest.raises(WorldBuildError):
        build_world(WorldSpec(rotations=(("signer", _dt.datetime(2026, 1, 1, 0, 5, tzinfo=_dt.UTC)),), revocations=()))
    with pytest.raises(WorldBuildError):
        build_world(WorldSpec(rotations=(), revocations=(("no_such_credential", REVOKE_AT),)))
