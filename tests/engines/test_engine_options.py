"""Engine selection and the optional PySpark dependency (these run with or without pyspark)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from cryptodesk.core.errors import ConfigError
from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.analysis_doc import analysis_doc, analysis_schema_text
from cryptodesk.desk.engines import EngineChoice, analyze_with
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
    choice = EngineChoice(engine="spark", lake_dir=tmp_path / "none")
    with Desk(load_settings({"db": pack_db}, env={})) as desk, pytest.raises(ConfigError, match=r"cryptodesk\[spark\]"):
        analyze_with(desk, datetime(2023, 1, 18, 17, 30, tzinfo=UTC), choice=choice)


@pytest.mark.parametrize("name", ["duckdb", "spark"])
def test_known_engines(name: str) -> None:
    assert check_engine(name) == name


def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--engine: unknown engine 'dask'"):
        check_engine("dask")


def test_duckdb_engine_is_the_desk(pack_db: Path) -> None:
    """The duckdb engine (chosen or by default) is Desk.analyze: compared on new desks, so that both take the same
    route (a desk serves later moments of a day from its timeline, equal within 1e-9 but not bit for bit)."""
    moment = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
    for choice in (EngineChoice("duckdb"), None):
        with Desk(load_settings({"db": pack_db}, env={})) as a, Desk(load_settings({"db": pack_db}, env={})) as b:
            assert analyze_with(a, moment, choice=choice) == b.analyze(moment)


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


@pytest.mark.parametrize("moment", ["2023-01-18T17:30:00Z", "2021-05-19T15:00:00Z"])
def test_cli_analytics_json_is_the_analysis(pack_db: Path, moment: str) -> None:
    """`analytics --format json` prints the analysis document of the chosen assets, valid against its schema."""
    proc = _cli("--db", str(pack_db), "analytics", "--as-of", moment, "--asset", "ETH", "--asset", "bitcoin",
                "--tz", "UTC", "--format", "json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, json.loads(analysis_schema_text()))
    with Desk(load_settings({"db": pack_db}, env={})) as desk:
        when = datetime.fromisoformat(moment)
        want = analysis_doc(analyze_with(desk, when, tz="UTC", assets=["ethereum", "bitcoin"]), tz="UTC")
    assert [a["asset_id"] for a in doc["assets"]] == ["bitcoin", "ethereum"]
    assert doc == json.loads(json.dumps(want))
    btc = doc["assets"][0]
    assert btc["changes"]["1d"]["pct"] == pytest.approx(btc["close"] / btc["changes"]["1d"]["start_value"] - 1.0)


def test_cli_analytics_universe_json_validates(pack_db: Path) -> None:
    proc = _cli("--db", str(pack_db), "analytics", "--as-of", "2022-11-09T20:00:00Z", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, json.loads(analysis_schema_text()))
    assert len(doc["assets"]) > 5
    assert doc["market"]["method"] in {"index", "sum"}
    assert doc["tz"] == "America/New_York"


def test_cli_analytics_table(pack_db: Path) -> None:
    proc = _cli("--db", str(pack_db), "analytics", "--as-of", "2023-01-18T17:30:00Z", "--asset", "BTC")
    assert proc.returncode == 0, proc.stderr
    assert "Market" in proc.stdout
    assert "Assets (1)" in proc.stdout
    assert "BTC" in proc.stdout


def test_cli_analytics_unknown_asset(pack_db: Path) -> None:
    proc = _cli("--db", str(pack_db), "analytics", "--as-of", "2023-01-18T17:30:00Z", "--asset", "nosuchcoin")
    assert proc.returncode == 1
    assert "--asset: unknown asset 'nosuchcoin'" in proc.stderr
    assert proc.stdout == ""


def test_cli_analytics_unknown_engine(pack_db: Path) -> None:
    proc = _cli("--db", str(pack_db), "analytics", "--engine", "dask")
    assert proc.returncode == 2
    assert "dask" in proc.stderr
