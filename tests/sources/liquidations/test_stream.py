"""The websocket client against local servers replaying each exchange's feed, with a cut mid-stream."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.models import Batch
from cryptodesk.core.settings import load_settings
from cryptodesk.sources.liquidations import binance, bybit, okx
from cryptodesk.sources.liquidations.base import Feed
from cryptodesk.sources.liquidations.stream import Backoff, Coverage, LiquidationStream, default_feeds

from ..servers.ws_replay import Script, WsReplay
from . import messages as m

BINANCE_SUB = {"method": "SUBSCRIBE", "params": ["!forceOrder@arr"], "id": 1}
BYBIT_SUB = {"op": "subscribe", "args": ["allLiquidation.BTCUSDT", "allLiquidation.ETHUSDT"]}
OKX_SUB = {"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]}

# exchange -> (feed builder, message builder, documented subscribe frame, documented ack)
CASES: dict[str, tuple[Callable[[str], Feed], Callable[[m.Spec], str], dict[str, object], dict[str, object]]] = {
    "binance": (binance.feed, m.binance, BINANCE_SUB, {"result": None, "id": 1}),
    "bybit": (
        lambda url: bybit.feed(url, ("BTCUSDT", "ETHUSDT")),
        m.bybit,
        BYBIT_SUB,
        {"success": True, "ret_msg": "", "conn_id": "c1", "op": "subscribe"},
    ),
    "okx": (
        lambda url: okx.feed(url, m.OKX_CONTRACTS),
        m.okx,
        OKX_SUB,
        {"event": "subscribe", "arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "connId": "a1"},
    ),
}


def _checker(expected: dict[str, object], ack: dict[str, object]) -> Callable[[str], str | None]:
    return lambda frame: json.dumps(ack) if json.loads(frame) == expected else None


async def _run(
    server: WsReplay, feed: Feed, want_rows: int, *, max_connects: int | None = None, timeout: float = 10.0
) -> tuple[LiquidationStream, list[Batch], list[Coverage]]:
    await server.start()
    batches: list[Batch] = []
    coverage: list[Coverage] = []
    stop = asyncio.Event()

    def on_batch(batch: Batch) -> None:
        batches.append(batch)
        if sum(b.frame.height for b in batches) >= want_rows:
            stop.set()

    stream = LiquidationStream(
        dataclasses.replace(feed, url=server.url),
        registry=AssetRegistry.builtin(),
        on_batch=on_batch,
        on_coverage=coverage.append,
        flush_every=4,
        flush_seconds=0.05,
        backoff=Backoff(base=0.05, cap=0.2),
        max_connects=max_connects,
    )
    try:
        await asyncio.wait_for(stream.run(stop), timeout)
    finally:
        await server.stop()
    return stream, batches, coverage


@pytest.mark.parametrize("exchange", ["binance", "bybit", "okx"])
def test_disconnect_mid_stream_reconnects_without_duplicates_and_records_the_gap(exchange: str) -> None:
    make_feed, build, sub, ack = CASES[exchange]
    texts = [build(s) for s in m.SPECS]
    # connection 1 sends messages 0-7 then the network drops; connection 2 replays 5-7 again, then 8-11
    server = WsReplay([Script(texts[:8], drop=True), Script(texts[5:])], _checker(sub, ack))
    stream, batches, coverage = asyncio.run(_run(server, make_feed("ws://unused"), len(m.SPECS)))

    rows = pl.concat([b.frame for b in batches]).sort("ts")
    assert server.connections == 2
    assert [json.loads(s) for s in server.subscriptions] == [sub] * 2
    assert rows.height == len(m.SPECS)
    assert rows["event_id"].n_unique() == rows.height
    assert stream.buffer.duplicates == 3
    assert rows["notional_usd"].to_list() == pytest.approx([s.notional for s in m.SPECS])
    assert rows["side"].to_list() == [s.side for s in m.SPECS]
    assert set(rows["source"]) == {exchange}
    assert [c.exchange for c in coverage] == [exchange, exchange]
    first, second = coverage
    assert first.start <= first.end < second.start <= second.end  # the gap is known
    assert stream.coverage == coverage


def test_okx_heartbeat_is_sent_and_pong_ignored() -> None:
    _, build, sub, ack = CASES["okx"]
    server = WsReplay([Script([build(s) for s in m.SPECS[:3]])], _checker(sub, ack))
    feed = dataclasses.replace(okx.feed("ws://unused", m.OKX_CONTRACTS), heartbeat_seconds=0.02)

    async def scenario() -> tuple[LiquidationStream, int]:
        await server.start()
        stop = asyncio.Event()
        stream = LiquidationStream(
            dataclasses.replace(feed, url=server.url),
            registry=AssetRegistry.builtin(),
            on_batch=lambda b: None,
            flush_seconds=0.02,
        )
        task = asyncio.create_task(stream.run(stop))
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(task, 5)
        await server.stop()
        return stream, server.pings

    stream, pings = asyncio.run(scenario())
    assert pings >= 3
    assert stream.malformed == 0  # "pong" is not JSON and must not count as a bad message


def test_malformed_messages_are_counted_not_fatal() -> None:
    _, build, sub, ack = CASES["binance"]
    texts = [build(m.SPECS[0]), "{not json", json.dumps({"e": "forceOrder", "o": {}}), build(m.SPECS[1])]
    server = WsReplay([Script(texts)], _checker(sub, ack))
    stream, batches, _ = asyncio.run(_run(server, binance.feed("ws://unused"), 2))
    assert sum(b.frame.height for b in batches) == 2
    assert stream.malformed == 2


def test_rejected_subscription_records_short_coverage_and_stops_at_max_connects() -> None:
    server = WsReplay([Script([])], lambda frame: None)
    stream, batches, coverage = asyncio.run(_run(server, binance.feed("ws://unused"), 1, max_connects=2))
    assert stream.connects == 2
    assert batches == []
    assert len(coverage) == 2


def test_unreachable_server_backs_off_and_records_no_coverage() -> None:
    async def scenario() -> LiquidationStream:
        stop = asyncio.Event()
        feed = binance.feed("ws://127.0.0.1:9")  # discard port: nothing listens
        stream = LiquidationStream(
            feed,
            registry=AssetRegistry.builtin(),
            on_batch=lambda b: None,
            backoff=Backoff(base=0.01, cap=0.05),
            open_timeout=0.5,
        )
        task = asyncio.create_task(stream.run(stop))
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(task, 5)
        return stream

    stream = asyncio.run(scenario())
    assert stream.connects == 0
    assert stream.coverage == []
    assert stream.last_error is not None


def test_default_feeds_use_the_settings_urls() -> None:
    env = {"CRYPTODESK_BYBIT_WS_URL": "ws://127.0.0.1:1/bybit", "CRYPTODESK_OKX_WS_URL": "ws://127.0.0.1:1/okx"}
    settings = load_settings(env=env, config_path=Path("/nonexistent.toml"))
    feeds = default_feeds(settings, okx_contracts=m.OKX_CONTRACTS)
    assert [(f.exchange, f.url) for f in feeds] == [
        ("binance", "wss://fstream.binance.com/ws"),
        ("bybit", "ws://127.0.0.1:1/bybit"),
        ("okx", "ws://127.0.0.1:1/okx"),
    ]
    assert [f.exchange for f in default_feeds(settings)] == ["binance", "bybit"]


@pytest.mark.live
def test_live_binance_feed_connects() -> None:
    async def scenario() -> LiquidationStream:
        stop = asyncio.Event()
        stream = LiquidationStream(
            binance.feed("wss://fstream.binance.com/ws"), registry=AssetRegistry.builtin(), on_batch=lambda b: None
        )
        task = asyncio.create_task(stream.run(stop))
        await asyncio.sleep(5)
        stop.set()
        await asyncio.wait_for(task, 10)
        return stream

    stream = asyncio.run(scenario())
    assert stream.connects == 1
    assert len(stream.coverage) == 1


@pytest.mark.parametrize(("attempt", "low", "high"), [(1, 0.5, 1.0), (2, 1.0, 2.0), (4, 4.0, 8.0), (10, 30.0, 60.0)])
def test_backoff_doubles_with_jitter_up_to_the_cap(attempt: int, low: float, high: float) -> None:
    rng = random.Random(attempt)
    delays = [Backoff(base=1.0, cap=60.0).delay(attempt, rng) for _ in range(50)]
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 1  # jittered
