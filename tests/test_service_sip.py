"""The SIP redirect front end driven by a real SIP client: ``sipp`` (Debian's ``sip-tester``).

``vvp serve --sip udp:127.0.0.1:PORT --sip-at <the world's call time>`` runs as a subprocess; each
test writes a sipp scenario (XML) that sends an INVITE carrying the test world's Identity
headers and checks the answer with sipp's own regular-expression actions (``check_it``: sipp fails
the call when a header does not match), then reads sipp's message log for the record id.
Cases: a valid call, an invalid one, no VVP PASSporT, a SHAKEN PASSporT beside the VVP one, a
retransmitted INVITE (answered from the transaction: the same record, one verification), a
malformed INVITE (400), OPTIONS (200), and the record of a SIP call re-verifying offline.

Outside CI a missing sipp skips these tests with the reason; in CI (``CI=true``) it fails them:
``.ci/run`` installs ``sip-tester``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import shaken_pki
from tests.servicekit import Server, request, reverify_json, start_server
from vvp.clock import rfc3339
from vvp.testing import stipki
from vvp.testing.world import CALL_AT, ServedWorld

pytestmark = pytest.mark.slow
PEM = "application/pem-certificate-chain"


def _sipp() -> str:
    path = shutil.which("sipp")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("sipp (Debian's sip-tester) is missing: .ci/run should have installed it")
        pytest.skip("sipp is not installed (Debian package sip-tester)")
    return path


def _udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SipWorld:
    server: Server
    sip_port: int
    shaken_identity: str
    tmp: Path


@pytest.fixture(scope="module")
def sip(served_world: ServedWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SipWorld]:
    _sipp()
    tmp = tmp_path_factory.mktemp("sip")
    pki = shaken_pki.build()
    call = served_world.call("valid")
    iat = int(call.at.timestamp()) - 2
    token = stipki.shaken_passport(pki.ee["spc"].key, x5u=shaken_pki.X5U["spc"], orig=call.orig.lstrip("+"),
                                   dest=[call.dest.lstrip("+")], iat=iat)
    (tmp / "chain.pem").write_bytes(pki.chain_pem("spc"))
    (tmp / "root.pem").write_bytes(pki.root.pem)
    (tmp / "crl-signer.pem").write_bytes(pki.crl_signer.pem)
    (tmp / "sti.crl").write_bytes(pki.crl)
    emap = json.loads(served_world.files.evidence_map.read_text())
    base = served_world.files.evidence_map.parent
    emap = {k: {**v, "path": str((base / v["path"]).resolve())} for k, v in emap.items()}
    emap[shaken_pki.X5U["spc"]] = {"path": str(tmp / "chain.pem"), "content_type": PEM}
    emap[shaken_pki.CRL_URL] = {"path": str(tmp / "sti.crl"), "content_type": "application/pkix-crl"}
    (tmp / "map.json").write_text(json.dumps(emap))
    trust = json.loads(served_world.files.trust.read_text())
    tbase = served_world.files.trust.parent
    trust["schemas"] = [str((tbase / p).resolve()) for p in trust.get("schemas", [])]
    trust["sti_pa"] = [str(tmp / "root.pem")]
    trust["sti_crl_signers"] = [str(tmp / "crl-signer.pem")]
    (tmp / "trust.json").write_text(json.dumps(trust))
    port = _udp_port()
    srv = start_server(tmp / "srv", trust=tmp / "trust.json",
                       extra=["--evidence", str(tmp / "map.json"), "--sip", f"udp:127.0.0.1:{port}",
                              "--sip-at", rfc3339(CALL_AT)])
    try:
        yield SipWorld(srv, port, stipki.identity_value(token, shaken_pki.X5U["spc"]), tmp)
    finally:
        srv.kill_group()


INVITE = """\
INVITE sip:{dest}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-vvp-{name}-[call_number]
From: <sip:{orig}@example.com;user=phone>;tag=[pid]-{name}
To: <sip:{dest}@[remote_ip];user=phone>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port]>
Max-Forwards: 70
{extra}Content-Length: 0

"""

ACK = """\
ACK sip:{dest}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-vvp-{name}-[call_number]
From: <sip:{orig}@example.com;user=phone>;tag=[pid]-{name}
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

