"""Set-based upsert of one canonical table's staged rows (runs inside the caller's transaction).

For one table and one ``Store.ingest`` call:

1. every batch frame is conformed to the spec and tagged with its order in the call
   (``_ord``), and the whole call's rows go to DuckDB as one Arrow table;
2. identical rows are collapsed (GROUP BY every column);
3. rows sharing a key are merged column by column: each value column takes its
   **latest non-null** value in call order. Each other non-null value that differs
   from it is a conflict, recorded once (old = that value, new = the merged one,
   old_run_id NULL; the same disagreement met again in a later call is not repeated);
4. each merged row is compared with the stored row of its key: no stored row ->
   inserted; no non-null incoming value IS DISTINCT FROM the stored one -> unchanged
   (its run_id is kept); otherwise -> updated, and each column where both values are
   non-null and differ is a conflict (old = stored value, new = incoming value,
   old_run_id = the run that wrote it).

**The new value wins**: where both are present, an import replaces what a previous
import stored for the same key, and the conflict log keeps the old value. **A null
never erases a value**: a missing field (a format that has no market cap, say)
leaves the stored value in place, and filling a stored null is an update, not a
conflict. No per-row Python runs.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import duckdb
import polars as pl

from cryptodesk.core.errors import InputError
from cryptodesk.core.models import TableSpec
from cryptodesk.store._sql import q, qlist, run, scalar


@dataclass(frozen=True)
class TableResult:
    """What one ingest call did to one table.

    ``conflicts`` counts the conflict records this call added: one per key and value
    column whose non-null values differed (from the stored row, or between rows of the
    same call when that disagreement was not already on record).
    """

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0

    def to_json(self) -> dict[str, int]:
        """Plain dict form (for ``import_runs.detail``)."""
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
        }


def stage_frame(spec: TableSpec, frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Conform the call's frames to ``spec`` and number the rows in call order (``_ord``).

    Raises InputError when a key column has nulls (the key identifies the row).
    """
    try:
        staged = pl.concat([spec.conform(f) for f in frames], how="vertical") if frames else spec.empty()
    except pl.exceptions.PolarsError as e:
        raise InputError(
            f"table {spec.name}: rows do not fit the canonical schema: {str(e).splitlines()[0]}",
            hint="A source produced columns of the wrong type; fix the importer.",
        ) from e
    nulls = staged.select(pl.col(list(spec.key)).is_null().sum()).row(0, named=True)
    for column, count in nulls.items():
        if count:
            raise InputError(
                f"table {spec.name}: {count} row(s) have no value in key column {column!r}"
                f" (the key is {', '.join(spec.key)})",
                hint="Every key column must be filled; fix the importer or the file.",
            )
    return staged.with_row_index("_ord")


def _key_json(spec: TableSpec, alias: str) -> str:
    pairs = ", ".join(f"'{k}', {alias}.{q(k)}" for k in spec.key)
    return f"json_object({pairs})"


