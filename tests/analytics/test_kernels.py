"""Kernels against independent implementations (plain Python loops, pandas rolling)."""

from __future__ import annotations

import itertools
import math
import statistics
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from cryptodesk.analytics import kernels as k

from .reference import rsi_loop

NAN = float("nan")


def _walk(n: int, seed: int, start: float = 100.0) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(v) for v in start * np.exp(np.cumsum(rng.normal(0, 0.03, n)))]


def _with_gaps(values: list[float], every: int) -> list[float]:
    return [NAN if i % every == every - 1 else v for i, v in enumerate(values)]


def _days(n: int, start: date = date(2022, 12, 1), skip: tuple[int, ...] = ()) -> list[date]:
    """``n`` dates from ``start``, one a day, jumping an extra day after each index in ``skip``."""
    out, d = [], start
    for i in range(n):
        out.append(d)
        d += timedelta(days=2 if i in skip else 1)
    return out


def _same(actual: np.ndarray, expected: list[float], rel: float = 1e-9) -> None:
    assert len(actual) == len(expected)
    for a, e in zip(actual.tolist(), expected, strict=True):
        if math.isnan(e):
            assert math.isnan(a), (a, e)
        else:
            assert a == pytest.approx(e, rel=rel, abs=1e-12)


SERIES = {
    "walk": _walk(120, 1),
    "walk_gaps": _with_gaps(_walk(120, 2), 17),
    "short": [1.0, 2.0, 3.0],
    "flat": [5.0] * 30,
    "empty": [],
}


@pytest.mark.parametrize("name", list(SERIES))
@pytest.mark.parametrize("n", [1, 2, 5, 50])
def test_sma_matches_pandas_rolling_mean(name: str, n: int) -> None:
    values = SERIES[name]
    expected = pd.Series(values, dtype=float).rolling(n).mean().tolist()
    _same(k.sma(values, n), expected)


@pytest.mark.parametrize("name", list(SERIES))
@pytest.mark.parametrize("n", [2, 5, 50])
def test_rolling_std_is_sample_std(name: str, n: int) -> None:
    values = SERIES[name]
    expected = pd.Series(values, dtype=float).rolling(n).std(ddof=1).tolist()
    _same(k.rolling_std(values, n), expected, rel=1e-7)


@pytest.mark.parametrize(("fn", "n"), [(k.sma, 0), (k.rolling_std, 1), (k.rsi, 0)])
def test_bad_window_is_rejected(fn: object, n: int) -> None:
    with pytest.raises(ValueError, match="n must"):
        fn([1.0, 2.0, 3.0], n)  # type: ignore[operator]


def _sigma_loop(values: list[float], n: int) -> list[float]:
    out = []
    for i in range(len(values)):
        win = values[i + 1 - n : i + 1] if i + 1 >= n else []
        if len(win) < n or any(math.isnan(v) for v in win) or statistics.stdev(win) == 0:
            out.append(NAN)
        else:
            out.append((values[i] - statistics.fmean(win)) / statistics.stdev(win))
    return out


@pytest.mark.parametrize("name", ["walk", "walk_gaps", "short", "flat"])
@pytest.mark.parametrize("n", [5, 20, 50])
def test_sigma_distance_matches_loop(name: str, n: int) -> None:
    values = SERIES[name]
    _same(k.sigma_distance(values, n), _sigma_loop(values, n), rel=1e-7)


@pytest.mark.parametrize(
    "values",
    [_walk(200, 3), _walk(40, 4), [float(i) for i in range(1, 30)], [30.0 - i for i in range(25)], [1.0] * 10],
    ids=["walk200", "walk40", "rising", "falling", "too_short"],
)
@pytest.mark.parametrize("n", [2, 14])
def test_rsi_matches_wilder_loop(values: list[float], n: int) -> None:
    _same(k.rsi(values, n), rsi_loop(values, n), rel=1e-6)


def test_rsi_extremes() -> None:
    assert k.rsi([float(i) for i in range(1, 40)], 14)[-1] == pytest.approx(100.0)
    assert k.rsi([40.0 - i for i in range(39)], 14)[-1] == pytest.approx(0.0)


