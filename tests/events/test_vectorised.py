"""The vectorised detector internals equal the straightforward loops they replaced (kept here as the reference).

Series are random walks with gaps (missing days), NaN and non-positive closes, on several seeds and lengths.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from cryptodesk.events._crossings import crossings
from cryptodesk.events._series import DailySeries
from cryptodesk.events.base import empirical_frequency, frequency_at_least
from cryptodesk.events.levels import MAX_LEVELS_SCANNED, last_time_beyond, last_times_beyond, levels_crossed, roundness
from cryptodesk.events.moves import daily_sigma
from cryptodesk.events.relative import gap_history, series_return
from cryptodesk.events.volume import volume_ratios


def _series(seed: int, n: int, *, subject: str = "x", bad: bool = True) -> DailySeries:
    rng = np.random.default_rng(seed)
    day, dates, close = date(2020, 1, 1), [], []
    price = 100.0
    for _ in range(n):
        day += timedelta(days=int(rng.choice([1, 1, 1, 1, 2, 3])))
        price *= math.exp(rng.normal(0, 0.04))
        value = price
        if bad and rng.random() < 0.02:
            value = float(rng.choice([math.nan, 0.0, -1.0]))
        dates.append(day)
        close.append(value)
    vol = rng.lognormal(10, 1, n)
    vol[rng.random(n) < 0.05] = np.nan
    c = np.array(close)
    return DailySeries.from_dates(subject, dates=dates, close=c, high=c, low=c, volume=vol, source="test")


def reference_daily_sigma(series: DailySeries, window: int) -> tuple[float, int] | None:
    """The loop daily_sigma was before vectorisation."""
    end = series.dates[-1]
    start = end - timedelta(days=window)
    rets: list[float] = []
    for i in range(1, len(series) - 1):
        d = series.dates[i]
        if d <= start or (d - series.dates[i - 1]).days != 1:
            continue
        a, b = float(series.close[i - 1]), float(series.close[i])
        if a > 0 and b > 0:
            rets.append(math.log(b / a))
    if len(rets) < max(2, window // 2):
        return None
    return float(np.std(rets, ddof=1)), len(rets)


def reference_gap_history(a: DailySeries, b: DailySeries, days: int) -> list[float]:
    """The loop gap_history was before vectorisation."""
    end = min(a.dates[-1], b.dates[-1])
    out: list[float] = []
    for d in a.dates:
        if d >= end:
            break
        ra, rb = series_return(a, days, d), series_return(b, days, d)
        if ra is not None and rb is not None:
            out.append(ra.pct - rb.pct)
    return out


def _same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-12 * max(1.0, abs(y))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "window"), [(2, 90), (40, 90), (400, 90), (400, 30), (1200, 7)])
def test_daily_sigma_equals_the_loop(seed: int, n: int, window: int) -> None:
    series = _series(seed, n)
    for cut in (n, max(1, n // 2), max(1, n - 3)):
        prefix = DailySeries(
            "x", series.days[:cut], series.close[:cut], series.high[:cut], series.low[:cut], series.volume[:cut], "t"
        )
        got, want = daily_sigma(prefix, window), reference_daily_sigma(prefix, window)
        assert (got is None) == (want is None)
        if got is not None and want is not None:
            assert got[1] == want[1]
            assert _same(got[0], want[0])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("days", [1, 7, 30])
def test_gap_history_equals_the_loop(seed: int, days: int) -> None:
    a = _series(seed, 500, subject="a")
    b = _series(seed + 100, 480, subject="b")
    got, want = gap_history(a, b, days), reference_gap_history(a, b, days)
    assert len(got) == len(want)
    assert all(_same(float(x), y) for x, y in zip(got, want, strict=True))


@pytest.mark.parametrize("seed", range(6))
def test_frequency_at_least_equals_empirical_frequency(seed: int) -> None:
    series = _series(seed, 300)
    ratios = volume_ratios(series.volume, 30)
    history = ratios[:-1][np.isfinite(ratios[:-1])]
    for value in (*history[:20].tolist(), 0.0, 1.0, 1e9, float(np.median(history))):
        assert frequency_at_least(history, value) == empirical_frequency(history.tolist(), value)


def reference_levels_crossed(prev: float, close: float) -> list[tuple[float, float]]:
    """levels_crossed before the scan was limited to the multiples between the two closes."""
    lo, hi = min(prev, close), max(prev, close)
    if not (lo > 0 and math.isfinite(hi)) or lo == hi:
        return []
    up = close > prev
    out: list[tuple[float, float]] = []
    for e in range(math.floor(math.log10(lo)), math.floor(math.log10(hi)) + 1):
        step = 10.0 ** (e - 1)
        for k in range(10, 100):
            value = float(f"{k * step:.12g}")
            if (up and prev < value <= close) or (not up and prev >= value > close):
                out.append((value, roundness(k)))
        if len(out) > MAX_LEVELS_SCANNED:
            break
    return sorted(out)


@pytest.mark.parametrize("seed", range(8))
def test_levels_crossed_equals_the_full_scan(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = [(float(a), float(a * np.exp(rng.normal(0, 0.3)))) for a in np.exp(rng.uniform(-12, 30, 300))]
    pairs += [(19_999.0, 20_000.0), (20_000.0, 19_999.99), (1e12, 9.99e11), (0.1, 0.1000001), (999.99, 1000.0)]
    for prev, close in pairs:
        got = [(lv.value, lv.roundness) for lv in levels_crossed(prev, close)]
        assert got == reference_levels_crossed(prev, close), (prev, close)


def reference_last_time_beyond(series: DailySeries, level: float, up: bool) -> date | None:
    """last_time_beyond as one scan of the whole history."""
    past = series.close[:-1]
    with np.errstate(invalid="ignore"):
        hits = np.flatnonzero(past >= level if up else past < level)
    return series.dates[int(hits[-1])] if hits.size else None


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [1, 2, 63, 64, 65, 600, 2000])
def test_last_time_beyond_equals_one_scan(seed: int, n: int) -> None:
    series = _series(seed, n)
    finite = series.close[np.isfinite(series.close)]
    levels = [*np.quantile(finite, [0.0, 0.1, 0.5, 0.9, 1.0]).tolist(), 1e12, -5.0] if finite.size else [1.0]
    for level in levels:
        for up in (True, False):
            assert last_time_beyond(series, level, up) == reference_last_time_beyond(series, level, up)
    for up in (True, False):  # every level at once, as cross_events asks
        want = [reference_last_time_beyond(series, level, up) for level in levels]
        assert last_times_beyond(series, levels, up) == want


def _level_walk(seed: int, n: int) -> DailySeries:
    """A walk over many decades that often lands on grid levels exactly, with bad values and jumps."""
    rng = np.random.default_rng(seed)
    close = np.empty(n)
    price = float(np.exp(rng.uniform(-10, 25)))
    for i in range(n):
        u = rng.random()
        if u < 0.1:  # land on a grid level (or a power of ten)
            step = 10.0 ** (math.floor(math.log10(price)) - 1)
            price = float(f"{round(price / step) * step:.12g}")
        elif u < 0.12:
            price *= float(10.0 ** rng.uniform(-7, 7))  # a jump over several decades
        else:
            price *= math.exp(rng.normal(0, 0.08))
        close[i] = price
        if rng.random() < 0.02:
            close[i] = float(rng.choice([math.nan, 0.0, -1.0, math.inf]))
    days = np.cumsum(rng.choice([1, 1, 1, 2], n)).astype(np.int64) + 18_000
    return DailySeries("x", days, close, close, close, close, "test")


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "start"), [(2, 0), (70, 0), (600, 0), (600, 250), (3000, 1)])
def test_whole_series_crossings_equal_the_loop(seed: int, n: int, start: int) -> None:
    series = _level_walk(seed, n)
    table = crossings(series, start)
    assert table.offsets.shape == (n + 1,)
    checked = 0
    for i in range(n):
        a, b = int(table.offsets[i]), int(table.offsets[i + 1])
        if i < max(1, start):
            assert a == b
            assert not table.loop[i]
            continue
        prefix = DailySeries("x", series.days[: i + 1], series.close[: i + 1], series.close[: i + 1],
                             series.close[: i + 1], series.close[: i + 1], "test")  # fmt: skip
        prev, close = float(series.close[i - 1]), float(series.close[i])
        want = levels_crossed(prev, close)
        if table.loop[i]:
            assert a == b  # left to the loop: cross_events asks levels_crossed
            continue
        assert [(lv.value, lv.roundness) for lv in want] == list(
            zip(table.level[a:b].tolist(), table.roundness[a:b].tolist(), strict=True)
        ), (i, prev, close)
        beyond = last_times_beyond(prefix, [lv.value for lv in want], close > prev)
        got = [series.dates[j] if j >= 0 else None for j in table.beyond[a:b].tolist()]
        assert got == beyond, i
        checked += b - a
    assert n < 600 or checked > 50