def _join_on(spec: TableSpec, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{q(k)} = {right}.{q(k)}" for k in spec.key)


REL_TOL = 1e-9
"""Float values this close (relative) are the same value: decimal text and binary floats round differently,
so the same figure read from a CSV and from a JSON file may differ in its last bits."""


def _distinct(spec: TableSpec, column: str, a: str, b: str) -> str:
    """SQL: ``a`` and ``b`` are different values of ``column`` (floats compared to :data:`REL_TOL`)."""
    if not isinstance(spec.columns[column], pl.Float64):
        return f"({a} IS DISTINCT FROM {b})"
    near = f"abs({a} - {b}) <= {REL_TOL} * greatest(abs({a}), abs({b}))"
    return f"({a} IS DISTINCT FROM {b} AND NOT coalesce({near}, FALSE))"


def _changes(spec: TableSpec, stored: str, incoming: str) -> str:
    """SQL: the incoming row would change the stored row (some non-null incoming value differs)."""
    if not spec.value_columns:
        return "FALSE"
    return " OR ".join(
        f"({incoming}.{q(c)} IS NOT NULL AND {_distinct(spec, c, f'{incoming}.{q(c)}', f'{stored}.{q(c)}')})"
        for c in spec.value_columns
    )


def _merge_winners(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """``_cd_win``: one row per key; each column takes its latest non-null value in call order."""
    cols = ", ".join(f"arg_max({q(c)}, _ord) FILTER (WHERE {q(c)} IS NOT NULL) AS {q(c)}" for c in spec.value_columns)
    select = qlist(spec.key) + (f", {cols}" if cols else "")
    run(con, f"CREATE OR REPLACE TEMP TABLE _cd_win AS SELECT {select} FROM _cd_stage GROUP BY {qlist(spec.key)}")


def _collect_conflicts(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """``_cd_conf``: every (key, column) whose non-null values disagree, within the call or with the store."""
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE _cd_conf (k VARCHAR, column_name VARCHAR, old_value VARCHAR,"
        " new_value VARCHAR, old_run_id BIGINT)",
    )
    join_stage = _join_on(spec, "s", "w")
    join_store = _join_on(spec, "t", "w")
    for c in spec.value_columns:
        col = q(c)
        run(
            con,
            f"""INSERT INTO _cd_conf
            SELECT DISTINCT CAST({_key_json(spec, "w")} AS VARCHAR), $column, CAST(s.{col} AS VARCHAR),
                   CAST(w.{col} AS VARCHAR), CAST(NULL AS BIGINT)
            FROM _cd_win w JOIN _cd_stage s ON {join_stage}
            WHERE s.{col} IS NOT NULL AND {_distinct(spec, c, f"s.{col}", f"w.{col}")}""",
            {"column": c},
        )
        run(
            con,
            f"""INSERT INTO _cd_conf
            SELECT CAST({_key_json(spec, "w")} AS VARCHAR), $column, CAST(t.{col} AS VARCHAR),
                   CAST(w.{col} AS VARCHAR), t.run_id
            FROM _cd_win w JOIN {q(spec.name)} t ON {join_store}
            WHERE w.{col} IS NOT NULL AND t.{col} IS NOT NULL AND {_distinct(spec, c, f"w.{col}", f"t.{col}")}""",
            {"column": c},
        )


def _record_conflicts(con: duckdb.DuckDBPyConnection, spec: TableSpec, run_id: int) -> int:
    """Append ``_cd_conf`` to ``conflicts``; a within-call disagreement already on record is not repeated."""
    return run(
        con,
        """INSERT INTO conflicts
        SELECT $run_id, $table, CAST(c.k AS JSON), c.column_name, c.old_value, c.new_value, c.old_run_id, now()
        FROM _cd_conf c
        WHERE c.old_run_id IS NOT NULL OR NOT EXISTS (
            SELECT 1 FROM conflicts k
            WHERE k.old_run_id IS NULL AND k.table_name = $table AND CAST(k."key" AS VARCHAR) = c.k
              AND k.column_name = c.column_name AND k.old_value = c.old_value AND k.new_value = c.new_value)""",
        {"run_id": run_id, "table": spec.name},
    )


def upsert_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, staged: pl.DataFrame, run_id: int) -> TableResult:
    """Dedupe, merge, detect conflicts and upsert ``staged`` (from :func:`stage_frame`) into ``spec``'s table."""
    cols = list(spec.columns)
    con.register("_cd_in", staged.to_arrow())
    try:
        run(
            con,
            f"CREATE OR REPLACE TEMP TABLE _cd_stage AS"
            f" SELECT {qlist(cols)}, max(_ord) AS _ord FROM _cd_in GROUP BY ALL",
        )
        _merge_winners(con, spec)
        _collect_conflicts(con, spec)
        conflicts = _record_conflicts(con, spec, run_id)
        winners = int(scalar(con, "SELECT count(*) FROM _cd_win"))
        updated = 0
        if spec.value_columns:
            sets = ", ".join(f"{q(c)} = coalesce(w.{q(c)}, t.{q(c)})" for c in spec.value_columns)
            updated = run(
                con,
                f"""UPDATE {q(spec.name)} AS t SET {sets}, run_id = $run_id FROM _cd_win w
                WHERE {_join_on(spec, "t", "w")} AND ({_changes(spec, "t", "w")})""",
                {"run_id": run_id},
            )
        inserted = run(
            con,
            f"""INSERT INTO {q(spec.name)} ({qlist(cols)}, run_id)
            SELECT {qlist(cols, "w.")}, $run_id FROM _cd_win w
            WHERE NOT EXISTS (SELECT 1 FROM {q(spec.name)} t WHERE {_join_on(spec, "t", "w")})""",
            {"run_id": run_id},
        )
        for name in ("_cd_stage", "_cd_win", "_cd_conf"):
            run(con, f"DROP TABLE IF EXISTS {name}")
    finally:
        with contextlib.suppress(duckdb.Error):
            con.unregister("_cd_in")
    return TableResult(inserted=inserted, updated=updated, unchanged=winners - inserted - updated, conflicts=conflicts)
