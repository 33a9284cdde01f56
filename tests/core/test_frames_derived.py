"""What is derived from a frames object (``core.frames.derived``) is kept with it and goes when it goes."""

from __future__ import annotations

import gc
import weakref
from dataclasses import replace
from datetime import UTC, date, datetime

import polars as pl

from cryptodesk.analytics.common import per_frames
from cryptodesk.core.frames import DAILY_SCHEMA, MarketFrames, derived
from cryptodesk.events._series import daily_series


class _Result:
    def __init__(self, value: int) -> None:
        self.value = value


def _frames(day: int) -> MarketFrames:
    as_of = datetime(2024, 3, day, 12, tzinfo=UTC)
    rows = {
        "asset_id": ["bitcoin", "bitcoin", "ethereum"],
        "date": [date(2024, 3, day - 2), date(2024, 3, day - 1), date(2024, 3, day - 1)],
        "close": [60_000.0 + day, 61_000.0 + day, 3_000.0],
        "source": ["coingecko"] * 3,
        "available_at": [datetime(2024, 3, day - 1, tzinfo=UTC), as_of, as_of],
    }
    daily = pl.DataFrame(rows).with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in DAILY_SCHEMA.items() if c not in rows]
    )
    return replace(MarketFrames.empty(as_of), daily=daily.select(DAILY_SCHEMA.keys()).cast(DAILY_SCHEMA))


def test_a_per_frames_result_is_reused_for_its_frames_and_dropped_with_them() -> None:
    calls: list[tuple[datetime, int]] = []

    @per_frames
    def compute(frames: MarketFrames, n: int) -> _Result:
        calls.append((frames.as_of, n))
        return _Result(frames.daily.height * n)

    a, b = _frames(10), _frames(20)
    first = compute(a, 2)
    assert compute(a, 2) is first
    assert compute(b, 2).value == 6
    assert compute(a, 3).value == 9
    assert compute(a, 2) is first  # asking about other frames in between does not drop a's results
    assert calls == [(a.as_of, 2), (b.as_of, 2), (a.as_of, 3)]
    copy = replace(a)
    assert compute(copy, 2) is not first  # a new bundle starts with nothing derived
    gone = weakref.ref(first)
    del first, a
    gc.collect()
    assert gone() is None
    assert len(derived(b)) == 1


def test_a_frames_series_split_goes_with_its_frames() -> None:
    frames = _frames(15)
    series = daily_series(frames, "bitcoin")
    assert series is not None
    assert series.close.tolist() == [60_015.0, 61_015.0]
    assert series.source == "coingecko"
    (split,) = derived(frames).values()  # the detectors' split of the daily rows, made once
    assert daily_series(frames, "ethereum") is not None
    assert list(derived(frames).values()) == [split]
    gone = weakref.ref(split)
    del split, frames
    gc.collect()
    assert gone() is None
