"""HTTP(S) within limits: the address policy and :class:`HttpFetcher`, the only client connections.

Address policy (architecture §6): loopback, private, link-local, unspecified, IPv4-mapped (and
NAT64, 6to4, Teredo) forms of those, and numeric disguises of IPv4 hosts are refused unless
``allow_private_addresses``; link-local and cloud-metadata addresses are refused **even then**
(a redirect to ``169.254.169.254`` must never be followed); multicast and reserved ranges always.
Every address a name resolves to must pass, and the connection goes to the address that was
checked (no DNS rebinding between the check and the connect).

The exchange is read here rather than by ``http.client``, because the limits are total, not per
read (evidence-formats.md §6):

* **one deadline** per fetch (``fetch_timeout_s``) covers name resolution, connect, TLS, the
  status line, the headers and the body, across redirects. Every socket operation gets the time
  left as its timeout, recomputed before each read, so a server dripping one byte a second is cut
  off at the deadline overall; ``http.client`` reads headers with blocking reads of the socket's
  fixed timeout, and a drip restarted that timeout at every byte;
* the status line and headers are capped (line length, total size, field count); interim ``1xx``
  responses are counted (``100 Continue`` for ever is a protocol error, or the deadline);
* the body is read to exactly ``Content-Length`` (fewer bytes then a close is
  ``FETCH_BODY_INCOMPLETE``, not a complete body), or chunked, or to the close, never beyond
  ``fetch_max_bytes``;
* ``Accept-Encoding: identity`` is sent, and a body with any ``Content-Encoding`` (or a
  ``Transfer-Encoding`` other than ``chunked``) is refused, never decompressed: no compression bomb;
* redirects are re-checked hop by hop, capped, looped ones refused, and never change scheme.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import threading
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
_HOST_ASCII = re.compile(r"\A[a-z0-9._-]+\Z")
_PATH_BAD = re.compile(r"[\x00-\x20\x7f-\U0010ffff]")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LINK_LOCAL_NETS = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack... (also inside 169.254.0.0/16)
    "169.254.170.2",  # AWS ECS task metadata
    "100.100.100.200",  # Alibaba Cloud
    "fd00:ec2::254",  # AWS IMDS over IPv6
    "192.0.0.192",  # Oracle Cloud (classic)
    "168.63.129.16",  # Azure WireServer (a public address with host-only meaning)
))
"""Cloud metadata services: refused even when private addresses are allowed."""


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64 well-known prefix, 6to4, Teredo)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def _forbidden_class(ip: IPAddress) -> str | None:
    """The code for an address vvp will not connect to without ``allow_private_addresses``."""
    inner = _embedded_ipv4(ip)
    if inner is not None:
        return codes.FETCH_ADDRESS_IPV4_MAPPED if _forbidden_class(inner) else None
    if ip.is_unspecified:
        return codes.FETCH_ADDRESS_UNSPECIFIED
    if ip.is_loopback:
        return codes.FETCH_ADDRESS_LOOPBACK
    if ip.is_link_local:
        return codes.FETCH_ADDRESS_LINK_LOCAL
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")):
        return codes.FETCH_ADDRESS_PRIVATE
    return None


def never_fetched(ip: IPAddress) -> bool:
    """Link-local or a cloud metadata address, directly or embedded in an IPv6 form: refused
    whatever the policy (the credentials a metadata service hands out are the prize of SSRF)."""
    for a in (ip, _embedded_ipv4(ip)):
        if a is not None and (a in METADATA_ADDRESSES or any(a in n for n in _LINK_LOCAL_NETS)):
            return True
    return False


def _always_forbidden(ip: IPAddress) -> bool:
    return ip.is_multicast or (ip.is_reserved and not ip.is_unspecified)


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    literal_ip: IPAddress | None

    @property
    def host_header(self) -> str:
        """``Host``: the name (IDNA) or bracketed IPv6 literal, with the port when not the default."""
        name = f"[{self.host}]" if isinstance(self.literal_ip, ipaddress.IPv6Address) else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


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
    literal: IPAddress | None = None
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
    if literal is None:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError(f"{url}: host {host!r} is not a valid host name", code=codes.FETCH_BAD_URL,
                             url=url) from None
        if not _HOST_ASCII.match(host):
            raise FetchError(f"{url}: host {host!r} is not a valid host name", code=codes.FETCH_BAD_URL, url=url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if _PATH_BAD.search(path):
        raise FetchError(f"{url}: the path holds spaces, control or non-ASCII characters (percent-encode them)",
                         code=codes.FETCH_BAD_URL, url=url)
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
    if never_fetched(ip):
        raise FetchError(f"{url}: {'host resolves to ' if via_name else ''}{ip}, a link-local or cloud metadata "
                         "address, is never fetched (even with allow_private_addresses)",
                         code=codes.FETCH_ADDRESS_NEVER_FETCHED, url=url)


def info_word(code: str) -> str:
    return {codes.FETCH_ADDRESS_LOOPBACK: "a loopback address", codes.FETCH_ADDRESS_PRIVATE: "a private address",
            codes.FETCH_ADDRESS_LINK_LOCAL: "a link-local address",
            codes.FETCH_ADDRESS_UNSPECIFIED: "the unspecified address",
            codes.FETCH_ADDRESS_IPV4_MAPPED: "an IPv4-mapped forbidden address"}.get(code, code)


# ---------------------------------------------------------------------------------------------
# HTTP/1.1, read against one deadline

MAX_LINE_BYTES = 8 * 1024
"""Longest status line, header line or chunk-size line read."""
MAX_HEAD_BYTES = 64 * 1024
"""Longest status line plus headers (of one response, interim ones counted separately)."""
MAX_HEADER_FIELDS = 100
MAX_INTERIM_RESPONSES = 8
"""``1xx`` responses tolerated before the final one (``100 Continue`` for ever is refused)."""
MAX_SOCKET_TIMEOUT_S = 3600.0
"""A socket timeout never exceeds this, whatever the policy says (a timeout must fit the OS)."""

_REDIRECTS = (301, 302, 303, 307, 308)
_STATUS_LINE = re.compile(rb"\AHTTP/1\.[01] ([0-9]{3})(?:[ \t][^\r\n]*)?\r?\n\Z")
_FIELD = re.compile(rb"\A([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*?)[ \t]*\r?\n\Z")
_CHUNK_SIZE = re.compile(rb"\A([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n\Z")
_RECV = 65536


class _Exchange:
    """One request and response on a connected socket; every read's timeout is the time left
    before the fetch's deadline, so the deadline is total, whatever the server drips."""

    def __init__(self, sock: socket.socket, *, deadline: float, url: str, timeout_s: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.url = url
        self.timeout_s = timeout_s
        self.buf = bytearray()

    def _err(self, code: str, message: str) -> FetchError:
        return FetchError(f"{self.url}: {message}", code=code, url=self.url)

    def _time_left(self, what: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._err(codes.FETCH_TIMEOUT, f"no complete {what} within {self.timeout_s} s (total deadline)")
        return min(left, MAX_SOCKET_TIMEOUT_S)

    def send(self, data: bytes) -> None:
        self.sock.settimeout(self._time_left("request sent"))
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise self._err(codes.FETCH_TIMEOUT, f"request not sent within {self.timeout_s} s (total deadline)") from None

    def _fill(self, what: str) -> bool:
        """Read once more into the buffer; False at the end of the stream."""
        self.sock.settimeout(self._time_left(what))
        try:
            data = self.sock.recv(_RECV)
        except TimeoutError:
            raise self._err(codes.FETCH_TIMEOUT, f"no complete {what} within {self.timeout_s} s (total deadline)") from None
        if not data:
            return False
        self.buf += data
        return True

    def _line(self, limit: int, what: str) -> bytes | None:
        """One line (with its LF) of at most ``limit`` bytes; None when the stream ends first."""
        start = 0
        while True:
            i = self.buf.find(b"\n", start)
            if i >= 0:
                if i + 1 > limit:
                    break
                line = bytes(self.buf[: i + 1])
                del self.buf[: i + 1]
                return line
            if len(self.buf) > limit:
                break
            start = len(self.buf)
            if not self._fill(what):
                return None
        raise self._err(codes.FETCH_HEAD_TOO_LARGE, f"a {what} line is longer than {limit} bytes")

    def _head(self) -> tuple[int, dict[str, list[str]]]:
        """One status line and its header fields (names lower-cased, repeated ones kept)."""
        line = self._line(MAX_LINE_BYTES, "status line")
        if line is None:
            raise self._err(codes.FETCH_CONNECTION_LOST, "the server closed the connection before a status line")
        m = _STATUS_LINE.match(line)
        if m is None:
            raise self._err(codes.FETCH_PROTOCOL_ERROR, f"not an HTTP/1.x status line: {line[:80]!r}")
        status = int(m.group(1))
        fields: dict[str, list[str]] = {}
        size = len(line)
        count = 0
        while True:
            raw = self._line(min(MAX_LINE_BYTES, MAX_HEAD_BYTES - size + 1), "header")
            if raw is None:
                raise self._err(codes.FETCH_CONNECTION_LOST, "the server closed the connection within the headers")
            size += len(raw)
            if size > MAX_HEAD_BYTES:
                raise self._err(codes.FETCH_HEAD_TOO_LARGE, f"the headers exceed {MAX_HEAD_BYTES} bytes")
            if raw in (b"\r\n", b"\n"):
                return status, fields
            count += 1
            if count > MAX_HEADER_FIELDS:
                raise self._err(codes.FETCH_HEAD_TOO_LARGE, f"more than {MAX_HEADER_FIELDS} header fields")
            f = _FIELD.match(raw)
            if f is None:  # obsolete line folding included: refused, as RFC 9112 §5.2 allows
                raise self._err(codes.FETCH_PROTOCOL_ERROR, f"malformed header line {raw[:80]!r}")
            fields.setdefault(f.group(1).decode("ascii").lower(), []).append(f.group(2).decode("latin-1"))

    def response_head(self) -> tuple[int, dict[str, list[str]]]:
        """The final response's status and fields, after at most a few interim ``1xx`` ones."""
        for _ in range(MAX_INTERIM_RESPONSES + 1):
            status, fields = self._head()
            if status == 101:
                raise self._err(codes.FETCH_PROTOCOL_ERROR, "101 Switching Protocols to a GET that asked for none")
            if status >= 200:
                return status, fields
        raise self._err(codes.FETCH_PROTOCOL_ERROR, f"more than {MAX_INTERIM_RESPONSES} interim 1xx responses")

    def _exact(self, n: int, declared: int, got_before: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill("body"):
                raise self._err(codes.FETCH_BODY_INCOMPLETE,
                                f"the connection closed after {got_before + len(self.buf)} of {declared} body bytes")
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def body_by_length(self, length: int) -> bytes:
        return self._exact(length, length, 0)

    def body_to_close(self, max_bytes: int) -> bytes:
        while len(self.buf) <= max_bytes:
            if not self._fill("body"):
                return bytes(self.buf)
        raise self._err(codes.FETCH_TOO_LARGE, f"body exceeds {max_bytes} bytes")

    def _chunk_end(self, got: int) -> None:
        """The CRLF (or LF) that must follow a chunk's data."""
        while len(self.buf) < 2 and not self.buf.startswith(b"\n"):
            if not self._fill("body"):
                raise self._err(codes.FETCH_BODY_INCOMPLETE, f"the connection closed after {got} body bytes, "
                                "within a chunk")
        for end in (b"\r\n", b"\n"):
            if self.buf.startswith(end):
                del self.buf[: len(end)]
                return
        raise self._err(codes.FETCH_PROTOCOL_ERROR, "a chunk is longer than its size says")

    def body_chunked(self, max_bytes: int) -> bytes:
        out = bytearray()
        while True:
            line = self._line(MAX_LINE_BYTES, "chunk size")
            if line is None:
                raise self._err(codes.FETCH_BODY_INCOMPLETE,
                                f"the connection closed after {len(out)} body bytes, before the last chunk")
            m = _CHUNK_SIZE.match(line)
            if m is None:
                raise self._err(codes.FETCH_PROTOCOL_ERROR, f"malformed chunk size line {line[:40]!r}")
            size = int(m.group(1), 16)
            if size == 0:
                break
            if len(out) + size > max_bytes:
                raise self._err(codes.FETCH_TOO_LARGE, f"body exceeds {max_bytes} bytes")
            out += self._exact(size, len(out) + size, len(out))
            self._chunk_end(len(out))
        size = 0
        while True:  # trailer fields, ignored (but bounded)
            t = self._line(MAX_LINE_BYTES, "trailer")
            if t is None:
                raise self._err(codes.FETCH_BODY_INCOMPLETE, "the connection closed within the trailer")
            size += len(t)
            if size > MAX_HEAD_BYTES:
                raise self._err(codes.FETCH_HEAD_TOO_LARGE, f"the trailer exceeds {MAX_HEAD_BYTES} bytes")
            if t in (b"\r\n", b"\n"):
                return bytes(out)


def _one(fields: dict[str, list[str]], name: str, url: str) -> str | None:
    """A field that must not carry two different values (smuggling and confusion)."""
    vals = fields.get(name)
    if not vals:
        return None
    if len(set(vals)) > 1:
        raise FetchError(f"{url}: {len(vals)} different {name} fields", code=codes.FETCH_PROTOCOL_ERROR, url=url)
    return vals[0]


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
        first_scheme: str | None = None
        seen = {url}
        hops = 0
        while True:
            try:
                target = _parse_target(current)
                if first_scheme is None:
                    first_scheme = target.scheme
                elif target.scheme != first_scheme:
                    raise FetchError(f"{current}: redirects never change scheme ({first_scheme} to {target.scheme})",
                                     code=codes.FETCH_REDIRECT_SCHEME_CHANGED, url=url)
                ip = self._checked_ip(target, current, deadline)
            except FetchError as ex:
                if hops == 0 or ex.code in (codes.FETCH_REDIRECT_SCHEME_CHANGED, codes.FETCH_TIMEOUT):
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

    def _checked_ip(self, t: _Target, url: str, deadline: float) -> str:
        allow = self.limits.allow_private_addresses
        if t.literal_ip is not None:
            check_address(str(t.literal_ip), url=url, allow_private=allow, via_name=False)
            return str(t.literal_ip)
        addrs = self._resolve_within(t, url, deadline)
        if not addrs:
            raise FetchError(f"{url}: {t.host} resolves to nothing", code=codes.FETCH_DNS_FAILED, url=url)
        for a in addrs:  # every answer must be acceptable, not just the one we would pick
            try:
                check_address(a, url=url, allow_private=allow, via_name=True)
            except ValueError:
                raise FetchError(f"{url}: {t.host} resolves to {a!r}, not an address", code=codes.FETCH_DNS_FAILED,
                                 url=url) from None
        return addrs[0]

    def _resolve_within(self, t: _Target, url: str, deadline: float) -> Sequence[str]:
        """The resolver's answer, waited for until the deadline only: ``getaddrinfo`` has no
        timeout of its own, so it runs in a daemon thread that is abandoned when time is up."""
        box: list[Sequence[str] | BaseException] = []

        def run() -> None:
            try:
                box.append(self._resolve(t.host, t.port))
            except BaseException as ex:  # noqa: BLE001 - handed to the fetching thread below
                box.append(ex)

        th = threading.Thread(target=run, name="vvp-resolve", daemon=True)
        th.start()
        while th.is_alive():
            left = deadline - time.monotonic()
            if left <= 0:
                raise FetchError(f"{url}: {t.host} not resolved within {self.limits.timeout_s} s",
                                 code=codes.FETCH_TIMEOUT, url=url)
            th.join(min(left, MAX_SOCKET_TIMEOUT_S))
        got = box[0]
        if isinstance(got, (OSError, UnicodeError)):
            raise FetchError(f"{url}: cannot resolve {t.host}: {got}", code=codes.FETCH_DNS_FAILED, url=url)
        if isinstance(got, BaseException):
            raise got
        return list(got)

    def _connect(self, t: _Target, ip: str, deadline: float, url: str) -> socket.socket:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(f"{url}: timed out after {self.limits.timeout_s} s", code=codes.FETCH_TIMEOUT, url=url)
        sock = socket.create_connection((ip, t.port), timeout=min(left, MAX_SOCKET_TIMEOUT_S))
        if t.scheme != "https":
            return sock
        try:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no time left for TLS")
            sock.settimeout(min(left, MAX_SOCKET_TIMEOUT_S))  # the whole handshake, not per read
            return ssl.create_default_context().wrap_socket(sock, server_hostname=t.host)
        except BaseException:
            sock.close()
            raise

    def _exchange(self, t: _Target, ip: str, deadline: float, url: str) -> tuple[int, dict[str, str], bytes, str]:
        lim = self.limits
        sock: socket.socket | None = None
        try:
            sock = self._connect(t, ip, deadline, url)
            ex = _Exchange(sock, deadline=deadline, url=url, timeout_s=lim.timeout_s)
            ex.send((f"GET {t.path} HTTP/1.1\r\nHost: {t.host_header}\r\nUser-Agent: {self._ua}\r\n"
                     "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n").encode("ascii"))
            status, fields = ex.response_head()
            headers = {k: ", ".join(v) for k, v in fields.items()}
            ctype = _one(fields, "content-type", url) or ""
            if status != 200:  # a redirect or an error: its body is never read
                loc = _one(fields, "location", url)
                if loc is not None:
                    headers["location"] = loc
                return status, headers, b"", ctype
            enc = headers.get("content-encoding", "").strip().lower()
            if enc not in ("", "identity"):
                raise FetchError(f"{url}: Content-Encoding {enc!r} was not asked for (Accept-Encoding: identity); "
                                 "compressed bodies are refused, never decompressed",
                                 code=codes.FETCH_ENCODING_REFUSED, url=url)
            te = [x.strip().lower() for x in headers.get("transfer-encoding", "").split(",") if x.strip()]
            clen = _one(fields, "content-length", url)
            if te:
                if te != ["chunked"]:
                    raise FetchError(f"{url}: Transfer-Encoding {', '.join(te)!r} is refused (only chunked)",
                                     code=codes.FETCH_ENCODING_REFUSED, url=url)
                if clen is not None:
                    raise FetchError(f"{url}: both Transfer-Encoding and Content-Length",
                                     code=codes.FETCH_PROTOCOL_ERROR, url=url)
                body = ex.body_chunked(lim.max_bytes)
            elif clen is not None:
                if not clen.isascii() or not clen.isdigit() or len(clen) > 19:
                    raise FetchError(f"{url}: Content-Length {clen[:40]!r} is not a number",
                                     code=codes.FETCH_PROTOCOL_ERROR, url=url)
                if int(clen) > lim.max_bytes:
                    raise FetchError(f"{url}: Content-Length {clen} exceeds {lim.max_bytes} bytes",
                                     code=codes.FETCH_TOO_LARGE, url=url)
                body = ex.body_by_length(int(clen))
            else:
                body = ex.body_to_close(lim.max_bytes)
            return status, headers, body, ctype
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError(f"{url}: timed out after {lim.timeout_s} s", code=codes.FETCH_TIMEOUT, url=url) from None
        except ssl.SSLError as ex:
            raise FetchError(f"{url}: TLS failed: {ex}", code=codes.FETCH_TLS_FAILED, url=url) from None
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as ex:
            if sock is None:
                raise FetchError(f"{url}: cannot connect: {ex}", code=codes.FETCH_CONNECT_FAILED, url=url) from None
            raise FetchError(f"{url}: the server reset the connection ({ex.strerror or ex})",
                             code=codes.FETCH_CONNECTION_LOST, url=url) from None
        except OSError as ex:
            if sock is None:
                raise FetchError(f"{url}: cannot connect: {ex.strerror or ex}", code=codes.FETCH_CONNECT_FAILED,
                                 url=url) from None
            raise FetchError(f"{url}: connection failed: {ex.strerror or ex}", code=codes.FETCH_CONNECTION_LOST,
                             url=url) from None
        finally:
            if sock is not None:
                sock.close()
