"""Dossier checks (issue 6), named after the requirement ids of vvp-protocol.md §8.3 and §8.6.

Each negative test asserts the failing check's id and code next to a positive control over the
same evidence. The realistic dossiers come from the shared test world (``vvp.testing.world``); the
credentials no honest issuer makes come from the mini world of ``test_dossier_gen``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
from typing import Any

import pytest

from tests.fetchkit import CountingFetcher
from tests.test_dossier_gen import CALL_AT as MINI_CALL_AT
from tests.test_dossier_gen import EPOCH as MINI_EPOCH
from tests.test_dossier_gen import REVOKE_AT as MINI_REVOKE_AT
from tests.test_dossier_gen import Mini, mini, schema_fetcher
from vvp import codes
from vvp.dossier import (
    DossierCache,
    DossierPolicy,
    DossierResult,
    verify_dossier,
    verify_dossier_stream,
)
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, Fetched, MemoryFetcher
from vvp.verdict import Check, CheckStatus, Status
from vvp.testing.world import CALL_AT, REVOKE_AT, World, build_world


@functools.cache
def world() -> World:
    return build_world()


def world_policy(w: World, **kw: Any) -> DossierPolicy:
    base: dict[str, Any] = {"roots": {q: frozenset({w.root_aid(q)}) for q in ("identity", "tn", "brand")},
                            "schema_roles": dict(w.schema_roles), "min_issuer_witnesses": 1}
    base.update(kw)
    return DossierPolicy(**base)


def world_fetcher(w: World, extra: dict[str, tuple[str, bytes]] | None = None) -> MemoryFetcher:
    items = {f"said:{s}": ("application/schema+json", raw) for s, raw in w.schemas.items()}
    items.update(extra or {})
    return MemoryFetcher(items)


def judge(stream: bytes, *, said: str | None, at: _dt.datetime = CALL_AT, policy: DossierPolicy | None = None,
          fetcher: Any = None) -> DossierResult:
    w = world()
    return verify_dossier_stream(stream, reference_time=at, policy=policy or world_policy(w), expected_said=said,
                                 fetcher=fetcher if fetcher is not None else world_fetcher(w))


def mjudge(m: Mini, *creds: str, root: str | None = None, at: _dt.datetime = MINI_CALL_AT, fetcher: Any = None,
           **pol: Any) -> DossierResult:
    return verify_dossier_stream(m.dossier(*creds), reference_time=at, policy=m.policy(**pol),
                                 expected_said=m.saids[root or creds[-1]],
                                 fetcher=fetcher if fetcher is not None else schema_fetcher(m))


def check(r: DossierResult, id_: str, subject: str | None) -> Check:
    found = [c for c in r.checks if c.id == id_ and c.subject == subject]
    assert found, f"no {id_} check for {subject}: {[c.to_json() for c in r.checks]}"
    return found[0]


def not_passing(r: DossierResult) -> list[dict[str, Any]]:
    return [c.to_json() for c in r.checks if c.status not in (CheckStatus.PASS, CheckStatus.WARN,
                                                               CheckStatus.NOT_APPLICABLE)]


def assert_valid(r: DossierResult) -> None:
    assert r.status is Status.VALID, not_passing(r)


def flip(stream: bytes, inside: bytes, needle: bytes) -> bytes:
    """Change one byte of ``needle`` within the first occurrence of ``inside`` in ``stream``."""
    start = stream.index(inside)
    i = stream.index(needle, start, start + len(inside)) + len(needle) // 2
    b = bytearray(stream)
    b[i] = ord("Z") if b[i] != ord("Z") else ord("Y")
    return bytes(b)


# --- the positive controls ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["le", "acting"])
def test_world_dossiers_are_valid(name: str) -> None:
    w = world()
    d = w.dossiers[name]
    r = judge(d.stream, said=d.said)
    assert_valid(r)
    assert r.said == d.said
    assert set(r.credentials) == {w.credentials[c].said for c in d.credentials}
    assert all(c.state == "issued" for c in r.credentials.values())
    root = r.root
    assert root is not None and root.issuer == w.parties[d.ap].aid and root.issuee is None
    assert {lbl for _, lbl in r.credentials[w.credentials[d.credentials[0]].said].cited_as} <= {
        "vetting", "alloc", "tnalloc", "delsig", "bownr", "qvi", "issuer"}


# --- V-08 issuance ----------------------------------------------------------------------------


def test_V_08_forged_issuer_from_attackers_registry() -> None:
    m = mini()
    assert_valid(mjudge(m, "qvi", "vetting"))
    r = mjudge(m, "qvi", "forged")
    c = check(r, "V-08", m.saids["forged"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ACDC_ISSUER_NOT_REGISTRY_ISSUER)
    assert m.aids["qvi"] in c.message and m.aids["rogue"] in c.message
    assert r.status is Status.INVALID


def test_V_08_issuance_anchor_must_be_in_the_issuers_kel() -> None:
    m = mini()
    tel = m.streams["tel:i2i_ok"]
    i = tel.index(b"-GAB") + 4 + 24  # the couple: -GAB, Seqner (24), Saider (44)
    wrong = m.aids["le"].encode()  # the SAID of le's inception, another event of its KEL
    forged_tel = tel[:i] + wrong + tel[i + 44:]
    stream = m.dossier("qvi", "vetting", "i2i_ok").replace(tel, forged_tel)
    r = verify_dossier_stream(stream, reference_time=MINI_CALL_AT, policy=m.policy(),
                              expected_said=m.saids["i2i_ok"], fetcher=schema_fetcher(m))
    c = check(r, "V-08", m.saids["i2i_ok"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ISSUANCE_NOT_ANCHORED)


def test_V_08_issuance_missing_is_indeterminate() -> None:
    m = mini()
    stream = m.dossier("qvi", "vetting", "i2i_ok").replace(m.streams["tel:i2i_ok"], b"")
    r = verify_dossier_stream(stream, reference_time=MINI_CALL_AT, policy=m.policy(),
                              expected_said=m.saids["i2i_ok"], fetcher=schema_fetcher(m))
    c = check(r, "V-08", m.saids["i2i_ok"])
    assert (c.status, c.code) == (CheckStatus.INDETERMINATE, codes.ISSUANCE_UNAVAILABLE)
    assert r.status is Status.INDETERMINATE


def test_V_08_issued_after_the_reference_time() -> None:
    m = mini()
    r = mjudge(m, "i2i_ok", "qvi", "vetting", root="i2i_ok", at=MINI_EPOCH)
    c = check(r, "V-08", m.saids["i2i_ok"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ISSUED_AFTER_REFERENCE)
    assert r.credentials[m.saids["i2i_ok"]].state == "unknown"


def test_V_08_anchor_among_several_seals_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    """keri 1.3.6 refuses a TEL event whose anchoring KEL event has more than one seal; vvp does not."""
    m = mini()
    assert_valid(mjudge(m, "multiseal"))
    import contextlib

    from vvp._keri import tel
    monkeypatch.setattr(tel, "multi_seal_anchors", contextlib.nullcontext)
    r = mjudge(m, "multiseal")
    c = check(r, "V-08", m.saids["multiseal"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ISSUANCE_NOT_ANCHORED)


def test_V_08_key_state_at_issuance_survives_later_rotation() -> None:
    """The issuers ``le`` and ``qvi`` rotate their keys after issuing: what counts is the key state
    that anchored each issuance, so the credentials stay VALID after the rotations."""
    from tests.test_dossier_gen import ROTATE_AT
    m = mini()
    for party in ("le", "qvi"):
        assert b'"t":"rot"' in m.streams[f"kel:{party}"]
    r = mjudge(m, "qvi", "vetting", "i2i_ok", at=MINI_CALL_AT)
    assert_valid(r)
    assert MINI_CALL_AT > ROTATE_AT
    c = check(r, "V-08", m.saids["i2i_ok"])
    assert "anchored at sn" in c.message


# --- V-09 / V-27 witnesses --------------------------------------------------------------------


def test_V_27_issuer_under_witness_minimum() -> None:
    w = world()
    d = w.dossiers["le"]
    assert_valid(judge(d.stream, said=d.said, policy=world_policy(w, min_issuer_witnesses=3)))
    r = judge(d.stream, said=d.said, policy=world_policy(w, min_issuer_witnesses=4))
    c = check(r, "V-27", d.said)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ISSUER_TOO_FEW_WITNESSES)
    assert "3 witness" in c.message and "min_issuer_witnesses is 4" in c.message


def test_V_27_witnessless_issuer() -> None:
    m = mini()
    assert_valid(mjudge(m, "lonely_cred", min_issuer_witnesses=0))
    r = mjudge(m, "lonely_cred")
    c = check(r, "V-27", m.saids["lonely_cred"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ISSUER_TOO_FEW_WITNESSES)


def _drop_receipts(kel: bytes, keep: int) -> bytes:
    """The issuer's inception with only ``keep`` witness receipts: its attachment group and the
    witness-signature counter re-encoded by keri's own Counter (each receipt is 88 characters)."""
    from keri import core, kering
    v1 = kering.Vrsn_1_0
    i = kel.index(b"}-V") + 1
    grp = core.Counter(qb64b=kel[i:i + 4], gvrsn=v1)
    j = kel.index(b"-B", i)
    wig = core.Counter(qb64b=kel[j:j + 4], gvrsn=v1)
    cut = (wig.count - keep) * 88
    new_grp = bytes(core.Counter(code=grp.code, count=grp.count - cut // 4, gvrsn=v1).qb64b)
    new_wig = bytes(core.Counter(code=wig.code, count=keep, gvrsn=v1).qb64b)
    n = int(wig.count)
    return kel[:i] + new_grp + kel[i + 4:j] + new_wig + kel[j + 4:j + 4 + keep * 88] + kel[j + 4 + n * 88:]


def test_V_09_under_witnessed_issuer_kel_is_indeterminate() -> None:
    """Receipts below the issuer's witness threshold: keri escrows its KEL; nothing is proven."""
    m = mini()
    kel = m.streams["kel:le"]
    stream = m.dossier("qvi", "vetting", "i2i_ok")
    assert_valid(verify_dossier_stream(stream.replace(kel, _drop_receipts(kel, 3)), reference_time=MINI_CALL_AT,
                                       policy=m.policy(), expected_said=m.saids["i2i_ok"], fetcher=schema_fetcher(m)))
    r = verify_dossier_stream(stream.replace(kel, _drop_receipts(kel, 1)), reference_time=MINI_CALL_AT,
                              policy=m.policy(), expected_said=m.saids["i2i_ok"], fetcher=schema_fetcher(m))
    c = check(r, "V-08", m.saids["i2i_ok"])
    assert (c.status, c.code) == (CheckStatus.INDETERMINATE, codes.ISSUER_KEL_UNVERIFIED)
    assert "MissingWitnessSignatureError" in c.message or "under" in c.message or "escrow" in c.message
    assert r.status is Status.INDETERMINATE


def test_V_09_altered_witness_receipt_is_invalid() -> None:
    """One of three receipts altered: keri still accepts the event (toad 2 is met) and drops the bad
    receipt silently; vvp reports the altered evidence."""
    m = mini()
    kel = m.streams["kel:le"]
    j = kel.index(b"-BAD")
    k = j + 4 + 88 + 40
    bad_kel = kel[:k] + (b"A" if kel[k:k + 1] != b"A" else b"B") + kel[k + 1:]
    stream = m.dossier("qvi", "vetting", "i2i_ok").replace(kel, bad_kel)
    r = verify_dossier_stream(stream, reference_time=MINI_CALL_AT, policy=m.policy(),
                              expected_said=m.saids["i2i_ok"], fetcher=schema_fetcher(m))
    c = check(r, "V-08", m.saids["i2i_ok"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ISSUER_KEL_INVALID)
    assert "do not verify" in c.message


# --- V-10 schema ------------------------------------------------------------------------------


def test_V_10_credential_not_conforming_to_its_schema() -> None:
    m = mini()
    r = mjudge(m, "qvi", "nonconforming")
    c = check(r, "V-10", m.saids["nonconforming"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.SCHEMA_VALIDATION_FAILED)
    assert check(mjudge(m, "qvi", "vetting"), "V-10", m.saids["vetting"]).status is CheckStatus.PASS


def test_V_10_schema_unavailable_is_indeterminate() -> None:
    m = mini()
    r = mjudge(m, "qvi", "vetting", "i2i_ok", fetcher=MemoryFetcher({}))
    c = check(r, "V-10", m.saids["i2i_ok"])
    assert (c.status, c.code) == (CheckStatus.INDETERMINATE, codes.SCHEMA_UNAVAILABLE)
    # the project's own schemas ship with the package: found without any folder or map
    assert check(r, "V-10", m.saids["vetting"]).status is CheckStatus.PASS


def test_V_10_validator_compiled_once_per_schema() -> None:
    from vvp.dossier import schemas as dossier
    m = mini()
    mjudge(m, "qvi", "vetting")
    v1 = dossier._SCHEMAS.fast[m.schema["vetting"]]  # a conforming credential: the compiled fast path
    assert v1 is not None
    mjudge(m, "qvi", "vetting", "i2i_ok", root="i2i_ok")
    assert dossier._SCHEMAS.fast[m.schema["vetting"]] is v1
    n = dossier.schema_compilations()
    mjudge(m, "qvi", "vetting", "i2i_ok", root="i2i_ok")
    assert dossier.schema_compilations() == n  # a warm call compiles nothing
    mjudge(m, "qvi", "nonconforming")  # a failure is worded by jsonschema's validator, compiled once
    p1 = dossier._SCHEMAS.validators[m.schema["vetting"]]
    mjudge(m, "qvi", "nonconforming")
    assert dossier._SCHEMAS.validators[m.schema["vetting"]] is p1


# --- V-11 / V-12 roots ------------------------------------------------------------------------


def test_V_11_untrusted_identity_root() -> None:
    w = world()
    d = w.dossiers["le"]
    vetting = w.credentials["le_vetting"].said
    good = judge(d.stream, said=d.said)
    assert check(good, "V-11", vetting).status is CheckStatus.PASS
    roots = {"identity": frozenset({w.parties["rogue"].aid}), "tn": frozenset({w.root_aid("tn")}),
             "brand": frozenset({w.root_aid("brand")})}
    r = judge(d.stream, said=d.said, policy=world_policy(w, roots=roots))
    c = check(r, "V-11", vetting)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.CHAIN_UNTRUSTED_ROOT)
    assert r.status is Status.INVALID


def test_V_11_delegate_of_identity_root_counts() -> None:
    """The QVI credential is issued by ``external``, a KERI delegate of the identity root."""
    w = world()
    d = w.dossiers["le"]
    qvi = w.credentials["qvi"]
    assert qvi.issuer == w.parties["external"].aid
    c = check(judge(d.stream, said=d.said), "V-11", qvi.said)
    assert c.status is CheckStatus.PASS and w.parties["external"].aid in c.message


def test_V_11_untrusted_tn_root() -> None:
    w = world()
    d = w.dossiers["le"]
    tn = w.credentials["tn_le"].said
    assert check(judge(d.stream, said=d.said), "V-11", tn).status is CheckStatus.PASS
    roots = {"identity": frozenset({w.root_aid("identity")}), "tn": frozenset({w.parties["rogue"].aid}),
             "brand": frozenset({w.root_aid("brand")})}
    r = judge(d.stream, said=d.said, policy=world_policy(w, roots=roots))
    c = check(r, "V-11", tn)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.CHAIN_UNTRUSTED_ROOT)


def test_V_12_identity_root_not_accepted_as_tn_root() -> None:
    w = world()
    d = w.dossiers["le"]
    tn = w.credentials["tn_le"].said
    roots = {"identity": frozenset({w.root_aid("identity"), w.root_aid("tn")}),
             "tn": frozenset({w.parties["rogue"].aid}), "brand": frozenset({w.root_aid("brand")})}
    r = judge(d.stream, said=d.said, policy=world_policy(w, roots=roots))
    c = check(r, "V-12", tn)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ROOT_WRONG_QUESTION)
    assert check(r, "V-12", w.credentials["le_vetting"].said).status is CheckStatus.PASS


def test_V_12_no_roots_configured_is_indeterminate() -> None:
    w = world()
    d = w.dossiers["le"]
    r = judge(d.stream, said=d.said, policy=world_policy(w, roots={}))
    c = check(r, "V-12", w.credentials["le_vetting"].said)
    assert (c.status, c.code) == (CheckStatus.INDETERMINATE, codes.ROOTS_NOT_CONFIGURED)
    assert r.status is Status.INDETERMINATE


# --- V-13 edges -------------------------------------------------------------------------------


def test_V_13_edge_schema_does_not_match_target() -> None:
    m = mini()
    assert_valid(mjudge(m, "qvi", "vetting", "i2i_ok"))
    r = mjudge(m, "qvi", "vetting", "bad_s")
    c = check(r, "V-13", m.saids["bad_s"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.EDGE_SCHEMA_MISMATCH)


def test_V_13_I2I_broken() -> None:
    m = mini()
    assert check(mjudge(m, "qvi", "vetting", "i2i_ok"), "V-13", m.saids["i2i_ok"]).status is CheckStatus.PASS
    c = check(mjudge(m, "qvi", "vetting", "i2i_bad"), "V-13", m.saids["i2i_bad"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.EDGE_I2I_VIOLATION)


def test_V_13_DI2I_delegate_of_issuee() -> None:
    m = mini()
    ok = mjudge(m, "qvi", "vetting", "di2i_ok")
    assert_valid(ok)
    c = check(mjudge(m, "qvi", "vetting", "di2i_bad"), "V-13", m.saids["di2i_bad"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.EDGE_DI2I_VIOLATION)


def test_V_13_unknown_operator_and_missing_s() -> None:
    m = mini()
    c = check(mjudge(m, "qvi", "vetting", "bad_op"), "V-13", m.saids["bad_op"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.EDGE_UNKNOWN_OPERATOR)
    c = check(mjudge(m, "qvi", "vetting", "no_s"), "V-13", m.saids["no_s"])
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.EDGE_MALFORMED)


def test_V_13_compacted_target_is_indeterminate() -> None:
    m = mini()
    r = mjudge(m, "compact_sent", "cites_compact")
    c = check(r, "V-13", m.saids["cites_compact"])
    assert (c.status, c.code) == (CheckStatus.INDETERMINATE, codes.ACDC_COMPACTED)
    assert r.status is Status.INDETERMINATE
    assert r.credentials[m.saids["compact_sent"]].attributes is None


# --- V-14 revocation --------------------------------------------------------------------------


def test_V_14_revoked_before_call() -> None:
    w = world()
    d = w.dossiers["revoked_tn"]
    tn = w.credentials["tn_le_revoked"].said
    r = judge(d.stream, said=d.said, at=CALL_AT)
    c = check(r, "V-14", tn)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.CREDENTIAL_REVOKED)
    assert r.credentials[tn].state == "revoked" and r.status is Status.INVALID


def test_V_14_revoked_after_call_does_not_invalidate() -> None:
    w = world()
    d = w.dossiers["revoked_tn"]
    tn = w.credentials["tn_le_revoked"].said
    r = judge(d.stream, said=d.said, at=REVOKE_AT - _dt.timedelta(days=1))
    assert_valid(r)
    c = check(r, "V-14", tn)
    assert c.status is CheckStatus.PASS and "revoked later" in c.message
    assert r.credentials[tn].state == "issued"


def test_V_14_revoked_dossier() -> None:
    w = world()
    d = w.dossiers["revoked"]
    c = check(judge(d.stream, said=d.said), "V-14", d.said)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.CREDENTIAL_REVOKED)


def test_V_14_revocation_time_is_the_anchor_first_seen_or_dt() -> None:
    m = mini()
    assert_valid(mjudge(m, "revocable", at=MINI_REVOKE_AT - _dt.timedelta(seconds=1)))
    r = mjudge(m, "revocable", at=MINI_REVOKE_AT)
    assert check(r, "V-14", m.saids["revocable"]).code == codes.CREDENTIAL_REVOKED


# --- V-07 caching -----------------------------------------------------------------------------


def test_V_07_dossier_validation_cached_by_said() -> None:
    w = world()
    d = w.dossiers["revoked_tn"]
    url = f"https://carrier.example/dossiers/{d.said}.cesr"
    f = CountingFetcher(world_fetcher(w, {url: ("application/cesr", d.stream)}))
    cache = DossierCache()
    pol = world_policy(w)
    before = REVOKE_AT - _dt.timedelta(days=2)
    r1 = verify_dossier(url, fetcher=f, reference_time=before, policy=pol, cache=cache)
    r2 = verify_dossier(url, fetcher=f, reference_time=before + _dt.timedelta(hours=1), policy=pol, cache=cache)
    assert r1.status is r2.status is Status.VALID
    assert f.calls.count(url) == 1 and cache.fetches == 1
    assert cache.ingest_runs == 1 and cache.evaluations == 1  # same SAID, same interval: nothing redone
    r3 = verify_dossier(url, fetcher=f, reference_time=CALL_AT, policy=pol, cache=cache)
    assert r3.status is Status.INVALID  # a revocation lies between: judged again, from the cached ingest
    assert cache.ingest_runs == 1 and cache.evaluations == 2 and f.calls.count(url) == 1


# --- DS-xx dossier-spec rules -----------------------------------------------------------------


def test_DS_01_one_byte_of_an_acdc_tampered_rest_still_judged() -> None:
    w = world()
    d = w.dossiers["le"]
    delsig = w.credentials["delsig_le"]
    bad = flip(d.stream, delsig.raw, b'"role":"delegated-signer"')
    r = judge(bad, said=d.said)
    c = check(r, "DS-01", delsig.said)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ACDC_SAID_MISMATCH)
    # the credentials after it in the stream (the dossier itself is last) are still judged
    assert d.credentials[-1] == "dossier_le" and d.credentials.index("delsig_le") < len(d.credentials) - 1
    assert check(r, "V-08", d.said).status is CheckStatus.PASS
    assert check(r, "V-10", d.said).status is CheckStatus.PASS
    e = check(r, "V-13", d.said)
    assert (e.status, e.code) == (CheckStatus.FAIL, codes.EDGE_TARGET_INVALID)
    assert r.status is Status.INVALID
    assert_valid(judge(d.stream, said=d.said))


def test_DS_01_chained_acdc_tampered() -> None:
    w = world()
    d = w.dossiers["le"]
    qvi = w.credentials["qvi"]
    bad = flip(d.stream, qvi.raw, qvi.sad["a"]["LEI"].encode())
    r = judge(bad, said=d.said)
    c = check(r, "DS-01", qvi.said)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.ACDC_SAID_MISMATCH)
    vetting = w.credentials["le_vetting"].said
    e = check(r, "V-13", vetting)
    assert (e.status, e.code) == (CheckStatus.FAIL, codes.EDGE_TARGET_INVALID)
    assert check(r, "V-08", vetting).status is CheckStatus.PASS
    assert r.status is Status.INVALID


