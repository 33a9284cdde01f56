"""Layout of a static chart in points: header lines, legend rows, panel rectangles, scales, ticks, footer.

Everything is measured with the renderer's text metrics, so the figure grows
to fit its text (a long subtitle wraps, the left margin fits the widest tick
label, a legend wraps into rows) instead of cutting it off. Pure: numbers and
strings in, numbers and strings out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from cryptodesk.charts import style as st
from cryptodesk.charts.canvas import Metrics
from cryptodesk.charts.spec import Chart, Panel, XValue
from cryptodesk.charts.ticks import Tick, time_ticks, to_days, value_ticks

MARGIN = 10.0
TITLE, SUBTITLE, FOOTER, LEGEND, TICK, AXIS = 14.0, 8.5, 7.5, 8.0, 9.0, 8.5
PANEL_PT = st.PANEL_IN * 72.0
"""Height of one unit of panel height, in points."""
TICK_LEN = 3.5
SWATCH = 16.0
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class LegendEntry:
    """One legend entry: a line or a patch swatch and its label."""

    label: str
    role: str
    kind: str = "line"
    """'line' or 'patch'."""
    width: float = 1.8
    dashed: bool = False
    alpha: float = 1.0


@dataclass
class PanelBox:
    """A panel placed on the page: its plot rectangle, scales, y ticks and legend entry positions."""

    panel: Panel
    rect: Rect
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    yticks: list[Tick]
    legend: list[tuple[LegendEntry, float, float]]
    """(entry, x, y of the text top) in points."""
    bar_days: float = 0.8
    """Width of a bar in days."""

    def fx(self, days: np.ndarray) -> np.ndarray:
        """x positions (points) of day numbers."""
        x0, _y0, x1, _y1 = self.rect
        lo, hi = self.xlim
        return x0 + (days - lo) * ((x1 - x0) / ((hi - lo) or 1.0))

    def x(self, day: float) -> float:
        """The x position (points) of one day number."""
        x0, _y0, x1, _y1 = self.rect
        lo, hi = self.xlim
        return x0 + (day - lo) * ((x1 - x0) / ((hi - lo) or 1.0))

    def y(self, value: float) -> float:
        """The y position (points) of one value."""
        _x0, y0, _x1, y1 = self.rect
        lo, hi = self.ylim
        return y0 + (value - lo) * ((y1 - y0) / ((hi - lo) or 1.0))

    def fy(self, values: np.ndarray) -> np.ndarray:
        """y positions (points) of values."""
        _x0, y0, _x1, y1 = self.rect
        lo, hi = self.ylim
        return y0 + (values - lo) * ((y1 - y0) / ((hi - lo) or 1.0))


@dataclass
class Layout:
    """Where everything of a chart goes (points, y upwards from the bottom-left corner)."""

    width: float
    height: float
    margin: float
    header: list[tuple[str, float, float, str, bool]]
    """(text, y of its top, size, colour, bold)."""
    panels: list[PanelBox]
    xticks: list[Tick]
    x_label: str
    x_label_y: float
    footer: list[tuple[str, float]]
    footer_size: float = FOOTER


def plan(chart: Chart, width: float, metrics: Metrics) -> Layout:
    """The layout of ``chart`` on a page ``width`` points wide."""
    inner = width - 2 * MARGIN
    xlim = _xlim(chart)
    ylims = [_ylim(p) for p in chart.panels]
    heights = [PANEL_PT * p.height for p in chart.panels]
    yticks = [
        [] if p.empty_message else value_ticks(lo, hi, p.unit, max(3, round(h / 45)))
        for p, (lo, hi), h in zip(chart.panels, ylims, heights, strict=True)
    ]
    widest = max((metrics.width(t.label, TICK) for ts in yticks for t in ts), default=0.0)
    axis_up, axis_down = metrics.extent(AXIS)
    x0 = MARGIN + axis_up + axis_down + 6 + widest + 3 + TICK_LEN
    x1 = width - MARGIN - 4
    header: list[tuple[str, float, float, str, bool]] = []
    off = 9.0
    for line in wrap(chart.title, TITLE, inner, metrics, bold=True):
        header.append((line, off, TITLE, st.INK, True))
        off += 17.5
    off += 1
    for line in wrap(chart.subtitle, SUBTITLE, inner, metrics):
        header.append((line, off, SUBTITLE, st.MUTED, False))
        off += 11.5
    off += 6
    tick_up, tick_down = metrics.extent(TICK)
    boxes: list[tuple[Panel, float, float, list[tuple[LegendEntry, float, float]]]] = []
    for i, (panel, h) in enumerate(zip(chart.panels, heights, strict=True)):
        off += 0 if i == 0 else 10
        entries, rows = _legend_rows(_entries(panel), x0, x1, off, metrics)
        off += rows * 12.5 + (4 if rows else 0) + (6 if i == 0 else 0)
        boxes.append((panel, off, off + h, entries))
        off += h
    off += TICK_LEN + 3 + tick_up + tick_down
    xticks = time_ticks(*xlim, width_pt=x1 - x0, label_width=lambda s: metrics.width(s, TICK))
    if any(t.second for t in xticks):
        off += tick_up + tick_down + 1
    off += 4
    x_label_off = off
    off += axis_up + axis_down + 7
    footer_offs: list[tuple[str, float]] = []
    for line in wrap(" · ".join((chart.source, *chart.notes)), FOOTER, inner, metrics):
        footer_offs.append((line, off))
        off += 10
    height = off + 6
    panels = [
        PanelBox(panel, (x0, height - bottom, x1, height - top), xlim, ylim, ticks,
                 [(e, x, height - y) for e, x, y in entries], _bar_days(panel, xlim))
        for (panel, top, bottom, entries), ylim, ticks in zip(boxes, ylims, yticks, strict=True)
    ]  # fmt: skip
    return Layout(
        width=width,
        height=height,
        margin=MARGIN,
        header=[(t, height - y, s, c, b) for t, y, s, c, b in header],
        panels=panels,
        xticks=xticks,
        x_label=chart.x_label,
        x_label_y=height - x_label_off,
        footer=[(t, height - y) for t, y in footer_offs],
    )


def wrap(text: str, size: float, width: float, metrics: Metrics, *, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` points (a single long word stays whole)."""
    if not text:
        return []
    if metrics.width(text, size, bold=bold) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and metrics.width(candidate, size, bold=bold) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines


