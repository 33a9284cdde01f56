"""Shared state of one story being written: the analysis, the ledger, the seeded choices, and naming helpers."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo

from cryptodesk.analytics.types import Analysis, AssetState, Change
from cryptodesk.writer.ledger import Ledger, Segment

T = TypeVar("T")

COIN_NAMES: dict[str, str] = {"bitcoin": "bitcoin", "ethereum": "ether"}
"""Story names by asset id, in lower case mid-sentence (AP: bitcoin; the Ethereum network's coin is ether)."""

WINDOW_WORDS: dict[str, str] = {
    "1d": "over the past day",
    "24h": "over the past day",
    "7d": "over the past week",
    "30d": "over the last month",
    "ytd": "so far this year",
    "1y": "over the past year",
}
INTERVAL_WORDS: dict[str, str] = {
    "1m": "one-minute",
    "3m": "three-minute",
    "5m": "five-minute",
    "15m": "quarter-hour",
    "30m": "half-hour",
    "1h": "hourly",
    "4h": "four-hour",
}
_SOURCE_LABELS: tuple[tuple[str, str], ...] = (
    ("tradingview", "TradingView"),
    ("coingecko", "CoinGecko"),
    ("coinmarketcap", "CoinMarketCap"),
    ("cmc", "CoinMarketCap"),
    ("yahoo", "Yahoo Finance"),
    ("binance", "Binance"),
    ("coinglass", "CoinGlass"),
    ("bybit", "Bybit"),
    ("okx", "OKX"),
    ("coinbase", "Coinbase"),
    ("kraken", "Kraken"),
)


def source_label(source: str) -> str:
    """A reader-facing provider name: 'coingecko_export' -> 'CoinGecko'; unknown names are returned tidied."""
    low = source.lower()
    for key, label in _SOURCE_LABELS:
        if key in low:
            return label
    return source.replace("_", " ")


def market_source_phrase(source: str) -> str:
    """How the total market cap's source is named: TradingView's CRYPTOCAP:TOTAL index, or the provider."""
    if "tradingview" in source.lower():
        return "TradingView's CRYPTOCAP:TOTAL index"
    return source_label(source)


def venue_phrase(source: str, venue: str) -> str:
    """'Binance USDⓈ-M perpetual futures' for a futures venue, else the venue's provider name."""
    low = f"{source} {venue}".lower()
    label = source_label(venue) if venue else source_label(source)
    if any(k in low for k in ("usdm", "usd-m", "usdⓢ-m", "perp", "futures", "swap")):
        if "binance" in low:
            return "Binance USDⓈ-M perpetual futures"
        return f"{label} perpetual futures"
    return f"{label} spot" if "spot" in low else label


BENCHMARK = "bitcoin"
"""The asset the story measures others against and tells in most detail."""


def cap(text: str) -> str:
    """Capitalize the first letter only."""
    return text[:1].upper() + text[1:]


@dataclass
class Ctx:
    """One story in progress."""

    analysis: Analysis
    ledger: Ledger
    tz: str
    seed: int = 0

    @property
    def today(self) -> date:
        """as_of's calendar day in the story's zone."""
        return self.analysis.as_of.astimezone(ZoneInfo(self.tz)).date()

    def pick(self, options: Sequence[T]) -> T:
        """A seeded choice among phrasing options (never among facts).

        The choice rotates with the calendar day: for the same set of options the
        index is ``(h(seed, options) + day) mod n``, so two consecutive daily stories
        never pick the same option from a set of two or more, and a seed shifts the
        whole rotation reproducibly.
        """
        key = "\x1f".join(map(repr, options))
        digest = hashlib.sha256(f"{self.seed}|{key}".encode()).digest()
        base = int.from_bytes(digest[:8], "big")
        return options[(base + self.today.toordinal()) % len(options)]

    def asset(self, asset_id: str) -> AssetState | None:
        """The asset's state, if analysed."""
        return self.analysis.assets.get(asset_id)

    def name(self, asset: AssetState) -> str:
        """Mid-sentence name: 'bitcoin', 'ether', 'Solana'."""
        return COIN_NAMES.get(asset.asset_id, asset.name)

    def ticker(self, asset: AssetState) -> str:
        """Yahoo-style ticker: 'BTC-USD'."""
        return f"{asset.symbol.upper()}-USD"

    def change_ref_id(self, asset: AssetState, window: str) -> str | None:
        """Record the asset's change over ``window`` (if known) and return its fact id."""
        ch = asset.changes.get(window)
        if ch is None:
            return None
        return self.change_fact(asset.asset_id, ch, asset.daily_source)

    def change_fact(self, subject: str, ch: Change, source: str) -> str:
        """Record a Change as '<subject>.change.<window>' (a fraction, unit pct)."""
        return self.ledger.add(
            f"{subject}.change.{ch.window}",
            subject=subject,
            metric="change",
            value=ch.pct,
            unit="pct",
            window=f"{ch.start_date.isoformat()}..{ch.end_date.isoformat()}",
            source=source,
        )


def sentence(parts: Sequence[Segment]) -> list[Segment]:
    """A sentence from segments: capitalized first plain segment, ending with a period unless it has one."""
    out = [p for p in parts if not (isinstance(p, str) and not p)]
    if out and isinstance(out[0], str):
        out[0] = cap(out[0])
    last = out[-1] if out else ""
    if isinstance(last, str):
        body = last.rstrip()
        if body.endswith("”") and not body.endswith(".”"):
            out[-1] = body[:-1] + ".”"
        elif not body.endswith((".", "?", "!", "”")):
            out[-1] = body + "."
    elif not last.text.endswith("."):
        out.append(".")
    return out
