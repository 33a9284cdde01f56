"""Helpers of the engine tests: the skip marker for a missing PySpark, the panel generator, JSON comparison."""

from __future__ import annotations

import importlib
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from cryptodesk.core.models import TABLES, Batch


def _has_pyspark() -> bool:
    try:
        importlib.import_module("pyspark")
    except ImportError:
        return False
    return True


HAS_PYSPARK = _has_pyspark()
needs_spark = pytest.mark.skipif(
    not HAS_PYSPARK,
    reason="pyspark is not installed, so the Spark engine tests cannot run "
    "(pip install 'cryptodesk[spark]'; CI installs it and runs them)",
)
MASTER = "local[2]"
REL = 1e-9


def close(a: Any, b: Any, path: str = "$") -> list[str]:
    """Differences between two JSON values: floats within REL relative (absolute below 1), the rest equal."""
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, int | float) or not isinstance(b, int | float):
        if isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                return [f"{path}: keys {sorted(a)} vs {sorted(b)}"]
            return [d for k in a for d in close(a[k], b[k], f"{path}.{k}")]
        if isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return [f"{path}: {len(a)} vs {len(b)} items"]
            return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in close(x, y, f"{path}[{i}]")]
        return [] if a == b else [f"{path}: {a!r} vs {b!r}"]
    fa, fb = float(a), float(b)
    if math.isnan(fa) and math.isnan(fb):
        return []
    return [] if abs(fa - fb) <= REL * max(1.0, abs(fb)) else [f"{path}: {a!r} vs {b!r}"]


def panel_batches(assets: int = 12, days: int = 420, seed: int = 7) -> list[Batch]:
    """A small generated market: CoinGecko-style midnight snapshots (price, cap, volume) for ``assets`` coins.

    Random walks with gaps, a coin listed late, a stablecoin-like flat coin, Yahoo daily candles
    (with high/low) for two coins, 1h Binance candles and sub-daily points on the last days.
    """
    rng = np.random.default_rng(seed)
    start = date(2023, 1, 1)
    ids = ["bitcoin", "ethereum", *[f"coin-{i:02d}" for i in range(assets - 2)]]
    snaps: list[dict[str, Any]] = []
    for n, aid in enumerate(ids):
        price = float(rng.uniform(1, 50_000))
        supply = float(rng.uniform(1e6, 1e9))
        first = 200 if n == 3 else 0
        for d in range(first, days):
            price *= float(np.exp(rng.normal(0, 0.04))) if n != 4 else 1.0
            if n > 4 and rng.random() < 0.03:
                continue  # a gap
            ts = datetime.combine(start + timedelta(days=d + 1), datetime.min.time(), tzinfo=UTC)
            snaps.append(
                {
                    "source": "coingecko",
                    "asset_id": aid,
                    "ts": ts,
                    "price": price,
                    "market_cap": price * supply,
                    "volume_24h": price * supply * float(rng.uniform(0.01, 0.2)),
                }
            )
    candles: list[dict[str, Any]] = []
    for aid in ("bitcoin", "coin-01"):
        rows = [r for r in snaps if r["asset_id"] == aid]
        for r in rows[-120:]:
            day = r["ts"] - timedelta(days=1)
            c = r["price"] * float(rng.uniform(0.98, 1.02))
            candles.append(_candle("yahoo", "", aid, "1d", day, c, 1.03, 0.97))
    last = datetime.combine(start + timedelta(days=days), datetime.min.time(), tzinfo=UTC)
    for h in range(30):
        candles.append(
            _candle("binance", "spot", "ethereum", "1h", last + timedelta(hours=h), 2000.0 + h, 1.002, 0.998)
        )
    points = [
        {"source": "coingecko", "asset_id": "coin-02", "ts": last + timedelta(minutes=17 + 60 * h), "price": 5.0 + h}
        for h in range(30)
    ]
    return [
        Batch("snapshots", TABLES["snapshots"].conform(pl.DataFrame(snaps + points))),
        Batch("candles", TABLES["candles"].conform(pl.DataFrame(candles))),
    ]


def panel_end(days: int = 420) -> datetime:
    """Midnight UTC after the panel's last daily close."""
    return datetime.combine(date(2023, 1, 1) + timedelta(days=days), datetime.min.time(), tzinfo=UTC)


def _candle(
    source: str, venue: str, aid: str, interval: str, t: datetime, c: float, hi: float, lo: float
) -> dict[str, Any]:
    return {
        "source": source,
        "venue": venue,
        "asset_id": aid,
        "symbol": aid[:3].upper(),
        "interval": interval,
        "open_time": t,
        "open": c,
        "high": c * hi,
        "low": c * lo,
        "close": c,
        "volume": 100.0,
        "quote_volume": 100.0 * c,
    }
