"""The verifier's own KERI identifier: it signs forensic records, and anyone can check it offline.

Why a KERI identifier and not a bare key: a record must say who produced it, and survive that
producer rotating its keys. A KERI AID is self-certifying (its prefix is the digest of its
inception), so the KEL that travels inside every record proves which keys the AID held at every
establishment event without any registry; and a signature names the establishment event (``sn``
and SAID) whose keys made it, so a later rotation does not invalidate it: a verifier of an old
record looks up the keys *at that event*, not the current ones.

Keystore (architecture §4.4): ``--keystore DIR``, else ``$VVP_KEYSTORE``, else
``$XDG_DATA_HOME/vvp/keystore`` (``XDG_DATA_HOME`` defaults to ``~/.local/share``). It is made on
first use: one keri Habery named ``vvp`` holding one transferable, witnessless, single-key AID
named ``verifier``, all of its LMDB stores and config file inside DIR (never keri's default
``/usr/local/var/keri`` or ``~/.keri``). The keystore is not encrypted; the directory is created
``0700`` and its file permissions are what protect the key. A fixed ``salt`` gives the same AID
on every machine: tests and golden records only, never production.

Creation is serialised with an advisory lock on ``DIR/.lock`` so two processes starting at once
(batch workers, a service restart) cannot each create a different identifier.

Verification (:func:`verify_signature`) needs no keystore: the KEL from the record is verified
in a fresh tmpfs store, the establishment event named by the signature is looked up in it, and
the indexed signatures must satisfy that event's signing threshold.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import io
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Import order matters: keri.db.basing first fails with a circular import (keri-notes, Setup).
from keri.core import coring, eventing, indexing, serdering  # noqa: I001
from keri.app import configing, habbing
from keri.db import dbing
from keri import core
import keri
import pysodium

from vvp import codes
from vvp._keri.kel import verify_kel_stream
from vvp.errors import OperationalError
from vvp.keystate import Outcome

HABERY_NAME = "vvp"
HAB_NAME = "verifier"


def keri_version() -> str:
    """The keri library version that actually runs (recorded in every record)."""
    return str(keri.__version__)


def keystore_path(explicit: str | Path | None, environ: Mapping[str, str]) -> Path:
    """Where the verifier's keystore lives (module docstring). ``environ`` is passed in, not
    read here, so that callers and tests decide which environment counts."""
    if explicit:
        return Path(explicit).expanduser()
    env = environ.get("VVP_KEYSTORE", "")
    if env:
        return Path(env).expanduser()
    xdg = environ.get("XDG_DATA_HOME", "")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path(environ.get("HOME") or Path.home()) / ".local/share"
    return base / "vvp" / "keystore"


@dataclass(frozen=True, slots=True)
class SignerState:
    """The verifier's key state that a signature is made under: its AID and the establishment
    event (sequence number and SAID) whose keys sign."""

    aid: str
    est_sn: int
    est_said: str


@dataclass(frozen=True, slots=True)
class Signature:
    """Indexed signatures (qb64) by the keys of ``state``'s establishment event."""

    state: SignerState
    sigs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The outcome of :func:`verify_signature`; ``code`` is ``OK`` when ``ok``."""

    ok: bool
    code: str
    message: str
    aid: str
    est_sn: int
    kel_sn: int | None = None


_PROBES = (b"vvp: the held signing key must sign exactly as keri's signer does", b"")


@dataclass(frozen=True, slots=True)
class _HeldKey:
    """One signing key of an establishment event, held in memory: its index in the event's key
    list and a function from bytes to the qb64 indexed signature keri's ``Manager.sign`` makes."""

    index: int
    sign: Callable[[bytes], str]


@dataclass(frozen=True, slots=True)
class _HeldKeys:
    """The signing keys of one establishment event (``state``), read from the keystore once."""

    state: SignerState
    keys: tuple[_HeldKey, ...]