def test_DS_01_said_over_the_most_compact_form_is_accepted() -> None:
    m = mini()
    r = mjudge(m, "compact_expanded")
    assert_valid(r)
    c = check(r, "DS-01", m.saids["compact_expanded"])
    assert "most compact form" in c.message


def test_DS_02_DS_04_DS_05_dossier_shape() -> None:
    m = mini()
    r = mjudge(m, "qvi", "vetting", "bad_dossier")
    said = m.saids["bad_dossier"]
    assert (check(r, "DS-02", said).status, check(r, "DS-02", said).code) == (
        CheckStatus.FAIL, codes.DOSSIER_EDGES_MISSING)
    assert check(r, "DS-04", said).code == codes.DOSSIER_EVIDENCE_IN_ATTRIBUTES
    assert check(r, "DS-05", said).code == codes.DOSSIER_HAS_ISSUEE
    assert check(r, "DS-05", said).status is CheckStatus.WARN


def test_DS_03_DS_06_dossier_schema_lint_warnings() -> None:
    w = world()
    d = w.dossiers["le"]
    r = judge(d.stream, said=d.said)
    assert check(r, "DS-03", d.said).code == codes.DOSSIER_SCHEMA_NOT_BASE
    assert check(r, "DS-06", d.said).code == codes.DOSSIER_SCHEMA_CLOSED
    assert r.status is Status.VALID  # warnings only


