"""The headline and lead: written from the top-ranked event (or from the data when no event applies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from cryptodesk.analytics.types import AssetState
from cryptodesk.core.models import Event
from cryptodesk.writer.context import BENCHMARK, WINDOW_WORDS, Ctx, cap, market_source_phrase
from cryptodesk.writer.ledger import Ref, Segment, compose
from cryptodesk.writer.sections import pct_ref
from cryptodesk.writer.signals import SMA_DAYS, VOLUME_AVG_DAYS, sigma_fact, volume_ratio_fact

Sentence = list[Segment]

MARKET_SUBJECTS = frozenset({"market", "total", "total_market_cap", "crypto", "global"})
HEADLINE_WINDOWS: dict[str, str] = {"1d": "in a day", "7d": "in a week", "30d": "in a month", "ytd": "this year"}


@dataclass(frozen=True)
class Lead:
    """The headline, the lead sentences and which section (if any) the top event moves to the front."""

    headline: list[Segment]
    sentences: list[Sentence]
    front: tuple[str, str] | None = None
    """(section, asset_id) to put first, e.g. ('returns', 'bitcoin'), when the event is told by a section."""


def _is_market(ctx: Ctx, ev: Event) -> bool:
    return ctx.analysis.market is not None and (ev.subject in MARKET_SUBJECTS or ev.subject not in ctx.analysis.assets)


def _event_prefix(ev: Event) -> str:
    return f"event.{ev.subject}.{ev.metric}.{ev.kind}"


def _subject_phrases(ctx: Ctx, ev: Event) -> tuple[str, str, str] | None:
    """(headline subject, lead subject, source clause) for the event's subject, or None if unknown."""
    m = ctx.analysis.market
    if _is_market(ctx, ev) and m is not None:
        return (
            "Crypto market cap",
            "the total market capitalization of cryptocurrencies",
            (f", according to {market_source_phrase(m.source)}"),
        )
    asset = ctx.asset(ev.subject)
    if asset is None:
        return None
    return cap(ctx.name(asset)), f"{ctx.name(asset)} ({ctx.ticker(asset)})", ""


def _when(ctx: Ctx, ev: Event) -> Ref | None:
    """When the event happened: the day of the bar it was judged on (details['date']), else its time of day.

    None for a daily-close event without a date (its judging time is not when the close happened).
    """
    p = _event_prefix(ev)
    day = ev.details.get("date")
    if isinstance(day, date) and not isinstance(day, datetime):
        fid = ctx.ledger.add(f"{p}.date", subject=ev.subject, metric="date", value=day, unit="date")
        return ctx.ledger.ref(fid, "on_day")
    if ev.metric == "close":
        return None
    fid = ctx.ledger.add(f"{p}.time", subject=ev.subject, metric="time", value=ev.time.astimezone(UTC), unit="datetime")
    return ctx.ledger.ref(fid, "on_day_part")


def level_cross(ctx: Ctx, ev: Event) -> Lead | None:
    """'Crypto market cap tops $1 trillion for first time since early November'.

    A cross of daily closes (metric 'close') is told as 'closed above ... on Tuesday'; other metrics as
    'rose above ... on Wednesday morning' at the event's time.
    """
    names = _subject_phrases(ctx, ev)
    if names is None or ev.level is None:
        return None
    led = ctx.ledger
    p = _event_prefix(ev)
    level = led.add(f"{p}.level", subject=ev.subject, metric=ev.metric, value=ev.level, unit="usd")
    up = ev.direction != "down"
    h_verb = ctx.pick(("tops", "rises above", "climbs past")) if up else ctx.pick(("falls below", "drops under"))
    if ev.metric == "close":
        l_verb = "closed above" if up else "closed below"
    else:
        l_verb = "rose above" if up else "fell below"
    headline = compose("{who} {verb} {level}", who=names[0], verb=h_verb, level=led.ref(level))
    lead = compose("{who} {verb} {level}", who=names[1], verb=l_verb, level=led.ref(level))
    when = _when(ctx, ev)
    if when is not None:
        lead += [" ", when]
    if ev.last_time_beyond is not None:
        since = led.add(
            f"{p}.last_time_beyond",
            subject=ev.subject,
            metric="last_time_beyond",
            value=ev.last_time_beyond,
            unit="date",
        )
        headline += compose(" for first time since {d}", d=led.ref(since, "month_part"))
        lead += compose(" for the first time since {d}", d=led.ref(since, "month_day"))
    else:
        lead.append(" for the first time in the data")
    close = ev.details.get("close")
    if ev.metric == "close" and isinstance(close, int | float) and close != ev.level:
        cid = led.add(f"{p}.close", subject=ev.subject, metric="close", value=float(close), unit="usd")
        lead += compose(", finishing at {c}", c=led.ref(cid))
    lead.append(names[2])
    return Lead(headline, [lead])


