"""The code registry is the single source of codes, and docs/codes.md is generated from it.

Fails when the source uses a code-looking string literal that is not registered, refers to a
``codes.X`` that does not exist, or when docs/codes.md is stale (``make codes-doc``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from vvp import codes

REPO = Path(__file__).resolve().parents[1]
CODE_RE = re.compile(r"\A[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\Z")
# UPPER_SNAKE strings in vvp/ that are not verdict codes (and why).
NOT_CODES = frozenset({
    "KERI_BASER_MAP_SIZE",  # an environment variable name keri reads
    "VVP_KEYSTORE", "VVP_PYTHON", "VVP_TMPDIR", "XDG_DATA_HOME",  # environment variable names
    "VVP_SERVICE_CONFIG", "PROMETHEUS_MULTIPROC_DIR",  # environment variables of vvp serve's workers
    "UV_TCP_SINGLE_ACCEPT",  # libuv's environment variable that vvp serve sets for its workers
    "NOT_APPLICABLE",  # a claim status (verdict.Status), not a code
    "EXIT_CODES",  # the attribute a CLI subcommand module declares its exit codes in
})


def _sources() -> list[Path]:
    return sorted(p for p in (REPO / "vvp").rglob("*.py") if "schemas" not in p.parts)


def _registered_in_codes_py() -> set[str]:
    tree = ast.parse((REPO / "vvp" / "codes.py").read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_c":
            arg = node.args[0]
            assert isinstance(arg, ast.Constant)
            out.add(arg.value)
    return out


def test_every_code_literal_in_the_source_is_registered() -> None:
    unknown: list[str] = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE_RE.match(node.value):
                if node.value not in NOT_CODES and not codes.is_registered(node.value):
                    unknown.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value}")
    assert not unknown, "unregistered codes:\n" + "\n".join(unknown)


def test_every_codes_attribute_exists() -> None:
    missing: list[str] = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "codes":
                if CODE_RE.match(node.attr) or node.attr == "OK":
                    if not hasattr(codes, node.attr):
                        missing.append(f"{path.relative_to(REPO)}:{node.lineno}: codes.{node.attr}")
    assert not missing, "\n".join(missing)


def test_registry_matches_codes_py_and_constants() -> None:
    reg = codes.registry()
    assert set(reg) == _registered_in_codes_py()
    for name, ci in reg.items():
        assert getattr(codes, name) == name, f"codes.{name} must be the constant for {name}"
        assert ci.meaning.strip() and ci.area.strip()


def test_docs_codes_md_is_current() -> None:
    doc = REPO / "docs" / "codes.md"
    assert doc.exists(), "docs/codes.md missing: run `make codes-doc`"
    assert doc.read_text() == codes.markdown(), "docs/codes.md is stale: run `make codes-doc`"
    for name in codes.registry():
        assert f"`{name}`" in doc.read_text()
