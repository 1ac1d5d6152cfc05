"""The one keri stream driver (vvp._keri.stream, issue 13): what it reports for one message, used
alike by the KEL verification and the dossier ingest."""

from __future__ import annotations

from typing import Any

from tests.kel_helpers import world as kel_world
from vvp._keri._store import fresh_store
from vvp._keri.stream import PLACEHOLDER_SAID, Head, StreamDriver, skip_counted_group
from vvp.testing.kels import render, tamper_body


class _Vry:
    """A ``vry`` that keeps the ACDCs keri hands over (the placeholder among them)."""

    def __init__(self) -> None:
        self.saids: list[str] = []

    def processCredential(self, creder: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N802 - keri's name
        self.saids.append(str(creder.said))


def _walk(stream: bytes, **kw: Any) -> tuple[list[tuple[int, str]], StreamDriver, int]:
    """(offset, outcome) per message, the driver, and the bytes left when the walk stopped."""
    out: list[tuple[int, str]] = []
    with fresh_store() as st:
        d = StreamDriver(kvy=st.kvy, tvy=st.tvy, vry=_Vry(), **kw)
        ims = bytearray(stream)
        for h in d.messages(ims):
            if not h.is_message:
                out.append((h.offset, "not a message"))
                break
            got = d.parse_one(ims)
            out.append((h.offset, got.kind))
            if got.kind not in ("done", "refused"):
                break
        return out, d, len(ims)


def test_each_message_alone_and_whitespace_between_them() -> None:
    msgs = kel_world().msgs["rotor"]
    stream = render(msgs)
    got, d, left = _walk(stream)
    assert [k for _, k in got] == ["done"] * len(msgs) and d.messages_seen == len(msgs) and left == 0
    assert [o for o, _ in got][0] == 0 and all(a < b for (a, _), (b, _) in zip(got, got[1:], strict=False))
    spaced = b"\n".join(render([m]) for m in msgs) + b"\n"
    got, _, left = _walk(spaced, skip_whitespace=True)
    assert [k for _, k in got] == ["done"] * len(msgs) and left == 0
    got, _, _ = _walk(spaced)  # without it, whitespace is bytes keri cannot read
    assert got[-1][1] == "not a message"


def test_a_message_cut_short_is_short() -> None:
    stream = render(kel_world().msgs["alice"])
    got, _, _ = _walk(stream[:-30])
    assert got[-1][1] == "short" and [k for _, k in got[:-1]] == ["done"] * (len(got) - 1)


def test_a_changed_body_is_refused_and_its_counted_attachments_can_be_stepped_over() -> None:
    msgs = kel_world().msgs["alice"]
    stream = render([msgs[0], tamper_body(msgs[1]), msgs[2]])
    with fresh_store() as st:
        vry = _Vry()
        d = StreamDriver(kvy=st.kvy, tvy=st.tvy, vry=vry)
        ims = bytearray(stream)
        heads: list[Head] = []
        kinds: list[str] = []
        for h in d.messages(ims):
            heads.append(h)
            if h.is_message:
                kinds.append(d.parse_one(ims).kind)
            elif skip_counted_group(ims, h.cold):
                kinds.append("skipped")
            else:
                kinds.append("stuck")
                break
        # the ixn after the changed rotation is extracted and handed over; keri escrows it (its
        # prior is missing), which the driver reports as keri raising for it
        assert kinds == ["done", "refused", "skipped", "refused"] and not ims
        # the same attachments, stepped over by keri's own parser behind a placeholder ACDC
        ims = bytearray(stream)
        for h in d.messages(ims):
            if h.is_message:
                d.parse_one(ims)
            else:
                assert d.step_over_attachments(ims).kind == "done"
        assert vry.saids == [PLACEHOLDER_SAID] and not ims


def test_the_take_hook_sees_each_message_first() -> None:
    msgs = kel_world().msgs["rotor"]
    seen: list[int] = []

    def take(ims: bytearray, h: Head) -> bool:
        seen.append(h.offset)
        if len(seen) % 2:  # every other message: dealt with, removed, never handed to keri
            del ims[:len(render([msgs[len(seen) - 1]]))]
            return True
        return False

    got, d, left = _walk(render(msgs), take=take)
    assert len(seen) == len(msgs) == d.messages_seen and left == 0
    assert [o for o, _ in got] == seen[1::2]


def _heads_equal(ims: bytes) -> None:
    """head() (with its reading of the usual version string) against keri's smell alone."""
    driver = StreamDriver(kvy=None)
    got = driver.head(bytearray(ims), 7)
    if got.error is None and got.is_message:
        ref = StreamDriver.smelled(bytearray(ims), 7, got.cold)
        assert (got.offset, got.cold, got.proto, got.size, type(got.smell_error)) == \
            (ref.offset, ref.cold, ref.proto, ref.size, type(ref.smell_error))


def test_head_reads_version_strings_as_keri_smells_them() -> None:
    from vvp.testing.world import WorldSpec, build_world

    world = build_world(WorldSpec())
    stream = world.dossiers["le"].stream
    starts = [i for i in range(len(stream)) if stream.startswith(b'{"v":"', i)]
    assert len(starts) > 20
    variants = [b'{"v":"KERI10JSON00012b_"', b'{"v":"KERI10JSON00012B_",', b'{"v":"KERI10CBOR00012b_",',
                b'{"v":"KERI20JSON00012b_",', b'{"v":"XXXX10JSON00012b_",', b'{"v":"KERIBAAJSONAAEr.",',
                b'{"v":"ACDC10JSON0001ff_","d":""}' + b" " * 40, b'{"v":"KERI10JSON00012b_']
    for i in starts:
        _heads_equal(stream[i:])
        _heads_equal(stream[i:i + 20])  # too short for keri to smell
        for v in variants:
            _heads_equal(v + stream[i + len(v):])
    for v in variants:
        _heads_equal(v)
