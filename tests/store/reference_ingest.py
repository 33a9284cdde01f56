"""The reference ingest: the original whole-call, set-based upsert, kept verbatim as the semantics to match.

``reference_ingest(con, batches, kind)`` does what ``Store.ingest`` did before the
staged/direct-append paths: conform and concatenate the call's frames per table,
collapse identical rows (GROUP BY ALL), merge each key's rows (latest non-null value in
call order), log every within-call and against-the-store disagreement for EACH column
with full joins, then UPDATE and INSERT. Only the small SQL pieces that did not change
(value comparison, key JSON, conflict and run recording) are imported from the store.
It is slow and holds the whole call in memory; tests run it on small data and require
the store's fast paths to leave exactly the same tables, counts and conflicts (see
``test_ingest_paths.py``).
"""

from __future__ import annotations

import duckdb
import polars as pl

from cryptodesk.core.models import TABLES, Batch, TableSpec
from cryptodesk.core.timeutil import utc_now
from cryptodesk.store._ingest import (  # SQL pieces kept as they were
    TableResult,
    _distinct,
    _join_on,
    _key_json,
    _record_conflicts,
    _within_call_conflicts,
    stage_frame,
)
from cryptodesk.store._sql import q, qlist, run, scalar
from cryptodesk.store._staging import record_run


def _changes(spec: TableSpec, stored: str, incoming: str) -> str:
    if not spec.value_columns:
        return "FALSE"
    return " OR ".join(
        f"({incoming}.{q(c)} IS NOT NULL AND {_distinct(spec, c, f'{incoming}.{q(c)}', f'{stored}.{q(c)}')})"
        for c in spec.value_columns
    )


def _merge_winners(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    cols = ", ".join(f"arg_max({q(c)}, _ord) FILTER (WHERE {q(c)} IS NOT NULL) AS {q(c)}" for c in spec.value_columns)
    select = qlist(spec.key) + (f", {cols}" if cols else "")
    run(con, f"CREATE OR REPLACE TEMP TABLE _cd_win AS SELECT {select} FROM _cd_stage GROUP BY {qlist(spec.key)}")


def _collect_conflicts(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE _cd_conf (k VARCHAR, column_name VARCHAR, old_value VARCHAR,"
        " new_value VARCHAR, old_run_id BIGINT)",
    )
    _within_call_conflicts(con, spec, "_cd_win", "_cd_stage")
    join_store = _join_on(spec, "t", "w")
    for c in spec.value_columns:
        col = q(c)
        run(
            con,
            f"""INSERT INTO _cd_conf
            SELECT CAST({_key_json(spec, "w")} AS VARCHAR), $column, CAST(t.{col} AS VARCHAR),
                   CAST(w.{col} AS VARCHAR), t.run_id
            FROM _cd_win w JOIN {q(spec.name)} t ON {join_store}
            WHERE w.{col} IS NOT NULL AND t.{col} IS NOT NULL AND {_distinct(spec, c, f"w.{col}", f"t.{col}")}""",
            {"column": c},
        )


def upsert_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, staged: pl.DataFrame, run_id: int) -> TableResult:
    """The reference upsert of one table's whole call (``staged`` from ``stage_frame``)."""
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
        con.unregister("_cd_in")
    return TableResult(inserted=inserted, updated=updated, unchanged=winners - inserted - updated, conflicts=conflicts)


def reference_ingest(con: duckdb.DuckDBPyConnection, batches: list[Batch], kind: str) -> dict[str, TableResult]:
    """One reference ingest call in one transaction; returns the per-table results (run bookkeeping included)."""
    frames: dict[str, list[pl.DataFrame]] = {}
    for b in batches:
        frames.setdefault(b.table, []).append(b.frame)
    staged = {name: stage_frame(TABLES[name], frames[name]) for name in TABLES if name in frames}
    started = utc_now()
    con.begin()
    try:
        run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM import_runs"))
        results = {name: upsert_table(con, TABLES[name], frame, run_id) for name, frame in staged.items()}
        record_run(con, run_id, kind=kind, started=started, results=results, files=[])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return results
