"""keri primitives that MAKE KELs, TELs, ACDCs and signatures, for test worlds and tests.

Why here: only ``vvp._keri`` may import keri, and the test worlds (``vvp.testing``) need keri to
make real key event logs, credential registries, ACDCs, signed replies and signatures. These
modules hold only those keri calls, with no knowledge of any world, scenario or cast: bytes,
qb64 text and frozen dataclasses out. What a world is made of, and why, lives in
``vvp.testing.worldgen``; nothing in the verification path imports this package.

* :mod:`.generator`: parties in their own Haberies with fixed salts, witnesses and receipts,
  delegation, registries, issuance and revocation under a stopped keri clock.
* :mod:`.kels`: KELs made message by message (``KelFactory``), framed as keri frames a replay,
  and the signature tampering that needs keri's codecs.
* :mod:`.messages`: single KERI messages and stream edits (signed ``/loc/scheme`` replies,
  forked interaction events, first-seen couples, a stream split into its messages).
* :mod:`.signatures`: Ed25519 signatures with a qb64 seed, plain or CESR.
* :mod:`.schemas`: ACDC schema SAIDs (``$id``) computed and checked as keri does.
* :mod:`.acceptance`: keri's own parser and credential Verifier over a made stream, reporting
  what keri accepted (so the maker can compare it with what it meant to make).
"""
