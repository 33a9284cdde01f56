"""Chart builders on the real pack: every kind at several dates, values checked against the CSVs directly."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cryptodesk.charts.build import KINDS, build_chart
from cryptodesk.charts.spec import Chart, Panel, Series
from cryptodesk.desk import Desk
from cryptodesk.desk.charts import Snapshot, chart

from . import pack_csv
from .conftest import MOMENTS, TZ

ET = ZoneInfo(TZ)


def _series(panel: Panel, label: str) -> Series:
    return next(s for s in panel.series if s.label == label)


def _build(snap: Snapshot, kind: str, **kw: object) -> Chart:
    return build_chart(kind, snap.frames, snap.analysis, snap.events, tz=TZ, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("day", list(MOMENTS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_builds_with_titles_units_and_zone(snapshots: dict[str, Snapshot], day: str, kind: str) -> None:
    c = _build(snapshots[day], kind)
    assert c.kind == kind
    assert c.title
    assert "ET" in c.subtitle  # the as-of time is in the chart's zone
    assert c.panels[0].unit in ("usd", "pct")
    assert c.source.startswith("Source:")
    for panel in c.panels:
        for s in panel.series:
            assert len(s.x) == len(s.y)


@pytest.mark.parametrize("day", ["2022-11-15", "2023-01-18"])
def test_price_chart_averages_match_the_csv(snapshots: dict[str, Snapshot], data_pack: Path, day: str) -> None:
    c = _build(snapshots[day], "price", asset="bitcoin")
    closes = pack_csv.coingecko_closes(data_pack, "btc")
    top = c.panels[0]
    close = _series(top, "Bitcoin close")
    last_day = close.x[-1]
    assert last_day == snapshots[day].frames.as_of.date() - timedelta(days=1)
    window = [closes[last_day - timedelta(days=i)][0] for i in range(50)]
    assert close.y[-1] == pytest.approx(closes[last_day][0], rel=1e-12)
    assert _series(top, "50-day average").y[-1] == pytest.approx(sum(window) / 50, rel=1e-9)
    mean = sum(window) / 50
    sd = math.sqrt(sum((v - mean) ** 2 for v in window) / 49)
    two = next(b for b in top.bands if b.label.startswith("±2σ"))
    assert two.upper[-1] == pytest.approx(mean + 2 * sd, rel=1e-9)
    assert two.lower[-1] == pytest.approx(mean - 2 * sd, rel=1e-9)
    rsi = c.panels[1].series[0]
    assert rsi.y[-1] == pytest.approx(snapshots[day].analysis.assets["bitcoin"].rsi14, rel=1e-9)
    assert all(v is None or 0 <= v <= 100 for v in rsi.y)
    assert c.panels[1].y_range == (0, 100)


def test_market_cap_marks_highest_since_round_level_and_swing_low(
    snapshots: dict[str, Snapshot], data_pack: Path
) -> None:
    snap = snapshots["2023-01-18"]
    c = _build(snap, "market_cap")
    panel = c.panels[0]
    total = pack_csv.tradingview_total(data_pack)
    last_day = _series(panel, "Daily close").x[-1]
    high = total[last_day][0]
    since = max(d for d, (h, _lo, _c) in total.items() if d < last_day and h >= high)
    labels = [m.label for m in panel.markers]
    assert "Highest since Nov. 8, 2022: $966 billion" in labels
    assert since.isoformat() == "2022-11-08"
    assert any(m.x == since for m in panel.markers)
    assert 1e12 in [lv.y for lv in panel.levels]
    assert "$1 trillion" in [lv.label for lv in panel.levels]
    swing = snap.analysis.market.swing_low if snap.analysis.market else None
    assert swing is not None
    assert swing.value in total[swing.date]  # the value as the series shows it on that day
    assert "Latest swing low $744 billion, Dec. 19, 2022" in labels
    assert _series(panel, "Daily close").y[-1] == pytest.approx(total[last_day][2], rel=1e-12)


@pytest.mark.parametrize(
    ("day", "expected", "absent"),
    [
        ("2022-11-09", {"FTX halts withdrawals"}, {"FTX files for Chapter 11 bankruptcy"}),
        ("2022-11-15", {"FTX halts withdrawals", "FTX files for Chapter 11 bankruptcy"}, set()),
    ],
)
def test_calendar_events_annotated_without_look_ahead(
    snapshots: dict[str, Snapshot], day: str, expected: set[str], absent: set[str]
) -> None:
    c = _build(snapshots[day], "market_cap", window_days=60)
    labels = {a.label for a in c.panels[0].annotations}

    def shown(title: str) -> bool:
        return any(title == label or title.startswith(label.rstrip("…")) for label in labels)

    assert all(shown(t) for t in expected)
    assert not any(shown(t) for t in absent)
    assert "CPI" in labels  # macro releases are tagged on windows up to 120 days


def test_intraday_high_low_times_match_the_binance_file(snapshots: dict[str, Snapshot], data_pack: Path) -> None:
    snap = snapshots["2023-01-18"]
    c = _build(snap, "intraday", asset="bitcoin")
    bars = [b for b in pack_csv.binance_minutes(data_pack) if b[0] + timedelta(minutes=1) <= snap.frames.as_of]
    hi = max(bars, key=lambda b: b[1])
    lo = min(bars, key=lambda b: b[2])
    labels = [m.label for m in c.panels[0].markers]
    hi_et = hi[0].astimezone(ET)
    lo_et = lo[0].astimezone(ET)
    assert f"High ${hi[1]:,.0f} at {hi_et.hour % 12 or 12}:{hi_et.minute:02d} a.m. ET" in labels
    assert f"Low ${lo[2]:,.0f} at {lo_et.hour % 12 or 12}:{lo_et.minute:02d} a.m. ET" in labels
    assert c.x_label == "Time (ET)"
    assert any(a.label == "As of 12:30 p.m. ET" for a in c.panels[0].annotations)
    assert "PPI" in {a.label for a in c.panels[0].annotations}  # 8:30 a.m. ET release that morning
    x = c.panels[0].series[0].x
    assert all(isinstance(t, datetime) and t.tzinfo is None for t in x)
    assert x[0] == bars[0][0].astimezone(ET).replace(tzinfo=None)


def test_intraday_without_data_says_so(snapshots: dict[str, Snapshot]) -> None:
    c = _build(snapshots["2022-11-09"], "intraday", asset="bitcoin")
    assert c.panels[0].empty_message is not None
    assert "No intraday prices" in c.panels[0].empty_message
    assert not c.panels[0].series


@pytest.mark.parametrize("day", ["2022-11-15", "2023-01-18"])
def test_performance_matches_closes_over_the_window(snapshots: dict[str, Snapshot], data_pack: Path, day: str) -> None:
    c = _build(snapshots[day], "performance", window_days=30)
    eth = pack_csv.coingecko_closes(data_pack, "eth")
    s = next(s for s in c.panels[0].series if "ETH" in s.label)
    start, end = s.x[0], s.x[-1]
    assert (end - start).days == 30
    assert s.y[0] == 0.0
    assert s.y[-1] == pytest.approx(eth[end][0] / eth[start][0] - 1, rel=1e-9)
    assert "Ether" in c.title or "Ethereum" in c.title


def test_volume_average_is_the_thirty_days_before(snapshots: dict[str, Snapshot], data_pack: Path) -> None:
    c = _build(snapshots["2023-01-18"], "volume", asset="bitcoin")
    vols = pack_csv.coingecko_closes(data_pack, "btc")
    avg = _series(c.panels[0], "30-day average")
    last = avg.x[-1]
    before = [vols[last - timedelta(days=i)][1] for i in range(1, 31)]
    assert avg.y[-1] == pytest.approx(sum(before) / 30, rel=1e-9)
    assert _series(c.panels[0], "Daily volume").kind == "bar"


def test_liquidations_without_data_draw_nothing(snapshots: dict[str, Snapshot]) -> None:
    c = _build(snapshots["2022-11-09"], "liquidations")
    panel = c.panels[0]
    assert not panel.series
    assert panel.empty_message is not None
    assert "No liquidation data" in panel.empty_message


def test_desk_chart_resolves_symbols_and_windows(session_desk: Desk) -> None:
    c = chart(session_desk, "price", MOMENTS["2023-01-18"], tz=TZ, asset="ETH", window_days=90)
    close = c.panels[0].series[0]
    assert close.label == "Ether close"
    assert (close.x[-1] - close.x[0]).days == 90
