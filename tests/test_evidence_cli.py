"""``vvp evidence FILE``: one artifact on its own, exit codes as verify, one JSON document on stdout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vvp import codes
from vvp._cli import main
from vvp._cli.evidence_cmd import sniff_media_type
from vvp.testing import foreign_pki as F

PKI = F.build()
AT = "2026-03-01T12:00:00Z"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "root.pem").write_bytes(PKI.root.pem)
    (tmp_path / "rtu.pem").write_bytes(PKI.rtu_root.pem)
    (tmp_path / "trust.json").write_text(json.dumps(
        {"version": 1, "foreign": {"x509": ["root.pem"], "rtu_authorities": ["rtu.pem"]}}))
    for name in ("valid", "revoked_before", "untrusted"):
        (tmp_path / f"{name}.pem").write_bytes(PKI.chain_pem(name))
    for name, der in PKI.crls.items():
        (tmp_path / f"{name}.crl").write_bytes(der)
    (tmp_path / "revoked_before.ocsp").write_bytes(PKI.ocsps["revoked_before"])
    (tmp_path / "token.jwt").write_text(PKI.rtu_token() + "\n")
    (tmp_path / "account.jwk").write_text(json.dumps(PKI.account_jwk))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    rc = main(["evidence", *argv, "--json"])
    out = capsys.readouterr().out
    return rc, json.loads(out)


def crls(d: Path, *names: str) -> list[str]:
    out: list[str] = []
    for n in names:
        out += ["--crl", str(d / f"{n}.crl")]
    return out


def test_valid_certificate_chain(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run(capsys, str(files / "valid.pem"), "--trust", str(files / "trust.json"), "--at", AT,
                  "--orig", "+1 555 123 0001".replace(" ", ""), *crls(files, "root", "sti_ca", "sp_at_call"))
    assert rc == 0 and doc["status"] == "VALID" and doc["media_type"] == F.PEM_CHAIN
    assert doc["facts"]["tns"] == ["+15551230001", "+15551230002"] and doc["native"]["covers_orig"] is True
    assert doc["digest"].startswith("E") and len(doc["sha256"]) == 64 and "Foreign Root" in doc["anchor"]


def test_revoked_with_ocsp_and_indeterminate_without_revocation_data(files: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run(capsys, str(files / "revoked_before.pem"), "--trust", str(files / "trust.json"), "--at", AT,
                  *crls(files, "root", "sti_ca"), "--ocsp", str(files / "revoked_before.ocsp"))
    assert rc == 1 and doc["codes"] == [codes.X509_REVOKED]
    rc, doc = run(capsys, str(files / "valid.pem"), "--trust", str(files / "trust.json"), "--at", AT)
    assert rc == 3 and doc["codes"] == [codes.X509_REVOCATION_UNAVAILABLE]


def test_no_trust_store_means_no_anchor(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run(capsys, str(files / "valid.pem"), "--at", AT)
    assert rc == 3 and doc["codes"] == [codes.FOREIGN_ANCHOR_NOT_CONFIGURED]


def test_rtu_token_with_account_key(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run(capsys, str(files / "token.jwt"), "--trust", str(files / "trust.json"), "--at", AT,
                  "--account-key", str(files / "account.jwk"), "--orig", "+15551230001", "--offline")
    assert rc == 0 and doc["media_type"] == "application/jwt" and doc["native"]["fingerprint"] == "match"
    rc, doc = run(capsys, str(files / "token.jwt"), "--trust", str(files / "trust.json"), "--at", AT,
                  "--orig", "+15559990000")
    assert rc == 1 and doc["codes"] == [codes.EVIDENCE_TN_NOT_COVERED]


def test_media_type_option_and_unsupported_types(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run(capsys, str(files / "valid.pem"), "--media-type", "text/plain", "--at", AT)
    assert rc == 3 and doc["codes"] == [codes.EVIDENCE_MEDIA_TYPE_UNSUPPORTED]
    (files / "der.cer").write_bytes(PKI.delegates["valid"].der)
    rc, doc = run(capsys, str(files / "der.cer"), "--trust", str(files / "trust.json"), "--at", AT)
    assert doc["media_type"] == F.PKIX_CERT and doc["codes"] == [codes.X509_NO_TRUSTED_PATH] and rc == 1


def test_usage_and_operational_errors(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "what.txt").write_text("hello")
    rc, doc = run(capsys, str(files / "what.txt"))
    assert rc == 2 and doc["error"]["code"] == codes.USAGE_ERROR
    rc, doc = run(capsys, str(files / "missing.pem"))
    assert rc == 4 and doc["error"]["code"] == codes.INPUT_UNREADABLE
    (files / "bad.jwk").write_text("[1]")
    rc, doc = run(capsys, str(files / "token.jwt"), "--account-key", str(files / "bad.jwk"))
    assert rc == 2


def test_bad_artifacts_exit_with_a_verdict_not_a_traceback(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "trunc.cer").write_bytes(PKI.delegates["valid"].der[:100])
    rc, doc = run(capsys, str(files / "trunc.cer"))
    assert rc == 1 and doc["codes"] == [codes.X509_MALFORMED]
    h, p, s = PKI.rtu_token().split(".")
    (files / "dup.jwt").write_text("eyJhbGciOiJFUzI1NiIsImFsZyI6IkVTMjU2In0." + p + "." + s)
    rc, doc = run(capsys, str(files / "dup.jwt"))
    assert rc == 1 and doc["codes"] == [codes.JOSE_JSON_DUPLICATE_KEY]


def test_human_output_goes_to_stderr(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["evidence", str(files / "valid.pem"), "--at", AT])
    cap = capsys.readouterr()
    assert rc == 3 and cap.out == "" and "INDETERMINATE" in cap.err and "FOREIGN_ANCHOR_NOT_CONFIGURED" in cap.err


def test_sniffing() -> None:
    assert sniff_media_type(b"\n" + PKI.root.pem) == F.PEM_CHAIN
    assert sniff_media_type(PKI.root.der) == F.PKIX_CERT
    assert sniff_media_type(PKI.rtu_token().encode()) == "application/jwt"
    assert sniff_media_type(b"eyJh.eyJh.sig~WyJ~") == "application/dc+sd-jwt"
    assert sniff_media_type(b'{"@context": []}') == "application/vc+ld+json"
    assert sniff_media_type(b'{"a": 1}') is None and sniff_media_type(b"[" * 100000) is None
