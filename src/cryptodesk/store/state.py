"""Live collection helpers on a Store: resume points, feed coverage and gaps, and appending immutable events.

``update`` resumes each source from what the store already holds, and ``status``
reports freshness and gaps; both read through these helpers (each takes the
store's lock, like every :class:`~cryptodesk.store.db.Store` method).

A resume point can be restricted to the rows written by ingest runs of one
``kind`` (``import_runs.kind``): CoinGecko's ``/coins/markets`` snapshots and its
``market_chart`` backfill share the ``snapshots`` table and the ``coingecko``
source, so the backfill resumes from the last point *it* stored, never from a
later markets snapshot (which would leave a hole in the history).
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Final

import duckdb
import polars as pl

from cryptodesk.core.errors import StoreError
from cryptodesk.core.models import TABLES, UTC_TS, Batch
from cryptodesk.core.timeutil import utc_now
from cryptodesk.store._ingest import stage_frame
from cryptodesk.store._sql import conform, fetch, q, qlist, run, scalar
from cryptodesk.store.db import Store

COVERAGE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "exchange": pl.Utf8(),
    "feed": pl.Utf8(),
    "start": UTC_TS,
    "end": UTC_TS,
}
GAP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "exchange": pl.Utf8(),
    "feed": pl.Utf8(),
    "gap_start": UTC_TS,
    "gap_end": UTC_TS,
    "seconds": pl.Float64(),
}
LIQUIDATION_SCHEMA: Final[dict[str, pl.DataType]] = {
    "source": pl.Utf8(),
    "exchange": pl.Utf8(),
    "latest": UTC_TS,
    "rows": pl.Int64(),
}
GLOBAL_POINT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "ts": UTC_TS,
    "total_market_cap": pl.Float64(),
    "total_volume": pl.Float64(),
    "btc_dominance": pl.Float64(),
    "eth_dominance": pl.Float64(),
    "active_assets": pl.Int64(),
}

_BY_KIND: Final = " AND run_id IN (SELECT run_id FROM import_runs WHERE kind = $kind)"


def _read(store: Store, sql: str, params: dict[str, object] | None = None) -> pl.DataFrame:
    with store._lock, store._translate("reading live state"):
        return fetch(store.con, sql, params)


def latest_candle_times(store: Store, source: str = "ccxt") -> dict[tuple[str, str, str, str], datetime]:
    """``(venue, asset_id, symbol, interval) -> open time of the last stored candle`` for ``source``."""
    frame = _read(
        store,
        'SELECT venue, asset_id, symbol, "interval", max(open_time) AS latest FROM candles'
        " WHERE source = $source GROUP BY ALL",
        {"source": source},
    )
    frame = conform(
        frame, {"venue": pl.Utf8(), "asset_id": pl.Utf8(), "symbol": pl.Utf8(), "interval": pl.Utf8(), "latest": UTC_TS}
    )
    return {(r[0], r[1], r[2] or "", r[3]): r[4] for r in frame.iter_rows()}


def latest_snapshot_times(store: Store, source: str, *, run_kind: str | None = None) -> dict[str, datetime]:
    """``asset_id -> latest snapshot time`` of ``source`` (only rows last written by runs of ``run_kind``)."""
    params: dict[str, object] = {"source": source}
    where = ""
    if run_kind is not None:
        where, params["kind"] = _BY_KIND, run_kind
    frame = _read(
        store,
        f"SELECT asset_id, max(ts) AS latest FROM snapshots WHERE source = $source{where} GROUP BY asset_id",
        params,
    )
    frame = conform(frame, {"asset_id": pl.Utf8(), "latest": UTC_TS})
    return dict(frame.iter_rows())


def latest_global_time(store: Store, source: str, interval: str, *, run_kind: str | None = None) -> datetime | None:
    """The latest ``global_metrics`` time of ``source`` and ``interval`` (optionally of runs of ``run_kind``)."""
    params: dict[str, object] = {"source": source, "interval": interval}
    where = ""
    if run_kind is not None:
        where, params["kind"] = _BY_KIND, run_kind
    frame = _read(
        store,
        f'SELECT max(ts) AS latest FROM global_metrics WHERE source = $source AND "interval" = $interval{where}',
        params,
    )
    value = conform(frame, {"latest": UTC_TS}).item(0, 0)
    return value if isinstance(value, datetime) else None


def global_points(store: Store, source: str, since: datetime | None = None) -> pl.DataFrame:
    """``global_metrics`` snapshots (interval ``snapshot``) of ``source`` at or after ``since``, oldest first."""
    frame = _read(
        store,
        "SELECT ts, total_market_cap, total_volume, btc_dominance, eth_dominance, active_assets FROM global_metrics"
        " WHERE source = $source AND \"interval\" = 'snapshot' AND ts >= $since ORDER BY ts",
        {"source": source, "since": since or datetime(1970, 1, 1, tzinfo=UTC)},
    )
    return conform(frame, GLOBAL_POINT_SCHEMA)


def feed_coverage(store: Store) -> pl.DataFrame:
    """Every recorded feed interval (exchange, feed, start, end; end null = still open), in order."""
    frame = _read(store, 'SELECT exchange, feed, "start", "end" FROM feed_coverage ORDER BY exchange, feed, "start"')
    return conform(frame, COVERAGE_SCHEMA)


def feed_gaps(coverage: pl.DataFrame, *, min_seconds: float = 0.0) -> pl.DataFrame:
    """The holes between consecutive intervals of each feed (overlaps merged), longer than ``min_seconds``.

    ``coverage`` has the :func:`feed_coverage` columns; an open interval (null end) covers everything after it.
    """
    if coverage.is_empty():
        return pl.DataFrame(schema=GAP_SCHEMA)
    ordered = coverage.sort("exchange", "feed", "start").with_columns(
        pl.col("end").fill_null(pl.datetime(9999, 1, 1, time_zone="UTC")).alias("_end")
    )
    # the furthest end reached by any earlier interval of the same feed: a gap exists when the next start is later
    ordered = ordered.with_columns(
        pl.col("_end").cum_max().shift(1).over("exchange", "feed").alias("gap_start"),
    )
    gaps = ordered.filter(pl.col("gap_start").is_not_null() & (pl.col("start") > pl.col("gap_start")))
    gaps = gaps.select(
        "exchange",
        "feed",
        "gap_start",
        pl.col("start").alias("gap_end"),
        ((pl.col("start") - pl.col("gap_start")).dt.total_microseconds() / 1e6).alias("seconds"),
    )
    return conform(gaps.filter(pl.col("seconds") > min_seconds), GAP_SCHEMA)


def liquidation_latest(store: Store) -> pl.DataFrame:
    """Per source and exchange: the latest liquidation time stored and the row count."""
    frame = _read(
        store,
        'SELECT source, exchange, max(ts) AS latest, count(*) AS "rows" FROM liquidations GROUP BY ALL'
        " ORDER BY source, exchange",
    )
    return conform(frame, LIQUIDATION_SCHEMA)


def last_runs(store: Store, prefix: str, limit: int = 20) -> pl.DataFrame:
    """The latest ingest runs whose kind starts with ``prefix`` (run_id, kind, finished_at), newest first."""
    frame = _read(
        store,
        "SELECT run_id, kind, finished_at FROM import_runs WHERE starts_with(kind, $prefix)"
        " ORDER BY run_id DESC LIMIT $limit",
        {"prefix": prefix, "limit": limit},
    )
    return conform(frame, {"run_id": pl.Int64(), "kind": pl.Utf8(), "finished_at": UTC_TS})


# ---------------------------------------------------------------------- appending immutable events


def append_events(store: Store, batch: Batch, *, kind: str) -> int:
    """Store the rows of ``batch`` whose key is new, in ONE transaction; return how many were inserted.

    For immutable event tables (liquidations: the key is a hash of the event's raw fields), a row whose
    key is already stored is the same event again and is skipped. Unlike :meth:`Store.ingest` this does
    not compare values or log conflicts, so its cost does not grow with the table (the primary-key index
    answers "already stored?"). The run is recorded in ``import_runs`` like any ingest.
    """
    if store.read_only:
        raise StoreError(f"{store.path}: the store is open read-only; cannot append")
    spec = TABLES[batch.table]
    frame = stage_frame(spec, [batch.frame]).drop("_ord").unique(subset=list(spec.key), keep="first")
    cols = qlist(spec.columns)
    started = utc_now()
    with store._lock, store._translate(f"appending to {spec.name}"):
        con = store.con
        con.begin()
        con.register("_cd_append", frame.to_arrow())
        try:
            run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM import_runs"))
            inserted = run(
                con,
                f"INSERT INTO {q(spec.name)} ({cols}, run_id) SELECT {cols}, $run_id FROM _cd_append"
                " ON CONFLICT DO NOTHING",
                {"run_id": run_id},
            )
            counts = {"inserted": inserted, "updated": 0, "unchanged": frame.height - inserted, "conflicts": 0}
            detail = json.dumps({"tables": {spec.name: counts}, "files": 0})
            run(
                con,
                "INSERT INTO import_runs VALUES ($run_id, $kind, $started, $finished, 'ok', CAST($detail AS JSON))",
                {"run_id": run_id, "kind": kind, "started": started, "finished": utc_now(), "detail": detail},
            )
            con.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            raise
        finally:
            with contextlib.suppress(duckdb.Error):
                con.unregister("_cd_append")
    return inserted
