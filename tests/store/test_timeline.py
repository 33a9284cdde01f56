"""A timeline read once equals ``Store.frames`` at every moment of its period, asset subset and intraday window.

Two stores: a synthetic one where a less preferred source arrives first and a preferred one replaces it later
(candles and snapshots of the same day, high/low from a third source, index bars from two providers), and the real
data pack.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.store.synth import staggered_store, utc

from cryptodesk.core import frames as fr
from cryptodesk.core.errors import ConfigError
from cryptodesk.store.db import Store

FRAME_NAMES = ("daily", "intraday", "points", "global_daily", "global_points", "calendar", "liquidations", "coverage")


def _equal(got: fr.MarketFrames, want: fr.MarketFrames) -> None:
    assert got.as_of == want.as_of
    for name in (*FRAME_NAMES, "assets"):
        assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True), name


@pytest.fixture
def staggered(tmp_path: Path) -> Iterator[Store]:
    store = staggered_store(tmp_path / "t.duckdb")
    yield store
    store.close()


MOMENTS = [utc(2023, 1, 5, 17, 30), utc(2023, 1, 10, 0, 0), utc(2023, 1, 20, 12), utc(2023, 2, 9, 23, 59)]
EDGES = [utc(2023, 1, 11 + d, h, m) for d in (0, 1) for h, m in ((0, 0), (2, 59), (3, 0), (4, 0), (5, 59), (6, 0))]
"""Around each source's arrival for Jan. 10 and 11 (Binance 00:00, Yahoo 03:00, TradingView 04:00, CMC 06:00)."""


@pytest.mark.parametrize("intraday_days", [None, 1, 3])
def test_timeline_cut_equals_store_frames(staggered: Store, intraday_days: int | None) -> None:
    timeline = staggered.timeline(MOMENTS[0], MOMENTS[-1], intraday_days=intraday_days)
    for moment in [*MOMENTS, *EDGES]:
        for assets in (None, ["bitcoin"], ["ethereum", "bitcoin"]):
            want = staggered.frames(moment, assets=assets, intraday_days=intraday_days)
            _equal(timeline.at(moment, assets), want)


def test_timeline_keeps_every_version(staggered: Store) -> None:
    timeline = staggered.timeline(MOMENTS[0], MOMENTS[-1])
    daily = timeline.frames.daily
    # One version per (asset, day) unless sources arrived at different times; versions never overlap.
    overlaps = daily.sort("asset_id", "date", "valid_from").with_columns(
        pl.col("valid_from").shift(-1).over("asset_id", "date").alias("next")
    )
    gaps = overlaps.filter(pl.col("next").is_not_null() & (pl.col("next") != pl.col("valid_to")))
    assert gaps.height == 0
    assert daily.filter(pl.col("valid_to").is_null()).select("asset_id", "date").is_duplicated().sum() == 0
    # Bitcoin's even days have three versions: Binance's bar, then Yahoo's (preferred to Binance), then
    # CoinMarketCap's close with Yahoo's high and low.
    day = utc(2023, 1, 11).date()
    versions = daily.filter((pl.col("asset_id") == "bitcoin") & (pl.col("date") == day))
    assert versions.get_column("source").to_list() == ["binance", "yahoo", "coinmarketcap"]
    assert versions.get_column("valid_from").to_list() == [utc(2023, 1, 12, h) for h in (0, 3, 6)]
    highs = {
        h: timeline.at(utc(2023, 1, 12, h, 59), ["bitcoin"]).daily.filter(pl.col("date") == day).row(0, named=True)
        for h in (2, 5, 6)
    }
    assert [highs[h]["source"] for h in (2, 5, 6)] == ["binance", "yahoo", "coinmarketcap"]
    assert [highs[h]["high"] for h in (2, 5, 6)] == pytest.approx([110 * 1.01, 160 * 1.01, 160 * 1.01])


def test_timeline_refuses_moments_outside_it(staggered: Store) -> None:
    timeline = staggered.timeline(MOMENTS[0], MOMENTS[1])
    with pytest.raises(ValueError, match="outside the timeline"):
        timeline.at(MOMENTS[2])
    with pytest.raises(ConfigError):
        staggered.timeline(MOMENTS[1], MOMENTS[0])
    with pytest.raises(ConfigError):
        staggered.timeline(datetime(2023, 1, 1), MOMENTS[0])


def test_universes_equal_universe_per_moment(staggered: Store) -> None:
    got = staggered.universes(MOMENTS, top_n=1, fresh_days=7)
    assert got == {m: staggered.universe(m, top_n=1, fresh_days=7) for m in MOMENTS}


@pytest.mark.slow
def test_timeline_on_the_data_pack(pack_db: Path) -> None:
    store = Store.open(pack_db, read_only=True)
    try:
        start, end = datetime(2022, 11, 1, 17, 30, tzinfo=UTC), datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
        moments = [start, datetime(2022, 11, 9, 17, 30, tzinfo=UTC), datetime(2023, 1, 3, 5, tzinfo=UTC), end]
        universes = store.universes(moments)
        union = sorted({a for u in universes.values() for a in u})
        timeline = store.timeline(start, end, assets=union, intraday_days=8)
        for moment in moments:
            _equal(
                timeline.at(moment, universes[moment]), store.frames(moment, assets=universes[moment], intraday_days=8)
            )
    finally:
        store.close()
