"""The previous static renderer (matplotlib Figure/Axes/tickers), kept as the same-run baseline of bench_charts.py.

This is ``cryptodesk/charts/static.py`` as it was before the direct-to-renderer
painter (commit c69e1d9), unchanged except for this docstring and the name
of its entry point (``render_reference``). It draws the same spec with the
artist layer: a Figure, a gridspec of Axes, tick locators and formatters,
``ax.legend``, ``ax.annotate``, then ``savefig``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from cryptodesk.charts import style as st
from cryptodesk.charts.spec import Annotation, Chart, Marker, Panel, Series, XValue
from cryptodesk.writer import phrasing as ph

FORMATS: tuple[str, ...] = ("png", "svg")
RC: dict[Any, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": [st.FONT],
    "font.size": 9.5,
    "axes.edgecolor": st.GRID,
    "axes.labelcolor": st.MUTED,
    "axes.titlesize": 10,
    "xtick.color": st.MUTED,
    "ytick.color": st.MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": st.GRID,
    "grid.linewidth": 0.6,
    "svg.hashsalt": "cryptodesk",
    "svg.fonttype": "path",
    "path.simplify": False,
    "figure.dpi": st.DPI,
    "savefig.dpi": st.DPI,
    "axes.unicode_minus": False,
}
METADATA: dict[str, dict[str, str | None]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
}
EPOCH = datetime(1970, 1, 1)
"""matplotlib's default date epoch (rcParams['date.epoch'])."""
HEADER_IN = 1.1
FOOTER_IN = 0.45
CHAR_FRACTION = 0.0068
"""Approximate width of one label character as a fraction of the axes width (for staggering labels)."""


@contextmanager
def house_style() -> Iterator[None]:
    """matplotlib rcParams of the house style, restored afterwards."""
    with mpl.rc_context(RC):
        yield


def render_reference(
    chart: Chart, fmt: str = "png", *, width_in: float = st.WIDTH_IN, dpi: int = st.DPI, compress: int = 6
) -> bytes:
    """The chart as PNG or SVG bytes (ValueError for another format).

    ``width_in`` inches at ``dpi`` pixels per inch; ``compress`` is the PNG zlib level (1 is fastest, 9 smallest).
    """
    if fmt not in FORMATS:
        raise ValueError(f"static chart format must be one of {FORMATS}, got {fmt!r}")
    with house_style():
        fig = draw(chart, width_in=width_in)
        buf = io.BytesIO()
        extra: dict[str, Any] = {"pil_kwargs": {"compress_level": compress}} if fmt == "png" else {}
        fig.savefig(buf, format=fmt, metadata=METADATA[fmt], facecolor=st.BACKGROUND, dpi=dpi, **extra)
    return buf.getvalue()


def draw(chart: Chart, *, width_in: float = st.WIDTH_IN) -> Figure:
    """A matplotlib Figure of the chart, ``width_in`` inches wide (call inside :func:`house_style`)."""
    heights = [p.height for p in chart.panels]
    height_in = HEADER_IN + FOOTER_IN + st.PANEL_IN * sum(heights)
    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)
    top = 1 - HEADER_IN / height_in
    bottom = FOOTER_IN / height_in + 0.04
    left = 0.8 / width_in
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights, left=left, right=0.97, top=top, bottom=bottom)
    fig.text(0.015, 1 - 0.22 / height_in, chart.title, fontsize=14, fontweight="bold", color=st.INK, va="top")
    fig.text(0.015, 1 - 0.52 / height_in, chart.subtitle, fontsize=8.5, color=st.MUTED, va="top")
    foot = " · ".join((chart.source, *chart.notes))
    fig.text(0.015, 0.12 / height_in, foot, fontsize=7.5, color=st.MUTED, va="bottom")
    intraday = bool(chart.x_range and isinstance(chart.x_range[0], datetime))
    first: Axes | None = None
    for i, panel in enumerate(chart.panels):
        ax = fig.add_subplot(grid[i, 0], sharex=first) if first is not None else fig.add_subplot(grid[i, 0])
        first = first or ax
        _panel(ax, panel, chart, intraday=intraday, outside_legend=i == 0)
        last = i == len(chart.panels) - 1
        ax.tick_params(labelbottom=last)
        if last:
            ax.set_xlabel(chart.x_label, fontsize=8.5)
    return fig


