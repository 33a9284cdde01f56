"""The store's memory limit (setting ``store_memory_limit``) reaches read-only connections, and only those; a read
that runs out of memory under it runs again under DuckDB's own limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from cryptodesk.core.errors import ConfigError, StoreError
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk
from cryptodesk.store._frames import load_frames
from cryptodesk.store.db import Store


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


def _duckdb_says(size: str | None) -> str:
    """DuckDB's own rendering of a limit (or of its default) on a fresh in-memory connection."""
    con = duckdb.connect()
    try:
        if size is not None:
            con.execute(f"SET memory_limit = '{size}'").fetchall()
        return _limit(con)
    finally:
        con.close()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    return path


def _during(store: Store, *, narrow: bool) -> str:
    """DuckDB's memory limit while a read of the store runs."""
    return store._read("test", _limit, narrow=narrow)


def test_narrow_reads_of_a_read_only_connection_get_the_limit(store_path: Path) -> None:
    with Store.open(store_path, read_only=True, memory_limit="300MiB") as store:
        assert _during(store, narrow=True) == _duckdb_says("300MiB")
        assert _during(store, narrow=False) == _duckdb_says(None)
        assert _limit(store.con) == _duckdb_says(None)  # DuckDB's own between reads
    with Store.open(store_path, memory_limit="300MiB") as store:  # writes keep DuckDB's
        assert _during(store, narrow=True) == _duckdb_says(None)
    with Store.open(store_path, read_only=True, memory_limit="") as store:
        assert _during(store, narrow=True) == _duckdb_says(None)


def test_the_setting_reaches_the_desks_connection(store_path: Path) -> None:
    with Desk(Settings.model_validate({"db": store_path, "store_memory_limit": "123MB"})) as desk:
        assert _during(desk.store(), narrow=True) == _duckdb_says("123MB")
    with Desk(Settings.model_validate({"db": store_path})) as desk:
        assert _during(desk.store(), narrow=True) == _duckdb_says(Settings().store_memory_limit or None)


def test_a_limit_that_is_not_a_size_is_refused(store_path: Path) -> None:
    with pytest.raises(ConfigError, match="memory_limit"):
        Store.open(store_path, read_only=True, memory_limit="1GB'; DROP TABLE x; --")
    with pytest.raises(ValueError, match="store_memory_limit"):
        Settings.model_validate({"store_memory_limit": "lots"})


_FRAME_PARTS = ("daily", "intraday", "points", "global_daily", "global_points", "calendar", "liquidations", "assets")


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2021, 11, 10, 12, tzinfo=UTC),
        datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
        datetime(2024, 3, 5, tzinfo=UTC),
    ],
)
def test_a_read_out_of_memory_under_the_bound_runs_again_under_duckdbs_own(pack_db: Path, as_of: datetime) -> None:
    tiny = "4MB"
    day = [as_of - timedelta(days=1), as_of]  # narrow reads: named assets, one day
    with Store.open(pack_db, read_only=True, memory_limit="") as store:
        assets = sorted(store.assets().get_column("asset_id").to_list())
        want = store.frames(as_of, assets=assets, intraday_days=8)
        want_universes = store.universes(day)
        want_timeline = store.timeline(*day, assets=assets, intraday_days=8).at(as_of, assets)
        wide = store.frames(as_of, intraday_days=8)
    with Store.open(pack_db, read_only=True, memory_limit=tiny) as store:
        store.con.execute(f"SET memory_limit = '{tiny}'").fetchall()
        with pytest.raises(duckdb.OutOfMemoryException):  # the read itself does not fit in the bound
            load_frames(store.con, as_of, assets, intraday_days=8)
        store.con.execute("RESET memory_limit").fetchall()
        got = store.frames(as_of, assets=assets, intraday_days=8)
        assert _limit(store.con) == _duckdb_says(None)  # DuckDB's own again after the second run
        got_universes = store.universes(day)
        got_timeline = store.timeline(*day, assets=assets, intraday_days=8).at(as_of, assets)
        got_wide = store.frames(as_of, intraday_days=8)
        # the health checks and other wide reads run under DuckDB's own limit, not the bound
        assert store.coverage().height > 10
        assert store.counts()["snapshots"] > 1000
        store.disagreements()
        store.latest_times()
        assert _limit(store.con) == _duckdb_says(None)
    assert len(assets) > 10
    assert len(want_universes[as_of]) > 10
    assert got_wide.daily.equals(wide.daily)
    assert want.daily.height > 1000
    for part in _FRAME_PARTS:
        assert got.__getattribute__(part).equals(want.__getattribute__(part)), part
        assert got_timeline.__getattribute__(part).equals(want_timeline.__getattribute__(part)), part
    assert got_universes == want_universes


