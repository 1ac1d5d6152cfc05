"""Benchmark: one SHAKEN verification with a cached certificate, as a ratio to one raw ES256 verify.

``python -m benchmarks.bench_shaken [--iterations N] [--rounds R] [--json]``

Architecture §5 asks benchmarks for ratios measured in the same run, so the machine's speed
cancels out. The floor is one ``cryptography`` ES256 verify of the same signing input with the
same key; the measured path is :func:`vvp.stir.shaken.verify_shaken` on a full Identity value,
with the x5u chain, its validated path and the STI-PA CRL (signature already checked) in the
cache: header parsing, strict JSON, claim and freshness checks, the TNAuthList, the ES256 verify,
the CRL lookup for the end entity and its CA, and the profile lint. Rounds of ``N`` calls alternate
between the two; the times are medians over ``R`` rounds and the ratio is the median of the
per-round ratios.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from vvp import jose
from benchmarks.bench import interleaved, per_call
from vvp.fetch import MemoryFetcher
from vvp.testing import stipki
from vvp.stir.shaken import ShakenPolicy, verify_shaken
from vvp.stir.tnauthlist import encode_tnauthlist
from vvp.stir.verstat import Verstat
from vvp.stir.x5ucache import ShakenCache

_UTC = _dt.UTC
_T = _dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=_UTC)
_X5U = "https://cert.bench.example/sp.pem"
_CRL = "https://crl.bench.example/sti-pa.crl"


def run(iterations: int, rounds: int) -> dict[str, float | int | str]:
    nb, na = _dt.datetime(2026, 1, 1, tzinfo=_UTC), _dt.datetime(2028, 1, 1, tzinfo=_UTC)
    root = stipki.make_root(stipki.name("BENCH STI-PA ROOT"), stipki.p256_key(101), serial=0x101,
                            not_before=nb, not_after=na)
    ca = stipki.make_ca(stipki.name("BENCH SHAKEN CA"), stipki.p256_key(102), root, serial=0x102,
                        not_before=nb, not_after=na, crl_url=_CRL)
    ee = stipki.make_ee(stipki.name("SHAKEN 1234"), stipki.p256_key(103), ca, serial=0x103, not_before=nb,
                        not_after=na, crl_url=_CRL, tnauthlist_der=encode_tnauthlist(spcs=["1234"]))
    signer = stipki.make_crl_signer(stipki.name("BENCH CRL SIGNER"), stipki.p256_key(104), serial=0x104,
                                    not_before=nb, not_after=na)
    crl = stipki.make_crl(signer, this_update=_T - _dt.timedelta(hours=1), next_update=_T + _dt.timedelta(days=1),
                          revoked=[(0x999, _T - _dt.timedelta(days=3))])
    fetcher = MemoryFetcher({_X5U: ("application/pem-certificate-chain", ee.pem + ca.pem),
                             _CRL: ("application/pkix-crl", crl)})
    token = stipki.shaken_passport(ee.key, x5u=_X5U, orig="12155551212", dest=["12155551213"],
                                   iat=int(_T.timestamp()))
    value = stipki.identity_value(token, _X5U)
    cache = ShakenCache()
    policy = ShakenPolicy()

    def shaken() -> object:
        return verify_shaken(value, reference_time=_T, anchors=(root.cert,), crl_signers=(signer.cert,),
                             policy=policy, fetcher=fetcher, cache=cache)

    first = verify_shaken(value, reference_time=_T, anchors=(root.cert,), crl_signers=(signer.cert,),
                          policy=policy, fetcher=fetcher, cache=cache)
    if first.verstat is not Verstat.PASSED or first.revocation != "good":
        raise RuntimeError(f"benchmark call did not pass: {first.verstat} {first.sip_code} {first.revocation}")

    parsed = jose.parse_compact(token)
    der = encode_dss_signature(int.from_bytes(parsed.signature[:32], "big"),
                               int.from_bytes(parsed.signature[32:], "big"))
    public = ee.key.public_key()
    data = parsed.signing_input

    def es256() -> object:
        public.verify(der, data, ec.ECDSA(hashes.SHA256()))
        return None

    # Warm both paths once more before timing (allocator, caches inside cryptography).
    per_call(shaken, max(1, iterations // 10))
    per_call(es256, max(1, iterations // 10))
    floor, cached, ratio = interleaved(es256, shaken, iterations, iterations, rounds)
    return {"es256_verify_us": round(floor * 1e6, 2), "shaken_cached_us": round(cached * 1e6, 2),
            "ratio": round(ratio, 2), "iterations": iterations, "rounds": rounds,
            "verstat": first.verstat.value}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_shaken", description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=2000, help="calls per round (default 2000)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds; the median is reported (default 5)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.iterations < 1 or args.rounds < 1:
        ap.error("--iterations and --rounds must be positive")
    res = run(args.iterations, args.rounds)
    if args.json:
        sys.stdout.write(json.dumps(res) + "\n")
    else:
        sys.stdout.write(f"raw ES256 verify (cryptography):        {res['es256_verify_us']:>9} us\n"
                         f"SHAKEN verification, cached x5u + CRL: {res['shaken_cached_us']:>9} us  "
                         f"({res['verstat']})\n"
                         f"ratio SHAKEN / ES256:                  {res['ratio']:>9}x  "
                         f"(median of {res['rounds']} interleaved rounds of {res['iterations']} calls)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