def _panel(ax: Axes, panel: Panel, chart: Chart, *, intraday: bool, outside_legend: bool) -> None:
    """Draw one panel: spans, bands, series, levels, markers, calendar annotations, legend, axes."""
    for sp in panel.spans:
        ax.axvspan(_x(sp.start), _x(sp.end), color=st.SPAN_COLOR, zorder=0, lw=0)
    for band in panel.bands:
        lo = [_nan(v) for v in band.lower]
        hi = [_nan(v) for v in band.upper]
        xs = [_x(v) for v in band.x]
        ax.fill_between(xs, lo, hi, color=st.color(band.role), alpha=band.opacity, lw=0, label=band.label)
    for s in panel.series:
        _series(ax, s, intraday=intraday)
    if chart.x_range is not None:
        pad = (_num(chart.x_range[1]) - _num(chart.x_range[0])) * 0.01
        ax.set_xlim(_num(chart.x_range[0]) - pad, _num(chart.x_range[1]) + pad * (12 if panel.markers else 1))
    _limits(ax, panel)
    for level in panel.levels:
        ax.axhline(level.y, color=st.MUTED, lw=0.8, ls=(0, (4, 3)), zorder=1)
        if level.label:
            ax.annotate(
                level.label, (0.0, level.y), xycoords=("axes fraction", "data"), xytext=(3, 2),
                textcoords="offset points", fontsize=7.5, color=st.MUTED, va="bottom",
            )  # fmt: skip
    placed: list[tuple[float, float, float]] = []
    for m in panel.markers:
        _marker(ax, m, placed)
    _annotations(ax, panel.annotations)
    _axes_format(ax, panel, intraday=intraday)
    if panel.empty_message:
        ax.set_yticks([])
        ax.grid(False)
        ax.text(0.5, 0.5, panel.empty_message, transform=ax.transAxes, ha="center", va="center", fontsize=11,
                color=st.INK, bbox={"boxstyle": "round,pad=0.6", "fc": "#f6f8fa", "ec": st.GRID})  # fmt: skip
    handles, _labels = ax.get_legend_handles_labels()
    if handles and outside_legend:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=7.5, frameon=False, ncols=min(5, len(handles)))
    elif handles:
        ax.legend(loc="upper left", fontsize=7.5, frameon=False, ncols=min(4, len(handles)))


def _series(ax: Axes, s: Series, *, intraday: bool) -> None:
    xs = [_x(v) for v in s.x]
    ys = [_nan(v) for v in s.y]
    if s.kind == "bar":
        width = 0.8 / 24 if intraday else 0.8
        ax.bar(xs, ys, width=width, color=st.color(s.role), alpha=0.75, label=s.label or None, zorder=2, lw=0)
    else:
        style = "--" if s.dashed else "-"
        ax.plot(xs, ys, color=st.color(s.role), lw=s.width, ls=style, label=s.label or None, zorder=3)


def _limits(ax: Axes, panel: Panel) -> None:
    """y limits that show the data, round levels and markers with room for labels."""
    if panel.y_range is not None:
        ax.set_ylim(*panel.y_range)
        return
    ys = [v for s in panel.series for v in s.y if v is not None]
    ys += [v for b in panel.bands for v in (*b.lower, *b.upper) if v is not None]
    ys += [lv.y for lv in panel.levels] + [m.y for m in panel.markers]
    if not ys:
        ax.set_ylim(0, 1)
        return
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or abs(hi) or 1.0
    below = 0.16 if any(m.below for m in panel.markers) else 0.08
    floor = 0.0 if lo >= 0 and panel.unit == "usd" and any(s.kind == "bar" for s in panel.series) else lo - span * below
    ax.set_ylim(floor, hi + span * 0.28)


