"""Binance kline CSV: header optional, ms or µs times, spot or USDⓈ-M by name."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from .files_helpers import ErrorRunner, Loader, pack_text

KLINES = "intraday/binance_usdm_BTCUSDT_1m_2023-01-18_1229-1918UTC.csv"


def stdlib_rows(path: Path) -> list[list[str]]:
    """Data rows (header dropped) read with the csv module."""
    return list(csv.reader(io.StringIO(pack_text(path))))[1:]


def check_rows(candles: pl.DataFrame, rows: list[list[str]], divisor: int) -> None:
    """Compare several candles with the stdlib rows (open_time in units of 1/divisor s)."""
    assert candles.height == len(rows)
    for row in (rows[0], rows[105], rows[228], rows[-1]):
        ts = datetime.fromtimestamp(int(row[0]) / divisor, tz=UTC)
        got = candles.filter(pl.col("open_time") == ts).row(0, named=True)
        assert [got[c] for c in ("open", "high", "low", "close", "volume")] == [float(x) for x in row[1:6]]
        assert got["quote_volume"] == float(row[7])
        assert got["trades"] == int(row[8])


def test_pack_file_matches_stdlib(data_pack: Path, load: Loader) -> None:
    rows = stdlib_rows(data_pack / KLINES)
    candles = load(data_pack / KLINES, "binance-klines")["candles"].frame
    check_rows(candles, rows, 1000)
    assert set(candles.get_column("interval")) == {"1m"}
    assert set(candles.get_column("venue")) == {"binance-usdm"}
    assert set(candles.get_column("asset_id")) == {"bitcoin"}
    assert set(candles.get_column("symbol")) == {"BTCUSDT"}
    at = candles.filter(pl.col("open_time") == datetime(2023, 1, 18, 14, 15, tzinfo=UTC)).row(0, named=True)
    assert at["high"] == 21559.4
    at = candles.filter(pl.col("open_time") == datetime(2023, 1, 18, 17, 20, tzinfo=UTC)).row(0, named=True)
    assert at["close"] == 20939.4


def test_headerless_spot_dump(data_pack: Path, load: Loader) -> None:
    text = pack_text(data_pack / KLINES)
    body = text.split("\n", 1)[1].encode()
    candles = load(Path("BTCUSDT-1m-2023-01.csv"), "binance-klines", data=body)["candles"].frame
    check_rows(candles, stdlib_rows(data_pack / KLINES), 1000)
    assert set(candles.get_column("venue")) == {"binance-spot"}


def test_microsecond_times(data_pack: Path, load: Loader) -> None:
    rows = stdlib_rows(data_pack / KLINES)
    micro = [[r[0] + "000", *r[1:6], r[6] + "999", *r[7:]] for r in rows]
    body = "\n".join(",".join(r) for r in micro).encode()
    candles = load(Path("ETHUSDT-1m-2025-01.csv"), "binance-klines", asset_hint="BTCUSDT", data=body)["candles"].frame
    check_rows(candles, micro, 1_000_000)
    assert set(candles.get_column("interval")) == {"1m"}
    assert set(candles.get_column("asset_id")) == {"bitcoin"}


@pytest.mark.parametrize(
    ("name", "venue"),
    [
        ("BTCUSDT-1h-2023-01.csv", "binance-spot"),
        ("um_BTCUSDT-1h.csv", "binance-usdm"),
        ("BTCUSDT_PERP_1h.csv", "binance-usdm"),
    ],
)
def test_hourly_interval_and_venue(load: Loader, name: str, venue: str) -> None:
    body = (
        "1674000000000,1,2,0.5,1.5,10,1674003599999,15,3,1,1,0\n1674003600000,1,2,0.5,1.5,10,1674007199999,15,3,1,1,0\n"
    )
    candles = load(Path(name), "binance-klines", data=body.encode())["candles"].frame
    assert candles.get_column("interval").to_list() == ["1h", "1h"]
    assert set(candles.get_column("venue")) == {venue}


HEAD = "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
HEAD += "taker_buy_volume,taker_buy_quote_volume,ignore\n"
ROW = "1674044940000,21227.90,21231.50,21227.90,21228.80,73.857,1674044999999,1567991.71,540,39.464,837791.62,0\n"


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (
            HEAD
            + ROW
            + "1674045000000,21228.80,abc,21228.70,21228.80,31.799,1674045059999,675053.76,357,23.3,494715.9,0\n",
            3,
            "high",
        ),
        (HEAD + ROW + "1674045000000,21228.80,21228.80\n", 3, "low"),
        (HEAD + ROW + "1674045000000000,1,1,1,1,1,1674045059999999,1,1,1,1,0\n", 3, "open_time"),
        (HEAD + ROW + "1674045000000,1,1,1,1,1,1674045119999,1,1,1,1,0\n", 3, "close_time"),
        (HEAD + ROW + ROW, 3, None),
        (ROW + "1674045000000,1,1,1,1,1,1674045059999,1,x,1,1,0\n", 2, "count"),
    ],
)
def test_corrupted_klines(parse_error: ErrorRunner, content: str, line: int, column: str | None) -> None:
    err = parse_error("binance-klines", content, name="BTCUSDT-1m.csv", asset_hint=None)
    assert (err.line, err.column) == (line, column)


def test_missing_column_garbage_and_unknown_pair(parse_error: ErrorRunner) -> None:
    err = parse_error("binance-klines", "open_time,open,high,low,close,volume,close_time\n1,1,1,1,1,1,1\n")
    assert "'quote_volume'" in str(err)
    assert "expected a header" in str(parse_error("binance-klines", "\x00garbage\x01\n"))
    assert "--asset" in str(parse_error("binance-klines", HEAD + ROW, name="klines.csv", asset_hint=None))
