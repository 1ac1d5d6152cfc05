"""Render ``fixtures/sip/*callee*.sip``: a real-looking INVITE and the 200 OKs that answer it.

The callee PASSporT is signed by the callee of the deterministic callee world
(``WorldSpec(callee=True)``) with its evidence under ``http://127.0.0.1:5642`` (the golden records'
base, never contacted), answering at ``CALL_AT``; Ed25519 is deterministic, so the files are the
same every time. ``.venv/bin/python -m tests._callee_fixtures`` rewrites them;
``tests/test_callee_fixtures.py`` fails when a file differs from what this renders, and verifies
each one with ``--at 2026-03-01T12:00:00Z``.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from tests.callee_kit import BASE, callee_world
from vvp.testing.world import CALL_AT, GOAL, WorldUrls
from vvp.testing.world.scenarios import CALLER_TN, invite_text, response_text

SIP_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "sip"
CALL_ID = "a84b4c76e66710@gw1.acme.example"
DEST = "+15551230020"
EXPECTED = {
    "response-200-callee.sip": ("VALID", None),
    "response-200-callee-compact-multipart.sip": ("VALID", None),
    "response-200-callee-no-attribute.sip": ("INDETERMINATE", "CALLEE_PASSPORT_MISSING"),
    "response-200-callee-two-attributes.sip": ("INVALID", "CALLEE_PASSPORT_MULTIPLE"),
    "response-200-callee-malformed-sdp.sip": ("INDETERMINATE", "CALLEE_SDP_MALFORMED"),
}


def _lf_to_crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def render() -> dict[str, bytes]:
    """File name → exact bytes."""
    world = callee_world()
    urls = WorldUrls(BASE)
    iat = int((CALL_AT - _dt.timedelta(seconds=1)).timestamp())
    sc = world.callee_passport(signer="callee", kid=urls.kid(world, "callee"),
                               evd=urls.evd(world.dossiers["callee"].said), call_id=CALL_ID, cseq=314159, iat=iat,
                               exp=iat + 15, card=("ORG:Bistro Verde", "NICKNAME:Bistro"), goal=GOAL)
    caller = world.dossiers["le"]
    c_iat = iat - 2
    caller_pp = world.passport(signer=caller.signer, kid=urls.kid(world, caller.signer), evd=urls.evd(caller.said),
                               orig=CALLER_TN, dest=DEST, iat=c_iat, exp=c_iat + 15, goal=GOAL)
    invite = invite_text(call_id=CALL_ID, dest=DEST, date=CALL_AT - _dt.timedelta(seconds=3),
                         identity=caller_pp.identity).replace("CSeq: 1 INVITE", "CSeq: 314159 INVITE")

    def ok(lines: list[str], sdp: str | None = None) -> str:
        return response_text(call_id=CALL_ID, dest=DEST, sdp_lines=lines, sdp=sdp).replace(
            "CSeq: 1 INVITE", "CSeq: 314159 INVITE")

    sdp_body = ok([sc.sdp_line]).split("\n\n", 1)[1]
    boundary = "unique-boundary-1"
    multipart = "\n".join([
        "SIP/2.0 200 OK",
        "v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;received=192.0.2.10",
        f"f: \"Acme Widgets\" <sip:{CALLER_TN}@acme.example;user=phone>;tag=9fxced76sl",
        f"t: <sip:{DEST}@bistro.example;user=phone>",
        "  ;tag=8321234356",
        f"i: {CALL_ID}",
        "cseq: 314159 INVITE",
        "m: <sip:bistro@198.51.100.7:5060>",
        f"c: multipart/mixed;boundary={boundary}",
        "",
        f"--{boundary}",
        "Content-Type: application/sdp",
        "",
        sdp_body.rstrip("\n"),
        f"--{boundary}",
        "Content-Type: application/vnd.3gpp.ussd+xml",
        "",
        "<ussd-data><language>en</language></ussd-data>",
        f"--{boundary}--",
        ""])
    return {
        "invite-callee.sip": _lf_to_crlf(invite),
        "response-200-callee.sip": _lf_to_crlf(ok([sc.sdp_line])),
        "response-200-callee-compact-multipart.sip": multipart.encode(),
        "response-200-callee-no-attribute.sip": _lf_to_crlf(ok([])),
        "response-200-callee-two-attributes.sip": _lf_to_crlf(ok([sc.sdp_line, sc.sdp_line])),
        "response-200-callee-malformed-sdp.sip": _lf_to_crlf(ok([], sdp="v=0\nthis line is not SDP\n")),
    }


if __name__ == "__main__":
    SIP_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in render().items():
        (SIP_DIR / name).write_bytes(data)
        print(f"wrote {SIP_DIR / name}")
