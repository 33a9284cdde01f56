"""CCXT OHLCV against a local server replaying Binance ``/api/v3/klines`` from the pack's 1m CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ccxt
import pytest

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.errors import ConfigError, PermanentSourceError, TemporarySourceError
from cryptodesk.core.settings import load_settings
from cryptodesk.sources.exchanges import CAPABILITIES, Job, fetch_candles, make_exchange, parse_jobs, parse_urls

from .servers.http_replay import ReplayServer, body_fault, status_fault
from .servers.routes import KLINES_CSV, binance_routes

NOW = datetime(2023, 1, 18, 15, 0, 30, tzinfo=UTC)  # the 15:00 candle is still open
JOB = Job("binance", "BTC/USDT", "1m")


@pytest.fixture
def binance(data_pack: Path) -> Iterator[ReplayServer]:
    with ReplayServer(binance_routes(data_pack, now_ms=int(NOW.timestamp() * 1000), max_limit=100)) as server:
        yield server


def _exchange(server: ReplayServer) -> object:
    settings = load_settings(env={"CRYPTODESK_EXCHANGE_URLS": f"binance={server.url}"}, config_path=Path("/x.toml"))
    return make_exchange("binance", base_url=parse_urls(settings.exchange_urls)["binance"])


def _csv(pack: Path) -> dict[datetime, dict[str, str]]:
    with (pack / "intraday" / KLINES_CSV).open() as fh:
        return {datetime.fromtimestamp(int(r["open_time"]) / 1000, UTC): r for r in csv.DictReader(fh)}


def test_pages_from_last_stored_candle_and_drops_the_open_one(binance: ReplayServer, data_pack: Path) -> None:
    since = datetime(2023, 1, 18, 12, 29, tzinfo=UTC)
    result = fetch_candles(_exchange(binance), JOB, since, registry=AssetRegistry.builtin(), now=NOW)
    frame = result.batch.frame
    expected = {t: r for t, r in _csv(data_pack).items() if since < t and t + timedelta(minutes=1) <= NOW}
    assert frame["open_time"].to_list() == sorted(expected)
    assert frame.height == 150  # 12:30 .. 14:59
    for row in frame.iter_rows(named=True):
        raw = expected[row["open_time"]]
        assert (row["open"], row["high"], row["low"], row["close"], row["volume"]) == pytest.approx(
            tuple(float(raw[k]) for k in ("open", "high", "low", "close", "volume"))
        )
    assert set(frame["asset_id"]) == {"bitcoin"}
    assert set(frame["venue"]) == {"binance"}
    assert (result.start, result.end) == (
        datetime(2023, 1, 18, 12, 30, tzinfo=UTC),
        datetime(2023, 1, 18, 15, tzinfo=UTC),
    )
    starts = [int(r.query["startTime"]) for r in binance.hits("/api/v3/klines")]
    assert len(starts) >= 2  # the server caps pages at 100 candles, so the client paginated
    assert starts[0] == int(datetime(2023, 1, 18, 12, 30, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("now", "last_closed"),
    [
        (datetime(2023, 1, 18, 13, 0, tzinfo=UTC), datetime(2023, 1, 18, 12, 59, tzinfo=UTC)),
        (datetime(2023, 1, 18, 13, 0, 59, tzinfo=UTC), datetime(2023, 1, 18, 12, 59, tzinfo=UTC)),
        (datetime(2023, 1, 18, 14, 15, 1, tzinfo=UTC), datetime(2023, 1, 18, 14, 14, tzinfo=UTC)),
    ],
)
def test_only_closed_candles_are_final(binance: ReplayServer, now: datetime, last_closed: datetime) -> None:
    since = datetime(2023, 1, 18, 12, 40, tzinfo=UTC)
    frame = fetch_candles(_exchange(binance), JOB, since, registry=AssetRegistry.builtin(), now=now).batch.frame
    assert frame["open_time"].max() == last_closed


def test_resume_returns_nothing_new_and_first_run_uses_lookback(binance: ReplayServer) -> None:
    exchange = _exchange(binance)
    reg = AssetRegistry.builtin()
    first = fetch_candles(exchange, JOB, None, registry=reg, now=NOW, initial_lookback=45)
    assert first.batch.frame.height == 45
    assert first.start == NOW.replace(second=0) - timedelta(minutes=45)
    last = first.batch.frame["open_time"].max()
    again = fetch_candles(exchange, JOB, last, registry=reg, now=NOW)  # type: ignore[arg-type]
    assert again.batch.frame.height == 0
    assert again.start is None


@pytest.mark.parametrize(("status", "error"), [(503, TemporarySourceError), (429, TemporarySourceError)])
def test_http_errors_are_translated_once(binance: ReplayServer, status: int, error: type[Exception]) -> None:
    exchange = _exchange(binance)
    binance.fault("/api/v3/klines", status_fault(status, b'{"code":-1003,"msg":"busy"}'))
    with pytest.raises(error) as e:
        fetch_candles(exchange, JOB, datetime(2023, 1, 18, 14, tzinfo=UTC), registry=AssetRegistry.builtin(), now=NOW)
    assert isinstance(e.value.__cause__, ccxt.BaseError)


def test_unknown_symbol_is_permanent(binance: ReplayServer) -> None:
    with pytest.raises(PermanentSourceError, match="does not list"):
        fetch_candles(
            _exchange(binance), Job("binance", "DOGE/USDT", "1m"), None, registry=AssetRegistry.builtin(), now=NOW
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("binance:BTC/USDT:1d", [Job("binance", "BTC/USDT", "1d")]),
        (
            " okx:ETH/USDT:1h , bybit:BTC/USDT:USDT:4h",
            [Job("okx", "ETH/USDT", "1h"), Job("bybit", "BTC/USDT:USDT", "4h")],
        ),
        ("", []),
    ],
)
def test_parse_jobs(text: str, expected: list[Job]) -> None:
    assert parse_jobs(text) == expected


@pytest.mark.parametrize("text", ["binance:BTC/USDT", "binance:BTC/USDT:2d", ":BTC/USDT:1d"])
def test_parse_jobs_rejects_bad_triples(text: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_jobs(text)
    assert e.value.parameter == "exchanges"


@pytest.mark.parametrize("text", ["binance", "binance=ftp://x", "=http://x"])
def test_parse_urls_rejects_bad_entries(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_urls(text)


def test_capability_table_names_real_ccxt_exchanges() -> None:
    assert set(CAPABILITIES) <= set(ccxt.exchanges)
    with pytest.raises(ConfigError, match="unknown CCXT exchange"):
        make_exchange("nosuchexchange")


@pytest.mark.live
def test_live_binance_daily_candles() -> None:
    now = datetime.now(UTC)
    result = fetch_candles(
        make_exchange("binance"),
        Job("binance", "BTC/USDT", "1d"),
        now - timedelta(days=5),
        registry=AssetRegistry.builtin(),
        now=now,
    )
    assert 3 <= result.batch.frame.height <= 5


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b'{"data": []}', "JSON dict"),  # an object where a list of candles belongs
        (b'[[1674050460000, "1"]]', "expected"),  # a row with fields missing (at the cursor: 14:01)
        (b'[[1674050460000, "21000", "20000", "21100", "20900", "10", 1674050519999]]', "low/high"),  # high < open
    ],
)
def test_schema_drift_is_permanent_and_stores_nothing(binance: ReplayServer, body: bytes, match: str) -> None:
    exchange = _exchange(binance)
    binance.fault("/api/v3/klines", body_fault(body))
    with pytest.raises(PermanentSourceError, match=match):
        fetch_candles(exchange, JOB, datetime(2023, 1, 18, 14, tzinfo=UTC), registry=AssetRegistry.builtin(), now=NOW)
