"""`vvp verify` over the served test world: the PASSporT scenarios of issue 5 (requirements of
vvp-protocol.md §8.1 and V-01..V-06), each beside a positive control from the same world, each
asserting the failing check's id and code and that the other passport checks passed."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import pytest

from vvp._cli import main
from vvp.testing.worldgen.model import CALL_AT, SignedPassport
from vvp.clock import rfc3339
from vvp.testing.world import ServedWorld
from vvp.testing.world.scenarios import DEST


def _verify(sw: ServedWorld, capsys: pytest.CaptureFixture[str], sp: SignedPassport, *, at: _dt.datetime = CALL_AT,
            trust: Path | None = None, extra: list[str] | None = None) -> tuple[int, dict[str, Any]]:
    orig = sw.world.dossiers["le"].numbers[0]
    rc = main(["verify", "--identity", sp.identity, "--orig", orig, "--dest", DEST, "--at", rfc3339(at),
               "--trust", str(trust or sw.files.trust), "--json", *(extra or [])])
    return rc, json.loads(capsys.readouterr().out)


def _not_passed(v: dict[str, Any], claim: str = "passport") -> set[tuple[str, str, str]]:
    return {(c["id"], c["status"], c["code"]) for c in v["checks"]
            if c["claim"] == claim and c["status"] not in ("pass", "warn")}


def _control(sw: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    rc, v = _verify(sw, capsys, sw.passport())
    assert rc == 0 and v["status"] == "VALID" and _not_passed(v) == set()


def _legacy_trust(sw: ServedWorld, **policy: Any) -> Path:
    doc = json.loads(sw.files.trust.read_text())
    doc.setdefault("policy", {}).update(policy)
    p = sw.files.trust.with_name(f"trust-{'-'.join(sorted(policy))}.json")  # beside it: relative paths hold
    p.write_text(json.dumps(doc))
    return p


def test_P_18_exp_120s_after_iat(served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    _control(served_world, capsys)
    rc, v = _verify(served_world, capsys, served_world.passport(validity_s=120))
    assert rc == 1 and v["claims"]["passport"]["status"] == "INVALID"
    assert _not_passed(v) == {("P-18", "fail", "PASSPORT_VALIDITY_TOO_LONG")}


def test_V_03_iat_40s_old(served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    _control(served_world, capsys)
    rc, v = _verify(served_world, capsys, served_world.passport(iat_offset_s=-40, validity_s=60))
    assert rc == 1 and _not_passed(v) == {("V-03", "fail", "PASSPORT_IAT_TOO_OLD")}


def test_V_02_reference_time_after_exp(served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    rc, v = _verify(served_world, capsys, served_world.passport(iat_offset_s=-20, validity_s=15))
    assert rc == 1 and ("V-02", "fail", "PASSPORT_EXPIRED") in _not_passed(v)


def test_P_03_typ_jwt_refused_unless_legacy(served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    _control(served_world, capsys)
    sp = served_world.passport(header_changes={"typ": "JWT"})
    rc, v = _verify(served_world, capsys, sp)
    assert rc == 1 and _not_passed(v) == {("P-03", "fail", "PASSPORT_TYP_INVALID")}
    rc, v = _verify(served_world, capsys, sp, trust=_legacy_trust(served_world, allow_legacy_typ=True))
    assert rc == 0 and v["status"] == "VALID"
    assert any(c["id"] == "P-03" and c["status"] == "warn" for c in v["checks"])


@pytest.mark.parametrize("alg", ["ES256", "HS256", "RS256", "none"])
def test_P_01_P_02_refused_algorithms(alg: str, served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    _control(served_world, capsys)
    rc, v = _verify(served_world, capsys, served_world.passport(header_changes={"alg": alg}))
    assert rc == 1 and v["claims"]["passport"]["status"] == "INVALID"
    failing = _not_passed(v)
    assert ("P-01", "fail", "PASSPORT_ALG_NOT_ALLOWED") in failing or \
        ("P-01", "fail", "PASSPORT_ALG_FORBIDDEN") in failing, failing
    # the signature is never tried with another algorithm
    # X-PASSPORT-03: the Identity value's alg parameter (EdDSA) no longer matches the header
    assert {c[0] for c in failing} <= {"P-01", "P-02", "V-06", "X-PASSPORT-03"}
    v06 = next(c for c in v["checks"] if c["id"] == "V-06")
    assert v06["status"] == "not_applicable"


def test_P_21_cesr_0B_signature(served_world: ServedWorld, capsys: pytest.CaptureFixture[str]) -> None:
    rc, v = _verify(served_world, capsys, served_world.passport(form="cesr"))
    assert rc == 0 and v["status"] == "VALID"
    assert "cesr" in next(c for c in v["checks"] if c["id"] == "V-06")["message"].lower()


def test_V_05_kid_oobi_unreachable_is_indeterminate(served_world: ServedWorld,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _control(served_world, capsys)
    sw = served_world
    signer = sw.world.parties[sw.world.dossiers["le"].signer]
    d = sw.world.dossiers["le"]
    sp = sw.world.passport(signer=signer.name, kid=f"{sw.server.base_url}/oobi/{signer.aid}/gone", evd=sw.urls.evd(d.said),
                           orig=d.numbers[0], dest=DEST, iat=int(CALL_AT.timestamp()) - 2)
    rc, v = _verify(sw, capsys, sp)
    assert rc == 3 and v["status"] == "INDETERMINATE"
    assert v["claims"]["passport"]["status"] == "INDETERMINATE"
    assert ("V-05", "indeterminate", "FETCH_HTTP_STATUS") in _not_passed(v)


def _sip(sw: ServedWorld, identities: list[str], *, compact: bool, folded: bool) -> bytes:
    orig = sw.world.dossiers["le"].numbers[0]
    date = CALL_AT.strftime("%a, %d %b %Y %H:%M:%S GMT")
    ident = "y" if compact else "Identity"
    lines = [f"INVITE sip:{DEST}@example.net;user=phone SIP/2.0",
             f"{'v' if compact else 'Via'}: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK776asdhds",
             f"{'f' if compact else 'From'}: <sip:{orig}@example.com;user=phone>;tag=1928301774",
             f"{'t' if compact else 'To'}: <sip:{DEST}@example.net;user=phone>",
             f"{'i' if compact else 'Call-ID'}: a84b4c76e66710@pc33.example.com",
             "CSeq: 314159 INVITE", f"Date: {date}"]
    for value in identities:
        if folded:
            token, params = value.split(";", 1)
            lines += [f"{ident}: {token};", f"\t{params}"]  # LWS is allowed after ";" (RFC 3261 SEMI)
        else:
            lines.append(f"{ident}: {value}")
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize(("compact", "folded"), [(True, True), (False, False), (True, False)])
def test_sip_files_with_two_identity_headers(compact: bool, folded: bool, served_world: ServedWorld, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    sw = served_world
    vvp_value = sw.passport().identity
    other = "eyJhbGciOiJFUzI1NiJ9.eyJyY2QiOnt9fQ.c2ln;info=<https://cert.example/x.pem>;alg=ES256;ppt=rcd"
    f = tmp_path / "invite.sip"
    f.write_bytes(_sip(sw, [other, vvp_value], compact=compact, folded=folded))
    rc = main(["verify", "--sip", str(f), "--at", rfc3339(CALL_AT), "--trust", str(sw.files.trust), "--json"])
    v = json.loads(capsys.readouterr().out)
    assert rc == 0 and v["status"] == "VALID", _not_passed(v) | _not_passed(v, "context")
    ctx = {c["id"]: c["status"] for c in v["checks"] if c["claim"] == "context"}
    assert ctx["V-04"] == "pass" and ctx["X-CONTEXT-01"] == "pass" and ctx["X-CONTEXT-02"] == "pass"


def test_V_04_sip_from_is_not_orig(served_world: ServedWorld, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    sw = served_world
    raw = _sip(sw, [sw.passport().identity], compact=False, folded=False)
    orig = sw.world.dossiers["le"].numbers[0]
    f = tmp_path / "replayed.sip"
    f.write_bytes(raw.replace(f"sip:{orig}@".encode(), b"sip:+15559990000@"))
    rc = main(["verify", "--sip", str(f), "--at", rfc3339(CALL_AT), "--trust", str(sw.files.trust), "--json"])
    v = json.loads(capsys.readouterr().out)
    assert rc == 1 and _not_passed(v, "context") == {("V-04", "fail", "CONTEXT_ORIG_MISMATCH")}
    assert _not_passed(v) == set()
