"""Live collection, part 1: one incremental ``update`` pass over every configured network source.

``update(desk)`` runs these steps in order, each fetched and stored on its own
(one ``Store.ingest`` transaction per step, run kind ``live:<step kind>``):

1. ``coingecko chart <id>`` for every id in ``coingecko_backfill``: ``market_chart`` from the
   last point a chart run stored (resume), or as far back as the plan allows;
2. ``coingecko global history`` (only with a Pro key): ``/global/market_cap_chart`` from the last
   point it stored;
3. ``coingecko markets``: the top ``coingecko_top_n`` snapshot (snapshots + assets);
4. ``coingecko global``: the ``/global`` snapshot;
5. ``coingecko global daily``: daily total-market bars built from the stored ``/global`` snapshots
   (:func:`daily_from_snapshots`; see docs/live.md);
6. ``ccxt <exchange> <symbol> <timeframe>`` for every ``exchanges`` triple, from the last stored candle.

A step that fails (network, HTTP 5xx after retries, schema drift, store error) is
reported in its :class:`StepOutcome` and nothing from it is stored; the other steps
go on. The last report is also kept in the live status file (:mod:`cryptodesk.desk.live_status`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from cryptodesk.core.errors import DeskError
from cryptodesk.core.models import GLOBAL_METRICS, Batch
from cryptodesk.core.timeutil import utc_now
from cryptodesk.desk.core import Desk
from cryptodesk.desk.live_status import save_status
from cryptodesk.sources.coingecko import CoinGecko
from cryptodesk.sources.exchanges import Job, fetch_candles, make_exchange, parse_jobs, parse_urls
from cryptodesk.sources.http import RetryPolicy
from cryptodesk.store import state

log = logging.getLogger(__name__)

DERIVED_GLOBAL_SOURCE = "coingecko-global"
"""The ``source`` of the daily total-market bars cryptodesk builds from CoinGecko ``/global`` snapshots."""
QUARTERS = 4
"""A derived daily bar needs at least one ``/global`` snapshot in each quarter (6 hours) of its UTC day."""

UpdateProgress = Callable[[str, int, int], None]
"""progress(step name, steps done, steps total)."""


@dataclass(frozen=True)
class Step:
    """One unit of an update pass: a name, the ingest run kind, and how to fetch its batches."""

    name: str
    source: str
    kind: str
    fetch: Callable[[], list[Batch]]


@dataclass(frozen=True)
class StepOutcome:
    """What one step did: rows fetched per table, rows inserted/updated, or the error that stopped it."""

    name: str
    source: str
    rows: dict[str, int] = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0
    error: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "name": self.name,
            "source": self.source,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class UpdateReport:
    """The outcome of one update pass."""

    started: datetime
    finished: datetime | None = None
    steps: list[StepOutcome] = field(default_factory=list)
    stopped: bool = False
    """True when a stop request ended the pass before every step ran."""

    @property
    def failed(self) -> list[StepOutcome]:
        """Steps that failed (nothing from them was stored)."""
        return [s for s in self.steps if s.error]

    @property
    def inserted(self) -> int:
        """Rows inserted over all steps."""
        return sum(s.inserted for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (kept in the live status file)."""
        return {
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "stopped": self.stopped,
            "steps": [s.to_json() for s in self.steps],
        }


# ---------------------------------------------------------------------- the pass


