"""The lake: the store's canonical tables as a Hive-partitioned Parquet dataset (export and import).

Layout (stable, version :data:`LAKE_VERSION`; documented in docs/spark.md)::

    DIR/_cryptodesk_lake.json                      marker + manifest (written last)
    DIR/table=assets/part-0.parquet
    DIR/table=candles/interval=1d/month=2023-01/part-0.parquet
    DIR/table=snapshots/month=2023-01/part-0.parquet
    DIR/table=<other canonical table>/month=YYYY-MM/part-0.parquet
    DIR/table=feed_coverage/part-0.parquet         bookkeeping: when live liquidation feeds were connected

Each table holds its :class:`~cryptodesk.core.models.TableSpec` columns (the store's
``run_id`` is not exported). ``month`` is the UTC calendar month (``YYYY-MM``) of
the table's time column (``open_time`` for candles, ``ts`` otherwise): a month, not a
day, because one folder per day makes thousands of tiny files that Spark spends
longer listing than reading (docs/spark.md). Partition columns live in the folder
names only (Hive style), so readers must use Hive partition discovery (Spark, DuckDB
``hive_partitioning``, pyarrow ``partitioning="hive"`` all do). Rows are sorted by
partition then key, so an unchanged store exports the same bytes.

``DIR`` is a local folder or a URI that pyarrow's file systems understand
(``s3://``, ``gs://``, ``hdfs://``, ``file://``; any fsspec protocol when fsspec is
installed). Importing a lake goes through :meth:`Store.ingest` with the tables' keys,
so importing the same lake twice changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from cryptodesk.core.errors import ConfigError, InputError
from cryptodesk.core.models import TABLES, UTC_TS, Batch
from cryptodesk.core.timeutil import utc_now
from cryptodesk.store._lake_marker import LAKE_MARKER
from cryptodesk.store._sql import q, qlist, scalar
from cryptodesk.store.db import FileRecord, IngestResult, Store

LAKE_FORMAT: Final = "cryptodesk-lake"
LAKE_VERSION: Final = 1
COVERAGE_TABLE: Final = "feed_coverage"
COVERAGE_COLUMNS: Final[dict[str, pl.DataType]] = {
    "exchange": pl.Utf8(),
    "feed": pl.Utf8(),
    "start": UTC_TS,
    "end": UTC_TS,
}


@dataclass(frozen=True)
class LakeTable:
    """How one table is laid out: its time column (source of ``month``) and its partition columns, in order."""

    name: str
    time_column: str | None
    partition_by: tuple[str, ...]

    @property
    def columns(self) -> dict[str, pl.DataType]:
        """The table's columns (canonical spec, or the coverage bookkeeping columns)."""
        return dict(COVERAGE_COLUMNS) if self.name == COVERAGE_TABLE else dict(TABLES[self.name].columns)

    @property
    def key(self) -> tuple[str, ...]:
        """Sort key of the exported rows (the table's natural key)."""
        return ("exchange", "feed", "start") if self.name == COVERAGE_TABLE else TABLES[self.name].key

    def partition_schema(self) -> pa.Schema:
        """Arrow types of the partition columns (all strings: ``interval`` and ``month``)."""
        return pa.schema([(c, pa.string()) for c in self.partition_by])


LAYOUT: Final[dict[str, LakeTable]] = {
    "assets": LakeTable("assets", None, ()),
    "candles": LakeTable("candles", "open_time", ("interval", "month")),
    "snapshots": LakeTable("snapshots", "ts", ("month",)),
    "global_metrics": LakeTable("global_metrics", "ts", ("month",)),
    "liquidations": LakeTable("liquidations", "ts", ("month",)),
    "liquidations_agg": LakeTable("liquidations_agg", "ts", ("month",)),
    "calendar_events": LakeTable("calendar_events", "ts", ("month",)),
    COVERAGE_TABLE: LakeTable(COVERAGE_TABLE, None, ()),
}
"""Every table of the lake. The canonical tables are those of ``core.models.TABLES``."""


@dataclass(frozen=True)
class LakeLocation:
    """A resolved lake root: the Arrow file system and the path inside it (no trailing slash)."""

    fs: pafs.FileSystem
    path: str
    uri: str

    def table_path(self, table: str) -> str:
        """Folder of one table (``<root>/table=<name>``)."""
        return f"{self.path}/table={table}"


