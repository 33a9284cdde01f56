"""Where the warm report process's memory goes (figure 6, the report row), step by step.

    python bench/report_memory.py --store bench/data/stores/M_I.duckdb [--memory-limit 100MB] [--reports 8]
        [--universe-size 400]

The steps of figure 5's warm process, one at a time: open the store, the universe, one report's frames
(``Desk.frames``), then ``Desk.report`` at the as-of and every 5 minutes after. Before each step the peak resident
set size is reset (``/proc/self/clear_refs``, Linux), so each line shows the step's own peak and the resident size
after it, its anonymous and file-backed parts (``RssAnon``: what the process allocated; ``RssFile``: library code
read as it first runs) and what DuckDB holds then (``duckdb_memory()``). ``--memory-limit`` sets the store's
``store_memory_limit`` (the DuckDB memory limit of read-only connections; default: the setting's default), and
``--universe-size`` the desk's ``universe_size`` (default 100), to see how the memory grows with the assets a
report covers. The last line gives the whole run's peak above the imports and the day's timeline it held.
Informational, not part of the suite.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import AS_OF, proc_status_mb
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk
from fig_report import WARM_STEP, _timeline_mb


def _status() -> dict[str, int]:
    """VmHWM (peak since the last reset), VmRSS and its anonymous and file-backed parts (RssAnon: what the process
    allocated; RssFile: library code read as it first runs) of this process, in whole MiB."""
    return {k: int(v) for k, v in proc_status_mb("VmHWM", "VmRSS", "RssAnon", "RssFile").items()}


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def main() -> None:
    """CLI (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument(
        "--memory-limit",
        default=None,
        help="store_memory_limit, e.g. 100MB ('' for DuckDB's own; default: the setting's)",
    )
    ap.add_argument("--reports", type=int, default=8)
    ap.add_argument("--universe-size", type=int, default=100, help="the desk's universe_size (assets a report covers)")
    args = ap.parse_args()
    limit = {} if args.memory_limit is None else {"store_memory_limit": args.memory_limit}
    desk = Desk(Settings.model_validate({"db": args.store, "tz": "UTC", "universe_size": args.universe_size, **limit}))
    first = _status()
    floor = before = first["VmRSS"]
    peak = 0
    print(f"{'step':<22} {'peak MiB':>9} {'after MiB':>10} {'added':>7} {'anon':>6} {'file':>6} {'DuckDB MiB':>11}")
    print(f"{'interpreter+imports':<22} {'':>9} {before:>10,} {'':>7} {first['RssAnon']:>6,} {first['RssFile']:>6,}")

    def step(name: str, fn: Callable[[], Any]) -> None:
        nonlocal before, peak
        _reset_peak()
        fn()
        now = _status()
        peak = max(peak, now["VmHWM"])
        held = desk.store().con.execute("SELECT sum(memory_usage_bytes) / 2^20 FROM duckdb_memory()").fetchall()[0][0]
        print(
            f"{name:<22} {now['VmHWM']:>9,} {now['VmRSS']:>10,} {now['VmRSS'] - before:>+7,} "
            f"{now['RssAnon']:>6,} {now['RssFile']:>6,} {held or 0:>11,.0f}"
        )
        before = now["VmRSS"]

    step("open the store", desk.store)
    universe = desk.universe(AS_OF)
    step("universe", lambda: desk.universe(AS_OF))
    step("one report's frames", lambda: desk.frames(AS_OF, assets=universe))
    for i in range(args.reports):
        step(f"report {i + 1}", lambda i=i: desk.report(AS_OF + WARM_STEP * i))
    held = _timeline_mb(desk) if args.reports > 1 else float("nan")
    print(
        f"universe {len(universe)} assets: peak {peak:,} MiB, {peak - floor:,} above the imports; "
        f"the day's timeline {held:,.1f} MiB: {(peak - floor) / held:.1f}x"
    )
    desk.close()


if __name__ == "__main__":
    main()