def test_an_unbounded_connection_does_not_run_a_read_twice(pack_db: Path) -> None:
    with Store.open(pack_db, read_only=True, memory_limit="") as store:
        store.con.execute("SET memory_limit = '4MB'").fetchall()  # DuckDB's limit, not the store's bound
        with pytest.raises(StoreError, match="reading frames failed: Out of Memory"):
            store.frames(datetime(2023, 1, 18, 17, 30, tzinfo=UTC), intraday_days=8)
        assert _limit(store.con) == _duckdb_says("4MB")  # a narrow read of an unbounded store leaves it alone


def _cached_pages(con: duckdb.DuckDBPyConnection) -> int:
    """Bytes of table pages DuckDB holds."""
    got = con.execute("SELECT memory_usage_bytes FROM duckdb_memory() WHERE tag = 'BASE_TABLE'").fetchall()
    return int(got[0][0]) if got else 0


@pytest.mark.parametrize(
    "as_of", [datetime(2022, 6, 1, tzinfo=UTC), datetime(2023, 1, 18, 17, 30, tzinfo=UTC)], ids=["2022", "2023"]
)
def test_a_narrow_read_leaves_no_table_pages_cached(pack_db: Path, as_of: datetime) -> None:
    """DuckDB keeps the pages a scan read up to its limit; a bounded store drops them after each narrow read."""
    with Store.open(pack_db, read_only=True, memory_limit="") as store:  # DuckDB's own: the pages stay
        assets = sorted(store.assets().get_column("asset_id").to_list())[:5]
        want = store.frames(as_of, assets=assets, intraday_days=8)
        kept = _cached_pages(store.con)
    with Store.open(pack_db, read_only=True, memory_limit="256MB") as store:
        got = store.frames(as_of, assets=assets, intraday_days=8)
        assert _cached_pages(store.con) < kept / 4
        assert _limit(store.con) == _duckdb_says(None)
        again = store.frames(as_of, assets=assets, intraday_days=8)  # read from the file again, the same
        store.frames(as_of, intraday_days=8)  # a wide read keeps its pages
        assert _cached_pages(store.con) >= kept / 2
    assert kept > 1_000_000
    for part in _FRAME_PARTS:
        assert got.__getattribute__(part).equals(want.__getattribute__(part)), part
        assert again.__getattribute__(part).equals(want.__getattribute__(part)), part


@pytest.mark.parametrize(
    ("bound", "failures", "want"),
    [
        ("32MB", 0, ["32MB"]),
        ("32MB", 1, ["32MB", "128MB"]),
        ("32MB", 2, ["32MB", "128MB", None]),
        ("1.5GiB", 2, ["1.5GiB", "6GiB", None]),
        ("100KB", 1, ["100KB", "400KB"]),
    ],
)
def test_a_narrow_read_out_of_memory_tries_four_times_the_bound_then_duckdbs_own(
    store_path: Path, bound: str, failures: int, want: list[str | None]
) -> None:
    seen: list[str] = []

    def query(con: duckdb.DuckDBPyConnection) -> str:
        seen.append(_limit(con))
        if len(seen) <= failures:
            raise duckdb.OutOfMemoryException("Out of Memory Error: test")
        return "done"

    with Store.open(store_path, read_only=True, memory_limit=bound) as store:
        assert store._read("test", query, narrow=True) == "done"
        assert _limit(store.con) == _duckdb_says(None)
    assert seen == [_duckdb_says(size) for size in want]
