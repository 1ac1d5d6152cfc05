"""The test world with foreign evidence (architecture §2.3): artifacts, bridges, dossiers, served.

The artifacts are made here, deterministically, by the test PKI (:mod:`vvp.testing.foreign_pki`,
built for the world's legal entity: Acme's LEI and organisation name in the certificates) and
the VC fixtures (:mod:`vvp.testing.foreign_vc`): RFC 9060 delegate certificate chains for Acme's
number (valid; revoked before and after the call; expired; under a root nobody configured), the
CRLs of their path as archived at the call and as issued later, an OCSP response about the valid
one archived at the call, RFC 9447 authority tokens (for
``orig``, and for another number), an SD-JWT VC of Acme (legal name, LEI, numbers, with key
binding) and, when the W3C base context of the shared corpus is given, a W3C VC of Acme signed
with ``eddsa-rdfc-2022``. :mod:`vvp.testing.worldgen.foreign` issues a bridge for each (a few point
at their artifact by URL, the CRLs and the SD-JWT VC carry it in a ``data:`` URI, one binds a
digest of other bytes, one points at a URL that answers 404) and one dossier per case of
:data:`vvp.testing.world.scenarios.FOREIGN_CASES`.

Bridges hold their artifacts' URLs inside their SAIDs, so the world is built for one server:
:func:`served_foreign_world` starts the evidence server first and builds the world for its base
URL. Two builds for the same base URL are byte-identical.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from vvp.testing.worldgen import WorldSpec, build_world
from vvp.testing.worldgen.build import LEI_LE, TN_LE
from vvp.testing.worldgen.foreign_spec import (
    BridgePlan,
    ForeignArtifact,
    ForeignDossierPlan,
    ForeignSpec,
    TrustInput,
)
from vvp.testing.worldgen.model import CALL_AT, World
from vvp.testing import foreign_pki as pki_mod
from vvp.testing import foreign_vc as fv
from vvp.testing.world import ServedWorld
from vvp.testing.world.files import write_evidence
from vvp.testing.world.scenarios import FOREIGN_CASES, SCENARIOS, foreign_scenarios, make_callee_calls, make_calls
from vvp.testing.world.server import EvidenceServer, WorldUrls, routes_for

LEGAL_NAME: Final = "Acme Widgets Inc"
SD_JWT_ISSUER: Final = "vvp world sd-jwt issuer"
VC_ISSUER_KEY: Final = "vvp world vc issuer"
V2_CONTEXT_FILE: Final = "credentials-v2.jsonld"
"""The W3C base context's file name in ``../shared/corpus/vc/contexts`` (read, never copied)."""

X509_RULES: Final = "RFC 5280 path to the VVP Test Foreign Root, RFC 8226 TNAuthList, RFC 9060 delegation"
CRL_RULES: Final = "RFC 5280 CRL of a CA of the delegate certificates' path"
RTU_RULES: Final = "RFC 9447 TNAuthList authority token from the VVP Test Token Authority"
SDJWT_RULES: Final = "RFC 9901 SD-JWT VC of a legal person, issuer key from the registry's JWK set"
VC_RULES: Final = "W3C VC 2.0 Data Integrity eddsa-rdfc-2022, did:key issuer"


def world_pki() -> pki_mod.ForeignPki:
    """The foreign test PKI for the world's legal entity (orig, Acme's LEI and name)."""
    return pki_mod.build(TN_LE[0].lstrip("+"), LEI_LE, LEGAL_NAME)


def sd_jwt_issuer() -> fv.SdJwtWorld:
    return fv.SdJwtWorld.make(SD_JWT_ISSUER)


def legal_person_sd_jwt() -> str:
    """Acme's SD-JWT VC (made by the ``sd-jwt`` package, re-signed deterministically): legal name,
    LEI and numbers disclosed, a key-binding JWT an hour before the call."""
    w = sd_jwt_issuer()
    claims: dict[Any, Any] = {"iss": fv.ISSUER_URL, "vct": fv.VCT, "iat": int(fv.ISSUED_AT.timestamp()),
                              "exp": int(fv.EXPIRES_AT.timestamp()),
                              fv.SDObj("legal_name"): LEGAL_NAME, fv.SDObj("lei"): LEI_LE,
                              "phone_numbers": [fv.SDObj(t) for t in TN_LE],
                              fv.SDObj("address"): {fv.SDObj("country"): "US", fv.SDObj("locality"): "Springfield"}}
    issuance = fv.issue_sd_jwt(claims, w.issuer, holder_key=w.holder, typ="dc+sd-jwt", kid=w.kid, decoys=True)
    pres = fv.select(issuance, {"legal_name": True, "lei": True, "phone_numbers": [True] * len(TN_LE),
                                "address": {"country": True}})
    return fv.with_key_binding(pres, w.holder, iat=int((CALL_AT - _dt.timedelta(hours=1)).timestamp()))


