"""Offline re-verification of a forensic record, and the glue that writes records for a call.

This is the part of the record feature that needs the trust store and the verifier, so it sits
in the verifier layer; the record itself (format, digests, signature, replay fetcher) is
:mod:`vvp.record`.

Re-verification (``vvp reverify``) answers three questions, in order, and stops at the first
that fails:

1. **Integrity**: is the file exactly a record vvp wrote, unchanged? (canonical bytes, schema,
   id = digest of the signed content, every blob against its digest) → else exit 6.
2. **Signature**: did the verifier AID in the record sign it, with the keys of the
   establishment event it names, per its own KEL? → else exit 6.
3. **Reproduction**: re-running the verification on the record's own evidence (a
   :class:`~vvp.record.ReplayFetcher`: no network exists for it), at the recorded reference time,
   with the recorded trust store rebuilt from its recorded bytes, gives the same verdict, check
   by check? → exit with the recomputed verdict's code (0/1/3), else 5.

``--trust`` replaces step 3 by a different question: how does the *same evidence* fare against
*another* trust store? The answer is reported beside the recorded verdict, which is unchanged;
``reproduced`` is then ``null``, since nothing was being reproduced, and the exit code is the new
judgment's.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vvp import codes
from vvp.errors import ConfigError, VvpError
from vvp.fetch import Fetcher, FetchEvent
from vvp.record import (
    PendingRecord,
    Record,
    RecordBroken,
    ReplayFetcher,
    TrustSnapshot,
    VerifierIdentity,
    build_record,
    check_signature,
    keystore_path,
    load_record,
    materialise_trust,
    open_identity,
    prepare_record,
    write_record,
)
from vvp.trust import LOADED_FOREIGN_FIELDS, ROLE_NAMES, ROOT_QUESTIONS, TrustStore, parse_trust_store
from vvp.verdict import ExitCode, Status, Verdict, exit_code
from vvp.verifier import AnyInput, input_from_json, verify_call

VerifyFn = Callable[..., Verdict]
"""``verify_call``'s shape: ``(call, *, trust, fetcher) -> Verdict`` (replaceable in tests)."""

Question = Literal["recorded", "rejudged"]


# ---------------------------------------------------------------------------------------------
# Writing records


def _path_words(trust: TrustStore, key: str, paths: tuple[Path, ...]) -> list[str]:
    """How the user named these paths (relative to their trust file), when the store as loaded
    says; else the resolved paths. Information only: replay uses the recorded bytes."""
    given = trust.raw.get(key)
    if isinstance(given, list) and len(given) == len(paths) and all(isinstance(g, str) for g in given):
        return [str(g) for g in given]
    return [str(p) for p in paths]


def effective_trust_json(trust: TrustStore) -> dict[str, Any]:
    """The trust store in force as trust-store v1 JSON with every default written out."""
    return {
        "version": 1,
        "roots": {q: sorted(trust.roots.for_question(q)) for q in ROOT_QUESTIONS},
        "schemas": _path_words(trust, "schemas", trust.schemas),
        "schema_roles": {r: list(trust.schema_roles.get(r, ())) for r in ROLE_NAMES},
        "sti_pa": _path_words(trust, "sti_pa", trust.sti_pa),
        "sti_crl_signers": _path_words(trust, "sti_crl_signers", trust.sti_crl_signers),
        "policy": trust.policy.to_json(),
        # the foreign anchors whose bytes are recorded (foreign.<key> files; docs/evidence.md)
        "foreign": _foreign_json(trust),
    }


