"""The core layer: errors, canonical models, settings, time helpers and the asset registry.

Everything else in cryptodesk imports from here; this layer imports nothing
from the rest of the package.
"""