def _entries(panel: Panel) -> list[LegendEntry]:
    """Legend entries of a panel: bands, then series, in the order the spec lists them (unlabelled ones left out)."""
    out = [LegendEntry(b.label, b.role, "patch", alpha=b.opacity) for b in panel.bands if b.label]
    for s in panel.series:
        if s.label:
            kind = "patch" if s.kind == "bar" else "line"
            out.append(LegendEntry(s.label, s.role, kind, s.width, s.dashed, 0.75 if kind == "patch" else 1.0))
    return out


def _legend_rows(
    entries: list[LegendEntry], x0: float, x1: float, top: float, metrics: Metrics
) -> tuple[list[tuple[LegendEntry, float, float]], int]:
    """Entries placed left to right from ``x0``, wrapping before ``x1``; their positions and the number of rows."""
    placed: list[tuple[LegendEntry, float, float]] = []
    x, row = x0, 0
    for e in entries:
        w = SWATCH + 4 + metrics.width(e.label, LEGEND)
        if x > x0 and x + w > x1:
            x, row = x0, row + 1
        placed.append((e, x, top + row * 12.5))
        x += w + 14
    return placed, (row + 1 if entries else 0)


def _xlim(chart: Chart) -> tuple[float, float]:
    """The time axis range (day numbers) with a little room on each side (more on the right for markers)."""
    if chart.x_range is not None:
        lo, hi = to_days(chart.x_range[0]), to_days(chart.x_range[1])
    else:
        xs = [to_days(v) for p in chart.panels for v in _panel_xs(p)]
        lo, hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    pad = (hi - lo) * 0.01
    right = pad * (3 if any(p.markers for p in chart.panels) else 1)
    return lo - pad, hi + right


def _panel_xs(p: Panel) -> list[XValue]:
    xs: list[XValue] = [v for s in p.series for v in s.x] + [v for b in p.bands for v in b.x]
    return xs + [m.x for m in p.markers] + [a.x for a in p.annotations] + [v for s in p.spans for v in (s.start, s.end)]


def _ylim(panel: Panel) -> tuple[float, float]:
    """y limits that show the data, round levels and markers with room for labels."""
    if panel.y_range is not None:
        return float(panel.y_range[0]), float(panel.y_range[1])
    ys = [v for s in panel.series for v in s.y if v is not None]
    ys += [v for b in panel.bands for v in (*b.lower, *b.upper) if v is not None]
    ys += [lv.y for lv in panel.levels] + [m.y for m in panel.markers]
    if not ys:
        return 0.0, 1.0
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or abs(hi) or 1.0
    below = 0.16 if any(m.below for m in panel.markers) else 0.08
    bars_from_zero = lo >= 0 and panel.unit == "usd" and any(s.kind == "bar" for s in panel.series)
    floor = 0.0 if bars_from_zero else lo - span * below
    return floor, hi + span * 0.28


def _bar_days(panel: Panel, xlim: tuple[float, float]) -> float:
    """Bar width in days: 80% of the closest spacing of the bars, else of an hour (short windows) or a day."""
    spacing: list[float] = []
    for s in panel.series:
        if s.kind == "bar" and len(s.x) > 1:
            xs = np.array([to_days(v) for v in s.x])
            d = np.diff(np.sort(xs))
            d = d[d > 0]
            if d.size:
                spacing.append(float(d.min()))
    if spacing:
        return 0.8 * min(spacing)
    hourly = any(s.x and isinstance(s.x[0], datetime) for s in panel.series) and xlim[1] - xlim[0] <= 3.5
    return 0.8 / 24 if hourly else 0.8
