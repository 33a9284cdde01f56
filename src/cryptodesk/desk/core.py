"""Desk core: import, analyze, detect, report and inventory.

Every interface is a few lines around one of these methods::

    desk = Desk(load_settings())
    desk.import_paths([Path("../shared/data")])      # files -> sources -> store
    analysis = desk.analyze(as_of)                   # store -> frames -> analytics
    events = desk.detect(as_of)                      # ... -> events
    story = desk.report(as_of)                       # ... -> writer

The desk owns the store connection (opened lazily, read-only for reads) and
the asset registry; everything below it is pure or confined to its layer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.assets import AssetInfo, AssetRegistry
from cryptodesk.core.errors import InputError, NoDataError, StoreError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.core.settings import Settings, load_settings
from cryptodesk.core.timeutil import zone
from cryptodesk.desk._import import PARSE_AHEAD, PARSE_AHEAD_BYTES, ahead, parse_files, parsed_bytes
from cryptodesk.plugins import PluginHub, load_hub
from cryptodesk.store.db import FileRecord, IngestResult, IngestSession, Store
from cryptodesk.writer.story import Story, write_story

if TYPE_CHECKING:
    from cryptodesk.check.model import CheckResult
    from cryptodesk.desk.replay import LiveReplay, Moment

DATA_SUFFIXES = {".csv", ".json", ".tsv", ".txt", ".gz", ".parquet"}


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input file."""

    path: Path
    format: str | None
    rows: dict[str, int]
    error: str | None = None
    skipped: bool = False
    warnings: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """The result of ``Desk.import_paths``: per file outcomes and the store's ingest result."""

    files: list[FileOutcome] = field(default_factory=list)
    result: IngestResult | None = None

    @property
    def failed(self) -> list[FileOutcome]:
        """Files that were rejected (nothing from them was stored)."""
        return [f for f in self.files if f.error and not f.skipped]


ProgressFn = Callable[[str, int, int], None]
"""progress(description, done, total)."""


