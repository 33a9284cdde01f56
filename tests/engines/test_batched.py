"""The memory-bounded DuckDB engine equals the in-process one: same assets, states and market within 1e-9."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from tests.engines.spark_util import close, panel_end

from cryptodesk.analytics.asof import analyze
from cryptodesk.analytics.market import MAX_GAP_DAYS, _sum_series
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.analysis_doc import analysis_doc
from cryptodesk.engines.batched import analyze_batched, crypto_caps
from cryptodesk.engines.total_sql import MEMBERS_SQL, sum_series_sql

PACK_MOMENTS = [
    datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
    datetime(2022, 6, 14, 3, 0, tzinfo=UTC),
    datetime(2020, 3, 13, 21, 0, tzinfo=UTC),
]


def _compare(db: Path, moment: datetime, batch: int) -> dict[str, object]:
    with Desk(load_settings({"db": db}, env={})) as desk:
        store = desk.store()
        ids = store.universe(moment)
        ref = analyze(desk.frames(moment, assets=ids), tz="UTC")
        got = analyze_batched(store, moment, ids, tz="UTC", describe=desk.describe, batch_assets=batch)
    want_doc, got_doc = analysis_doc(ref, tz="UTC"), analysis_doc(got, tz="UTC")
    assert len(ids) > batch, "a single batch would not test the batching"
    assert want_doc["assets"]
    assert close(got_doc, want_doc) == []
    return want_doc


@pytest.mark.parametrize("moment", PACK_MOMENTS, ids=lambda m: m.date().isoformat())
def test_pack_batched_equals_in_process(pack_db: Path, moment: datetime) -> None:
    _compare(pack_db, moment, batch=4)


@pytest.mark.parametrize("hours", [-30, 6], ids=lambda h: f"end{h:+d}h")
def test_panel_batched_equals_in_process(panel_db: Path, hours: int) -> None:
    """No index in the panel: the total is the DuckDB SQL sum over batches, equal to market._sum_series."""
    doc = _compare(panel_db, panel_end() + timedelta(hours=hours), batch=5)
    market = doc["market"]
    assert isinstance(market, dict)
    assert market["method"] == "sum"


def test_duckdb_sum_sql_equals_polars_sum(panel_db: Path) -> None:
    """The cross-sectional SQL (DuckDB dialect) on every crypto cap equals the Polars total, date by date."""
    import duckdb

    moment = panel_end() + timedelta(hours=6)
    with Desk(load_settings({"db": panel_db}, env={})) as desk:
        frames = desk.frames(moment, assets=desk.store().universe(moment))
    ref = _sum_series(frames, moment)
    assert ref is not None
    caps = crypto_caps(frames)
    with duckdb.connect() as con:
        con.register("caps_t", caps.to_arrow())
        sums = pl.from_arrow(
            con.sql(sum_series_sql("bitcoin", MAX_GAP_DAYS, dialect="duckdb").format(caps="caps_t")).to_arrow_table()
        )
        members = pl.from_arrow(con.sql(MEMBERS_SQL.format(caps="caps_t")).to_arrow_table())
    assert isinstance(sums, pl.DataFrame)
    assert isinstance(members, pl.DataFrame)
    assert sums.get_column("date").to_list() == ref.frame.get_column("date").to_list()
    for col in ("close", "volume", "btc_dominance"):
        assert close(sums.get_column(col).to_list(), ref.frame.get_column(col).to_list()) == []
    assert tuple(sorted(members.get_column("asset_id").to_list())) == ref.coverage


def test_bad_batch_and_memory_options(panel_db: Path) -> None:
    moment = panel_end()
    with Desk(load_settings({"db": panel_db}, env={})) as desk:
        with pytest.raises(ConfigError, match="batch_assets: must be >= 1"):
            analyze_batched(desk.store(), moment, ["bitcoin"], tz="UTC", batch_assets=0)
        with pytest.raises(ConfigError, match="memory_limit: expected a size such as 2GB, got '2GB; DROP'"):
            analyze_batched(desk.store(), moment, ["bitcoin"], tz="UTC", memory_limit="2GB; DROP")
