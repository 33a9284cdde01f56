"""Columnar point-in-time analytics: every asset at once (the multi-asset path of :func:`asof.analyze`).

:func:`analyze` in :mod:`cryptodesk.analytics.asof` loops over assets and
runs the numpy kernels on each one (about a millisecond per asset, mostly
per-asset Polars and Python overhead). :func:`indicators` computes the same
per-asset figures for all assets in a handful of Polars passes (``over`` /
``group_by`` / ``join_asof``) plus one TA-Lib call per asset for RSI (Wilder's
recursion has no exact columnar form). :func:`analyze_panel` builds the same
:class:`~cryptodesk.analytics.types.Analysis` as :func:`asof.analyze`; the two
agree within 1e-9 (guarded by ``tests/analytics/test_panel.py``).

Definitions are those of :mod:`cryptodesk.analytics.asof` (read its docstring):
SMA/σ/RSI count observations, changes compare with the close N calendar days
earlier (at most :data:`~cryptodesk.analytics.common.MAX_STALE_DAYS` older) or
the previous year's last close, volume vs the mean of the 30 days before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from itertools import pairwise

import numpy as np
import polars as pl

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.common import (
    MAX_STALE_DAYS,
    MIN_VOLUME_DAYS,
    RSI_PERIOD,
    SMA_LONG,
    SMA_SHORT,
    VOLUME_DAYS,
    WINDOW_DAYS,
    asset_names,
    finite,
    known,
    registry_names,
    utc,
)
from cryptodesk.analytics.intraday import day_start, intraday_ranges, last_price, latest_observations
from cryptodesk.analytics.kernels import FLAT, FloatArray
from cryptodesk.analytics.market import market_state
from cryptodesk.analytics.types import WINDOWS, Analysis, AssetState, Change, Extreme, IntradayRange
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.timeutil import zone

_A = "asset_id"


def prepare(daily: pl.DataFrame, as_of: datetime, assets: list[str] | None = None) -> pl.DataFrame:
    """Daily rows known at ``as_of`` with a close, one per (asset, date), sorted by asset then date.

    Filters that would keep every row (the usual case for frames from the store) are skipped, so no copy is made.
    """
    d = known(daily, utc(as_of)).select(_A, "date", "close", "volume", "market_cap", "source")  # what is read
    if d.get_column("close").null_count():
        d = d.filter(pl.col("close").is_not_null())
    if assets is not None:
        d = d.filter(pl.col(_A).is_in(assets))
    if not _is_sorted(d):
        d = d.sort(_A, "date", maintain_order=True)
    same_next = (pl.col(_A) == pl.col(_A).shift(-1)) & (pl.col("date") == pl.col("date").shift(-1))
    if d.select(same_next.any()).item():
        d = d.filter(same_next.not_().fill_null(True))
    d = d.rechunk()
    # One chunk and the same sortedness flag however the rows arrived: Polars picks its aggregation kernels (and so
    # the order of a mean's additions) from these, and the same rows must give the same bits.
    return d.with_columns(pl.col(_A).set_sorted())


def _is_sorted(d: pl.DataFrame) -> bool:
    """True when rows are already ordered by asset then date (the store's order): one linear pass, no sort."""
    a, prev_a = pl.col(_A), pl.col(_A).shift(1)
    ok = (a > prev_a) | ((a == prev_a) & (pl.col("date") >= pl.col("date").shift(1)))
    return bool(d.select(ok.fill_null(True).all()).item())


def indicators(daily: pl.DataFrame, as_of: datetime, assets: list[str] | None = None) -> pl.DataFrame:
    """One row per asset with its point-in-time indicators (nulls where :func:`asof.asset_state` gives None).

    Columns: asset_id, close, close_date, daily_source, market_cap, volume,
    sma50, sma200, sigma, sigma_rarity, rsi14, high_52w(+_date), low_52w(+_date),
    ath(+_date), atl(+_date), drawdown, volume_avg30, and per window ``w`` of
    :data:`WINDOWS` ``chg_<w>_base`` / ``chg_<w>_date`` (the start close and day).
    """
    d = prepare(daily, as_of, assets)
    spans = _asset_spans(d, CHUNK_ROWS)
    if len(spans) <= 1:
        return _indicators(d)
    return pl.concat([_indicators(d.slice(a, b - a)) for a, b in spans])


CHUNK_ROWS = 1_000_000
"""Rows analysed at a time (whole assets): bounds the temporaries of a many-asset analysis, changes no value."""


def _asset_spans(d: pl.DataFrame, rows: int) -> list[tuple[int, int]]:
    """Row ranges of consecutive whole assets, each about ``rows`` long (``d`` sorted by asset)."""
    if d.height <= rows:
        return [(0, d.height)]
    ids = d.get_column(_A)
    starts = np.flatnonzero(np.concatenate(([True], (ids[1:] != ids[:-1]).to_numpy()))).tolist()
    spans: list[tuple[int, int]] = []
    begin = 0
    for s in [*starts[1:], d.height]:
        if s - begin >= rows:
            spans.append((begin, s))
            begin = s
    if begin < d.height:
        spans.append((begin, d.height))
    return spans


def _indicators(d: pl.DataFrame) -> pl.DataFrame:
    """:func:`indicators` of prepared rows (sorted by asset then date, one per date, closes not null)."""
    c = pl.col("close")
    ids = d.get_column(_A)
    starts = np.flatnonzero(np.concatenate(([True], (ids[1:] != ids[:-1]).to_numpy())))
    if d.height == 0:
        starts = np.zeros(0, dtype=np.int64)
    close = d.get_column("close").to_numpy().astype(np.float64)
    bounds = [*starts.tolist(), len(close)]
    d = (
        d.with_columns(
            pl.Series("_sma50", _per_asset(k.sma, close, bounds, SMA_SHORT)).fill_nan(None),
            pl.Series("_sma200", _per_asset(k.sma, close, bounds, SMA_LONG)).fill_nan(None),
            c.rolling_std(SMA_SHORT, ddof=1).over(_A).alias("_std"),
            pl.col("volume").fill_nan(None).alias("volume"),
        )
        .with_columns(
            pl.when(pl.col("_std") > FLAT * pl.col("_sma50").abs())
            .then((c - pl.col("_sma50")) / pl.col("_std"))
            .alias("_sigma"),
            pl.col("date").last().over(_A).alias("_last"),
        )
        .with_columns(
            pl.when(pl.col("date") > pl.col("_last") - pl.duration(days=k.DAYS_52W)).then(c).alias("_c52"),
            pl.when(
                (pl.col("date") >= pl.col("_last") - pl.duration(days=VOLUME_DAYS)) & (pl.col("date") < pl.col("_last"))
            )
            .then(pl.col("volume"))
            .alias("_v30"),
        )
    )
    agg = d.group_by(_A, maintain_order=True).agg(*_last_exprs(), *_extreme_exprs(), *_volume_exprs())
    out = agg.join(_rsi_last(d, starts), on=_A, how="left", maintain_order="left")
    return out.join(_changes(d, starts), on=_A, how="left", maintain_order="left")


def _last_exprs() -> list[pl.Expr]:
    """Last-row values: close, date, source, market cap, volume, SMAs, σ and its rarity."""
    s, last_s = pl.col("_sigma"), pl.col("_sigma").last()
    hits = pl.when(last_s >= 0).then((s >= last_s).sum()).otherwise((s <= last_s).sum())
    return [
        pl.col("close").last(),
        pl.col("date").last().alias("close_date"),
        pl.col("source").last().alias("daily_source"),
        pl.col("market_cap").last(),
        pl.col("volume").last(),
        pl.col("_sma50").last().alias("sma50"),
        pl.col("_sma200").last().alias("sma200"),
        last_s.alias("sigma"),
        pl.when(last_s.is_not_null()).then(hits / s.count()).alias("sigma_rarity"),
        pl.when(pl.col("close").max() > 0).then(pl.col("close").last() / pl.col("close").max() - 1.0).alias("drawdown"),
    ]


def _extreme(name: str, mode: str, column: str) -> list[pl.Expr]:
    """The value and first date of the max/min of ``column`` (nulls outside the window are skipped)."""
    c = pl.col(column)
    at = c.arg_max() if mode == "max" else c.arg_min()
    return [(c.max() if mode == "max" else c.min()).alias(name), pl.col("date").get(at).alias(f"{name}_date")]


def _extreme_exprs() -> list[pl.Expr]:
    """52-week (the ``k.DAYS_52W`` days ending at the last row, column ``_c52``) and all-time highs and lows."""
    return [
        *_extreme("high_52w", "max", "_c52"),
        *_extreme("low_52w", "min", "_c52"),
        *_extreme("ath", "max", "close"),
        *_extreme("atl", "min", "close"),
    ]


def _volume_exprs() -> list[pl.Expr]:
    """Mean volume of the 30 calendar days before the last row (column ``_v30``; null under 15 values)."""
    v = pl.col("_v30")
    return [pl.when(v.count() >= MIN_VOLUME_DAYS).then(v.mean()).alias("volume_avg30")]


def _per_asset(kernel: Callable[[FloatArray, int], FloatArray], x: FloatArray, bounds: list[int], n: int) -> FloatArray:
    """``kernel(x[a:b], n)`` for each asset's rows ``[a, b)``, in one array (the same kernel as the per-asset path)."""
    if len(x) == 0:
        return np.zeros(0)
    return np.concatenate([kernel(x[a:b], n) for a, b in pairwise(bounds)])


def _rsi_last(d: pl.DataFrame, starts: np.ndarray) -> pl.DataFrame:
    """RSI14 of each asset's last row: TA-Lib on each asset's slice of the sorted close column."""
    ids = d.get_column(_A)
    close = d.get_column("close").to_numpy().astype(np.float64)
    bounds = [*starts.tolist(), len(close)]
    values = [float(k.rsi(close[a:b], RSI_PERIOD)[-1]) for a, b in pairwise(bounds)]
    return pl.DataFrame(
        {_A: ids.gather(starts) if len(ids) else ids, "rsi14": values}, schema={_A: pl.Utf8, "rsi14": pl.Float64}
    ).with_columns(pl.col("rsi14").fill_nan(None))


def _changes(d: pl.DataFrame, starts: np.ndarray) -> pl.DataFrame:
    """Per window, the start close and day: the last row on or before the target day, at most 7 days older.

    ``d`` is sorted by asset then date and ``starts`` are each asset's first row, so
    one ``searchsorted`` on the key (asset number, day) finds every asset's row at once.
    """
    if len(starts) == 0:
        schema: dict[str, pl.DataType] = {_A: pl.Utf8()}
        for window in WINDOWS:
            schema |= {f"chg_{window}_base": pl.Float64(), f"chg_{window}_date": pl.Date()}
        return pl.DataFrame(schema=schema)
    days = d.get_column("date").cast(pl.Int32).to_numpy().astype(np.int64)
    close = d.get_column("close").to_numpy()
    group = np.repeat(np.arange(len(starts)), np.diff([*starts.tolist(), len(days)]))
    span = 1 << 32
    key = group * span + (days + (1 << 31))
    ends = np.asarray([*starts[1:].tolist(), len(days)], dtype=np.int64) - 1
    last_day = days[ends]
    year_start = d.get_column("date").gather(ends).dt.truncate("1y").cast(pl.Int32).to_numpy().astype(np.int64)
    cols: dict[str, pl.Series] = {_A: d.get_column(_A).gather(starts)}
    exprs: list[pl.Expr] = [pl.col(_A)]
    for window in WINDOWS:
        target = year_start - 1 if window == "ytd" else last_day - WINDOW_DAYS[window]
        idx = np.searchsorted(key, np.arange(len(starts)) * span + (target + (1 << 31)), side="right") - 1
        row = np.maximum(idx, 0)
        ok = (idx >= starts) & (target - days[row] <= MAX_STALE_DAYS) & (close[row] > 0)
        cols[f"_ok_{window}"] = pl.Series(ok)
        cols[f"_b_{window}"] = pl.Series(close[row])
        cols[f"_d_{window}"] = pl.Series(days[row].astype(np.int32)).cast(pl.Date)
        ok_col = pl.col(f"_ok_{window}")
        exprs += [
            pl.when(ok_col).then(pl.col(f"_b_{window}")).alias(f"chg_{window}_base"),
            pl.when(ok_col).then(pl.col(f"_d_{window}")).alias(f"chg_{window}_date"),
        ]
    return pl.DataFrame(cols).select(exprs)


def analyze_panel(frames: MarketFrames, *, tz: str = "America/New_York", assets: list[str] | None = None) -> Analysis:
    """The same :class:`Analysis` as :func:`asof.analyze`, with every asset computed columnarly."""
    zi = zone(tz, parameter="tz")
    as_of = utc(frames.as_of)
    table = indicators(frames.daily, as_of, assets)
    ids = assets if assets is not None else sorted(table.get_column(_A).to_list())
    intraday = intraday_ranges(frames, day_start=day_start(as_of, zi), as_of=as_of, assets=ids)
    latest = latest_observations(frames, as_of=as_of, assets=ids)
    names = asset_names(frames.assets)
    states: dict[str, AssetState] = {}
    for row in table.iter_rows(named=True):
        aid = str(row[_A])
        states[aid] = state_from_row(row, names=names, latest=latest.get(aid), intraday=intraday.get(aid))
    ordered = {aid: states[aid] for aid in ids if aid in states}
    return Analysis(as_of=as_of, market=market_state(frames), assets=ordered)


def state_from_row(
    row: dict[str, object],
    *,
    names: dict[str, tuple[str, str]],
    latest: tuple[float, datetime, str] | None,
    intraday: IntradayRange | None,
) -> AssetState:
    """An :class:`AssetState` from one row of :func:`indicators`."""
    aid = str(row[_A])
    close = float(row["close"])  # type: ignore[arg-type]
    close_date = _date(row["close_date"])
    source = str(row["daily_source"])
    symbol, name = names.get(aid) or registry_names(aid)
    price, when, price_source = last_price(latest, close, close_date, source)
    sma50, sma200 = finite(row["sma50"]), finite(row["sma200"])
    volume, avg = finite(row["volume"]), finite(row["volume_avg30"])
    return AssetState(
        asset_id=aid,
        symbol=symbol,
        name=name,
        close=close,
        close_date=close_date,
        daily_source=source,
        last_price=price,
        last_time=when,
        price_source=price_source,
        changes=_change_map(row, close, close_date),
        sma50=sma50,
        sma200=sma200,
        dist_sma50_pct=None if sma50 is None or sma50 <= 0 else close / sma50 - 1.0,
        dist_sma200_pct=None if sma200 is None or sma200 <= 0 else close / sma200 - 1.0,
        dist_sma50_sigma=finite(row["sigma"]),
        sigma_rarity=finite(row["sigma_rarity"]),
        rsi14=finite(row["rsi14"]),
        high_52w=_ext(row, "high_52w"),
        low_52w=_ext(row, "low_52w"),
        ath=_ext(row, "ath"),
        atl=_ext(row, "atl"),
        drawdown_from_ath=finite(row["drawdown"]),
        volume=volume,
        volume_avg30=avg,
        volume_ratio=None if volume is None or avg is None or avg <= 0 else volume / avg,
        market_cap=_positive(row["market_cap"]),
        intraday=intraday,
    )


def _change_map(row: dict[str, object], close: float, close_date: date) -> dict[str, Change]:
    out: dict[str, Change] = {}
    for window in WINDOWS:
        base = finite(row[f"chg_{window}_base"])
        if base is None:
            continue
        start = _date(row[f"chg_{window}_date"])
        out[window] = Change(window, close / base - 1.0, base, start, close, close_date)
    return out


def _ext(row: dict[str, object], name: str) -> Extreme | None:
    value = finite(row[name])
    return None if value is None else Extreme(value, _date(row[f"{name}_date"]))


def _date(v: object) -> date:
    if not isinstance(v, date):
        raise TypeError(f"expected a date, got {v!r}")
    return v


def _positive(v: object) -> float | None:
    f = finite(v)
    return f if f is not None and f > 0 else None
