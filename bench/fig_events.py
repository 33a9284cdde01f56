"""Figure 4: event detection replayed day by day (one as-of per day, as ``Desk.events_between`` does).

    python bench/fig_events.py --dataset M --sample 6

Replaying all 3,653 days of M takes hours with the current per-day cost, so the
figure times ``--sample`` as-ofs spread evenly over the dataset's days (12:30
UTC each; later days hold more history and cost more, so an even spread gives
the average) and reports days/s = 1 / mean seconds per day. Per day it times
the whole replay step (cut the frames at the as-of, ``analyze``, ``detect``)
and, separately, ``detect`` alone on the same analysis; the baseline is the
frames cut alone (the least any per-day replay must do).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from common import _CPU, close_enough, daily_long, emit, frames_at, record
from cryptodesk.analytics.asof import analyze_loop as analyze
from cryptodesk.analytics.panel import analyze_panel
from cryptodesk.events.base import detect
from prototypes import series_cache


def sample_days(first: datetime, last: datetime, n: int) -> list[datetime]:
    """``n`` as-ofs (12:30 UTC) spread evenly from 60 days after ``first`` to ``last``."""
    start = first + timedelta(days=60)
    span = (last - start).days
    offsets = np.linspace(0, span, n).round().astype(int) if n > 1 else np.array([span])
    return [
        datetime.combine((start + timedelta(days=int(o))).date(), datetime.min.time(), UTC) + timedelta(hours=12.5)
        for o in offsets
    ]


def run(dataset: str, sample: int, proposed: bool) -> list[dict[str, Any]]:
    """Time the replay step on ``sample`` days of ``dataset`` (``proposed``: panel + split-once series)."""
    if proposed:
        with series_cache():
            return _run(dataset, sample, proposed)
    return _run(dataset, sample, proposed)


def _run(dataset: str, sample: int, panel: bool) -> list[dict[str, Any]]:
    daily = daily_long(dataset)
    first = datetime.combine(daily.get_column("date").min(), datetime.min.time(), UTC)  # type: ignore[arg-type]
    last = datetime.combine(daily.get_column("date").max(), datetime.min.time(), UTC)  # type: ignore[arg-type]
    total_days = (last - first).days + 1
    cut, step, det, cut_cpu, step_cpu, det_cpu = [], [], [], [], [], []
    events = 0
    for as_of in sample_days(first, last, sample):
        c0, t0 = time.process_time(), time.perf_counter()
        frames = frames_at(daily, as_of)
        c1, t1 = time.process_time(), time.perf_counter()
        analysis = analyze_panel(frames, tz="UTC") if panel else analyze(frames, tz="UTC")
        c2, t2 = time.process_time(), time.perf_counter()
        found = detect(frames, analysis)
        c3, t3 = time.process_time(), time.perf_counter()
        cut.append(t1 - t0)
        step.append(t3 - t0)
        det.append(t3 - t2)
        cut_cpu.append(c1 - c0)
        step_cpu.append(c3 - c0)
        det_cpu.append(c3 - c2)
        events += len(found)
    _CPU.update({id(cut): cut_cpu, id(step): step_cpu, id(det): det_cpu})
    path = "analyze_panel + detect with series split once (bench/prototypes.py)" if panel else "analyze + detect"
    note = f"{sample} of {total_days:,} days sampled evenly; days/s = 1 / mean; {events} events found"
    mean = float(np.mean(step))
    return [
        record(
            "4",
            f"replay step: frames cut + {path}",
            dataset,
            step,
            baseline="frames cut only",
            baseline_times=cut,
            work=1,
            unit="days/s",
            target=">= 100 days/s",
            passed=1 / mean >= 100,
            notes=note,
            extra={"days_per_s_mean": 1 / mean, "full_replay_estimate_s": mean * total_days},
        ),
        record(
            "4",
            f"detect only (analysis given){', series split once' if panel else ''}",
            dataset,
            det,
            work=1,
            unit="days/s",
            target="(part of the step above)",
            notes=note,
        ),
    ]


def main() -> None:
    """CLI (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="M")
    ap.add_argument("--sample", type=int, default=6)
    ap.add_argument("--proposed", action="store_true", help="analyze_panel + the series split of prototypes.py")
    ap.add_argument("--check", action="store_true", help="only check the proposed path finds the same events")
    args = ap.parse_args()
    emit(check(args.dataset, args.sample) if args.check else run(args.dataset, args.sample, args.proposed))


def check(dataset: str, sample: int) -> list[dict[str, Any]]:
    """The proposed path (panel + split-once series) finds exactly the events of the current path."""
    daily = daily_long(dataset)
    first = datetime.combine(daily.get_column("date").min(), datetime.min.time(), UTC)  # type: ignore[arg-type]
    last = datetime.combine(daily.get_column("date").max(), datetime.min.time(), UTC)  # type: ignore[arg-type]
    same, total = 0, 0
    for as_of in sample_days(first, last, sample):
        frames = frames_at(daily, as_of)
        want = detect(frames, analyze(frames, tz="UTC"))
        with series_cache():
            got = detect(frames, analyze_panel(frames, tz="UTC"))
        same += int(close_enough(got, want))
        total += 1
    return [
        record(
            "4",
            "proposed replay finds the same events as the current one",
            dataset,
            [0.0],
            target="the same events on every sampled day (floats within 1e-9)",
            passed=same == total,
            notes=f"{same} of {total} days identical",
        )
    ]


if __name__ == "__main__":
    main()
