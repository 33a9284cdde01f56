"""Measure, from point-in-time frames, the quantity each claim talks about.

Pure functions over :class:`~cryptodesk.check.series.Lookup` (no store, no
network). Conventions (documented in docs/check.md):

* changes over a window use daily closes, as ``analytics`` does: the latest
  close known at as_of against the close N calendar days earlier (``ytd``: the
  previous year's last close; ``since D``: the close of D);
* a price "at" a moment is the 1-minute bar containing it, else an hourly
  snapshot within 45 minutes; "as high as" is the highest intraday high from the
  start of that local day (or of the stated range) to the moment;
* a level on a past day is that day's close, its high for "rose above / touched",
  its low for "fell below";
* the total market cap is whatever ``analytics.market.total_series`` gives (an
  index or the sum of tracked assets), never rescaled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from cryptodesk.check.entities import TOTAL
from cryptodesk.check.model import Claim, Window
from cryptodesk.check.patterns import QUALIFIERS
from cryptodesk.check.series import Daily, Lookup

MAX_STALE_DAYS = 7
VOLUME_BASE_DAYS = 30


@dataclass
class Result:
    """A measurement under construction: value, where it comes from, and extra checks."""

    value: float | None
    source: str = ""
    window: str = ""
    detail: str = ""
    reason: str = ""
    ambiguous: bool = False
    checks: list[tuple[bool, str]] = field(default_factory=list)
    versus: float | None = None
    store_kind: str = ""


def measure(claim: Claim, look: Lookup, tz: str) -> Result:
    """The measurement for one claim (``value`` None with ``reason`` when the data cannot say)."""
    if claim.subject is None:
        return Result(None, reason="the claim names no asset or market", ambiguous=True)
    if claim.type == "liquidations":
        return _liquidations(claim, look)
    daily = look.daily(claim.subject)
    if daily is None:
        return Result(None, reason=f"no data for {claim.subject} is known at as_of")
    kind = _store_kind(daily)
    if claim.type == "usd_change":
        res = _change(daily, claim.window, tz, usd="market_cap" if claim.metric == "change_market_cap" else "price")
    elif claim.type in ("pct_change", "comparison"):
        res = _change(daily, claim.window, tz)
        if claim.versus and res.value is not None:
            other = look.daily(claim.versus)
            if other is None:
                return Result(None, reason=f"no data for {claim.versus} is known at as_of")
            res.versus = _change(other, claim.window, tz).value
            if res.versus is None:
                return Result(None, reason=f"no {res.window or 'window'} change known for {claim.versus}")
    elif claim.type == "moving_average":
        res = _moving_average(daily, int(claim.metric[3:]) if claim.metric[3:].isdigit() else 50)
    elif claim.metric == "volume_change":
        res = _change(daily, claim.window, tz, field="volume")
    elif claim.metric == "volume_level":
        res = _volume_level(claim, daily, tz, look.frames.as_of)
    elif claim.type == "volume_trend":
        res = _volume(daily)
    elif claim.type == "extreme":
        res = _extreme(claim, daily, tz)
    elif claim.metric in ("high", "low") or claim.type == "price_level":
        res = _intraday_level(claim, look, daily, tz)
    else:
        res = _day_level(claim, daily, tz, look)
    res.store_kind = kind
    return res


def _store_kind(daily: Daily) -> str:
    if daily.method == "sum":
        return "sum"
    return daily.sources[-1] if daily.sources else ""


def _change(daily: Daily, window: Window | None, tz: str, *, usd: str = "", field: str = "close") -> Result:
    """Change of daily closes (or volumes) over the claim's window, in percent or USD (``usd``: price/market_cap)."""
    if window is None:
        return Result(None, reason="the claim states no time window for the change", ambiguous=True)
    if window.kind in ("from_high", "from_low"):
        return _from_extreme(daily, window, tz)
    bounds = _bounds(daily, window, tz)
    if isinstance(bounds, Result):
        return bounds
    start, end, target, label = bounds
    if start is None or (target - daily.dates[start]).days > MAX_STALE_DAYS or start >= end:
        return Result(None, reason=f"no close near {target.isoformat()} is known")
    series = daily.close
    if field == "volume":
        if daily.volume[start] is None or daily.volume[end] is None:
            return Result(None, reason="no daily volume known at both ends of the window")
        series = [v if v is not None else 0.0 for v in daily.volume]
    elif usd == "market_cap" and daily.method == "asset":
        caps = daily.market_cap
        if caps[start] is None or caps[end] is None:
            return Result(None, reason="no market cap known at both ends of the window")
        series = [c if c is not None else 0.0 for c in caps]
    a, b = series[start], series[end]
    value = b - a if usd else (b / a - 1.0) * 100.0
    win = f"{label}: close {daily.dates[start].isoformat()} -> {daily.dates[end].isoformat()}"
    what = "market caps" if usd == "market_cap" else ("volumes" if field == "volume" else "closes")
    return Result(value, source=f"{daily.source(end)} daily {what}", window=win, detail=f"{_money(a)} -> {_money(b)}")