def _foreign_json(trust: TrustStore) -> dict[str, Any]:
    """The ``foreign`` section: ``x509`` and ``rtu_authorities`` always; ``sd_jwt_issuers``,
    ``vc_issuers`` and ``contexts`` when the store names any (so the record of a store without
    them keeps the form it had before they were recorded)."""
    out: dict[str, Any] = {}
    for key in LOADED_FOREIGN_FIELDS:
        if key in ("x509", "rtu_authorities"):
            out[key] = _foreign_words(trust, key)
        elif key == "sd_jwt_issuers" and trust.foreign.sd_jwt_issuers:
            out[key] = _foreign_words(trust, key)
        elif key == "vc_issuers" and trust.foreign.vc_issuers:
            given = raw.get(key) if isinstance(raw := trust.raw.get("foreign"), Mapping) else None
            words = given if isinstance(given, list) and len(given) == len(trust.foreign.vc_issuers) else None
            out[key] = [v.id if v.jwks is None else {"id": v.id, "jwks": _word(words[i] if words else None, v.jwks)}
                        for i, v in enumerate(trust.foreign.vc_issuers)]
        elif key == "contexts" and trust.foreign.contexts:
            given = raw.get(key) if isinstance(raw := trust.raw.get("foreign"), Mapping) else None
            out[key] = {url: _word(given.get(url) if isinstance(given, Mapping) else None, p)
                        for url, p in trust.foreign.contexts.items()}
    return out


def _word(given: Any, path: Path) -> str:
    """How the user named one file (a string, or the ``jwks`` of a ``vc_issuers`` object), else
    its resolved path. Information only: replay uses the recorded bytes."""
    if isinstance(given, Mapping):
        given = given.get("jwks")
    return given if isinstance(given, str) and given else str(path)


def _foreign_words(trust: TrustStore, key: str) -> list[str]:
    """:func:`_path_words` for a ``foreign`` list."""
    raw = trust.raw.get("foreign")
    given = raw.get(key) if isinstance(raw, Mapping) else None
    paths: tuple[Path, ...] = getattr(trust.foreign, key)
    if isinstance(given, list) and len(given) == len(paths) and all(isinstance(g, str) for g in given):
        return [str(g) for g in given]
    return [str(p) for p in paths]


def snapshot_trust(trust: TrustStore) -> TrustSnapshot:
    """The trust store as content: effective JSON, the JSON as loaded, the bytes it names."""
    files = trust.files  # the bytes read when the store was loaded: the ones the verification used
    return TrustSnapshot(store=effective_trust_json(trust),
                         as_loaded=dict(trust.raw) if (trust.source is not None or trust.raw) else None,
                         source=str(trust.source) if trust.source is not None else None, files=files)


def make_record(call: AnyInput, verdict: Verdict, *, trust: TrustStore,
                events: Iterable[FetchEvent], received_at: _dt.datetime,
                identity: VerifierIdentity, snapshot: TrustSnapshot | None = None) -> Record:
    """Build and sign the record of one verification (for front ends that keep the verifier's
    identity open: the service, the batch workers). ``snapshot`` is ``snapshot_trust(trust)``,
    taken once and reused by a front end that records many calls under one trust store, so its
    files are not read again per call."""
    return build_record(inputs=call.to_json(), received_at=received_at, verdict=verdict,
                        trust=snapshot if snapshot is not None else snapshot_trust(trust), events=events,
                        identity=identity)


def prepare_call_record(call: AnyInput, verdict: Verdict, *, trust: TrustStore,
                        events: Iterable[FetchEvent], received_at: _dt.datetime,
                        identity: VerifierIdentity, snapshot: TrustSnapshot | None = None) -> PendingRecord:
    """:func:`make_record` without the signature: for a front end that signs the records of one
    group commit together (:func:`vvp.record.sign_together`; the batch runner)."""
    return prepare_record(inputs=call.to_json(), received_at=received_at, verdict=verdict,
                          trust=snapshot if snapshot is not None else snapshot_trust(trust), events=events,
                          identity=identity)


def write_call_record(path: str | Path, call: AnyInput, verdict: Verdict, *, trust: TrustStore,
                      events: Iterable[FetchEvent], received_at: _dt.datetime,
                      keystore: str | Path | None = None, environ: Mapping[str, str] | None = None,
                      salt: bytes | None = None, write_through: bool = False) -> Record:
    """``vvp verify --record FILE``: open (or make) the keystore, build, sign, write atomically
    (over a regular file only, unless ``write_through``: :func:`vvp.record.write_record`).

    The keystore is ``keystore``, else ``$VVP_KEYSTORE``, else ``$XDG_DATA_HOME/vvp/keystore``
    (``environ`` defaults to the process environment). ``salt`` is for deterministic tests only.
    """
    where = keystore_path(keystore, os.environ if environ is None else environ)
    with open_identity(where, salt=salt) as identity:
        rec = make_record(call, verdict, trust=trust, events=events, received_at=received_at, identity=identity)
    write_record(rec, path, write_through=write_through)
    return rec


