"""Fixtures for network-source tests: local replay servers and a fake clock (no real waiting)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers.http_replay import ReplayServer
from .servers.routes import coingecko_routes


class FakeTime:
    """A monotonic clock whose sleep advances it instantly and records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def coingecko_server(data_pack: Path) -> Iterator[ReplayServer]:
    """CoinGecko v3 replaying the pack's recorded responses, on 127.0.0.1."""
    with ReplayServer(coingecko_routes(data_pack)) as server:
        yield server
