"""Figure 5 and the report half of figure 6: ``cryptodesk report`` on a store holding M and I.

    python bench/fig_report.py cold --store bench/data/stores/M_I.duckdb --runs 3
    python bench/fig_report.py warm --store bench/data/stores/M_I.duckdb --runs 3

``cold`` times the CLI in a new process each run (baseline: ``cryptodesk --help``,
the interpreter and import floor). ``warm`` opens one :class:`Desk`, writes the
report once untimed, then times ``Desk.report`` (baseline: ``Desk.frames``
alone, the data access floor); its peak RSS is figure 6's report figure.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from common import AS_OF, CLI, DATA, emit, peak_rss_mb, record, timed, wall
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk


def cold(store: Path, runs: int) -> list[dict[str, Any]]:
    """Wall time of ``cryptodesk report`` in a fresh process, vs ``cryptodesk --help``."""
    env = {**os.environ, "CRYPTODESK_DB": str(store)}
    cmd = [CLI, "report", "--as-of", AS_OF.isoformat().replace("+00:00", "Z")]
    times = [wall(cmd, env=env) for _ in range(runs)]
    base = [wall([CLI, "--help"], env=env) for _ in range(runs)]
    med = sorted(times)[len(times) // 2]
    return [
        record(
            "5",
            "cryptodesk report, cold CLI wall",
            store.stem,
            times,
            baseline="cryptodesk --help (cold start floor)",
            baseline_times=base,
            target="< 2 s",
            passed=med < 2,
            notes=f"as of {AS_OF.isoformat()}",
        )
    ]


def warm(store: Path, runs: int) -> list[dict[str, Any]]:
    """``Desk.report`` in one process after a warm-up, vs ``Desk.frames``; peak RSS vs the frames' size."""
    import_rss = peak_rss_mb()
    with Desk(Settings.model_validate({"db": store})) as desk:
        desk.report(AS_OF)
        times, _ = timed(lambda: desk.report(AS_OF), runs)
        base, frames = timed(lambda: desk.frames(AS_OF), runs)
    size = sum(
        f.estimated_size("mb")
        for f in (frames.daily, frames.intraday, frames.points, frames.global_daily, frames.global_points)
    )
    peak = peak_rss_mb()
    med = sorted(times)[len(times) // 2]
    return [
        record(
            "5",
            "Desk.report, warm in-process",
            store.stem,
            times,
            baseline="Desk.frames alone (data access floor)",
            baseline_times=base,
            target="< 300 ms",
            passed=med < 0.3,
            notes=f"as of {AS_OF.isoformat()}",
        ),
        record(
            "6",
            "peak RSS, report (warm process)",
            store.stem,
            times,
            target="peak RSS above the interpreter+imports floor <= 3x raw data touched",
            passed=(peak - import_rss) / size <= 3,
            notes=f"peak {peak:,.0f} MiB (interpreter+imports {import_rss:,.0f} MiB) vs frames {size:,.0f} MiB",
            extra={
                "peak_rss_mb": peak,
                "import_rss_mb": import_rss,
                "data_mb": size,
                "rss_ratio": peak / size,
                "rss_ratio_above_imports": (peak - import_rss) / size,
            },
        ),
    ]


def main() -> None:
    """CLI (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["cold", "warm"])
    ap.add_argument("--store", type=Path, default=DATA / "stores" / "M_I.duckdb")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    emit(cold(args.store, args.runs) if args.mode == "cold" else warm(args.store, args.runs))


if __name__ == "__main__":
    main()
