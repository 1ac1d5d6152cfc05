"""The layer order of architecture §3, enforced on the source.

Imports go down only; only ``vvp/_keri/`` imports keri; only the fetcher opens client
connections (the test world's evidence server, ``vvp/testing/world/server.py``, and the service
are the listening exceptions); only ``vvp/clock.py`` reads the wall clock; nothing in the core
imports the test tooling (``vvp.testing``, ``vvp._keri.forge``, ``vvp._keri.baseline``).
"""

from __future__ import annotations

import ast
from typing import Any
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Lowest first. A module may import modules of its own layer or any layer below.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("vocabulary", ("vvp", "vvp.verdict", "vvp.codes", "vvp.errors", "vvp.keystate", "vvp.strictjson", "vvp.canonical")),
    ("edge", ("vvp.fetch", "vvp.clock", "vvp.files")),
    ("keri", ("vvp._keri",)),
    ("record", ("vvp.record", "vvp.recordbatch", "vvp.store")),
    ("domain", ("vvp.caller", "vvp.callee", "vvp.stir", "vvp.evidence", "vvp.dossier", "vvp.jose",
                "vvp.tn", "vvp.kel", "vvp.vcard", "vvp.goals", "vvp.tnsets",
                "vvp.witness")),
    ("inputs", ("vvp.trust", "vvp.config")),
    ("verifier", ("vvp.verifier", "vvp.replay")),
    ("front", ("vvp._cli", "vvp.service", "vvp.batch", "vvp.report", "vvp.report_svg", "vvp.htmlpage",
               "vvp.__main__", "vvp.testing")),
]
"""Architecture §3, lowest first. ``vvp.testing`` (test worlds, test PKIs) sits with the front ends:
the demo and the tests use it, and nothing below them may."""

NET_MODULES = {"socket", "ssl", "http.client", "urllib.request", "http.server", "socketserver", "requests",
               "httpx", "urllib3", "aiohttp", "asyncio"}
NET_ALLOWED = {"vvp.fetch.http", "vvp.testing.world.server", "vvp.service"}
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
               ("time", "time"), ("time", "time_ns"), ("time", "gmtime"), ("time", "localtime"),
               ("time", "ctime"), ("helping", "nowUTC"), ("helping", "nowIso8601")}


