"""STI certificates: reading the x5u body, fitness for signing, and the ATIS-1000080 profile on the
test PKI (the corpus side is in test_shaken_corpus.py)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tests import shaken_pki as P
from vvp import codes
from vvp.stir import certs as C
from vvp.testing import stipki


def test_pem_chain_with_explanatory_text() -> None:
    pki = P.build()
    body = b"SP certificate\n" + pki.ee["spc"].pem + b"\nits CA:\n" + pki.ca.pem
    assert C.load_x5u(body) == (pki.ee["spc"].cert, pki.ca.cert)


def test_der_certificate() -> None:
    assert C.load_x5u(P.build().ee["spc"].der) == (P.build().ee["spc"].cert,)


@pytest.mark.parametrize("body, why", [
    (b"", "empty"),
    (b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "empty block"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA!!\n-----END CERTIFICATE-----\n", "not base64"),
    (b"hello", "neither PEM nor DER"),
    (b"x" * (C.MAX_X5U_BYTES + 1), "too large"),
])
def test_unreadable_bodies(body: bytes, why: str) -> None:
    with pytest.raises(C.X5uError) as e:
        C.load_x5u(body)
    assert e.value.code == codes.SHAKEN_X5U_UNPARSABLE, why


def test_a_private_key_block_is_refused() -> None:
    key = stipki.p256_key(5).private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    with pytest.raises(C.X5uError, match="PRIVATE KEY"):
        C.load_x5u(P.build().ee["spc"].pem + key)


def test_too_many_certificates() -> None:
    with pytest.raises(C.X5uError, match="at most"):
        C.load_x5u(P.build().ca.pem * (C.MAX_X5U_CERTS + 1))


def test_the_test_pki_conforms_to_the_profile() -> None:
    pki = P.build()
    for cert, role in ((pki.root.cert, C.CertRole.ROOT), (pki.ca.cert, C.CertRole.INTERMEDIATE),
                       (pki.ee["spc"].cert, C.CertRole.END_ENTITY)):
        bad = [f for f in C.profile_findings(cert, role) if not f.ok]
        assert not bad, (role, bad)
    tn = {f.rule: f for f in C.profile_findings(pki.ee["tn"].cert, C.CertRole.END_ENTITY)}
    assert not tn[C.ProfileRule.TNAUTHLIST].ok and "no SPC" in tn[C.ProfileRule.TNAUTHLIST].message
    assert C.shaken_cp_version(pki.ee["spc"].cert) == ("1.4",)


def test_roles_are_judged_by_their_own_rules() -> None:
    pki = P.build()
    as_root = {f.rule: f.ok for f in C.profile_findings(pki.ca.cert, C.CertRole.ROOT)}
    assert not as_root[C.ProfileRule.CERTIFICATE_POLICIES] and not as_root[C.ProfileRule.CRL_DISTRIBUTION_POINTS]
    as_ee = {f.rule: f.ok for f in C.profile_findings(pki.ca.cert, C.CertRole.END_ENTITY)}
    assert not as_ee[C.ProfileRule.BASIC_CONSTRAINTS] and not as_ee[C.ProfileRule.KEY_USAGE]
    assert C.role_in_chain(0, 3) is C.CertRole.END_ENTITY and C.role_in_chain(1, 3) is C.CertRole.INTERMEDIATE
    assert C.role_in_chain(2, 3) is C.CertRole.ROOT


def test_signing_fitness() -> None:
    pki = P.build()
    assert C.signing_fitness(pki.ee["spc"].cert) is None
    code, msg = C.signing_fitness(pki.ca.cert) or ("", "")
    assert code == codes.SHAKEN_CERT_NOT_FOR_SIGNING and "CA" in msg and "digitalSignature" in msg
    p384 = stipki.make_ee(stipki.name("SHAKEN 1234"), ec.generate_private_key(ec.SECP384R1()),  # type: ignore[arg-type]
                          pki.ca, serial=77, not_before=P.NOT_BEFORE, not_after=P.NOT_AFTER, crl_url=P.CRL_URL,
                          tnauthlist_der=None)
    assert "P-256" in (C.signing_fitness(p384.cert) or ("", ""))[1]


def test_path_result_window() -> None:
    pki = P.build()
    res = C.build_path(pki.ee["spc"].cert, [pki.ca.cert], [pki.root.cert], P.T)
    assert res.ok and res.window == (P.NOT_BEFORE, P.NOT_AFTER)
    assert C.build_path(pki.ee["spc"].cert, [pki.ca.cert], [], P.T).code == codes.SHAKEN_NO_TRUST_ANCHORS
