"""Self-contained, inert HTML pages from the package's jinja2 templates (``vvp/templates/``).

Why one module for this: every page vvp writes (the audit report of ``vvp report``, the batch
summary) must be readable years later in any browser, by a court, without trusting the data it
shows. So every page shares the same guarantees, and they are made here once:

* **Escaping is not optional.** The templates are rendered by one jinja2 ``Environment`` with
  ``autoescape=True`` for every template whatever its name (HTML and the inline SVG alike), and
  ``StrictUndefined``: a misspelt variable is an error, never an empty string. Text from a record
  (messages, URLs, subjects, vCard lines: all attacker-influenced) is passed as plain ``str`` and
  escaped by the template in text and in attributes; nothing is escaped by hand.
* **Nothing may load or run.** ``base.html.j2`` starts the ``<head>`` with a
  Content-Security-Policy of ``default-src 'none'`` whose only allowance is the page's one
  stylesheet, **by hash** (:func:`content_security_policy`); there is no script and no URL.
* **The hash is of the bytes in the page.** The stylesheet is ``templates/style.css``, read once
  from package data and inserted verbatim (a :class:`~markupsafe.Markup`, so not re-escaped); the
  CSP hashes that same text, and :func:`render_page` refuses a page in which that exact
  ``<style>`` element does not appear exactly once.

A new page extends ``base.html.j2`` (blocks ``body``; variable ``title``) and calls
:func:`render_page`; shared macros (status pills, identifiers) are in ``macros.html.j2``.

Layer: front. No clock, no network; templates are read from the installed package, once per
process (the environment is built on first use and never reloads).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

STYLESHEET = "style.css"
"""The one stylesheet of every page, in ``vvp/templates/``."""

RESERVED = frozenset({"csp", "style"})
"""Context names :func:`render_page` sets itself."""


@dataclass(frozen=True, slots=True)
class Pill:
    """A small coloured label (``macros.html.j2`` ``pill``): ``css`` is its class list (a fixed
    vocabulary chosen by the code, e.g. ``s-VALID``), ``text`` what it says."""

    css: str
    text: str


def short_id(ident: str) -> str:
    """A SAID or AID cut for reading (its first 12 characters); the full value stays in tables
    and tooltips. Also the templates' ``short_id`` filter."""
    return ident if len(ident) <= 16 else ident[:12] + "…"


@cache
def environment() -> Environment:
    """The one jinja2 environment of the process (module docstring): every template escaped,
    undefined names fatal, templates from package data, no reloading."""
    env = Environment(
        loader=PackageLoader("vvp", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["short_id"] = short_id
    return env


@cache
def stylesheet() -> str:
    """The exact text of ``templates/style.css``. It must be inert on its own: no ``</`` (it
    could close the ``<style>`` element), no ``@import`` and no ``url(`` (requests)."""
    text = resources.files("vvp").joinpath("templates", STYLESHEET).read_text(encoding="utf-8")
    for bad in ("</", "@import", "url("):
        if bad in text.lower():
            raise ValueError(f"templates/{STYLESHEET} must not contain {bad!r}")
    return text


def style_hash(style: str | None = None) -> str:
    """The CSP source for a stylesheet: ``'sha256-<base64>'`` of its exact UTF-8 bytes (the
    page's own stylesheet when none is given)."""
    text = stylesheet() if style is None else style
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy() -> str:
    """Nothing may load or run: no script, no request of any kind; only the page's own stylesheet,
    allowed by hash (so even an injected ``<style>`` would not apply)."""
    return (f"default-src 'none'; style-src {style_hash()}; img-src 'none'; font-src 'none'; "
            "connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
            "base-uri 'none'; form-action 'none'")


def render_fragment(template_name: str, **context: Any) -> Markup:
    """A template rendered to markup for inclusion in a page (e.g. the evidence graph's SVG): the
    result is already escaped, so the page template inserts it as is."""
    return Markup(environment().get_template(template_name).render(**context))


def render_page(template_name: str, **context: Any) -> str:
    """A whole page from a template that extends ``base.html.j2``. ``csp`` and ``style`` are set
    here (module docstring); a caller passing either is a programming error."""
    clash = RESERVED & context.keys()
    if clash:
        raise ValueError(f"render_page sets {sorted(clash)} itself")
    style = stylesheet()
    page = environment().get_template(template_name).render(
        **context, csp=content_security_policy(), style=Markup(style))
    if page.count(f"<style>{style}</style>") != 1 or page.count("<style") != 1:
        raise ValueError(f"{template_name} must hold the stylesheet exactly once, as base.html.j2 writes it")
    return page
