"""The alert engine on synthetic events: matching, deduplication (also across restarts), cooldowns, retries."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.alerts.receivers import webhook_receiver

from cryptodesk.alerts.engine import AlertEngine
from cryptodesk.alerts.history import AlertHistory, history_path
from cryptodesk.alerts.match import event_key, matches
from cryptodesk.alerts.rules import Rule, parse_config
from cryptodesk.alerts.sinks import Alert, DeliveryError, WebhookSink, send_with_retries, webhook_payload
from cryptodesk.core.models import Event

T0 = datetime(2023, 1, 12, 17, 30, tzinfo=UTC)


def extreme(day: int, since: date | None, *, subject: str = "total_market_cap", direction: str = "high") -> Event:
    d = date(2023, 1, day)
    days = (d - since).days if since else None
    return Event(
        "extreme",
        subject,
        "close",
        T0 + timedelta(days=day - 12),
        50.0,
        direction=direction,
        value=1.0,
        since=since,
        details={"date": d, "days_since": days},
    )


def cross(day: int, level: float, last: date | None, direction: str = "up") -> Event:
    d = date(2023, 1, day)
    return Event(
        "level_cross",
        "bitcoin",
        "close",
        T0 + timedelta(days=day - 12),
        20.0,
        direction=direction,
        level=level,
        last_time_beyond=last,
        details={"date": d},
    )


def move(ret: float) -> Event:
    return Event("big_move", "x", "return_7d", T0, 1, details={"return": ret})


@pytest.mark.parametrize(
    ("rule", "event", "fires"),
    [
        (Rule("r", "extreme", min_days=60), extreme(12, date(2022, 11, 10)), True),
        (Rule("r", "extreme", min_days=90), extreme(12, date(2022, 11, 10)), False),
        (Rule("r", "extreme", min_days=3650), extreme(12, None), True),  # all-time
        (Rule("r", "extreme", direction="low"), extreme(12, date(2022, 11, 10)), False),
        (Rule("r", "extreme", subjects=("bitcoin",)), extreme(12, date(2022, 11, 10)), False),
        (Rule("r", "level_cross", level=20000.0), cross(14, 20000.0, date(2022, 11, 8)), True),
        (Rule("r", "level_cross", level=21000.0), cross(14, 20000.0, date(2022, 11, 8)), False),
        (Rule("r", "first_since", min_days=60), cross(14, 20000.0, date(2022, 11, 8)), True),
        (Rule("r", "first_since", min_days=60), cross(14, 20000.0, date(2023, 1, 1)), False),
        (Rule("r", "first_since", min_days=60), extreme(12, date(2022, 11, 10)), True),
        (
            Rule("r", "big_move", threshold=0.1),
            move(-0.12),
            True,
        ),
        (
            Rule("r", "big_move", threshold=0.2),
            move(0.12),
            False,
        ),
        (Rule("r", "sigma", threshold=2.5), Event("sma_extension", "x", "s", T0, 1, details={"sigma": -2.6}), True),
        (Rule("r", "sigma", threshold=2.5), Event("sma_extension", "x", "s", T0, 1, details={"sigma": 2.4}), False),
        (
            Rule("r", "liquidation_imbalance", threshold=0.7),
            Event("liquidation_imbalance", "x", "l", T0, 1, details={"imbalance": 0.8}),
            True,
        ),
    ],
)
def test_matching(rule: Rule, event: Event, fires: bool) -> None:
    assert matches(rule, event) is fires


def test_event_key_ignores_the_judging_moment_but_not_the_day() -> None:
    a = extreme(12, date(2022, 11, 10))
    later = Event(
        a.kind,
        a.subject,
        a.metric,
        a.time + timedelta(hours=3),
        60.0,
        a.direction,
        None,
        None,
        1.0,
        a.since,
        dict(a.details),
    )
    assert event_key(a) == event_key(later)
    assert event_key(a) != event_key(extreme(13, date(2022, 11, 10)))


class Recorder:
    """A sink that records what it is sent and can fail a given number of times."""

    def __init__(self, name: str, failures: int = 0, *, retry: bool = True) -> None:
        self.name = name
        self.failures = failures
        self.retry = retry
        self.sent: list[Alert] = []
        self.calls = 0

    def send(self, alert: Alert) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError(f"{self.name}: failed", retry=self.retry)
        self.sent.append(alert)


def config(**rule: Any) -> Any:
    body = {"name": "hi", "when": "extreme", "min_days": 30, "sinks": ["a"], **rule}
    return parse_config({"rule": [body], "sink": {"a": {"type": "stdout"}}, "backoff_seconds": 0})


def test_dedup_survives_a_restart(tmp_path: Path) -> None:
    path = history_path(tmp_path / "store.duckdb")
    assert path.name == "store.alerts.duckdb"
    events = [extreme(12, date(2022, 11, 10)), extreme(12, date(2022, 11, 10)), extreme(13, date(2022, 11, 8))]
    sink = Recorder("a")
    with AlertHistory(path) as history:
        fired = AlertEngine(config(), history, sinks={"a": sink}).process(events)
    assert [f.alert.key.rsplit("|", 1)[1] for f in fired] == ["2023-01-12", "2023-01-13"]
    with AlertHistory(path) as history:  # a new process
        again = AlertEngine(config(), history, sinks={"a": sink}).process(events)
        assert again == []
        assert len(history.fired_rows()) == 2
    assert len(sink.sent) == 2


def test_cooldown_per_rule_and_subject() -> None:
    events = [extreme(d, date(2022, 11, 1)) for d in (12, 13, 14, 16)] + [
        extreme(13, date(2022, 11, 1), subject="bitcoin")
    ]
    sink = Recorder("a")
    with AlertHistory(":memory:") as history:
        fired = AlertEngine(config(cooldown_hours=48), history, sinks={"a": sink}).process(events)
    got = [(f.alert.subject, f.alert.key.rsplit("|", 1)[1]) for f in fired]
    assert got == [
        ("total_market_cap", "2023-01-12"),
        ("bitcoin", "2023-01-13"),
        ("total_market_cap", "2023-01-14"),
        ("total_market_cap", "2023-01-16"),
    ]


@pytest.mark.parametrize(
    ("failures", "retry", "ok", "attempts", "sleeps"),
    [(0, True, True, 1, []), (2, True, True, 3, [0.5, 1.0]), (5, True, False, 3, [0.5, 1.0]), (1, False, False, 1, [])],
)
def test_retries_with_exponential_backoff(
    failures: int, retry: bool, ok: bool, attempts: int, sleeps: list[float]
) -> None:
    waited: list[float] = []
    sink = Recorder("a", failures, retry=retry)
    alert = Alert("r", "k", "s", "text", extreme(12, None), T0)
    result = send_with_retries(sink, alert, retries=3, backoff=0.5, sleep=waited.append)
    assert (result.ok, result.attempts) == (ok, attempts)
    assert waited == sleeps


@pytest.mark.parametrize(("fmt", "key"), [("json", "event"), ("slack", "text"), ("discord", "content")])
def test_webhook_payload_formats(fmt: str, key: str) -> None:
    alert = Alert("r", "k", "total_market_cap", "total_market_cap close highest", extreme(12, None), T0)
    body = webhook_payload(alert, fmt)
    assert key in body
    if fmt != "json":
        assert body[key] == "[r] total_market_cap close highest"


def test_webhook_errors_and_logs_never_show_the_url_path(caplog: pytest.LogCaptureFixture) -> None:
    from cryptodesk.alerts.rules import SinkConfig

    caplog.set_level(logging.INFO, logger="cryptodesk.alerts")
    with webhook_receiver(status=500) as (url, got):
        sink = WebhookSink(SinkConfig("h", "webhook", url=url), allow_private=True)
        alert = Alert("r", "k", "s", "text", extreme(12, None), T0)
        result = send_with_retries(sink, alert, retries=2, backoff=0, sleep=lambda _: None)
    assert not result.ok
    assert len(got.bodies) == 2
    assert "secret-token" not in (result.error or "")
    assert "secret-token" not in caplog.text
    assert "HTTP 500" in (result.error or "")
