"""The trust store (architecture §4.2): roots per question, schema folders and roles, STI anchors,
and the verification policy, loaded once from one JSON file and then immutable.

Every key is optional and has a default; unknown keys at any level are an error, because a typo
(``"min_isuer_witnesses": 3``) must never silently leave a weaker default in force. Relative
paths are resolved against the trust file's folder. ``schemas/formats/trust-store.v1.schema.json``
is the one definition of the shape: this loader validates against it (errors name the key and get
a stable code), then turns values into types, resolves paths and reads the files they name.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import jsonschema  # type: ignore[import-untyped]

from vvp import codes, strictjson
from vvp.errors import ConfigError, InputUnreadable, OperationalError
from vvp.evidence.base import ForeignTrust, VcIssuer
from vvp.files import read_input
from vvp.record import TrustFile, read_trust_files

# Published schema SAIDs per role (vvp-protocol.md §3.4; keri-notes §6). A role left empty in a
# trust store defaults to these. Sets, not single SAIDs: schema SAIDs drift with every edit.
PUBLISHED_SCHEMA_ROLES: Mapping[str, tuple[str, ...]] = {
    "vetting": ("ENPXp1vQzRF6JwIuS-mp2U8Uf1MoADoP_GqQ62VsDZWY",),  # vLEI Legal Entity
    "qvi": ("EBfdlu8R27Fbx-ehrqwImnK-8Cm79sqbAQ4MmvEAYqao",),  # vLEI QVI
    "tn_allocation": ("EFvnoHDY7I-kaBBeKlbDbkjG4BaI0nKLGadxBdjMGgSQ",),  # Provenant TN Allocation
    "gcd": ("EL7irIKYJL9Io0hhKSGWI4OznhwC7qgJG5Qf4aEs6j0o",),  # Provenant GCD (alloc, delsig, bproxy)
    "brand": ("EBpGNZSWwj-btOJMJSMLCVoXbtKdJTcggO-zMevr4vH_", "EAoRVmgPyacjhUxaV0nPwiuUuHMjKDpNZrj7ClofZ-3Z"),
    "dossier": ("EH1jN4U4LMYHmPVI4FYdZ10bIPR7YWKp8TDdZ9Y9Al-P",),  # Provenant VVP Dossier
    # Bridging ACDCs for foreign evidence (architecture §2.3; docs/evidence.md)
    "faa": ("ELuPsd1mylvD9iY_gH5hEJzoUd8OZWtU6J2svJwIq-TJ",),  # Provenant Foreign Artifact Affidavit
    "citation": ("EDH3Q0MW6oCcwyYw2MN39n1YfPs37o1QEv86kB-fBzmh",),  # Provenant Citation
}
ROLE_NAMES: tuple[str, ...] = tuple(PUBLISHED_SCHEMA_ROLES)
ROOT_QUESTIONS: tuple[str, ...] = ("identity", "tn", "brand")


@dataclass(frozen=True, slots=True)
class Policy:
    """The knobs of a verification. Defaults are the architecture's; see docs/policy.md."""

    max_passport_validity_s: int = 60
    iat_tolerance_s: int = 30
    clock_skew_s: int = 5
    shaken_iat_freshness_s: int = 60
    key_state_freshness_s: int = 300
    revocation_freshness_s: int = 300
    x5u_cache_s: int = 3600
    min_issuer_witnesses: int = 1
    brand_failure: Literal["suppress", "strict"] = "suppress"
    require_brand_proxy: bool = False
    allow_legacy_typ: bool = False
    require_ppt_param: bool = False
    crl: Literal["optional", "required", "off"] = "optional"
    replay_window_s: int = 0
    fetch_timeout_s: float = 5
    fetch_max_bytes: int = 4194304
    fetch_max_redirects: int = 3
    allow_private_addresses: bool = False
    foreign_evidence: Literal["report", "strict"] = "report"
    foreign_revocation: Literal["hard-fail", "soft-fail"] = "hard-fail"
    sd_jwt_require_key_binding: bool = False
    callee_iat_tolerance_s: int = 30
    witness_check: Literal["off", "available", "required"] = "available"
    witness_quorum: int | None = None
    request_deadline_s: float = 3.0

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Roots:
    """Root AIDs, each trusted for its own question only."""

    identity: frozenset[str] = frozenset()
    tn: frozenset[str] = frozenset()
    brand: frozenset[str] = frozenset()

    def for_question(self, question: str) -> frozenset[str]:
        if question not in ROOT_QUESTIONS:
            raise ValueError(f"unknown root question {question!r}")
        roots: frozenset[str] = getattr(self, question)
        return roots


