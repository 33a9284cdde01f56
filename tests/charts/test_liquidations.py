"""Liquidation charts on hand-made frames: hourly and daily buckets, net line, feed coverage, no invented bars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from cryptodesk.analytics.types import Analysis
from cryptodesk.charts.build import build_chart, render_chart
from cryptodesk.core.frames import COVERAGE_SCHEMA, LIQ_SCHEMA, MarketFrames

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
ROWS = [  # (minutes before as_of, side, usd)
    (10, "short", 5e6),
    (20, "short", 7e6),
    (25, "long", 2e6),
    (70, "long", 4e6),
    (60 * 30, "short", 1e6),  # 30 hours earlier
    (60 * 45, "long", 3e6),  # 45 hours earlier: before the feed's recorded coverage
    (60 * 24 * 5, "long", 9e6),  # outside a 3-day window
]


def frames(rows: list[tuple[int, str, float]], coverage: bool = True) -> MarketFrames:
    base = MarketFrames.empty(AS_OF)
    liq = pl.DataFrame(
        [
            {"exchange": "binance", "asset_id": "bitcoin", "ts": AS_OF - timedelta(minutes=m), "side": side,
             "notional_usd": usd, "source": "coinglass"}
            for m, side, usd in rows
        ],
        schema=LIQ_SCHEMA,
    )  # fmt: skip
    cov = pl.DataFrame(
        [{"exchange": "binance", "feed": "forceOrder", "start": AS_OF - timedelta(hours=40), "end": AS_OF}]
        if coverage
        else [],
        schema=COVERAGE_SCHEMA,
    )
    return MarketFrames(**{**base.__dict__, "liquidations": liq, "coverage": cov})


def hourly_expected(tz: str, rows: list[tuple[int, str, float]], days: int) -> dict[datetime, tuple[float, float]]:
    out: dict[datetime, tuple[float, float]] = {}
    for m, side, usd in rows:
        ts = AS_OF - timedelta(minutes=m)
        if ts <= AS_OF - timedelta(days=days):
            continue
        local = ts.astimezone(ZoneInfo(tz)).replace(tzinfo=None, minute=0, second=0)
        short, long = out.get(local, (0.0, 0.0))
        out[local] = (short + usd, long) if side == "short" else (short, long + usd)
    return out


@pytest.mark.parametrize("tz", ["America/New_York", "UTC"])
def test_hourly_bars_net_and_coverage(tz: str) -> None:
    c = build_chart("liquidations", frames(ROWS), Analysis(AS_OF, None), tz=tz, window_days=3)
    panel = c.panels[0]
    shorts, longs, net = panel.series
    expected = hourly_expected(tz, ROWS, 3)
    assert set(shorts.x) == set(expected)
    for x, s, lg in zip(shorts.x, shorts.y, longs.y, strict=True):
        assert s == pytest.approx(expected[x][0])
        assert lg == pytest.approx(-expected[x][1])  # longs drawn below zero
    feed_start = (AS_OF - timedelta(hours=40)).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    for x, n in zip(net.x, net.y, strict=True):
        if x in expected:
            assert n == pytest.approx(expected[x][0] - expected[x][1])
        elif x >= feed_start:
            assert n == 0.0  # a connected feed that recorded nothing: a real zero
        else:
            assert n is None  # no feed: unknown, never drawn as zero
    assert net.x[0] == min(expected)
    assert net.x[-1] == max(expected)
    assert None in net.y
    assert shorts.kind == longs.kind == "bar"
    assert net.kind == "line"
    assert len(panel.spans) == 1
    assert panel.empty_message is None
    assert c.x_label == ("Time (ET)" if tz == "America/New_York" else "Time (UTC)")
    assert render_chart(c, "png")[:4] == b"\x89PNG"


def test_daily_buckets_for_long_windows() -> None:
    c = build_chart("liquidations", frames(ROWS), Analysis(AS_OF, None), tz="UTC", window_days=7)
    shorts, longs, _net = c.panels[0].series
    assert sum(v or 0 for v in shorts.y) == pytest.approx(13e6)
    assert sum(v or 0 for v in longs.y) == pytest.approx(-18e6)
    assert all(x.hour == 0 for x in shorts.x)
    assert "Per day" in c.subtitle


@pytest.mark.parametrize(("coverage", "reason"), [(True, "connected feeds recorded none"), (False, "no feed")])
def test_no_rows_means_no_bars(coverage: bool, reason: str) -> None:
    c = build_chart("liquidations", frames([], coverage), Analysis(AS_OF, None), tz="UTC", window_days=3)
    panel = c.panels[0]
    assert not panel.series
    assert panel.empty_message is not None
    assert reason in panel.empty_message