def _lookback_loop(dates: list[date], days: int, tolerance: int | None = None) -> list[int]:
    out = []
    for d in dates:
        target = d - timedelta(days=days)
        before = [i for i, x in enumerate(dates) if x <= target]
        ok = before and (tolerance is None or (target - dates[before[-1]]).days <= tolerance)
        out.append(before[-1] if ok else -1)
    return out


DATE_CASES = {
    "daily": _days(60),
    "gaps": _days(60, skip=(5, 6, 30, 44)),
    "year_end": _days(70, start=date(2022, 11, 20), skip=(40,)),
    "one": _days(1),
    "long_gap": [*_days(10, start=date(2022, 12, 1)), *_days(10, start=date(2023, 1, 5))],
}


@pytest.mark.parametrize("case", list(DATE_CASES))
@pytest.mark.parametrize("days", [1, 7, 30, 365])
@pytest.mark.parametrize("tolerance", [None, 0, 7])
def test_lookback_index_and_pct_change(case: str, days: int, tolerance: int | None) -> None:
    dates = DATE_CASES[case]
    values = _walk(len(dates), 5)
    expected = _lookback_loop(dates, days, tolerance)
    assert k.lookback_index(dates, days, tolerance=tolerance).tolist() == expected
    pct = [values[i] / values[j] - 1 if j >= 0 else NAN for i, j in enumerate(expected)]
    _same(k.pct_change_days(dates, values, days, tolerance=tolerance), pct)


@pytest.mark.parametrize("case", list(DATE_CASES))
@pytest.mark.parametrize("tolerance", [None, 0, 7])
def test_ytd_uses_last_close_of_previous_year(case: str, tolerance: int | None) -> None:
    dates = DATE_CASES[case]
    values = _walk(len(dates), 6)
    expected_idx = []
    for d in dates:
        prior = [i for i, x in enumerate(dates) if x.year < d.year]
        stale = prior and tolerance is not None and (date(d.year - 1, 12, 31) - dates[prior[-1]]).days > tolerance
        expected_idx.append(prior[-1] if prior and not stale else -1)
    assert k.ytd_base_index(dates, tolerance=tolerance).tolist() == expected_idx
    pct = [values[i] / values[j] - 1 if j >= 0 else NAN for i, j in enumerate(expected_idx)]
    _same(k.ytd_change(dates, values, tolerance=tolerance), pct)


@pytest.mark.parametrize("case", ["daily", "gaps", "year_end"])
@pytest.mark.parametrize("days", [None, 1, 10, 30, 365])
def test_window_high_low_matches_loop(case: str, days: int | None) -> None:
    dates = DATE_CASES[case]
    values = _with_gaps(_walk(len(dates), 7), 9)
    inside = [i for i, d in enumerate(dates) if days is None or d > dates[-1] - timedelta(days=days)]
    finite = [i for i in inside if not math.isnan(values[i])]
    hi = max(finite, key=lambda i: (values[i], -i)) if finite else None
    lo = min(finite, key=lambda i: (values[i], i)) if finite else None
    assert k.window_high_low(dates, values, days) == (hi, lo)


@pytest.mark.parametrize("case", ["daily", "gaps", "year_end", "long_gap", "one"])
@pytest.mark.parametrize("days", [1, 3, 30, 365])
@pytest.mark.parametrize("mode", ["max", "min"])
def test_rolling_extreme_days_matches_loop(case: str, days: int, mode: str) -> None:
    dates = DATE_CASES[case]
    values = _with_gaps(_walk(len(dates), 12), 6)
    pick = max if mode == "max" else min
    expected = []
    for d in dates:
        window = [
            v for x, v in zip(dates, values, strict=True) if d - timedelta(days=days) < x <= d and not math.isnan(v)
        ]
        expected.append(pick(window) if window else NAN)
    _same(k.rolling_extreme_days(dates, values, days, mode=mode), expected)
    if days == 365:
        hi, lo = k.window_extremes(dates, values, days)
        extreme = hi if mode == "max" else lo
        assert extreme is not None
        assert extreme.value == expected[-1]
        assert values[extreme.row] == extreme.value
        assert str(extreme.date) == dates[extreme.row].isoformat()


