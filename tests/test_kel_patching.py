"""``vvp._keri.patching.CountedPatch``: a change to keri made when the first block opens and undone
when the last one closes, whatever the nesting, the threads, or an exception inside a block."""

from __future__ import annotations

import threading

import pytest

from vvp._keri.patching import CountedPatch


def test_nested_blocks_apply_once_and_restore_once() -> None:
    log: list[str] = []
    p = CountedPatch(lambda: log.append("apply"), lambda: log.append("restore"))
    with p.active():
        with p.active():
            assert log == ["apply"] and p.depth == 2
        assert log == ["apply"] and p.depth == 1
    assert log == ["apply", "restore"] and p.depth == 0


def test_an_exception_inside_a_block_still_restores() -> None:
    state = {"on": False}
    p = CountedPatch(lambda: state.update(on=True), lambda: state.update(on=False))
    with pytest.raises(RuntimeError), p.active():
        assert state["on"]
        raise RuntimeError("boom")
    assert not state["on"] and p.depth == 0


def test_threads_overlapping_keep_it_applied_until_the_last_leaves() -> None:
    state = {"on": 0, "applied": 0}

    def apply() -> None:
        state["on"] += 1
        state["applied"] += 1

    def restore() -> None:
        state["on"] -= 1

    p = CountedPatch(apply, restore)
    seen: list[int] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        with p.active():
            barrier.wait()  # all eight inside at once
            seen.append(state["on"])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [1] * 8 and state == {"on": 0, "applied": 1} and p.depth == 0
