"""The key-state selection rules of vvp/keystate.py on hand-made event tables (no keri involved):
which event a sequence number or a time selects, and how escrowed and rejected events decide the
status and the codes."""

from __future__ import annotations

import datetime as _dt

import pytest

from vvp import codes
from vvp.keystate import (KelStream, KeyEvent, Outcome, StreamIssue, select_key_state, threshold_from_json,
                          threshold_json)
from vvp.verdict import Status

AID = "E" + "A" * 43
T0 = _dt.datetime(2025, 3, 1, tzinfo=_dt.UTC)
H = _dt.timedelta(hours=1)


def ev(sn: int, ilk: str = "ixn", *, outcome: Outcome = Outcome.ACCEPTED, code: str = codes.OK,
       first_seen: _dt.datetime | None = None, keys: tuple[str, ...] = ("Dkey",), aid: str = AID,
       delegator: str | None = None) -> KeyEvent:
    est = ilk in ("icp", "rot", "dip", "drt")
    return KeyEvent(aid=aid, sn=sn, ilk=ilk, said=f"E{ilk}{sn}{outcome.value}", prior=None,
                    keys=(tuple(f"{k}{sn}" for k in keys) if est else None), kt="1" if est else None,
                    next_digests=("Enext",) if est else None, nt="1" if est else None, toad=0 if est else None,
                    witnesses=() if est else None, cuts=(), adds=(), delegator=delegator, anchor=None, seals=(),
                    first_seen=first_seen, signatures=1, receipts=0, outcome=outcome, code=code, message="m")


def stream(*events: KeyEvent, issues: tuple[StreamIssue, ...] = ()) -> KelStream:
    aids = tuple(dict.fromkeys(e.aid for e in events))
    return KelStream(aids=aids, events=events, issues=issues, messages=len(events))


KEL = stream(ev(0, "icp", first_seen=T0), ev(1, first_seen=T0 + H), ev(2, "rot", first_seen=T0 + 2 * H),
             ev(3, first_seen=T0 + 3 * H))


def test_thresholds_round_trip() -> None:
    for j in ("1", "a", ["1/2", "1/2"], [["1/2", "1/2"], ["1"]]):
        assert threshold_json(threshold_from_json(j)) == j
    assert threshold_from_json(["1/3", "1/3"]) == ("1/3", "1/3")
    for bad in (1, None, [1, 2], {"a": 1}, [["1/2"], "1"]):
        with pytest.raises(ValueError):
            threshold_from_json(bad)


def test_latest_state_takes_keys_from_the_last_establishment_event() -> None:
    r = select_key_state(KEL)
    assert r.status is Status.VALID and r.codes == ()
    assert r.state is not None
    assert (r.state.sn, r.state.est_sn, r.state.keys) == (3, 2, ("Dkey2",))
    assert r.state.first_seen == T0 + 3 * H and r.state.est_first_seen == T0 + 2 * H
    assert r.state.single_sig


@pytest.mark.parametrize("at,sn,est", [(T0, 0, 0), (T0 + H - _dt.timedelta(microseconds=1), 0, 0), (T0 + H, 1, 0),
                                       (T0 + 2.5 * H, 2, 2), (T0 + 99 * H, 3, 2)])
def test_state_at_a_time(at: _dt.datetime, sn: int, est: int) -> None:
    r = select_key_state(KEL, at=at)
    assert r.status is Status.VALID and r.state is not None
    assert (r.state.sn, r.state.est_sn) == (sn, est)
    assert r.at == at


def test_time_rules() -> None:
    assert select_key_state(KEL, at=T0 - H).codes == (codes.KEL_BEFORE_INCEPTION,)
    with pytest.raises(ValueError):
        select_key_state(KEL, at=_dt.datetime(2025, 3, 1))
    with pytest.raises(ValueError):
        select_key_state(KEL, at=T0, sn=1)


