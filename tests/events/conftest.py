"""Fixtures for the event tests: MarketFrames built from the data pack or from synthetic series.

The pack builder reads the CoinGecko export CSVs (snapshot at D 00:00 UTC = close
of D-1, known from D 00:00) and TradingView CRYPTOCAP:TOTAL (a bar opening at D
00:00 is day D, known from D+1 00:00) with Polars, and keeps only the rows known
at ``as_of``, as the store does. Nothing from the pack is copied into the repo.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.core.frames import DAILY_SCHEMA, GLOBAL_DAILY_SCHEMA, LIQ_SCHEMA, MarketFrames

SYMBOLS = {"bitcoin": "btc", "ethereum": "eth"}
TV_TOTAL = "total_market_cap/tradingview_CRYPTOCAP_TOTAL_1D_2020-11-16_2023-02-02.csv"

FramesAt = Callable[[datetime], MarketFrames]
SynthFrames = Callable[..., MarketFrames]


def _coingecko_daily(pack: Path) -> pl.DataFrame:
    parts = []
    for asset_id, sym in SYMBOLS.items():
        raw = pl.read_csv(pack / "daily" / "coingecko_exports" / f"{sym}-usd-max.csv", infer_schema_length=0)
        snap = pl.col("snapped_at").str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%d %H:%M:%S UTC")
        parts.append(
            raw.select(
                pl.lit(asset_id).alias("asset_id"),
                (snap.dt.date() - pl.duration(days=1)).alias("date"),
                pl.col("price").cast(pl.Float64).alias("close"),
                pl.lit(None, dtype=pl.Float64).alias("high"),
                pl.lit(None, dtype=pl.Float64).alias("low"),
                pl.col("total_volume").cast(pl.Float64).alias("volume"),
                pl.col("market_cap").cast(pl.Float64).alias("market_cap"),
                pl.lit("coingecko").alias("source"),
                snap.alias("available_at"),
            )
        )
    return pl.concat(parts).cast(pl.Schema(DAILY_SCHEMA))


def _tradingview_total(pack: Path) -> pl.DataFrame:
    raw = pl.read_csv(pack / TV_TOTAL)
    opened = pl.from_epoch(pl.col("time"), time_unit="s").dt.replace_time_zone("UTC")
    return raw.select(
        opened.dt.date().alias("date"),
        pl.col("open").cast(pl.Float64),
        pl.col("high").cast(pl.Float64),
        pl.col("low").cast(pl.Float64),
        pl.col("close").cast(pl.Float64),
        pl.col("Volume").cast(pl.Float64).alias("volume"),
        pl.col("BTC.D, CRYPTOCAP: Close").cast(pl.Float64).alias("btc_dominance"),
        pl.lit("tradingview").alias("source"),
        (opened + pl.duration(days=1)).alias("available_at"),
    ).cast(pl.Schema(GLOBAL_DAILY_SCHEMA))


@pytest.fixture(scope="session")
def pack_frames(data_pack: Path) -> FramesAt:
    """``at(as_of)`` -> MarketFrames of BTC, ETH (CoinGecko) and TOTAL (TradingView) known at ``as_of``."""
    daily = _coingecko_daily(data_pack)
    total = _tradingview_total(data_pack)

    def at(as_of: datetime) -> MarketFrames:
        return dataclasses.replace(
            MarketFrames.empty(as_of),
            daily=daily.filter(pl.col("available_at") <= as_of),
            global_daily=total.filter(pl.col("available_at") <= as_of),
        )

    return at


def make_frames(
    closes: dict[str, Sequence[float]],
    *,
    start: date = date(2024, 1, 1),
    volumes: dict[str, Sequence[float]] | None = None,
    total: dict[str, Sequence[float]] | None = None,
    liquidations: list[tuple[str, str, datetime, str, float]] | None = None,
    coverage: list[tuple[str, datetime, datetime]] | None = None,
    as_of: datetime | None = None,
) -> MarketFrames:
    """Synthetic frames: consecutive daily closes per asset from ``start`` (and an optional TOTAL series).

    ``total`` maps 'close'/'high'/'low' to equal-length series. ``as_of`` defaults
    to the moment the last day closed (its next midnight UTC).
    """
    rows = []
    last = start
    for asset_id, values in closes.items():
        vols = (volumes or {}).get(asset_id)
        for i, c in enumerate(values):
            d = start + timedelta(days=i)
            last = max(last, d)
            rows.append(
                {
                    "asset_id": asset_id,
                    "date": d,
                    "close": float(c),
                    "high": None,
                    "low": None,
                    "volume": float(vols[i]) if vols is not None else None,
                    "market_cap": None,
                    "source": "synthetic",
                    "available_at": datetime.combine(d + timedelta(days=1), time(0), tzinfo=UTC),
                }
            )
    grows = []
    if total is not None:
        for i, c in enumerate(total["close"]):
            d = start + timedelta(days=i)
            last = max(last, d)
            grows.append(
                {
                    "date": d,
                    "open": None,
                    "high": float(total["high"][i]) if "high" in total else None,
                    "low": float(total["low"][i]) if "low" in total else None,
                    "close": float(c),
                    "volume": None,
                    "btc_dominance": None,
                    "source": "synthetic-index",
                    "available_at": datetime.combine(d + timedelta(days=1), time(0), tzinfo=UTC),
                }
            )
    moment = as_of or datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
    liq = [
        {"exchange": x, "asset_id": a, "ts": ts, "side": side, "notional_usd": usd, "source": "synthetic"}
        for x, a, ts, side, usd in (liquidations or [])
    ]
    cov = [{"exchange": x, "feed": "liquidations", "start": s, "end": e} for x, s, e in (coverage or [])]
    empty = MarketFrames.empty(moment)
    return dataclasses.replace(
        empty,
        daily=pl.DataFrame(rows, schema=DAILY_SCHEMA),
        global_daily=pl.DataFrame(grows, schema=GLOBAL_DAILY_SCHEMA),
        liquidations=pl.DataFrame(liq, schema=LIQ_SCHEMA),
        coverage=pl.DataFrame(cov, schema=empty.coverage.schema),
    )


@pytest.fixture
def synth() -> SynthFrames:
    """The synthetic frames builder :func:`make_frames`."""
    return make_frames


@pytest.fixture(scope="session")
def raw_closes(data_pack: Path) -> Callable[[str], dict[date, float]]:
    """``closes(sym)`` -> {close day: price} read with the csv module (snapshot day minus one)."""

    def closes(sym: str) -> dict[date, float]:
        path = data_pack / "daily" / "coingecko_exports" / f"{sym}-usd-max.csv"
        with path.open(newline="") as fh:
            return {
                date.fromisoformat(r["snapped_at"][:10]) - timedelta(days=1): float(r["price"])
                for r in csv.DictReader(fh)
            }

    return closes


@pytest.fixture(scope="session")
def raw_total(data_pack: Path) -> dict[date, dict[str, float]]:
    """TradingView TOTAL bars read with the csv module: {bar day: {open, high, low, close}}."""
    with (data_pack / TV_TOTAL).open(newline="") as fh:
        return {
            datetime.fromtimestamp(int(r["time"]), UTC).date(): {
                k: float(r[k]) for k in ("open", "high", "low", "close")
            }
            for r in csv.DictReader(fh)
        }
