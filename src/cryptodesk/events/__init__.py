"""cryptodesk.events: pure detectors that turn point-in-time frames and analysis into ranked events.

See :mod:`cryptodesk.events.base` for the detector contract, the registry and the scoring scale.
"""
