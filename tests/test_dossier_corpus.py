"""Dossier verification over real vectors (``../shared/corpus``; skipped with a reason when absent).

* ``keri/le-vlei-chain.cesr`` fed after ``keri/gleif-root-and-external.cesr``, GLEIF Root as the
  identity root: the QVI credential (issued by GLEIF External, a KERI delegate of the root) and
  the LE credential are issued and chain to the root; without the GLEIF file the delegator is
  missing and the verdict is INDETERMINATE, not INVALID.
* ``keri/ecr-vlei-chain-EKLZNI.cesr`` with its root: four credentials issued and chained when the
  policy accepts witnessless issuers; under the default policy the witness check fails and says so.
* The published Provenant dossier schema has no issuee: a world built with the published schemas
  gives a dossier root without issuee, which must be accepted.
"""

from __future__ import annotations

import datetime as _dt
import functools
from pathlib import Path

import pytest

from vvp import codes
from vvp.dossier import DossierPolicy, DossierResult, verify_dossier_stream
from vvp.trust import PUBLISHED_SCHEMA_ROLES
from vvp.verdict import CheckStatus, Status

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not CORPUS.is_dir(), reason=f"needs the shared corpus at {CORPUS}")]

GLEIF_ROOT = "EDP1vHcw_wc4M__Fj53-cJaBnZZASd-aMTaSyWEQ-PC2"
GLEIF_EXTERNAL = "EINmHd5g7iV-UldkkkKyBIH052bIyxZNBn9pq-zNrYoS"
QVI_CRED = "EMatUqz_u9BizxwOc3JishC4MyXfiWzQadDpgCBA6X9n"
LE_CRED = "EByg1epjv7D4-6mvl44Nlde1hTyL8413LZbY-mz60yI9"
ECR_ROOT = "EKXjIuJWZTLzeYVY5HXdPtduXrhmKu5Nm8lI-3HdJw6e"
ECR_CREDS = {"EAS9SE4hxxdvaFuY7YZluhbMM2fTavYy_h-HdFDFXm58", "EOXUQ_4mAPFeo_QXsetFdO5hKu8mgYBkPwGu3XX6K29Y",
             "EKLZNI1s8U0PCGG1XtjIX6VV-O6GCtdv1qpFPlEzZJuO", "ENLSyUni5ARgCJTp-xMt96Rxu29FyhsqJIBBTM-Cn8nH"}
AT = _dt.datetime(2026, 11, 1, tzinfo=_dt.UTC)


def _read(name: str) -> bytes:
    return (CORPUS / "keri" / name).read_bytes()


def _policy(root: str, min_w: int = 1) -> DossierPolicy:
    return DossierPolicy.with_schema_dirs((CORPUS / "schemas",), roots={"identity": frozenset({root})},
                                          schema_roles=dict(PUBLISHED_SCHEMA_ROLES), min_issuer_witnesses=min_w)


@functools.cache
def le_chain(with_gleif: bool) -> DossierResult:
    data = (_read("gleif-root-and-external.cesr") if with_gleif else b"") + _read("le-vlei-chain.cesr")
    return verify_dossier_stream(data, reference_time=AT, policy=_policy(GLEIF_ROOT))


def test_V_11_le_vlei_chain_to_gleif_root() -> None:
    r = le_chain(True)
    assert r.status is Status.VALID, [c.to_json() for c in r.checks if c.status is not CheckStatus.PASS]
    assert r.said == LE_CRED  # the one ACDC no edge points at
    assert {c.said: c.state for c in r.credentials.values()} == {LE_CRED: "issued", QVI_CRED: "issued"}
    qvi = r.credentials[QVI_CRED]
    assert qvi.issuer == GLEIF_EXTERNAL and qvi.role == "qvi"
    v11 = next(c for c in r.checks if c.id == "V-11" and c.subject == QVI_CRED)
    assert v11.status is CheckStatus.PASS and GLEIF_EXTERNAL in v11.message  # a delegate of the root counts
    for said in (LE_CRED, QVI_CRED):
        for cid in ("V-08", "V-10", "V-14", "V-11", "V-12", "V-27"):
            assert next(c for c in r.checks if c.id == cid and c.subject == said).status is CheckStatus.PASS


