"""Deterministic resolution of an article's time expressions against its date and time zone.

``find_times(text, as_of, tz)`` scans a piece of text for expressions such as
"Wednesday morning", "last Thursday", "one week ago", "so far this year",
"early November", "over the last 7 days", "November 9", "near 12:20 p.m. ET"
and returns each with its character span and a :class:`~cryptodesk.check.model.Window`
in UTC. Dates without a year are the latest such date on or before the article's
date. "ET" always means America/New_York; a time with no zone is read in ``tz``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cryptodesk.check.model import Window

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "thirty": 30,
}  # fmt: skip
MAX_DAYS = 36_500
"""Longest look-back window read from text (100 years); longer ones are not dates."""
UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
ZONES = {"et": "America/New_York", "est": "America/New_York", "edt": "America/New_York", "utc": "UTC", "gmt": "UTC"}
DAY_PARTS = {"morning": (6, 12), "afternoon": (12, 18), "evening": (18, 24), "night": (18, 24)}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_NUM = r"(?P<n>\d+|" + "|".join(NUMBER_WORDS) + r")"
_ZONE = r"(?P<z>ET|EST|EDT|UTC|GMT)\b"
_WD = r"(?P<wd>" + "|".join(WEEKDAYS) + r")"
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx, re.IGNORECASE))
    for name, rx in (
        ("clock", r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>a\.m\.|p\.m\.|am\b|pm\b)(?:\s*" + _ZONE + r")?"),
        ("clock24", r"\b(?P<h>\d{1,2}):(?P<m>\d{2})\s*" + _ZONE),
        ("ytd", r"\b(?:so far this year|year[- ]to[- ]date|since the (?:start|beginning) of (?:the|this) year"
                r"|this year)\b"),
        ("lookback", r"\b(?:over|in|during|for)?\s*the\s+(?:last|past|previous|prior)\s+(?:" + _NUM
                     + r"\s+)?(?P<unit>day|week|month|year|24 hours)s?\b"),
        ("periodic", r"\b(?P<per>week|month|year)[- ]over[- ](?:week|month|year)\b"
                     r"|\b(?:on|over|for) the (?P<per2>week|month|year)\b|\bthis (?P<per3>week|month)\b"),
        ("ago", r"\b" + _NUM + r"\s+(?P<unit>day|week|month|year)s?\s+(?:ago|earlier|before)\b"),
        ("iso", r"\b(?P<y>20\d\d)-(?P<mo>\d\d)-(?P<d>\d\d)\b"),
        ("monthday", r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>(?:19|20)\d\d)\b)?"),
        ("part", r"\b(?P<part>early|mid|late)[- ]" + _MONTH + r"(?:\s+(?P<y>(?:19|20)\d\d)\b)?"),
        ("monthyear", r"\b" + _MONTH + r"\s+(?P<y>(?:19|20)\d\d)\b"),
        ("weekday", r"\b(?:(?P<rel>last|this|on|past)\s+)?" + _WD
                    + r"(?:['’]s)?(?:\s+(?P<dp>morning|afternoon|evening|night))?\b"),
        ("today", r"\b(?P<w>today|this morning|this afternoon|yesterday)\b"),
        ("year", r"\b(?:in|since)\s+(?P<y>(?:19|20)\d\d)\b"),
        ("sinceref", r"\bsince (?:this|that|then|the same) ?(?:date|day|low|point)?\b"),
    )
)  # fmt: skip


@dataclass(frozen=True)
class TimeMention:
    """A time expression found in text: its span (relative to the text given) and resolved window."""

    start: int
    end: int
    window: Window


def find_times(text: str, as_of: datetime, tz: str) -> list[TimeMention]:
    """Every time expression in ``text``, left to right, non-overlapping (earliest, then longest, wins)."""
    local = as_of.astimezone(ZoneInfo(tz))
    found: list[TimeMention] = []
    for name, rx in PATTERNS:
        for m in rx.finditer(text):
            window = _resolve(name, m, local, tz)
            if window is not None:
                found.append(TimeMention(m.start(), m.end(), window))
    found.sort(key=lambda t: (t.start, -(t.end - t.start)))
    out: list[TimeMention] = []
    for t in found:
        if not out or t.start >= out[-1].end:
            out.append(t)
    return _clock_on_day(out, text, tz)


def _clock_on_day(times: list[TimeMention], text: str, tz: str) -> list[TimeMention]:
    """'at 10:00 a.m. ET on Friday' / 'Friday at 10 a.m.': the clock time is on that day, not the article's."""
    out = list(times)
    i = 0
    while i < len(out) - 1:
        a, b = out[i], out[i + 1]
        merged = _merge(a, b, text, tz) if len(text[a.end : b.start].strip(" ,")) <= 3 else None
        if merged is None:
            i += 1
            continue
        out[i : i + 2] = [TimeMention(a.start, b.end, merged)]
    return out


