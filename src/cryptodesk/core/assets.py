"""The asset registry: maps names, symbols and tickers to one canonical asset id.

Canonical ids are CoinGecko ids (``bitcoin``, ``ethereum``). The registry starts
from a built-in table (``cryptodesk/data/assets.csv``: the largest coins, the
equity indices in the data pack and the ``total_market_cap`` metric) and learns
more from imports (``learn``). Lookups accept any of::

    bitcoin  Bitcoin  BTC  btc  BTC-USD  BTCUSDT  BTC/USDT  BTC/USDT:USDT  BTCUSD_PERP  XBT

When a ticker is shared by several coins, the built-in table wins, then the
first one learned.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources

QUOTES: tuple[str, ...] = ("USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USD", "PERP")
_SEP = re.compile(r"[-/:_ ]")


@dataclass(frozen=True)
class AssetInfo:
    """One registry entry."""

    asset_id: str
    symbol: str
    name: str
    kind: str


class AssetRegistry:
    """Symbol, ticker and name lookup to canonical asset ids."""

    def __init__(self) -> None:
        self._by_id: dict[str, AssetInfo] = {}
        self._by_key: dict[str, str] = {}

    @classmethod
    def builtin(cls) -> AssetRegistry:
        """A registry holding the built-in table."""
        reg = cls()
        text = resources.files("cryptodesk").joinpath("data/assets.csv").read_text(encoding="utf-8")
        for row in csv.DictReader(text.splitlines()):
            info = AssetInfo(row["asset_id"], row["symbol"], row["name"], row["kind"])
            aliases = [a for a in (row.get("aliases") or "").split("|") if a]
            reg.learn(info, aliases=aliases)
        return reg

    def learn(self, info: AssetInfo, *, aliases: list[str] | tuple[str, ...] = ()) -> None:
        """Add an asset; existing ids and keys are never overwritten."""
        self._by_id.setdefault(info.asset_id, info)
        for key in (info.asset_id, info.symbol, info.name, *aliases):
            if key:
                self._by_key.setdefault(_norm(key), info.asset_id)

    def get(self, asset_id: str) -> AssetInfo | None:
        """The entry for a canonical id, or None."""
        return self._by_id.get(asset_id)

    def info(self, asset_id: str) -> AssetInfo:
        """The entry for a canonical id; unknown ids get a plain entry named after the id."""
        return self._by_id.get(asset_id) or AssetInfo(asset_id, asset_id.upper(), asset_id, "crypto")

    def resolve(self, token: str) -> str | None:
        """The canonical id for a name, symbol or ticker, or None if unknown."""
        key = _norm(token)
        if not key:
            return None
        hit = self._by_key.get(key)
        if hit:
            return hit
        parts = [p for p in _SEP.split(token.strip()) if p]
        if len(parts) > 1:
            hit = self._by_key.get(_norm(parts[0]))
            if hit and all(_norm(p) in {q.lower() for q in QUOTES} for p in parts[1:]):
                return hit
        upper = token.strip().upper()
        for quote in QUOTES:
            if upper.endswith(quote) and len(upper) > len(quote):
                hit = self._by_key.get(_norm(upper[: -len(quote)]))
                if hit:
                    return hit
        return None

    def all(self) -> list[AssetInfo]:
        """Every known asset, in insertion order."""
        return list(self._by_id.values())


def _norm(s: str) -> str:
    return s.strip().lower()
