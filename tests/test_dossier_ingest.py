"""Reading dossier streams through keri one message at a time (``vvp._keri.dossier_ingest``).

keri's parser drops the rest of a stream after a message it refuses; the ingest feeds messages one
by one (keri finding every boundary) so that one altered ACDC does not hide the ones after it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_dossier_checks import check, mjudge
from tests.test_dossier_gen import CALL_AT, mini, schema_fetcher
from vvp import codes
from vvp._keri.dossier_ingest import ingest
from vvp.dossier import verify_dossier_stream
from vvp.verdict import CheckStatus, Status


def _tamper_body(stream: bytes, acdc: bytes) -> bytes:
    start = stream.index(acdc)
    i = stream.index(b'"dt":"', start) + 8
    b = bytearray(stream)
    b[i] = ord("9") if b[i] != ord("9") else ord("8")
    return bytes(b)


def test_tampered_acdc_does_not_hide_the_following_ones() -> None:
    m = mini()
    names = ("qvi", "vetting", "tn", "dossier")
    stream = m.dossier(*names)
    bad = _tamper_body(stream, m.streams["acdc:vetting"])
    got = ingest([bad])
    assert {a.said for a in got.acdcs} == {m.saids[n] for n in ("qvi", "tn", "dossier")}
    assert [b.said for b in got.bad_acdcs] == [m.saids["vetting"]]
    assert got.bad_acdcs[0].said_form == "none"
    assert got.bad_acdcs[0].seal is not None  # its -I triple was read by keri through the placeholder
    assert not got.problems
    # what keri alone does with the same bytes: everything after the altered body is lost
    from vvp._keri._store import fresh_store

    class Collect:
        def __init__(self) -> None:
            self.saids: list[str] = []

        def processCredential(self, creder: object, *a: object, **k: object) -> None:  # noqa: N802
            self.saids.append(str(getattr(creder, "said")))

    col = Collect()
    with fresh_store() as st:
        st.parser(vry=col).parse(ims=bytearray(bad))
    assert m.saids["dossier"] not in col.saids


def test_acdcs_before_their_kels_and_tels_settle() -> None:
    m = mini()
    stream = m.dossier("qvi", "vetting")
    first = stream.index(b'{"v":"ACDC10JSON')
    reordered = stream[first:] + stream[:first]
    r = verify_dossier_stream(reordered, reference_time=CALL_AT, policy=m.policy(),
                              expected_said=m.saids["vetting"], fetcher=schema_fetcher(m))
    assert r.status is Status.VALID


def test_bare_acdc_at_the_end_without_attachments() -> None:
    m = mini()
    body = json.loads(m.streams["acdc:i2i_ok"][:m.streams["acdc:i2i_ok"].index(b"}-IAB") + 1])
    raw = json.dumps(body, separators=(",", ":")).encode()
    stream = m.dossier("qvi", "vetting", "i2i_ok").replace(m.streams["acdc:i2i_ok"], b"") + raw
    got = ingest([stream])
    assert m.saids["i2i_ok"] in {a.said for a in got.acdcs} and not got.problems
    assert got.acdc(m.saids["i2i_ok"]) is not None and got.acdc(m.saids["i2i_ok"]).seal is None  # type: ignore[union-attr]


def test_duplicate_credential_in_stream_is_one_credential() -> None:
    m = mini()
    stream = m.dossier("qvi", "vetting") + m.streams["acdc:vetting"]
    r = verify_dossier_stream(stream, reference_time=CALL_AT, policy=m.policy(), expected_said=m.saids["vetting"],
                              fetcher=schema_fetcher(m))
    assert r.status is Status.VALID and len(r.credentials) == 2


def test_trailing_newline_and_garbage() -> None:
    m = mini()
    stream = m.dossier("qvi", "vetting")
    assert not ingest([stream + b"\n"]).problems
    got = ingest([stream + b"xyz-garbage"])
    assert [p.kind for p in got.problems] == ["unparsable"]
    assert {a.said for a in got.acdcs} == {m.saids["qvi"], m.saids["vetting"]}


def test_truncated_final_message() -> None:
    m = mini()
    got = ingest([m.dossier("qvi", "vetting")[:-10]])
    assert [p.kind for p in got.problems] == ["truncated"]
    assert got.problems[0].claimed_said == m.saids["vetting"]


def test_duplicate_json_key_is_refused() -> None:
    m = mini()
    acdc = m.streams["acdc:i2i_ok"]
    old = b'"name":"le cites its own vetting"'
    head = b'"dt":"1","dt":"'
    dup = acdc.replace(old, head + b"x" * (len(old) - len(head) - 1) + b'"')
    assert len(dup) == len(acdc) and dup != acdc
    r = mjudge(m, "qvi", "vetting", "i2i_ok")
    assert r.status is Status.VALID
    stream = m.dossier("qvi", "vetting", "i2i_ok").replace(acdc, dup)
    r = verify_dossier_stream(stream, reference_time=CALL_AT, policy=m.policy(), expected_said=m.saids["i2i_ok"],
                              fetcher=schema_fetcher(m))
    c = check(r, "DS-01", m.saids["i2i_ok"])
    assert c.status is CheckStatus.FAIL and c.code in (codes.ACDC_DUPLICATE_KEY, codes.ACDC_SAID_MISMATCH)
    assert r.status is Status.INVALID


def test_duplicate_json_key_only_in_refused_bodies() -> None:
    """The duplicate-key check runs only on bodies keri refused: keri's round trip refuses any body
    that holds a key twice (its size and version string right), so no accepted one can."""
    m = mini()
    acdc = m.streams["acdc:i2i_ok"]
    old = b'"name":"le cites its own vetting"'
    head = b'"dt":"1","dt":"'
    dup = acdc.replace(old, head + b"x" * (len(old) - len(head) - 1) + b'"')
    got = ingest([m.dossier("qvi", "vetting", "i2i_ok").replace(acdc, dup)])
    assert m.saids["i2i_ok"] not in {a.said for a in got.acdcs}
    flagged = [a for a in got.bad_acdcs if a.said == m.saids["i2i_ok"]]
    assert flagged and all(a.duplicate_keys for a in flagged)
    clean = ingest([m.dossier("qvi", "vetting", "i2i_ok")])
    assert clean.acdcs and not any(a.duplicate_keys for a in clean.acdcs)


def test_stores_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vvp._keri._store import tmp_root

    stores = tmp_path / "stores"  # a private store root: other processes cannot make this flaky
    stores.mkdir()
    monkeypatch.setenv("VVP_TMPDIR", str(stores))
    assert tmp_root() == str(stores)
    ingest([mini().dossier("qvi", "vetting")])
    assert list(stores.iterdir()) == []