@dataclass(frozen=True, slots=True)
class TrustStore:
    """Roots, schemas, roles, STI anchors and policy; replaced together, never mutated."""

    roots: Roots = field(default_factory=Roots)
    schemas: tuple[Path, ...] = ()
    schema_roles: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(PUBLISHED_SCHEMA_ROLES))
    sti_pa: tuple[Path, ...] = ()
    sti_crl_signers: tuple[Path, ...] = ()
    policy: Policy = field(default_factory=Policy)
    foreign: ForeignTrust = field(default_factory=ForeignTrust)
    witnesses: tuple[str, ...] = ()
    """Witness OOBI URLs, or resolved paths of files holding a witness's OOBI response (§2.4)."""
    files: tuple[TrustFile, ...] = ()
    """The bytes behind every file and folder the store names, read once when the store is loaded
    (:func:`load_files`). Verifications and records use these bytes, never the paths again: a file
    replaced on disk takes effect when the trust store is loaded again, and the record of a call
    holds exactly the bytes that call was judged with."""
    source: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def roles_of(self, schema_said: str) -> tuple[str, ...]:
        """The roles a schema SAID plays (several are possible, e.g. never in practice but allowed)."""
        return tuple(r for r, saids in self.schema_roles.items() if schema_said in saids)

    def with_policy(self, **changes: Any) -> TrustStore:
        return replace(self, policy=replace(self.policy, **changes))

    def files_of(self, field_name: str) -> tuple[TrustFile, ...]:
        """The loaded files of one list (``schemas``, ``sti_pa``, ``sti_crl_signers``), in order."""
        return tuple(f for f in self.files if f.field == field_name)

    def file_bytes(self, field_name: str) -> tuple[bytes, ...]:
        """Every file's bytes under one list, folders expanded in path order."""
        return tuple(data for f in self.files_of(field_name) for _, data in f.entries)


MAX_TRUST_STORE_BYTES = 4 * 1024 * 1024
"""The trust store's own JSON (the files it names have their own limits, in vvp.record)."""

LOADED_FIELDS: tuple[str, ...] = ("schemas", "sti_pa", "sti_crl_signers")
"""Trust store lists whose files are read into :attr:`TrustStore.files` when the store is loaded."""
LOADED_FOREIGN_FIELDS: tuple[str, ...] = ("x509", "rtu_authorities", "sd_jwt_issuers", "vc_issuers", "contexts")
"""``foreign`` entries whose files are read the same way (as ``foreign.<key>``) and handed to the
checkers as :attr:`ForeignTrust.files` (docs/evidence.md). ``vc_issuers``: the JWK set file of
each issuer that has one (the TrustFile's index is the issuer's position in the list);
``contexts``: each context file, indexed by the position of its URL in the URL-sorted mapping."""


def foreign_paths(foreign: ForeignTrust, key: str) -> tuple[tuple[int, Path], ...]:
    """The files a ``foreign`` entry names, each with the index a record gives it (see
    :data:`LOADED_FOREIGN_FIELDS`), in the order the checkers expect their bytes."""
    if key == "vc_issuers":
        return tuple((i, v.jwks) for i, v in enumerate(foreign.vc_issuers) if v.jwks is not None)
    if key == "contexts":
        return tuple(enumerate(foreign.contexts.values()))
    paths: tuple[Path, ...] = getattr(foreign, key)
    return tuple(enumerate(paths))


def _read_foreign(key: str, foreign: ForeignTrust) -> tuple[TrustFile, ...]:
    """The files of one ``foreign`` entry; a JWK set or a context must be one file (the checkers
    take one document per issuer or URL), not a folder."""
    indexed = foreign_paths(foreign, key)
    read = read_trust_files(f"foreign.{key}", [p for _, p in indexed])
    out = tuple(replace(tf, index=i) for (i, _), tf in zip(indexed, read, strict=True))
    if key in ("vc_issuers", "contexts"):
        for tf in out:
            if tf.type != "file":
                raise _err(codes.TRUST_BAD_VALUE, f"foreign.{key}: {tf.name} is a folder; name one file")
    return out


def load_files(trust: TrustStore) -> TrustStore:
    """``trust`` with the bytes of every file it names read now (within the record's limits):
    the one moment a trust store touches the disk after parsing."""
    try:
        files = tuple(tf for name in LOADED_FIELDS for tf in read_trust_files(name, getattr(trust, name)))
        files += tuple(tf for key in LOADED_FOREIGN_FIELDS for tf in _read_foreign(key, trust.foreign))
    except OperationalError as ex:
        raise _err(codes.TRUST_PATH_MISSING if ex.code == codes.TRUST_PATH_MISSING else codes.TRUST_BAD_VALUE,
                   ex.message) from None
    foreign = replace(trust.foreign, files={k: tuple(d for tf in files if tf.field == f"foreign.{k}"
                                                     for _, d in tf.entries) for k in LOADED_FOREIGN_FIELDS})
    return replace(trust, files=files, foreign=foreign)


