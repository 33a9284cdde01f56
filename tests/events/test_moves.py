"""Big daily/weekly moves in σ: synthetic tables and real crashes from the data pack."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events.base import DetectParams, score_from_sigma
from cryptodesk.events.moves import detect_moves


def _run(frames: MarketFrames, **params: object) -> list[Event]:
    return detect_moves(frames, Analysis(frames.as_of, None), DetectParams(**params))  # type: ignore[arg-type]


def _closes(log_returns: list[float], start: float = 100.0) -> list[float]:
    out = [start]
    for r in log_returns:
        out.append(out[-1] * math.exp(r))
    return out


def _noise(n: int) -> list[float]:
    """A deterministic, non-constant return pattern with σ ≈ 1%."""
    return [0.01 * ((i * 7919) % 13 - 6) / 3.6 for i in range(n)]


@pytest.mark.parametrize(
    ("tail", "metric", "direction"),
    [
        ([0.06], "return_1d", "up"),
        ([-0.08], "return_1d", "down"),
        ([0.02] * 7, "return_7d", "up"),
        ([-0.025] * 7, "return_7d", "down"),
    ],
)
def test_synthetic_moves(synth: Callable[..., MarketFrames], tail: list[float], metric: str, direction: str) -> None:
    history = _noise(120)
    closes = _closes(history + tail)
    events = [e for e in _run(synth({"coin": closes}), vol_window=90) if e.metric == metric]
    assert len(events) == 1
    ev = events[0]
    n_days = int(metric.split("_")[1][:-1])
    # σ: daily log returns of the bars strictly inside the 90 days before the latest bar
    window_returns = [math.log(closes[i] / closes[i - 1]) for i in range(len(closes) - 90, len(closes) - 1)]
    sigma = statistics.stdev(window_returns)
    ret = closes[-1] / closes[-1 - n_days] - 1
    z = math.log(1 + ret) / (sigma * math.sqrt(n_days))
    assert abs(z) >= 2
    assert (ev.kind, ev.direction) == ("big_move", direction)
    assert ev.value == pytest.approx(ret)
    assert ev.details["z"] == pytest.approx(z)
    assert ev.details["sigma_daily"] == pytest.approx(sigma)
    assert ev.score == pytest.approx(score_from_sigma(z))


@pytest.mark.parametrize(
    ("closes", "params"),
    [
        (_closes([*_noise(120), 0.005]), {}),  # a normal day
        (_closes([*_noise(20), 0.2]), {"vol_window": 90}),  # not enough history for σ
        (_closes([*_noise(120), 0.03]), {"move_sigma_min": 5.0}),  # under a stricter threshold
    ],
)
def test_no_event(synth: Callable[..., MarketFrames], closes: list[float], params: dict[str, object]) -> None:
    assert _run(synth({"coin": closes}), **params) == []


# --------------------------------------------------------------------------- real moments from the pack


@pytest.mark.parametrize(
    ("sym", "subject", "bar_day", "window"),
    [
        ("btc", "bitcoin", date(2022, 6, 13), 1),  # Celsius freeze: -15.8% in a day
        ("btc", "bitcoin", date(2022, 11, 9), 1),  # FTX
        ("eth", "ethereum", date(2022, 6, 13), 1),
        ("btc", "bitcoin", date(2023, 1, 14), 7),  # the January 2023 rally: +20% in a week
    ],
)
def test_real_big_moves(
    pack_frames: Callable[[datetime], MarketFrames],
    raw_closes: Callable[[str], dict[date, float]],
    sym: str,
    subject: str,
    bar_day: date,
    window: int,
) -> None:
    raw = raw_closes(sym)
    rets = [
        math.log(raw[d] / raw[d - timedelta(days=1)])
        for d in (bar_day - timedelta(days=k) for k in range(1, 90))
        if d in raw and d - timedelta(days=1) in raw
    ]
    sigma = statistics.stdev(rets)
    ret = raw[bar_day] / raw[bar_day - timedelta(days=window)] - 1
    z = math.log(1 + ret) / (sigma * math.sqrt(window))
    assert abs(z) >= 2

    as_of = datetime.combine(bar_day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    found = [e for e in _run(pack_frames(as_of)) if e.subject == subject and e.metric == f"return_{window}d"]
    assert len(found) == 1
    assert found[0].direction == ("up" if ret > 0 else "down")
    assert found[0].value == pytest.approx(ret)
    assert found[0].details["z"] == pytest.approx(z)
