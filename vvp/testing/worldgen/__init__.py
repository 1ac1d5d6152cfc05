"""The deterministic test world generator.

``build_world(WorldSpec(...)) -> World``: a root of trust with witnesses and a delegated issuer,
a QVI, a legal entity with its vetting credential, a regulator → carrier → accountable-party TN
allocation chain that narrows, signers with delegated-signer GCDs, a brand credential, and
dossiers for both accountable-party shapes plus deterministic bad variants; rotations and
revocations at chosen times. Two builds of one spec are byte-identical. ``check_world(world)``
runs the result through keri's own parser. See :mod:`.build` for the cast and :mod:`.model` for
the data and the timeline. What is made with keri (Haberies, witnesses, registries, ACDCs,
signatures, keri's own acceptance) is :mod:`vvp._keri.forge`; this package decides what to make.
"""

# Re-exports use the "X as X" form (not __all__): the timeline constants' names would otherwise
# be UPPER_SNAKE string literals, which the code-registry test reads as codes.
from vvp.testing.worldgen.build import build_world as build_world
from vvp.testing.worldgen.check import CheckReport as CheckReport
from vvp.testing.worldgen.check import check_world as check_world
from vvp._keri.forge.generator import WorldBuildError as WorldBuildError
from vvp.testing.worldgen.model import BEFORE_ROTATION_AT as BEFORE_ROTATION_AT
from vvp.testing.worldgen.model import CALL_AT as CALL_AT
from vvp.testing.worldgen.model import EPOCH as EPOCH
from vvp.testing.worldgen.model import REVOKE_AT as REVOKE_AT
from vvp.testing.worldgen.model import ROTATE_AT as ROTATE_AT
from vvp.testing.worldgen.model import VALID_UNTIL as VALID_UNTIL
from vvp.testing.worldgen.model import Credential as Credential
from vvp.testing.worldgen.model import Dossier as Dossier
from vvp.testing.worldgen.model import KelEvent as KelEvent
from vvp.testing.worldgen.model import KeyEpoch as KeyEpoch
from vvp.testing.worldgen.model import Party as Party
from vvp.testing.worldgen.model import Registry as Registry
from vvp.testing.worldgen.model import SignedPassport as SignedPassport
from vvp.testing.worldgen.model import TelEvent as TelEvent
from vvp.testing.worldgen.model import World as World
from vvp.testing.worldgen.model import WorldSpec as WorldSpec
from vvp.testing.worldgen.schemas import SchemaSetError as SchemaSetError
from vvp.testing.worldgen.schemas import own_schema_dir as own_schema_dir