def _bounds(daily: Daily, window: Window, tz: str) -> tuple[int | None, int, date, str] | Result:
    """(start index, end index, the date the start stands for, label) of a change window."""
    end = len(daily.dates) - 1
    last = daily.dates[end]
    if window.kind == "lookback" and window.days:
        target = last - timedelta(days=window.days)
        return daily.upto(target), end, target, f"{window.days}d"
    if window.kind == "ytd":
        target = date(last.year - 1, 12, 31)
        return daily.upto(target), end, target, "year to date"
    if window.kind == "since" and window.start is not None:
        target = _local_day(window.start, tz)
        return daily.upto(target), end, target, f"since {target.isoformat()}"
    if window.kind == "range" and window.start is not None and window.end is not None:
        first = _local_day(window.start, tz)
        final = _local_day(window.end - timedelta(seconds=1), tz)
        stop = daily.at(first) if first == final else daily.upto(final)
        if stop is None or daily.dates[stop] < first:
            return Result(None, reason=f"no daily close for {first.isoformat()} is known at as_of")
        target = first - timedelta(days=1)
        label = first.isoformat() if first == final else f"{first.isoformat()}..{daily.dates[stop].isoformat()}"
        return daily.upto(target), stop, target, label
    return Result(None, reason=f"cannot measure a change over '{window.label}'", ambiguous=True)


def _from_extreme(daily: Daily, window: Window, tz: str) -> Result:
    """Latest close against the highest high (lowest low) in the window, or in all history."""
    high = window.kind == "from_high"
    lo_day = _local_day(window.start, tz) if window.start else daily.dates[0]
    hi_day = _local_day(window.end - timedelta(seconds=1), tz) if window.end else daily.dates[-1]
    idx = [i for i, d in enumerate(daily.dates) if lo_day <= d <= hi_day]
    if not idx:
        return Result(None, reason=f"no daily data between {lo_day.isoformat()} and {hi_day.isoformat()}")
    best = max(idx, key=daily.hi) if high else min(idx, key=daily.lo)
    ref = daily.hi(best) if high else daily.lo(best)
    last = daily.close[-1]
    what = "high" if high else "low"
    win = f"{daily.dates[-1].isoformat()} close vs the {what} of {daily.dates[best].isoformat()}"
    return Result((last / ref - 1.0) * 100.0, source=f"{daily.source()} daily closes and {what}s", window=win,
                  detail=f"{_money(last)} vs {_money(ref)}")  # fmt: skip


def _moving_average(daily: Daily, n: int) -> Result:
    """Distance (%) of the latest close from its n-day simple moving average."""
    if len(daily.close) < n:
        return Result(None, reason=f"fewer than {n} daily closes known")
    sma = sum(daily.close[-n:]) / n
    last = daily.close[-1]
    detail = f"close {_money(last)} vs {n}-day average {_money(sma)}"
    return Result((last / sma - 1.0) * 100.0, source=f"{daily.source()} daily closes",
                  window=f"{n}-day SMA on {daily.dates[-1].isoformat()}", detail=detail)  # fmt: skip


def _volume(daily: Daily) -> Result:
    """Latest day's volume against the mean of the previous 30 days (% difference)."""
    vols = [(d, v) for d, v in zip(daily.dates, daily.volume, strict=True) if v]
    if len(vols) < VOLUME_BASE_DAYS // 2 + 1:
        return Result(None, reason="too few daily volumes known")
    last_day, last = vols[-1]
    base = [v for d, v in vols[:-1] if (last_day - d).days <= VOLUME_BASE_DAYS]
    if len(base) < VOLUME_BASE_DAYS // 2:
        return Result(None, reason="too few daily volumes in the previous 30 days")
    mean = sum(base) / len(base)
    detail = f"{_money(last)} on {last_day.isoformat()} vs 30-day mean {_money(mean)}"
    return Result((last / mean - 1.0) * 100.0, source=f"{daily.source()} daily volume",
                  window=f"{last_day.isoformat()} vs previous 30 days", detail=detail)  # fmt: skip


