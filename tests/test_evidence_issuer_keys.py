"""Issuer keys for SD-JWT and W3C VC evidence (vvp.evidence.issuer_keys): one reader of the trust
files both formats use, bytes loaded with the trust store or a path read now, every unreadable
file a problem beside the keys that did load, and one refusal when nothing is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from vvp import codes
from vvp.evidence.issuer_keys import load_issuer_keys, require_configured
from vvp.evidence.refusal import Refusal
from vvp.testing import foreign_vc as fv
from vvp.verdict import Status


def test_bytes_and_paths_give_the_same_keys_named_by_their_source(tmp_path: Path) -> None:
    data = fv.jwk_set(fv.public_jwk(fv.ed25519_key("issuer keys a"), kid="a"))
    path = tmp_path / "a.jwks"
    path.write_bytes(data)
    from_bytes = load_issuer_keys([("foreign.sd_jwt_issuers[0]", data)])
    from_path = load_issuer_keys([(str(path), path)])
    assert [k.thumbprint for k in from_bytes.keys] == [k.thumbprint for k in from_path.keys]
    assert [k.kid for k in from_bytes.keys] == ["a"]
    assert from_bytes.keys[0].source == "foreign.sd_jwt_issuers[0]" and from_path.keys[0].source == str(path)
    assert from_bytes.problems == from_path.problems == ()


def test_an_unreadable_file_is_a_problem_and_the_others_still_load(tmp_path: Path) -> None:
    good = fv.jwk_set(fv.public_jwk(fv.p256_key("issuer keys b"), kid="b"))
    got = load_issuer_keys([("missing", tmp_path / "missing.jwks"), ("junk", b"{not json"), ("good", good)])
    assert [k.kid for k in got.keys] == ["b"]
    assert len(got.problems) == 2
    assert got.problems[0].startswith("missing: ") and got.problems[1].startswith("junk: ")


def test_nothing_configured_is_indeterminate() -> None:
    require_configured((Path("x"),), "SD-JWT issuer key", "sd_jwt_issuers")
    with pytest.raises(Refusal) as ei:
        require_configured((), "W3C VC issuer", "vc_issuers")
    assert ei.value.status is Status.INDETERMINATE
    assert ei.value.codes == (codes.FOREIGN_ANCHOR_NOT_CONFIGURED,)
    assert ei.value.message == "no W3C VC issuer is configured (foreign.vc_issuers)"
