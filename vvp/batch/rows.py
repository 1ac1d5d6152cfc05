"""Batch input (architecture §4.6): JSON Lines, CSV or a folder of raw SIP requests, one call per row.

Reading is split in two on purpose. The runner, which is one process however many workers
there are, only *peeks* at a row: its id (to skip rows already done and refuse repeated ids) and
the ``evd`` of its PASSporT (to route it, :mod:`vvp.batch.partition`). The strict parse, the one
that decides whether the row is a call, runs in the worker (:func:`parse_row`), in parallel, so
the runner stays light enough not to limit the workers. A row that fails either becomes a
:class:`RowError` (its id, line and stable code) in ``errors.jsonl`` and the run goes on.

Rows, strictly (a JSON Lines row is a JSON object; a CSV file has a header naming its columns):

* ``id``: optional; a string of 1 to 256 characters without control characters (JSON: or a
  non-negative integer); default: the 1-based number of the data row (blank lines and the CSV
  header not counted).
* ``identity``: required; one Identity header value, or an array of 1 to 16 of them (CSV: a JSON
  array in one quoted field, recognised by its leading ``[``).
* ``orig``, ``dest``, ``call_id``: optional strings (CSV: an empty field is absent).
* ``time``: required; the reference time of the call, RFC 3339 or Unix seconds (JSON: or a
  number), read by the same :func:`vvp.clock.parse_time` as ``vvp verify --at``. A logged call
  has no "now": defaulting to the day of the batch would give a verdict that changes with the day
  it was computed.

Anything else (an unknown field or column, a wrong type, a string that is not UTF-8, duplicate
JSON keys, a row over :data:`MAX_ROW_BYTES`) is an error of that row. A CSV header that is not
valid stops the run before any row (``BATCH_INPUT_INVALID``).

A folder: every regular file not starting with ``.`` is one raw SIP request in the ``--sip`` form
(:func:`vvp.stir.sip.parse_sip`), its name is its id, its ``Date`` header its reference time and
its ``Call-ID`` its call id. Files are taken in directory order (streamed, never listed in full).
"""

from __future__ import annotations

import abc
import csv
import datetime as _dt
import math
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Final

import orjson

from vvp import clock, codes, strictjson
from vvp.batch.partition import dossier_key
from vvp.errors import InputUnreadable, VvpError
from vvp.files import kind_of
from vvp.stir.identity import MAX_IDENTITY_VALUES
from vvp.stir.sip import MAX_SIP_BYTES, SipError, parse_sip
from vvp.verifier import CallInput

MAX_ROW_BYTES: Final = 1024 * 1024
"""A row with 16 Identity values of the largest size the verifier reads stays under this."""
MAX_ID_CHARS: Final = 256
MAX_TN_CHARS: Final = 64
MAX_CALL_ID_CHARS: Final = 1024
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
FIELDS: Final = ("id", "identity", "orig", "dest", "call_id", "time")
REQUIRED: Final = ("identity", "time")


