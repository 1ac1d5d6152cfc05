"""What several subcommands share: the reference time, the trust store, the fetcher, reading sources."""

from __future__ import annotations

import argparse
import datetime as _dt

from vvp import clock
from vvp.fetch import Fetcher, FetchLimits, build_fetcher
from vvp.files import read_input
from vvp.record import Record, load_record
from vvp.trust import TrustStore, load_trust_store


def evidence_options(p: argparse.ArgumentParser) -> None:
    """--trust, --evidence and --offline: where trust and evidence come from."""
    p.add_argument("--trust", metavar="FILE", help="trust store (roots, schemas, policy); default: no roots")
    p.add_argument("--evidence", metavar="MAP", help="JSON map of URL or said:<SAID> to local files")
    p.add_argument("--offline", action="store_true", help="fetch nothing that the evidence map does not give")


def json_option(p: argparse.ArgumentParser, what: str = "the result") -> None:
    p.add_argument("--json", action="store_true", help=f"print {what} as one JSON document on stdout")


def reference_time(args: argparse.Namespace) -> _dt.datetime:
    """``--at`` when given, else now: the one place a front end asks the clock for the date."""
    at = getattr(args, "at", None)
    return clock.parse_time(at) if at is not None else clock.now()  # `--at ''` is an error, not now


def trust_store(args: argparse.Namespace) -> TrustStore:
    return load_trust_store(getattr(args, "trust", None))


def fetcher_for(args: argparse.Namespace, trust: TrustStore) -> Fetcher:
    return build_fetcher(limits=FetchLimits.from_policy(trust.policy), evidence_map=getattr(args, "evidence", None),
                         offline=bool(getattr(args, "offline", False)))


def read_file(path: str, *, max_bytes: int, what: str = "input") -> bytes:
    """A file named on the command line (``-``: standard input): a regular file only, at most
    ``max_bytes`` (:func:`vvp.files.read_input`; a FIFO, a device or an oversized file is a coded
    error, exit 4)."""
    return read_input(path, max_bytes=max_bytes, what=what, allow_stdin=True)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def record_source(p: argparse.ArgumentParser) -> None:
    """``RECORD`` (a file), or ``--store URL ID`` (a record in a record store)."""
    p.add_argument("record", metavar="RECORD|ID", help="a record file, or with --store the record's id")
    p.add_argument("--store", metavar="URL", help="read the record from this store (sqlite:///PATH, "
                                                  "postgresql://..., or a path); RECORD is then its id")


def load_record_arg(args: argparse.Namespace) -> Record:
    """The record ``record_source`` names. A stored record is read back byte for byte and checked
    like a file (the store verifies blobs and the id on the way out); errors are coded."""
    if getattr(args, "store", None) is None:
        return load_record(args.record)
    from vvp.store import open_store

    store = open_store(args.store, create=False)
    try:
        return Record.from_bytes(store.get_bytes(args.record))
    finally:
        store.close()