def test_V_08_le_vlei_chain_without_delegator_is_indeterminate() -> None:
    r = le_chain(False)
    assert r.status is Status.INDETERMINATE
    assert not [c for c in r.checks if c.status is CheckStatus.FAIL]
    v08 = next(c for c in r.checks if c.id == "V-08" and c.subject == QVI_CRED)
    assert (v08.status, v08.code) == (CheckStatus.INDETERMINATE, codes.ISSUER_DELEGATOR_MISSING)
    assert GLEIF_ROOT in v08.message  # names the missing delegator
    assert all(c.state == "unknown" for c in r.credentials.values())


def test_X_DOSSIER_01_real_qvi_credential_rules_block_said_is_a_warning() -> None:
    """GLEIF's real QVI credential carries an r block whose own d does not recompute; its
    top-level SAID binds it, so this is reported, not failed."""
    w = next(c for c in le_chain(True).checks if c.id == "X-DOSSIER-01" and c.subject == QVI_CRED)
    assert (w.status, w.code) == (CheckStatus.WARN, codes.ACDC_BLOCK_SAID_MISMATCH)


def test_V_27_ecr_chain_witnessless_accepted_by_policy() -> None:
    r = verify_dossier_stream(_read("ecr-vlei-chain-EKLZNI.cesr"), reference_time=AT,
                              policy=_policy(ECR_ROOT, min_w=0))
    assert r.status is Status.VALID, [c.to_json() for c in r.checks if c.status is not CheckStatus.PASS]
    assert set(r.credentials) == ECR_CREDS
    assert all(c.state == "issued" for c in r.credentials.values())
    assert all(next(c for c in r.checks if c.id == "V-13" and c.subject == s).status is CheckStatus.PASS
               for s in ECR_CREDS - {"EAS9SE4hxxdvaFuY7YZluhbMM2fTavYy_h-HdFDFXm58"})


def test_V_27_ecr_chain_default_policy_fails_witness_check() -> None:
    r = verify_dossier_stream(_read("ecr-vlei-chain-EKLZNI.cesr"), reference_time=AT, policy=_policy(ECR_ROOT))
    assert r.status is Status.INVALID
    assert set(r.codes) == {codes.ISSUER_TOO_FEW_WITNESSES}
    for said in ECR_CREDS:
        w = next(c for c in r.checks if c.id == "V-27" and c.subject == said)
        assert w.status is CheckStatus.FAIL and "0 witness" in w.message
        assert next(c for c in r.checks if c.id == "V-08" and c.subject == said).status is CheckStatus.PASS


def test_V_10_published_schemas_validate_real_credentials() -> None:
    r = le_chain(True)
    for said in (LE_CRED, QVI_CRED):
        c = next(c for c in r.checks if c.id == "V-10" and c.subject == said)
        assert c.status is CheckStatus.PASS


@functools.cache
def _published_world() -> object:
    from vvp.testing.world import WorldSpec, build_world
    return build_world(WorldSpec(schemas="published", published_dir=str(CORPUS / "schemas")))


def test_DS_05_provenant_dossier_root_without_issuee_is_accepted() -> None:
    """The real Provenant VVP dossier schema (EH1jN4U4…) has no issuee by design; the peer verifier
    rejects such a root as a bearer token. Here it is VALID."""
    from vvp.testing.world import CALL_AT, World
    w = _published_world()
    assert isinstance(w, World)
    d = w.dossiers["le"]
    pol = DossierPolicy.with_schema_dirs((CORPUS / "schemas",),
                                         roots={q: frozenset({w.root_aid(q)}) for q in ("identity", "tn", "brand")},
                                         schema_roles=dict(PUBLISHED_SCHEMA_ROLES))
    r = verify_dossier_stream(d.stream, reference_time=CALL_AT, policy=pol, expected_said=d.said)
    assert r.root is not None and r.root.schema == "EH1jN4U4LMYHmPVI4FYdZ10bIPR7YWKp8TDdZ9Y9Al-P"
    assert r.root.issuee is None and r.root.role == "dossier"
    assert r.status is Status.VALID, [c.to_json() for c in r.checks if c.status is not CheckStatus.PASS]
    assert next(c for c in r.checks if c.id == "DS-05" and c.subject == d.said).status is CheckStatus.PASS
    assert next(c for c in r.checks if c.id == "DS-03" and c.subject == d.said).status is CheckStatus.WARN
