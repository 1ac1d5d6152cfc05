"""Telephone-number (TN) normalisation, shared by every place that compares TNs.

A TN arrives in many spellings: ``"+1 (704) 322-1013"`` typed on a command line, ``"17043221013"``
in a SHAKEN ``orig``, ``["+17043221013"]`` in a VVP sample, ``tel:+1-704-322-1013`` in a SIP
header. Comparing them as strings would turn spelling into a verdict, so every comparison goes
through :func:`normalize_tn`, which produces the RFC 8224 §8.3 canonical form: the E.164 digits
only, country code included, no ``+`` and no visual separators.

The rules are deliberately narrow. A leading ``+`` is optional; the RFC 3966 visual separators
``-``, ``.``, ``(`` and ``)`` are removed; anything else (letters, spaces inside the number, ``*``
and ``#`` service codes, a second ``+``) is refused, because a verifier that "cleans up" an odd
value can be made to match a number nobody signed. E.164 allows at most 15 digits.
"""

from __future__ import annotations

import re
from typing import Final

from vvp import codes
from vvp.errors import EvidenceInvalid

# E.164 (ITU-T) caps an international number at 15 digits.
MAX_TN_DIGITS: Final = 15
# Longest raw spelling looked at; a separator-laden 15-digit number fits easily. Longer input is
# refused before any work is done on it.
MAX_TN_INPUT_CHARS: Final = 64

# An optional "+", then ASCII digits and the RFC 3966 visual separators only.
_TN_RE: Final = re.compile(r"\A\+?([0-9().\-]*)\Z")
_SEPARATORS_RE: Final = re.compile(r"[().\-]")
# The usual spelling (an optional "+" and 1 to 15 ASCII digits, nothing else) is its own normal
# form's digits: read with one match, on the per-call path (PASSporT orig/dest, call context).
_USUAL_TN_RE: Final = re.compile(r"\+?([0-9]{1,15})")


class TnError(EvidenceInvalid):
    """A value that should be a telephone number is not one."""

    default_code = codes.TN_INVALID


def normalize_tn(value: str) -> str:
    """Return the canonical digits of ``value`` (e.g. ``"+1-704-322-1013"`` → ``"17043221013"``).

    Raises :class:`TnError` for anything that is not an E.164 number written with an optional
    leading ``+`` and RFC 3966 visual separators.
    """
    if len(value) > MAX_TN_INPUT_CHARS:
        raise TnError(f"telephone number longer than {MAX_TN_INPUT_CHARS} characters")
    m = _TN_RE.match(value.strip())
    if m is None:
        raise TnError(f"not a telephone number: {value!r} (only digits, a leading + and - . ( ) are allowed)")
    digits = _SEPARATORS_RE.sub("", m.group(1))
    if not digits:
        raise TnError(f"not a telephone number: {value!r} (no digits)")
    if len(digits) > MAX_TN_DIGITS:
        raise TnError(f"not a telephone number: {value!r} (more than {MAX_TN_DIGITS} digits)")
    return digits


def try_normalize_tn(value: object) -> str | None:
    """:func:`normalize_tn`, or ``None`` when ``value`` is not a telephone number."""
    if not isinstance(value, str):
        return None
    if type(value) is str:
        m = _USUAL_TN_RE.fullmatch(value)
        if m is not None:
            return m.group(1)
    try:
        return normalize_tn(value)
    except TnError:
        return None


def display_tn(canonical: str) -> str:
    """The canonical digits with a ``+`` for messages (``17043221013`` → ``+17043221013``)."""
    return "+" + canonical
