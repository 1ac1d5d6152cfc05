"""``fixtures/sip/*callee*.sip`` are what ``tests/_callee_fixtures.py`` renders, and verify as documented.

The INVITE and the 200 OKs are verified through ``vvp verify --sip RESPONSE --invite INVITE`` with
the callee world's evidence map, offline (its URLs are the fixtures' base, never contacted).
"""

from __future__ import annotations

import pytest

from tests._callee_fixtures import EXPECTED, SIP_DIR, render
from tests.callee_kit import Kit, by_id, ck, run_cli  # noqa: F401 - fixture

EXIT = {"VALID": 0, "INVALID": 1, "INDETERMINATE": 3}


def test_files_are_what_the_generator_renders() -> None:
    for name, data in render().items():
        assert (SIP_DIR / name).read_bytes() == data, f"fixtures/sip/{name} is stale: python -m tests._callee_fixtures"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_response_verifies_as_documented(ck: Kit, name: str) -> None:  # noqa: F811
    status, code = EXPECTED[name]
    rc, doc, err = run_cli(["verify", "--sip", str(SIP_DIR / name), "--invite", str(SIP_DIR / "invite-callee.sip"),
                            "--at", "2026-03-01T12:00:00Z", "--trust", str(ck.files.trust),
                            "--evidence", str(ck.files.evidence_map), "--offline", "--json"])
    assert doc is not None, err
    assert (doc["status"], rc) == (status, EXIT[status]), [c for c in doc["checks"] if c["status"] != "pass"]
    assert doc["direction"] == "callee"
    if code is not None:
        assert by_id(doc)["CE-01"]["code"] == code
    else:
        assert by_id(doc)["CE-01"]["status"] == "pass" and by_id(doc)["VC-01"]["status"] == "pass"
        assert doc["claims"]["business"]["status"] == "VALID"  # the caller's goal, read from the INVITE
