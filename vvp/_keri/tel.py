"""Transaction event logs (registries, issuances, revocations) through keri's Tevery.

keri does the TEL rules (registry inception, sequence, issue-then-revoke, anchoring in the
issuer's KEL). Two things are added here:

* **Several seals per anchoring event.** keri 1.3.6 accepts a TEL event only when the KEL event
  that anchors it carries exactly one seal (``Tever.verifyAnchor``: ``len(a) != 1`` → refused;
  keri-notes §0). The KERI spec allows any number of seals in an ``ixn``/``rot``, and an issuer
  that anchors a registry and an issuance in one event is honest. While
  :func:`multi_seal_anchors` is active (only inside a dossier ingest), an anchor that keri's own
  check refuses is accepted when the same event — found in the verified KEL by keri's own
  lookups — holds a seal naming exactly this TEL event (its prefix, sn and SAID). Outside that
  context keri behaves exactly as shipped. The wrapper is installed once, idempotently.
* **History at a time.** ``Tever.vcState`` gives only the latest state; the reference-time rule
  (a revocation after the call does not invalidate it) needs every accepted TEL event with its
  ``dt`` and anchor, read back from keri's own TEL tables by :func:`accepted_tel`.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from keri.core import coring, eventing, serdering  # noqa: F401  (eventing first: import order)
from keri.db import dbing
from keri.vdr import eventing as veventing

_MULTI_SEAL: contextvars.ContextVar[bool] = contextvars.ContextVar("vvp_multi_seal_anchors", default=False)


def _sealed_in(db: Any, pre: str, serder: Any, seqner: Any, saider: Any) -> bool:
    """True when the KEL event of ``pre`` at ``seqner.sn`` is ``saider`` and one of its seals
    names ``serder`` (prefix, sn, SAID)."""
    if seqner is None or saider is None or not pre:
        return False
    dig = db.getKeLast(key=dbing.snKey(pre=pre, sn=seqner.sn))
    if not dig:
        return False
    raw = db.getEvt(key=dbing.dgKey(pre=pre, dig=bytes(dig)))
    if not raw:
        return False
    eserder = serdering.SerderKERI(raw=bytes(raw), verify=False)  # keri accepted it (kels): verified then
    if eserder.said != saider.qb64:
        return False
    seals = eserder.ked.get("a") or []
    if not isinstance(seals, list):
        return False
    ked = serder.ked
    return any(isinstance(s, dict) and s.get("i") == ked.get("i") and s.get("s") == ked.get("s")
               and s.get("d") == serder.said for s in seals)


def _install() -> None:
    original = veventing.Tever.verifyAnchor
    if getattr(original, "_vvp_multi_seal", False):
        return

    def verifyAnchor(self: Any, serder: Any, seqner: Any = None, saider: Any = None) -> bool:  # noqa: N802
        if original(self, serder, seqner=seqner, saider=saider):
            return True
        if not _MULTI_SEAL.get():
            return False
        return _sealed_in(self.db, getattr(self, "pre", None) or "", serder, seqner, saider)

    verifyAnchor._vvp_multi_seal = True  # type: ignore[attr-defined]
    veventing.Tever.verifyAnchor = verifyAnchor


_install()


@contextlib.contextmanager
def multi_seal_anchors() -> Iterator[None]:
    """Accept TEL anchors among several seals for the duration of the block (module docstring)."""
    token = _MULTI_SEAL.set(True)
    try:
        yield
    finally:
        _MULTI_SEAL.reset(token)


@dataclass(frozen=True, slots=True)
class TelEvent:
    """One TEL event keri accepted: ilk (``vcp``, ``iss``, ``rev``, ``bis``, ``brv``...), sn, SAID,
    the issuer-asserted ``dt`` (text as sent; None for registry events), the registry it names,
    and the KEL event that anchors it (sn, SAID)."""

    ilk: str
    sn: int
    said: str
    dt: str | None
    registry: str | None
    anchor_sn: int | None
    anchor_said: str | None


def _anchor(reger: Any, key: bytes) -> tuple[int | None, str | None]:
    couple = reger.getAnc(key)
    if couple is None:
        return None, None
    ancb = bytearray(couple)
    seqner = coring.Seqner(qb64b=ancb, strip=True)
    saider = coring.Saider(qb64b=ancb, strip=True)
    return int(seqner.sn), str(saider.qb64)


def accepted_tel(reger: Any, pre: str,
                 bodies: Mapping[str, tuple[str, Any, Any]] | None = None,
                 anchors: Mapping[str, tuple[int, str]] | None = None) -> tuple[TelEvent, ...]:
    """Every accepted TEL event of ``pre`` (a registry or a credential SAID), in order.

    ``bodies``: the ``(t, dt, ri)`` fields of TEL event bodies by SAID, as read when they were
    handed to keri in this ingest; an accepted event's stored body is that body (its SAID binds
    it), so it is not parsed again. ``anchors``: the anchor couple (sn, SAID) of events handed to
    keri in this ingest with that one couple only: keri stores the couple an event was accepted
    with (directly or from its escrow), so it is not read back and decoded."""
    out: list[TelEvent] = []
    sn = 0
    while sn < 1_000_000:
        dig = reger.getTel(dbing.snKey(pre, sn))
        if not dig:
            break
        key = dbing.dgKey(pre, bytes(dig))
        raw = reger.getTvt(key)
        if raw is None:
            break
        said = bytes(dig).decode()
        fields = bodies.get(said) if bodies is not None else None
        if fields is None:
            serder = serdering.SerderKERI(raw=bytes(raw), verify=False)  # keri stored it after verifying it
            ked = serder.ked
            fields, said = (ked.get("t"), ked.get("dt"), ked.get("ri")), str(serder.said)
        anchor = anchors.get(said) if anchors is not None else None
        a_sn, a_said = anchor if anchor is not None else _anchor(reger, key)
        t, dt, ri = fields
        out.append(TelEvent(ilk=str(t), sn=sn, said=said,
                            dt=dt if isinstance(dt, str) else None,
                            registry=ri if isinstance(ri, str) else None,
                            anchor_sn=a_sn, anchor_said=a_said))
        sn += 1
    return tuple(out)


def registry_issuer(reger: Any, regk: str) -> str | None:
    """The issuer AID of an accepted registry (``Tever.pre``, the ``ii`` of its ``vcp``)."""
    try:
        tever = reger.tevers[regk]
    except KeyError:
        return None
    pre = getattr(tever, "pre", None)
    return str(pre) if isinstance(pre, str) else None
