"""Test worlds, test PKIs and test KELs (architecture §3): made with keri through vvp._keri, used by
tests, the demo and benchmarks; nothing in the core imports this package."""
