"""The evidence server: a test world's OOBIs, dossiers, schemas and TELs over HTTP on 127.0.0.1.

Why a real HTTP server and not only an in-memory fetcher: the verifier's fetcher (address policy,
content types, limits, redirects) is part of what a demo and an end-to-end test must exercise.
This is the one listening socket in vvp besides a future ``vvp serve``; it only ever answers, it
never opens a connection. It binds 127.0.0.1 on an ephemeral port (``port=0``), so tests can run
side by side, and it is a context manager so nothing outlives a test.

URL layout (``WorldUrls`` builds these; content types are architecture §6's):

==================================================  ===========================  ============
path                                                what                         content type
==================================================  ===========================  ============
``/oobi/{aid}`` and ``/oobi/{aid}/controller``,      the AID's KEL, its           application/json+cesr
``/oobi/{aid}/witness``, ``/oobi/{aid}/witness/{w}``,  delegators' KELs first       (+ ``KERI-AID``)
``/.well-known/keri/oobi/{aid}``
``/oobi/{schema SAID}``, ``/schemas/{SAID}.json``    a schema (data OOBI)          application/schema+json
``/dossiers/{dossier SAID}.cesr``                    the dossier stream           application/cesr
``/credentials/{SAID}.cesr``                          one ACDC with its issuer's    application/cesr
                                                      KEL and TELs
``/tels/{registry or credential id}.cesr``           one TEL                      application/cesr
``/artifacts/{file}``                                a foreign artifact a bridge   its own (e.g.
                                                     points at (foreign world)    application/jwt)
``/``                                                an index of the above        application/json
==================================================  ===========================  ============

Witnesses as hosts of their own (architecture §2.4; :func:`witness_routes`, served when asked
for, e.g. ``served_world(..., witnesses=True)``): witness ``{eid}`` lives under
``/witnesses/{eid}`` and answers ``/witnesses/{eid}/oobi/{aid}/witness/{eid}`` (the AID's KEL,
then the witness's own ``/loc/scheme`` reply, signed, naming ``{base}/witnesses/{eid}``) as
keripy's witnesses do, and ``/witnesses/{eid}/oobi/{eid}/controller`` (its own OOBI, for the
trust store's ``witnesses``). :func:`kid_routes` makes the kid host answer as a witness OOBI
does: the KEL followed by the signed replies of the AID's witnesses. Tests make one witness lag,
go offline or fork by replacing its routes (``EvidenceServer.set`` / ``remove``).

Tests can replace or add any path while the server runs (:meth:`EvidenceServer.set`), e.g. to
serve a tampered dossier or a wrong content type, and can see what was asked (``requests``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from vvp import codes
from vvp.errors import OperationalError

if TYPE_CHECKING:
    from vvp.testing.worldgen.model import World

OOBI_TYPE = "application/json+cesr"
CESR_TYPE = "application/cesr"
SCHEMA_TYPE = "application/schema+json"
JSON_TYPE = "application/json"


class ServerError(OperationalError):
    default_code = codes.WORLD_SERVER_FAILED


@dataclass(frozen=True, slots=True)
class Resource:
    """What one path answers. ``file`` is where the evidence writer stores the same bytes."""

    content_type: str
    body: bytes
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    file: str | None = None


@dataclass(frozen=True, slots=True)
class WorldUrls:
    """URLs of a world's evidence under one base (``http://127.0.0.1:PORT``)."""

    base: str

    def oobi(self, aid: str, role: str = "controller", eid: str | None = None) -> str:
        return f"{self.base}/oobi/{aid}/{role}" + (f"/{eid}" if eid else "")

    def kid(self, world: World, party: str) -> str:
        """The ``kid`` a party's PASSporTs carry: its OOBI at its first witness, as in real traffic."""
        p = world.parties[party]
        return self.oobi(p.aid, "witness", p.witnesses[0]) if p.witnesses else self.oobi(p.aid)

    def evd(self, said: str) -> str:
        return f"{self.base}/dossiers/{said}.cesr"

    def schema(self, said: str) -> str:
        return f"{self.base}/oobi/{said}"

    def credential(self, said: str) -> str:
        return f"{self.base}/credentials/{said}.cesr"

    def tel(self, ident: str) -> str:
        return f"{self.base}/tels/{ident}.cesr"

    def witness(self, eid: str) -> str:
        """Where witness ``eid`` is served (the URL its signed ``/loc/scheme`` reply names)."""
        return witness_base(self.base, eid)

    def witness_path(self, eid: str, aid: str) -> str:
        """The path at which witness ``eid`` answers for ``aid`` (for ``EvidenceServer.set``)."""
        return f"/witnesses/{eid}/oobi/{aid}/witness/{eid}"


