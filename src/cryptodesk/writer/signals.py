"""Story paragraphs about signals: distance from the 50-day average, volume, the macro calendar, liquidations."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from cryptodesk.analytics.types import AssetState
from cryptodesk.writer.context import Ctx
from cryptodesk.writer.ledger import Segment, compose

Sentence = list[Segment]

SMA_DAYS = 50
VOLUME_AVG_DAYS = 30
EXTREME_SIGMA = 2.0
"""Bespoke-style bands around the 50-day average: beyond 2σ is 'extreme', beyond 1σ plain overbought/oversold."""
CALENDAR_LABELS: dict[str, str] = {
    "CPI": "inflation report",
    "PPI": "producer price report",
    "NFP": "jobs report",
    "FOMC": "Federal Reserve policy decision",
}
CALENDAR_PRIORITY: tuple[str, ...] = ("CPI", "FOMC", "NFP", "PPI")
JUST_BEFORE = timedelta(days=2)
"""A window 'begins just before' a release when the release comes at most this long after the window starts."""


def sigma_label(sigma: float) -> str | None:
    """'extreme overbought' (>= 2σ), 'overbought' (>= 1σ), 'oversold', 'extreme oversold', or None (within 1σ)."""
    if sigma >= EXTREME_SIGMA:
        return "extreme overbought"
    if sigma >= 1:
        return "overbought"
    if sigma <= -EXTREME_SIGMA:
        return "extreme oversold"
    if sigma <= -1:
        return "oversold"
    return None


def sigma_fact(ctx: Ctx, asset: AssetState) -> str | None:
    """Record the σ-distance of the asset's close from its 50-day average ('<asset>.sma50.sigma')."""
    if asset.dist_sma50_sigma is None:
        return None
    a = asset.asset_id
    return ctx.ledger.add(
        f"{a}.sma50.sigma",
        subject=a,
        metric="dist_sma50_sigma",
        value=asset.dist_sma50_sigma,
        unit="sigma",
        window=asset.close_date.isoformat(),
        source=asset.daily_source,
    )


def volume_ratio_fact(ctx: Ctx, asset: AssetState) -> str | None:
    """Record the latest daily volume over its 30-day average ('<asset>.volume.ratio')."""
    if asset.volume is None or asset.volume_avg30 is None or not asset.volume_avg30 > 0:
        return None
    ratio = asset.volume_ratio if asset.volume_ratio is not None else asset.volume / asset.volume_avg30
    a = asset.asset_id
    return ctx.ledger.add(
        f"{a}.volume.ratio",
        subject=a,
        metric="volume_ratio",
        value=ratio,
        unit="ratio",
        window=asset.close_date.isoformat(),
        source=asset.daily_source,
    )


