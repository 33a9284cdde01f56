"""The Parquet lake: layout, round trip through a fresh store, idempotent re-import, errors.

Expected values come from the store with DuckDB SQL, and the lake files are read
back with DuckDB's own Hive reader (not the code under test) where layout is checked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.store.synth import batch, candle, snap, utc

from cryptodesk.core.errors import ConfigError, InputError
from cryptodesk.core.models import TABLES
from cryptodesk.store.db import Store
from cryptodesk.store.lake import LAKE_MARKER, LAYOUT, export_lake, import_lake, is_lake, read_manifest, read_table

MOMENTS = [
    datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
    datetime(2021, 11, 10, 12, 0, tzinfo=UTC),
    datetime(2024, 3, 14, 9, 0, tzinfo=UTC),
]


def _table(store: Store, name: str) -> pl.DataFrame:
    """A canonical table straight from the store (spec columns), sorted by its key."""
    spec = TABLES[name]
    cols = ", ".join(f'"{c}"' for c in spec.columns)
    order = ", ".join(f'"{c}"' for c in spec.key)
    frame = pl.from_arrow(store.con.sql(f'SELECT {cols} FROM "{name}" ORDER BY {order}').to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return spec.conform(frame)


@pytest.fixture(scope="module")
def pack_lake(pack_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data pack's store exported once for this module."""
    out = tmp_path_factory.mktemp("lake") / "pack"
    with Store.open(pack_db, read_only=True) as store:
        export_lake(store, out)
    return out


