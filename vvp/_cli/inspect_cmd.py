"""``vvp inspect (--identity VALUE | RECORD) [--json]``: what an Identity value or a record holds,
printed as seen and marked UNVERIFIED.

Operators and auditors need to look inside a PASSporT or a record without verifying it (a call
that failed, a record from another verifier). Nothing is fetched, no signature is checked and no
verdict is computed: every line says UNVERIFIED, and the exit code says only whether the input
could be read. ``vvp verify`` and ``vvp reverify`` are what judge.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from vvp import codes
from vvp._cli.common import read_file
from vvp._cli.output import emit_json, human
from vvp.errors import InputUnreadable, UsageError, VvpError
from vvp.jose import parse_compact
from vvp.record import MAX_RECORD_BYTES, Record
from vvp.stir.identity import parse_identity

HELP = "print what an Identity value or a record holds, marked UNVERIFIED"
EXIT_CODES = "exit codes: 0 read and printed (nothing verified), 2 usage error, 4 the input cannot be read"
MARK = "UNVERIFIED"


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--identity", metavar="VALUE", help="an Identity header value with its parameters")
    g.add_argument("record", metavar="RECORD", nargs="?", help="a record file")
    p.add_argument("--json", action="store_true", help="print what was seen as one JSON document on stdout")


def _identity(value: str) -> dict[str, Any]:
    try:
        iv = parse_identity(value)
        tok = parse_compact(iv.token)
    except VvpError as ex:
        raise InputUnreadable(f"the Identity value cannot be read: {ex.message}", code=ex.code) from None
    return {"verified": False, "kind": "identity", "params": {k: v for k, v in iv.params},
            "header": dict(tok.header), "payload": dict(tok.payload),
            "signature_bytes": len(tok.signature), "signature_encoding": tok.signature_encoding.value}


def _record(path: str) -> dict[str, Any]:
    raw = read_file(path, max_bytes=MAX_RECORD_BYTES)
    try:
        rec = Record.from_bytes(raw)
        intact = True
        data: Any = rec.data
    except VvpError as ex:  # a broken record is still shown, as JSON, for what it claims
        intact = False
        try:
            data = json.loads(raw)
        except ValueError:
            raise InputUnreadable(f"{path} is not a record ({ex.code}: {ex.message})",
                                  code=codes.RECORD_NOT_JSON) from None
    if not isinstance(data, dict):
        raise InputUnreadable(f"{path} is not a JSON object", code=codes.RECORD_NOT_JSON)
    verdict: dict[str, Any] = data["verdict"] if isinstance(data.get("verdict"), dict) else {}
    verifier: dict[str, Any] = data["verifier"] if isinstance(data.get("verifier"), dict) else {}
    evidence: list[Any] = data["evidence"] if isinstance(data.get("evidence"), list) else []
    return {"verified": False, "kind": "record", "integrity_checked": intact, "id": data.get("id"),
            "media_type": data.get("media_type"), "received_at": data.get("received_at"),
            "inputs": data.get("inputs"), "recorded_status": verdict.get("status"),
            "claims": {k: v.get("status") for k, v in (verdict.get("claims") or {}).items() if isinstance(v, dict)},
            "verifier_aid": verifier.get("aid"), "software": data.get("software"),
            "evidence": [{"url": e.get("url"), "kind": e.get("kind"), "at": e.get("at"),
                          "outcome": "fetched" if "fetched" in e else "failure"} for e in evidence
                         if isinstance(e, dict)]}


def run(args: argparse.Namespace) -> int:
    if args.identity is None and args.record is None:
        raise UsageError("give --identity VALUE or a RECORD")
    doc = _identity(args.identity) if args.identity is not None else _record(args.record)
    if args.json:
        emit_json(doc)
    human(f"{MARK}: nothing below was verified (use `vvp verify` or `vvp reverify` to judge it)")
    for k, v in doc.items():
        if k != "verified":
            human(f"  {k}: {json.dumps(v, ensure_ascii=False, sort_keys=True)[:500]}")
    return 0
