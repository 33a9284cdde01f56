"""Shared CSV machinery for the file formats: header checks, typed columns and line-numbered errors.

Every CSV format reads its content with Polars as text columns (so nothing is
guessed), checks the header, then converts the columns it needs with
:class:`CsvTable`. A conversion that fails names the 1-based file line (the header
is line 1) and the column of the FIRST bad row, and nothing is returned.
Polars keeps blank lines as all-null rows, so row ``i`` is file line ``i + 2``
(``i + 1`` without a header).

The big formats first try :meth:`CsvTable.typed`: Polars' typed, multi-threaded reader
with the file's exact column layout (numbers parsed as they are read). Such a table is
*strict*: the first check that would fail (a missing value, a junk cell, a duplicate)
raises :class:`Declined` instead of an error, and the format then parses the file the
text way, which words the error. A typed read accepts exactly what the text path
accepts (the same tokenizer splits the rows; Polars' float and integer parsers accept
the same numbers as its string casts, and cells the typed reader cannot parse, such
as numbers with trailing blanks, make it decline), so a file that passes is parsed to
the same values either way (``tests/sources/files/test_typed_csv.py``).

A Parquet file with a CSV format's columns is a :meth:`CsvTable.from_frame` table
(``_parquet``): its accessors read the typed columns as they are, and an error names
the 1-based data row instead of the file line. Formats that parse from a table derive
:class:`TableFormat`, which reads such files with the same :meth:`TableFormat.parse_table`.
"""

from __future__ import annotations

import csv
import io
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import polars as pl

from cryptodesk.core.errors import ParseError
from cryptodesk.core.models import TABLES, UTC_TS, Batch
from cryptodesk.sources.base import FileFormat, ParseContext
from cryptodesk.sources.files._parquet import as_text, integer_width, integral, is_temporal, normalize

EpochUnit = Literal["s", "ms", "us"]


def first_line(head: str) -> str:
    """The first non-blank line of ``head``."""
    for line in head.splitlines():
        if line.strip():
            return line
    return ""


def split_line(line: str) -> list[str]:
    """A CSV line split into stripped fields (quotes honoured)."""
    try:
        row = next(csv.reader([line]), [])
    except csv.Error:
        return []
    return [c.strip() for c in row]


def header_fields(head: str) -> list[str]:
    """The header of ``head`` as lower-case stripped names."""
    return [c.lower() for c in split_line(first_line(head))]


class Declined(Exception):  # noqa: N818 - a signal, not an error
    """A strict (typed) :class:`CsvTable` met a row it cannot vouch for: parse the file the text way."""


BOM = b"\xef\xbb\xbf"


def _ragged_line(text: str, width: int, offset: int) -> int | None:
    """The file line of the first row with more than ``width`` fields (error path only)."""
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if n > offset and len(row) > width:
            return n
    return None


