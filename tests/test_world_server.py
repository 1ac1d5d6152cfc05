"""The evidence server: paths, content types of architecture §6, the KERI-AID header, overrides;
the trust stores and the evidence map it writes load with vvp's own loaders and give the same
bytes offline."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.world_fixtures import served_world, world  # noqa: F401 - fixtures
from vvp import codes
from vvp.testing.worldgen import World
from vvp.errors import FetchError
from vvp.fetch import EvidenceKind, FetchLimits, HttpFetcher, MapFetcher, OfflineFetcher
from vvp.trust import load_trust_store
from vvp.testing.world import EvidenceServer, Resource, ServedWorld, routes_for

FETCH = HttpFetcher(FetchLimits(allow_private_addresses=True))


def _raw(sw: ServedWorld, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", sw.server.port, timeout=5)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_oobis_are_kels_with_their_aid(served_world: ServedWorld) -> None:  # noqa: F811
    w = served_world.world
    for name in ("signer", "external", "le"):
        p = w.parties[name]
        for url in (served_world.urls.kid(w, name), served_world.urls.oobi(p.aid)):
            got = FETCH.fetch(url, EvidenceKind.OOBI)
            assert got.content_type == "application/json+cesr"
            assert got.body == p.oobi
        status, headers, _ = _raw(served_world, f"/oobi/{p.aid}/witness")
        assert status == 200 and headers["keri-aid"] == p.aid
    # a delegated AID's OOBI carries its delegator's KEL first
    ext = w.parties["external"]
    assert ext.oobi.startswith(w.parties["root"].kel)


def test_dossiers_schemas_credentials_and_tels(served_world: ServedWorld) -> None:  # noqa: F811
    w, urls = served_world.world, served_world.urls
    for d in w.dossiers.values():
        got = FETCH.fetch(urls.evd(d.said), EvidenceKind.DOSSIER)
        assert got.content_type == "application/cesr" and got.body == d.stream
    for said, raw in w.schemas.items():
        got = FETCH.fetch(urls.schema(said), EvidenceKind.SCHEMA)
        assert got.content_type == "application/schema+json" and got.body == raw
    c = w.credentials["tn_le"]
    assert FETCH.fetch(urls.credential(c.said), EvidenceKind.ACDC).body == w.credential_stream("tn_le")
    assert FETCH.fetch(urls.tel(c.said), EvidenceKind.ACDC).body == c.tel
    status, headers, body = _raw(served_world, "/")
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body)["dossiers"]["le"]["said"] == w.dossiers["le"].said


def test_unknown_paths_head_and_overrides(served_world: ServedWorld) -> None:  # noqa: F811
    assert _raw(served_world, "/oobi/ENotAnAidAtAll/controller")[0] == 404
    d = served_world.world.dossiers["le"]
    path = f"/dossiers/{d.said}.cesr"
    status, headers, body = _raw(served_world, path, "HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) == len(d.stream)
    served_world.server.set(path, Resource("text/html", b"<html>"))
    try:
        with pytest.raises(FetchError) as ei:
            FETCH.fetch(served_world.urls.evd(d.said), EvidenceKind.DOSSIER)
        assert ei.value.code == codes.FETCH_BAD_CONTENT_TYPE
        served_world.server.remove(path)
        assert _raw(served_world, path)[0] == 404
    finally:
        served_world.server.set(path, routes_for(served_world.world)[path])
    assert ("GET", path, 404) in served_world.server.requests


def test_server_binds_loopback_ephemeral_and_stops(world: World) -> None:  # noqa: F811
    with EvidenceServer(routes_for(world)) as a, EvidenceServer(routes_for(world)) as b:
        assert a.port != b.port and a.base_url.startswith("http://127.0.0.1:")
        port = a.port
    with pytest.raises(FetchError) as ei:
        FETCH.fetch(f"http://127.0.0.1:{port}/", EvidenceKind.DOSSIER)
    assert ei.value.code == codes.FETCH_CONNECT_FAILED


def test_trust_stores_load_and_name_the_world_roots(served_world: ServedWorld) -> None:  # noqa: F811
    w, files = served_world.world, served_world.files
    ts = load_trust_store(files.trust)
    assert ts.roots.identity == frozenset({w.root_aid("identity")})
    assert ts.roots.tn == frozenset({w.root_aid("tn")})
    assert ts.roots.brand == frozenset({w.root_aid("brand")})
    assert ts.policy.allow_private_addresses is True
    # the world's roles as it names them; the roles it has no schema for (faa, citation in the
    # default world) keep the published defaults
    assert {r: ts.schema_roles[r] for r in w.schema_roles} == dict(w.schema_roles)
    assert ts.schemas == (files.schemas_dir.resolve(),)
    assert {p.name for p in files.schemas_dir.iterdir()} == {f"{s}.json" for s in w.schemas}
    untrusted = load_trust_store(files.trust_untrusted)
    assert untrusted.roots.identity == frozenset({w.parties["rogue"].aid})


def test_evidence_map_serves_the_same_bytes_offline(served_world: ServedWorld) -> None:  # noqa: F811
    w = served_world.world
    mf = MapFetcher.load(served_world.files.evidence_map, OfflineFetcher())
    for call in served_world.calls:
        assert mf.fetch(call.kid, EvidenceKind.OOBI).body == FETCH.fetch(call.kid, EvidenceKind.OOBI).body
        assert mf.fetch(call.evd, EvidenceKind.DOSSIER).body == FETCH.fetch(call.evd, EvidenceKind.DOSSIER).body
    c = w.credentials["delsig_le"]
    assert mf.fetch(f"said:{c.said}", EvidenceKind.ACDC).body == w.credential_stream("delsig_le")
    said = next(iter(w.schemas))
    assert mf.fetch(f"said:{said}", EvidenceKind.SCHEMA).body == w.schemas[said]
