"""Yahoo Finance daily CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from .files_helpers import ErrorRunner, Loader, pack_text

CRYPTO = "daily/yahoo_crypto_ohlcv"
EQ = "equities_macro"


def stdlib_rows(path: Path, day_first: bool = False) -> dict[datetime, dict[str, str]]:
    """Rows with a quote keyed by their UTC date, read with the csv module."""
    out = {}
    for row in csv.DictReader(io.StringIO(pack_text(path))):
        if row["Open"] == "null":
            continue
        if day_first:
            d, m, y = row["Date"].split("/")
            row["Date"] = f"{y}-{m}-{d}"
        out[datetime.strptime(row["Date"], "%Y-%m-%d").replace(tzinfo=UTC)] = row
    return out


@pytest.mark.parametrize(
    ("rel", "asset", "symbol", "vol_col"),
    [
        (f"{CRYPTO}/yahoo_BTC-USD_daily_2021-01-01_2023-08-29.csv", "bitcoin", "BTC", "quote_volume"),
        (f"{CRYPTO}/yahoo_ETH-USD_daily_2021-01-01_2023-08-29.csv", "ethereum", "ETH", "quote_volume"),
        (f"{CRYPTO}/yahoo_USDC-USD_daily_2021-01-01_2023-08-29.csv", "usd-coin", "USDC", "quote_volume"),
        (f"{EQ}/yahoo_SPX_daily_2021-01-04_2023-08-28.csv", "sp500", "^SPX", "volume"),
        (f"{EQ}/yahoo_IXIC_daily_2021-01-04_2023-08-28.csv", "nasdaq", "^IXIC", "volume"),
        (f"{EQ}/yahoo_SPY_daily_2021-01-04_2023-08-28.csv", "spy", "SPY", "volume"),
        (f"{EQ}/yahoo_VIX_daily_2021-01-04_2023-08-28_ddmmyyyy.csv", "vix", "^VIX", "volume"),
    ],
)
def test_yahoo_matches_stdlib(data_pack: Path, load: Loader, rel: str, asset: str, symbol: str, vol_col: str) -> None:
    path = data_pack / rel
    expected = stdlib_rows(path, day_first="ddmmyyyy" in rel)
    candles = load(path, "yahoo-daily")["candles"].frame
    assert candles.height == len(expected)
    assert set(candles.get_column("asset_id")) == {asset}
    assert set(candles.get_column("symbol")) == {symbol}
    assert set(candles.get_column("interval")) == {"1d"}
    assert set(candles.get_column("venue")) == set(candles.get_column("source")) == {"yahoo"}
    other = "volume" if vol_col == "quote_volume" else "quote_volume"
    assert candles.get_column(other).is_null().all()
    days = sorted(expected)
    for ts in (days[0], days[100], days[len(days) // 2], days[-1]):
        got = candles.filter(pl.col("open_time") == ts).row(0, named=True)
        row = expected[ts]
        assert [got[c] for c in ("open", "high", "low", "close")] == [
            float(row[c]) for c in ("Open", "High", "Low", "Close")
        ]
        assert got[vol_col] == float(row["Volume"])


def test_known_values(data_pack: Path, load: Loader) -> None:
    btc = load(data_pack / CRYPTO / "yahoo_BTC-USD_daily_2021-01-01_2023-08-29.csv", "yahoo-daily")["candles"].frame
    row = btc.filter(pl.col("open_time") == datetime(2023, 1, 18, tzinfo=UTC)).row(0, named=True)
    assert (row["high"], row["close"]) == (pytest.approx(21564.50, abs=0.01), pytest.approx(20688.78, abs=0.01))
    spx = load(data_pack / EQ / "yahoo_SPX_daily_2021-01-04_2023-08-28.csv", "yahoo-daily")["candles"].frame
    assert spx.filter(pl.col("open_time") == datetime(2023, 1, 18, tzinfo=UTC))["close"][0] == pytest.approx(3928.86)
    vix = load(data_pack / EQ / "yahoo_VIX_daily_2021-01-04_2023-08-28_ddmmyyyy.csv", "yahoo-daily")["candles"]
    assert vix.frame.get_column("open_time").min() == datetime(2021, 1, 4, tzinfo=UTC)
    assert vix.frame.get_column("open_time").max() == datetime(2023, 8, 28, tzinfo=UTC)


def test_ticker_from_hint_or_plain_download_name(data_pack: Path, load: Loader, tmp_path: Path) -> None:
    data = (data_pack / CRYPTO / "yahoo_SOL-USD_daily_2021-01-01_2023-08-29.csv").read_bytes()
    assert load(tmp_path / "SOL-USD.csv", "yahoo-daily", data=data)["candles"].frame["asset_id"][0] == "solana"
    assert (
        load(tmp_path / "x.csv", "yahoo-daily", asset_hint="^VIX", data=data)["candles"].frame["asset_id"][0] == "vix"
    )
    from cryptodesk.core.errors import ParseError

    with pytest.raises(ParseError, match="--asset"):
        load(tmp_path / "download.csv", "yahoo-daily", data=data)


HEAD = "Date,Open,High,Low,Close,Adj Close,Volume\n"
ROW = "2023-01-18,1,2,0.5,1.5,1.5,100\n"


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (HEAD + ROW + "2023-01-19,1,2,abc,1.5,1.5,100\n", 3, "low"),
        (HEAD + ROW + "2023-01-19,1,2\n", 3, "low"),
        (HEAD + ROW + "2023-01-19,1,null,0.5,1.5,1.5,100\n", 3, "high"),
        (HEAD + ROW + "19/01/2023,1,2,0.5,1.5,1.5,100\n", 3, "date"),
        (HEAD + ROW + ROW, 3, None),
        (HEAD + "04/01/2021,1,2,0.5,1.5,1.5,1\n05/01/2021,1,2,0.5,1.5,1.5,1\n", None, "date"),
        (HEAD + "13/01/2021,1,2,0.5,1.5,1.5,1\n01/13/2021,1,2,0.5,1.5,1.5,1\n", None, "date"),
    ],
)
def test_corrupted_yahoo(parse_error: ErrorRunner, content: str, line: int | None, column: str | None) -> None:
    err = parse_error("yahoo-daily", content, asset_hint="bitcoin")
    assert (err.line, err.column) == (line, column)


def test_ambiguous_dates_say_so(parse_error: ErrorRunner) -> None:
    assert "ambiguous" in str(parse_error("yahoo-daily", HEAD + "04/01/2021,1,2,0.5,1.5,1.5,1\n"))


def test_missing_column_and_garbage(parse_error: ErrorRunner) -> None:
    err = parse_error("yahoo-daily", "Date,Open,High,Close,Volume\n2023-01-18,1,2,1,1\n")
    assert "'low'" in str(err)
    assert "Date,Open,High,Low,Close" in str(err)
    assert "expected a header" in str(parse_error("yahoo-daily", "\x89PNG\r\n\x1a\n\x00garbage"))
