"""A fixed STI PKI for the SHAKEN tests, made with ``cryptography`` (through vvp.testing.stipki).

STI-PA root (the trust anchor) → STI-CA → service-provider certificates with TNAuthList as an SPC,
as one TN and as a range, plus an expired one, a revoked one and one without TNAuthList; a
second, untrusted root with its own CA and SP certificate; and the STI-PA CRL signer under its own
self-signed certificate, with a CRL that revokes one SP certificate. Keys come from fixed integers
and every signature is deterministic, so the PKI is the same on every run. ``T`` is the reference
time of every test call.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509

from vvp.fetch import MemoryFetcher
from vvp.testing import stipki
from vvp.testing.stipki import Issued, make_ca, make_crl, make_crl_signer, make_ee, make_root, name, p256_key
from vvp.stir.tnauthlist import TnRange, encode_tnauthlist

UTC = _dt.UTC
T = _dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
T_UNIX = int(T.timestamp())
NOT_BEFORE = _dt.datetime(2026, 1, 1, tzinfo=UTC)
NOT_AFTER = _dt.datetime(2027, 12, 31, tzinfo=UTC)

CRL_URL = "https://authenticate.sti-pa.example/download/v1/crl"
ORIG = "12155551212"
DEST = "12155551213"
PEM = "application/pem-certificate-chain"
CRL_TYPE = "application/pkix-crl"

# One URL per service-provider certificate (the PASSporT's x5u and the Identity info).
X5U = {
    "spc": "https://cert.sp.example/spc.pem",
    "tn": "https://cert.sp.example/tn.pem",
    "range": "https://cert.sp.example/range.pem",
    "expired": "https://cert.sp.example/expired.pem",
    "revoked": "https://cert.sp.example/revoked.pem",
    "no_tnauth": "https://cert.sp.example/none.pem",
    "untrusted": "https://cert.rogue.example/sp.pem",
}
REVOKED_SERIAL = 0x5E0E


@dataclass(frozen=True)
class TestPki:
    root: Issued
    ca: Issued
    ee: Mapping[str, Issued]
    other_root: Issued
    other_ca: Issued
    crl_signer: Issued
    crl: bytes

    @property
    def anchors(self) -> tuple[x509.Certificate, ...]:
        return (self.root.cert,)

    def chain_pem(self, which: str) -> bytes:
        """What the x5u serves: the SP certificate, then its CA."""
        ca = self.other_ca if which == "untrusted" else self.ca
        return self.ee[which].pem + ca.pem

    def served(self) -> dict[str, tuple[str, bytes]]:
        items = {X5U[k]: (PEM, self.chain_pem(k)) for k in X5U}
        items[CRL_URL] = (CRL_TYPE, self.crl)
        return items

    def fetcher(self, extra: Mapping[str, tuple[str, bytes]] | None = None,
                without: Sequence[str] = ()) -> MemoryFetcher:
        items = self.served()
        items.update(extra or {})
        for url in without:
            items.pop(url, None)
        return MemoryFetcher(items)


@functools.cache
def build() -> TestPki:
    root = make_root(name("SHAKEN STI-PA ROOT"), p256_key(0x51A), serial=0x1001, not_before=NOT_BEFORE,
                     not_after=_dt.datetime(2036, 1, 1, tzinfo=UTC))
    ca = make_ca(name("SHAKEN STI-CA"), p256_key(0xCA), root, serial=0x2002, not_before=NOT_BEFORE,
                 not_after=_dt.datetime(2030, 1, 1, tzinfo=UTC), crl_url=CRL_URL)

    def ee(secret: int, serial: int, tal: bytes | None, *, not_after: _dt.datetime = NOT_AFTER,
           issuer: Issued = ca, cn: str = "SHAKEN 1234") -> Issued:
        return make_ee(name(cn), p256_key(secret), issuer, serial=serial, not_before=NOT_BEFORE,
                       not_after=not_after, crl_url=CRL_URL, tnauthlist_der=tal)

    spc = encode_tnauthlist(spcs=["1234"])
    ees = {
        "spc": ee(0xE1, 0x3001, spc),
        "tn": ee(0xE2, 0x3002, encode_tnauthlist(tns=[ORIG])),
        "range": ee(0xE3, 0x3003, encode_tnauthlist(ranges=[TnRange("12155551200", 100)])),
        "expired": ee(0xE4, 0x3004, spc, not_after=_dt.datetime(2026, 11, 1, tzinfo=UTC)),
        "revoked": ee(0xE5, REVOKED_SERIAL, spc),
        "no_tnauth": ee(0xE6, 0x3006, None),
    }
    other_root = make_root(name("ROGUE ROOT"), p256_key(0xBAD), serial=0x9001, not_before=NOT_BEFORE,
                           not_after=_dt.datetime(2036, 1, 1, tzinfo=UTC))
    other_ca = make_ca(name("SHAKEN ROGUE CA"), p256_key(0xBADCA), other_root, serial=0x9002,
                       not_before=NOT_BEFORE, not_after=_dt.datetime(2030, 1, 1, tzinfo=UTC), crl_url=CRL_URL)
    ees["untrusted"] = ee(0xE7, 0x3007, spc, issuer=other_ca)
    signer = make_crl_signer(name("STI-PA CRL Signer"), p256_key(0xC51), serial=0x4001, not_before=NOT_BEFORE,
                             not_after=_dt.datetime(2030, 1, 1, tzinfo=UTC))
    crl = make_crl(signer, this_update=T - _dt.timedelta(hours=12), next_update=T + _dt.timedelta(days=7),
                   revoked=[(REVOKED_SERIAL, T - _dt.timedelta(days=30))])
    return TestPki(root, ca, ees, other_root, other_ca, signer, crl)


def identity(which: str = "spc", *, orig: str = ORIG, dest: Sequence[str] = (DEST,), iat: int = T_UNIX,
             attest: str = "A", info: str | None = None) -> str:
    """A valid SHAKEN Identity value signed by SP certificate ``which``."""
    pki = build()
    token = stipki.shaken_passport(pki.ee[which].key, x5u=X5U[which], orig=orig, dest=dest, iat=iat, attest=attest)
    return stipki.identity_value(token, info if info is not None else X5U[which])


def signed(header: Mapping[str, object], claims: Mapping[str, object], which: str = "spc",
           info: str | None = None, **params: str | None) -> str:
    """An Identity value with an arbitrary header and claims, signed by SP certificate ``which``."""
    token = stipki.sign_jws(header, claims, build().ee[which].key)
    return stipki.identity_value(token, info if info is not None else X5U[which], **params)


def good_header(which: str = "spc") -> dict[str, object]:
    return {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": X5U[which]}


def good_claims() -> dict[str, object]:
    return {"attest": "A", "dest": {"tn": [DEST]}, "iat": T_UNIX, "orig": {"tn": ORIG},
            "origid": "123e4567-e89b-12d3-a456-426655440000"}
