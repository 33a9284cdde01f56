"""AP-style phrasing of numbers, money, percentages, times and days.

Every function here is pure: it turns a value into text and nothing else. The
approximation helpers (``pct_more_than``, ``money_roughly`` ...) return ``None``
when the phrase would not be true for the value, so a caller can never print a
qualifier the data does not support.

Money precision by magnitude (:func:`money`):

==========================  ==============================  ==================
magnitude                   precision                       example
==========================  ==============================  ==================
>= $1 trillion              up to 2 decimals, zeros cut     $1 trillion, $1.05 trillion
>= $100 billion / million   whole units                     $796 billion
>= $10 billion / million    one decimal, zero cut           $33.3 billion
>= $1 billion / million     up to 2 decimals, zeros cut     $1.25 billion
>= $10,000                  whole dollars                   $21,501
>= $1                       cents (none for whole values)   $1,516.56, $1,600
>= $0.01                    cents                           $0.08
below $0.01                 two significant digits          $0.0012
==========================  ==============================  ==================

Approximation tolerances (relative to the value; see the constants below):
``more than X`` needs X < value and value - X <= 15% of value (percent) or 10%
(money); ``about/roughly X`` needs |value - X| <= 8% (percent) or 3% (money);
``nearly X`` needs value < X within 5%; ``just below X`` needs value < X within
1.5%. X is always a round number (a multiple of 10, 5 or 1 percentage points;
for money 1 or 5 times a power of ten, at most two steps below the value's
leading digit).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PCT_MORE_THAN_TOL = 0.15
PCT_ABOUT_TOL = 0.08
PCT_NEARLY_TOL = 0.05
MONEY_MORE_THAN_TOL = 0.10
MONEY_ABOUT_TOL = 0.03
MONEY_NEARLY_TOL = 0.05
MONEY_JUST_BELOW_TOL = 0.015

_SCALES: tuple[tuple[float, str], ...] = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
_SPELLED = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ZONE_ABBR = {
    "America/New_York": "ET",
    "US/Eastern": "ET",
    "America/Chicago": "CT",
    "US/Central": "CT",
    "America/Denver": "MT",
    "America/Los_Angeles": "PT",
    "US/Pacific": "PT",
    "UTC": "UTC",
    "Etc/UTC": "UTC",
}


# --------------------------------------------------------------------------- numbers


def _trim(text: str) -> str:
    """Drop trailing zeros (and a trailing point) from a fixed-point number."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def spell(n: int) -> str:
    """AP numerals: one through nine spelled out, 0 as 'zero', 10 and up (and negatives) in figures."""
    if 0 <= n <= 9:
        return _SPELLED[n]
    return f"{n:,}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'seven days', '16 assets', 'one day' (AP numerals, naive plural unless given)."""
    word = noun if n == 1 else (plural or noun + "s")
    return f"{spell(n)} {word}"


def window_adjective(days: int) -> str:
    """A compound modifier for a window length: '50-day', 'seven-day' (AP spells one through nine)."""
    return f"{spell(days)}-day"


def times(ratio: float) -> str:
    """A multiple: 'twice' for ratios that round to 2.0, otherwise '1.6 times' (one decimal)."""
    r = round(ratio, 1)
    if r == 2.0:
        return "twice"
    return f"{_trim(f'{r:.1f}')} times"


def sigma(value: float) -> str:
    """A distance in standard deviations, magnitude with one decimal: '2.6 standard deviations'."""
    v = round(abs(value), 1)
    unit = "standard deviation" if v == 1.0 else "standard deviations"
    return f"{v:.1f} {unit}"


# --------------------------------------------------------------------------- money


def money(value: float) -> str:
    """US dollars at AP precision chosen by magnitude (module table); negatives get a leading minus."""
    if not math.isfinite(value):
        raise ValueError(f"money: value must be finite, got {value!r}")
    sign = "-" if value < 0 else ""
    v = abs(value)
    unit = _money_unit(v)
    if unit is not None:
        return f"{sign}${_scaled_text(v / unit[0])} {unit[1]}"
    if v >= 10_000:
        return f"{sign}${round(v):,}"
    if v == 0 or round(v, 2) >= 0.01:
        text = f"{v:,.2f}"
        return f"{sign}${text.removesuffix('.00') if v >= 1 else text}"
    digits = 1 - math.floor(math.log10(v))
    return f"{sign}${v:.{digits}f}"


