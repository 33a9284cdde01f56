"""Plotly figure specs (plain JSON dicts) for the dashboard: drawn in the browser by the bundled plotly.js."""

from __future__ import annotations

from typing import Any

INK = "#1a1a2e"
ACCENT = "#1f4e9c"
SMA50 = "#b35900"
SMA200 = "#6a3d9a"
MARK = "#b00020"


def _layout(title: str, y_title: str) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"color": INK}},
        "margin": {"l": 70, "r": 20, "t": 50, "b": 40},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#ddd"},
        "xaxis": {"gridcolor": "#eee"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.15},
        "hovermode": "x unified",
    }


def _markers(rows: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[str, Any] | None:
    by_date = {r["date"]: r.get("close") for r in rows}
    xs, ys, texts = [], [], []
    for e in events:
        y = by_date.get(e["date"])
        if y is None:
            continue
        xs.append(e["date"])
        ys.append(y)
        texts.append(f"{e['kind']}: {e['metric']} {e.get('direction') or ''}".strip())
    if not xs:
        return None
    return {
        "type": "scatter",
        "mode": "markers",
        "name": "events",
        "x": xs,
        "y": ys,
        "text": texts,
        "marker": {"color": MARK, "size": 11, "symbol": "diamond"},
    }


def price_figure(
    title: str, rows: list[dict[str, Any]], events: list[dict[str, Any]], levels: list[tuple[str, float]]
) -> dict[str, Any]:
    """Close with SMA50/SMA200, event markers and horizontal levels (label, value)."""
    x = [r["date"] for r in rows]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "close",
            "x": x,
            "y": [r["close"] for r in rows],
            "line": {"color": ACCENT, "width": 2},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "50-day average",
            "x": x,
            "y": [r["sma50"] for r in rows],
            "line": {"color": SMA50, "width": 1.5, "dash": "dash"},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "200-day average",
            "x": x,
            "y": [r["sma200"] for r in rows],
            "line": {"color": SMA200, "width": 1.5, "dash": "dot"},
        },
    ]
    marks = _markers(rows, events)
    if marks:
        data.append(marks)
    layout = _layout(title, "USD")
    if x:
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "x",
                "x0": x[0],
                "x1": x[-1],
                "y0": v,
                "y1": v,
                "line": {"color": "#555", "width": 1, "dash": "dot"},
            }
            for _, v in levels
        ]
        layout["annotations"] = [
            {
                "x": x[0],
                "y": v,
                "xanchor": "left",
                "yanchor": "bottom",
                "text": label,
                "showarrow": False,
                "font": {"size": 11, "color": "#333"},
            }
            for label, v in levels
        ]
    return {"data": data, "layout": layout}
