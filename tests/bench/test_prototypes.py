"""The split-once series prototype (the proposed detector fix measured by figure 4) finds exactly the same events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from common import daily_long, frames_at
from cryptodesk.analytics.asof import analyze_loop as analyze
from cryptodesk.events import _series
from cryptodesk.events.base import detect
from prototypes import series_cache


@pytest.mark.parametrize(
    "as_of", [datetime(2023, 9, 1, 12, 30, tzinfo=UTC), datetime(2024, 12, 31, 12, 30, tzinfo=UTC)]
)
def test_series_cache_finds_the_same_events(tiny_root: Path, as_of: datetime) -> None:
    frames = frames_at(daily_long("T", tiny_root), as_of)
    analysis = analyze(frames, tz="UTC")
    want = detect(frames, analysis)
    original = _series.daily_series
    with series_cache():
        got = detect(frames, analysis)
    assert _series.daily_series is original
    assert want, "no events: the comparison would prove nothing"
    assert got == want