def _money_unit(v: float) -> tuple[float, str] | None:
    """The scale word for v (trillion/billion/million), promoting when rounding reaches 1,000 of the next unit."""
    for i, (scale, word) in enumerate(_SCALES):
        if v >= scale:
            return scale, word
        if i + 1 < len(_SCALES) and float(_scaled_text(v / _SCALES[i + 1][0]).replace(",", "")) >= 1000:
            return scale, word
    if round(v) >= 1_000_000:
        return 1e6, "million"
    return None


def _scaled_text(x: float) -> str:
    """A number of millions/billions/trillions: whole from 100, one decimal from 10, else two."""
    if round(x, 1) >= 100:
        return f"{round(x):,}"
    if round(x, 2) >= 10:
        return _trim(f"{x:.1f}")
    return _trim(f"{x:.2f}")


def parse_money(text: str) -> float:
    """The dollar amount a :func:`money` text shows: '$1.05 trillion' -> 1.05e12, '-$5.40' -> -5.4."""
    body = text.strip()
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("-")
    if not body.startswith("$"):
        raise ValueError(f"parse_money: {text!r} does not start with '$'")
    number, _, word = body[1:].partition(" ")
    scale = {w: s for s, w in _SCALES}.get(word, 1.0) if word else 1.0
    if word and word not in {w for _, w in _SCALES}:
        raise ValueError(f"parse_money: unknown scale word {word!r} in {text!r}")
    return sign * float(number.replace(",", "")) * scale


def _shown(x: float) -> float | None:
    """x as money() prints it, or None when the print is not exactly x (so qualifiers speak of the printed figure)."""
    x = float(f"{x:.12g}")
    shown = parse_money(money(x))
    return shown if math.isclose(shown, x, rel_tol=1e-9) else None


def _money_steps(v: float) -> Iterator[float]:
    """Round money steps from coarse to fine: 10^e, 5*10^(e-1), 10^(e-1), 5*10^(e-2), 10^(e-2)."""
    e = math.floor(math.log10(v))
    yield 10.0**e
    for k in (e - 1, e - 2):
        yield 5 * 10.0**k
        yield 10.0**k


def money_more_than(value: float) -> str | None:
    """'more than $850 million' for 893.4e6: the roundest X < value within 10% below it, else None."""
    if not value > 0:
        return None
    for step in _money_steps(value):
        k = math.floor(value / step)
        for x in (_shown(k * step), _shown((k - 1) * step)):
            if x is not None and 0 < x < value and value - x <= MONEY_MORE_THAN_TOL * value:
                return f"more than {money(x)}"
    return None


def money_about(value: float, word: str = "about") -> str | None:
    """'about $21,000' (or 'roughly ...'): the roundest X within 3% of value, else None."""
    if not value > 0:
        return None
    for step in _money_steps(value):
        x = _shown(round(value / step) * step)
        if x is not None and x > 0 and abs(value - x) <= MONEY_ABOUT_TOL * value:
            return f"{word} {money(x)}"
    return None


def money_below(value: float, word: str = "just below") -> str | None:
    """'just below $1,600' (1.5%) or 'nearly $1,600' (5%): the roundest X > value within tolerance, else None.

    Only the three coarsest steps are tried, so X stays a round figure ($1,600, not $1,610).
    """
    if not value > 0:
        return None
    tol = MONEY_JUST_BELOW_TOL if word == "just below" else MONEY_NEARLY_TOL
    for step in list(_money_steps(value))[:3]:
        k = math.floor(value / step)
        for x in (_shown(k * step), _shown((k + 1) * step)):
            if x is not None and x > value and x - value <= tol * x:
                return f"{word} {money(x)}"
    return None


# --------------------------------------------------------------------------- percentages


def percent(fraction: float, decimals: int = 1) -> str:
    """The magnitude of a fraction as a percentage: 0.2134 -> '21.3%', -0.5 -> '50%'.

    The sign is the sentence's job ('up', 'lower'); trailing zeros are cut.
    """
    if not math.isfinite(fraction):
        raise ValueError(f"percent: value must be finite, got {fraction!r}")
    p = abs(fraction) * 100
    return f"{_trim(f'{p:.{decimals}f}')}%"


def _points(fraction: float) -> float:
    """|fraction| in percentage points, rounded to 9 decimals so 0.2 is exactly 20 (no float noise)."""
    return round(abs(fraction) * 100, 9)


def _pct_candidates(p: float) -> Iterator[float]:
    """Round percentage steps from coarse to fine (10, 5, 1 points; 5 and 1 below 10%)."""
    yield from (10.0, 5.0, 1.0) if p >= 10 else (5.0, 1.0)


