"""Figures 2, 3 and the analytics half of 6 (run by suite.py in a fresh process).

python bench/fig_analytics.py fig2 --dataset M --runs 3
python bench/fig_analytics.py fig3 --dataset M --runs 3
python bench/fig_analytics.py rss --dataset M --path panel
"""

from __future__ import annotations

import argparse
import gc
import math
from dataclasses import replace
from typing import Any

import numpy as np

from baselines import pandas_indicators, talib_sma_rsi, to_pandas_daily
from common import AS_OF, TOL, current_rss_mb, daily_long, emit, frames_at, peak_rss_mb, record, timed
from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.asof import analyze, analyze_loop
from cryptodesk.analytics.panel import indicators, prepare
from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames

FIELDS = {
    "close": "close",
    "sma50": "sma50",
    "sma200": "sma200",
    "dist_sma50_sigma": "sigma",
    "sigma_rarity": "sigma_rarity",
    "rsi14": "rsi14",
    "drawdown_from_ath": "drawdown",
    "volume_avg30": "volume_avg30",
}
"""AssetState field -> pandas column compared in figure 2."""


def _num(v: object) -> float:
    return math.nan if v is None else float(v)  # type: ignore[arg-type]


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= TOL * max(1.0, abs(b))


SIGMA_FIELDS = {"dist_sma50_sigma", "sigma_rarity"}
"""Checked against numpy's exact two-pass window std (analyze), not pandas: pandas' rolling std drifts (~1e-6)."""


def compare_with_pandas(analysis: Analysis, ref: Any) -> dict[str, Any]:
    """Count values of ``analysis`` that differ from the pandas frame by more than TOL, per field."""
    bad, worst, n = 0, 0.0, 0
    per_field: dict[str, int] = {}
    examples: list[str] = []
    for aid, st in analysis.assets.items():
        row = ref.loc[aid]
        pairs = [(_num(getattr(st, f)), float(row[c]), f) for f, c in FIELDS.items()]
        for name, ext in (("high_52w", st.high_52w), ("low_52w", st.low_52w), ("ath", st.ath), ("atl", st.atl)):
            pairs.append((math.nan if ext is None else ext.value, float(row[name]), name))
        for w in ("1d", "7d", "30d", "ytd", "1y"):
            ch = st.changes.get(w)
            pairs.append((math.nan if ch is None else ch.start_value, float(row[f"chg_{w}_base"]), f"chg_{w}"))
        for a, b, name in pairs:
            n += 1
            if not _same(a, b):
                per_field[name] = per_field.get(name, 0) + 1
                if name in SIGMA_FIELDS:
                    continue
                bad += 1
                if len(examples) < 5:
                    examples.append(f"{aid}.{name}: {a!r} vs {b!r}")
            elif not math.isnan(a):
                worst = max(worst, abs(a - b) / max(1.0, abs(b)))
    missing = sorted(set(ref.index) - set(analysis.assets))
    return {
        "values": n,
        "mismatches": bad,
        "per_field": per_field,
        "worst_rel_gap": worst,
        "examples": examples,
        "missing": missing[:5],
    }


def compare_sigma(a: Analysis, b: Analysis) -> int:
    """Assets whose σ distance or rarity differ by more than TOL between two analyses (or that one lacks)."""
    bad = 0
    for aid, sa in a.assets.items():
        sb = b.assets.get(aid)
        if sb is None or not all(_same(_num(getattr(sa, f)), _num(getattr(sb, f))) for f in SIGMA_FIELDS):
            bad += 1
    return bad + len(set(b.assets) - set(a.assets))


