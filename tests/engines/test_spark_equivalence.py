"""The Spark engine equals the DuckDB engine: frames, analysis and the report JSON (events and facts).

Runs PySpark in ``local[2]`` (one session for the whole test session). Skipped, with a
clear reason, only when pyspark is not installed; CI installs it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal
from tests.engines.spark_util import MASTER, close, needs_spark, panel_end

from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.analysis_doc import analysis_doc, plain
from cryptodesk.desk.engines import (
    EngineChoice,
    analyze_with,
    events_with,
    frames_analysis,
    report_with,
    spark_engine,
    story_of,
)

pytestmark = needs_spark

PACK_MOMENTS = [
    datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
    datetime(2022, 11, 9, 20, 0, tzinfo=UTC),
    datetime(2021, 4, 14, 13, 0, tzinfo=UTC),
]
FRAMES = (
    "daily",
    "intraday",
    "points",
    "global_daily",
    "global_points",
    "calendar",
    "liquidations",
    "coverage",
    "assets",
)


def _desk(db: Path) -> Desk:
    return Desk(load_settings({"db": db}, env={}))


def _spark(lake: Path) -> EngineChoice:
    return EngineChoice(engine="spark", spark_master=MASTER, lake_dir=lake)


def _report_json(desk: Desk, moment: datetime, lake: Path | None) -> dict[str, object]:
    story = desk.report(moment) if lake is None else report_with(desk, moment, choice=_spark(lake))
    doc = json.loads(desk.render(story, "json"))
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("moment", PACK_MOMENTS, ids=lambda m: m.date().isoformat())
def test_pack_report_and_analytics_json_equal(pack_db: Path, pack_lake_dir: Path, moment: datetime) -> None:
    """The report JSON (events, facts) and the analysis JSON (`cryptodesk analytics`) of both engines."""
    with _desk(pack_db) as desk:
        duck = _report_json(desk, moment, None)
        frames, analysis = frames_analysis(desk, moment, choice=_spark(pack_lake_dir))
        spark = json.loads(desk.render(story_of(desk, frames, analysis, tz=desk.settings.tz), "json"))
        duck_doc = analysis_doc(desk.analyze(moment), tz=desk.settings.tz)
    assert duck["events"], "the DuckDB report found no events: the comparison would be empty"
    assert duck["facts"]
    assert close(spark, duck) == []
    assert duck_doc["assets"]
    assert close(analysis_doc(analysis, tz=desk.settings.tz), duck_doc) == []


def test_pack_frames_and_analysis_equal(pack_db: Path, pack_lake_dir: Path) -> None:
    moment = PACK_MOMENTS[0]
    with _desk(pack_db) as desk:
        ref_frames = desk.frames(moment)
        ref = desk.analyze(moment)
        frames, analysis = frames_analysis(desk, moment, choice=_spark(pack_lake_dir))
    for name in FRAMES:
        assert_frame_equal(getattr(frames, name), getattr(ref_frames, name))
    assert list(analysis.assets) == list(ref.assets)
    assert analysis.market == ref.market
    assert close(plain(analysis.assets), plain(ref.assets)) == []


def test_universe_matches_the_store(pack_db: Path, pack_lake_dir: Path) -> None:
    with _desk(pack_db) as desk:
        engine = spark_engine(desk, lake_dir=pack_lake_dir, spark_master=MASTER)
        for moment in (PACK_MOMENTS[1], datetime(2019, 6, 1, tzinfo=UTC)):
            assert engine.universe(moment, top_n=10) == desk.store().universe(moment, top_n=10)


@pytest.mark.parametrize("hours", [-30, 20], ids=lambda h: f"end{h:+d}h")
def test_panel_report_equal(panel_db: Path, panel_lake_dir: Path, hours: int) -> None:
    """No index in the panel: the report's market facts come from the Spark SQL sum."""
    moment = panel_end() + timedelta(hours=hours)
    with _desk(panel_db) as desk:
        duck = _report_json(desk, moment, None)
        spark = _report_json(desk, moment, panel_lake_dir)
    assert duck["events"]
    assert close(spark, duck) == []


def test_panel_analysis_equal_with_summed_total(panel_db: Path, panel_lake_dir: Path) -> None:
    moment = panel_end() + timedelta(hours=6)
    with _desk(panel_db) as desk:
        ref = desk.analyze(moment)
        _, analysis = frames_analysis(desk, moment, choice=_spark(panel_lake_dir))
    assert ref.market is not None
    assert ref.market.method == "sum"
    assert analysis.market is not None
    assert analysis.market.coverage == ref.market.coverage
    assert close(analysis.market.total_market_cap, ref.market.total_market_cap) == []
    assert close(analysis.market.btc_dominance, ref.market.btc_dominance) == []
    assert analysis.market.changes.keys() == ref.market.changes.keys()
    assert close(plain(analysis.assets), plain(ref.assets)) == []
    assert {s.intraday.interval for s in ref.assets.values() if s.intraday} == {"1h", "snapshot"}


def test_events_between_equal(panel_db: Path, panel_lake_dir: Path) -> None:
    with _desk(panel_db) as desk:
        end = (panel_end()).date()
        start = date.fromordinal(end.toordinal() - 1)
        duck = [e.to_json() for e in desk.events_between(start, end, at=time(12, 30))]
        spark = [e.to_json() for e in events_with(desk, start, end, at=time(12, 30), choice=_spark(panel_lake_dir))]
    assert duck
    assert close(spark, duck) == []


def test_pack_analytics_json_equal_for_chosen_assets(pack_db: Path, pack_lake_dir: Path) -> None:
    """`cryptodesk analytics --asset ...`: the same document from both engines for an explicit asset list."""
    moment, assets = PACK_MOMENTS[2], ["ethereum", "bitcoin", "solana"]
    with _desk(pack_db) as desk:
        duck = analysis_doc(analyze_with(desk, moment, assets=assets), tz="UTC")
        spark = analysis_doc(analyze_with(desk, moment, choice=_spark(pack_lake_dir), assets=assets), tz="UTC")
    assert [a["asset_id"] for a in duck["assets"]] == ["bitcoin", "ethereum", "solana"]
    assert duck["market"] is not None
    assert [a["asset_id"] for a in spark["assets"]] == [a["asset_id"] for a in duck["assets"]]
    assert close(spark, duck) == []


def test_many_small_buckets_equal(panel_db: Path, panel_lake_dir: Path) -> None:
    """Buckets of a few assets each (and an asset list smaller than the buckets) change nothing."""
    from cryptodesk.engines.spark import SparkEngine

    moment = panel_end() + timedelta(hours=6)
    with _desk(panel_db) as desk:
        ref = desk.analyze(moment)
        engine = SparkEngine(panel_lake_dir, master=MASTER, bucket_rows=500)
        assert engine.buckets(None) >= 8
        assert engine.buckets(["bitcoin", "coin-01"]) == 2
        for ids in (None, ["coin-01", "bitcoin"]):
            snap = engine.snapshot(moment, ids)
            try:
                states = engine.asset_states(snap, tz=desk.settings.tz, described=desk.frames(moment).assets)
            finally:
                snap.release()
            want = {a: s for a, s in ref.assets.items() if ids is None or a in ids}
            assert list(states) == sorted(want)
            assert close(plain(states), plain(want)) == []
