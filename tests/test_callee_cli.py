"""``vvp verify`` in callee mode, end to end over HTTP on 127.0.0.1 (architecture §4.1).

Every callee scenario is verified twice: from its real-looking 200 OK and INVITE (``--sip RESPONSE
--invite INVITE``) and from the attribute value alone (``--callee VALUE --call-id --cseq --dest``);
both must give the scenario's expected status and exit code. Bad input is a coded verdict or a
usage error, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.callee_kit import by_id, run_cli, served_callee, write  # noqa: F401 - fixture
from vvp import codes
from vvp.testing.world import ServedWorld
from vvp.testing.world.scenarios import CALLEE_SCENARIOS, crlf, response_text

EXIT = {"VALID": 0, "INVALID": 1, "INDETERMINATE": 3}


@pytest.mark.parametrize("via", ["sip", "value"])
@pytest.mark.parametrize("name", [s.name for s in CALLEE_SCENARIOS])
def test_every_callee_scenario_through_the_cli(served_callee: ServedWorld, name: str, via: str) -> None:  # noqa: F811
    call = served_callee.callee_call(name)
    rc, doc, err = run_cli(call.argv(json_out=True, via=via))  # type: ignore[arg-type]
    assert doc is not None, err
    assert doc["status"] in call.scenario.expected and rc == EXIT[doc["status"]], (doc["status"], err[-800:])
    assert doc["direction"] == "callee"
    if call.scenario.claim is not None and doc["status"] != "VALID":
        assert doc["claims"][call.scenario.claim]["status"] != "VALID"
    assert "Traceback" not in err
    assert ("callee verdict:" in err)


def _value_args(served: ServedWorld) -> list[str]:
    c = served.callee_call("callee-valid")
    return ["--at", c.argv()[c.argv().index("--at") + 1], "--trust", str(c.trust)]


def test_bad_responses_get_a_coded_verdict(served_callee: ServedWorld, tmp_path: Path) -> None:  # noqa: F811
    c = served_callee.callee_call("callee-valid")
    line = c.passport.sdp_line
    cases = {
        "no attribute": (response_text(call_id=c.call_id, dest=c.dest, sdp_lines=[]), 3,
                         codes.CALLEE_PASSPORT_MISSING),
        "two attributes": (response_text(call_id=c.call_id, dest=c.dest, sdp_lines=[line, line]), 1,
                           codes.CALLEE_PASSPORT_MULTIPLE),
        "malformed sdp": (response_text(call_id=c.call_id, dest=c.dest, sdp_lines=[], sdp="v=0\nthis is not sdp\n"), 3,
                          codes.CALLEE_SDP_MALFORMED),
        "not three segments": (response_text(call_id=c.call_id, dest=c.dest,
                                             sdp_lines=["a=callee-passport:abc.def;type=vvp"]), 1, None),
        "a request": ("INVITE sip:x@y SIP/2.0\nCall-ID: a\n\n", 3, codes.CALLEE_RESPONSE_MALFORMED),
    }
    for what, (text, want_rc, code) in cases.items():
        resp = write(tmp_path, f"{what.replace(' ', '-')}.sip", text)
        rc, doc, err = run_cli(["verify", "--sip", str(resp), "--invite", str(c.invite), "--json",
                                *_value_args(served_callee)])
        assert rc == want_rc and doc is not None, (what, rc, err[-500:])
        codes_seen = {k["code"] for k in doc["checks"] if k["status"] != "pass"}
        if code is not None:
            assert code in codes_seen, (what, codes_seen)
        else:
            assert any(x.startswith("JOSE_") for x in codes_seen), (what, codes_seen)
        assert "Traceback" not in err


@pytest.mark.parametrize(("argv", "why"), [
    (["--callee", "a.b.c"], "needs the call"),
    (["--callee", "a.b.c", "--call-id", "x", "--cseq", "1"], "needs the call"),
    (["--identity", "a.b.c", "--cseq", "1"], "callee mode only"),
    (["--identity", "a.b.c", "--caller-goal", "x"], "callee mode only"),
    (["--identity", "a.b.c", "--invite", "INVITE"], "--identity verifies a caller"),
    (["--callee", "a.b.c", "--invite", "INVITE", "--orig", "+15551230001"], "caller mode only"),
    (["--callee", "a.b.c", "--sip", "X"], "not allowed"),
])
def test_mixed_or_incomplete_options_are_usage_errors(argv: list[str], why: str) -> None:
    rc, doc, err = run_cli(["verify", *argv, "--json"])
    assert rc == 2, err
    assert doc is None or doc["error"]["code"] == codes.USAGE_ERROR  # argparse's own errors print no JSON
    assert why in (doc["error"]["message"] if doc else err)
    assert "Traceback" not in err


def test_unreadable_invite_file_is_an_operational_error(served_callee: ServedWorld, tmp_path: Path) -> None:  # noqa: F811
    c = served_callee.callee_call("callee-valid")
    rc, doc, err = run_cli(["verify", "--sip", str(c.response), "--invite", str(tmp_path / "missing.sip"), "--json",
                            *_value_args(served_callee)])
    assert rc == 4 and doc is not None and doc["error"]["code"] == codes.INPUT_UNREADABLE


def test_invite_that_is_not_sip_is_coded(served_callee: ServedWorld, tmp_path: Path) -> None:  # noqa: F811
    c = served_callee.callee_call("callee-valid")
    bad = write(tmp_path, "bad-invite.sip", crlf("hello\n\n"))
    rc, doc, err = run_cli(["verify", "--sip", str(c.response), "--invite", str(bad), "--json",
                            *_value_args(served_callee)])
    assert rc == 3 and doc is not None
    assert by_id(doc)["X-CALLEE-01"]["code"] == codes.SIP_MALFORMED
