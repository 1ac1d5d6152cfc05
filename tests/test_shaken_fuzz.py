"""Hostile input never escapes verify_shaken as an exception: it becomes a coded check."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tests import shaken_pki as P
from vvp.fetch import MemoryFetcher
from vvp.stir.shaken import ShakenPolicy, ShakenResult, verify_shaken

POLICY = ShakenPolicy(crl="required")


def run(value: str, items: dict[str, tuple[str, bytes]]) -> ShakenResult:
    pki = P.build()
    return verify_shaken(value, reference_time=P.T, anchors=pki.anchors, crl_signers=(pki.crl_signer.cert,),
                         policy=POLICY, fetcher=MemoryFetcher(items))


def mutate(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        b[rnd.randrange(len(b))] = rnd.randrange(256)
    return bytes(b)


def test_mutated_certificates_and_crls() -> None:
    pki = P.build()
    rnd = random.Random(20261123)
    for _ in range(300):
        cert = mutate(pki.ee["spc"].der, rnd)
        r = run(P.identity(), {**pki.served(), P.X5U["spc"]: ("application/pkix-cert", cert)})
        assert r.checks and r.verstat is not None
        crl = mutate(pki.crl, rnd)
        r = run(P.identity("revoked"), {**pki.served(), P.CRL_URL: (P.CRL_TYPE, crl)})
        assert r.revocation in ("revoked", "unknown")  # a damaged CRL never makes a revoked certificate good


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                           max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(attest=json_values, orig=json_values, dest=json_values, iat=json_values, origid=json_values)
def test_arbitrary_claims(attest: object, orig: object, dest: object, iat: object, origid: object) -> None:
    claims = {"attest": attest, "orig": orig, "dest": dest, "iat": iat, "origid": origid}
    r = run(P.signed(P.good_header(), claims), P.build().served())
    assert r.signature_verified  # the claims were judged; the signature still was checked


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_identity_values(value: str) -> None:
    r = run(value, {})
    assert r.checks


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_x5u_bodies(body: bytes) -> None:
    r = run(P.identity(), {**P.build().served(), P.X5U["spc"]: (P.PEM, body)})
    assert r.sip_code == 436
