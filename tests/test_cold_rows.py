"""The rows kept of each event keri accepted (:class:`vvp._keri.verified._RowReader`) are keri's
rows exactly as :func:`vvp._keri.verified._rows` reads them key by key, over every event of the
test world's dossiers (KELs with witnesses, delegation, TEL anchors)."""

from __future__ import annotations

from typing import Any

import pytest

from vvp._keri import dossier_ingest, verified
from vvp.testing.world import build_world


def test_reader_rows_equal_the_key_by_key_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[bool] = []
    original = verified._RowReader.rows

    def checked(self: Any, aid: str, sn: int, said: str) -> Any:
        got = original(self, aid, sn, said)
        compared.append(got == verified._rows(self._txn, self._h, aid, sn, said, None)
                        == verified._rows(self._txn, self._h, aid, sn, said, self._dups))
        return got

    monkeypatch.setattr(verified._RowReader, "rows", checked)
    w = build_world()
    known = verified.VerifiedKels()
    for d in w.dossiers.values():
        dossier_ingest.ingest([d.stream], known=known, source=d.said)
    assert len(compared) > 20 and all(compared)
    assert known.learnt > 20  # and the events were kept
