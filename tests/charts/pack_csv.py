"""Independent readers of pack files (plain csv module, no cryptodesk code) for expected values."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path


def coingecko_closes(pack: Path, symbol: str) -> dict[date, tuple[float, float]]:
    """CoinGecko export: the UTC day each row closes (snapped_at D 00:00 is the close of D-1) -> (price, volume)."""
    out: dict[date, tuple[float, float]] = {}
    with (pack / "daily" / "coingecko_exports" / f"{symbol}-usd-max.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            snapped = datetime.strptime(row["snapped_at"], "%Y-%m-%d %H:%M:%S UTC").date()
            out[snapped - timedelta(days=1)] = (float(row["price"]), float(row["total_volume"] or "nan"))
    return out


def tradingview_total(pack: Path) -> dict[date, tuple[float, float, float]]:
    """TradingView CRYPTOCAP:TOTAL: UTC day -> (high, low, close)."""
    path = next((pack / "total_market_cap").glob("tradingview_CRYPTOCAP_TOTAL_1D_*.csv"))
    out: dict[date, tuple[float, float, float]] = {}
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        t, hi, lo, cl = (header.index(c) for c in ("time", "high", "low", "close"))
        for row in reader:
            day = datetime.fromtimestamp(int(row[t]), UTC).date()
            out[day] = (float(row[hi]), float(row[lo]), float(row[cl]))
    return out


def binance_minutes(pack: Path) -> list[tuple[datetime, float, float]]:
    """Binance 1m bars of the pack: (open time UTC, high, low)."""
    path = next((pack / "intraday").glob("binance_usdm_BTCUSDT_1m_*.csv"))
    with path.open(newline="") as fh:
        return [
            (datetime.fromtimestamp(int(r["open_time"]) / 1000, UTC), float(r["high"]), float(r["low"]))
            for r in csv.DictReader(fh)
        ]
