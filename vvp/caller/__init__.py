"""The caller's questions (architecture §2 steps 2 and 6): the VVP PASSporT's header, claims and
timing (:mod:`~vvp.caller.passport`), its binding to the SIP context (:mod:`~vvp.caller.context`),
and who is accountable, whether the signer may speak for it, and whether it may use this number,
brand and goal (:mod:`~vvp.caller.authorization`). The callee reuses these building blocks."""
