"""Desk log throughput: stories per second with charts, against stories without charts in the same run.

    .venv/bin/python bench/bench_desklog.py                     # pack imported into a temp store, Jan. 1-14, 2023
    .venv/bin/python bench/bench_desklog.py --db cryptodesk.duckdb --from 2022-11-01 --to 2022-11-30 --runs 3

Modes, each over the same days and store (medians over ``--runs``), each a whole ``desk_log`` call (the replay of
the period, every page and JSON, the index):

* baseline: ``desk_log(charts=False)``: the stories without charts;
* with charts, as ``cryptodesk report --from D1 --to D2 --out DIR`` runs it (``--workers`` default: one chart
  process beside the main one on two cores or more);
* with charts rendered in the main process (``--workers 0``);
* charts alone: rendering the figures of snapshots built beforehand, in this process (where the extra time goes).

Prints a Markdown table; ``--emit`` also prints the suite's JSON document (records) as the last line.
Target: >= 10 stories/s with charts on 2 cores. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from datetime import time as clock
from pathlib import Path

os.environ.setdefault("MPLCONFIGDIR", "/tmp/cryptodesk-mpl")
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Nothing heavy is imported at the top: the chart process is spawned and re-runs this module's top level (as it
# re-runs the tiny `cryptodesk` entry script when the CLI writes a log), so the figure pays what the CLI pays.

REPO = Path(__file__).resolve().parents[1]
TZ = "America/New_York"


def _store(db: Path | None, pack: Path, work: Path) -> Path:
    """The store to read: ``db`` when given, else the pack imported into a temp store."""
    from cryptodesk.core.settings import load_settings
    from cryptodesk.desk import Desk

    if db is not None:
        return db
    path = work / "bench-desklog.duckdb"
    with Desk(load_settings({"db": path}, env={})) as desk:
        report = desk.import_paths([pack, REPO / "examples" / "crypto-events.csv"])
    if report.failed:
        sys.exit(f"import failed: {[f.error for f in report.failed]}")
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (and the records with ``--emit``)."""
    from common import emit, record, timed
    from cryptodesk.core.settings import load_settings
    from cryptodesk.desk import Desk
    from cryptodesk.desk.charts import figures
    from cryptodesk.desk.desklog import daily_snapshots, default_workers, desk_log

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, help="an existing store (default: import the pack into a temp store)")
    ap.add_argument("--pack", type=Path, default=REPO.parent / "shared" / "data", help="data pack folder")
    ap.add_argument("--from", dest="start", default="2023-01-01", help="first day (YYYY-MM-DD)")
    ap.add_argument("--to", dest="end", default="2023-01-14", help="last day (YYYY-MM-DD)")
    ap.add_argument("--runs", type=int, default=1, help="runs per mode (median reported)")
    ap.add_argument("--emit", action="store_true", help="also print the suite's JSON document")
    args = ap.parse_args(argv)
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    days = (end - start).days + 1
    with tempfile.TemporaryDirectory() as tmp:
        db = _store(args.db, args.pack, Path(tmp))
        with Desk(load_settings({"db": db}, env={})) as desk:

            def log(charts: bool, workers: int | None) -> int:
                out = Path(tempfile.mkdtemp(dir=tmp))
                return len(desk_log(desk, start, end, out, tz=TZ, seed=0, charts=charts, workers=workers).entries)

            log(False, 0)  # warm the process (imports, the store's caches) so no mode pays for it alone
            base, _ = timed(lambda: log(False, 0), args.runs)
            default, _ = timed(lambda: log(True, None), args.runs)
            inline, _ = timed(lambda: log(True, 0), args.runs)
            built = [s for _d, s in daily_snapshots(desk, start, end, at=clock(12, 30), tz=TZ, seed=0)]
            alone, counts = timed(lambda: sum(len(figures(s)) for s in built), args.runs)
    n_charts = int(counts)
    workers = default_workers()
    target = ">= 10 stories/s with charts"
    rows = [
        record("8", "desk log, stories without charts (baseline)", "pack", base, work=days, unit="stories/s"),
        record(
            "8",
            f"desk log with charts ({workers} chart process{'es' if workers != 1 else ''}, the default)",
            "pack",
            default,
            baseline="stories without charts",
            baseline_times=base,
            work=days,
            unit="stories/s",
            target=target,
            passed=days / sorted(default)[len(default) // 2] >= 10,
            notes=f"{start}..{end}, {n_charts} charts ({n_charts / days:.1f} a story), {os.cpu_count()} cores",
        ),
        record(
            "8",
            "desk log with charts rendered in the main process (--workers 0)",
            "pack",
            inline,
            baseline="stories without charts",
            baseline_times=base,
            work=days,
            unit="stories/s",
            target=target,
            passed=days / sorted(inline)[len(inline) // 2] >= 10,
        ),
        record("8", "charts alone (rendering, one process)", "pack", alone, work=n_charts, unit="charts/s"),
    ]
    print(f"Desk log {start}..{end}: {days} stories, {n_charts} charts, {os.cpu_count()} cores, runs={args.runs}")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| mode | seconds | rate | ratio to baseline |")
    print("|---|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") else ""
        print(f"| {r['name']} | {r['seconds']['median']:.2f} | {r['rate']:.2f} {r['unit']} | {ratio} |")
    if args.emit:
        emit(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
