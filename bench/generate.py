"""Deterministic synthetic market data for the benchmark suite (see bench/README.md, "Generator").

Daily datasets (S, M, M2) are geometric Brownian motions with Poisson jumps and
Markov volume regimes, one row per coin and UTC day, written in the CoinGecko
per-day all-coins layout ``timestamp,readableTimestamp,coinId,price,marketCap,totalVolume``
(``coinId`` is used as the asset id as is). The intraday dataset (I) is 1-minute
Binance klines (12 columns, headerless monthly files named ``BTCUSDT-1m-2024-01.csv``).

Everything is a pure function of ``(dataset, seed)``: rerunning writes the same bytes.

    python bench/generate.py S M I          # CSV + Parquet under bench/data/<name>/
    python bench/generate.py --quick        # the tiny datasets of the smoke run
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).resolve().parent / "data"
SEED = 20240601
END = date(2024, 12, 31)
"""Last day of every daily dataset (its snapshot is stamped 2025-01-01 00:00 UTC)."""
PAIRS = (
    ("BTCUSDT", "bitcoin"), ("ETHUSDT", "ethereum"), ("BNBUSDT", "binancecoin"), ("XRPUSDT", "ripple"),
    ("ADAUSDT", "cardano"), ("DOGEUSDT", "dogecoin"), ("SOLUSDT", "solana"), ("MATICUSDT", "matic-network"),
    ("DOTUSDT", "polkadot"), ("TRXUSDT", "tron"), ("AVAXUSDT", "avalanche-2"), ("UNIUSDT", "uniswap"),
    ("LINKUSDT", "chainlink"), ("LTCUSDT", "litecoin"), ("BCHUSDT", "bitcoin-cash"), ("ETCUSDT", "ethereum-classic"),
    ("ATOMUSDT", "cosmos"), ("XLMUSDT", "stellar"), ("NEARUSDT", "near"), ("FILUSDT", "filecoin"),
)  # fmt: skip
"""The 20 intraday pairs; their coins are also the first 20 coins of every daily dataset."""
VOLUME_REGIMES = np.array([0.4, 1.0, 3.0])
"""Volume multipliers of the quiet, normal and hot regimes."""
REGIME_SWITCH = 0.03
"""Daily (or per-minute / 60) probability of leaving the current volume regime."""


@dataclass(frozen=True)
class DailySpec:
    """A daily dataset: ``assets`` coins over ``years`` years ending on :data:`END`."""

    name: str
    assets: int
    years: int
    seed: int = SEED


@dataclass(frozen=True)
class IntradaySpec:
    """An intraday dataset: ``pairs`` of :data:`PAIRS`, 1-minute candles over ``days`` days of 2024."""

    name: str
    pairs: int
    days: int
    seed: int = SEED + 1


DAILY = {
    "S": DailySpec("S", 1_000, 5),
    "M": DailySpec("M", 5_000, 10),
    "M2": DailySpec("M2", 5_000, 20),
    "QS": DailySpec("QS", 200, 3),
    "QM": DailySpec("QM", 400, 5),
}
INTRADAY = {"I": IntradaySpec("I", 20, 366), "QI": IntradaySpec("QI", 4, 31)}
QUICK = ("QS", "QM", "QI")


def coin_ids(n: int) -> list[str]:
    """The coin ids of a daily dataset: the 20 pair coins, then ``synth-00021`` ...."""
    real = [cid for _, cid in PAIRS][:n]
    return real + [f"synth-{i:05d}" for i in range(len(real) + 1, n + 1)]


def regimes(rng: np.random.Generator, shape: tuple[int, int], switch: float) -> np.ndarray:
    """A Markov chain of volume regimes per row (index into :data:`VOLUME_REGIMES`), vectorised over rows."""
    rows, steps = shape
    out = np.empty(shape, dtype=np.int8)
    state = rng.integers(0, len(VOLUME_REGIMES), size=rows)
    jumps = rng.random(shape) < switch
    draws = rng.integers(0, len(VOLUME_REGIMES), size=shape)
    for t in range(steps):
        state = np.where(jumps[:, t], draws[:, t], state)
        out[:, t] = state
    return out


def gbm_paths(
    rng: np.random.Generator, p0: np.ndarray, mu: np.ndarray, sigma: np.ndarray, steps: int, jump_p: float
) -> tuple[np.ndarray, np.ndarray]:
    """Log-price paths: GBM steps (drift ``mu``, volatility ``sigma`` per step) plus Poisson jumps.

    Returns (prices [rows x steps], jump mask). Jumps happen with probability
    ``jump_p`` per step and have a N(-0.02, 0.12) log size.
    """
    rows = len(p0)
    z = rng.standard_normal((rows, steps))
    jumps = rng.random((rows, steps)) < jump_p
    size = rng.normal(-0.02, 0.12, (rows, steps)) * jumps
    steps_log = (mu - 0.5 * sigma**2)[:, None] + sigma[:, None] * z + size
    steps_log[:, 0] = 0.0
    return p0[:, None] * np.exp(np.cumsum(steps_log, axis=1)), jumps


def daily_frame(spec: DailySpec) -> pl.DataFrame:
    """The long daily frame (date, coinId, price, marketCap, totalVolume) of ``spec``, sorted by date then coin."""
    rng = np.random.default_rng(spec.seed)
    start = date(END.year - spec.years + 1, 1, 1)
    days = (END - start).days + 1
    n = spec.assets
    p0 = np.exp(rng.uniform(np.log(1e-3), np.log(5e4), n))
    mu = rng.normal(0.10, 0.30, n) / 365
    sigma = rng.uniform(0.30, 1.50, n) / np.sqrt(365)
    price, jumps = gbm_paths(rng, p0, mu, sigma, days, jump_p=0.01)
    supply = np.exp(rng.uniform(np.log(1e5), np.log(5e10), n)) / p0  # starting market caps $100k .. $50bn
    cap = price * supply[:, None]
    turnover = rng.uniform(0.005, 0.2, n)
    vol = cap * turnover[:, None] * VOLUME_REGIMES[regimes(rng, (n, days), REGIME_SWITCH)]
    vol *= np.exp(rng.normal(0.0, 0.3, (n, days))) * np.where(jumps, 3.0, 1.0)
    listed = np.where(rng.random(n) < 0.3, rng.integers(0, int(days * 0.8), n), 0)
    keep = (np.arange(days)[None, :] >= listed[:, None]) & (rng.random((n, days)) >= 0.002)
    keep[:, -1] = True  # every coin has the last day (the as-of of figure 2)
    day_idx, coin_idx = np.nonzero(keep.T)
    ids = np.array(coin_ids(n), dtype=object)
    return pl.DataFrame(
        {
            "date": np.datetime64(start, "D") + day_idx.astype("timedelta64[D]"),
            "coinId": ids[coin_idx].tolist(),
            "price": price.T[keep.T],
            "marketCap": cap.T[keep.T],
            "totalVolume": vol.T[keep.T],
        }
    )


def allcoins_layout(df: pl.DataFrame) -> pl.DataFrame:
    """The CoinGecko all-coins columns: the snapshot of day D is stamped D+1 00:00 UTC (ms)."""
    stamp = (pl.col("date") + pl.duration(days=1)).cast(pl.Datetime("ms"))
    return df.select(
        stamp.dt.epoch("ms").alias("timestamp"),
        stamp.dt.strftime("%-m/%-d/%Y, 12:00:00 AM").alias("readableTimestamp"),
        "coinId",
        "price",
        "marketCap",
        "totalVolume",
    )


def write_daily(spec: DailySpec, root: Path = DATA) -> Path:
    """Write ``<root>/<name>/csv/allcoins_YYYY-MM.csv`` (one file per month) and ``parquet/daily.parquet``."""
    out = root / spec.name
    df = daily_frame(spec)
    (out / "csv").mkdir(parents=True, exist_ok=True)
    (out / "parquet").mkdir(parents=True, exist_ok=True)
    layout = allcoins_layout(df).with_columns(df.get_column("date").dt.strftime("%Y-%m").alias("_month"))
    for (month,), part in layout.partition_by("_month", as_dict=True, maintain_order=True).items():
        part.drop("_month").write_csv(out / "csv" / f"allcoins_{month}.csv")
    layout.drop("_month").write_parquet(out / "parquet" / "daily.parquet")
    return out


def intraday_frame(spec: IntradaySpec, pair: int) -> pl.DataFrame:
    """1-minute klines of one pair over ``spec.days`` days from 2024-01-01 (12 Binance columns)."""
    rng = np.random.default_rng([spec.seed, pair])
    steps = spec.days * 1440
    p0 = np.array([np.exp(rng.uniform(np.log(0.05), np.log(60_000)))])
    sigma = np.array([rng.uniform(0.4, 1.2) / np.sqrt(365 * 1440)])
    close, jumps = gbm_paths(rng, p0, np.zeros(1), sigma, steps, jump_p=1e-4)
    close = close[0]
    open_ = np.concatenate(([close[0]], close[:-1]))
    wick = np.abs(rng.normal(0.0, sigma[0], (2, steps)))
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])
    seasonal = 1 + 0.5 * np.sin(np.arange(steps) * 2 * np.pi / 1440)
    regime = VOLUME_REGIMES[regimes(rng, (1, steps), REGIME_SWITCH / 60)[0]]
    volume = rng.uniform(5, 500) / p0[0] * 1e4 * seasonal * regime * np.exp(rng.normal(0, 0.5, steps))
    volume *= np.where(jumps[0], 5.0, 1.0)
    open_ms = 1_704_067_200_000 + np.arange(steps, dtype=np.int64) * 60_000
    taker = volume * rng.uniform(0.3, 0.7, steps)
    return pl.DataFrame(
        {
            "open_time": open_ms,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "close_time": open_ms + 59_999,
            "quote_volume": volume * close,
            "count": (volume * 3).astype(np.int64) + 1,
            "taker_buy_volume": taker,
            "taker_buy_quote_volume": taker * close,
            "ignore": np.zeros(steps, dtype=np.int64),
        }
    )


def write_intraday(spec: IntradaySpec, root: Path = DATA) -> Path:
    """Write ``<root>/<name>/csv/<PAIR>-1m-YYYY-MM.csv`` (headerless) and ``parquet/<PAIR>.parquet``."""
    out = root / spec.name
    (out / "csv").mkdir(parents=True, exist_ok=True)
    (out / "parquet").mkdir(parents=True, exist_ok=True)
    for i, (pair, _) in enumerate(PAIRS[: spec.pairs]):
        df = intraday_frame(spec, i)
        month = pl.from_epoch(df.get_column("open_time"), time_unit="ms").dt.strftime("%Y-%m").alias("_month")
        for (m,), part in df.with_columns(month).partition_by("_month", as_dict=True, maintain_order=True).items():
            part.drop("_month").write_csv(out / "csv" / f"{pair}-1m-{m}.csv", include_header=False)
        df.write_parquet(out / "parquet" / f"{pair}.parquet")
    return out


def ensure(name: str, *, force: bool = False) -> Path:
    """Generate dataset ``name`` unless its folder is already complete (a ``.done`` marker)."""
    out = DATA / name
    if (out / ".done").exists() and not force:
        return out
    t0 = time.perf_counter()
    if name in DAILY:
        write_daily(DAILY[name])
    elif name in INTRADAY:
        write_intraday(INTRADAY[name])
    else:
        raise SystemExit(f"generate.py: unknown dataset {name!r}; expected one of {', '.join([*DAILY, *INTRADAY])}")
    (out / ".done").write_text(f"{time.perf_counter() - t0:.1f}s\n")
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI: generate the named datasets (default S M I)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("datasets", nargs="*", help="S, M, M2, I (full) or QS, QM, QI (quick)")
    ap.add_argument("--quick", action="store_true", help="the quick datasets")
    ap.add_argument("--force", action="store_true", help="regenerate even if present")
    args = ap.parse_args(argv)
    names = list(QUICK) if args.quick else (args.datasets or ["S", "M", "I"])
    for name in names:
        t0 = time.perf_counter()
        path = ensure(name, force=args.force)
        print(f"{name}: {path} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
