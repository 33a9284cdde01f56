"""CoinGecko CSV formats: exports, the long CSV, the all-coins per-day CSV and the hourly CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.sources.base import ParseContext
from cryptodesk.sources.files import format_by_name

from .files_helpers import ErrorRunner, Loader, by_table, pack_text

EXPORTS = "daily/coingecko_exports"


def rows(path: Path) -> list[dict[str, str]]:
    """The file's rows read with the stdlib csv module."""
    return list(csv.DictReader(io.StringIO(pack_text(path))))


def value_at(frame: pl.DataFrame, ts: datetime, column: str, asset: str | None = None) -> float | None:
    """The value of ``column`` at ``ts`` (for ``asset`` when given)."""
    f = frame.filter(pl.col("ts") == ts)
    if asset is not None:
        f = f.filter(pl.col("asset_id") == asset)
    assert f.height == 1, (ts, asset, f)
    v = f.get_column(column)[0]
    return None if v is None else float(v)


def day(text: str) -> datetime:
    """'2023-01-18 00:00:00 UTC' or '2023-01-18' as a UTC datetime."""
    return datetime.fromisoformat(text.replace(" UTC", "")[:19]).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("rel", "asset"),
    [
        (f"{EXPORTS}/btc-usd-max.csv", "bitcoin"),
        (f"{EXPORTS}/eth-usd-max.csv", "ethereum"),
        (f"{EXPORTS}/amp-usd-max.csv", "amp-token"),
        (f"{EXPORTS}/shib-usd-max.csv", "shiba-inu"),
        ("daily/coingecko_exports_partial_to_2022-09-14/usdc-usd-max.csv", "usd-coin"),
        ("daily/coingecko_price_only/avax-usd-max_price_only.csv", "avalanche-2"),
    ],
)
def test_export_matches_stdlib_read(data_pack: Path, load: Loader, rel: str, asset: str) -> None:
    path = data_pack / rel
    expected = rows(path)
    snap = load(path, "coingecko-export")["snapshots"].frame
    assert snap.height == len(expected)
    assert set(snap.get_column("asset_id")) == {asset}
    assert set(snap.get_column("source")) == {"coingecko"}
    ts_key = "date" if "date" in expected[0] else "snapped_at"
    for row in (expected[0], expected[len(expected) // 3], expected[-200], expected[-1]):
        ts = day(row[ts_key])
        assert value_at(snap, ts, "price") == pytest.approx(float(row["price"]), rel=1e-12)
        if "market_cap" in row:
            mcap = float(row["market_cap"])
            assert value_at(snap, ts, "market_cap") == (None if mcap == 0 else pytest.approx(mcap, rel=1e-12))
            assert value_at(snap, ts, "volume_24h") == pytest.approx(float(row["total_volume"]), rel=1e-12)
        else:
            assert value_at(snap, ts, "market_cap") is None


def test_btc_known_values_and_zero_market_cap(data_pack: Path, load: Loader) -> None:
    snap = load(data_pack / EXPORTS / "btc-usd-max.csv", "coingecko-export")["snapshots"].frame
    ts = datetime(2023, 1, 19, tzinfo=UTC)
    assert value_at(snap, ts, "price") == pytest.approx(20726.84, abs=0.01)
    assert value_at(snap, datetime(2023, 1, 18, tzinfo=UTC), "volume_24h") == pytest.approx(3.3279e10, rel=1e-4)
    amp = load(data_pack / EXPORTS / "amp-usd-max.csv", "coingecko-export")["snapshots"].frame
    assert value_at(amp, datetime(2020, 9, 9, tzinfo=UTC), "market_cap") is None  # 0.0 in the file = unknown


def test_export_asset_from_hint_and_unknown_name(data_pack: Path, load: Loader, tmp_path: Path) -> None:
    data = (data_pack / EXPORTS / "eth-usd-max.csv").read_bytes()
    renamed = tmp_path / "download.csv"
    renamed.write_bytes(data)
    assert set(load(renamed, "coingecko-export", asset_hint="ETH")["snapshots"].frame["asset_id"]) == {"ethereum"}
    from cryptodesk.core.errors import ParseError

    with pytest.raises(ParseError, match="--asset"):
        load(renamed, "coingecko-export")


def test_long_csv_matches_stdlib_and_exports(data_pack: Path, load: Loader) -> None:
    path = data_pack / "daily/coingecko_daily_long_all_symbols.csv.gz"
    expected = rows(path)
    snap = load(path, "coingecko-long")["snapshots"].frame
    assert snap.height == len(expected) == 51618
    counts = dict(snap.group_by("asset_id").len().iter_rows())
    assert counts["bitcoin"] == sum(1 for r in expected if r["symbol"] == "BTC")
    assert counts["matic-network"] == sum(1 for r in expected if r["symbol"] == "MATIC")
    assert len(counts) == 22
    for row in (expected[10], expected[20000], expected[40000], expected[-1]):
        asset = snap.filter(pl.col("price") == float(row["price"])).get_column("asset_id")[0]
        assert value_at(snap, day(row["date"]), "price", asset) == float(row["price"])
    # identical to the export rows of the same day
    btc = load(data_pack / EXPORTS / "btc-usd-max.csv", "coingecko-export")["snapshots"].frame
    for ts in (datetime(2022, 11, 9, tzinfo=UTC), datetime(2023, 1, 18, tzinfo=UTC)):
        for col in ("price", "market_cap", "volume_24h"):
            assert value_at(snap, ts, col, "bitcoin") == value_at(btc, ts, col)


def test_allcoins_matches_stdlib_read(data_pack: Path, load: Loader) -> None:
    path = data_pack / "daily/coingecko_all_coins_2021/hathix_coingecko_perday_2021-09-01_2021-12-31.csv.gz"
    everything = rows(path)
    expected = [r for r in everything if r["coinId"] and float(r["price"]) >= 0]
    out = load(path, "coingecko-allcoins")
    snap = out["snapshots"].frame
    assert snap.height == len(expected)
    assert out["snapshots"].distinct  # its keys were checked: the store does not count them again
    assert snap.select("source", "asset_id", "ts").n_unique() == snap.height
    ids = {r["coinId"] for r in everything if r["coinId"]}
    assert set(out["assets"].frame.get_column("asset_id")) == ids
    assert len(ids) == 2494
    nov9 = int(datetime(2021, 11, 9, tzinfo=UTC).timestamp() * 1000)
    total = sum(float(r["marketCap"]) for r in expected if int(r["timestamp"]) == nov9)
    got = snap.filter(pl.col("ts") == datetime(2021, 11, 9, tzinfo=UTC)).get_column("market_cap").sum()
    assert got == pytest.approx(total, rel=1e-9)
    assert 3.0e12 < got < 3.15e12
    for row in (expected[0], expected[100000], expected[-1]):
        ts = datetime.fromtimestamp(int(row["timestamp"]) / 1000, tz=UTC)
        assert value_at(snap, ts, "price", row["coinId"]) == float(row["price"])


def test_allcoins_skips_comma_lines_and_negative_prices(registry: AssetRegistry, tmp_path: Path) -> None:
    text = (
        "timestamp,readableTimestamp,coinId,price,marketCap,totalVolume\n"
        '1630454400000,"9/1/2021, 12:00:00 AM",bitcoin,47335.4,890014982634.8,34868965959.2\n'
        ",,,,,\n"
        '1630454400000,"9/1/2021, 12:00:00 AM",hybrix,-79.1,-180005127.7,0\n'
        '1630454400000,"9/1/2021, 12:00:00 AM",link,163.4,0,2824547.7\n'
    )
    ctx = ParseContext(tmp_path / "x.csv", registry)
    out = by_table(format_by_name("coingecko-allcoins").load(text.encode(), ctx))
    snap = out["snapshots"].frame
    assert snap.get_column("asset_id").to_list() == ["bitcoin", "link"]  # 'link' is its own CoinGecko id
    assert snap.get_column("market_cap")[1] is None
    assert "line 4" in ctx.warnings[0]
    assets = out["assets"].frame.sort("asset_id")
    assert assets.get_column("asset_id").to_list() == ["bitcoin", "link"]
    assert assets.get_column("symbol").to_list() == ["BTC", None]


def test_hourly_matches_stdlib_read(data_pack: Path, load: Loader) -> None:
    path = data_pack / "intraday/coingecko_bitcoin_hourly_2022-11-20_2023-01-19.csv"
    expected = rows(path)
    snap = load(path, "coingecko-hourly")["snapshots"].frame
    assert snap.height == len(expected) == 1445
    assert set(snap.get_column("asset_id")) == {"bitcoin"}
    for row in (expected[0], expected[700], expected[-1]):
        ts = datetime.fromtimestamp(int(row["timestamp_ms"]) / 1000, tz=UTC)
        assert value_at(snap, ts, "price") == float(row["price"])
        assert value_at(snap, ts, "market_cap") == float(row["market_cap"])


EXPORT_HEAD = "snapped_at,price,market_cap,total_volume\n"
GOOD = "2023-01-18 00:00:00 UTC,21156.78,407410000000.0,33279000000.0\n"


@pytest.mark.parametrize(
    ("fmt", "content", "line", "column"),
    [
        ("coingecko-export", EXPORT_HEAD + GOOD + "2023-01-19 00:00:00 UTC,abc,1,1\n", 3, "price"),
        ("coingecko-export", EXPORT_HEAD + GOOD + "2023-01-19 00:00:00 UTC\n", 3, "price"),
        ("coingecko-export", EXPORT_HEAD + GOOD + "19/01/2023,1,1,1\n", 3, "snapped_at"),
        ("coingecko-export", EXPORT_HEAD + GOOD + GOOD, 3, None),
        ("coingecko-export", EXPORT_HEAD + GOOD + "2023-01-19 00:00:00 UTC,1,1,1,9\n", 3, None),
        (
            "coingecko-long",
            "date,symbol,price,market_cap,total_volume,source_file\n2023-01-18,BTC,1,x,1,f\n",
            2,
            "market_cap",
        ),
        ("coingecko-long", "date,symbol,price,market_cap,total_volume,source_file\n2023-01-18,,1,1,1,f\n", 2, "symbol"),
        (
            "coingecko-allcoins",
            "timestamp,readableTimestamp,coinId,price,marketCap,totalVolume\n,,,,,\n1630454400000,x,bitcoin,1e,2,3\n",
            3,
            "price",
        ),
        (
            "coingecko-allcoins",
            "timestamp,readableTimestamp,coinId,price,marketCap,totalVolume\n163045440000O,x,bitcoin,1,2,3\n",
            2,
            "timestamp",
        ),
        ("coingecko-hourly", "timestamp_ms,time_utc,price,market_cap,total_volume\n1668978014406,x,,1,1\n", 2, "price"),
    ],
)
def test_corrupted_rows_name_line_and_column(
    parse_error: ErrorRunner, fmt: str, content: str, line: int, column: str | None
) -> None:
    err = parse_error(fmt, content)
    assert err.line == line
    assert err.column == column


@pytest.mark.parametrize(
    ("fmt", "content", "missing"),
    [
        ("coingecko-export", "snapped_at,market_cap,total_volume\n2023-01-18,1,1\n", "price"),
        ("coingecko-long", "date,price,market_cap,total_volume,source_file\n2023-01-18,1,1,1,f\n", "symbol"),
        ("coingecko-allcoins", "timestamp,readableTimestamp,price,marketCap\n1,x,1,1\n", "coinid"),
        ("coingecko-hourly", "time_utc,price\nx,1\n", "timestamp_ms"),
        ("coingecko-export", "\x00\x01garbage\xff\n", "snapped_at"),
    ],
)
def test_missing_column_or_garbage(parse_error: ErrorRunner, fmt: str, content: str, missing: str) -> None:
    err = parse_error(fmt, content)
    assert repr(missing) in str(err)
    assert "expected a header" in str(err)


def test_error_message_names_file_line_column_and_value(parse_error: ErrorRunner) -> None:
    rows = [GOOD.replace("2023-01-18", f"2023-01-{d:02d}") for d in range(1, 16)]
    err = parse_error(
        "coingecko-export", EXPORT_HEAD + "".join(rows) + "2023-01-16 00:00:00 UTC,abc,1,1\n", name="btc.csv"
    )
    assert str(err) == f"{err.path}, line 17, column 'price': expected a number, got 'abc'"


def test_windows_line_endings_and_bom(data_pack: Path, load: Loader) -> None:
    text = (data_pack / EXPORTS / "sol-usd-max.csv").read_text()
    windows = ("\ufeff" + text.replace("\n", "\r\n")).encode()
    plain = load(data_pack / EXPORTS / "sol-usd-max.csv", "coingecko-export")["snapshots"].frame
    crlf = load(Path("sol-usd-max.csv"), "coingecko-export", data=windows)["snapshots"].frame
    assert crlf.equals(plain)
