"""House-style helpers: tick labels, round levels, windows, calendar annotations."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from cryptodesk.charts.calendar import calendar_annotations
from cryptodesk.charts.common import parse_window, round_levels, signed_pct
from cryptodesk.charts.style import money_tick, pct_tick, y_axis_title
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import CALENDAR_SCHEMA


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        (1e12, 5e11, "$1.0T"),
        (2e12, 1e12, "$2T"),
        (1.25e12, 2.5e11, "$1.25T"),
        (7.5e11, 2.5e11, "$750B"),
        (966e9, 1e9, "$966B"),
        (21500, 500, "$21,500"),
        (20000, 5000, "$20,000"),
        (0.35, 0.05, "$0.35"),
        (0.0031, 0.0005, "$0.0031"),
        (-2e9, 1e9, "-$2B"),
        (0, 1e9, "$0B"),
    ],
)
def test_money_ticks_are_exact_for_their_step(value: float, step: float, expected: str) -> None:
    assert money_tick(value, step) == expected


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [(0.25, 0.05, "+25%"), (-0.1, 0.1, "-10%"), (0.0, 0.1, "0%"), (0.025, 0.005, "+2.5%")],
)
def test_pct_ticks_carry_a_sign(value: float, step: float, expected: str) -> None:
    assert pct_tick(value, step) == expected


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0.736e12, 0.966e12, (1e12,)),
        (0.81e12, 2.9e12, (1e12, 2e12, 3e12)),
        (16_000.0, 21_200.0, (20_000.0,)),
        (1_100.0, 1_600.0, (1_500.0,)),
    ],
)
def test_round_levels(lo: float, hi: float, expected: tuple[float, ...]) -> None:
    assert round_levels(lo, hi) == pytest.approx(expected)


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("2w", 14), ("6m", 180), ("1y", 365), (" 30D ", 30)])
def test_parse_window(text: str, days: int) -> None:
    assert parse_window(text) == days


@pytest.mark.parametrize("text", ["", "0d", "3x", "d30", "1.5y"])
def test_parse_window_rejects_with_the_parameter(text: str) -> None:
    with pytest.raises(ConfigError, match="--window"):
        parse_window(text)


def test_signed_pct_and_axis_titles() -> None:
    assert signed_pct(0.323) == "+32.3%"
    assert signed_pct(-0.523) == "-52.3%"
    assert y_axis_title("usd", "Price") == "Price (US$)"
    assert y_axis_title("pct", "Change") == "Change (%)"


def test_calendar_annotations_local_days_titles_and_tags() -> None:
    rows = [
        (datetime(2022, 11, 8, 5, 0, tzinfo=UTC), "CRYPTO", "FTX halts withdrawals", "crypto-calendar"),
        (datetime(2022, 11, 10, 13, 30, tzinfo=UTC), "CPI", "US CPI release", "macro-calendar"),
        (datetime(2022, 11, 10, 13, 30, tzinfo=UTC), "NFP", "US jobs report", "macro-calendar"),
        (datetime(2022, 11, 2, 3, 0, tzinfo=UTC), "CRYPTO", "TerraUSD (UST) loses its dollar peg today", "x"),
        (datetime(2022, 11, 20, 12, 0, tzinfo=UTC), "CRYPTO", "Later event", "x"),
    ]
    cal = pl.DataFrame(
        [{"ts": t, "kind": k, "title": ti, "note": None, "source": s, "origin": None} for t, k, ti, s in rows],
        schema=CALENDAR_SCHEMA,
    )
    got = calendar_annotations(cal, date(2022, 11, 1), date(2022, 11, 15), "America/New_York")
    assert [(a.x, a.label, a.major) for a in got] == [
        (date(2022, 11, 1), "TerraUSD loses its dollar peg today", True),  # 03:00 UTC is Nov. 1 in New York
        (date(2022, 11, 8), "FTX halts withdrawals", True),
        (date(2022, 11, 10), "CPI", False),
    ]
    intraday = calendar_annotations(
        cal, date(2022, 11, 10), date(2022, 11, 10), "America/New_York", intraday=True, macro=("CPI", "NFP")
    )
    assert {(a.x, a.label) for a in intraday} == {
        (datetime(2022, 11, 10, 8, 30), "CPI"),
        (datetime(2022, 11, 10, 8, 30), "NFP"),
    }


def test_values_and_numbers_equal_the_per_value_definition() -> None:
    import math

    import numpy as np

    from cryptodesk.charts.common import numbers, values

    def reference(items: list[object]) -> tuple[float | None, ...]:
        return tuple(float(v) if isinstance(v, int | float) and math.isfinite(v) else None for v in items)

    frame = pl.DataFrame(
        {
            "f": [1.5, None, float("nan"), float("inf"), -float("inf"), -0.0, 2e300],
            "i": [1, None, 3, -4, 2**53, 0, 7],
            "f32": pl.Series([0.1, None, 3.0, float("nan"), 1e30, -2.5, 0.0], dtype=pl.Float32),
            "s": ["a", None, "1", "2", "x", "y", "z"],
        }
    )
    for column in frame.columns:
        assert values(frame, column) == reference(frame.get_column(column).to_list()), column
    arr = np.array([0.25, np.nan, np.inf, -1.0, 3.0])
    assert numbers(arr) == reference(arr.tolist())
    assert numbers(np.arange(4)) == (0.0, 1.0, 2.0, 3.0)
