"""`update` end to end: CoinGecko and Binance klines replayed on 127.0.0.1 into a temporary store."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.sources.servers.http_replay import Fault, ReplayServer, body_fault, status_fault
from tests.sources.servers.routes import CHART, GLOBAL, KLINES_CSV, MARKETS, binance_routes, coingecko_routes

from cryptodesk.core.settings import Settings, load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.live import update
from cryptodesk.desk.live_status import load_status, status
from cryptodesk.sources.http import RetryPolicy

NOW = datetime(2023, 1, 18, 15, 0, 30, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)


@pytest.fixture
def server(data_pack: Path) -> Iterator[ReplayServer]:
    routes = {**coingecko_routes(data_pack), **binance_routes(data_pack, now_ms=NOW_MS, max_limit=100)}
    with ReplayServer(routes) as srv:
        yield srv


def _settings(tmp_path: Path, server: ReplayServer, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "db": tmp_path / "live.duckdb",
        "coingecko_base_url": server.url + "/api/v3",
        "coingecko_top_n": 100,
        "coingecko_rate_per_minute": 60_000,
        "coingecko_backfill": "bitcoin",
        "exchanges": "binance:BTC/USDT:1m",
        "exchange_urls": f"binance={server.url}",
        **extra,
    }
    return load_settings(values, env={}, config_path=tmp_path / "none.toml")


def _count(db: Path, sql: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def _expected_chart_points(pack: Path) -> int:
    """Distinct chart timestamps the keyless plan can reach (the last 365 days) up to NOW."""
    chart = json.loads((pack / "fixtures" / CHART).read_text())
    lo = int((NOW - timedelta(days=365) + timedelta(minutes=5)).timestamp()) * 1000
    return len({p[0] for p in chart["prices"] if lo <= p[0] <= NOW_MS})


def _expected_candles(pack: Path) -> list[int]:
    """Open times (ms) of the CSV's 1m candles closed by NOW within the default 500-candle lookback."""
    first = (NOW_MS // 60_000 - 500) * 60_000
    with (pack / "intraday" / KLINES_CSV).open() as fh:
        opens = [int(r["open_time"]) for r in csv.DictReader(fh)]
    return [t for t in opens if first <= t and t + 60_000 <= NOW_MS]


def test_first_pass_stores_every_source_and_second_adds_nothing(
    tmp_path: Path, server: ReplayServer, data_pack: Path
) -> None:
    settings = _settings(tmp_path, server)
    seen: list[str] = []
    with Desk(settings) as desk:
        first = update(desk, now=NOW, retry=FAST, progress=lambda name, done, total: seen.append(name))
    assert not first.failed, [s.error for s in first.failed]
    by_name = {s.name: s for s in first.steps}
    markets = json.loads((data_pack / "fixtures" / MARKETS).read_text())
    glob = json.loads((data_pack / "fixtures" / GLOBAL).read_text())["data"]
    candles = _expected_candles(data_pack)
    assert by_name["coingecko markets"].rows == {"snapshots": len(markets), "assets": len(markets)}
    assert by_name["coingecko chart bitcoin"].rows == {"snapshots": _expected_chart_points(data_pack)}
    assert by_name["coingecko global"].inserted == 1
    assert by_name["ccxt binance BTC/USDT 1m"].inserted == len(candles) == 151
    assert seen[-1] == "done"
    assert seen[:-1] == [s.name for s in first.steps]

    db = settings.db
    assert _count(db, "SELECT count(*) FROM candles WHERE venue = 'binance'") == len(candles)
    assert _count(db, "SELECT min(epoch_ms(open_time)) FROM candles") == candles[0]
    assert _count(db, "SELECT max(epoch_ms(open_time)) FROM candles") == candles[-1]
    cap = _count(db, "SELECT total_market_cap FROM global_metrics WHERE \"interval\" = 'snapshot'")
    assert cap == int(glob["total_market_cap"]["usd"])
    btc = next(m for m in markets if m["id"] == "bitcoin")
    with duckdb.connect(str(db), read_only=True) as con:
        price = con.execute(
            "SELECT price FROM snapshots WHERE asset_id = 'bitcoin' AND epoch_ms(ts) = ?",
            [int(datetime.fromisoformat(btc["last_updated"].replace("Z", "+00:00")).timestamp() * 1000)],
        ).fetchone()
        tables = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in ("snapshots", "candles", "assets")}
    assert price == (pytest.approx(btc["current_price"]),)

    with Desk(settings) as desk:
        second = update(desk, now=NOW, retry=FAST)
    assert not second.failed
    assert [(s.name, s.inserted, s.updated) for s in second.steps] == [(s.name, 0, 0) for s in second.steps]
    assert {s.name: s.rows.get("snapshots", 0) for s in second.steps}["coingecko chart bitcoin"] == 0
    with duckdb.connect(str(db), read_only=True) as con:
        again = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in tables}
    assert again == tables
    # the resumed requests start after the last stored point
    chart_hits = server.hits("/api/v3/coins/bitcoin/market_chart/range")
    last_chart = _count(db, "SELECT max(epoch(ts)) FROM snapshots WHERE asset_id = 'bitcoin' AND source = 'coingecko'")
    assert int(chart_hits[-1].query["from"]) >= last_chart - 1


