"""Independent witnesses (issue 15, architecture §2.4): the kid and evd hosts lie, the witnesses
tell the truth, and the verdict follows the witnesses.

One world, served once for the module with every witness at its own endpoint
(``served_world(..., witnesses=True)``); each test replaces the routes it needs (a lying host, a
lagging, silent or forked witness) and puts them back. Calls are signed here (not through the
scenario table) so that a test can choose the key and the ``kid``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.recordkit import SALT, no_network, shm_dir
from tests.world_fixtures import own_world
from vvp import clock, codes
from vvp.testing.worldgen import witnesses as W
from vvp.fetch import FetchLimits, MapFetcher, OfflineFetcher, RecordingFetcher, build_fetcher
from vvp.record import open_identity
from vvp.replay import make_record, reverify
from vvp.trust import TrustStore, load_trust_store
from vvp.verdict import Status, Verdict
from vvp.verifier import CallInput, Verifier, VerifierCache
from vvp.testing.world import CALL_AT, REVOKE_AT, ROTATE_AT, Resource, ServedWorld, served_world
from vvp.testing.world.server import OOBI_TYPE

DEST = "+16135550142"


@pytest.fixture(scope="module")
def sw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedWorld]:
    with served_world(own_world(), tmp_path_factory.mktemp("witness-world"), scenarios=(), witnesses=True) as s:
        yield s


@contextlib.contextmanager
def serving(sw: ServedWorld, changes: Mapping[str, bytes | None]) -> Iterator[None]:
    """Serve other bytes at some paths (None: 404) for the duration of a test."""
    before = {p: sw.server.lookup(p) for p in changes}
    try:
        for p, body in changes.items():
            if body is None:
                sw.server.remove(p)
            else:
                old = before[p]
                sw.server.set(p, Resource(old.content_type if old else OOBI_TYPE, body,
                                          headers=old.headers if old else ()))
        yield
    finally:
        for p, old in before.items():
            if old is None:
                sw.server.remove(p)
            else:
                sw.server.set(p, old)


def trust(sw: ServedWorld, **policy: Any) -> TrustStore:
    t = load_trust_store(sw.files.trust)
    return t.with_policy(**policy) if policy else t


def call(sw: ServedWorld, *, dossier: str = "le", key_sn: int | None = None, kid: str | None = None,
         at: _dt.datetime = CALL_AT) -> CallInput:
    d = sw.world.dossiers[dossier]
    iat = int((at - _dt.timedelta(seconds=2)).timestamp())
    sp = sw.world.passport(signer=d.signer, kid=kid or sw.urls.kid(sw.world, d.signer), evd=sw.urls.evd(d.said),
                           orig=d.numbers[0], dest=DEST, iat=iat, exp=iat + 15, key_sn=key_sn,
                           card=("ORG:Acme Widgets Inc",), goal="negotiate.schedule")
    return CallInput(reference_time=at, identities=(sp.identity,), orig=d.numbers[0], dest=DEST)


def verify(sw: ServedWorld, c: CallInput, *, t: TrustStore | None = None, cache: VerifierCache | None = None,
           fetcher: Any = None) -> Verdict:
    tr = t or trust(sw)
    f = fetcher or build_fetcher(limits=FetchLimits.from_policy(tr.policy))
    return Verifier(tr, f, cache, use_cache=cache is not None).verify(c)


def checks(v: Verdict, prefix: str) -> list[Any]:
    return [c for c in v.checks if c.id.startswith(prefix)]


def codes_of(v: Verdict) -> set[str]:
    return {c.code for c in v.checks}


def kid_path(sw: ServedWorld, party: str) -> str:
    return sw.urls.kid(sw.world, party)[len(sw.server.base_url):]


def kid_body(sw: ServedWorld, party: str) -> bytes:
    res = sw.server.lookup(kid_path(sw, party))
    assert res is not None
    return res.body


def witness_paths(sw: ServedWorld, party: str) -> list[str]:
    p = sw.world.parties[party]
    return [sw.urls.witness_path(w, p.aid) for w in p.witnesses]


# --- the honest world ---------------------------------------------------------------------------

def test_honest_world_is_valid_and_every_key_state_was_compared(sw: ServedWorld) -> None:
    v = verify(sw, call(sw))
    assert v.status is Status.VALID, [c for c in v.checks if c.status.value not in ("pass", "not_applicable")]
    (v09,) = checks(v, "V-09")
    assert v09.status.value == "pass" and v09.subject == sw.world.parties["signer"].aid
    assert "2 of the quorum 2" in v09.message and sw.urls.witness(sw.world.parties["signer"].witnesses[0]) in v09.message
    issuers = {c.subject for c in checks(v, "X-WITNESS-10")}
    assert issuers >= {sw.world.parties[p].aid for p in ("le", "qvi", "carrier", "regulator", "external")}
    assert all(c.status.value == "pass" for c in checks(v, "X-WITNESS-"))


def test_witness_check_off_is_the_served_stream_alone(sw: ServedWorld) -> None:
    v = verify(sw, call(sw), t=trust(sw, witness_check="off"))
    assert v.status is Status.VALID
    assert not checks(v, "V-09") and not checks(v, "X-WITNESS-")


# --- the kid host lies ---------------------------------------------------------------------------

def test_kel_without_its_rot_is_caught_by_the_witnesses(sw: ServedWorld) -> None:
    signer = sw.world.parties["signer"]
    lying = W.without(kid_body(sw, "signer"), signer.aid, from_sn=1)
    old_key_call = call(sw, key_sn=0)
    with serving(sw, {kid_path(sw, "signer"): lying}):
        assert verify(sw, old_key_call, t=trust(sw, witness_check="off")).status is Status.VALID  # the attack, alone
        v = verify(sw, old_key_call)
    assert v.status is Status.INVALID
    v06 = next(c for c in v.checks if c.id == "V-06")
    assert v06.status.value == "fail"
    (withheld,) = checks(v, "X-WITNESS-01")
    assert withheld.code == codes.WITNESS_EVENTS_WITHHELD and "sn 1 rot" in withheld.message


def test_rot_first_seen_moved_later_counts_from_the_witnesses_time(sw: ServedWorld) -> None:
    signer = sw.world.parties["signer"]
    moved = W.moved_first_seen(kid_body(sw, "signer"), signer.aid, 1, CALL_AT + _dt.timedelta(days=30))
    between = ROTATE_AT + _dt.timedelta(days=10)  # after the true rotation, before the moved time
    old_key_call = call(sw, key_sn=0, at=between)
    with serving(sw, {kid_path(sw, "signer"): moved}):
        assert verify(sw, old_key_call, t=trust(sw, witness_check="off")).status is Status.VALID
        v = verify(sw, old_key_call)
    assert v.status is Status.INVALID
    assert next(c for c in v.checks if c.id == "V-06").status.value == "fail"
    (dis,) = checks(v, "X-WITNESS-03")
    assert dis.code == codes.WITNESS_FIRST_SEEN_DISAGREES and "sn 1" in dis.message


def test_kid_naming_a_witness_that_is_not_the_aids_is_refused(sw: ServedWorld) -> None:
    signer = sw.world.parties["signer"]
    stranger = W.stranger_seed()
    from vvp._keri.kel import is_aid

    eid = "B" + stranger[1:]  # the shape of a witness AID, but nobody's witness
    assert is_aid(eid) and eid not in signer.witnesses
    path = f"/oobi/{signer.aid}/witness/{eid}"
    with serving(sw, {path: kid_body(sw, "signer")}):
        v = verify(sw, call(sw, kid=sw.server.base_url + path))
    assert v.status is Status.INVALID
    assert codes.KID_WITNESS_NOT_OF_AID in codes_of(v)
    assert next(c for c in v.checks if c.id == "V-09").status.value == "fail"


def test_location_replies_not_signed_by_the_witness_are_not_used(sw: ServedWorld) -> None:
    signer = sw.world.parties["signer"]
    evil = sw.server.base_url + "/evil"
    lying = W.without(signer.oobi, signer.aid, from_sn=1)
    forged = b"".join(W.loc_scheme(w, evil, signer_seed=W.stranger_seed()) for w in signer.witnesses)
    honest_w0 = W.loc_scheme(signer.witnesses[0], sw.urls.witness(signer.witnesses[0]))
    edited = honest_w0.replace(sw.urls.witness(signer.witnesses[0]).encode(), evil.encode().ljust(
        len(sw.urls.witness(signer.witnesses[0])), b"x"))
    evil_paths = {f"/evil/oobi/{signer.aid}/witness/{w}": lying for w in signer.witnesses}
    before = len(sw.server.requests)
    with serving(sw, {kid_path(sw, "signer"): lying + forged, **evil_paths}):
        v = verify(sw, call(sw, key_sn=0))
    with serving(sw, {kid_path(sw, "signer"): lying + edited, **evil_paths}):
        tampered = verify(sw, call(sw, key_sn=0))
    asked = [p for _, p, _ in sw.server.requests[before:]]
    assert not any(p.startswith("/evil") for p in asked), asked
    (v09,) = checks(v, "V-09")
    assert v09.code == codes.WITNESS_CHECK_NOT_MADE and v09.status.value == "warn"
    # nobody independent was found: the served stream alone is used, and the verdict says so
    assert v.status is Status.VALID, [(c.id, c.code, c.message) for c in v.checks if c.status.value == "fail"]
    # a reply edited after it was signed changes the stream the kid host served: that stream is refused
    assert tampered.status is Status.INVALID


def test_location_reply_verification_units(sw: ServedWorld) -> None:
    from vvp.witness.endpoints import learn

    w0, w1 = sw.world.parties["signer"].witnesses[:2]
    good = W.loc_scheme(w0, "http://127.0.0.1:9/w0")
    forged = W.loc_scheme(w1, "http://127.0.0.1:9/evil", signer_seed=W.stranger_seed())
    edited = good.replace(b"127.0.0.1:9/w0", b"127.0.0.1:9/ev")
    tcp = W.loc_scheme(w1, "tcp://127.0.0.1:5632", scheme="tcp")
    d = learn(good + forged + tcp, "test")
    assert dict((k, e.url) for k, e in d.endpoints.items()) == {w0: "http://127.0.0.1:9/w0"}
    assert [r.code for r in d.rejected] == [codes.WITNESS_REPLY_UNVERIFIED]
    later = W.loc_scheme(w0, "http://127.0.0.1:9/moved", stamp=CALL_AT)
    assert learn(later + good, "test").endpoints[w0].url == "http://127.0.0.1:9/moved"  # BADA: the later dt wins
    e = learn(edited, "test")
    assert not e.endpoints and e.rejected[0].code == codes.WITNESS_REPLY_UNVERIFIED


# --- the evd host lies --------------------------------------------------------------------------

def _revoked_dossier_without_rev(sw: ServedWorld) -> tuple[str, bytes]:
    d = sw.world.dossiers["revoked"]
    cred = sw.world.credentials["dossier_revoked"]
    rev = [m for m in W.split(cred.tel) if m.ilk == "rev"]
    assert rev, "the world revokes this dossier"
    stream = d.stream.replace(rev[0].raw, b"")
    assert stream != d.stream
    return f"/dossiers/{d.said}.cesr", stream


def test_dossier_without_its_rev_is_never_valid(sw: ServedWorld) -> None:
    path, stream = _revoked_dossier_without_rev(sw)
    with serving(sw, {path: stream}):
        for policy in ({"witness_check": "off"}, {}):
            v = verify(sw, call(sw, dossier="revoked"), t=trust(sw, **policy))
            assert v.status is Status.INVALID, policy
            assert codes.TEL_EVENT_WITHHELD in codes_of(v)


def test_issuer_kel_cut_before_the_revocation_anchor_is_never_valid(sw: ServedWorld) -> None:
    path, stream = _revoked_dossier_without_rev(sw)
    le = sw.world.parties["le"]
    cred = sw.world.credentials["dossier_revoked"]
    assert cred.revoked_at is not None
    anchor_sn = next(e.sn for e in le.events if e.at == cred.revoked_at)
    cut = W.without(le.kel, le.aid, from_sn=anchor_sn)
    stream = stream.replace(le.kel, cut)
    with serving(sw, {path: stream}):
        v = verify(sw, call(sw, dossier="revoked"))
    assert v.status is Status.INVALID
    (hit,) = [c for c in checks(v, "X-WITNESS-14") if c.subject == cred.said]
    assert hit.code == codes.TEL_EVENT_WITHHELD and hit.status.value == "fail"
    assert any(c.code == codes.WITNESS_EVENTS_WITHHELD and c.subject == le.aid for c in checks(v, "X-WITNESS-11"))


# --- witnesses lag, go silent, fork -------------------------------------------------------------

def test_one_witness_lagging_is_reported_and_the_call_stays_valid(sw: ServedWorld) -> None:
    signer = sw.world.parties["signer"]
    w0 = witness_paths(sw, "signer")[0]
    lag = W.without(sw.server.lookup(w0).body, signer.aid, from_sn=1)  # type: ignore[union-attr]
    with serving(sw, {w0: lag}):
        v = verify(sw, call(sw))
    assert v.status is Status.VALID
    (lagging,) = checks(v, "X-WITNESS-02")
    assert lagging.code == codes.WITNESS_LAGGING and signer.witnesses[0] in lagging.message
    assert next(c for c in v.checks if c.id == "V-09").status.value == "pass"


def test_witnesses_unreachable_warn_when_available_and_are_indeterminate_when_required(sw: ServedWorld) -> None:
    down = {p: None for p in witness_paths(sw, "signer")}
    with serving(sw, down):
        v = verify(sw, call(sw))
        assert v.status is Status.VALID
        (v09,) = checks(v, "V-09")
        assert v09.status.value == "warn" and v09.code == codes.WITNESS_UNREACHABLE
        r = verify(sw, call(sw), t=trust(sw, witness_check="required"))
    assert r.status is Status.INDETERMINATE
    (v09,) = checks(r, "V-09")
    assert v09.status.value == "indeterminate" and v09.code == codes.WITNESS_QUORUM_NOT_MET


def test_two_witnesses_disagreeing_at_one_sn_is_duplicity(sw: ServedWorld) -> None:
    signer = sw.world.parties["signer"]
    w1 = witness_paths(sw, "signer")[1]
    icp = W.split(signer.kel)[0].raw
    fork = icp + W.forked_event(sw.world, "signer", 1, at=ROTATE_AT)
    with serving(sw, {w1: fork}):
        v = verify(sw, call(sw))
    assert v.status is Status.INVALID
    (v09,) = checks(v, "V-09")
    assert v09.code == codes.KEL_DUPLICITY and v09.status.value == "fail" and "sn 1" in v09.message
    assert next(c for c in v.checks if c.id == "V-06").code == codes.KEL_DUPLICITY


# --- offline, evidence maps, trust store witnesses ----------------------------------------------

def test_offline_verification_says_the_check_was_not_made(sw: ServedWorld) -> None:
    tr = trust(sw)
    mapped = MapFetcher.load(sw.files.evidence_map, OfflineFetcher())
    v = verify(sw, call(sw), t=tr, fetcher=mapped)
    assert v.status is Status.VALID
    (v09,) = checks(v, "V-09")
    assert v09.code == codes.WITNESS_CHECK_NOT_MADE and "not made" in v09.message
    r = verify(sw, call(sw), t=trust(sw, witness_check="required"), fetcher=mapped)
    assert r.status is Status.INDETERMINATE


def test_trust_store_witness_oobis_locate_witnesses_the_kid_host_did_not_name(sw: ServedWorld) -> None:
    signer = sw.world.parties["signer"]
    bare = W.join([m for m in W.split(kid_body(sw, "signer")) if m.ilk != "rpy"])  # no location reply
    doc = json.loads(sw.files.trust.read_text())
    doc["witnesses"] = [f"{sw.urls.witness(w)}/oobi/{w}/controller" for w in signer.witnesses]
    p = sw.files.trust.parent / "trust-witnesses.json"  # beside the world's trust store: same relative paths
    p.write_text(json.dumps(doc))
    tr = load_trust_store(p)
    with serving(sw, {kid_path(sw, "signer"): bare}):
        v = verify(sw, call(sw), t=tr)
    (v09,) = checks(v, "V-09")
    assert v09.status.value == "pass", v09.message


# --- records, replay, caches --------------------------------------------------------------------

def _record(sw: ServedWorld, c: CallInput, tr: TrustStore, cache: VerifierCache | None = None) -> Any:
    inner = build_fetcher(limits=FetchLimits.from_policy(tr.policy))
    rec_f = RecordingFetcher(inner, clock=clock.FixedClock(c.reference_time))
    v = Verifier(tr, inner, cache, use_cache=cache is not None).verify(c, fetcher=rec_f)
    with shm_dir() as ks, open_identity(ks / "keystore", salt=SALT) as ident:
        return v, make_record(c, v, trust=tr, events=rec_f.events, received_at=c.reference_time, identity=ident)


def test_records_keep_every_witness_answer_and_reverify_offline(sw: ServedWorld,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    signer = sw.world.parties["signer"]
    lying = W.without(kid_body(sw, "signer"), signer.aid, from_sn=1)
    tr = trust(sw)
    with serving(sw, {kid_path(sw, "signer"): lying}):
        v, rec = _record(sw, call(sw, key_sn=0), tr)
    assert v.status is Status.INVALID
    kinds = [e.kind.value for e in rec.evidence()]
    assert kinds.count("witness") >= 2
    with no_network(monkeypatch) as attempts:
        r = reverify(rec)
    assert attempts == []
    assert r.reproduced is True, r.differences
    assert r.recomputed_status == "INVALID"


def test_a_warm_call_asks_no_witness_and_its_record_still_holds_the_answers(sw: ServedWorld,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    tr = trust(sw)
    cache = VerifierCache()
    c = call(sw)
    verify(sw, c, t=tr, cache=cache)
    asked = cache.witnesses.fetches
    before = len([r for r in sw.server.requests if r[1].startswith("/witnesses/")])
    v, rec = _record(sw, c, tr, cache)
    assert v.status is Status.VALID
    assert cache.witnesses.fetches == asked
    assert len([r for r in sw.server.requests if r[1].startswith("/witnesses/")]) == before
    witness_events = [e for e in rec.evidence() if e.kind.value == "witness"]
    assert witness_events and all(e.fetched is not None and e.fetched.source == "cache" for e in witness_events)
    with no_network(monkeypatch):
        assert reverify(rec).reproduced is True


def test_a_record_made_before_witnesses_were_asked_replays_without_them() -> None:
    """The golden records predate this feature (their recorded policy has no witness_check): they
    replay with the witness step off and reproduce (tests/test_record_golden.py runs them all)."""
    from vvp.record import load_record
    from vvp.replay import witness_era

    rec = load_record(Path(__file__).resolve().parents[1] / "fixtures" / "records" / "valid.json")
    assert "witness_check" not in rec.trust_snapshot().store["policy"]
    t = TrustStore()
    assert t.policy.witness_check == "available"
    assert witness_era(rec.verdict, t).policy.witness_check == "off"
    with_checks = {"checks": [{"id": "V-09", "claim": "passport", "status": "pass", "code": "OK"}]}
    assert witness_era(with_checks, t).policy.witness_check == "available"


def test_revocation_time_withheld_by_the_issuer_kel_cut_matters_only_after_it(sw: ServedWorld) -> None:
    path, stream = _revoked_dossier_without_rev(sw)
    with serving(sw, {path: stream}):
        before = verify(sw, call(sw, dossier="revoked", at=REVOKE_AT - _dt.timedelta(days=1)))
    assert codes.TEL_EVENT_WITHHELD not in codes_of(before)
