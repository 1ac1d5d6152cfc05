"""Callee verification (architecture §2.2): the called party's PASSporT, verified back.

The called party answers with its own VVP PASSporT, ``a=callee-passport:<jwt>;type=vvp`` in the
SDP of its 200 OK (or 180), signed by its own AID and citing its own dossier (vvp-protocol.md
§1.6, §4.2, §8.2, §8.4). Modules, each for one question:

* :mod:`.inputs`    what one callee verification is given (and records);
* :mod:`.sdp`       the SIP response and its SDP (CE-01);
* :mod:`.claims`    the PASSporT's form, header and claims (CE-02 to CE-09, VC-03);
* :mod:`.context`   the call it answers (VC-01, VC-02);
* :mod:`.bindings`  who answered, and may they (VC-05 to VC-09);
* :mod:`.verify`    the whole algorithm, over callbacks the verifier provides.

Everything the caller already knows how to judge (JOSE, key state, the dossier, TN allocations,
brand credentials, goal codes) is the caller's code, called from here, not a copy of it.
"""
