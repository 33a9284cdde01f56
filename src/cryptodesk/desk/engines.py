"""Desk functions for the lake and the analytics engines (the lead wires them onto ``Desk``).

::

    export_lake(desk, "lake/")                                  # store -> Parquet lake
    import_lake(desk, "lake/")                                  # lake -> store (idempotent)
    analyze_with(desk, as_of, engine="spark", spark_master="local[2]", lake_dir="lake/")
    report_with(desk, as_of, engine="spark")                    # no lake: the store is exported to a temp lake

Every function goes through :func:`frames_analysis`, the one place where the engines
differ: ``engine="duckdb"`` is ``Desk.frames`` + ``analytics.asof.analyze`` (what
:meth:`Desk.analyze` / :meth:`Desk.report` / :meth:`Desk.events_between` do),
``engine="spark"`` builds the same frames and the same :class:`Analysis` on Spark
(:mod:`cryptodesk.engines.spark`). Events and the story are then the normal
``events.base.detect`` and ``writer.story.write_story`` on the driver.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from cryptodesk.analytics.asof import analyze
from cryptodesk.analytics.types import Analysis
from cryptodesk.core.assets import AssetInfo
from cryptodesk.core.errors import ConfigError, NoDataError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.core.timeutil import zone
from cryptodesk.desk.core import Desk
from cryptodesk.engines import DEFAULT_ENGINE, check_engine
from cryptodesk.events.base import detect
from cryptodesk.store import lake
from cryptodesk.store.db import IngestResult
from cryptodesk.writer.story import Story, write_story

_temp_lakes: dict[tuple[str, float], str] = {}
_engines: dict[tuple[str, str | None], Any] = {}


def export_lake(desk: Desk, dest: str | Path) -> dict[str, Any]:
    """Write the desk's store to ``dest`` as a Parquet lake (docs/spark.md); returns the manifest."""
    return lake.export_lake(desk.store(), dest)


def import_lake(desk: Desk, src: str | Path) -> IngestResult:
    """Import a lake folder into the desk's store with the store's keys (importing twice changes nothing)."""
    result = lake.import_lake(desk.store(write=True), src)
    for r in lake.read_table(src, "assets").iter_rows(named=True):
        desk.registry.learn(AssetInfo(r["asset_id"], r["symbol"] or "", r["name"] or "", r["kind"] or "crypto"))
    return result


def _store_lake(desk: Desk) -> str:
    """A temporary lake holding the desk's store (re-exported when the store file changed; removed at exit)."""
    path = Path(desk.settings.db)
    stamp = path.stat().st_mtime if path.exists() else 0.0
    key = (str(path.resolve()), stamp)
    if key not in _temp_lakes:
        folder = tempfile.mkdtemp(prefix="cryptodesk-lake-")
        atexit.register(shutil.rmtree, folder, True)
        lake.export_lake(desk.store(), folder)
        _temp_lakes[key] = folder
    return _temp_lakes[key]


def spark_engine(desk: Desk, *, lake_dir: str | Path | None = None, spark_master: str | None = None) -> Any:
    """The (cached) SparkEngine reading ``lake_dir``, or a temp lake of the desk's store when it is None."""
    from cryptodesk.engines.session import require_pyspark
    from cryptodesk.engines.spark import SparkEngine

    require_pyspark()
    uri = str(lake_dir) if lake_dir is not None else _store_lake(desk)
    key = (uri, spark_master)
    if key not in _engines:
        _engines[key] = SparkEngine(uri, master=spark_master)
    return _engines[key]


@dataclass(frozen=True)
class EngineChoice:
    """Which engine computes the analysis: ``duckdb`` (default) or ``spark`` with its master and lake."""

    engine: str = DEFAULT_ENGINE
    spark_master: str | None = None
    lake_dir: str | Path | None = None


