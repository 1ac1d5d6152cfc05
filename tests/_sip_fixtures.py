"""Generator of ``fixtures/sip/*.sip``: hand-written SIP text around deterministic test PASSporTs.

Run ``.venv/bin/python -m tests._sip_fixtures`` to rewrite the files; ``tests/test_sip_parse.py``
fails when a file differs from what this module renders, so the fixtures and the tokens they
embed cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

from tests._vvp_tokens import DEST, FIXTURES, ORIG, T0, b64url_encode, identity, make_token, seg

SIP_DIR = FIXTURES / "sip"

VVP_TOKEN = make_token()
# A SHAKEN PASSporT for routing only: well-formed, but its ES256 signature is 64 zero bytes.
SHAKEN_TOKEN = ".".join((
    seg({"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": "https://cert.example.org/sp.pem"}),
    seg({"attest": "A", "dest": {"tn": [DEST[1:]]}, "iat": T0, "orig": {"tn": ORIG[1:]},
         "origid": "123e4567-e89b-12d3-a456-426655440000"}),
    b64url_encode(bytes(64)),
))
DATE = format_datetime(dt.datetime.fromtimestamp(T0 + 1, dt.UTC), usegmt=True)

_COMPACT_FOLDED = f"""INVITE sip:{DEST}@ims.example.net;user=phone SIP/2.0
v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds
Max-Forwards: 70
f: "Example Corp"
  <sip:{ORIG}@gw.example.com;user=phone>;tag=1928301774
t: <tel:{DEST[:2]}-{DEST[2:5]}-{DEST[5:8]}-{DEST[8:]}>
i: a84b4c76e66710@pc33.example.com
CSeq: 314159 INVITE
Date: {DATE}
m: <sip:caller@192.0.2.10:5060>
y: {VVP_TOKEN}
  ;info=<https://agent.example.com/oobi/info>;alg=EdDSA
\t;ppt=vvp
y: {SHAKEN_TOKEN};info=<https://cert.example.org/sp.pem>;alg=ES256;ppt="shaken"
c: application/sdp
l: 0

"""

_FULL_CRLF = f"""INVITE tel:{DEST} SIP/2.0
Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK74bf9
MAX-FORWARDS: 70
From: <sip:anonymous@anonymous.invalid>;tag=9fxced76sl
p-asserted-identity: "Example Corp" <sip:{ORIG}@gw.example.com;user=phone>, <tel:{ORIG}>
TO: "Callee" <sip:{DEST[1:]}@ims.example.net>
Call-ID: 3848276298220188511@atlanta.example.com
cseq:   2  INVITE
date: {DATE}
IDENTITY: {identity(VVP_TOKEN)}, {SHAKEN_TOKEN};info=<https://cert.example.org/sp.pem>;ppt=shaken
Content-Type: application/sdp
Content-Length: 32

v=0
o=- 0 0 IN IP4 192.0.2.10
"""

_MISMATCH = f"""INVITE sip:+19995550000@ims.example.net;user=phone SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds8
From: <sip:+19995550001@gw.example.com;user=phone>;tag=1
To: <sip:+19995550000@ims.example.net;user=phone>
Call-ID: replayed-1@example.com
CSeq: 1 INVITE
Date: {format_datetime(dt.datetime.fromtimestamp(T0 + 600, dt.UTC), usegmt=True)}
Identity: {identity(VVP_TOKEN)}

"""

_RESPONSE = """SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds
From: <sip:+17045550100@gw.example.com>;tag=1
To: <sip:+12125550199@ims.example.net>;tag=2
Call-ID: a84b4c76e66710@pc33.example.com
CSeq: 314159 INVITE

"""


def render() -> dict[str, bytes]:
    """File name → exact bytes."""
    return {
        "invite-compact-folded.sip": _COMPACT_FOLDED.encode(),
        "invite-full-crlf.sip": _FULL_CRLF.replace("\n", "\r\n").encode(),
        "invite-context-mismatch.sip": _MISMATCH.replace("\n", "\r\n").encode(),
        "response-200.sip": _RESPONSE.replace("\n", "\r\n").encode(),
    }


if __name__ == "__main__":
    SIP_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in render().items():
        (SIP_DIR / name).write_bytes(data)
        print(f"wrote {SIP_DIR / name}")
