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


@dataclass(frozen=True)
class PreparedBatch:
    """One batch ready to stage: its table, rows, key null counts, key hashes, one-value text columns and data.

    ``data`` holds the columns that are not in ``constants`` plus ``_h`` (the key hash). ``repeats``: some key hash
    occurs twice in this batch (a repeated key, or a hash collision), so the order of its rows matters to the merge.
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
        nulls = {column: frame.get_column(column).null_count() for column in spec.key}
        if frame.height == 0:
            out.append(PreparedBatch(b.table, 0, nulls, pl.Series("_h", [], dtype=pl.UInt64), {}, None))
            continue
        constants = _constant_text(frame)
        hashes = key_hash(frame, spec.key, constants).alias("_h")
        data = frame.drop(list(constants)).with_columns(hashes).to_arrow(compat_level=CompatLevel.newest())
        repeats = hashes.n_unique() < frame.height
        out.append(PreparedBatch(b.table, frame.height, nulls, hashes, constants, data, repeats))
    return out


def frame_fits(spec: TableSpec, frame: pl.DataFrame) -> bool:
    """True when ``frame`` has exactly the spec's columns, in order, with its dtypes (conforming changes nothing)."""
    return list(frame.schema.items()) == list(spec.columns.items())


def _constant_text(frame: pl.DataFrame) -> dict[str, str]:
    """Text columns holding one non-null value on every row, with that value."""
    out: dict[str, str] = {}
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            column = frame.get_column(name)
            first = column[0]
            if first is not None and column.null_count() == 0 and bool((column == first).all()):
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
