"""Fetching evidence: the only code in vvp that opens a client connection.

One interface, :class:`Fetcher`: ``fetch(url, kind) -> Fetched`` or a :class:`~vvp.errors.FetchError`
with a stable code. Implementations:

* :class:`HttpFetcher`: http/https with a total deadline, a byte cap, a redirect cap that re-checks
  every hop, the content types of architecture §6 per kind of evidence, and refusal of loopback,
  private, link-local, unspecified, IPv4-mapped and numeric-disguised hosts unless
  ``allow_private_addresses``. The host name is resolved once, every address it resolves to is
  checked, and the TCP connection goes to the checked address (TLS still verifies the name), so a
  DNS answer that changes between check and connect (rebinding) cannot redirect the request.
* :class:`MapFetcher`: ``--evidence MAP`` (exact URL or ``said:<SAID>`` → local file), falling back
  to another fetcher for unmapped URLs; mapped bytes pass the same size cap and type check.
* :class:`OfflineFetcher`: refuses everything (``--offline`` behind a map).
* :class:`MemoryFetcher`: serves bytes held in memory (tests; replay of a record).
* :class:`RecordingFetcher`: wraps any fetcher and keeps every byte it served and every failure,
  in order, for the forensic record.
"""

from __future__ import annotations

import datetime as _dt
import http.client
import ipaddress
import json
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from vvp import codes
from vvp.clock import Clock
from vvp.errors import ConfigError, FetchError


class EvidenceKind(StrEnum):
    """What is being fetched; decides which content types are acceptable (architecture §6)."""

    OOBI = "oobi"
    DOSSIER = "dossier"
    X5U = "x5u"
    CRL = "crl"
    SCHEMA = "schema"
    ACDC = "acdc"


CONTENT_TYPES: Mapping[EvidenceKind, tuple[str, ...]] = {
    EvidenceKind.OOBI: ("application/json+cesr", "application/cesr"),
    EvidenceKind.DOSSIER: ("application/json+cesr", "application/cesr", "application/json"),
    EvidenceKind.ACDC: ("application/json+cesr", "application/cesr", "application/json"),
    EvidenceKind.X5U: ("application/pem-certificate-chain", "application/x-pem-file", "application/pkix-cert"),
    EvidenceKind.CRL: ("application/pkix-crl",),
    EvidenceKind.SCHEMA: ("application/schema+json", "application/json"),
}


@dataclass(frozen=True, slots=True)
class Fetched:
    """Bytes obtained for a URL. ``source`` is ``http``, ``map``, ``memory`` or ``replay``."""

    url: str
    final_url: str
    content_type: str
    body: bytes
    source: str


@dataclass(frozen=True, slots=True)
class FetchFailure:
    url: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class FetchEvent:
    """One fetch as the recording fetcher saw it: either ``fetched`` or ``failure`` is set; ``at``
    is when the recorder's clock saw it end (``None`` when it was given no clock)."""

    url: str
    kind: EvidenceKind
    at: _dt.datetime | None = None
    fetched: Fetched | None = None
    failure: FetchFailure | None = None


