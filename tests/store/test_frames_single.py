"""Daily rows read unmerged when every (asset, date) has one source row (``_frames.single_rows``) equal the SQL merge.

The reference is the SQL merge itself (``_frames.daily_sql``, ``_timeline.daily_versions_sql``), run on the same
store at the same moment; the stores are synthetic: one source per asset (snapshots for some, candles of one venue
for others, with gaps, rows without a close, a candle without its low), and the staggered store of
``tests/store/synth.py``, whose keys have several rows, so the merge runs in SQL there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.store.synth import batch, candle, snap, staggered_store, utc

from cryptodesk.core import frames as fr
from cryptodesk.store._frames import daily_sql, read_daily, single_rows, unmerged_sql
from cryptodesk.store._sql import conform, fetch
from cryptodesk.store._timeline import daily_versions_sql
from cryptodesk.store.db import Store

T0 = utc(2024, 3, 1)


def _one_source_store(path: Path) -> Store:
    """Five assets over 60 days, each from one source: CoinGecko snapshots (alpha, beta, gamma: beta misses every
    7th day, gamma's close is null every 5th day) and Binance daily candles (delta; its low is missing every 4th day)
    or Yahoo's (epsilon, listed on day 20)."""
    snaps: list[dict[str, Any]] = []
    candles: list[dict[str, Any]] = []
    for d in range(60):
        day = T0 + timedelta(days=d)
        snaps.append(snap("alpha", day + timedelta(days=1), 50.0 + d, market_cap=5e9 + d, volume_24h=1e6 + d))
        if d % 7:
            snaps.append(snap("beta", day + timedelta(days=1), 2.0 + d / 10, market_cap=2e8))
        snaps.append(snap("gamma", day + timedelta(days=1), None if d % 5 == 0 else 0.5 + d, market_cap=1e7))
        bar = candle("delta", day, 10.0 + d, source="binance", venue="binance-spot", volume=3.0 + d)
        candles.append({**bar, "low": None} if d % 4 == 0 else bar)
        if d >= 20:
            candles.append(candle("epsilon", day, 1.0 + d / 100, source="yahoo", volume=7.0))
    store = Store.open(path)
    store.ingest([batch("snapshots", snaps), batch("candles", candles)], kind="import", files=[])
    return store


@pytest.fixture
def one_source(tmp_path: Path) -> Iterator[Store]:
    store = _one_source_store(tmp_path / "one.duckdb")
    yield store
    store.close()


@pytest.fixture
def staggered(tmp_path: Path) -> Iterator[Store]:
    store = staggered_store(tmp_path / "staggered.duckdb")
    yield store
    store.close()


def _sql_merge(store: Store, as_of: datetime, assets: list[str] | None, *, versions: bool) -> pl.DataFrame:
    params: dict[str, Any] = {"as_of": as_of} if assets is None else {"as_of": as_of, "assets": assets}
    if versions:
        return conform(fetch(store.con, daily_versions_sql(assets), params), {**fr.DAILY_SCHEMA, **fr.VERSION_SCHEMA})
    return conform(fetch(store.con, daily_sql(assets), params), fr.DAILY_SCHEMA)


MOMENTS = [utc(2024, 3, 1, 12), utc(2024, 3, 9), utc(2024, 3, 21, 0, 0, 1), utc(2024, 4, 15, 18, 30), utc(2024, 6, 1)]
SUBSETS = [None, ["alpha"], ["beta", "delta"], ["epsilon", "gamma", "missing"]]


@pytest.mark.parametrize("versions", [False, True])
@pytest.mark.parametrize("assets", SUBSETS)
@pytest.mark.parametrize("as_of", MOMENTS)
def test_single_rows_equal_the_sql_merge(
    one_source: Store, as_of: datetime, assets: list[str] | None, versions: bool
) -> None:
    params: dict[str, Any] = {"as_of": as_of} if assets is None else {"as_of": as_of, "assets": assets}
    raw = fetch(one_source.con, unmerged_sql(assets), params)
    got = single_rows(raw, versions=versions)
    assert got is not None, "every key of this store has one row"
    want = _sql_merge(one_source, as_of, assets, versions=versions)
    assert_frame_equal(got, want, check_exact=True)
    assert_frame_equal(read_daily(one_source.con, assets, params, merge="SELECT 1", versions=versions), want)


def test_the_one_source_store_covers_the_cases_the_merge_decides(one_source: Store) -> None:
    """The store has what makes the merge more than a copy: rows without a close, candles without a low."""
    raw = fetch(one_source.con, unmerged_sql(None), {"as_of": utc(2024, 6, 1)})
    assert raw.filter(pl.col("close").is_null()).height == 12  # gamma, every 5th of 60 days
    assert raw.filter(pl.col("high").is_not_null() & pl.col("low").is_null()).height == 15  # delta, every 4th


@pytest.mark.parametrize("versions", [False, True])
@pytest.mark.parametrize("as_of", [utc(2023, 1, 11, 2), utc(2023, 1, 20, 12), utc(2023, 2, 9, 23, 59)])
def test_keys_with_several_rows_are_merged_in_sql(staggered: Store, as_of: datetime, versions: bool) -> None:
    params: dict[str, Any] = {"as_of": as_of}
    assert single_rows(fetch(staggered.con, unmerged_sql(None), params), versions=versions) is None
    merge = daily_versions_sql(None) if versions else daily_sql(None)
    got = read_daily(staggered.con, None, params, merge=merge, versions=versions)
    assert_frame_equal(got, _sql_merge(staggered, as_of, None, versions=versions), check_exact=True)
    assert got.filter(pl.col("asset_id") == "bitcoin").height > 0


def _raw(rows: list[tuple[str, int, float | None, float | None, float | None]]) -> pl.DataFrame:
    """Unmerged rows (asset, day of March 2024, close, high, low); the other columns follow from them."""
    return pl.DataFrame(
        [
            {
                "asset_id": a,
                "date": date(2024, 3, d),
                "close": c,
                "high": h,
                "low": lo,
                "volume": 1.0,
                "market_cap": None,
                "source": "src",
                "available_at": utc(2024, 3, d) + timedelta(days=1),
            }
            for a, d, c, h, lo in rows
        ],
        schema=fr.DAILY_SCHEMA,
    )


@pytest.mark.parametrize(
    ("rows", "want"),
    [
        pytest.param([], [], id="empty"),
        pytest.param([("a", 1, 1.0, 2.0, 0.5)], [("a", 1, 1.0, 2.0, 0.5)], id="one row as it is"),
        pytest.param([("a", 1, None, 2.0, 0.5), ("a", 2, 3.0, None, None)], [("a", 2, 3.0, None, None)], id="no close"),
        pytest.param([("a", 1, 1.0, 2.0, None)], [("a", 1, 1.0, None, None)], id="a high without its low"),
        pytest.param([("a", 1, 1.0, None, 0.5)], [("a", 1, 1.0, None, None)], id="a low without its high"),
        pytest.param(
            [("b", 2, 4.0, None, None), ("a", 3, 1.0, None, None), ("b", 1, 2.0, None, None)],
            [("a", 3, 1.0, None, None), ("b", 1, 2.0, None, None), ("b", 2, 4.0, None, None)],
            id="sorted by asset and date",
        ),
        pytest.param(
            [
                ("b", 1, 1.0, None, None),
                ("B", 2, 2.0, None, None),
                ("aa", 1, 3.0, None, None),
                ("a", 9, 4.0, None, None),
            ],
            [
                ("B", 2, 2.0, None, None),
                ("a", 9, 4.0, None, None),
                ("aa", 1, 3.0, None, None),
                ("b", 1, 1.0, None, None),
            ],
            id="asset ids in their string order",
        ),
        pytest.param([("a", 1, 1.0, None, None), ("a", 1, 2.0, None, None)], None, id="two rows of a key"),
        pytest.param([("a", 1, None, None, None), ("a", 1, 2.0, 3.0, 1.0)], None, id="two rows, one without close"),
    ],
)
def test_single_rows_cases(
    rows: list[tuple[str, int, float | None, float | None, float | None]],
    want: list[tuple[str, int, float | None, float | None, float | None]] | None,
) -> None:
    got = single_rows(_raw(rows), versions=False)
    if want is None:
        assert got is None
        return
    assert got is not None
    assert_frame_equal(got, _raw(want), check_exact=True)
    versioned = single_rows(_raw(rows), versions=True)
    assert versioned is not None
    assert versioned.get_column("valid_from").to_list() == got.get_column("available_at").to_list()
    assert versioned.get_column("valid_to").null_count() == versioned.height


@pytest.mark.parametrize(
    "days",
    [
        pytest.param([date(1969, 12, 31), date(1970, 1, 1), date(1901, 5, 2)], id="around the epoch"),
        pytest.param([date(2024, 3, 2), date(2024, 3, 1), date(1999, 12, 31), date(2100, 1, 1)], id="out of order"),
    ],
)
def test_single_rows_order_dates_of_any_era(days: list[date]) -> None:
    raw = pl.DataFrame(
        {
            "asset_id": ["z", "a"] * len(days),
            "date": [d for d in days for _ in range(2)],
            "close": [1.0] * (2 * len(days)),
        }
    ).with_columns(
        pl.lit(None, pl.Float64).alias("high"),
        pl.lit(None, pl.Float64).alias("low"),
        pl.lit(1.0).alias("volume"),
        pl.lit(None, pl.Float64).alias("market_cap"),
        pl.lit("src").alias("source"),
        pl.lit(utc(2100, 1, 2)).alias("available_at"),
    )
    got = single_rows(conform(raw, fr.DAILY_SCHEMA), versions=False)
    assert got is not None
    want = sorted((a, d) for a, d in zip(raw.get_column("asset_id"), raw.get_column("date"), strict=True))
    assert list(zip(got.get_column("asset_id"), got.get_column("date"), strict=True)) == want


def _marked(assets: list[str] | None, *, versions: bool) -> str:
    """The SQL merge with every row's source replaced by ``sql``, to see which path a read took."""
    merge = daily_versions_sql(assets) if versions else daily_sql(assets)
    return f"SELECT * REPLACE ('sql' AS source) FROM ({merge})"


@pytest.mark.parametrize("versions", [False, True])
@pytest.mark.parametrize(
    ("several", "assets", "in_sql"),
    [
        pytest.param(set(), None, False, id="nothing known: every asset unmerged"),
        pytest.param({"alpha"}, None, True, id="every asset includes a known one"),
        pytest.param({"alpha"}, ["alpha"], True, id="the known asset"),
        pytest.param({"alpha"}, ["beta", "alpha"], True, id="a list with the known asset"),
        pytest.param({"alpha"}, ["beta", "delta"], False, id="other assets"),
        pytest.param({"zeta"}, ["gamma"], False, id="an asset this store does not hold"),
    ],
)
def test_assets_known_to_have_several_rows_are_merged_in_sql_at_once(
    one_source: Store, several: set[str], assets: list[str] | None, in_sql: bool, versions: bool
) -> None:
    """Every key of this store has one row, so only a read sent to the merge by ``several`` runs it."""
    as_of = utc(2024, 4, 15, 18, 30)
    params: dict[str, Any] = {"as_of": as_of} if assets is None else {"as_of": as_of, "assets": assets}
    known = set(several)
    got = read_daily(
        one_source.con, assets, params, merge=_marked(assets, versions=versions), versions=versions, several=known
    )
    want = _sql_merge(one_source, as_of, assets, versions=versions)
    assert set(got.get_column("source").to_list()) == ({"sql"} if in_sql else set(want.get_column("source")))
    assert_frame_equal(got.drop("source"), want.drop("source"), check_exact=True)
    assert known == several, "a read that found no key with several rows adds nothing"


@pytest.mark.parametrize("versions", [False, True])
def test_a_read_that_finds_keys_with_several_rows_remembers_their_assets(staggered: Store, versions: bool) -> None:
    params: dict[str, Any] = {"as_of": utc(2023, 1, 20, 12)}
    known: set[str] = set()
    first = read_daily(
        staggered.con, None, params, merge=_marked(None, versions=versions), versions=versions, several=known
    )
    assert known == {"bitcoin"}, "ether has one daily row a day"
    assert set(first.get_column("source")) == {"sql"}
    ether = {**params, "assets": ["ethereum"]}
    alone = read_daily(staggered.con, ["ethereum"], ether, merge="SELECT 1", versions=versions, several=known)
    assert alone.height > 0
    assert set(alone.get_column("source")) == {"coingecko"}


def test_the_store_remembers_until_its_next_write(staggered: Store) -> None:
    as_of = utc(2023, 1, 20, 12)
    before = staggered.frames(as_of)
    assert staggered._several == {"bitcoin"}
    again = staggered.frames(as_of)
    assert_frame_equal(again.daily, before.daily, check_exact=True)
    staggered.timeline(utc(2023, 1, 10), as_of)
    assert staggered._several == {"bitcoin"}
    staggered.ingest([batch("snapshots", [snap("solana", utc(2023, 1, 5), 10.0)])], kind="import", files=[])
    assert staggered._several == set()
    assert staggered.frames(as_of, assets=["solana"]).daily.height == 1
    assert staggered._several == set()
