"""``vvp records list|show ID|export ID -o FILE|import FILE... --store URL``: the record store.

* ``list`` prints the stored records in the order they were stored (id, reception time, verdict
  status), a page at a time (``--limit``, ``--after ID``);
* ``show ID`` prints what one record says (verdict, inputs, evidence, verifier), read back and
  checked in full;
* ``export ID -o FILE`` writes the self-contained record file, byte for byte what ``vvp verify
  --record`` writes (``vvp reverify FILE`` checks it alone, offline);
* ``import FILE...`` checks each file as ``vvp reverify`` would before trusting it (canonical,
  intact, its id matching its content) and stores the intact ones in one transaction.

``list``, ``show`` and ``export`` never create a store: a mistyped path is an error, not an empty
store. ``--json`` prints one JSON document on stdout; human lines go to stderr.
"""

from __future__ import annotations

import argparse
from typing import Any

from vvp._cli.common import read_file
from vvp._cli.output import emit_json, fail_line, human
from vvp.errors import InputUnreadable
from vvp.record import MAX_RECORD_BYTES, Record, RecordBroken, write_record
from vvp.store import open_store
from vvp.store.base import MAX_LIST
from vvp.verdict import ExitCode

HELP = "list, show, export and import the records of a record store"
EXIT_CODES = ("exit codes: 0 done, 2 usage error (including a malformed --store URL), 4 the store cannot be "
              "opened, read or written, no such record, or a file cannot be read, "
              "6 a file to import is not an intact record")


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", metavar="URL", required=True,
                   help="sqlite:///PATH, postgresql://..., or a path (an SQLite file, or a folder holding records.db)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    sub.required = True
    q = sub.add_parser("list", help="the stored records, in the order they were stored")
    q.add_argument("--limit", metavar="N", type=int, default=100, help=f"at most N records (1 to {MAX_LIST})")
    q.add_argument("--after", metavar="ID", help="start after this record (the last id of the previous page)")
    _store_arg(q)
    q = sub.add_parser("show", help="what one record says, read back and checked")
    q.add_argument("id", metavar="ID", help="the record id (sha256:...)")
    _store_arg(q)
    q = sub.add_parser("export", help="write the self-contained record file (what vvp verify --record writes)")
    q.add_argument("id", metavar="ID", help="the record id (sha256:...)")
    q.add_argument("-o", "--output", metavar="FILE", required=True, help="the record file to write")
    _store_arg(q)
    q = sub.add_parser("import", help="store record files (checked first; one transaction)")
    q.add_argument("files", metavar="FILE", nargs="+", help="record files")
    _store_arg(q)


def run(args: argparse.Namespace) -> int:
    action = str(args.action)
    if action == "list":
        return _list(args)
    if action == "show":
        return _show(args)
    if action == "export":
        return _export(args)
    return _import(args)


def _list(args: argparse.Namespace) -> int:
    with open_store(args.store, create=False) as store:
        entries = store.entries(limit=args.limit, after=args.after)
    if args.json:
        emit_json({"records": [e.to_json() for e in entries],
                   "next_after": entries[-1].id if len(entries) == args.limit else None})
    for e in entries:
        human(f"{e.id}  {e.received_at}  {e.status}")
    human(f"{len(entries)} record(s)" + (f"; next page: --after {entries[-1].id}" if len(entries) == args.limit else ""))
    return int(ExitCode.VALID)


def _summary(rec: Record, size: int) -> dict[str, Any]:
    evidence: list[dict[str, Any]] = []
    for ev in rec.data["evidence"]:
        item: dict[str, Any] = {"url": ev["url"], "kind": ev["kind"], "at": ev["at"]}
        if "fetched" in ev:
            blob = ev["fetched"]["blob"]
            item.update(source=ev["fetched"]["source"], blob=blob, bytes=len(rec.blob(blob)))
        else:
            item["failure"] = ev["failure"]
        evidence.append(item)
    return {"id": rec.id, "received_at": rec.received_at, "status": rec.verdict.get("status"), "bytes": size,
            "blobs": rec.blob_count, "inputs": rec.inputs, "evidence": evidence, "verdict": rec.verdict,
            "software": rec.software,
            "verifier": {"aid": rec.signer.aid, "est_sn": rec.signer.est_sn, "est_said": rec.signer.est_said}}


def _show(args: argparse.Namespace) -> int:
    with open_store(args.store, create=False) as store:
        rec = store.get(args.id)
    raw = rec.to_bytes()
    doc = _summary(rec, len(raw))
    if args.json:
        emit_json(doc)
    human(f"record      {rec.id}")
    human(f"received    {rec.received_at} (the verifier's own claim, signed by it)")
    human(f"verdict     {doc['status']}")
    human(f"verifier    {rec.signer.aid} (establishment event {rec.signer.est_sn})")
    human(f"evidence    {len(doc['evidence'])} fetch(es), {rec.blob_count} blob(s); file {len(raw)} bytes")
    human("re-verify it offline: vvp records export ID -o FILE, then vvp reverify FILE")
    return int(ExitCode.VALID)


def _export(args: argparse.Namespace) -> int:
    with open_store(args.store, create=False) as store:
        rec = store.get(args.id)
    path = write_record(rec, args.output)
    if args.json:
        emit_json({"id": rec.id, "path": str(path), "bytes": path.stat().st_size})
    human(f"record {rec.id} written to {path}")
    return int(ExitCode.VALID)


def _import(args: argparse.Namespace) -> int:
    records: list[tuple[str, Record]] = []
    failed: list[dict[str, str]] = []
    rc = int(ExitCode.VALID)
    for name in args.files:
        try:
            records.append((name, Record.from_bytes(read_file(name, max_bytes=MAX_RECORD_BYTES))))
        except InputUnreadable as ex:
            failed.append({"file": name, "code": ex.code, "message": ex.message})
            rc = int(ExitCode.OPERATIONAL)
        except RecordBroken as ex:
            failed.append({"file": name, "code": ex.code, "message": ex.message})
            if rc != int(ExitCode.OPERATIONAL):
                rc = int(ExitCode.RECORD_BROKEN)
    ids: list[str] = []
    if records:
        with open_store(args.store, create=True) as store:
            ids = store.put_many([r for _, r in records])
    imported = [{"file": name, "id": rid} for (name, _), rid in zip(records, ids)]
    if args.json:
        emit_json({"imported": imported, "failed": failed})
    for item in imported:
        human(f"stored    {item['id']}  {item['file']}")
    for f in failed:
        fail_line(f"not stored: {f['file']}: {f['code']}: {f['message']}")
    return rc
