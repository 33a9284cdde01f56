"""The HTTP base against a local CoinGecko replay with injected faults.

Each fault is injected on ``/coins/markets`` page requests; the client must
retry only temporary failures, honour Retry-After, translate errors once and
never return rows from a broken page.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from cryptodesk.core.errors import PermanentSourceError, TemporarySourceError
from cryptodesk.sources.coingecko import DEMO, CoinGecko
from cryptodesk.sources.http import RetryPolicy, parse_retry_after

from .conftest import FakeTime
from .servers.http_replay import ReplayServer, body_fault, status_fault, timeout_fault, truncate_fault
from .servers.routes import CG, MARKETS

PATH = f"{CG}/coins/markets"
KEY = "CG-demo-secret-123"


def _client(server: ReplayServer, t: FakeTime, *, attempts: int = 4, timeout: float = 5.0) -> CoinGecko:
    return CoinGecko(
        server.url + CG,
        plan=DEMO,
        api_key=KEY,
        rate_per_minute=60_000,  # 1 ms spacing: the waits recorded below are the retry delays
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.5, max_delay=4.0),
        timeout=timeout,
        sleep=t.sleep,
        timer=t.clock,
        rng=random.Random(7),
    )


def _expected_ids(pack: Path, n: int) -> list[str]:
    coins = json.loads((pack / "fixtures" / MARKETS).read_text())
    return [c["id"] for c in coins[:n]]


def _ids(client: CoinGecko, n: int = 60, per_page: int = 30) -> list[str]:
    snapshots = client.markets(n, per_page=per_page)[0].frame
    return snapshots.get_column("asset_id").to_list()


def test_429_retry_after_is_honoured(coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime) -> None:
    coingecko_server.fault(PATH, status_fault(429, b'{"status":{"error_code":429}}', {"Retry-After": "7"}))
    with _client(coingecko_server, fake_time) as client:
        assert _ids(client) == _expected_ids(data_pack, 60)
        assert client.attempts == 3  # page 1 twice, page 2 once
    assert 7.0 in fake_time.sleeps


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_with_backoff(
    coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime, status: int
) -> None:
    coingecko_server.fault(PATH, status_fault(status), status_fault(status))
    with _client(coingecko_server, fake_time) as client:
        assert _ids(client) == _expected_ids(data_pack, 60)
    backoffs = [s for s in fake_time.sleeps if s > 0.01]
    assert len(backoffs) == 2
    assert 0.25 <= backoffs[0] <= 0.5
    assert 0.5 <= backoffs[1] <= 1.0


def test_persistent_5xx_gives_up_as_temporary(coingecko_server: ReplayServer, fake_time: FakeTime) -> None:
    coingecko_server.fault(PATH, *[status_fault(503)] * 4)
    with _client(coingecko_server, fake_time, attempts=4) as client, pytest.raises(TemporarySourceError) as err:
        client.markets(60, per_page=30)
    assert "HTTP 503" in str(err.value)
    assert "gave up after 4 attempts" in str(err.value)
    assert len(coingecko_server.hits(PATH)) == 4


def test_timeout_is_retried(coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime) -> None:
    coingecko_server.fault(PATH, timeout_fault(1.5))
    with _client(coingecko_server, fake_time, timeout=0.3) as client:
        assert _ids(client) == _expected_ids(data_pack, 60)
        assert client.attempts == 3


def test_timeout_every_time_fails_clearly(coingecko_server: ReplayServer, fake_time: FakeTime) -> None:
    coingecko_server.fault(PATH, timeout_fault(1.0), timeout_fault(1.0))
    with (
        _client(coingecko_server, fake_time, attempts=2, timeout=0.2) as client,
        pytest.raises(TemporarySourceError) as e,
    ):
        client.markets(60, per_page=30)
    assert "timed out" in str(e.value)
    assert isinstance(e.value.__cause__, TemporarySourceError)


def test_connection_cut_mid_body_is_retried(
    coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime
) -> None:
    coingecko_server.fault(PATH, truncate_fault(0.5))
    with _client(coingecko_server, fake_time) as client:
        assert _ids(client) == _expected_ids(data_pack, 60)


def test_truncated_json_returns_nothing_and_says_so(
    coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime
) -> None:
    page = json.dumps(json.loads((data_pack / "fixtures" / MARKETS).read_text())[30:60]).encode()
    coingecko_server.fault(PATH, lambda reply: reply, *[body_fault(page[: len(page) // 3])] * 3)
    with _client(coingecko_server, fake_time, attempts=3) as client, pytest.raises(TemporarySourceError) as e:
        client.markets(60, per_page=30)
    assert "truncated JSON" in str(e.value)
    assert "page 2" in str(e.value)


@pytest.mark.parametrize(
    ("rename", "field"),
    [("current_price", "current_price"), ("last_updated", "last_updated"), ("id", "id")],
)
def test_schema_drift_is_permanent_and_names_the_field(
    coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime, rename: str, field: str
) -> None:
    coins = json.loads((data_pack / "fixtures" / MARKETS).read_text())[30:60]
    drifted = [{(k + "_v2" if k == rename else k): v for k, v in c.items()} for c in coins]
    coingecko_server.fault(PATH, lambda reply: reply, body_fault(json.dumps(drifted).encode()))
    with _client(coingecko_server, fake_time) as client:
        with pytest.raises(PermanentSourceError) as e:
            client.markets(60, per_page=30)
        assert client.attempts == 2  # not retried
    assert f"missing field {field!r}" in str(e.value)
    assert "page 2 item 1" in str(e.value)


def test_wrong_top_level_shape_is_permanent(coingecko_server: ReplayServer, fake_time: FakeTime) -> None:
    coingecko_server.fault(PATH, body_fault(b'{"coins": []}'))
    with (
        _client(coingecko_server, fake_time) as client,
        pytest.raises(PermanentSourceError, match="expected a JSON array"),
    ):
        client.markets(60, per_page=30)


def test_empty_page_ends_paging(coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime) -> None:
    coingecko_server.fault(PATH, lambda reply: reply, body_fault(b"[]"))
    with _client(coingecko_server, fake_time) as client:
        assert _ids(client, n=90, per_page=30) == _expected_ids(data_pack, 30)
    assert [r.query["page"] for r in coingecko_server.hits(PATH)] == ["1", "2"]


@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_4xx_is_permanent_without_retry(coingecko_server: ReplayServer, fake_time: FakeTime, status: int) -> None:
    coingecko_server.fault(PATH, status_fault(status, b'{"error":"nope"}'))
    with _client(coingecko_server, fake_time) as client:
        with pytest.raises(PermanentSourceError, match=f"HTTP {status}"):
            client.markets(60, per_page=30)
        assert client.attempts == 1


def test_api_key_is_sent_in_header_and_never_shown(coingecko_server: ReplayServer, fake_time: FakeTime) -> None:
    echo = json.dumps({"error": f"invalid key {KEY}"}).encode()
    coingecko_server.fault(PATH, status_fault(401, echo))
    with _client(coingecko_server, fake_time) as client, pytest.raises(PermanentSourceError) as e:
        client.markets(10)
    assert coingecko_server.hits(PATH)[0].headers["x-cg-demo-api-key"] == KEY
    assert KEY not in str(e.value)
    assert "***" in str(e.value)
    assert KEY not in coingecko_server.hits(PATH)[0].query.values()


@pytest.mark.parametrize(("value", "expected"), [("7", 7.0), ("0", 0.0), ("1.5", 1.5), ("soon", None), (None, None)])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_http_date_is_in_the_future() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert (parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT") or 0) > 1e9
