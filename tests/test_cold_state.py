"""Verified key and TEL state shared across ingests (issue 22, vvp._keri.verified): same results, less keri.

Every comparison is against keri alone (``known=None``: every message judged by keri in a fresh
store). The shared state may only save work: an ingest with it gives the very same result, on the
test world's dossiers in shuffled order, on the real vLEI chain, and on the adversarial streams
the architecture names — a stream forking a KEL the state holds (duplicity: coded, the AID never
reused, nothing merged), an old event replayed with another first-seen time (the stream's own time
is reported), and a delegate arriving before, without, or after its delegator.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import random
from pathlib import Path

import pytest

from tests.kel_helpers import world as kel_world
from tests.world_fixtures import own_world
from vvp import codes
from vvp._keri import dossier_ingest as di
from vvp._keri.kel import verify_kel_stream
from vvp.testing.kels import render
from vvp._keri.verified import VerifiedKels
from vvp.keystate import Outcome, select_key_state
from vvp.verdict import Status

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _diff(a: object, b: object) -> list[str]:
    assert dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b)
    return [f.name for f in dataclasses.fields(a) if getattr(a, f.name) != getattr(b, f.name)]


def test_world_dossiers_in_shuffled_order_ingest_as_keri_alone() -> None:
    world = own_world()
    names = sorted(world.dossiers)
    random.Random(22).shuffle(names)
    vk = VerifiedKels()
    for name in names + names:  # the second time round, every key event is known
        stream = world.dossiers[name].stream
        assert _diff(di.ingest([stream]), di.ingest([stream], known=vk, source=name)) == [], name
    assert vk.learnt > 0 and vk.reused >= vk.learnt  # it was used, not merely filled
    assert vk.tels_reused > 0  # TEL events too (registries, issuances, revocations)
    assert vk.conflicts() == ()


def test_world_oobis_and_dossiers_share_one_state() -> None:
    """A KEL first seen in an OOBI (the signer's, with its delegators) is reused in a dossier, and
    the other way round, with the same results as keri alone."""
    world = own_world()
    vk = VerifiedKels()
    for p in sorted(world.parties.values(), key=lambda p: p.name):
        if p.transferable:
            assert verify_kel_stream(p.oobi) == verify_kel_stream(p.oobi, known=vk, source=p.name), p.name
    before = vk.reused
    d = world.dossiers["le"].stream
    assert _diff(di.ingest([d]), di.ingest([d], known=vk)) == []
    assert vk.reused > before


@pytest.mark.skipif(not (CORPUS / "keri").is_dir(), reason=f"needs the shared corpus at {CORPUS}")
def test_real_vlei_chain_ingests_and_key_states_as_keri_alone() -> None:
    """GLEIF Root and External, then the LE chain (which repeats External and the QVI with other
    first-seen times): identical ingests and KEL outcomes, and the corpus key states unchanged."""
    g = (CORPUS / "keri" / "gleif-root-and-external.cesr").read_bytes()
    chain = (CORPUS / "keri" / "le-vlei-chain.cesr").read_bytes()
    vk = VerifiedKels()
    for data in (g, g + chain, chain, g + chain):
        assert _diff(di.ingest([data]), di.ingest([data], known=vk)) == []
        assert verify_kel_stream(data) == verify_kel_stream(data, known=vk)
    assert vk.reused > 0 and vk.conflicts() == ()
    stream = verify_kel_stream(g + chain, known=vk)
    sns = {aid: select_key_state(stream, aid).state for aid in stream.aids}
    assert {aid[:8]: st.sn for aid, st in sns.items() if st is not None} == {
        "EDP1vHcw": 2, "EINmHd5g": 8, "ED88Jn6C": 46, "EEu5zT9C": 4}


def test_fork_of_a_known_kel_is_duplicity_never_merged() -> None:
    """A stream whose KEL forks one the state holds (another validly signed event at its last sn):
    the ingest is exactly keri's alone on that stream, the conflict is coded KEL_DUPLICITY with both
    versions' bytes, and the AID is never reused again (neither version)."""
    w = kel_world()
    msgs = w.msgs["alice"]
    fork = msgs[:-1] + [w.extra["alice-equivocation"]]
    vk = VerifiedKels()
    honest, forked = render(msgs), render(fork)
    assert verify_kel_stream(honest, known=vk, source="first") == verify_kel_stream(honest)
    got = verify_kel_stream(forked, known=vk, source="second")
    assert got == verify_kel_stream(forked)
    (c,) = vk.conflicts()
    assert (c.aid, c.sn, c.code) == (w.aids["alice"], msgs[-1].sn, codes.KEL_DUPLICITY)
    assert {c.known_said, c.new_said} == {msgs[-1].said, fork[-1].said}
    assert (c.known_source, c.new_source) == ("first", "second") and c.known_message and c.new_message
    assert vk.conflicted(w.aids["alice"]) and all(not vk.lookup(m.said) for m in msgs)
    reused = vk.reused
    assert verify_kel_stream(honest, known=vk) == verify_kel_stream(honest)  # judged by keri again
    assert _diff(di.ingest([honest]), di.ingest([honest], known=vk)) == []
    assert vk.reused == reused


def test_fork_in_a_dossier_ingest_is_kept_apart_too() -> None:
    w = kel_world()
    msgs = w.msgs["alice"]
    vk = VerifiedKels()
    assert _diff(di.ingest([render(msgs)]), di.ingest([render(msgs)], known=vk)) == []
    forked = render(msgs[:-1] + [w.extra["alice-equivocation"]])
    assert _diff(di.ingest([forked]), di.ingest([forked], known=vk)) == []
    assert [c.code for c in vk.conflicts()] == [codes.KEL_DUPLICITY]


def test_old_event_replayed_with_another_first_seen_time() -> None:
    """The same events served with other -E first-seen times: the known events are reused (keri
    does not read those attachments), and the times reported are this stream's own, never the
    times the state first saw; the key state at a time follows them."""
    w = kel_world()
    msgs = w.msgs["rotor"]
    later = [dataclasses.replace(m, first_seen=m.first_seen + _dt.timedelta(days=30)) if m.first_seen else m
             for m in msgs]
    vk = VerifiedKels()
    first = verify_kel_stream(render(msgs), known=vk)
    reused = vk.reused
    got = verify_kel_stream(render(later), known=vk)
    assert got == verify_kel_stream(render(later))
    assert vk.reused == reused + len(msgs)  # every event reused...
    times = [e.first_seen for e in got.events_of(w.aids["rotor"])]
    assert times == [m.first_seen for m in later] != [e.first_seen for e in first.events_of(w.aids["rotor"])]
    last = msgs[-1].first_seen
    assert last is not None
    at = last + _dt.timedelta(hours=1)  # after the last event as first served
    st = select_key_state(first, w.aids["rotor"], at=at).state
    assert st is not None and st.sn == msgs[-1].sn
    assert select_key_state(got, w.aids["rotor"], at=at).status is not Status.VALID  # none first seen yet
    assert _diff(di.ingest([render(later)]), di.ingest([render(later)], known=vk)) == []


def test_malformed_first_seen_time_goes_to_keri() -> None:
    """Only a well-formed first-seen couple may differ; anything else is keri's to judge."""
    w = kel_world()
    msgs = w.msgs["alice"]
    vk = VerifiedKels()
    stream = render(msgs)
    verify_kel_stream(stream, known=vk)
    at = stream.find(b"1AAG") + 4
    bad = stream[:at] + b"X" + stream[at + 1:]
    reused = vk.reused
    assert verify_kel_stream(bad, known=vk) == verify_kel_stream(bad)
    assert vk.reused == reused + len(msgs) - 1  # the altered message was not taken


def test_delegate_without_its_delegator_is_not_taken_from_the_state() -> None:
    """The state knows the delegate and its delegator; a stream with the delegate alone must stay
    what keri makes of it (waiting for its delegator), not a KEL completed from memory."""
    w = kel_world()
    full, alone = w.chains["delegate"], w.msgs["delegate"]
    vk = VerifiedKels()
    verify_kel_stream(render(full), known=vk)
    got = verify_kel_stream(render(alone), known=vk)
    assert got == verify_kel_stream(render(alone))
    assert not got.accepted(w.aids["delegate"])
    assert any(e.code == codes.KEL_ESCROW_MISSING_DELEGATOR for e in got.events_of(w.aids["delegate"]))
    assert _diff(di.ingest([render(alone)]), di.ingest([render(alone)], known=vk)) == []


@pytest.mark.parametrize("order", ["delegate-first", "delegate-then-delegator-later-stream"])
def test_delegators_kel_arriving_later(order: str) -> None:
    """The delegate before its delegator (in one stream, or in an earlier stream): keri escrows
    it and accepts it once the delegator is there, with or without the shared state."""
    w = kel_world()
    delegator, delegate = w.msgs["delegator"], w.msgs["delegate"]
    vk = VerifiedKels()
    if order == "delegate-first":
        verify_kel_stream(render(delegator + delegate), known=vk)  # the state knows both
        stream = render(delegate + delegator)
        got = verify_kel_stream(stream, known=vk)
        assert got == verify_kel_stream(stream)
        assert got.accepted(w.aids["delegate"])
        assert _diff(di.ingest([stream]), di.ingest([stream], known=vk)) == []
    else:
        alone = render(delegate)
        assert verify_kel_stream(alone, known=vk) == verify_kel_stream(alone)  # nothing of it is kept
        assert not any(vk.lookup(m.said) for m in delegate)
        both = render(delegator + delegate)
        got = verify_kel_stream(both, known=vk)
        assert got == verify_kel_stream(both) and got.accepted(w.aids["delegate"])
        assert all(vk.lookup(m.said) for m in delegate)  # now kept, from the stream that proved it


def test_event_not_on_the_known_prior_goes_to_keri() -> None:
    """A known event arriving where keri did not accept it (out of order) is keri's to judge."""
    w = kel_world()
    msgs = w.msgs["rotor"]
    vk = VerifiedKels()
    verify_kel_stream(render(msgs), known=vk)
    shuffled = render([msgs[0], msgs[2], msgs[1], *msgs[3:]])
    got = verify_kel_stream(shuffled, known=vk)
    assert got == verify_kel_stream(shuffled)
    assert _diff(di.ingest([shuffled]), di.ingest([shuffled], known=vk)) == []


def test_tampered_copies_of_known_events_are_judged_by_keri() -> None:
    """A known event whose signature or receipt was altered is not the known message: keri judges
    it, and the tampering is reported exactly as without the state."""
    from vvp.testing.kels import flip_receipt, flip_signature

    w = kel_world()
    msgs = w.msgs["witnessed"]
    vk = VerifiedKels()
    verify_kel_stream(render(msgs), known=vk)
    for bad in (flip_signature(msgs[1]), flip_receipt(msgs[1])):
        stream = render([msgs[0], bad, *msgs[2:]])
        got = verify_kel_stream(stream, known=vk)
        assert got == verify_kel_stream(stream)
        assert any(e.outcome is not Outcome.ACCEPTED or e.code != codes.OK for e in got.events)
        assert _diff(di.ingest([stream]), di.ingest([stream], known=vk)) == []


def test_state_is_bounded() -> None:
    world = own_world()
    vk = VerifiedKels(max_events=10)
    for name in sorted(world.dossiers):
        stream = world.dossiers[name].stream
        assert _diff(di.ingest([stream]), di.ingest([stream], known=vk)) == []
        assert len(vk) <= 10


def test_pooled_stores_come_back_empty() -> None:
    """A store a long-lived verifier gives back is emptied before anyone else gets it: every
    database of keri's two environments (its version record aside) and keri's in-memory caches."""
    from vvp._keri._store import fresh_store

    stream = own_world().dossiers["le"].stream
    with fresh_store(reusable=True) as st:
        path = st.path
        st.parser().parse(ims=bytearray(stream))  # fill it with everything keri keeps
        assert dict(st.db._kevers) and dict(st.reger._tevers)
    with fresh_store(reusable=True) as st:
        assert st.path == path  # the same store, emptied
        for env in (st.db.env, st.reger.env):
            with env.begin() as txn:
                names = [bytes(k) for k, _ in txn.cursor()]
                sizes = {n: txn.stat(env.open_db(n, txn=txn))["entries"] for n in names if n != b"__version__"}
            assert sizes and not any(sizes.values()), {n: c for n, c in sizes.items() if c}
        assert not dict(st.db._kevers) and not dict(st.reger._tevers) and not st.db.prefixes
        assert _diff(di.ingest([stream]), di.ingest([stream], known=VerifiedKels())) == []


def test_a_failed_verification_does_not_give_its_store_back() -> None:
    from vvp._keri._store import fresh_store

    with pytest.raises(RuntimeError), fresh_store(reusable=True) as st:
        path = st.path
        raise RuntimeError("a fault inside the verification")
    assert not Path(path).exists()


def test_tel_events_reused_only_on_their_registry_and_anchor() -> None:
    """A credential's issuance known from one dossier is taken in another only where keri would
    accept it: its registry and the issuer's sealing event are there. A dossier that withholds the
    registry (or the issuer's KEL) stays what keri makes of it."""
    world = own_world()
    vk = VerifiedKels()
    le = world.dossiers["le"]
    di.ingest([le.stream], known=vk)
    creds = [world.credentials[n] for n in le.credentials]
    cred = next(c for c in creds if c.tel)
    registry = world.registries[cred.issuer_party]
    no_registry = le.stream.replace(registry.tel, b"")
    no_issuer_kel = le.stream.replace(world.parties[cred.issuer_party].kel, b"")
    for stream in (no_registry, no_issuer_kel, le.stream):
        reused = vk.tels_reused
        assert _diff(di.ingest([stream]), di.ingest([stream], known=vk)) == []
        if stream is le.stream:
            assert vk.tels_reused > reused
