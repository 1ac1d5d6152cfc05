"""The SIP response and its SDP: where a callee PASSporT is carried (vvp-protocol.md §1.1, §1.6)."""

from __future__ import annotations

import pytest

from vvp import codes
from vvp.callee.claims import Cseq, parse_cseq, split_value
from vvp.callee.sdp import ResponseError, parse_response, parse_sdp

SDP = ("v=0\r\no=bistro 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
       "a=callee-passport:AAA.BBB.CCC;type=vvp\r\n"
       "m=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nm=video 51372 RTP/AVP 99\r\na=inactive\r\n")
HEAD = ("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\nFrom: <sip:+15551230001@a.example>;tag=1\r\n"
        "To: <sip:+15551230020@b.example>;tag=2\r\nCall-ID: c1@acme.example\r\nCSeq: 1 INVITE\r\n")


def test_full_response_crlf_with_two_media_sections() -> None:
    r = parse_response((HEAD + "Content-Type: application/sdp\r\n\r\n" + SDP).encode())
    assert (r.status, r.reason, r.call_id, r.cseq) == (200, "OK", "c1@acme.example", "1 INVITE")
    assert [(a.value, a.level) for a in r.attributes] == [("AAA.BBB.CCC;type=vvp", 0)]


def test_lf_compact_names_and_folded_lines() -> None:
    text = ("SIP/2.0 180 Ringing\nv: SIP/2.0/UDP 192.0.2.10\nf: <sip:+15551230001@a.example>;tag=1\n"
            "t: <sip:+15551230020@b.example>\ni: c1@acme.example\nCSeq: 1\n INVITE\nc: application/sdp\n\n"
            + SDP.replace("\r\n", "\n"))
    r = parse_response(text)
    assert (r.status, r.call_id, r.cseq, r.content_type) == (180, "c1@acme.example", "1 INVITE", "application/sdp")
    assert len(r.attributes) == 1 and r.attributes[0].level == 0


def test_multipart_body_with_an_sdp_part() -> None:
    body = ("--b1\r\nContent-Type: application/vnd.3gpp.sms\r\n\r\nnot sdp\r\n"
            "--b1\r\nContent-Type: application/sdp\r\n\r\n" + SDP + "--b1--\r\n")
    r = parse_response((HEAD + 'Content-Type: multipart/mixed;boundary="b1"\r\n\r\n' + body).encode())
    assert [a.value for a in r.attributes] == ["AAA.BBB.CCC;type=vvp"]


def test_nested_multipart_and_untyped_sdp_body() -> None:
    inner = "--in\r\nContent-Type: application/sdp\r\n\r\n" + SDP + "--in--\r\n"
    body = "--out\r\nContent-Type: multipart/related; boundary=in\r\n\r\n" + inner + "--out--\r\n"
    r = parse_response(HEAD + "Content-Type: multipart/mixed; boundary=out\r\n\r\n" + body)
    assert len(r.attributes) == 1
    assert len(parse_response(HEAD + "\r\n" + SDP).attributes) == 1  # no Content-Type: SDP by its v= line


def test_media_level_and_repeated_attributes_are_all_reported() -> None:
    sdp = SDP.replace("a=inactive", "a=callee-passport:X.Y.Z")
    attrs = parse_sdp(sdp)
    assert [(a.value, a.level, a.where) for a in attrs] == [
        ("AAA.BBB.CCC;type=vvp", 0, "at session level"), ("X.Y.Z", 2, "in media section 2")]


def test_no_body_and_sdp_without_the_attribute_give_no_attribute() -> None:
    assert parse_response(HEAD + "\r\n").attributes == ()
    plain = SDP.replace("a=callee-passport:AAA.BBB.CCC;type=vvp\r\n", "")
    assert parse_response(HEAD + "Content-Type: application/sdp\r\n\r\n" + plain).attributes == ()


@pytest.mark.parametrize(("text", "code"), [
    ("INVITE sip:+1555@b SIP/2.0\r\nCall-ID: x\r\n\r\n", codes.CALLEE_RESPONSE_MALFORMED),
    ("HTTP/1.1 200 OK\r\n\r\n", codes.CALLEE_RESPONSE_MALFORMED),
    (HEAD + "Call-ID: again\r\n\r\n", codes.CALLEE_RESPONSE_MALFORMED),
    (HEAD + "no colon here\r\n\r\n", codes.CALLEE_RESPONSE_MALFORMED),
    (HEAD + "Content-Type: application/sdp\r\n\r\nthis is not sdp\r\n", codes.CALLEE_SDP_MALFORMED),
    (HEAD + "Content-Type: application/sdp\r\n\r\no=x 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", codes.CALLEE_SDP_MALFORMED),
    (HEAD + "Content-Type: text/html\r\n\r\n<html></html>\r\n", codes.CALLEE_SDP_MALFORMED),
    (HEAD + "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nv=0\r\n", codes.CALLEE_SDP_MALFORMED),
    (HEAD + "Content-Type: multipart/mixed;boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n",
     codes.CALLEE_SDP_MALFORMED),
])
def test_malformed_responses_get_a_code(text: str, code: str) -> None:
    with pytest.raises(ResponseError) as ei:
        parse_response(text)
    assert ei.value.code == code


def test_not_utf8_nul_and_size_are_refused() -> None:
    for data in (b"SIP/2.0 200 OK\r\nX: \xff\r\n\r\n", b"SIP/2.0 200 OK\r\nX: a\x00\r\n\r\n", b"S" * (300 * 1024)):
        with pytest.raises(ResponseError) as ei:
            parse_response(data)
        assert ei.value.code == codes.CALLEE_RESPONSE_MALFORMED


def test_value_split_with_and_without_type() -> None:
    assert split_value("a.b.c;type=vvp") == split_value(" a.b.c ; type=vvp ")
    v = split_value("a.b.c;type=vvp")
    assert (v.token, v.type_param, v.param_error) == ("a.b.c", "vvp", None)
    assert split_value("a.b.c").type_param is None
    assert split_value("a.b.c;type=vvp;foo=1").other_params == ("foo",)
    assert split_value("a.b.c;type").param_error is not None
    assert split_value("a.b.c;type=vvp;type=vvp").param_error is not None


@pytest.mark.parametrize(("value", "want"), [
    (1, Cseq(1, None)), ("314159 INVITE", Cseq(314159, "INVITE")), (" 2 invite ", Cseq(2, "INVITE")), ("7", Cseq(7, None)),
    (True, None), (-1, None), (2**31, None), ("1 INVITE extra", None), ("", None), (1.5, None), (None, None),
])
def test_cseq_forms(value: object, want: Cseq | None) -> None:
    assert parse_cseq(value) == want