def test_rolling_extreme_days_edges() -> None:
    assert len(k.rolling_extreme_days([], [], 5)) == 0
    with pytest.raises(ValueError, match="mode"):
        k.rolling_extreme_days([date(2023, 1, 1)], [1.0], 5, mode="mean")
    assert k.window_extremes([], [], None) == (None, None)


def test_extremes_of_empty_or_all_nan_are_none() -> None:
    assert k.extreme_index([], 0) is None
    assert k.extreme_index([NAN, NAN], 0, mode="min") is None
    with pytest.raises(ValueError, match="mode"):
        k.extreme_index([1.0], 0, mode="mean")


@pytest.mark.parametrize(
    "values", [_walk(80, 8), _with_gaps(_walk(80, 9), 7), [3.0, 2.0, 1.0], []], ids=["walk", "gaps", "falling", "empty"]
)
def test_drawdown_matches_running_peak_loop(values: list[float]) -> None:
    peak, expected = -math.inf, []
    for v in values:
        if not math.isnan(v):
            peak = max(peak, v)
        expected.append(NAN if math.isnan(v) else v / peak - 1)
    _same(k.drawdown(values), expected)


@pytest.mark.parametrize("case", ["daily", "gaps", "year_end"])
@pytest.mark.parametrize(("days", "min_count"), [(30, 15), (7, 1), (30, 30)])
def test_trailing_mean_matches_pandas_time_window(case: str, days: int, min_count: int) -> None:
    dates = DATE_CASES[case]
    volume = _with_gaps([v * 1e9 for v in _walk(len(dates), 10)], 11)
    s = pd.Series(volume, index=pd.DatetimeIndex(pd.to_datetime(dates)))
    base = s.rolling(f"{days}D", closed="left", min_periods=min_count).mean()
    _same(k.trailing_mean_days(dates, volume, days, min_count=min_count), base.tolist())
    ratio = (s / base).tolist()
    _same(k.volume_ratio(dates, volume, days, min_count=min_count), ratio)


def test_volume_ratio_excludes_the_day_itself() -> None:
    dates = _days(31)
    volume = [10.0] * 30 + [50.0]
    assert k.trailing_mean_days(dates, volume, 30)[-1] == pytest.approx(10.0)
    assert k.volume_ratio(dates, volume, 30)[-1] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, -1.0, 3.0], 1 / 3),
        ([1.0, 2.0, 3.0, 0.5], 1.0),
        ([0.2, 2.0, 3.0, 1.5], 3 / 4),
        ([-1.0, -3.0, 0.5, -2.0], 2 / 4),
        ([NAN, 2.0, NAN, 1.0], 1.0),
        ([1.0, NAN], None),
        ([], None),
    ],
)
def test_sigma_rarity_table(values: list[float], expected: float | None) -> None:
    got = k.sigma_rarity(values)
    assert got == (None if expected is None else pytest.approx(expected))


def test_sigma_rarity_matches_loop_on_walk() -> None:
    sigma = _sigma_loop(_walk(300, 11), 50)
    hist = [s for s in sigma if not math.isnan(s)]
    last = hist[-1]
    share = sum(1 for s in hist if (s >= last if last >= 0 else s <= last)) / len(hist)
    assert k.sigma_rarity(sigma) == pytest.approx(share)


ZIGZAG_TABLE = [
    # closes, threshold, expected (index, kind, confirmed)
    ([100, 105, 110, 99, 95, 104, 106], 0.1, [(2, "high", True), (4, "low", True), (6, "high", False)]),
    ([100, 95, 90, 99.5, 98], 0.1, [(0, "high", True), (2, "low", True), (3, "high", False)]),
    ([100, 101, 102, 103], 0.1, []),
    ([100, 91, 100, 89, 120, 100], 0.1, [(0, "high", True), (3, "low", True), (4, "high", True), (5, "low", False)]),
    ([100, 120, 100, 121], 0.2, [(0, "low", True), (3, "high", False)]),
]


