"""The credential graph a dossier proves: credentials, edges, the result object later steps read,
and the pure functions over an ingest that find roots, reachable credentials and missing targets."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from vvp import clock, strictjson
from vvp._keri import dossier_ingest as _ing
from vvp._keri import tel as _tel
from vvp.dossier.schemas import _SAID_RE
from vvp.verdict import Check, Status, claim_status
from vvp.witness.model import Directory, ServedKel

_T = TypeVar("_T")


def citation_said(url: str) -> str | None:
    """The dossier SAID a citation URL names: the first path segment that is a SAID (optionally
    with an extension, e.g. ``/dossiers/{SAID}.cesr``); None when there is none (protocol §3.6).
    Remembered per URL (a dossier is cited call after call), for URLs of reasonable length."""
    return _shared_citation_said(url) if len(url) <= 2048 else _citation_said(url)


def _citation_said(url: str) -> str | None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    if "://" in path:
        path = path.split("://", 1)[1]
        path = path.split("/", 1)[1] if "/" in path else ""
    for seg in path.split("/"):
        stem = seg.split(".", 1)[0]
        m = _SAID_RE.fullmatch(stem)
        if m:
            return m.group(1)
    return None


_shared_citation_said = functools.lru_cache(maxsize=1024)(_citation_said)


@dataclass(frozen=True, slots=True)
class Edge:
    """One edge of a credential: ``label`` → credential ``target`` (``n``) of schema ``schema``
    (``s``); ``operator`` as written (``o``; None when absent)."""

    label: str
    target: str | None
    schema: str | None
    operator: str | None

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "n": self.target, "s": self.schema, "o": self.operator}


@dataclass(frozen=True, slots=True)
class Credential:
    """One credential of the dossier graph, as judged at the reference time.

    ``roles`` are the trust-store roles of its schema (a GCD's use is said by ``cited_as``: the
    labels of the edges that point at it, as (citing SAID, label)); ``attributes`` is None when
    the ``a`` block is compacted; ``state`` is ``issued``, ``revoked`` or ``unknown`` at the
    reference time (``issued_at``/``revoked_at``: the TEL ``dt``, never before the anchor's
    first-seen time); ``tel`` lists its accepted TEL events with the KEL event anchoring each;
    ``status`` is the worst of its own checks.
    """

    said: str
    schema: str
    roles: tuple[str, ...]
    issuer: str
    issuee: str | None
    registry: str | None
    state: str
    issued_at: _dt.datetime | None
    revoked_at: _dt.datetime | None
    attributes: Mapping[str, Any] | None
    edges: tuple[Edge, ...]
    edges_compacted: bool
    rules: Any
    cited_as: tuple[tuple[str, str], ...]
    status: Status
    sad: Mapping[str, Any]
    tel: tuple[_tel.TelEvent, ...] = ()

    @property
    def role(self) -> str | None:
        return self.roles[0] if self.roles else None

    def edge(self, label: str) -> Edge | None:
        return next((e for e in self.edges if e.label == label), None)

    def to_json(self) -> dict[str, Any]:
        return {"said": self.said, "schema": self.schema, "role": self.role, "issuer": self.issuer,
                "issuee": self.issuee, "state": self.state, "status": self.status.value,
                "registry": self.registry,
                "issued_at": clock.rfc3339(self.issued_at) if self.issued_at else None,
                "revoked_at": clock.rfc3339(self.revoked_at) if self.revoked_at else None,
                "edges": [e.to_json() for e in self.edges],
                "cited_as": [{"by": s, "label": lb} for s, lb in self.cited_as],
                "tel": [{"ilk": t.ilk, "sn": t.sn, "said": t.said, "dt": t.dt, "anchor_sn": t.anchor_sn,
                         "anchor_said": t.anchor_said} for t in self.tel]}


@dataclass(frozen=True, slots=True)
class DossierResult:
    """The ``dossier`` claim's checks and the credential graph behind them.

    ``said`` is the dossier (root) SAID; ``credentials`` holds every credential reachable from it
    through edges, root first; ``root_candidates`` lists the ACDCs no edge points at when no SAID
    was cited (several: the root is ambiguous).

    A result is immutable, and a :class:`DossierCache` hands the same object to every call it
    serves (same ingest, policy and reference-time interval), so what later steps compute from
    the result alone is kept with it (:meth:`derived`) and lives exactly as long as it does.
    """

    status: Status
    said: str | None
    expected_said: str | None
    checks: tuple[Check, ...]
    credentials: Mapping[str, Credential]
    root_candidates: tuple[str, ...] = ()
    source: str | None = None
    issuer_kels: Mapping[str, ServedKel] = field(default_factory=lambda: MappingProxyType({}))
    """Each verified issuer KEL of the streams (accepted events, witnesses, toad): what the
    witness check compares with the issuers' witnesses (architecture §2.4, vvp.witness)."""
    witness_locations: Directory = field(default_factory=Directory)
    """Witness locations vouched for by witness-signed ``/loc/scheme`` replies in the stream."""
    _derived: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derived(self, key: Any, make: Callable[[], _T]) -> _T:
        """``make()``, computed once per result and ``key`` (hashable; it must name everything
        besides this result that ``make`` depends on). At most :data:`MAX_DERIVED` values are
        kept per result, the oldest dropped first; thread-safe: a lookup is one dict read (atomic),
        and a store with its eviction holds a lock. Two threads may both compute a missing value,
        which is harmless: ``make`` is a pure function of the result and key."""
        d = self._derived
        got = d.get(key, _MISSING)
        if got is not _MISSING:
            return got  # type: ignore[no-any-return]
        value = make()
        with _derived_lock:
            d[key] = value
            while len(d) > MAX_DERIVED:
                del d[next(iter(d))]
        return value

    @property
    def root(self) -> Credential | None:
        return self.credentials.get(self.said) if self.said is not None else None

    @property
    def codes(self) -> tuple[str, ...]:
        return claim_status(self.checks).codes

    def credential(self, said: str) -> Credential | None:
        return self.credentials.get(said)

    def by_role(self, role: str) -> tuple[Credential, ...]:
        return tuple(c for c in self.credentials.values() if role in c.roles)

    def targets(self, said: str, label: str | None = None) -> tuple[Credential, ...]:
        """The credentials ``said``'s edges point at (only those with ``label`` when given)."""
        c = self.credentials.get(said)
        if c is None:
            return ()
        out = []
        for e in c.edges:
            got = self.credentials.get(e.target) if e.target is not None else None
            if got is not None and (label is None or e.label == label):
                out.append(got)
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        """The ``vvp dossier --json`` document (architecture §4.3), with the claim codes added."""
        return {"status": self.status.value, "said": self.said, "expected_said": self.expected_said,
                "codes": list(self.codes), "checks": [c.to_json() for c in self.checks],
                "credentials": [c.to_json() for c in self.credentials.values()],
                "root_candidates": list(self.root_candidates)}


