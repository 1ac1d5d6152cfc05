"""The verifier's own KERI identifier: keystore location, first use, determinism, signatures
that survive a later rotation, and signatures that must not verify."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.recordkit import OTHER_SALT, SALT, ks_root  # noqa: F401 - a fixture
from vvp import codes
from vvp.errors import OperationalError
from vvp.record import Signature, SignerState, keystore_path, open_identity
from vvp._keri.signer import verify_signature

MSG = b'{"the":"signed content"}'


def test_keystore_location_follows_the_architecture() -> None:
    env = {"VVP_KEYSTORE": "/ks/env", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}
    assert keystore_path("/ks/cli", env) == Path("/ks/cli")
    assert keystore_path(None, env) == Path("/ks/env")
    assert keystore_path(None, {"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}) == Path("/xdg/vvp/keystore")
    assert keystore_path(None, {"HOME": "/home/u"}) == Path("/home/u/.local/share/vvp/keystore")
    # a relative XDG_DATA_HOME is invalid by the XDG spec and ignored; empty values count as unset
    assert keystore_path(None, {"XDG_DATA_HOME": "rel", "VVP_KEYSTORE": "", "HOME": "/h"}) == \
        Path("/h/.local/share/vvp/keystore")


def test_made_on_first_use_inside_its_folder_and_reopened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # keri's defaults would write under ~/.keri
    ks = tmp_path / "a" / "keystore"
    with open_identity(ks) as ident:
        aid = ident.aid
        first = ident.state()
    assert first == SignerState(aid, 0, aid)  # inception: the AID is the SAID of its icp
    assert (ks.stat().st_mode & 0o777) == 0o700
    assert list(home.iterdir()) == []  # nothing outside the keystore
    with open_identity(ks) as again:
        assert again.aid == aid and again.state() == first


def test_a_fixed_salt_gives_the_same_identifier_and_the_same_signatures(ks_root: Path) -> None:
    with open_identity(ks_root / "1", salt=SALT) as a, open_identity(ks_root / "2", salt=SALT) as b, \
            open_identity(ks_root / "3", salt=OTHER_SALT) as c:
        assert a.aid == b.aid != c.aid
        assert a.sign(MSG) == b.sign(MSG)
        assert a.kel() == b.kel()
    with pytest.raises(ValueError):
        with open_identity(ks_root / "4", salt=b"short"):
            pass


def test_a_later_rotation_does_not_invalidate_earlier_signatures(ks_root: Path) -> None:
    with open_identity(ks_root / "ks", salt=SALT) as ident:
        old_sig, old_kel = ident.sign(MSG), ident.kel()
        state = ident.rotate()
        assert state.est_sn == 1 and state.est_said != state.aid
        new_sig, new_kel = ident.sign(MSG), ident.kel()
    assert new_sig.state == state and old_sig.sigs != new_sig.sigs
    # each signature verifies with the KEL that travelled with it, and with the later, longer KEL
    for kel in (old_kel, new_kel):
        chk = verify_signature(kel, MSG, old_sig)
        assert chk.ok and chk.code == codes.OK and chk.est_sn == 0
    chk = verify_signature(new_kel, MSG, new_sig)
    assert chk.ok and chk.kel_sn == 1
    # but the new signature cannot be checked against the KEL from before the rotation
    assert verify_signature(old_kel, MSG, new_sig).code == codes.RECORD_SIGNER_KEL_INVALID
    # and an old-key signature that claims the new establishment event fails
    claimed = Signature(state=state, sigs=old_sig.sigs)
    assert verify_signature(new_kel, MSG, claimed).code == codes.RECORD_SIGNATURE_INVALID


def test_signatures_that_must_not_verify(ks_root: Path) -> None:
    with open_identity(ks_root / "a", salt=SALT) as a, open_identity(ks_root / "b", salt=OTHER_SALT) as b:
        sig, kel = a.sign(MSG), a.kel()
        other_sig, other_kel = b.sign(MSG), b.kel()
    st = sig.state
    cases = {
        "other content": (kel, MSG + b" ", sig, codes.RECORD_SIGNATURE_INVALID),
        "other signer's signature": (kel, MSG, Signature(st, other_sig.sigs), codes.RECORD_SIGNATURE_INVALID),
        "other signer's KEL": (other_kel, MSG, sig, codes.RECORD_SIGNER_KEL_INVALID),
        "no signature": (kel, MSG, Signature(st, ()), codes.RECORD_SIGNATURE_INVALID),
        "garbage signature": (kel, MSG, Signature(st, ("AAnotqb64",)), codes.RECORD_SIGNATURE_INVALID),
        "index beyond the keys": (kel, MSG, Signature(st, ("AB" + sig.sigs[0][2:],)), codes.RECORD_SIGNATURE_INVALID),
        "wrong establishment SAID": (kel, MSG, Signature(SignerState(st.aid, 0, "E" + "A" * 43), sig.sigs),
                                     codes.RECORD_SIGNER_KEL_INVALID),
        "no such event": (kel, MSG, Signature(SignerState(st.aid, 7, st.est_said), sig.sigs),
                          codes.RECORD_SIGNER_KEL_INVALID),
        "empty KEL": (b"", MSG, sig, codes.RECORD_SIGNER_KEL_INVALID),
        "garbage KEL": (b"\x00\xff garbage", MSG, sig, codes.RECORD_SIGNER_KEL_INVALID),
        "flipped KEL body": (kel.replace(b'"kt":"1"', b'"kt":"2"', 1), MSG, sig, codes.RECORD_SIGNER_KEL_INVALID),
    }
    for name, (k, m, s, code) in cases.items():
        chk = verify_signature(k, m, s)
        assert not chk.ok and chk.code == code, name
    assert verify_signature(kel, MSG, sig).ok


def test_an_unusable_keystore_is_an_operational_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OperationalError) as ei:
        with open_identity(blocker / "ks"):
            pass
    assert ei.value.code == codes.KEYSTORE_UNAVAILABLE
    if os.geteuid() != 0:  # root ignores permissions
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        with pytest.raises(OperationalError):
            with open_identity(ro / "ks"):
                pass


# --- the held key: no keystore round trip per signature, byte-identical to keri's signer --------

def _messages() -> list[bytes]:
    big = bytes((i * 7919 + 13) % 256 for i in range(113_000))  # about a record's size
    return [b"", MSG, big, big * 9]


def test_the_held_key_signs_exactly_as_keri_does_before_and_after_a_rotation(ks_root: Path) -> None:
    with open_identity(ks_root / "ks", salt=SALT) as ident:
        for _ in range(2):
            for m in _messages():
                ours = ident.sign(m)
                keris = tuple(str(s.qb64) for s in ident._hab.sign(ser=m, indexed=True))
                assert ours.sigs == keris and ours.state == ident.state()
                assert verify_signature(ident.kel(), m, ours).ok
            ident.rotate()


def test_signing_reads_the_keystore_once_per_establishment_event(ks_root: Path) -> None:
    with open_identity(ks_root / "ks", salt=SALT) as ident:
        pris = ident._hab.mgr.ks.pris
        real_get = pris.get
        reads: list[str] = []

        def counting_get(key: Any, *args: Any, **kwargs: Any) -> Any:
            reads.append(str(key))
            return real_get(key, *args, **kwargs)

        def keri_sign(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("keri's Manager.sign (a keystore read per call) was used")

        def sign_many() -> list[Signature]:
            reads.clear()
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(pris, "get", counting_get)
                mp.setattr(ident._hab.mgr, "sign", keri_sign)
                return [ident.sign(m) for m in _messages() * 5]

        first = sign_many()
        assert len(reads) == 1  # one key, read once
        ident.rotate()  # keri's own rotation signs with its manager (not watched)
        second = sign_many()
        assert len(reads) == 1  # the new event's key, read once
        assert {s.state.est_sn for s in first} == {0} and {s.state.est_sn for s in second} == {1}
        kel = ident.kel()
        assert all(verify_signature(kel, m, s).ok for m, s in zip(_messages() * 10, first + second, strict=True))


def test_the_kel_is_made_once_per_event(ks_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_identity(ks_root / "a", salt=SALT) as ident, open_identity(ks_root / "b", salt=SALT) as twin:
        db = ident._hby.db
        real_iter = db.getFelItemPreIter
        walks: list[bytes] = []

        def counting_iter(pre: bytes, *args: Any, **kwargs: Any) -> Any:
            walks.append(pre)
            return real_iter(pre, *args, **kwargs)

        monkeypatch.setattr(db, "getFelItemPreIter", counting_iter)
        kel0 = ident.kel()
        assert all(ident.kel() is kel0 for _ in range(5)) and len(walks) == 1
        ident.rotate()
        kel1 = ident.kel()
        assert ident.kel() is kel1 and len(walks) == 2 and kel1.startswith(kel0) and kel1 != kel0
        twin.rotate()
        assert twin.kel() == kel1  # the cached text is what a fresh walk of the same KEL gives


def test_a_key_that_cannot_be_reproduced_keeps_keris_signer() -> None:
    """The held key uses OpenSSL only after reproducing keri's own signature; a key of another
    type keeps keri's signer (still held in memory)."""
    from keri.core import coring, signing

    from vvp._keri.signer import _held_key

    ed = signing.Signer(raw=bytes(range(32)), code=coring.MtrDex.Ed25519_Seed, transferable=True)
    held = _held_key(ed, 0)
    assert held.sign(MSG) == str(ed.sign(MSG, index=0, only=False, ondex=0).qb64)
    assert held.sign.__name__ == "fast_sign"
    for index in (1, 63, 64, 70):  # small and big index codes
        held = _held_key(ed, index)
        assert held.sign(MSG * 3) == str(ed.sign(MSG * 3, index=index, only=False, ondex=index).qb64)
    ecdsa = signing.Signer(code=coring.MtrDex.ECDSA_256r1_Seed, transferable=True)
    held = _held_key(ecdsa, 2)
    assert held.sign.__name__ == "keri_sign"
    sig = held.sign(MSG)
    from keri.core import indexing
    siger = indexing.Siger(qb64=sig)
    assert siger.index == 2 and ecdsa.verfer.verify(siger.raw, MSG)
