"""Pydantic schemas of the JSON API: ONE envelope for success and errors, and the payloads it carries.

Every response is ``{"ok": bool, "data": ... | null, "error": {...} | null, "version": str | null}``;
``version`` is the store snapshot the answer was computed from.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class ErrorInfo(BaseModel):
    """What went wrong: a stable code, a one-line message, the offending parameter and a next step."""

    code: str = Field(description="bad_parameter, bad_input, no_data, not_found, unauthorized, store_unavailable, ...")
    message: str
    parameter: str | None = None
    hint: str | None = None


class Envelope(BaseModel, Generic[T]):
    """The one response envelope."""

    ok: bool
    data: T | None = None
    error: ErrorInfo | None = None
    version: str | None = Field(None, description="Store snapshot version the data was computed from.")


class ErrorEnvelope(BaseModel):
    """The envelope of an error response (ok is false, data null)."""

    ok: bool
    data: None = None
    error: ErrorInfo
    version: str | None = None


class Health(BaseModel):
    """Server status and the store snapshot in use."""

    status: str = Field(description="'ok', or 'degraded' when no store snapshot is readable")
    db: str
    store_version: str | None
    snapshot_error: str | None


class FreshnessRow(BaseModel):
    """Latest stored timestamp and row count of one table and source."""

    model_config = ConfigDict(extra="allow")

    table: str
    source: str | None
    latest: str | None
    rows: int


class AssetInfoRow(BaseModel):
    """A known asset."""

    model_config = ConfigDict(extra="allow")

    asset_id: str
    symbol: str | None = None
    name: str | None = None
    kind: str | None = None


class Extreme(BaseModel):
    """A value and its day."""

    value: float | None
    date: str


class MarketBlock(BaseModel):
    """The total market: cap, source, window changes (fractions), dominance (fraction) and swing levels."""

    total_market_cap: float | None
    date: str
    source: str
    method: str
    changes: dict[str, float | None]
    btc_dominance: float | None
    day_high: float | None
    day_low: float | None
    swing_high: Extreme | None
    swing_low: Extreme | None


class AssetRow(BaseModel):
    """One asset of the market table (returns are fractions, σ-distance from the 50-day average)."""

    asset_id: str
    symbol: str
    name: str
    close: float | None
    close_date: str
    last_price: float | None
    last_time: str
    market_cap: float | None
    return_1d: float | None
    return_7d: float | None
    return_30d: float | None
    return_ytd: float | None
    sma50: float | None
    sma200: float | None
    dist_sma50_sigma: float | None
    rsi14: float | None
    volume_ratio: float | None
    source: str


class EventOut(BaseModel):
    """An event (report-schema form) plus its details and the day it describes."""

    model_config = ConfigDict(extra="allow")

    kind: str
    subject: str
    metric: str
    time: str
    score: float | None
    date: str
    details: dict[str, Any]


class MarketData(BaseModel):
    """Market state as of a moment."""

    as_of: str
    tz: str
    market: MarketBlock | None
    assets: list[AssetRow]
    headline: str
    lead: str | None
    events: list[EventOut]


class SeriesRow(BaseModel):
    """One day of a series with its indicators."""

    model_config = ConfigDict(extra="allow")

    date: str
    close: float | None
    high: float | None
    low: float | None
    volume: float | None
    source: str | None
    sma50: float | None
    sma200: float | None
    sigma50: float | None
    rsi14: float | None


class SeriesData(BaseModel):
    """An asset's (or the total market cap's) daily series as known at as_of."""

    subject: str
    as_of: str
    rows: list[SeriesRow]


class EventsData(BaseModel):
    """Events found over a range of days, each judged as of its own day."""

    start: str
    end: str
    events: list[EventOut]


class ReportData(BaseModel):
    """The report in the requested format: ``report`` for json, ``text`` for md and html."""

    format: str
    report: dict[str, Any] | None = None
    text: str | None = None


class CheckRequest(BaseModel):
    """An article to check."""

    text: str = Field(min_length=1, max_length=100_000)
    as_of: str | None = Field(None, description="ISO 8601 moment the article was written (default: now).")
    tz: str | None = None


class CheckData(BaseModel):
    """The checked claims (see schemas/check.schema.json) and how many got each verdict."""

    model_config = ConfigDict(extra="allow")

    as_of: str
    tz: str
    message: str
    claims: list[dict[str, Any]]
    counts: dict[str, int]
