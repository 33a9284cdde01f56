"""Row histories and the analysis replay equal the per-moment analysis they replace.

* ``state_at(asset_history(rows), i)`` equals ``asset_state`` of the first ``i + 1`` rows (the per-asset reference)
  within 1e-9, for every row of random series with gaps, flat stretches, late listings and missing volumes.
* A history kept from row ``first`` on holds only those rows' indicators, with the same states there.
* ``AnalysisReplay.analysis_at`` equals ``analyze`` of the same frames for moments of a timeline read from a store
  (the data pack), including the intraday range and the market state.
* ``SeriesBook``'s series and settled moments equal a plain Polars reading of the timeline's versions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.analytics.test_panel import close_enough, synthetic_daily
from tests.store.synth import staggered_store

from cryptodesk.analytics.asof import analyze, asset_state
from cryptodesk.analytics.history import AssetHistory, Sma50Distance, asset_history, sma50_distance_at, state_at
from cryptodesk.analytics.replay import TOTAL, AnalysisReplay, SeriesBook, micros
from cryptodesk.core.frames import UTC_TS, MarketFrames, MarketTimeline
from cryptodesk.store.db import Store


@pytest.fixture(scope="module")
def daily() -> pl.DataFrame:
    return synthetic_daily(assets=12, days=520, seed=11)


def _history(asset: str, rows: pl.DataFrame, *, first: int = 0) -> AssetHistory:
    return asset_history(
        asset,
        days=rows.get_column("date").cast(pl.Int32).to_numpy().astype(np.int64),
        close=rows.get_column("close").to_numpy().astype(np.float64),
        volume=rows.get_column("volume").cast(pl.Float64).fill_null(np.nan).to_numpy(),
        market_cap=rows.get_column("market_cap").cast(pl.Float64).fill_null(np.nan).to_numpy(),
        source=rows.get_column("source").to_list(),
        first=first,
    )


@pytest.mark.parametrize("asset", [f"coin-{a:03d}" for a in range(12)])
def test_state_at_every_row_equals_asset_state_of_the_prefix(daily: pl.DataFrame, asset: str) -> None:
    rows = daily.filter(pl.col("asset_id") == asset).sort("date")
    h = _history(asset, rows)
    checked = 0
    for i in range(0, rows.height, 7):  # every 7th row keeps the test fast; the kernels' own tests check every row
        want = asset_state(asset, rows.head(i + 1), names={asset: ("C", "Coin")})
        got = state_at(h, i, symbol="C", name="Coin")
        assert want is not None
        assert close_enough(got, want), (asset, i)
        checked += 1
    assert checked > 10


@pytest.mark.parametrize(("asset", "first"), [("coin-000", 0), ("coin-003", 200), ("coin-007", 519), ("coin-011", 60)])
def test_sma50_distance_at_is_the_states_fields(daily: pl.DataFrame, asset: str, first: int) -> None:
    rows = daily.filter(pl.col("asset_id") == asset).sort("date")
    h = _history(asset, rows, first=first)
    first = min(first, rows.height - 1)
    with pytest.raises(IndexError):
        sma50_distance_at(h, first - 1) if first else sma50_distance_at(h, -len(h) - 1)
    seen_sigma = 0
    for i in range(first, rows.height):
        got = sma50_distance_at(h, i)
        state = state_at(h, i, symbol="C", name="Coin")
        assert got == Sma50Distance.of(state), (asset, i)
        assert got.close == rows.get_column("close")[i]
        seen_sigma += got.dist_sma50_sigma is not None
    assert rows.height - first < 60 or seen_sigma > 0


@pytest.mark.parametrize(("asset", "first"), [("coin-001", 1), ("coin-004", 260), ("coin-008", 519), ("coin-010", 900)])
def test_a_history_from_row_first_keeps_only_those_rows_with_the_same_states(
    daily: pl.DataFrame, asset: str, first: int
) -> None:
    rows = daily.filter(pl.col("asset_id") == asset).sort("date")
    whole, tail = _history(asset, rows), _history(asset, rows, first=first)
    kept = min(first, rows.height - 1)  # clamped to the last row
    assert tail.first == kept
    for arrays in (tail.sma50, tail.rsi14, tail.volume_ratio, tail.ath, tail.high_52w, *tail.change_base.values()):
        assert len(arrays) == rows.height - kept
    assert len(tail.close) == len(tail.days) == rows.height  # the inputs stay whole
    for i in range(kept, rows.height):
        got = state_at(tail, i, symbol="C", name="Coin")
        assert close_enough(got, state_at(whole, i, symbol="C", name="Coin")), (asset, i)
    with pytest.raises(IndexError):
        state_at(tail, kept - 1, symbol="C", name="Coin")


def _pack_moments() -> list[datetime]:
    start = datetime(2022, 11, 1, 17, 30, tzinfo=UTC)
    return [start + timedelta(days=d) for d in (0, 7, 8, 13, 40, 62, 78)]


@pytest.mark.slow
def test_analysis_replay_equals_analyze_on_the_pack(pack_db: Path) -> None:
    moments = _pack_moments()
    store = Store.open(pack_db, read_only=True)
    try:
        universes = store.universes(moments)
        union = sorted({a for u in universes.values() for a in u})
        timeline = store.timeline(moments[0], moments[-1], assets=union, intraday_days=8)
        book = SeriesBook(timeline)
        replay = AnalysisReplay(book)
        for moment in moments:
            assert book.settled(moment)
            frames = timeline.at(moment, universes[moment])
            want = analyze(frames, tz="America/New_York")
            got = replay.analysis_at(frames, tz="America/New_York")
            assert list(got.assets) == list(want.assets)
            assert close_enough(got, want), moment
    finally:
        store.close()


@pytest.fixture
def staggered(tmp_path: Path) -> Iterator[Store]:
    """Sources of the same day arriving hours apart (see tests/store/synth.py)."""
    store = staggered_store(tmp_path / "s.duckdb")
    yield store
    store.close()


def test_book_knows_where_prefixes_are_exact(staggered: Store) -> None:
    """Bitcoin's even days are replaced by a preferred source six hours after they are first known: unsettled."""
    start, end = datetime(2023, 1, 5, tzinfo=UTC), datetime(2023, 2, 9, 23, 59, tzinfo=UTC)
    timeline = staggered.timeline(start, end)
    book = SeriesBook(timeline)
    replay = AnalysisReplay(book)
    checked = {True: 0, False: 0}
    differ = 0
    for hours in range(0, 24 * 30, 2):
        moment = start + timedelta(hours=hours)
        frames = timeline.at(moment)
        settled = book.settled(moment)
        checked[settled] += 1
        same = close_enough(replay.analysis_at(frames, tz="UTC"), analyze(frames, tz="UTC"))
        if settled:
            assert same, moment
        else:  # within [D+1 00:00, D+1 06:00) of an even day (Binance's, then Yahoo's bar before CoinMarketCap's)
            assert moment.hour < 6
            differ += not same
    assert checked[True] > 250
    assert checked[False] > 25
    assert differ > 10  # the lookup would be wrong there: the flag matters