def extreme(ctx: Ctx, ev: Event) -> Lead | None:
    """'Bitcoin hits highest level since mid-September'.

    With no ``since`` (the extreme of all the data), the story says how far back the data goes
    (details['history_start']) rather than claiming an all-time record it cannot see.
    """
    names = _subject_phrases(ctx, ev)
    if names is None or ev.value is None:
        return None
    led = ctx.ledger
    p = _event_prefix(ev)
    value = led.add(f"{p}.value", subject=ev.subject, metric=ev.metric, value=ev.value, unit="usd")
    high = ev.direction != "low"
    word = "highest" if high else "lowest"
    verb = ("closed at" if high else "settled at") if ev.metric == "close" else ("reached" if high else "fell to")
    lead = compose("{who} {verb} {value}", who=names[1], verb=verb, value=led.ref(value))
    when = _when(ctx, ev)
    if when is not None:
        lead += [" ", when]
    start = ev.details.get("history_start")
    if ev.since is not None:
        since = led.add(f"{p}.since", subject=ev.subject, metric="since", value=ev.since, unit="date")
        headline = compose("{who} hits {word} level since {d}", who=names[0], word=word, d=led.ref(since, "month_part"))
        lead += compose(", its {word} level since {d}", word=word, d=led.ref(since, "month_day"))
    elif isinstance(start, date):
        sid = led.add(f"{p}.history_start", subject=ev.subject, metric="history_start", value=start, unit="date")
        headline = compose(
            "{who} hits {word} level in data going back to {d}", who=names[0], word=word, d=led.ref(sid, "month_part")
        )
        lead += compose(", its {word} level in data going back to {d}", word=word, d=led.ref(sid, "month_day"))
    else:
        headline = compose("{who} hits record {hl}", who=names[0], hl="high" if high else "low")
        lead.append(f", a record {'high' if high else 'low'}")
    lead.append(names[2])
    return Lead(headline, [lead])


def _move_fact(ctx: Ctx, ev: Event, asset: AssetState, window: str) -> tuple[str, float] | None:
    """The change over ``window``: from the analysis when it has it, else from the event's own details."""
    fid = ctx.change_ref_id(asset, window)
    if fid is not None:
        return fid, asset.changes[window].pct
    ret = ev.details.get("return", ev.value)
    if not isinstance(ret, int | float):
        return None
    start, end = ev.details.get("start_date"), ev.details.get("end_date")
    span = f"{start.isoformat()}..{end.isoformat()}" if isinstance(start, date) and isinstance(end, date) else window
    fid = ctx.ledger.add(
        f"{asset.asset_id}.change.{window}",
        subject=asset.asset_id,
        metric="change",
        value=float(ret),
        unit="pct",
        window=span,
        source=str(ev.details.get("source", asset.daily_source)),
    )
    return fid, float(ret)


