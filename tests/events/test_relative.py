"""Relative performance over 30 days: synthetic tables, Analysis-based numbers and real pack dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from cryptodesk.analytics.types import Analysis, AssetState, Change
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events.base import DetectParams
from cryptodesk.events.relative import detect_relative

START = date(2024, 1, 1)


def _run(frames: MarketFrames, analysis: Analysis | None = None, **params: object) -> list[Event]:
    return detect_relative(frames, analysis or Analysis(frames.as_of, None), DetectParams(**params))  # type: ignore[arg-type]


def _line(start: float, end: float, n: int) -> list[float]:
    return [start + (end - start) * i / (n - 1) for i in range(n)]


@pytest.mark.parametrize(
    ("eth", "btc", "direction"),
    [
        (_line(100, 130, 40), _line(100, 110, 40), "outperform"),
        (_line(100, 90, 40), _line(100, 105, 40), "underperform"),
    ],
)
def test_synthetic_pairs(
    synth: Callable[..., MarketFrames], eth: list[float], btc: list[float], direction: str
) -> None:
    (ev,) = _run(synth({"ethereum": eth, "bitcoin": btc}))
    re, rb = eth[-1] / eth[-31] - 1, btc[-1] / btc[-31] - 1
    assert (ev.kind, ev.subject, ev.direction, ev.metric) == (
        "relative_performance",
        "ethereum",
        direction,
        "return_30d",
    )
    assert ev.details["subject_return"] == pytest.approx(re)
    assert ev.details["benchmark_return"] == pytest.approx(rb)
    assert ev.details["gap_points"] == pytest.approx((re - rb) * 100)
    assert ev.details["leader"] == ("ethereum" if re > rb else "bitcoin")
    assert ev.details["basis"] == "frames"
    assert ev.details["start_date"] == START + timedelta(days=9)


def test_small_gap_and_missing_asset_give_nothing(synth: Callable[..., MarketFrames]) -> None:
    assert _run(synth({"ethereum": _line(100, 110, 40), "bitcoin": _line(100, 108, 40)})) == []
    assert _run(synth({"ethereum": _line(100, 150, 40)})) == []
    assert _run(synth({"ethereum": _line(100, 150, 20), "bitcoin": _line(100, 100, 20)})) == []  # < 30 days


def test_analysis_changes_are_preferred(synth: Callable[..., MarketFrames]) -> None:
    frames = synth({"ethereum": _line(100, 130, 40), "bitcoin": _line(100, 110, 40)})
    end = START + timedelta(days=39)

    def state(asset_id: str, pct: float) -> AssetState:
        ch = Change("30d", pct, 1.0, end - timedelta(days=30), 1.0 + pct, end)
        return AssetState(asset_id, "X", asset_id, 1.0, end, "s", 1.0, frames.as_of, "s", changes={"30d": ch})

    analysis = Analysis(frames.as_of, None, {"ethereum": state("ethereum", 0.23), "bitcoin": state("bitcoin", 0.28)})
    (ev,) = _run(frames, analysis)
    assert ev.details["basis"] == "analysis"
    assert ev.direction == "underperform"
    assert ev.value == pytest.approx(-0.05)


@pytest.mark.parametrize("window", ["ytd", "0d", "x"])
def test_bad_window_is_a_config_error(synth: Callable[..., MarketFrames], window: str) -> None:
    with pytest.raises(ConfigError, match="relative_window"):
        _run(synth({"ethereum": [1.0], "bitcoin": [1.0]}), relative_window=window)


# --------------------------------------------------------------------------- real dates from the pack


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2023, 1, 18, 17, 30, tzinfo=UTC),  # the seed article: ETH vs BTC over the last month
        datetime(2022, 6, 19, 1, 0, tzinfo=UTC),
        datetime(2022, 11, 10, 1, 0, tzinfo=UTC),
        datetime(2021, 11, 10, 1, 0, tzinfo=UTC),
        datetime(2024, 3, 11, 1, 0, tzinfo=UTC),
    ],
)
def test_real_eth_vs_btc(
    pack_frames: Callable[[datetime], MarketFrames], raw_closes: Callable[[str], dict[date, float]], as_of: datetime
) -> None:
    eth, btc = raw_closes("eth"), raw_closes("btc")
    end = as_of.date() - timedelta(days=1)  # the latest closed day: its snapshot is today's 00:00 UTC
    start = end - timedelta(days=30)
    re, rb = eth[end] / eth[start] - 1, btc[end] / btc[start] - 1
    events = _run(pack_frames(as_of))
    if as_of.date() == date(2023, 1, 18):
        assert re > rb + 0.05  # ETH gained more than BTC over the 30 days to Jan 17 on CoinGecko closes
    if abs(re - rb) < 0.05:
        assert events == []
        return
    (ev,) = events
    assert ev.direction == ("outperform" if re > rb else "underperform")
    assert ev.details["gap_points"] == pytest.approx((re - rb) * 100)
    assert (ev.details["start_date"], ev.details["end_date"]) == (start, end)
    assert 0 < ev.score <= 100