def _reference_book(frame: pl.DataFrame) -> tuple[dict[str, pl.DataFrame], list[tuple[int, int]]]:
    """Each asset's current rows with ``known`` (when every row up to it was known), and the unsettled periods: a key
    from its first version's time to its last one's, and a row known after a later-dated row of its asset from that
    row's time to its own. Plain Polars, row by row where it is simplest."""
    vf = pl.col("valid_from").dt.epoch("us")
    keys = frame.group_by("asset_id", "date").agg(vf.min().alias("lo"), vf.max().alias("hi"))
    periods = [(a, b) for a, b in keys.select("lo", "hi").rows() if a < b]
    current = frame.filter(pl.col("valid_to").is_null()).sort("asset_id", "date")
    out: dict[str, pl.DataFrame] = {}
    for (asset,), rows in current.group_by("asset_id", maintain_order=True):
        times = rows.get_column("valid_from").dt.epoch("us").to_list()
        for i, t in enumerate(times):
            later = min(times[i + 1 :], default=None)
            if later is not None and later < t:
                periods.append((later, t))
        known = [max(times[: i + 1]) for i in range(len(times))]
        out[str(asset)] = rows.with_columns(pl.Series("known", known, dtype=pl.Int64))
    return out, periods


def _check_book(timeline: MarketTimeline, moments: list[datetime]) -> int:
    book = SeriesBook(timeline)
    want, periods = _reference_book(timeline.frames.daily)
    index = timeline.frames.global_daily.filter(pl.col("close").is_not_null())
    index_rows: dict[str, pl.DataFrame] = {}
    if index.height:
        index_rows, index_periods = _reference_book(index.with_columns(pl.lit(TOTAL).alias("asset_id")))
        periods += index_periods
    assert sorted(book.assets) == sorted(want)
    assert (book.total is None) == (not index_rows)
    for asset, rows in [*want.items(), *index_rows.items()]:
        got = book.total if asset == TOTAL else book.assets[asset]
        assert got is not None
        assert got.days.tolist() == rows.get_column("date").cast(pl.Int32).to_list(), asset
        for column in ("close", "high", "low", "volume", "market_cap"):
            if column not in rows.columns:  # the index has no market cap
                expect = np.full(rows.height, np.nan)
            else:
                expect = rows.get_column(column).cast(pl.Float64).fill_null(float("nan")).to_numpy()
            np.testing.assert_array_equal(getattr(got, column), expect, err_msg=f"{asset} {column}")
        assert got.source == rows.get_column("source").fill_null("").to_list(), asset
        assert got.known.tolist() == rows.get_column("known").to_list(), asset
    unsettled = 0
    for moment in moments:
        t = micros(moment)
        inside = any(a <= t < b for a, b in periods)
        assert bool(book.settled(moment)) == (not inside), moment
        unsettled += inside
    return unsettled


