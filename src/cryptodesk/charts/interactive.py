"""Interactive charts: a :class:`~cryptodesk.charts.spec.Chart` drawn with Plotly as HTML.

plotly.js comes from the installed ``plotly`` package and is embedded in the
page (``include_plotlyjs=True``), never fetched from a CDN, so the HTML works
offline. The house style matches the static renderer: same palette, titles,
dollar and percent axes, times in the chart's zone.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cryptodesk.charts import style as st
from cryptodesk.charts.common import signed_pct
from cryptodesk.charts.spec import Chart, Panel, Series, XValue
from cryptodesk.charts.ticks import from_days, time_ticks, to_days
from cryptodesk.writer import phrasing as ph

FONT = f"{st.FONT}, Helvetica, Arial, sans-serif"
CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


def render_interactive(chart: Chart, *, include_plotlyjs: bool = True, full_html: bool = True, div_id: str = "") -> str:
    """The chart as HTML: a full page, or a ``<div>`` fragment when ``full_html`` is False.

    ``include_plotlyjs`` embeds plotly.js (about 4.6 MB) from the installed
    package; a page with several charts embeds it once and passes False for the rest.
    """
    fig = figure(chart)
    fragment: str = fig.to_html(
        include_plotlyjs=include_plotlyjs,
        full_html=False,
        config=CONFIG,
        div_id=div_id or f"chart-{chart.kind}",
    )
    if not full_html:
        return fragment
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(chart.title)}</title>"
        f"<style>body {{ margin: 0 auto; max-width: 1100px; padding: 1rem; font-family: {FONT}; }}</style>"
        f"</head><body>\n{fragment}\n</body></html>\n"
    )


def figure(chart: Chart) -> go.Figure:
    """The Plotly figure of a chart."""
    heights = [p.height for p in chart.panels]
    total = sum(heights)
    fig = make_subplots(
        rows=len(heights), cols=1, shared_xaxes=True, vertical_spacing=0.06, row_heights=[h / total for h in heights]
    )
    for row, panel in enumerate(chart.panels, start=1):
        _panel(fig, panel, row, chart.x_range)
    height = int(190 + 110 * total)
    fig.update_layout(
        title={
            "text": f"<b>{_esc(chart.title)}</b><br><span style='font-size:12px;color:{st.MUTED}'>"
            f"{_esc(chart.subtitle)}</span>",
            "x": 0.01,
            "xanchor": "left",
        },
        font={"family": FONT, "color": st.INK, "size": 12},
        paper_bgcolor=st.BACKGROUND,
        plot_bgcolor=st.BACKGROUND,
        height=height,
        margin={"l": 80, "r": 30, "t": 90, "b": 100},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 11}},
        hovermode="x unified",
        annotations=[
            *fig.layout.annotations,
            {
                "text": _esc(" · ".join((chart.source, *chart.notes))),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -80 / (height - 190),
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "top",
                "font": {"size": 10, "color": st.MUTED},
            },
        ],
    )
    fig.update_xaxes(showgrid=False, linecolor=st.GRID, tickfont={"color": st.MUTED}, type="date")
    fig.update_xaxes(title_text=chart.x_label, row=len(heights), col=1)
    if chart.x_range is not None and isinstance(chart.x_range[0], datetime):
        fig.update_xaxes(hoverformat="%-I:%M %p")
    if chart.x_range is not None:
        lo, hi = chart.x_range
        pad = (_seconds(hi) - _seconds(lo)) * 0.02
        fig.update_xaxes(range=[_from_seconds(_seconds(lo) - pad), _from_seconds(_seconds(hi) + pad)])
        fig.update_xaxes(**ap_time_axis(to_days(lo), to_days(hi)))
    return fig


PLOT_WIDTH_PT = 560.0
"""A conservative plot width for choosing tick spacing (Plotly charts are responsive)."""
CHAR_PT = 6.5
"""Approximate width of a tick label character at Plotly's 12 px font."""


def ap_time_axis(lo: float, hi: float) -> dict[str, Any]:
    """Time axis ticks in AP style ('Nov.', 'Jan. 18', '9 a.m.', the year under January), the same rules as
    the static charts (``charts/ticks.py``), instead of Plotly's own date format ('Jan 18', '12 AM')."""
    ticks = [
        t for t in time_ticks(lo, hi, width_pt=PLOT_WIDTH_PT, label_width=lambda s: CHAR_PT * len(s)) if not t.minor
    ]
    return {
        "tickmode": "array",
        "tickvals": [from_days(t.value) for t in ticks],
        "ticktext": [f"{_esc(t.label)}<br>{_esc(t.second)}" if t.second else _esc(t.label) for t in ticks],
    }