def big_move(ctx: Ctx, ev: Event, asset: AssetState) -> Lead | None:
    """'Bitcoin jumps more than 20% in a week': a one-week or year-to-date move is told by the returns section."""
    window = str(ev.details.get("window", "7d"))
    if window not in WINDOW_WORDS:
        return None
    move = _move_fact(ctx, ev, asset, window)
    if move is None:
        return None
    fid, pct = move
    verb = ctx.pick(("jumps", "climbs", "rallies")) if pct >= 0 else ctx.pick(("slides", "drops", "falls"))
    when = HEADLINE_WINDOWS.get(window, WINDOW_WORDS[window])
    headline = compose(
        "{who} {verb} {chg} {when}", who=cap(ctx.name(asset)), verb=verb, chg=pct_ref(ctx, fid), when=when
    )
    if window in ("7d", "ytd") and window in asset.changes and asset.asset_id == BENCHMARK:
        return Lead(headline, [], ("returns", asset.asset_id))  # bitcoin's returns section tells it
    lead = compose(
        "{who} ({tk}) has {verb} {chg} {when}",
        who=ctx.name(asset),
        tk=ctx.ticker(asset),
        verb="gained" if pct >= 0 else "lost",
        chg=pct_ref(ctx, fid),
        when=WINDOW_WORDS[window],
    )
    return Lead(headline, [lead])


def market_move(ctx: Ctx, ev: Event) -> Lead | None:
    """'Crypto market cap climbs more than 20% in a week', from the market's change over the event's window."""
    m = ctx.analysis.market
    window = str(ev.details.get("window", "7d"))
    if m is None or window not in m.changes or window not in WINDOW_WORDS:
        return None
    fid = ctx.change_fact("market", m.changes[window], m.source)
    pct = m.changes[window].pct
    verb = ctx.pick(("jumps", "climbs")) if pct >= 0 else ctx.pick(("slides", "drops"))
    when = HEADLINE_WINDOWS.get(window, WINDOW_WORDS[window])
    headline = compose("Crypto market cap {verb} {chg} {when}", verb=verb, chg=pct_ref(ctx, fid), when=when)
    lead = compose(
        "the total market capitalization of cryptocurrencies has {verb} {chg} {when}, according to {src}",
        verb="risen" if pct >= 0 else "fallen",
        chg=pct_ref(ctx, fid),
        when=WINDOW_WORDS[window],
        src=market_source_phrase(m.source),
    )
    return Lead(headline, [lead])


def sma_extension(ctx: Ctx, _ev: Event, asset: AssetState) -> Lead | None:
    """'Bitcoin stretches 2.6 standard deviations above its 50-day average'."""
    sid = sigma_fact(ctx, asset)
    if sid is None or asset.dist_sma50_sigma is None:
        return None
    days = ctx.ledger.add(
        f"{asset.asset_id}.sma50.days",
        subject=asset.asset_id,
        metric="sma_window",
        value=SMA_DAYS,
        unit="days",
        source=asset.daily_source,
    )
    side = "above" if asset.dist_sma50_sigma >= 0 else "below"
    headline = compose(
        "{who} stretches {s} {side} its {n} average",
        who=cap(ctx.name(asset)),
        s=ctx.ledger.ref(sid),
        side=side,
        n=ctx.ledger.ref(days, "adj"),
    )
    return Lead(headline, [], ("technicals", asset.asset_id))


def volume_surge(ctx: Ctx, _ev: Event, asset: AssetState) -> Lead | None:
    """'Bitcoin trading volume runs at twice its 30-day average'."""
    rid = volume_ratio_fact(ctx, asset)
    if rid is None:
        return None
    days = ctx.ledger.add(
        f"{asset.asset_id}.volume.avg_days",
        subject=asset.asset_id,
        metric="volume_avg_window",
        value=VOLUME_AVG_DAYS,
        unit="days",
        source=asset.daily_source,
    )
    headline = compose(
        "{who} trading volume runs at {r} its {n} average",
        who=cap(ctx.name(asset)),
        r=ctx.ledger.ref(rid, "times"),
        n=ctx.ledger.ref(days, "adj"),
    )
    return Lead(headline, [], ("volume", asset.asset_id))


