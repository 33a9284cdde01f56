"""Parquet files read as the CSV format with the same columns.

A Parquet file has column names and types but no text: ``sources.base.detect`` sniffs
its column names as a CSV header, and :func:`normalize` turns its columns into the few
types the :class:`~cryptodesk.sources.files._table.CsvTable` accessors know, so the
format's own table code parses it (same canonical records, checks and errors as the CSV):

* names are lower-cased and stripped, like a CSV header;
* integer columns become ``Int64``, float and decimal columns ``Float64``;
* ``Date`` and ``Datetime`` columns become UTC datetimes (a naive datetime is UTC, a
  date is its midnight UTC), read where the CSV has a date or time string or a unix time;
* text (and anything else Polars can cast to text, e.g. booleans) becomes ``String``.

There is no text to fall back to: a bad cell is a :class:`~cryptodesk.core.errors.ParseError`
naming the 1-based data row and the column.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cryptodesk.core.errors import ParseError
from cryptodesk.core.models import UTC_TS


def _convert(s: pl.Series, path: Path) -> pl.Series:
    dtype = s.dtype
    try:
        if dtype in (pl.String, pl.Int64, pl.Float64):
            return s
        if dtype.is_integer():
            return s.cast(pl.Int64)
        if dtype.is_float() or dtype.is_decimal():
            return s.cast(pl.Float64)
        if dtype == pl.Date:
            return s.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        if isinstance(dtype, pl.Datetime):
            utc = s.dt.replace_time_zone("UTC") if dtype.time_zone is None else s.dt.convert_time_zone("UTC")
            return utc.cast(UTC_TS)
        return s.cast(pl.String)
    except pl.exceptions.PolarsError as e:
        what = f"a column of {dtype} values cannot be read as numbers, times or text"
        raise ParseError(path, what, column=s.name) from e


def normalize(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """``frame`` with header-like names and accessor types (module docstring)."""
    names = [c.strip().lower() for c in frame.columns]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ParseError(path, "two columns have this name (names are compared in lower case)", column=name)
    return pl.DataFrame([_convert(s, path).alias(n) for s, n in zip(frame.get_columns(), names, strict=True)])


def is_temporal(s: pl.Series) -> bool:
    """True for a column :func:`normalize` made a UTC datetime."""
    return s.dtype == UTC_TS


def integer_width(s: pl.Series) -> int | None:
    """``w`` when every value of an integer column is a positive ``w``-digit number (as text it is ``w`` digits)."""
    if not s.len() or s.null_count():
        return None
    low, high = s.min(), s.max()
    if not isinstance(low, int) or not isinstance(high, int) or low < 1:
        return None
    w = len(str(low))
    return w if len(str(high)) == w and w < 19 else None


def as_text(s: pl.Series) -> pl.Series:
    """A column as the text a CSV would hold: whole floats without ``.0`` (a unix time stored as a float)."""
    if s.dtype == pl.String:
        return s
    if s.dtype == pl.Float64:
        whole = integral(s)
        return pl.select(pl.coalesce(whole.cast(pl.String), s.cast(pl.String))).to_series().alias(s.name)
    return s.cast(pl.String)


def integral(s: pl.Series) -> pl.Series:
    """A float column as Int64 where its values are whole numbers, null elsewhere."""
    whole = s.is_finite() & (s == s.floor()) & (s.abs() < 2.0**63)
    return pl.select(pl.when(whole).then(s).otherwise(None).cast(pl.Int64, strict=False)).to_series().alias(s.name)
