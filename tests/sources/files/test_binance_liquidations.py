"""Binance liquidationSnapshot CSV (synthetic fixture written for these tests: the pack has none)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from .files_helpers import ErrorRunner, Loader

FIXTURE = Path(__file__).parent / "fixtures" / "BTCUSDT-liquidationSnapshot-2023-01-18.csv"


def test_fixture_matches_stdlib(load: Loader) -> None:
    with FIXTURE.open() as f:
        rows = [r for r in csv.DictReader(f) if float(r["accumulated_fill_quantity"]) > 0]
    liq = load(FIXTURE, "binance-liquidations")["liquidations"].frame
    assert liq.height == len(rows) == 7
    assert set(liq.get_column("symbol")) == {"BTCUSDT"}
    assert set(liq.get_column("asset_id")) == {"bitcoin"}
    assert set(liq.get_column("exchange")) == set(liq.get_column("source")) == {"binance"}
    for got, row in zip(liq.iter_rows(named=True), rows, strict=True):
        assert got["ts"] == datetime.fromtimestamp(int(row["time"]) / 1000, tz=UTC)
        assert got["side"] == {"SELL": "long", "BUY": "short"}[row["side"]]
        assert got["price"] == float(row["average_price"])
        assert got["quantity"] == float(row["accumulated_fill_quantity"])
        assert got["notional_usd"] == pytest.approx(
            float(row["average_price"]) * float(row["accumulated_fill_quantity"])
        )
    shorts = sum(float(r["average_price"]) * float(r["accumulated_fill_quantity"]) for r in rows if r["side"] == "BUY")
    assert liq.filter(pl.col("side") == "short").get_column("notional_usd").sum() == pytest.approx(shorts)


def test_event_ids_are_stable_and_distinct(load: Loader, tmp_path: Path) -> None:
    first = load(FIXTURE, "binance-liquidations")["liquidations"].frame.get_column("event_id").to_list()
    again = load(FIXTURE, "binance-liquidations")["liquidations"].frame.get_column("event_id").to_list()
    assert first == again
    assert len(set(first)) == len(first)
    # a copy with rows in another order gives the same ids
    lines = FIXTURE.read_text().splitlines()
    shuffled = tmp_path / "BTCUSDT-liquidationSnapshot-copy.csv"
    shuffled.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    assert set(load(shuffled, "binance-liquidations")["liquidations"].frame.get_column("event_id")) == set(first)


def test_pair_from_hint(load: Loader) -> None:
    liq = load(Path("liq.csv"), "binance-liquidations", asset_hint="ETH", data=FIXTURE.read_bytes())["liquidations"]
    assert set(liq.frame.get_column("asset_id")) == {"ethereum"}
    assert set(liq.frame.get_column("symbol")) == {"ETHUSDT"}


HEAD = FIXTURE.read_text().splitlines()[0] + "\n"
ROW = "1674050400123,BUY,LIMIT,IOC,0.250,21510.50,21498.20,FILLED,0.250,0.250\n"


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (HEAD + ROW + "1674050400124,BUY,LIMIT,IOC,0.250,21510.50,21498.x,FILLED,0.250,0.250\n", 3, "average_price"),
        (HEAD + ROW + "1674050400124,BUY,LIMIT,IOC,0.250\n", 3, "average_price"),
        (HEAD + ROW + "1674050400124,HOLD,LIMIT,IOC,0.250,21510.50,21498.20,FILLED,0.250,0.250\n", 3, "side"),
        (HEAD + ROW + "2023-01-18,BUY,LIMIT,IOC,0.250,21510.50,21498.20,FILLED,0.250,0.250\n", 3, "time"),
        (HEAD + ROW + ROW, 3, None),
    ],
)
def test_corrupted_liquidations(parse_error: ErrorRunner, content: str, line: int, column: str | None) -> None:
    err = parse_error("binance-liquidations", content, name="BTCUSDT-liquidationSnapshot.csv", asset_hint=None)
    assert (err.line, err.column) == (line, column)


def test_missing_column_and_garbage(parse_error: ErrorRunner) -> None:
    err = parse_error("binance-liquidations", "time,side,price\n1,BUY,1\n")
    assert "'average_price'" in str(err)
    assert "expected a header" in str(parse_error("binance-liquidations", "\x00\x01\x02"))


def test_detected_by_content(tmp_path: Path) -> None:
    from cryptodesk.sources.base import detect
    from cryptodesk.sources.files import builtin_formats

    assert detect(builtin_formats(), FIXTURE.read_bytes(), tmp_path / "x.dat").name == "binance-liquidations"
