"""Asset identity for files whose content does not name the asset.

The user's ``--asset`` (``ctx.asset_hint``) wins; otherwise the file name is split
into tokens (``btc-usd-max.csv`` -> ``btc``; ``yahoo_BTC-USD_daily_...`` -> ``BTC-USD``;
``BTCUSDT-1m-2023-01.csv`` -> ``BTCUSDT``; ``coingecko_bitcoin_hourly_...`` -> ``bitcoin``;
``BINANCE_ETHUSDT, 1D.csv`` -> ``ETHUSDT``) and each token is looked up in the
registry. The name is only a fallback: formats are detected by content.
"""

from __future__ import annotations

import re

import polars as pl

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.errors import ParseError
from cryptodesk.sources.base import ParseContext

_SUFFIXES = (".gz", ".csv", ".json", ".txt", ".parquet")
_SPLIT = re.compile(r"[_,\s]+")
_NOISE = frozenset(
    {
        "yahoo", "coingecko", "binance", "tradingview", "coinmarketcap", "cmc", "usdm", "um", "cm", "spot",
        "futures", "perp", "daily", "hourly", "weekly", "max", "price", "only", "usd", "klines", "data",
        "market", "chart", "export", "history", "historical", "1d", "1h", "1m", "5m", "15m", "4h", "1w",
    }
)  # fmt: skip


def name_tokens(name: str) -> list[str]:
    """Candidate asset tokens from a file name, most specific first."""
    stem = name
    while stem.lower().endswith(_SUFFIXES):
        stem = stem[: stem.rfind(".")]
    out: list[str] = []
    for tok in _SPLIT.split(stem):
        if not tok or tok.lower() in _NOISE or re.fullmatch(r"[\d\-:T.Z]+", tok):
            continue
        parts = tok.split("-")
        # "btc-usd-max" -> "btc-usd-max", "btc-usd", "btc"; "BTCUSDT-1m-2023-01" -> ..., "BTCUSDT"
        out.extend("-".join(parts[:n]) for n in range(len(parts), 0, -1))
    return [t for t in out if t and t.lower() not in _NOISE]


def from_name(name: str, registry: AssetRegistry) -> str | None:
    """The canonical id named by a file name, or None."""
    found = name_match(name, registry)
    return found[1] if found else None


def name_match(name: str, registry: AssetRegistry) -> tuple[str, str] | None:
    """The first (token, canonical id) of a file name the registry knows, or None."""
    for tok in name_tokens(name):
        hit = registry.resolve(tok)
        if hit:
            return tok, hit
    return None


def file_asset(ctx: ParseContext, what: str = "asset") -> str:
    """The asset of a file that does not name it: the hint, else the file name, else a ParseError."""
    if ctx.asset_hint:
        return ctx.registry.resolve(ctx.asset_hint) or ctx.asset_hint
    hit = from_name(ctx.path.name, ctx.registry)
    if hit is None:
        raise ParseError(
            ctx.path,
            f"the content does not say which {what} this is and the file name does not name a known one;"
            " pass --asset (e.g. --asset bitcoin)",
        )
    return hit


def kind_of(registry: AssetRegistry, asset_id: str) -> str:
    """The registry's kind for a known id (crypto, stablecoin, index, ...), else ``crypto``."""
    info = registry.get(asset_id)
    return info.kind if info else "crypto"


def slug(name: str) -> str:
    """A lower-case, dash-separated id for an asset the registry does not know."""
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")


def resolve_columns(registry: AssetRegistry, frame: pl.DataFrame, columns: list[str], fallback: str) -> pl.Series:
    """Resolve each row's ``columns`` (first registry hit wins) to an asset id.

    Rows no column resolves get ``slug(row[fallback])``. Lookups run once per
    distinct combination, then join back, so large files with few assets stay fast.
    """
    keys = frame.select(columns).unique()
    ids: list[str] = []
    for row in keys.iter_rows(named=True):
        hit = next((h for c in columns if row[c] and (h := registry.resolve(str(row[c])))), None)
        ids.append(hit or slug(str(row[fallback] or "")))
    table = keys.with_columns(pl.Series("asset_id", ids, dtype=pl.Utf8))
    return frame.select(columns).join(table, on=columns, how="left", nulls_equal=True, maintain_order="left")[
        "asset_id"
    ]


def unclash(frame: pl.DataFrame, group: str, fallback: str) -> pl.DataFrame:
    """Give rows that resolved to an id already taken in their ``group`` (same ``ts``) their own slug.

    Two listings can resolve to one registry id (a ticker reused by a newer coin);
    the first row (the higher-ranked listing) keeps the registry id and the others
    fall back to ``slug(row[fallback])`` so that no snapshot silently overwrites another.
    """
    taken = ~frame.select(pl.struct([group, "asset_id"]).is_first_distinct()).to_series()
    if not taken.any():
        return frame
    slugs = pl.col(fallback).str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "-").str.strip_chars("-")
    return frame.with_columns(pl.when(taken).then(slugs).otherwise(pl.col("asset_id")).alias("asset_id"))


def _words(text: str) -> set[str]:
    """Lower-case alphanumeric words of a name."""
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def by_symbol_then_name(registry: AssetRegistry, symbol: str | None, name: str | None) -> str:
    """The id for a (symbol, name) listing: symbol first, then name, else ``slug(name)``.

    A symbol hit is only taken when the listing's name agrees with it (the name
    resolves to the same id or shares a word with the registry's name): tickers
    get reused, e.g. CoinMarketCap's 2014 ``AMP`` is HyperSpace, not today's Amp.
    """
    by_name = registry.resolve(name) if name else None
    by_symbol = registry.resolve(symbol) if symbol else None
    if by_symbol and (by_name == by_symbol or (name and _words(name) & _words(registry.info(by_symbol).name))):
        return by_symbol
    return by_name or slug(name or symbol or "")
