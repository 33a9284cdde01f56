"""TradingView chart export CSV: total market cap -> global_metrics, other symbols -> candles."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from .files_helpers import ErrorRunner, Loader, pack_text

TOTAL = "total_market_cap/tradingview_CRYPTOCAP_TOTAL_1D_2020-11-16_2023-02-02.csv"


def test_total_market_cap_matches_stdlib(data_pack: Path, load: Loader) -> None:
    path = data_pack / TOTAL
    reader = csv.reader(io.StringIO(pack_text(path)))
    header = next(reader)
    rows = list(reader)
    dom = header.index("BTC.D, CRYPTOCAP: Close")
    vol = header.index("Volume")
    gm = load(path, "tradingview")["global_metrics"].frame
    assert gm.height == len(rows) == 809
    assert set(gm.get_column("interval")) == {"1d"}
    assert set(gm.get_column("source")) == {"tradingview"}
    for row in (rows[0], rows[300], rows[700], rows[-1]):
        got = gm.filter(pl.col("ts") == datetime.fromtimestamp(int(row[0]), tz=UTC)).row(0, named=True)
        assert (got["open"], got["high"], got["low"]) == (float(row[1]), float(row[2]), float(row[3]))
        assert got["total_market_cap"] == float(row[4])
        assert got["btc_dominance"] == float(row[dom])
        assert got["total_volume"] == float(row[vol])


def test_total_known_values(data_pack: Path, load: Loader) -> None:
    gm = load(data_pack / TOTAL, "tradingview")["global_metrics"].frame
    jan18 = gm.filter(pl.col("ts") == datetime(2023, 1, 18, tzinfo=UTC)).row(0, named=True)
    assert jan18["high"] == pytest.approx(966.6e9, rel=1e-3)
    nov9 = gm.filter(pl.col("ts") == datetime(2022, 11, 9, tzinfo=UTC)).row(0, named=True)
    assert (nov9["low"], nov9["total_market_cap"]) == (
        pytest.approx(736.4e9, rel=1e-3),
        pytest.approx(753.9e9, rel=1e-3),
    )


def test_total_by_hint_when_the_name_says_nothing(data_pack: Path, load: Loader, tmp_path: Path) -> None:
    data = (data_pack / TOTAL).read_bytes()
    out = load(tmp_path / "export.csv", "tradingview", asset_hint="total_market_cap", data=data)
    assert out["global_metrics"].frame.height == 809
    default_name = load(tmp_path / "CRYPTOCAP:TOTAL, 1D.csv", "tradingview", data=data)
    assert default_name["global_metrics"].frame.height == 809


def _chart(times: list[str], with_volume: bool = True) -> str:
    lines = ["time,open,high,low,close" + (",Volume" if with_volume else "")]
    lines += [
        f"{t},{100 + i},{110 + i},{90 + i},{105 + i}" + (f",{1000 + i}" if with_volume else "")
        for i, t in enumerate(times)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("times", "interval", "first"),
    [
        (["1673740800", "1673827200", "1673913600", "1674000000"], "1d", datetime(2023, 1, 15, tzinfo=UTC)),
        (["1674000000", "1674003600", "1674007200"], "1h", datetime(2023, 1, 18, tzinfo=UTC)),
        (["1674000000000", "1674000060000", "1674000120000"], "1m", datetime(2023, 1, 18, tzinfo=UTC)),
        (
            ["2023-01-18T00:00:00Z", "2023-01-18T04:00:00Z", "2023-01-18T08:00:00Z"],
            "4h",
            datetime(2023, 1, 18, tzinfo=UTC),
        ),
        (["2023-01-17T19:00:00-05:00", "2023-01-24T19:00:00-05:00"], "1w", datetime(2023, 1, 18, tzinfo=UTC)),
    ],
)
def test_candles_with_inferred_interval(
    load: Loader, tmp_path: Path, times: list[str], interval: str, first: datetime
) -> None:
    out = load(tmp_path / "BINANCE_ETHUSDT, 1D.csv", "tradingview", data=_chart(times).encode())
    candles = out["candles"].frame
    assert candles.height == len(times)
    assert set(candles.get_column("interval")) == {interval}
    assert candles.get_column("open_time")[0] == first
    row = candles.row(1, named=True)
    assert (row["asset_id"], row["venue"], row["symbol"]) == ("ethereum", "binance", "ETHUSDT")
    assert (row["open"], row["high"], row["low"], row["close"], row["volume"]) == (101, 111, 91, 106, 1001)


def test_irregular_spacing_is_refused(parse_error: ErrorRunner) -> None:
    err = parse_error("tradingview", _chart(["1674000000", "1674000007", "1674000014"]))
    assert "intervals" in str(err)


HEAD = "time,open,high,low,close,Volume\n"
ROW = "1674000000,1,2,0.5,1.5,10\n"


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (HEAD + ROW + "1674086400,1,2,x,1.5,10\n", 3, "low"),
        (HEAD + ROW + "1674086400,1,2,NaN,1.5,10\n", 3, "low"),
        (HEAD + ROW + "1674086400,1,2\n", 3, "low"),
        (HEAD + ROW + "1674086400,1,2,0.5,1.5,lots\n", 3, "volume"),
        (HEAD + ROW + "yesterday,1,2,0.5,1.5,10\n", 3, "time"),
        (HEAD + ROW + ROW + "1674086400,1,2,0.5,1.5,10\n", 3, None),
    ],
)
def test_corrupted_chart(parse_error: ErrorRunner, content: str, line: int, column: str | None) -> None:
    err = parse_error("tradingview", content, asset_hint="bitcoin")
    assert (err.line, err.column) == (line, column)


def test_missing_column_and_garbage(parse_error: ErrorRunner) -> None:
    assert "'close'" in str(parse_error("tradingview", "time,open,high,low\n1,1,1,1\n"))
    assert "expected a header" in str(parse_error("tradingview", "\x00\x00\x00garbage\n"))
