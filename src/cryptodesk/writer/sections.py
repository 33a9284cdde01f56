"""Story paragraphs about prices: the total market, bitcoin's day and week, ether against bitcoin.

Each builder records the facts it prints in the ledger and returns sentences
(segment lists); a builder whose data is missing returns no sentences.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptodesk.analytics.types import AssetState, IntradayRange
from cryptodesk.writer.context import INTERVAL_WORDS, Ctx, market_source_phrase, source_label, venue_phrase
from cryptodesk.writer.ledger import Ref, Segment, compose

Sentence = list[Segment]

PCT_FORMS: tuple[tuple[str, ...], ...] = (("more_than",), ("about",), ("roughly",), ("exact",))
"""Seeded choices of how a percentage is phrased (each falls back to exact when not true)."""


def pct_ref(ctx: Ctx, fact_id: str) -> Ref:
    """A percentage fact in a seeded, always-true form."""
    return ctx.ledger.first_ref(fact_id, ctx.pick(PCT_FORMS))


def _up(pct: float, up: str, down: str) -> str:
    return up if pct >= 0 else down


# --------------------------------------------------------------------------- total market


def market_sentences(ctx: Ctx, *, lead_said_total: bool = False) -> list[Sentence]:
    """Total market cap with its source/method, the latest swing low and the change vs a year earlier.

    ``lead_said_total``: the lead already spelled out 'total market capitalization', so vary the wording.
    """
    m = ctx.analysis.market
    if m is None:
        return []
    led = ctx.ledger
    total = led.add(
        "market.total_market_cap",
        subject="market",
        metric="total_market_cap",
        value=m.total_market_cap,
        unit="usd",
        window=m.date.isoformat(),
        source=m.source,
    )
    day = led.add("market.date", subject="market", metric="date", value=m.date, unit="date", source=m.source)
    out: list[Sentence] = []
    if m.method == "sum" and m.coverage:
        n = led.add(
            "market.coverage.count",
            subject="market",
            metric="coverage_count",
            value=len(m.coverage),
            unit="count",
            window=",".join(m.coverage),
            source=m.source,
        )
        tpl = ctx.pick(
            (
                "the combined market value of the {n} cryptocurrencies cryptodesk tracks stood at {total} {day},"
                " based on {src} data",
                "summed across the {n} cryptocurrencies cryptodesk tracks, market capitalization came to {total}"
                " {day}, according to {src} data",
            )
        )
        out.append(
            compose(tpl, n=led.ref(n), total=led.ref(total), day=led.ref(day, "on_day"), src=source_label(m.source))
        )
    else:
        templates = (
            "the total market capitalization of cryptocurrencies stood at {total} {day}, according to {src}",
            "{src} put the total value of the crypto market at {total} {day}",
        )
        tpl = templates[1] if lead_said_total else ctx.pick(templates)
        src = market_source_phrase(m.source)
        out.append(compose(tpl, total=led.ref(total), day=led.ref(day, "on_day"), src=src))
    if m.day_high is not None and m.day_high > m.total_market_cap:
        hi = led.add(
            "market.day_high",
            subject="market",
            metric="day_high",
            value=m.day_high,
            unit="usd",
            window=m.date.isoformat(),
            source=m.source,
        )
        tpl = ctx.pick(
            (
                "during that session it reached as high as {hi}",
                "at its peak that session it touched {hi}",
                "its high for the session was {hi}",
            )
        )
        out.append(compose(tpl, hi=led.ref(hi)))
    out.extend(_swing_low_and_year(ctx))
    return out


def _swing_low_and_year(ctx: Ctx) -> list[Sentence]:
    m = ctx.analysis.market
    assert m is not None
    led = ctx.ledger
    out: list[Sentence] = []
    since_low: float | None = None
    if m.swing_low is not None and m.swing_low.value > 0:
        low = m.swing_low
        lo = led.add(
            "market.swing_low.value",
            subject="market",
            metric="swing_low",
            value=low.value,
            unit="usd",
            window=low.date.isoformat(),
            source=m.source,
        )
        lo_day = led.add(
            "market.swing_low.date",
            subject="market",
            metric="swing_low_date",
            value=low.date,
            unit="date",
            source=m.source,
        )
        since_low = m.total_market_cap / low.value - 1
        chg = led.add(
            "market.change.since_swing_low",
            subject="market",
            metric="change",
            value=since_low,
            unit="pct",
            window=f"{low.date.isoformat()}..{m.date.isoformat()}",
            source=m.source,
        )
        if since_low >= 0:
            tpl = ctx.pick(
                (
                    "the total fell to its most recent low of {low} {day}; since then it has {verb} {chg}",
                    "from its most recent low of {low}, set {day}, the total has {verb} {chg}",
                )
            )
        else:
            tpl = "the total now stands {chg} below its previous swing low of {low}, set {day}"
        verb = "risen by"
        out.append(compose(tpl, low=led.ref(lo), day=led.ref(lo_day, "on_day"), verb=verb, chg=pct_ref(ctx, chg)))
    year = m.changes.get("1y")
    if year is not None:
        yid = ctx.change_fact("market", year, m.source)
        still = "still, " if since_low is not None and since_low > 0 and year.pct < 0 else ""
        tpl = ctx.pick(
            (
                "{still}the overall market is {chg} {dir} than where it stood a year ago",
                "{still}the total remains {chg} {dir} than a year earlier",
            )
        )
        if year.pct >= 0:
            tpl = tpl.replace("remains", "is")
        out.append(compose(tpl, still=still, chg=pct_ref(ctx, yid), dir=_up(year.pct, "higher", "lower")))
    return out


# --------------------------------------------------------------------------- bitcoin


def _intraday_facts(ctx: Ctx, asset: AssetState, intra: IntradayRange) -> dict[str, str]:
    """Record the intraday range's figures as '<asset>.intraday.<name>' facts; returns name -> fact id."""
    src = f"{intra.source}:{intra.venue}:{intra.interval}"
    figures: dict[str, tuple[str, float | datetime, str, datetime | None]] = {
        "high": ("intraday_high", intra.high, "usd", intra.high_time),
        "high_time": ("intraday_high_time", intra.high_time.astimezone(UTC), "datetime", None),
        "last": ("intraday_last", intra.last, "usd", intra.last_time),
        "last_time": ("intraday_last_time", intra.last_time.astimezone(UTC), "datetime", None),
        "coverage_start": ("coverage_start", intra.coverage_start.astimezone(UTC), "datetime", None),
        "coverage_end": ("coverage_end", intra.coverage_end.astimezone(UTC), "datetime", None),
    }
    a = asset.asset_id
    return {
        name: ctx.ledger.add(
            f"{a}.intraday.{name}", subject=a, metric=metric, value=value, unit=unit, source=src, observed_at=seen
        )
        for name, (metric, value, unit, seen) in figures.items()
    }