def locate(root: str | Path) -> LakeLocation:
    """Resolve a local folder or a URI to a file system and path (ConfigError naming DIR when unsupported)."""
    text = str(root)
    if "://" not in text:
        local = Path(text).expanduser().resolve()
        return LakeLocation(pafs.LocalFileSystem(), local.as_posix(), local.as_posix())
    scheme, rest = text.split("://", 1)
    if scheme in ("s3a", "s3n"):  # Hadoop's names for S3: the same objects as s3://
        text = f"s3://{rest}"
    try:
        fs, path = pafs.FileSystem.from_uri(text)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as e:
        fs, path = _fsspec(text, e)
    except OSError as e:  # the file system exists but the location cannot be reached
        raise ConfigError(f"DIR: cannot open {root}: {str(e).splitlines()[0]}", parameter="DIR") from e
    return LakeLocation(fs, path.rstrip("/"), str(root).rstrip("/"))


def _fsspec(uri: str, cause: Exception) -> tuple[pafs.FileSystem, str]:
    """A file system for ``uri`` through fsspec (when installed), else a ConfigError."""
    try:
        fsspec = importlib.import_module("fsspec")
    except ImportError:
        raise ConfigError(
            f"DIR: {uri!r}: Arrow cannot open this URI ({cause}) and fsspec is not installed", parameter="DIR"
        ) from cause
    fs, path = fsspec.core.url_to_fs(uri)
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), str(path)


# ---------------------------------------------------------------------------------------------- export
def select_sql(table: LakeTable) -> str:
    """The query exporting one table: its columns, the derived ``month``, sorted by partition then key."""
    cols = qlist(table.columns)
    derived = f", strftime({q(table.time_column)}, '%Y-%m') AS month" if table.time_column else ""
    order = qlist([*table.partition_by, *table.key]) if table.partition_by else qlist(table.key)
    source = q(table.name)
    if table.name == COVERAGE_TABLE:
        return f"SELECT {cols} FROM {source} ORDER BY {order}"
    return f"SELECT {cols}{derived} FROM {source} ORDER BY {order}"


def export_lake(store: Store, root: str | Path) -> dict[str, Any]:
    """Write every table of ``store`` under ``root`` in the lake layout; return the manifest written.

    ``root`` must be empty, missing or an earlier lake (whose tables are replaced).
    The marker is written last, so a lake without it is an interrupted export.
    """
    loc = locate(root)
    _prepare_root(loc)
    tables: dict[str, Any] = {}
    with store._lock:  # same package: the store's own lock guards its connection
        con = store.con
        for name, table in LAYOUT.items():
            rows = int(scalar(con, f"SELECT count(*) FROM {q(name)}"))
            if rows:
                reader = con.sql(select_sql(table)).to_arrow_reader(batch_size=1_000_000)
                _write_table(loc, table, reader)
            tables[name] = {
                "rows": rows,
                "partition_by": list(table.partition_by),
                "time_column": table.time_column,
                "key": list(table.key),
                "columns": {c: str(t) for c, t in table.columns.items()},
            }
    manifest = {
        "format": LAKE_FORMAT,
        "version": LAKE_VERSION,
        "exported_at": utc_now().isoformat(),
        "store": store.path,
        "tables": tables,
    }
    with loc.fs.open_output_stream(f"{loc.path}/{LAKE_MARKER}") as f:
        f.write(json.dumps(manifest, indent=2, sort_keys=True).encode())
    return manifest


def _prepare_root(loc: LakeLocation) -> None:
    """Create ``loc`` or clear an earlier lake's tables; refuse a non-empty folder that is not a lake."""
    info = loc.fs.get_file_info(loc.path)
    if info.type == pafs.FileType.NotFound:
        loc.fs.create_dir(loc.path, recursive=True)
        return
    if info.type != pafs.FileType.Directory:
        raise ConfigError(f"DIR: {loc.uri} exists and is not a folder", parameter="DIR")
    entries = loc.fs.get_file_info(pafs.FileSelector(loc.path))
    if not entries:
        return
    if not any(e.base_name == LAKE_MARKER for e in entries):
        raise ConfigError(
            f"DIR: {loc.uri} is not empty and is not a cryptodesk lake (no {LAKE_MARKER}); choose an empty folder",
            parameter="DIR",
        )
    loc.fs.delete_file(f"{loc.path}/{LAKE_MARKER}")
    for e in entries:
        if e.type == pafs.FileType.Directory and e.base_name.startswith("table="):
            loc.fs.delete_dir(e.path)


