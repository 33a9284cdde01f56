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


def money_tick(value: float, step: float) -> str:
    """A compact dollar tick label, exact for ticks ``step`` dollars apart.

    ``money_tick(1e12, 5e11) == '$1T'``, ``money_tick(1.25e12, 2.5e11) == '$1.25T'``,
    ``money_tick(21500, 500) == '$21,500'``, ``money_tick(0.35, 0.05) == '$0.35'``.
    """
    if not math.isfinite(value):
        return ""
    sign = "-" if value < 0 else ""
    v = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if v >= scale or (v == 0 and step >= scale):
            return f"{sign}${v / scale:,.{digits(step / scale)}f}{suffix}"
    if v >= 1000 or step >= 1:
        return f"{sign}${v:,.{digits(step)}f}"
    return f"{sign}${v:,.{max(2, digits(step))}f}"


def digits(step: float) -> int:
    """Decimals needed to print multiples of ``step`` exactly (0 to 4)."""
    if step <= 0 or not math.isfinite(step):
        return 0
    for d in range(5):
        scaled = step * 10**d
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return d
    return 4


def pct_tick(fraction: float, step: float) -> str:
    """A percent tick label for a fraction (0.25 -> '+25%'), exact for ticks ``step`` (a fraction) apart."""
    if not math.isfinite(fraction):
        return ""
    if abs(fraction) < step * 1e-6:
        return "0%"
    return f"{fraction * 100:+,.{digits(step * 100)}f}%"


def level_label(value: float) -> str:
    """A round level as readers say it: '$1 trillion', '$500 billion', '$20,000'."""
    return ph.money(value)


def y_axis_title(unit: str, label: str) -> str:
    """The y-axis title: the panel's label with its unit."""
    suffix = {"usd": "US$", "pct": "%", "rsi": "0-100"}.get(unit, "")
    return f"{label} ({suffix})" if label and suffix else label or suffix
