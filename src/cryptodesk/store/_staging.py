"""An ingest call whose batches arrive one file at a time: staged in DuckDB as they come, upserted at the end.

:meth:`cryptodesk.store.db.Store.ingest_session` opens the call's ONE transaction and
yields an :class:`IngestSession`. Each :meth:`IngestSession.add` conforms its batches
and appends them to one DuckDB temp table per canonical table (``_cd_stage_<table>``:
the spec's columns, ``_ord`` = the row's order in the call, ``_h`` = a hash of its
key), so the caller holds one file's rows at a time, not the whole call's.
:meth:`IngestSession.commit` checks the keys, upserts every staged table (``_ingest``),
records the run and its files, and commits. Leaving the session without a commit,
or with an exception, rolls everything back: the store is exactly as before.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from cryptodesk.core.models import TABLES, Batch, TableSpec
from cryptodesk.core.timeutil import utc_now
from cryptodesk.store import _prepare
from cryptodesk.store._ingest import TableResult, check_keys, upsert_appended, upsert_staged
from cryptodesk.store._prepare import PreparedBatch, prepare
from cryptodesk.store._sql import lit, q, qlist, run, scalar
from cryptodesk.store.schema import UNINDEXED, duck_type


@dataclass(frozen=True)
class FileRecord:
    """One input file of an import: path, content SHA-256, format name and rows per table."""

    path: str
    sha256: str
    format: str
    rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestResult:
    """What one ingest call did: its run id and, per table, a :class:`TableResult`."""

    run_id: int
    tables: dict[str, TableResult]

    def to_json(self) -> dict[str, object]:
        """Plain JSON form: run id and per-table counts."""
        return {"run_id": self.run_id, "tables": {k: v.to_json() for k, v in self.tables.items()}}

    @property
    def inserted(self) -> int:
        """Rows inserted over all tables."""
        return sum(t.inserted for t in self.tables.values())

    @property
    def updated(self) -> int:
        """Rows whose values changed over all tables."""
        return sum(t.updated for t in self.tables.values())

    @property
    def unchanged(self) -> int:
        """Incoming rows identical to the stored ones over all tables."""
        return sum(t.unchanged for t in self.tables.values())

    @property
    def conflicts(self) -> int:
        """Conflict records (key x column) over all tables."""
        return sum(t.conflicts for t in self.tables.values())


@dataclass
class _Stage:
    """One table's rows so far: where they go, how many, their key hashes and key null counts.

    ``direct``: the rows go straight into the (unindexed, empty) table itself instead of a temp table.
    ``repeats``: some batch had a key hash twice (``PreparedBatch.repeats``).
    """

    spec: TableSpec
    direct: bool
    rows: int = 0
    hashes: list[pl.Series] = field(default_factory=list)
    nulls: dict[str, int] = field(default_factory=dict)
    repeats: bool = False

    @property
    def table(self) -> str:
        return q(self.spec.name) if self.direct else f"_cd_stage_{self.spec.name}"


def _param(column: str) -> str:
    return "c_" + "".join(ch if ch.isalnum() else "_" for ch in column)


INGEST_MEMORY = 3 * 2**30
"""DuckDB's memory limit during an ingest session (when the connection's own is higher): beyond it the staged rows
and the merge's joins spill to ``<store>.tmp`` instead of growing the process. Re-importing dataset M (16M rows
already stored): peak RSS 4.6 GB with it, over 6 GB (stopped) without."""


def _bytes(text: str) -> int | None:
    """Bytes of a DuckDB size setting such as ``'18.6 GiB'`` or ``'3.0 GB'`` (None when it does not read)."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMGTP]?)(i?)B\s*", text, flags=re.IGNORECASE)
    if not match:
        return None
    base = 1024 if match.group(3) else 1000
    return int(float(match.group(1)) * base ** " KMGTP".index(match.group(2).upper() or " "))