def test_book_reads_the_versions_as_plain_polars_does(staggered: Store, pack_db: Path) -> None:
    start, end = datetime(2023, 1, 5, tzinfo=UTC), datetime(2023, 2, 9, 23, 59, tzinfo=UTC)
    hours = [start + timedelta(hours=h) for h in range(0, 24 * 35, 3)]
    assert _check_book(staggered.timeline(start, end), hours) > 10  # replaced rows: unsettled moments exist
    store = Store.open(pack_db, read_only=True)
    try:
        for first, last in [
            (datetime(2021, 5, 1, tzinfo=UTC), datetime(2021, 5, 3, tzinfo=UTC)),
            (datetime(2022, 11, 1, 17, 30, tzinfo=UTC), datetime(2023, 1, 18, tzinfo=UTC)),
        ]:
            assets = store.universes([first])[first]
            timeline = store.timeline(first, last, assets=assets, intraday_days=8)
            assert len(SeriesBook(timeline).assets) > 10
            _check_book(timeline, [first + (last - first) * k / 40 for k in range(41)])
    finally:
        store.close()


def test_book_reads_backfilled_and_replaced_versions_as_plain_polars_does() -> None:
    """A hand-made timeline: bitcoin's Jan 2 first known on Jan 4 at 09:00, after Jan 3 was known at 02:00 (a
    backfill: unsettled from 02:00 to 09:00), and ether's first row replaced at 06:00 (unsettled until then)."""

    def ts(day: int, hour: int) -> datetime:
        return datetime(2024, 1, day, hour, tzinfo=UTC)

    rows = [  # asset, day, close, valid_from, valid_to
        ("bitcoin", 1, 100.0, ts(2, 0), None),
        ("bitcoin", 2, 102.0, ts(4, 9), None),
        ("bitcoin", 3, 103.0, ts(4, 2), None),
        ("bitcoin", 4, 104.0, ts(5, 0), None),
        ("ethereum", 1, 10.0, ts(2, 0), ts(2, 6)),
        ("ethereum", 1, 11.0, ts(2, 6), None),
        ("ethereum", 2, 12.0, ts(3, 0), None),
    ]
    daily = pl.DataFrame(
        {
            "asset_id": [r[0] for r in rows],
            "date": [date(2024, 1, r[1]) for r in rows],
            "close": [r[2] for r in rows],
            "high": [r[2] + 1 for r in rows],
            "low": [r[2] - 1 for r in rows],
            "volume": [None if r[1] == 3 else 5.0 for r in rows],
            "market_cap": [r[2] * 1e6 for r in rows],
            "source": ["yahoo" if r[4] is not None else "coingecko" for r in rows],
            "available_at": [r[3] for r in rows],
            "valid_from": [r[3] for r in rows],
            "valid_to": [r[4] for r in rows],
        },
        schema_overrides={"available_at": UTC_TS, "valid_from": UTC_TS, "valid_to": UTC_TS},
    )
    start, end = ts(2, 0), ts(6, 0)
    timeline = MarketTimeline(start, end, replace(MarketFrames.empty(end), daily=daily))
    hours = [start + timedelta(minutes=30 * k) for k in range(8 * 24)]
    assert _check_book(timeline, hours) == 7 * 2 + 6 * 2  # half-hours in bitcoin's 02:00-09:00 and ether's 00:00-06:00


