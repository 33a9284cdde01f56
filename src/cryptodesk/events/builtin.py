"""The built-in detectors, in the order :func:`cryptodesk.events.base.default_registry` registers them."""

from __future__ import annotations

from cryptodesk.events.base import Detector
from cryptodesk.events.extension import detect_extension
from cryptodesk.events.extremes import detect_extremes
from cryptodesk.events.levels import detect_levels
from cryptodesk.events.liquidations import detect_liquidations
from cryptodesk.events.moves import detect_moves
from cryptodesk.events.relative import detect_relative
from cryptodesk.events.volume import detect_volume

BUILTIN_DETECTORS: tuple[tuple[str, Detector], ...] = (
    ("levels", detect_levels),
    ("extremes", detect_extremes),
    ("moves", detect_moves),
    ("extension", detect_extension),
    ("volume", detect_volume),
    ("relative", detect_relative),
    ("liquidations", detect_liquidations),
)
