"""Parquet files with a CSV format's columns parse to the same canonical records as the CSV (``_parquet``)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.errors import ParseError, UnknownFormatError
from cryptodesk.core.models import Batch
from cryptodesk.sources.base import ParseContext, detect, read_bytes
from cryptodesk.sources.files import builtin_formats

PACK_CSVS = [
    "intraday/binance_usdm_BTCUSDT_1m_2023-01-18_1229-1918UTC.csv",
    "intraday/coingecko_bitcoin_hourly_2022-11-20_2023-01-19.csv",
    "daily/coingecko_all_coins_2021/hathix_coingecko_perday_2021-09-01_2021-12-31.csv.gz",
    "daily/coingecko_exports/ada-usd-max.csv",
    "daily/coingecko_daily_long_all_symbols.csv.gz",
    "daily/yahoo_crypto_ohlcv/yahoo_BTC-USD_daily_2021-01-01_2023-08-29.csv",
    "equities_macro/yahoo_VIX_daily_2021-01-04_2023-08-28_ddmmyyyy.csv",
    "total_market_cap/tradingview_CRYPTOCAP_TOTAL_1D_2020-11-16_2023-02-02.csv",
    "macro_calendar/us_macro_release_dates_2022_2023.csv",
    "weekly_snapshots/cmc_weekly_top10_2013-05-05_2023-07-09.csv",
]


def _load(path: Path, registry: AssetRegistry) -> tuple[str, dict[str, Batch], list[str]]:
    """Detect and load ``path`` as the desk does: (format name, batches by table, warnings)."""
    data = read_bytes(path)
    fmt = detect(builtin_formats(), data, path)
    ctx = ParseContext(path, registry)
    batches = {b.table: b for b in fmt.load(data, ctx)}
    return fmt.name, batches, ctx.warnings


def _parquet_copy(csv: Path, dest: Path, frame: pl.DataFrame | None = None) -> Path:
    """``csv`` (or ``frame``) written as ``dest/<same stem>.parquet``; the CSV is read with Polars' type inference."""
    stem = re.sub(r"(\.csv)?(\.gz)?$", "", csv.name)
    out = dest / f"{stem}.parquet"
    if frame is None:
        frame = pl.read_csv(io.BytesIO(read_bytes(csv)), infer_schema_length=None)
    frame.write_parquet(out)
    return out


def _same_records(csv: Path, parquet: Path) -> None:
    fmt_csv, want, warn_csv = _load(csv, AssetRegistry.builtin())
    fmt_pq, got, warn_pq = _load(parquet, AssetRegistry.builtin())
    assert fmt_pq == fmt_csv
    assert sorted(got) == sorted(want)
    for table, batch in want.items():
        assert_frame_equal(got[table].frame, batch.frame)
    # warnings say the same apart from the file and where (a CSV line, a Parquet data row)
    where = re.compile(r"\b(line|row) \d+")
    assert [where.sub("@", w.replace(str(parquet), "F")) for w in warn_pq] == [
        where.sub("@", w.replace(str(csv), "F")) for w in warn_csv
    ]


@pytest.mark.parametrize("name", PACK_CSVS)
def test_a_pack_csv_converted_to_parquet_gives_the_same_records(data_pack: Path, tmp_path: Path, name: str) -> None:
    csv = data_pack / name
    _same_records(csv, _parquet_copy(csv, tmp_path))


@pytest.mark.parametrize(
    ("name", "column", "convert"),
    [
        ("macro_calendar/us_macro_release_dates_2022_2023.csv", "date", pl.col("date").str.to_date()),
        (
            "daily/yahoo_crypto_ohlcv/yahoo_BTC-USD_daily_2021-01-01_2023-08-29.csv",
            "Date",
            pl.col("Date").str.to_date("%Y-%m-%d"),
        ),
        (
            "daily/coingecko_exports/ada-usd-max.csv",
            "snapped_at",
            pl.col("snapped_at").str.strptime(pl.Datetime("ms", "UTC"), "%Y-%m-%d %H:%M:%S UTC"),
        ),
        (
            "intraday/binance_usdm_BTCUSDT_1m_2023-01-18_1229-1918UTC.csv",
            "open_time",
            # a timestamp in any zone is the same instant in UTC
            pl.from_epoch("open_time", "ms").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Paris"),
        ),
    ],
)
def test_typed_date_columns_read_as_the_csv_dates(
    data_pack: Path, tmp_path: Path, name: str, column: str, convert: pl.Expr
) -> None:
    csv = data_pack / name
    frame = pl.read_csv(io.BytesIO(read_bytes(csv)), infer_schema_length=None).with_columns(convert.alias(column))
    assert frame.schema[column].is_temporal()
    _same_records(csv, _parquet_copy(csv, tmp_path, frame))


KLINES = pl.DataFrame({"open_time": [1704067200000, 1704067260000, 1704067320000], "open": [10.0, 11.0, 12.0]}).select(
    "open_time",
    "open",
    high=pl.col("open") + 1.5,
    low=pl.col("open") - 0.5,
    close=pl.col("open") + 1,
    volume=pl.col("open") * 10,
    close_time=pl.col("open_time") + 59_999,
    quote_volume=pl.col("open") * 100,
    count=pl.int_range(5, 8),
    taker_buy_volume=pl.col("open") * 5,
    taker_buy_quote_volume=pl.col("open") * 50,
    ignore=pl.lit(0),
)
"""Three 1-minute klines in the columns (and types) the bench's intraday Parquet files have."""