_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def _held_key(signer: Any, index: int) -> _HeldKey:
    """A key that signs without going back to keri: Ed25519 through libsodium (``pysodium``,
    which keri itself signs with), byte-identical (Ed25519 signatures are deterministic,
    RFC 8032), and the qb64 of the indexed signature written directly: its code and index, which
    keri's ``Siger`` would compute each time (about 20 µs), are taken from keri's own signature
    of a probe, and the 64 signature bytes follow in base64url after the two zero bytes of lead
    padding that CESR gives them. A v2 record signs 32 bytes (its id), where libsodium takes
    about 15 µs and OpenSSL (``cryptography``) about 25 µs; OpenSSL was the faster one for v1's
    100 KB messages, whose hashing dominated. Used only if it reproduces keri's own signatures and
    public key; any other key type keeps keri's signer (still held, so still no keystore read)."""

    def keri_sign(ser: bytes) -> str:
        return str(signer.sign(ser, index=index, only=False, ondex=index).qb64)

    if signer.code != coring.MtrDex.Ed25519_Seed:
        return _HeldKey(index, keri_sign)
    public, secret = pysodium.crypto_sign_seed_keypair(bytes(signer.raw))
    detached = pysodium.crypto_sign_detached
    expected = keri_sign(_PROBES[0])
    body = base64.urlsafe_b64encode(b"\0\0" + detached(_PROBES[0], secret))[2:].decode("ascii")
    code = expected[:len(expected) - len(body)]

    b2a, url_safe = binascii.b2a_base64, _URL_SAFE

    def fast_sign(ser: bytes) -> str:
        # base64.urlsafe_b64encode, without its Python wrapper: b2a_base64 then + and / as - and _
        return code + b2a(b"\0\0" + detached(ser, secret), newline=False).translate(url_safe)[2:].decode("ascii")

    if public != bytes(signer.verfer.raw) or any(fast_sign(m) != keri_sign(m) for m in _PROBES):
        return _HeldKey(index, keri_sign)
    return _HeldKey(index, fast_sign)


class VerifierIdentity:
    """An open keystore: signs bytes, exports the KEL, rotates. Use :func:`open_identity`.

    One instance per process, held open by a long-lived front end (the service, a batch worker);
    its methods hold a lock so a threaded service can share it. Signing does not go back to the
    keystore per call: the private keys of the current establishment event are read from it once
    and held in memory, and read again only when the establishment event changes (a rotation);
    the KEL's CESR text is likewise made once per event. A rotation made by another process on
    the same keystore is not seen until the keystore is opened again (as with keri's own
    in-memory key state).
    """

    def __init__(self, hby: Any, hab: Any, cf: Any, path: Path) -> None:
        self._hby = hby
        self._hab = hab
        self._cf = cf
        self.path = path
        self._lock = threading.Lock()
        self._held: _HeldKeys | None = None
        self._kel: tuple[tuple[int, str], bytes] | None = None
        self._current: SignerState | None = None
        """The current establishment event, read from keri once and again after :meth:`rotate`
        (reading it goes through keri's key-state store: a few µs per record)."""

    @property
    def aid(self) -> str:
        return str(self._hab.pre)

    def state(self) -> SignerState:
        """The current establishment event: the keys a signature made now will be checked with."""
        with self._lock:
            return self._state()

    def _state(self) -> SignerState:
        current = self._current
        if current is None:
            est = self._hab.kever.lastEst
            current = self._current = SignerState(aid=self.aid, est_sn=int(est.s), est_said=str(est.d))
        return current

    def _keys(self, state: SignerState) -> _HeldKeys:
        """The held keys of ``state``'s establishment event, read from the keystore on first use
        and after a rotation (what keri's ``Manager.sign`` reads on every call)."""
        held = self._held
        if held is not None and (held.state is state or held.state == state):
            return held
        mgr = self._hab.mgr
        keys: list[_HeldKey] = []
        with contextlib.redirect_stdout(io.StringIO()):
            for i, verfer in enumerate(self._hab.kever.verfers):
                if mgr.aeid and not mgr.decrypter:
                    raise OperationalError("the verifier keystore is encrypted and no passcode was given",
                                           code=codes.KEYSTORE_UNAVAILABLE)
                signer = mgr.ks.pris.get(verfer.qb64, decrypter=mgr.decrypter)
                if signer is None:
                    raise OperationalError(f"the verifier keystore has no private key for {verfer.qb64}",
                                           code=codes.KEYSTORE_UNAVAILABLE)
                keys.append(_held_key(signer, i))
        held = _HeldKeys(state, tuple(keys))
        self._held = held
        return held

    def sign(self, ser: bytes, *, expect: SignerState | None = None) -> Signature:
        """Sign ``ser`` with the current keys (held in memory: class docstring). ``expect`` guards
        against a rotation between reading the state (which goes into the signed content) and
        signing."""
        with self._lock:
            state = self._state()
            if expect is not None and expect is not state and expect != state:
                raise OperationalError(f"the verifier's key state changed while signing ({expect} -> {state})",
                                       code=codes.KEYSTORE_UNAVAILABLE)
            held = self._keys(state)
            keys = held.keys
            return Signature(state=state, sigs=(keys[0].sign(ser),) if len(keys) == 1 else tuple(k.sign(ser) for k in keys))

    def kel(self) -> bytes:
        """The KEL in first-seen order with the controller signatures only, made once per event
        of the KEL (it changes only when the identifier rotates).

        keri's own ``replay()`` also attaches first-seen datetimes, which are this machine's
        unsigned claims and change on every run; leaving them out keeps records byte-stable
        (golden records) and leaves nothing unsigned in the KEL for a tamperer to flip.
        """
        with self._lock:
            if self._kel is not None and self._current is not None and self._kel[0] == (
                    self._current.est_sn, self._current.est_said):
                return self._kel[1]  # the identifier makes establishment events only: same event, same KEL
            kever = self._hab.kever
            last = (int(kever.sn), str(kever.serder.said))
            if self._kel is not None and self._kel[0] == last:
                return self._kel[1]
            out = bytearray()
            pre = self.aid.encode()
            db = self._hby.db
            for _, _fn, dig in db.getFelItemPreIter(pre):
                key = dbing.dgKey(pre, bytes(dig))
                raw = bytes(db.getEvt(key))
                sigers = [indexing.Siger(qb64b=bytes(s)) for s in db.getSigs(key)]
                out.extend(eventing.messagize(serdering.SerderKERI(raw=raw), sigers=sigers, pipelined=True))
            self._kel = (last, bytes(out))
            return self._kel[1]

    def rotate(self) -> SignerState:
        """Rotate to the pre-committed next key (key hygiene; older records stay valid)."""
        with self._lock:
            with contextlib.redirect_stdout(io.StringIO()):
                self._hab.rotate()
            self._held = None  # the new event's keys are read on the next signature
            self._current = None
            return self._state()

    def close(self) -> None:
        self._held = None  # drop the private keys with the keystore
        with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
            self._hby.close()
        with contextlib.suppress(Exception):
            self._cf.close()


