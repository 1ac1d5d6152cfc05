"""Real KELs made by others (../shared/corpus, see its README): vvp must conclude exactly what the
README says. Skipped, saying why, when the corpus is not beside the checkout."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest

from tests.conftest import corpus_path
from vvp import codes
from vvp._cli import main
from vvp.fetch import MemoryFetcher
from vvp.kel import resolve_kel, verify_kel, verify_stream
from vvp.keystate import Outcome, select_key_state
from vvp.verdict import Status

pytestmark = pytest.mark.corpus

SIGNER = "EGay5ufBqAanbhFa_qe-KMFUPJHn8J0MFba96yyWRrLF"
ROOT = "EDP1vHcw_wc4M__Fj53-cJaBnZZASd-aMTaSyWEQ-PC2"
EXTERNAL = "EINmHd5g7iV-UldkkkKyBIH052bIyxZNBn9pq-zNrYoS"
QVI = "ED88Jn6CnWpNbSYz6vp9DOSpJH2_Di5MSwWTf1l34JJm"
LE = "EEu5zT9ChsawBt2UXdU3kPIf9_lFqT5S9Q3yLZvKVfN6"


def read(*parts: str) -> bytes:
    return corpus_path(*parts).read_bytes()


def test_provenant_witness_oobi() -> None:
    r = verify_kel(read("vvp", "provenant-stage-witness-oobi-EGay5.cesr"))
    assert r.status is Status.VALID, r.messages
    st = r.state
    assert st is not None
    assert r.aid == SIGNER and (st.sn, st.est_sn) == (0, 0)
    assert st.keys == ("DKee5pbD2b-L_2Jfv_qSni7Kz7ABVPy0l-RW5e056qWf",) and st.kt == "1" and st.single_sig
    assert len(st.witnesses) == 3 and st.toad == 3 and st.delegator is None
    assert st.first_seen == _dt.datetime(2026, 1, 20, 18, 4, 34, 674390, tzinfo=_dt.UTC)
    assert r.events[0].receipts == 3
    assert dict(r.ignored) == {"rpy /loc/scheme": 6}  # the reply messages are not key events


def test_provenant_witness_oobi_through_a_fetcher_names_the_aid_from_the_url() -> None:
    body = read("vvp", "provenant-stage-witness-oobi-EGay5.cesr")
    url = f"http://witness5.stage.provenant.net:5631/oobi/{SIGNER}/witness/BNFbib-oPD6bmFCN8LnCJADWVv8QLQCATeNKbkerF-lm"
    r = resolve_kel(url, MemoryFetcher({url: ("application/json+cesr", body)}))
    assert r.status is Status.VALID and r.aid == SIGNER and r.source == url


def test_gleif_root_and_external() -> None:
    stream = read("keri", "gleif-root-and-external.cesr")
    ks = verify_stream(stream)
    assert ks.aids == (ROOT, EXTERNAL) and ks.issues == ()
    root = verify_kel(stream, aid=ROOT)
    assert root.status is Status.VALID, root.messages
    st = root.state
    assert st is not None
    assert (st.sn, st.est_sn) == (2, 2)
    assert st.kt == ("1/3", "1/3", "1/3") and len(st.keys) == 3  # three of the listed 1/3 weights
    assert len(st.next_digests) == 7 and st.nt == ("1/3",) * 7  # partial rotation: 7 keys committed
    assert len(st.witnesses) == 5 and st.toad == 4 and st.delegator is None
    assert [e.ilk for e in root.events] == ["icp", "rot", "rot"]
    assert all(e.outcome is Outcome.ACCEPTED and e.receipts == 5 for e in root.events)
    ext = verify_kel(stream, aid=EXTERNAL)
    assert ext.status is Status.VALID, ext.messages
    assert ext.state is not None
    assert (ext.state.sn, ext.state.est_sn) == (8, 0) and ext.state.delegator == ROOT
    assert ext.state.kt == ("1/2",) * 5
    assert ext.events[0].anchor is not None


@pytest.mark.parametrize("sn,nkeys,est", [(0, 7, 0), (1, 3, 1), (2, 3, 2)])
def test_gleif_root_at_sn(sn: int, nkeys: int, est: int) -> None:
    r = verify_kel(read("keri", "gleif-root-and-external.cesr"), aid=ROOT, sn=sn)
    assert r.status is Status.VALID, r.messages
    assert r.state is not None
    assert (r.state.sn, r.state.est_sn, len(r.state.keys)) == (sn, est, nkeys)
    assert r.state.kt == ("1/3",) * nkeys


def test_gleif_root_at_a_time_between_its_rotations() -> None:
    stream = read("keri", "gleif-root-and-external.cesr")
    r = verify_kel(stream, aid=ROOT, at=_dt.datetime(2022, 12, 1, tzinfo=_dt.UTC))
    assert r.status is Status.VALID and r.state is not None and r.state.sn == 1
    r = verify_kel(stream, aid=ROOT, at=_dt.datetime(2022, 11, 1, tzinfo=_dt.UTC))
    assert r.status is Status.INDETERMINATE and r.codes == (codes.KEL_BEFORE_INCEPTION,)


def test_le_vlei_chain_alone() -> None:
    stream = read("keri", "le-vlei-chain.cesr")
    ks = verify_stream(stream)
    assert ks.aids == (EXTERNAL, QVI, LE)
    le = select_key_state(ks, LE)
    assert le.status is Status.VALID, le.messages
    assert le.state is not None and le.state.sn == 4 and len(le.state.witnesses) == 5 and le.state.toad == 5
    for aid in (EXTERNAL, QVI):
        r = select_key_state(ks, aid)
        assert r.status is Status.INDETERMINATE, aid
        assert r.codes == (codes.KEL_ESCROW_MISSING_DELEGATOR,), (aid, r.codes)
        assert r.events[0].ilk == "dip" and r.events[0].outcome is Outcome.ESCROWED
    assert select_key_state(ks).codes == (codes.AMBIGUOUS_AID,)


def test_le_vlei_chain_after_the_gleif_file() -> None:
    stream = read("keri", "gleif-root-and-external.cesr") + read("keri", "le-vlei-chain.cesr")
    ks = verify_stream(stream)
    assert ks.aids == (ROOT, EXTERNAL, QVI, LE)
    expect = {ROOT: (2, None), EXTERNAL: (8, ROOT), QVI: (46, EXTERNAL), LE: (4, None)}
    for aid, (sn, delegator) in expect.items():
        r = select_key_state(ks, aid)
        assert r.status is Status.VALID, (aid, r.messages)
        assert r.state is not None
        assert (r.state.sn, r.state.delegator) == (sn, delegator), aid


def test_cli_json_on_the_gleif_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = corpus_path("keri", "gleif-root-and-external.cesr")
    assert main(["kel", str(src)]) == 2  # two AIDs, no --aid
    err = capsys.readouterr().err
    assert codes.AMBIGUOUS_AID in err and ROOT in err and EXTERNAL in err
    assert main(["kel", str(src), "--aid", ROOT, "--sn", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "VALID" and doc["sn"] == 1 and doc["est_sn"] == 1
    assert doc["kt"] == ["1/3", "1/3", "1/3"] and doc["toad"] == 4 and doc["delegator"] is None
    assert doc["first_seen"] == "2022-11-30T18:57:00.314532Z" and doc["codes"] == []


def test_cli_on_le_vlei_alone_is_indeterminate(capsys: pytest.CaptureFixture[str]) -> None:
    src = corpus_path("keri", "le-vlei-chain.cesr")
    assert main(["kel", str(src), "--aid", QVI, "--json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "INDETERMINATE" and doc["codes"] == [codes.KEL_ESCROW_MISSING_DELEGATOR]
    assert doc["keys"] is None and doc["sn"] is None and doc["first_seen"] is None