@pytest.mark.parametrize(("closes", "threshold", "expected"), ZIGZAG_TABLE)
def test_zigzag_table(closes: list[float], threshold: float, expected: list[tuple[int, str, bool]]) -> None:
    got = [(p.index, p.kind, p.confirmed) for p in k.zigzag(closes, None, threshold)]
    assert got == expected


def test_zigzag_uses_highs_and_lows() -> None:
    high = [10.0, 10.5, 11.0, 10.2, 12.5]
    low = [9.5, 9.8, 9.9, 9.0, 11.0]
    pivots = k.zigzag(high, low, 0.15)
    assert [(p.index, p.kind, p.value, p.confirmed) for p in pivots] == [
        (0, "low", 9.5, True),
        (2, "high", 11.0, True),
        (3, "low", 9.0, True),
        (4, "high", 12.5, False),
    ]
    swing_low, swing_high = k.last_swings(high, low, 0.15)
    assert swing_low is not None
    assert (swing_low.index, swing_low.value) == (3, 9.0)
    assert swing_high is not None
    assert (swing_high.index, swing_high.value) == (2, 11.0)
    assert k.zigzag(high, None, 0.15) == [k.Pivot(0, "low", 10.0, True), k.Pivot(4, "high", 12.5, False)]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("threshold", [0.05, 0.1, 0.2])
def test_zigzag_invariants_on_random_walks(seed: int, threshold: float) -> None:
    """Pivots alternate, each leg moves at least the threshold and ends at its extreme."""
    values = _walk(400, seed)
    pivots = k.zigzag(values, None, threshold)
    confirmed = [p for p in pivots if p.confirmed]
    assert all(p.confirmed for p in pivots[:-1])
    for a, b in itertools.pairwise(pivots):
        assert a.kind != b.kind
        assert a.index < b.index
        segment = values[a.index : b.index + 1]
        if a.kind == "low":
            assert b.value == max(segment)
        else:
            assert b.value == min(segment)
        if a.kind == "low":
            assert b.value >= a.value * (1 + threshold)
        else:
            assert b.value <= a.value * (1 - threshold)
    for p in confirmed:
        later = values[p.index + 1 :]
        if p.kind == "high":
            assert min(later) <= p.value * (1 - threshold)
        else:
            assert max(later) >= p.value * (1 + threshold)


def test_zigzag_outside_bars() -> None:
    """An outside bar before the first swing restarts the search; inside a leg the extension wins."""
    high = [10.0, 12.0, 11.0, 13.5]
    low = [9.0, 8.0, 10.0, 12.5]
    got = k.zigzag(high, low, 0.1)
    assert (got[0].index, got[0].kind, got[0].value) == (1, "low", 8.0)
    rising = k.zigzag([10.0, 11.5, 13.0], [9.5, 10.5, 9.0], 0.1)
    assert [(p.index, p.kind, p.confirmed) for p in rising] == [(0, "low", True), (2, "high", False)]


def test_zigzag_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="threshold"):
        k.zigzag([1.0, 2.0], None, 1.5)
    with pytest.raises(ValueError, match="length"):
        k.zigzag([1.0, 2.0], [1.0], 0.1)
    assert k.zigzag([NAN, NAN]) == []
    assert k.last_swings([]) == (None, None)


def test_trailing_mean_days_keeps_precision_after_a_collapse() -> None:
    """Values falling from 1e12 to 1e3: each window's mean equals a direct numpy mean to 1e-12 relative."""
    import datetime as _dt

    days = np.array([np.datetime64(_dt.date(2022, 1, 1)) + np.timedelta64(i, "D") for i in range(200)])
    values = np.where(np.arange(200) < 100, 1e12 * (1 + np.sin(np.arange(200))), 1e3 * (2 + np.cos(np.arange(200))))
    got = k.trailing_mean_days(days, values, 30, min_count=15)
    for i in range(30, 200):
        expected = values[i - 30 : i].mean()
        assert got[i] == pytest.approx(expected, rel=1e-12)


def test_sigma_distance_of_a_flat_window_is_undefined() -> None:
    x = np.concatenate([np.linspace(1.0, 2.0, 60), np.full(60, 0.1 + 0.2)])
    out = k.sigma_distance(x, 50)
    assert np.isnan(out[-1])
    assert np.isfinite(out[59])
