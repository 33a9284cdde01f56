"""Liquidation imbalance: synthetic liquidation rows and feed coverage (the pack has no liquidations)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events.base import DetectParams
from cryptodesk.events.liquidations import coverage_share, detect_liquidations, window_label

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
H = timedelta(hours=1)


def _run(frames: MarketFrames, **params: object) -> list[Event]:
    return detect_liquidations(frames, Analysis(frames.as_of, None), DetectParams(**params))  # type: ignore[arg-type]


def _rows(
    spec: list[tuple[float, str, float]], exchange: str = "binance"
) -> list[tuple[str, str, datetime, str, float]]:
    """(hours before as_of, side, usd) -> liquidation rows for bitcoin."""
    return [(exchange, "bitcoin", AS_OF - h * H, side, usd) for h, side, usd in spec]


@pytest.mark.parametrize(("hours", "text"), [(24, "24h"), (168, "7d"), (12, "12h"), (48, "2d"), (30, "30h")])
def test_window_label(hours: int, text: str) -> None:
    assert window_label(hours) == text


@pytest.mark.parametrize(
    ("spec", "window", "long_usd", "short_usd"),
    [
        ([(1, "short", 5e6), (2, "long", 1e6), (30, "short", 9e6)], "24h", 1e6, 5e6),
        ([(1, "short", 5e6), (2, "long", 1e6), (30, "short", 9e6)], "7d", 1e6, 14e6),
        ([(0, "long", 8e6), (23.9, "long", 2e6), (24, "short", 1e6), (100, "short", 1e6)], "24h", 10e6, 0.0),
    ],
)
def test_sums_and_imbalance(
    synth: Callable[..., MarketFrames],
    spec: list[tuple[float, str, float]],
    window: str,
    long_usd: float,
    short_usd: float,
) -> None:
    frames = synth({}, liquidations=_rows(spec), as_of=AS_OF)
    (ev,) = [e for e in _run(frames) if e.details["window"] == window]
    imbalance = (short_usd - long_usd) / (short_usd + long_usd)
    assert (ev.kind, ev.subject, ev.metric) == ("liquidation_imbalance", "bitcoin", f"liquidations_{window}")
    assert (ev.details["long_usd"], ev.details["short_usd"]) == (long_usd, short_usd)
    assert ev.details["imbalance"] == pytest.approx(imbalance)
    assert ev.direction == ("shorts" if imbalance > 0 else "longs")
    assert ev.value == pytest.approx(short_usd - long_usd)
    assert ev.details["coverage"] == {"binance": None}
    assert ev.score == pytest.approx(100 * abs(imbalance))


def test_coverage_scales_the_score(synth: Callable[..., MarketFrames]) -> None:
    coverage = [("binance", AS_OF - 30 * H, AS_OF - 18 * H), ("binance", AS_OF - 20 * H, AS_OF - 12 * H)]
    frames = synth({}, liquidations=_rows([(13, "short", 6e6), (14, "long", 2e6)]), coverage=coverage, as_of=AS_OF)
    (ev,) = [e for e in _run(frames) if e.details["window"] == "24h"]
    share = 12 / 24  # connected from -24h to -12h (overlaps merged)
    assert ev.details["coverage"]["binance"] == pytest.approx(share)
    assert ev.score == pytest.approx(100 * 0.5 * share)


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], None),
        ([(-48, 0)], 1.0),
        ([(-10, -4), (-8, -2)], 8 / 24),
        ([(-30, -25)], 0.0),
        ([(-24, -23), (-2, 1)], 3 / 24),
    ],
)
def test_coverage_share(
    synth: Callable[..., MarketFrames], intervals: list[tuple[int, int]], expected: float | None
) -> None:
    rows = [("binance", AS_OF + a * H, AS_OF + b * H) for a, b in intervals]
    cov = synth({}, coverage=rows, as_of=AS_OF).coverage
    got = coverage_share(cov, "binance", AS_OF - 24 * H, AS_OF)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("spec", "params"),
    [
        ([], {}),  # no data: nothing, never an estimate
        ([(1, "short", 3e5), (2, "long", 1e5)], {}),  # under $1M
        ([(1, "short", 5e6), (2, "long", 4e6)], {}),  # balanced (11%)
        ([(1, "short", 5e6)], {"subjects": ("ethereum",)}),
        ([(200, "short", 5e6)], {}),  # older than 7 days
    ],
)
def test_no_event(
    synth: Callable[..., MarketFrames], spec: list[tuple[float, str, float]], params: dict[str, object]
) -> None:
    assert _run(synth({}, liquidations=_rows(spec), as_of=AS_OF), **params) == []


def test_future_rows_are_ignored(synth: Callable[..., MarketFrames]) -> None:
    frames = synth({}, liquidations=_rows([(-1, "long", 50e6), (1, "short", 5e6)]), as_of=AS_OF)
    assert {e.details["long_usd"] for e in _run(frames)} == {0.0}
