"""CoinGlass aggregated liquidation history against a local server.

The pack has no liquidation data (SOURCES.md, "Known gaps"), so the rows below
are a small synthetic fixture written to CoinGlass's v4 response schema.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.errors import ConfigError, PermanentSourceError
from cryptodesk.core.settings import load_settings
from cryptodesk.sources.coinglass import HISTORY_PATH, CoinGlass
from cryptodesk.sources.http import RetryPolicy

from .conftest import FakeTime
from .servers.http_replay import ReplayServer, body_fault, status_fault
from .servers.routes import coinglass_routes

KEY = "cg-secret-key"
DAY = 86_400_000
T0 = 1_673_740_800_000  # 2023-01-15 00:00 UTC
ROWS = [
    {
        "time": T0 + i * DAY,
        "aggregated_long_liquidation_usd": 1_000_000.0 * (i + 1),
        "aggregated_short_liquidation_usd": 250_000.5 * (5 - i),
    }
    for i in range(5)
]


@pytest.fixture
def coinglass() -> Iterator[ReplayServer]:
    with ReplayServer(coinglass_routes(ROWS)) as server:
        yield server


def _client(server: ReplayServer, t: FakeTime) -> CoinGlass:
    settings = load_settings(
        env={"CRYPTODESK_COINGLASS_BASE_URL": server.url, "CRYPTODESK_COINGLASS_API_KEY": KEY}, config_path=Path("/x")
    )
    return CoinGlass.from_settings(
        settings, sleep=t.sleep, timer=t.clock, retry=RetryPolicy(max_attempts=3), rng=random.Random(1)
    )


@pytest.mark.parametrize(("since", "first_day"), [(None, 15), (datetime(2023, 1, 16, tzinfo=UTC), 17)])
def test_history_rows(coinglass: ReplayServer, fake_time: FakeTime, since: datetime | None, first_day: int) -> None:
    with _client(coinglass, fake_time) as client:
        frame = client.liquidation_history("BTC", registry=AssetRegistry.builtin(), since=since).frame
    expected = [r for r in ROWS if datetime.fromtimestamp(r["time"] / 1000, UTC).day >= first_day]
    assert frame["long_usd"].to_list() == [r["aggregated_long_liquidation_usd"] for r in expected]
    assert frame["short_usd"].to_list() == [r["aggregated_short_liquidation_usd"] for r in expected]
    assert frame["ts"][0] == datetime(2023, 1, first_day, tzinfo=UTC)
    assert set(frame["asset_id"]) == {"bitcoin"}
    assert set(frame["exchange"]) == {"binance+bybit+okx"}
    hit = coinglass.hits(HISTORY_PATH)[0]
    assert hit.headers["cg-api-key"] == KEY
    assert (hit.query["symbol"], hit.query["interval"], hit.query["exchange_list"]) == (
        "BTC",
        "1d",
        "Binance,OKX,Bybit",
    )


def test_api_level_error_is_permanent_and_hides_the_key(coinglass: ReplayServer, fake_time: FakeTime) -> None:
    body = json.dumps({"code": "30001", "msg": f"API key {KEY} is invalid"}).encode()
    coinglass.fault(HISTORY_PATH, body_fault(body))
    with _client(coinglass, fake_time) as client, pytest.raises(PermanentSourceError) as e:
        client.liquidation_history("BTC", registry=AssetRegistry.builtin())
    assert "30001" in str(e.value)
    assert KEY not in str(e.value)


def test_schema_drift_names_the_field(coinglass: ReplayServer, fake_time: FakeTime) -> None:
    drifted = [{"time": T0, "longLiquidationUsd": 1.0, "aggregated_short_liquidation_usd": 2.0}]
    coinglass.fault(HISTORY_PATH, body_fault(json.dumps({"code": "0", "data": drifted}).encode()))
    with (
        _client(coinglass, fake_time) as client,
        pytest.raises(PermanentSourceError, match="aggregated_long_liquidation_usd"),
    ):
        client.liquidation_history("BTC", registry=AssetRegistry.builtin())


def test_429_then_success(coinglass: ReplayServer, fake_time: FakeTime) -> None:
    coinglass.fault(HISTORY_PATH, status_fault(429, headers={"Retry-After": "3"}))
    with _client(coinglass, fake_time) as client:
        frame = client.liquidation_history("ETH", registry=AssetRegistry.builtin()).frame
    assert frame.height == 5
    assert set(frame["asset_id"]) == {"ethereum"}
    assert 3.0 in fake_time.sleeps


def test_needs_a_key_and_a_known_interval(coinglass: ReplayServer, fake_time: FakeTime) -> None:
    with pytest.raises(ConfigError) as e:
        CoinGlass.from_settings(load_settings(env={}, config_path=Path("/x")))
    assert e.value.parameter == "coinglass_api_key"
    with _client(coinglass, fake_time) as client, pytest.raises(ConfigError, match="interval"):
        client.liquidation_history("BTC", registry=AssetRegistry.builtin(), interval="2d")