def _merge(a: TimeMention, b: TimeMention, text: str, tz: str) -> Window | None:
    """One moment from a clock time and an adjacent single day, or None when they do not combine."""
    clock, day = (a.window, b.window) if a.window.kind == "moment" else (b.window, a.window)
    if clock.kind != "moment" or clock.start is None or day.kind != "range" or day.start is None or day.end is None:
        return None
    if day.end - day.start > timedelta(hours=25):
        return None
    zone = ZoneInfo(tz)
    shift = day.start.astimezone(zone).date() - clock.start.astimezone(zone).date()
    moment = clock.start + shift
    label = f"{day.start.astimezone(zone).date().isoformat()} {clock.label.split(' ', 1)[1]}"
    return Window(label, "moment", moment, moment, text=text[a.start : b.end])


def day_window(day: date, tz: str, label: str, *, hours: tuple[int, int] = (0, 24)) -> Window:
    """The local calendar day ``day`` (or hours of it) in ``tz`` as a UTC range window."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone) + timedelta(hours=hours[0])
    end = datetime.combine(day, time(0), tzinfo=zone) + timedelta(hours=hours[1])
    return Window(label, "range", start.astimezone(UTC), end.astimezone(UTC))


def _resolve(name: str, m: re.Match[str], local: datetime, tz: str) -> Window | None:
    """The window for one pattern match (None when the match is not a usable date)."""
    g = m.groupdict()
    text = m.group(0).strip()
    today = local.date()
    if name in ("clock", "clock24"):
        return _clock(g, local, tz, text)
    if name == "ytd":
        return Window("year to date", "ytd", text=text)
    if name in ("lookback", "ago"):
        n = _number(g.get("n") or "1")
        unit = g["unit"].lower()
        days = 1 if unit == "24 hours" else n * UNIT_DAYS[unit]
        if not 0 < days <= MAX_DAYS:
            return None
        return Window(f"{days}d", "lookback", days=days, text=text)
    if name == "periodic":
        per = (g.get("per") or g.get("per2") or g.get("per3") or "week").lower()
        days = UNIT_DAYS[per]
        return Window(f"{days}d", "lookback", days=days, text=text)
    if name == "iso":
        try:
            day = date(int(g["y"]), int(g["mo"]), int(g["d"]))
        except ValueError:
            return None
        return _with_text(day_window(day, tz, day.isoformat()), text)
    if name == "monthday":
        found = _latest_date(MONTHS[g["month"].lower()], int(g["d"]), today, g.get("y"))
        return None if found is None else _with_text(day_window(found, tz, found.isoformat()), text)
    if name in ("part", "monthyear"):
        return _month_part(MONTHS[g["month"].lower()], g.get("part"), g.get("y"), today=today, tz=tz, text=text)
    if name == "weekday":
        return _weekday(g, today, tz, text)
    if name == "today":
        w = g["w"].lower()
        day = today - timedelta(days=1) if w == "yesterday" else today
        hours = DAY_PARTS.get(w.split()[-1], (0, 24))
        return _with_text(day_window(day, tz, f"{day.isoformat()} {w}", hours=hours), text)
    if name == "year":
        y = int(g["y"])
        first = day_window(date(y, 1, 1), tz, str(y))
        last = day_window(date(y, 12, 31), tz, str(y))
        return Window(str(y), "range", first.start, last.end, text=text)
    if name == "sinceref":
        return Window("since the date mentioned before", "sinceref", text=text)
    return None


def _clock(g: dict[str, str | None], local: datetime, tz: str, text: str) -> Window | None:
    hour, minute = int(g["h"] or 0), int(g.get("m") or 0)
    ampm = (g.get("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    zone_name = ZONES.get((g.get("z") or "").lower(), tz)
    moment = datetime.combine(local.date(), time(hour, minute), tzinfo=ZoneInfo(zone_name)).astimezone(UTC)
    label = f"{local.date().isoformat()} {hour:02d}:{minute:02d} {g.get('z') or tz}"
    return Window(label, "moment", moment, moment, text=text)


def _weekday(g: dict[str, str | None], today: date, tz: str, text: str) -> Window:
    target = WEEKDAYS[(g["wd"] or "").lower()]
    back = (today.weekday() - target) % 7
    if (g.get("rel") or "").lower() in ("last", "past") and back == 0:
        back = 7
    day = today - timedelta(days=back)
    part = (g.get("dp") or "").lower()
    label = f"{day.isoformat()} ({calendar.day_name[day.weekday()]}{' ' + part if part else ''})"
    return _with_text(day_window(day, tz, label, hours=DAY_PARTS.get(part, (0, 24))), text)


def _month_part(month: int, part: str | None, year: str | None, *, today: date, tz: str, text: str) -> Window:
    y = int(year) if year else (today.year if month <= today.month else today.year - 1)
    last = calendar.monthrange(y, month)[1]
    lo, hi = {"early": (1, 10), "mid": (11, 20), "late": (21, last)}.get((part or "").lower(), (1, last))
    first_day = day_window(date(y, month, lo), tz, "")
    last_day = day_window(date(y, month, hi), tz, "")
    label = f"{(part + ' ') if part else ''}{calendar.month_name[month]} {y}".strip()
    return Window(label, "range", first_day.start, last_day.end, text=text)


def _latest_date(month: int, day: int, today: date, year: str | None) -> date | None:
    try:
        if year:
            return date(int(year), month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate <= today else date(today.year - 1, month, day)
    except ValueError:
        return None


def _number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS.get(token.lower(), 1)


def _with_text(w: Window, text: str) -> Window:
    return Window(w.label, w.kind, w.start, w.end, w.days, text)
