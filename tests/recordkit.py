"""Helpers for the forensic-record tests: a toy verifier, re-signing, byte spans, a network ban.

Why a toy verifier: :func:`vvp.verifier.verify_call` is being filled in claim by claim, and the
record's machinery (recording, replay, comparison, re-judging) must be proven now, with statuses
the test constructs. ``toy_verify`` has the real verifier's shape and uses its inputs the way the
real one will: it fetches the PASSporT's ``kid`` and ``evd`` through the fetcher it is given,
judges the dossier against the trust store's identity roots and reads the trust store's schema
folders. Tests of the real verifier compare recorded against recomputed and hard-code nothing.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import shutil
import socket
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vvp import clock, codes
from vvp._keri._store import tmp_root
from vvp.errors import FetchError
from vvp.fetch import (
    EvidenceKind,
    Fetcher,
    FetchLimits,
    HttpFetcher,
    RecordingFetcher,
    build_fetcher,
)
from vvp.record import Record, VerifierIdentity, canonical_json, record_id, signed_content, signing_input
from vvp.replay import VerifyFn, make_record
from vvp.trust import TrustStore, load_trust_store
from vvp.verdict import (
    Check,
    Verdict,
    build_verdict,
    failed,
    indeterminate,
    not_applicable,
    passed,
)
from vvp.verifier import CallInput
from vvp.testing.world import Call

SALT = b"vvp-test-record!"  # 16 bytes: the deterministic test verifier
OTHER_SALT = b"another-verifier"


@contextmanager
def shm_dir() -> Iterator[Path]:
    """A private folder on tmpfs when there is one: keri's LMDB keystores open ten times faster
    there than on a disk-backed /tmp (keri-notes §3)."""
    d = Path(tempfile.mkdtemp(prefix="vvp-test-ks-", dir=tmp_root()))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def ks_root() -> Iterator[Path]:
    with shm_dir() as d:
        yield d


def _b64json(seg: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


def toy_verify(call: CallInput, *, trust: TrustStore, fetcher: Fetcher) -> Verdict:
    """A verifier with the real one's shape whose outcome the tests control (module docstring).

    VALID when the kid OOBI and the dossier are served, an identity root of the trust store
    appears in the dossier and the schema folders hold schemas; a fetch failure makes its claim
    INDETERMINATE with the fetch's code; an untrusted dossier makes ``authorization``
    INDETERMINATE; a malformed Identity value makes ``passport`` INVALID.
    """
    checks: list[Check] = []
    try:
        jws = call.identities[0].split(";", 1)[0]
        head, payload, _ = jws.split(".")
        kid, evd = str(_b64json(head)["kid"]), str(_b64json(payload)["evd"])
    except (IndexError, ValueError, KeyError, TypeError):
        checks.append(failed("X-TOY-01", "passport", codes.INTERNAL_ERROR, "not a PASSporT"))
        return build_verdict(checks, reference_time=_rt(call))
    try:
        fetcher.fetch(kid, EvidenceKind.OOBI)
        checks.append(passed("X-TOY-01", "passport", "kid served"))
    except FetchError as ex:
        checks.append(indeterminate("X-TOY-01", "passport", ex.code, ex.message))
    dossier = b""
    try:
        dossier = fetcher.fetch(evd, EvidenceKind.DOSSIER).body
        checks.append(passed("X-TOY-02", "dossier", "dossier served", subject=evd))
    except FetchError as ex:
        checks.append(indeterminate("X-TOY-02", "dossier", ex.code, ex.message, subject=evd))
    roots = sorted(trust.roots.for_question("identity"))
    if any(r.encode() in dossier for r in roots):
        checks.append(passed("X-TOY-03", "authorization", "an identity root is in the dossier"))
    else:
        checks.append(indeterminate("X-TOY-03", "authorization", codes.CHAIN_UNTRUSTED_ROOT,
                                    "no trusted identity root in the dossier"))
    n_schemas = sum(1 for d in trust.schemas for f in (d.rglob("*.json") if d.is_dir() else [d]))
    if n_schemas:
        checks.append(passed("X-TOY-04", "business", f"{n_schemas} schemas in the trust store"))
    else:
        checks.append(indeterminate("X-TOY-04", "business", codes.NOT_CHECKED_IN_THIS_VERSION, "no schemas"))
    checks.append(passed("X-TOY-05", "context", "toy context"))
    checks.append(passed("X-TOY-06", "tn_rights", "toy tn rights"))
    checks.append(not_applicable("X-TOY-07", "brand", codes.OK, "toy brand"))
    checks.append(not_applicable("X-TOY-08", "shaken", codes.OK, "toy shaken"))
    return build_verdict(checks, reference_time=_rt(call))


def _rt(call: CallInput) -> str:
    return clock.rfc3339(call.reference_time)


def resign(data: Mapping[str, Any], identity: VerifierIdentity, *, manifest: bool = True) -> dict[str, Any]:
    """Recompute the id and the signature after a deliberate change: what a verifier that signs
    whatever it is given would produce. Used to reach the checks behind integrity and signature.
    Either format, by the record's own media type; for v2, the manifest is made again from the
    blobs the record holds (their declared sizes) unless ``manifest`` is false."""
    content = signed_content(data)
    if manifest and "manifest" in content and isinstance(data.get("blobs"), Mapping):
        content["manifest"] = [{"digest": k, "size": v.get("size") if isinstance(v, Mapping) else None}
                               for k, v in sorted(data["blobs"].items())]
    state = identity.state()
    content["verifier"] = {**content["verifier"], "aid": state.aid, "est_sn": state.est_sn,
                           "est_said": state.est_said, "kel": identity.kel().decode("ascii")}
    signed = canonical_json(content)
    mt = str(data.get("media_type"))
    sig = identity.sign(signing_input(mt, signed))
    out = {**content, "id": record_id(mt, signed), "signature": {"sigs": list(sig.sigs)}}
    if "blobs" in data and "blobs" not in out:
        out["blobs"] = data["blobs"]
    return out


def top_level_spans(raw: bytes) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    """``key -> ((key start, key end), (value start, value end))`` in a canonical record file."""
    data = json.loads(raw)
    assert raw.rstrip(b"\n") == canonical_json(data), "the file must be canonical"
    spans: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
    pos = 1
    for i, key in enumerate(sorted(data, key=lambda k: k.encode("utf-16-be"))):
        if i:
            pos += 1  # the comma
        kb = canonical_json(key)
        kspan = (pos, pos + len(kb))
        pos += len(kb) + 1  # the colon
        vb = canonical_json(data[key])
        assert raw[pos:pos + len(vb)] == vb
        spans[key] = (kspan, (pos, pos + len(vb)))
        pos += len(vb)
    return spans


@contextmanager
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test on any attempt to reach anything, loopback included (the evidence server
    may still be bound by another test); yields the attempts for a final assertion."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[1:] if args else kwargs)[:200])
        raise AssertionError(f"reverify tried to reach the network: {args[1:]!r}")

    def refuse_fetch(self: HttpFetcher, url: str, kind: EvidenceKind) -> Any:
        attempts.append(url)
        raise AssertionError(f"reverify tried to fetch {url}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(HttpFetcher, "fetch", refuse_fetch)
    yield attempts


def call_input(call: Call) -> CallInput:
    return CallInput(reference_time=call.at, identities=(call.identity,), orig=call.orig, dest=call.dest,
                     call_id=f"call-{call.name}")


@dataclass(frozen=True)
class Made:
    path: Path
    record: Record
    verdict: Verdict


def record_call(call: Call, path: Path, identity: VerifierIdentity, *, verify: VerifyFn = toy_verify,
                trust_file: Path | None = None) -> Made:
    """What ``vvp verify --record`` does: fetch through the production fetcher, recorded."""
    trust = load_trust_store(trust_file or call.trust)
    inner = build_fetcher(limits=FetchLimits.from_policy(trust.policy))
    rec = RecordingFetcher(inner, clock=clock.FixedClock(call.at + _dt.timedelta(seconds=1)))
    ci = call_input(call)
    verdict = verify(ci, trust=trust, fetcher=rec)
    record = make_record(ci, verdict, trust=trust, events=rec.events,
                         received_at=call.at + _dt.timedelta(seconds=2), identity=identity)
    path.write_bytes(record.to_bytes())
    return Made(path, record, verdict)
