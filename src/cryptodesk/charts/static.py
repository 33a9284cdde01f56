"""Static charts: a :class:`~cryptodesk.charts.spec.Chart` drawn as PNG or SVG bytes with matplotlib's renderers.

The chart is laid out in points by this module and drawn straight onto
matplotlib's Agg (PNG) or SVG renderer through :mod:`cryptodesk.charts.canvas`:
no Figure, Axes, tickers or legend objects, which cost about ten times the
drawing itself. Layout: title and subtitle (wrapped to the width), the top
panel's legend, the panels stacked on one time axis, tick labels, the axis
title and the source line. Text is measured, so labels are placed beside the
line they belong to, staggered when they would overlap and kept inside the
plot (a calendar label near the right edge ends at its line instead of being
cut off).

Deterministic: the same chart gives the same bytes in any process (bundled
fonts, no metadata, a fixed SVG hash salt, every style set explicitly rather
than read from rcParams).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import matplotlib as mpl
import numpy as np
from matplotlib.path import Path

from cryptodesk.charts import style as st
from cryptodesk.charts.canvas import (
    SVG_METRICS_DPI,
    SVG_RC,
    AggCanvas,
    Canvas,
    Metrics,
    SvgCanvas,
    bars_path,
    polygon,
    rounded_box,
)
from cryptodesk.charts.layout import Layout, PanelBox, plan
from cryptodesk.charts.spec import Annotation, Band, Chart, Marker, Series, XValue
from cryptodesk.charts.ticks import to_days

FORMATS: tuple[str, ...] = ("png", "svg")
SIZES = {"tick": 9.0, "axis": 8.5, "legend": 8.0, "label": 8.0, "event": 7.5, "tag": 6.5, "level": 7.5, "empty": 11.0}
"""Font sizes in points."""
TICK_LEN = 3.5
BAR_ALPHA = 0.75
Box = tuple[float, float, float, float]


def render_static(
    chart: Chart, fmt: str = "png", *, width_in: float = st.WIDTH_IN, dpi: int = st.DPI, compress: int = 6
) -> bytes:
    """The chart as PNG or SVG bytes (ValueError for another format).

    ``width_in`` inches at ``dpi`` pixels per inch; ``compress`` is the PNG zlib level (1 is fastest, 9 smallest).
    """
    if fmt not in FORMATS:
        raise ValueError(f"static chart format must be one of {FORMATS}, got {fmt!r}")
    if fmt == "png":
        metrics = Metrics(float(dpi))
        layout = plan(chart, width_in * 72.0, metrics)
        canvas: Canvas = AggCanvas(layout.width, layout.height, float(dpi), st.BACKGROUND)
        paint(canvas, layout)
        return canvas.finish(compress)
    with mpl.rc_context(SVG_RC):
        metrics = Metrics(SVG_METRICS_DPI)
        layout = plan(chart, width_in * 72.0, metrics)
        canvas = SvgCanvas(layout.width, layout.height, st.BACKGROUND)
        paint(canvas, layout)
        return canvas.finish(compress)


def paint(canvas: Canvas, layout: Layout) -> None:
    """Draw a laid-out chart: header, legend, panels, time axis, footer."""
    c, m = canvas, layout
    for text, y, size, colour, bold in m.header:
        c.text(m.margin, y, text, size, colour, bold=bold, va="top")
    for box in m.panels:
        _panel(c, box, m)
        _legend(c, box)
    last = m.panels[-1]
    _time_axis(c, last, m)
    for text, y in m.footer:
        c.text(m.margin, y, text, m.footer_size, st.MUTED, va="top")


@dataclass
class _Placed:
    """Label boxes already drawn in a panel (later labels move to stay clear of them)."""

    boxes: list[Box] = field(default_factory=list)

    def clear_of(self, box: Box) -> bool:
        return not any(a < box[2] and box[0] < c and b < box[3] and box[1] < d for a, b, c, d in self.boxes)


def _panel(c: Canvas, box: PanelBox, m: Layout) -> None:
    """One panel: spans, grid, bands, bars, lines, levels, calendar events, markers, axes."""
    p, clip = box.panel, box.rect
    x0, y0, x1, y1 = clip
    for sp in p.spans:
        a, b = box.x(_num(sp.start)), box.x(_num(sp.end))
        c.rect(max(a, x0), y0, min(b, x1), y1, st.SPAN_COLOR)
    c.segments([(x0, box.y(t.value), x1, box.y(t.value)) for t in box.yticks], st.GRID, 0.6, snap=True)
    for band in p.bands:
        _band(c, box, band)
    for s in p.series:
        if s.kind == "bar":
            _bars(c, box, s)
    for level in p.levels:
        y = box.y(level.y)
        c.line(np.array([x0, x1]), np.array([y, y]), st.MUTED, 0.8, dashes=(3.2, 2.4), clip=clip)
    placed = _Placed()
    _annotations(c, box, p.annotations, placed)
    for s in p.series:
        if s.kind != "bar":
            _line(c, box, s)
    c.segments([(x0, y0, x0, y1), (x0, y0, x1, y0)], st.GRID, 0.8, snap=True)
    for level in p.levels:
        if level.label:
            c.text(x0 + 3, box.y(level.y) + 2, level.label, SIZES["level"], st.MUTED, va="bottom")
    for mk in p.markers:
        _marker(c, box, mk, placed)
    _value_axis(c, box, m)
    if p.empty_message:
        _empty(c, box, p.empty_message)


def _band(c: Canvas, box: PanelBox, band: Band) -> None:
    xs = box.fx(day_numbers(band.x))
    lo, hi = box.fy(_values(band.lower)), box.fy(_values(band.upper))
    for poly in polygon(xs, lo, hi):
        c.path(poly, fill=st.color(band.role), alpha=band.opacity, clip=box.rect)


def _bars(c: Canvas, box: PanelBox, s: Series) -> None:
    x = day_numbers(s.x)
    width = box.bar_days
    y = box.fy(_values(s.y))
    zero = box.y(max(box.ylim[0], min(0.0, box.ylim[1])))
    path = bars_path(box.fx(x - width / 2), box.fx(x + width / 2), zero, y)
    c.path(path, fill=st.color(s.role), alpha=BAR_ALPHA, clip=box.rect)


def _line(c: Canvas, box: PanelBox, s: Series) -> None:
    xs, ys = box.fx(day_numbers(s.x)), box.fy(_values(s.y))
    path = Path(np.column_stack([xs, ys]))
    path.should_simplify = False
    dashes = (3.7 * s.width, 1.6 * s.width) if s.dashed else None
    c.path(path, stroke=st.color(s.role), lw=s.width, dashes=dashes, clip=box.rect, cap="round")


def _annotations(c: Canvas, box: PanelBox, notes: tuple[Annotation, ...], placed: _Placed) -> None:
    """Calendar events as dotted lines: major ones labelled at the top in staggered rows (right-aligned to
    their line near the right edge, so nothing is cut off), minor ones tagged upright at the bottom."""
    x0, y0, x1, y1 = box.rect
    rows_end: list[float] = []
    size = SIZES["event"]
    up, down = c.font_extent(size)
    for a in notes:
        x = box.x(_num(a.x))
        if not x0 <= x <= x1:
            continue
        colour = st.EVENT_COLOR if a.major else st.MACRO_COLOR
        c.line(np.array([x, x]), np.array([y0, y1]), colour, 0.8, dashes=(0.8, 1.3), cap="round")
        if not a.major:
            c.text(x - 1.5, y0 + 3, a.label, SIZES["tag"], colour, va="bottom", rotation=90)
            continue
        w = c.measure(a.label, size)[0]
        left = x - w - 3 if x + 3 + w > x1 - 2 else x + 3
        left = max(left, x0 + 2)
        row = next((i for i, end in enumerate(rows_end) if end < left - 4), len(rows_end))
        if row == len(rows_end):
            rows_end.append(0.0)
        rows_end[row] = left + w
        top = y1 - 5 - row * (up + down + 4)
        label_box = (left, top - up - down, left + w, top)
        c.path(rounded_box(*label_box, 1.2), fill=st.BACKGROUND, alpha=0.85)
        c.text(left, top, a.label, size, colour, va="top")
        placed.boxes.append(label_box)


def _marker(c: Canvas, box: PanelBox, mk: Marker, placed: _Placed) -> None:
    """A dot and its label; a label that would overlap one already placed moves further from its point."""
    x, y = box.x(_num(mk.x)), box.y(mk.y)
    radius = 2.6 if mk.label else 2.1
    c.path(Path.circle((x, y), radius), stroke=st.BACKGROUND, lw=0.8, fill=st.color(mk.role))
    if not mk.label:
        return
    x0, y0, x1, y1 = box.rect
    size = SIZES["label"]
    w = c.measure(mk.label, size)[0]
    up, down = c.font_extent(size)
    h = up + down
    right = (x - x0) / ((x1 - x0) or 1) > 0.7
    left = x - 6 - w if right else x + 6
    left = min(max(left, x0 + 2), x1 - 2 - w)
    step = -(h + 3) if mk.below else h + 3
    bottom = y - 8 - h if mk.below else y + 6
    for _ in range(8):
        bottom = min(max(bottom, y0 + 2), y1 - 2 - h)
        if placed.clear_of((left, bottom, left + w, bottom + h)):
            break
        bottom += step
    label_box = (left, bottom, left + w, bottom + h)
    placed.boxes.append(label_box)
    c.path(rounded_box(*label_box, 1.5), fill=st.BACKGROUND, alpha=0.8)
    c.text(left, bottom, mk.label, size, st.INK, va="bottom")


def _value_axis(c: Canvas, box: PanelBox, m: Layout) -> None:
    """y tick marks and labels, and the axis title written upwards at the left edge."""
    x0, y0, _x1, y1 = box.rect
    if not box.panel.empty_message:
        marks = [(x0 - TICK_LEN, box.y(t.value), x0, box.y(t.value)) for t in box.yticks]
        c.segments(marks, st.MUTED, 0.8, snap=True)
        for t in box.yticks:
            c.text(x0 - TICK_LEN - 3, box.y(t.value), t.label, SIZES["tick"], st.MUTED, ha="right", va="center")
    title = st.y_axis_title(box.panel.unit, box.panel.y_label)
    c.text(m.margin, (y0 + y1) / 2, title, SIZES["axis"], st.MUTED, ha="center", va="top", rotation=90)


def _time_axis(c: Canvas, last: PanelBox, m: Layout) -> None:
    """x tick marks under every panel, labels (and their year row) under the last one, and the axis title."""
    marks = []
    for box in m.panels:
        x0, y0, x1, _y1 = box.rect
        for t in m.xticks:
            x = box.x(t.value)
            if x0 - 0.5 <= x <= x1 + 0.5:
                marks.append((x, y0 - TICK_LEN * (0.6 if t.minor else 1.0), x, y0))
    c.segments(marks, st.MUTED, 0.8, snap=True)
    x0, y0, x1, _y1 = last.rect
    up, down = c.font_extent(SIZES["tick"])
    for t in m.xticks:
        x = last.x(t.value)
        if t.minor or not x0 - 0.5 <= x <= x1 + 0.5:
            continue
        c.text(x, y0 - TICK_LEN - 3, t.label, SIZES["tick"], st.MUTED, ha="center", va="top")
        if t.second:
            c.text(x, y0 - TICK_LEN - 3 - up - down - 1, t.second, SIZES["tick"], st.MUTED, ha="center", va="top")
    c.text((x0 + x1) / 2, m.x_label_y, m.x_label, SIZES["axis"], st.MUTED, ha="center", va="top")


def _legend(c: Canvas, box: PanelBox) -> None:
    """Legend entries (swatch and label) in the rows the layout made for them."""
    size = SIZES["legend"]
    up, down = c.font_extent(size)
    for entry, x, y in box.legend:
        mid = y - (up + down) / 2
        colour = st.color(entry.role)
        if entry.kind == "line":
            dashes = (3.7 * entry.width, 1.6 * entry.width) if entry.dashed else None
            c.line(np.array([x, x + 16]), np.array([mid, mid]), colour, min(entry.width, 2.2), dashes=dashes)
        else:
            c.rect(x, mid - 3.5, x + 16, mid + 3.5, colour, alpha=entry.alpha)
        c.text(x + 20, y, entry.label, size, st.INK, va="top")


def _empty(c: Canvas, box: PanelBox, message: str) -> None:
    x0, y0, x1, y1 = box.rect
    size = SIZES["empty"]
    w, up, down = c.measure(message, size)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    tbox = (cx - w / 2, cy - (up + down) / 2, cx + w / 2, cy + (up + down) / 2)
    c.path(rounded_box(*tbox, 7.0), fill="#f6f8fa", stroke=st.GRID, lw=0.8)
    c.text(cx, cy, message, size, st.INK, ha="center", va="center")


def _num(v: XValue) -> float:
    """A date or naive datetime as a day number (TypeError for anything else)."""
    if not isinstance(v, date):
        raise TypeError(f"x value must be a date or datetime, got {type(v).__name__}")
    return to_days(v)


def day_numbers(xs: tuple[XValue, ...]) -> np.ndarray:
    """Day numbers of a series' x values (dates or naive datetimes, converted by numpy in one go; the same
    values as ``ticks.to_days`` of each)."""
    if not xs:
        return np.zeros(0)
    if isinstance(xs[0], datetime):
        return np.array(xs, dtype="datetime64[us]").astype(np.int64) / 86_400_000_000
    if isinstance(xs[0], date):
        return np.array(xs, dtype="datetime64[D]").astype(np.int64).astype(float)
    raise TypeError(f"x value must be a date or datetime, got {type(xs[0]).__name__}")


def _values(ys: tuple[float | None, ...]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in ys], dtype=float)


__all__ = ["FORMATS", "day_numbers", "paint", "render_static"]
