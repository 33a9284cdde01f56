"""The SparkSession: lazy PySpark import, one session per process, settings that keep results exact.

PySpark is optional (``pip install cryptodesk[spark]``): nothing imports it until
:func:`spark_session` is called, and a missing install is a ConfigError that says
how to get it. The session runs in UTC (the point-in-time rules compare UTC
timestamps and derive UTC days) with Arrow transfers enabled.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Final

from cryptodesk.core.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER: Final = "local[*]"
INSTALL_HINT: Final = "install cryptodesk[spark] (pip install 'cryptodesk[spark]') and a Java 17+ runtime"
DEFAULT_CONF: Final[dict[str, str]] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.adaptive.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "2g",
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "1000000",
}
"""Session settings; ``CRYPTODESK_SPARK_CONF`` (``key=value;key=value``) adds to or overrides them."""

_lock = threading.Lock()
_session: dict[str, Any] = {}


def require_pyspark() -> Any:
    """The ``pyspark`` module, or a ConfigError telling how to install it."""
    try:
        import pyspark
    except ImportError as e:
        raise ConfigError(
            f"--engine spark: PySpark is not installed; {INSTALL_HINT}", parameter="--engine", hint=INSTALL_HINT
        ) from e
    return pyspark


def _extra_conf() -> dict[str, str]:
    """Settings from ``CRYPTODESK_SPARK_CONF`` (ConfigError on a malformed entry)."""
    raw = os.environ.get("CRYPTODESK_SPARK_CONF", "").strip()
    out: dict[str, str] = {}
    for item in filter(None, (x.strip() for x in raw.split(";"))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"CRYPTODESK_SPARK_CONF: expected key=value, got {item!r}", parameter="CRYPTODESK_SPARK_CONF"
            )
        out[key.strip()] = value.strip()
    return out


def spark_session(master: str | None = None) -> SparkSession:
    """The process's SparkSession (created on first use at ``master``, default ``local[*]``).

    Asking for another master than the running session's is a ConfigError: a JVM
    holds one SparkContext, so stop the session first (:func:`stop_session`).
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    wanted = master or DEFAULT_MASTER
    with _lock:
        current: SparkSession | None = _session.get("spark")
        if current is not None:
            if _session.get("master") != wanted:
                raise ConfigError(
                    f"--spark-master: a Spark session is already running at {_session.get('master')}, not {wanted}",
                    parameter="--spark-master",
                )
            return current
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = SparkSession.builder.master(wanted).appName("cryptodesk")
        local = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
        for key, value in {**(local if wanted.startswith("local") else {}), **DEFAULT_CONF, **_extra_conf()}.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as e:  # the JVM failed to start (no Java, bad master URL, ...)
            raise ConfigError(
                f"--spark-master: cannot start Spark at {wanted}: {str(e).strip().splitlines()[0]}",
                parameter="--spark-master",
                hint="Check `java -version` (Java 17+) and the master URL (local[*] or spark://host:7077).",
            ) from e
        session.sparkContext.setLogLevel("ERROR")
        _session.update(spark=session, master=wanted)
        return session


def stop_session() -> None:
    """Stop the process's SparkSession if one is running (safe to call twice)."""
    with _lock:
        session = _session.pop("spark", None)
        _session.pop("master", None)
    if session is not None:
        session.stop()
