"""The whole default registry on real pack moments: ranked, JSON-clean, and the headline events present."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.events.base import detect


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
        datetime(2022, 11, 10, 1, 0, tzinfo=UTC),
        datetime(2022, 6, 19, 1, 0, tzinfo=UTC),
        datetime(2021, 11, 9, 12, 0, tzinfo=UTC),
    ],
)
def test_ranked_and_serialisable(pack_frames: Callable[[datetime], MarketFrames], as_of: datetime) -> None:
    events = detect(pack_frames(as_of), Analysis(as_of, None))
    assert events
    scores = [e.score for e in events]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 100.0 for s in scores)
    for e in events:
        assert e.time == as_of
        json.dumps(e.to_json(), allow_nan=False)
    again = detect(pack_frames(as_of), Analysis(as_of, None))
    assert [e.to_json() for e in again] == [e.to_json() for e in events]  # deterministic


def test_seed_article_moment(pack_frames: Callable[[datetime], MarketFrames]) -> None:
    """2023-01-18 12:30 ET: TOTAL's Jan 17 high is the highest since Nov 8; BTC +21% in a week is a big move."""
    as_of = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
    events = detect(pack_frames(as_of), Analysis(as_of, None))
    high = [e for e in events if e.kind == "extreme" and e.metric == "day_high"]
    assert [(e.subject, e.since) for e in high] == [("total_market_cap", date(2022, 11, 8))]
    week = [e for e in events if e.kind == "big_move" and e.subject == "bitcoin" and e.metric == "return_7d"]
    assert len(week) == 1
    assert week[0].direction == "up"
    assert not [e for e in events if e.kind == "liquidation_imbalance"]  # the pack has no liquidations
