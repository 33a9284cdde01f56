"""Records of the article checker: extracted claims, windows, measurements and verdicts.

A :class:`Claim` is what the article says (pure parsing, no data); a
:class:`Measurement` is what the store's frames show for the same quantity; a
:class:`CheckedClaim` joins both with a verdict. ``CheckResult.to_json`` is the
stable JSON documented by ``schemas/check.schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

VERDICTS: tuple[str, ...] = ("supported", "contradicted", "unverifiable: no data", "unverifiable: ambiguous")
CLAIM_TYPES: tuple[str, ...] = (
    "price_level",
    "pct_change",
    "market_cap_level",
    "extreme",
    "comparison",
    "moving_average",
    "volume_trend",
    "liquidations",
    "usd_change",
)


@dataclass(frozen=True)
class Window:
    """A resolved time expression.

    ``kind`` is 'moment' (start == end), 'range' (a day or part of a day, a
    span of days), 'lookback' (``days`` ending at the latest data), 'ytd',
    'since' (from ``start`` to the latest data) or 'from_high'/'from_low'
    (from the extreme within [start, end), or of all history when unbounded).
    Times are aware UTC.
    """

    label: str
    kind: str
    start: datetime | None = None
    end: datetime | None = None
    days: int | None = None
    text: str = ""

    def describe(self) -> str:
        """A short human description (the label, or the ISO bounds)."""
        return self.label


@dataclass(frozen=True)
class Claim:
    """One quantitative claim found in an article (no data looked at yet)."""

    text: str
    start: int
    end: int
    type: str
    subject: str | None
    metric: str
    claimed: float | None
    unit: str
    qualifier: str
    direction: str | None = None
    window: Window | None = None
    since: Window | None = None
    versus: str | None = None
    versus_claimed: float | None = None
    claimed_source: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Measurement:
    """What the data shows for a claim: a value (or None), its source and the window actually used."""

    value: float | None
    unit: str
    source: str
    window: str
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckedClaim:
    """A claim with its measurement and verdict."""

    claim: Claim
    measured: float | None
    verdict: str
    source: str
    window: str
    explanation: str

    def to_json(self) -> dict[str, Any]:
        """The stable JSON record (see schemas/check.schema.json)."""
        c = self.claim
        return {
            "text": c.text,
            "start": c.start,
            "end": c.end,
            "type": c.type,
            "subject": c.subject,
            "metric": c.metric,
            "window": self.window,
            "claimed": c.claimed,
            "qualifier": c.qualifier,
            "measured": self.measured,
            "unit": c.unit,
            "verdict": self.verdict,
            "source": self.source,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class CheckResult:
    """Every claim of one article, checked as of one moment."""

    as_of: datetime
    tz: str
    article: str
    claims: tuple[CheckedClaim, ...]
    message: str = ""
    dates: tuple[date, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """``{as_of, tz, message, claims: [...]}`` as documented in schemas/check.schema.json."""
        return {
            "as_of": self.as_of.isoformat(),
            "tz": self.tz,
            "message": self.message,
            "claims": [c.to_json() for c in self.claims],
        }

    def counts(self) -> dict[str, int]:
        """How many claims got each verdict."""
        out = dict.fromkeys(VERDICTS, 0)
        for c in self.claims:
            out[c.verdict] = out.get(c.verdict, 0) + 1
        return out
