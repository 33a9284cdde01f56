"""Set-based upsert of one canonical table's staged rows (runs inside the caller's transaction).

For one table and one ingest call (see :mod:`cryptodesk.store._staging` for how rows get staged):

1. every batch frame is conformed to the spec and tagged with its order in the call
   (``_ord``) and a hash of its key (``_h``), and appended to a DuckDB temp table as it
   arrives;
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

How the work is kept proportional to what needs it: steps 2-3 only look at the rows
whose key hash occurs more than once in the call (the hashes are counted in Polars
while staging; a hash collision only sends a few extra rows down the exact path, it
never changes a result), every other row is its own merged row as it is. Step 4 joins
the merged rows with the stored table once into ``_cd_old`` (skipped when the table
is empty), compares and updates only those, and inserts the rest with one anti-join.
A fresh import of new keys is therefore one ``INSERT ... SELECT`` from the stage.
"""

from __future__ import annotations

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


def conform_frame(spec: TableSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` conformed to ``spec`` (InputError when its columns cannot be cast)."""
    try:
        return spec.conform(frame)
    except pl.exceptions.PolarsError as e:
        raise InputError(
            f"table {spec.name}: rows do not fit the canonical schema: {str(e).splitlines()[0]}",
            hint="A source produced columns of the wrong type; fix the importer.",
        ) from e


def check_keys(spec: TableSpec, nulls: dict[str, int]) -> None:
    """Raise InputError for the first key column (in key order) with null values (``nulls``: column -> count)."""
    for column in spec.key:
        count = nulls.get(column, 0)
        if count:
            raise InputError(
                f"table {spec.name}: {count} row(s) have no value in key column {column!r}"
                f" (the key is {', '.join(spec.key)})",
                hint="Every key column must be filled; fix the importer or the file.",
            )


def key_nulls(spec: TableSpec, frame: pl.DataFrame) -> dict[str, int]:
    """Null count of every key column of a conformed frame."""
    row = frame.select(pl.col(list(spec.key)).is_null().sum()).row(0, named=True)
    return {k: int(v) for k, v in row.items()}


def stage_frame(spec: TableSpec, frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Conform the call's frames to ``spec`` and number the rows in call order (``_ord``).

    Raises InputError when a key column has nulls (the key identifies the row).
    """
    staged = pl.concat([conform_frame(spec, f) for f in frames], how="vertical") if frames else spec.empty()
    check_keys(spec, key_nulls(spec, staged))
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


def _changes(spec: TableSpec, alias: str) -> str:
    """SQL: the merged row ``alias`` of ``_cd_old`` would change its stored row (a non-null value differs)."""
    if not spec.value_columns:
        return "FALSE"
    return " OR ".join(
        f"({alias}.{q(c)} IS NOT NULL AND {_distinct(spec, c, f'{alias}.{q(c)}', f'{alias}.{q(_t(c))}')})"
        for c in spec.value_columns
    )


def _t(column: str) -> str:
    """The name of the stored value of ``column`` in ``_cd_old``."""
    return f"_t_{column}"


TEMPS = ("_cd_multi", "_cd_mwin", "_cd_old", "_cd_conf")
"""Temp tables of one upsert (dropped at its end)."""


def _merge_multi(con: duckdb.DuckDBPyConnection, spec: TableSpec, rows: str) -> None:
    """``_cd_multi``: ``rows`` (the call's rows of keys met more than once, with ``_ord``) with identical rows
    collapsed; ``_cd_mwin``: their merge, one row per key, each column its latest non-null value in call order."""
    cols = qlist(spec.columns)
    run(con, f"CREATE OR REPLACE TEMP TABLE _cd_multi AS SELECT {cols}, max(_ord) AS _ord FROM ({rows}) GROUP BY ALL")
    merged = ", ".join(f"arg_max({q(c)}, _ord) FILTER (WHERE {q(c)} IS NOT NULL) AS {q(c)}" for c in spec.value_columns)
    select = qlist(spec.key) + (f", {merged}" if merged else "")
    run(con, f"CREATE OR REPLACE TEMP TABLE _cd_mwin AS SELECT {select} FROM _cd_multi GROUP BY {qlist(spec.key)}")
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE _cd_conf (k VARCHAR, column_name VARCHAR, old_value VARCHAR,"
        " new_value VARCHAR, old_run_id BIGINT)",
    )
    _within_call_conflicts(con, spec)


def _within_call_conflicts(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, winners: str = "_cd_mwin", rows: str = "_cd_multi"
) -> None:
    """Into ``_cd_conf``: every (key, column) where one of the call's ``rows`` disagrees with its merged value."""
    join = _join_on(spec, "s", "w")
    for c in spec.value_columns:
        col = q(c)
        run(
            con,
            f"""INSERT INTO _cd_conf
            SELECT DISTINCT CAST({_key_json(spec, "w")} AS VARCHAR), $column, CAST(s.{col} AS VARCHAR),
                   CAST(w.{col} AS VARCHAR), CAST(NULL AS BIGINT)
            FROM {winners} w JOIN {rows} s ON {join}
            WHERE s.{col} IS NOT NULL AND {_distinct(spec, c, f"s.{col}", f"w.{col}")}""",
            {"column": c},
        )


def _store_conflicts(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """Into ``_cd_conf``: every (key, column) where the merged value disagrees with the stored one."""
    for c in spec.value_columns:
        col, old = q(c), q(_t(c))
        run(
            con,
            f"""INSERT INTO _cd_conf
            SELECT CAST({_key_json(spec, "o")} AS VARCHAR), $column, CAST(o.{old} AS VARCHAR),
                   CAST(o.{col} AS VARCHAR), o._t_run_id
            FROM _cd_old o
            WHERE o.{col} IS NOT NULL AND o.{old} IS NOT NULL AND {_distinct(spec, c, f"o.{col}", f"o.{old}")}""",
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


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    for name in TEMPS:
        run(con, f"DROP TABLE IF EXISTS {name}")


def upsert_appended(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, rows: int, run_id: int, *, repeats: bool
) -> TableResult:
    """Finish a table that was empty when the call began and got its ``rows`` appended directly (with ``run_id``).

    Every row of the table is then from this call, and the rows of any one key are in call order (``rowid``):
    batches are appended in order, and a batch appended in parallel without keeping its row order has no key twice
    (``IngestSession._append``). When ``repeats``
    (some key hash was met twice), the rows of keys met more than once are taken out and
    replaced by their merge, with the within-call conflicts recorded; otherwise nothing is left to do.
    """
    table, keys = q(spec.name), qlist(spec.key)
    if not repeats:
        return TableResult(inserted=rows)
    run(con, f"CREATE OR REPLACE TEMP TABLE _cd_dupkeys AS SELECT {keys} FROM {table} GROUP BY ALL HAVING count(*) > 1")
    if not scalar(con, "SELECT count(*) FROM _cd_dupkeys"):
        run(con, "DROP TABLE _cd_dupkeys")
        return TableResult(inserted=rows)  # hash collisions only
    repeated = f"EXISTS (SELECT 1 FROM _cd_dupkeys d WHERE {_join_on(spec, 'd', 't')})"
    _merge_multi(con, spec, f"SELECT {qlist(spec.columns)}, rowid AS _ord FROM {table} t WHERE {repeated}")
    conflicts = _record_conflicts(con, spec, run_id)
    removed = run(con, f"DELETE FROM {table} t WHERE {repeated}")
    cols = qlist(spec.columns)
    merged = run(con, f"INSERT INTO {table} ({cols}, run_id) SELECT {cols}, $run_id FROM _cd_mwin", {"run_id": run_id})
    run(con, "DROP TABLE _cd_dupkeys")
    _drop_temps(con)
    return TableResult(inserted=rows - removed + merged, conflicts=conflicts)


def upsert_staged(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, stage: str, dup_hashes: str | None, run_id: int
) -> TableResult:
    """Merge, detect conflicts and upsert the rows staged in temp table ``stage`` into ``spec``'s table.

    ``stage`` has the spec's columns plus ``_ord`` (order in the call) and ``_h`` (key hash);
    ``dup_hashes`` names a table of the hashes ``h`` met more than once in the call (None: every key once).
    """
    cols, table = qlist(spec.columns), q(spec.name)
    stored = scalar(con, f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)") > 0
    if dup_hashes is None:
        if not stored:
            inserted = run(
                con, f"INSERT INTO {table} ({cols}, run_id) SELECT {cols}, $run_id FROM {stage}", {"run_id": run_id}
            )
            return TableResult(inserted=inserted)
        run(
            con,
            "CREATE OR REPLACE TEMP TABLE _cd_conf (k VARCHAR, column_name VARCHAR, old_value VARCHAR,"
            " new_value VARCHAR, old_run_id BIGINT)",
        )
        winners = f"SELECT {cols} FROM {stage}"
    else:
        _merge_multi(con, spec, f"SELECT {cols}, _ord FROM {stage} WHERE _h IN (SELECT h FROM {dup_hashes})")
        winners = (
            f"SELECT {cols} FROM _cd_mwin UNION ALL"
            f" SELECT {cols} FROM {stage} WHERE _h NOT IN (SELECT h FROM {dup_hashes})"
        )
    total = int(scalar(con, f"SELECT count(*) FROM ({winners})"))
    new = f"SELECT {cols}, $run_id FROM ({winners}) w"
    if stored:
        stored_cols = "".join(f", t.{q(c)} AS {q(_t(c))}" for c in spec.value_columns)
        run(
            con,
            f"CREATE OR REPLACE TEMP TABLE _cd_old AS SELECT w.*{stored_cols}, t.run_id AS _t_run_id"
            f" FROM ({winners}) w JOIN {table} t ON {_join_on(spec, 'w', 't')}",
        )
        _store_conflicts(con, spec)
        new += f" WHERE NOT EXISTS (SELECT 1 FROM _cd_old o WHERE {_join_on(spec, 'o', 'w')})"
    conflicts = _record_conflicts(con, spec, run_id)
    updated = 0
    if stored and spec.value_columns:
        sets = ", ".join(f"{q(c)} = coalesce(o.{q(c)}, t.{q(c)})" for c in spec.value_columns)
        updated = run(
            con,
            f"UPDATE {table} AS t SET {sets}, run_id = $run_id FROM _cd_old o"
            f" WHERE {_join_on(spec, 't', 'o')} AND ({_changes(spec, 'o')})",
            {"run_id": run_id},
        )
    inserted = run(con, f"INSERT INTO {table} ({cols}, run_id) {new}", {"run_id": run_id})
    _drop_temps(con)
    return TableResult(inserted=inserted, updated=updated, unchanged=total - inserted - updated, conflicts=conflicts)
