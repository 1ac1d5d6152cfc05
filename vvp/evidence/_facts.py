"""Facts that SD-JWT and W3C credentials state, in the normalised form of :class:`Facts`.

Only values that are unambiguous are taken: a telephone number must be E.164 (a leading ``+``, or
a claim defined as E.164 digits such as ``msisdn``), an LEI must pass its ISO 17442 check digits,
a legal name is taken as written. A credential that states nothing recognisable gives empty
facts, and the bridge then reports ``consistent: null``: guessing would turn a spelling into a
verdict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import urlsplit

from vvp.evidence.base import Facts
from vvp.tn import try_normalize_tn

_LEI_RE: Final = re.compile(r"\A[0-9A-Z]{18}[0-9]{2}\Z")
_DOMAIN_RE: Final = re.compile(r"\A(?=.{1,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")


def lei(value: Any) -> str | None:
    """An ISO 17442 LEI (20 characters, ISO 7064 MOD 97-10 check digits), upper-cased, or None."""
    if not isinstance(value, str):
        return None
    v = value.strip().upper()
    if not _LEI_RE.match(v):
        return None
    digits = "".join(str(int(c, 36)) for c in v)
    return v if int(digits) % 97 == 1 else None


def e164(value: Any, *, plus_optional: bool = False) -> str | None:
    """``+`` and the E.164 digits of a telephone number (``tel:`` URIs too), or None.
    Without ``plus_optional`` a number must carry its ``+``: ``2025550101`` may be national."""
    if not isinstance(value, str):
        return None
    v = value.strip()
    if v.lower().startswith("tel:"):
        v = v[4:].split(";", 1)[0]
    if not v.startswith("+") and not plus_optional:
        return None
    digits = try_normalize_tn(v)
    return None if digits is None or len(digits) < 7 else "+" + digits


def domain(value: Any) -> str | None:
    """A lower-case DNS name, from a bare name or the host of an http(s) URL, or None."""
    if not isinstance(value, str):
        return None
    v = value.strip().lower()
    if v.startswith(("http://", "https://")):
        try:
            v = urlsplit(v).hostname or ""
        except ValueError:
            return None
    v = v.rstrip(".")
    return v if _DOMAIN_RE.match(v) else None


def strings(value: Any) -> list[Any]:
    """A value or a list of values as a list (for claims that may hold one or several)."""
    return list(value) if isinstance(value, list) else [value]


def build(legal_names: Iterable[str], leis: Iterable[str], registration_ids: Iterable[str], tns: Iterable[str],
          domains: Iterable[str]) -> Facts:
    """Facts from collected values: the first legal name, LEI and domain; every id and number once,
    in the order found."""

    def first(xs: Iterable[str]) -> str | None:
        for x in xs:
            return x
        return None

    def unique(xs: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(xs))

    return Facts(legal_name=first(n for n in legal_names if n), lei=first(leis),
                 registration_ids=unique(registration_ids), tns=unique(tns), domain=first(domains))
