"""Static chart throughput: the report's figures rendered by the painter, against the previous renderer and a floor.

    .venv/bin/python bench/bench_charts.py                   # pack imported into a temp store, Jan. 1-14, 2023
    .venv/bin/python bench/bench_charts.py --db cryptodesk.duckdb --from 2022-11-01 --to 2022-11-14 --runs 5

For each day at 12:30 p.m. ET the day's story is written and the charts its HTML page places are built
(``plan_figures`` + ``build_chart``, as ``cryptodesk report --from/--to`` does); then, over the same specs and at
the report's size (7 in at 130 dpi, PNG zlib level 1):

* build: spec from frames (``build_chart``), per kind;
* painter, warm: ``render_static`` with its text cache filled by an earlier pass (a desk log's steady state);
* painter, fresh process: the text caches emptied before the first chart of each run, then every chart in order
  (what a desk log worker process starts from);
* painter, cold: the same with the text caches cleared before every chart (every string rasterised afresh);
* reference: the previous renderer (``bench/chart_reference.py``: matplotlib Figure, Axes, tickers, legend);
* floor: a bare matplotlib Figure with one line of the same points saved as PNG at the same size.

Times are medians over ``--runs`` of CPU seconds (``time.process_time``: the machine is shared, so wall time
says more about the neighbours than about the code; wall medians are printed too). Ratios are against the
reference and the floor measured in the same run. Prints a Markdown table and, with ``--json``, one JSON line.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from datetime import time as clock
from pathlib import Path

os.environ.setdefault("MPLCONFIGDIR", "/tmp/cryptodesk-mpl")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chart_reference import render_reference
from cryptodesk.charts import glyphs
from cryptodesk.charts.build import build_chart
from cryptodesk.charts.report_page import plan_figures
from cryptodesk.charts.spec import Chart
from cryptodesk.charts.static import render_static
from cryptodesk.core.errors import DataError
from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.charts import REPORT_DPI, REPORT_PNG_LEVEL, REPORT_WIDTH_IN, Snapshot
from cryptodesk.desk.desklog import daily_snapshots

REPO = Path(__file__).resolve().parents[1]
TZ = "America/New_York"


def _store(db: Path | None, pack: Path, work: Path) -> Path:
    """The store to read: ``db`` when given, else the pack (and the example crypto events) in a temp store."""
    if db is not None:
        return db
    path = work / "bench-charts.duckdb"
    with Desk(load_settings({"db": path}, env={})) as desk:
        report = desk.import_paths([pack, REPO / "examples" / "crypto-events.csv"])
    if report.failed:
        sys.exit(f"import failed: {[f.error for f in report.failed]}")
    return path


def _specs(snaps: list[Snapshot]) -> tuple[list[Chart], dict[str, list[float]]]:
    """The charts each day's page places, and the CPU seconds each build took, by kind."""
    charts: list[Chart] = []
    build: dict[str, list[float]] = defaultdict(list)
    for snap in snaps:
        for plan in plan_figures(snap.story):
            t0 = time.process_time()
            try:
                spec = build_chart(plan.kind, snap.frames, snap.analysis, snap.events, tz=snap.tz, asset=plan.asset,
                                   assets=plan.assets)  # fmt: skip
            except DataError:
                continue
            build[plan.kind].append(time.process_time() - t0)
            charts.append(spec)
    return charts, build


def painter(chart: Chart) -> bytes:
    """The report figure as the desk log renders it."""
    return render_static(chart, "png", width_in=REPORT_WIDTH_IN, dpi=REPORT_DPI, compress=REPORT_PNG_LEVEL)


def painter_cold(chart: Chart) -> bytes:
    """The same with empty text caches: every string laid out and rasterised again."""
    glyphs.clear_caches()
    return painter(chart)


def reference(chart: Chart) -> bytes:
    """The previous renderer at the report's size."""
    return render_reference(chart, "png", width_in=REPORT_WIDTH_IN, dpi=REPORT_DPI, compress=REPORT_PNG_LEVEL)


def floor(chart: Chart) -> bytes:
    """A bare matplotlib figure of the chart's size with its first line and default axes, saved as PNG."""
    width_px, height_px = _png_size(painter(chart))
    fig = Figure(figsize=(width_px / REPORT_DPI, height_px / REPORT_DPI))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    series = next((s for p in chart.panels for s in p.series), None)
    if series is not None:
        ax.plot(np.arange(len(series.y)), [np.nan if v is None else v for v in series.y])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=REPORT_DPI, pil_kwargs={"compress_level": REPORT_PNG_LEVEL})
    return buf.getvalue()


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


Timing = dict[str, list[float]]


