"""Desk log throughput: stories per second with charts, against stories without charts in the same run.

    .venv/bin/python bench/bench_desklog.py                     # pack imported into a temp store, Jan. 1-14, 2023
    .venv/bin/python bench/bench_desklog.py --db cryptodesk.duckdb --from 2022-11-01 --to 2022-11-30 --runs 3

Modes, each over the same days and store (medians over ``--runs``):

* baseline: ``desk_log(charts=False)``: each day's snapshot (frames, analysis, events, story), page and JSON;
* with charts: ``desk_log(charts=True)``: the same plus every chart the page places (PNG, embedded), i.e.
  ``cryptodesk report --from D1 --to D2 --out DIR``;
* with charts and ``--workers`` processes (``report ... --workers N``);
* charts alone: the figures of snapshots built beforehand (where the extra time goes).

Prints a Markdown table and one JSON line (``--json``) with stories/s and the ratio to the baseline.
Target: >= 10 stories/s with charts on 2 cores. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from datetime import time as clock
from pathlib import Path

os.environ.setdefault("MPLCONFIGDIR", "/tmp/cryptodesk-mpl")

from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.charts import figures
from cryptodesk.desk.desklog import daily_snapshots, desk_log

REPO = Path(__file__).resolve().parents[1]
TZ = "America/New_York"


def _store(db: Path | None, pack: Path, work: Path) -> Path:
    """The store to read: ``db`` when given, else the pack imported into a temp store."""
    if db is not None:
        return db
    path = work / "bench-desklog.duckdb"
    with Desk(load_settings({"db": path}, env={})) as desk:
        report = desk.import_paths([pack, REPO / "examples" / "crypto-events.csv"])
    if report.failed:
        sys.exit(f"import failed: {[f.error for f in report.failed]}")
    return path


def _timed(fn: Callable[[], int], runs: int) -> tuple[float, int]:
    """Median seconds of ``fn`` over ``runs`` runs, and the count it returned."""
    times, count = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        count = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), count


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, help="an existing store (default: import the pack into a temp store)")
    ap.add_argument("--pack", type=Path, default=REPO.parent / "shared" / "data", help="data pack folder")
    ap.add_argument("--from", dest="start", default="2023-01-01", help="first day (YYYY-MM-DD)")
    ap.add_argument("--to", dest="end", default="2023-01-14", help="last day (YYYY-MM-DD)")
    ap.add_argument("--runs", type=int, default=1, help="runs per mode (median reported)")
    ap.add_argument("--workers", type=int, default=2, help="processes for the parallel mode")
    ap.add_argument("--json", action="store_true", help="also print one JSON line")
    args = ap.parse_args(argv)
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    with tempfile.TemporaryDirectory() as tmp:
        db = _store(args.db, args.pack, Path(tmp))
        with Desk(load_settings({"db": db}, env={})) as desk:

            def log(charts: bool, workers: int) -> Callable[[], int]:
                def run() -> int:
                    out = Path(tempfile.mkdtemp(dir=tmp))
                    return len(desk_log(desk, start, end, out, tz=TZ, seed=0, charts=charts, workers=workers).entries)

                return run

            base_s, n = _timed(log(False, 1), args.runs)
            chart_s, _ = _timed(log(True, 1), args.runs)
            par_s, _ = _timed(log(True, args.workers), args.runs)
            built = [s for _d, s in daily_snapshots(desk, start, end, at=clock(12, 30), tz=TZ, seed=0)]
            only_s, n_charts = _timed(lambda: sum(len(figures(s)) for s in built), args.runs)
    rows = [
        ("stories (baseline)", n, base_s, n / base_s, 1.0),
        ("stories with charts", n, chart_s, n / chart_s, base_s / chart_s),
        (f"stories with charts, {args.workers} workers", n, par_s, n / par_s, base_s / par_s),
    ]
    print(f"Desk log {start}..{end}: {n} stories, {n_charts} charts, {os.cpu_count()} cores, runs={args.runs}")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| mode | stories | seconds | stories/s | ratio to baseline |")
    print("|---|---:|---:|---:|---:|")
    for name, count, secs, rate, ratio in rows:
        print(f"| {name} | {count} | {secs:.2f} | {rate:.2f} | {ratio:.2f} |")
    print(f"| charts alone | {n_charts} charts | {only_s:.2f} | {n_charts / only_s:.2f} charts/s | |")
    if args.json:
        print(
            json.dumps(
                {
                    "stories": n,
                    "charts": n_charts,
                    "baseline_stories_per_s": n / base_s,
                    "charts_stories_per_s": n / chart_s,
                    "charts_parallel_stories_per_s": n / par_s,
                    "workers": args.workers,
                    "ratio": base_s / chart_s,
                    "charts_per_s": n_charts / only_s,
                    "target_stories_per_s": 10.0,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
