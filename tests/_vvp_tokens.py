"""Deterministic VVP PASSporTs for tests: fixed Ed25519 seeds, fixed times, no wall clock.

Ed25519 signatures are deterministic, so every token made here is byte-for-byte stable; the SIP
fixtures in ``fixtures/sip/`` embed tokens made by :func:`make_token` with the defaults and a test
checks they still match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from vvp.jose import b64url_encode, encode_cesr_0b
from vvp.caller.passport import PassportPolicy, check_passport, check_signature, ed25519_verifier
from vvp.verdict import Check, CheckStatus, Status, claim_status

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"

SIGNER_SEED = hashlib.sha256(b"vvp test signer seed 1").digest()
OTHER_SEED = hashlib.sha256(b"vvp test signer seed 2").digest()


def _qb64_like(code: str, label: bytes) -> str:
    """A syntactically valid 44-character qb64 (one-character code, zero pad bits)."""
    return code + b64url_encode(b"\x00" + hashlib.sha256(label).digest())[1:]


SIGNER_AID = _qb64_like("E", b"vvp test signer aid")
AGENT_AID = _qb64_like("E", b"vvp test agent aid")
KID = f"https://agent.example.com/oobi/{SIGNER_AID}/agent/{AGENT_AID}"
DOSSIER_SAID = _qb64_like("E", b"vvp test dossier")
EVD = f"https://dossiers.example.com/dossiers/{DOSSIER_SAID}.cesr"

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
REF = dt.datetime.fromtimestamp(T0 + 2, dt.UTC)
ORIG = "+17045550100"
DEST = "+12125550199"

DROP: Any = object()  # pass as a value to remove a key from the default header or claims


def signer_key(seed: bytes = SIGNER_SEED) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(seed: bytes = SIGNER_SEED) -> bytes:
    return signer_key(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def header(**over: Any) -> dict[str, Any]:
    return _merge({"alg": "EdDSA", "typ": "passport", "ppt": "vvp", "kid": KID}, over)


def claims(**over: Any) -> dict[str, Any]:
    base = {"orig": {"tn": [ORIG]}, "dest": {"tn": [DEST]}, "card": ["ORG:Example Corp"],
            "goal": "negotiate.schedule", "call-reason": "appointment", "evd": EVD,
            "origId": "e0ac7b44-1fc3-4794-8edd-34b83c018fe9", "iat": T0, "exp": T0 + 15,
            "jti": "70664125-c88d-49d6-b66f-0510c20fc3a6"}
    return _merge(base, {k.replace("__", "-"): v for k, v in over.items()})


def seg(obj: Any) -> str:
    """base64url of compact JSON."""
    return b64url_encode(json.dumps(obj, separators=(",", ":")).encode())


def sign(header_b64: str, payload_b64: str, *, seed: bytes = SIGNER_SEED, cesr: bool = False) -> str:
    sig = signer_key(seed).sign(f"{header_b64}.{payload_b64}".encode())
    return encode_cesr_0b(sig) if cesr else b64url_encode(sig)


def make_token(hdr: Mapping[str, Any] | None = None, payload: Mapping[str, Any] | None = None, *,
               seed: bytes = SIGNER_SEED, cesr: bool = False, raw_header: str | None = None,
               raw_payload: str | None = None) -> str:
    """A signed compact token; ``raw_*`` give exact JSON text (for duplicate keys and the like)."""
    h = b64url_encode(raw_header.encode()) if raw_header is not None else seg(hdr if hdr is not None else header())
    p = b64url_encode(raw_payload.encode()) if raw_payload is not None else seg(
        payload if payload is not None else claims())
    return f"{h}.{p}.{sign(h, p, seed=seed, cesr=cesr)}"


def identity(token: str, params: str = ";info=<https://agent.example.com/info>;alg=EdDSA;ppt=vvp") -> str:
    return token + params


def evaluate(value: str, *, policy: PassportPolicy = PassportPolicy(), ref: dt.datetime = REF,
             key: bytes | None = None) -> list[Check]:
    """The passport claim's checks for one Identity value, with V-06 against ``key`` (the test
    signer's by default) when the token parses."""
    r = check_passport(value, reference_time=ref, policy=policy)
    checks = list(r.checks)
    if r.passport is not None:
        checks.append(check_signature(r.passport, ed25519_verifier(key if key is not None else public_key())))
    return checks


ALL_IDS = ("X-PASSPORT-01", "P-01", "P-02", "P-03", "P-04", "P-05", "X-PASSPORT-02", "P-09", "P-10", "P-11",
           "P-15", "P-16", "P-17", "X-PASSPORT-04", "P-18", "P-19", "P-20", "V-01", "V-02", "V-03", "P-21",
           "P-23", "X-PASSPORT-03", "V-06")


def non_passing(checks: Iterable[Check]) -> set[tuple[str, str, str]]:
    return {(c.id, c.status.value, c.code) for c in checks if c.status is not CheckStatus.PASS}


def assert_only(checks: list[Check], expected: set[tuple[str, str, str]]) -> None:
    """Exactly ``expected`` (id, status, code) did not pass; every other check passed."""
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids)), f"duplicate check ids: {ids}"
    assert non_passing(checks) == expected, "\n".join(f"{c.id} {c.status.value} {c.code} {c.message}"
                                                      for c in checks)
    assert len(checks) >= len(expected) + 10, f"too few checks ran: {ids}"


def assert_fails(checks: list[Check], cid: str, code: str) -> None:
    assert_only(checks, {(cid, "fail", code)})
    assert claim_status(checks).status is Status.INVALID
