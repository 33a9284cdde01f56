"""Figure 4: event detection replayed over every day of a store (a desk-log replay, one as-of a day).

    python bench/fig_events.py --store bench/data/stores/M_I.duckdb --dataset M
    python bench/fig_events.py --store ... --dataset M --check 6          # the replay equals the per-day path
    python bench/fig_events.py --store ... --dataset M --all-assets 30    # every asset in scope, 30 days

``replay``: ``Desk.events_between`` from the 61st day of the store's daily data to its last, each day judged as
of 12:30 UTC with the desk's universe (the 100 largest assets with fresh data that day), i.e. what
``cryptodesk events --from D1 --to D2`` computes. One read of the store, each asset's history analysed once
(``desk/replay.py``). Baseline in the same run: the per-day path the replay replaces (``Store.frames`` at the
day's universe, ``analyze``, ``detect``), timed on ``--sample`` days spread evenly over the same period;
days/s = days / seconds. ``--check`` compares the replay's events with the per-day path's on that many days
(floats within 1e-9). ``--all-assets N`` times the replay with every asset in the universe over the last N days
(informational: the scale of a full-market replay).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from common import _CPU, close_enough, emit, record
from cryptodesk.analytics.asof import analyze
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk
from cryptodesk.desk.replay import replay_events
from cryptodesk.events.base import detect

AT = 12.5
"""Hours after midnight UTC of each day's as-of."""


def _desk(store: Path, **settings: Any) -> Desk:
    return Desk(Settings.model_validate({"db": store, "tz": "UTC", **settings}))


def period(desk: Desk) -> tuple[date, date]:
    """From the 61st day of the store's daily data to its last day."""
    frame = desk.store().coverage().filter(pl.col("interval") == "daily")
    first, last = frame.get_column("first").min(), frame.get_column("last").max()
    assert isinstance(first, datetime)
    assert isinstance(last, datetime)
    return first.date() + timedelta(days=60), last.date() - timedelta(days=1)  # a stamp at D 00:00 closes D-1


def moments(start: date, end: date) -> list[datetime]:
    """Every day from ``start`` to ``end`` at 12:30 UTC."""
    return [
        datetime.combine(start + timedelta(days=i), datetime.min.time(), UTC) + timedelta(hours=AT)
        for i in range((end - start).days + 1)
    ]


def direct(desk: Desk, moment: datetime) -> list[Any]:
    """The per-day path: the day's frames from the store, analysed and scanned from scratch."""
    frames = desk.frames(moment)
    return detect(frames, analyze(frames, tz="UTC"), registry=desk.hub.detectors)


def sampled(days: list[datetime], n: int) -> list[datetime]:
    """``n`` of ``days`` spread evenly."""
    idx = np.linspace(0, len(days) - 1, min(n, len(days))).round().astype(int)
    return [days[i] for i in sorted(set(idx.tolist()))]


def figure(store: Path, dataset: str, sample: int, runs: int) -> list[dict[str, Any]]:
    """The replay over the whole period vs the per-day path on ``sample`` days."""
    with _desk(store) as desk:
        start, end = period(desk)
        days = moments(start, end)
        times, cpu, events = [], [], 0
        for _ in range(runs):
            c0, t0 = time.process_time(), time.perf_counter()
            found = list(replay_events(desk, days, tz="UTC"))
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            events = sum(len(e) for _m, e in found)
        base, base_cpu = [], []
        for moment in sampled(days, sample):
            c0, t0 = time.process_time(), time.perf_counter()
            direct(desk, moment)
            base.append(time.perf_counter() - t0)
            base_cpu.append(time.process_time() - c0)
    per_day = float(np.mean(base))
    base_total = [per_day * len(days)]  # the per-day path over the same days, from its sampled mean
    _CPU.update({id(times): cpu, id(base_total): [float(np.mean(base_cpu)) * len(days)]})
    median = sorted(times)[len(times) // 2]
    return [
        record(
            "4",
            "event replay: Desk.events_between over every day (universe: the 100 largest)",
            dataset,
            times,
            baseline=f"per-day path (Store.frames + analyze + detect), mean of {len(base)} sampled days x days",
            baseline_times=base_total,
            work=len(days),
            unit="days/s",
            target=">= 100 days/s",
            passed=len(days) / median >= 100,
            notes=f"{start}..{end}, {len(days):,} days, {events:,} events; per-day path {1 / per_day:.2f} days/s",
            extra={"days": len(days), "events": events, "per_day_path_days_per_s": 1 / per_day},
        )
    ]


def check(store: Path, dataset: str, n: int) -> list[dict[str, Any]]:
    """The replay's events equal the per-day path's on ``n`` days (each replayed in a replay of the whole period)."""
    with _desk(store) as desk:
        start, end = period(desk)
        days = moments(start, end)
        chosen = set(sampled(days, n))
        same = total = 0
        for moment, events in replay_events(desk, days, tz="UTC"):
            if moment in chosen:
                same += int(close_enough(events, direct(desk, moment)))
                total += 1
    return [
        record(
            "4",
            "event replay finds the per-day path's events",
            dataset,
            [0.0],
            target="the same events on every checked day (floats within 1e-9)",
            passed=same == total,
            notes=f"{same} of {total} days identical",
        )
    ]


def all_assets(store: Path, dataset: str, days_back: int) -> list[dict[str, Any]]:
    """The replay with every asset of the store in the universe, over its last ``days_back`` days."""
    with _desk(store, universe_size=100_000) as desk:
        _start, end = period(desk)
        days = moments(end - timedelta(days=days_back - 1), end)
        c0, t0 = time.process_time(), time.perf_counter()
        found = list(replay_events(desk, days, tz="UTC"))
        times = [time.perf_counter() - t0]
        _CPU[id(times)] = [time.process_time() - c0]
        subjects = len(desk.universe(days[-1]))
    events = sum(len(e) for _m, e in found)
    return [
        record(
            "4",
            "event replay, every asset in scope (informational)",
            dataset,
            times,
            work=len(days),
            unit="days/s",
            notes=f"last {len(days)} days, {subjects:,} assets, {events:,} events ({events / len(days):,.0f} a day)",
        )
    ]


def main() -> None:
    """CLI (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--dataset", default="M")
    ap.add_argument("--sample", type=int, default=6, help="days of the per-day baseline")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--check", type=int, default=0, help="only check the replay on this many days")
    ap.add_argument("--all-assets", type=int, default=0, help="only time the every-asset replay over N days")
    args = ap.parse_args()
    if args.check:
        emit(check(args.store, args.dataset, args.check))
    elif args.all_assets:
        emit(all_assets(args.store, args.dataset, args.all_assets))
    else:
        emit(figure(args.store, args.dataset, args.sample, args.runs))


if __name__ == "__main__":
    main()