class Desk:
    """The facade over sources, store, analytics, events and writer."""

    def __init__(self, settings: Settings | None = None, *, hub: PluginHub | None = None) -> None:
        self.settings = settings or load_settings()
        self.hub = hub or load_hub()
        self.formats = self.hub.formats
        self.registry = AssetRegistry.builtin()
        self._store: Store | None = None
        self._read_only: bool | None = None
        self._live: LiveReplay | None = None

    # ------------------------------------------------------------------ store
    def store(self, *, write: bool = False) -> Store:
        """The open store; reopened read-write when a write is needed."""
        if write:
            self._live = None  # what it holds may change
        if self._store is not None and (self._read_only is False or not write):
            return self._store
        if self._store is not None:  # a read-only store reopened for writing (``write`` dropped the timeline)
            self.close()
        path = Path(self.settings.db)
        if not write and not path.exists():
            raise NoDataError(
                f"{path}: no store here yet", hint="Import data first: `cryptodesk import PATH` (or pass --db)."
            )
        read_only = not write
        self._store = Store.open(path, read_only=read_only, memory_limit=self.settings.store_memory_limit)
        self._read_only = read_only
        self._learn_assets(self._store)
        return self._store

    def close(self) -> None:
        """Close the store connection (safe to call twice)."""
        self._live = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _learn_assets(self, store: Store) -> None:
        for row in store.assets().iter_rows(named=True):
            self.registry.learn(
                AssetInfo(row["asset_id"], row.get("symbol") or "", row.get("name") or "", row.get("kind") or "crypto")
            )

    # ------------------------------------------------------------------ import
    def import_paths(
        self, paths: Iterable[Path], *, asset: str | None = None, progress: ProgressFn | None = None
    ) -> ImportReport:
        """Import files and folders (recursive, ``.gz`` transparently) in ONE transaction.

        A file whose content matches no format is an error when named explicitly
        and a skip when met while walking a folder. A malformed file is rejected
        whole; the others are stored. ``asset`` applies to the files named
        explicitly, never to files found in a folder.
        """
        asset_id = None
        if asset:
            asset_id = self.registry.resolve(asset)
            if asset_id is None:
                raise InputError(f"--asset: unknown asset {asset!r}", hint="`cryptodesk assets` lists known assets.")
        todo = list(_expand(paths))
        report = ImportReport()
        records: list[FileRecord] = []
        deferred = False
        try:
            with contextlib.ExitStack() as stack:
                session: IngestSession | None = None
                parsed = stack.enter_context(
                    contextlib.closing(
                        ahead(
                            parse_files(todo, self.formats, self.registry, asset_id),
                            PARSE_AHEAD,
                            weight=parsed_bytes,
                            budget=PARSE_AHEAD_BYTES,
                        )
                    )
                )
                for i, got in enumerate(parsed):
                    if progress:
                        progress(got.path.name, i, len(todo))
                    if got.format is None:
                        report.files.append(FileOutcome(got.path, None, {}, error=got.error, skipped=got.skipped))
                        continue
                    if got.batches:
                        # the store (and the import's one transaction) opens with the first file that has rows
                        if session is None:
                            store, deferred = self._import_store()
                            session = stack.enter_context(store.ingest_session(kind="import"))
                        session.add(got.batches)
                    records.append(FileRecord(str(got.path), got.sha256, got.format, got.rows))
                    report.files.append(FileOutcome(got.path, got.format, got.rows, warnings=got.warnings))
                if progress:
                    progress("storing", len(todo), len(todo))
                if session is not None:
                    report.result = session.commit(records)
        except BaseException:
            if deferred:
                self.close()  # reopened (and its assets learned) on next use
            raise
        if deferred and self._store is not None:
            self._learn_assets(self._store)
        return report

    def _import_store(self) -> tuple[Store, bool]:
        """The store open for writing, and whether its stored assets are still to be learned.

        The registry learns a newly opened store's assets only after the import, so files are
        parsed with the built-in registry plus what earlier files of the same import taught it,
        whatever the store holds.
        """
        self._live = None  # what the desk's timeline holds may change
        if self._store is not None and self._read_only is False:
            return self._store, False
        self.close()
        self._store = Store.open(Path(self.settings.db), read_only=False)
        self._read_only = False
        return self._store, True

    # ------------------------------------------------------------------ analysis
    def frames(self, as_of: datetime, *, assets: list[str] | None = None) -> MarketFrames:
        """What the store knew at ``as_of`` about ``assets`` (default: the universe, see :meth:`universe`).

        Candles and price points are read for the last ``settings.intraday_days`` days.
        """
        store = self.store()
        moment = _utc(as_of)
        chosen = assets if assets is not None else self.universe(moment)
        frames = store.frames(moment, assets=chosen, intraday_days=self.settings.intraday_days)
        return replace(frames, assets=self.describe(frames))

    def universe(self, as_of: datetime) -> list[str]:
        """The assets an analysis at ``as_of`` covers: the ``settings.universe_size`` largest by market cap with a
        daily row in the last ``settings.universe_fresh_days`` days (``Store.universe``)."""
        s = self.settings
        return self.store().universe(_utc(as_of), top_n=s.universe_size, fresh_days=s.universe_fresh_days)

    def describe(self, frames: MarketFrames) -> pl.DataFrame:
        """frames.assets completed from the registry: every asset in the daily frame, with symbol, name and kind."""
        ids = sorted(set(frames.daily.get_column("asset_id").unique().to_list()) | set(frames.assets["asset_id"]))
        stored = {r["asset_id"]: r for r in frames.assets.iter_rows(named=True)}
        rows = []
        for asset_id in ids:
            info = self.registry.get(asset_id)
            row = stored.get(asset_id, {})
            rows.append(
                {
                    "asset_id": asset_id,
                    "symbol": (info.symbol if info else None) or row.get("symbol"),
                    "name": (info.name if info else None) or row.get("name"),
                    "kind": (info.kind if info else None) or row.get("kind") or "crypto",
                }
            )
        return pl.DataFrame(rows, schema=frames.assets.schema)

    def moment(self, as_of: datetime, *, tz: str | None = None) -> Moment:
        """Frames, analysis and events as of ``as_of``: what :meth:`frames`, ``analyze`` and ``detect`` give.

        Served from a timeline the desk keeps for the day after the first moment asked about (``desk/replay.py``),
        so refreshing the story through the day reads the store once; any write through the desk drops it.
        """
        from cryptodesk.desk.replay import LiveReplay

        if self._live is None:
            self._live = LiveReplay(self)
        return self._live.moment(_utc(as_of), tz=tz or self.settings.tz)

    def analyze(self, as_of: datetime, *, tz: str | None = None) -> Analysis:
        """Point-in-time analytics for every asset and the market."""
        return self.moment(as_of, tz=tz).analysis

    def detect(self, as_of: datetime, *, tz: str | None = None) -> list[Event]:
        """Ranked events as of ``as_of``."""
        return self.moment(as_of, tz=tz).events

    def report(self, as_of: datetime, *, tz: str | None = None, seed: int | None = None) -> Story:
        """The market story as of ``as_of``: headline, paragraphs, events and facts ledger."""
        tz_name = tz or self.settings.tz
        zone(tz_name)
        m = self.moment(as_of, tz=tz_name)
        if m.frames.daily.height == 0 and m.frames.global_daily.height == 0:
            raise NoDataError(
                f"the store knows no prices at {as_of.astimezone(UTC).isoformat()}",
                hint="`cryptodesk doctor` shows the store's coverage; pick an --as-of inside it or import more data.",
            )
        return self.story(m, tz=tz_name, seed=seed)

    def story(self, moment: Moment, *, tz: str, seed: int | None = None) -> Story:
        """The story of a moment's analysis and events (``seed`` default: ``settings.seed``)."""
        return write_story(
            moment.analysis,
            moment.events,
            moment.frames.calendar,
            tz=tz,
            seed=self.settings.seed if seed is None else seed,
            liquidations_available=moment.frames.liquidations.height > 0,
        )

    def events_between(
        self,
        start: date,
        end: date,
        *,
        at: time = time(12, 30),
        tz: str | None = None,
        progress: Callable[[date], None] | None = None,
    ) -> list[Event]:
        """Events found on each day from ``start`` to ``end``, each judged as of its own day at ``at`` (in tz).

        The same events as :meth:`detect` on each day, from one read of the store (see ``desk/replay.py``).
        """
        from cryptodesk.desk.replay import replay_events

        tz_name = tz or self.settings.tz
        zi = zone(tz_name)
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        moments = [datetime.combine(day, at, tzinfo=zi).astimezone(UTC) for day in days]
        out: list[Event] = []
        for day, (_moment, events) in zip(days, replay_events(self, moments, tz=tz_name), strict=True):
            out.extend(events)
            if progress:
                progress(day)
        return out

    def check(self, text: str, as_of: datetime, *, tz: str | None = None) -> CheckResult:
        """Fact-check an article's quantitative claims against the store as of ``as_of`` (see desk/check.py)."""
        from cryptodesk.desk.check import check_text

        return check_text(self, text, as_of, tz)

    # ------------------------------------------------------------------ inventory
    def render(self, story: Story, fmt: str) -> str:
        """The story in a registered format (md, json, html, or a plugin's)."""
        try:
            return self.hub.renderers[fmt](story)
        except KeyError:
            known = ", ".join(sorted(self.hub.renderers))
            raise InputError(f"--format: unknown report format {fmt!r}; expected one of {known}") from None

    def assets(self) -> pl.DataFrame:
        """Assets in the store with their coverage (first/last day, rows, sources)."""
        return self.store().coverage()

    def doctor(self, *, stale_days: int = 30) -> dict[str, Any]:
        """Store health: row counts, coverage, gaps, stale series, conflicts, source disagreements, freshness.

        A series is *stale* when it ends more than ``stale_days`` before the newest
        data of the same table and source (the feed stopped while others went on).
        """
        store = self.store()
        coverage = store.coverage()
        gaps = coverage.filter(pl.col("missing_days") > 0).sort(["missing_days", "asset_id"], descending=[True, False])
        newest = pl.col("last").max().over(["table", "source"])
        stale = (
            coverage.with_columns((newest - pl.col("last")).dt.total_days().alias("days_behind"))
            .filter(pl.col("days_behind") > stale_days)
            .sort(["days_behind", "rows"], descending=True)
        )
        return {
            "db": str(self.settings.db),
            "counts": store.counts(),
            "coverage": coverage,
            "gaps": gaps,
            "stale": stale,
            "conflicts": store.conflicts(limit=50),
            "disagreements": store.disagreements(),
            "freshness": store.latest_times(),
        }


def _expand(paths: Iterable[Path]) -> Iterable[tuple[Path, bool]]:
    """Files named and the data files of folders; a lake's files (``cryptodesk import`` reads lakes whole) are not."""
    from cryptodesk.store._lake_marker import LAKE_MARKER

    for p in paths:
        if p.is_dir():
            lakes = [m.parent for m in p.rglob(LAKE_MARKER)]
            for child in sorted(p.rglob("*")):
                data_file = child.is_file() and not child.name.startswith(".") and child.suffix.lower() in DATA_SUFFIXES
                if data_file and not any(child.is_relative_to(lake) for lake in lakes):
                    yield child, False
        elif p.exists():
            yield p, True
        else:
            raise InputError(f"{p}: no such file or folder", hint="Check the path; folders are read recursively.")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise StoreError("internal: naive datetime passed to the desk")
    return moment.astimezone(UTC)
