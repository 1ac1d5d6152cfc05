"""X.509 evidence at the reference time (vvp/evidence/x509.py, pkix.py) on the deterministic
foreign test PKI: valid, revoked before and after the call (CRL and OCSP), expired, unknown
anchor, no anchor configured, hard- and soft-fail, TNAuthList coverage and RFC 9060 delegation,
and hostile bytes that must give coded results."""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Sequence

import pytest

from vvp import codes
from vvp.evidence import pkix
from vvp.evidence.base import ArtifactResult, CheckContext, ForeignTrust
from vvp.evidence.registry import check_artifact
from vvp.evidence.x509 import X509Checker, delegation_problems
from vvp.stir.tnauthlist import TNAuthList, TnRange
from vvp.testing import foreign_pki as F
from vvp.trust import Policy
from vvp.verdict import Status

PKI = F.build()
TRUST = ForeignTrust(files={"x509": (PKI.root.pem,)})
CHECKER = X509Checker()


def judge(data: bytes, related: Sequence[tuple[str, bytes]] = (), *, at: _dt.datetime = F.CALL_AT,
          trust: ForeignTrust = TRUST, policy: Policy = Policy(), orig: str | None = F.ORIG,
          media_type: str = F.PEM_CHAIN) -> ArtifactResult:
    ctx = CheckContext(reference_time=at, trust=trust, policy=policy, related=tuple(related), orig=orig)
    return CHECKER.check(data, media_type, ctx)


def test_valid_delegate_certificate_with_crls_archived_at_the_call() -> None:
    r = judge(PKI.chain_pem("valid"), PKI.revinfo_at_call())
    assert r.status is Status.VALID and r.codes == ()
    assert r.anchor is not None and "VVP Test Foreign Root" in r.anchor and pkix.fingerprint(PKI.root.cert) in r.anchor
    assert r.facts.tns == ("+15551230001", "+15551230002") and r.facts.lei == F.LEI
    assert r.facts.legal_name == F.ORG and r.facts.domain == "voice.acme.example"
    assert r.native["revocation"] == "checked" and r.native["delegation"] == "ok" and r.native["covers_orig"] is True
    assert len(r.native["path"]) == 4 and r.native["revinfo"] == {"crls": 3, "ocsp_responses": 0}


@pytest.mark.parametrize("related", ["at_call", "later", "ocsp", "ocsp_later"])
def test_revoked_before_the_call_is_invalid(related: str) -> None:
    rev = {"at_call": PKI.revinfo_at_call(), "later": PKI.revinfo_later(),
           "ocsp": PKI.revinfo_ocsp("revoked_before"),
           "ocsp_later": PKI.revinfo_ocsp("revoked_before", later=True)}[related]
    r = judge(PKI.chain_pem("revoked_before"), rev)
    assert r.status is Status.INVALID and r.codes == (codes.X509_REVOKED,)
    assert "2026-02-15" in " ".join(r.messages)


@pytest.mark.parametrize("related", ["at_call", "later", "ocsp"])
def test_revoked_after_the_call_is_valid_at_the_call(related: str) -> None:
    rev = {"at_call": PKI.revinfo_at_call(), "later": PKI.revinfo_later(),
           "ocsp": PKI.revinfo_ocsp("revoked_after")}[related]
    r = judge(PKI.chain_pem("revoked_after"), rev)
    assert r.status is Status.VALID, r.messages
    assert r.native["revocation"] == "checked"


def test_revoked_after_the_call_is_revoked_at_a_later_reference_time() -> None:
    r = judge(PKI.chain_pem("revoked_after"), PKI.revinfo_later(), at=_dt.datetime(2026, 6, 3, tzinfo=_dt.UTC))
    assert r.status is Status.INVALID and r.codes == (codes.X509_REVOKED,)


