"""``vvp report`` on a callee record says who answered, not who called (architecture §2.2)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.callee_kit import Kit, ck  # noqa: F401 - fixture
from tests.recordkit import shm_dir
from vvp import clock
from vvp.callee.inputs import CalleeInput, recorded_passport_value
from vvp.fetch import RecordingFetcher
from vvp.record import Record, VerifierIdentity, open_identity
from vvp.replay import make_record
from vvp.report import build_report, render_html
from vvp.verifier import Verifier


@pytest.fixture(scope="module")
def identity() -> Iterator[VerifierIdentity]:
    with shm_dir() as d, open_identity(d / "ks", salt=b"vvp-test-callee!") as ident:
        yield ident


def _record(ck: Kit, name: str, identity: VerifierIdentity) -> Record:  # noqa: F811
    call = ck.call(name)
    ci = CalleeInput(reference_time=call.at, response=call.response.read_bytes(), invite=call.invite.read_bytes())
    rec = RecordingFetcher(ck.fetcher, clock=clock.FixedClock(call.at + _dt.timedelta(seconds=1)))
    v = Verifier(ck.trust, ck.fetcher, use_cache=False).verify_callee(ci, fetcher=rec)
    return make_record(ci, v, trust=ck.trust, events=rec.events, received_at=call.at + _dt.timedelta(seconds=2),
                       identity=identity)


def test_the_report_names_who_answered(ck: Kit, identity: VerifierIdentity, tmp_path: Path) -> None:  # noqa: F811
    rec = _record(ck, "callee-valid", identity)
    assert recorded_passport_value(rec.inputs) == ck.call("callee-valid").value
    rep = build_report(rec)
    html = render_html(rep)
    callee = ck.world.parties["callee"].aid
    assert "Who answered this call" in html and "Who was accountable for this call" not in html
    assert "Answered by" in html and callee in html
    assert "+15551230020" in html
    assert "The callee&#39;s token (PASSporT) was signed" in html or "The callee's token (PASSporT) was signed" in html
    assert rep.signer == callee and rep.dossier is not None  # the callee's own dossier, re-judged from the record
    assert "time of the answer" in html


def test_an_invalid_answer_reports_the_failing_claim(ck: Kit, identity: VerifierIdentity) -> None:  # noqa: F811
    html = render_html(build_report(_record(ck, "callee-dossier-of-another", identity)))
    assert "Who answered this call" in html and "CALLEE_DOSSIER_NOT_OWN" in html
