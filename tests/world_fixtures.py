"""Fixtures of the deterministic test world (register with ``pytest_plugins = ["tests.world_fixtures"]``).

* ``world`` — the default world (project's own schemas), built once per process.
* ``world_published`` — the same world with the published schemas of ``../shared/corpus``
  (skipped with a clear reason when the corpus is not beside the checkout).
* ``served_world`` — ``world`` served on 127.0.0.1 with trust stores, evidence map and the
  scenario calls (``served_world.call("valid").argv(json_out=True)``); one server per session.

Builds are cached with ``functools.cache`` rather than only by fixture scope, so a module that
imports these fixtures directly and the plugin registration share one build.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from vvp.testing.worldgen import World, WorldSpec, build_world
from vvp.testing.world import ServedWorld, served_world as _served_world

CORPUS_SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "schemas"


@functools.cache
def own_world() -> World:
    return build_world(WorldSpec())


@functools.cache
def published_world() -> World:
    return build_world(WorldSpec(schemas="published", published_dir=str(CORPUS_SCHEMAS)))


def need_corpus() -> Path:
    if not CORPUS_SCHEMAS.is_dir():
        pytest.skip(f"needs the shared corpus beside the checkout: {CORPUS_SCHEMAS} is missing")
    return CORPUS_SCHEMAS


@pytest.fixture(scope="session")
def world() -> World:
    return own_world()


@pytest.fixture(scope="session")
def world_published() -> World:
    need_corpus()
    return published_world()


@pytest.fixture(scope="session")
def served_world(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedWorld]:
    with _served_world(world, tmp_path_factory.mktemp("served-world")) as sw:
        yield sw