def fig2(dataset: str, runs: int) -> list[dict[str, Any]]:
    """Full point-in-time analytics of every asset at AS_OF: analyze / analyze_panel vs pandas."""
    daily = daily_long(dataset)
    frames = frames_at(daily, AS_OF)
    pdf = to_pandas_daily(frames.daily)
    t_pd, ref = timed(lambda: pandas_indicators(pdf, AS_OF), runs)
    # each call gets a new frames object (the same frames inside): what one frames object has computed once
    # (analytics.common.per_frames, e.g. the market's total series) is not served to the next timed call
    t_loop, loop = timed(lambda: analyze_loop(replace(frames), tz="UTC"), runs)
    t_panel, panel = timed(lambda: analyze(replace(frames), tz="UTC"), runs)
    t_ind, _ = timed(lambda: indicators(frames.daily, AS_OF), runs)
    n = len(loop.assets)
    eq_loop = compare_with_pandas(loop, ref)
    eq_panel = compare_with_pandas(panel, ref)
    eq_panel["sigma_vs_numpy_mismatched_assets"] = compare_sigma(panel, loop)
    eq_loop["sigma_vs_numpy_mismatched_assets"] = 0
    out = []
    runs_ = (
        ("analyze (every asset at once, + market state): what the desk runs", t_panel, eq_panel),
        ("panel.indicators (the per-asset figures only: like for like with the baseline)", t_ind, eq_panel),
        ("asof.analyze_loop (the per-asset reference, + market state)", t_loop, eq_loop),
    )
    for name, times, eq in runs_:
        ratio = (sorted(t_pd)[len(t_pd) // 2]) / (sorted(times)[len(times) // 2])
        equal = eq["mismatches"] == 0 and eq["sigma_vs_numpy_mismatched_assets"] == 0
        reference = name.startswith("asof.analyze_loop")
        ok = equal if reference else ratio >= 5 and equal  # the reference is timed for comparison only
        out.append(
            record(
                "2",
                f"point-in-time analytics, {name}",
                dataset,
                times,
                baseline="pandas groupby+rolling (bench/baselines.py)",
                baseline_times=t_pd,
                work=n,
                unit="assets/s",
                target="equal within 1e-9 (reference)" if reference else ">= 5x pandas, equal within 1e-9",
                passed=ok,
                notes=f"{n} assets, {frames.daily.height:,} daily rows; equality: every field vs pandas except σ "
                "(vs numpy's exact two-pass window std, as pandas' rolling std drifts)",
                extra={"equality": eq},
            )
        )
    return out


def growth(dataset: str, runs: int) -> list[dict[str, Any]]:
    """Figure 2's cryptodesk paths alone (no pandas baseline) for the growth curve."""
    frames = frames_at(daily_long(dataset), AS_OF)
    out = []
    for name, fn in (
        ("analyze (every asset at once, + market state)", lambda: analyze(replace(frames), tz="UTC")),
        ("panel.indicators (the per-asset figures only)", lambda: indicators(frames.daily, AS_OF)),
    ):
        times, _ = timed(fn, runs)
        n = frames.daily.get_column("asset_id").n_unique()
        out.append(
            record(
                "2g",
                f"growth: {name}",
                dataset,
                times,
                work=frames.daily.height,
                unit="rows/s",
                notes=f"{n} assets, {frames.daily.height:,} daily rows",
            )
        )
    return out


def fig3(dataset: str, runs: int) -> list[dict[str, Any]]:
    """SMA(50) and RSI(14) of every series: cryptodesk kernels (and a columnar SMA) vs a TA-Lib loop."""
    d = prepare(daily_long(dataset), AS_OF)
    ids = d.get_column("asset_id")
    close = d.get_column("close").to_numpy()
    starts = np.flatnonzero(np.concatenate(([True], (ids[1:] != ids[:-1]).to_numpy())))
    series = np.split(close, starts[1:])
    t_ta, (ta_sma, ta_rsi) = timed(lambda: talib_sma_rsi(series), runs)

    def kernels() -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [k.sma(x, 50) for x in series], [k.rsi(x, 14) for x in series]

    t_k, (k_sma, k_rsi) = timed(kernels, runs)
    gap_k = max(_gap(a, b) for a, b in zip(k_sma + k_rsi, ta_sma + ta_rsi, strict=True))
    out = []
    for name, times, gap in (("kernels.sma + kernels.rsi, the per-series kernels every path calls", t_k, gap_k),):
        ratio = sorted(t_ta)[len(t_ta) // 2] / sorted(times)[len(times) // 2]
        out.append(
            record(
                "3",
                f"SMA(50) + RSI(14), {name}",
                dataset,
                times,
                baseline="TA-Lib loop over numpy arrays",
                baseline_times=t_ta,
                work=len(series),
                unit="series/s",
                target="within 1.5x of TA-Lib (ratio >= 0.67)",
                passed=ratio >= 1 / 1.5 and gap <= TOL,
                notes=f"{len(series)} series, {len(close):,} closes; max rel gap vs TA-Lib {gap:.1e}",
            )
        )
    return out


def _gap(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative gap between two arrays (NaN positions must agree, else inf)."""
    na, nb = np.isnan(a), np.isnan(b)
    if not np.array_equal(na, nb):
        return math.inf
    if (~na).sum() == 0:
        return 0.0
    return float(np.max(np.abs(a[~na] - b[~na]) / np.maximum(1.0, np.abs(b[~na]))))


def rss(dataset: str, path: str) -> list[dict[str, Any]]:
    """Figure 6 (analytics): peak RSS of loading the daily data and analysing it once, vs the frame's size."""
    base = peak_rss_mb()
    # the rows known at the as-of (what a store read returns), read lean: the loading holds little beyond the frame
    daily = daily_long(dataset, as_of=AS_OF)
    frames = replace(MarketFrames.empty(AS_OF), daily=daily)  # frames_at without its (here empty) filter's copy
    del daily
    gc.collect()
    loaded_peak, loaded_now = peak_rss_mb(), current_rss_mb()
    fn = analyze if path == "panel" else analyze_loop
    times, _ = timed(lambda: fn(frames, tz="UTC"), 1)
    peak = peak_rss_mb()
    held = frames.daily.estimated_size("mb")  # the rows the analysis touches (all but the last day's, unknown yet)
    # the data itself, as daily_long holds it (its constant columns stay single values), measured after the peak
    size = daily_long(dataset).estimated_size("mb")
    ratio = (peak - base) / size
    during = (peak - loaded_now) / size if peak > loaded_peak else None
    return [
        record(
            "6",
            f"peak RSS, analytics ({path})",
            dataset,
            times,
            target="peak RSS above the interpreter+imports floor <= 3x raw data touched",
            passed=ratio <= 3,
            notes=f"peak {peak:,.0f} MiB (interpreter+imports {base:,.0f} MiB; after loading the data: peak "
            f"{loaded_peak:,.0f}, resident {loaded_now:,.0f}) vs daily frame {size:,.0f} MiB (at the as-of, as read: "
            f"{held:,.0f} MiB); the analysis "
            + ("did not raise the peak" if during is None else f"peaked {during:.1f}x the frame above the loaded data"),
            extra={
                "peak_rss_mb": peak,
                "import_rss_mb": base,
                "data_mb": size,
                "rss_ratio": peak / size,
                "rss_ratio_above_imports": ratio,
                "loaded_peak_mb": loaded_peak,
                "loaded_rss_mb": loaded_now,
                "analysis_rss_ratio": during,
            },
        )
    ]


def main() -> None:
    """CLI (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["fig2", "growth", "fig3", "rss"])
    ap.add_argument("--dataset", default="M")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--path", default="panel", choices=["panel", "loop"])
    args = ap.parse_args()
    if args.what == "fig2":
        emit(fig2(args.dataset, args.runs))
    elif args.what == "growth":
        emit(growth(args.dataset, args.runs))
    elif args.what == "fig3":
        emit(fig3(args.dataset, args.runs))
    else:
        emit(rss(args.dataset, args.path))


if __name__ == "__main__":
    main()
