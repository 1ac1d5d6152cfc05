"""The SIP framing shared by requests and responses (vvp.stir.sipmessage): one implementation, so
an INVITE (vvp.stir.sip) and the response to it (vvp.callee.sdp) are framed by the same rules and
differ only in how they report a refusal."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vvp import codes
from vvp.callee.sdp import ResponseError, parse_response
from vvp.errors import EvidenceInvalid
from vvp.stir import sipmessage
from vvp.stir.sip import SipError, parse_sip

REQUEST = sipmessage.MessageKind("message", SipError, codes.SIP_TOO_LARGE)
RESPONSE = sipmessage.MessageKind("response", ResponseError)


def test_folding_compact_names_and_blanks() -> None:
    lines = ["f: <tel:+15551234567>", "Subject: one", "\ttwo ", "CALL-ID:  abc  ", ""]
    assert sipmessage.header_fields(lines, REQUEST) == (
        ("From", "<tel:+15551234567>"), ("Subject", "one two"), ("Call-ID", "abc"))


def test_head_and_body_split_at_the_first_empty_line() -> None:
    text = sipmessage.decode(b"\xef\xbb\xbf\r\nINVITE sip:a SIP/2.0\r\nTo: x\r\n\r\nv=0\r\n", REQUEST)
    lines, body = sipmessage.head_lines(text, REQUEST)
    assert lines == ["INVITE sip:a SIP/2.0", "To: x"]
    assert body == "v=0\r\n"


@pytest.mark.parametrize("kind,code", [(REQUEST, codes.SIP_TOO_LARGE), (RESPONSE, codes.CALLEE_RESPONSE_MALFORMED)])
def test_caps_carry_the_kind_s_code(kind: sipmessage.MessageKind, code: str) -> None:
    with pytest.raises(kind.error) as ei:
        sipmessage.header_fields([f"X-{i}: v" for i in range(sipmessage.MAX_HEADER_FIELDS + 1)], kind)
    assert ei.value.code == code
    with pytest.raises(kind.error) as ei:
        sipmessage.decode(b"x" * (sipmessage.MAX_SIP_BYTES + 1), kind)
    assert ei.value.code == code


@pytest.mark.parametrize("kind,code", [(REQUEST, codes.SIP_MALFORMED), (RESPONSE, codes.CALLEE_RESPONSE_MALFORMED)])
def test_framing_faults_carry_the_kind_s_code(kind: sipmessage.MessageKind, code: str) -> None:
    faults: list[tuple[Callable[[], object], str]] = [
        (lambda: sipmessage.lines("a\rb", kind), "a bare CR inside a line"),
        (lambda: sipmessage.header_fields([" folded"], kind, "SIP "), "a continuation line before the first SIP header"),
        (lambda: sipmessage.header_fields(["no colon"], kind), "not a header line: 'no colon'"),
        (lambda: sipmessage.decode(b"\xff", kind), f"the SIP {kind.noun} is not UTF-8"),
        (lambda: sipmessage.decode("a\x00", kind), f"the SIP {kind.noun} contains a NUL character"),
        (lambda: sipmessage.head_lines("\r\n", kind), "empty SIP message"),
        (lambda: sipmessage.single((("To", "a"), ("To", "b")), "To", kind), "the To header appears 2 times"),
    ]
    for call, message in faults:
        with pytest.raises(EvidenceInvalid) as ei:
            call()
        assert type(ei.value) is kind.error and ei.value.code == code and ei.value.message == message


def test_request_and_response_unfold_alike() -> None:
    head = "Call-ID: a\r\n b\r\nCSeq: 1\r\n  INVITE\r\n"
    req = parse_sip("INVITE sip:x SIP/2.0\r\n" + head + "\r\n")
    resp = parse_response("SIP/2.0 200 OK\r\n" + head + "\r\n")
    assert (req.call_id, req.cseq) == (resp.call_id, resp.cseq) == ("a b", "1 INVITE")
    assert req.headers == resp.headers
