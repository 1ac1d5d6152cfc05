"""Test worlds, test PKIs and test KELs (architecture §3), used by tests, the demo and benchmarks;
nothing in the core imports this package.

``worldgen/`` generates the deterministic world (the cast, credentials, timeline, PASSporTs; the
keri calls it needs are :mod:`vvp._keri.forge`, the only place keri is imported), ``world/``
serves it (evidence server on 127.0.0.1, trust store and evidence map, named calls, the demo),
``kels`` makes test KELs, ``stipki``/``foreign_pki``/``foreign_vc`` the test PKIs and foreign
credentials, ``calllog`` call logs for the batch runner."""
