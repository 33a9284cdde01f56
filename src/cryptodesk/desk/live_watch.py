"""Live collection, part 2: ``watch``, the long-running desk.

``watch(desk, stop)`` runs, until ``stop`` is set:

* one :class:`~cryptodesk.sources.liquidations.stream.LiquidationStream` per configured feed
  (``liquidation_feeds``: Binance ``!forceOrder@arr``, Bybit ``allLiquidation.{symbol}``, OKX
  ``liquidation-orders`` SWAP), each reconnecting with backoff;
* scheduled :func:`~cryptodesk.desk.live.update` passes every ``watch_update_minutes`` (in a worker
  thread, so a slow HTTP source never stalls the feeds);
* one writer thread that owns every store write. Each liquidation batch (``watch_flush_rows`` rows
  or ``watch_flush_seconds`` seconds) is ONE transaction (:func:`~cryptodesk.store.state.append_events`:
  liquidations are immutable events, so only new keys are inserted and the cost does not grow with the
  table). Duplicates are dropped twice: in memory by ``event_id`` and by the store's key (``source,
  exchange, event_id``), so a message replayed after a reconnect or a restart is stored exactly once.

Feed coverage: every ``watch_flush_seconds`` each connected feed's buffer is flushed and then its
interval ``(start of the connection, now)`` is queued *behind* the rows, so ``feed_coverage`` never
claims a time whose rows are not stored, even after ``kill -9``; the final end is recorded when a
connection drops. The time between two intervals of a feed is a known gap.

Shutdown (``stop`` set, e.g. by SIGINT/SIGTERM): the streams stop reading and flush, a running
update pass stops after its current step, the writer drains its queue, then the function returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import polars as pl

from cryptodesk.core.errors import ConfigError, DeskError
from cryptodesk.core.models import Batch
from cryptodesk.core.timeutil import utc_now
from cryptodesk.desk.core import Desk
from cryptodesk.desk.live import update
from cryptodesk.desk.live_status import save_status
from cryptodesk.sources.liquidations import binance, bybit, okx
from cryptodesk.sources.liquidations.base import Feed, LiquidationBuffer
from cryptodesk.sources.liquidations.stream import Backoff, Coverage, LiquidationStream
from cryptodesk.store.db import Store
from cryptodesk.store.state import append_events

log = logging.getLogger(__name__)

FEEDS = ("binance", "bybit", "okx")
DEDUPE_WINDOW = 50_000
"""Event ids remembered per feed to drop replays after a reconnect (the store's key catches the rest)."""
STATUS_SECONDS = 1.0
MAX_MERGED_ROWS = 50_000
"""Most rows the writer merges from a backlog of one feed's batches into one transaction."""
"""How often the running watch rewrites its section of the live status file."""


# ---------------------------------------------------------------------- feeds


def build_feeds(desk: Desk, errors: list[str] | None = None) -> list[Feed]:
    """The feeds named in ``liquidation_feeds``; OKX needs contract values (fetched once from its REST API).

    A feed that cannot be prepared (OKX instruments unreachable) is left out and its error appended to ``errors``.
    """
    settings = desk.settings
    names = [n.strip().lower() for n in settings.liquidation_feeds.split(",") if n.strip()]
    unknown = [n for n in names if n not in FEEDS]
    if unknown:
        raise ConfigError(
            f"liquidation_feeds: unknown feed {unknown[0]!r}; expected some of {', '.join(FEEDS)}",
            parameter="liquidation_feeds",
        )
    symbols = tuple(s.strip().upper() for s in settings.liquidation_symbols.split(",") if s.strip())
    feeds: list[Feed] = []
    for name in names:
        if name == "binance":
            feeds.append(binance.feed(settings.binance_futures_ws_url))
        elif name == "bybit":
            feeds.append(bybit.feed(settings.bybit_ws_url, symbols))
        else:
            try:
                rest = okx.OkxInstruments(settings.okx_rest_url)
                try:
                    contracts = rest.swap_contracts()
                finally:
                    rest.close()
                feeds.append(okx.feed(settings.okx_ws_url, contracts))
            except DeskError as e:
                message = f"okx feed left out: cannot read SWAP contract values: {e}"
                log.warning(message)
                if errors is not None:
                    errors.append(message)
    return feeds


# ---------------------------------------------------------------------- the writer


@dataclass
class WriterStats:
    """What the writer thread stored."""

    batches: int = 0
    rows: int = 0
    inserted: int = 0
    coverage: int = 0
    error: str | None = None
    stored_by_feed: dict[str, int] = field(default_factory=dict)


class Writer:
    """A thread that owns every liquidation and coverage write, in the order they were queued."""

    def __init__(self, store: Store, *, on_error: Callable[[], None]) -> None:
        self.store = store
        self.on_error = on_error
        self.stats = WriterStats()
        self._queue: queue.Queue[tuple[str, Batch | Coverage] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="cryptodesk-writer", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def put_batch(self, feed: str, batch: Batch) -> None:
        """Queue one batch of rows (written as one transaction)."""
        self._queue.put((feed, batch))

    def put_coverage(self, interval: Coverage) -> None:
        """Queue a coverage interval (written after every batch queued before it)."""
        self._queue.put(("", interval))

    def close(self) -> None:
        """Write everything queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        pending: list[tuple[str, Batch | Coverage] | None] = []
        while True:
            item = pending.pop(0) if pending else self._queue.get()
            if item is None:
                return
            if self.stats.error is not None:
                continue  # the store failed: keep draining so producers never block, write nothing more
            feed, payload = item
            if isinstance(payload, Coverage):
                self._write(
                    partial(self.store.record_coverage, payload.exchange, payload.feed, payload.start, payload.end)
                )
                self.stats.coverage += 1
                continue
            # a backlog of one feed's batches is written together: fewer, larger transactions catch up faster
            frames = [payload.frame]
            rows = payload.frame.height
            while rows < MAX_MERGED_ROWS:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is not None and nxt[0] == feed and isinstance(nxt[1], Batch):
                    frames.append(nxt[1].frame)
                    rows += nxt[1].frame.height
                else:
                    pending.append(nxt)
                    break
            merged = Batch(payload.table, pl.concat(frames) if len(frames) > 1 else frames[0])
            self._write(partial(self._append, feed, merged))

    def _append(self, feed: str, batch: Batch) -> None:
        inserted = append_events(self.store, batch, kind="live:liquidations")
        self.stats.batches += 1
        self.stats.rows += batch.frame.height
        self.stats.inserted += inserted
        self.stats.stored_by_feed[feed] = self.stats.stored_by_feed.get(feed, 0) + inserted

    def _write(self, action: Callable[[], None]) -> None:
        try:
            action()
        except DeskError as e:
            self.stats.error = str(e)
            log.error("store write failed, stopping watch: %s", e)
            self.on_error()


# ---------------------------------------------------------------------- one feed


class FeedRunner:
    """One feed's stream plus the bookkeeping ``watch`` needs: current connection start, last data time."""

    def __init__(self, feed: Feed, desk: Desk, writer: Writer, *, flush_rows: int, backoff: Backoff) -> None:
        self.feed = feed
        self.writer = writer
        self.session_start: datetime | None = None
        self.last_data: datetime | None = None
        self.key = f"{feed.exchange} {feed.name}"
        self.stream = LiquidationStream(
            feed,
            registry=desk.registry,
            on_batch=self._on_batch,
            on_coverage=self._on_coverage,
            flush_every=flush_rows,
            flush_seconds=3600.0,  # time-based flushes come from watch's heartbeat, followed by coverage
            backoff=backoff,
            clock=self._clock,
        )
        self.stream.buffer = LiquidationBuffer(dedupe_window=DEDUPE_WINDOW)

    def _clock(self) -> datetime:
        """The stream reads the clock once when a connection is subscribed and once when it ends."""
        now = utc_now()
        if self.session_start is None:
            self.session_start = now
        return now

    def _on_batch(self, batch: Batch) -> None:
        latest = batch.frame.get_column("ts").max()
        if isinstance(latest, datetime) and (self.last_data is None or latest > self.last_data):
            self.last_data = latest
        self.writer.put_batch(self.key, batch)

    def _on_coverage(self, interval: Coverage) -> None:
        self.session_start = None
        self.writer.put_coverage(interval)

    def checkpoint(self) -> None:
        """Flush what the stream holds, then record the open connection's coverage up to now."""
        self.stream.flush()
        if self.session_start is not None:
            self.writer.put_coverage(Coverage(self.feed.exchange, self.feed.name, self.session_start, utc_now()))

    def to_json(self, stored: int) -> dict[str, Any]:
        """This feed's counters for the live status file."""
        s = self.stream
        return {
            "exchange": self.feed.exchange,
            "feed": self.feed.name,
            "connected": self.session_start is not None,
            "session_start": self.session_start.isoformat() if self.session_start else None,
            "connects": s.connects,
            "messages": s.messages,
            "records": s.records,
            "duplicates": s.buffer.duplicates,
            "malformed": s.malformed,
            "stored": stored,
            "last_data": self.last_data.isoformat() if self.last_data else None,
            "last_error": s.last_error,
        }


# ---------------------------------------------------------------------- watch


@dataclass
class WatchReport:
    """What one ``watch`` run did."""

    started: datetime
    finished: datetime | None = None
    feeds: list[dict[str, Any]] = field(default_factory=list)
    writer: WriterStats = field(default_factory=WriterStats)
    updates: int = 0
    errors: list[str] = field(default_factory=list)


async def watch(
    desk: Desk,
    stop: asyncio.Event,
    *,
    feeds: list[Feed] | None = None,
    update_minutes: float | None = None,
    backoff: Backoff | None = None,
    update_kwargs: dict[str, Any] | None = None,
) -> WatchReport:
    """Run the liquidation feeds and scheduled update passes until ``stop`` is set; flush everything, then return.

    ``feeds`` defaults to :func:`build_feeds`; ``update_minutes`` to ``watch_update_minutes`` (0 = no passes).
    """
    settings = desk.settings
    report = WatchReport(started=utc_now())
    store = desk.store(write=True)
    if feeds is None:
        feeds = await asyncio.to_thread(build_feeds, desk, report.errors)
    loop = asyncio.get_running_loop()

    def stop_soon() -> None:
        loop.call_soon_threadsafe(stop.set)

    writer = Writer(store, on_error=stop_soon)
    runners = [
        FeedRunner(f, desk, writer, flush_rows=settings.watch_flush_rows, backoff=backoff or Backoff()) for f in feeds
    ]
    minutes = settings.watch_update_minutes if update_minutes is None else update_minutes
    writer.start()
    _write_status(desk, report, runners, writer, "running")
    tasks = [asyncio.create_task(r.stream.run(stop), name=r.key) for r in runners]
    tasks.append(asyncio.create_task(_heartbeat(desk, report, runners, writer, stop)))
    if minutes > 0:
        tasks.append(asyncio.create_task(_updates(desk, report, minutes, stop, update_kwargs or {})))
    try:
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        stop.set()
        for r in runners:
            r.stream.flush()
        await asyncio.to_thread(writer.close)
    for result in results:
        if isinstance(result, BaseException):
            report.errors.append(f"{type(result).__name__}: {result}")
    if writer.stats.error:
        report.errors.append(f"store write failed: {writer.stats.error}")
    report.finished = utc_now()
    report.writer = writer.stats
    report.feeds = [r.to_json(writer.stats.stored_by_feed.get(r.key, 0)) for r in runners]
    _write_status(desk, report, runners, writer, "stopped")
    return report


async def _heartbeat(
    desk: Desk, report: WatchReport, runners: list[FeedRunner], writer: Writer, stop: asyncio.Event
) -> None:
    """Every ``watch_flush_seconds``: flush each feed and record its coverage; rewrite the status file every second."""
    loop = asyncio.get_running_loop()
    every = desk.settings.watch_flush_seconds
    next_flush = loop.time() + every
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, min(every, STATUS_SECONDS, next_flush - loop.time())))
        if stop.is_set():
            return
        if loop.time() >= next_flush:
            for r in runners:
                r.checkpoint()
            next_flush = loop.time() + every
        _write_status(desk, report, runners, writer, "running")


