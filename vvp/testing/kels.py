"""Deterministic KELs for tests, and the tampered variants tests need.

The KELs are keri's (:mod:`vvp._keri.forge.kels`: each AID in its own Habery with a fixed salt,
first-seen times from a fixed clock, events framed as keri frames a replay); this module is the
tests' one entry point to them, and holds the tampering that needs no keri: a body changed
under its claimed SAID, and receipts dropped. Test code only; the core never imports it.
"""

from __future__ import annotations

import json
from dataclasses import replace

# Re-exports use the "X as X" form: the tests import the whole kit from here.
from vvp._keri.forge.kels import STEP as STEP
from vvp._keri.forge.kels import T0 as T0
from vvp._keri.forge.kels import EventMessage as EventMessage
from vvp._keri.forge.kels import KelFactory as KelFactory
from vvp._keri.forge.kels import flip_receipt as flip_receipt
from vvp._keri.forge.kels import flip_signature as flip_signature
from vvp._keri.forge.kels import keep_signatures as keep_signatures
from vvp._keri.forge.kels import render as render
from vvp._keri.forge.kels import signature_indices as signature_indices


def tamper_body(m: EventMessage) -> EventMessage:
    """Change one character of the body, keeping its length and its claimed SAID: for an
    inception the first next-key digest, otherwise the prior-event digest."""
    ked = dict(json.loads(m.body))
    field = "n" if m.ilk in ("icp", "dip") else "p"
    if field == "n":
        digs = list(ked["n"])
        digs[0] = _swap_char(digs[0])
        ked["n"] = digs
    else:
        ked["p"] = _swap_char(ked["p"])
    body = json.dumps(ked, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(body) == len(m.body)
    return replace(m, body=body)


def _swap_char(text: str) -> str:
    i = len(text) // 2
    return text[:i] + ("B" if text[i] != "B" else "C") + text[i + 1:]


def keep_receipts(m: EventMessage, count: int) -> EventMessage:
    """Keep only the first ``count`` witness receipts."""
    return replace(m, wigs=m.wigs[:count])