def witness_base(base_url: str, eid: str) -> str:
    """The endpoint of witness ``eid`` in a world served at ``base_url``."""
    return f"{base_url}/witnesses/{eid}"


def witness_locations(world: World, base_url: str) -> dict[str, bytes]:
    """Each witness's signed ``/loc/scheme`` reply for its endpoint under ``base_url``."""
    from vvp.testing.worldgen.witnesses import loc_scheme

    return {p.aid: loc_scheme(p.aid, witness_base(base_url, p.aid))
            for p in world.parties.values() if not p.transferable}


def witness_routes(world: World, base_url: str) -> dict[str, Resource]:
    """Every witness's own endpoint (module docstring); the URLs in the replies use ``base_url``."""
    locs = witness_locations(world, base_url)
    routes: dict[str, Resource] = {}
    for w in world.parties.values():
        if w.transferable:
            continue
        prefix = f"/witnesses/{w.aid}"
        routes[f"{prefix}/oobi/{w.aid}/controller"] = Resource(OOBI_TYPE, w.kel + locs[w.aid],
                                                               headers=(("KERI-AID", w.aid),))
        for p in world.parties.values():
            if w.aid in p.witnesses:
                routes[f"{prefix}/oobi/{p.aid}/witness/{w.aid}"] = Resource(OOBI_TYPE, p.oobi + locs[w.aid],
                                                                            headers=(("KERI-AID", p.aid),))
    return routes


def kid_routes(world: World, base_url: str) -> dict[str, Resource]:
    """The witness-OOBI paths of the main host answering as a witness OOBI does: each AID's KEL
    followed by the signed ``/loc/scheme`` replies of its witnesses."""
    locs = witness_locations(world, base_url)
    routes: dict[str, Resource] = {}
    for p in world.parties.values():
        if not p.witnesses:
            continue
        body = p.oobi + b"".join(locs[w] for w in p.witnesses if w in locs)
        res = Resource(OOBI_TYPE, body, headers=(("KERI-AID", p.aid),), file=f"kel/{p.aid}.cesr")
        routes[f"/oobi/{p.aid}/witness"] = res
        for w in p.witnesses:
            routes[f"/oobi/{p.aid}/witness/{w}"] = res
    return routes


