"""Highest/lowest since: synthetic tables and real moments from the data pack."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events.base import DetectParams, score_from_days
from cryptodesk.events.extremes import detect_extremes, since

START = date(2024, 1, 1)


def _run(frames: MarketFrames, **params: object) -> list[Event]:
    return detect_extremes(frames, Analysis(frames.as_of, None), DetectParams(**params))  # type: ignore[arg-type]


def _expected_since(values: list[float], dates: list[date], high: bool) -> date | None:
    """Independent scan backwards for the last value at least as high (low) as the latest."""
    v = values[-1]
    for i in range(len(values) - 2, -1, -1):
        if (values[i] >= v) if high else (values[i] <= v):
            return dates[i]
    return None


def _pick(events: list[Event], subject: str, metric: str, direction: str) -> Event:
    found = [e for e in events if (e.subject, e.metric, e.direction) == (subject, metric, direction)]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("closes", "direction", "min_days"),
    [
        ([5, 9, 3, 4, 5, 6, 8], "high", 3),  # highest since day 1 (9 >= 8)
        ([5, 9, 3, 4, 5, 6, 10], "high", 3),  # all-time high
        ([5, 1, 3, 4, 5, 6, 2], "low", 3),  # lowest since day 1
        ([5, 1, 3, 4, 5, 6, 1], "low", 3),  # a tie counts as "as low": since day 1
        ([5, 9, 3, 4, 5, 6, 0.5], "low", 3),  # all-time low
    ],
)
def test_synthetic_extremes(
    synth: Callable[..., MarketFrames], closes: list[float], direction: str, min_days: int
) -> None:
    dates = [START + timedelta(days=i) for i in range(len(closes))]
    ev = _pick(_run(synth({"coin": closes}), extreme_min_days=min_days), "coin", "close", direction)
    since = _expected_since([float(c) for c in closes], dates, direction == "high")
    days = (dates[-1] - (since or dates[0])).days
    assert (ev.kind, ev.value, ev.since) == ("extreme", closes[-1], since)
    assert ev.score == pytest.approx(score_from_days(days))
    assert ev.details["history_start"] == START


@pytest.mark.parametrize(("closes", "min_days"), [([5, 9, 3, 4, 5, 6, 8], 10), ([5, 6, 7], 3), ([5], 1)])
def test_below_minimum_gap_nothing(synth: Callable[..., MarketFrames], closes: list[float], min_days: int) -> None:
    assert _run(synth({"coin": closes}), extreme_min_days=min_days) == []


def test_index_high_and_low_use_their_own_history(synth: Callable[..., MarketFrames]) -> None:
    total = {
        "close": [10, 11, 12, 11, 10, 10.5],
        "high": [12, 20, 13, 12, 11, 19],
        "low": [9, 10, 11, 10, 5, 6],
    }
    events = _run(synth({}, total=total), extreme_min_days=3)
    high = _pick(events, "total_market_cap", "day_high", "high")
    assert (high.value, high.since) == (19.0, START + timedelta(days=1))
    assert not [e for e in events if e.metric == "day_low"]  # 6 is above the 5 of the day before
    assert not [e for e in events if e.metric == "close"]


# --------------------------------------------------------------------------- real moments from the pack


def test_btc_all_time_high_november_2021(
    pack_frames: Callable[[datetime], MarketFrames], raw_closes: Callable[[str], dict[date, float]]
) -> None:
    raw = raw_closes("btc")
    peak_day = max((d for d in raw if d.year == 2021), key=lambda d: raw[d])
    assert (peak_day.year, peak_day.month) == (2021, 11)
    assert raw[peak_day] > max(c for d, c in raw.items() if d < peak_day)
    as_of = datetime.combine(peak_day + timedelta(days=1), time(1), tzinfo=UTC)
    ev = _pick(_run(pack_frames(as_of)), "bitcoin", "close", "high")
    assert ev.since is None
    assert ev.value == pytest.approx(raw[peak_day])
    assert ev.score == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("as_of", "bar_day", "metric", "direction", "field"),
    [
        # FTX: the 2022-11-09 bar (known at 11-10 00:00 UTC) closes and trades at lows not seen for years
        (datetime(2022, 11, 10, 0, 30, tzinfo=UTC), date(2022, 11, 9), "close", "low", "close"),
        (datetime(2022, 11, 10, 0, 30, tzinfo=UTC), date(2022, 11, 9), "day_low", "low", "low"),
        # 2023-01-18 12:30 ET: the latest closed bar is Jan 17, whose HIGH is the highest since 2022-11-08
        (datetime(2023, 1, 18, 17, 30, tzinfo=UTC), date(2023, 1, 17), "day_high", "high", "high"),
        # June 2022 crash: the 06-18 bar's close
        (datetime(2022, 6, 19, 12, 0, tzinfo=UTC), date(2022, 6, 18), "close", "low", "close"),
    ],
)
def test_total_market_cap_extremes(
    pack_frames: Callable[[datetime], MarketFrames],
    raw_total: dict[date, dict[str, float]],
    as_of: datetime,
    bar_day: date,
    metric: str,
    direction: str,
    field: str,
) -> None:
    days = sorted(d for d in raw_total if d <= bar_day)
    values = [raw_total[d][field] for d in days]
    expected = _expected_since(values, days, direction == "high")
    ev = _pick(_run(pack_frames(as_of)), "total_market_cap", metric, direction)
    assert ev.details["date"] == bar_day
    assert ev.value == pytest.approx(raw_total[bar_day][field])
    assert ev.since == expected
    if metric == "day_high":
        assert expected == date(2022, 11, 8)


def test_btc_lowest_since_on_ftx_day(
    pack_frames: Callable[[datetime], MarketFrames], raw_closes: Callable[[str], dict[date, float]]
) -> None:
    raw = raw_closes("btc")
    bar = date(2022, 11, 9)
    expected = max(d for d, c in raw.items() if d < bar and c <= raw[bar])
    ev = _pick(_run(pack_frames(datetime(2022, 11, 10, 1, tzinfo=UTC))), "bitcoin", "close", "low")
    assert ev.since == expected
    assert expected.year == 2020


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.1, max_value=1e6, allow_nan=False), min_size=2, max_size=60), st.booleans())
def test_since_is_the_last_value_at_least_as_extreme(values: list[float], high: bool) -> None:
    dates = [START + timedelta(days=i) for i in range(len(values))]
    got = since(np.array(values), dates, high)
    last = values[-1]
    later = values[dates.index(got) + 1 : -1] if got is not None else values[:-1]
    assert all((v < last) if high else (v > last) for v in later)
    if got is not None:
        v = values[dates.index(got)]
        assert (v >= last) if high else (v <= last)
