"""Media type → checker, and the one call that judges an artifact without ever raising.

The bridge and ``vvp evidence`` both go through :func:`check_artifact`: it finds the checker for
the artifact's media type (parameters and case ignored), runs it, and turns what cannot be judged
into coded results: a media type no checker takes is INDETERMINATE
(``EVIDENCE_MEDIA_TYPE_UNSUPPORTED``), and an exception escaping a checker (a fault in vvp or a
library meeting hostile bytes) is INDETERMINATE (``EVIDENCE_CHECKER_FAILED``), never a traceback.

CRLs and OCSP responses (:data:`REVOCATION_TYPES`) are not judged alone: they are revocation
data handed to the X.509 and RTU checkers as ``related`` artifacts.

The checkers of SD-JWT and W3C VCs live in :mod:`vvp.evidence.sdjwt` and
:mod:`vvp.evidence.w3cvc`; each module's classes named ``…Checker`` are registered when the
module is present, so a format joins by defining its checker there.
"""

from __future__ import annotations

import functools
import importlib
from typing import Final

from vvp import codes
from vvp.evidence import pkix
from vvp.evidence.base import ArtifactResult, CheckContext, Checker
from vvp.evidence.rtu import RtuChecker
from vvp.evidence.x509 import X509Checker
from vvp.fetch import media_type as normalise_media_type
from vvp.verdict import Status

REVOCATION_TYPES: Final = pkix.CRL_TYPES + pkix.OCSP_TYPES
_OPTIONAL_MODULES: Final = ("vvp.evidence.sdjwt", "vvp.evidence.w3cvc")


def _is_checker(obj: object) -> bool:
    return isinstance(obj, type) and obj.__name__.endswith("Checker") and isinstance(
        getattr(obj, "media_types", None), tuple) and callable(getattr(obj, "check", None))


@functools.cache
def checkers() -> tuple[Checker, ...]:
    """Every checker of this version, the built-in ones first."""
    out: list[Checker] = [X509Checker(), RtuChecker()]
    for name in _OPTIONAL_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        for obj in vars(mod).values():
            if _is_checker(obj) and obj.__module__ == name:
                out.append(obj())
    return tuple(out)


def checker_for(media_type: str) -> Checker | None:
    mt = normalise_media_type(media_type)
    for c in checkers():
        if mt in c.media_types:
            return c
    return None


def supported_media_types() -> tuple[str, ...]:
    return tuple(mt for c in checkers() for mt in c.media_types)


def check_artifact(data: bytes, media_type: str, ctx: CheckContext) -> ArtifactResult:
    """Judge one artifact by its media type (module docstring). Never raises."""
    mt = normalise_media_type(media_type)
    checker = checker_for(mt)
    if checker is None:
        return ArtifactResult(mt or media_type, Status.INDETERMINATE, (codes.EVIDENCE_MEDIA_TYPE_UNSUPPORTED,),
                              (f"no checker verifies {mt or '(no media type)'!r} in this version (supported: "
                               f"{', '.join(supported_media_types())})",))
    try:
        return checker.check(data, mt, ctx)
    except RecursionError:
        return ArtifactResult(mt, Status.INDETERMINATE, (codes.EVIDENCE_CHECKER_FAILED,),
                              ("the artifact nests too deeply to be evaluated",))
    except Exception as e:  # noqa: BLE001 - hostile bytes must become a coded result, never a traceback
        return ArtifactResult(mt, Status.INDETERMINATE, (codes.EVIDENCE_CHECKER_FAILED,),
                              (f"the {type(checker).__name__} stopped: {type(e).__name__}: {str(e)[:200]}",))
