"""Getting batches ready for staging, without DuckDB: conform, key nulls, key hashes, constant columns, Arrow.

:func:`prepare` is pure Polars/Arrow work, safe on any thread: ``Desk.import_paths``
runs it on its parsing thread, so that the thread holding the store only hands Arrow
tables to DuckDB. :meth:`cryptodesk.store._staging.IngestSession.add` prepares
batches itself when given plain batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl
import pyarrow as pa
from polars import CompatLevel

from cryptodesk.core.models import TABLES, Batch, TableSpec
from cryptodesk.store._ingest import conform_frame

ROW_GROUP_ROWS = 122_880
"""Rows in a DuckDB row group (its default ``row_group_size``): the unit a parallel append hands to a thread."""

PARALLEL_APPEND_ROW_GROUPS = 16
"""A batch with no key twice appends on every DuckDB thread, with ``preserve_insertion_order`` off, when it holds at
least this many row groups per thread (``IngestSession._append``); smaller batches append on one thread. A parallel
append leaves up to one partly filled row group per thread, which the next checkpoint rewrites; at 16 per thread
that is a few percent of the batch. Measured with ``bench/fig_import.py``'s data on 2 cores (import + close):
dataset M's one 16M-row Parquet file 9.1 s -> 6.4 s; I's twenty 527k-row Parquet files, appended in parallel,
6.6 s -> 7.4 s (2 s of checkpoint rewriting them), and M's 133k-row monthly CSV files 10.2 s -> 12.8 s: those stay on
one thread. With the insertion order kept, a parallel append deferred its work to the checkpoint (M: 1.4 s more at
close)."""


@dataclass(frozen=True)
class PreparedBatch:
    """One batch ready to stage: its table, rows, key null counts, key hashes, one-value text columns and data.

    ``data`` holds the columns that are not in ``constants`` plus ``_h`` (the key hash). ``repeats``: some key hash
    may occur twice in this batch (a repeated key, or a hash collision), so the order of its rows matters to the
    merge; it is only checked for a batch large enough to append in parallel (:data:`PARALLEL_APPEND_ROW_GROUPS`),
    and not for one whose producer checked its keys (``Batch.distinct``: no key twice, whatever the hashes).
    """

    table: str
    rows: int
    nulls: dict[str, int]
    hashes: pl.Series
    constants: dict[str, str]
    data: pa.Table | None
    repeats: bool = False


def prepare(batches: Iterable[Batch]) -> list[PreparedBatch]:
    """Conform ``batches`` to their table specs and prepare them for staging (InputError when a frame does not fit)."""
    out = []
    for b in batches:
        spec = TABLES[b.table]
        frame = b.frame if frame_fits(spec, b.frame) else conform_frame(spec, b.frame)
        nulls = dict(zip(spec.key, frame.select(pl.col(c).null_count() for c in spec.key).row(0), strict=True))
        if frame.height == 0:
            out.append(PreparedBatch(b.table, 0, nulls, pl.Series("_h", [], dtype=pl.UInt64), {}, None))
            continue
        constants = _constant_text(frame)
        hashes = key_hash(frame, spec.key, constants).alias("_h")
        data = frame.drop(list(constants)).with_columns(hashes).to_arrow(compat_level=CompatLevel.newest())
        # only a batch that may append in parallel needs to know (smaller ones append in order whatever they hold),
        # and one its producer checked is known not to (16M keys: 0.34 s)
        small = frame.height < PARALLEL_APPEND_ROW_GROUPS * ROW_GROUP_ROWS
        repeats = small or (not b.distinct and hashes.n_unique() < frame.height)
        out.append(PreparedBatch(b.table, frame.height, nulls, hashes, constants, data, repeats))
    return out


def frame_fits(spec: TableSpec, frame: pl.DataFrame) -> bool:
    """True when ``frame`` has exactly the spec's columns, in order, with its dtypes (conforming changes nothing)."""
    return list(frame.schema.items()) == list(spec.columns.items())


def _constant_text(frame: pl.DataFrame) -> dict[str, str]:
    """Text columns holding one non-null value on every row, with that value (expressions: a column set to one
    value is checked without being spelled out row by row)."""
    out: dict[str, str] = {}
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            c = pl.col(name)
            first, nulls, same = frame.select(
                c.first().alias("f"), c.null_count().alias("n"), (c == c.first()).all().alias("s")
            ).row(0)
            if first is not None and nulls == 0 and same:
                out[name] = first
    return out


def key_hash(frame: pl.DataFrame, key: tuple[str, ...], constants: dict[str, str]) -> pl.Series:
    """A 64-bit hash of each row's key: equal keys, equal hashes, whatever the batch (each key column's value
    hashed with its own seed, the columns XOR-ed; a column in ``constants`` is hashed once)."""
    parts: list[pl.Expr] = []
    fixed = 0
    for seed, column in enumerate(key, start=1):
        if column in constants:
            fixed ^= int(pl.Series([constants[column]], dtype=pl.String).hash(seed)[0])
        else:
            parts.append(pl.col(column).hash(seed))
    if not parts:
        return pl.repeat(fixed, frame.height, dtype=pl.UInt64, eager=True).alias("_h")
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.xor(part)
    return frame.select(combined.xor(pl.lit(fixed, dtype=pl.UInt64)).alias("_h")).to_series()
