"""The dossier (architecture §2 steps 4-5): the evidence graph behind ``evd``, every credential
proven at the reference time. :mod:`~vvp.dossier.checks` holds the checks in spec order and the
entry points; :mod:`~vvp.dossier.graph` the result and the credential graph;
:mod:`~vvp.dossier.schemas` schemas by SAID; :mod:`~vvp.dossier.policy` what the checks take from
the trust store; :mod:`~vvp.dossier.cache` V-07 caching with the evidence each entry was built from.
"""

from vvp.dossier.cache import DossierCache as DossierCache
from vvp.dossier.checks import verify_dossier as verify_dossier
from vvp.dossier.checks import verify_dossier_stream as verify_dossier_stream
from vvp.dossier.graph import Credential as Credential
from vvp.dossier.graph import DossierResult as DossierResult
from vvp.dossier.graph import Edge as Edge
from vvp.dossier.graph import citation_said as citation_said
from vvp.dossier.graph import stream_digest as stream_digest
from vvp.dossier.graph import unwrap as unwrap
from vvp.dossier.policy import CLAIM as CLAIM
from vvp.dossier.policy import QUESTIONS as QUESTIONS
from vvp.dossier.policy import ROLE_QUESTION as ROLE_QUESTION
from vvp.dossier.policy import DossierPolicy as DossierPolicy
from vvp.dossier.schemas import SchemaSource as SchemaSource
from vvp.dossier.schemas import schema_compilations as schema_compilations
from vvp.dossier.schemas import validator_for as validator_for
