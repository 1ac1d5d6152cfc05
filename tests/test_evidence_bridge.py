"""The bridge (vvp/evidence/bridge.py): bridging ACDCs in a verified dossier, their artifacts
obtained, bound by digest, judged and compared with the ACDC-proven facts; the evidence claim in a
verdict under ``report`` and ``strict``.

The dossier here is a DossierResult built by hand (the credentials as the dossier checks would
hand them over), so each case isolates one rule; the artifacts come from the deterministic
foreign PKI, served by a MemoryFetcher through a RecordingFetcher (what a record keeps)."""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from vvp import codes
from vvp._keri.digests import compute_digest
from vvp.caller.authorization import Parties
from vvp.dossier import Credential, DossierResult
from vvp.evidence.base import ForeignTrust
from vvp.evidence.bridge import decode_data_uri, foreign_evidence, read_bridge
from vvp.fetch import EvidenceKind, MemoryFetcher, RecordingFetcher
from vvp.testing import foreign_pki as F
from vvp.trust import Policy
from vvp.verdict import CheckStatus, Status, build_verdict, claim_status, passed

PKI = F.build()
AP = "EAccountablePartyAccountablePartyAccountab"
TRUST = ForeignTrust(files={"x509": (PKI.root.pem,), "rtu_authorities": (PKI.rtu_root.pem,)})
BASE = "https://artifacts.example"


def cred(said: str, roles: tuple[str, ...], attributes: Mapping[str, Any] | None, *, issuee: str | None = None,
         state: str = "issued", status: Status = Status.VALID) -> Credential:
    return Credential(said=said, schema="Eschema", roles=roles, issuer="Eissuer", issuee=issuee, registry=None,
                      state=state, issued_at=None, revoked_at=None, attributes=attributes, edges=(),
                      edges_compacted=False, rules=None, cited_as=(), status=status, sad={})


def faa(said: str, data: bytes, media_type: str, *, location: str | list[str] | None = None, **extra: Any) -> Credential:
    attrs: dict[str, Any] = {"d": "Eattrs", "art_digest": compute_digest(data), "art_posture": "verify",
                             "content_type": media_type,
                             "content_location": location if location is not None else f"{BASE}/{said}"}
    attrs.update(extra)
    return cred(said, ("faa",), {k: v for k, v in attrs.items() if v is not None})


def dossier(*bridges: Credential, lei: str = F.LEI) -> DossierResult:
    vetting = cred("Evetting", ("vetting",), {"LEI": lei}, issuee=AP)
    alloc = cred("Etnalloc", ("tn_allocation",), {"numbers": {"tn": ["+15551230001", "+15551230002"]}}, issuee=AP)
    creds = {c.said: c for c in (vetting, alloc, *bridges)}
    return DossierResult(status=Status.VALID, said="Edossier", expected_said=None, checks=(), credentials=creds)


def served(*items: tuple[str, str, bytes]) -> RecordingFetcher:
    return RecordingFetcher(MemoryFetcher({f"{BASE}/{said}": (mt, data) for said, mt, data in items}))


def crl_bridges(which: str = "at_call") -> list[Credential]:
    rev = PKI.revinfo_at_call() if which == "at_call" else PKI.revinfo_later()
    return [faa(f"Ecrl{i}", data, mt) for i, (mt, data) in enumerate(rev)]


def crl_items(which: str = "at_call") -> list[tuple[str, str, bytes]]:
    rev = PKI.revinfo_at_call() if which == "at_call" else PKI.revinfo_later()
    return [(f"Ecrl{i}", mt, data) for i, (mt, data) in enumerate(rev)]


def run(d: DossierResult, fetcher: Any, *, policy: Policy = Policy(), orig: str | None = F.ORIG,
        trust: ForeignTrust = TRUST) -> Any:
    return foreign_evidence(d, trust=trust, policy=policy, fetcher=fetcher, reference_time=F.CALL_AT, orig=orig,
                            parties=Parties(AP, AP, "le", None), signer="Esigner")


def entry(out: Any, said: str) -> dict[str, Any]:
    return next(a for a in out.detail["artifacts"] if a["bridge"] == said)


def checks_of(out: Any, said: str) -> dict[str, tuple[CheckStatus, str]]:
    return {c.id: (c.status, c.code) for c in out.checks if c.subject == said}


def test_no_bridge_is_not_applicable() -> None:
    out = run(dossier(), MemoryFetcher({}))
    assert [c.code for c in out.checks] == [codes.NO_FOREIGN_EVIDENCE] and out.detail == {}
    assert claim_status(out.checks).status is Status.NOT_APPLICABLE
    assert run(None, MemoryFetcher({})).checks[0].status is CheckStatus.NOT_APPLICABLE  # type: ignore[arg-type]