def test_binance_klines_parquet_is_the_csv_with_a_header(tmp_path: Path) -> None:
    csv, parquet = tmp_path / "BTCUSDT-1m-2024-01.csv", tmp_path / "BTCUSDT.parquet"
    KLINES.write_csv(csv)
    KLINES.with_columns(pl.col("count").cast(pl.Int32), pl.col("volume").cast(pl.Float32)).write_parquet(parquet)
    _same_records(csv, parquet)
    _, got, _ = _load(parquet, AssetRegistry.builtin())
    candles = got["candles"].frame
    assert candles.get_column("asset_id").unique().to_list() == [AssetRegistry.builtin().resolve("BTCUSDT")]
    assert candles.get_column("symbol").unique().to_list() == ["BTCUSDT"]
    assert candles.get_column("interval").unique().to_list() == ["1m"]
    assert candles.get_column("trades").to_list() == [5, 6, 7]


def test_column_names_are_read_like_a_header(tmp_path: Path) -> None:
    csv, parquet = tmp_path / "BTCUSDT.csv", tmp_path / "BTCUSDT.parquet"
    KLINES.write_csv(csv)
    KLINES.rename({c: f" {c.upper()} " for c in KLINES.columns}).write_parquet(parquet)
    _same_records(csv, parquet)


def _error(tmp_path: Path, frame: pl.DataFrame, name: str = "BTCUSDT.parquet") -> str:
    path = tmp_path / name
    frame.write_parquet(path)
    with pytest.raises(ParseError) as info:
        _load(path, AssetRegistry.builtin())
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}, ")
    return message.removeprefix(f"{path}, ")


def test_a_missing_value_names_the_data_row_and_column(tmp_path: Path) -> None:
    bad = KLINES.with_columns(pl.when(pl.int_range(3) == 1).then(None).otherwise(pl.col("close")).alias("close"))
    assert _error(tmp_path, bad) == "row 2, column 'close': expected a number, got nothing"


def test_a_junk_text_cell_names_the_data_row_and_column(tmp_path: Path) -> None:
    bad = KLINES.with_columns(pl.Series("high", ["11.5", "12.5", "lots"]))
    assert _error(tmp_path, bad) == "row 3, column 'high': expected a number, got 'lots'"


def test_a_fractional_unix_time_is_an_error(tmp_path: Path) -> None:
    bad = KLINES.with_columns(pl.Series("open_time", [1704067200000.0, 1704067260000.5, 1704067320000.0]))
    assert _error(tmp_path, bad) == (
        "row 2, column 'open_time': expected a 13-digit time (ms) like the first row, got '1704067260000.5'"
    )


def test_whole_float_unix_times_read_as_integers(tmp_path: Path) -> None:
    csv, parquet = tmp_path / "BTCUSDT.csv", tmp_path / "BTCUSDT.parquet"
    KLINES.write_csv(csv)
    KLINES.with_columns(pl.col("open_time", "close_time").cast(pl.Float64)).write_parquet(parquet)
    _same_records(csv, parquet)


def test_a_repeated_key_names_the_later_row(tmp_path: Path) -> None:
    bad = pl.concat([KLINES, KLINES.slice(0, 1)])
    assert _error(tmp_path, bad) == "row 4: duplicate row for open_time=2024-01-01 00:00:00+00:00"


def test_daily_snapshots_check_their_cells_by_row(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "timestamp": [1704153600000, 1704153600000, 1704240000000],
            "readableTimestamp": ["x", "x", "x"],
            "coinId": ["bitcoin", "ethereum", " "],
            "price": [40000.0, 2000.0, 41000.0],
            "marketCap": [8e11, 2.4e11, 8.1e11],
            "totalVolume": [1e10, 5e9, 1.1e10],
        }
    )
    assert _error(tmp_path, frame, "daily.parquet") == "row 3, column 'coinid': expected a value, got nothing"


def test_unknown_columns_are_an_unknown_format_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "mystery.parquet"
    pl.DataFrame({"when": [1], "what": ["x"]}).write_parquet(path)
    data = read_bytes(path)
    with pytest.raises(UnknownFormatError, match=r"columns match no supported format \(columns: when, what\)"):
        detect(builtin_formats(), data, path)


def test_json_formats_do_not_take_parquet_files(tmp_path: Path) -> None:
    path = tmp_path / "markets.parquet"  # CoinGecko markets JSON fields, but that format reads JSON only
    pl.DataFrame({"id": ["bitcoin"], "symbol": ["btc"], "current_price": [1.0]}).write_parquet(path)
    with pytest.raises(UnknownFormatError):
        detect(builtin_formats(), read_bytes(path), path)


def test_a_corrupt_parquet_file_is_a_parse_error(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    KLINES.write_parquet(good)
    path = tmp_path / "BTCUSDT.parquet"
    path.write_bytes(good.read_bytes()[:200])  # the magic number, then the footer is gone
    with pytest.raises(ParseError, match="not a readable Parquet file"):
        detect(builtin_formats(), read_bytes(path), path)


def test_a_nested_column_is_a_parse_error_naming_it(tmp_path: Path) -> None:
    bad = KLINES.with_columns(pl.Series("ignore", [[0], [0], [0]]))
    expected = "column 'ignore': a column of List(Int64) values cannot be read as numbers, times or text"
    assert _error(tmp_path, bad) == expected