def _marker(ax: Axes, m: Marker, placed: list[tuple[float, float, float]]) -> None:
    """A dot and its label; a label that would overlap one already ``placed`` (x0, x1, y in axes
    fractions) moves further above (or below) its point."""
    size = 26 if m.label else 18
    ax.scatter([_x(m.x)], [m.y], s=size, color=st.color(m.role), zorder=5, edgecolors="white", linewidths=0.8)
    if not m.label:
        return
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    frac = (_num(m.x) - x0) / ((x1 - x0) or 1)
    yfrac = (m.y - y0) / ((y1 - y0) or 1)
    ha = "right" if frac > 0.7 else "left"
    dx = -6 if ha == "right" else 6
    width = len(m.label) * CHAR_FRACTION * 1.1
    left = frac - width if ha == "right" else frac
    dy = -12.0 if m.below else 8.0
    step = -11.0 if m.below else 11.0
    for _ in range(6):
        y = yfrac + dy / 200
        if not any(a < left + width and left < b and abs(y - c) < 0.05 for a, b, c in placed):
            break
        dy += step
    placed.append((left, left + width, yfrac + dy / 200))
    ax.annotate(
        m.label, (_x(m.x), m.y), xytext=(dx, dy), textcoords="offset points", ha=ha,
        va="top" if m.below else "bottom", fontsize=8, color=st.INK, zorder=6,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
    )  # fmt: skip


def _annotations(ax: Axes, notes: tuple[Annotation, ...]) -> None:
    """Calendar events as dotted lines: major ones labelled at the top in staggered rows, minor ones tagged below."""
    lo, hi = ax.get_xlim()
    rows_end: list[float] = []
    for a in notes:
        x = _num(a.x)
        if not lo <= x <= hi:
            continue
        frac = (x - lo) / ((hi - lo) or 1)
        colour = st.EVENT_COLOR if a.major else st.MACRO_COLOR
        ax.axvline(_x(a.x), color=colour, lw=0.8, ls=":", zorder=1)
        if not a.major:
            ax.text(x, 0.02, a.label, transform=ax.get_xaxis_transform(), rotation=90, fontsize=6.5,
                    color=colour, ha="right", va="bottom")  # fmt: skip
            continue
        width = len(a.label) * CHAR_FRACTION
        left = frac - width - 0.01 if frac + width > 0.98 else frac + 0.005
        row = next((i for i, end in enumerate(rows_end) if end < left), len(rows_end))
        if row == len(rows_end):
            rows_end.append(0.0)
        rows_end[row] = left + width
        ax.text(
            left, 0.90 - 0.075 * row, a.label, transform=ax.transAxes, fontsize=7.5, color=colour, va="top",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )  # fmt: skip


def _axes_format(ax: Axes, panel: Panel, *, intraday: bool) -> None:
    ax.set_ylabel(st.y_axis_title(panel.unit, panel.y_label), fontsize=8.5)
    if panel.unit == "usd":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: st.money_tick(v, _step(ax))))
    elif panel.unit == "pct":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: st.pct_tick(v, _step(ax))))
    lo, hi = ax.get_xlim()
    if intraday and hi - lo <= 1.5:
        hours = max(1, int((hi - lo) * 24 / 8))
        ax.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, hours)))  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _clock(EPOCH + timedelta(days=float(v)))))
    elif intraday and hi - lo <= 10:
        ax.xaxis.set_major_locator(mdates.DayLocator())  # type: ignore[no-untyped-call]
        ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=(6, 12, 18)))  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: ph.month_day(_day(v), _day(v))))
    else:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=9)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        formatter = mdates.ConciseDateFormatter(locator, show_offset=False)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(formatter)


def _step(ax: Axes) -> float:
    """The distance between the y axis's major ticks."""
    ticks = ax.yaxis.get_majorticklocs()
    return float(abs(ticks[1] - ticks[0])) if len(ticks) > 1 else 1.0


def _day(v: float) -> date:
    """The calendar day of a matplotlib date number."""
    return (EPOCH + timedelta(days=float(v))).date()


def _clock(moment: datetime) -> str:
    """AP clock label for an axis tick: '9 a.m.', 'noon', '2:30 p.m.'."""
    if moment.minute == 0 and moment.hour == 12:
        return "noon"
    if moment.minute == 0 and moment.hour == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {'a.m.' if moment.hour < 12 else 'p.m.'}"


def _x(v: XValue) -> float:
    return _num(v)


def _num(v: XValue) -> float:
    """A date or naive datetime as a matplotlib date number (days since the default 1970 epoch)."""
    if isinstance(v, datetime):
        return (v - EPOCH) / timedelta(days=1)
    if isinstance(v, date):
        return float((v - EPOCH.date()).days)
    raise TypeError(f"x value must be a date or datetime, got {type(v).__name__}")


def _nan(v: float | None) -> float:
    return float("nan") if v is None else v
