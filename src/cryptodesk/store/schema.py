"""The store's schema: DDL for the canonical tables and the bookkeeping tables, and migrations.

Every canonical table of :data:`cryptodesk.core.models.TABLES` becomes a DuckDB
table with the spec's columns and a ``run_id BIGINT`` (the import run that last
inserted or changed the row). Timestamps are ``TIMESTAMPTZ`` (UTC). The spec's key
is unique in every table; it is a PRIMARY KEY except in the market-scale tables of
:data:`UNINDEXED` (``candles``, ``snapshots``), where the ingest alone keeps it
unique (it never inserts a key that is stored or twice): maintaining DuckDB's ART
index for that key cost more than three times the whole bulk load (migration 2).
Bookkeeping tables:

``schema_migrations(version, description, applied_at)``  one row per applied migration.
``import_runs(run_id, kind, started_at, finished_at, status, detail JSON)``  one row per ingest.
``import_files(run_id, path, sha256, format, rows JSON)``  the files an import run read.
``conflicts(run_id, table_name, key JSON, column_name, old_value, new_value, old_run_id, recorded_at)``
    one row per (key, column) whose value changed (values as text; ``old_run_id`` is
    the run that wrote the old value, NULL when both values came in the same call).
``feed_coverage(exchange, feed, start, end, run_id)``  intervals a live feed was connected.

:data:`MIGRATIONS` is append-only: a schema change is a new numbered migration,
never an edit of an old one. :func:`migrate` applies the pending ones in one
transaction and refuses a store written by a newer cryptodesk.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import duckdb
import polars as pl

from cryptodesk.core.errors import StoreError
from cryptodesk.core.models import TABLES, TableSpec
from cryptodesk.store._sql import q, run, scalar


@dataclass(frozen=True)
class Migration:
    """One numbered schema change: SQL statements applied together."""

    version: int
    description: str
    statements: tuple[str, ...]


def duck_type(dtype: pl.DataType) -> str:
    """The DuckDB column type for a canonical Polars dtype."""
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ"
    if isinstance(dtype, pl.Date):
        return "DATE"
    if isinstance(dtype, pl.Float64 | pl.Float32):
        return "DOUBLE"
    if isinstance(dtype, pl.Int64 | pl.Int32 | pl.Int16 | pl.Int8):
        return "BIGINT"
    if isinstance(dtype, pl.Boolean):
        return "BOOLEAN"
    if isinstance(dtype, pl.Utf8):
        return "VARCHAR"
    raise StoreError(f"internal: no DuckDB type for Polars dtype {dtype}")


def table_ddl(spec: TableSpec, *, table: str | None = None, primary_key: bool = True) -> str:
    """CREATE TABLE for one canonical table: spec columns, run_id and (by default) a PRIMARY KEY on the spec's key."""
    cols = [f"{q(name)} {duck_type(dtype)}" for name, dtype in spec.columns.items()]
    cols.append('"run_id" BIGINT')
    if primary_key:
        cols.append(f"PRIMARY KEY ({', '.join(q(k) for k in spec.key)})")
    return f"CREATE TABLE IF NOT EXISTS {q(table or spec.name)} (\n    " + ",\n    ".join(cols) + "\n)"


UNINDEXED = ("candles", "snapshots")
"""Canonical tables without a PRIMARY KEY index (their key is kept unique by the ingest, see the module doc)."""


def _without_primary_key(spec: TableSpec) -> tuple[str, ...]:
    """Statements rebuilding ``spec``'s table without its PRIMARY KEY (same columns, same rows, same order)."""
    scratch = f"_cd_rebuild_{spec.name}"
    cols = ", ".join([*(q(c) for c in spec.columns), '"run_id"'])
    return (
        table_ddl(spec, table=scratch, primary_key=False),
        f"INSERT INTO {q(scratch)} ({cols}) SELECT {cols} FROM {q(spec.name)}",
        f"DROP TABLE {q(spec.name)}",
        f"ALTER TABLE {q(scratch)} RENAME TO {q(spec.name)}",
    )


_BOOKKEEPING: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS import_runs (
    run_id BIGINT PRIMARY KEY,
    kind VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,
    detail JSON
)""",
    """CREATE TABLE IF NOT EXISTS import_files (
    run_id BIGINT NOT NULL,
    path VARCHAR NOT NULL,
    sha256 VARCHAR,
    format VARCHAR,
    "rows" JSON
)""",
    """CREATE TABLE IF NOT EXISTS conflicts (
    run_id BIGINT NOT NULL,
    table_name VARCHAR NOT NULL,
    "key" JSON NOT NULL,
    column_name VARCHAR NOT NULL,
    old_value VARCHAR,
    new_value VARCHAR,
    old_run_id BIGINT,
    recorded_at TIMESTAMPTZ NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS feed_coverage (
    exchange VARCHAR NOT NULL,
    feed VARCHAR NOT NULL,
    "start" TIMESTAMPTZ NOT NULL,
    "end" TIMESTAMPTZ,
    run_id BIGINT,
    PRIMARY KEY (exchange, feed, "start")
)""",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "canonical tables, import bookkeeping, conflicts, feed coverage",
        tuple(table_ddl(spec) for spec in TABLES.values()) + _BOOKKEEPING,
    ),
    Migration(
        2,
        "candles and snapshots without a PRIMARY KEY index (the ingest keeps their keys unique)",
        tuple(statement for name in UNINDEXED for statement in _without_primary_key(TABLES[name])),
    ),
)
"""Append-only list of schema migrations, in version order."""

LATEST_VERSION = MIGRATIONS[-1].version

_MIGRATIONS_DDL = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)"""


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest applied migration (0 for a fresh store)."""
    exists = scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'")
    if not exists:
        return 0
    version = scalar(con, "SELECT max(version) FROM schema_migrations")
    return int(version or 0)


def migrate(
    con: duckdb.DuckDBPyConnection,
    *,
    path: str,
    read_only: bool,
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> int:
    """Apply pending ``migrations`` in one transaction; return the resulting schema version.

    Raises StoreError for a store written by a newer cryptodesk, for a read-only
    open of a store that still needs migrating, and when a migration fails (the
    store is then left at its previous version, unchanged).
    """
    latest = migrations[-1].version
    version = current_version(con)
    if version > latest:
        raise StoreError(
            f"{path}: store schema version {version} is newer than this cryptodesk supports ({latest})",
            hint="Upgrade cryptodesk, or point --db at another store.",
        )
    if version == latest:
        return version
    if read_only:
        raise StoreError(
            f"{path}: store schema version {version} needs migrating to {latest}, but it is open read-only",
            hint="Open it for writing once (for example `cryptodesk import`), which migrates it.",
        )
    con.begin()
    step = version
    try:
        run(con, _MIGRATIONS_DDL)
        for m in migrations:
            if m.version <= version:
                continue
            step = m.version
            for statement in m.statements:
                run(con, statement)
            run(con, "INSERT INTO schema_migrations VALUES ($1, $2, now())", [m.version, m.description])
        con.commit()
    except duckdb.Error as e:
        with contextlib.suppress(duckdb.Error):
            con.rollback()
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreError(f"{path}: migration {step} failed, store left at schema version {version}: {text}") from e
    return latest
