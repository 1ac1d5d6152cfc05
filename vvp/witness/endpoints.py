"""Witness locations, learnt only from the witnesses' own signed ``/loc/scheme`` replies.

Architecture §2.4: the ``kid`` host and the dossier host are chosen by the party being verified,
so neither may tell the verifier where to find the witnesses that are meant to check them. A
location counts only when the witness signed it (``vvp._keri.witness`` verifies each reply); a
reply signed by anyone else, or whose URL was changed under the signature, is reported and not
used. Replies come from the OOBI response, the dossier stream, and the trust store's
``witnesses`` (witness OOBI responses given as files or fetched from their URLs).
"""

from __future__ import annotations

from types import MappingProxyType

from vvp.witness.model import Directory, Endpoint, RejectedReply

USABLE_SCHEMES = ("http", "https")


def learn(stream: bytes, source: str) -> Directory:
    """The witness locations ``stream`` vouches for (a later reply of one witness wins)."""
    from vvp._keri.witness import loc_replies

    eps: dict[str, Endpoint] = {}
    rejected: list[RejectedReply] = []
    for r in loc_replies(stream):
        if not r.accepted:
            rejected.append(RejectedReply(r.eid, r.url, source, r.code, r.message))
            continue
        if r.scheme not in USABLE_SCHEMES or not r.url.startswith(f"{r.scheme}://"):
            continue  # a location for another transport (tcp): true, but not one vvp can ask
        cur = eps.get(r.eid)
        if cur is None or r.dt > cur.dt:
            eps[r.eid] = Endpoint(eid=r.eid, url=r.url, scheme=r.scheme, dt=r.dt, source=source)
    return Directory(MappingProxyType(eps), tuple(rejected))


def witness_oobi(endpoint_url: str, aid: str, eid: str) -> str:
    """The URL at which witness ``eid`` serves ``aid``'s KEL, as keripy's witnesses answer it."""
    return f"{endpoint_url.rstrip('/')}/oobi/{aid}/witness/{eid}"
