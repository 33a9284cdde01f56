"""Round-level crossings: grid, synthetic series and real moments from the data pack."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events.base import DetectParams, score_from_days
from cryptodesk.events.levels import detect_levels, level_step, levels_crossed, roundness

START = date(2024, 1, 1)


def _run(frames: MarketFrames, **params: object) -> list[Event]:
    return detect_levels(frames, Analysis(frames.as_of, None), DetectParams(**params))  # type: ignore[arg-type]


def _expected_beyond(closes: list[float], dates: list[date], level: float, up: bool) -> date | None:
    """Independent scan: walk back from the bar before the latest."""
    for i in range(len(closes) - 2, -1, -1):
        if (closes[i] >= level) if up else (closes[i] < level):
            return dates[i]
    return None


@pytest.mark.parametrize(
    ("value", "step"),
    [(20473.1, 1000.0), (1549.1, 100.0), (995.3, 10.0), (876.5e9, 10e9), (1.0004e12, 100e9), (0.0000105, 1e-6)],
)
def test_level_step(value: float, step: float) -> None:
    assert level_step(value) == pytest.approx(step)


@pytest.mark.parametrize(("multiple", "weight"), [(20, 1.0), (100, 1.0), (9, 1.0), (15, 0.85), (250, 0.85), (21, 0.7)])
def test_roundness(multiple: int, weight: float) -> None:
    assert roundness(multiple) == weight


@pytest.mark.parametrize(
    ("prev", "close", "levels"),
    [
        (20473.1, 19047.4, [20000.0]),
        (26767.3, 22525.8, [23000.0, 24000.0, 25000.0, 26000.0]),
        (974.9e9, 876.5e9, [k * 10e9 for k in range(88, 98)]),
        (991.3e9, 1000.4e9, [1e12]),
        (1068.6, 995.3, [1000.0]),  # $1,010 etc. are not levels: above $1,000 the grid is $100
        (1.05e12, 0.955e12, [960e9, 970e9, 980e9, 990e9, 1e12]),
        (9.5, 10.5, [9.6, 9.7, 9.8, 9.9, 10.0]),
        (0.0000099, 0.00001005, [0.00001]),
        (20000.0, 20999.0, []),  # starting exactly on a level is not a cross upwards
        (21000.0, 20000.0, [21000.0]),  # leaving a level downwards crosses it; landing on 20,000 does not
        (1500.0, 1500.0, []),
    ],
)
def test_levels_crossed(prev: float, close: float, levels: list[float]) -> None:
    assert [lv.value for lv in levels_crossed(prev, close)] == pytest.approx(levels)


@pytest.mark.parametrize(
    ("closes", "level", "up", "weight"),
    [
        ([19000, 20500, 19500, 19800, 20100], 20000.0, True, 1.0),
        ([100, 105, 110, 120], 120.0, True, 0.7),
        ([1650, 1480, 1520, 1610, 1590, 1495], 1500.0, False, 0.85),
        ([980e9, 1010e9, 960e9, 995e9, 1001e9], 1e12, True, 1.0),
        ([50, 20, 48, 52, 49], 50.0, False, 1.0),
        ([20000, 19000, 19500, 20100], 20000.0, True, 1.0),  # a close exactly on the level counts as beyond
        ([19000, 20000, 20500, 20000, 19900], 20000.0, False, 1.0),  # ... but not as below it
    ],
)
def test_synthetic_crossings(
    synth: Callable[..., MarketFrames], closes: list[float], level: float, up: bool, weight: float
) -> None:
    dates = [START + timedelta(days=i) for i in range(len(closes))]
    events = _run(synth({"coin": closes}), max_levels_per_subject=10)
    match = [e for e in events if e.level == pytest.approx(level)]
    assert len(match) == 1
    ev = match[0]
    beyond = _expected_beyond([float(c) for c in closes], dates, level, up)
    days = (dates[-1] - (beyond or dates[0])).days
    assert (ev.kind, ev.subject, ev.metric, ev.direction) == ("level_cross", "coin", "close", "up" if up else "down")
    assert ev.last_time_beyond == beyond
    assert ev.score == pytest.approx(score_from_days(days) * weight)
    assert ev.details["prev_close"] == closes[-2]
    assert ev.details["date"] == dates[-1]


def test_no_cross_no_event_and_stale_series_ignored(synth: Callable[..., MarketFrames]) -> None:
    assert _run(synth({"coin": [100, 101, 102]})) == []
    late = datetime.combine(START + timedelta(days=30), datetime.min.time(), tzinfo=UTC)
    assert _run(synth({"coin": [19000, 20500]}, as_of=late)) == []
    assert len(_run(synth({"coin": [19000, 20500]}, as_of=late), max_stale_days=60)) == 1


def test_keeps_the_best_levels_per_subject(synth: Callable[..., MarketFrames]) -> None:
    closes = [30000, 20000, 26767.3, 22525.8]
    events = _run(synth({"coin": closes}), max_levels_per_subject=2)
    assert len(events) == 2
    assert events[0].details["levels_crossed"] == [23000.0, 24000.0, 25000.0, 26000.0]
    # 25,000 (x5, 0.85) and 26,000 last held 2 days ago; 23,000/24,000 too: the half-round 25,000 wins
    assert events[0].level == 25000.0


def test_total_market_cap_subject(synth: Callable[..., MarketFrames]) -> None:
    total = {"close": [1.05e12, 0.95e12, 0.98e12, 1.002e12]}
    events = _run(synth({}, total=total))
    assert events[0].subject == "total_market_cap"
    assert events[0].level == 1e12
    assert events[0].last_time_beyond == START


# --------------------------------------------------------------------------- real moments from the pack

MIDNIGHT = datetime.min.time()


@pytest.mark.parametrize(
    ("subject", "sym", "bar_day", "level", "direction"),
    [
        ("bitcoin", "btc", date(2022, 6, 18), 20000.0, "down"),  # BTC below $20,000 in June 2022
        ("bitcoin", "btc", date(2023, 4, 11), 30000.0, "up"),  # back above $30,000, first since June 2022
        ("bitcoin", "btc", date(2024, 3, 10), 69000.0, "up"),  # above $69,000 for the first time
        ("ethereum", "eth", date(2022, 6, 18), 1000.0, "down"),  # ETH below $1,000
        ("ethereum", "eth", date(2023, 1, 14), 1500.0, "up"),  # ETH back above $1,500
    ],
)
def test_real_asset_crossings(
    pack_frames: Callable[[datetime], MarketFrames],
    raw_closes: Callable[[str], dict[date, float]],
    subject: str,
    sym: str,
    bar_day: date,
    level: float,
    direction: str,
) -> None:
    as_of = datetime.combine(bar_day + timedelta(days=1), MIDNIGHT, tzinfo=UTC)  # the snapshot closing bar_day
    raw = raw_closes(sym)
    days = sorted(d for d in raw if d <= bar_day)
    closes = [raw[d] for d in days]
    up = direction == "up"
    assert (closes[-2] < level <= closes[-1]) if up else (closes[-2] >= level > closes[-1])
    expected = _expected_beyond(closes, days, level, up)

    events = [e for e in _run(pack_frames(as_of)) if e.subject == subject and e.level == level]
    assert len(events) == 1
    ev = events[0]
    assert (ev.kind, ev.direction, ev.last_time_beyond) == ("level_cross", direction, expected)
    assert ev.details["date"] == bar_day
    assert ev.details["close"] == pytest.approx(raw[bar_day])


def test_real_moment_expectations_are_the_known_history(raw_closes: Callable[[str], dict[date, float]]) -> None:
    """Sanity of the table above against the well-known story (computed from the CSV)."""
    btc = raw_closes("btc")
    below_20k = max(d for d, c in btc.items() if d < date(2022, 6, 18) and c < 20000)
    above_30k = max(d for d, c in btc.items() if d < date(2023, 4, 11) and c >= 30000)
    assert below_20k.year == 2020  # last below $20,000 before the 2021 bull run
    assert (above_30k.year, above_30k.month) == (2022, 6)
    assert max(c for d, c in btc.items() if d < date(2024, 3, 10)) < 69000


@pytest.mark.parametrize(
    ("bar_day", "level", "direction"),
    [
        (date(2023, 1, 23), 1e12, "up"),  # TradingView TOTAL closes above $1T
        (date(2022, 11, 8), 900e9, "down"),  # FTX: below $900B
        (date(2022, 6, 13), 1e12, "down"),  # June 2022: below $1T
    ],
)
def test_real_total_market_cap_crossings(
    pack_frames: Callable[[datetime], MarketFrames],
    raw_total: dict[date, dict[str, float]],
    bar_day: date,
    level: float,
    direction: str,
) -> None:
    as_of = datetime.combine(bar_day + timedelta(days=1), MIDNIGHT, tzinfo=UTC) + timedelta(minutes=5)
    days = sorted(d for d in raw_total if d <= bar_day)
    closes = [raw_total[d]["close"] for d in days]
    up = direction == "up"
    expected = _expected_beyond(closes, days, level, up)

    events = [e for e in _run(pack_frames(as_of)) if e.subject == "total_market_cap" and e.level == level]
    assert len(events) == 1
    assert (events[0].direction, events[0].last_time_beyond) == (direction, expected)
    assert events[0].details["source"] == "tradingview"
    if bar_day == date(2023, 1, 23):
        assert expected == date(2022, 11, 5)


@settings(max_examples=200, deadline=None)
@given(
    prev=st.floats(min_value=1e-6, max_value=1e13, allow_nan=False),
    ratio=st.floats(min_value=0.5, max_value=2.0, allow_nan=False),
)
def test_levels_are_grid_values_inside_the_move(prev: float, ratio: float) -> None:
    close = prev * ratio
    levels = levels_crossed(prev, close)
    for lv in levels:
        assert (prev < lv.value <= close) if close > prev else (prev >= lv.value > close)
        multiple = lv.value / level_step(lv.value)
        assert abs(multiple - round(multiple)) < 1e-6
        assert 10 <= round(multiple) <= 99
    assert [lv.value for lv in levels] == sorted({lv.value for lv in levels})