def store_call_record(url: str, call: AnyInput, verdict: Verdict, *, trust: TrustStore,
                      events: Iterable[FetchEvent], received_at: _dt.datetime,
                      keystore: str | Path | None = None, environ: Mapping[str, str] | None = None,
                      salt: bytes | None = None) -> str:
    """``vvp verify --store URL``: build and sign as for ``--record``, then commit the record to
    the store; its id is returned only once the commit is durable."""
    from vvp.store import open_store

    where = keystore_path(keystore, os.environ if environ is None else environ)
    with open_identity(where, salt=salt) as identity:
        rec = make_record(call, verdict, trust=trust, events=events, received_at=received_at, identity=identity)
    store = open_store(url)
    try:
        return store.put(rec)
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------
# Comparing verdicts


@dataclass(frozen=True, slots=True)
class Difference:
    """One place where the recomputed verdict differs from the recorded one (``None``: absent)."""

    path: str
    recorded: Any
    recomputed: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "recorded": self.recorded, "recomputed": self.recomputed}


def _check_key(c: Mapping[str, Any]) -> str:
    return f"checks[{c.get('id')}@{c.get('subject')}]"


def _not_applicable(claim: Any) -> bool:
    return isinstance(claim, Mapping) and claim.get("status") == "NOT_APPLICABLE" and not claim.get("codes")


def compare_verdicts(recorded: Mapping[str, Any],
                     recomputed: Mapping[str, Any]) -> tuple[tuple[Difference, ...], tuple[str, ...]]:
    """Differences that matter, and notes that do not.

    A verdict reproduces when its status, reference time, claims (status, codes and any detail),
    display and every other top-level field are equal, and its checks match one for one by
    (``id``, ``subject``) in claim, status and code. A check whose only change is its message
    is a note, not a difference: wording may improve between versions; the verdict may not move.
    """
    diffs: list[Difference] = []
    notes: list[str] = []
    for key in sorted(set(recorded) | set(recomputed)):
        if key == "checks":
            continue
        a, b = recorded.get(key), recomputed.get(key)
        if key == "claims" and isinstance(a, Mapping) and isinstance(b, Mapping):
            for name in sorted(set(a) | set(b)):
                if name not in a and _not_applicable(b.get(name)):
                    # a claim this vvp added since the record was made (e.g. evidence), and it does
                    # not apply: the verdict did not move
                    notes.append(f"claims.{name}: not in the record; NOT_APPLICABLE now")
                elif a.get(name) != b.get(name):
                    diffs.append(Difference(f"claims.{name}", a.get(name), b.get(name)))
        elif a != b:
            diffs.append(Difference(key, a, b))
    rec_checks = {_check_key(c): c for c in recorded.get("checks", []) if isinstance(c, Mapping)}
    new_checks = {_check_key(c): c for c in recomputed.get("checks", []) if isinstance(c, Mapping)}
    for k in sorted(set(rec_checks) | set(new_checks)):
        a_c, b_c = rec_checks.get(k), new_checks.get(k)
        if a_c is None and b_c is not None and b_c.get("status") == "not_applicable" \
                and isinstance(recorded.get("claims"), Mapping) and b_c.get("claim") not in recorded["claims"]:
            notes.append(f"{k}: a not-applicable check of the claim {b_c.get('claim')}, which the record predates")
            continue
        if a_c is None or b_c is None:
            diffs.append(Difference(k, a_c, b_c))
            continue
        if any(a_c.get(f) != b_c.get(f) for f in ("claim", "status", "code")):
            diffs.append(Difference(k, {f: a_c.get(f) for f in ("claim", "status", "code")},
                                    {f: b_c.get(f) for f in ("claim", "status", "code")}))
        elif a_c.get("message") != b_c.get("message"):
            notes.append(f"{k}: same outcome, message now {b_c.get('message')!r} "
                         f"(recorded {a_c.get('message')!r})")
    return tuple(diffs), tuple(notes)


