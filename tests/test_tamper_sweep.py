"""Tamper sweeps (issue 21): each byte of a test-world PASSporT, of the signer's KEL and of a
dossier changed, in two modes, and every outcome that is still VALID explained.

Modes: ``bit`` flips the lowest bit of the byte; ``b64`` replaces it with the next character of
the base64url alphabet (a non-alphabet byte becomes ``A``), which keeps most text parseable so
the change reaches the signature and digest checks instead of the parser.

A VALID outcome after a change is allowed only when one of these explains it:

* **unsigned attachment** (``ALLOWED_UNSIGNED``): first-seen ordinals and datetimes (``-E``),
  seal-source couples and triples (``-G``, ``-I``): keri's own bookkeeping and pointers to where
  an anchor is, not signed content (the anchor itself is found and checked in the KEL);
* **indexed-signature flag**: the first character of an indexed signature switched between
  ``A`` and ``B`` (Ed25519 "both lists" vs "current list only"); the signature bytes and the key
  index are unchanged, so it still verifies;
* **same as withheld**: the outcome equals that of the stream with the changed signature (or the
  whole changed message) removed. keri drops what does not verify and goes on; an event that is
  dropped is indistinguishable from one the host withheld, which is the independent-witnesses
  issue's subject (architecture §2.4), not a tamper that passed.

Anything else fails the test. The PASSporT and the KEL are swept in full; the dossier (40 KB,
about 50 ms a verification) is sampled with a fixed seed, ``SAMPLE_PER_KIND`` positions per region
kind (body, counter, each attachment group), so every kind is covered in CI. ``VVP_FUZZ_SCALE``
multiplies the sample; ``VVP_TAMPER_FULL=1`` sweeps every dossier byte (over an hour).
"""

from __future__ import annotations

import collections
import os
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.cesr_regions import B64, Region, kind_at, regions
from tests.fuzzkit import scale
from tests.test_dossier_checks import judge
from vvp.fetch import MapFetcher, OfflineFetcher
from vvp.kel import verify_kel
from vvp.keystate import KelResult
from vvp.trust import load_trust_store
from vvp.verdict import Status
from vvp.verifier import CallInput, Verifier
from vvp.testing.world import ServedWorld, World

MODES = ("bit", "b64")
ALLOWED_UNSIGNED = {"-E": "first-seen ordinal and datetime", "-G": "seal-source couple",
                    "-I": "seal-source triple"}
SAMPLE_PER_KIND = 24
SEED = 21


def tamper(data: bytes, pos: int, mode: str) -> bytes:
    c = data[pos]
    if mode == "bit":
        new = c ^ 0x01
    else:
        ch = chr(c)
        new = ord(B64[(B64.index(ch) + 1) % 64]) if ch in B64 else (ord("A") if ch != "A" else ord("B"))
    out = bytearray(data)
    out[pos] = new
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Explaining a VALID outcome


@dataclass(frozen=True)
class _Parsed:
    """The stream's regions, with each item's enclosing counters (for removing one item)."""

    regs: list[Region]
    messages: list[tuple[int, int]]  # [start, end) of each message with its attachments


def _parse(stream: bytes) -> _Parsed:
    regs = regions(stream)
    starts = [r.start for r in regs if r.kind.startswith("body:")] + [len(stream)]
    return _Parsed(regs, list(zip(starts[:-1], starts[1:], strict=True)))


def _without_message(stream: bytes, p: _Parsed, pos: int) -> bytes:
    for a, b in p.messages:
        if a <= pos < b:
            return stream[:a] + stream[b:]
    raise AssertionError(f"position {pos} is in no message")


