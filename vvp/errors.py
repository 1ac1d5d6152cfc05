"""The error tree. Every error carries a stable ``code`` from :mod:`vvp.codes`.

::

    VvpError                      code, message; never shown as a traceback
    ├── UsageError                the command line is wrong                      → exit 2
    ├── OperationalError          vvp cannot run: unreadable input, internal fault → exit 4
    │   ├── InputUnreadable       an input file cannot be read
    │   ├── NotAvailable          the subcommand is not in this version
    │   └── ConfigError           a trust store or evidence map is invalid
    └── EvidenceError             a problem with one piece of evidence; becomes a check
        ├── EvidenceUnavailable   could not be obtained or checked → INDETERMINATE
        │   └── FetchError        the fetcher refused or failed (address, size, time, type)
        └── EvidenceInvalid       checked, and bad → INVALID

"Checked and invalid" and "could not check" are different branches on purpose: the first is
INVALID, the second INDETERMINATE, and confusing them is how verifiers lie.
"""

from __future__ import annotations

from vvp import codes


class VvpError(Exception):
    """Base of every error vvp raises on purpose."""

    default_code: str = codes.INTERNAL_ERROR

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        if not codes.is_registered(self.code):
            raise ValueError(f"unregistered code {self.code!r}")
        self.message = message

    def diagnostics(self) -> str:
        """One line for humans: ``CODE: message``."""
        return f"{self.code}: {self.message}"


class UsageError(VvpError):
    default_code = codes.USAGE_ERROR


class OperationalError(VvpError):
    default_code = codes.INTERNAL_ERROR


class InputUnreadable(OperationalError):
    default_code = codes.INPUT_UNREADABLE


class NotAvailable(OperationalError):
    default_code = codes.NOT_AVAILABLE_IN_VERSION


class ConfigError(OperationalError):
    default_code = codes.TRUST_BAD_VALUE


class EvidenceError(VvpError):
    pass


class EvidenceUnavailable(EvidenceError):
    pass


class FetchError(EvidenceUnavailable):
    """The fetcher refused or failed. ``url`` is the URL asked for (the first hop)."""

    def __init__(self, message: str, *, code: str, url: str) -> None:
        super().__init__(message, code=code)
        self.url = url


class EvidenceInvalid(EvidenceError):
    pass
