"""The house style shared by the static and interactive renderers.

One palette (colour-blind safe, after Okabe-Ito), one font (DejaVu Sans, which
ships with matplotlib, so PNG bytes do not depend on the fonts a machine has),
axis labels in US dollars and percent, and times in the chart's time zone.
"""

from __future__ import annotations

import math

from cryptodesk.writer import phrasing as ph

FONT = "DejaVu Sans"
INK = "#1f2328"
MUTED = "#6e7781"
GRID = "#d8dee4"
BACKGROUND = "#ffffff"
PALETTE: dict[str, str] = {
    "main": "#0b4f8a",
    "second": "#d55e00",
    "third": "#009e73",
    "fourth": "#cc79a7",
    "avg": "#e69f00",
    "avg2": "#56b4e9",
    "up": "#009e73",
    "down": "#c0392b",
    "net": "#1f2328",
    "muted": "#8c959f",
}
"""Colour of each :data:`~cryptodesk.charts.spec.ROLES` entry."""
EVENT_COLOR = "#7a3e9d"
MACRO_COLOR = "#8c959f"
SPAN_COLOR = "#eaeef2"
WIDTH_IN = 9.0
"""Figure width in inches (at 100 dpi: 900 px)."""
PANEL_IN = 1.45
"""Figure height per unit of panel height, in inches."""
DPI = 100


def color(role: str) -> str:
    """The palette colour of a role (ValueError naming the role when unknown)."""
    try:
        return PALETTE[role]
    except KeyError:
        raise ValueError(f"unknown colour role {role!r}; expected one of {sorted(PALETTE)}") from None


def zone_label(tz: str) -> str:
    """Short zone name used in axis labels and times ('ET', 'UTC', ...)."""
    return ph.zone_abbr(tz)


def money_tick(value: float, span: float) -> str:
    """A compact dollar tick label, precise enough for an axis spanning ``span`` dollars.

    ``money_tick(1e12, 5e11) == '$1T'``, ``money_tick(966e9, 1e11) == '$966B'``,
    ``money_tick(21500, 4000) == '$21,500'``, ``money_tick(0.35, 0.2) == '$0.35'``.
    """
    if not math.isfinite(value):
        return ""
    sign = "-" if value < 0 else ""
    v = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if v >= scale or (v == 0 and span >= scale):
            digits = _digits(span / scale)
            return f"{sign}${v / scale:,.{digits}f}{suffix}"
    if v >= 1000 or span >= 100:
        return f"{sign}${v:,.0f}"
    digits = _digits(span) if span > 0 else 2
    return f"{sign}${v:,.{max(digits, 2 if v < 1 else digits)}f}"


def _digits(span: float) -> int:
    """Decimals needed to tell ticks apart on an axis of this span (in display units)."""
    if span <= 0 or not math.isfinite(span):
        return 0
    return max(0, min(3, 1 - math.floor(math.log10(span))))


def pct_tick(fraction: float, span: float) -> str:
    """A percent tick label for a fraction (0.25 -> '+25%'); decimals only when the axis is narrow."""
    if not math.isfinite(fraction):
        return ""
    digits = _digits(span * 100)
    text = f"{fraction * 100:+,.{max(0, digits - 1)}f}%"
    return "0%" if text.lstrip("+-").rstrip("%").strip("0.") == "" else text


def level_label(value: float) -> str:
    """A round level as readers say it: '$1 trillion', '$500 billion', '$20,000'."""
    return ph.money(value)


def y_axis_title(unit: str, label: str) -> str:
    """The y-axis title: the panel's label with its unit."""
    suffix = {"usd": "US$", "pct": "%", "rsi": "0-100"}.get(unit, "")
    return f"{label} ({suffix})" if label and suffix else label or suffix
