"""The SIP redirect front end (architecture §4.5, ``vvp serve --sip udp:HOST:PORT``).

Many carriers integrate call verification as a SIP redirect server: the SBC forwards the INVITE,
the verifier answers ``302 Moved Temporarily`` with the verdict in the headers, and the SBC
routes on it. Each worker process binds the UDP port itself (``SO_REUSEPORT``: the kernel hashes
each sender's datagrams to one worker, so a retransmission reaches the worker that holds its
transaction) and answers on the worker's event loop, through the same
:meth:`~vvp.service.worker.Worker.answer` as HTTP: same Verifier and caches, same admission
limit, same deadline, same store, and the record is committed before the 302 leaves.

Per datagram:

* a response, or an ACK (for our 302), is absorbed;
* ``OPTIONS`` → 200 with ``Allow``;
* ``INVITE`` → ``100 Trying`` at once, then the verification with the INVITE itself as the SIP
  context (From, P-Asserted-Identity, To, Request-URI, Date, Call-ID, CSeq, every Identity header;
  the message is parsed by :func:`vvp.stir.sip.parse_sip`, the parser of ``vvp verify --sip
  FILE``), then ``302`` whose ``Contact`` is the Request-URI, with ``verstat`` (RFC 8224 §6.2.2)
  on the P-Asserted-Identity (or From) URI and ``X-VVP-Status``, ``X-VVP-Record`` headers (and
  ``X-VVP-Replay``/``X-VVP-Deadline`` when those apply);
* a retransmission of a transaction (same top Via branch, Call-ID and CSeq) gets the same answer
  (the 100 while the verification runs, the 302 after) without a second verification;
* any other method → 405; a request that cannot be parsed → 400 when its Via, Call-ID, CSeq, From
  and To can still be read for the reply (otherwise it is dropped, RFC 3261 §16.3);
* overload (the worker's queue full) → 503 with ``Retry-After``; a record that cannot be stored →
  503: a call is never redirected without its record.

The reference time is the arrival time (``--sip-at TIME`` fixes it, for replaying captured
traffic and for tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import re
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from vvp import clock, codes
from vvp.errors import VvpError
from vvp.service import metrics
from vvp.service.config import ServiceConfig, parse_sip_address
from vvp.service.worker import Answer, ServiceRefusal, Worker
from vvp.stir import atis
from vvp.stir.sip import SipError, SipRequest, canonical_header_name, parse_sip
from vvp.stir.verstat import SIP_REASONS, Verstat
from vvp.verifier import CallInput

MAX_DATAGRAM: Final = 65535
TRANSACTION_TTL_S: Final = 32.0
"""RFC 3261 Timer H / 64·T1: how long a transaction's answer is kept for retransmissions."""
MAX_TRANSACTIONS: Final = 20000
ALLOW: Final = "INVITE, ACK, OPTIONS"
_COPIED: Final = ("Via", "From", "To", "Call-ID", "CSeq")
_BRANCH = re.compile(r";\s*branch\s*=\s*([^;,\s]+)", re.IGNORECASE)
_TAG = re.compile(r";\s*tag\s*=", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Verified:
    """What the 302 carries, from an :class:`~vvp.service.worker.Answer`."""

    status: str
    verstat: str
    record_id: str
    replay: bool
    deadline: bool


def verstat_of(answer: Answer) -> str:
    """The ATIS endpoint's verstat rule (SHAKEN when present, else VVP); a replay is Failed."""
    if answer.replay is not None:
        return Verstat.FAILED.value
    return str(atis.response_verstat(answer.verdict_json)["verstat"])


def _lenient_headers(data: bytes) -> dict[str, list[str]]:
    """Header values by canonical name from a message the strict parser refused: only to address
    the 400 that says so (nothing from here is verified)."""
    out: dict[str, list[str]] = {}
    try:
        text = data.decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - any failure means: no reply possible
        return out
    for line in text.replace("\r\n", "\n").split("\n")[1:]:
        if not line.strip():
            break
        name, sep, value = line.partition(":")
        if sep and name.strip() and not name[:1].isspace():
            out.setdefault(canonical_header_name(name.strip()), []).append(value.strip())
    return out


def _start_line(data: bytes) -> tuple[str, str]:
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    parts = first.split(" ")
    return (parts[0].upper() if parts else "", first)


def response(code: int, reason: str, copied: Mapping[str, list[str]], extra: list[tuple[str, str]],
             *, to_tag: str | None = None) -> bytes:
    """A SIP response: the request's Via (all, in order), From, To (with our tag), Call-ID, CSeq."""
    lines = [f"SIP/2.0 {code} {reason}"]
    for name in _COPIED:
        values = copied.get(name, [])
        for v in values if name == "Via" else values[:1]:
            if name == "To" and to_tag and not _TAG.search(v):
                v = f"{v};tag={to_tag}"
            lines.append(f"{name}: {v}")
    lines += [f"{n}: {v}" for n, v in extra]
    lines += ["Server: vvp", "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode("utf-8")


def _headers_of(req: SipRequest) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for n, v in req.headers:
        out.setdefault(n, []).append(v)
    return out


def _with_param(value: str, param: str) -> str:
    """``<uri>;params`` or ``Name <uri>`` with ``;param`` added inside the URI's angle brackets
    (RFC 8224 §6.2.2: verstat is a parameter of the URI), or to a bare URI."""
    lt, gt = value.find("<"), value.find(">")
    if 0 <= lt < gt:
        return value[:gt] + f";{param}" + value[gt:]
    return f"<{value.strip()};{param}>"


def _transaction_key(h: Mapping[str, list[str]]) -> tuple[str, str, str] | None:
    via = h.get("Via", [""])[0]
    m = _BRANCH.search(via)
    callid = h.get("Call-ID", [""])[0]
    cseq = h.get("CSeq", [""])[0]
    if not callid or not cseq:
        return None
    return (m.group(1) if m else via, callid, " ".join(cseq.split()))


class SipFront(asyncio.DatagramProtocol):
    """One worker's SIP endpoint (module docstring)."""

    def __init__(self, cfg: ServiceConfig, worker: Worker, *, fixed_at: _dt.datetime | None = None) -> None:
        self.cfg = cfg
        self.worker = worker
        self.fixed_at = fixed_at
        self.transport: asyncio.DatagramTransport | None = None
        self._tx: OrderedDict[tuple[str, str, str], tuple[float, bytes]] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._tag = "vvp" + secrets.token_hex(4)  # our To tag (RFC 3261 §8.2.6.2)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not the asyncio class

    def _send(self, data: bytes, addr: Any) -> None:
        if self.transport is not None:
            self.transport.sendto(data, addr)

    def _remember(self, key: tuple[str, str, str], data: bytes) -> None:
        now = time.monotonic()
        self._tx[key] = (now + TRANSACTION_TTL_S, data)
        self._tx.move_to_end(key)
        while self._tx and (len(self._tx) > MAX_TRANSACTIONS or next(iter(self._tx.values()))[0] < now):
            self._tx.popitem(last=False)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        method, first = _start_line(data)
        if not method or first.startswith("SIP/"):
            return  # a response (or noise): nothing to answer
        if method == "ACK":
            metrics.count(metrics.child(metrics.SIP_MESSAGES, "ACK", "absorbed"))
            return
        try:
            req = parse_sip(data)
        except SipError as ex:
            self._bad_request(data, addr, method, ex.code)
            return
        h = _headers_of(req)
        key = _transaction_key(h)
        if key is None or not h.get("Via") or not h.get("From") or not h.get("To"):
            self._bad_request(data, addr, method, codes.SIP_REQUEST_UNPARSABLE)
            return
        hit = self._tx.get(key)
        if hit is not None and hit[0] >= time.monotonic():
            metrics.SIP_RETRANSMISSIONS.inc()
            self._send(hit[1], addr)
            return
        if req.method == "OPTIONS":
            out = response(200, "OK", h, [("Allow", ALLOW), ("Accept", "application/sdp")], to_tag=self._tag)
            self._remember(key, out)
            metrics.count(metrics.child(metrics.SIP_MESSAGES, "OPTIONS", "200"))
            self._send(out, addr)
            return
        if req.method != "INVITE":
            out = response(405, "Method Not Allowed", h, [("Allow", ALLOW),
                                                         ("X-VVP-Error", codes.SIP_METHOD_NOT_SUPPORTED)],
                           to_tag=self._tag)
            self._remember(key, out)
            metrics.SIP_MESSAGES.labels(req.method[:16], "405").inc()
            self._send(out, addr)
            return
        trying = response(100, "Trying", h, [])
        self._remember(key, trying)
        self._send(trying, addr)
        task = asyncio.get_running_loop().create_task(self._invite(req, h, key, data, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _bad_request(self, data: bytes, addr: Any, method: str, code: str) -> None:
        h = _lenient_headers(data)
        metrics.SIP_MESSAGES.labels(method[:16] or "?", "400").inc()
        if all(h.get(n) for n in _COPIED):
            self._send(response(400, "Bad Request", h, [("X-VVP-Error", code)], to_tag=self._tag), addr)

    async def _invite(self, req: SipRequest, h: Mapping[str, list[str]], key: tuple[str, str, str], raw: bytes,
                      addr: Any) -> None:
        started, received_at = time.monotonic(), clock.now()
        at = self.fixed_at or received_at
        call = CallInput(reference_time=at, sip=raw, call_id=req.call_id)
        try:
            a = await self.worker.answer(call, endpoint="sip", received_at=received_at, started=started)
        except ServiceRefusal as ex:
            out = response(503, "Service Unavailable", h, [("Retry-After", str(self.cfg.retry_after_s)),
                                                           ("X-VVP-Error", ex.code)], to_tag=self._tag)
            code = "503"
        except VvpError as ex:  # the record could not be stored: no redirect without it
            out = response(503, "Service Unavailable", h, [("Retry-After", str(self.cfg.retry_after_s)),
                                                           ("X-VVP-Error", ex.code)], to_tag=self._tag)
            code = "503"
        else:
            out = self.redirect(req, h, a)
            code = "302"
            metrics.observe(metrics.SIP_SECONDS, time.monotonic() - started)
        self._remember(key, out)
        metrics.count(metrics.child(metrics.SIP_MESSAGES, "INVITE", code))
        self._send(out, addr)

    def redirect(self, req: SipRequest, h: Mapping[str, list[str]], a: Answer) -> bytes:
        verstat = verstat_of(a)
        metrics.count(metrics.child(metrics.VERSTATS, verstat))
        identity = (h.get("P-Asserted-Identity") or h.get("From") or [""])[0]
        extra = [("Contact", f"<{req.request_uri}>"),
                 ("P-Asserted-Identity", _with_param(_without_tag(identity), f"verstat={verstat}")),
                 ("X-VVP-Status", str(a.verdict_json.get("status"))),
                 ("X-VVP-Record", a.record_id)]
        if a.replay is not None:
            extra.append(("X-VVP-Replay", codes.SERVICE_PASSPORT_REPLAYED))
        if a.deadline is not None:
            extra.append(("X-VVP-Deadline", codes.SERVICE_DEADLINE_EXCEEDED))
        reason = atis.response_verstat(a.verdict_json).get("reasonCode")
        if isinstance(reason, int) and reason in SIP_REASONS and verstat != Verstat.PASSED.value:
            extra.append(("Reason", f'SIP;cause={reason};text="{SIP_REASONS[reason]}"'))
        return response(302, "Moved Temporarily", h, extra, to_tag=self._tag)

    async def drain(self, timeout: float) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _without_tag(value: str) -> str:
    """A From value without its ``tag`` header parameter (it is not part of the identity)."""
    gt = value.find(">")
    head, tail = (value[:gt + 1], value[gt + 1:]) if gt >= 0 else (value, "")
    tail = ";".join(p for p in tail.split(";") if not p.strip().lower().startswith("tag="))
    return head + tail


async def start_sip(cfg: ServiceConfig, worker: Worker) -> SipFront:
    """Bind ``cfg.sip`` (UDP, ``SO_REUSEPORT`` so every worker binds it) on the running loop."""
    assert cfg.sip is not None
    host, port = parse_sip_address(cfg.sip)
    fixed = clock.parse_time(cfg.sip_at) if cfg.sip_at else None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_datagram_endpoint(lambda: SipFront(cfg, worker, fixed_at=fixed), sock=sock)
    return proto