def test_valid_delegate_certificate_fetched_by_url_and_recorded() -> None:
    chain = PKI.chain_pem("valid")
    d = dossier(faa("Ecert", chain, F.PEM_CHAIN, rev_latency=0), *crl_bridges())
    fetcher = served(("Ecert", F.PEM_CHAIN, chain), *crl_items())
    out = run(d, fetcher)
    e = entry(out, "Ecert")
    assert e["status"] == "VALID" and e["consistent"] is True and e["codes"] == []
    assert e["media_type"] == F.PEM_CHAIN and e["digest"] == compute_digest(chain) and "Foreign Root" in e["anchor"]
    assert e["facts"]["lei"] == F.LEI and e["art_posture"] == "verify" and e["rev_latency"] == 0
    assert checks_of(out, "Ecert")["X-EVIDENCE-06"] == (CheckStatus.WARN, codes.EVIDENCE_REVOCATION_LINK)
    assert [entry(out, f"Ecrl{i}")["status"] for i in range(3)] == ["VALID"] * 3
    assert claim_status(out.checks).status is Status.VALID
    assert {(ev.url, ev.kind) for ev in fetcher.events} == {(f"{BASE}/{s}", EvidenceKind.ARTIFACT)
                                                            for s in ("Ecert", "Ecrl0", "Ecrl1", "Ecrl2")}


def test_artifact_in_a_data_uri() -> None:
    chain = PKI.chain_pem("valid")
    uri = "data:application/pem-certificate-chain;base64," + base64.b64encode(chain).decode()
    out = run(dossier(faa("Ecert", chain, F.PEM_CHAIN, location=uri), *crl_bridges()), served(*crl_items()))
    assert entry(out, "Ecert")["status"] == "VALID" and entry(out, "Ecert")["location"] == "data:"


@pytest.mark.parametrize("name, which, status, code", [
    ("revoked_before", "at_call", "INVALID", codes.X509_REVOKED),
    ("revoked_before", "later", "INVALID", codes.X509_REVOKED),
    ("revoked_after", "at_call", "VALID", None),
    ("revoked_after", "later", "VALID", None),
    ("expired", "at_call", "INVALID", codes.X509_EXPIRED),
    ("untrusted", "at_call", "INVALID", codes.X509_NO_TRUSTED_PATH),
])
def test_certificate_cases(name: str, which: str, status: str, code: str | None) -> None:
    chain = PKI.chain_pem(name)
    out = run(dossier(faa("Ecert", chain, F.PEM_CHAIN), *crl_bridges(which)),
              served(("Ecert", F.PEM_CHAIN, chain), *crl_items(which)))
    e = entry(out, "Ecert")
    assert e["status"] == status and (code is None or e["codes"] == [code])


def test_revocation_data_missing_is_indeterminate_under_hard_fail() -> None:
    chain = PKI.chain_pem("valid")
    out = run(dossier(faa("Ecert", chain, F.PEM_CHAIN)), served(("Ecert", F.PEM_CHAIN, chain)))
    assert entry(out, "Ecert")["codes"] == [codes.X509_REVOCATION_UNAVAILABLE]
    soft = run(dossier(faa("Ecert", chain, F.PEM_CHAIN)), served(("Ecert", F.PEM_CHAIN, chain)),
               policy=Policy(foreign_revocation="soft-fail"))
    assert entry(soft, "Ecert")["status"] == "VALID"
    assert checks_of(soft, "Ecert")["X-EVIDENCE-08"] == (CheckStatus.WARN, codes.X509_REVOCATION_UNKNOWN)


def test_digest_mismatch() -> None:
    chain = PKI.chain_pem("valid")
    other = PKI.chain_pem("revoked_after")
    out = run(dossier(faa("Ecert", chain, F.PEM_CHAIN)), served(("Ecert", F.PEM_CHAIN, other)))
    assert entry(out, "Ecert")["codes"] == [codes.BRIDGE_DIGEST_MISMATCH]
    assert checks_of(out, "Ecert")["X-EVIDENCE-03"][0] is CheckStatus.FAIL and "X-EVIDENCE-04" not in checks_of(out, "Ecert")


def test_digest_algorithms_named_by_the_code() -> None:
    chain = PKI.chain_pem("valid")
    for algo in ("SHA2_256", "SHA3_256", "Blake2b_256", "Blake3_512"):
        b = faa("Ecert", chain, F.PEM_CHAIN, art_digest=compute_digest(chain, algo))
        out = run(dossier(b, *crl_bridges()), served(("Ecert", F.PEM_CHAIN, chain), *crl_items()))
        assert entry(out, "Ecert")["status"] == "VALID", algo


