"""CoinMarketCap weekly top-10 snapshots: the CSV scrape and the iastewar JSON list."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from .files_helpers import ErrorRunner, Loader, pack_text

CSV = "weekly_snapshots/cmc_weekly_top10_2013-05-05_2023-07-09.csv"
JSON = "weekly_snapshots/cmc_weekly_top10_2013-04-28_2024-12-01_iastewar.json.gz"


def at(frame: pl.DataFrame, day: str, asset: str) -> dict[str, object]:
    """The row of ``asset`` on ``day``."""
    # CMC's snapshot for day D is taken at the end of D: stored at D+1 00:00 UTC
    ts = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC) + timedelta(days=1)
    found = frame.filter((pl.col("ts") == ts) & (pl.col("asset_id") == asset))
    assert found.height == 1, (day, asset)
    return found.row(0, named=True)


@pytest.mark.parametrize(
    ("day", "symbol", "asset"),
    [
        ("2013-05-05", "BTC", "bitcoin"),
        ("2022-11-06", "USDC", "usd-coin"),
        ("2022-11-06", "BUSD", "binance-usd"),
        ("2023-01-15", "MATIC", "matic-network"),
        ("2021-05-09", "DOGE", "dogecoin"),
        ("2023-07-09", "LTC", "litecoin"),
    ],
)
def test_csv_matches_stdlib(data_pack: Path, load: Loader, day: str, symbol: str, asset: str) -> None:
    rows = list(csv.DictReader(io.StringIO(pack_text(data_pack / CSV))))
    snap = load(data_pack / CSV, "coinmarketcap-weekly-csv")["snapshots"].frame
    assert snap.height == len(rows) == 5320
    assert snap.get_column("ts").n_unique() == 532
    assert set(snap.get_column("source")) == {"coinmarketcap"}
    row = next(r for r in rows if r["Date"] == day and r["Symbol"] == symbol)
    got = at(snap, day, asset)
    assert got["market_cap"] == float(row["Market Cap"])
    assert got["price"] == float(row["Price"])
    assert got["circulating_supply"] == float(row["Circulating Supply"])
    assert got["volume_24h"] == float(row["Volume (24hr)"])


@pytest.mark.parametrize(
    ("day", "symbol", "asset"),
    [
        ("2013-04-28", "BTC", "bitcoin"),
        ("2022-11-06", "USDC", "usd-coin"),
        ("2024-11-03", "TON", "the-open-network"),
        ("2022-05-01", "UST", "terrausd"),
        ("2016-04-03", "AMP", "hyperspace"),
    ],
)
def test_json_matches_stdlib(data_pack: Path, load: Loader, day: str, symbol: str, asset: str) -> None:
    raw = json.loads(gzip.decompress((data_pack / JSON).read_bytes()))
    snap = load(data_pack / JSON, "coinmarketcap-weekly-json")["snapshots"].frame
    assert snap.height == len(raw) == 6057
    y, m, d = (int(x) for x in day.split("-"))
    matches = [r for r in raw if (r["year"], r["month"], r["day"], r["symbol"]) == (y, m, d, symbol)]
    assert len(matches) == 1
    got = at(snap, day, asset)
    assert got["market_cap"] == float(matches[0]["marketCap"])
    assert got["rank"] == matches[0]["rank"]
    assert got["price"] is None


def test_reused_ticker_is_not_merged(data_pack: Path, load: Loader) -> None:
    """CMC's 2014 AMP (HyperSpace) is not today's Amp; SHIBA INU / Shiba Inu are one coin."""
    snap = load(data_pack / JSON, "coinmarketcap-weekly-json")["snapshots"].frame
    ids = set(snap.get_column("asset_id"))
    assert "amp-token" not in ids
    assert "hyperspace" in ids
    assert "shiba-inu" in ids


def _csv(*rows: str) -> str:
    return "Date,Name,Symbol,Market Cap,Price,Circulating Supply,Volume (24hr),% 1h,% 24h,% 7d\n" + "".join(rows)


GOOD = "2023-01-15,Bitcoin,BTC,400000000000.0,20800.0,19260000.0,30000000000.0,0.1,1.0,20.0\n"


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (_csv(GOOD, "2023-01-15,Ethereum,ETH,big,1500,1,1,0,0,0\n"), 3, "market cap"),
        (_csv(GOOD, "2023-01-15,Ethereum,ETH\n"), 3, "market cap"),
        (_csv(GOOD, "15/01/2023,Ethereum,ETH,1,1,1,1,0,0,0\n"), 3, "date"),
        (_csv(GOOD, GOOD), 3, None),
    ],
)
def test_corrupted_csv(parse_error: ErrorRunner, content: str, line: int, column: str | None) -> None:
    err = parse_error("coinmarketcap-weekly-csv", content)
    assert (err.line, err.column) == (line, column)


def _json(**change: object) -> str:
    good = {"year": 2023, "month": 1, "day": 15, "rank": 1, "name": "Bitcoin", "symbol": "BTC", "marketCap": 4e11}
    return json.dumps([good, {**good, "name": "Ethereum", "symbol": "ETH", "rank": 2, **change}])


@pytest.mark.parametrize(
    ("content", "column"),
    [
        (_json(marketCap="lots"), "marketCap"),
        (_json(marketCap=None), "marketCap"),
        (_json(month=1.5), "month"),
        (_json(symbol=None), "symbol"),
        (_json(month=13), "day"),
    ],
)
def test_corrupted_json(parse_error: ErrorRunner, content: str, column: str) -> None:
    err = parse_error("coinmarketcap-weekly-json", content, name="bad.json")
    assert err.column == column
    assert "entry 2" in str(err)


def test_missing_column_truncation_and_garbage(parse_error: ErrorRunner, data_pack: Path) -> None:
    assert "'price'" in str(
        parse_error("coinmarketcap-weekly-csv", "Date,Name,Symbol,Market Cap\n2023-01-15,B,BTC,1\n")
    )
    text = gzip.decompress((data_pack / JSON).read_bytes()).decode()
    assert "invalid JSON" in str(parse_error("coinmarketcap-weekly-json", text[:3000], name="cut.json.gz"))
    assert "expected a header" in str(parse_error("coinmarketcap-weekly-csv", "\x00\x01garbage"))


@pytest.mark.parametrize(("day", "sym"), [("2022-11-06", "btc"), ("2023-01-15", "btc"), ("2021-01-03", "eth")])
def test_cmc_snapshot_is_the_close_of_its_day(data_pack: Path, load: Loader, day: str, sym: str) -> None:
    """CMC's row for day D matches CoinGecko's close of D (its row snapped at D+1 00:00), not the close of D-1."""
    asset = {"btc": "bitcoin", "eth": "ethereum"}[sym]
    row = at(load(data_pack / CSV, "coinmarketcap-weekly-csv")["snapshots"].frame, day, asset)
    with (data_pack / f"daily/coingecko_exports/{sym}-usd-max.csv").open() as f:
        cg = {r["snapped_at"][:10]: float(r["price"]) for r in csv.DictReader(f)}
    next_day = (datetime.strptime(day, "%Y-%m-%d") + timedelta(days=1)).strftime("%Y-%m-%d")
    assert abs(float(row["price"]) / cg[next_day] - 1) < 0.01  # type: ignore[arg-type]
    assert abs(float(row["price"]) / cg[next_day] - 1) < abs(float(row["price"]) / cg[day] - 1)  # type: ignore[arg-type]
