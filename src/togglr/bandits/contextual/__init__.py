"""Contextual bandits over hashed context features.

The models need numpy (docs/adr/0003-numpy-for-contextual-bandits.md); `specs` and `features`
do not, so the catalogue can be listed without it. The registry imports `policies` lazily.
"""