def test_a_later_ocsp_response_alone_does_not_prove_good_at_the_call() -> None:
    """Documented limit: an OCSP answer 'revoked on 1 June' is not taken as 'good on 1 March'."""
    only_later = PKI.revinfo_ocsp("revoked_after", later=True)
    assert judge(PKI.chain_pem("revoked_after"), only_later).codes == (codes.X509_REVOCATION_UNAVAILABLE,)
    both = only_later + [(F.OCSP_RESPONSE, PKI.ocsps["revoked_after"])]
    assert judge(PKI.chain_pem("revoked_after"), both).status is Status.VALID


def test_crls_issued_after_the_certificate_expired_prove_nothing() -> None:
    late = F.make_crl(PKI.sp, this_update=_dt.datetime(2027, 2, 1, tzinfo=_dt.UTC),
                      next_update=_dt.datetime(2027, 3, 1, tzinfo=_dt.UTC), number=99)
    rel = [(F.PKIX_CRL, PKI.crls["root"]), (F.PKIX_CRL, PKI.crls["sti_ca"]), (F.PKIX_CRL, late)]
    assert judge(PKI.chain_pem("valid"), rel).codes == (codes.X509_REVOCATION_UNAVAILABLE,)
    assert judge(PKI.chain_pem("valid"), rel + [(F.PKIX_CRL, PKI.crls["sp_at_call"])]).status is Status.VALID


def test_expired_certificate() -> None:
    r = judge(PKI.chain_pem("expired"), PKI.revinfo_at_call())
    assert r.status is Status.INVALID and r.codes == (codes.X509_EXPIRED,)
    soft = judge(PKI.chain_pem("expired"), (), policy=Policy(foreign_revocation="soft-fail"))
    assert soft.codes == (codes.X509_EXPIRED,)
    # the same certificate at a time inside its validity
    assert judge(PKI.chain_pem("expired"), (), at=_dt.datetime(2025, 6, 1, tzinfo=_dt.UTC),
                 policy=Policy(foreign_revocation="soft-fail")).status is Status.VALID


def test_valid_certificate_judged_after_its_expiry() -> None:
    r = judge(PKI.chain_pem("valid"), PKI.revinfo_at_call(), at=_dt.datetime(2027, 2, 1, tzinfo=_dt.UTC))
    assert r.status is Status.INVALID and r.codes == (codes.X509_EXPIRED,)


def test_unknown_anchor() -> None:
    r = judge(PKI.chain_pem("untrusted"), PKI.revinfo_at_call())
    assert r.status is Status.INVALID and r.codes == (codes.X509_NO_TRUSTED_PATH,) and r.anchor is None


def test_no_anchor_configured_is_indeterminate_never_valid() -> None:
    for data in (PKI.chain_pem("valid"), PKI.chain_pem("untrusted")):
        r = judge(data, PKI.revinfo_at_call(), trust=ForeignTrust())
        assert r.status is Status.INDETERMINATE and r.codes == (codes.FOREIGN_ANCHOR_NOT_CONFIGURED,)
        assert r.facts.tns  # the facts are still read and shown


def test_unreadable_anchor_file() -> None:
    r = judge(PKI.chain_pem("valid"), PKI.revinfo_at_call(), trust=ForeignTrust(files={"x509": (b"not a cert",)}))
    assert r.status is Status.INDETERMINATE and r.codes == (codes.FOREIGN_ANCHOR_UNREADABLE,)


def test_anchor_files_named_by_path_are_read_when_not_loaded(tmp_path: "pytest.TempPathFactory") -> None:
    p = tmp_path / "root.pem"  # type: ignore[operator]
    p.write_bytes(b"the test root\n" + PKI.root.pem)
    r = judge(PKI.chain_pem("valid"), PKI.revinfo_at_call(), trust=ForeignTrust(x509=(p,)))
    assert r.status is Status.VALID