# ---------------------------------------------------------------------------------------------
# Re-verifying


@dataclass(frozen=True, slots=True)
class Finding:
    """The answer to one of the integrity and signature questions."""

    ok: bool
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Reverification:
    """What ``vvp reverify`` found (module docstring). ``code`` summarises the outcome:
    ``OK``, ``RECORD_NOT_REPRODUCED``, ``RECORD_REJUDGED``, or the integrity or signature code."""

    record_id: str | None
    question: Question
    integrity: Finding
    signature: Finding | None
    signer: str | None
    signer_est_sn: int | None
    received_at: str | None
    reference_time: str | None
    recorded_status: str | None
    recomputed_status: str | None
    reproduced: bool | None
    differences: tuple[Difference, ...]
    notes: tuple[str, ...]
    not_in_record: tuple[str, ...]
    recomputed_verdict: Mapping[str, Any] | None
    trust_source: str | None
    """The trust file used: as recorded (information only) or the one given with ``--trust``."""
    code: str
    exit_code: ExitCode

    def to_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "question": self.question,
            "code": self.code,
            "integrity": self.integrity.to_json(),
            "signature": None if self.signature is None else {**self.signature.to_json(), "signer": self.signer,
                                                              "est_sn": self.signer_est_sn},
            "received_at": self.received_at,
            "reference_time": self.reference_time,
            "recorded_status": self.recorded_status,
            "recomputed_status": self.recomputed_status,
            "reproduced": self.reproduced,
            "differences": [d.to_json() for d in self.differences],
            "notes": list(self.notes),
            "not_in_record": list(self.not_in_record),
            "trust": {"used": "recorded" if self.question == "recorded" else "other", "source": self.trust_source},
            "recomputed": self.recomputed_verdict,
            "exit_code": int(self.exit_code),
        }


def broken_result(ex: VvpError, rec: Record | None = None, *, signature: Finding | None = None,
                   integrity: Finding | None = None, question: Question = "recorded") -> Reverification:
    integ = integrity or Finding(False, ex.code, ex.message)
    return Reverification(
        record_id=rec.id if rec is not None else None, question=question, integrity=integ, signature=signature,
        signer=rec.signer.aid if rec is not None else None, signer_est_sn=rec.signer.est_sn if rec is not None else None,
        received_at=rec.received_at if rec is not None else None,
        reference_time=str(rec.inputs.get("reference_time")) if rec is not None else None,
        recorded_status=str(rec.verdict.get("status")) if rec is not None else None, recomputed_status=None,
        reproduced=None, differences=(), notes=(), not_in_record=(), recomputed_verdict=None, trust_source=None,
        code=ex.code, exit_code=ExitCode.RECORD_BROKEN)


def reverify_file(path: str | Path, *, trust: TrustStore | None = None,
                  verify: VerifyFn = verify_call) -> Reverification:
    """Load ``path`` and :func:`reverify` it. A file that cannot be read raises
    :class:`~vvp.errors.InputUnreadable` (exit 4); one that is not an intact record is a
    :class:`Reverification` with a failed integrity finding (exit 6)."""
    try:
        rec = load_record(path)
    except RecordBroken as ex:
        return broken_result(ex)
    return reverify(rec, trust=trust, verify=verify)