def test_unreachable_url_and_fallback_location() -> None:
    chain = PKI.chain_pem("valid")
    b = faa("Ecert", chain, F.PEM_CHAIN, location=[f"{BASE}/gone", "ftp://x/y"])
    out = run(dossier(b), MemoryFetcher({}))
    e = entry(out, "Ecert")
    assert e["status"] == "INDETERMINATE" and checks_of(out, "Ecert")["X-EVIDENCE-02"][0] is CheckStatus.INDETERMINATE
    b2 = faa("Ecert", chain, F.PEM_CHAIN, location=[f"{BASE}/gone", f"{BASE}/Ecert"])
    out2 = run(dossier(b2, *crl_bridges()), served(("Ecert", F.PEM_CHAIN, chain), *crl_items()))
    assert entry(out2, "Ecert")["status"] == "VALID" and entry(out2, "Ecert")["location"] == f"{BASE}/Ecert"
    assert entry(run(dossier(b2), None), "Ecert")["codes"] == [codes.FETCH_OFFLINE]


def test_rtu_token_bridges() -> None:
    good, bad = PKI.rtu_token().encode(), PKI.rtu_token(tns=[F.OTHER_TN]).encode()
    d = dossier(faa("Etok", good, F.JWT), faa("Ebad", bad, F.JWT))
    out = run(d, served(("Etok", F.JWT, good), ("Ebad", F.JWT, bad)))
    assert entry(out, "Etok")["status"] == "VALID" and entry(out, "Etok")["consistent"] is True
    e = entry(out, "Ebad")
    assert e["status"] == "INVALID" and e["consistent"] is False
    assert codes.EVIDENCE_TN_NOT_COVERED in e["codes"] and codes.EVIDENCE_INCONSISTENT in e["codes"]


def test_lei_contradiction_makes_the_artifact_inconsistent() -> None:
    chain = PKI.chain_pem("valid")
    out = run(dossier(faa("Ecert", chain, F.PEM_CHAIN), *crl_bridges(), lei="529900T8BM49AURSDO55"),
              served(("Ecert", F.PEM_CHAIN, chain), *crl_items()))
    e = entry(out, "Ecert")
    assert e["consistent"] is False and e["codes"] == [codes.EVIDENCE_INCONSISTENT]


def test_facts_that_cannot_be_compared_give_a_warning() -> None:
    spc = PKI.rtu_token(tns=[], spcs=["1234"]).encode()
    out = run(dossier(faa("Etok", spc, F.JWT)), served(("Etok", F.JWT, spc)))
    assert entry(out, "Etok")["status"] == "VALID" and entry(out, "Etok")["consistent"] is None
    assert checks_of(out, "Etok")["X-EVIDENCE-05"] == (CheckStatus.WARN, codes.EVIDENCE_CONSISTENCY_UNKNOWN)


def test_no_anchor_is_indeterminate_never_valid() -> None:
    tok = PKI.rtu_token().encode()
    out = run(dossier(faa("Etok", tok, F.JWT)), served(("Etok", F.JWT, tok)), trust=ForeignTrust())
    assert entry(out, "Etok")["codes"] == [codes.FOREIGN_ANCHOR_NOT_CONFIGURED]
    assert claim_status(out.checks).status is Status.INDETERMINATE


@pytest.mark.parametrize("attrs, code", [
    ({"art_digest": "Ea", "content_identifier": "Eb"}, codes.BRIDGE_DIGEST_CONFLICT),
    ({"art_digest": 5}, codes.BRIDGE_FIELD_INVALID),
    ({"content_location": {"url": "x"}}, codes.BRIDGE_FIELD_INVALID),
    ({"rev_latency": -1}, codes.BRIDGE_FIELD_INVALID),
    ({"content_type": 7}, codes.BRIDGE_FIELD_INVALID),
])
def test_malformed_bridges(attrs: dict[str, Any], code: str) -> None:
    b = faa("Ebr", b"x", F.PEM_CHAIN, **attrs)
    out = run(dossier(b), MemoryFetcher({}))
    assert code in entry(out, "Ebr")["codes"]


