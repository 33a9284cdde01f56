"""Prototypes of fixes proposed for files the benchmark owner does not own, to measure their gain.

Nothing here is used by cryptodesk itself. :func:`series_cache` swaps, for the
duration of a ``with`` block, ``cryptodesk.events._series.daily_series`` for a
version that splits ``frames.daily`` by asset ONCE per frames object (instead of
one full-frame filter per subject and detector), so figure 4 can report the
gain of that change and check that the events are identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl

from cryptodesk.core.frames import MarketFrames
from cryptodesk.events import _series


class _Split:
    """Every asset's rows of one frames object, split once (the per-subject series built on first use)."""

    def __init__(self, frames: MarketFrames) -> None:
        self.frames = frames
        d = frames.daily.filter(pl.col("close").is_not_null()).sort("asset_id", "date", maintain_order=True)
        same_next = (pl.col("asset_id") == pl.col("asset_id").shift(-1)) & (pl.col("date") == pl.col("date").shift(-1))
        d = d.filter(same_next.not_().fill_null(True))
        self.parts = d.partition_by("asset_id", as_dict=True, maintain_order=True)
        self.built: dict[str, _series.DailySeries | None] = {}

    def series(self, subject: str, original: Any) -> _series.DailySeries | None:
        if subject not in self.built:
            if subject == _series.TOTAL:
                self.built[subject] = original(self.frames, subject)
            else:
                part = self.parts.get((subject,))
                one = MarketFrames(**{**self.frames.__dict__, "daily": part}) if part is not None else None
                self.built[subject] = original(one, subject) if one is not None else None
        return self.built[subject]


@contextmanager
def series_cache() -> Iterator[None]:
    """Within the block, detectors get each subject's series from a once-per-frames split."""
    original = _series.daily_series
    state: dict[str, _Split] = {}

    def cached(frames: MarketFrames, subject: str) -> _series.DailySeries | None:
        split = state.get("split")
        if split is None or split.frames is not frames:
            split = state["split"] = _Split(frames)
        return split.series(subject, original)

    _series.daily_series = cached
    try:
        yield
    finally:
        _series.daily_series = original
