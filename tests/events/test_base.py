"""The detector registry, ranking and the shared scoring scale."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events.base import (
    DetectorRegistry,
    DetectParams,
    default_registry,
    detect,
    empirical_frequency,
    rank,
    score_from_days,
    score_from_frequency,
    score_from_sigma,
    subject_weight,
)

AS_OF = datetime(2024, 1, 2, tzinfo=UTC)
BUILTINS = ["levels", "extremes", "moves", "extension", "volume", "relative", "liquidations"]


def _event(kind: str, subject: str, score: float, **kw: object) -> Event:
    return Event(kind=kind, subject=subject, metric="close", time=AS_OF, score=score, **kw)  # type: ignore[arg-type]


def _fixed(*events: Event) -> Callable[[MarketFrames, Analysis, DetectParams], list[Event]]:
    def fn(frames: MarketFrames, analysis: Analysis, params: DetectParams) -> list[Event]:
        return list(events)

    return fn


@pytest.mark.parametrize(
    ("p", "expected"),
    [(1.0, 0.0), (0.1, 100 / 3), (0.01, 200 / 3), (0.001, 100.0), (1e-9, 100.0), (2.0, 0.0)],
)
def test_score_from_frequency(p: float, expected: float) -> None:
    assert score_from_frequency(p) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("days", "expected"), [(0, 0.0), (9, 100 / 3), (99, 200 / 3), (365, -math.log10(1 / 366) * 100 / 3)]
)
def test_score_from_days(days: int, expected: float) -> None:
    assert score_from_days(days) == pytest.approx(expected)


@pytest.mark.parametrize(("z", "p"), [(1.0, 0.3173105), (2.0, 0.0455003), (-3.0, 0.0026998)])
def test_score_from_sigma_is_two_sided_normal_tail(z: float, p: float) -> None:
    assert score_from_sigma(z) == pytest.approx(-math.log10(p) * 100 / 3, rel=1e-5)


@pytest.mark.parametrize(
    ("history", "value", "expected"),
    [([], 5.0, 1.0), ([1.0, 2.0, 3.0], 5.0, 0.25), ([1.0, 6.0, 5.0], 5.0, 0.75), ([5.0] * 9, 5.0, 1.0)],
)
def test_empirical_frequency(history: list[float], value: float, expected: float) -> None:
    assert empirical_frequency(history, value) == pytest.approx(expected)


def test_default_registry_holds_the_builtins_in_order() -> None:
    reg = default_registry()
    assert reg.names() == BUILTINS
    assert "levels" in reg
    assert len(reg) == len(BUILTINS)
    assert default_registry() is not reg  # fresh each time: plugins cannot leak between callers


def test_register_decorator_duplicate_and_unknown() -> None:
    reg = DetectorRegistry()

    @reg.detector("mine")
    def mine(frames: MarketFrames, analysis: Analysis, params: DetectParams) -> list[Event]:
        return []

    assert reg.get("mine") is mine
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("mine", mine)
    reg.register("mine", _fixed(), replace=True)
    assert reg.get("mine") is not mine
    with pytest.raises(ConfigError, match="unknown detector 'nope'; known: mine"):
        reg.get("nope")
    with pytest.raises(ConfigError, match="invalid"):
        reg.register("bad name!", mine)
    reg.unregister("mine")
    assert reg.names() == []


def test_detect_ranks_by_score_with_deterministic_ties() -> None:
    a = _event("extreme", "bitcoin", 50.0, direction="high")
    b = _event("big_move", "ethereum", 50.0, direction="up")
    c = _event("big_move", "bitcoin", 50.0, direction="up")
    d = _event("level_cross", "bitcoin", 90.0, direction="up", level=20000.0)
    e = _event("level_cross", "bitcoin", 90.0, direction="up", level=21000.0)
    reg = DetectorRegistry()
    reg.register("one", _fixed(a, e))
    reg.register("two", _fixed(b, c, d))
    ranked = detect(MarketFrames.empty(AS_OF), Analysis(AS_OF, None), registry=reg)
    key = [(x.kind, x.subject, x.level) for x in ranked]
    assert key == [(x.kind, x.subject, x.level) for x in (d, e, c, b, a)]
    assert all(x.details["rarity"] * x.details["subject_weight"] == pytest.approx(x.score) for x in ranked)
    assert rank([a, b, c, d, e]) == rank([e, d, c, b, a])


def test_detect_applies_min_score_and_plugins_extend_the_default_registry() -> None:
    reg = default_registry()
    reg.register("plugin", _fixed(_event("custom", "x", 5.0), _event("custom", "y", 70.0)))
    out = detect(MarketFrames.empty(AS_OF), Analysis(AS_OF, None), registry=reg, params=DetectParams(min_score=10.0))
    assert [e.subject for e in out] == ["y"]


def test_a_form_runs_in_its_detectors_place_with_the_narrowed_params() -> None:
    one, two = _fixed(_event("custom", "x", 50.0)), _fixed(_event("custom", "y", 60.0))
    seen: list[tuple[str, ...] | None] = []

    def form(frames: MarketFrames, analysis: Analysis, params: DetectParams) -> list[Event]:
        seen.append(params.subjects)
        return [_event("custom", "z", 70.0)]

    reg = DetectorRegistry()
    reg.register("one", one)
    reg.register("two", two)
    empty = MarketFrames.empty(AS_OF), Analysis(AS_OF, None)
    out = detect(*empty, registry=reg, forms={one: form, _fixed(): form}, params=DetectParams(subjects=("z",)))
    assert [e.subject for e in out] == ["z", "y"]  # "one" ran as its form; "two" has none
    assert seen == [("z",)]
    assert [e.subject for e in detect(*empty, registry=reg)] == ["y", "x"]


@pytest.mark.parametrize("weight", [1.0, 0.45, 0.85])
def test_weighted_events_are_the_event_with_score_and_details_changed(weight: float) -> None:
    from dataclasses import replace

    from cryptodesk.events.base import _weighted

    e = _event("level_cross", "bitcoin", 80.0, direction="up", level=20000.0, details={"close": 20100.0})
    got = _weighted(e, weight)
    want = replace(e, score=80.0 * weight, details={"close": 20100.0, "rarity": 80.0, "subject_weight": weight})
    assert got == want
    assert e.details == {"close": 20100.0}  # the detector's event is left as it was
    assert got.to_json() == want.to_json()


def test_detect_on_empty_frames_finds_nothing() -> None:
    assert detect(MarketFrames.empty(AS_OF), Analysis(AS_OF, None)) == []


def test_event_json_contract_for_level_and_extreme() -> None:
    lc = _event("level_cross", "bitcoin", 80.0, direction="down", level=20000.0, last_time_beyond=date(2020, 12, 16))
    ex = _event("extreme", "bitcoin", 90.0, direction="high", value=67617.0, since=None)
    assert lc.to_json()["last_time_beyond"] == "2020-12-16"
    assert {"level", "direction", "last_time_beyond"} <= lc.to_json().keys()
    assert ex.to_json()["since"] is None
    assert ex.to_json()["value"] == 67617.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_levels_per_subject", 0),
        ("vol_window", 1),
        ("volume_window", 0),
        ("min_score", -1.0),
        ("move_sigma_min", float("nan")),
        ("liquidation_windows_h", (24, 0)),
    ],
)
def test_bad_params_name_the_parameter(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=field) as info:
        DetectParams(**{field: value})  # type: ignore[arg-type]
    assert info.value.parameter == field


@pytest.mark.parametrize(
    ("rank_", "weight"), [(1, 1.0), (2, 0.95), (3, 0.85), (5, 0.85), (6, 0.75), (10, 0.75), (11, 0.6), (21, 0.45)]
)
def test_subject_weight_by_rank(rank_: int, weight: float) -> None:
    assert subject_weight(rank_) == weight


def test_newsworthiness_lets_the_market_lead_a_minor_coin() -> None:
    """A rarer move in a minor coin ranks below a slightly less rare total-market-cap event."""
    from cryptodesk.analytics.types import AssetState

    def state(asset: str, cap: float) -> AssetState:
        return AssetState(asset, asset, asset, 1.0, AS_OF.date(), "t", 1.0, AS_OF, "t", market_cap=cap)

    caps = {"bitcoin": 4e11, "ethereum": 2e11, **{f"coin{i}": 1e10 - i for i in range(25)}, "amp-token": 1e8}
    analysis = Analysis(AS_OF, None, {a: state(a, c) for a, c in caps.items()})
    minor = _event("big_move", "amp-token", 66.0, direction="up")
    total = _event("extreme", "total_market_cap", 61.7, direction="high")
    reg = DetectorRegistry()
    reg.register("x", _fixed(minor, total))
    ranked = detect(MarketFrames.empty(AS_OF), analysis, registry=reg)
    assert [e.subject for e in ranked] == ["total_market_cap", "amp-token"]
    assert ranked[1].score == pytest.approx(66.0 * 0.45)


@pytest.mark.parametrize(
    ("gaps", "daily"),
    [
        ([1] * 12, True),
        ([1, 2, 1, 1, 3, 1, 1, 1, 1, 1], True),
        ([7] * 12, False),
        ([7, 7, 1, 7, 7, 7], False),
        ([], True),
    ],
)
def test_weekly_series_are_not_read_as_daily(gaps: list[int], daily: bool) -> None:
    import numpy as np

    from cryptodesk.events._series import DailySeries, daily_cadence

    days = [date(2022, 1, 1)]
    for g in gaps:
        days.append(days[-1] + timedelta(days=g))
    nan = np.full(len(days), np.nan)
    series = DailySeries.from_dates(
        "x", dates=days, close=np.ones(len(days)), high=nan, low=nan, volume=nan, source="coinmarketcap"
    )
    assert daily_cadence(series) is daily


@pytest.mark.parametrize(
    ("params", "subjects"),
    [
        (DetectParams(), ("bitcoin",)),
        (DetectParams(min_score=5.0, max_levels_per_subject=1), ("a", "b")),
        (DetectParams(subjects=("x",)), ()),
    ],
)
def test_with_subjects_is_replace(params: DetectParams, subjects: tuple[str, ...]) -> None:
    from dataclasses import replace

    got = params.with_subjects(subjects)
    assert got == replace(params, subjects=subjects)
    assert (got.subjects == subjects and params.subjects != subjects) or params.subjects == subjects
    assert all(got.wants(s) for s in subjects)