def test_compacted_attributes_and_missing_fields() -> None:
    out = run(dossier(cred("Ebr", ("faa",), None)), MemoryFetcher({}))
    assert entry(out, "Ebr")["codes"] == [codes.BRIDGE_ATTRIBUTES_COMPACT] and entry(out, "Ebr")["status"] == "INDETERMINATE"
    no_loc = cred("Ebr", ("faa",), {"art_digest": compute_digest(b"x"), "content_type": F.PEM_CHAIN})
    assert entry(run(dossier(no_loc), MemoryFetcher({})), "Ebr")["codes"] == [codes.BRIDGE_NO_LOCATION]
    no_type = cred("Ebr", ("faa",), {"art_digest": compute_digest(b"x"), "content_location": "data:,x"})
    assert entry(run(dossier(no_type), MemoryFetcher({})), "Ebr")["codes"] == [codes.BRIDGE_NO_MEDIA_TYPE]
    no_digest = cred("Ebr", ("faa",), {"content_type": F.PEM_CHAIN, "content_location": "data:,x"})
    assert entry(run(dossier(no_digest), MemoryFetcher({})), "Ebr")["codes"] == [codes.BRIDGE_NO_DIGEST]
    bad_code = cred("Ebr", ("faa",), {"art_digest": "Zxyz", "content_type": F.PEM_CHAIN, "content_location": "data:,x"})
    assert entry(run(dossier(bad_code), MemoryFetcher({})), "Ebr")["codes"] == [codes.BRIDGE_DIGEST_UNSUPPORTED]


def test_bridge_that_did_not_verify() -> None:
    chain = PKI.chain_pem("valid")
    revoked = faa("Ecert", chain, F.PEM_CHAIN)
    revoked = Credential(**{**{f: getattr(revoked, f) for f in revoked.__dataclass_fields__}, "state": "revoked"})
    out = run(dossier(revoked, *crl_bridges()), served(("Ecert", F.PEM_CHAIN, chain), *crl_items()))
    e = entry(out, "Ecert")
    assert e["status"] == "INVALID" and codes.BRIDGE_NOT_VERIFIED in e["codes"]
    assert checks_of(out, "Ecert")["X-EVIDENCE-04"][0] is CheckStatus.PASS  # the artifact itself is still judged


def test_ten_megabyte_data_uri_is_refused_before_decoding() -> None:
    uri = "data:application/pkix-cert;base64," + "A" * (10 * 1024 * 1024)
    b = cred("Ebig", ("faa",), {"art_digest": compute_digest(b"x"), "content_type": F.PKIX_CERT, "content_location": uri})
    out = run(dossier(b), MemoryFetcher({}))
    assert entry(out, "Ebig")["codes"] == [codes.BRIDGE_DATA_URI_TOO_LARGE] and entry(out, "Ebig")["status"] == "INVALID"


@pytest.mark.parametrize("uri, code", [
    ("data:application/pkix-cert;base64,!!!!", codes.BRIDGE_DATA_URI_INVALID),
    ("data:application/pkix-cert;base64", codes.BRIDGE_DATA_URI_INVALID),
    ("data:;base64,QUJD%ZZ", codes.BRIDGE_DATA_URI_INVALID),
])
def test_malformed_data_uris(uri: str, code: str) -> None:
    b = cred("Ebr", ("faa",), {"art_digest": compute_digest(b"x"), "content_type": F.PKIX_CERT, "content_location": uri})
    assert entry(run(dossier(b), MemoryFetcher({})), "Ebr")["codes"] == [code]


def test_data_uri_decoding() -> None:
    assert decode_data_uri("data:text/plain,a%20b", 100) == ("text/plain", b"a b")
    assert decode_data_uri("data:;base64,QUJD", 100) == (None, b"ABC")
    with pytest.raises(ValueError):
        decode_data_uri("data:;base64,QUJDRA==", 3)


def test_bad_artifact_bytes_give_coded_results() -> None:
    items = {"Etrunc": (F.PKIX_CERT, PKI.delegates["valid"].der[:50]),
             "Ejunk": (F.PEM_CHAIN, PKI.chain_pem("valid") + b"\x00\x01"),
             "Edup": (F.JWT, b"eyJhbGciOiJFUzI1NiIsImFsZyI6IkVTMjU2In0.e30.AAAA"),
             "Ecrl": ("application/pkix-crl", b"\x30\x01")}
    d = dossier(*(faa(s, data, mt) for s, (mt, data) in items.items()))
    out = run(d, served(*((s, mt, data) for s, (mt, data) in items.items())))
    got = {s: entry(out, s)["codes"] for s in items}
    assert got == {"Etrunc": [codes.X509_MALFORMED], "Ejunk": [codes.X509_MALFORMED],
                   "Edup": [codes.JOSE_JSON_DUPLICATE_KEY], "Ecrl": [codes.X509_REVINFO_MALFORMED]}


