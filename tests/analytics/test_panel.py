"""The columnar panel path (analytics.panel) equals the per-asset reference (asof.analyze_loop) within 1e-9."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cryptodesk.analytics.asof import analyze_loop as analyze
from cryptodesk.analytics.panel import analyze_panel, indicators
from cryptodesk.analytics.types import AssetState
from cryptodesk.core.frames import MarketFrames

TOL = 1e-9
FLAT_ASSETS = {f"coin-{a:03d}" for a in range(24) if a % 7 == 1}
"""Assets with a flat stretch: there numpy's std is a rounding residue (~1e-14) instead of 0, so the reference's
σ history holds meaningless values that its rarity counts; the panel leaves flat windows undefined."""


def synthetic_daily(assets: int, days: int, seed: int) -> pl.DataFrame:
    """Random walks with gaps, late listings, flat stretches, missing volumes and zero market caps."""
    rng = np.random.default_rng(seed)
    start = date(2021, 3, 1)
    rows: list[dict[str, object]] = []
    for a in range(assets):
        first = int(rng.integers(0, days // 2)) if a % 3 == 0 else 0
        price = float(np.exp(rng.uniform(-5, 10)))
        for d in range(first, days):
            if rng.random() < 0.03:  # a gap (a missing day)
                continue
            flat = a % 7 == 1 and 100 <= d < 170  # a flat stretch: σ undefined (std 0)
            step = 0.0 if flat else rng.normal(0, 0.05)
            price *= math.exp(step)
            day = start + timedelta(days=d)
            rows.append(
                {
                    "asset_id": f"coin-{a:03d}",
                    "date": day,
                    "close": price,
                    "high": None,
                    "low": None,
                    "volume": None if rng.random() < 0.1 else float(rng.lognormal(15, 1)),
                    "market_cap": 0.0 if rng.random() < 0.05 else price * 1e6,
                    "source": "coingecko",
                    "available_at": datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
                }
            )
    empty = MarketFrames.empty(datetime(2000, 1, 1, tzinfo=UTC))
    return pl.DataFrame(rows, schema=empty.daily.schema)


@pytest.fixture(scope="module")
def daily() -> pl.DataFrame:
    return synthetic_daily(assets=24, days=700, seed=7)


def close_enough(a: object, b: object) -> bool:
    """Floats within TOL (relative above 1); everything else equal, recursing into dataclasses, dicts and lists."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= TOL * max(1.0, abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close_enough(a[x], b[x]) for x in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(close_enough(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "__dataclass_fields__") and type(a) is type(b):
        return all(close_enough(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))  # type: ignore[arg-type]
    return a == b


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2021, 4, 15, 12, tzinfo=UTC),  # short history: SMA200 and 1y undefined
        datetime(2021, 12, 31, 23, tzinfo=UTC),  # year end
        datetime(2022, 1, 3, 0, tzinfo=UTC),  # ytd base in the previous year, midnight cut
        datetime(2022, 6, 9, 6, tzinfo=UTC),
        datetime(2023, 2, 1, 0, tzinfo=UTC),  # last day of data
    ],
)
def test_panel_equals_reference(daily: pl.DataFrame, as_of: datetime) -> None:
    frames = MarketFrames(**{**MarketFrames.empty(as_of).__dict__, "daily": daily})
    ref = analyze(frames, tz="UTC")
    got = analyze_panel(frames, tz="UTC")
    assert list(got.assets) == list(ref.assets)
    assert ref.assets, "the reference analysed no asset"
    for aid, want in ref.assets.items():
        have = got.assets[aid]
        names = [f.name for f in fields(AssetState) if not (f.name == "sigma_rarity" and aid in FLAT_ASSETS)]
        bad = [n for n in names if not close_enough(getattr(have, n), getattr(want, n))]
        assert not bad, f"{aid} at {as_of}: {[(n, getattr(have, n), getattr(want, n)) for n in bad]}"
    assert got.market == ref.market


def test_panel_covers_the_hard_cases(daily: pl.DataFrame) -> None:
    """The synthetic data really exercises undefined σ, missing volumes and the ytd/1y windows."""
    as_of = datetime(2022, 6, 9, 6, tzinfo=UTC)
    table = indicators(daily, as_of)
    assert table.height == 24
    assert table.get_column("sigma").null_count() >= 0
    assert table.get_column("chg_1y_base").null_count() > 0  # late listings have no 1y base
    assert table.get_column("chg_ytd_base").null_count() < table.height


