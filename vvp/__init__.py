"""vvp: a verifier for telephone calls signed with the Verifiable Voice Protocol.

The public API is small on purpose (architecture §2.1, §3): build one :class:`Verifier` per trust
store and call ``verify(CallInput(...))`` for each call (``verify_callee(CalleeInput(...))`` for the
called party's answer); the :class:`Verdict` says what was proven.
:class:`Record` is a forensic record (``Record.from_bytes``), re-verified by :func:`reverify`.
Everything else is private or lives in subpackages whose names say what they hold.

Names are imported on first use (PEP 562), so ``import vvp`` stays cheap and keri is loaded only
when a verification needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Verifier": "vvp.verifier",
    "VerifierCache": "vvp.verifier",
    "CallInput": "vvp.verifier",
    "CalleeInput": "vvp.callee.inputs",
    "Verdict": "vvp.verdict",
    "Status": "vvp.verdict",
    "TrustStore": "vvp.trust",
    "load_trust_store": "vvp.trust",
    "Record": "vvp.record",
    "reverify": "vvp.replay",
    "VvpError": "vvp.errors",
    "UsageError": "vvp.errors",
    "OperationalError": "vvp.errors",
    "InputUnreadable": "vvp.errors",
    "ConfigError": "vvp.errors",
    "EvidenceError": "vvp.errors",
    "EvidenceUnavailable": "vvp.errors",
    "EvidenceInvalid": "vvp.errors",
    "FetchError": "vvp.errors",
}

__all__ = ["__version__", "Verifier", "VerifierCache", "CallInput", "CalleeInput", "Verdict", "Status", "TrustStore",
           "load_trust_store", "Record", "reverify", "VvpError", "UsageError", "OperationalError", "InputUnreadable",
           "ConfigError", "EvidenceError", "EvidenceUnavailable", "EvidenceInvalid", "FetchError"]
assert set(__all__) == {"__version__", *_EXPORTS}

if TYPE_CHECKING:
    from vvp.errors import (ConfigError, EvidenceError, EvidenceInvalid, EvidenceUnavailable, FetchError,
                            InputUnreadable, OperationalError, UsageError, VvpError)
    from vvp.callee.inputs import CalleeInput
    from vvp.record import Record
    from vvp.replay import reverify
    from vvp.trust import TrustStore, load_trust_store
    from vvp.verdict import Status, Verdict
    from vvp.verifier import CallInput, Verifier, VerifierCache


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vvp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
