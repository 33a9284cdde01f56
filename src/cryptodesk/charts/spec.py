"""A backend-neutral chart description: what to draw, not how.

Chart builders (``charts/kinds_daily.py``, ``charts/kinds_flow.py``) turn
analytics outputs and frames into a :class:`Chart`; the renderers
(``charts/static.py`` for PNG/SVG, ``charts/interactive.py`` for HTML) draw the
same spec in the one house style, so a static and an interactive chart of the
same data always show the same things.

x values are ``date`` (daily charts) or *naive local* ``datetime`` in the
chart's time zone (intraday and hourly charts): the conversion from UTC happens
once, in the builder, so every backend labels the axis in the chosen zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

XValue = date | datetime
UNITS: tuple[str, ...] = ("usd", "pct", "rsi")
"""Value axes: US dollars, percent (values are fractions, 0.213 = 21.3%), and a 0-100 oscillator."""
ROLES: tuple[str, ...] = ("main", "second", "third", "fourth", "avg", "avg2", "up", "down", "net", "muted")
"""Colour roles of the house palette (``charts/style.py``)."""


@dataclass(frozen=True)
class Series:
    """A line or a bar series on a panel."""

    label: str
    x: tuple[XValue, ...]
    y: tuple[float | None, ...]
    role: str = "main"
    kind: str = "line"
    """'line' or 'bar'."""
    dashed: bool = False
    width: float = 1.8


@dataclass(frozen=True)
class Band:
    """A shaded range between two lines (e.g. ±2σ around the 50-day average)."""

    label: str
    x: tuple[XValue, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    role: str = "avg"
    opacity: float = 0.12


@dataclass(frozen=True)
class Level:
    """A horizontal reference line (a round level such as $1 trillion, RSI 70)."""

    y: float
    label: str


@dataclass(frozen=True)
class Marker:
    """A labelled point (a swing low, the day's high, a 'highest since' date)."""

    x: XValue
    y: float
    label: str
    role: str = "main"
    below: bool = False
    """Place the label below the point (for lows)."""


@dataclass(frozen=True)
class Span:
    """A shaded x range (e.g. the hours a liquidation feed was connected)."""

    start: XValue
    end: XValue
    label: str


@dataclass(frozen=True)
class Annotation:
    """A calendar event: a vertical line with a label. ``major`` events get full titles; others short tags."""

    x: XValue
    label: str
    major: bool = True


@dataclass(frozen=True)
class Panel:
    """One value axis with everything drawn on it."""

    unit: str
    series: tuple[Series, ...] = ()
    bands: tuple[Band, ...] = ()
    levels: tuple[Level, ...] = ()
    markers: tuple[Marker, ...] = ()
    spans: tuple[Span, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    y_label: str = ""
    height: float = 3.0
    """Relative height of the panel in the figure."""
    empty_message: str | None = None
    """Shown instead of data when the panel has nothing to draw (never invented values)."""
    y_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Chart:
    """A titled figure of one or more stacked panels sharing the x axis."""

    kind: str
    title: str
    subtitle: str
    panels: tuple[Panel, ...]
    x_label: str
    source: str
    tz: str
    x_range: tuple[XValue, XValue] | None = None
    alt: str = ""
    """A one-sentence text description (the HTML report uses it as the image's alt text)."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        """True when no panel has any data to draw."""
        return all(not p.series and not p.bands for p in self.panels)
