"""ACDC and schema integrity through keri: SAIDs in the received, compact and nested forms.

keri's ``SerderACDC`` checks only the top-level ``d`` over the form as received (keri-notes §2.4).
The protocol digest (vvp-protocol.md §3.6) asks for more: deployed vLEI and Provenant data compute
``d`` over the *expanded* form as sent, while the ACDC spec's "most compact form" rule computes it
with the ``a``/``e``/``r`` blocks replaced by their own SAIDs; and every expanded block that has a
``d`` must carry its own SAID, or compacting it later would change what it means. All digests are
computed by keri (``Saider``, ``SerderACDC``, ``Schemer``): nothing here re-implements CESR or
Blake3 encoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keri import kering
from keri.core import coring, eventing, scheming, serdering  # noqa: F401  (eventing first: import order)

BLOCKS: tuple[str, ...] = ("a", "e", "r")


@dataclass(frozen=True, slots=True)
class SaidCheck:
    """How an ACDC's SAIDs came out.

    ``form`` is ``received`` (``d`` is the digest of the bytes as sent), ``compact`` (``d`` is the
    digest of the most compact form) or ``none`` (neither). ``bad_blocks`` names expanded blocks
    whose own ``d`` does not recompute.
    """

    form: str
    bad_blocks: tuple[str, ...] = ()



def _said_matches(block: Mapping[str, Any], *, versioned: bool) -> bool:
    said = block.get("d")
    if not isinstance(said, str):
        return False
    try:
        saider = coring.Saider(qb64=said)
    except Exception:  # noqa: BLE001 - a malformed SAID is simply "does not match"
        return False
    return bool(saider.verify(sad=dict(block), prefixed=True, versioned=versioned, label="d"))


def compact_form(sad: Mapping[str, Any]) -> dict[str, Any]:
    """The most compact form: each expanded ``a``/``e``/``r`` block replaced by its ``d``."""
    out = dict(sad)
    for b in BLOCKS:
        blk = out.get(b)
        if isinstance(blk, Mapping) and isinstance(blk.get("d"), str):
            out[b] = blk["d"]
    return out


def check_saids(sad: Mapping[str, Any], *, received_ok: bool) -> SaidCheck:
    """Judge an ACDC's SAIDs. ``received_ok`` is keri's verdict on the received form."""
    bad = tuple(b for b in BLOCKS if isinstance(sad.get(b), Mapping) and "d" in sad[b]
                and not _said_matches(sad[b], versioned=False))
    if received_ok:
        return SaidCheck("received", bad)
    compact = compact_form(sad)
    if compact != dict(sad) and _said_matches(compact, versioned=False):
        return SaidCheck("compact", bad)
    return SaidCheck("none", bad)


def parse_unverified(raw: bytes) -> serdering.SerderACDC | None:
    """An ACDC body keri refused (its SAID does not match), read without the SAID check so that
    its claimed SAID and its compact form can be examined; None when it is not even an ACDC."""
    try:
        return serdering.SerderACDC(raw=bytearray(raw), verify=False)
    except Exception:  # noqa: BLE001 - keri raises many types for malformed bodies
        return None


def schema_said(raw: bytes) -> str | None:
    """The ``$id`` of a JSON Schema when it is the SAID of the schema (keri's ``Schemer`` checks
    it, and that the schema is a valid JSON Schema); None otherwise."""
    try:
        schemer = scheming.Schemer(raw=raw)
    except Exception:  # noqa: BLE001 - a bad schema file is just not a schema
        return None
    said = schemer.said
    return str(said) if isinstance(said, str) else None


def make_placeholder_acdc() -> bytes:
    """A syntactically valid ACDC body with a correct SAID, made by keri.

    The dossier reader puts it in front of attachments that keri left behind after refusing a
    message body, so that keri's own parser consumes exactly those attachments (and hands over
    any seal-source triple among them); it is never taken for evidence.
    """
    aid = "E" + "A" * 43
    sad = {"v": kering.versify(protocol="ACDC", kind="JSON", size=0), "d": "", "i": aid, "s": aid,
           "a": {"d": "", "note": "vvp placeholder"}}
    _, blk = coring.Saider.saidify(sad=dict(sad["a"]), label="d")
    sad["a"] = blk
    serder = serdering.SerderACDC(sad=sad, makify=True)
    return bytes(serder.raw)