def routes_for(world: World) -> dict[str, Resource]:
    """Every path the server answers for ``world``, with its bytes and content type."""
    routes: dict[str, Resource] = {}
    for p in world.parties.values():
        kel = Resource(OOBI_TYPE, p.oobi, headers=(("KERI-AID", p.aid),), file=f"kel/{p.aid}.cesr")
        paths = [f"/oobi/{p.aid}", f"/oobi/{p.aid}/controller", f"/.well-known/keri/oobi/{p.aid}"]
        if p.witnesses:
            paths.append(f"/oobi/{p.aid}/witness")
            paths += [f"/oobi/{p.aid}/witness/{w}" for w in p.witnesses]
        for path in paths:
            routes[path] = kel
    for said, raw in world.schemas.items():
        schema = Resource(SCHEMA_TYPE, raw, file=f"schemas/{said}.json")
        routes[f"/oobi/{said}"] = schema
        routes[f"/schemas/{said}.json"] = schema
    for d in world.dossiers.values():
        routes[f"/dossiers/{d.said}.cesr"] = Resource(CESR_TYPE, d.stream, file=f"dossiers/{d.said}.cesr")
    for c in world.credentials.values():
        routes[f"/credentials/{c.said}.cesr"] = Resource(CESR_TYPE, world.credential_stream(c.name),
                                                         file=f"credentials/{c.said}.cesr")
        routes[f"/tels/{c.said}.cesr"] = Resource(CESR_TYPE, c.tel, file=f"tels/{c.said}.cesr")
    for r in world.registries.values():
        routes[f"/tels/{r.regk}.cesr"] = Resource(CESR_TYPE, r.tel, file=f"tels/{r.regk}.cesr")
    artifacts = world.spec.foreign.artifacts if world.spec.foreign is not None else ()
    for a in artifacts:  # foreign evidence the bridges point at (a "gone" bridge's path is not here)
        routes[a.path] = Resource(a.media_type, a.body, file=f"artifacts/{a.filename}")
    index = {
        "parties": {p.name: {"aid": p.aid, "oobi": f"/oobi/{p.aid}/controller"} for p in world.parties.values()},
        "dossiers": {d.name: {"said": d.said, "url": f"/dossiers/{d.said}.cesr"} for d in world.dossiers.values()},
        "credentials": {c.name: {"said": c.said, "url": f"/credentials/{c.said}.cesr"}
                        for c in world.credentials.values()},
        "schemas": {role: [f"/oobi/{s}" for s in saids] for role, saids in world.schema_roles.items()},
    }
    if artifacts:
        index["artifacts"] = {a.name: {"url": a.path, "content_type": a.media_type} for a in artifacts}
    routes["/"] = Resource(JSON_TYPE, json.dumps(index, indent=1).encode())
    return routes


class EvidenceServer:
    """A stdlib ``ThreadingHTTPServer`` answering GET/HEAD from a route table.

    Use as ``with EvidenceServer(routes_for(world)) as srv: ... srv.base_url ...``.
    """

    def __init__(self, routes: Mapping[str, Resource], *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: dict[str, Resource] = dict(routes)
        self._lock = threading.Lock()
        self._host = host
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[tuple[str, str, int]] = []

    # -- route table ---------------------------------------------------------------------------

    def set(self, path: str, resource: Resource) -> None:
        """Serve ``resource`` at ``path`` from now on (replacing what was there)."""
        with self._lock:
            self._routes[path] = resource

    def remove(self, path: str) -> None:
        """Answer 404 at ``path`` from now on."""
        with self._lock:
            self._routes.pop(path, None)

    def lookup(self, path: str) -> Resource | None:
        with self._lock:
            return self._routes.get(path.split("?", 1)[0])

    def paths(self) -> list[str]:
        with self._lock:
            return sorted(self._routes)

    def _log(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise ServerError("the evidence server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> EvidenceServer:
        if self._httpd is not None:
            return self
        try:
            httpd = ThreadingHTTPServer((self._host, self._port), _handler_for(self))
        except OSError as ex:
            raise ServerError(f"cannot listen on {self._host}:{self._port}: {ex}") from None
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="vvp-evidence-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EvidenceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler_for(server: EvidenceServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "vvp-evidence/1"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return  # requests are kept in server.requests, not printed

        def _answer(self, head_only: bool) -> None:
            res = server.lookup(self.path)
            # logged before answering, so a client that has its answer also finds it in the log
            server._log(self.command, self.path, 404 if res is None else res.status)
            if res is None:
                body = b"not found\n"
                self.send_response(404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head_only:
                    self.wfile.write(body)
                return
            self.send_response(res.status)
            self.send_header("Content-Type", res.content_type)
            self.send_header("Content-Length", str(len(res.body)))
            for k, v in res.headers:
                self.send_header(k, v)
            self.end_headers()
            if not head_only:
                self.wfile.write(res.body)

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._answer(False)

        def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
            self._answer(True)

    return Handler


def iter_files(routes: Mapping[str, Resource]) -> Iterator[tuple[str, Resource]]:
    """Each distinct evidence file of a route table once (several paths share one file)."""
    seen: set[str] = set()
    for _path, res in sorted(routes.items()):
        if res.file is not None and res.file not in seen:
            seen.add(res.file)
            yield res.file, res
