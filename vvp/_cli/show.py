"""Human-readable verdicts (stderr): the claims, then every check that did not pass."""

from __future__ import annotations

from vvp._cli.output import human
from vvp.verdict import CheckStatus, Verdict


def print_verdict(v: Verdict, *, title: str = "verdict") -> None:
    human(f"{title}: {v.status.value}   (reference time {v.reference_time})")
    for name, cr in v.claims.items():
        tail = f"  {', '.join(cr.codes)}" if cr.codes else ""
        human(f"  {name:<14} {cr.status.value:<15}{tail}")
    brand = v.display.get("brand")
    if brand:
        human(f"  display.brand  {brand}")
    shown = [c for c in v.checks if c.status is not CheckStatus.PASS]
    if shown:
        human("  checks not passed:")
        for c in shown:
            subj = f" [{c.subject}]" if c.subject else ""
            human(f"    {c.id:<12} {c.status.value:<14} {c.code}{subj}: {c.message}")