def sma_sentences(ctx: Ctx, asset: AssetState) -> list[Sentence]:
    """How far the asset's close sits from its 50-day average, in percent and standard deviations."""
    if asset.sma50 is None or asset.dist_sma50_pct is None:
        return []
    led = ctx.ledger
    a = asset.asset_id
    src = asset.daily_source
    days = led.add(f"{a}.sma50.days", subject=a, metric="sma_window", value=SMA_DAYS, unit="days", source=src)
    sma = led.add(
        f"{a}.sma50.value",
        subject=a,
        metric="sma50",
        value=asset.sma50,
        unit="usd",
        window=asset.close_date.isoformat(),
        source=src,
    )
    dist = led.add(
        f"{a}.sma50.distance",
        subject=a,
        metric="dist_sma50_pct",
        value=asset.dist_sma50_pct,
        unit="pct",
        window=asset.close_date.isoformat(),
        source=src,
    )
    close_day = led.add(
        f"{a}.close.date", subject=a, metric="close_date", value=asset.close_date, unit="date", source=src
    )
    side = "above" if asset.dist_sma50_pct >= 0 else "below"
    tpl = ctx.pick(
        (
            "{who} closed {day} {dist} {side} its {n} moving average of {sma}",
            "{who}'s close {day} stood {dist} {side} its {n} moving average of {sma}",
        )
    )
    parts = compose(
        tpl,
        who=ctx.name(asset),
        day=led.ref(close_day, "on_day"),
        dist=led.first_ref(dist, ctx.pick((("exact",), ("about",)))),
        side=side,
        n=led.ref(days, "adj"),
        sma=led.ref(sma),
    )
    out: list[Sentence] = [parts]
    sig = asset.dist_sma50_sigma
    if sig is None:
        return out
    sid = sigma_fact(ctx, asset)
    assert sid is not None
    parts += compose(", a gap of {s}", s=led.ref(sid))
    label = sigma_label(sig)
    if label is not None:
        limit = "two standard deviations" if label.startswith("extreme") else "one standard deviation"
        tpl = ctx.pick(
            (
                "by the yardstick Bespoke Investment Group uses, a reading more than {limit} {side} the {n} average"
                " counts as “{label}”",
                "Bespoke Investment Group treats a reading more than {limit} {side} the {n} average as “{label}”",
                "on the scale Bespoke Investment Group uses, more than {limit} {side} the {n} average is “{label}”",
            )
        )
        out.append(compose(tpl, limit=limit, side=side, n=led.ref(days, "adj"), label=label))
    else:
        out.append(
            [
                ctx.pick(
                    (
                        "that is within the normal range of one standard deviation either side of the average",
                        "that keeps it inside the usual band of one standard deviation around the average",
                        "by that measure it is neither overbought nor oversold",
                    )
                )
            ]
        )
    if asset.sigma_rarity is not None and label is not None:
        rid = led.add(
            f"{a}.sma50.sigma_rarity",
            subject=a,
            metric="sigma_rarity",
            value=asset.sigma_rarity,
            unit="pct",
            source=src,
        )
        only = "only " if asset.sigma_rarity <= 0.2 else ""
        out.append(
            compose(
                ctx.pick(
                    (
                        "{who} has closed that far {side} the average on {only}{r} of the days in its history"
                        " in the data",
                        "in the data, {who} has ended {only}{r} of its days that far {side} the average",
                    )
                ),
                who=ctx.name(asset),
                side=side,
                only=only,
                r=led.ref(rid),
            )
        )
    return out


def volume_sentences(ctx: Ctx, asset: AssetState) -> list[Sentence]:
    """The asset's latest daily volume against its 30-day average."""
    if asset.volume is None or asset.volume_avg30 is None or not asset.volume_avg30 > 0:
        return []
    led = ctx.ledger
    a = asset.asset_id
    src = asset.daily_source
    ratio = asset.volume_ratio if asset.volume_ratio is not None else asset.volume / asset.volume_avg30
    day = asset.close_date.isoformat()
    vol = led.add(f"{a}.volume", subject=a, metric="volume", value=asset.volume, unit="usd", window=day, source=src)
    avg = led.add(
        f"{a}.volume.avg30",
        subject=a,
        metric="volume_avg30",
        value=asset.volume_avg30,
        unit="usd",
        window=day,
        source=src,
    )
    n = led.add(
        f"{a}.volume.avg_days", subject=a, metric="volume_avg_window", value=VOLUME_AVG_DAYS, unit="days", source=src
    )
    rid = volume_ratio_fact(ctx, asset)
    assert rid is not None
    close_day = led.add(
        f"{a}.close.date", subject=a, metric="close_date", value=asset.close_date, unit="date", source=src
    )
    if ratio >= 1.2:
        tpl = ctx.pick(
            (
                "trading volume has picked up: {who} changed hands worth {vol} {day}, {r} its {n} average of {avg}",
                "volume is running hot, with {vol} worth of {who} traded {day}, {r} its {n} average of {avg}",
            )
        )
    elif round(ratio, 1) == 1.0:
        tpl = "{who} trading volume was {vol} {day}, about the same as its {n} average of {avg}"
    elif ratio >= 0.8:
        tpl = "{who} trading volume was {vol} {day}, {r} its {n} average of {avg}"
    else:
        tpl = "trading was subdued: volume in {who} came to {vol} {day}, only {r} its {n} average of {avg}"
    return [
        compose(
            tpl,
            who=ctx.name(asset),
            vol=led.ref(vol),
            day=led.ref(close_day, "on_day"),
            r=led.ref(rid, "times"),
            n=led.ref(n, "adj"),
            avg=led.ref(avg),
        )
    ]


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class Release:
    """A macro release from the calendar frame."""

    ts: datetime
    kind: str
    title: str

    @property
    def label(self) -> str:
        """Reader-facing name: 'inflation report'."""
        return CALENDAR_LABELS.get(self.kind, self.title)


