"""Time helpers: parsing user-supplied moments and zones, and UTC normalisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptodesk.core.errors import ConfigError


def zone(name: str, *, parameter: str = "--tz") -> ZoneInfo:
    """The IANA zone ``name`` (e.g. America/New_York), or a ConfigError naming the parameter."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(
            f"{parameter}: unknown time zone {name!r}; expected an IANA name such as America/New_York or UTC",
            parameter=parameter,
        ) from e


def parse_moment(text: str, *, tz: str = "UTC", parameter: str = "--as-of") -> datetime:
    """Parse an ISO 8601 moment into an aware UTC datetime.

    ``2023-01-18T17:30:00Z`` and ``2023-01-18T12:30-05:00`` are exact; a value
    without an offset (``2023-01-18 12:30``) is read in ``tz``; a bare date means
    the end of that day in ``tz`` (everything known by the close of the day).
    """
    raw = text.strip()
    try:
        if len(raw) == 10:
            d = date.fromisoformat(raw)
            local = datetime.combine(d + timedelta(days=1), time(0), tzinfo=zone(tz))
            return local.astimezone(UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as e:
        raise ConfigError(
            f"{parameter}: {text!r} is not an ISO 8601 time; expected e.g. 2023-01-18T17:30:00Z or 2023-01-18",
            parameter=parameter,
        ) from e
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz))
    return parsed.astimezone(UTC)


def parse_day(text: str, *, parameter: str) -> date:
    """Parse an ISO date (YYYY-MM-DD) or raise a ConfigError naming the parameter."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as e:
        raise ConfigError(f"{parameter}: {text!r} is not a date; expected YYYY-MM-DD", parameter=parameter) from e


def parse_clock(text: str, *, parameter: str = "--at") -> time:
    """Parse HH:MM (24-hour) or raise a ConfigError naming the parameter."""
    try:
        return time.fromisoformat(text.strip())
    except ValueError as e:
        what = f"{parameter}: {text!r} is not a time; expected HH:MM such as 12:30"
        raise ConfigError(what, parameter=parameter) from e


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