"""


def _checks(expect: dict[str, str], tag: str = "m") -> str:
    return "".join(f'<ereg regexp="{rx}" search_in="hdr" header="{hdr}:" check_it="true" assign_to="{tag}{i}"/>\n'
                   for i, (hdr, rx) in enumerate(expect.items()))


def _end(*names: str) -> str:
    """sipp refuses a scenario whose assigned variables are never read: mark them read."""
    return (f'<Reference variables="{",".join(names)}"/>\n' if names else "") + "</scenario>"


def scenario(name: str, orig: str, dest: str, identities: list[str], expect: dict[str, str], *,
             retransmit: bool = False, extra_headers: str = "") -> str:
    extra = "".join(f"Identity: {v}\n" for v in identities) + extra_headers
    invite = INVITE.format(name=name, orig=orig, dest=dest, extra=extra)
    ack = ACK.format(name=name, orig=orig, dest=dest)
    parts = [f'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="{name}">',
             f"<send><![CDATA[\n{invite}]]></send>",
             '<recv response="100" optional="true"/>',
             f'<recv response="302"><action>\n{_checks(expect)}</action></recv>',
             f"<send><![CDATA[\n{ack}]]></send>"]
    names = [f"m{i}" for i in range(len(expect))]
    if retransmit:  # the same INVITE again (same branch, Call-ID, CSeq): the same answer, from the transaction
        parts += [f"<send><![CDATA[\n{invite}]]></send>",
                  f'<recv response="302"><action>\n{_checks(expect, "r")}</action></recv>']
        names += [f"r{i}" for i in range(len(expect))]
    parts.append(_end(*names))
    return "\n".join(parts)


def run_sipp(sw: SipWorld, xml: str, name: str) -> list[str]:
    """Run one call of the scenario; sipp's exit code 0 means every expectation held. Returns the
    messages sipp received."""
    scen = sw.tmp / f"{name}.xml"
    scen.write_text(xml)
    log = sw.tmp / f"{name}-messages.log"
    err = sw.tmp / f"{name}-errors.log"
    out = subprocess.run([_sipp(), f"127.0.0.1:{sw.sip_port}", "-sf", str(scen), "-m", "1", "-l", "1", "-i",
                          "127.0.0.1", "-p", str(_udp_port()), "-timeout", "60s", "-timeout_error",
                          "-recv_timeout", "30s", "-nostdin", "-trace_msg", "-message_file", str(log),
                          "-trace_err", "-error_file", str(err)],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, cwd=sw.tmp)
    text = log.read_text(errors="replace") if log.exists() else ""
    errors = err.read_text(errors="replace") if err.exists() else ""
    assert out.returncode == 0, (out.returncode, errors[-3000:], out.stderr[-1000:], text[-2000:])
    chunks = re.split(r"-{5,}[^\n]*\n", text)
    return [c[c.index("SIP/2.0 "):] for c in chunks if "message received" in c and "SIP/2.0 " in c]


def _header(msg: str, name: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in msg.splitlines() if line.lower().startswith(name.lower() + ":")]


RECORD = r"sha256:[0-9a-f]{64}"


def test_a_valid_call_is_redirected_with_verstat_and_its_record_reverifies(sip: SipWorld,
                                                                           served_world: ServedWorld) -> None:
    c = served_world.call("valid")
    xml = scenario("valid", c.orig, c.dest, [c.identity],
                   {"P-Asserted-Identity": "verstat=TN-Validation-Passed", "X-VVP-Status": "^ *VALID *$",
                    "X-VVP-Record": RECORD, "Contact": re.escape(c.dest)})
    got = [m for m in run_sipp(sip, xml, "valid") if " 302 " in m.splitlines()[0]]
    assert got
    rid = _header(got[0], "X-VVP-Record")[0]
    rec = request(sip.server.port, "GET", f"/vvp/v1/records/{rid}")
    assert rec.status == 200
    data = json.loads(rec.body)
    assert data["inputs"]["service"]["endpoint"] == "sip" and "INVITE sip:" in data["inputs"]["sip"]
    p = sip.tmp / "sip-record.json"
    p.write_bytes(rec.body)
    rv = reverify_json(p)
    assert rv["reproduced"] is True and rv["recorded_status"] == "VALID", rv.get("differences")


def test_an_invalid_call_is_redirected_as_failed(sip: SipWorld, served_world: ServedWorld) -> None:
    c = served_world.call("bad-signature")
    run_sipp(sip, scenario("invalid", c.orig, c.dest, [c.identity],
                           {"P-Asserted-Identity": "verstat=TN-Validation-Failed", "X-VVP-Status": "^ *INVALID *$",
                            "X-VVP-Record": RECORD}), "invalid")


def test_a_call_without_a_vvp_passport(sip: SipWorld, served_world: ServedWorld) -> None:
    c = served_world.call("valid")
    run_sipp(sip, scenario("novvp", c.orig, c.dest, [],
                           {"P-Asserted-Identity": "verstat=No-TN-Validation", "X-VVP-Status": "^ *INDETERMINATE *$",
                            "X-VVP-Record": RECORD}), "novvp")


def test_a_shaken_passport_beside_the_vvp_one(sip: SipWorld, served_world: ServedWorld) -> None:
    c = served_world.call("valid")
    got = run_sipp(sip, scenario("shaken", c.orig, c.dest, [c.identity, sip.shaken_identity],
                                 {"P-Asserted-Identity": "verstat=TN-Validation-Passed", "X-VVP-Status": "^ *VALID *$",
                                  "X-VVP-Record": RECORD}), "shaken")
    rid = _header([m for m in got if " 302 " in m.splitlines()[0]][0], "X-VVP-Record")[0]
    verdict = json.loads(request(sip.server.port, "GET", f"/vvp/v1/records/{rid}").body)["verdict"]
    assert verdict["claims"]["shaken"]["verstat"] == "TN-Validation-Passed"  # the verstat came from SHAKEN


def test_a_retransmitted_invite_gets_the_same_answer_without_a_second_verification(
        sip: SipWorld, served_world: ServedWorld) -> None:
    def sip_verifications() -> float:
        text = request(sip.server.port, "GET", "/metrics").body.decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith('vvp_verifications_total{frontend="sip"'))

    before = sip_verifications()
    c = served_world.call("valid-acting")
    got = run_sipp(sip, scenario("retrans", c.orig, c.dest, [c.identity],
                                 {"X-VVP-Status": "^ *VALID *$", "X-VVP-Record": RECORD}, retransmit=True), "retrans")
    finals = [m for m in got if " 302 " in m.splitlines()[0]]
    assert len(finals) == 2
    assert _header(finals[0], "X-VVP-Record") == _header(finals[1], "X-VVP-Record")
    assert sip_verifications() - before == 1
    assert "vvp_sip_retransmissions_total" in request(sip.server.port, "GET", "/metrics").body.decode()


def test_a_malformed_invite_gets_400_and_options_200(sip: SipWorld, served_world: ServedWorld) -> None:
    c = served_world.call("valid")
    bad = INVITE.format(name="bad", orig=c.orig, dest=c.dest,
                        extra="From: <sip:someone-else@example.com>;tag=2\n")  # two From headers
    xml = "\n".join(['<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="bad">',
                     f"<send><![CDATA[\n{bad}]]></send>",
                     '<recv response="400"><action>\n'
                     '<ereg regexp="SIP_MALFORMED" search_in="hdr" header="X-VVP-Error:" check_it="true" '
                     'assign_to="e"/>\n</action></recv>', _end("e")])
    run_sipp(sip, xml, "bad")
    options = """\
OPTIONS sip:vvp@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-vvp-opt-[call_number]
From: <sip:probe@example.com>;tag=[pid]-opt
To: <sip:vvp@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

"""
    xml = "\n".join(['<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="options">',
                     f"<send><![CDATA[\n{options}]]></send>",
                     '<recv response="200"><action>\n'
                     '<ereg regexp="INVITE" search_in="hdr" header="Allow:" check_it="true" assign_to="a"/>\n'
                     "</action></recv>", _end("a")])
    run_sipp(sip, xml, "options")
    assert request(sip.server.port, "GET", "/healthz").status == 200
