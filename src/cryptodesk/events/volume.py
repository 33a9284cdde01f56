"""Volume surge: the latest closed day's USD volume vs the average of the previous 30 days.

``ratio = volume_t / mean(volume over the previous params.volume_window daily
bars)``; the latest bar is not in its own average, and at least half the window
must have volumes. An event is emitted when ``ratio >= params.volume_ratio_min``.

Score: ``score_from_frequency(p)`` where ``p`` is the share of the subject's own
history of such ratios (every earlier day with a full-enough window) at least
as high as today's, counting today.
"""

from __future__ import annotations

import numpy as np

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events._series import BoolArray, DailySeries, FloatArray, fresh_series, subjects
from cryptodesk.events.base import DetectParams, frequency_at_least, score_from_frequency


def volume_ratios(volume: FloatArray, window: int) -> FloatArray:
    """For each bar, its volume over the mean of the previous ``window`` bars (NaN where undefined)."""
    n = volume.size
    valid = ~np.isnan(volume)
    sums = np.concatenate(([0.0], np.cumsum(np.where(valid, volume, 0.0))))
    counts = np.concatenate(([0], np.cumsum(valid)))
    out = np.full(n, np.nan)
    if n <= window:
        return out
    idx = np.arange(window, n)
    total = sums[idx] - sums[idx - window]
    count = counts[idx] - counts[idx - window]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count >= max(1, window // 2), total / np.maximum(count, 1), np.nan)
        ratio = np.where(mean > 0, volume[idx] / mean, np.nan)
    out[idx] = ratio
    return out


def surge_event(series: DailySeries, frames: MarketFrames, params: DetectParams) -> Event | None:
    """The volume-surge event of one subject's latest bar, or None below the threshold or without data."""
    window = params.volume_window
    ratios = series.derived(("volume_ratios", window), lambda s: volume_ratios(s.volume, window))
    ratio = float(ratios[-1]) if ratios.size else float("nan")
    if not np.isfinite(ratio) or ratio < params.volume_ratio_min:
        return None
    if series.whole is None:
        history = ratios[:-1][np.isfinite(ratios[:-1])]
        p, n_history = frequency_at_least(history, ratio), len(history)
    else:  # a replay's prefix: the rank of every day among the days before it, computed once for the whole series
        counts = series.whole.counts(("volume_ratios", window), lambda s: volume_ratios(s.volume, window))
        i = len(series) - 1
        n_history = int(counts.valid[i])
        p = (int(counts.at_least[i]) + 1) / (n_history + 1)
    volume = float(series.volume[-1])
    return Event(
        kind="volume_surge",
        subject=series.subject,
        metric="volume_ratio",
        time=frames.as_of,
        score=score_from_frequency(p),
        direction="up",
        value=ratio,
        details={
            "volume": volume,
            "volume_avg": volume / ratio,
            "ratio": ratio,
            "window": f"{window}d",
            "avg_start": series.dates[-1 - window],
            "avg_end": series.dates[-2],
            "date": series.dates[-1],
            "rarity": p,
            "history_days": n_history,
            "unit": "USD",
            "source": series.source,
        },
    )


def detect_volume(frames: MarketFrames, _analysis: Analysis, params: DetectParams) -> list[Event]:
    """Volume surges of at least ``params.volume_ratio_min`` × the 30-day average (see module docstring)."""
    events: list[Event] = []
    for subject in subjects(frames):
        if not params.wants(subject):
            continue
        series = fresh_series(frames, subject, params.max_stale_days)
        event = surge_event(series, frames, params) if series is not None else None
        if event is not None:
            events.append(event)
    return events


def surge_rows(series: DailySeries, window: int, ratio_min: float) -> BoolArray:
    """Per bar of a whole series: whether its volume ratio reaches ``ratio_min`` (:func:`surge_event`'s test)."""
    ratios = series.derived(("volume_ratios", window), lambda s: volume_ratios(s.volume, window))
    with np.errstate(invalid="ignore"):
        return np.asarray(np.isfinite(ratios) & (ratios >= ratio_min), dtype=bool)
