"""vvp._keri.lazylog: keri's pretty-printed bodies made only when used, and the same text when used."""

from __future__ import annotations

import logging

from keri.core import serdering

from vvp._keri.baseline import split_messages
from vvp._keri.lazylog import LazyPretty, lazy_pretty
from vvp.testing.world import WorldSpec, build_world


def _serders() -> list[serdering.SerderKERI]:
    world = build_world(WorldSpec())
    stream = world.dossiers["le"].stream
    out = [serdering.SerderKERI(raw=m.raw[:int(str(m.ked["v"])[10:16], 16)])
           for m in split_messages(stream) if str(m.ked.get("v", "")).startswith("KERI")]
    assert out
    return out


def test_same_text_in_every_use_keri_makes() -> None:
    serders = _serders()
    expected = [s.pretty() for s in serders]
    limited = [s.pretty(size=100) for s in serders]
    assert all(isinstance(x, str) for x in expected)
    with lazy_pretty():
        for s, text, short in zip(serders, expected, limited, strict=True):
            got = s.pretty()
            assert isinstance(got, LazyPretty)
            assert str(got) == text
            assert "%s" % got == text  # noqa: UP031 - keri's log arguments
            assert "{}".format(s.pretty()) == text  # noqa: UP032 - keri's exception messages
            assert f"{s.pretty()}" == text
            assert str(s.pretty(size=100)) == short
            assert repr(got) == repr(text)
    assert serders[0].pretty() == expected[0] and isinstance(serders[0].pretty(), str)  # restored


def test_log_records_read_the_same() -> None:
    serder = _serders()[0]
    logger = logging.getLogger("vvp.test.lazylog")
    logger.setLevel(logging.DEBUG)
    records: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    h = _Keep()
    logger.addHandler(h)
    try:
        logger.debug("Event Body=\n%s\n", serder.pretty())
        with lazy_pretty():
            logger.debug("Event Body=\n%s\n", serder.pretty())
    finally:
        logger.removeHandler(h)
    assert len(records) == 2 and records[0] == records[1]


def test_reentrant_and_restored() -> None:
    original = serdering.Serder.__dict__["pretty"]
    with lazy_pretty():
        with lazy_pretty():
            assert serdering.Serder.__dict__["pretty"] is not original
        assert serdering.Serder.__dict__["pretty"] is not original
    assert serdering.Serder.__dict__["pretty"] is original