def _panel(fig: go.Figure, panel: Panel, row: int, x_range: tuple[XValue, XValue] | None) -> None:
    for sp in panel.spans:
        fig.add_vrect(x0=sp.start, x1=sp.end, fillcolor=st.SPAN_COLOR, line_width=0, layer="below", row=row, col=1)
    for band in panel.bands:
        colour = _rgba(st.color(band.role), band.opacity)
        fig.add_trace(
            go.Scatter(x=band.x, y=band.lower, mode="lines", line={"width": 0}, hoverinfo="skip", showlegend=False),
            row=row,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=band.x, y=band.upper, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=colour,
                name=band.label, hoverinfo="skip",
            ),
            row=row,
            col=1,
        )  # fmt: skip
    for s in panel.series:
        fig.add_trace(_trace(s, panel.unit), row=row, col=1)
    for level in panel.levels:
        fig.add_hline(
            y=level.y, line={"color": st.MUTED, "width": 1, "dash": "dash"}, annotation_text=_esc(level.label),
            annotation_position="top left", annotation_font={"size": 10, "color": st.MUTED}, row=row, col=1,
        )  # fmt: skip
    for m in panel.markers:
        fig.add_trace(
            go.Scatter(
                x=[m.x], y=[m.y], mode="markers+text" if m.label else "markers", text=[_esc(m.label)],
                textposition=_text_position(m.x, x_range, below=m.below), showlegend=False,
                marker={"color": st.color(m.role), "size": 9, "line": {"color": "white", "width": 1}},
                hoverinfo="text", textfont={"size": 11},
            ),
            row=row,
            col=1,
        )  # fmt: skip
    for i, a in enumerate(panel.annotations):
        colour = st.EVENT_COLOR if a.major else st.MACRO_COLOR
        anchor = "right" if _text_position(a.x, x_range, below=False).endswith("left") else "left"
        fig.add_vline(x=a.x, line={"color": colour, "width": 1, "dash": "dot"}, row=row, col=1)
        fig.add_annotation(
            x=a.x, y=1.0 - 0.07 * (i % 3) if a.major else 0.0, yref=f"y{'' if row == 1 else row} domain",
            text=_esc(a.label), showarrow=False, xanchor=anchor, yanchor="top" if a.major else "bottom",
            font={"size": 10 if a.major else 9, "color": colour}, bgcolor="rgba(255,255,255,0.8)", row=row, col=1,
        )  # fmt: skip
    _axis(fig, panel, row)


def _text_position(x: XValue, x_range: tuple[XValue, XValue] | None, *, below: bool) -> str:
    """Label above or below a marker, to its left when the marker is in the right third of the chart."""
    vertical = "bottom" if below else "top"
    if x_range is None:
        return f"{vertical} center"
    lo, hi, at = (_seconds(v) for v in (*x_range, x))
    return f"{vertical} left" if hi > lo and (at - lo) / (hi - lo) > 0.66 else f"{vertical} right"


def _seconds(v: XValue) -> float:
    """A date or naive datetime as seconds since 1970 (for proportions along the x axis)."""
    moment = v if isinstance(v, datetime) else datetime(v.year, v.month, v.day)
    return (moment - datetime(1970, 1, 1)).total_seconds()


def _from_seconds(s: float) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=s)


def _trace(s: Series, unit: str) -> go.BaseTraceType:
    text = [_value_text(v, unit) for v in s.y]
    common: dict[str, Any] = {"x": s.x, "y": s.y, "name": s.label, "text": text, "showlegend": bool(s.label)}
    common["hovertemplate"] = f"{_esc(s.label)}: %{{text}}<extra></extra>" if s.label else None
    colour = st.color(s.role)
    if s.kind == "bar":
        return go.Bar(marker={"color": colour, "opacity": 0.75}, textposition="none", **common)
    line = {"color": colour, "width": s.width, "dash": "dash" if s.dashed else "solid"}
    return go.Scatter(mode="lines", line=line, **common)


def _axis(fig: go.Figure, panel: Panel, row: int) -> None:
    title = st.y_axis_title(panel.unit, panel.y_label)
    opts: dict[str, Any] = {
        "title_text": title,
        "gridcolor": st.GRID,
        "zeroline": False,
        "tickfont": {"color": st.MUTED},
    }
    if panel.y_range is not None:
        opts["range"] = list(panel.y_range)
    if panel.unit == "pct":
        opts["tickformat"] = "+.0%"
    elif panel.unit == "usd":
        ys = [v for s in panel.series for v in s.y if v is not None] + [lv.y for lv in panel.levels]
        ys += [m.y for m in panel.markers]
        if ys:
            ticks, step = nice_ticks(min(ys), max(ys))
            opts["tickvals"] = ticks
            opts["ticktext"] = [st.money_tick(t, step) for t in ticks]
    if panel.empty_message:
        opts["showticklabels"] = False
        fig.add_annotation(
            text=_esc(panel.empty_message), xref="x domain", yref="y domain", x=0.5, y=0.5, showarrow=False,
            font={"size": 15}, bgcolor="#f6f8fa", bordercolor=st.GRID, row=row, col=1,
        )  # fmt: skip
    fig.update_yaxes(row=row, col=1, **opts)


def nice_ticks(lo: float, hi: float, count: int = 6) -> tuple[list[float], float]:
    """About ``count`` round tick values covering [lo, hi], and their step."""
    span = (hi - lo) or abs(hi) or 1.0
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = [first + i * step for i in range(int((hi - first) / step) + 2)]
    return ticks, step


def _value_text(v: float | None, unit: str) -> str:
    if v is None:
        return ""
    if unit == "usd":
        return ph.money(v)
    if unit == "pct":
        return signed_pct(v)
    return f"{v:.1f}"


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _esc(text: str) -> str:
    """Escape text for Plotly's HTML-like labels."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