@pytest.fixture(scope="module")
def reimported(pack_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh store holding the pack lake imported once."""
    db = tmp_path_factory.mktemp("relake") / "lake.duckdb"
    with Store.open(db) as store:
        import_lake(store, pack_lake)
    return db


def test_manifest_counts_match_the_store(pack_db: Path, pack_lake: Path) -> None:
    manifest = json.loads((pack_lake / LAKE_MARKER).read_text())
    assert manifest["format"] == "cryptodesk-lake"
    assert manifest["version"] == 1
    con = duckdb.connect(str(pack_db), read_only=True)
    try:
        for name in LAYOUT:
            (count,) = con.execute(f'SELECT count(*) FROM "{name}"').fetchone() or (None,)
            assert manifest["tables"][name]["rows"] == count, name
    finally:
        con.close()
    assert manifest["tables"]["snapshots"]["rows"] > 100_000


@pytest.mark.parametrize(("table", "time_column"), [("snapshots", "ts"), ("candles", "open_time")])
def test_hive_partitions_readable_by_duckdb(pack_db: Path, pack_lake: Path, table: str, time_column: str) -> None:
    """Another reader sees the same rows, and each row sits in the month (and interval) folder of its time."""
    glob = str(pack_lake / f"table={table}" / "**" / "*.parquet")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        bad = con.execute(
            f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true, hive_types_autocast = false) "
            f"WHERE month <> strftime({time_column}, '%Y-%m')"
        ).fetchone()
        rows = con.execute(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true)").fetchone()
    finally:
        con.close()
    assert bad == (0,)
    with Store.open(pack_db, read_only=True) as store:
        assert rows == (_table(store, table).height,)
    months = sorted(p.name for p in (pack_lake / "table=snapshots").iterdir())
    assert months[0].startswith("month=")
    assert len(months[0]) == len("month=2023-01")
    if table == "candles":
        intervals = {p.name for p in (pack_lake / "table=candles").iterdir()}
        assert "interval=1d" in intervals


@pytest.mark.parametrize("table", list(TABLES))
def test_round_trip_tables_equal(pack_db: Path, reimported: Path, table: str) -> None:
    with Store.open(pack_db, read_only=True) as a, Store.open(reimported, read_only=True) as b:
        assert_frame_equal(_table(b, table), _table(a, table))


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.isoformat())
def test_round_trip_frames_equal(pack_db: Path, reimported: Path, moment: datetime) -> None:
    """Point-in-time frames from the re-imported store equal the original's at several as-ofs."""
    with Store.open(pack_db, read_only=True) as a, Store.open(reimported, read_only=True) as b:
        assets = a.universe(moment)
        assert b.universe(moment) == assets
        fa, fb = a.frames(moment, assets=assets), b.frames(moment, assets=assets)
    for name in ("daily", "intraday", "points", "global_daily", "calendar", "assets"):
        assert_frame_equal(getattr(fb, name), getattr(fa, name))


def test_reimport_is_idempotent(pack_lake: Path, reimported: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(reimported.read_bytes())
    with Store.open(db) as store:
        before = store.counts()
        result = import_lake(store, pack_lake)
        assert (result.inserted, result.updated, result.conflicts) == (0, 0, 0)
        assert result.unchanged == sum(read_manifest(pack_lake)["tables"][t]["rows"] for t in TABLES)
        assert {t: store.counts()[t] for t in TABLES} == {t: before[t] for t in TABLES}


def test_export_is_stable_and_replaces_an_old_lake(pack_db: Path, pack_lake: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    with Store.open(pack_db, read_only=True) as store:
        export_lake(store, again)
        export_lake(store, again)  # over an earlier lake: replaced, not appended
    files = sorted(p.relative_to(pack_lake) for p in pack_lake.rglob("*.parquet"))
    assert files == sorted(p.relative_to(again) for p in again.rglob("*.parquet"))
    for rel in files[:: max(1, len(files) // 20)]:
        assert (again / rel).read_bytes() == (pack_lake / rel).read_bytes(), rel


def test_small_lake_keeps_intervals_and_coverage(tmp_path: Path) -> None:
    """Hand-made rows: intraday and daily candles, snapshots and feed coverage survive the round trip."""
    src, dst, lake = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "lake"
    rows = [candle("bitcoin", utc(2024, 1, d), 40_000.0 + d, interval="1d") for d in (30, 31)]
    rows += [candle("bitcoin", utc(2024, 2, 1, h), 41_000.0 + h, interval="1h", source="binance") for h in range(3)]
    with Store.open(src) as store:
        store.ingest(
            [
                batch("candles", rows),
                batch("snapshots", [snap("ethereum", utc(2024, 2, 1), 2300.0, market_cap=2.7e11)]),
            ],
            kind="import",
            files=[],
        )
        store.record_coverage("binance", "forceOrder", utc(2024, 2, 1), utc(2024, 2, 2))
        export_lake(store, lake)
    assert {p.name for p in (lake / "table=candles").iterdir()} == {"interval=1d", "interval=1h"}
    assert {p.name for p in (lake / "table=candles" / "interval=1d").iterdir()} == {"month=2024-01"}
    assert (lake / "table=feed_coverage").is_dir()
    assert is_lake(lake)
    assert not is_lake(tmp_path)
    with Store.open(dst) as store:
        result = import_lake(store, lake)
        assert result.inserted == 6
        cov = pl.from_arrow(store.con.sql('SELECT exchange, feed, "start", "end" FROM feed_coverage').to_arrow_table())
        assert isinstance(cov, pl.DataFrame)
        assert cov.rows() == [("binance", "forceOrder", utc(2024, 2, 1), utc(2024, 2, 2))]
        hourly = _table(store, "candles").filter(pl.col("interval") == "1h")
    assert hourly.get_column("close").to_list() == [41_000.0, 41_001.0, 41_002.0]
    assert read_table(lake, "liquidations").height == 0


def test_export_refuses_a_folder_that_is_not_a_lake(pack_db: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with Store.open(pack_db, read_only=True) as store, pytest.raises(ConfigError, match="not a cryptodesk lake"):
        export_lake(store, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_import_errors_name_the_marker(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no _cryptodesk_lake\.json"):
        read_manifest(tmp_path)
    (tmp_path / LAKE_MARKER).write_text(json.dumps({"format": "cryptodesk-lake", "version": 99, "tables": {}}))
    with pytest.raises(InputError, match="version: expected 1, got 99"):
        read_manifest(tmp_path)
    (tmp_path / LAKE_MARKER).write_text("{oops")
    with pytest.raises(InputError, match="line 1: invalid JSON"):
        read_manifest(tmp_path)
