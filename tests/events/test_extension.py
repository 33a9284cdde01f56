"""Extension from the 50-day average in σ, on hand-built Analysis records."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from cryptodesk.analytics.types import Analysis, AssetState
from cryptodesk.core.frames import MarketFrames
from cryptodesk.events.base import DetectParams, score_from_frequency
from cryptodesk.events.extension import detect_extension, label

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)


def _state(
    asset_id: str, sigma: float | None, rarity: float | None, close_date: date = date(2023, 1, 17)
) -> AssetState:
    return AssetState(
        asset_id=asset_id,
        symbol=asset_id[:3].upper(),
        name=asset_id,
        close=21000.0,
        close_date=close_date,
        daily_source="coingecko",
        last_price=21000.0,
        last_time=AS_OF,
        price_source="coingecko",
        sma50=17400.0,
        dist_sma50_pct=0.207,
        dist_sma50_sigma=sigma,
        sigma_rarity=rarity,
        rsi14=88.0,
    )


def _run(*states: AssetState, **params: object) -> list:  # type: ignore[type-arg]
    analysis = Analysis(AS_OF, None, {s.asset_id: s for s in states})
    return detect_extension(MarketFrames.empty(AS_OF), analysis, DetectParams(**params))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sigma", "text"),
    [(0.5, "neutral"), (1.0, "overbought"), (1.99, "overbought"), (2.0, "extremely overbought"),
     (-1.2, "oversold"), (-3.1, "extremely oversold")],
)  # fmt: skip
def test_label(sigma: float, text: str) -> None:
    assert label(sigma) == text


@pytest.mark.parametrize(
    ("sigma", "rarity", "direction", "expected_p"),
    [
        (3.4, 0.004, "above", 0.004),
        (1.3, 0.12, "above", 0.12),
        (-2.2, 0.02, "below", 0.02),
        (2.5, None, "above", 0.5 * math.erfc(2.5 / math.sqrt(2))),  # no rarity: normal tail
    ],
)
def test_extension_events(sigma: float, rarity: float | None, direction: str, expected_p: float) -> None:
    (ev,) = _run(_state("bitcoin", sigma, rarity))
    assert (ev.kind, ev.subject, ev.metric, ev.direction, ev.value) == (
        "sma_extension",
        "bitcoin",
        "dist_sma50_sigma",
        direction,
        sigma,
    )
    assert ev.score == pytest.approx(score_from_frequency(expected_p))
    assert ev.details["label"] == label(sigma)
    assert ev.details["sma50"] == 17400.0
    assert ev.details["rarity_basis"] == ("history" if rarity is not None else "normal")


@pytest.mark.parametrize(
    ("state", "params"),
    [
        (_state("bitcoin", 0.8, 0.3), {}),  # under 1σ
        (_state("bitcoin", None, None), {}),  # analytics had no σ distance
        (_state("bitcoin", 1.5, 0.1), {"extension_sigma_min": 2.0}),
        (_state("bitcoin", 3.0, 0.01, close_date=date(2022, 12, 1)), {}),  # stale
        (_state("bitcoin", 3.0, 0.01), {"subjects": ("ethereum",)}),
    ],
)
def test_no_event(state: AssetState, params: dict[str, object]) -> None:
    assert _run(state, **params) == []


def test_several_assets_sorted_by_id() -> None:
    events = _run(_state("ethereum", 2.1, 0.03), _state("bitcoin", 3.2, 0.005))
    assert [e.subject for e in events] == ["bitcoin", "ethereum"]