def _write_table(loc: LakeLocation, table: LakeTable, reader: pa.RecordBatchReader) -> None:
    """Write one table's sorted batches as Hive partitions (one file per partition)."""
    partitioning = ds.partitioning(table.partition_schema(), flavor="hive") if table.partition_by else None
    ds.write_dataset(
        reader,
        loc.table_path(table.name),
        filesystem=loc.fs,
        format="parquet",
        partitioning=partitioning,
        basename_template="part-{i}.parquet",
        existing_data_behavior="overwrite_or_ignore",
        max_partitions=1_000_000,
        max_open_files=256,
        max_rows_per_group=1_000_000,
    )


# ---------------------------------------------------------------------------------------------- import
def is_lake(root: str | Path) -> bool:
    """True when ``root`` is a folder holding the lake marker (the way ``import`` routes a lake folder)."""
    try:
        loc = locate(root)
    except ConfigError:
        return False
    kind: pafs.FileType = loc.fs.get_file_info(f"{loc.path}/{LAKE_MARKER}").type
    return bool(kind == pafs.FileType.File)


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The lake's manifest; InputError when the marker is missing, unreadable or of another format/version."""
    loc = locate(root)
    marker = f"{loc.path}/{LAKE_MARKER}"
    try:
        with loc.fs.open_input_stream(marker) as f:
            raw = f.read()
    except (FileNotFoundError, OSError) as e:
        raise InputError(f"{loc.uri}: not a cryptodesk lake (no {LAKE_MARKER})") from e
    try:
        manifest = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InputError(f"{marker}: line {e.lineno}: invalid JSON in the lake marker ({e.msg})") from e
    if not isinstance(manifest, dict) or manifest.get("format") != LAKE_FORMAT:
        raise InputError(f"{marker}: format: expected {LAKE_FORMAT!r}")
    if manifest.get("version") != LAKE_VERSION:
        raise InputError(f"{marker}: version: expected {LAKE_VERSION}, got {manifest.get('version')!r}")
    manifest["_sha256"] = hashlib.sha256(raw).hexdigest()
    return manifest


def read_table(root: str | Path, name: str) -> pl.DataFrame:
    """One lake table as a Polars frame with its canonical columns (partition columns restored, ``month`` dropped)."""
    if name not in LAYOUT:
        raise ConfigError(f"table: unknown lake table {name!r}; expected one of {', '.join(LAYOUT)}", parameter="table")
    table = LAYOUT[name]
    loc = locate(root)
    schema = table.columns
    if loc.fs.get_file_info(loc.table_path(name)).type != pafs.FileType.Directory:
        return pl.DataFrame(schema=schema)
    partitioning = ds.partitioning(table.partition_schema(), flavor="hive") if table.partition_by else None
    dataset = ds.dataset(loc.table_path(name), filesystem=loc.fs, format="parquet", partitioning=partitioning)
    frame = pl.from_arrow(dataset.to_table())
    assert isinstance(frame, pl.DataFrame)
    return _conform(frame, schema, where=loc.table_path(name))


def _conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType], *, where: str) -> pl.DataFrame:
    """Select and cast to ``schema``; a missing column is an InputError naming the table folder."""
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise InputError(f"{where}: column {missing[0]!r} missing from the lake table")
    exprs = []
    for c, dtype in schema.items():
        col = pl.col(c)
        current = frame.schema[c]
        if isinstance(dtype, pl.Datetime) and isinstance(current, pl.Datetime):
            col = col.dt.replace_time_zone("UTC") if current.time_zone is None else col.dt.convert_time_zone("UTC")
        exprs.append(col.cast(dtype).alias(c))
    return frame.select(exprs)


def lake_batches(root: str | Path) -> Iterator[Batch]:
    """The canonical tables of a lake as store batches (empty tables skipped)."""
    manifest = read_manifest(root)
    for name in TABLES:
        if int(manifest["tables"].get(name, {}).get("rows", 0)):
            yield Batch(name, read_table(root, name))


def import_lake(store: Store, root: str | Path) -> IngestResult:
    """Import a lake into ``store`` (one transaction, the store's keys; importing twice changes nothing).

    Feed coverage intervals are recorded with :meth:`Store.record_coverage` after the rows.
    """
    manifest = read_manifest(root)
    batches = list(lake_batches(root))
    rows = {b.table: b.frame.height for b in batches}
    loc = locate(root)
    record = FileRecord(f"{loc.uri}/{LAKE_MARKER}", str(manifest["_sha256"]), LAKE_FORMAT, rows)
    result = store.ingest(batches, kind="import", files=[record])
    if int(manifest["tables"].get(COVERAGE_TABLE, {}).get("rows", 0)):
        for r in read_table(root, COVERAGE_TABLE).iter_rows(named=True):
            start: datetime = r["start"]
            store.record_coverage(r["exchange"], r["feed"], start, r["end"])
    return result
