"""The one source preference order used wherever the store merges sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from cryptodesk.store._sql import lit

SOURCE_PREFERENCE: Final[Mapping[str, tuple[str, ...]]] = {
    "daily": ("coingecko", "coinmarketcap", "yahoo", "binance", "ccxt"),
    "global": ("tradingview", "coingecko", "coinmarketcap"),
}
"""THE source preference order, best first, per kind of series.

``daily`` ranks the sources of per-asset daily rows (snapshots and 1d candles):
CoinGecko's aggregated close and market cap first, then CoinMarketCap, Yahoo
Finance, Binance, then exchange candles collected through CCXT.
``global`` ranks total-market series (``global_metrics``):
TradingView CRYPTOCAP:TOTAL first (the only full daily history in the pack).
Sources not listed rank after the listed ones, alphabetically.
"""


def preference_sql(kind: str, column: str = "source") -> str:
    """A SQL expression ranking ``column`` by :data:`SOURCE_PREFERENCE` (0 = best)."""
    order = SOURCE_PREFERENCE[kind]
    whens = " ".join(f"WHEN {lit(s)} THEN {i}" for i, s in enumerate(order))
    return f"(CASE {column} {whens} ELSE {len(order)} END)"
