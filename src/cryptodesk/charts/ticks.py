"""Axis ticks of the static charts: where they go and what they say, in the house style.

Value axes use matplotlib's ``MaxNLocator`` steps (1, 2, 2.5, 5, 10) with dollar
and percent labels exact for their step. Time axes are AP style: months
('Nov.', 'Sept.', with the year under January and under the first tick), days
('Jan. 18'), clock hours ('9 a.m.', 'noon') in the chart's zone. The finest
spacing whose labels fit the axis width wins. Pure functions of numbers: the
renderer measures the labels and passes a width function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from matplotlib.ticker import MaxNLocator

from cryptodesk.charts import style as st
from cryptodesk.writer import phrasing as ph

EPOCH = datetime(1970, 1, 1)
MONTHS = tuple(ph.month_day(date(2000, m, 1), date(2000, m, 1)).rsplit(" ", 1)[0] for m in range(1, 13))
"""AP month abbreviations, as the story text writes them ('Jan.', 'March', 'Sept.')."""
STEPS = [1, 2, 2.5, 5, 10]
GAP_PT = 10.0
"""Least space between two x tick labels."""
DayRule = Callable[[date, date], Iterator[date]]


@dataclass(frozen=True)
class Tick:
    """A tick at ``value`` (x: days since 1970-01-01; y: the data value) with its label and an optional second row."""

    value: float
    label: str
    second: str = ""
    minor: bool = False


def value_ticks(lo: float, hi: float, unit: str, nbins: int) -> list[Tick]:
    """Ticks of a value axis from ``lo`` to ``hi``: dollars, percent (fractions) or a 0-100 index."""
    locs = [float(v) for v in MaxNLocator(nbins=nbins, steps=STEPS).tick_values(lo, hi)]
    locs = [v for v in locs if lo - 1e-9 * abs(hi - lo) <= v <= hi + 1e-9 * abs(hi - lo)]
    step = abs(locs[1] - locs[0]) if len(locs) > 1 else 1.0
    locs = [0.0 if abs(v) < step * 1e-9 else v for v in locs]
    if unit == "usd":
        return [Tick(v, st.money_tick(v, step)) for v in locs]
    if unit == "pct":
        return [Tick(v, st.pct_tick(v, step)) for v in locs]
    return [Tick(v, f"{v:,.{st.digits(step)}f}") for v in locs]


def to_days(moment: date | datetime) -> float:
    """A date or naive datetime as days since 1970-01-01 (matplotlib's date numbers)."""
    if isinstance(moment, datetime):
        return (moment - EPOCH) / timedelta(days=1)
    return float((moment - EPOCH.date()).days)


def from_days(value: float) -> datetime:
    """The naive datetime of a day number, to the second."""
    return EPOCH + timedelta(seconds=round(value * 86400))


def time_ticks(lo: float, hi: float, *, width_pt: float, label_width: Callable[[str], float]) -> list[Tick]:
    """Ticks of a time axis from ``lo`` to ``hi`` (day numbers) on an axis ``width_pt`` points wide.

    Up to a day and a half: clock hours; up to ten days: days with six-hour minor ticks; longer: days,
    weeks, half months, months, quarters or years, the finest whose labels do not touch.
    """
    span = hi - lo
    if span <= 1.5:
        for hours in (1, 2, 3, 4, 6, 12):
            ticks = [Tick(v, clock_label(from_days(v))) for v in _hours(lo, hi, hours)]
            if _fits(ticks, lo, hi, width_pt, label_width):
                return ticks
        return ticks
    if span <= 10:
        majors = [Tick(v, _day_label(from_days(v).date())) for v in _hours(lo, hi, 24)]
        if not _fits(majors, lo, hi, width_pt, label_width):
            majors = [t for i, t in enumerate(majors) if i % 2 == 0]
        minors = [Tick(v, "", minor=True) for v in _hours(lo, hi, 6) if round(v * 24) % 24]
        return majors + minors
    first, last = from_days(lo).date(), from_days(hi).date()
    ticks = []
    for step_days, make in DAY_RULES:
        if span / step_days > width_pt / MIN_LABEL_PT:
            continue  # far too many labels for the width: do not even build them
        ticks = _label_days(list(make(first, last)), lo, hi)
        if len(ticks) <= 1 or _fits(ticks, lo, hi, width_pt, label_width):
            return ticks
    return ticks


def _fits(ticks: list[Tick], lo: float, hi: float, width_pt: float, label_width: Callable[[str], float]) -> bool:
    """Whether neighbouring labels stay ``GAP_PT`` apart."""
    scale = width_pt / ((hi - lo) or 1.0)
    pos = [(t.value - lo) * scale for t in ticks if not t.minor]
    widths = [max(label_width(t.label), label_width(t.second)) for t in ticks if not t.minor]
    return all(b - a >= (wa + wb) / 2 + GAP_PT for a, b, wa, wb in zip(pos, pos[1:], widths, widths[1:], strict=False))


def _hours(lo: float, hi: float, hours: int) -> list[float]:
    """Day numbers of the whole hours divisible by ``hours`` in [lo, hi]."""
    start = int(np.ceil(lo * 24 / hours - 1e-9))
    stop = int(np.floor(hi * 24 / hours + 1e-9))
    return [k * hours / 24 for k in range(start, stop + 1)]


def _every_day(n: int) -> DayRule:
    def days(first: date, last: date) -> Iterator[date]:
        d = first + timedelta(days=(-first.toordinal()) % n)
        while d <= last:
            yield d
            d += timedelta(days=n)

    return days


def _month_days(days_of_month: tuple[int, ...]) -> DayRule:
    def days(first: date, last: date) -> Iterator[date]:
        y, m = first.year, first.month
        while date(y, m, 1) <= last:
            for dom in days_of_month:
                d = date(y, m, dom)
                if first <= d <= last:
                    yield d
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)

    return days