async def _updates(
    desk: Desk, report: WatchReport, minutes: float, stop: asyncio.Event, kwargs: dict[str, Any]
) -> None:
    """Run an update pass now and then every ``minutes``, in a worker thread; stop between steps."""
    while not stop.is_set():
        try:
            result = await asyncio.to_thread(update, desk, should_stop=stop.is_set, **kwargs)
            report.updates += 1
            report.errors.extend(f"update: {s.name}: {s.error}" for s in result.failed)
            del report.errors[:-50]
        except DeskError as e:
            report.errors.append(f"update: {e}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=minutes * 60.0)


def _write_status(desk: Desk, report: WatchReport, runners: list[FeedRunner], writer: Writer, state: str) -> None:
    stats = writer.stats
    save_status(
        desk.settings,
        watch={
            "pid": os.getpid(),
            "state": state,
            "started": report.started.isoformat(),
            "updated": utc_now().isoformat(),
            "feeds": [r.to_json(stats.stored_by_feed.get(r.key, 0)) for r in runners],
            "writer": {
                "batches": stats.batches,
                "rows": stats.rows,
                "inserted": stats.inserted,
                "coverage_records": stats.coverage,
                "error": stats.error,
            },
            "updates": report.updates,
            "errors": report.errors[-10:],
        },
    )