@contextlib.contextmanager
def _creation_lock(path: Path) -> Iterator[None]:
    fd = os.open(path / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _open(path: Path, salt: bytes | None) -> VerifierIdentity:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _creation_lock(path), contextlib.redirect_stdout(io.StringIO()):
        cf = configing.Configer(name=HABERY_NAME, base="", headDirPath=str(path), temp=False, reopen=True,
                                clear=False)
        hby = None
        try:
            salt_qb64 = core.Salter(raw=salt).qb64 if salt is not None else None
            hby = habbing.Habery(name=HABERY_NAME, base="", temp=False, headDirPath=str(path), cf=cf,
                                 salt=salt_qb64)
            hab = hby.habByName(HAB_NAME)
            if hab is None:
                hab = hby.makeHab(name=HAB_NAME, isith="1", icount=1, nsith="1", ncount=1, transferable=True)
        except BaseException:
            with contextlib.suppress(Exception):
                if hby is not None:
                    hby.close()
            with contextlib.suppress(Exception):
                cf.close()
            raise
    return VerifierIdentity(hby, hab, cf, path)


@contextlib.contextmanager
def open_identity(path: str | Path, *, salt: bytes | None = None) -> Iterator[VerifierIdentity]:
    """Open (creating on first use) the verifier's identifier in keystore ``path``.

    ``salt`` (16 bytes) makes the identifier deterministic: for tests and golden records only.
    Raises :class:`~vvp.errors.OperationalError` with ``KEYSTORE_UNAVAILABLE`` when the keystore
    cannot be opened or made.
    """
    p = Path(path)
    if salt is not None and len(salt) != 16:
        raise ValueError("the keystore salt must be 16 bytes")
    try:
        ident = _open(p, salt)
    except OSError as ex:
        raise OperationalError(f"cannot open or create the verifier keystore {p}: {ex}",
                               code=codes.KEYSTORE_UNAVAILABLE) from None
    except Exception as ex:  # noqa: BLE001 - keri raises assorted types for a damaged store
        raise OperationalError(f"cannot open the verifier keystore {p}: {type(ex).__name__}: {ex}",
                               code=codes.KEYSTORE_UNAVAILABLE) from None
    try:
        yield ident
    finally:
        ident.close()


def verify_signature(kel: bytes, ser: bytes, signature: Signature) -> SignatureCheck:
    """Check ``signature`` over ``ser`` against the key state of ``kel`` at the signing event.

    Never raises for bad input: every failure is a :class:`SignatureCheck` with a record code.
    The KEL goes through the project's KEL verifier (:func:`vvp._keri.kel.verify_kel_stream`,
    which also survives truncated and garbled streams that would hang keri's own parser); it must
    hold the verifier's AID only, with every event accepted. It may extend past the signing event
    (a later rotation): only the establishment event the signature names matters, and it must be
    the one in this KEL at that sequence number.
    """
    st = signature.state

    def bad(code: str, msg: str, kel_sn: int | None = None) -> SignatureCheck:
        return SignatureCheck(False, code, msg, st.aid, st.est_sn, kel_sn)

    try:
        stream = verify_kel_stream(kel)
        if stream.issues:
            return bad(codes.RECORD_SIGNER_KEL_INVALID, f"the verifier KEL is not a clean CESR stream: "
                                                        f"{stream.issues[0].code}: {stream.issues[0].message}")
        if stream.aids != (st.aid,):
            return bad(codes.RECORD_SIGNER_KEL_INVALID,
                       f"the verifier KEL must establish {st.aid} and nothing else (it holds {list(stream.aids)})")
        events = stream.events_of(st.aid)
        refused = [e for e in events if e.outcome is not Outcome.ACCEPTED]
        if refused:
            e = refused[0]
            return bad(codes.RECORD_SIGNER_KEL_INVALID,
                       f"event sn={e.sn} of the verifier KEL is {e.outcome.value}: {e.code}: {e.message}")
        kel_sn = max(e.sn for e in events)
        est = next((e for e in events if e.sn == st.est_sn and e.establishment), None)
        if est is None or est.said != st.est_said or est.keys is None or est.kt is None:
            return bad(codes.RECORD_SIGNER_KEL_INVALID,
                       f"the verifier KEL has no establishment event sn={st.est_sn} with SAID {st.est_said}", kel_sn)
        try:
            sigers = [indexing.Siger(qb64=s) for s in signature.sigs]
        except Exception as ex:  # noqa: BLE001 - keri raises assorted types for malformed qb64
            return bad(codes.RECORD_SIGNATURE_INVALID, f"malformed signature: {type(ex).__name__}", kel_sn)
        if not sigers:
            return bad(codes.RECORD_SIGNATURE_INVALID, "no signature", kel_sn)
        if any(s.index >= len(est.keys) for s in sigers):
            return bad(codes.RECORD_SIGNATURE_INVALID, "a signature index names no key of the signing event", kel_sn)
        verfers = [coring.Verfer(qb64=k) for k in est.keys]
        _, indices = eventing.verifySigs(raw=ser, sigers=sigers, verfers=verfers)
        kt = list(est.kt) if isinstance(est.kt, tuple) else est.kt
        kt = [list(c) if isinstance(c, tuple) else c for c in kt] if isinstance(kt, list) else kt
        if len(indices) != len(sigers) or not coring.Tholder(sith=kt).satisfy(indices):
            return bad(codes.RECORD_SIGNATURE_INVALID,
                       f"the signature does not verify with the keys of {st.aid} at sn={st.est_sn}", kel_sn)
        return SignatureCheck(True, codes.OK, f"signed by {st.aid} with the keys of its event sn={st.est_sn}",
                              st.aid, st.est_sn, kel_sn)
    except Exception as ex:  # noqa: BLE001 - keri must not crash a reverify; it becomes a coded finding
        return bad(codes.RECORD_SIGNER_KEL_INVALID, f"the verifier KEL could not be processed: {type(ex).__name__}")
