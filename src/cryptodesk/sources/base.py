"""The source contracts.

A source is *query -> extract -> transform into canonical records*. For files
the query is the path, extraction reads the bytes (``.gz`` transparently) and
``FileFormat.parse`` transforms them into :class:`~cryptodesk.core.models.Batch`
frames in the canonical schemas. A Parquet file (``PAR1`` magic) is read into a
frame and detected by its column names as if they were a CSV header; the format's
``parse_frame`` parses it with the CSV's code (``sources/files/_parquet.py``).
The base class owns what every format shares: reading, format sniffing, schema
conformance and validation (keys present, prices finite and positive, timestamps
UTC). Formats only know their own shape.

Network sources (CoinGecko, CCXT, websockets) follow the same contract in
``cryptodesk.sources.http`` with retries and rate limits owned by the base.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import polars as pl

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.errors import ParseError, UnknownFormatError
from cryptodesk.core.models import TABLES, Batch

SNIFF_BYTES = 16_384
PARQUET_MAGIC = b"PAR1"


@dataclass
class ParseContext:
    """What a format may use while parsing one file."""

    path: Path
    registry: AssetRegistry
    asset_hint: str | None = None
    """A canonical asset id given by the user (``import --asset``) or derived from the
    file name for formats whose content does not name the asset (CoinGecko exports)."""
    warnings: list[str] = field(default_factory=list)


class FileFormat(ABC):
    """One downloadable file format.

    Subclasses set ``name``, ``description``, ``source`` and ``tables`` and
    implement ``sniff`` (does this content look like my format?) and ``parse``.
    ``parse`` raises :class:`ParseError` naming the line and column of the first
    bad row; it never returns partial data.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    source: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    priority: ClassVar[int] = 100
    """Lower sniffs first (for formats whose signature is a superset of another's)."""

    @abstractmethod
    def sniff(self, head: str) -> bool:
        """True if the first bytes of the (decompressed) content are in this format."""

    @abstractmethod
    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """Transform the whole (decompressed) content into canonical batches."""

    def parse_frame(self, frame: pl.DataFrame, ctx: ParseContext) -> list[Batch]:  # noqa: ARG002 - for overriding
        """Transform a Parquet file's columns (names as in the CSV header) into canonical batches.

        Formats that can read Parquet override this (``sources/files/_table.TableFormat``).
        """
        raise UnknownFormatError(f"{ctx.path}: the {self.name} format is not read from Parquet files")

    @property
    def reads_parquet(self) -> bool:
        """True when the format overrides :meth:`parse_frame`."""
        return type(self).parse_frame is not FileFormat.parse_frame

    def load(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """Parse and validate; the only entry point the desk calls."""
        parquet = is_parquet(data)
        batches = self.parse_frame(read_parquet(data, ctx.path), ctx) if parquet else self.parse(data, ctx)
        return [validate_batch(b, ctx.path, self.source) for b in batches]


def read_bytes(path: Path) -> bytes:
    """The file's content, gunzipped when it is gzip (by magic number, not by name)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ParseError(path, f"cannot read file: {e.strerror or e}") from e
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ParseError(path, f"corrupt gzip data: {e}") from e
    return raw


def is_parquet(data: bytes) -> bool:
    """True when ``data`` starts with the Parquet magic number (by content, not by name)."""
    return data[:4] == PARQUET_MAGIC


def _parquet_error(path: Path, e: Exception) -> ParseError:
    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
    return ParseError(path, f"not a readable Parquet file ({first})")


def parquet_columns(data: bytes, path: Path) -> list[str]:
    """The column names of a Parquet file (its footer only)."""
    try:
        return list(pl.read_parquet_schema(io.BytesIO(data)))
    except (pl.exceptions.PolarsError, OSError, ValueError) as e:
        raise _parquet_error(path, e) from e


def read_parquet(data: bytes, path: Path) -> pl.DataFrame:
    """The whole Parquet file as a frame (column names and types as stored)."""
    try:
        return pl.read_parquet(io.BytesIO(data))
    except (pl.exceptions.PolarsError, OSError, ValueError) as e:
        raise _parquet_error(path, e) from e


def header_line(columns: list[str]) -> str:
    """Column names as the CSV header line a format's ``sniff`` reads (quoted where needed)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([c.strip() for c in columns])
    return buf.getvalue()


def head_text(data: bytes) -> str:
    """The first bytes as text, for sniffing (BOM stripped, undecodable bytes replaced)."""
    return data[:SNIFF_BYTES].decode("utf-8-sig", errors="replace").lstrip("\ufeff")


def detect(formats: list[FileFormat], data: bytes, path: Path) -> FileFormat:
    """The one format whose ``sniff`` accepts the content, or UnknownFormatError.

    A Parquet file is sniffed by its column names as a header line, among the formats that read Parquet.
    """
    if is_parquet(data):
        columns = parquet_columns(data, path)
        head = header_line(columns)
        for fmt in sorted(formats, key=lambda f: f.priority):
            if fmt.reads_parquet and fmt.sniff(head):
                return fmt
        raise UnknownFormatError(
            f"{path}: the Parquet file's columns match no supported format (columns: {', '.join(columns) or 'none'})"
        )
    head = head_text(data)
    if not head.strip():
        raise UnknownFormatError(f"{path}: the file is empty")
    for fmt in sorted(formats, key=lambda f: f.priority):
        if fmt.sniff(head):
            return fmt
    if head.lstrip()[:1] in ("{", "["):
        _raise_if_invalid_json(data, path)
    first = head.splitlines()[0][:120] if head.splitlines() else head[:120]
    raise UnknownFormatError(f"{path}: content matches no supported format (first line: {first!r})")


def _raise_if_invalid_json(data: bytes, path: Path) -> None:
    """A JSON-looking file that does not parse gets the decoder's line and column, not 'unknown format'."""
    try:
        json.loads(data)
    except UnicodeDecodeError as e:
        raise ParseError(path, f"invalid JSON: not UTF-8 text ({e.reason})") from e
    except json.JSONDecodeError as e:
        raise ParseError(path, f"invalid JSON: {e.msg} (column {e.colno})", line=e.lineno) from e


def _finite_non_negative(s: pl.Series) -> bool:
    """True when every non-null value of a float column is finite and >= 0 (two aggregates, no mask)."""
    if s.null_count() == s.len():
        return True
    low, high = s.min(), s.max()
    return isinstance(low, float) and isinstance(high, float) and low >= 0 and high < math.inf and not s.is_nan().any()


def validate_batch(batch: Batch, path: Path, source: str) -> Batch:
    """Conform a batch to its table schema and check keys and values.

    Sets ``source`` where the format left it empty. Rows are checked for null
    keys and for non-finite or negative prices; the error names the first bad row
    by its 0-based index in the batch, so formats should validate line numbers
    themselves where they can.
    """
    spec = TABLES[batch.table]
    frame = batch.frame
    if "source" not in frame.columns:
        frame = frame.with_columns(pl.lit(source).alias("source"))
    if list(frame.schema.items()) != list(spec.columns.items()):  # formats' batch() frames are conformed already
        frame = spec.conform(frame)
    # expressions, not get_column: a column set to one value (the source) stays one value instead of a column of it
    distinct = batch.distinct
    if frame.select(pl.col("source").null_count()).item():
        frame = frame.with_columns(pl.col("source").fill_null(source))
        distinct = False  # the producer's check did not see these keys
    nulls = frame.select(pl.col(key).null_count() for key in spec.key).row(0)
    for key, count in zip(spec.key, nulls, strict=True):
        if count:
            idx = int(frame.select(pl.col(key).is_null().arg_max()).item() or 0)
            raise ParseError(path, f"row {idx + 1} of {batch.table} has no {key}", column=key)
    for col in ("open", "high", "low", "close", "price"):
        if col in frame.columns:
            s = frame.get_column(col)
            if _finite_non_negative(s):
                continue
            bad = s.is_not_null() & (s.is_nan() | s.is_infinite() | (s < 0))
            if bad.any():
                idx = int(bad.arg_max() or 0)
                raise ParseError(path, f"row {idx + 1}: {col} must be a finite number >= 0", column=col)
    return Batch(batch.table, frame, distinct=distinct)
