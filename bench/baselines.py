"""Baselines the figures are measured against: a straightforward pandas implementation and a TA-Lib loop.

:func:`pandas_indicators` is what a careful analyst would write with pandas
(``groupby`` + ``rolling`` / ``ewm`` / ``merge_asof``) for the same per-asset
indicators as ``cryptodesk.analytics.asof.analyze`` (definitions in its
docstring). It is also an independent reference: figure 2 checks that
cryptodesk's results equal it within 1e-9.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import polars as pl
import talib

WINDOWS = {"1d": 1, "7d": 7, "30d": 30, "1y": 365}
STALE = pd.Timedelta(days=7)


def to_pandas_daily(daily: pl.DataFrame) -> pd.DataFrame:
    """The daily frame as pandas (datetime64 dates, UTC available_at); done outside the timed region."""
    df = daily.select("asset_id", "date", "close", "volume", "market_cap", "available_at").to_pandas()
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    return df


def pandas_indicators(df: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Per asset (index): close, sma50, sma200, sigma, sigma_rarity, rsi14, 52-week/all-time extremes,
    drawdown, volume_avg30 and ``chg_<w>_base`` for 1d, 7d, 30d, ytd, 1y (NaN where undefined)."""
    df = df[(df["available_at"] <= pd.Timestamp(as_of)) & df["close"].notna()]
    df = df.sort_values(["asset_id", "date"], kind="stable").drop_duplicates(["asset_id", "date"], keep="last")
    df = df.reset_index(drop=True)
    g = df.groupby("asset_id", sort=True)
    close = g["close"]
    df["sma50"] = close.rolling(50).mean().reset_index(level=0, drop=True)
    df["sma200"] = close.rolling(200).mean().reset_index(level=0, drop=True)
    std = close.rolling(50).std().reset_index(level=0, drop=True)
    df["sigma"] = ((df["close"] - df["sma50"]) / std).where(std > 0)
    df["rsi14"] = _rsi(df, 14)
    last = df.groupby("asset_id", sort=True).tail(1).set_index("asset_id")
    out = last[["close", "date", "sma50", "sma200", "sigma", "rsi14", "volume", "market_cap"]].copy()
    out["sigma_rarity"] = _rarity(df, last["sigma"])
    last_date = df["asset_id"].map(last["date"])
    in52 = df["date"] > last_date - pd.Timedelta(days=365)
    out["high_52w"] = df[in52].groupby("asset_id")["close"].max()
    out["low_52w"] = df[in52].groupby("asset_id")["close"].min()
    out["high_52w_date"] = df.loc[df[in52].groupby("asset_id")["close"].idxmax(), ["asset_id", "date"]].set_index(
        "asset_id"
    )["date"]
    out["ath"] = g["close"].max()
    out["atl"] = g["close"].min()
    out["drawdown"] = out["close"] / out["ath"] - 1.0
    in30 = (df["date"] >= last_date - pd.Timedelta(days=30)) & (df["date"] < last_date)
    vol = df[in30].groupby("asset_id")["volume"].agg(["mean", "count"])
    out["volume_avg30"] = vol["mean"].where(vol["count"] >= 15)
    for name, base in _changes(df, last).items():
        out[f"chg_{name}_base"] = base
    return out


def _rsi(df: pd.DataFrame, n: int) -> pd.Series:
    """Wilder's RSI as TA-Lib seeds it: the mean of the first n changes, then ewm(alpha=1/n, adjust=False)."""
    delta = df.groupby("asset_id", sort=False)["close"].diff()
    pos = df.groupby("asset_id", sort=False).cumcount()
    out = {}
    for side, values in (("gain", delta.clip(lower=0)), ("loss", (-delta).clip(lower=0))):
        seed = values.groupby(df["asset_id"], sort=False).rolling(n).mean().reset_index(level=0, drop=True)
        x = values.where(pos > n, seed.where(pos == n))
        out[side] = x.groupby(df["asset_id"], sort=False).ewm(alpha=1 / n, adjust=False).mean()
        out[side] = out[side].reset_index(level=0, drop=True).sort_index()
    total = out["gain"] + out["loss"]
    return (100 * out["gain"] / total).where(pos >= n)


def _rarity(df: pd.DataFrame, last_sigma: pd.Series) -> pd.Series:
    """Share of each asset's σ history at least as extreme as its last σ, on the same side."""
    s = df["sigma"]
    ref = df["asset_id"].map(last_sigma)
    hit = ((ref >= 0) & (s >= ref)) | ((ref < 0) & (s <= ref))
    counts = pd.DataFrame({"a": df["asset_id"], "hit": hit & s.notna(), "n": s.notna()}).groupby("a").sum()
    return (counts["hit"] / counts["n"]).where(last_sigma.notna())


def _changes(df: pd.DataFrame, last: pd.DataFrame) -> dict[str, pd.Series]:
    """The start close of each window (merge_asof backward, at most 7 days stale, positive)."""
    right = df[["asset_id", "date", "close"]].rename(columns={"close": "base", "date": "found"})
    right = right.sort_values("found", kind="stable")
    out: dict[str, pd.Series] = {}
    targets = dict(WINDOWS)
    for name in [*targets, "ytd"]:
        left = pd.DataFrame({"asset_id": last.index})
        if name == "ytd":
            left["target"] = last["date"].dt.to_period("Y").dt.start_time.to_numpy() - pd.Timedelta(days=1)
        else:
            left["target"] = (last["date"] - pd.Timedelta(days=targets[name])).to_numpy()
        left["target"] = left["target"].astype("datetime64[ns]")
        left = left.sort_values("target", kind="stable")
        hit = pd.merge_asof(
            left, right, left_on="target", right_on="found", by="asset_id", direction="backward", tolerance=STALE
        )
        base = hit.set_index("asset_id")["base"]
        out[name] = base.where(base > 0)
    return out


def talib_sma_rsi(series: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The TA-Lib loop of figure 3: SMA(50) and RSI(14) of each close array."""
    return [talib.SMA(x, timeperiod=50) for x in series], [talib.RSI(x, timeperiod=14) for x in series]