class CsvTable:
    """A CSV file read as text columns, with typed accessors that fail on the first bad row."""

    def __init__(self, data: bytes, path: Path, *, names: Sequence[str] | None = None) -> None:
        """Read ``data``; with ``names`` the file has no header and the columns get these names."""
        self.path = path
        self.offset = 1 if names is None else 0
        text = data.decode("utf-8-sig", errors="replace")
        try:
            frame = pl.read_csv(
                io.StringIO(text),
                has_header=names is None,
                new_columns=list(names) if names is not None else None,
                infer_schema=False,
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError as e:
            width = len(names) if names is not None else len(split_line(first_line(text)))
            line = _ragged_line(text, width, self.offset)
            if line is not None:
                raise ParseError(path, f"expected {width} fields, found more", line=line) from e
            raise ParseError(path, f"not a readable CSV file ({str(e).splitlines()[0]})") from e
        if names is None:
            frame = frame.rename({c: c.strip().lower() for c in frame.columns})
        self.frame = frame
        self.strict = False
        self.rows = False
        self._pending: list[tuple[int, int, ParseError]] | None = None
        self._texts: dict[str, pl.Series] = {}
        """text() of a column, kept until rows are dropped (formats read some columns twice)."""
        self._ints: dict[str, tuple[int, pl.Series]] = {}
        """digits() of a column: its width and integers, kept until rows are dropped."""

    @classmethod
    def typed(cls, data: bytes, path: Path, schema: Mapping[str, pl.DataType], *, header: bool) -> CsvTable | None:
        """A strict table read with Polars' typed reader, or None when the content does not read that way.

        ``schema`` is the file's every column in order (lower-case names; ``pl.String`` for
        columns the text checks must see as text). With ``header`` the first line must be
        exactly these names (any case, blanks around them allowed). None for anything
        else: another header, a cell that does not parse, a row with more fields.
        """
        if data[:3] == BOM:
            data = data[3:]
        if header:
            first = data[: data.find(b"\n")] if b"\n" in data else data
            line = first.decode("utf-8", errors="replace").rstrip("\r")
            if [c.lower() for c in split_line(line)] != list(schema):
                return None
        try:
            frame = pl.read_csv(
                data, has_header=False, skip_rows=1 if header else 0, schema=dict(schema), raise_if_empty=False
            )
        except (pl.exceptions.PolarsError, ValueError):
            return None
        return cls._of(frame, path, 1 if header else 0, strict=True)

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, path: Path) -> CsvTable:
        """A table of a Parquet file's columns (``_parquet.normalize``); errors name the 1-based data row."""
        return cls._of(normalize(frame, path), path, 0, rows=True)

    @classmethod
    def _of(cls, frame: pl.DataFrame, path: Path, offset: int, *, strict: bool = False, rows: bool = False) -> CsvTable:
        """A table of ``frame`` as it is (no read)."""
        table = cls.__new__(cls)
        table.path, table.offset, table.frame = path, offset, frame
        table.strict, table.rows = strict, rows
        table._pending = None
        table._texts = {}
        table._ints = {}
        return table

    @contextmanager
    def checks(self) -> Iterator[None]:
        """Collect the conversion errors of the block and raise the one of the earliest row.

        Inside the block a failed conversion returns its column with nulls instead of
        raising; on leaving, the error of the first bad row (left-most column on
        that row) is raised, so the message is the same whatever order columns are read in.
        """
        self._pending = []
        try:
            yield
        finally:
            pending, self._pending = self._pending, None
        if pending:
            raise min(pending, key=lambda p: (p[0], p[1]))[2]

    def __len__(self) -> int:
        """The number of (kept) data rows."""
        return self.frame.height

    def line(self, idx: int) -> int:
        """The 1-based file line of row ``idx`` (the 1-based data row of a Parquet table)."""
        return idx + 1 + self.offset

    def where(self, idx: int) -> str:
        """``line N`` (``row N`` for a Parquet table) of row ``idx``, for messages."""
        return f"{'row' if self.rows else 'line'} {self.line(idx)}"

    def fail(self, idx: int, column: str | None, what: str) -> ParseError:
        """A ParseError for row ``idx`` (to be raised by the caller); a strict table raises :class:`Declined`."""
        if self.strict:
            raise Declined(what)
        if self.rows:
            return ParseError(self.path, what, row=self.line(idx), column=column)
        return ParseError(self.path, what, line=self.line(idx), column=column)

    def temporal(self, column: str) -> bool:
        """True when ``column`` holds datetimes (a Parquet date or timestamp column), not text."""
        return is_temporal(self.frame.get_column(column))

    def require(self, columns: Sequence[str], expected: str) -> None:
        """Raise naming the first missing column and the expected header."""
        for col in columns:
            if col not in self.frame.columns:
                self._refuse(f"missing column {col!r}; expected a header like {expected!r}")
        if self.frame.height == 0:
            self._refuse("the file has no data rows" if self.rows else "the file has a header but no data rows")

    def _refuse(self, what: str) -> None:
        if self.strict:
            raise Declined(what)
        raise ParseError(self.path, what)

    def drop(self, mask: pl.Series) -> None:
        """Remove the rows where ``mask`` is true; errors still name the original file lines."""
        if "__row" not in self.frame.columns:
            self.frame = self.frame.with_row_index("__row")
        self.frame = self.frame.filter(~mask)
        self._texts.clear()
        self._ints.clear()

    def drop_blank(self) -> CsvTable:
        """Remove rows whose fields are all empty (lines like ``,,,,,`` or blank lines)."""
        typed = [c for c, dtype in self.frame.schema.items() if dtype != pl.String and c != "__row"]
        if any(self.frame.get_column(c).null_count() == 0 for c in typed):
            return self  # a typed column filled on every row: no row is blank
        blank = pl.all_horizontal(
            [
                pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") if dtype == pl.String else pl.col(c).is_null()
                for c, dtype in self.frame.schema.items()
                if c != "__row"
            ]
        )
        self.drop(self.frame.select(blank).to_series())
        return self

    def row_of(self, pos: int) -> int:
        if "__row" in self.frame.columns:
            return int(self.frame.get_column("__row")[pos])
        return pos

    def flag(self, bad: pl.Series, column: str, what: str) -> None:
        """Fail on the first row where ``bad`` is true: "expected {what}, got {the cell}"."""
        if bad.any():
            pos = int(bad.arg_max() or 0)
            raw = self.frame.get_column(column)[pos]
            got = "nothing" if raw is None or not str(raw).strip() else repr(str(raw))
            err = self.fail(self.row_of(pos), column, f"expected {what}, got {got}")
            if self._pending is None:
                raise err
            self._pending.append((self.row_of(pos), self.frame.columns.index(column), err))

    def text(self, column: str, *, required: bool = True) -> pl.Series:
        """The stripped text of a column; empty cells are null (an error when ``required``)."""
        s = self._texts.get(column)
        if s is None:
            s = as_text(self.frame.get_column(column)).str.strip_chars()
            s = pl.select(pl.when(s == "").then(None).otherwise(s)).to_series().alias(column)
            self._texts[column] = s
        if required:
            self.flag(s.is_null(), column, "a value")
        return s

    def number(self, column: str, *, required: bool = True, what: str = "a number") -> pl.Series:
        """A column as Float64; empty cells are null (an error when ``required``), junk is an error."""
        if self.frame.schema[column] == pl.Float64:  # typed read: the reader parsed it, junk declined the read
            val = self.frame.get_column(column)
            nan = val.is_nan()
            if required:
                self.flag(val.is_null() | nan, column, what)
            return val.fill_nan(None).alias(column) if nan.any() else val.alias(column)
        if self.frame.schema[column] == pl.Int64:  # Parquet integers
            val = self.frame.get_column(column).cast(pl.Float64)
            if required:
                self.flag(val.is_null(), column, what)
            return val.alias(column)
        raw = self.text(column, required=False)
        val = raw.cast(pl.Float64, strict=False)
        bad = val.is_null() & raw.is_not_null()
        if required:
            bad = bad | raw.is_null() | val.is_nan()
        self.flag(bad, column, what)
        return val.fill_nan(None).alias(column)

    def digits(self, column: str) -> int | None:
        """``w`` when every cell of text ``column`` is a plain ``w``-digit integer (no sign, blank or leading zero).

        Such cells are their own stripped text, ``w`` characters long, so a format that checks text widths can
        take ``w`` as every row's width; :meth:`epoch` then reuses the integers.
        """
        if column in self._ints:
            return self._ints[column][0]
        raw = self.frame.get_column(column)
        found: tuple[int, pl.Series] | None = None
        if raw.dtype == pl.Int64:  # Parquet integers: the digits of their text (epoch() reads the column itself)
            return integer_width(raw)
        if raw.dtype == pl.Float64:
            return integer_width(integral(raw))
        if raw.dtype == pl.String and raw.len() and raw.null_count() == 0:
            width = raw.str.len_bytes()
            w = width.min()
            if isinstance(w, int) and w == width.max() and 0 < w < 19:
                val = raw.cast(pl.Int64, strict=False)
                low = val.min()
                if val.null_count() == 0 and isinstance(low, int) and low >= 10 ** (w - 1):
                    found = (w, val)
        if found is None:
            return None
        self._ints[column] = found
        return found[0]

    def epoch(self, column: str, unit: EpochUnit = "ms") -> pl.Series:
        """A column of integer epoch times (``ms``, ``us`` or ``s``) as UTC datetimes.

        A Parquet table's datetime column is taken as it is, a float column where its values are whole.
        """
        dtype = self.frame.schema[column]
        if dtype == UTC_TS:
            val = self.frame.get_column(column)
            self.flag(val.is_null(), column, "a date/time")
            return val.alias(column)
        if dtype == pl.Int64:  # typed read
            val = self.frame.get_column(column)
        elif dtype == pl.Float64:
            val = integral(self.frame.get_column(column))
        elif column in self._ints:
            val = self._ints[column][1]
        else:
            val = self.text(column, required=False).cast(pl.Int64, strict=False)
        self.flag(val.is_null(), column, f"an integer unix time in {unit}")
        return pl.from_epoch(val, time_unit=unit).dt.replace_time_zone("UTC").cast(UTC_TS).alias(column)

    def datetime(self, column: str, formats: Sequence[str], *, what: str, strip_utc: bool = False) -> pl.Series:
        """A column of date/times in any of ``formats`` (tried in order) as UTC datetimes.

        Formats with ``%z``/``%#z`` read the offset and convert to UTC; the others are UTC already.
        A Parquet table's datetime column is taken as it is.
        """
        if self.temporal(column):
            val = self.frame.get_column(column)
            self.flag(val.is_null(), column, what)
            return val.alias(column)
        raw = self.text(column, required=False)
        if strip_utc:
            raw = raw.str.replace(r"(?i)\s*(UTC|Z)$", "")
        parsed = []
        for f in formats:
            if "%z" in f or "%#z" in f or "%:z" in f:
                parsed.append(raw.str.strptime(UTC_TS, f, strict=False))
            else:
                parsed.append(raw.str.strptime(pl.Datetime("us"), f, strict=False).dt.replace_time_zone("UTC"))
        val = pl.select(pl.coalesce(parsed)).to_series()
        self.flag(val.is_null(), column, what)
        return val.alias(column)

    def mostly_integer(self, column: str) -> bool:
        """True when most non-empty cells of ``column`` are integers (unix times rather than dates).

        Deciding by majority lets the parse that follows name the odd rows out.
        """
        dtype = self.frame.schema[column]
        if dtype == pl.Int64:
            return self.frame.height > self.frame.get_column(column).null_count()
        if dtype != pl.String:
            return False
        raw = self.text(column, required=False).drop_nulls()
        return raw.len() > 0 and int(raw.str.contains(r"^-?\d+$").sum()) * 2 >= raw.len()