def test_hard_fail_and_soft_fail() -> None:
    hard = judge(PKI.chain_pem("valid"), ())
    assert hard.status is Status.INDETERMINATE and hard.codes == (codes.X509_REVOCATION_UNAVAILABLE,)
    soft = judge(PKI.chain_pem("valid"), (), policy=Policy(foreign_revocation="soft-fail"))
    assert soft.status is Status.VALID and soft.native["revocation"] == "unknown"
    assert any(codes.X509_REVOCATION_UNKNOWN in m or "soft-fail" in m for m in soft.messages)
    stale = [(F.PKIX_CRL, PKI.crls["root"]), (F.PKIX_CRL, PKI.crls["sti_ca"]), (F.PKIX_CRL, PKI.crls["sp_stale"])]
    assert judge(PKI.chain_pem("valid"), stale).codes == (codes.X509_REVOCATION_UNAVAILABLE,)
    assert judge(PKI.chain_pem("valid"), stale, policy=Policy(foreign_revocation="soft-fail")).status is Status.VALID
    # a revocation that is found counts under soft-fail too
    assert judge(PKI.chain_pem("revoked_before"), PKI.revinfo_at_call(),
                 policy=Policy(foreign_revocation="soft-fail")).codes == (codes.X509_REVOKED,)


def test_tnauthlist_must_cover_orig_when_given() -> None:
    r = judge(PKI.chain_pem("other_tn"), PKI.revinfo_at_call())
    assert r.status is Status.INVALID and r.codes == (codes.EVIDENCE_TN_NOT_COVERED,)
    assert r.native["covers_orig"] is False and r.facts.tns == ("+15551239999",)
    alone = judge(PKI.chain_pem("other_tn"), PKI.revinfo_at_call(), orig=None)
    assert alone.status is Status.VALID and alone.native["covers_orig"] is None


def test_delegate_beyond_its_parent_is_invalid() -> None:
    r = judge(PKI.chain_pem("exceeds_parent"), PKI.revinfo_at_call(), orig=None)
    assert r.status is Status.INVALID and r.codes == (codes.X509_DELEGATION_EXCEEDS_PARENT,)
    assert "+16135550000" in " ".join(r.messages) and r.native["delegation"] == "exceeds"


def test_delegation_rules() -> None:
    parent = TNAuthList(ranges=(TnRange("15551230000", 100),), tns=("15550000000",))
    assert delegation_problems(TNAuthList(tns=("15551230042", "15550000000")), parent) == []
    assert delegation_problems(TNAuthList(ranges=(TnRange("15551230010", 10),)), parent) == []
    assert delegation_problems(TNAuthList(ranges=(TnRange("15551230095", 10),)), parent) == ["range +15551230095..+15551230104"]
    assert delegation_problems(TNAuthList(tns=("15551230042",)), TNAuthList(spcs=("1234",))) is None
    assert delegation_problems(TNAuthList(spcs=("99",)), TNAuthList(spcs=("1234",))) == ["SPC '99' not in the issuer's SPCs"]


def test_der_certificate_alone_lacks_its_intermediates() -> None:
    r = judge(PKI.delegates["valid"].der, PKI.revinfo_at_call(), media_type=F.PKIX_CERT)
    assert r.codes == (codes.X509_NO_TRUSTED_PATH,)


def test_sti_profile_findings_are_warnings() -> None:
    r = judge(PKI.chain_pem("valid"), PKI.revinfo_at_call())
    rules = {(p["role"], p["rule"]) for p in r.native["profile"]}
    # the test CAs sign their own CRLs (cRLSign), which ATIS-1000080 does not foresee
    assert ("intermediate", "key_usage") in rules and r.status is Status.VALID
    assert not any(p["rule"] == "tnauthlist" for p in r.native["profile"])  # delegate certificates list TNs


def _pem(der: bytes) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"


