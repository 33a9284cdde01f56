"""`watch` against local websocket replays of Binance, Bybit and OKX: exactly-once storage and coverage gaps."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from tests.sources.liquidations import messages as m
from tests.sources.servers.ws_replay import Script, WsReplay

from cryptodesk.core.settings import Settings, load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.live_status import status
from cryptodesk.desk.live_watch import build_feeds, watch
from cryptodesk.sources.liquidations import binance, bybit, okx
from cryptodesk.sources.liquidations.base import Feed
from cryptodesk.sources.liquidations.stream import Backoff
from cryptodesk.store import state

from .live_helpers import BUILDERS, checker, coverage_rows, expected_keys, liquidation_keys, specs

FEEDS = {
    "binance": binance.feed,
    "bybit": lambda url: bybit.feed(url, ("BTCUSDT", "ETHUSDT")),
    "okx": lambda url: okx.feed(url, m.OKX_CONTRACTS),
}


async def _watch_until(desk: Desk, feeds: list[Feed], want: int, timeout: float = 15.0) -> None:
    """Run watch until the store holds ``want`` liquidations (then stop it and let it flush)."""
    stop = asyncio.Event()
    task = asyncio.create_task(watch(desk, stop, feeds=feeds, update_minutes=0, backoff=Backoff(0.2, 0.3)))
    store = desk.store(write=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline and not task.done():
        if int(state.liquidation_latest(store).get_column("rows").sum()) >= want:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # anything extra (a duplicate) would land now
    stop.set()
    report = await asyncio.wait_for(task, 10)
    assert not report.errors, report.errors


@pytest.mark.parametrize("exchanges", [("binance",), ("binance", "bybit", "okx")])
def test_every_message_stored_once_across_a_dropped_connection(tmp_path: Path, exchanges: tuple[str, ...]) -> None:
    settings = load_settings(
        {"db": tmp_path / "w.duckdb", "watch_flush_seconds": 0.1, "watch_flush_rows": 7},
        env={},
        config_path=tmp_path / "none.toml",
    )
    sent: dict[str, list[m.Spec]] = {}

    async def main() -> None:
        servers: dict[str, WsReplay] = {}
        for i, ex in enumerate(exchanges):
            items = specs(60, offset=1000 * i)
            sent[ex] = items
            text = [BUILDERS[ex](s) for s in items]
            # the first connection is cut after 35 messages; the second replays the last 5 of them, then the rest
            scripts = [Script(text[:35], drop=True), Script(text[30:])]
            servers[ex] = await WsReplay(scripts, checker(ex)).start()
        feeds = [dataclasses.replace(FEEDS[ex](servers[ex].url), url=servers[ex].url) for ex in exchanges]
        try:
            with Desk(settings) as desk:
                await _watch_until(desk, feeds, 60 * len(exchanges))
        finally:
            for s in servers.values():
                await s.stop()
        for s in servers.values():
            assert s.connections == 2

    asyncio.run(main())
    db = settings.db
    stored = liquidation_keys(db)
    expected = sorted(k for ex in exchanges for k in expected_keys(ex, sent[ex]))
    assert stored == expected  # by key: every message, nothing invented, nothing twice
    assert len(stored) == len(set(stored)) == 60 * len(exchanges)
    coverage = coverage_rows(db)
    for ex in exchanges:
        intervals = [(start, end) for e, _, start, end in coverage if e == ex]
        assert len(intervals) == 2, intervals
        assert all(end is not None and end >= start for start, end in intervals)
        assert intervals[0][1] < intervals[1][0]  # the reconnect left a gap
    with Desk(settings) as desk:
        live = status(desk)
    gaps = live.gaps
    assert sorted(gaps.get_column("exchange").to_list()) == sorted(exchanges)
    assert (gaps.get_column("seconds") > 0.1).all()  # at least the backoff delay
    feeds = {r["exchange"]: r for r in live.feeds.iter_rows(named=True)}
    assert {ex: feeds[ex]["rows"] for ex in exchanges} == dict.fromkeys(exchanges, 60)
    assert all(feeds[ex]["gaps"] == 1 for ex in exchanges)


def test_feeds_follow_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "db": tmp_path / "f.duckdb",
            "liquidation_feeds": "bybit, binance",
            "liquidation_symbols": "btcusdt,SOLUSDT",
            "binance_futures_ws_url": "ws://127.0.0.1:1/b",
            "bybit_ws_url": "ws://127.0.0.1:1/y",
        },
        env={},
        config_path=tmp_path / "none.toml",
    )
    feeds = build_feeds(Desk(settings))
    assert [(f.exchange, f.url) for f in feeds] == [("bybit", "ws://127.0.0.1:1/y"), ("binance", "ws://127.0.0.1:1/b")]
    assert '"allLiquidation.SOLUSDT"' in feeds[0].subscribe[0]
    assert '"allLiquidation.BTCUSDT"' in feeds[0].subscribe[0]


def test_unknown_feed_is_a_config_error(tmp_path: Path) -> None:
    from cryptodesk.core.errors import ConfigError

    settings = load_settings(
        {"db": tmp_path / "f.duckdb", "liquidation_feeds": "binance,kraken"}, env={}, config_path=tmp_path / "n.toml"
    )
    with pytest.raises(ConfigError, match="kraken"):
        build_feeds(Desk(settings))


def test_watch_runs_a_scheduled_update_pass(tmp_path: Path, data_pack: Path) -> None:
    from tests.sources.servers.http_replay import ReplayServer
    from tests.sources.servers.routes import binance_routes, coingecko_routes

    from .test_live_update import FAST, NOW, NOW_MS, _settings

    routes = {**coingecko_routes(data_pack), **binance_routes(data_pack, now_ms=NOW_MS, max_limit=100)}

    async def main(settings: Settings) -> int:
        stop = asyncio.Event()
        with Desk(settings) as desk:
            task = asyncio.create_task(
                watch(desk, stop, feeds=[], update_minutes=60, update_kwargs={"now": NOW, "retry": FAST})
            )
            store = desk.store(write=True)
            for _ in range(400):
                if store.counts()["candles"]:  # the last step of the pass
                    break
                await asyncio.sleep(0.05)
            stop.set()
            report = await asyncio.wait_for(task, 30)
            assert not report.errors, report.errors
            return report.updates

    with ReplayServer(routes) as server:
        settings = _settings(tmp_path, server)
        assert asyncio.run(main(settings)) == 1
    with Desk(settings) as desk:
        latest = {(r["table"], r["source"]) for r in desk.store().latest_times().iter_rows(named=True)}
    assert {("candles", "ccxt"), ("snapshots", "coingecko"), ("global_metrics", "coingecko")} <= latest