def _volume_level(claim: Claim, daily: Daily, tz: str, as_of: datetime) -> Result:
    """The daily (24-hour) volume of the claim's day, or of the latest day known when no day is named."""
    if claim.window is not None and claim.window.start is not None and claim.window.kind in ("range", "moment"):
        day = _local_day(claim.window.start, tz)
        i = daily.at(day)
        if i is None:
            return Result(None, reason=f"no daily volume for {day.isoformat()} is known at {as_of:%Y-%m-%d %H:%M} UTC")
    else:
        i = len(daily.dates) - 1
    value = daily.volume[i]
    if value is None:
        return Result(None, reason=f"no volume for {daily.dates[i].isoformat()}")
    return Result(value, source=f"{daily.source(i)} daily volume", window=daily.dates[i].isoformat())


def _extreme(claim: Claim, daily: Daily, tz: str) -> Result:
    """The low (or high) on the claimed day, and whether a more extreme value followed."""
    if claim.window is None or claim.window.start is None:
        return Result(None, reason="the claim gives no date for the low or high", ambiguous=True)
    day = _local_day(claim.window.start, tz)
    final = _local_day(claim.window.end - timedelta(seconds=1), tz) if claim.window.end else day
    high = claim.metric == "high"
    days = [j for j in range(len(daily.dates)) if day <= daily.dates[j] <= final]
    if not days:
        return Result(None, reason=f"no daily data for {claim.window.label} is known at as_of")
    i = max(days, key=daily.hi) if high else min(days, key=daily.lo)
    value = daily.hi(i) if high else daily.lo(i)
    when = daily.dates[i].isoformat() if day == final else f"{daily.dates[i].isoformat()} (in {claim.window.label})"
    res = Result(value, source=_extreme_source(daily, i, high), window=when)
    tol = 0.005 if claim.subject != TOTAL else 0.02
    later = [(daily.hi(j) if high else daily.lo(j), daily.dates[j]) for j in range(i + 1, len(daily.dates))]
    if later and ("recent" in claim.text.lower() or "lowest" in claim.text.lower() or "highest" in claim.text.lower()):
        best = max(later) if high else min(later)
        beyond = best[0] > value * (1 + tol) if high else best[0] < value * (1 - tol)
        if not beyond and best[0] != value and (best[0] > value if high else best[0] < value):
            res.checks.append(
                (
                    True,
                    f"a slightly {'higher' if high else 'lower'} value, {_money(best[0])} on {best[1]}, "
                    f"is within {tol:.1%}",
                )
            )
            return res
        res.checks.append(
            (not beyond, f"{'a higher high' if high else 'a lower low'} followed: {_money(best[0])} on {best[1]}")
            if beyond
            else (True, f"no {'higher' if high else 'lower'} value since, through {daily.dates[-1].isoformat()}")
        )
    return res