def _months(n: int) -> DayRule:
    def days(first: date, last: date) -> Iterator[date]:
        y, m = first.year, first.month
        while date(y, m, 1) <= last:
            if (m - 1) % n == 0 and date(y, m, 1) >= first:
                yield date(y, m, 1)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)

    return days


DAY_RULES: tuple[tuple[float, DayRule], ...] = (
    (1, _every_day(1)),
    (2, _every_day(2)),
    (7, _month_days((1, 8, 15, 22))),
    (15, _month_days((1, 15))),
    (30, _months(1)),
    (61, _months(2)),
    (91, _months(3)),
    (182, _months(6)),
    (365, _months(12)),
)
"""Date tick rules, finest first, with their approximate spacing in days."""
MIN_LABEL_PT = 18.0


def _label_days(days: list[date], lo: float, hi: float) -> list[Tick]:
    """Labels of date ticks: month names when every tick is a month's first day (year under January and the
    first tick), else 'Jan. 18'."""
    days = [d for d in days if lo - 1e-9 <= to_days(d) <= hi + 1e-9]
    if days and all(d.day == 1 for d in days) and len(days) > 1:
        return [
            Tick(to_days(d), MONTHS[d.month - 1], str(d.year) if d.month == 1 or i == 0 else "")
            for i, d in enumerate(days)
        ]
    return [Tick(to_days(d), _day_label(d)) for d in days]


def _day_label(d: date) -> str:
    """'Jan. 18' (AP)."""
    return ph.month_day(d, d)


def clock_label(moment: datetime) -> str:
    """AP clock label for an axis tick: '9 a.m.', 'noon', '2:30 p.m.'."""
    if moment.minute == 0 and moment.hour == 12:
        return "noon"
    if moment.minute == 0 and moment.hour == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {'a.m.' if moment.hour < 12 else 'p.m.'}"
