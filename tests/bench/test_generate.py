"""The benchmark generator is deterministic and writes files cryptodesk imports; the frames shortcut is faithful."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.bench.conftest import TINY, TINY_I

import generate
from common import AS_OF, daily_long
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk
from cryptodesk.desk.core import ImportReport


@pytest.fixture(scope="module")
def tiny_desk(tiny_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Desk, ImportReport]]:
    """A desk whose fresh store holds the tiny datasets, imported once."""
    with Desk(Settings.model_validate({"db": tmp_path_factory.mktemp("store") / "t.duckdb"})) as desk:
        report = desk.import_paths([tiny_root / "T" / "csv", tiny_root / "TI" / "csv"])
        yield desk, report


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = generate.daily_frame(TINY)
    assert_frame_equal(a, generate.daily_frame(TINY))
    other = generate.daily_frame(generate.DailySpec("T", TINY.assets, TINY.years, seed=TINY.seed + 1))
    assert not a.get_column("price").equals(other.get_column("price"))


def test_daily_dataset_shape() -> None:
    """Every coin is present on the last day; late listings and gaps make some coins shorter; ids as documented."""
    df = generate.daily_frame(TINY)
    last = df.filter(pl.col("date") == df.get_column("date").max())
    assert sorted(last.get_column("coinId").to_list()) == sorted(generate.coin_ids(TINY.assets))
    per_coin = df.group_by("coinId").len().get_column("len")
    days = (generate.END - df.get_column("date").min()).days + 1
    assert per_coin.max() <= days
    assert per_coin.min() < days
    assert (df.get_column("price") > 0).all()
    assert (df.get_column("totalVolume") > 0).all()
    assert generate.coin_ids(22)[:2] == ["bitcoin", "ethereum"]
    assert generate.coin_ids(22)[-1] == "synth-00022"


def test_intraday_candles_are_consistent() -> None:
    k = generate.intraday_frame(TINY_I, 0)
    assert k.height == TINY_I.days * 1440
    assert (k.get_column("high") >= k.select(pl.max_horizontal("open", "close")).to_series()).all()
    assert (k.get_column("low") <= k.select(pl.min_horizontal("open", "close")).to_series()).all()
    assert (k.get_column("close_time") - k.get_column("open_time") == 59_999).all()


@pytest.mark.parametrize(
    "as_of",
    [datetime(2023, 7, 1, 12, tzinfo=UTC), datetime(2024, 1, 1, 0, tzinfo=UTC), datetime(2024, 12, 31, 18, tzinfo=UTC)],
)
def test_import_and_frames_shortcut(tiny_root: Path, tiny_desk: tuple[Desk, ImportReport], as_of: datetime) -> None:
    """cryptodesk imports the generated CSVs, and common.daily_long gives the store's daily frame at any as-of."""
    desk, report = tiny_desk
    assert not report.failed
    stored = desk.frames(as_of)
    rows = generate.daily_frame(TINY).height
    assert sum(f.rows.get("snapshots", 0) for f in report.files) == rows
    assert sum(f.rows.get("candles", 0) for f in report.files) == TINY_I.pairs * TINY_I.days * 1440
    mine = daily_long("T", tiny_root).filter(pl.col("available_at") <= as_of)
    cols = ["asset_id", "date", "close", "volume", "market_cap", "source", "available_at"]
    assert_frame_equal(mine.select(cols), stored.daily.select(cols).sort("asset_id", "date"), check_dtypes=False)


def _read_whole(root: Path, dataset: str) -> pl.DataFrame:
    """The straightforward reading of a generated Parquet copy as the store's daily frame (whole file, sorted)."""
    ts = pl.from_epoch(pl.col("timestamp"), time_unit="ms").dt.replace_time_zone("UTC").cast(pl.Datetime("us", "UTC"))
    return (
        pl.read_parquet(root / dataset / "parquet" / "daily.parquet")
        .select(
            pl.col("coinId").alias("asset_id"),
            (ts.dt.date() - pl.duration(days=1)).alias("date"),
            pl.col("price").alias("close"),
            pl.lit(None, dtype=pl.Float64).alias("high"),
            pl.lit(None, dtype=pl.Float64).alias("low"),
            pl.col("totalVolume").alias("volume"),
            pl.when(pl.col("marketCap") > 0).then(pl.col("marketCap")).alias("market_cap"),
            pl.lit("coingecko").alias("source"),
            ts.alias("available_at"),
        )
        .sort("asset_id", "date")
    )


@pytest.mark.parametrize("as_of", [None, datetime(2024, 6, 30, 23, 59, 59, 999_999, tzinfo=UTC), AS_OF])
def test_lean_daily_long_is_the_whole_read(tiny_root: Path, as_of: datetime | None) -> None:
    """The lean reading (row order from the keys, one value column at a time) gives the plain reading's frame."""
    whole = _read_whole(tiny_root, "T")
    want = whole if as_of is None else whole.filter(pl.col("available_at") <= as_of)
    got = daily_long("T", tiny_root, as_of=as_of)
    assert_frame_equal(got, want)
    assert 0 < got.height <= whole.height


def test_lean_daily_long_of_shuffled_rows_and_unknown_caps(tiny_root: Path, tmp_path: Path) -> None:
    """Rows in any order and market caps that are not positive (null in the store's frame) read the same way."""
    raw = pl.read_parquet(tiny_root / "T" / "parquet" / "daily.parquet").sample(fraction=1.0, shuffle=True, seed=3)
    cap = pl.int_range(pl.len()) % 7
    raw = raw.with_columns(
        pl.when(cap == 0).then(0.0).when(cap == 1).then(-1.0).otherwise("marketCap").alias("marketCap")
    )
    (tmp_path / "X" / "parquet").mkdir(parents=True)
    raw.write_parquet(tmp_path / "X" / "parquet" / "daily.parquet")
    got = daily_long("X", tmp_path, as_of=AS_OF)
    assert_frame_equal(got, _read_whole(tmp_path, "X").filter(pl.col("available_at") <= AS_OF))
    assert got.get_column("market_cap").null_count() > 0