def relative(ctx: Ctx, ev: Event, asset: AssetState) -> Lead | None:
    """'Ether outpaces bitcoin over the last month' (direction from the data, not the event)."""
    bench = ctx.asset(str(ev.details.get("benchmark", "bitcoin")))
    if str(ev.details.get("window", "30d")) != "30d":
        return None
    mine = asset.changes.get("30d")
    if bench is None or bench is asset or mine is None or "30d" not in bench.changes:
        return None
    theirs = bench.changes["30d"]
    verb = "outpaces" if mine.pct > theirs.pct else "trails" if mine.pct < theirs.pct else "matches"
    headline = [f"{cap(ctx.name(asset))} {verb} {ctx.name(bench)} over the last month"]
    return Lead(list(headline), [], ("relative", asset.asset_id))


def _liquidation_lead(ctx: Ctx, ev: Event) -> Lead | None:
    """'Bitcoin short sellers squeezed as liquidations mount' when the event carries both totals."""
    short, long = ev.details.get("short_usd"), ev.details.get("long_usd")
    if not isinstance(short, int | float) or not isinstance(long, int | float):
        return None
    asset = ctx.asset(ev.subject)
    who = cap(ctx.name(asset)) if asset is not None else ev.subject
    side, other = ("short", "long") if short >= long else ("long", "short")
    window = WINDOW_WORDS.get(str(ev.details.get("window", "7d")), "")
    return Lead([f"{who} {side} liquidations outweigh {other}s {window}".rstrip()], [], ("liquidations", ev.subject))


def _usd_metric(metric: str) -> bool:
    """Whether an event metric is a dollar amount (prices, market caps), as level and extreme values are printed."""
    return not any(k in metric for k in ("dominance", "ratio", "rsi", "sigma", "pct"))


def event_lead(ctx: Ctx, ev: Event, *, liquidations_available: bool) -> Lead | None:
    """The lead for one event, or None when the analysis lacks what the event needs."""
    if ev.kind in ("level_cross", "extreme") and not _usd_metric(ev.metric):
        return None
    if ev.kind == "level_cross":
        return level_cross(ctx, ev)
    if ev.kind == "extreme":
        return extreme(ctx, ev)
    asset = ctx.asset(ev.subject)
    if ev.kind == "liquidation_imbalance":
        return _liquidation_lead(ctx, ev) if liquidations_available else None
    if ev.kind == "big_move" and asset is None and _is_market(ctx, ev):
        return market_move(ctx, ev)
    if asset is None:
        return None
    builders = {
        "big_move": big_move,
        "sma_extension": sma_extension,
        "volume_surge": volume_surge,
        "relative_performance": relative,
    }
    fn = builders.get(ev.kind)
    return fn(ctx, ev, asset) if fn is not None else None


def fallback_lead(ctx: Ctx) -> Lead:
    """A headline from the data alone when no event can lead: bitcoin's week, else the market total."""
    btc = ctx.asset("bitcoin")
    if btc is not None and "7d" in btc.changes:
        fid = ctx.change_ref_id(btc, "7d")
        assert fid is not None
        pct = btc.changes["7d"].pct
        return Lead(
            compose("Bitcoin {dir} {chg} in a week", dir="up" if pct >= 0 else "down", chg=pct_ref(ctx, fid)),
            [],
            ("returns", "bitcoin"),
        )
    m = ctx.analysis.market
    if m is not None:
        fid = ctx.ledger.add(
            "market.total_market_cap",
            subject="market",
            metric="total_market_cap",
            value=m.total_market_cap,
            unit="usd",
            window=m.date.isoformat(),
            source=m.source,
        )
        return Lead(compose("Crypto market cap stands at {v}", v=ctx.ledger.ref(fid)), [])
    return Lead(["Crypto market update"], [])
