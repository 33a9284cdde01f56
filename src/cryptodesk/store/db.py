"""The embedded DuckDB store: open/migrate, transactional ingest, point-in-time frames, health.

::

    with Store.open("cryptodesk.duckdb") as store:
        files = [FileRecord(path, sha256, "coingecko-export", {"snapshots": 10})]
        result = store.ingest(batches, kind="import", files=files)
        frames = store.frames(datetime(2023, 1, 18, 17, 30, tzinfo=UTC))

A :class:`Store` wraps one DuckDB connection (not shared between threads without
the store's own lock, which every public method takes). DuckDB errors are
translated once here into :class:`~cryptodesk.core.errors.StoreError` (and
:class:`~cryptodesk.core.errors.StoreLockedError` when another process holds the
file's lock). The connection's TimeZone is UTC; where DuckDB's ICU extension is not
available, timestamps with time zone are already handled in UTC.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import duckdb
import polars as pl

from cryptodesk.core.errors import ConfigError, DeskError, StoreError, StoreLockedError
from cryptodesk.core.frames import MarketFrames, MarketTimeline
from cryptodesk.core.models import Batch
from cryptodesk.store import _health
from cryptodesk.store._frames import load_frames, universe
from cryptodesk.store._sql import run
from cryptodesk.store._staging import FileRecord, IngestResult, IngestSession
from cryptodesk.store._timeline import load_timeline, universes
from cryptodesk.store.schema import migrate

__all__ = ["FileRecord", "IngestResult", "IngestSession", "Store"]

_T = TypeVar("_T")

RETRY_FACTOR = 4
"""A narrow read that runs out of memory under a read-only store's bound tries this many times the bound next."""

NARROW_SPAN = timedelta(days=1)
"""Reads of named assets over at most this long a period run under a read-only store's memory bound (see
``Store._read``); a day is the window a desk refreshing its story reads (``desk.replay.LiveReplay.HORIZON``)."""


