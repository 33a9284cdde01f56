"""Chart kinds by name, their defaults, and one entry point: :func:`build_chart`."""

from __future__ import annotations

from collections.abc import Sequence

from cryptodesk.analytics.types import Analysis
from cryptodesk.charts.interactive import render_interactive
from cryptodesk.charts.kinds import KINDS
from cryptodesk.charts.kinds_daily import market_cap_chart, performance_chart, price_chart, volume_chart
from cryptodesk.charts.kinds_flow import intraday_chart, liquidations_chart
from cryptodesk.charts.spec import Chart
from cryptodesk.charts.static import FORMATS, render_static
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event

DEFAULT_COMPARE: tuple[str, ...] = ("ethereum", "bitcoin")


def build_chart(
    kind: str,
    frames: MarketFrames,
    analysis: Analysis,
    events: Sequence[Event] = (),
    *,
    tz: str,
    asset: str | None = None,
    assets: Sequence[str] = (),
    window_days: int | None = None,
) -> Chart:
    """The :class:`Chart` of ``kind`` as of ``frames.as_of`` (ConfigError for an unknown kind).

    ``asset`` defaults to the kind's default (bitcoin); ``assets`` (performance)
    defaults to ether and bitcoin, or ``asset`` and bitcoin when ``asset`` is given.
    """
    info = KINDS.get(kind)
    if info is None:
        raise ConfigError(f"KIND: unknown chart kind {kind!r}; expected one of {', '.join(KINDS)}", parameter="KIND")
    days = window_days or info.window_days
    subject = asset or info.asset
    if kind == "market_cap":
        return market_cap_chart(frames, analysis, events, days=days, tz=tz)
    if kind == "price":
        return price_chart(frames, analysis, asset=subject or "bitcoin", days=days, tz=tz)
    if kind == "intraday":
        return intraday_chart(frames, analysis, asset=subject or "bitcoin", tz=tz)
    if kind == "performance":
        chosen = tuple(assets) or ((asset, "bitcoin") if asset and asset != "bitcoin" else DEFAULT_COMPARE)
        return performance_chart(frames, analysis, assets=chosen, days=days, tz=tz)
    if kind == "liquidations":
        return liquidations_chart(frames, analysis, asset=asset, days=days, tz=tz)
    return volume_chart(frames, analysis, asset=subject or "bitcoin", days=days, tz=tz)


OUTPUT_FORMATS: tuple[str, ...] = ("png", "svg", "html")


def render_chart(chart: Chart, fmt: str) -> bytes:
    """The chart as PNG or SVG (matplotlib) or a self-contained HTML page (Plotly); ConfigError for another format."""
    if fmt in FORMATS:
        return render_static(chart, fmt)
    if fmt == "html":
        return render_interactive(chart).encode("utf-8")
    raise ConfigError(
        f"--out: unknown chart format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}", parameter="--out"
    )
