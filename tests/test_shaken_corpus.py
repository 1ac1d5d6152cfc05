"""SHAKEN against the real vectors in ../shared/corpus/shaken (see its README and docs/shaken.md)."""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import pytest
from cryptography import x509

from tests.conftest import REPO, corpus_path
from vvp import codes
from vvp.fetch import MemoryFetcher
from vvp.stir import certs as C
from vvp.stir.certs import load_pem_certificates
from vvp.stir.shaken import ShakenPolicy, check_revocation, verify_shaken
from vvp.stir.verstat import Verstat
from vvp.verdict import CheckStatus

pytestmark = pytest.mark.corpus

LIBSTIRSHAKEN_X5U = "http://shaken.signalwire.cloud/sp.pem"
FAMILIES = {"basic_constraints", "crl_distribution_points", "certificate_policies", "tnauthlist"}


def _libstirshaken_identity(d: Path) -> str:
    lines = [ln.strip() for ln in (d / "sp-passport.txt").read_text().splitlines()]
    found = [ln for ln in lines if ";info=<" in ln]
    assert len(found) == 1, "sp-passport.txt should hold one full Identity value"
    return found[0]


def test_libstirshaken_reference_passport() -> None:
    d = corpus_path("shaken", "libstirshaken-ref")
    anchors = load_pem_certificates((d / "ca-ca.pem").read_bytes())
    fetcher = MemoryFetcher({LIBSTIRSHAKEN_X5U: ("application/x-pem-file", (d / "sp-sp.pem").read_bytes())})
    r = verify_shaken(_libstirshaken_identity(d), reference_time=_dt.datetime.fromtimestamp(1603458136, _dt.UTC),
                      anchors=anchors, crl_signers=(), policy=ShakenPolicy(), fetcher=fetcher)
    by_id = {c.id: c for c in r.checks if c.subject is None}
    assert r.verstat is Verstat.FAILED and r.sip_code == 437
    # because the certificate has no RFC 8226 TNAuthList ...
    assert by_id["X-SHAKEN-20"].status is CheckStatus.FAIL
    assert by_id["X-SHAKEN-20"].code == codes.SHAKEN_TNAUTHLIST_MALFORMED
    assert "no RFC 8226 TNAuthList" in by_id["X-SHAKEN-20"].message
    # ... while its ES256 signature verifies and the path to ca-ca.pem builds
    assert by_id["X-SHAKEN-22"].status is CheckStatus.PASS and r.signature_verified
    assert by_id["X-SHAKEN-18"].status is CheckStatus.PASS and len(r.chain) == 2
    # the claims are not conformant either: orig and dest are JSON inside strings
    assert by_id["X-SHAKEN-10"].code == codes.SHAKEN_ORIG_INVALID
    assert by_id["X-SHAKEN-11"].code == codes.SHAKEN_DEST_INVALID
    assert by_id["X-SHAKEN-14"].status is CheckStatus.PASS  # iat 1603458131, 5 s before


def test_libstirshaken_wrong_sp_certificate_does_not_verify_or_chain() -> None:
    d = corpus_path("shaken", "libstirshaken-ref")
    anchors = load_pem_certificates((d / "ca-ca.pem").read_bytes())
    fetcher = MemoryFetcher({LIBSTIRSHAKEN_X5U: ("application/x-pem-file", (d / "sp-wrongsp.pem").read_bytes())})
    r = verify_shaken(_libstirshaken_identity(d), reference_time=_dt.datetime.fromtimestamp(1603458136, _dt.UTC),
                      anchors=anchors, crl_signers=(), policy=ShakenPolicy(), fetcher=fetcher)
    assert r.verstat is Verstat.FAILED and not r.signature_verified
    assert codes.SHAKEN_CHAIN_INVALID in [c.code for c in r.checks]


def _zlint_table() -> list[tuple[str, C.CertRole, str, bool]]:
    rows = []
    text = (REPO / "docs" / "shaken.md").read_text()
    for m in re.finditer(r"^\| `(shaken[^`]+\.pem)` \| ([a-z-]+) \| ([a-z_]+) \| (pass|fail) \|", text, re.M):
        rows.append((m.group(1), C.CertRole(m.group(2)), m.group(3), m.group(4) == "pass"))
    return rows


def test_the_docs_table_covers_the_four_families() -> None:
    rows = _zlint_table()
    assert {r[2] for r in rows} == FAMILIES
    for family in FAMILIES:
        assert {ok for _, _, fam, ok in rows if fam == family} == {True, False}, family


@pytest.mark.parametrize("file, role, family, expected", _zlint_table(),
                         ids=[f"{r[0]}-{r[2]}" for r in _zlint_table()])
def test_zlint_certificate_profile_agrees_with_the_file_name(file: str, role: C.CertRole, family: str,
                                                             expected: bool) -> None:
    cert = x509.load_pem_x509_certificate(corpus_path("shaken", "zlint-sti-certs", file).read_bytes())
    finding = {f.rule.value: f for f in C.profile_findings(cert, role)}[family]
    assert finding.ok is expected, finding.message


@pytest.mark.parametrize("file, version", [("shakenCP1_1Cert.pem", "1.1"), ("shakenCP1_2Cert.pem", "1.2"),
                                           ("shakenCP1_3Cert.pem", "1.3"), ("shakenCP1_4Cert.pem", "1.4")])
def test_zlint_cp_version_is_read(file: str, version: str) -> None:
    cert = x509.load_pem_x509_certificate(corpus_path("shaken", "zlint-sti-certs", file).read_bytes())
    assert C.shaken_cp_version(cert) == (version,)


def test_zlint_unreachable_crl_point_leaves_revocation_unknown() -> None:
    d = corpus_path("shaken", "zlint-sti-certs")
    ee = x509.load_pem_x509_certificate((d / "shakenCRLPointUnreachable.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((d / "shakenCa.pem").read_bytes())
    offline = MemoryFetcher({})
    at = ee.not_valid_before_utc
    opt = check_revocation((ee, ca), reference_time=at, crl_signers=(), policy=ShakenPolicy(), fetcher=offline)
    assert opt.state == "unknown" and [c.status for c in opt.checks] == [CheckStatus.WARN]
    assert opt.checks[0].code == codes.FETCH_OFFLINE and "some.unreachable.link.com" in opt.checks[0].message
    req = check_revocation((ee, ca), reference_time=at, crl_signers=(), policy=ShakenPolicy(crl="required"),
                           fetcher=offline)
    assert [c.status for c in req.checks] == [CheckStatus.INDETERMINATE]


def test_zlint_tnauthlist_files_decode_as_named() -> None:
    d = corpus_path("shaken", "zlint-sti-certs")
    from vvp.stir.tnauthlist import TNAuthListError, tnauthlist_of

    def tal(name: str) -> object:
        return tnauthlist_of(x509.load_pem_x509_certificate((d / name).read_bytes()))
    assert tal("shakenCert.pem") is not None and tal("shakenCert.pem").spcs == ("6628",)  # type: ignore[attr-defined]
    assert tal("shakenTNAuthMultiple.pem").spcs == ("6628", "6628")  # type: ignore[attr-defined]
    assert tal("shakenTNAuthWithoutSPC.pem").tns == ("1234",)  # type: ignore[attr-defined]
    assert tal("shakenTNAuthEmptyString.pem").spcs == ("",)  # type: ignore[attr-defined]
    with pytest.raises(TNAuthListError):
        tal("shakenTNAuthEmpty.pem")
