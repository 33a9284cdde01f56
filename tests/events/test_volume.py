"""Volume surge vs the 30-day average: synthetic tables and real days from the data pack."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events.base import DetectParams, score_from_frequency
from cryptodesk.events.volume import detect_volume, volume_ratios


def _run(frames: MarketFrames, **params: object) -> list[Event]:
    return detect_volume(frames, Analysis(frames.as_of, None), DetectParams(**params))  # type: ignore[arg-type]


def _ratio_at(vols: list[float], i: int, window: int) -> float | None:
    prev = vols[i - window : i]
    if i < window:
        return None
    return vols[i] / (sum(prev) / len(prev))


@pytest.mark.parametrize(
    ("vols", "window"),
    [
        ([100.0 + (i % 5) for i in range(40)] + [300.0], 30),
        ([100.0 + (i % 7) * 10 for i in range(60)] + [250.0], 30),
        ([50.0, 150.0] * 10 + [400.0], 10),
    ],
)
def test_synthetic_surges(synth: Callable[..., MarketFrames], vols: list[float], window: int) -> None:
    closes = [1.0] * len(vols)
    (ev,) = _run(synth({"coin": closes}, volumes={"coin": vols}), volume_window=window)
    ratio = _ratio_at(vols, len(vols) - 1, window)
    assert ratio is not None
    history = [r for r in (_ratio_at(vols, i, window) for i in range(len(vols) - 1)) if r is not None]
    p = (sum(1 for r in history if r >= ratio) + 1) / (len(history) + 1)
    assert (ev.kind, ev.metric, ev.direction) == ("volume_surge", "volume_ratio", "up")
    assert ev.value == pytest.approx(ratio)
    assert ev.details["volume_avg"] == pytest.approx(vols[-1] / ratio)
    assert ev.score == pytest.approx(score_from_frequency(p))
    assert ev.details["history_days"] == len(history)


@pytest.mark.parametrize(
    ("vols", "params"),
    [
        ([100.0] * 40 + [140.0], {}),  # 1.4x < 1.5x
        ([100.0] * 10 + [900.0], {}),  # not enough history for a 30-day average
        ([100.0] * 40 + [200.0], {"volume_ratio_min": 3.0}),
        ([0.0] * 40 + [200.0], {}),  # zero average: undefined, not infinite
    ],
)
def test_no_event(synth: Callable[..., MarketFrames], vols: list[float], params: dict[str, object]) -> None:
    assert _run(synth({"coin": [1.0] * len(vols)}, volumes={"coin": vols}), **params) == []


def test_ratios_ignore_missing_volumes() -> None:
    vols = [100.0, math.nan, 100.0, 100.0, 300.0]
    out = volume_ratios(np.array(vols), 4)
    assert out[-1] == pytest.approx(3.0)


# --------------------------------------------------------------------------- real days from the pack


def _raw_volumes(pack: Path, sym: str) -> dict[date, float]:
    with (pack / "daily" / "coingecko_exports" / f"{sym}-usd-max.csv").open(newline="") as fh:
        return {
            date.fromisoformat(r["snapped_at"][:10]) - timedelta(days=1): float(r["total_volume"])
            for r in csv.DictReader(fh)
        }


@pytest.mark.parametrize(
    ("sym", "subject", "bar_day"),
    [
        ("btc", "bitcoin", date(2022, 11, 9)),
        ("eth", "ethereum", date(2022, 11, 9)),
        ("btc", "bitcoin", date(2022, 6, 13)),
    ],
)
def test_real_volume_surges(
    data_pack: Path, pack_frames: Callable[[datetime], MarketFrames], sym: str, subject: str, bar_day: date
) -> None:
    raw = _raw_volumes(data_pack, sym)
    prev = [raw[bar_day - timedelta(days=k)] for k in range(1, 31)]
    ratio = raw[bar_day] / (sum(prev) / 30)
    assert ratio >= 1.5
    as_of = datetime.combine(bar_day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    found = [e for e in _run(pack_frames(as_of)) if e.subject == subject]
    assert len(found) == 1
    assert found[0].value == pytest.approx(ratio)
    assert found[0].details["avg_start"] == bar_day - timedelta(days=30)