def w3c_contexts(contexts_dir: Path) -> dict[str, Any]:
    """The parsed contexts the W3C VC uses: the base context from ``contexts_dir`` (the shared
    corpus) and the project's own organisation context."""
    v2 = json.loads((contexts_dir / V2_CONTEXT_FILE).read_text(encoding="utf-8"))
    return {fv.BASE_CONTEXT_V2: v2, fv.ORG_CONTEXT_URL: fv.ORG_CONTEXT}


def organisation_vc(contexts_dir: Path) -> bytes:
    """Acme's W3C VC, issued by a did:key (Ed25519), ``eddsa-rdfc-2022``, valid at the call."""
    key = fv.ed25519_key(VC_ISSUER_KEY)
    vc = fv.organisation_vc(fv.did_key_of(key), subject={
        "id": "did:example:acme-widgets", "legalName": LEGAL_NAME, "leiCode": LEI_LE, "telephone": list(TN_LE)})
    return (json.dumps(fv.sign_data_integrity(vc, key, w3c_contexts(contexts_dir)), indent=1) + "\n").encode()


def _crl_bridges(which: str) -> tuple[str, ...]:
    suffix = "" if which == "at_call" else "_later"
    return (f"bridge_crl_root{suffix}", f"bridge_crl_sti_ca{suffix}", f"bridge_crl_sp{suffix}")


def foreign_spec(base_url: str, *, contexts_dir: str | Path | None = None) -> ForeignSpec:
    """The artifacts, bridges, dossiers and trust files of the foreign world served at
    ``base_url`` (module docstring). ``contexts_dir`` (``../shared/corpus/vc/contexts``) adds the
    W3C VC case; without it the world needs nothing outside the project."""
    p = world_pki()
    pem, crl, jwt = pki_mod.PEM_CHAIN, pki_mod.PKIX_CRL, pki_mod.JWT
    arts = [
        ForeignArtifact("delegate-valid", pem, p.chain_pem("valid"), "delegate-valid.pem"),
        ForeignArtifact("delegate-revoked-before", pem, p.chain_pem("revoked_before"), "delegate-revoked-before.pem"),
        ForeignArtifact("delegate-revoked-after", pem, p.chain_pem("revoked_after"), "delegate-revoked-after.pem"),
        ForeignArtifact("delegate-expired", pem, p.chain_pem("expired"), "delegate-expired.pem"),
        ForeignArtifact("delegate-unknown-anchor", pem, p.chain_pem("untrusted"), "delegate-unknown-anchor.pem"),
        ForeignArtifact("crl-root", crl, p.crls["root"], "root.crl"),
        ForeignArtifact("crl-sti-ca", crl, p.crls["sti_ca"], "sti-ca.crl"),
        ForeignArtifact("crl-sp", crl, p.crls["sp_at_call"], "sp.crl"),
        ForeignArtifact("crl-root-later", crl, p.crls["root_later"], "root-later.crl"),
        ForeignArtifact("crl-sti-ca-later", crl, p.crls["sti_ca_later"], "sti-ca-later.crl"),
        ForeignArtifact("crl-sp-later", crl, p.crls["sp_later"], "sp-later.crl"),
        ForeignArtifact("ocsp-valid", pki_mod.OCSP_RESPONSE, p.ocsps["valid"], "ocsp-delegate-valid.der"),
        ForeignArtifact("rtu-orig", jwt, p.rtu_token().encode("ascii"), "rtu-orig.jwt"),
        ForeignArtifact("rtu-other-number", jwt, p.rtu_token(tns=(pki_mod.OTHER_TN,)).encode("ascii"),
                        "rtu-other-number.jwt"),
        ForeignArtifact("sd-jwt-vc", "application/dc+sd-jwt", legal_person_sd_jwt().encode("ascii"),
                        "legal-person.sd-jwt"),
    ]
    valid = p.chain_pem("valid")
    bridges = [
        BridgePlan("bridge_cert_valid", "delegate certificate of Acme for its numbers", "delegate-valid", "url",
                   X509_RULES, rev_latency=0),
        BridgePlan("bridge_cert_revoked_before", "delegate certificate, revoked before the call",
                   "delegate-revoked-before", "url", X509_RULES),
        BridgePlan("bridge_cert_revoked_after", "delegate certificate, revoked after the call",
                   "delegate-revoked-after", "url", X509_RULES),
        BridgePlan("bridge_cert_expired", "delegate certificate, expired", "delegate-expired", "url", X509_RULES),
        BridgePlan("bridge_cert_unknown_anchor", "delegate certificate under an unconfigured root",
                   "delegate-unknown-anchor", "url", X509_RULES),
        BridgePlan("bridge_cert_mismatch", "delegate certificate, digest of other bytes", "delegate-valid", "url",
                   X509_RULES, bound=valid[:-2] + bytes([valid[-2] ^ 1]) + valid[-1:]),
        BridgePlan("bridge_cert_gone", "delegate certificate at a URL that no longer answers", "delegate-valid",
                   "gone", X509_RULES),
        *(BridgePlan(f"bridge_{a.replace('-', '_')}", f"CRL {a[4:]}", a, "data", CRL_RULES)
          for a in ("crl-root", "crl-sti-ca", "crl-sp", "crl-root-later", "crl-sti-ca-later", "crl-sp-later")),
        BridgePlan("bridge_ocsp_valid", "OCSP response about the valid delegate certificate", "ocsp-valid", "url",
                   "RFC 6960 OCSP response from the SP's delegated responder"),
        BridgePlan("bridge_rtu_orig", "authority token for Acme's number", "rtu-orig", "url", RTU_RULES),
        BridgePlan("bridge_rtu_other_number", "authority token for another number", "rtu-other-number", "url",
                   RTU_RULES),
        BridgePlan("bridge_sd_jwt_vc", "SD-JWT VC of Acme", "sd-jwt-vc", "data", SDJWT_RULES),
    ]
    at_call, later = _crl_bridges("at_call"), _crl_bridges("later")
    cited: dict[str, tuple[str, ...]] = {
        "ev_cert_valid": ("bridge_cert_valid", *at_call),
        "ev_cert_valid_ocsp": ("bridge_cert_valid", "bridge_crl_root", "bridge_crl_sti_ca", "bridge_ocsp_valid"),
        "ev_cert_revoked_before": ("bridge_cert_revoked_before", *at_call),
        "ev_cert_revoked_after": ("bridge_cert_revoked_after", *later),
        "ev_cert_expired": ("bridge_cert_expired", *at_call),
        "ev_cert_unknown_anchor": ("bridge_cert_unknown_anchor",),
        "ev_digest_mismatch": ("bridge_cert_mismatch", *at_call),
        "ev_artifact_gone": ("bridge_cert_gone", *at_call),
        "ev_rtu_valid": ("bridge_rtu_orig",),
        "ev_rtu_not_orig": ("bridge_rtu_other_number",),
        "ev_sd_jwt_vc": ("bridge_sd_jwt_vc",),
    }
    trust = [
        TrustInput("x509", "x509-root.pem", body=p.root.pem),
        TrustInput("rtu_authorities", "rtu-root.pem", body=p.rtu_root.pem),
        TrustInput("sd_jwt_issuers", "sd-jwt-issuers.json", body=sd_jwt_issuer().jwks()),
    ]
    vc_issuers: tuple[str, ...] = ()
    if contexts_dir is not None:
        cdir = Path(contexts_dir)
        arts.append(ForeignArtifact("w3c-vc", "application/vc+ld+json", organisation_vc(cdir),
                                    "organisation.vc.jsonld"))
        bridges.append(BridgePlan("bridge_w3c_vc", "W3C VC of Acme", "w3c-vc", "url", VC_RULES))
        cited["ev_w3c_vc"] = ("bridge_w3c_vc",)
        trust += [TrustInput("contexts", V2_CONTEXT_FILE, external=str((cdir / V2_CONTEXT_FILE).resolve()),
                             url=fv.BASE_CONTEXT_V2),
                  TrustInput("contexts", "organisation-v1.jsonld",
                             body=(json.dumps(fv.ORG_CONTEXT, indent=1) + "\n").encode(), url=fv.ORG_CONTEXT_URL)]
        vc_issuers = (fv.did_key_of(fv.ed25519_key(VC_ISSUER_KEY)),)
    dossiers = tuple(ForeignDossierPlan(c.dossier, f"Acme outbound, {c.title}", cited[c.dossier])
                     for c in FOREIGN_CASES if c.dossier in cited)
    return ForeignSpec(base_url=base_url, artifacts=tuple(arts), bridges=tuple(bridges), dossiers=dossiers,
                       trust=tuple(trust), vc_issuers=vc_issuers)