class TableFormat(FileFormat):
    """A CSV format parsed from a :class:`CsvTable`; it reads Parquet files with the same columns too."""

    @abstractmethod
    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """Transform a table of the file's columns (CSV text or Parquet) into canonical batches."""

    def parse_frame(self, frame: pl.DataFrame, ctx: ParseContext) -> list[Batch]:
        """A Parquet file: the table of its columns, parsed as the CSV would be."""
        return self.parse_table(CsvTable.from_frame(frame, ctx.path), ctx)


def batch(table: str, frame: pl.DataFrame, source: str, *, distinct: bool = False) -> Batch:
    """A Batch conformed to ``table``'s schema with ``source`` set (``distinct``: see :class:`Batch`)."""
    spec = TABLES[table]
    return Batch(table, spec.conform(frame.with_columns(pl.lit(source).alias("source"))), distinct=distinct)


def null_if_zero(s: pl.Series) -> pl.Series:
    """Zero means 'unknown' for provider market caps and supplies: map it to null."""
    return pl.select(pl.when(s == 0).then(None).otherwise(s).alias(s.name)).to_series()


def _strictly_increasing(s: pl.Series) -> bool:
    """True when ``s`` has no null and each value is greater than the one before (so no value repeats)."""
    if s.null_count() or not s.is_sorted():
        return False
    return not bool((s.slice(1) == s.slice(0, s.len() - 1)).any())


def check_unique(frame: pl.DataFrame, keys: Sequence[str], path: Path, table: CsvTable | None = None) -> None:
    """Raise on the first row that repeats an earlier row's key."""
    if len(keys) == 1 and _strictly_increasing(frame.get_column(keys[0])):
        return
    if frame.select(keys).hash_rows().n_unique() == frame.height:
        return  # distinct hashes: distinct keys (equal hashes are checked exactly below)
    dup = frame.select(pl.struct(list(keys)).is_first_distinct().not_()).to_series()
    if dup.any():
        pos = int(dup.arg_max() or 0)
        desc = ", ".join(f"{k}={frame.get_column(k)[pos]}" for k in keys)
        if table is not None:
            raise table.fail(table.row_of(pos), None, f"duplicate row for {desc}")
        raise ParseError(path, f"duplicate entry for {desc} (entry {pos + 1})")
