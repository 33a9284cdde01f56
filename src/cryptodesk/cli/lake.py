"""Lake commands (``export --format parquet DIR``) and the ``--engine`` options of report, events, analytics."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cryptodesk.cli.app import _desk, app, err, out
from cryptodesk.core.errors import ConfigError

if TYPE_CHECKING:
    from cryptodesk.desk.engines import EngineChoice


class LakeFormat(StrEnum):
    """Formats of `export`."""

    parquet = "parquet"


class EngineName(StrEnum):
    """Analytics engines of `--engine`."""

    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[
    EngineName, typer.Option("--engine", help="Analytics engine: duckdb (in-process) or spark (see docs/spark.md).")
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master", help="Spark master for --engine spark: local[*] (default), local[2], spark://host:7077."
    ),
]
LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake", help="--engine spark: lake folder or URI to read (default: the store, exported to a temp lake)."
    ),
]


def engine_choice(engine: EngineName, spark_master: str | None, lake: str | None) -> EngineChoice:
    """The desk's EngineChoice from the --engine, --spark-master and --lake options."""
    from cryptodesk.desk.engines import EngineChoice

    return EngineChoice(engine=engine.value, spark_master=spark_master, lake_dir=lake)


@app.command("export")
def export_cmd(
    dest: Annotated[str, typer.Argument(help="Folder or URI (s3://, gs://, hdfs://, file://) to write the lake into.")],
    fmt: Annotated[str, typer.Option("--format", help="Output format: parquet.")] = LakeFormat.parquet.value,
) -> None:
    """Export the store's canonical tables as a Hive-partitioned Parquet lake (table, then interval/month).

    DIR must be empty, missing or an earlier lake (replaced). `cryptodesk import DIR` reads it back.
    """
    if fmt not in {f.value for f in LakeFormat}:
        raise ConfigError(f"--format: unknown export format {fmt!r}; expected parquet", parameter="--format")
    with _desk() as desk:
        from cryptodesk.desk.engines import export_lake

        manifest = export_lake(desk, Path(dest) if "://" not in dest else dest)
    table = Table("table", "rows", "partitioned by", title=f"Lake ({fmt}) {dest}")
    for name, info in manifest["tables"].items():
        table.add_row(name, f"{info['rows']:,}", ", ".join(info["partition_by"]) or "-")
    out.print(table)
    err.print(f"wrote {dest}")
