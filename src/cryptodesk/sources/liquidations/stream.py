"""An asyncio websocket client for one liquidation feed: reconnects, batches and records coverage.

Why ``websockets`` directly and not ``ccxt.pro``: liquidation side semantics
differ per exchange and are the whole point of this data, so we read the raw
messages and apply documented, tested tables (ccxt's unified liquidation
structure hides which field it used); we need to know exactly when we were
connected to record coverage gaps, which ccxt.pro's transparent reconnects hide;
and per-message unified-dict building in ccxt costs far more than our column
normalisers. ``websockets`` is small, typed and also runs our replay servers.

:class:`LiquidationStream` connects, sends the feed's subscription frames,
normalises every message into a :class:`LiquidationBuffer` (duplicates dropped
by ``event_id``), hands a canonical ``liquidations`` :class:`Batch` to
``on_batch`` every ``flush_every`` records or ``flush_seconds`` seconds, and on
each disconnect reports a :class:`Coverage` interval (exchange, feed, start,
end) to ``on_coverage``: the time between two intervals is a known gap.
Reconnects back off exponentially with jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import websockets
from websockets.asyncio.client import ClientConnection

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.models import Batch
from cryptodesk.core.settings import Settings
from cryptodesk.sources.liquidations import binance, bybit, okx
from cryptodesk.sources.liquidations.base import Feed, LiquidationBuffer, decode_json
from cryptodesk.sources.liquidations.okx import Contract

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Coverage:
    """An interval during which a feed was connected and subscribed."""

    exchange: str
    feed: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: ``base * 2**(n-1)`` capped at ``cap``, with jitter in [50%, 100%]."""

    base: float = 1.0
    cap: float = 60.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before reconnect number ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LiquidationStream:
    """Runs one feed until ``stop`` is set (or ``max_connects`` connections have ended)."""

    def __init__(
        self,
        feed: Feed,
        *,
        registry: AssetRegistry,
        on_batch: Callable[[Batch], None],
        on_coverage: Callable[[Coverage], None] | None = None,
        flush_every: int = 1000,
        flush_seconds: float = 5.0,
        backoff: Backoff | None = None,
        max_connects: int | None = None,
        open_timeout: float = 10.0,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.feed = feed
        self.registry = registry
        self.on_batch = on_batch
        self.on_coverage = on_coverage
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.backoff = backoff or Backoff()
        self.max_connects = max_connects
        self.open_timeout = open_timeout
        self.clock = clock
        self.rng = rng or random.Random()
        self.buffer = LiquidationBuffer()
        self.coverage: list[Coverage] = []
        self.connects = 0
        self.messages = 0
        self.malformed = 0
        self.records = 0
        """Liquidations read (duplicates included)."""
        self.last_error: str | None = None

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Connect, read and reconnect until ``stop`` is set; always flushes what it holds.

        Network errors never escape (they are retried with backoff); an exception raised by
        ``on_batch`` (a store failure) does, and stops the stream.
        """
        stop = stop or asyncio.Event()
        failures = 0
        while not stop.is_set() and (self.max_connects is None or self.connects < self.max_connects):
            records_before = self.records
            try:
                async with websockets.connect(self.feed.url, open_timeout=self.open_timeout, max_size=2**22) as ws:
                    self.connects += 1
                    await self._session(ws, stop)
            except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as e:
                self.last_error = f"{type(e).__name__}: {e}"
                log.warning("%s %s: %s", self.feed.exchange, self.feed.name, self.last_error)
            if stop.is_set() or (self.max_connects is not None and self.connects >= self.max_connects):
                break
            # a connection that delivered data resets the backoff; one that is accepted then dropped does not
            failures = 1 if self.records > records_before else failures + 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.backoff.delay(failures, self.rng))

    async def _session(self, ws: ClientConnection, stop: asyncio.Event) -> None:
        """One connection: subscribe, pump messages, and record the interval it covered."""
        for frame in self.feed.subscribe:
            await ws.send(frame)
        start = self.clock()
        ping = self.feed.heartbeat
        heartbeat = asyncio.create_task(self._heartbeat(ws, ping)) if ping else None
        try:
            await self._pump(ws, stop)
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError, websockets.exceptions.WebSocketException, OSError):
                    await heartbeat
            self.flush()
            interval = Coverage(self.feed.exchange, self.feed.name, start, self.clock())
            self.coverage.append(interval)
            if self.on_coverage is not None:
                self.on_coverage(interval)

    async def _pump(self, ws: ClientConnection, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.flush_seconds
        normalise = self.feed.normalise
        buffer = self.buffer
        while not stop.is_set():
            timeout = max(0.0, min(deadline - loop.time(), 0.25))
            text: str | bytes | None = None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    text = await ws.recv()
            if text is not None:
                self.messages += 1
                if text != "pong":
                    try:
                        self.records += normalise(decode_json(text), buffer)
                    except (ValueError, KeyError, TypeError, AttributeError) as e:
                        self.malformed += 1
                        log.debug("%s: skipped a malformed message: %s", self.feed.exchange, e)
            if len(buffer) >= self.flush_every or loop.time() >= deadline:
                self.flush()
                deadline = loop.time() + self.flush_seconds

    async def _heartbeat(self, ws: ClientConnection, ping: str) -> None:
        while True:
            await asyncio.sleep(self.feed.heartbeat_seconds)
            await ws.send(ping)

    def flush(self) -> None:
        """Hand the buffered rows to ``on_batch`` (nothing when empty)."""
        if len(self.buffer):
            self.on_batch(self.buffer.take_batch(self.registry, self.feed.source_name))


def default_feeds(
    settings: Settings,
    *,
    okx_contracts: Mapping[str, Contract] | None = None,
    bybit_symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT"),
) -> list[Feed]:
    """The Binance, Bybit and (when contract values are given) OKX feeds at the URLs in ``settings``."""
    feeds = [binance.feed(settings.binance_futures_ws_url), bybit.feed(settings.bybit_ws_url, bybit_symbols)]
    if okx_contracts is not None:
        feeds.append(okx.feed(settings.okx_ws_url, okx_contracts))
    return feeds