def test_unsupported_media_type() -> None:
    out = run(dossier(faa("Ejpg", b"\xff\xd8", "image/jpeg")), served(("Ejpg", "application/octet-stream", b"\xff\xd8")))
    assert entry(out, "Ejpg")["codes"] == [codes.EVIDENCE_MEDIA_TYPE_UNSUPPORTED]


def test_citation_with_embedded_cargo_and_with_a_digest_cargo() -> None:
    tok = PKI.rtu_token().encode()
    from vvp import jose
    embedded = cred("Ecit", ("citation",), {"d": "Ea", "dt": "2026-02-01T00:00:00Z", "typ": F.JWT,
                                           "content": {"d": "Ec", "u": "0Aa", "cargo": jose.b64url_encode(tok)}})
    out = run(dossier(embedded), MemoryFetcher({}))
    assert entry(out, "Ecit")["status"] == "VALID" and entry(out, "Ecit")["location"] == "embedded"
    by_digest = cred("Ecit", ("citation",), {"d": "Ea", "dt": "2026-02-01T00:00:00Z", "typ": F.JWT,
                                            "loc": f"{BASE}/Ecit",
                                            "content": {"d": "Ec", "u": "0Aa", "cargo": compute_digest(tok)}})
    out = run(dossier(by_digest), served(("Ecit", F.JWT, tok)))
    assert entry(out, "Ecit")["status"] == "VALID" and entry(out, "Ecit")["digest"] == compute_digest(tok)
    compact = cred("Ecit", ("citation",), {"d": "Ea", "dt": "2026-02-01T00:00:00Z", "content": "Ecompacted"})
    assert entry(run(dossier(compact), MemoryFetcher({})), "Ecit")["codes"] == [codes.BRIDGE_ATTRIBUTES_COMPACT]


def test_read_bridge_prefers_faa_fields() -> None:
    b = read_bridge("faa", {"art_digest": "Ex", "content_identifier": "Ex", "content_type": "a/b",
                            "content_location": ["u1", "u2"], "art_posture": "witness", "rev_latency": 3600})
    assert (b.digest, b.media_type, b.locations, b.posture, b.rev_latency) == ("Ex", "a/b", ("u1", "u2"), "witness", 3600)


def _verdict(checks: Sequence[Any], strict: bool) -> Any:
    base = [passed(f"X-{c.upper()}-99", c, "ok") for c in ("passport", "context", "dossier", "authorization",
                                                          "tn_rights", "business")]
    return build_verdict(base + list(checks), reference_time="2026-03-01T12:00:00Z", evidence_strict=strict)


def test_report_and_strict() -> None:
    chain = PKI.chain_pem("revoked_before")
    out = run(dossier(faa("Ecert", chain, F.PEM_CHAIN), *crl_bridges()), served(("Ecert", F.PEM_CHAIN, chain),
                                                                                 *crl_items()))
    report, strict = _verdict(out.checks, False), _verdict(out.checks, True)
    assert report.claims["evidence"].status is Status.INVALID and report.status is Status.VALID
    assert strict.status is Status.INVALID and codes.X509_REVOKED in strict.claims["evidence"].codes
    na = run(dossier(), MemoryFetcher({}))
    assert _verdict(na.checks, True).status is Status.VALID
    assert _verdict(na.checks, True).claims["evidence"].status is Status.NOT_APPLICABLE
    assert list(_verdict(na.checks, False).to_json()["claims"])[-2:] == ["evidence", "shaken"]


def test_the_outcome_is_the_same_on_every_run() -> None:
    chain = PKI.chain_pem("valid")
    d = dossier(faa("Ecert", chain, F.PEM_CHAIN), *crl_bridges())
    a = run(d, served(("Ecert", F.PEM_CHAIN, chain), *crl_items()))
    b = run(d, served(("Ecert", F.PEM_CHAIN, chain), *crl_items()))
    assert a == b


def test_reference_time_is_an_input() -> None:
    chain = PKI.chain_pem("revoked_after")
    d = dossier(faa("Ecert", chain, F.PEM_CHAIN), *crl_bridges("later"))
    later = foreign_evidence(d, trust=TRUST, policy=Policy(), fetcher=served(("Ecert", F.PEM_CHAIN, chain),
                                                                              *crl_items("later")),
                             reference_time=_dt.datetime(2026, 6, 3, tzinfo=_dt.UTC), orig=F.ORIG)
    assert entry(later, "Ecert")["codes"] == [codes.X509_REVOKED]
