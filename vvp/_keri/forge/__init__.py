"""keri primitives that MAKE KELs, TELs, ACDCs and signatures, for test worlds and tests.

Why here: only ``vvp._keri`` may import keri, and the test worlds (``vvp.testing``) need keri to
make real key event logs, credential registries, ACDCs, signed replies and signatures. These
modules hold only those keri calls, with no knowledge of any world, scenario or cast: bytes,
qb64 text and frozen dataclasses out. What a world is made of, and why, lives in
``vvp.testing.worldgen``; nothing in the verification path imports this package.

* :mod:`.kels`: KELs made message by message (``KelFactory``), framed as keri frames a replay,
  and the signature tampering that needs keri's codecs.
"""
