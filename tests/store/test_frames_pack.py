"""Store.frames on the real pack: CoinGecko exports + Yahoo daily OHLC for BTC and ETH.

Batches are built here with Polars straight from the CSVs (not through the importers);
expected values are read with the csv module, row by row, and shifted by hand.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.core.models import TABLES, Batch
from cryptodesk.store import Store

ASSETS = {"bitcoin": ("btc", "BTC"), "ethereum": ("eth", "ETH")}
DROPPED = {date(2022, 6, 14), date(2022, 12, 25), date(2023, 2, 1)}
"""CoinGecko snapshot days left out of the store, to make gaps inside Yahoo's range (the pack has none there)."""


def _cg_batch(pack: Path, asset: str, file_sym: str) -> Batch:
    raw = pl.read_csv(pack / "daily" / "coingecko_exports" / f"{file_sym}-usd-max.csv")
    frame = raw.select(
        pl.lit("coingecko").alias("source"),
        pl.lit(asset).alias("asset_id"),
        pl.col("snapped_at").str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%d %H:%M:%S UTC").alias("ts"),
        pl.col("price").cast(pl.Float64),
        pl.col("market_cap").cast(pl.Float64),
        pl.col("total_volume").cast(pl.Float64).alias("volume_24h"),
    ).filter(~pl.col("ts").dt.date().is_in(sorted(DROPPED)))
    return Batch("snapshots", TABLES["snapshots"].conform(frame))


def _yahoo_batch(pack: Path, asset: str, ticker: str) -> Batch:
    raw = pl.read_csv(pack / "daily" / "yahoo_crypto_ohlcv" / f"yahoo_{ticker}-USD_daily_2021-01-01_2023-08-29.csv")
    frame = raw.select(
        pl.lit("yahoo").alias("source"),
        pl.lit("yahoo").alias("venue"),
        pl.lit(asset).alias("asset_id"),
        pl.lit(f"{ticker}-USD").alias("symbol"),
        pl.lit("1d").alias("interval"),
        pl.col("Date").str.to_date().cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias("open_time"),
        pl.col("Open").alias("open"),
        pl.col("High").alias("high"),
        pl.col("Low").alias("low"),
        pl.col("Close").alias("close"),
        pl.col("Volume").cast(pl.Float64).alias("quote_volume"),
    )
    return Batch("candles", TABLES["candles"].conform(frame))


def _cg_closes(pack: Path, file_sym: str) -> dict[date, tuple[float, float]]:
    """day -> (close, market cap), the close of day D being the row snapped at D+1 00:00 UTC."""
    out: dict[date, tuple[float, float]] = {}
    with (pack / "daily" / "coingecko_exports" / f"{file_sym}-usd-max.csv").open() as f:
        for row in csv.DictReader(f):
            snapped = date.fromisoformat(row["snapped_at"][:10])
            if snapped in DROPPED:
                continue
            out[snapped - timedelta(days=1)] = (float(row["price"]), float(row["market_cap"]))
    return out


def _yahoo(pack: Path, ticker: str) -> dict[date, dict[str, float]]:
    path = pack / "daily" / "yahoo_crypto_ohlcv" / f"yahoo_{ticker}-USD_daily_2021-01-01_2023-08-29.csv"
    with path.open() as f:
        return {
            date.fromisoformat(r["Date"]): {k: float(v) for k, v in r.items() if k != "Date"} for r in csv.DictReader(f)
        }


@pytest.fixture(scope="module")
def pack_store(data_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("pack") / "pack.duckdb"
    batches: list[Batch] = []
    for asset, (file_sym, ticker) in ASSETS.items():
        batches += [_cg_batch(data_pack, asset, file_sym), _yahoo_batch(data_pack, asset, ticker)]
    with Store.open(path) as store:
        store.ingest(batches, kind="import", files=[])
        yield store


@pytest.mark.parametrize("asset", sorted(ASSETS))
@pytest.mark.parametrize("day", [date(2022, 1, 18), date(2022, 11, 9), date(2023, 1, 1), date(2023, 1, 17)])
def test_close_from_coingecko_high_low_from_yahoo(pack_store: Store, data_pack: Path, asset: str, day: date) -> None:
    file_sym, ticker = ASSETS[asset]
    closes = _cg_closes(data_pack, file_sym)
    yahoo = _yahoo(data_pack, ticker)
    as_of = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
    daily = pack_store.frames(as_of, assets=[asset]).daily
    row = daily.filter(pl.col("date") == day).row(0, named=True)
    assert row["source"] == "coingecko"
    assert row["close"] == pytest.approx(closes[day][0], rel=1e-12)
    assert row["market_cap"] == pytest.approx(closes[day][1], rel=1e-12)
    assert row["high"] == pytest.approx(yahoo[day]["High"], rel=1e-12)
    assert row["low"] == pytest.approx(yahoo[day]["Low"], rel=1e-12)
    assert daily["date"].max() == date(2023, 1, 17)  # the 18th is not over at 17:30 UTC


def test_article_day_after_midnight(pack_store: Store) -> None:
    frames = pack_store.frames(datetime(2023, 1, 19, tzinfo=UTC))
    btc = frames.daily.filter((pl.col("asset_id") == "bitcoin") & (pl.col("date") == date(2023, 1, 18))).row(
        0, named=True
    )
    assert btc["close"] == pytest.approx(20726.84, abs=0.01)  # SOURCES.md sanity check
    assert btc["high"] == pytest.approx(21564.50, abs=0.01)
    eth = frames.daily.filter((pl.col("asset_id") == "ethereum") & (pl.col("date") == date(2023, 1, 18))).row(
        0, named=True
    )
    assert eth["close"] == pytest.approx(1516.56, abs=0.01)
    assert eth["high"] == pytest.approx(1602.11, abs=0.01)


@pytest.mark.parametrize("asset", sorted(ASSETS))
def test_coingecko_gaps_fall_back_to_yahoo(pack_store: Store, data_pack: Path, asset: str) -> None:
    file_sym, ticker = ASSETS[asset]
    closes = _cg_closes(data_pack, file_sym)
    yahoo = _yahoo(data_pack, ticker)
    gaps = sorted(d for d in yahoo if d not in closes and d < date(2023, 3, 30))
    assert gaps == sorted(d - timedelta(days=1) for d in DROPPED)
    daily = pack_store.frames(datetime(2023, 4, 1, tzinfo=UTC), assets=[asset]).daily
    got = {r["date"]: (r["source"], r["close"]) for r in daily.filter(pl.col("date").is_in(gaps)).iter_rows(named=True)}
    assert got == {d: ("yahoo", yahoo[d]["Close"]) for d in gaps}
    # every other day in Yahoo's range comes from CoinGecko
    others = daily.filter(
        (pl.col("date") >= date(2021, 1, 1)) & (pl.col("date") <= date(2023, 3, 30)) & ~pl.col("date").is_in(gaps)
    )
    assert set(others["source"].to_list()) == {"coingecko"}


def test_pack_disagreements_are_real_differences(pack_store: Store, data_pack: Path) -> None:
    tolerance = 0.02
    found = pack_store.disagreements(tolerance=tolerance)
    closes = _cg_closes(data_pack, "btc")
    yahoo = _yahoo(data_pack, "BTC")
    expected = {d for d in yahoo if d in closes and abs(yahoo[d]["Close"] - closes[d][0]) / closes[d][0] > tolerance}
    got = set(found.filter(pl.col("asset_id") == "bitcoin")["date"].to_list())
    assert got == expected
    assert set(found["source_a"].to_list()) <= {"coingecko"}