def test_DS_05_root_without_issuee_is_accepted() -> None:
    """A dossier has no issuee by design (the peer verifier calls it a bearer token and rejects it)."""
    w = world()
    d = w.dossiers["le"]
    r = judge(d.stream, said=d.said)
    assert_valid(r)
    assert r.root is not None and r.root.issuee is None
    assert check(r, "DS-05", d.said).status is CheckStatus.PASS


def test_DS_13_truncated_stream() -> None:
    w = world()
    d = w.dossiers["le"]
    r = judge(d.stream[:-40], said=d.said)
    c = check(r, "DS-13", None)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.DOSSIER_STREAM_TRUNCATED)
    assert check(judge(d.stream, said=d.said), "DS-13", None).status is CheckStatus.PASS


def test_DS_13_tampered_kel_event_is_reported() -> None:
    m = mini()
    kel = m.streams["kel:le"]
    ixn = kel.index(b'"t":"ixn"')
    bad_kel = kel[:ixn + 20] + (b"Z" if kel[ixn + 20:ixn + 21] != b"Z" else b"Y") + kel[ixn + 21:]
    stream = m.dossier("qvi", "vetting", "i2i_ok").replace(kel, bad_kel)
    r = verify_dossier_stream(stream, reference_time=MINI_CALL_AT, policy=m.policy(),
                              expected_said=m.saids["i2i_ok"], fetcher=schema_fetcher(m))
    c = check(r, "DS-13", None)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.DOSSIER_MESSAGE_REJECTED)
    assert r.status is Status.INVALID


