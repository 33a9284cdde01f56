"""Importing Parquet through the desk: the same store rows as the CSV, failures store nothing, lakes left alone."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.sources.base import read_bytes
from cryptodesk.store.lake import export_lake

TABLES = ("assets", "candles", "snapshots", "global_metrics", "calendar_events", "liquidations")
PACK = {
    # pack CSV -> the name of its Parquet copy (the asset of the klines file comes from the name)
    "daily/coingecko_all_coins_2021/hathix_coingecko_perday_2021-09-01_2021-12-31.csv.gz": "hathix_2021.parquet",
    "intraday/binance_usdm_BTCUSDT_1m_2023-01-18_1229-1918UTC.csv": "binance_usdm_BTCUSDT_1m.parquet",
    "daily/coingecko_exports/eth-usd-max.csv": "eth-usd-max.parquet",
}


def _rows(db: Path) -> dict[str, pl.DataFrame]:
    """Every canonical table's rows (without run_id), sorted, read with DuckDB directly."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for t in TABLES:
            cols = [r[0] for r in con.execute(f"describe {t}").fetchall() if r[0] != "run_id"]
            out[t] = con.sql(f"select {', '.join(cols)} from {t} order by all").pl()
        return out
    finally:
        con.close()


def _import(db: Path, *paths: Path) -> list[tuple[str, str | None, str | None]]:
    with Desk(load_settings({"db": db}, env={})) as desk:
        report = desk.import_paths(list(paths))
    return [(f.path.name, f.format, f.error) for f in report.files]


def _folders(data_pack: Path, tmp_path: Path) -> tuple[Path, Path]:
    csv, parquet = tmp_path / "csv", tmp_path / "parquet"
    csv.mkdir()
    parquet.mkdir()
    for name, copy in PACK.items():
        src = data_pack / name
        (csv / src.name).write_bytes(src.read_bytes())
        pl.read_csv(io.BytesIO(read_bytes(src)), infer_schema_length=None).write_parquet(parquet / copy)
    return csv, parquet


def test_a_parquet_folder_stores_the_same_rows_as_the_csv_folder(data_pack: Path, tmp_path: Path) -> None:
    csv, parquet = _folders(data_pack, tmp_path)
    from_csv, from_parquet = tmp_path / "csv.duckdb", tmp_path / "parquet.duckdb"
    assert all(error is None for *_, error in _import(from_csv, csv))
    outcomes = _import(from_parquet, parquet)
    assert all(error is None for *_, error in outcomes)
    assert sorted(f for _, f, _ in outcomes) == ["binance-klines", "coingecko-allcoins", "coingecko-export"]
    want, got = _rows(from_csv), _rows(from_parquet)
    assert sum(frame.height for frame in want.values()) > 100_000
    for table in TABLES:
        assert got[table].equals(want[table]), table
    # importing the Parquet copies into the CSV store changes nothing
    assert all(error is None for *_, error in _import(from_csv, parquet))
    assert all(_rows(from_csv)[t].equals(want[t]) for t in TABLES)


def test_a_failing_parquet_file_stores_nothing_and_keeps_what_was_stored(data_pack: Path, tmp_path: Path) -> None:
    csv, parquet = _folders(data_pack, tmp_path)
    db = tmp_path / "store.duckdb"
    _import(db, csv)
    before = _rows(db)
    hathix = pl.read_parquet(parquet / "hathix_2021.parquet")
    rows = hathix.height
    # the same keys with other prices, and a junk price on the last row: the file must be rejected whole
    doubled = (pl.col("price") * 2).cast(pl.String)
    last = pl.int_range(pl.len()) == rows - 1
    bad = hathix.with_columns(pl.when(last).then(pl.lit("n/a")).otherwise(doubled).alias("price"))
    path = tmp_path / "bad" / "hathix_bad.parquet"
    path.parent.mkdir()
    bad.write_parquet(path)
    outcomes = _import(db, path)
    assert len(outcomes) == 1
    error = outcomes[0][2]
    assert error == f"{path}, row {rows}, column 'price': expected a number, got 'n/a'"
    after = _rows(db)
    assert all(after[t].equals(before[t]) for t in TABLES)


def test_the_cli_reports_a_bad_parquet_cell_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT.parquet"
    pl.DataFrame(
        {
            "open_time": [1704067200000, 1704067260000],
            "open": [1.0, 1.0],
            "high": [1.0, 1.0],
            "low": [1.0, 1.0],
            "close": [1.0, None],
            "volume": [1.0, 1.0],
            "close_time": [1704067259999, 1704067319999],
            "quote_volume": [1.0, 1.0],
            "count": [1, 1],
        }
    ).write_parquet(path)
    db = tmp_path / "cli.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "cryptodesk", "--db", str(db), "import", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    text = " ".join((proc.stdout + proc.stderr).split())  # rich wraps long lines
    assert "row 2, column 'close': expected a number, got nothing" in text


def test_a_folder_holding_a_lake_does_not_read_the_lake_files(data_pack: Path, tmp_path: Path) -> None:
    csv, _ = _folders(data_pack, tmp_path)
    db = tmp_path / "store.duckdb"
    _import(db, csv)
    parent = tmp_path / "exports"
    with Desk(load_settings({"db": db}, env={})) as desk:
        export_lake(desk.store(), parent / "lake")
    (parent / "BTCUSDT.parquet").write_bytes(b"")  # a data file beside the lake is still read (and is empty)
    outcomes = _import(tmp_path / "other.duckdb", parent)
    assert [name for name, *_ in outcomes] == ["BTCUSDT.parquet"]
