"""Desk functions for the lake and the analytics engines (the lead wires them onto ``Desk``).

::

    export_lake(desk, "lake/")                                  # store -> Parquet lake
    import_lake(desk, "lake/")                                  # lake -> store (idempotent)
    analyze_with(desk, as_of, engine="spark", spark_master="local[2]", lake="lake/")
    report_with(desk, as_of, engine="spark")                    # no lake: the store is exported to a temp lake

``engine="duckdb"`` is exactly :meth:`Desk.analyze` / :meth:`Desk.report` /
:meth:`Desk.events_between`. ``engine="spark"`` builds the same frames and the same
:class:`Analysis` on Spark (:mod:`cryptodesk.engines.spark`), then detects events
and writes the story on the driver with the normal ``events.base.detect`` and
``writer.story.write_story``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.assets import AssetInfo
from cryptodesk.core.errors import ConfigError
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


def spark_frames_analysis(
    desk: Desk,
    as_of: datetime,
    *,
    tz: str,
    spark_master: str | None = None,
    lake_dir: str | Path | None = None,
    assets: list[str] | None = None,
) -> tuple[MarketFrames, Analysis]:
    """Frames and Analysis at ``as_of`` from Spark, for ``assets`` (default: the universe, as ``Desk.frames``)."""
    if as_of.tzinfo is None:
        raise ConfigError("as_of must be timezone-aware (UTC)", parameter="as_of")
    zone(tz, parameter="tz")
    engine = spark_engine(desk, lake_dir=lake_dir, spark_master=spark_master)
    moment = as_of.astimezone(UTC)
    ids = assets if assets is not None else engine.universe(moment)
    snap = engine.snapshot(moment, ids)
    try:
        frames = engine.collect(snap)
        frames = replace(frames, assets=desk._describe(frames))  # same package: the desk's asset description
        return frames, engine.analyze(snap, tz=tz, described=frames.assets)
    finally:
        snap.release()


def analyze_with(
    desk: Desk,
    as_of: datetime,
    *,
    engine: str = DEFAULT_ENGINE,
    spark_master: str | None = None,
    lake_dir: str | Path | None = None,
    tz: str | None = None,
) -> Analysis:
    """Point-in-time analytics with the chosen engine (``duckdb`` = :meth:`Desk.analyze`)."""
    tz_name = tz or desk.settings.tz
    if check_engine(engine) == "duckdb":
        return desk.analyze(as_of, tz=tz_name)
    return spark_frames_analysis(desk, as_of, tz=tz_name, spark_master=spark_master, lake_dir=lake_dir)[1]


def detect_with(
    desk: Desk,
    as_of: datetime,
    *,
    engine: str = DEFAULT_ENGINE,
    spark_master: str | None = None,
    lake_dir: str | Path | None = None,
    tz: str | None = None,
) -> list[Event]:
    """Ranked events at ``as_of``: the normal detectors on the chosen engine's frames and analysis."""
    tz_name = tz or desk.settings.tz
    if check_engine(engine) == "duckdb":
        return desk.detect(as_of, tz=tz_name)
    frames, analysis = spark_frames_analysis(desk, as_of, tz=tz_name, spark_master=spark_master, lake_dir=lake_dir)
    return detect(frames, analysis, registry=desk.hub.detectors)


def report_with(
    desk: Desk,
    as_of: datetime,
    *,
    engine: str = DEFAULT_ENGINE,
    spark_master: str | None = None,
    lake_dir: str | Path | None = None,
    tz: str | None = None,
    seed: int | None = None,
) -> Story:
    """The market story at ``as_of`` computed with the chosen engine (``duckdb`` = :meth:`Desk.report`)."""
    tz_name = tz or desk.settings.tz
    if check_engine(engine) == "duckdb":
        return desk.report(as_of, tz=tz_name, seed=seed)
    frames, analysis = spark_frames_analysis(desk, as_of, tz=tz_name, spark_master=spark_master, lake_dir=lake_dir)
    events = detect(frames, analysis, registry=desk.hub.detectors)
    return write_story(
        analysis,
        events,
        frames.calendar,
        tz=tz_name,
        seed=desk.settings.seed if seed is None else seed,
        liquidations_available=frames.liquidations.height > 0,
    )


def events_with(
    desk: Desk,
    start: date,
    end: date,
    *,
    at: time = time(12, 30),
    engine: str = DEFAULT_ENGINE,
    spark_master: str | None = None,
    lake_dir: str | Path | None = None,
    tz: str | None = None,
    progress: Callable[[date], None] | None = None,
) -> list[Event]:
    """Events found on each day from ``start`` to ``end``, each judged at ``at`` (in tz), with the chosen engine."""
    tz_name = tz or desk.settings.tz
    if check_engine(engine) == "duckdb":
        return desk.events_between(start, end, at=at, tz=tz_name, progress=progress)
    out: list[Event] = []
    day = start
    while day <= end:
        moment = datetime.combine(day, at, tzinfo=zone(tz_name)).astimezone(UTC)
        out.extend(detect_with(desk, moment, engine=engine, spark_master=spark_master, lake_dir=lake_dir, tz=tz_name))
        if progress:
            progress(day)
        day += timedelta(days=1)
    return out
