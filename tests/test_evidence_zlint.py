"""zlint's STI test certificates (../shared/corpus/shaken/zlint-sti-certs/) handed to the X.509
evidence checker: each is judged by the rule its file name names (the table in docs/shaken.md,
shared with the SHAKEN tests), and none makes the checker raise. The profile rules come from
vvp.stir.certs (reused, not copied); the checker reports them as warnings in ``native["profile"]``."""

from __future__ import annotations

import re

import pytest
from cryptography import x509

from tests.conftest import REPO, corpus_path
from vvp import codes
from vvp.evidence.base import CheckContext, ForeignTrust
from vvp.evidence.x509 import X509Checker
from vvp.trust import Policy
from vvp.verdict import Status


def _table() -> list[tuple[str, str, str, bool]]:
    text = (REPO / "docs" / "shaken.md").read_text()
    return [(m.group(1), m.group(2), m.group(3), m.group(4) == "pass")
            for m in re.finditer(r"^\| `(shaken[^`]+\.pem)` \| ([a-z-]+) \| ([a-z_]+) \| (pass|fail) \|", text, re.M)]


ROWS = _table()


def test_the_table_is_there() -> None:
    assert len(ROWS) > 20


def _judge(file: str, trust: ForeignTrust = ForeignTrust(), role: str = "end-entity") -> tuple[x509.Certificate, object]:
    """The file as it would arrive: an end entity alone, a CA below zlint's STI end entity (a lone
    CA certificate says nothing that makes it an STI certificate), a root below both."""
    d = corpus_path("shaken", "zlint-sti-certs")
    data = (d / file).read_bytes()
    cert = x509.load_pem_x509_certificate(data)
    below = {"end-entity": [], "intermediate": ["shakenCert.pem"], "root": ["shakenCert.pem", "shakenCa.pem"]}[role]
    data = b"".join((d / n).read_bytes() for n in below) + data
    ctx = CheckContext(reference_time=cert.not_valid_before_utc, trust=trust, policy=Policy(foreign_revocation="soft-fail"))
    return cert, X509Checker().check(data, "application/pem-certificate-chain", ctx)


@pytest.mark.corpus
@pytest.mark.parametrize("file, role, family, expected", ROWS, ids=[f"{r[0]}-{r[2]}" for r in ROWS])
def test_zlint_certificate_judged_by_its_file_name(file: str, role: str, family: str, expected: bool) -> None:
    _, r = _judge(file, role=role)
    assert r.status is not Status.VALID  # type: ignore[attr-defined]
    assert r.codes[:1] in ((codes.FOREIGN_ANCHOR_NOT_CONFIGURED,), (codes.X509_TNAUTHLIST_MALFORMED,))  # type: ignore[attr-defined]
    failing = {(p["role"], p["rule"]) for p in r.native["profile"]}  # type: ignore[attr-defined]
    assert ((role, family) not in failing) is expected, r.native["profile"]  # type: ignore[attr-defined]


@pytest.mark.corpus
def test_zlint_chain_validates_to_its_root_at_a_time_inside_every_validity() -> None:
    d = corpus_path("shaken", "zlint-sti-certs")
    root = (d / "shakenRoot.pem").read_bytes()
    ee, ca = (x509.load_pem_x509_certificate((d / n).read_bytes()) for n in ("shakenCert.pem", "shakenCa.pem"))
    rt = x509.load_pem_x509_certificate(root)
    at = max(c.not_valid_before_utc for c in (ee, ca, rt))
    ctx = CheckContext(reference_time=at, trust=ForeignTrust(files={"x509": (root,)}),
                       policy=Policy(foreign_revocation="soft-fail"))
    data = (d / "shakenCert.pem").read_bytes() + (d / "shakenCa.pem").read_bytes()
    r = X509Checker().check(data, "application/pem-certificate-chain", ctx)
    # whatever the path says, it is a coded answer; the TNAuthList (one SPC) is read as a fact
    assert r.codes or r.status is Status.VALID
    assert r.facts.spcs == ("6628",)


@pytest.mark.corpus
def test_zlint_malformed_tnauthlist_is_invalid() -> None:
    _, r = _judge("shakenTNAuthEmpty.pem")
    assert r.status is Status.INVALID and codes.X509_TNAUTHLIST_MALFORMED in r.codes  # type: ignore[attr-defined]
