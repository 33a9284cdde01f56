"""Build MarketFrames straight from the data pack's raw files (test-side loaders, independent of sources/store).

A CoinGecko export row ``snapped_at = D 00:00 UTC`` is the close of day D-1,
known from D 00:00. A TradingView daily bar opening at D 00:00 is day D, known
from D+1 00:00. Frames are cut at ``as_of`` the way the store does it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import polars as pl

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.frames import (
    DAILY_SCHEMA,
    GLOBAL_DAILY_SCHEMA,
    INTRADAY_SCHEMA,
    POINTS_SCHEMA,
    MarketFrames,
)

EXPORTS = "daily/coingecko_exports"
TV_TOTAL = "total_market_cap/tradingview_CRYPTOCAP_TOTAL_1D_2020-11-16_2023-02-02.csv"
BINANCE_1M = "intraday/binance_usdm_BTCUSDT_1m_2023-01-18_1229-1918UTC.csv"
CG_HOURLY = "intraday/coingecko_bitcoin_hourly_2022-11-20_2023-01-19.csv"
UTC_TS = pl.Datetime("us", "UTC")


def coingecko_daily(pack: Path, symbols: list[str], folder: str = EXPORTS) -> pl.DataFrame:
    """Daily frame (DAILY_SCHEMA) from ``<sym>-usd-max.csv`` exports."""
    registry = AssetRegistry.builtin()
    parts = []
    for sym in symbols:
        raw = pl.read_csv(pack / folder / f"{sym}-usd-max.csv", infer_schema_length=0)
        stamp = raw.columns[0]
        asset_id = registry.resolve(sym) or sym
        snapped = pl.col(stamp).str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S UTC").dt.replace_time_zone("UTC")
        parts.append(
            raw.select(
                pl.lit(asset_id).alias("asset_id"),
                (snapped.dt.date() - pl.duration(days=1)).alias("date"),
                pl.col("price").cast(pl.Float64).alias("close"),
                pl.lit(None, dtype=pl.Float64).alias("high"),
                pl.lit(None, dtype=pl.Float64).alias("low"),
                pl.col("total_volume").cast(pl.Float64).alias("volume"),
                pl.col("market_cap").cast(pl.Float64).alias("market_cap"),
                pl.lit("coingecko").alias("source"),
                snapped.alias("available_at"),
            )
        )
    return pl.concat(parts).cast(DAILY_SCHEMA)  # type: ignore[arg-type]


def tradingview_total(pack: Path) -> pl.DataFrame:
    """global_daily frame from the TradingView CRYPTOCAP:TOTAL export (dominance in percent)."""
    raw = pl.read_csv(pack / TV_TOTAL)
    opened = pl.from_epoch(pl.col("time"), time_unit="s").dt.replace_time_zone("UTC")
    return raw.select(
        opened.dt.date().alias("date"),
        "open",
        "high",
        "low",
        "close",
        pl.col("Volume").cast(pl.Float64).alias("volume"),
        pl.col("BTC.D, CRYPTOCAP: Close").alias("btc_dominance"),
        pl.lit("tradingview CRYPTOCAP:TOTAL").alias("source"),
        (opened + pl.duration(days=1)).alias("available_at"),
    ).cast(GLOBAL_DAILY_SCHEMA)  # type: ignore[arg-type]


def binance_1m(pack: Path) -> pl.DataFrame:
    """intraday frame from the Binance USDⓈ-M BTCUSDT 1m klines (close_time = open_time + 60 s)."""
    raw = pl.read_csv(pack / BINANCE_1M)
    opened = pl.from_epoch(pl.col("open_time"), time_unit="ms").dt.replace_time_zone("UTC")
    return raw.select(
        pl.lit("bitcoin").alias("asset_id"),
        pl.lit("binance").alias("source"),
        pl.lit("binance-usdm").alias("venue"),
        pl.lit("1m").alias("interval"),
        opened.alias("open_time"),
        (opened + pl.duration(minutes=1)).alias("close_time"),
        "open",
        "high",
        "low",
        "close",
        "volume",
    ).cast(INTRADAY_SCHEMA)  # type: ignore[arg-type]


def coingecko_hourly(pack: Path) -> pl.DataFrame:
    """points frame from the CoinGecko hourly BTC market chart."""
    raw = pl.read_csv(pack / CG_HOURLY)
    return raw.select(
        pl.lit("bitcoin").alias("asset_id"),
        pl.lit("coingecko").alias("source"),
        pl.from_epoch(pl.col("timestamp_ms"), time_unit="ms").dt.replace_time_zone("UTC").alias("ts"),
        "price",
        "market_cap",
        pl.col("total_volume").alias("volume_24h"),
    ).cast(POINTS_SCHEMA)  # type: ignore[arg-type]


def frames_at(
    as_of: datetime,
    *,
    daily: pl.DataFrame | None = None,
    global_daily: pl.DataFrame | None = None,
    intraday: pl.DataFrame | None = None,
    points: pl.DataFrame | None = None,
) -> MarketFrames:
    """A MarketFrames bundle holding only the rows known at ``as_of`` (the store's cut)."""
    base = MarketFrames.empty(as_of)
    return dataclasses.replace(
        base,
        daily=base.daily if daily is None else daily.filter(pl.col("available_at") <= as_of),
        global_daily=base.global_daily
        if global_daily is None
        else global_daily.filter(pl.col("available_at") <= as_of),
        intraday=base.intraday if intraday is None else intraday.filter(pl.col("close_time") <= as_of),
        points=base.points if points is None else points.filter(pl.col("ts") <= as_of),
    )