MAX_DERIVED = 256


_derived_lock = threading.Lock()


_MISSING: Any = object()


def stream_digest(streams: Sequence[bytes]) -> str:
    """SHA-256 over the streams (length-prefixed): the identity of one ingest."""
    h = hashlib.sha256()
    for s in streams:
        h.update(len(s).to_bytes(8, "big"))
        h.update(s)
    return h.hexdigest()


def unwrap(data: bytes) -> tuple[bytes | None, str]:
    """The CESR stream inside ``data``: ``data`` itself, or the ``details`` string of the JSON
    wrapper real deployments serve; (None, why) for JSON that is neither."""
    head = data.lstrip()
    if not head.startswith(b"{"):
        return data, ""
    try:
        obj = strictjson.loads(head)
    except ValueError:
        return data, ""  # a CESR stream (a JSON body followed by attachments) is not one JSON value
    if isinstance(obj, dict) and "details" in obj and "v" not in obj:
        details = obj["details"]
        if isinstance(details, str) and details.strip():
            return details.encode("utf-8"), ""
        return None, "the dossier wrapper's details is not a non-empty string of CESR"
    if isinstance(obj, dict) and isinstance(obj.get("v"), str):
        return data, ""  # a single bare message
    return None, "the dossier is a JSON value that is neither a CESR message nor a {\"details\": …} wrapper"


def _edges_of(sad: Mapping[str, Any]) -> tuple[tuple[Edge, ...], bool, list[str]]:
    """(edges, compacted, problems) of an ACDC's ``e`` block."""
    e = sad.get("e")
    if e is None:
        return (), False, []
    if isinstance(e, str):
        return (), True, []
    if not isinstance(e, Mapping):
        return (), False, ["e is neither an object nor a SAID"]
    out: list[Edge] = []
    problems: list[str] = []
    for label, v in e.items():
        if label == "d":
            continue
        if not isinstance(v, Mapping):
            problems.append(f"edge {label!r} is not an object")
            continue
        n, s, o = v.get("n"), v.get("s"), v.get("o")
        out.append(Edge(label=str(label), target=n if isinstance(n, str) else None,
                        schema=s if isinstance(s, str) else None, operator=o if isinstance(o, str) else None))
        if "o" in v and not isinstance(o, str):
            problems.append(f"edge {label!r} has an operator that is not a string")
    return tuple(out), False, problems


def _find_root(ing: _ing.Ingest, expected: str | None) -> tuple[str | None, tuple[str, ...]]:
    if expected is not None:
        return (expected if ing.acdc(expected) is not None else None), ()
    pointed = {e.target for a in ing.acdcs for e in _edges_of(a.sad)[0] if e.target}
    cands = tuple(a.said for a in ing.acdcs if a.said not in pointed)
    return (cands[0] if len(cands) == 1 else None), cands


def _reachable(ing: _ing.Ingest, root: str | None) -> list[str]:
    if root is None:
        return []
    order, seen, todo = [], {root}, [root]
    while todo:
        said = todo.pop(0)
        a = ing.acdc(said)
        if a is None:
            continue
        order.append(said)
        for e in _edges_of(a.sad)[0]:
            if e.target and e.target not in seen:
                seen.add(e.target)
                todo.append(e.target)
    return order


def _missing_targets(ing: _ing.Ingest, root: str | None) -> set[str]:
    bad = {b.said for b in ing.bad_acdcs}
    out: set[str] = set()
    for said in _reachable(ing, root):
        a = ing.acdc(said)
        assert a is not None
        for e in _edges_of(a.sad)[0]:
            if e.target and ing.acdc(e.target) is None and e.target not in bad:
                out.add(e.target)
    return out