def _aware(moment: datetime, parameter: str) -> datetime:
    """``moment`` in UTC (a ConfigError naming ``parameter`` when it is naive)."""
    if moment.tzinfo is None:
        raise ConfigError(f"{parameter} must be timezone-aware (UTC)", parameter=parameter)
    return moment.astimezone(UTC)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class Store:
    """The DuckDB store. Create with :meth:`open`; use as a context manager or call :meth:`close`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, *, read_only: bool) -> None:
        self._con: duckdb.DuckDBPyConnection | None = con
        self.path = path
        self.read_only = read_only
        self._lock = threading.RLock()
        self._bounds: tuple[str, ...] = ()
        """The memory limits a read-only connection's narrow reads try in turn (SQL literals: the bound, then
        :data:`RETRY_FACTOR` times it), empty for DuckDB's own (see :meth:`_read`)."""
        self._several: set[str] = set()
        """Assets found to have a daily key with several source rows, so their reads merge in SQL at once (see
        ``_frames.read_daily``); emptied by every ingest (the only writes of daily rows)."""

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False, memory_limit: str | None = None) -> Store:
        """Open (creating if needed, unless read-only) and migrate the store at ``path``.

        ``memory_limit`` (a DuckDB size such as ``128MB``; setting ``store_memory_limit``) caps a read-only
        connection's memory during its narrow reads (a report's, the dashboard's), and so the pages DuckDB keeps
        cached after their scans; larger intermediates spill. Every other read, and a narrow one that runs out of
        memory under it, runs under DuckDB's own limit (see :meth:`_read`).
        A read-write connection keeps DuckDB's limit (an ingest session sets its own).

        Raises StoreLockedError when another process holds the file, StoreError when
        it cannot be opened, is not a DuckDB file, or was written by a newer cryptodesk.
        """
        name = str(path)
        if name != ":memory:" and not read_only:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        if read_only and name != ":memory:" and not Path(name).exists():
            raise StoreError(f"{name}: no store at this path", hint="Import data first with `cryptodesk import PATH`.")
        try:
            con = duckdb.connect(name, read_only=read_only)
        except duckdb.Error as e:
            raise _open_error(name, e) from e
        store = cls(con, name, read_only=read_only)
        try:
            with store._translate("open"):
                _set_utc(con)
                if read_only and memory_limit and memory_limit.strip():
                    store._bounds = (_size(memory_limit), _size(memory_limit, RETRY_FACTOR))
                migrate(con, path=name, read_only=read_only)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        with self._lock:
            if self._con is not None:
                with contextlib.suppress(duckdb.Error):
                    self._con.close()
                self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open connection (StoreError once closed)."""
        if self._con is None:
            raise StoreError(f"{self.path}: the store is closed")
        return self._con

    @contextlib.contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        """Turn a DuckDB error raised in the block into a StoreError naming the store and action."""
        try:
            yield
        except DeskError:
            raise
        except duckdb.Error as e:
            raise StoreError(f"{self.path}: {action} failed: {_first_line(e)}") from e

    def _read(self, action: str, query: Callable[[duckdb.DuckDBPyConnection], _T], *, narrow: bool) -> _T:
        """``query(con)`` under the store's lock, its DuckDB errors translated (see :meth:`_translate`).

        On a bounded read-only connection (see :meth:`open`) a ``narrow`` read (named assets over at most
        :data:`NARROW_SPAN`: a report's or the dashboard's) runs with DuckDB's memory limit set to the bound, which
        also drops the pages cached beyond it; if it runs out of memory there, once more under :data:`RETRY_FACTOR`
        times the bound (a merge of several sources' rows in SQL needs more than reading one source's rows), and
        then under DuckDB's own limit (80% of RAM). Afterwards the table pages it left cached are dropped (DuckDB
        keeps them up to its limit: 89 MiB after one report's frames of 25 assets, which scan every stored daily
        row), and the limit is DuckDB's own again. Every other read (every asset, a replay's period, the health
        checks, an export) runs under DuckDB's own limit: under a bound its hash tables spill (a ten-year replay's
        universes took 10.5 s instead of 5.9 s) or it fails.
        """
        with self._lock, self._translate(action):
            if not self._bounds or not narrow:
                return query(self.con)
            try:
                for bound in self._bounds:
                    run(self.con, f"SET memory_limit = {bound}")
                    try:
                        return query(self.con)
                    except duckdb.OutOfMemoryException:
                        _drop_cached_pages(self.con)
            finally:
                _drop_cached_pages(self.con)
                run(self.con, "RESET memory_limit")
            return query(self.con)

    # ------------------------------------------------------------------ writing
    def ingest(self, batches: list[Batch], *, kind: str, files: list[FileRecord]) -> IngestResult:
        """Store ``batches`` in ONE transaction; any error rolls everything back.

        Identical rows are collapsed, rows sharing a key are merged (latest non-null
        value per column), conflicts (same key, two non-null values that differ,
        within the call or against the store) are recorded in ``conflicts``, and the
        incoming value wins; a null never erases a stored value (see ``_ingest``).
        Inserted and updated rows get the new run id; rows that would not change stay
        as they were (unchanged). Batches are validated (key columns filled, schema)
        before anything is written.
        """
        with self.ingest_session(kind=kind) as session:
            session.add(batches)
            return session.commit(files)

    @contextlib.contextmanager
    def ingest_session(self, *, kind: str) -> Iterator[IngestSession]:
        """One ingest call fed batch by batch: ``add`` stages them, ``commit(files)`` stores them.

        ::

            with store.ingest_session(kind="import") as session:
                for path in paths:
                    session.add(parse(path))      # staged in DuckDB; the caller keeps nothing
                result = session.commit(files)    # same semantics as :meth:`ingest`

        The whole session is ONE transaction, opened here: leaving the block without
        ``commit`` or with an exception rolls it back, so the store is exactly as
        before. The store's lock is held for the whole block.
        """
        if self.read_only:
            raise StoreError(f"{self.path}: the store is open read-only; cannot ingest")
        with self._lock, self._translate("ingest"):
            con = self.con
            con.begin()
            session = IngestSession(con, kind=kind)
            try:
                yield session
            finally:
                if not session.committed:
                    with contextlib.suppress(duckdb.Error):
                        con.rollback()
                with contextlib.suppress(duckdb.Error):
                    session.restore()
                self._several.clear()

    def record_coverage(self, exchange: str, feed: str, start: datetime, end: datetime | None = None) -> None:
        """Record that ``feed`` of ``exchange`` was connected from ``start`` to ``end`` (None = still connected).

        Calling again with the same (exchange, feed, start) updates ``end``; the
        ``coverage`` frame clips open intervals at ``as_of``.
        """
        if self.read_only:
            raise StoreError(f"{self.path}: the store is open read-only; cannot record feed coverage")
        for name, moment in (("start", start), ("end", end)):
            if moment is not None and moment.tzinfo is None:
                raise ConfigError(f"{name} must be timezone-aware (UTC)", parameter=name)
        if end is not None and end < start:
            raise ConfigError(f"end {end.isoformat()} is before start {start.isoformat()}", parameter="end")
        with self._lock, self._translate("recording feed coverage"):
            run(
                self.con,
                "INSERT INTO feed_coverage VALUES ($exchange, $feed, $start, $end, NULL)"
                ' ON CONFLICT (exchange, feed, "start") DO UPDATE SET "end" = excluded."end"',
                {"exchange": exchange, "feed": feed, "start": start, "end": end},
            )

    # ------------------------------------------------------------------ reading
    def frames(
        self, as_of: datetime, *, assets: list[str] | None = None, intraday_days: int | None = None
    ) -> MarketFrames:
        """Everything known at ``as_of`` (aware datetime), merged by source preference (see ``_frames``).

        ``intraday_days`` limits candles and price points to the last that many days before ``as_of``.
        """
        moment = _aware(as_of, "as_of")
        return self._read(
            "reading frames",
            lambda con: load_frames(con, moment, assets, intraday_days=intraday_days, several=self._several),
            narrow=assets is not None,
        )

    def timeline(
        self, start: datetime, end: datetime, *, assets: list[str] | None = None, intraday_days: int | None = None
    ) -> MarketTimeline:
        """What the store knew at every moment from ``start`` to ``end``, read once (see ``_timeline``).

        ``timeline(...).at(t, assets)`` equals ``frames(t, assets=assets, intraday_days=intraday_days)`` for
        every ``t`` in the period and every subset of ``assets``.
        """
        first, last = _aware(start, "start"), _aware(end, "end")
        if last < first:
            raise ConfigError("timeline: end must not be before start", parameter="end")
        return self._read(
            "reading the timeline",
            lambda con: load_timeline(con, first, last, assets, intraday_days=intraday_days, several=self._several),
            narrow=assets is not None and last - first <= NARROW_SPAN,
        )

    def universes(self, moments: list[datetime], *, top_n: int = 100, fresh_days: int = 7) -> dict[datetime, list[str]]:
        """:meth:`universe` at each of ``moments`` (keys are the moments in UTC)."""
        if top_n < 1 or fresh_days < 0:
            raise ConfigError("universe: top_n must be >= 1 and fresh_days >= 0", parameter="top_n")
        utc_moments = [_aware(m, "moment") for m in moments]
        return self._read(
            "choosing the asset universes",
            lambda con: universes(con, utc_moments, top_n=top_n, fresh_days=fresh_days),
            narrow=not utc_moments or max(utc_moments) - min(utc_moments) <= NARROW_SPAN,
        )

    def universe(self, as_of: datetime, *, top_n: int = 100, fresh_days: int = 7) -> list[str]:
        """Assets worth analysing at ``as_of``: the ``top_n`` largest with a daily row in the last ``fresh_days``.

        Coins whose data ended long before ``as_of`` say nothing about that moment,
        and ranking by market cap keeps a 2,500-coin day as fast as a 30-coin one.
        """
        if as_of.tzinfo is None:
            raise ConfigError("as_of must be timezone-aware (UTC)", parameter="as_of")
        if top_n < 1 or fresh_days < 0:
            raise ConfigError("universe: top_n must be >= 1 and fresh_days >= 0", parameter="top_n")
        moment = as_of.astimezone(UTC)
        return self._read(
            "choosing the asset universe",
            lambda con: universe(con, moment, top_n=top_n, fresh_days=fresh_days),
            narrow=True,
        )

    def counts(self) -> dict[str, int]:
        """Row count of every canonical table and of the bookkeeping tables."""
        with self._lock, self._translate("counting rows"):
            return _health.counts(self.con)

    def conflicts(self, limit: int = 100) -> pl.DataFrame:
        """The most recent conflict records (newest first)."""
        with self._lock, self._translate("reading conflicts"):
            return _health.conflicts(self.con, limit)

    def disagreements(self, table: str = "daily", tolerance: float = 0.005) -> pl.DataFrame:
        """Same asset (or market) and day, two sources whose close differs by more than ``tolerance`` (relative)."""
        with self._lock, self._translate("comparing sources"):
            return _health.disagreements(self.con, table, tolerance)

    def coverage(self) -> pl.DataFrame:
        """Per asset, table, source and interval: first, last, rows and missing days."""
        with self._lock, self._translate("reading coverage"):
            return _health.coverage(self.con)

    def latest_times(self) -> pl.DataFrame:
        """Freshness: per table and source, the latest timestamp stored and the row count."""
        with self._lock, self._translate("reading freshness"):
            return _health.latest_times(self.con)

    def assets(self) -> pl.DataFrame:
        """Known assets (asset_id, symbol, name, kind), one row each."""
        with self._lock, self._translate("reading assets"):
            return _health.assets(self.con)


def _set_utc(con: duckdb.DuckDBPyConnection) -> None:
    """Set the session TimeZone to UTC (without ICU, DuckDB already works in UTC and refuses the setting), and turn
    DuckDB's own progress bar off (cryptodesk draws its own; servers and worker processes must not write to stdout)."""
    run(con, "SET enable_progress_bar = false")
    with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
        run(con, "SET TimeZone = 'UTC'")


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*[KMGT]i?B", re.IGNORECASE)


def _size(text: str, times: int = 1) -> str:
    """A memory size such as ``256MB`` (``times`` over) as an SQL literal (ConfigError on anything else: it is
    inlined in SQL)."""
    value = text.strip()
    got = _SIZE.fullmatch(value)
    if not got:
        raise ConfigError(f"memory_limit: expected a size such as 256MB, got {text!r}", parameter="memory_limit")
    number = got.group(1)
    scaled = number if times == 1 else f"{float(number) * times:g}"
    return f"'{scaled}{value[got.end(1) :].strip()}'"


def _open_error(path: str, error: duckdb.Error) -> StoreError:
    """The StoreError for a failed connect: StoreLockedError when another process holds the lock."""
    text = _first_line(error)
    if "lock" in text.lower():
        return StoreLockedError(f"{path}: the store is locked by another process ({text})")
    return StoreError(f"{path}: cannot open the store: {text}")


def _drop_cached_pages(con: duckdb.DuckDBPyConnection) -> None:
    """Evict the table pages a read left cached (DuckDB keeps them up to its limit, and frees them when it lowers)."""
    with contextlib.suppress(duckdb.Error):  # pages still pinned stay (DuckDB then keeps the limit it had)
        run(con, "SET memory_limit = '1MB'")
