"""The chart kinds: names, descriptions, default windows and assets (no plotting imports).

Kept apart from :mod:`cryptodesk.charts.build` so that the CLI can list the kinds in
``--help`` without loading matplotlib and Plotly.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "KindInfo"]


@dataclass(frozen=True)
class KindInfo:
    """What a chart kind shows and its default window (days) and asset."""

    description: str
    window_days: int
    asset: str | None = "bitcoin"


KINDS: dict[str, KindInfo] = {
    "market_cap": KindInfo("Total crypto market cap with round levels, 'highest since' and swing low", 365, None),
    "price": KindInfo("Asset price with 50/200-day averages, ±1σ/±2σ bands and RSI", 365),
    "intraday": KindInfo("Asset price today with the day's high and low and the as-of time", 1),
    "performance": KindInfo("Normalised change of several assets over a window (default ETH vs BTC)", 30),
    "liquidations": KindInfo("Long vs. short liquidations per hour or day, net line, feed coverage", 3, None),
    "volume": KindInfo("Daily volume vs. its 30-day average", 90),
}
