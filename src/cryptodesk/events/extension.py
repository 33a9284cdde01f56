"""Extension from the 50-day average, in σ (overbought / oversold).

Reads ``AssetState.dist_sma50_sigma`` (the close's distance from its 50-day
simple moving average in units of the asset's own σ, as computed by analytics)
and ``AssetState.sigma_rarity`` (the share of the asset's history at least that
far on the same side). ``|σ| >= 1`` is overbought (above) or oversold (below),
``|σ| >= 2`` extremely so; nothing is emitted under
``params.extension_sigma_min``.

Score: ``score_from_frequency(sigma_rarity)``; when analytics gives no rarity,
the one-sided normal tail of the σ distance is used instead (and
``details['rarity_basis']`` says so).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC

from cryptodesk.analytics.history import Sma50Distance
from cryptodesk.analytics.types import Analysis, AssetState
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events.base import DetectParams, score_from_frequency

EXTREME_SIGMA = 2.0


def label(sigma: float) -> str:
    """'overbought', 'extremely overbought', 'oversold', 'extremely oversold' or 'neutral' for a σ distance."""
    if abs(sigma) < 1.0:
        return "neutral"
    word = "overbought" if sigma > 0 else "oversold"
    return f"extremely {word}" if abs(sigma) >= EXTREME_SIGMA else word


def extension_event(state: AssetState, frames: MarketFrames) -> Event | None:
    """The extension event of one asset, or None when analytics has no σ distance for it."""
    return extension_event_of(state.asset_id, Sma50Distance.of(state), frames)


def extension_event_of(asset_id: str, d: Sma50Distance, frames: MarketFrames) -> Event | None:
    """:func:`extension_event` from the state's distance fields alone."""
    sigma = d.dist_sma50_sigma
    if sigma is None or not math.isfinite(sigma):
        return None
    if d.sigma_rarity is not None and d.sigma_rarity > 0:
        p, basis = d.sigma_rarity, "history"
    else:
        p, basis = 0.5 * math.erfc(abs(sigma) / math.sqrt(2.0)), "normal"
    return Event(
        kind="sma_extension",
        subject=asset_id,
        metric="dist_sma50_sigma",
        time=frames.as_of,
        score=score_from_frequency(p),
        direction="above" if sigma > 0 else "below",
        value=sigma,
        details={
            "label": label(sigma),
            "sigma": sigma,
            "dist_sma50_pct": d.dist_sma50_pct,
            "sma50": d.sma50,
            "close": d.close,
            "date": d.close_date,
            "sigma_rarity": d.sigma_rarity,
            "rarity_basis": basis,
            "rsi14": d.rsi14,
            "source": d.daily_source,
        },
    )


def detect_extension(frames: MarketFrames, analysis: Analysis, params: DetectParams) -> list[Event]:
    """Assets at least ``params.extension_sigma_min`` σ from their 50-day average (see module docstring)."""
    states = analysis.assets
    return extension_events(frames, params, ((a, Sma50Distance.of(states[a])) for a in sorted(states)))


def extension_events(
    frames: MarketFrames, params: DetectParams, distances: Iterable[tuple[str, Sma50Distance]]
) -> list[Event]:
    """:func:`detect_extension` over ``(asset id, distance fields)`` pairs, in that order (a replay reads the fields
    from the assets' histories instead of building their states)."""
    today = frames.as_of.astimezone(UTC).date()
    events: list[Event] = []
    for asset_id, d in distances:
        if not params.wants(asset_id) or (today - d.close_date).days > params.max_stale_days:
            continue
        event = extension_event_of(asset_id, d, frames)
        if event is not None and abs(event.value or 0.0) >= params.extension_sigma_min:
            events.append(event)
    return events
