"""The benchmark baselines compute what cryptodesk computes (so the timed comparisons are like for like)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import talib

from baselines import pandas_indicators, talib_sma_rsi, to_pandas_daily
from common import daily_long
from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.panel import indicators

COLUMNS = ["close", "sma50", "sma200", "rsi14", "high_52w", "low_52w", "ath", "atl", "drawdown", "volume_avg30"]
COLUMNS += [f"chg_{w}_base" for w in ("1d", "7d", "30d", "ytd", "1y")]


def same(a: float, b: float, tol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(b))


@pytest.mark.parametrize(
    "as_of",
    [datetime(2023, 3, 1, 6, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 12, 31, 18, tzinfo=UTC)],
)
def test_pandas_baseline_equals_panel(tiny_root: Path, as_of: datetime) -> None:
    """Every figure within 1e-9, σ within 1e-6 (pandas' rolling std is a running sum and drifts)."""
    daily = daily_long("T", tiny_root)
    ref = pandas_indicators(to_pandas_daily(daily), as_of)
    got = indicators(daily, as_of).to_pandas().set_index("asset_id")
    assert sorted(ref.index) == sorted(got.index)
    assert len(got) >= 20
    for aid in got.index:
        for col in COLUMNS:
            a, b = float(got.at[aid, col] if got.at[aid, col] is not None else math.nan), float(ref.at[aid, col])
            assert same(a, b, 1e-9), f"{aid}.{col} at {as_of}: panel {a!r} vs pandas {b!r}"
        assert same(float(got.at[aid, "sigma"]), float(ref.at[aid, "sigma"]), 1e-6), aid


def test_talib_loop_equals_kernels() -> None:
    """Figure 3 compares equal results: kernels.sma/rsi vs talib.SMA/RSI on series of several lengths."""
    rng = np.random.default_rng(5)
    series = [np.exp(np.cumsum(rng.normal(0, 0.05, n))) * 100 for n in (10, 51, 300, 2000)]
    ta_sma, ta_rsi = talib_sma_rsi(series)
    for x, s, r in zip(series, ta_sma, ta_rsi, strict=True):
        np.testing.assert_allclose(k.sma(x, 50), s, rtol=1e-9, equal_nan=True)
        np.testing.assert_allclose(k.rsi(x, 14), r, rtol=1e-9, equal_nan=True)
        np.testing.assert_allclose(talib.SMA(x, timeperiod=50), s)
