"""The whole-history kernels (every row at once) equal the per-prefix kernels they generalise.

Each test runs the one-row kernel on every prefix of a random series (with NaN, ties and gaps in the dates) and
compares with the row of the whole-history kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

from cryptodesk.analytics import kernels as k


def _series(seed: int, n: int, *, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = rng.choice([1, 1, 1, 2, 5], size=n)
    dates = (np.datetime64("2020-01-01") + np.cumsum(steps).astype("timedelta64[D]")).astype("datetime64[D]")
    x = np.cumsum(rng.normal(0, 1, n)) + 50
    if ties:
        x = np.round(x / 3)  # many equal values
    x[rng.random(n) < 0.05] = np.nan
    return dates, x


CASES = [(seed, n, ties) for seed in range(4) for n in (1, 2, 3, 17, 64, 65, 300) for ties in (False, True)]


@pytest.mark.parametrize(("seed", "n", "ties"), CASES)
def test_expanding_counts_equal_brute_force(seed: int, n: int, ties: bool) -> None:
    _, x = _series(seed, n, ties=ties)
    got = k.expanding_counts(x)
    for i in range(n):
        past = x[:i][np.isfinite(x[:i])]
        assert got.valid[i] == len(past)
        if np.isfinite(x[i]):
            assert got.at_least[i] == np.count_nonzero(past >= x[i])
            assert got.at_most[i] == np.count_nonzero(past <= x[i])


@pytest.mark.parametrize(("seed", "n", "ties"), CASES)
def test_expanding_counts_give_sigma_rarity_of_every_prefix(seed: int, n: int, ties: bool) -> None:
    _, x = _series(seed, n, ties=ties)
    x = x - np.nanmean(x) if np.isfinite(x).any() else x  # both signs
    c = k.expanding_counts(x)
    for i in range(n):
        want = k.sigma_rarity(x[: i + 1])
        if want is None:
            assert not np.isfinite(x[i])
            continue
        hits = (c.at_least[i] if x[i] >= 0 else c.at_most[i]) + 1
        assert hits / (c.valid[i] + 1) == want


@pytest.mark.parametrize(("seed", "n", "ties"), CASES)
@pytest.mark.parametrize("mode", ["max", "min"])
def test_running_extreme_index_equals_extreme_index(seed: int, n: int, ties: bool, mode: str) -> None:
    _, x = _series(seed, n, ties=ties)
    got = k.running_extreme_index(x, mode=mode)
    for i in range(n):
        want = k.extreme_index(x[: i + 1], mode=mode)
        assert got[i] == (-1 if want is None else want)


@pytest.mark.parametrize(("seed", "n", "ties"), CASES)
@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_window_extreme_index_equals_window_high_low(seed: int, n: int, ties: bool, days: int) -> None:
    d, x = _series(seed, n, ties=ties)
    hi = k.window_extreme_index(d, x, days, mode="max")
    lo = k.window_extreme_index(d, x, days, mode="min")
    for i in range(n):
        want_hi, want_lo = k.window_high_low(d[: i + 1], x[: i + 1], days)
        assert hi[i] == (-1 if want_hi is None else want_hi)
        assert lo[i] == (-1 if want_lo is None else want_lo)


@pytest.mark.parametrize(("seed", "n", "ties"), CASES)
@pytest.mark.parametrize("mode", ["max", "min"])
def test_previous_reach_index_equals_a_backward_scan(seed: int, n: int, ties: bool, mode: str) -> None:
    _, x = _series(seed, n, ties=ties)
    got = k.previous_reach_index(x, mode=mode)
    for i in range(n):
        past = x[:i]
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(past >= x[i] if mode == "max" else past <= x[i])
        assert got[i] == (int(hits[-1]) if hits.size else -1), i


@pytest.mark.parametrize(("seed", "n", "ties"), CASES)
@pytest.mark.parametrize("first", [0, 1, 5, 60])
def test_expanding_counts_at_some_rows_equal_all_rows(seed: int, n: int, ties: bool, first: int) -> None:
    _, x = _series(seed, n, ties=ties)
    whole, part = k.expanding_counts(x), k.expanding_counts_at(x, min(first, n))
    rows = slice(min(first, n), None)
    assert np.array_equal(part.valid, whole.valid)
    assert np.array_equal(part.at_least[rows], whole.at_least[rows])
    assert np.array_equal(part.at_most[rows], whole.at_most[rows])
