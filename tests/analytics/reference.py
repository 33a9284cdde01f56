"""Independent reference implementations (plain Python) and a csv-module reader for the pack's CoinGecko exports.

Nothing here uses cryptodesk, numpy or Polars, so expected values in the tests
do not share code with what they check.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

NAN = float("nan")


def rsi_loop(values: list[float], n: int) -> list[float]:
    """Wilder's RSI as TA-Lib computes it: simple-average seed of the first n changes, then (prev*(n-1)+x)/n."""
    out = [NAN] * len(values)
    if len(values) <= n:
        return out
    gains = [max(values[i] - values[i - 1], 0.0) for i in range(1, len(values))]
    losses = [max(values[i - 1] - values[i], 0.0) for i in range(1, len(values))]
    g, lo = sum(gains[:n]) / n, sum(losses[:n]) / n
    out[n] = 100 * g / (g + lo) if g + lo else 0.0
    for i in range(n + 1, len(values)):
        g = (g * (n - 1) + gains[i - 1]) / n
        lo = (lo * (n - 1) + losses[i - 1]) / n
        out[i] = 100 * g / (g + lo) if g + lo else 0.0
    return out


def sigma_loop(values: list[float], n: int) -> list[float]:
    """(x - mean) / sample std over the last n values (the value included), NaN where undefined."""
    out = []
    for i in range(len(values)):
        win = values[i + 1 - n : i + 1] if i + 1 >= n else []
        if len(win) < n or any(math.isnan(v) for v in win):
            out.append(NAN)
            continue
        mean = sum(win) / n
        var = sum((v - mean) ** 2 for v in win) / (n - 1)
        out.append((values[i] - mean) / math.sqrt(var) if var > 0 else NAN)
    return out


@dataclass(frozen=True)
class Row:
    """One CoinGecko export row: the close of ``day`` (snapped at ``day + 1`` 00:00 UTC)."""

    snapped: datetime
    day: date
    price: float
    market_cap: float
    volume: float


def read_export(path: Path) -> list[Row]:
    """All rows of a ``<sym>-usd-max.csv`` export, in file order."""
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            stamp = rec.get("snapped_at") or rec["date"]
            snapped = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
            rows.append(
                Row(
                    snapped,
                    snapped.date() - timedelta(days=1),
                    float(rec["price"]),
                    float(rec["market_cap"] or "nan"),
                    float(rec["total_volume"] or "nan"),
                )
            )
    return rows


def known(rows: list[Row], as_of: datetime) -> list[Row]:
    """Rows available at ``as_of``."""
    return [r for r in rows if r.snapped <= as_of]


def close_on_or_before(rows: list[Row], day: date) -> Row | None:
    """The last row dated ``day`` or earlier."""
    found = None
    for r in rows:
        if r.day <= day:
            found = r
    return found