def foreign_world_spec(base_url: str, *, contexts_dir: str | Path | None = None, callee: bool = False) -> WorldSpec:
    """The default world (with the callee when asked) plus the foreign evidence for ``base_url``."""
    return WorldSpec(callee=callee, foreign=foreign_spec(base_url, contexts_dir=contexts_dir))


def has_w3c(world: World) -> bool:
    return world.spec.foreign is not None and bool(world.spec.foreign.vc_issuers)


@contextlib.contextmanager
def served_foreign_world(out_dir: str | Path, *, contexts_dir: str | Path | None = None, callee: bool = False,
                         extra_routes: Mapping[str, Any] | None = None) -> Iterator[ServedWorld]:
    """Start the evidence server, build the foreign world for its base URL, serve it, write its
    files into ``out_dir`` and sign every scenario call (the default ones and
    :func:`~vvp.testing.world.scenarios.foreign_scenarios`); stop the server on exit (the files stay)."""
    with EvidenceServer({}) as server:
        world = build_world(foreign_world_spec(server.base_url, contexts_dir=contexts_dir, callee=callee))
        for path, res in {**routes_for(world), **(extra_routes or {})}.items():
            server.set(path, res)
        urls = WorldUrls(server.base_url)
        files = write_evidence(world, server.base_url, out_dir)
        scenarios = SCENARIOS + foreign_scenarios(w3c=has_w3c(world))
        yield ServedWorld(world=world, server=server, urls=urls, files=files,
                          calls=make_calls(world, urls, files, scenarios),
                          callee_calls=make_callee_calls(world, urls, files) if callee else ())
