"""Schema and migrations: a fresh file is migrated once, newer stores and bad opens fail clearly."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from cryptodesk.core.errors import StoreError
from cryptodesk.core.models import TABLES
from cryptodesk.store import Store
from cryptodesk.store.schema import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    current_version,
    duck_type,
    migrate,
)

from .synth import batch, candle, dump, snap, utc


def _columns(path: Path, table: str) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1", [table]
        ).fetchall()
    finally:
        con.close()
    return {str(n): str(t) for n, t in rows}


def _primary_key(path: Path, table: str) -> list[str] | None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() "
            "WHERE table_name = $1 AND constraint_type = 'PRIMARY KEY'",
            [table],
        ).fetchall()
    finally:
        con.close()
    assert len(rows) <= 1
    return list(rows[0][0]) if rows else None


def test_fresh_file_gets_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "fresh.duckdb"
    with Store.open(path):
        pass
    con = duckdb.connect(str(path), read_only=True)
    try:
        versions = con.execute("SELECT version, description FROM schema_migrations ORDER BY version").fetchall()
    finally:
        con.close()
    assert [v for v, _ in versions] == [m.version for m in MIGRATIONS]
    assert versions[-1][0] == LATEST_VERSION
    assert all(d for _, d in versions)


def test_reopen_does_not_reapply(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    for _ in range(3):
        with Store.open(path):
            pass
    con = duckdb.connect(str(path), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0]
    finally:
        con.close()
    assert n == len(MIGRATIONS)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_canonical_table_columns_and_key(tmp_path: Path, table: str) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path):
        pass
    spec = TABLES[table]
    cols = _columns(path, table)
    expected = {name: duck_type(dtype) for name, dtype in spec.columns.items()}
    expected["run_id"] = "BIGINT"
    assert {k: v.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ") for k, v in cols.items()} == expected
    assert _primary_key(path, table) == (None if table in {"candles", "snapshots"} else list(spec.key))


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("schema_migrations", {"version", "description", "applied_at"}),
        ("import_runs", {"run_id", "kind", "started_at", "finished_at", "status", "detail"}),
        ("import_files", {"run_id", "path", "sha256", "format", "rows"}),
        (
            "conflicts",
            {"run_id", "table_name", "key", "column_name", "old_value", "new_value", "old_run_id", "recorded_at"},
        ),
        ("feed_coverage", {"exchange", "feed", "start", "end", "run_id"}),
    ],
)
def test_bookkeeping_tables(tmp_path: Path, table: str, columns: set[str]) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path):
        pass
    assert set(_columns(path, table)) == columns


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path):
        pass
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', now())").fetchall()
    con.close()
    with pytest.raises(StoreError, match=r"schema version 999 is newer than this cryptodesk supports"):
        Store.open(path)
    with pytest.raises(StoreError, match="newer"):
        Store.open(path, read_only=True)


def test_read_only_open_of_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.duckdb"
    with pytest.raises(StoreError, match="no store at this path"):
        Store.open(path, read_only=True)
    assert not path.exists()


def test_read_only_open_of_unmigrated_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(StoreError, match="needs migrating"):
        Store.open(path, read_only=True)
    with Store.open(path):  # a writable open migrates it
        pass
    with Store.open(path, read_only=True) as store:
        assert store.counts()["snapshots"] == 0


def test_not_a_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "text.duckdb"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match=r"text\.duckdb: cannot open the store"):
        Store.open(path)


def test_read_only_store_refuses_ingest(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path):
        pass
    with Store.open(path, read_only=True) as store, pytest.raises(StoreError, match="read-only"):
        store.ingest([], kind="import", files=[])


def test_closed_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.counts()


def _migrated_v1(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with Store.open(path):
        pass
    return path


def test_pending_migration_is_applied(tmp_path: Path) -> None:
    path = _migrated_v1(tmp_path)
    extra = Migration(
        LATEST_VERSION + 1, "add a table", ("CREATE TABLE extra (x INTEGER)", "INSERT INTO extra VALUES (7)")
    )
    con = duckdb.connect(str(path))
    try:
        assert migrate(con, path=str(path), read_only=False, migrations=(*MIGRATIONS, extra)) == extra.version
        assert con.execute("SELECT x FROM extra").fetchall() == [(7,)]
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchall() == [(extra.version,)]
    finally:
        con.close()
    with pytest.raises(StoreError, match="newer"):  # this cryptodesk does not know that migration
        Store.open(path)


def test_failing_migration_leaves_store_unchanged(tmp_path: Path) -> None:
    path = _migrated_v1(tmp_path)
    bad = Migration(LATEST_VERSION + 1, "broken", ("CREATE TABLE extra (x INTEGER)", "THIS IS NOT SQL"))
    con = duckdb.connect(str(path))
    try:
        with pytest.raises(
            StoreError, match=rf"migration {bad.version} failed, store left at schema version {LATEST_VERSION}"
        ):
            migrate(con, path=str(path), read_only=False, migrations=(*MIGRATIONS, bad))
        assert current_version(con) == LATEST_VERSION
        tables = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'extra'").fetchall()
        assert tables == [(0,)]
    finally:
        con.close()
    with Store.open(path) as store:
        assert store.counts()["snapshots"] == 0


def test_migration_2_drops_the_key_index_and_keeps_every_row(tmp_path: Path) -> None:
    """A store written at version 1 (PRIMARY KEY everywhere) keeps its rows, columns and run ids at version 2."""
    path, fresh = tmp_path / "v1.duckdb", tmp_path / "fresh.duckdb"
    with Store.open(fresh):
        pass
    days = [utc(2023, 1, d) for d in range(1, 8)]
    rows = [
        snap(a, d, 10.0 * i + j, market_cap=1e9 + j)
        for i, a in enumerate(("bitcoin", "ether"))
        for j, d in enumerate(days)
    ]
    candles = [candle("bitcoin", d, 100.0 + j, volume=float(j)) for j, d in enumerate(days)]
    con = duckdb.connect(str(path))
    try:
        migrate(con, path=str(path), read_only=False, migrations=MIGRATIONS[:1])
        for name, frame in (
            ("snapshots", batch("snapshots", rows).frame),
            ("candles", batch("candles", candles).frame),
        ):
            con.register("x", frame.with_columns(run_id=pl.lit(7, pl.Int64)).to_arrow())
            con.execute(f"INSERT INTO {name} SELECT * FROM x")
            con.unregister("x")
    finally:
        con.close()
    assert _primary_key(path, "snapshots") == list(TABLES["snapshots"].key)
    before = dump(path)
    with Store.open(path) as store:  # migrates to the latest version
        again = store.ingest([batch("snapshots", rows), batch("candles", candles)], kind="import", files=[])
    after = dump(path)
    for name in ("candles", "snapshots"):
        assert _primary_key(path, name) is None
        assert _columns(path, name) == _columns(fresh, name)
        assert after[name].height == before[name].height > 0
        assert after[name].equals(before[name])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(rows) + len(candles))
