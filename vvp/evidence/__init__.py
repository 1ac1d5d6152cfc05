"""Foreign evidence (architecture §2.3): artifacts bound into a dossier by bridging ACDCs (FAA,
citation) and verified under their own rules at the reference time. :mod:`vvp.evidence.base`
holds the one small interface every checker implements."""
