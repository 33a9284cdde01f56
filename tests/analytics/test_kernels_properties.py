"""Property tests of the kernels on generated series (hypothesis), against pandas and plain loops."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptodesk.analytics import kernels as k

PRICES = st.lists(
    st.one_of(st.floats(min_value=0.01, max_value=1e6), st.just(float("nan"))),
    min_size=0,
    max_size=120,
)
STEPS = st.lists(st.integers(min_value=1, max_value=10), min_size=1, max_size=80)


def _dates(steps: list[int]) -> list[date]:
    start = date(2021, 12, 1)
    return [start + timedelta(days=d) for d in itertools.accumulate(steps, initial=0)][: len(steps)]


def _close(a: np.ndarray, b: list[float]) -> bool:
    return all(
        (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-6)
        for x, y in zip(a, b, strict=True)
    )


@settings(max_examples=60, deadline=None)
@given(values=PRICES, n=st.integers(min_value=2, max_value=30))
def test_sma_and_std_match_pandas(values: list[float], n: int) -> None:
    s = pd.Series(values, dtype=float)
    assert _close(k.sma(values, n), s.rolling(n).mean().tolist())
    assert _close(k.rolling_std(values, n), s.rolling(n).std(ddof=1).tolist())


@settings(max_examples=60, deadline=None)
@given(steps=STEPS, days=st.sampled_from([1, 7, 30, 365]), tolerance=st.sampled_from([None, 0, 3, 7]))
def test_lookback_matches_loop(steps: list[int], days: int, tolerance: int | None) -> None:
    dates = _dates(steps)
    got = k.lookback_index(dates, days, tolerance=tolerance).tolist()
    for i, d in enumerate(dates):
        target = d - timedelta(days=days)
        before = [j for j, x in enumerate(dates) if x <= target]
        ok = before and (tolerance is None or (target - dates[before[-1]]).days <= tolerance)
        assert got[i] == (before[-1] if ok else -1)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS, seed=st.integers(0, 1000), min_count=st.integers(1, 20))
def test_trailing_mean_matches_pandas(steps: list[int], seed: int, min_count: int) -> None:
    dates = _dates(steps)
    volume = np.random.default_rng(seed).uniform(1, 100, len(dates))
    s = pd.Series(volume, index=pd.DatetimeIndex(pd.to_datetime(dates)))
    expected = s.rolling("30D", closed="left", min_periods=min_count).mean().tolist()
    assert _close(k.trailing_mean_days(dates, volume, 30, min_count=min_count), expected)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 300),
    threshold=st.sampled_from([0.03, 0.1, 0.25]),
)
def test_zigzag_with_highs_and_lows(seed: int, n: int, threshold: float) -> None:
    """Pivots alternate, sit on a bar's high/low, each leg ends at its extreme and moves at least the threshold."""
    rng = np.random.default_rng(seed)
    mid = 100 * np.exp(np.cumsum(rng.normal(0, 0.04, n)))
    spread = rng.uniform(0, 0.03, n)
    high, low = mid * (1 + spread), mid * (1 - spread)
    pivots = k.zigzag(high, low, threshold)
    assert all(p.confirmed for p in pivots[:-1])
    for a, b in itertools.pairwise(pivots):
        assert a.kind != b.kind
        assert a.index < b.index
        if a.kind == "low":
            assert a.value == low[a.index]
            assert b.value == high[b.index] == high[a.index + 1 : b.index + 1].max()
            assert b.value >= a.value * (1 + threshold)
        else:
            assert a.value == high[a.index]
            assert b.value == low[b.index] == low[a.index + 1 : b.index + 1].min()
            assert b.value <= a.value * (1 - threshold)


@settings(max_examples=60, deadline=None)
@given(values=PRICES)
def test_sigma_rarity_bounds(values: list[float]) -> None:
    got = k.sigma_rarity(values)
    finite = [v for v in values if not math.isnan(v)]
    if not values or math.isnan(values[-1]):
        assert got is None
    else:
        assert got is not None
        assert 1 / len(finite) <= got <= 1