def test_a_book_of_one_version_per_row_views_the_timeline_and_reads_a_backfill() -> None:
    """Every row with one version (the book's views of the timeline's columns): bitcoin's Jan 2 first known on Jan 4
    at 09:00, after Jan 3 (known Jan 4 00:00): unsettled from then until 09:00; ether's rows arrive in order."""

    def ts(day: int, hour: int) -> datetime:
        return datetime(2024, 1, day, hour, tzinfo=UTC)

    rows = [("bitcoin", d, 100.0 + d, ts(4, 9) if d == 2 else ts(d + 1, 0)) for d in range(1, 11)]
    rows += [("ethereum", d, 10.0 + d, ts(d + 1, 0)) for d in range(1, 11)]
    daily = pl.DataFrame(
        {
            "asset_id": [r[0] for r in rows],
            "date": [date(2024, 1, r[1]) for r in rows],
            "close": [r[2] for r in rows],
            "high": [r[2] + 1 for r in rows],
            "low": [None if r[1] == 5 else r[2] - 1 for r in rows],
            "volume": [5.0 for _ in rows],
            "market_cap": [r[2] * 1e6 for r in rows],
            "source": ["coingecko" for _ in rows],
            "available_at": [r[3] for r in rows],
            "valid_from": [r[3] for r in rows],
            "valid_to": [None for _ in rows],
        },
        schema_overrides={"available_at": UTC_TS, "valid_from": UTC_TS, "valid_to": UTC_TS},
    )
    start, end = ts(2, 0), ts(12, 0)
    timeline = MarketTimeline(start, end, replace(MarketFrames.empty(end), daily=daily))
    hours = [start + timedelta(minutes=30 * k) for k in range(10 * 48)]
    assert _check_book(timeline, hours) == 18  # half-hours from Jan 4 00:00 to 09:00
    book = SeriesBook(timeline)
    for asset in ("bitcoin", "ethereum"):
        got = book.assets[asset]
        for column in ("close", "high", "volume", "market_cap"):  # no nulls: the timeline's memory, not a copy
            assert not getattr(got, column).flags.writeable, (asset, column)
        assert got.low.flags.writeable, "a column with nulls is converted (NaN), so it is the book's own"
    assert not book.assets["ethereum"].known.flags.writeable, "valid_from never decreases: it is its own maximum"
    assert book.assets["bitcoin"].known.flags.writeable, "a backfill: the running maximum is computed"


@pytest.mark.parametrize("index", [True, False], ids=["index", "summed"])
def test_the_market_state_is_summed_again_exactly_when_the_cut_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: bool
) -> None:
    """``analysis_at`` keeps the last market state while the cut's daily and index rows stay the same (a desk
    refreshing its story), and computes it again as soon as a version becomes known: every settled hour of ten days
    equals ``analyze``, and the state is computed once per change of the cut's rows, compared here frame by frame."""
    from cryptodesk.analytics import replay as replay_module

    store = staggered_store(tmp_path / "s.duckdb", index=index)
    try:
        start = datetime(2023, 1, 5, 1, tzinfo=UTC)
        timeline = store.timeline(start, start + timedelta(days=10))
    finally:
        store.close()
    replay = AnalysisReplay(SeriesBook(timeline))
    computed: list[datetime] = []
    real = replay_module.market_state

    def counted(frames: MarketFrames) -> object:
        computed.append(frames.as_of)
        return real(frames)

    monkeypatch.setattr(replay_module, "market_state", counted)
    changes, previous = 0, None
    for hours in range(0, 24 * 10):
        moment = start + timedelta(hours=hours, minutes=30)
        if not replay.book.settled(moment):
            previous = None  # the desk analyses unsettled cuts directly; what it kept may be older
            continue
        frames = timeline.at(moment)
        rows = (frames.daily, frames.global_daily)
        if previous is None or not all(a.equals(b) for a, b in zip(rows, previous, strict=True)):
            changes += 1
        previous = rows
        got, want = replay.analysis_at(frames, tz="UTC").market, analyze(frames, tz="UTC").market
        assert want is not None
        assert want.method == ("index" if index else "sum")
        assert close_enough(got, want), moment
    assert 10 <= changes < 24 * 10 / 2  # the cut changes a few times a day, not every hour
    assert len(computed) == changes