@pytest.mark.parametrize(
    ("path", "faults", "step", "message", "untouched"),
    [
        ("/api/v3/coins/markets", [status_fault(500)] * 2, "coingecko markets", "HTTP 500", "assets"),
        (
            "/api/v3/coins/markets",
            [body_fault(b'[{"id": "bitcoin", "symbol": "btc"}]')],
            "coingecko markets",
            "missing field",
            "assets",
        ),
        (
            "/api/v3/global",
            [body_fault(b'{"data": {"total_market_cap": {}}}')],
            "coingecko global",
            "total_volume",
            None,
        ),
        ("/api/v3/klines", [status_fault(503)], "ccxt binance BTC/USDT 1m", "network error", "candles"),
    ],
)
def test_a_failing_source_is_reported_and_the_others_are_stored(
    tmp_path: Path, server: ReplayServer, path: str, faults: list[Fault], step: str, message: str, untouched: str | None
) -> None:
    settings = _settings(tmp_path, server)
    server.fault(path, *faults)
    with Desk(settings) as desk:
        report = update(desk, now=NOW, retry=FAST)
        live = status(desk, now=NOW)
    failed = {s.name: s.error for s in report.failed}
    assert list(failed) == [step]
    assert message in (failed[step] or "")
    ok = [s for s in report.steps if s.name != step]
    assert all(s.error is None for s in ok)
    assert any(s.inserted > 0 for s in ok)
    if untouched is not None:
        assert _count(settings.db, f"SELECT count(*) FROM {untouched}") == 0
    if step == "coingecko global":
        assert _count(settings.db, "SELECT count(*) FROM global_metrics") == 0
    stored_steps = sum(1 for s in ok if any(s.rows.values()))
    assert _count(settings.db, "SELECT count(*) FROM import_runs WHERE kind LIKE 'live:%'") == stored_steps
    # the error is kept for `status`
    saved = load_status(settings)["update"]["steps"]
    assert [s["name"] for s in saved if s["error"]] == [step]
    assert any(step in e for e in live.errors)


def test_only_limits_the_pass(tmp_path: Path, server: ReplayServer) -> None:
    with Desk(_settings(tmp_path, server)) as desk:
        report = update(desk, now=NOW, retry=FAST, only={"ccxt"})
    assert [s.name for s in report.steps] == ["ccxt binance BTC/USDT 1m"]
    assert server.hits("/api/v3/global") == []


def test_stop_request_ends_the_pass_between_steps(tmp_path: Path, server: ReplayServer) -> None:
    calls: list[int] = []

    def stop_after_two() -> bool:
        calls.append(1)
        return len(calls) > 2

    with Desk(_settings(tmp_path, server)) as desk:
        report = update(desk, now=NOW, retry=FAST, should_stop=stop_after_two)
    assert report.stopped
    assert len(report.steps) == 2
