"""The witness check as verdict checks, and the signer's key state as the witnesses establish it.

Statuses (architecture §2.4): duplicity is INVALID (``KEL_DUPLICITY``); fewer answering
witnesses than the quorum is INDETERMINATE under ``witness_check: "required"`` and a ``warn``
under ``"available"``, where the served KEL (with whatever the witnesses that did answer
established) is used; a verification that does not go to the network (offline, an evidence map
behind ``--offline``, a replay) or knows no witness location says plainly that the check was not
made (``WITNESS_CHECK_NOT_MADE``). Events the host left out, lagging witnesses and first-seen
times that disagree are reported as warnings beside the main check; what they change (a
rotation now in force, a revocation now known) shows in the checks that use the key state.
"""

from __future__ import annotations

import datetime as _dt
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from vvp import clock, codes
from vvp.fetch import Fetcher
from vvp.keystate import KelResult, KelStream, select_key_state
from vvp.verdict import Check, Status, failed, indeterminate, passed, warned
from vvp.witness.ask import MergedStates, WitnessCache, ask, merged_stream, not_made, served_kel
from vvp.witness.model import Answer, Comparison, Directory, ServedKel, WitnessPolicy


def _short(aid: str) -> str:
    return aid[:12] + "…" if len(aid) > 13 else aid


def describe(a: Answer) -> str:
    """One witness's answer in words, for check messages and reports."""
    where = a.url or "(no known location)"
    if a.outcome == "answered":
        return f"{a.eid} at {where}: sn {a.tip} ({a.points[-1].said})"
    return f"{a.eid} at {where}: {a.code}: {a.message}"


def judge(cmp: Comparison, policy: WitnessPolicy, *, id_: str, warn_ids: tuple[str, str, str], claim: str,
          subject: str, what: str, cache: WitnessCache | None = None) -> list[Check]:
    """The checks of one comparison (module docstring). ``warn_ids`` name the checks for
    withheld events, lagging witnesses and first-seen disagreements. Checks are immutable: with a
    cache, one comparison's are made once."""
    if cache is None:
        return _judge(cmp, policy, id_=id_, warn_ids=warn_ids, claim=claim, subject=subject, what=what)
    key = ("judge", id(cmp), policy.key(), id_, warn_ids, claim, subject, what)
    held: tuple[Comparison, list[Check]] = cache.memo(key, lambda: (cmp, _judge(
        cmp, policy, id_=id_, warn_ids=warn_ids, claim=claim, subject=subject, what=what)))
    return list(held[1]) if held[0] is cmp else _judge(cmp, policy, id_=id_, warn_ids=warn_ids, claim=claim,
                                                        subject=subject, what=what)