def _time(render: Callable[[Chart], bytes], charts: list[Chart], runs: int) -> tuple[Timing, Timing, float]:
    """CPU and wall seconds of each chart by kind (one list entry per chart and run), and the median run's wall."""
    cpu: Timing = defaultdict(list)
    wall: Timing = defaultdict(list)
    totals = []
    for _ in range(runs):
        t_run = time.perf_counter()
        for chart in charts:
            c0, w0 = time.process_time(), time.perf_counter()
            render(chart)
            cpu[chart.kind].append(time.process_time() - c0)
            wall[chart.kind].append(time.perf_counter() - w0)
        totals.append(time.perf_counter() - t_run)
    return cpu, wall, statistics.median(totals)


def _ms(values: list[float]) -> float:
    return 1000 * statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, help="an existing store (default: import the pack into a temp store)")
    ap.add_argument("--pack", type=Path, default=REPO.parent / "shared" / "data", help="data pack folder")
    ap.add_argument("--from", dest="start", default="2023-01-01", help="first day (YYYY-MM-DD)")
    ap.add_argument("--to", dest="end", default="2023-01-14", help="last day (YYYY-MM-DD)")
    ap.add_argument("--runs", type=int, default=3, help="runs per renderer (medians reported)")
    ap.add_argument("--reference-runs", type=int, default=1, help="runs of the slow previous renderer")
    ap.add_argument("--json", action="store_true", help="also print one JSON line")
    args = ap.parse_args(argv)
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    with tempfile.TemporaryDirectory() as tmp:
        db = _store(args.db, args.pack, Path(tmp))
        with Desk(load_settings({"db": db}, env={})) as desk:
            snaps = [s for _d, s in daily_snapshots(desk, start, end, at=clock(12, 30), tz=TZ, seed=0)]
    charts, build = _specs(snaps)
    for chart in charts:  # warm the text cache: the steady state of a desk log's worker
        painter(chart)
    first = charts[0]

    def painter_fresh(chart: Chart) -> bytes:
        if chart is first:
            glyphs.clear_caches()
        return painter(chart)

    modes = {
        "painter (warm cache)": _time(painter, charts, args.runs),
        "painter (fresh process order)": _time(painter_fresh, charts, args.runs),
        "painter (cold cache)": _time(painter_cold, charts, args.runs),
        "reference (previous renderer)": _time(reference, charts, args.reference_runs),
        "floor (bare figure, one line)": _time(floor, charts, args.runs),
    }
    kinds = sorted({c.kind for c in charts})
    every = {name: [v for vs in cpu.values() for v in vs] for name, (cpu, _w, _t) in modes.items()}
    warm = _ms(every["painter (warm cache)"])
    print(f"Report charts {start}..{end}: {len(snaps)} stories, {len(charts)} charts "
          f"({len(charts) / len(snaps):.1f} per story), {os.cpu_count()} cores, runs={args.runs}")  # fmt: skip
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| mode | " + " | ".join(kinds) + " | all (ms/chart) | charts/s per core | wall ms/chart | warm painter × |")
    print("|---|" + "---:|" * (len(kinds) + 4))
    build_all = [v for vs in build.values() for v in vs]
    print("| build (spec from frames) | " + " | ".join(f"{_ms(build[k]):.1f}" for k in kinds)
          + f" | {_ms(build_all):.1f} | {1000 / _ms(build_all):.0f} | | |")  # fmt: skip
    out: dict[str, object] = {"stories": len(snaps), "charts": len(charts), "build_ms": _ms(build_all)}
    for name, (cpu, wall, _total) in modes.items():
        all_ms = _ms(every[name])
        wall_ms = _ms([v for vs in wall.values() for v in vs])
        print(f"| {name} | " + " | ".join(f"{_ms(cpu[k]):.1f}" for k in kinds)
              + f" | {all_ms:.1f} | {1000 / all_ms:.0f} | {wall_ms:.1f} | {all_ms / warm:.2f} |")  # fmt: skip
        out[name] = {"ms_per_chart": all_ms, "charts_per_s": 1000 / all_ms, "by_kind": {k: _ms(cpu[k]) for k in kinds}}
    fresh_cpu = every["painter (fresh process order)"]
    per_story = 1000 * (sum(fresh_cpu) / args.runs + sum(build_all)) / len(snaps)
    speedup = _ms(every["reference (previous renderer)"]) / warm
    print(f"\nA story's charts on one core (mean build + painter in fresh-process order): {per_story:.0f} ms; "
          f"speed-up of the warm painter over the reference: {speedup:.1f}x")  # fmt: skip
    if args.json:
        out["story_charts_ms"] = per_story
        out["load"] = os.getloadavg()
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
