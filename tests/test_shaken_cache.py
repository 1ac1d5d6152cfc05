"""The x5u/CRL cache: keyed by URL, time passed in, x5u_cache_s and the CRL's nextUpdate honoured,
and the cached bytes still handed back for the forensic record."""

from __future__ import annotations

import datetime as _dt

from tests import shaken_pki as P
from vvp.fetch import EvidenceKind, Fetched, Fetcher
from vvp.stir.shaken import ShakenPolicy, ShakenResult, verify_shaken
from vvp.stir.verstat import Verstat
from vvp.stir.x5ucache import ShakenCache


class Counting:
    def __init__(self, inner: Fetcher) -> None:
        self.inner = inner
        self.calls: list[tuple[str, EvidenceKind]] = []

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        self.calls.append((url, kind))
        return self.inner.fetch(url, kind)


def run(value: str, fetcher: Fetcher, cache: ShakenCache, at: _dt.datetime = P.T,
        policy: ShakenPolicy = ShakenPolicy(x5u_cache_s=600, crl_cache_s=300)) -> ShakenResult:
    pki = P.build()
    return verify_shaken(value, reference_time=at, anchors=pki.anchors, crl_signers=(pki.crl_signer.cert,),
                         policy=policy, fetcher=fetcher, cache=cache)


def test_second_call_is_served_from_the_cache_with_its_evidence() -> None:
    f, cache = Counting(P.build().fetcher()), ShakenCache()
    first = run(P.identity(), f, cache)
    assert len(f.calls) == 2  # x5u, then the CRL once for both certificates
    second = run(P.identity(), f, cache)
    assert len(f.calls) == 2
    assert first.verstat is second.verstat is Verstat.PASSED
    assert [e.url for e in second.evidence] == [e.url for e in first.evidence]
    assert [e.url for e in second.cached] == [P.X5U["spc"], P.CRL_URL]
    assert "validated earlier" in next(c.message for c in second.checks if c.id == "X-SHAKEN-18")
    assert cache.sizes() == {"x5u": 1, "paths": 1, "crls": 1}


def test_x5u_entry_expires_after_x5u_cache_s() -> None:
    f, cache = Counting(P.build().fetcher()), ShakenCache()
    run(P.identity(), f, cache)
    later = P.T + _dt.timedelta(seconds=599)
    run(P.identity(iat=int(later.timestamp())), f, cache, at=later)
    assert [u for u, _ in f.calls].count(P.X5U["spc"]) == 1
    expired = P.T + _dt.timedelta(seconds=600)
    run(P.identity(iat=int(expired.timestamp())), f, cache, at=expired)
    assert [u for u, _ in f.calls].count(P.X5U["spc"]) == 2


def test_earlier_reference_times_use_the_cached_entry() -> None:
    f, cache = Counting(P.build().fetcher()), ShakenCache()
    run(P.identity(), f, cache)
    earlier = P.T - _dt.timedelta(days=1)
    r = run(P.identity(iat=int(earlier.timestamp())), f, cache, at=earlier,
            policy=ShakenPolicy(x5u_cache_s=600, crl="off"))
    assert r.verstat is Verstat.PASSED
    assert [u for u, _ in f.calls].count(P.X5U["spc"]) == 1


def test_crl_is_refetched_after_crl_cache_s() -> None:
    f, cache = Counting(P.build().fetcher()), ShakenCache()
    run(P.identity(), f, cache)
    later = P.T + _dt.timedelta(seconds=300)
    run(P.identity(iat=int(later.timestamp())), f, cache, at=later)
    assert [u for u, _ in f.calls].count(P.CRL_URL) == 2


def test_cached_path_is_not_reused_outside_the_validity_window() -> None:
    f, cache = Counting(P.build().fetcher()), ShakenCache()
    assert run(P.identity(), f, cache).verstat is Verstat.PASSED
    after = P.NOT_AFTER + _dt.timedelta(days=1)
    r = run(P.identity(iat=int(after.timestamp())), f, cache, at=after,
            policy=ShakenPolicy(x5u_cache_s=10**9, crl="off"))
    assert r.verstat is Verstat.FAILED and r.sip_code == 437


def test_a_different_anchor_set_does_not_reuse_a_validated_path() -> None:
    pki = P.build()
    f, cache = Counting(pki.fetcher()), ShakenCache()
    assert run(P.identity(), f, cache).verstat is Verstat.PASSED
    r = verify_shaken(P.identity(), reference_time=P.T, anchors=(pki.other_root.cert,),
                      crl_signers=(pki.crl_signer.cert,), policy=ShakenPolicy(), fetcher=f, cache=cache)
    assert r.verstat is Verstat.FAILED and r.sip_code == 437


def test_a_different_signer_set_rejudges_a_cached_crl() -> None:
    pki = P.build()
    f, cache = Counting(pki.fetcher()), ShakenCache()
    assert run(P.identity("revoked"), f, cache).revocation == "revoked"
    r = verify_shaken(P.identity("revoked"), reference_time=P.T, anchors=pki.anchors,
                      crl_signers=(pki.root.cert,), policy=ShakenPolicy(), fetcher=f, cache=cache)
    assert r.revocation == "unknown"  # the cached CRL is not from a configured signer any more


def test_cache_is_bounded() -> None:
    cache = ShakenCache(max_entries=2)
    pki = P.build()
    f = pki.fetcher()
    for which in ("spc", "tn", "range"):
        orig = "12155551212" if which != "range" else "12155551250"
        run(P.identity(which, orig=orig), f, cache)
    assert cache.sizes()["x5u"] == 2