def reverify(rec: Record, *, trust: TrustStore | None = None, verify: VerifyFn = verify_call) -> Reverification:
    """Check the signature, then re-run the verification offline (module docstring)."""
    question: Question = "recorded" if trust is None else "rejudged"
    integrity = Finding(True, codes.OK, "the record is exactly as written: canonical, well-formed, id and "
                                        f"{rec.blob_count} blobs match their digests")
    sc = check_signature(rec)
    sig = Finding(sc.ok, sc.code, sc.message)
    if not sc.ok:
        return broken_result(RecordBroken(sc.message, code=sc.code), rec, integrity=integrity, signature=sig,
                              question=question)
    try:
        call = input_from_json(rec.inputs)  # a caller's call or a callee's answer
    except (VvpError, KeyError, TypeError, ValueError) as ex:
        return broken_result(RecordBroken(f"the recorded inputs cannot be rebuilt: {ex}",
                                           code=codes.RECORD_INCONSISTENT), rec, signature=sig, question=question)
    fetcher = ReplayFetcher.of(rec)
    if trust is None:
        with tempfile.TemporaryDirectory(prefix="vvp-replay-trust-") as tmp:
            try:
                used = parse_trust_store(materialise_trust(rec.trust_snapshot(), Path(tmp)), base=Path(tmp))
            except (ConfigError, OSError, KeyError, TypeError, IndexError) as ex:
                msg = ex.message if isinstance(ex, VvpError) else repr(ex)
                return broken_result(RecordBroken(f"the recorded trust store cannot be rebuilt: {msg}",
                                                   code=codes.RECORD_INCONSISTENT), rec, signature=sig)
            used = witness_era(rec.verdict, used)
            verdict = _run(verify, call, used, fetcher)  # inside: schema folders may be read lazily
    else:
        verdict = _run(verify, call, trust, fetcher)
    recomputed = verdict.to_json()
    diffs, notes = compare_verdicts(rec.verdict, recomputed)
    if question == "rejudged":
        code, ec, reproduced = codes.RECORD_REJUDGED, exit_code(verdict.status), None
    elif diffs:
        code, ec, reproduced = codes.RECORD_NOT_REPRODUCED, ExitCode.NOT_REPRODUCED, False
    else:
        code, ec, reproduced = codes.OK, exit_code(verdict.status), True
    return Reverification(
        record_id=rec.id, question=question, integrity=integrity, signature=sig, signer=sc.aid,
        signer_est_sn=sc.est_sn, received_at=rec.received_at, reference_time=str(rec.inputs["reference_time"]),
        recorded_status=str(rec.verdict["status"]), recomputed_status=Status(verdict.status).value,
        reproduced=reproduced, differences=diffs, notes=notes, not_in_record=tuple(dict.fromkeys(fetcher.misses)),
        recomputed_verdict=recomputed,
        trust_source=(rec.trust_snapshot().source if trust is None
                      else str(trust.source) if trust.source is not None else None),
        code=code, exit_code=ec)


WITNESS_CHECK_IDS = ("V-09", "X-WITNESS-")
"""Check ids the witness step (vvp.witness, architecture §2.4) emits, and only it."""


def witness_era(verdict: Mapping[str, Any], trust: TrustStore) -> TrustStore:
    """The recorded trust store as it must be replayed for the witness step (docs/witnesses.md).

    A recorded verdict without any witness check was judged with nothing from witnesses: made by
    a vvp that did not ask them yet (its recorded policy may even lack ``witness_check``, which
    would now default to ``"available"``), or under ``"off"``, or with no key state to compare. In
    every one of these cases the witness step contributed nothing, so the replay runs it
    ``"off"`` and reproduces exactly what was judged; running it now would only ask the record for
    witness answers it cannot hold and add a "not made" check the original never had. A verdict
    with witness checks is replayed under its recorded policy, from the witness answers the record
    keeps. (Under ``--trust`` nothing is changed: that question is how the same evidence fares
    under another policy.)"""
    if trust.policy.witness_check == "off":
        return trust
    checks = verdict.get("checks")
    if isinstance(checks, list) and any(isinstance(c, Mapping) and str(c.get("id", "")).startswith(WITNESS_CHECK_IDS)
                                        for c in checks):
        return trust
    return trust.with_policy(witness_check="off")


def _run(verify: VerifyFn, call: AnyInput, trust: TrustStore, fetcher: Fetcher) -> Verdict:
    return verify(call, trust=trust, fetcher=fetcher)