def _judge(cmp: Comparison, policy: WitnessPolicy, *, id_: str, warn_ids: tuple[str, str, str], claim: str,
           subject: str, what: str) -> list[Check]:
    asked = "; ".join(describe(a) for a in cmp.answers) or "nobody"
    if cmp.duplicity:
        d = cmp.duplicity[0]
        versions = " vs ".join(f"{said} ({', '.join(_short(h) for h in hs)})" for said, hs in d.versions)
        return [failed(id_, claim, codes.KEL_DUPLICITY,
                       f"{what}: two different events at sn {d.sn}: {versions}; asked: {asked}", subject)]
    out: list[Check] = []
    if cmp.answered >= cmp.quorum:
        out.append(passed(id_, claim, f"{what}: {cmp.answered} of the quorum {cmp.quorum} witness(es) answered and "
                                      f"agree with the served KEL (sn {cmp.served_tip}"
                                      f"{f', witnesses to sn {cmp.tip}' if cmp.tip != cmp.served_tip else ''}); "
                                      f"asked: {asked}", subject))
    else:
        offline = not_made(False, cmp.answers)
        code = codes.WITNESS_CHECK_NOT_MADE if offline and cmp.answered == 0 else (
            codes.WITNESS_QUORUM_NOT_MET if policy.mode == "required" else codes.WITNESS_UNREACHABLE)
        head = ("the witness check was not made (this verification does not reach the witnesses)"
                if code == codes.WITNESS_CHECK_NOT_MADE
                else f"{cmp.answered} of the quorum {cmp.quorum} witness(es) answered")
        tail = "the served KEL alone is used" if cmp.answered == 0 else "the answers received are used"
        msg = f"{what}: {head}; asked: {asked}"
        if policy.mode == "required":
            out.append(indeterminate(id_, claim, code, msg + "; witness_check is required", subject))
        else:
            out.append(warned(id_, claim, code, f"{msg}; {tail}", subject))
    if cmp.extra:
        ilks = ", ".join(f"sn {p.sn} {p.ilk}" for p in cmp.extra)
        out.append(warned(warn_ids[0], claim, codes.WITNESS_EVENTS_WITHHELD,
                          f"{what}: the served stream ends at sn {cmp.served_tip}; witness {cmp.extra_from} holds "
                          f"{ilks}, verified and used", subject))
    if cmp.lagging:
        out.append(warned(warn_ids[1], claim, codes.WITNESS_LAGGING,
                          f"{what}: witness(es) behind the longest verified KEL (sn {cmp.tip}): "
                          + ", ".join(f"{e} at sn {sn}" for e, sn in cmp.lagging), subject))
    if cmp.disagreements:
        g = cmp.disagreements[0]
        times = ", ".join(f"{_short(h)} {clock.rfc3339(t)}" for h, t in g.times)
        out.append(warned(warn_ids[2], claim, codes.WITNESS_FIRST_SEEN_DISAGREES,
                          f"{what}: first-seen times of sn {g.sn} disagree beyond clock_skew_s ({times}); the earliest "
                          f"witness time is used" + (f" ({len(cmp.disagreements)} events)"
                                                       if len(cmp.disagreements) > 1 else ""), subject))
    return out


def none_designated(policy: WitnessPolicy, *, id_: str, claim: str, subject: str, what: str) -> Check:
    msg = f"{what}: the AID designates no witnesses; nobody independent of the evidence host can be asked"
    if policy.mode == "required":
        return indeterminate(id_, claim, codes.WITNESS_NONE_DESIGNATED, msg + "; witness_check is required", subject)
    return warned(id_, claim, codes.WITNESS_NONE_DESIGNATED, msg, subject)


def kid_witness(kid: str) -> str | None:
    """The witness a ``kid`` OOBI names (``/oobi/{aid}/witness/{eid}``), if any."""
    try:
        parts = [urllib.parse.unquote(p) for p in urllib.parse.urlsplit(kid).path.split("/") if p]
    except ValueError:
        return None
    for i in range(len(parts) - 3):
        if parts[i] == "oobi" and parts[i + 2] == "witness":
            return parts[i + 3]
    return None


def kid_names_foreign_witness(kid: str, aid: str, stream: KelStream) -> str | None:
    """The witness the ``kid`` names when it is none of the AID's witnesses (in any of its
    accepted establishment events), else None. A kid OOBI that points at a witness claims that
    the witness serves the AID's key state; keripy's witnesses refuse (406) to answer for an AID
    they do not witness, so an answer there is not an independent witness's."""
    eid = kid_witness(kid)
    if eid is None:
        return None
    acc = stream.accepted(aid)
    if not acc:
        return None
    known = {w for e in acc if e.establishment for w in (e.witnesses or ())}
    return None if eid in known else eid


SIGNER_WARN_IDS = ("X-WITNESS-01", "X-WITNESS-02", "X-WITNESS-03")


@dataclass(frozen=True, slots=True)
class SignerWitness:
    """What the signer's witnesses establish about its KEL, for any reference time: the V-09
    checks, the witness locations known (the trust store's and those the kid response vouched
    for), the key states to select from (:class:`MergedStates`; None: the served stream's), and,
    when the kid or the witnesses make the KEL unusable, why (``invalid``: code and message). A
    pure function of the served stream, the locations, the policy and the witnesses' answers, so
    a long-lived verifier keeps it (:meth:`vvp.verifier.VerifierCache.signer_witness`) until
    ``expires`` (the monotonic time its answers stop being fresh)."""

    checks: tuple[Check, ...]
    directory: Directory
    states: MergedStates | None = None
    invalid: tuple[str, str] | None = None
    expires: float = float("inf")

    def key_state(self, stream: KelStream, kid: str, aid: str, ref: _dt.datetime) -> KelResult:
        """The signer's key state at ``ref`` (``stream``: the served one this was made from)."""
        if self.invalid is not None:
            return KelResult(status=Status.INVALID, aid=aid, state=None, codes=(self.invalid[0],),
                             messages=(self.invalid[1],), events=stream.events_of(aid), aids=stream.aids, at=ref,
                             source=kid)
        if self.states is None:
            return select_key_state(stream, aid, at=ref, source=kid)
        return self.states.at(ref)


