"""Benchmarks (architecture §5): each prints its figures as ratios to floors measured in the same
run (raw Ed25519 and ES256 verifies, a loopback round trip) and never asserts a time. Run by
``make bench`` (``BENCH_ARGS=--json`` for one JSON object); outside the installed package."""