def _intraday_level(claim: Claim, look: Lookup, daily: Daily, tz: str) -> Result:
    """A price at a moment, or the high/low up to a moment or over part of a day."""
    as_of = look.frames.as_of
    w = claim.window
    zone = ZoneInfo(tz)
    if w is None or w.start is None or w.end is None:
        start = datetime.combine(as_of.astimezone(zone).date(), datetime.min.time(), tzinfo=zone).astimezone(UTC)
        end = as_of
    elif w.kind == "moment":
        day_start = datetime.combine(w.start.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
        start, end = day_start.astimezone(UTC), w.end
    else:
        start, end = w.start, w.end
    if start > as_of:
        return Result(None, reason=f"{w.label if w else 'the moment'} is after as_of")
    end = min(end, as_of)
    subject = claim.subject or ""
    if claim.metric in ("high", "low"):
        got = look.extreme_between(subject, start, end, high=claim.metric == "high")
        if got is not None:
            value, src, first, last = got
            cover = f"{first.astimezone(zone):%Y-%m-%d %H:%M}-{last.astimezone(zone):%H:%M} {tz}"
            return Result(value, source=src, window=cover)
    elif w is None or w.kind == "moment":
        hit = look.price_at(subject, w.start or as_of if w else as_of, prefer=claim.claimed_source)
        if hit is not None:
            value, src, when = hit
            return Result(value, source=src, window=f"{when.astimezone(zone):%Y-%m-%d %H:%M} {tz}")
    return _day_level(claim, daily, tz, look)


def _day_level(claim: Claim, daily: Daily, tz: str, look: Lookup) -> Result:
    """A level on a whole day: close, or high/low for threshold verbs; plus the 'first time since' check."""
    as_of = look.frames.as_of
    day = (
        _local_day(claim.window.start, tz)
        if claim.window and claim.window.start
        else as_of.astimezone(ZoneInfo(tz)).date()
    )
    cls = QUALIFIERS.get(claim.qualifier, "exact")
    use_cap = claim.metric == "market_cap" and claim.subject != TOTAL
    i = daily.at(day)
    if i is None:
        j = len(daily.dates) - 1
        close, high = _money(daily.close[j]), _money(daily.hi(j))
        latest = f"latest known day {daily.dates[j].isoformat()}: close {close} ({daily.source(j)}), high {high}"
        res = Result(None, reason=f"no {day.isoformat()} data is known at as_of ({latest})")
        if claim.since is not None and claim.claimed is not None:
            res.checks.append(_since_check(daily, j + 1, claim.claimed, claim.since, tz=tz, cls=cls))
        return res
    if use_cap:
        raw = daily.market_cap[i]
        if raw is None:
            return Result(None, reason=f"no market cap for {claim.subject} on {day.isoformat()}")
        value, what = raw, f"{daily.source(i)} daily market cap"
    elif cls in ("gt", "touch", "high", "just_above"):
        value, what = daily.hi(i), _extreme_source(daily, i, True)
    elif cls in ("lt", "low"):
        value, what = daily.lo(i), _extreme_source(daily, i, False)
    else:
        value, what = daily.close[i], f"{daily.source(i)} daily close"
    res = Result(value, source=what, window=day.isoformat())
    if claim.since is not None and claim.claimed is not None:
        res.checks.append(_since_check(daily, i, claim.claimed, claim.since, tz=tz, cls=cls))
    return res


def _since_check(daily: Daily, i: int, level: float, since: Window, *, tz: str, cls: str) -> tuple[bool, str]:
    """Was the level last crossed (before day i) within the 'first time since' window?"""
    below = cls == "lt"
    hits = [j for j in range(i) if (daily.lo(j) <= level if below else daily.hi(j) >= level)]
    start = _local_day(since.start, tz) if since.start else None
    end = _local_day(since.end - timedelta(seconds=1), tz) if since.end else start
    word = "at or below" if below else "at or above"
    if start is None or end is None:
        return False, "the 'first time since' date could not be resolved"
    if not hits:
        return daily.dates[0] > start, f"never {word} {_money(level)} before in the data (from {daily.dates[0]})"
    last = daily.dates[hits[-1]]
    if i > 0 and hits[-1] == i - 1:
        return False, f"already {word} {_money(level)} the day before ({last.isoformat()})"
    ok = start - timedelta(days=1) <= last <= end + timedelta(days=1)
    return ok, f"last {word} {_money(level)} before that on {last.isoformat()} (claimed: since {since.label})"


def _liquidations(claim: Claim, look: Lookup) -> Result:
    """Sum (or short-minus-long net) of liquidations over the window, when a feed covered it."""
    frames = look.frames
    as_of = frames.as_of
    w = claim.window
    days = w.days if w is not None and w.kind == "lookback" and w.days else 1
    start = as_of - timedelta(days=days)
    liq = frames.liquidations.filter((pl.col("ts") > start) & (pl.col("ts") <= as_of))
    if claim.subject:
        liq = liq.filter(pl.col("asset_id") == claim.subject)
    covered = frames.coverage.filter((pl.col("start") <= start) & (pl.col("end") >= as_of))
    if liq.height == 0 or covered.height == 0:
        return Result(None, reason=f"no liquidation feed in the store covers the {days} days before as_of")
    short = float(liq.filter(pl.col("side") == "short").get_column("notional_usd").sum())
    long_ = float(liq.filter(pl.col("side") == "long").get_column("notional_usd").sum())
    value = short - long_ if claim.metric.endswith("net") else (long_ if claim.metric.endswith("long") else short)
    srcs = ", ".join(sorted(set(liq.get_column("source").to_list())))
    return Result(value, source=f"{srcs} liquidations", window=f"{days}d to as_of",
                  detail=f"shorts {_money(short)}, longs {_money(long_)}")  # fmt: skip


def _extreme_source(daily: Daily, i: int, high: bool) -> str:
    """Where a daily high/low comes from: the row's own source, or the merged row's high/low source."""
    what = "high" if high else "low"
    if daily.method != "asset" or daily.sources[i] != "coingecko":
        return f"{daily.source(i)} daily {what}"
    own = daily.high[i] if high else daily.low[i]
    if own is None:
        return f"{daily.source(i)} daily close (no {what} known)"
    return f"daily {what} of the preferred source with highs/lows (close row: {daily.source(i)})"


def _local_day(ts: datetime, tz: str) -> date:
    return ts.astimezone(ZoneInfo(tz)).date()


def _money(v: float) -> str:
    """$1.02T, $796.0B, $455.0M, $21,501, $0.0712 or -$2.9B."""
    if v < 0:
        return "-" + _money(-v)
    a = abs(v)
    for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if a >= div:
            return f"${v / div:,.2f}{suf}" if suf == "T" else f"${v / div:,.1f}{suf}"
    return f"${v:,.0f}" if a >= 100 else f"${v:,.4g}"


money = _money