def update(
    desk: Desk,
    *,
    now: datetime | None = None,
    retry: RetryPolicy | None = None,
    only: set[str] | None = None,
    progress: UpdateProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> UpdateReport:
    """Run one incremental pass over every configured source; each step is stored in its own transaction.

    ``now`` fixes the clock (tests replay recorded data); ``retry`` overrides the HTTP retry policy;
    ``only`` keeps the steps whose source (``coingecko``, ``ccxt``) or name is listed; ``should_stop``
    is checked between steps (``watch`` shuts down without waiting for a whole pass).
    """
    clock = (lambda: now) if now is not None else utc_now
    report = UpdateReport(started=utc_now())
    store = desk.store(write=True)
    with _Clients(desk, clock, retry) as clients:
        steps = [s for s in plan(desk, clients, clock) if only is None or s.source in only or s.name in only]
        for i, step in enumerate(steps):
            if should_stop is not None and should_stop():
                report.stopped = True
                break
            if progress is not None:
                progress(step.name, i, len(steps))
            report.steps.append(_run_step(step, lambda batches, kind: store.ingest(batches, kind=kind, files=[])))
        if progress is not None:
            progress("done", len(report.steps), len(steps))
    report.finished = utc_now()
    save_status(desk.settings, update=report.to_json())
    return report


def _run_step(step: Step, ingest: Callable[[list[Batch], str], Any]) -> StepOutcome:
    """Fetch and store one step; any error becomes the outcome's error and nothing from the step is stored."""
    started = time.monotonic()
    rows: dict[str, int] = {}
    try:
        batches = step.fetch()
        for b in batches:
            rows[b.table] = rows.get(b.table, 0) + b.frame.height
        inserted = updated = 0
        if any(rows.values()):
            result = ingest([b for b in batches if b.frame.height], f"live:{step.kind}")
            inserted, updated = result.inserted, result.updated
    except DeskError as e:
        return StepOutcome(step.name, step.source, rows, error=str(e), seconds=time.monotonic() - started)
    except Exception as e:  # a bug in one source must not end the pass (watch runs unattended)
        log.exception("update step %s failed unexpectedly", step.name)
        error = f"unexpected {type(e).__name__}: {e}"
        return StepOutcome(step.name, step.source, rows, error=error, seconds=time.monotonic() - started)
    return StepOutcome(step.name, step.source, rows, inserted, updated, seconds=time.monotonic() - started)


class _Clients:
    """The network clients of one pass, created lazily and closed at the end."""

    def __init__(self, desk: Desk, clock: Callable[[], datetime], retry: RetryPolicy | None) -> None:
        self.desk = desk
        self.clock = clock
        self.retry = retry
        self._coingecko: CoinGecko | None = None
        self._exchanges: dict[str, Any] = {}

    def coingecko(self) -> CoinGecko:
        """The CoinGecko client the settings ask for (Pro, Demo or keyless)."""
        if self._coingecko is None:
            settings = self.desk.settings
            rate = settings.coingecko_rate_per_minute
            self._coingecko = CoinGecko.from_settings(
                settings, retry=self.retry, clock=self.clock, rate_per_minute=rate
            )
        return self._coingecko

    def exchange(self, name: str) -> Any:
        """A CCXT exchange (REST URL overridden by ``exchange_urls``), one per pass."""
        if name not in self._exchanges:
            urls = parse_urls(self.desk.settings.exchange_urls)
            self._exchanges[name] = make_exchange(name, base_url=urls.get(name))
        return self._exchanges[name]

    def __enter__(self) -> _Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._coingecko is not None:
            self._coingecko.close()


def plan(desk: Desk, clients: _Clients, clock: Callable[[], datetime]) -> list[Step]:
    """The steps of one pass for the desk's settings (fetch functions read resume points when they run)."""
    settings = desk.settings
    store = desk.store(write=True)
    steps: list[Step] = []
    for coin in (c.strip() for c in settings.coingecko_backfill.split(",")):
        if coin:
            steps.append(Step(f"coingecko chart {coin}", "coingecko", "coingecko-chart", _chart(store, clients, coin)))
    if settings.coingecko_pro_api_key is not None:
        steps.append(
            Step("coingecko global history", "coingecko", "coingecko-global-history", _history(store, clients))
        )
    top_n = settings.coingecko_top_n
    steps.append(
        Step("coingecko markets", "coingecko", "coingecko-markets", lambda: clients.coingecko().markets(top_n))
    )
    steps.append(
        Step("coingecko global", "coingecko", "coingecko-global", lambda: [clients.coingecko().global_snapshot()])
    )
    steps.append(
        Step("coingecko global daily", "coingecko", "coingecko-global-daily", lambda: [_derived_daily(store, clock())])
    )
    for job in parse_jobs(settings.exchanges):
        name = f"ccxt {job.exchange} {job.symbol} {job.timeframe}"
        steps.append(Step(name, "ccxt", "ccxt", _candles(desk, clients, job, clock)))
    return steps


def _chart(store: Any, clients: _Clients, coin: str) -> Callable[[], list[Batch]]:
    def fetch() -> list[Batch]:
        since = state.latest_snapshot_times(store, "coingecko", run_kind="live:coingecko-chart").get(coin)
        return [clients.coingecko().market_chart(coin, since)]

    return fetch


def _history(store: Any, clients: _Clients) -> Callable[[], list[Batch]]:
    def fetch() -> list[Batch]:
        since = state.latest_global_time(store, "coingecko", "snapshot", run_kind="live:coingecko-global-history")
        return [clients.coingecko().global_history(since)]

    return fetch


def _candles(desk: Desk, clients: _Clients, job: Job, clock: Callable[[], datetime]) -> Callable[[], list[Batch]]:
    def fetch() -> list[Batch]:
        latest = state.latest_candle_times(desk.store(write=True))
        times = [
            t
            for (venue, _, sym, ivl), t in latest.items()
            if (venue, sym, ivl) == (job.exchange, job.symbol, job.timeframe)
        ]
        since = max(times) if times else None
        result = fetch_candles(clients.exchange(job.exchange), job, since, registry=desk.registry, now=clock())
        return [result.batch]

    return fetch


# ---------------------------------------------------------------------- derived total market cap


def _derived_daily(store: Any, now: datetime) -> Batch:
    """Daily bars from the stored ``/global`` snapshots, for days after the last derived bar."""
    last = state.latest_global_time(store, DERIVED_GLOBAL_SOURCE, "1d")
    since = last + timedelta(days=1) if last is not None else None
    return Batch("global_metrics", daily_from_snapshots(state.global_points(store, "coingecko", since), now))


def daily_from_snapshots(points: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Daily total-market bars (``global_metrics``, interval ``1d``) from intraday ``/global`` snapshots.

    For each UTC day D that has ended by ``now`` and has at least one snapshot in each of its four
    6-hour quarters: open = the first snapshot of D, close (``total_market_cap``) = the last one,
    high/low = the largest/smallest snapshot (a sampled range: the true intraday range is at least
    as wide), total_volume and dominance = those of the last snapshot (CoinGecko's 24h volume is
    already a rolling 24h figure). The bar opens at D 00:00 UTC, like every ``1d`` bar, and its
    source is :data:`DERIVED_GLOBAL_SOURCE`. Days failing the rule are left out, never filled in.
    """
    if points.is_empty():
        return GLOBAL_METRICS.empty()
    cutoff = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = points.filter(pl.col("total_market_cap").is_not_null()).sort("ts")
    rows = rows.with_columns(
        pl.col("ts").dt.truncate("1d").alias("day"), (pl.col("ts").dt.hour() // 6).alias("quarter")
    ).filter(pl.col("day") < cutoff)
    bars = (
        rows.group_by("day")
        .agg(
            pl.col("total_market_cap").first().alias("open"),
            pl.col("total_market_cap").max().alias("high"),
            pl.col("total_market_cap").min().alias("low"),
            pl.col("total_market_cap").last().alias("total_market_cap"),
            pl.col("total_volume").last().alias("total_volume"),
            pl.col("btc_dominance").last().alias("btc_dominance"),
            pl.col("eth_dominance").last().alias("eth_dominance"),
            pl.col("active_assets").last().alias("active_assets"),
            pl.col("quarter").n_unique().alias("quarters"),
        )
        .filter(pl.col("quarters") == QUARTERS)
        .sort("day")
    )
    frame = bars.rename({"day": "ts"}).with_columns(
        pl.lit(DERIVED_GLOBAL_SOURCE).alias("source"), pl.lit("1d").alias("interval")
    )
    return GLOBAL_METRICS.conform(frame)
