"""The store's memory limit (setting ``store_memory_limit``) reaches read-only connections, and only those."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cryptodesk.core.errors import ConfigError
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk
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


def test_read_only_connection_gets_the_limit_writes_keep_duckdbs(store_path: Path) -> None:
    with Store.open(store_path, read_only=True, memory_limit="300MiB") as store:
        assert _limit(store.con) == _duckdb_says("300MiB")
    with Store.open(store_path, memory_limit="300MiB") as store:
        assert _limit(store.con) == _duckdb_says(None)
    with Store.open(store_path, read_only=True, memory_limit="") as store:
        assert _limit(store.con) == _duckdb_says(None)


def test_the_setting_reaches_the_desks_connection(store_path: Path) -> None:
    with Desk(Settings.model_validate({"db": store_path, "store_memory_limit": "123MB"})) as desk:
        assert _limit(desk.store().con) == _duckdb_says("123MB")
    with Desk(Settings.model_validate({"db": store_path})) as desk:
        assert _limit(desk.store().con) == _duckdb_says(Settings().store_memory_limit or None)


def test_a_limit_that_is_not_a_size_is_refused(store_path: Path) -> None:
    with pytest.raises(ConfigError, match="memory_limit"):
        Store.open(store_path, read_only=True, memory_limit="1GB'; DROP TABLE x; --")
    with pytest.raises(ValueError, match="store_memory_limit"):
        Settings.model_validate({"store_memory_limit": "lots"})