class IngestSession:
    """The staging side of one ingest call (create it with :meth:`Store.ingest_session`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, kind: str) -> None:
        self._con = con
        self.kind = kind
        self.started = utc_now()
        self.batches = 0
        """Batches added so far (empty ones included)."""
        self.committed = False
        self._stages: dict[str, _Stage] = {}
        self.run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM import_runs"))
        """The run this call will be (the store is locked for the session, so it cannot change)."""
        self._saved: dict[str, str] = {}
        self._threads = max(1, int(scalar(con, "SELECT current_setting('threads')")))
        """DuckDB's threads for this connection (before the session's own setting)."""
        limit = _bytes(str(scalar(con, "SELECT current_setting('memory_limit')")))
        if limit is None or limit > INGEST_MEMORY:
            self._setting("memory_limit", f"'{INGEST_MEMORY // 2**20}MiB'")

    def _setting(self, name: str, value: str) -> None:
        """Set a DuckDB setting for this session, keeping its value to give back (:meth:`restore`)."""
        if name not in self._saved:
            self._saved[name] = str(scalar(self._con, f"SELECT current_setting('{name}')"))
        run(self._con, f"SET {name} = {value}")

    def restore(self, *names: str) -> None:
        """Give back the settings ``names`` (all when none is named) as they were before the session."""
        for name in names or tuple(self._saved):
            if name in self._saved:
                value = self._saved.pop(name)
                run(self._con, f"RESET {name}")  # exact when it was DuckDB's default (sizes print rounded)
                if str(scalar(self._con, f"SELECT current_setting('{name}')")) != value:
                    run(self._con, f"SET {name} = {lit(value)}")

    def add(self, batches: Iterable[Batch] | Iterable[PreparedBatch]) -> None:
        """Append ``batches`` to their tables' stages (plain batches are prepared here, see ``_prepare``).

        Raises InputError when a frame does not fit its table.
        """
        for b in batches:
            for p in prepare([b]) if isinstance(b, Batch) else [b]:
                self._append(p)

    def _stage(self, spec: TableSpec) -> _Stage:
        stage = self._stages.get(spec.name)
        if stage is None:
            empty = not scalar(self._con, f"SELECT count(*) FROM (SELECT 1 FROM {q(spec.name)} LIMIT 1)")
            stage = _Stage(spec, direct=empty and spec.name in UNINDEXED)
            if not stage.direct:
                cols = ", ".join(f"{q(c)} {duck_type(t)}" for c, t in spec.columns.items())
                run(self._con, f"CREATE OR REPLACE TEMP TABLE {stage.table} ({cols}, _ord BIGINT, _h UBIGINT)")
            self._stages[spec.name] = stage
        return stage

    def _append(self, p: PreparedBatch) -> None:
        spec = TABLES[p.table]
        stage = self._stage(spec)
        self.batches += 1
        for column, count in p.nulls.items():
            stage.nulls[column] = stage.nulls.get(column, 0) + count
        if p.data is None:
            return
        stage.hashes.append(p.hashes)
        # a column with one value on every row (the source, a file's asset) goes as a parameter, not 1e7 strings
        select = ", ".join(f"${_param(c)} AS {q(c)}" if c in p.constants else q(c) for c in spec.columns)
        params = {_param(c): v for c, v in p.constants.items()}
        data = p.data
        if stage.direct:
            insert = f"INSERT INTO {stage.table} ({qlist(spec.columns)}, run_id) SELECT {select}, {self.run_id}"
        else:
            order = np.arange(stage.rows, stage.rows + p.rows, dtype=np.int64)
            # from the buffer, not pa.array(): that asks pandas whether ``order`` is a Series, importing it (0.3 s)
            data = data.append_column("_ord", pa.Array.from_buffers(pa.int64(), p.rows, [None, pa.py_buffer(order)]))
            insert = f"INSERT INTO {stage.table} SELECT {select}, _ord, _h"
        stage.rows += p.rows
        stage.repeats = stage.repeats or p.repeats
        if not p.repeats and p.rows >= _prepare.PARALLEL_APPEND_ROW_GROUPS * _prepare.ROW_GROUP_ROWS * self._threads:
            # a large batch with no key twice: the order of its rows does not matter to the merge (rows of one key
            # come from different batches, appended in call order), so every thread appends row groups of it
            self.restore("threads")
            self._setting("preserve_insertion_order", "false")
        else:
            # a batch of a few row groups appends on one DuckDB thread while the caller parses the next file (a
            # second thread only spun, measured), in the batch's order; commit gives the threads back
            self.restore("preserve_insertion_order")
            self._setting("threads", "1")
        self._con.register("_cd_batch", data)
        try:
            run(self._con, f"{insert} FROM _cd_batch", params or None)
        finally:
            with contextlib.suppress(duckdb.Error):
                self._con.unregister("_cd_batch")

    def commit(self, files: list[FileRecord]) -> IngestResult:
        """Check the keys, upsert every staged table, record the run and ``files``, and commit the transaction."""
        con = self._con
        self.restore("threads")  # the merges and joins below use them
        for name in TABLES:
            if name in self._stages:
                check_keys(TABLES[name], self._stages[name].nulls)
        results = {name: self._upsert(self._stages[name], self.run_id) for name in TABLES if name in self._stages}
        record_run(con, self.run_id, kind=self.kind, started=self.started, results=results, files=files)
        con.commit()
        self.committed = True
        return IngestResult(self.run_id, results)

    def _upsert(self, stage: _Stage, run_id: int) -> TableResult:
        """Upsert one stage; its hashes met more than once go to ``_cd_dups`` for the exact merge."""
        repeated = pl.Series("h", [], dtype=pl.UInt64)
        if len(stage.hashes) > 1 or stage.repeats:  # one batch without repeats has none to find
            hashes = pl.concat(stage.hashes).sort()  # a sort finds repeats faster than a hash table here
            stage.hashes.clear()
            repeated = hashes.filter(hashes == hashes.shift(1)).unique()
        if stage.direct:
            return upsert_appended(self._con, stage.spec, stage.rows, run_id, repeats=repeated.len() > 0)
        dups: str | None = None
        if repeated.len():
            self._con.register("_cd_dup_in", pl.DataFrame({"h": repeated}).to_arrow())
            try:
                run(self._con, "CREATE OR REPLACE TEMP TABLE _cd_dups AS SELECT h FROM _cd_dup_in")
            finally:
                with contextlib.suppress(duckdb.Error):
                    self._con.unregister("_cd_dup_in")
            dups = "_cd_dups"
        result = upsert_staged(self._con, stage.spec, stage.table, dups, run_id)
        run(self._con, f"DROP TABLE IF EXISTS {stage.table}")
        run(self._con, "DROP TABLE IF EXISTS _cd_dups")
        return result


def record_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    *,
    kind: str,
    started: datetime,
    results: dict[str, TableResult],
    files: list[FileRecord],
) -> None:
    """Insert an ingest run's ``import_runs`` row and its ``import_files`` rows."""
    detail = json.dumps({"tables": {k: v.to_json() for k, v in results.items()}, "files": len(files)})
    run(
        con,
        "INSERT INTO import_runs VALUES ($run_id, $kind, $started, $finished, 'ok', CAST($detail AS JSON))",
        {"run_id": run_id, "kind": kind, "started": started, "finished": utc_now(), "detail": detail},
    )
    if not files:
        return
    table = pl.DataFrame(
        {
            "path": [f.path for f in files],
            "sha256": [f.sha256 for f in files],
            "format": [f.format for f in files],
            "rows": [json.dumps(f.rows, sort_keys=True) for f in files],
        },
        schema={"path": pl.Utf8, "sha256": pl.Utf8, "format": pl.Utf8, "rows": pl.Utf8},
    )
    con.register("_cd_files", table.to_arrow())
    try:
        run(
            con,
            "INSERT INTO import_files SELECT $run_id, path, sha256, format, CAST(rows AS JSON) FROM _cd_files",
            {"run_id": run_id},
        )
    finally:
        with contextlib.suppress(duckdb.Error):
            con.unregister("_cd_files")
