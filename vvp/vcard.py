"""vCard (RFC 6350) content lines, as carried in a PASSporT ``card`` and a brand credential's ``vcard``.

``card`` lines are judged in the brand claim (architecture §2 step 6): each must be a content line
(RFC 6350 §3.3: ``[group "."] name *(";" param) ":" value``) and must be justified by a brand
credential. Lines are compared after a normalisation that removes differences RFC 6350 says do
not matter: property and parameter names are case-insensitive, and the brand schema asks for
upper-case names with parameters in lexicographic order, so both sides are put in that form.
Values are compared exactly (a brand value is the brand).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 8192  # a LOGO data: URI can be long; anything longer is not a brand line

_NAME = r"[A-Za-z0-9-]+"
_LINE = re.compile(rf"\A(?:(?P<group>{_NAME})\.)?(?P<name>{_NAME})(?P<params>(?:;[^:;]*)*):(?P<value>.*)\Z", re.S)
_PARAM = re.compile(rf"\A(?P<pname>{_NAME})=(?P<pval>(?:\"[^\"]*\"|[^\";:,]*)(?:,(?:\"[^\"]*\"|[^\";:,]*))*)\Z")


@dataclass(frozen=True, slots=True)
class ContentLine:
    group: str | None
    name: str
    params: tuple[tuple[str, str], ...]
    value: str

    def normalised(self) -> str:
        params = "".join(f";{k}={v}" for k, v in sorted(self.params))
        grp = f"{self.group.upper()}." if self.group else ""
        return f"{grp}{self.name}{params}:{self.value}"


class VCardSyntaxError(ValueError):
    """The text is not an RFC 6350 content line."""


def parse_line(text: object) -> ContentLine:
    """Parse one unfolded content line; raises :class:`VCardSyntaxError` with the reason."""
    if not isinstance(text, str):
        raise VCardSyntaxError("a card entry must be a string")
    if len(text) > MAX_LINE:
        raise VCardSyntaxError(f"longer than {MAX_LINE} characters")
    if "\r" in text or "\n" in text:
        raise VCardSyntaxError("contains a line break (content lines are unfolded)")
    m = _LINE.match(text)
    if not m:
        raise VCardSyntaxError("not of the form NAME[;PARAM=VALUE]*:VALUE")
    params: list[tuple[str, str]] = []
    for raw in m.group("params").split(";")[1:]:
        pm = _PARAM.match(raw)
        if not pm:
            raise VCardSyntaxError(f"parameter {raw!r} is not NAME=VALUE")
        params.append((pm.group("pname").upper(), pm.group("pval")))
    return ContentLine(m.group("group"), m.group("name").upper(), tuple(params), m.group("value"))


def normalise(text: object) -> str:
    return parse_line(text).normalised()