def _b64(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        out = B64[n % 64] + out
        n //= 64
    return out


def _without_signature(stream: bytes, p: _Parsed, pos: int) -> bytes | None:
    """The stream with the indexed signature holding ``pos`` removed from its group (its
    counter and the enclosing attachment group's quadlet count adjusted), or None when ``pos``
    is not in a signature of a top-level ``-A``/``-B`` group inside a ``-V`` group."""
    idx = next(i for i, r in enumerate(p.regs) if r.start <= pos < r.end)
    item = p.regs[idx]
    if item.kind not in ("-A", "-B"):
        return None
    j = idx
    while p.regs[j].kind != "counter":
        j -= 1
    group = p.regs[j]
    k = j - 1
    while k >= 0 and not (p.regs[k].kind == "counter" and stream[p.regs[k].start + 1:p.regs[k].start + 2] == b"V"):
        if p.regs[k].kind.startswith("body:"):
            return None
        k -= 1
    if k < 0:
        return None
    outer = p.regs[k]
    s = stream.decode("ascii")
    count = B64.index(s[group.start + 2]) * 64 + B64.index(s[group.start + 3])
    size = item.end - item.start
    removed_quads = size // 4
    pieces = [s[:outer.start]]
    ocount = B64.index(s[outer.start + 2]) * 64 + B64.index(s[outer.start + 3])
    if count == 1:  # the group goes too
        removed_quads += 1
        pieces += [s[outer.start:outer.start + 2] + _b64(ocount - removed_quads, 2), s[outer.end:group.start],
                   s[item.end:]]
    else:
        pieces += [s[outer.start:outer.start + 2] + _b64(ocount - removed_quads, 2), s[outer.end:group.start],
                   s[group.start:group.start + 2] + _b64(count - 1, 2), s[group.end:item.start], s[item.end:]]
    return "".join(pieces).encode("ascii")


def explain(stream: bytes, p: _Parsed, pos: int, mode: str, outcome: Any,
            judge_fn: Callable[[bytes], Any]) -> str | None:
    """Why a changed stream may still be VALID (module docstring), or None: unexplained."""
    kind = kind_at(p.regs, pos)
    if kind in ALLOWED_UNSIGNED:
        return ALLOWED_UNSIGNED[kind]
    region = next(r for r in p.regs if r.start <= pos < r.end)
    if kind in ("-A", "-B") and pos == region.start and {chr(stream[pos]), chr(tamper(stream, pos, mode)[pos])} \
            <= {"A", "B"}:
        return "indexed-signature flag A/B"
    withheld = _without_signature(stream, p, pos)
    if withheld is not None and judge_fn(withheld) == outcome:
        return "same as the signature withheld"
    if judge_fn(_without_message(stream, p, pos)) == outcome:
        return "same as the message withheld"
    return None


def sweep(stream: bytes, positions: Iterable[int], judge_fn: Callable[[bytes], Any],
          is_valid: Callable[[Any], bool]) -> tuple[collections.Counter[tuple[str, str, str]], list[str]]:
    """Change each position in both modes; the tally by (kind, mode, outcome) and the failures."""
    p = _parse(stream)
    tally: collections.Counter[tuple[str, str, str]] = collections.Counter()
    unexplained: list[str] = []
    for pos in positions:
        kind = kind_at(p.regs, pos)
        for mode in MODES:
            changed = tamper(stream, pos, mode)
            outcome = judge_fn(changed)
            if not is_valid(outcome):
                tally[(kind, mode, "not VALID")] += 1
                continue
            why = explain(stream, p, pos, mode, outcome, judge_fn)
            tally[(kind, mode, f"VALID: {why}")] += 1
            if why is None:
                unexplained.append(f"{kind} byte {pos} ({mode}): {stream[max(0, pos - 20):pos + 10]!r}")
    return tally, unexplained


def _report(name: str, tally: collections.Counter[tuple[str, str, str]]) -> None:
    print(f"\n{name}:")
    for (kind, mode, what), n in sorted(tally.items()):
        print(f"  {kind:12} {mode:4} {what:40} {n}")


# ---------------------------------------------------------------------------------------------
# The signer's KEL (every byte)


def _kel_outcome(stream: bytes) -> tuple[Any, ...]:
    r: KelResult = verify_kel(stream)
    st = r.state
    return (r.status.value, None if st is None else (st.aid, st.sn, st.said, tuple(st.keys), tuple(st.witnesses)))


@pytest.mark.timeout(600)
def test_tamper_sweep_signer_kel_every_byte(world: World) -> None:
    d = world.dossiers["le"]
    kel = world.parties[d.signer].oobi
    assert _kel_outcome(kel)[0] == "VALID"
    tally, unexplained = sweep(kel, range(len(kel)), _kel_outcome, lambda o: o[0] == "VALID")
    _report(f"signer KEL, {len(kel)} bytes x {len(MODES)} modes", tally)
    assert not unexplained, "VALID after a change nothing explains:\n" + "\n".join(unexplained)
    assert sum(n for (k, _, w), n in tally.items() if w != "not VALID" and k == "body:KERI"
               and "withheld" not in w) == 0


# ---------------------------------------------------------------------------------------------
# A dossier (a stratified sample with a fixed seed)


def _dossier_positions(stream: bytes) -> list[int]:
    if os.environ.get("VVP_TAMPER_FULL") == "1":
        return list(range(len(stream)))
    regs = regions(stream)
    by_kind: dict[str, list[int]] = collections.defaultdict(list)
    for pos in range(len(stream)):
        by_kind[kind_at(regs, pos)].append(pos)
    rng = random.Random(SEED)
    per = max(1, int(SAMPLE_PER_KIND * scale()))
    out: list[int] = []
    for kind in sorted(by_kind):
        ps = by_kind[kind]
        out += sorted(rng.sample(ps, min(per, len(ps))))
    return out


@pytest.mark.timeout(900)
def test_tamper_sweep_dossier_sampled(world: World) -> None:
    d = world.dossiers["le"]

    def outcome(stream: bytes) -> tuple[Any, ...]:
        r = judge(stream, said=d.said)
        return (r.status.value, r.said, tuple(sorted(r.credentials)),
                tuple(sorted({(c.id, c.status.value, c.code) for c in r.checks})))

    assert outcome(d.stream)[0] == "VALID"
    positions = _dossier_positions(d.stream)
    tally, unexplained = sweep(d.stream, positions, outcome, lambda o: o[0] == "VALID")
    _report(f"dossier, {len(positions)} of {len(d.stream)} bytes x {len(MODES)} modes", tally)
    assert {k for k, _, _ in tally} == {r.kind for r in regions(d.stream)}  # every kind covered
    assert not unexplained, "VALID after a change nothing explains:\n" + "\n".join(unexplained)


# ---------------------------------------------------------------------------------------------
# The PASSporT (every byte, through the whole verifier, evidence from the map)


def _verifier(sw: ServedWorld) -> Verifier:
    """One verifier with its caches (KEL and dossier stay warm: each call costs the PASSporT)."""
    trust = load_trust_store(sw.files.trust)
    return Verifier(trust, MapFetcher.load(sw.files.evidence_map, OfflineFetcher()))


@pytest.mark.timeout(600)
def test_tamper_sweep_passport_every_byte(served_world: ServedWorld) -> None:
    call = served_world.call("valid")
    jws = call.passport.jws
    assert call.identity.startswith(jws)
    rest = call.identity[len(jws):]
    verifier = _verifier(served_world)

    def status(token: str) -> str:
        v = verifier.verify(CallInput(reference_time=call.at, identities=(token + rest,), orig=call.orig,
                                      dest=call.dest))
        return v.status.value

    assert status(jws) == "VALID"
    tally: collections.Counter[tuple[str, str]] = collections.Counter()
    valid_after_change: list[str] = []
    raw = jws.encode("ascii")
    for pos in range(len(raw)):
        part = ("header", "payload", "signature")[raw[:pos].count(b".")] if raw[pos:pos + 1] != b"." else "dot"
        for mode in MODES:
            changed = tamper(raw, pos, mode).decode("latin-1")
            got = status(changed)
            tally[(part, got)] += 1
            if got == Status.VALID.value:
                valid_after_change.append(f"{part} byte {pos} ({mode})")
    print(f"\nPASSporT, {len(raw)} bytes x {len(MODES)} modes: {dict(sorted(tally.items()))}")
    # A JWS is signed over header and payload, and its signature is strict canonical base64url:
    # nothing in it is unsigned, so no change may verify.
    assert not valid_after_change, valid_after_change


def test_the_region_walker_covers_the_world_streams(world: World) -> None:
    d = world.dossiers["le"]
    for stream in (d.stream, world.parties[d.signer].oobi):
        regs = regions(stream)
        assert regs[0].start == 0 and regs[-1].end == len(stream)
        assert all(a.end == b.start for a, b in zip(regs, regs[1:], strict=False))
    kinds = {r.kind for r in regions(d.stream)}
    assert {"body:KERI", "body:ACDC", "-A", "-B", "-E", "-G", "-I", "counter"} <= kinds
