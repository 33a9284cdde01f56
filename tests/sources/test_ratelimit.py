"""The token bucket: steady rate, bursts and refill, on a fake clock."""

from __future__ import annotations

import pytest

from cryptodesk.core.errors import ConfigError
from cryptodesk.sources.ratelimit import TokenBucket

from .conftest import FakeTime


@pytest.mark.parametrize(
    ("per_minute", "burst", "requests", "expected_waits"),
    [
        (5, 1, 4, [12.0, 12.0, 12.0]),  # CoinGecko keyless: one request every 12 s
        (30, 1, 3, [2.0, 2.0]),  # Demo: every 2 s
        (60, 3, 5, [1.0, 1.0]),  # a burst of 3 is free, then 1 per second
    ],
)
def test_waits_follow_the_rate(per_minute: float, burst: int, requests: int, expected_waits: list[float]) -> None:
    t = FakeTime()
    bucket = TokenBucket(per_minute, burst=burst, clock=t.clock, sleep=t.sleep)
    for _ in range(requests):
        bucket.acquire()
    assert t.sleeps == pytest.approx(expected_waits)


def test_idle_time_refills_but_never_beyond_the_burst() -> None:
    t = FakeTime()
    bucket = TokenBucket(60, burst=2, clock=t.clock, sleep=t.sleep)
    bucket.acquire()
    bucket.acquire()
    t.now += 3600  # an hour idle refills at most `burst` tokens
    for _ in range(3):
        bucket.acquire()
    assert t.sleeps == pytest.approx([1.0])


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-5, 1), (5, 0)])
def test_bad_settings_are_config_errors(rate: float, burst: int) -> None:
    with pytest.raises(ConfigError):
        TokenBucket(rate, burst=burst)
