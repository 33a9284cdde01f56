"""Analytics engines: the same per-series kernels, dispatched by DuckDB + Polars (default) or Apache Spark.

``duckdb`` is the default engine: the store builds the point-in-time frames in
SQL and :mod:`cryptodesk.analytics` runs the kernels in-process. ``spark`` reads
the Parquet lake (``cryptodesk export --format parquet DIR``), applies the same
point-in-time rules in Spark SQL and runs the same per-asset kernels through
``groupBy(asset_id).applyInArrow`` (see :mod:`cryptodesk.engines.spark` and
docs/spark.md). PySpark is an optional extra (``pip install cryptodesk[spark]``)
imported only when the Spark engine is used.
"""

from __future__ import annotations

from typing import Final

from cryptodesk.core.errors import ConfigError

ENGINES: Final = ("duckdb", "spark")
"""Engine names accepted by ``--engine``."""
DEFAULT_ENGINE: Final = "duckdb"


def check_engine(name: str) -> str:
    """``name`` when it is a known engine, else a ConfigError naming ``--engine``."""
    if name not in ENGINES:
        raise ConfigError(
            f"--engine: unknown engine {name!r}; expected one of {', '.join(ENGINES)}", parameter="--engine"
        )
    return name
