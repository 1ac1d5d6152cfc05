"""The project's own ACDC schemas (schemas/acdc): their SAIDs are keri's, they are listed in the
README, they are not copies of the published ones, and the published set loads by its SAIDs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from keri.core import scheming

from tests.world_fixtures import need_corpus, world  # noqa: F401 - fixture
from vvp.testing.worldgen import World
from vvp.testing.worldgen.schemas import (
    EXTRA_FILES,
    OWN_FILES,
    all_own_files,
    check_schema_ids,
    load_schema_set,
    main,
    own_schema_dir,
    saidify_dir,
)
from vvp.trust import PUBLISHED_SCHEMA_ROLES

REPO = Path(__file__).resolve().parents[1]
ACDC = REPO / "schemas" / "acdc"


def test_the_package_finds_the_schemas_folder() -> None:
    assert own_schema_dir().resolve() == ACDC.resolve()
    assert sorted(p.name for p in ACDC.glob("*.json")) == sorted(all_own_files())


@pytest.mark.parametrize("role,file", sorted(OWN_FILES.items()) + list(EXTRA_FILES))
def test_every_id_is_the_keri_said(role: str, file: str) -> None:
    raw = (ACDC / file).read_bytes()
    sed = json.loads(raw)
    assert scheming.Schemer(raw=raw).said == sed["$id"]  # keri checks the top $id and the JSON Schema
    assert check_schema_ids(sed) == []  # and every nested block $id
    assert sed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert sed["additionalProperties"] is False


def test_a_wrong_id_is_noticed() -> None:
    sed = json.loads((ACDC / "gcd.json").read_text())
    sed["properties"]["a"]["oneOf"][1]["description"] = "edited"
    assert check_schema_ids(sed)


def test_recomputing_changes_nothing(tmp_path: Path) -> None:
    for f in all_own_files():
        shutil.copy(ACDC / f, tmp_path / f)
    for f, sed in saidify_dir(tmp_path).items():
        assert sed == json.loads((ACDC / f).read_text()), f
    assert main([str(ACDC), "--check"]) == 0


def test_cross_references_pin_the_right_schemas() -> None:
    ids = {f: json.loads((ACDC / f).read_text())["$id"] for f in OWN_FILES.values()}
    dossier = json.loads((ACDC / "dossier.json").read_text())
    edges = dossier["properties"]["e"]["oneOf"][1]["properties"]
    assert edges["alloc"]["properties"]["s"]["const"] == ids["gcd.json"]
    assert edges["delsig"]["properties"]["s"]["const"] == ids["gcd.json"]
    assert edges["tnalloc"]["properties"]["s"]["const"] == ids["tn-allocation.json"]
    assert edges["bownr"]["properties"]["s"]["const"] == ids["brand.json"]
    vetting = json.loads((ACDC / "vetting.json").read_text())
    assert vetting["properties"]["e"]["oneOf"][1]["properties"]["qvi"]["properties"]["s"]["const"] == ids["qvi.json"]
    cited = json.loads((ACDC / "vetting-cited.json").read_text())["properties"]["e"]["oneOf"][1]
    bridge_id = json.loads((ACDC / "bridge.json").read_text())["$id"]
    assert cited["properties"]["qvi"]["properties"]["s"]["const"] == ids["qvi.json"]
    assert [p["properties"]["s"]["const"] for p in cited["patternProperties"].values()] == [bridge_id]


def test_readme_lists_each_file_said_and_role() -> None:
    readme = (ACDC / "README.md").read_text()
    for role, f in list(OWN_FILES.items()) + list(EXTRA_FILES):
        said = json.loads((ACDC / f).read_text())["$id"]
        line = next((ln for ln in readme.splitlines() if f"`{f}`" in ln), "")
        assert said in line and f"`{role}`" in line, f


def test_world_roles_are_the_own_files(world: World) -> None:  # noqa: F811
    for role, f in OWN_FILES.items():
        assert world.schema_roles[role] == (json.loads((ACDC / f).read_text())["$id"],)
        assert world.schemas[world.schema_roles[role][0]] == (ACDC / f).read_bytes()


@pytest.mark.corpus
def test_own_schemas_are_not_copies_of_the_published_ones() -> None:
    published = load_schema_set("published", need_corpus())
    own = load_schema_set("own")
    assert not {s.said for s in own.by_role.values()} & {s.said for s in published.by_role.values()}
    for role in OWN_FILES:
        mine, theirs = own.by_role[role].sed, published.by_role[role].sed
        assert mine["title"] != theirs["title"] and mine["description"] != theirs["description"]


@pytest.mark.corpus
def test_published_set_has_the_published_saids() -> None:
    published = load_schema_set("published", need_corpus())
    for role, s in published.by_role.items():
        assert s.said in PUBLISHED_SCHEMA_ROLES[role], role
