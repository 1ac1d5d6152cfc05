"""A checker's coded refusal, and the one place that turns it into an :class:`ArtifactResult`.

A format checker (SD-JWT, W3C VC) refuses deep inside its steps: a header rule, a disclosure,
an issuer key not found. Raising a :class:`Refusal` there, and catching it once around the whole
check (:func:`guarded_check`), keeps every step a plain function that either returns what the
next step needs or says, with a stable code, why it cannot. The same guard turns any other
exception (a fault in vvp or a library on odd input) into INDETERMINATE
``EVIDENCE_CHECKER_FAILED``: :class:`~vvp.evidence.base.Checker` promises never to raise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vvp import codes
from vvp.evidence.base import ArtifactResult
from vvp.verdict import Status


class Refusal(Exception):
    """Why an artifact is INVALID or INDETERMINATE: ``codes`` (the first one names the check,
    the rest say more, e.g. the JOSE parse code behind a malformed token) and one message."""

    def __init__(self, status: Status, code: str, message: str, *extra: str) -> None:
        super().__init__(message)
        self.status, self.codes, self.message = status, (code, *extra), message


def invalid(code: str, message: str, *extra: str) -> Refusal:
    """Checked, and bad."""
    return Refusal(Status.INVALID, code, message, *extra)


def indeterminate(code: str, message: str, *extra: str) -> Refusal:
    """Could not be checked (no anchor, too large, an unreadable trust file, unsupported)."""
    return Refusal(Status.INDETERMINATE, code, message, *extra)


def guarded_check(media_type: str, native: dict[str, Any], checker: str,
                  check: Callable[[], ArtifactResult]) -> ArtifactResult:
    """``check()``, with a refusal as its coded result and any other exception as
    ``EVIDENCE_CHECKER_FAILED`` (``checker`` names it in the message: "the SD-JWT checker
    stopped: …"). ``native`` is what the check had filled in when it stopped."""
    try:
        return check()
    except Refusal as f:
        return ArtifactResult(media_type, f.status, f.codes, (f.message,), native=native)
    except Exception as e:  # a fault in vvp or a library on odd input: never a traceback
        return ArtifactResult(media_type, Status.INDETERMINATE, (codes.EVIDENCE_CHECKER_FAILED,),
                              (f"the {checker} checker stopped: {type(e).__name__}: {str(e)[:200]}",), native=native)
