"""PASSporTs and Identity values signed in the world: both signature forms of vvp-protocol.md
§1.5, the key in force at the chosen time, and scenario calls that cite the right evidence."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.world_fixtures import served_world, world  # noqa: F401 - fixtures
from vvp.testing.worldgen import BEFORE_ROTATION_AT, CALL_AT, SignedPassport, World
from vvp.testing.world import SCENARIOS, ServedWorld

IAT = int(CALL_AT.timestamp())


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _public(qb64: str) -> Ed25519PublicKey:
    assert qb64.startswith("D") and len(qb64) == 44  # transferable Ed25519 verification key
    return Ed25519PublicKey.from_public_bytes(_b64d("A" + qb64[1:])[1:])


def _raw_sig(segment: str) -> bytes:
    if len(segment) == 88:  # CESR: "0B" + 86; replace 0B with AA, decode 66 bytes, two zero bytes first
        assert segment.startswith("0B")
        raw = _b64d("AA" + segment[2:])
        assert len(raw) == 66 and raw[:2] == b"\0\0"
        return raw[2:]
    assert len(segment) == 86
    return _b64d(segment)


def _verify(sp: SignedPassport, public: str) -> None:
    h, p, s = sp.jws.split(".")
    _public(public).verify(_raw_sig(s), f"{h}.{p}".encode())


def _sign(w: World, **kw: object) -> SignedPassport:
    args: dict[str, object] = dict(signer="signer", kid="http://127.0.0.1:1/oobi/k/controller",
                                   evd="http://127.0.0.1:1/dossiers/d.cesr", orig="+15551230001",
                                   dest="+16135550142", iat=IAT)
    args.update(kw)
    return w.passport(**args)  # type: ignore[arg-type]


def test_jws_and_cesr_forms_carry_the_same_signature(world: World) -> None:  # noqa: F811
    jws, cesr = _sign(world, form="jws"), _sign(world, form="cesr")
    s1, s2 = jws.jws.split(".")[2], cesr.jws.split(".")[2]
    assert len(s1) == 86 and len(s2) == 88 and s2.startswith("0B")
    assert _raw_sig(s1) == _raw_sig(s2)
    assert base64.urlsafe_b64encode(_raw_sig(s1)).rstrip(b"=").decode() == s1  # canonical base64url
    key = world.parties["signer"].key_at(CALL_AT).public_keys[0]
    _verify(jws, key)
    _verify(cesr, key)


def test_header_claims_and_identity_value(world: World) -> None:  # noqa: F811
    sp = _sign(world, card=("ORG:Acme Widgets Inc",), goal="negotiate.schedule")
    h, p, _ = sp.jws.split(".")
    assert json.loads(_b64d(h)) == {"alg": "EdDSA", "typ": "passport", "ppt": "vvp",
                                    "kid": "http://127.0.0.1:1/oobi/k/controller"}
    claims = json.loads(_b64d(p))
    assert claims == dict(sp.claims)
    assert claims["orig"] == {"tn": ["+15551230001"]} and claims["dest"] == {"tn": ["+16135550142"]}
    assert claims["exp"] - claims["iat"] == 15 and claims["iat"] == IAT
    assert sp.identity == f"{sp.jws};info=<http://127.0.0.1:1/oobi/k/controller>;alg=EdDSA;ppt=vvp"
    assert json.loads(_b64d(_sign(world, tn_plus=False).jws.split(".")[1]))["orig"] == {"tn": ["15551230001"]}


def test_key_follows_the_rotation(world: World) -> None:  # noqa: F811
    signer = world.parties["signer"]
    old, new = signer.keys[0].public_keys[0], signer.keys[1].public_keys[0]
    before = _sign(world, iat=int(BEFORE_ROTATION_AT.timestamp()))
    assert before.key_sn == 0
    _verify(before, old)
    stale = _sign(world, key_at=BEFORE_ROTATION_AT)
    assert stale.key_sn == 0
    _verify(stale, old)
    with pytest.raises(InvalidSignature):
        _verify(stale, new)
    assert _sign(world, key_sn=1).key_sn == 1


@pytest.mark.parametrize("tamper", ["signature", "payload"])
def test_tampered_passports_do_not_verify(world: World, tamper: str) -> None:  # noqa: F811
    sp = _sign(world, tamper=tamper)
    with pytest.raises(InvalidSignature):
        _verify(sp, world.parties["signer"].key_at(CALL_AT).public_keys[0])


def test_scenario_calls_cite_their_evidence(served_world: ServedWorld) -> None:  # noqa: F811
    w = served_world.world
    assert [c.name for c in served_world.calls] == [s.name for s in SCENARIOS]
    for call in served_world.calls:
        d = w.dossiers[call.scenario.dossier]
        assert call.evd == served_world.urls.evd(d.said) and call.passport.claims["evd"] == call.evd
        signer = call.scenario.signer or d.signer
        assert call.passport.header["kid"] == call.kid and w.parties[signer].aid in call.kid
        files = served_world.files
        assert call.trust == {"main": files.trust, "untrusted": files.trust_untrusted,
                              "untrusted_tn": files.trust_untrusted_tn, "strict": files.trust_strict}[call.scenario.trust]
        argv = call.argv(json_out=True)
        assert argv[:3] == ["verify", "--identity", call.identity] and argv[-1] == "--json"
        assert "--at" in argv and argv[argv.index("--at") + 1].endswith("Z")
    valid = served_world.call("valid")
    dossier = w.credentials["dossier_le"]
    delsig = w.credentials[dossier.edges["delsig"]]
    assert delsig.issuee == valid.passport.signer_aid
    assert valid.orig in w.dossiers["le"].numbers
    assert served_world.call("valid-cesr-signature").passport.jws.split(".")[2].startswith("0B")
    assert served_world.call("rotated-out-key").passport.key_sn == 0
    assert served_world.call("valid").passport.key_sn == 1