class RowKind(StrEnum):
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that cannot be verified: ``errors.jsonl`` holds one line per such row."""

    id: str | None
    line: int | None
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "line": self.line, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class RawRow:
    """A row as the runner peeked at it: its id, where it starts, the ``evd`` hint, and its
    content for the strict parse (a JSON line's bytes, or a CSV record's fields by column)."""

    id: str
    line: int
    kind: RowKind
    data: bytes | Mapping[str, str]
    evd: str | None


@dataclass(frozen=True, slots=True)
class Row:
    """One call, strictly parsed: what the worker verifies."""

    id: str
    line: int | None
    at: _dt.datetime
    identities: tuple[str, ...] = ()
    sip: bytes | None = None
    orig: str | None = None
    dest: str | None = None
    call_id: str | None = None
    evd: str | None = None

    def call_input(self) -> CallInput:
        return CallInput(reference_time=self.at, identities=self.identities, sip=self.sip, orig=self.orig,
                         dest=self.dest, call_id=self.call_id)


Item = RawRow | Row
"""What the runner hands a worker."""


class _Bad(Exception):
    """A row error found while reading fields (internal: becomes a :class:`RowError`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------------------------
# Field rules (shared by the peek and the strict parse)


def _text(value: str, name: str, limit: int, *, controls: bool = False) -> str:
    if not value:
        raise _Bad(codes.BATCH_ROW_INVALID, f"{name} is empty")
    if len(value) > limit:
        raise _Bad(codes.BATCH_ROW_INVALID, f"{name} is {len(value)} characters (limit {limit})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Bad(codes.BATCH_ROW_INVALID, f"{name} is not UTF-8 text") from None
    if not controls and _CONTROL.search(value) is not None:
        raise _Bad(codes.BATCH_ROW_INVALID, f"{name} holds a control character")
    return value


def row_id(value: object, default: str) -> str:
    """The id of a row: ``value`` checked (module docstring), or ``default`` when absent."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _Bad(codes.BATCH_ROW_INVALID, f"id must be a string or a non-negative integer, not {type(value).__name__}")
    if isinstance(value, int):
        if value < 0:
            raise _Bad(codes.BATCH_ROW_INVALID, "id must not be negative")
        return str(value)
    return _text(value, "id", MAX_ID_CHARS)


def _identities(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (_text(value, "identity", MAX_ROW_BYTES, controls=False),)
    if isinstance(value, list):
        if not value:
            raise _Bad(codes.BATCH_ROW_INVALID, "identity is an empty array")
        if len(value) > MAX_IDENTITY_VALUES:
            raise _Bad(codes.BATCH_ROW_INVALID,
                       f"identity has {len(value)} values (at most {MAX_IDENTITY_VALUES})")
        out = []
        for i, v in enumerate(value, start=1):
            if not isinstance(v, str):
                raise _Bad(codes.BATCH_ROW_INVALID, f"identity value {i} is not a string")
            out.append(_text(v, f"identity value {i}", MAX_ROW_BYTES))
        return tuple(out)
    if value is None:
        raise _Bad(codes.BATCH_ROW_INVALID, "identity is missing")
    raise _Bad(codes.BATCH_ROW_INVALID, f"identity must be a string or an array of strings, not {type(value).__name__}")


def _optional(value: object, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(codes.BATCH_ROW_INVALID, f"{name} must be a string, not {type(value).__name__}")
    return _text(value, name, limit)


def _time(value: object) -> _dt.datetime:
    if value is None:
        raise _Bad(codes.BATCH_ROW_INVALID, "time is missing (the call's reference time: RFC 3339 or Unix seconds)")
    if isinstance(value, bool):
        raise _Bad(codes.BATCH_ROW_INVALID, "time must be RFC 3339 text or Unix seconds, not a boolean")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad(codes.TIME_INVALID, "time is not a finite number")
        text = repr(value)
    elif isinstance(value, str):
        text = _text(value, "time", 64)
    else:
        raise _Bad(codes.BATCH_ROW_INVALID, f"time must be RFC 3339 text or Unix seconds, not {type(value).__name__}")
    try:
        return clock.parse_time(text)
    except VvpError as ex:
        raise _Bad(ex.code, f"time: {ex.message}") from None
    except (OverflowError, ValueError, OSError):
        raise _Bad(codes.TIME_INVALID, f"time: {text[:64]!r} is out of range") from None


def _row(fields: Mapping[str, object], *, default_id: str, line: int | None, evd: str | None) -> Row:
    unknown = [k for k in fields if k not in FIELDS]
    if unknown:
        raise _Bad(codes.BATCH_ROW_INVALID, f"unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})")
    idents = _identities(fields.get("identity"))
    return Row(id=row_id(fields.get("id"), default_id), line=line, at=_time(fields.get("time")),
               identities=idents, orig=_optional(fields.get("orig"), "orig", MAX_TN_CHARS),
               dest=_optional(fields.get("dest"), "dest", MAX_TN_CHARS),
               call_id=_optional(fields.get("call_id"), "call_id", MAX_CALL_ID_CHARS),
               evd=evd if evd is not None else dossier_key(idents))


def _csv_fields(data: Mapping[str, str]) -> dict[str, object]:
    """A CSV record's text as the values the JSON form would have: empty is absent, an identity
    starting with ``[`` is a JSON array."""
    out: dict[str, object] = {}
    for k, v in data.items():
        if v == "":
            continue
        if k == "identity" and v.lstrip().startswith("["):
            try:
                out[k] = strictjson.loads(v)
            except (ValueError, RecursionError) as ex:
                raise _Bad(codes.BATCH_ROW_INVALID, f"identity is not a JSON array of strings: {ex}") from None
        else:
            out[k] = v
    return out


def parse_row(item: Item) -> Row | RowError:
    """The strict parse of a row (module docstring), in the worker. Never raises."""
    if isinstance(item, Row):
        return item
    try:
        if item.kind is RowKind.JSON:
            assert isinstance(item.data, bytes)
            try:
                obj = strictjson.loads(item.data)
            except (ValueError, RecursionError) as ex:
                return RowError(item.id, item.line, codes.BATCH_ROW_NOT_JSON, f"not a strict JSON object: {ex}")
            if not isinstance(obj, dict):
                return RowError(item.id, item.line, codes.BATCH_ROW_NOT_JSON,
                                f"a row is a JSON object, not {type(obj).__name__}")
            return _row(obj, default_id=item.id, line=item.line, evd=item.evd)
        assert not isinstance(item.data, bytes)
        return _row(_csv_fields(item.data), default_id=item.id, line=item.line, evd=item.evd)
    except _Bad as ex:
        return RowError(item.id, item.line, ex.code, ex.message)


# ---------------------------------------------------------------------------------------------
# Sources


class Source(abc.ABC):
    """The rows of one input, streamed: yields :class:`RawRow` (JSON Lines, CSV), :class:`Row`
    (SIP files, parsed as they are read) or :class:`RowError`. ``position`` and ``size`` (bytes,
    or files for a folder) let progress estimate what is left."""

    kind: str = ""
    size: int = 0
    position: int = 0

    @abc.abstractmethod
    def __iter__(self) -> Iterator[Item | RowError]:
        """Each input kind reads its own rows."""

    def close(self) -> None:
        """Release the file (a generator left unfinished keeps it open otherwise)."""


def open_source(path: str | Path) -> Source:
    """The source for INPUT: a folder of SIP requests, a ``.csv`` file, or JSON Lines (any other
    regular file). ``InputUnreadable`` (exit 4) when it cannot be opened; a FIFO, device or socket
    is refused (``INPUT_NOT_REGULAR_FILE``): ``/dev/zero`` is an endless line, not a log."""
    p = Path(path)
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            return SipFolder(p)
        if not stat.S_ISREG(st.st_mode):
            raise InputUnreadable(f"the batch input {p} is {kind_of(st.st_mode)}, not a file or a folder",
                                  code=codes.INPUT_NOT_REGULAR_FILE)
        fh = p.open("rb")
    except OSError as ex:
        raise InputUnreadable(f"cannot read the batch input {p}: {ex.strerror or ex}") from None
    if p.suffix.lower() == ".csv":
        return CsvSource(p, fh)
    return JsonLines(p, fh)


def _long_line(fh: BinaryIO, first: bytes) -> bytes | None:
    """``first`` (read with a limit) when it is a whole line within :data:`MAX_ROW_BYTES`; else the
    rest of the line is consumed unread and ``None`` returned."""
    content = len(first) - (1 if first.endswith(b"\n") else 0)
    if content <= MAX_ROW_BYTES:
        return first
    if not first.endswith(b"\n"):
        while True:
            chunk = fh.readline(1 << 20)
            if not chunk or chunk.endswith(b"\n"):
                break
    return None


class JsonLines(Source):
    kind = "jsonl"

    def __init__(self, path: Path, fh: BinaryIO) -> None:
        self.path = path
        self._fh = fh
        try:
            self.size = os.fstat(fh.fileno()).st_size
        except OSError:
            self.size = 0

    def __iter__(self) -> Iterator[RawRow | RowError]:
        fh = self._fh
        lineno = 0
        n = 0
        while True:
            raw = fh.readline(MAX_ROW_BYTES + 2)
            if not raw:
                return
            lineno += 1
            line = _long_line(fh, raw)
            self.position = fh.tell()
            if line is None:
                n += 1
                yield RowError(str(n), lineno, codes.BATCH_ROW_TOO_LARGE, f"a line over {MAX_ROW_BYTES} bytes")
                continue
            line = line.strip()
            if not line:
                continue
            n += 1
            yield peek_json(line, default_id=str(n), line=lineno)

    def close(self) -> None:
        self._fh.close()


def peek_json(data: bytes, *, default_id: str, line: int) -> RawRow | RowError:
    """The runner's look at one JSON line: its id and ``evd`` (module docstring)."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as ex:
        return RowError(default_id, line, codes.BATCH_ROW_NOT_JSON, f"not JSON: {ex}")
    if not isinstance(obj, dict):
        return RowError(default_id, line, codes.BATCH_ROW_NOT_JSON, f"a row is a JSON object, not {type(obj).__name__}")
    try:
        rid = row_id(obj.get("id"), default_id)
    except _Bad as ex:
        return RowError(default_id, line, ex.code, ex.message)
    ident = obj.get("identity")
    values = [ident] if isinstance(ident, str) else ident if isinstance(ident, list) else []
    return RawRow(rid, line, RowKind.JSON, data, dossier_key(values))


class _Lines:
    """Physical lines of a CSV file as text for :mod:`csv`, each decoded on its own (bytes that
    are not UTF-8 survive as surrogates and are refused per row); lines over the limit are
    replaced by an empty line and remembered, so the record holding them is refused whole."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.number = 0
        self.too_long: set[int] = set()
        self.first = True

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self._fh.readline(MAX_ROW_BYTES + 2)
        if not raw:
            raise StopIteration
        self.number += 1
        line = _long_line(self._fh, raw)
        if line is None:
            self.too_long.add(self.number)
            line = b"\n"
        if self.first:
            self.first = False
            line = line.removeprefix(b"\xef\xbb\xbf")
        return line.decode("utf-8", "surrogateescape")


class CsvSource(Source):
    kind = "csv"

    def __init__(self, path: Path, fh: BinaryIO) -> None:
        self.path = path
        self._fh = fh
        try:
            self.size = os.fstat(fh.fileno()).st_size
        except OSError:
            self.size = 0
        self._lines = _Lines(fh)
        csv.field_size_limit(MAX_ROW_BYTES)
        self._reader = csv.reader(self._lines, strict=True)
        self.columns = self._header()

    def _header(self) -> tuple[str, ...]:
        try:
            header = next(self._reader)
        except StopIteration:
            raise InputUnreadable(f"{self.path}: empty CSV file (a header naming the columns comes first)",
                                  code=codes.BATCH_INPUT_INVALID) from None
        except csv.Error as ex:
            raise InputUnreadable(f"{self.path}: the CSV header cannot be read: {ex}",
                                  code=codes.BATCH_INPUT_INVALID) from None
        cols = tuple(h.strip() for h in header)
        bad = [c for c in cols if c not in FIELDS]
        if bad or self._lines.too_long:
            raise InputUnreadable(f"{self.path}: unknown CSV column {bad[0][:40]!r} (columns: {', '.join(FIELDS)})"
                                  if bad else f"{self.path}: the CSV header is over {MAX_ROW_BYTES} bytes",
                                  code=codes.BATCH_INPUT_INVALID)
        dup = sorted({c for c in cols if cols.count(c) > 1})
        if dup:
            raise InputUnreadable(f"{self.path}: CSV column {dup[0]!r} appears twice", code=codes.BATCH_INPUT_INVALID)
        missing = [c for c in REQUIRED if c not in cols]
        if missing:
            raise InputUnreadable(f"{self.path}: the CSV header has no {missing[0]!r} column",
                                  code=codes.BATCH_INPUT_INVALID)
        return cols

    def __iter__(self) -> Iterator[RawRow | RowError]:
        reader, lines, cols = self._reader, self._lines, self.columns
        n = 0
        while True:
            start = lines.number + 1
            try:
                rec = next(reader)
            except StopIteration:
                return
            except csv.Error as ex:
                n += 1
                self.position = self._fh.tell()
                yield RowError(str(n), start, codes.BATCH_ROW_INVALID, f"CSV: {ex}")
                continue
            self.position = self._fh.tell()
            if not rec:
                continue
            n += 1
            span = range(start, lines.number + 1)
            if any(i in lines.too_long for i in span):
                lines.too_long.difference_update(span)
                yield RowError(str(n), start, codes.BATCH_ROW_TOO_LARGE, f"a CSV record over {MAX_ROW_BYTES} bytes")
                continue
            yield peek_csv(rec, cols, default_id=str(n), line=start)

    def close(self) -> None:
        self._fh.close()


def peek_csv(rec: Sequence[str], cols: Sequence[str], *, default_id: str, line: int) -> RawRow | RowError:
    if len(rec) != len(cols):
        return RowError(default_id, line, codes.BATCH_ROW_INVALID,
                        f"CSV record has {len(rec)} fields, the header {len(cols)}")
    data = dict(zip(cols, rec, strict=True))
    try:
        rid = row_id(data.get("id") or None, default_id)
    except _Bad as ex:
        return RowError(default_id, line, ex.code, ex.message)
    ident = data.get("identity", "")
    values: list[Any]
    if ident.lstrip().startswith("["):
        try:
            got = orjson.loads(ident)
            values = got if isinstance(got, list) else []
        except orjson.JSONDecodeError:
            values = []
    else:
        values = [ident]
    return RawRow(rid, line, RowKind.CSV, data, dossier_key(values))


class SipFolder(Source):
    kind = "sip"

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with os.scandir(path) as it:
                self.size = sum(1 for e in it if not e.name.startswith("."))
        except OSError as ex:
            raise InputUnreadable(f"cannot list the batch input folder {path}: {ex.strerror or ex}") from None

    def __iter__(self) -> Iterator[Row | RowError]:
        try:
            with os.scandir(self.path) as it:
                for entry in it:
                    if entry.name.startswith("."):
                        continue
                    self.position += 1
                    got = self._one(entry)
                    if got is not None:
                        yield got
        except OSError as ex:
            raise InputUnreadable(f"cannot list the batch input folder {self.path}: {ex.strerror or ex}") from None

    def _one(self, entry: os.DirEntry[str]) -> Row | RowError | None:
        name = entry.name
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return RowError(name.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), None,
                            codes.BATCH_ROW_INVALID, "the file name (the row's id) is not UTF-8")
        try:
            if entry.is_dir():
                return None  # a folder inside the input folder is not a call
            if not entry.is_file():
                return RowError(name, None, codes.INPUT_NOT_REGULAR_FILE,
                                f"{name} is {kind_of(entry.stat().st_mode)}, not a SIP request file")
            if len(name) > MAX_ID_CHARS:
                return RowError(name[:MAX_ID_CHARS], None, codes.BATCH_ROW_INVALID,
                                f"the file name (the row's id) is over {MAX_ID_CHARS} characters")
            with open(entry.path, "rb") as fh:
                data = fh.read(MAX_SIP_BYTES + 1)
        except OSError as ex:
            return RowError(name, None, codes.INPUT_UNREADABLE, f"cannot read {name}: {ex.strerror or ex}")
        if len(data) > MAX_SIP_BYTES:
            return RowError(name, None, codes.BATCH_ROW_TOO_LARGE, f"a SIP request over {MAX_SIP_BYTES} bytes")
        try:
            sip = parse_sip(data)
        except SipError as ex:
            return RowError(name, None, ex.code, f"the SIP request: {ex.message}")
        if sip.date is None:
            why = "no Date header" if sip.date_raw is None else f"Date {sip.date_raw[:60]!r} cannot be read"
            return RowError(name, None, codes.BATCH_SIP_NO_DATE, f"{why}: the call has no reference time")
        return Row(id=name, line=None, at=sip.date, sip=data, call_id=sip.call_id,
                   evd=dossier_key(sip.identities))