def pct_more_than(fraction: float) -> str | None:
    """'more than 20%' for 0.213: the roundest X < |value| within 15% of it, else None."""
    p = _points(fraction)
    for step in _pct_candidates(p):
        x = math.floor(p / step) * step
        if x >= p:
            x -= step
        if x > 0 and p - x <= PCT_MORE_THAN_TOL * p:
            return f"more than {x:,.0f}%"
    return None


def pct_about(fraction: float, word: str = "about") -> str | None:
    """'about 50%' / 'roughly 30%': the roundest X within 8% of |value|, else None."""
    p = _points(fraction)
    for step in _pct_candidates(p):
        x = round(p / step) * step
        if x > 0 and abs(p - x) <= PCT_ABOUT_TOL * p:
            return f"{word} {x:,.0f}%"
    return None


def pct_nearly(fraction: float) -> str | None:
    """'nearly 30%' for 0.289: the roundest X > |value| within 5% of X (steps 10 and 5 from 10%), else None."""
    p = _points(fraction)
    for step in (10.0, 5.0) if p >= 10 else (5.0, 1.0):
        x = math.floor(p / step) * step + step
        if x - p <= PCT_NEARLY_TOL * x:
            return f"nearly {x:,.0f}%"
    return None


# --------------------------------------------------------------------------- times and days


def zone_abbr(tz: str) -> str:
    """Short zone label for stories: 'ET' for America/New_York, 'UTC', else the zone's own abbreviation."""
    if tz in _ZONE_ABBR:
        return _ZONE_ABBR[tz]
    name = datetime.now(ZoneInfo(tz)).tzname()
    return name or tz


def clock(moment: datetime, tz: str) -> str:
    """AP time of day in ``tz``: '9:15 a.m. ET', '3 p.m. ET', 'noon ET', 'midnight ET'."""
    local = moment.astimezone(ZoneInfo(tz))
    abbr = zone_abbr(tz)
    if local.minute == 0 and local.hour in (0, 12):
        return f"{'midnight' if local.hour == 0 else 'noon'} {abbr}"
    hour = local.hour % 12 or 12
    suffix = "a.m." if local.hour < 12 else "p.m."
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes} {suffix} {abbr}"


def part_of_day(moment: datetime, tz: str) -> str:
    """'morning' (5-11h), 'afternoon' (12-16h), 'evening' (17-20h) or 'night' in ``tz``."""
    h = moment.astimezone(ZoneInfo(tz)).hour
    if 5 <= h < 12:
        return "morning"
    if 12 <= h < 17:
        return "afternoon"
    if 17 <= h < 21:
        return "evening"
    return "night"


def month_day(d: date, as_of: date) -> str:
    """AP date: 'Nov. 8', 'March 3'; the year is added when the date is more than 183 days from as_of."""
    text = f"{_MONTHS[d.month - 1]} {d.day}"
    if abs((as_of - d).days) > 183:
        text += f", {d.year}"
    return text


def part_of_month(d: date, as_of: date) -> str:
    """'early November' (days 1-10), 'mid-November' (11-20), 'late November'; year added as in month_day."""
    name = _MONTH_NAMES[d.month - 1]
    text = f"early {name}" if d.day <= 10 else f"mid-{name}" if d.day <= 20 else f"late {name}"
    if abs((as_of - d).days) > 183:
        text += f" {d.year}"
    return text


def weekday(d: date) -> str:
    """The day's name: 'Wednesday'."""
    return _WEEKDAYS[d.weekday()]


def relative_day(d: date, as_of: date) -> str:
    """How a story names a day seen from as_of (AP: day names within a week).

    The same day or an earlier day of the same Monday-based week -> 'Wednesday';
    a day of the previous week at most six days back -> 'last Thursday'; a day
    up to six days ahead -> 'Friday'; anything else -> :func:`month_day`.
    """
    delta = (as_of - d).days
    if -6 <= delta <= 0:
        return weekday(d)
    if 0 < delta <= 6:
        this_monday = as_of - timedelta(days=as_of.weekday())
        return weekday(d) if d >= this_monday else f"last {weekday(d)}"
    return month_day(d, as_of)


def on_day(d: date, as_of: date) -> str:
    """A prepositional day phrase: 'on Wednesday', 'last Thursday' (no 'on'), 'on Nov. 9'."""
    rel = relative_day(d, as_of)
    return rel if rel.startswith("last ") else f"on {rel}"


def possessive_day(d: date, as_of: date) -> str:
    """'last Thursday's', 'Wednesday's', 'the Nov. 10' (a date takes 'the' instead of a possessive)."""
    rel = relative_day(d, as_of)
    return f"the {rel}" if any(c.isdigit() for c in rel) else f"{rel}'s"
