"""AP phrasing: tables of expected texts and properties that approximations stay true."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptodesk.writer import phrasing as ph

money_values = st.floats(min_value=0.0005, max_value=5e13, allow_nan=False, allow_infinity=False)
fractions = st.floats(min_value=-20.0, max_value=20.0, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e12, "$1 trillion"),
        (1.05e12, "$1.05 trillion"),
        (2.5e12, "$2.5 trillion"),
        (796e9, "$796 billion"),
        (966.6e9, "$967 billion"),
        (999.4e9, "$999 billion"),
        (999.6e9, "$1 trillion"),
        (33.28e9, "$33.3 billion"),
        (1.25e9, "$1.25 billion"),
        (893.4e6, "$893 million"),
        (45.55e6, "$45.5 million"),
        (999_999.7, "$1 million"),
        (21501.4, "$21,501"),
        (1516.56, "$1,516.56"),
        (1600.0, "$1,600"),
        (5.4, "$5.40"),
        (0.08, "$0.08"),
        (0.0012, "$0.0012"),
        (-5.5, "-$5.50"),
    ],
)
def test_money_table(value: float, text: str) -> None:
    assert ph.money(value) == text


def _precision(text: str) -> float:
    """Half a unit of the last printed digit, in dollars (computed from the text, not from money())."""
    body = text.lstrip("-$")
    number, _, word = body.partition(" ")
    scale = {"trillion": 1e12, "billion": 1e9, "million": 1e6, "": 1.0}[word]
    decimals = len(number.split(".")[1]) if "." in number else 0
    return 0.5 * 10.0**-decimals * scale


@given(money_values)
def test_money_rounds_to_its_last_digit(value: float) -> None:
    text = ph.money(value)
    assert re.fullmatch(r"\$[0-9][0-9,]*(\.[0-9]+)?( (million|billion|trillion))?", text), text
    assert abs(ph.parse_money(text) - value) <= _precision(text) * (1 + 1e-9)


def _money_of(phrase: str, prefix: str) -> float:
    assert phrase.startswith(prefix + " $"), phrase
    return ph.parse_money(phrase.removeprefix(prefix + " "))


@given(money_values)
def test_money_more_than_is_true(value: float) -> None:
    phrase = ph.money_more_than(value)
    if phrase is not None:
        x = _money_of(phrase, "more than")
        assert x < value
        assert value - x <= ph.MONEY_MORE_THAN_TOL * value * (1 + 1e-9)


@given(money_values)
def test_money_about_is_within_tolerance(value: float) -> None:
    phrase = ph.money_about(value, "roughly")
    if phrase is not None:
        x = _money_of(phrase, "roughly")
        assert abs(x - value) <= ph.MONEY_ABOUT_TOL * value * (1 + 1e-9)


@given(money_values)
def test_money_just_below_is_below(value: float) -> None:
    for word, tol in (("just below", ph.MONEY_JUST_BELOW_TOL), ("nearly", ph.MONEY_NEARLY_TOL)):
        phrase = ph.money_below(value, word)
        if phrase is not None:
            x = _money_of(phrase, word)
            assert value < x
            assert x - value <= tol * x * (1 + 1e-9)


@pytest.mark.parametrize(
    ("value", "word", "text"),
    [
        (1598.0, "just below", "just below $1,600"),
        (1602.11, "just below", None),
        (966.6e9, "nearly", "nearly $1 trillion"),
        (21559.4, "just below", None),
    ],
)
def test_money_below_table(value: float, word: str, text: str | None) -> None:
    assert ph.money_below(value, word) == text


@pytest.mark.parametrize(
    ("fraction", "exact", "more", "about"),
    [
        (0.2134, "21.3%", "more than 20%", "about 20%"),
        (0.2791, "27.9%", "more than 25%", "about 30%"),
        (-0.4921, "49.2%", "more than 45%", "about 50%"),
        (0.032, "3.2%", "more than 3%", "about 3%"),
        (0.2, "20%", "more than 19%", "about 20%"),
        (0.004, "0.4%", None, None),
    ],
)
def test_percent_table(fraction: float, exact: str, more: str | None, about: str | None) -> None:
    assert ph.percent(fraction) == exact
    assert ph.pct_more_than(fraction) == more
    assert ph.pct_about(fraction) == about


def _pct_of(phrase: str, prefix: str) -> float:
    m = re.fullmatch(re.escape(prefix) + r" ([0-9,]+)%", phrase)
    assert m, phrase
    return float(m.group(1).replace(",", ""))


@given(fractions)
def test_pct_more_than_is_true(fraction: float) -> None:
    phrase = ph.pct_more_than(fraction)
    p = abs(fraction) * 100
    if phrase is not None:
        x = _pct_of(phrase, "more than")
        assert x < p
        assert p - x <= ph.PCT_MORE_THAN_TOL * p + 1e-9


@given(fractions)
def test_pct_roughly_within_tolerance(fraction: float) -> None:
    phrase = ph.pct_about(fraction, "roughly")
    p = abs(fraction) * 100
    if phrase is not None:
        assert abs(_pct_of(phrase, "roughly") - p) <= ph.PCT_ABOUT_TOL * p + 1e-9


@given(fractions)
def test_pct_nearly_is_below(fraction: float) -> None:
    phrase = ph.pct_nearly(fraction)
    p = abs(fraction) * 100
    if phrase is not None:
        x = _pct_of(phrase, "nearly")
        assert p < x
        assert x - p <= ph.PCT_NEARLY_TOL * x + 1e-9


@given(fractions)
def test_percent_rounds_to_one_decimal(fraction: float) -> None:
    text = ph.percent(fraction)
    assert re.fullmatch(r"[0-9]+(\.[0-9])?%", text), text
    assert math.isclose(float(text[:-1]), abs(fraction) * 100, abs_tol=0.05 + 1e-9)


@pytest.mark.parametrize(
    ("n", "text"), [(0, "zero"), (1, "one"), (7, "seven"), (9, "nine"), (10, "10"), (16, "16"), (1500, "1,500")]
)
def test_spell_ap_numerals(n: int, text: str) -> None:
    assert ph.spell(n) == text


def test_counts_and_windows() -> None:
    assert ph.count(7, "day") == "seven days"
    assert ph.count(1, "asset") == "one asset"
    assert ph.count(16, "asset") == "16 assets"
    assert ph.window_adjective(50) == "50-day"
    assert ph.window_adjective(7) == "seven-day"
    assert ph.times(1.99) == "twice"
    assert ph.times(1.62) == "1.6 times"
    assert ph.sigma(-2.61) == "2.6 standard deviations"
    assert ph.sigma(1.0) == "1.0 standard deviation"


@pytest.mark.parametrize(
    ("utc", "tz", "text"),
    [
        (datetime(2023, 1, 18, 14, 15, tzinfo=UTC), "America/New_York", "9:15 a.m. ET"),
        (datetime(2023, 1, 18, 17, 20, tzinfo=UTC), "America/New_York", "12:20 p.m. ET"),
        (datetime(2023, 1, 18, 17, 0, tzinfo=UTC), "America/New_York", "noon ET"),
        (datetime(2023, 1, 18, 5, 0, tzinfo=UTC), "America/New_York", "midnight ET"),
        (datetime(2023, 7, 18, 19, 0, tzinfo=UTC), "America/New_York", "3 p.m. ET"),
        (datetime(2023, 1, 18, 14, 15, tzinfo=UTC), "UTC", "2:15 p.m. UTC"),
        (datetime(2023, 1, 18, 14, 15, tzinfo=UTC), "America/Los_Angeles", "6:15 a.m. PT"),
        (datetime(2023, 1, 18, 14, 15, tzinfo=UTC), "Europe/Paris", "3:15 p.m. CET"),
    ],
)
def test_clock(utc: datetime, tz: str, text: str) -> None:
    assert ph.clock(utc, tz) == text


@pytest.mark.parametrize(
    ("day", "as_of", "rel", "on"),
    [
        (date(2023, 1, 18), date(2023, 1, 18), "Wednesday", "on Wednesday"),
        (date(2023, 1, 16), date(2023, 1, 18), "Monday", "on Monday"),
        (date(2023, 1, 12), date(2023, 1, 18), "last Thursday", "last Thursday"),
        (date(2023, 1, 13), date(2023, 1, 18), "last Friday", "last Friday"),
        (date(2023, 1, 11), date(2023, 1, 18), "Jan. 11", "on Jan. 11"),
        (date(2022, 11, 9), date(2023, 1, 18), "Nov. 9", "on Nov. 9"),
        (date(2022, 1, 18), date(2023, 1, 18), "Jan. 18, 2022", "on Jan. 18, 2022"),
        (date(2023, 3, 5), date(2023, 4, 1), "March 5", "on March 5"),
        (date(2023, 9, 13), date(2023, 11, 1), "Sept. 13", "on Sept. 13"),
        (date(2023, 1, 20), date(2023, 1, 18), "Friday", "on Friday"),
    ],
)
def test_relative_days(day: date, as_of: date, rel: str, on: str) -> None:
    assert ph.relative_day(day, as_of) == rel
    assert ph.on_day(day, as_of) == on


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(min_value=-400, max_value=400))
def test_relative_day_names_the_right_weekday(as_of: date, offset: int) -> None:
    day = date.fromordinal(as_of.toordinal() - offset)
    rel = ph.relative_day(day, as_of)
    if any(c.isdigit() for c in rel):
        assert rel.startswith(ph.month_day(day, as_of).split(",")[0])
        assert abs(offset) > 6
    else:
        assert rel.removeprefix("last ") == day.strftime("%A")
        assert abs(offset) <= 6
        assert rel.startswith("last ") == (offset > 0 and day.isocalendar()[1] != as_of.isocalendar()[1])


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2022, 11, 8), "early November"),
        (date(2022, 11, 16), "mid-November"),
        (date(2022, 11, 29), "late November"),
    ],
)
def test_part_of_month(day: date, text: str) -> None:
    assert ph.part_of_month(day, date(2023, 1, 18)) == text


def test_possessive_day() -> None:
    assert ph.possessive_day(date(2023, 1, 12), date(2023, 1, 18)) == "last Thursday's"
    assert ph.possessive_day(date(2023, 1, 18), date(2023, 1, 18)) == "Wednesday's"
    assert ph.possessive_day(date(2022, 11, 10), date(2023, 1, 18)) == "the Nov. 10"


def test_part_of_day() -> None:
    assert ph.part_of_day(datetime(2023, 1, 18, 14, 0, tzinfo=UTC), "America/New_York") == "morning"
    assert ph.part_of_day(datetime(2023, 1, 18, 19, 0, tzinfo=UTC), "America/New_York") == "afternoon"
    assert ph.part_of_day(datetime(2023, 1, 18, 23, 0, tzinfo=UTC), "America/New_York") == "evening"
    assert ph.part_of_day(datetime(2023, 1, 18, 6, 0, tzinfo=UTC), "America/New_York") == "night"


def test_non_finite_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        ph.money(math.nan)
    with pytest.raises(ValueError, match="finite"):
        ph.percent(math.inf)
