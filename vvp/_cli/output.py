"""CLI output: exactly one JSON document on stdout when asked; human lines on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def human(line: str = "") -> None:
    sys.stderr.write(line + "\n")


def fail_line(line: str) -> None:
    sys.stderr.write(f"vvp: {line}\n")