@pytest.mark.parametrize("data, code", [
    (PKI.delegates["valid"].der[:-7], codes.X509_MALFORMED),  # truncated DER
    (PKI.delegates["valid"].der + b"\x00", codes.X509_MALFORMED),  # trailing bytes
    (b"", codes.X509_MALFORMED),
    (b"\x30\x82\xff\xff", codes.X509_MALFORMED),
    (PKI.chain_pem("valid") + b"\x00\xffjunk after the blocks\n", codes.X509_MALFORMED),
    (b"\x1b[31m" + PKI.chain_pem("valid"), codes.X509_MALFORMED),
    (PKI.chain_pem("valid") + b"-----END CERTIFICATE-----\n", codes.X509_MALFORMED),
    (_pem(PKI.delegates["valid"].der).replace(b"M", b"!", 1), codes.X509_MALFORMED),
    (_pem(PKI.delegates["valid"].der[:-3]), codes.X509_MALFORMED),
    (PKI.chain_pem("valid").replace(b"END CERTIFICATE", b"END CERTIFICATE REQUEST", 1), codes.X509_MALFORMED),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", codes.X509_MALFORMED),
    (PKI.root.pem * (pkix.MAX_CERTS + 1), codes.X509_MALFORMED),
    (b"-" * (pkix.MAX_CERT_ARTIFACT_BYTES + 1), codes.EVIDENCE_TOO_LARGE),
])
def test_bad_certificate_bytes_get_coded_results(data: bytes, code: str) -> None:
    r = judge(data, PKI.revinfo_at_call())
    assert r.status is Status.INVALID and r.codes == (code,)


@pytest.mark.parametrize("related", [
    [(F.PKIX_CRL, PKI.crls["root"][:-10])], [(F.PKIX_CRL, b"")], [(F.OCSP_RESPONSE, b"\x30\x03\x0a\x01")],
    [(F.PKIX_CRL, b"-----BEGIN X509 CRL-----\n" + base64.encodebytes(PKI.crls["root"]) + b"-----END X509 CRL-----\n\x00")],
])
def test_bad_revocation_data_gets_a_coded_result(related: list[tuple[str, bytes]]) -> None:
    r = judge(PKI.chain_pem("valid"), related)
    assert r.status is Status.INVALID and r.codes == (codes.X509_REVINFO_MALFORMED,)


def test_explanatory_text_around_pem_blocks_is_allowed() -> None:
    """RFC 7468 §5.2 (zlint's files carry an openssl text dump before each block)."""
    r = judge(b"Certificate:\n    Subject: the delegate\n" + PKI.chain_pem("valid") + b"end of chain\n",
              PKI.revinfo_at_call())
    assert r.status is Status.VALID


def test_pem_crls_are_read() -> None:
    pem = [(F.PKIX_CRL, b"-----BEGIN X509 CRL-----\n" + base64.encodebytes(d) + b"-----END X509 CRL-----\n")
           for _, d in PKI.revinfo_at_call()]
    assert judge(PKI.chain_pem("valid"), pem).status is Status.VALID


def test_flipped_bytes_never_raise() -> None:
    der = PKI.delegates["valid"].der
    seen: set[Status] = set()
    for i in range(0, len(der), 3):
        mutated = der[:i] + bytes([der[i] ^ 0x41]) + der[i + 1:]
        r = judge(_pem(mutated) + PKI.sp.pem + PKI.sti_ca.pem, PKI.revinfo_at_call())
        assert r.codes, f"byte {i}: a mutated certificate came out {r.status}"
        seen.add(r.status)
    assert Status.VALID not in seen


def test_unsupported_media_type_through_the_registry() -> None:
    ctx = CheckContext(reference_time=F.CALL_AT, trust=TRUST, policy=Policy())
    r = check_artifact(b"hello", "text/plain; charset=utf-8", ctx)
    assert r.status is Status.INDETERMINATE and r.codes == (codes.EVIDENCE_MEDIA_TYPE_UNSUPPORTED,)
    assert check_artifact(PKI.chain_pem("valid"), "Application/PEM-Certificate-Chain",
                          CheckContext(reference_time=F.CALL_AT, trust=TRUST, policy=Policy(),
                                       related=tuple(PKI.revinfo_at_call()))).status is Status.VALID


def test_the_pki_is_deterministic() -> None:
    again = F.build.__wrapped__()  # a fresh build, not the memoised one
    assert again.chain_pem("valid") == PKI.chain_pem("valid")
    assert dict(again.crls) == dict(PKI.crls) and dict(again.ocsps) == dict(PKI.ocsps)
    assert again.rtu_token() == PKI.rtu_token()