def releases(calendar: pl.DataFrame) -> list[Release]:
    """The calendar's macro releases (known kinds only), oldest first.

    Remembered for the last calendar frame each thread asked about: the days of a replay share one calendar.
    """
    ref = getattr(_LAST_RELEASES, "ref", None)
    if ref is not None and ref() is calendar:
        return list(_LAST_RELEASES.value)
    found = _releases(calendar)
    _LAST_RELEASES.ref, _LAST_RELEASES.value = weakref.ref(calendar), found
    return list(found)


_LAST_RELEASES = threading.local()


def _releases(calendar: pl.DataFrame) -> list[Release]:
    if calendar.is_empty() or not {"ts", "kind"} <= set(calendar.columns):
        return []
    rows = calendar.filter(pl.col("kind").is_in(list(CALENDAR_LABELS))).sort("ts")
    titles = rows["title"] if "title" in rows.columns else pl.Series([None] * rows.height)
    out: list[Release] = []
    for ts, kind, title in zip(rows["ts"], rows["kind"], titles, strict=True):
        if ts is None:
            continue
        aware = ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
        out.append(Release(aware, str(kind), str(title or kind)))
    return out


def _release_fact(ctx: Ctx, rel: Release) -> str:
    return ctx.ledger.add(
        f"calendar.{rel.kind.lower()}.{rel.ts.astimezone(UTC).date().isoformat()}",
        subject="calendar",
        metric=rel.kind,
        value=rel.ts.astimezone(UTC),
        unit="datetime",
        source="calendar",
    )


def window_note(ctx: Ctx, start: datetime, calendar: pl.DataFrame) -> list[Segment]:
    """'that one-week stretch began just before last Thursday's inflation report', when a release fits.

    ``start`` is when the window's first close was taken. A release at most two days after it is 'just
    after the start'; a later one before as_of's day is 'included' (same-day releases get their own
    sentence, :func:`same_day_sentences`). The highest-priority kind wins (CPI first).
    """
    as_of = ctx.analysis.as_of
    zone = ZoneInfo(ctx.tz)
    found = [r for r in releases(calendar) if start < r.ts <= as_of and r.ts.astimezone(zone).date() < ctx.today]
    if not found:
        return []
    found.sort(key=lambda r: (CALENDAR_PRIORITY.index(r.kind), r.ts))
    rel = found[0]
    fid = _release_fact(ctx, rel)
    if rel.ts - start <= JUST_BEFORE:
        tpl = ctx.pick(
            (
                "that one-week stretch began just before {day} {label}",
                "the one-week window opens just before {day} {label}",
            )
        )
    else:
        tpl = ctx.pick(
            (
                "that one-week stretch included {day} {label}",
                "the week covered {day} {label}",
                "the move spans {day} {label}",
            )
        )
    return compose(tpl, day=ctx.ledger.ref(fid, "possessive"), label=rel.label)


def same_day_sentences(ctx: Ctx, calendar: pl.DataFrame) -> list[Sentence]:
    """Releases earlier on as_of's local day, with their time when one is known."""
    zone = ZoneInfo(ctx.tz)
    as_of = ctx.analysis.as_of
    out: list[Sentence] = []
    for rel in releases(calendar):
        local = rel.ts.astimezone(zone)
        if local.date() != ctx.today or rel.ts > as_of:
            continue
        fid = _release_fact(ctx, rel)
        et = rel.ts.astimezone(ZoneInfo("America/New_York"))
        if et.hour == 0 and et.minute == 0:
            out.append(
                compose(
                    "{day} {label} was also on the calendar", day=ctx.ledger.ref(fid, "possessive"), label=rel.label
                )
            )
        else:
            out.append(
                compose(
                    ctx.pick(
                        (
                            "investors also had {day} {label}, released at {t}, to digest",
                            "{day} {label} came out at {t}",
                        )
                    ),
                    day=ctx.ledger.ref(fid, "possessive"),
                    label=rel.label,
                    t=ctx.ledger.ref(fid, "clock"),
                )
            )
    return out