def test_pending_event_matters_only_when_it_could_precede_the_time() -> None:
    s = stream(*KEL.events, ev(4, "rot", outcome=Outcome.ESCROWED, code=codes.KEL_ESCROW_PARTIAL_WITNESS,
                               first_seen=T0 + 4 * H))
    assert select_key_state(s).codes == (codes.KEL_ESCROW_PARTIAL_WITNESS,)
    assert select_key_state(s).status is Status.INDETERMINATE
    r = select_key_state(s, at=T0 + 3.5 * H)  # before the pending event was first seen
    assert r.status is Status.VALID and r.state is not None and r.state.sn == 3
    r = select_key_state(s, at=T0 + 4.5 * H)
    assert r.status is Status.INDETERMINATE and r.codes == (codes.KEL_ESCROW_PARTIAL_WITNESS,)
    assert select_key_state(s, sn=3).status is Status.VALID
    assert select_key_state(s, sn=4).codes == (codes.KEL_ESCROW_PARTIAL_WITNESS,)
    assert select_key_state(s, sn=5).codes == (codes.KEL_ESCROW_PARTIAL_WITNESS,)
    assert select_key_state(KEL, sn=5).codes == (codes.KEL_SN_BEYOND_KEL,)


def test_codes_name_root_causes_not_every_blocked_event() -> None:
    s = stream(ev(0, "dip", outcome=Outcome.ESCROWED, code=codes.KEL_ESCROW_MISSING_DELEGATOR),
               ev(1, outcome=Outcome.ESCROWED, code=codes.KEL_ESCROW_OUT_OF_ORDER),
               ev(2, outcome=Outcome.ESCROWED, code=codes.KEL_ESCROW_OUT_OF_ORDER))
    r = select_key_state(s)
    assert r.status is Status.INDETERMINATE and r.codes == (codes.KEL_ESCROW_MISSING_DELEGATOR,)
    assert len(r.messages) == 3
    gap = stream(ev(0, "icp"), ev(1, outcome=Outcome.ESCROWED, code=codes.KEL_ESCROW_PARTIAL_WITNESS),
                 ev(3, outcome=Outcome.ESCROWED, code=codes.KEL_ESCROW_OUT_OF_ORDER))
    assert select_key_state(gap).codes == (codes.KEL_ESCROW_PARTIAL_WITNESS, codes.KEL_ESCROW_OUT_OF_ORDER)


def test_any_rejected_event_makes_the_result_invalid_whatever_is_asked() -> None:
    s = stream(*KEL.events, ev(4, "rot", outcome=Outcome.REJECTED, code=codes.KEL_BAD_SIGNATURE, first_seen=T0 + 9 * H))
    for kw in ({}, {"sn": 1}, {"at": T0 + H}):
        r = select_key_state(s, **kw)
        assert r.status is Status.INVALID and r.codes == (codes.KEL_BAD_SIGNATURE,) and r.state is None
    doc = select_key_state(s).to_json()
    assert doc["status"] == "INVALID" and doc["keys"] is None and doc["kt"] is None and doc["sn"] is None
    assert doc["codes"] == [codes.KEL_BAD_SIGNATURE] and len(doc["events"]) == 5


def test_stream_issues() -> None:
    trunc = StreamIssue(codes.KEL_STREAM_TRUNCATED, "cut", 99)
    r = select_key_state(stream(*KEL.events, issues=(trunc,)))
    assert r.status is Status.INDETERMINATE and r.codes == (codes.KEL_STREAM_TRUNCATED,)
    junk = StreamIssue(codes.KEL_STREAM_UNREADABLE, "junk", 5)
    assert select_key_state(stream(*KEL.events, issues=(junk,))).status is Status.INVALID
    assert select_key_state(KelStream(aids=(), events=(), issues=(junk,))).codes == (codes.KEL_STREAM_UNREADABLE,)
    empty = select_key_state(KelStream(aids=(), events=()))
    assert empty.status is Status.INVALID and empty.codes == (codes.KEL_NOT_A_KEL,)
    internal = StreamIssue(codes.INTERNAL_ERROR, "boom", 0)
    assert select_key_state(KelStream(aids=(), events=(), issues=(internal,))).status is Status.INDETERMINATE


def test_aid_choice() -> None:
    other = "E" + "B" * 43
    s = stream(*KEL.events, ev(0, "icp", aid=other))
    assert select_key_state(s).codes == (codes.AMBIGUOUS_AID,)
    assert select_key_state(s).aids == (AID, other)
    assert select_key_state(s, other).status is Status.VALID
    assert select_key_state(s, "E" + "C" * 43).codes == (codes.KEL_AID_NOT_FOUND,)


def test_delegator_comes_from_the_delegated_inception() -> None:
    d = "E" + "D" * 43
    s = stream(ev(0, "dip", delegator=d), ev(1, "rot"), ev(2))
    r = select_key_state(s)
    assert r.state is not None and r.state.delegator == d and r.state.est_sn == 1
