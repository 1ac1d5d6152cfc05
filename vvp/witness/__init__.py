"""Independent witnesses (architecture §2.4, vvp-protocol V-09): key state and revocation that
the evidence host cannot hide.

* :mod:`~vvp.witness.model`: the values (policy, locations, answers, comparisons);
* :mod:`~vvp.witness.endpoints`: witness locations from witness-signed ``/loc/scheme`` replies;
* :mod:`~vvp.witness.ask`: asking witnesses through the fetcher, with a cache;
* :mod:`~vvp.witness.compare`: the served KEL against the answers (duplicity, withheld events,
  lag, first-seen times);
* :mod:`~vvp.witness.check`: verdict checks, the signer's merged key state;
* :mod:`~vvp.witness.issuers`: credential issuers' KELs and withheld TEL events.

A domain package: it takes plain parameters (a fetcher, a :class:`WitnessPolicy`), never the
trust store. See docs/witnesses.md.
"""

from vvp.witness.ask import WitnessCache as WitnessCache
from vvp.witness.model import Directory as Directory
from vvp.witness.model import WitnessPolicy as WitnessPolicy
