"""Independent readers of the raw pack CSVs (csv module only), used to recompute expected numbers."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path


def coingecko_closes(pack: Path, sym: str) -> dict[date, float]:
    """Close of each UTC day D = the CoinGecko snapshot taken at D+1 00:00 UTC."""
    out: dict[date, float] = {}
    with (pack / "daily" / "coingecko_exports" / f"{sym}-usd-max.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            snap = date.fromisoformat((row.get("snapped_at") or row["date"])[:10])
            if row["price"]:
                out[snap - timedelta(days=1)] = float(row["price"])
    return out


def yahoo_rows(pack: Path, sym: str) -> dict[date, dict[str, float]]:
    """Yahoo daily OHLC keyed by the UTC day."""
    path = next((pack / "daily" / "yahoo_crypto_ohlcv").glob(f"yahoo_{sym}-USD_daily_*.csv"))
    with path.open(newline="") as f:
        return {
            date.fromisoformat(r["Date"]): {k: float(r[k]) for k in ("Open", "High", "Low", "Close")}
            for r in csv.DictReader(f)
        }


def tradingview_total(pack: Path) -> dict[date, dict[str, float]]:
    """TradingView CRYPTOCAP:TOTAL daily OHLC keyed by the UTC day of its open time."""
    path = next((pack / "total_market_cap").glob("tradingview_CRYPTOCAP_TOTAL_*.csv"))
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        idx = {name: header.index(name) for name in ("time", "open", "high", "low", "close")}
        return {
            datetime.fromtimestamp(int(r[idx["time"]]), UTC).date(): {
                k: float(r[idx[k]]) for k in ("open", "high", "low", "close")
            }
            for r in reader
        }


def change(closes: dict[date, float], start: date, end: date) -> float:
    """Percent change between the closes of two days."""
    return (closes[end] / closes[start] - 1.0) * 100.0