def frames_analysis(
    desk: Desk,
    as_of: datetime,
    *,
    tz: str | None = None,
    choice: EngineChoice | None = None,
    assets: list[str] | None = None,
) -> tuple[MarketFrames, Analysis]:
    """Frames and Analysis at ``as_of`` for ``assets`` (default: the universe, as ``Desk.frames``) on one engine."""
    if as_of.tzinfo is None:
        raise ConfigError("as_of must be timezone-aware (UTC)", parameter="as_of")
    how = choice or EngineChoice()
    tz_name = tz or desk.settings.tz
    zone(tz_name, parameter="tz")
    moment = as_of.astimezone(UTC)
    if check_engine(how.engine) == "duckdb":
        if assets is None:  # the desk's own moment (its timeline): exactly what Desk.analyze gives
            m = desk.moment(moment, tz=tz_name)
            return m.frames, m.analysis
        frames = desk.frames(moment, assets=assets)
        return frames, analyze(frames, tz=tz_name)
    engine = spark_engine(desk, lake_dir=how.lake_dir, spark_master=how.spark_master)
    s = desk.settings
    chosen = (
        assets
        if assets is not None
        else engine.universe(moment, top_n=s.universe_size, fresh_days=s.universe_fresh_days)
    )
    snap = engine.snapshot(moment, chosen, intraday_days=s.intraday_days)
    try:
        frames = engine.collect(snap)
        frames = replace(frames, assets=desk.describe(frames))
        return frames, engine.analyze(snap, tz=tz_name, described=frames.assets)
    finally:
        snap.release()


def analyze_with(
    desk: Desk,
    as_of: datetime,
    *,
    tz: str | None = None,
    choice: EngineChoice | None = None,
    assets: list[str] | None = None,
) -> Analysis:
    """Point-in-time analytics with the chosen engine (duckdb, no ``assets``: :meth:`Desk.analyze`)."""
    return frames_analysis(desk, as_of, tz=tz, choice=choice, assets=assets)[1]


def detect_with(
    desk: Desk, as_of: datetime, *, tz: str | None = None, choice: EngineChoice | None = None
) -> list[Event]:
    """Ranked events at ``as_of``: the normal detectors on the chosen engine's frames and analysis."""
    frames, analysis = frames_analysis(desk, as_of, tz=tz, choice=choice)
    return detect(frames, analysis, registry=desk.hub.detectors)


def report_with(
    desk: Desk,
    as_of: datetime,
    *,
    tz: str | None = None,
    seed: int | None = None,
    choice: EngineChoice | None = None,
) -> Story:
    """The market story at ``as_of`` computed with the chosen engine (duckdb: :meth:`Desk.report`)."""
    tz_name = tz or desk.settings.tz
    frames, analysis = frames_analysis(desk, as_of, tz=tz_name, choice=choice)
    return story_of(desk, frames, analysis, tz=tz_name, seed=seed)


def story_of(desk: Desk, frames: MarketFrames, analysis: Analysis, *, tz: str, seed: int | None = None) -> Story:
    """The story of an analysis and its frames (from either engine): events detected, then written."""
    if frames.daily.height == 0 and frames.global_daily.height == 0:
        raise NoDataError(
            f"the store knows no prices at {frames.as_of.astimezone(UTC).isoformat()}",
            hint="`cryptodesk doctor` shows the store's coverage; pick an --as-of inside it or import more data.",
        )
    events = detect(frames, analysis, registry=desk.hub.detectors)
    return write_story(
        analysis,
        events,
        frames.calendar,
        tz=tz,
        seed=desk.settings.seed if seed is None else seed,
        liquidations_available=frames.liquidations.height > 0,
    )


def events_with(
    desk: Desk,
    start: date,
    end: date,
    *,
    at: time = time(12, 30),
    tz: str | None = None,
    choice: EngineChoice | None = None,
    progress: Callable[[date], None] | None = None,
) -> list[Event]:
    """Events found on each day from ``start`` to ``end``, each judged at ``at`` (in tz), with the chosen engine."""
    tz_name = tz or desk.settings.tz
    out: list[Event] = []
    day = start
    while day <= end:
        moment = datetime.combine(day, at, tzinfo=zone(tz_name)).astimezone(UTC)
        out.extend(detect_with(desk, moment, tz=tz_name, choice=choice))
        if progress:
            progress(day)
        day += timedelta(days=1)
    return out
