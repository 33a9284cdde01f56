"""Event detection: the detector contract, the registry and the ranking.

A detector is a pure function ``(frames, analysis, params) -> list[Event]``: it
reads the point-in-time :class:`~cryptodesk.core.frames.MarketFrames` (already
cut at ``as_of`` by the store) and the :class:`~cryptodesk.analytics.types.Analysis`
built from them, and returns scored :class:`~cryptodesk.core.models.Event`
records. Detectors never touch the network or the database, and never invent a
number: when the data a detector needs is missing, it returns nothing.

Built-in detectors (one module each): ``levels`` (round-level crossings),
``extremes`` (highest/lowest since), ``moves`` (big daily/weekly moves in σ),
``extension`` (distance from the 50-day average in σ), ``volume`` (volume surge
vs the 30-day average), ``relative`` (30-day relative performance) and
``liquidations`` (long/short liquidation imbalance). Plugins add their own with
``registry.register(name, fn)`` or the ``@registry.detector(name)`` decorator.

Event shapes
------------
``Event.time`` is always ``frames.as_of`` (the moment the event is judged at).

=======================  ==========================  ===================  ==========================================
kind                     metric                      direction            main details
=======================  ==========================  ===================  ==========================================
level_cross              close                       up / down            close, prev_close, date, prev_date,
                                                                          days_since_beyond, roundness, levels_crossed
extreme                  close, day_high, day_low    high / low           date, days_since, since_value, history_start
big_move                 return_1d, return_7d        up / down            return, z, sigma_daily, start/end date+value
sma_extension            dist_sma50_sigma            above / below        label, sigma, dist_sma50_pct, sma50, rarity
volume_surge             volume_ratio                up                   volume, volume_avg, ratio, window, rarity
relative_performance     return_30d                  out/underperform     benchmark, subject/benchmark_return,
                                                                          gap_points, leader, start/end date
liquidation_imbalance    liquidations_24h / _7d      shorts / longs       long_usd, short_usd, net_short_usd,
                                                                          imbalance, coverage, exchanges
=======================  ==========================  ===================  ==========================================

Subjects are CoinGecko asset ids (``bitcoin``) or ``total_market_cap``; every
event's details name its ``source`` (or ``sources``).

Scoring scale
-------------
Scores run from 0 to 100 and are comparable across kinds because each one is a
*rarity*: ``score = 100/3 × -log10(p)``, capped to [0, 100], where ``p`` is how
often something at least as unusual happens. So::

    p = 10%   -> 33   (notable)
    p = 1%    -> 67   (major)
    p = 0.1%  -> 100  (historic; the cap)

Each kind estimates ``p`` from the data it has:

* days-since events (``level_cross``, ``extreme``): ``p = 1 / (days + 1)``, where
  ``days`` is the gap to the last time the series was as far (a 30-day high
  scores 50, a 1-year high 86, never-before scores as the whole history);
  level crossings are then weighted by the roundness of the level (see
  :mod:`cryptodesk.events.levels`);
* σ events (``big_move``): the two-sided normal tail of the z-score (2σ -> 45,
  3σ -> 86);
* empirical events (``sma_extension``, ``volume_surge``, ``relative_performance``):
  the share of the subject's own history at least as extreme;
* ``liquidation_imbalance`` has no history to compare with, so its score is the
  imbalance share (``|short - long| / (short + long)``, 0..1) × 100, times the
  feed coverage of the window when it is known.

Newsworthiness
--------------
Rarity alone would let a small coin's wild week lead the story. ``detect``
therefore multiplies each detector's rarity score by the subject's weight (see
:func:`subject_weight`: 1.0 for the total market cap and bitcoin, falling with
market-cap rank to 0.45 for coins outside the top 20), keeping the raw rarity in
``details["rarity"]``. By default (``DetectParams.subjects`` None) only crypto
assets and the total market cap are in scope: stablecoins, equity indices and
ETFs are context, not crypto news.

``detect`` ranks events by score (descending); ties are broken by kind, subject,
metric, direction and level so the order is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event

MAX_SCORE = 100.0


@dataclass(frozen=True)
class DetectParams:
    """Tunable thresholds shared by the detectors (defaults are the documented behaviour).

    ``subjects`` limits detection to these asset ids (and/or ``total_market_cap``);
    None means every subject in the frames. ``max_stale_days`` drops subjects
    whose latest closed daily bar is older than that many days before ``as_of``
    (a stale series says nothing about today).
    """

    subjects: tuple[str, ...] | None = None
    min_score: float = 0.0
    max_stale_days: int = 3
    max_levels_per_subject: int = 2
    extreme_min_days: int = 30
    move_sigma_min: float = 2.0
    vol_window: int = 90
    extension_sigma_min: float = 1.0
    volume_window: int = 30
    volume_ratio_min: float = 1.5
    relative_window: str = "30d"
    relative_pairs: tuple[tuple[str, str], ...] = (("ethereum", "bitcoin"),)
    relative_gap_min: float = 0.05
    liquidation_windows_h: tuple[int, ...] = (24, 168)
    liquidation_min_usd: float = 1_000_000.0
    liquidation_imbalance_min: float = 0.2

    def __post_init__(self) -> None:
        positive = {
            "max_levels_per_subject": self.max_levels_per_subject,
            "vol_window": self.vol_window - 1,
            "volume_window": self.volume_window,
        }
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(
                    f"{name}: {getattr(self, name)!r} is too small; expected a positive count", parameter=name
                )
        non_negative = {
            "min_score": self.min_score,
            "max_stale_days": self.max_stale_days,
            "extreme_min_days": self.extreme_min_days,
            "move_sigma_min": self.move_sigma_min,
            "extension_sigma_min": self.extension_sigma_min,
            "volume_ratio_min": self.volume_ratio_min,
            "relative_gap_min": self.relative_gap_min,
            "liquidation_min_usd": self.liquidation_min_usd,
            "liquidation_imbalance_min": self.liquidation_imbalance_min,
        }
        for name, number in non_negative.items():
            if not number >= 0:
                raise ConfigError(f"{name}: {number!r} is negative; expected a number >= 0", parameter=name)
        if any(h <= 0 for h in self.liquidation_windows_h):
            raise ConfigError(
                f"liquidation_windows_h: {self.liquidation_windows_h!r}; expected positive hours",
                parameter="liquidation_windows_h",
            )

    def with_subjects(self, subjects: tuple[str, ...]) -> DetectParams:
        """These parameters limited to ``subjects`` (``replace`` without re-checking the fields checked already)."""
        new = object.__new__(DetectParams)
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "subjects", subjects)
        return new

    def wants(self, subject: str) -> bool:
        """Whether ``subject`` is in scope."""
        return self.subjects is None or subject in self.subjects


class Detector(Protocol):
    """A pure event detector."""

    def __call__(self, frames: MarketFrames, analysis: Analysis, params: DetectParams, /) -> list[Event]:
        """Events found in ``frames``/``analysis`` as of ``frames.as_of``."""
        ...


class DetectorRegistry:
    """Named detectors, run in registration order by :func:`detect`.

    Iterating yields ``(name, detector)`` pairs. Plugins receive a registry (e.g.
    from :func:`default_registry`) and add to it with :meth:`register` or the
    :meth:`detector` decorator.
    """

    def __init__(self) -> None:
        self._detectors: dict[str, Detector] = {}
        self._partial: set[str] = set()

    def register(self, name: str, fn: Detector, *, replace: bool = False, complete: bool = True) -> None:
        """Add ``fn`` under ``name``; a duplicate name is an error unless ``replace``.

        ``complete=False`` declares that the detector reads neither ``Analysis.market`` nor the sub-daily parts of
        an :class:`~cryptodesk.analytics.types.AssetState` (last price, intraday range), so a replay may skip
        computing them (the built-ins declare it; a plugin is assumed to read everything unless it says so).
        """
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(
                f"detector name {name!r} is invalid; expected letters, digits, '_' or '-'", parameter="name"
            )
        if name in self._detectors and not replace:
            raise ConfigError(
                f"detector {name!r} is already registered; pass replace=True to override", parameter="name"
            )
        self._detectors[name] = fn
        if complete:
            self._partial.discard(name)
        else:
            self._partial.add(name)

    def needs_complete_analysis(self) -> bool:
        """Whether some detector reads the market state or the sub-daily parts of asset states."""
        return any(name not in self._partial for name in self._detectors)

    def detector(self, name: str) -> Callable[[Detector], Detector]:
        """Decorator form of :meth:`register`: ``@registry.detector("my_kind")``."""

        def wrap(fn: Detector) -> Detector:
            self.register(name, fn)
            return fn

        return wrap

    def unregister(self, name: str) -> None:
        """Remove ``name`` (a ConfigError if it is not registered)."""
        if name not in self._detectors:
            raise ConfigError(
                f"detector {name!r} is not registered; known: {', '.join(self.names())}", parameter="name"
            )
        del self._detectors[name]
        self._partial.discard(name)

    def names(self) -> list[str]:
        """Registered names, in order."""
        return list(self._detectors)

    def get(self, name: str) -> Detector:
        """The detector named ``name`` (a ConfigError naming the known ones if absent)."""
        try:
            return self._detectors[name]
        except KeyError:
            raise ConfigError(
                f"unknown detector {name!r}; known: {', '.join(self.names())}", parameter="detector"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._detectors

    def __iter__(self) -> Iterator[tuple[str, Detector]]:
        return iter(list(self._detectors.items()))

    def __len__(self) -> int:
        return len(self._detectors)


def default_registry() -> DetectorRegistry:
    """A fresh registry holding the built-in detectors (callers may add plugins to it)."""
    from cryptodesk.events.builtin import BUILTIN_DETECTORS

    registry = DetectorRegistry()
    for name, fn in BUILTIN_DETECTORS:
        registry.register(name, fn, complete=False)
    return registry


Narrowing = Callable[[str, Detector, DetectParams], DetectParams | None]
"""``(name, detector, params) -> params``: the subjects a detector needs to look at (None: none of them)."""


def detect(
    frames: MarketFrames,
    analysis: Analysis,
    *,
    registry: DetectorRegistry | None = None,
    params: DetectParams | None = None,
    weights: dict[str, float] | None = None,
    narrow: Narrowing | None = None,
    forms: Mapping[Detector, Detector] | None = None,
) -> list[Event]:
    """Run every detector of ``registry`` (default: the built-ins) and rank the events by score.

    ``weights`` are the subjects' weights when the caller has them (default: :func:`subject_weights` of
    ``analysis``); ``narrow`` may limit each detector to the subjects that can produce an event (a replay's
    prefilter; it must never leave out one that can). ``forms`` maps a detector to another form of it that finds
    exactly the same events from data the caller holds (a replay's, reading histories instead of states); it runs
    in the detector's place.
    """
    reg = registry if registry is not None else default_registry()
    prm = params if params is not None else DetectParams()
    if prm.subjects is None:
        prm = prm.with_subjects(default_subjects(frames))
    weights = weights if weights is not None else subject_weights(analysis)
    events: list[Event] = []
    for name, fn in reg:
        narrowed = prm if narrow is None else narrow(name, fn, prm)
        if narrowed is None:
            continue
        run = fn if forms is None else forms.get(fn, fn)
        for e in run(frames, analysis, narrowed):
            w = weights.get(e.subject, MINOR_WEIGHT)
            if e.score * w >= prm.min_score:
                events.append(_weighted(e, w))
    return rank(events)


def _weighted(e: Event, weight: float) -> Event:
    """``e`` with its score times ``weight``; the raw score is kept as ``details['rarity']``.

    A copy of ``e``'s fields (already checked when ``e`` was made) with those two changed, made without running the
    dataclass ``__init__`` again: a replay weighs hundreds of events a day.
    """
    out: Event = object.__new__(Event)
    fields = out.__dict__
    fields.update(e.__dict__)
    fields["score"] = e.score * weight
    fields["details"] = {**e.details, "rarity": e.score, "subject_weight": weight}
    return out


CONTEXT_KINDS = frozenset({"stablecoin", "index", "equity"})
"""Asset kinds that are context, not crypto news (out of the default scope)."""

MINOR_WEIGHT = 0.45
_RANK_WEIGHTS: tuple[tuple[int, float], ...] = ((1, 1.0), (2, 0.95), (5, 0.85), (10, 0.75), (20, 0.6))


def default_subjects(frames: MarketFrames) -> tuple[str, ...]:
    """Every subject with daily data except those of a context kind (stablecoins, indices, ETFs)."""
    from cryptodesk.events._series import TOTAL, subjects

    kinds = dict(
        zip(frames.assets.get_column("asset_id").to_list(), frames.assets.get_column("kind").to_list(), strict=True)
    )
    return tuple(s for s in subjects(frames) if s == TOTAL or kinds.get(s) not in CONTEXT_KINDS)


def subject_weight(rank: int | None) -> float:
    """Weight of a subject by market-cap rank (1 = largest); None (unknown cap) weighs as a minor coin."""
    if rank is None:
        return MINOR_WEIGHT
    for upto, weight in _RANK_WEIGHTS:
        if rank <= upto:
            return weight
    return MINOR_WEIGHT


_TOP_WEIGHTS: tuple[float, ...] = tuple(subject_weight(r) for r in range(1, _RANK_WEIGHTS[-1][0] + 2))
"""subject_weight of ranks 1, 2, ... (index 0 is rank 1), past the last ranked tier."""


def subject_weights(analysis: Analysis) -> dict[str, float]:
    """Weights for every analysed asset (ranked by market cap at as_of) and 1.0 for the total market cap."""
    return weights_from_caps((a, s.market_cap) for a, s in analysis.assets.items())


def weights_from_caps(caps: Iterable[tuple[str, float | None]]) -> dict[str, float]:
    """:func:`subject_weights` from (asset, market cap) pairs: rank by cap (largest first), 1.0 for the total."""
    ranked = sorted(((cap, a) for a, cap in caps if cap is not None and cap > 0), reverse=True)
    top = _TOP_WEIGHTS
    weights = {a: top[i] if i < len(top) else MINOR_WEIGHT for i, (_cap, a) in enumerate(ranked)}
    weights["total_market_cap"] = 1.0
    return weights


def rank(events: list[Event]) -> list[Event]:
    """Events sorted by score (desc), ties broken by kind, subject, metric, direction, level."""
    return sorted(
        events,
        key=lambda e: (-e.score, e.kind, e.subject, e.metric, e.direction or "", e.level or 0.0),
    )


# --------------------------------------------------------------------------- scoring helpers


def score_from_frequency(p: float) -> float:
    """Score of something that happens with frequency ``p`` (0 < p <= 1): ``100/3 × -log10(p)`` in [0, 100]."""
    if not p > 0:
        return MAX_SCORE
    return max(0.0, min(MAX_SCORE, -math.log10(min(p, 1.0)) * MAX_SCORE / 3.0))


def score_from_days(days: int) -> float:
    """Score of a first-in-``days`` event (``p = 1 / (days + 1)``)."""
    return score_from_frequency(1.0 / (max(days, 0) + 1))


def score_from_sigma(z: float) -> float:
    """Score of a ``z``-σ outcome: the two-sided normal tail probability as a frequency."""
    return score_from_frequency(math.erfc(abs(z) / math.sqrt(2.0)))


def empirical_frequency(history: list[float], value: float) -> float:
    """Share of ``history`` plus ``value`` itself that is at least ``value`` (so never 0)."""
    at_least = sum(1 for h in history if h >= value) + 1
    return at_least / (len(history) + 1)


def frequency_at_least(history: npt.NDArray[np.float64], value: float) -> float:
    """:func:`empirical_frequency` of a numpy history (the same count: values ``>= value``, plus ``value`` itself)."""
    return (int(np.count_nonzero(history >= value)) + 1) / (len(history) + 1)
