"""Generality: well-known moments of 2021-2024 detected through the whole desk (store -> analytics -> events).

For each moment the expected kind, level, direction and "since" date are recomputed
here from the raw pack CSVs (csv module), not taken from the desk.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cryptodesk.core.models import Event
from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk

ET = ZoneInfo("America/New_York")


def _closes(data_pack: Path, subject: str) -> dict[date, float]:
    if subject == "total_market_cap":
        path = next((data_pack / "total_market_cap").glob("*.csv"))
        with path.open() as f:
            return {datetime.fromtimestamp(int(r["time"]), UTC).date(): float(r["close"]) for r in csv.DictReader(f)}
    sym = {"bitcoin": "btc", "ethereum": "eth"}[subject]
    with (data_pack / f"daily/coingecko_exports/{sym}-usd-max.csv").open() as f:
        return {
            date.fromisoformat(r["snapped_at"][:10]) - timedelta(days=1): float(r["price"]) for r in csv.DictReader(f)
        }


def _moment(day: date) -> datetime:
    """12:30 p.m. ET on ``day``: the latest closed daily bar is the day before."""
    return datetime.combine(day, time(12, 30), tzinfo=ET).astimezone(UTC)


@pytest.fixture(scope="module")
def desk(pack_db: Path) -> Desk:
    return Desk(load_settings({"db": pack_db}, env={}))


def _events(desk: Desk, day: date) -> list[Event]:
    return desk.detect(_moment(day))


@pytest.mark.parametrize(
    ("subject", "day", "level", "direction"),
    [
        ("bitcoin", date(2022, 6, 19), 20_000.0, "down"),  # BTC below $20k after the Celsius/3AC sell-off
        ("bitcoin", date(2023, 4, 12), 30_000.0, "up"),  # BTC back above $30k (close of Apr 11)
        ("ethereum", date(2022, 6, 19), 1_000.0, "down"),  # ETH below $1,000
        ("total_market_cap", date(2023, 1, 24), 1e12, "up"),  # total market cap back above $1 trillion
        ("bitcoin", date(2024, 3, 5), 65_000.0, "up"),  # BTC above $65k on the way to a new high
    ],
)
def test_level_crossings(desk: Desk, data_pack: Path, subject: str, day: date, level: float, direction: str) -> None:
    closes = _closes(data_pack, subject)
    latest = max(d for d in closes if d < day)
    prev = max(d for d in closes if d < latest)
    if direction == "up":
        assert closes[prev] < level <= closes[latest], "the moment is not a crossing in the raw data"
        beyond = [d for d in closes if d < latest and closes[d] >= level]
    else:
        assert closes[prev] >= level > closes[latest], "the moment is not a crossing in the raw data"
        beyond = [d for d in closes if d < latest and closes[d] < level]
    expected_since = max(beyond) if beyond else None
    found = [e for e in _events(desk, day) if e.kind == "level_cross" and e.subject == subject and e.level == level]
    assert found, f"no {level:,.0f} crossing for {subject} on {latest}"
    assert found[0].direction == direction
    assert found[0].last_time_beyond == expected_since


@pytest.mark.parametrize(
    ("subject", "day", "direction"),
    [
        ("bitcoin", date(2021, 11, 9), "high"),  # the November 2021 all-time high
        ("total_market_cap", date(2022, 11, 10), "low"),  # FTX collapse: lowest since ...
        ("ethereum", date(2022, 6, 19), "low"),  # ETH's June 2022 low
    ],
)
def test_extremes(desk: Desk, data_pack: Path, subject: str, day: date, direction: str) -> None:
    closes = _closes(data_pack, subject)
    latest = max(d for d in closes if d < day)
    value = closes[latest]
    if direction == "high":
        beyond = [d for d in closes if d < latest and closes[d] >= value]
    else:
        beyond = [d for d in closes if d < latest and closes[d] <= value]
    expected_since = max(beyond) if beyond else None
    assert expected_since is None or (latest - expected_since).days >= 30, "not newsworthy in the raw data"
    found = [
        e
        for e in _events(desk, day)
        if e.kind == "extreme" and e.subject == subject and e.metric == "close" and e.direction == direction
    ]
    assert found, f"no {direction} extreme for {subject} on {latest}"
    assert found[0].value == pytest.approx(value)
    assert found[0].since == expected_since
