"""Engine selection and the optional PySpark dependency (these run with or without pyspark)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cryptodesk.core.errors import ConfigError
from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.engines import analyze_with
from cryptodesk.engines import check_engine
from cryptodesk.engines.session import require_pyspark, spark_session
from cryptodesk.store.lake import LAKE_MARKER, read_manifest


def test_missing_pyspark_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate an install without the extra: importing pyspark fails."""
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(ConfigError, match=r"install cryptodesk\[spark\]") as info:
        require_pyspark()
    assert info.value.parameter == "--engine"
    with pytest.raises(ConfigError, match=r"PySpark is not installed"):
        spark_session("local[1]")


def test_missing_pyspark_through_the_desk(pack_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with Desk(load_settings({"db": pack_db}, env={})) as desk, pytest.raises(ConfigError, match=r"cryptodesk\[spark\]"):
        analyze_with(desk, datetime(2023, 1, 18, 17, 30, tzinfo=UTC), engine="spark", lake_dir=tmp_path / "none")


@pytest.mark.parametrize("name", ["duckdb", "spark"])
def test_known_engines(name: str) -> None:
    assert check_engine(name) == name


def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--engine: unknown engine 'dask'"):
        check_engine("dask")


def test_duckdb_engine_is_the_desk(pack_db: Path) -> None:
    moment = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
    with Desk(load_settings({"db": pack_db}, env={})) as desk:
        assert analyze_with(desk, moment, engine="duckdb") == desk.analyze(moment)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a child process with the lake commands registered (cli/__init__ may not import them yet)."""
    code = "import sys, cryptodesk.cli.lake; from cryptodesk.cli import main; raise SystemExit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)


def test_cli_export_writes_a_lake(pack_db: Path, tmp_path: Path) -> None:
    dest = tmp_path / "lake"
    proc = _cli("--db", str(pack_db), "export", "--format", "parquet", str(dest))
    assert proc.returncode == 0, proc.stderr
    assert (dest / LAKE_MARKER).is_file()
    assert read_manifest(dest)["tables"]["snapshots"]["rows"] > 0
    assert "snapshots" in proc.stdout


def test_cli_export_rejects_unknown_format(pack_db: Path, tmp_path: Path) -> None:
    proc = _cli("--db", str(pack_db), "export", "--format", "csv", str(tmp_path / "x"))
    assert proc.returncode == 2
    assert "--format: unknown export format 'csv'; expected parquet" in proc.stderr
    assert not (tmp_path / "x").exists()