def test_DS_13_json_wrapper_is_unwrapped() -> None:
    w = world()
    d = w.dossiers["le"]
    wrapped = json.dumps({"details": d.stream.decode()}).encode()
    assert_valid(judge(wrapped, said=d.said))
    r = judge(json.dumps({"details": 5}).encode(), said=d.said)
    c = check(r, "DS-13", None)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.DOSSIER_WRAPPER_INVALID)


def test_DS_14_dossier_said_differs_from_citation() -> None:
    w = world()
    d = w.dossiers["le"]
    assert check(judge(d.stream, said=d.said), "DS-14", d.said).status is CheckStatus.PASS
    other = w.dossiers["acting"].said
    r = judge(d.stream, said=other)
    c = check(r, "DS-14", other)
    assert (c.status, c.code) == (CheckStatus.FAIL, codes.DOSSIER_SAID_MISMATCH)
    assert r.status is Status.INVALID


def test_DS_14_said_taken_from_the_citation_url() -> None:
    w = world()
    d = w.dossiers["le"]
    good = f"https://ap.example/dossiers/{d.said}.cesr"
    liar = f"https://ap.example/dossiers/{w.dossiers['acting'].said}.cesr"
    f = world_fetcher(w, {good: ("application/json+cesr", d.stream), liar: ("application/cesr", d.stream)})
    pol = world_policy(w)
    assert verify_dossier(good, fetcher=f, reference_time=CALL_AT, policy=pol).status is Status.VALID
    r = verify_dossier(liar, fetcher=f, reference_time=CALL_AT, policy=pol)
    assert check(r, "DS-14", w.dossiers["acting"].said).code == codes.DOSSIER_SAID_MISMATCH


