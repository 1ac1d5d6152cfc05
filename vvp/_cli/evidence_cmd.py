"""``vvp evidence FILE [--media-type TYPE] [--at TIME] [--trust FILE] [--json]``

Verifies one foreign artifact on its own, under its own rules at the reference time, with the
checkers the verifier uses for artifacts bound into dossiers (architecture §2.3, docs/evidence.md):
an X.509 certificate or chain (``application/pkix-cert``, ``application/pem-certificate-chain``)
to a ``foreign.x509`` anchor, an RTU token (``application/jwt`` with ``atc``) to a
``foreign.rtu_authorities`` anchor, and the SD-JWT and W3C VC formats when present. Auditors
check a certificate chain or a token they were handed.

Without ``--media-type`` the type is read from the bytes (PEM certificates, a DER SEQUENCE, a
compact JWS, JSON with ``@context``, an SD-JWT with ``~``); when it cannot be, exit 2. Revocation
data goes beside the artifact with ``--crl FILE`` and ``--ocsp FILE`` (repeatable; nothing is
fetched for revocation, ever); ``--orig TN`` checks that a TNAuthList covers the number;
``--account-key FILE`` (a public JWK) checks an RTU token's ``atc.fingerprint``. An ``x5u`` is
fetched within the trust store's limits, from the evidence map first, nothing else when
``--offline``.

Exit codes: 0 VALID, 1 INVALID, 3 INDETERMINATE, 2 usage error, 4 operational error (an input
or the trust store cannot be read).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from typing import Any

from vvp._cli.common import evidence_options, fetcher_for, json_option, read_file, reference_time, trust_store
from vvp._cli.output import emit_json, human
from vvp._keri.digests import compute_digest
from vvp.clock import rfc3339
from vvp.errors import UsageError
from vvp.evidence.base import ArtifactResult, CheckContext
from vvp.evidence.registry import check_artifact, supported_media_types
from vvp.verdict import exit_code

HELP = "verify one foreign artifact (X.509, RTU token, SD-JWT, W3C VC) under its own rules"
EXIT_CODES = "exit codes: 0 VALID, 1 INVALID, 2 usage error, 3 INDETERMINATE, 4 operational error"
MAX_SIDE_FILE_BYTES = 8 * 1024 * 1024
"""A CRL beside the artifact (real STI-PA CRLs are far smaller)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="the artifact's bytes")
    p.add_argument("--media-type", metavar="TYPE", help="the artifact's media type (default: read from the bytes)")
    p.add_argument("--at", metavar="TIME", help="reference time, RFC 3339 or Unix seconds (default: now)")
    p.add_argument("--orig", metavar="TN", help="a calling number the artifact's TNAuthList must cover")
    p.add_argument("--crl", metavar="FILE", action="append", default=[], help="a CRL carried beside it (repeatable)")
    p.add_argument("--ocsp", metavar="FILE", action="append", default=[],
                   help="a DER OCSP response carried beside it (repeatable)")
    p.add_argument("--account-key", metavar="FILE", help="public JWK an RTU token is presented with (atc.fingerprint)")
    evidence_options(p)
    json_option(p, "the artifact's result")


def sniff_media_type(data: bytes) -> str | None:
    """The media type the bytes look like, or None (module docstring)."""
    head = data.lstrip(b" \t\r\n")
    if head.startswith(b"-----BEGIN CERTIFICATE-----"):
        return "application/pem-certificate-chain"
    if head[:1] == b"\x30":
        return "application/pkix-cert"
    if head[:1] == b"{":
        try:
            doc = json.loads(head)
        except (ValueError, RecursionError):
            return None
        return "application/vc+ld+json" if isinstance(doc, dict) and "@context" in doc else None
    text = head.rstrip(b" \t\r\n")
    if text.startswith(b"ey") and b"~" in text:
        return "application/dc+sd-jwt"
    if text.startswith(b"ey") and text.count(b".") == 2:
        return "application/jwt"
    return None


def _account_key(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        jwk = json.loads(read_file(path, max_bytes=65536))
    except ValueError:
        raise UsageError(f"--account-key {path} is not a JSON JWK") from None
    if not isinstance(jwk, dict):
        raise UsageError(f"--account-key {path} is not a JSON object (a JWK)")
    return jwk


def run(args: argparse.Namespace) -> int:
    trust = trust_store(args)
    at = reference_time(args)
    data = read_file(args.file, max_bytes=trust.policy.fetch_max_bytes)
    mt = args.media_type or sniff_media_type(data)
    if mt is None:
        raise UsageError(f"cannot tell the media type of {args.file}; give --media-type (one of "
                         f"{', '.join(supported_media_types())})")
    related = [("application/pkix-crl", read_file(f, max_bytes=MAX_SIDE_FILE_BYTES)) for f in args.crl]
    related += [("application/ocsp-response", read_file(f, max_bytes=MAX_SIDE_FILE_BYTES)) for f in args.ocsp]
    ctx = CheckContext(reference_time=at, trust=trust.foreign, policy=trust.policy, fetcher=fetcher_for(args, trust),
                       related=tuple(related), orig=args.orig, account_jwk=_account_key(args.account_key))
    result = check_artifact(data, mt, ctx)
    doc = result_json(result, data, at=rfc3339(at), file=args.file)
    if args.json:
        emit_json(doc)
    show(doc)
    return int(exit_code(result.status))


def result_json(r: ArtifactResult, data: bytes, *, at: str, file: str) -> dict[str, Any]:
    """The ``--json`` document: the artifact's result (architecture §4.3 ``evidence`` entry fields)."""
    return {"status": r.status.value, "reference_time": at, "file": file, "media_type": r.media_type,
            "digest": compute_digest(data), "sha256": hashlib.sha256(data).hexdigest(), "codes": list(r.codes),
            "messages": list(r.messages), "anchor": r.anchor, "facts": r.facts.to_json(), "native": dict(r.native)}


def show(doc: dict[str, Any]) -> None:
    human(f"{doc['file']} ({doc['media_type']}): {doc['status']} at {doc['reference_time']}")
    if doc["anchor"]:
        human(f"  anchor: {doc['anchor']}")
    for c in doc["codes"]:
        human(f"  {c}")
    for m in doc["messages"][:8]:
        human(f"    {m}")
    facts = {k: v for k, v in doc["facts"].items() if v not in (None, [], ())}
    if facts:
        human("  facts: " + ", ".join(f"{k}={v}" for k, v in facts.items()))