def signer_key_state(kid: str, aid: str, ref: _dt.datetime, *, stream: KelStream, body: bytes | None,
                     fetcher: Fetcher, policy: WitnessPolicy, cache: WitnessCache | None,
                     trusted: Directory, claim: str = "passport") -> tuple[KelResult, list[Check], Directory]:
    """The signer's key state at ``ref`` as its witnesses establish it, and the V-09 checks.

    ``stream`` (and ``body``, its bytes, for the witness locations it carries) is what the kid
    host served; ``trusted`` the locations learnt from the trust store's ``witnesses``."""
    sw = signer_witness(kid, aid, stream=stream, body=body, fetcher=fetcher, policy=policy, cache=cache,
                        trusted=trusted, claim=claim)
    return sw.key_state(stream, kid, aid, ref), list(sw.checks), sw.directory


def signer_witness(kid: str, aid: str, *, stream: KelStream, body: bytes | None, fetcher: Fetcher,
                   policy: WitnessPolicy, cache: WitnessCache | None, trusted: Directory,
                   claim: str = "passport") -> SignerWitness:
    """:class:`SignerWitness` of the served ``stream`` (see :func:`signer_key_state`)."""
    what = f"the KEL of {aid}"
    foreign = (cache.memo(("kid", kid, aid, id(stream)), lambda: (stream, kid_names_foreign_witness(kid, aid, stream)))[1]
               if cache is not None else kid_names_foreign_witness(kid, aid, stream))
    if foreign is not None:
        msg = f"the kid names witness {foreign}, which is not one of {aid}'s witnesses"
        return SignerWitness((failed("V-09", claim, codes.KID_WITNESS_NOT_OF_AID, f"{msg}: the kid is refused", aid),),
                             trusted, invalid=(codes.KID_WITNESS_NOT_OF_AID, msg))
    served: ServedKel = (cache.memo(("served", id(stream), aid), lambda: (stream, served_kel(stream, aid)))[1]
                         if cache is not None else served_kel(stream, aid))
    learnt = (cache.learnt(body, kid) if cache is not None else _learn(body, kid)) if body is not None else Directory()
    directory = trusted.merged(learnt)
    if not served.points:  # nothing verified to compare: the key state checks say why
        return SignerWitness((), directory)
    if not served.witnesses:
        return SignerWitness((none_designated(policy, id_="V-09", claim=claim, subject=aid, what=what),), directory)
    asked = ask(served, directory, fetcher=fetcher, policy=policy, cache=cache)
    checks = tuple(judge(asked.comparison, policy, id_="V-09", warn_ids=SIGNER_WARN_IDS, claim=claim, subject=aid,
                         what=what, cache=cache))
    cmp = asked.comparison
    if cmp.duplicity:
        d = cmp.duplicity[0]
        return SignerWitness(checks, directory, expires=asked.expires, invalid=(
            codes.KEL_DUPLICITY, f"two different events at sn {d.sn} among the served KEL and its witnesses"))

    def states() -> MergedStates:
        return MergedStates(merged_stream(stream, aid, asked), aid, kid)

    ms: MergedStates = (cache.memo(("merged", id(stream), aid, id(asked.comparison)), lambda: (asked, states()))[1]
                        if cache is not None else states())
    return SignerWitness(checks, directory, states=ms, expires=asked.expires)


def _learn(body: bytes, source: str) -> Directory:
    from vvp.witness.endpoints import learn

    return learn(body, source)


def trusted_directory(entries: Sequence[tuple[str, bytes]]) -> Directory:
    """The locations the trust store's witness OOBI responses vouch for (``(source, bytes)``)."""
    out = Directory()
    for source, data in entries:
        out = out.merged(_learn(data, source))
    return out