def test_panel_restricts_to_assets(daily: pl.DataFrame) -> None:
    as_of = datetime(2022, 6, 9, 6, tzinfo=UTC)
    frames = MarketFrames(**{**MarketFrames.empty(as_of).__dict__, "daily": daily})
    got = analyze_panel(frames, tz="UTC", assets=["coin-005", "coin-001"])
    assert list(got.assets) == ["coin-005", "coin-001"]


def test_flat_window_has_no_sigma(daily: pl.DataFrame) -> None:
    """During the flat stretch (days 100-169 of coin-001) σ is undefined; right after it, it is defined again."""
    flat_end = datetime(2021, 3, 1, tzinfo=UTC) + timedelta(days=160)
    table = indicators(daily, flat_end, ["coin-001"])
    assert table.get_column("sigma").to_list() == [None]
    assert table.get_column("sigma_rarity").to_list() == [None]
    later = indicators(daily, flat_end + timedelta(days=30), ["coin-001"])
    assert later.get_column("sigma").is_not_null().all()


@pytest.mark.parametrize("collapse", [1e3, 1e8, 1e12])
def test_volume_average_is_a_direct_window_mean(collapse: float) -> None:
    """The 30-day volume average equals numpy's mean of the window even after volumes collapse by ``collapse``x.

    (A prefix-sum difference over the whole history loses these digits; the panel sums the window itself.)
    """
    days = 400
    start = date(2022, 1, 1)
    rng = np.random.default_rng(3)
    volume = rng.lognormal(0, 0.5, days) * np.where(np.arange(days) < 300, collapse, 1.0)
    daily = pl.DataFrame(
        {
            "asset_id": ["dead-coin"] * days,
            "date": [start + timedelta(days=i) for i in range(days)],
            "close": np.linspace(10, 1, days),
            "high": [None] * days,
            "low": [None] * days,
            "volume": volume,
            "market_cap": [None] * days,
            "source": ["coingecko"] * days,
            "available_at": [datetime(2022, 1, 2, tzinfo=UTC) + timedelta(days=i) for i in range(days)],
        },
        schema=MarketFrames.empty(datetime(2000, 1, 1, tzinfo=UTC)).daily.schema,
    )
    row = indicators(daily, datetime(2023, 6, 1, tzinfo=UTC)).row(0, named=True)
    want = float(np.mean(volume[-31:-1]))
    assert abs(row["volume_avg30"] - want) <= 1e-12 * want


def test_row_order_does_not_matter(daily: pl.DataFrame) -> None:
    """Shuffled rows (the slow path: sort) give the same table as the store's order (the linear-check path)."""
    as_of = datetime(2022, 6, 9, 6, tzinfo=UTC)
    want = indicators(daily, as_of)
    got = indicators(daily.sample(fraction=1.0, shuffle=True, seed=1), as_of)
    assert_frame_equal(got, want, check_exact=False, rel_tol=1e-12)


def test_duplicate_rows_keep_the_last(daily: pl.DataFrame) -> None:
    """A repeated (asset, date) row counts once, the later one winning, as in the reference."""
    as_of = datetime(2022, 6, 9, 6, tzinfo=UTC)
    last = daily.filter((pl.col("asset_id") == "coin-002") & (pl.col("available_at") <= as_of)).tail(1)
    doubled = pl.concat([daily, last.with_columns(pl.col("close") * 2)])
    row = indicators(doubled, as_of, ["coin-002"]).row(0, named=True)
    assert row["close"] == pytest.approx(2 * last.get_column("close")[0], rel=1e-15)


@pytest.mark.parametrize("rows", [1, 500, 3000])
def test_indicators_in_chunks_of_whole_assets_are_the_same(
    daily: pl.DataFrame, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    """Analysing a few assets at a time (bounded memory) changes no value, whatever the chunk size."""
    import cryptodesk.analytics.panel as panel

    as_of = datetime(2022, 6, 9, 6, tzinfo=UTC)
    whole = indicators(daily, as_of)
    monkeypatch.setattr(panel, "CHUNK_ROWS", rows)
    assert len(panel._asset_spans(panel.prepare(daily, as_of), rows)) > 1
    assert_frame_equal(indicators(daily, as_of), whole, check_exact=True)
