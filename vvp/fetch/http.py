"""HTTP(S) within limits: the address policy (no loopback, private, link-local or disguised hosts
unless allowed; the connection pinned to the checked address) and :class:`HttpFetcher`."""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vvp import codes
from vvp.errors import FetchError


from vvp.fetch.base import (
    EvidenceKind,
    Fetched,
    FetchLimits,
    check_content_type,
)
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


