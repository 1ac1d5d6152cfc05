"""vvp: a verifier for telephone calls signed with the Verifiable Voice Protocol.

See ``docs/`` and the shared architecture: KERI key state through ``vvp._keri`` (the only importer
of keri), dossiers of ACDC credentials, STIR/SHAKEN beside it, and signed forensic records.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