def default_trust_store() -> TrustStore:
    """No ``--trust``: empty roots, published roles, default policy (identity and TN questions
    then come out INDETERMINATE, never VALID, for lack of roots)."""
    return TrustStore()


def _err(code: str, msg: str) -> ConfigError:
    return ConfigError(msg, code=code)


SCHEMA_RESOURCE = "schemas/formats/trust-store.v1.schema.json"


@functools.cache
def _shape_validator() -> Any:
    """The trust store's JSON Schema (package data): the one definition of its shape, for this
    loader and for outside tools alike."""
    schema = json.loads(resources.files("vvp").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _check_shape(data: Any) -> None:
    """Raise the first shape error with a code that says what is wrong and where: unknown keys
    first (a typo must never leave a weaker default in force), then wrong values."""
    errors = list(_shape_validator().iter_errors(data))
    if not errors:
        return
    errors.sort(key=lambda e: (e.validator != "additionalProperties", len(e.absolute_path), list(map(str, e.absolute_path))))
    e = errors[0]
    where = ".".join(str(p) for p in e.absolute_path) or "the trust store"
    if e.validator == "additionalProperties" and isinstance(e.instance, dict):
        allowed = set(e.schema.get("properties", {}))
        unknown = sorted(str(k) for k in e.instance if k not in allowed)
        raise _err(codes.TRUST_UNKNOWN_KEY, f"unknown key(s) in {where}: {', '.join(unknown)}")
    raise _err(codes.TRUST_BAD_VALUE, f"{where}: {e.message[:200]}")


def _check_keys(obj: Any, allowed: tuple[str, ...], where: str) -> dict[str, Any]:
    """The object at ``where`` (its shape was checked against the schema already)."""
    assert isinstance(obj, dict) and set(obj) <= set(allowed), where
    return obj


def _str_list(v: Any, where: str) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise _err(codes.TRUST_BAD_VALUE, f"{where} must be a list of non-empty strings")
    return list(v)


def _paths(v: Any, where: str, base: Path) -> tuple[Path, ...]:
    out = []
    for s in _str_list(v, where):
        p = Path(s)
        p = p if p.is_absolute() else (base / p)
        if not p.exists():
            raise _err(codes.TRUST_PATH_MISSING, f"{where}: {s} does not exist (resolved to {p})")
        out.append(p.resolve())
    return tuple(out)


def _policy(obj: Any) -> Policy:
    """The policy's values as their Python types (the schema has checked types, ranges and enums)."""
    d = _check_keys(obj, tuple(f.name for f in fields(Policy)), "policy")
    declared = {f.name: str(f.type) for f in fields(Policy)}  # the annotation decides, not the default's type
    vals: dict[str, Any] = {}
    for k, v in d.items():
        if v is None or isinstance(v, (bool, str)):
            vals[k] = v
        elif declared[k].startswith("float"):
            vals[k] = v if isinstance(v, int) and float(v) == v else float(v)  # 5 stays 5: the same JSON as before
        else:
            vals[k] = int(v)
    return Policy(**vals)


def _foreign(obj: Any, base: Path) -> ForeignTrust:
    d = _check_keys(obj, ("x509", "sd_jwt_issuers", "vc_issuers", "rtu_authorities", "contexts"), "foreign")
    issuers: list[VcIssuer] = []
    vc = d.get("vc_issuers", [])
    if not isinstance(vc, list):
        raise _err(codes.TRUST_BAD_VALUE, "foreign.vc_issuers must be a list")
    for i, item in enumerate(vc):
        where = f"foreign.vc_issuers[{i}]"
        if isinstance(item, str) and item:
            if not item.startswith("did:key:"):
                raise _err(codes.TRUST_BAD_VALUE, f"{where}: a bare issuer must be a did:key; give "
                                                  '{"id": URL, "jwks": FILE} for other issuers')
            issuers.append(VcIssuer(item))
        else:
            o = _check_keys(item, ("id", "jwks"), where)
            if not isinstance(o.get("id"), str) or not o["id"] or not isinstance(o.get("jwks"), str):
                raise _err(codes.TRUST_BAD_VALUE, f"{where} needs a string id and a jwks file")
            issuers.append(VcIssuer(o["id"], _paths([o["jwks"]], f"{where}.jwks", base)[0]))
    ctx = d.get("contexts", {})
    if not isinstance(ctx, dict):
        raise _err(codes.TRUST_BAD_VALUE, "foreign.contexts must be an object (context URL -> file)")
    contexts: dict[str, Path] = {}
    for url, f in sorted(ctx.items()):  # URL order: a record indexes context files by it
        if not isinstance(f, str) or not f or not url:
            raise _err(codes.TRUST_BAD_VALUE, "foreign.contexts maps a context URL to a file name")
        contexts[url] = _paths([f], f"foreign.contexts[{url!r}]", base)[0]
    return ForeignTrust(x509=_paths(d.get("x509", []), "foreign.x509", base),
                        sd_jwt_issuers=_paths(d.get("sd_jwt_issuers", []), "foreign.sd_jwt_issuers", base),
                        vc_issuers=tuple(issuers),
                        rtu_authorities=_paths(d.get("rtu_authorities", []), "foreign.rtu_authorities", base),
                        contexts=contexts)


def _witnesses(v: Any, base: Path) -> tuple[str, ...]:
    out: list[str] = []
    for s in _str_list(v, "witnesses"):
        if s.startswith(("http://", "https://")):
            out.append(s)
        else:
            out.append(str(_paths([s], "witnesses", base)[0]))
    return tuple(out)


def parse_trust_store(data: Any, *, base: Path, source: Path | None = None) -> TrustStore:
    """Build a TrustStore from parsed JSON; ``base`` is the folder relative paths start from."""
    if isinstance(data, dict) and "version" in data and (type(data["version"]) is not int or data["version"] != 1):
        raise _err(codes.TRUST_BAD_VERSION, f"version must be 1, not {data['version']!r}")
    _check_shape(data)
    top = _check_keys(data, ("version", "roots", "schemas", "schema_roles", "sti_pa", "sti_crl_signers",
                             "policy", "foreign", "witnesses"), "the trust store")
    roots_obj = _check_keys(top.get("roots", {}), ROOT_QUESTIONS, "roots")
    roots = Roots(**{q: frozenset(_str_list(roots_obj.get(q, []), f"roots.{q}")) for q in ROOT_QUESTIONS})
    roles_obj = _check_keys(top.get("schema_roles", {}), ROLE_NAMES, "schema_roles")
    roles: dict[str, tuple[str, ...]] = {}
    for r in ROLE_NAMES:
        given = _str_list(roles_obj.get(r, []), f"schema_roles.{r}")
        roles[r] = tuple(given) if given else PUBLISHED_SCHEMA_ROLES[r]
    return load_files(TrustStore(
        roots=roots,
        schemas=_paths(top.get("schemas", []), "schemas", base),
        schema_roles=roles,
        sti_pa=_paths(top.get("sti_pa", []), "sti_pa", base),
        sti_crl_signers=_paths(top.get("sti_crl_signers", []), "sti_crl_signers", base),
        policy=_policy(top.get("policy", {})),
        foreign=_foreign(top.get("foreign", {}), base),
        witnesses=_witnesses(top.get("witnesses", []), base),
        source=source,
        raw=data,
    ))


def load_trust_store(path: str | Path | None) -> TrustStore:
    """Load ``--trust FILE``; ``None`` gives :func:`default_trust_store`. The file must be a
    regular file of at most :data:`MAX_TRUST_STORE_BYTES` (:func:`vvp.files.read_input`: a FIFO or
    ``/dev/zero`` is refused, not read), nesting at most :data:`vvp.strictjson.DEFAULT_MAX_DEPTH`."""
    if path is None:
        return default_trust_store()
    p = Path(path)
    try:
        raw = read_input(p, max_bytes=MAX_TRUST_STORE_BYTES, what="trust store")
        text = raw.decode("utf-8")
    except InputUnreadable as ex:
        keep = ex.code in (codes.INPUT_NOT_REGULAR_FILE, codes.INPUT_TOO_LARGE)
        raise _err(ex.code if keep else codes.TRUST_UNREADABLE, ex.message) from None
    except UnicodeDecodeError as ex:
        raise _err(codes.TRUST_UNREADABLE, f"cannot read trust store {p}: {ex}") from None
    try:
        data = strictjson.loads(text)
    except strictjson.DepthError as ex:
        raise _err(codes.INPUT_TOO_DEEP, f"trust store {p}: {ex}") from None
    except ValueError as ex:  # not JSON, or a repeated key
        raise _err(codes.TRUST_NOT_JSON, f"trust store {p} is not JSON: {ex}") from None
    return parse_trust_store(data, base=p.resolve().parent, source=p.resolve())