def test_DS_13_dossier_url_unreachable_is_indeterminate() -> None:
    w = world()
    d = w.dossiers["le"]
    url = f"https://ap.example/dossiers/{d.said}.cesr"
    pol = world_policy(w)
    assert verify_dossier(url, fetcher=world_fetcher(w, {url: ("application/cesr", d.stream)}),
                          reference_time=CALL_AT, policy=pol).status is Status.VALID
    r = verify_dossier(url, fetcher=world_fetcher(w), reference_time=CALL_AT, policy=pol)
    c = check(r, "DS-13", None)
    assert (c.status, c.code) == (CheckStatus.INDETERMINATE, codes.DOSSIER_UNREACHABLE)
    assert codes.FETCH_OFFLINE in c.message and r.status is Status.INDETERMINATE


def test_DS_17_edge_target_obtained_through_said_map_entry() -> None:
    m = mini()
    without = m.dossier("qvi", "vetting", "tn", "dossier").replace(m.streams["acdc:tn"], b"")
    pol = m.policy()
    r = verify_dossier_stream(without, reference_time=MINI_CALL_AT, policy=pol, expected_said=m.saids["dossier"],
                              fetcher=schema_fetcher(m))
    c = check(r, "V-13", m.saids["dossier"])
    assert (c.status, c.code) == (CheckStatus.INDETERMINATE, codes.EDGE_TARGET_UNAVAILABLE)
    items = dict(schema_fetcher(m).items)
    items[f"said:{m.saids['tn']}"] = ("application/cesr", m.dossier("tn"))
    r = verify_dossier_stream(without, reference_time=MINI_CALL_AT, policy=pol, expected_said=m.saids["dossier"],
                              fetcher=MemoryFetcher(items))
    assert_valid(r)
    assert m.saids["tn"] in r.credentials


