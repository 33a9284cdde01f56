"""Alerts end to end: January 2023 replayed day by day over the pack store, delivered to real local receivers.

Expected firings are computed straight from the TradingView CSV (not from the
detectors): the total market cap's close highest since at least 60 days, and
the first close above $1 trillion after a 72-hour cooldown.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.alerts.receivers import smtp_server, subjects, webhook_receiver

from cryptodesk.alerts.history import AlertHistory
from cryptodesk.alerts.rules import parse_config
from cryptodesk.alerts.runner import replay
from cryptodesk.core.models import Event
from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk

START, END = date(2023, 1, 1), date(2023, 1, 31)
Detect = Callable[[datetime], list[Event]]


@pytest.fixture(scope="module")
def january(pack_db: Path) -> Iterator[Detect]:
    """desk.detect over the pack store, memoised: the month is detected once for every test here."""
    memo: dict[datetime, list[Event]] = {}
    with Desk(load_settings({"db": pack_db}, env={})) as desk:

        def detect(moment: datetime) -> list[Event]:
            if moment not in memo:
                memo[moment] = desk.detect(moment)
            return memo[moment]

        yield detect


def closes(pack: Path) -> dict[date, float]:
    """TradingView CRYPTOCAP:TOTAL daily closes by UTC day."""
    (path,) = (pack / "total_market_cap").glob("tradingview_CRYPTOCAP_TOTAL_*.csv")
    with path.open(newline="") as f:
        return {datetime.fromtimestamp(int(r["time"]), UTC).date(): float(r["close"]) for r in csv.DictReader(f)}


def data_days() -> list[date]:
    """Judged at 12:30 New York each day, the latest closed daily bar is the previous UTC day."""
    return [START + timedelta(days=i - 1) for i in range((END - START).days + 1)]


def expected_highs(c: dict[date, float], min_days: int) -> list[date]:
    """Days whose close is the highest since at least ``min_days`` days (last day at or above it)."""
    out = []
    for d in data_days():
        before = [day for day in c if day < d and c[day] >= c[d]]
        if not before or (d - max(before)).days >= min_days:
            out.append(d)
    return out


def expected_crossings(c: dict[date, float], level: float, cooldown: timedelta) -> list[date]:
    """Days the close crossed above ``level``, dropping those within ``cooldown`` of the previous alert."""
    out: list[date] = []
    for d in data_days():
        prev = max(day for day in c if day < d)
        if c[prev] < level <= c[d] and (not out or d - out[-1] >= cooldown):
            out.append(d)
    return out


def config(hook: str, slack: str, broken: str, smtp_port: int, backoff: float = 0.01) -> Any:
    return parse_config(
        {
            "retries": 3,
            "backoff_seconds": backoff,
            "allow_private_webhooks": True,  # the receivers are on 127.0.0.1
            "rule": [
                {
                    "name": "total-high",
                    "when": "extreme",
                    "subjects": ["total_market_cap"],
                    "metric": "close",
                    "direction": "high",
                    "min_days": 60,
                    "sinks": ["hook", "mail", "broken"],
                },
                {
                    "name": "total-1t",
                    "when": "level_cross",
                    "subjects": ["total_market_cap"],
                    "level": 1e12,
                    "direction": "up",
                    "cooldown_hours": 72,
                    "sinks": ["slack", "mail"],
                },
            ],
            "sink": {
                "hook": {"type": "webhook", "url": hook},
                "slack": {"type": "webhook", "url": slack, "format": "slack"},
                "broken": {"type": "webhook", "url": broken},
                "mail": {"type": "email", "host": "127.0.0.1", "port": smtp_port, "to": ["desk@example.com"]},
            },
        }
    )


def test_january_2023_fires_each_expected_alert_exactly_once(
    pack_desk: Desk, data_pack: Path, tmp_path: Path, january: Detect
) -> None:
    c = closes(data_pack)
    highs = expected_highs(c, 60)
    crossings = expected_crossings(c, 1e12, timedelta(hours=72))
    assert highs  # the data supports the January rally's highs (e.g. highest since November)
    assert crossings
    history_file = tmp_path / "alerts.duckdb"
    with (
        webhook_receiver() as (hook, hook_got),
        webhook_receiver() as (slack, slack_got),
        webhook_receiver(status=500) as (broken, broken_got),
        smtp_server() as (port, mail_got),
    ):
        cfg = config(hook, slack, broken, port)
        with AlertHistory(history_file) as history:
            fired = replay(pack_desk, cfg, START, END, history=history, detect=january)
        hook_days = [date.fromisoformat(b["key"].rsplit("|", 1)[1]) for b in hook_got.bodies]
        assert hook_days == highs
        assert len({b["key"] for b in hook_got.bodies}) == len(highs)
        assert all(b["event"]["kind"] == "extreme" and b["subject"] == "total_market_cap" for b in hook_got.bodies)
        slack_texts = [b["text"] for b in slack_got.bodies]
        assert len(slack_texts) == len(crossings)
        assert all(
            t.startswith("[total-1t] total_market_cap close crossed above 1,000,000,000,000") for t in slack_texts
        )
        assert [t.rsplit("(", 1)[1].rstrip(")") for t in slack_texts] == [d.isoformat() for d in crossings]
        assert sorted(subjects(mail_got.bodies)) == sorted(
            ["[cryptodesk] total-high: total_market_cap"] * len(highs)
            + ["[cryptodesk] total-1t: total_market_cap"] * len(crossings)
        )
        assert len(broken_got.bodies) == 3 * len(highs)  # each retried up to `retries` times
        for f in fired:
            by_sink = {d.sink: d for d in f.deliveries}
            assert by_sink.get("broken") is None or (not by_sink["broken"].ok and by_sink["broken"].attempts == 3)
            assert all(d.ok for name, d in by_sink.items() if name != "broken")

        # a restart (new history connection on the same file) replaying part of the month sends nothing again
        with AlertHistory(history_file) as history:
            again = replay(pack_desk, cfg, date(2023, 1, 12), date(2023, 1, 15), history=history, detect=january)
        assert again == []
        assert len(hook_got.bodies) == len(highs)
        assert len(mail_got.bodies) == len(highs) + len(crossings)


def test_a_failing_sink_does_not_delay_the_others(pack_desk: Desk, tmp_path: Path, january: Detect) -> None:
    with (
        webhook_receiver() as (hook, hook_got),
        webhook_receiver() as (slack, _),
        webhook_receiver(status=500) as (broken, broken_got),
        smtp_server() as (port, mail_got),
    ):
        cfg = config(hook, slack, broken, port, backoff=0.3)
        with AlertHistory(tmp_path / "a.duckdb") as history:
            fired = replay(pack_desk, cfg, date(2023, 1, 12), date(2023, 1, 12), history=history, detect=january)
        assert [f.alert.rule for f in fired] == ["total-high"]
        (hook_time, _), (mail_time, _) = hook_got.items[0], mail_got.items[0]
        attempts = [t for t, _ in broken_got.items]
        assert len(attempts) == 3
        # the good sinks were served before the failing one's first retry: nobody waited for its backoff
        assert hook_time < attempts[1]
        assert mail_time < attempts[1]


@pytest.mark.parametrize("rule", ["total-high", "total-1t"])
def test_dry_run_matches_the_replay(pack_desk: Desk, data_pack: Path, rule: str, january: Detect) -> None:
    from cryptodesk.alerts.runner import dry_run

    c = closes(data_pack)
    cfg = config("http://127.0.0.1:9/x", "http://127.0.0.1:9/y", "http://127.0.0.1:9/z", 9)
    fired = dry_run(pack_desk, cfg, rule, START, END, detect=january)
    days = [date.fromisoformat(f.alert.key.rsplit("|", 1)[1]) for f in fired]
    want = expected_highs(c, 60) if rule == "total-high" else expected_crossings(c, 1e12, timedelta(hours=72))
    assert days == want
    assert all(f.deliveries == () for f in fired)
