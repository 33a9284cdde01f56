"""Daily total-market bars built from intraday CoinGecko /global snapshots."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from cryptodesk.core.models import UTC_TS
from cryptodesk.desk.live import DERIVED_GLOBAL_SOURCE, daily_from_snapshots
from cryptodesk.store.state import GLOBAL_POINT_SCHEMA, feed_gaps

DAY1 = datetime(2023, 1, 16, tzinfo=UTC)


def _points(times: list[datetime], seed: int) -> tuple[pl.DataFrame, list[dict[str, object]]]:
    rng = random.Random(seed)
    rows = [
        {
            "ts": t,
            "total_market_cap": 9.0e11 + rng.uniform(-5e10, 5e10),
            "total_volume": 4.0e10 + rng.uniform(-1e9, 1e9),
            "btc_dominance": 40 + rng.uniform(-1, 1),
            "eth_dominance": 18 + rng.uniform(-1, 1),
            "active_assets": 9000 + i,
        }
        for i, t in enumerate(times)
    ]
    shuffled = rows[:]
    rng.shuffle(shuffled)  # the function must not rely on the input order
    return pl.DataFrame(shuffled, schema=GLOBAL_POINT_SCHEMA), rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_complete_days_only_with_first_last_max_min(seed: int) -> None:
    day1 = [DAY1 + timedelta(minutes=15 * i + 7) for i in range(96)]  # every quarter-hour: complete
    day2 = [DAY1 + timedelta(days=1, hours=h) for h in (0, 3, 7, 11, 19, 23)]  # no sample 12:00-17:59: left out
    day3 = [DAY1 + timedelta(days=2, hours=h) for h in (1, 7, 13, 19)]  # one per quarter: complete
    day4 = [DAY1 + timedelta(days=3, hours=h) for h in (0, 6, 12)]  # today: not over yet
    frame, rows = _points(day1 + day2 + day3 + day4, seed)
    bars = daily_from_snapshots(frame, DAY1 + timedelta(days=3, hours=13))
    assert bars.get_column("ts").to_list() == [DAY1, DAY1 + timedelta(days=2)]
    assert set(bars.get_column("source")) == {DERIVED_GLOBAL_SOURCE}
    assert set(bars.get_column("interval")) == {"1d"}
    for bar, day in zip(bars.iter_rows(named=True), (day1, day3), strict=True):
        mine = [r for r in rows if r["ts"] in set(day)]
        caps = [float(str(r["total_market_cap"])) for r in mine]
        assert bar["open"] == caps[0]
        assert bar["total_market_cap"] == caps[-1]
        assert bar["high"] == max(caps)
        assert bar["low"] == min(caps)
        assert bar["total_volume"] == mine[-1]["total_volume"]
        assert bar["btc_dominance"] == mine[-1]["btc_dominance"]


def test_no_points_no_bars() -> None:
    assert daily_from_snapshots(pl.DataFrame(schema=GLOBAL_POINT_SCHEMA), DAY1).is_empty()


def test_feed_gaps_merge_overlaps_and_open_intervals() -> None:
    t = DAY1
    cov = pl.DataFrame(
        {
            "exchange": ["a", "a", "a", "a", "b", "b"],
            "feed": ["f"] * 6,
            "start": [t, t + timedelta(seconds=5), t + timedelta(seconds=30), t + timedelta(seconds=40), t, t],
            "end": [
                t + timedelta(seconds=10),
                t + timedelta(seconds=8),  # inside the first: no gap
                t + timedelta(seconds=35),
                None,  # still connected
                t + timedelta(seconds=1),
                None,
            ],
        },
        schema={"exchange": pl.Utf8, "feed": pl.Utf8, "start": UTC_TS, "end": UTC_TS},
    )
    gaps = feed_gaps(cov)
    assert gaps.select("exchange", "gap_start", "gap_end", "seconds").rows() == [
        ("a", t + timedelta(seconds=10), t + timedelta(seconds=30), 20.0),
        ("a", t + timedelta(seconds=35), t + timedelta(seconds=40), 5.0),
    ]
    assert feed_gaps(cov, min_seconds=10).height == 1