def test_DS_18_every_node_checked_for_revocation() -> None:
    w = world()
    d = w.dossiers["le"]
    r = judge(d.stream, said=d.said)
    assert {c.subject for c in r.checks if c.id == "V-14"} == set(r.credentials)


# --- robustness -------------------------------------------------------------------------------


class ExplodingFetcher:
    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        raise FetchError(f"{url}: refused", code=codes.FETCH_CONNECT_FAILED, url=url)


@pytest.mark.parametrize("data", [b"", b"garbage", b"{}", b"[1,2]", b'{"v":"ACDC10JSON000010_"}', b"-AAB",
                                  b'{"details": ""}', bytes(range(256))])
def test_bad_input_becomes_checks_not_tracebacks(data: bytes) -> None:
    w = world()
    r = verify_dossier_stream(data, reference_time=CALL_AT, policy=world_policy(w), expected_said=None,
                              fetcher=ExplodingFetcher())
    assert r.status is not Status.VALID
    assert r.checks


def test_result_json_shape() -> None:
    w = world()
    d = w.dossiers["le"]
    doc = judge(d.stream, said=d.said).to_json()
    assert doc["status"] == "VALID" and doc["said"] == d.said
    for c in doc["credentials"]:
        assert {"said", "schema", "role", "issuer", "issuee", "state"} <= set(c)
    assert json.loads(json.dumps(doc)) == doc