class Fetcher(Protocol):
    def fetch(self, url: str, kind: EvidenceKind) -> Fetched: ...


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Limits of one fetch (defaults = the trust store's policy defaults)."""

    timeout_s: float = 5.0
    max_bytes: int = 4194304
    max_redirects: int = 3
    allow_private_addresses: bool = False

    @classmethod
    def from_policy(cls, policy: Any) -> FetchLimits:
        """From any object with the policy's fetch fields (a :class:`vvp.trust.Policy`)."""
        return cls(timeout_s=float(policy.fetch_timeout_s), max_bytes=int(policy.fetch_max_bytes),
                   max_redirects=int(policy.fetch_max_redirects),
                   allow_private_addresses=bool(policy.allow_private_addresses))


def media_type(content_type: str | None) -> str:
    """``application/cesr; charset=x`` → ``application/cesr`` (lower case)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_content_type(url: str, content_type: str | None, kind: EvidenceKind) -> str:
    mt = media_type(content_type)
    if mt not in CONTENT_TYPES[kind]:
        raise FetchError(f"{url}: content type {content_type or '(none)'!r} is not one of "
                         f"{', '.join(CONTENT_TYPES[kind])} for {kind.value}",
                         code=codes.FETCH_BAD_CONTENT_TYPE, url=url)
    return mt


# ---------------------------------------------------------------------------------------------
# Address policy

_DOTTED_CANONICAL = re.compile(r"\A(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\Z")
_NUMERIC_LIKE = re.compile(r"\A(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}\.?\Z", re.IGNORECASE)


def _forbidden_class(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The code for an address vvp will not connect to without ``allow_private_addresses``."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return codes.FETCH_ADDRESS_IPV4_MAPPED if _forbidden_class(ip.ipv4_mapped) else None
    if ip.is_unspecified:
        return codes.FETCH_ADDRESS_UNSPECIFIED
    if ip.is_loopback:
        return codes.FETCH_ADDRESS_LOOPBACK
    if ip.is_link_local:
        return codes.FETCH_ADDRESS_LINK_LOCAL
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")):
        return codes.FETCH_ADDRESS_PRIVATE
    return None


def _always_forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_multicast or (ip.is_reserved and not ip.is_unspecified)


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    literal_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None


def _parse_target(url: str) -> _Target:
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as ex:
        raise FetchError(f"{url}: {ex}", code=codes.FETCH_BAD_URL, url=url) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"{url}: scheme {scheme or '(none)'!r} is not fetched", code=codes.FETCH_SCHEME_REFUSED,
                         url=url)
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchError(f"{url}: no host", code=codes.FETCH_BAD_URL, url=url)
    if parts.username is not None or parts.password is not None:
        raise FetchError(f"{url}: credentials in URLs are refused", code=codes.FETCH_BAD_URL, url=url)
    literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is None and _NUMERIC_LIKE.match(host):
        raise FetchError(f"{url}: host {host!r} is a numeric IPv4 form other than dotted-quad",
                         code=codes.FETCH_HOST_NUMERIC_FORM, url=url)
    if isinstance(literal, ipaddress.IPv4Address) and not _DOTTED_CANONICAL.match(host):
        raise FetchError(f"{url}: host {host!r} is not a canonical dotted-quad", code=codes.FETCH_HOST_NUMERIC_FORM,
                         url=url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(scheme, host, port or (443 if scheme == "https" else 80), path, literal)


Resolver = Callable[[str, int], Sequence[str]]
# (target, checked ip, deadline, original url) -> (status, lower-cased headers, body, content type)
Transport = Callable[["_Target", str, float, str], tuple[int, dict[str, str], bytes, str]]


def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(i[4][0]) for i in infos))


def check_address(ip_text: str, *, url: str, allow_private: bool, via_name: bool) -> None:
    ip = ipaddress.ip_address(ip_text.split("%", 1)[0])
    cls = _forbidden_class(ip)
    if cls is None and _always_forbidden(ip):
        raise FetchError(f"{url}: {ip} is a multicast or reserved address", code=codes.FETCH_ADDRESS_RESERVED,
                         url=url)
    if cls is not None and not allow_private:
        if via_name:
            raise FetchError(f"{url}: host resolves to {ip} ({info_word(cls)}); private addresses are not allowed",
                             code=codes.FETCH_NAME_RESOLVES_PRIVATE, url=url)
        raise FetchError(f"{url}: {ip} is {info_word(cls)}; private addresses are not allowed", code=cls, url=url)


def info_word(code: str) -> str:
    return {codes.FETCH_ADDRESS_LOOPBACK: "a loopback address", codes.FETCH_ADDRESS_PRIVATE: "a private address",
            codes.FETCH_ADDRESS_LINK_LOCAL: "a link-local address",
            codes.FETCH_ADDRESS_UNSPECIFIED: "the unspecified address",
            codes.FETCH_ADDRESS_IPV4_MAPPED: "an IPv4-mapped forbidden address"}.get(code, code)


# ---------------------------------------------------------------------------------------------
# HTTP


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTPConnection that connects to an address already checked, whatever DNS says now."""

    def __init__(self, host: str, port: int, *, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, ip: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._ip = ip
        self._ctx = context

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._ctx.wrap_socket(sock, server_hostname=self.host)


_REDIRECTS = (301, 302, 303, 307, 308)


class HttpFetcher:
    """Fetch over HTTP(S) within :class:`FetchLimits` (module docstring)."""

    def __init__(self, limits: FetchLimits = FetchLimits(), *, resolver: Resolver = system_resolver,
                 transport: Transport | None = None, user_agent: str = "vvp") -> None:
        """``resolver`` and ``transport`` are replaceable so tests can play DNS answers and
        servers that cannot exist on a loopback-only machine (a public host redirecting to a
        private one); production uses the system resolver and the pinned HTTP exchange."""
        self.limits = limits
        self._resolve = resolver
        self._transport: Transport = transport or self._exchange
        self._ua = user_agent

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        deadline = time.monotonic() + self.limits.timeout_s
        current = url
        seen = {url}
        hops = 0
        while True:
            try:
                target = _parse_target(current)
                ip = self._checked_ip(target, current)
            except FetchError as ex:
                if hops == 0:
                    raise FetchError(ex.message, code=ex.code, url=url) from None
                raise FetchError(f"redirect {hops} refused: {ex.message}", code=codes.FETCH_REDIRECT_REFUSED,
                                 url=url) from None
            status, headers, body, ctype = self._transport(target, ip, deadline, url)
            if status in _REDIRECTS:
                loc = headers.get("location")
                if not loc:
                    raise FetchError(f"{current}: redirect {status} without Location", code=codes.FETCH_PROTOCOL_ERROR,
                                     url=url)
                nxt = urllib.parse.urljoin(current, loc)
                hops += 1
                if nxt in seen:
                    raise FetchError(f"{url}: redirect loop at {nxt}", code=codes.FETCH_TOO_MANY_REDIRECTS, url=url)
                if hops > self.limits.max_redirects:
                    raise FetchError(f"{url}: more than {self.limits.max_redirects} redirects",
                                     code=codes.FETCH_TOO_MANY_REDIRECTS, url=url)
                seen.add(nxt)
                current = nxt
                continue
            if status != 200:
                raise FetchError(f"{current}: HTTP {status}", code=codes.FETCH_HTTP_STATUS, url=url)
            check_content_type(current, ctype, kind)
            return Fetched(url=url, final_url=current, content_type=ctype or "", body=body, source="http")

    def _checked_ip(self, t: _Target, url: str) -> str:
        allow = self.limits.allow_private_addresses
        if t.literal_ip is not None:
            check_address(str(t.literal_ip), url=url, allow_private=allow, via_name=False)
            return str(t.literal_ip)
        try:
            addrs = self._resolve(t.host, t.port)
        except (OSError, UnicodeError) as ex:
            raise FetchError(f"{url}: cannot resolve {t.host}: {ex}", code=codes.FETCH_DNS_FAILED, url=url) from None
        if not addrs:
            raise FetchError(f"{url}: {t.host} resolves to nothing", code=codes.FETCH_DNS_FAILED, url=url)
        for a in addrs:  # every answer must be acceptable, not just the one we would pick
            check_address(a, url=url, allow_private=allow, via_name=True)
        return addrs[0]

    def _exchange(self, t: _Target, ip: str, deadline: float, url: str) -> tuple[int, dict[str, str], bytes, str]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"{url}: timed out after {self.limits.timeout_s} s", code=codes.FETCH_TIMEOUT, url=url)
        conn: http.client.HTTPConnection
        if t.scheme == "https":
            conn = _PinnedHTTPSConnection(t.host, t.port, ip=ip, timeout=remaining,
                                          context=ssl.create_default_context())
        else:
            conn = _PinnedHTTPConnection(t.host, t.port, ip=ip, timeout=remaining)
        try:
            conn.putrequest("GET", t.path, skip_accept_encoding=True)
            conn.putheader("User-Agent", self._ua)
            conn.putheader("Accept", "*/*")
            conn.putheader("Accept-Encoding", "identity")
            conn.endheaders()
            resp = conn.getresponse()
            headers = {k.lower(): v for k, v in resp.getheaders()}
            status = resp.status
            if status in _REDIRECTS:
                return status, headers, b"", headers.get("content-type", "")
            if status != 200:
                return status, headers, b"", headers.get("content-type", "")
            clen = headers.get("content-length")
            if clen is not None and clen.isdigit() and int(clen) > self.limits.max_bytes:
                raise FetchError(f"{url}: Content-Length {clen} exceeds {self.limits.max_bytes} bytes",
                                 code=codes.FETCH_TOO_LARGE, url=url)
            chunks: list[bytes] = []
            total = 0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise FetchError(f"{url}: body not received within {self.limits.timeout_s} s",
                                     code=codes.FETCH_TIMEOUT, url=url)
                if conn.sock is not None:
                    conn.sock.settimeout(left)
                chunk = resp.read1(65536)
                if not chunk:
                    break
                total += len(chunk)
                if total > self.limits.max_bytes:
                    raise FetchError(f"{url}: body exceeds {self.limits.max_bytes} bytes", code=codes.FETCH_TOO_LARGE,
                                     url=url)
                chunks.append(chunk)
            return status, headers, b"".join(chunks), headers.get("content-type", "")
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError(f"{url}: timed out after {self.limits.timeout_s} s", code=codes.FETCH_TIMEOUT,
                             url=url) from None
        except ssl.SSLError as ex:
            raise FetchError(f"{url}: TLS failed: {ex}", code=codes.FETCH_TLS_FAILED, url=url) from None
        except (http.client.HTTPException, ValueError) as ex:
            raise FetchError(f"{url}: malformed HTTP exchange: {ex!r}", code=codes.FETCH_PROTOCOL_ERROR,
                             url=url) from None
        except OSError as ex:
            raise FetchError(f"{url}: cannot connect: {ex}", code=codes.FETCH_CONNECT_FAILED, url=url) from None
        finally:
            conn.close()


# ---------------------------------------------------------------------------------------------
# Local, offline, in-memory, recording


class OfflineFetcher:
    """Refuses every URL: nothing is fetched that the evidence map does not provide."""

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        raise FetchError(f"{url}: offline and not in the evidence map", code=codes.FETCH_OFFLINE, url=url)


@dataclass(frozen=True, slots=True)
class MapEntry:
    path: Path
    content_type: str | None = None


_EXT_TYPES = {".cesr": "application/cesr", ".json": "application/json", ".pem": "application/x-pem-file",
              ".crt": "application/pkix-cert", ".cer": "application/pkix-cert", ".der": "application/pkix-cert",
              ".crl": "application/pkix-crl"}


class MapFetcher:
    """``--evidence MAP``: exact URL strings (or ``said:<SAID>``) to local files.

    Mapped URLs are never fetched; anything else goes to ``fallback`` (an :class:`OfflineFetcher`
    under ``--offline``). A map entry without a content type gets one from its file extension when
    that fits the kind of evidence, else the kind's first type: the map is the user's own statement
    of what the bytes are.
    """

    def __init__(self, entries: Mapping[str, MapEntry], fallback: Fetcher, *, max_bytes: int = 4194304) -> None:
        self.entries = dict(entries)
        self.fallback = fallback
        self.max_bytes = max_bytes

    @classmethod
    def load(cls, path: str | Path, fallback: Fetcher, *, max_bytes: int = 4194304) -> MapFetcher:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except OSError as ex:
            raise ConfigError(f"cannot read evidence map {p}: {ex}", code=codes.MAP_UNREADABLE) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as ex:
            raise ConfigError(f"evidence map {p} is not JSON: {ex}", code=codes.MAP_INVALID) from None
        return cls(parse_map(data, p.resolve().parent), fallback, max_bytes=max_bytes)

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        entry = self.entries.get(url)
        if entry is None:
            if url.startswith("said:"):
                raise FetchError(f"{url}: not in the evidence map", code=codes.FETCH_OFFLINE, url=url)
            return self.fallback.fetch(url, kind)
        try:
            size = entry.path.stat().st_size
            if size > self.max_bytes:
                raise FetchError(f"{url}: mapped file {entry.path} has {size} bytes, over {self.max_bytes}",
                                 code=codes.FETCH_TOO_LARGE, url=url)
            body = entry.path.read_bytes()
        except OSError as ex:
            raise FetchError(f"{url}: mapped file unreadable: {ex}", code=codes.MAP_FILE_MISSING, url=url) from None
        ctype = entry.content_type
        if ctype is None:
            guess = _EXT_TYPES.get(entry.path.suffix.lower())
            ctype = guess if guess in CONTENT_TYPES[kind] else CONTENT_TYPES[kind][0]
        check_content_type(url, ctype, kind)
        return Fetched(url=url, final_url=url, content_type=ctype, body=body, source="map")


def parse_map(data: Any, base: Path) -> dict[str, MapEntry]:
    if not isinstance(data, dict):
        raise ConfigError("evidence map must be a JSON object", code=codes.MAP_INVALID)
    out: dict[str, MapEntry] = {}
    for key, val in data.items():
        if isinstance(val, str):
            path, ctype = val, None
        elif isinstance(val, dict) and set(val) <= {"path", "content_type"} and isinstance(val.get("path"), str) \
                and isinstance(val.get("content_type", ""), str):
            path, ctype = val["path"], val.get("content_type")
        else:
            raise ConfigError(f"evidence map entry {key!r} must be a path or {{path, content_type}}",
                              code=codes.MAP_INVALID)
        p = Path(path)
        out[key] = MapEntry(p if p.is_absolute() else base / p, ctype)
    return out


class MemoryFetcher:
    """Serves ``url -> (content_type, body)`` from memory; anything else fails with ``missing_code``."""

    def __init__(self, items: Mapping[str, tuple[str, bytes]], *, missing_code: str = codes.FETCH_OFFLINE,
                 source: str = "memory", failures: Mapping[str, FetchFailure] | None = None) -> None:
        self.items = dict(items)
        self.missing_code = missing_code
        self.source = source
        self.failures = dict(failures or {})

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        if url in self.failures:
            f = self.failures[url]
            raise FetchError(f.message, code=f.code, url=url)
        if url not in self.items:
            raise FetchError(f"{url}: not available", code=self.missing_code, url=url)
        ctype, body = self.items[url]
        check_content_type(url, ctype, kind)
        return Fetched(url=url, final_url=url, content_type=ctype, body=body, source=self.source)


@dataclass
class RecordingFetcher:
    """Wraps a fetcher and keeps every byte served and every failure, in order, with the time each
    ended when given a clock: what a forensic record stores (the front end passes the clock; only
    it decides to use the wall clock)."""

    inner: Fetcher
    clock: Clock | None = None
    events: list[FetchEvent] = field(default_factory=list)

    def fetch(self, url: str, kind: EvidenceKind) -> Fetched:
        try:
            got = self.inner.fetch(url, kind)
        except FetchError as ex:
            self.events.append(FetchEvent(url, kind, self._now(), failure=FetchFailure(url, ex.code, ex.message)))
            raise
        self.events.append(FetchEvent(url, kind, self._now(), fetched=got))
        return got

    def _now(self) -> _dt.datetime | None:
        return self.clock.now() if self.clock is not None else None


def build_fetcher(*, limits: FetchLimits, evidence_map: str | Path | None = None, offline: bool = False) -> Fetcher:
    """The fetcher the CLI options describe: map first, then HTTP (or nothing when offline)."""
    base: Fetcher = OfflineFetcher() if offline else HttpFetcher(limits)
    if evidence_map is None:
        return base
    return MapFetcher.load(evidence_map, base, max_bytes=limits.max_bytes)