def _modname(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(mod: str) -> int:
    best = (-1, -1)
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if mod == p or mod.startswith(p + "."):
                best = max(best, (len(p), i))
    assert best[1] >= 0 or mod == "vvp", f"module {mod} is not placed in a layer (tests/test_layers.py)"
    return best[1] if best[1] >= 0 else 0


def _is_pkg(path: Path) -> bool:
    return path.name == "__init__.py"


def _modules() -> list[tuple[str, Path, ast.Module]]:
    out = []
    for p in sorted((REPO / "vvp").rglob("*.py")):
        if "schemas" in p.relative_to(REPO).parts:
            continue
        out.append((_modname(p), p, ast.parse(p.read_text(), filename=str(p))))
    return out


def _imports(mod: str, tree: ast.Module, *, is_pkg: bool = False) -> list[tuple[int, str]]:
    """Every module name imported (``from a import b`` yields ``a`` and ``a.b``), relative ones resolved."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{a.name}") for a in node.names]
    return found


def test_every_module_is_placed() -> None:
    for mod, _, _ in _modules():
        _layer(mod)


def test_imports_go_down_only() -> None:
    bad = []
    for mod, path, tree in _modules():
        if mod == "vvp":
            continue  # the public facade: its names are imported lazily, on first use (vvp/__init__.py)
        mine = _layer(mod)
        for line, name in _imports(mod, tree, is_pkg=_is_pkg(path)):
            if not name.startswith("vvp."):
                continue  # "vvp" alone: the package facade; "from vvp import x" also yields vvp.x
            # "from vvp import codes" names a module; "from vvp.x import Y" names x
            target = name
            try:
                theirs = _layer(target)
            except AssertionError:
                theirs = _layer(target.rsplit(".", 1)[0])
            if theirs > mine:
                bad.append(f"{path.relative_to(REPO)}:{line}: {mod} ({LAYERS[mine][0]}) imports {name} "
                           f"({LAYERS[theirs][0]})")
    assert not bad, "\n".join(bad)


def test_only_vvp_keri_imports_keri() -> None:
    bad = []
    for mod, path, tree in _modules():
        if mod == "vvp._keri" or mod.startswith("vvp._keri."):
            continue
        for line, name in _imports(mod, tree, is_pkg=_is_pkg(path)):
            if name == "keri" or name.startswith("keri.") or name == "hio" or name.startswith("hio."):
                bad.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert not bad, "keri imported outside vvp/_keri:\n" + "\n".join(bad)


# Test tooling (architecture §3): the test worlds and PKIs, and the keri that makes them or
# measures keri alone, are for tests, the demo and benchmarks. Who may import each:
TEST_TOOLING: dict[str, tuple[str, ...]] = {
    "vvp.testing": ("vvp.testing", "vvp._cli.demo_cmd"),
    "vvp._keri.forge": ("vvp._keri.forge", "vvp.testing"),
    "vvp._keri.baseline": (),  # benchmarks/ only
}


def _tooling_violations(mod: str, names: list[str]) -> list[str]:
    """The names ``mod`` imports from test tooling it may not import (:data:`TEST_TOOLING`)."""

    def within(m: str, prefixes: tuple[str, ...]) -> bool:
        return any(m == p or m.startswith(p + ".") for p in prefixes)

    return [n for n in names for tool, allowed in TEST_TOOLING.items()
            if within(n, (tool,)) and not within(mod, allowed)]


def test_the_core_never_imports_test_tooling() -> None:
    """``vvp.testing`` is imported only by itself and ``vvp demo``; the keri that makes test
    worlds (``vvp._keri.forge``) only by ``vvp.testing``; keri's bare-ingest baseline by nothing in
    the package (the benchmarks use it)."""
    bad = []
    for mod, path, tree in _modules():
        for line, name in _imports(mod, tree, is_pkg=_is_pkg(path)):
            bad += [f"{path.relative_to(REPO)}:{line}: {mod} imports {n}" for n in _tooling_violations(mod, [name])]
    assert not bad, "test tooling imported by the core:\n" + "\n".join(bad)


def test_the_tooling_rule_catches_a_violation() -> None:
    tree = ast.parse("from vvp.testing.world import served_world\nfrom vvp._keri.forge import generator\n")
    names = [n for _, n in _imports("vvp._keri.kel", tree)]
    assert _tooling_violations("vvp._keri.kel", names)
    assert not _tooling_violations("vvp.testing.worldgen.build", [n for n in names if "forge" in n])
    assert _tooling_violations("vvp.verifier", ["vvp._keri.baseline"])


def test_only_the_fetcher_opens_sockets() -> None:
    bad = []
    for mod, path, tree in _modules():
        if any(mod == n or mod.startswith(n + ".") for n in NET_ALLOWED):
            continue  # the fetcher's client, and the servers that listen (evidence server, service)
        for line, name in _imports(mod, tree, is_pkg=_is_pkg(path)):
            if name in NET_MODULES or any(name.startswith(n + ".") for n in NET_MODULES):
                bad.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert not bad, "network modules imported outside the fetcher:\n" + "\n".join(bad)


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    bad = []
    for mod, path, tree in _modules():
        if mod == "vvp.clock":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                owner_name = owner.id if isinstance(owner, ast.Name) else (
                    owner.attr if isinstance(owner, ast.Attribute) else "")
                if (owner_name, node.func.attr) in CLOCK_CALLS:
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}: {owner_name}.{node.func.attr}()")
            if isinstance(node, ast.ImportFrom) and node.module == "time":
                for a in node.names:
                    if a.name in {"time", "time_ns", "gmtime", "localtime", "ctime"}:
                        bad.append(f"{path.relative_to(REPO)}:{node.lineno}: from time import {a.name}")
    assert not bad, "wall clock read outside vvp/clock.py:\n" + "\n".join(bad)


def test_the_layer_test_catches_a_violation(tmp_path: Path) -> None:
    """The checker itself: a domain module importing the trust store is flagged."""
    tree = ast.parse("from vvp.trust import TrustStore\nimport keri.core\n")
    names = [n for _, n in _imports("vvp.dossier", tree)]
    assert "vvp.trust" in names and "keri.core" in names
    assert _layer("vvp.trust") > _layer("vvp.dossier")


def test_the_core_reads_no_file_by_path_during_a_call(monkeypatch: Any) -> None:
    """Architecture §2.1: the trust store's files are read when it is loaded, never during a
    call. A Verifier is built, then every way Python opens a file by path is made to fail, and a
    cold and a warm verification of the world's valid call must still come out VALID (keri's
    LMDB stores are opened by the C library, below Python: not a path read by vvp)."""
    import builtins
    import io
    import os
    import pathlib

    from tests.world_fixtures import own_world
    from vvp.fetch import FetchLimits, build_fetcher
    from vvp.trust import load_trust_store
    from vvp.verdict import Status
    from vvp.verifier import CallInput, Verifier
    from vvp.testing.world import served_world

    import tempfile

    with tempfile.TemporaryDirectory() as tmp, served_world(own_world(), Path(tmp)) as sw:
        c = sw.call("valid")
        trust = load_trust_store(c.trust)
        verifier = Verifier(trust, build_fetcher(limits=FetchLimits.from_policy(trust.policy)))
        call = CallInput(reference_time=c.at, identities=(c.identity,), orig=c.orig, dest=c.dest)
        reads: list[str] = []
        real_open, real_os_open = builtins.open, os.open

        def guarded_open(file: Any, *a: Any, **kw: Any) -> Any:
            if isinstance(file, (str, bytes, os.PathLike)) and not str(file).startswith(("/dev/shm", "/tmp/vvp-")):
                reads.append(str(file))
            return real_open(file, *a, **kw)

        def guarded_os_open(path: Any, *a: Any, **kw: Any) -> Any:
            if not str(path).startswith(("/dev/shm", "/tmp/vvp-", "/proc")):
                reads.append(str(path))
            return real_os_open(path, *a, **kw)

        monkeypatch.setattr(builtins, "open", guarded_open)
        monkeypatch.setattr(io, "open", guarded_open)
        monkeypatch.setattr(os, "open", guarded_os_open)
        monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: reads.append(str(self)) or b"")
        monkeypatch.setattr(pathlib.Path, "read_text", lambda self, *a, **k: reads.append(str(self)) or "")
        try:
            cold = verifier.verify(call)
            warm = verifier.verify(call)
        finally:
            monkeypatch.undo()
        assert cold.status is Status.VALID and warm.status is Status.VALID
        # keri's per-verification stores live on tmpfs (VVP_TMPDIR, /dev/shm) and keri opens their
        # folders by relative name; library code (site-packages, the standard library) is not vvp's
        tmp_roots = (tempfile.gettempdir(), "/dev/shm", os.environ.get("VVP_TMPDIR") or "/dev/shm")
        vvp_reads = [r for r in reads if "/" in r and "site-packages" not in r and "/lib/python" not in r
                     and not r.startswith(tmp_roots)]
        assert not vvp_reads, f"files read by path during a call: {vvp_reads[:5]}"