def coverage_gaps(intra: IntradayRange, as_of: datetime) -> tuple[bool, bool]:
    """(starts late, ends early): whether intraday data misses the start of its UTC day or the time up to as_of.

    One bar of slack is allowed at the start, and max(two bars, 15 minutes) at the end.
    """
    minutes = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "4h": 240}.get(intra.interval, 60)
    bar = timedelta(minutes=minutes)
    day_start = datetime.combine(intra.coverage_end.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    late_start = intra.coverage_start > day_start + bar
    early_end = intra.coverage_end < as_of - max(2 * bar, timedelta(minutes=15))
    return late_start, early_end


def intraday_sentences(ctx: Ctx, asset: AssetState, *, first_mention: bool) -> list[Sentence]:
    """The asset's intraday high and time (naming venue and any partial coverage) and where it last traded."""
    intra = asset.intraday
    if intra is None:
        return []
    led = ctx.ledger
    ids = _intraday_facts(ctx, asset, intra)
    who = f"{ctx.name(asset)} ({ctx.ticker(asset)})" if first_mention else ctx.name(asset)
    high = led.first_ref(ids["high"], ctx.pick((("exact",), ("just_below", "exact"))))
    if high.form == "just_below":
        verb = "peaked"
    else:
        verb = ctx.pick(("traded as high as", "reached as much as", "touched a high of"))
    interval = INTERVAL_WORDS.get(intra.interval, "intraday")
    venue = venue_phrase(intra.source, intra.venue)
    high_sentence = compose(
        "{who} {verb} {high} at {time}", who=who, verb=verb, high=high, time=led.ref(ids["high_time"], "clock")
    )
    if intra.high_time.astimezone(UTC).date() != ctx.analysis.as_of.astimezone(UTC).date():
        high_sentence += [" ", led.ref(ids["high_time"], "on_day")]
    high_sentence.extend(compose(", according to {iv} bars from {venue}", iv=interval, venue=venue))
    out: list[Sentence] = [high_sentence]
    late_start, early_end = coverage_gaps(intra, ctx.analysis.as_of)
    if late_start or early_end:
        missing = "a higher price earlier in the day" if late_start else "a later high"
        if late_start and early_end:
            missing = "a higher price outside that window"
        out.append(
            compose(
                ctx.pick(
                    (
                        "those bars cover only {start} to {end}, so {missing} may not be captured",
                        "the bars cover only {start} to {end}; {missing} may not be captured",
                    )
                ),
                start=led.ref(ids["coverage_start"], "clock"),
                end=led.ref(ids["coverage_end"], "clock"),
                missing=missing,
            )
        )
    if intra.last_time > intra.high_time and intra.last != intra.high:
        tpl = ctx.pick(("by {t}, {who} was trading at {last}", "as of {t}, {who} was changing hands at {last}"))
        out.append(
            compose(
                tpl,
                t=led.ref(ids["last_time"], "clock"),
                who=ctx.name(asset),
                last=led.first_ref(ids["last"], ctx.pick((("about",), ("exact",)))),
            )
        )
    return out


def returns_sentence(ctx: Ctx, asset: AssetState, calendar_note: list[Segment]) -> list[Sentence]:
    """The asset's one-week and year-to-date change, followed by the calendar note about the week (if any)."""
    week = asset.changes.get("7d")
    ytd = asset.changes.get("ytd")
    if week is None and ytd is None:
        return []
    name = ctx.name(asset)
    parts: list[Segment] = []
    if week is not None:
        wid = ctx.change_ref_id(asset, "7d")
        assert wid is not None
        tpl = ctx.pick(("{who} is {dir} {chg} from where it traded a week ago", "{who} has {verb} {chg} in a week"))
        parts += compose(
            tpl,
            who=name,
            dir=_up(week.pct, "up", "down"),
            verb=_up(week.pct, "gained", "lost"),
            chg=pct_ref(ctx, wid),
        )
    if ytd is not None:
        yid = ctx.change_ref_id(asset, "ytd")
        assert yid is not None
        if not parts:
            tpl = "{who} has {verb} {chg} so far this year"
        elif "has" in "".join(p for p in parts if isinstance(p, str)):
            tpl = ", and is {dir} {chg} for the year"
        else:
            tpl = " and has {verb} {chg} so far this year"
        parts += compose(
            tpl, who=name, verb=_up(ytd.pct, "gained", "lost"), dir=_up(ytd.pct, "up", "down"), chg=pct_ref(ctx, yid)
        )
    return [parts, calendar_note] if calendar_note and week is not None else [parts]


def last_price_sentence(ctx: Ctx, asset: AssetState, *, first_mention: bool = True) -> list[Sentence]:
    """Where the asset last traded when no intraday range is known."""
    led = ctx.ledger
    a = asset.asset_id
    pid = led.add(
        f"{a}.last_price",
        subject=a,
        metric="price",
        value=asset.last_price,
        unit="usd",
        source=asset.price_source,
        observed_at=asset.last_time,
    )
    tid = led.add(
        f"{a}.last_time",
        subject=a,
        metric="price_time",
        value=asset.last_time.astimezone(UTC),
        unit="datetime",
        source=asset.price_source,
    )
    return [
        compose(
            "{who} last traded at {p} as of {t} {day}, according to {src}",
            who=f"{ctx.name(asset)} ({ctx.ticker(asset)})" if first_mention else ctx.name(asset),
            p=led.ref(pid),
            t=led.ref(tid, "clock"),
            day=led.ref(tid, "on_day"),
            src=source_label(asset.price_source),
        )
    ]


# --------------------------------------------------------------------------- ether vs bitcoin


def relative_sentences(ctx: Ctx, asset: AssetState, bench: AssetState | None) -> list[Sentence]:
    """The asset's one-month change against the benchmark's (bitcoin), as the data shows it, and its high."""
    own = asset.changes.get("30d")
    out: list[Sentence] = []
    if own is not None:
        oid = ctx.change_ref_id(asset, "30d")
        assert oid is not None
        other = bench.changes.get("30d") if bench is not None else None
        who = f"{ctx.name(asset)} ({ctx.ticker(asset)})"
        if bench is not None and other is not None:
            bid = ctx.change_ref_id(bench, "30d")
            assert bid is not None
            tpl = ctx.pick(
                (
                    "{who} is {dir} {chg} over the last month, against a {bword} of {bchg} for {bench}",
                    "over the last month, {who} has {verb} {chg}, {cmp} {bench}'s {bword} of {bchg}",
                )
            )
            falling = own.pct < 0 or other.pct < 0
            ahead, behind = ("outperforming", "underperforming") if falling else ("outpacing", "trailing")
            cmp = ahead if own.pct > other.pct else behind if own.pct < other.pct else "matching"
            bword = _up(other.pct, "gain", "decline")
            out.append(
                compose(
                    tpl,
                    who=who,
                    dir=_up(own.pct, "up", "down"),
                    verb=_up(own.pct, "gained", "lost"),
                    chg=ctx.ledger.first_ref(oid, ctx.pick((("about",), ("exact",)))),
                    bchg=ctx.ledger.first_ref(bid, ctx.pick((("about",), ("exact",)))),
                    bword=bword,
                    cmp=cmp,
                    bench=ctx.name(bench),
                )
            )
        else:
            out.append(
                compose(
                    "{who} is {dir} {chg} over the last month",
                    who=who,
                    dir=_up(own.pct, "up", "down"),
                    chg=pct_ref(ctx, oid),
                )
            )
    if asset.intraday is not None:
        ids = _intraday_facts(ctx, asset, asset.intraday)
        high = ctx.ledger.first_ref(ids["high"], ("just_below", "exact"))
        out.append(
            compose(
                "{who} peaked {at}{high} at {t}, according to {venue}",
                who=ctx.name(asset),
                at="" if high.form == "just_below" else "at ",
                high=high,
                t=ctx.ledger.ref(ids["high_time"], "clock"),
                venue=venue_phrase(asset.intraday.source, asset.intraday.venue),
            )
        )
    return out
