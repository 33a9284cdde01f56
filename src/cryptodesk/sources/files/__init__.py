"""File importers: one :class:`~cryptodesk.sources.base.FileFormat` per downloadable format.

Formats are detected by content (``sources.base.detect``), never by file name; the
name only helps to tell which asset a file is about when the content does not say.
"""

from __future__ import annotations

from cryptodesk.core.errors import ConfigError
from cryptodesk.sources.base import FileFormat
from cryptodesk.sources.files.binance_klines import BinanceKlines
from cryptodesk.sources.files.binance_liquidations import BinanceLiquidations
from cryptodesk.sources.files.calendars import CryptoCalendar, MacroCalendar
from cryptodesk.sources.files.cmc_listings import CoinMarketCapListings
from cryptodesk.sources.files.cmc_weekly import CoinMarketCapWeeklyCsv, CoinMarketCapWeeklyJson
from cryptodesk.sources.files.coingecko_allcoins import CoinGeckoAllCoins
from cryptodesk.sources.files.coingecko_csv import CoinGeckoExport, CoinGeckoHourly, CoinGeckoLong
from cryptodesk.sources.files.coingecko_json import (
    CoinGeckoCoin,
    CoinGeckoGlobal,
    CoinGeckoMarketChart,
    CoinGeckoMarkets,
)
from cryptodesk.sources.files.tradingview import TradingViewChart
from cryptodesk.sources.files.yahoo import YahooDaily


def builtin_formats() -> list[FileFormat]:
    """A fresh instance of every built-in file format."""
    return [
        CoinGeckoExport(),
        CoinGeckoLong(),
        CoinGeckoAllCoins(),
        CoinGeckoHourly(),
        CoinGeckoMarkets(),
        CoinGeckoMarketChart(),
        CoinGeckoGlobal(),
        CoinGeckoCoin(),
        CoinMarketCapListings(),
        YahooDaily(),
        TradingViewChart(),
        BinanceKlines(),
        BinanceLiquidations(),
        MacroCalendar(),
        CryptoCalendar(),
        CoinMarketCapWeeklyCsv(),
        CoinMarketCapWeeklyJson(),
    ]


def format_by_name(name: str) -> FileFormat:
    """The built-in format called ``name`` (see ``cryptodesk formats``)."""
    for fmt in builtin_formats():
        if fmt.name == name:
            return fmt
    known = ", ".join(f.name for f in builtin_formats())
    raise ConfigError(f"unknown file format {name!r}; known formats: {known}", parameter="format")


__all__ = ["builtin_formats", "format_by_name"]
