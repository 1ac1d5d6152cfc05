"""Generated KELs shared by the kel tests: built once per session with keri and fixed salts.

``world()`` returns a :class:`KelWorld` holding, per scenario, the AID and its messages (plain
values from :mod:`vvp.testing.kels`), plus the keys in force after each step, so tests compare
against what the generator really did rather than against numbers copied by hand.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from vvp.testing.kels import EventMessage, KelFactory


@dataclass
class KelWorld:
    aids: dict[str, str] = field(default_factory=dict)
    msgs: dict[str, list[EventMessage]] = field(default_factory=dict)
    chains: dict[str, list[EventMessage]] = field(default_factory=dict)
    keys: dict[str, list[list[str]]] = field(default_factory=dict)  # name -> keys after each event
    witnesses: list[str] = field(default_factory=list)
    extra: dict[str, EventMessage] = field(default_factory=dict)
    payload: bytes = b""
    payload_sigs: dict[str, bytes] = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def world() -> KelWorld:
    w = KelWorld()
    with KelFactory(seed="vvp-kel-tests") as f:
        wits = f.witnesses(4)
        w.witnesses = wits

        def track(name: str) -> None:
            w.keys.setdefault(name, []).append(f.current_keys(w.aids[name]))

        # alice: icp -> rot -> ixn (the peer bug: a rotation is signed by the NEW keys)
        a = w.aids["alice"] = f.incept("alice")
        track("alice")
        f.rotate(a)
        track("alice")
        f.interact(a)
        track("alice")
        w.extra["alice-forged-rot"] = f.forged_rotation(a)
        w.extra["alice-equivocation"] = f.equivocation(a)
        w.payload = b"eyJhbGciOiJFZERTQSJ9.eyJvcmlnIjp7InRuIjpbIjE1NTUxMjM0NTY3Il19fQ"
        w.payload_sigs["alice"] = f.sign(a, w.payload)

        # rotor: icp, ixn, rot, ixn, rot (key state at a time between rotations)
        r = w.aids["rotor"] = f.incept("rotor")
        track("rotor")
        for op in ("ixn", "rot", "ixn", "rot"):
            (f.interact if op == "ixn" else f.rotate)(r)
            track("rotor")

        # weighted: three keys of weight 1/2, then an interaction
        g = w.aids["weighted"] = f.incept("weighted", keys=3, kt=["1/2", "1/2", "1/2"])
        f.interact(g)

        # six: six keys of weight 1/2 (signature indices above 3)
        s = w.aids["six"] = f.incept("six", keys=6, kt=["1/2"] * 6)
        f.interact(s)

        # witnessed: three witnesses, toad 2, then a rotation cutting w0 and adding w3
        b = w.aids["witnessed"] = f.incept("witnessed", witnesses=wits[:3], toad=2)
        f.interact(b)
        f.rotate(b, cuts=[wits[0]], adds=[wits[3]], toad=2)
        f.interact(b)

        # delegation: a delegator with one witness, a delegate with dip, drt, ixn
        d = w.aids["delegator"] = f.incept("delegator", witnesses=wits[:1], toad=1)
        q = w.aids["delegate"] = f.incept("delegate", delegator=d, witnesses=wits[1:2], toad=1)
        f.rotate(q)
        f.interact(q)

        for name, aid in w.aids.items():
            w.msgs[name] = f.messages(aid)
            w.chains[name] = f.chain(aid)
    return w
