"""Time expressions resolve against the article's date and zone (as of Wednesday 2023-01-18 12:30 ET)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cryptodesk.check.timeresolve import find_times

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
NY = "America/New_York"


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "days"),
    [
        (
            "on Wednesday morning",
            "range",
            datetime(2023, 1, 18, 11, tzinfo=UTC),
            datetime(2023, 1, 18, 17, tzinfo=UTC),
            None,
        ),
        (
            "last Thursday’s report",
            "range",
            datetime(2023, 1, 12, 5, tzinfo=UTC),
            datetime(2023, 1, 13, 5, tzinfo=UTC),
            None,
        ),
        ("last Wednesday", "range", datetime(2023, 1, 11, 5, tzinfo=UTC), datetime(2023, 1, 12, 5, tzinfo=UTC), None),
        ("one week ago", "lookback", None, None, 7),
        ("so far this year", "ytd", None, None, None),
        ("early November", "range", datetime(2022, 11, 1, 4, tzinfo=UTC), datetime(2022, 11, 11, 5, tzinfo=UTC), None),
        ("over the last 7 days", "lookback", None, None, 7),
        ("over the last month", "lookback", None, None, 30),
        ("a year ago", "lookback", None, None, 365),
        (
            "near 12:20 p.m. ET",
            "moment",
            datetime(2023, 1, 18, 17, 20, tzinfo=UTC),
            datetime(2023, 1, 18, 17, 20, tzinfo=UTC),
            None,
        ),
        (
            "as of 9:15 a.m. ET",
            "moment",
            datetime(2023, 1, 18, 14, 15, tzinfo=UTC),
            datetime(2023, 1, 18, 14, 15, tzinfo=UTC),
            None,
        ),
        ("on November 9", "range", datetime(2022, 11, 9, 5, tzinfo=UTC), datetime(2022, 11, 10, 5, tzinfo=UTC), None),
        ("on January 18", "range", datetime(2023, 1, 18, 5, tzinfo=UTC), datetime(2023, 1, 19, 5, tzinfo=UTC), None),
        (
            "since December 2020",
            "range",
            datetime(2020, 12, 1, 5, tzinfo=UTC),
            datetime(2021, 1, 1, 5, tzinfo=UTC),
            None,
        ),
        ("on 2021-05-19", "range", datetime(2021, 5, 19, 4, tzinfo=UTC), datetime(2021, 5, 20, 4, tzinfo=UTC), None),
        ("yesterday", "range", datetime(2023, 1, 17, 5, tzinfo=UTC), datetime(2023, 1, 18, 5, tzinfo=UTC), None),
        ("in the past 24 hours", "lookback", None, None, 1),
    ],
)
def test_expressions(text: str, kind: str, start: datetime | None, end: datetime | None, days: int | None) -> None:
    found = find_times(text, AS_OF, NY)
    assert len(found) == 1, found
    w = found[0].window
    assert (w.kind, w.start, w.end, w.days) == (kind, start, end, days)
    assert text[found[0].start : found[0].end].strip() in text


def test_zone_of_the_article_applies_without_et() -> None:
    """A clock time without a zone is read in the article's zone; ET is always New York."""
    (tokyo,) = find_times("at 9:00 a.m.", AS_OF, "Asia/Tokyo")
    assert tokyo.window.start == datetime(2023, 1, 19, 0, tzinfo=UTC)  # 2023-01-19 local date in Tokyo at as_of
    (et,) = find_times("at 9:00 a.m. ET", AS_OF, "Asia/Tokyo")
    assert et.window.start is not None
    assert et.window.start.hour == 14


def test_weekday_equal_to_today_is_today_unless_last() -> None:
    (today,) = find_times("on Wednesday", AS_OF, NY)
    assert today.window.start == datetime(2023, 1, 18, 5, tzinfo=UTC)


def test_no_time_expression() -> None:
    assert find_times("Bitcoin traded at $21,000.", AS_OF, NY) == []
