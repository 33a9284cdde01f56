"""Canonical records: one model per dataset, plus the event and fact records.

Bulk data moves as Polars frames whose columns follow a :class:`TableSpec`
(one per canonical table); single records (live feeds, the API) use the
dataclasses below. Provider shapes never leave ``cryptodesk.sources``: a source
turns its raw rows into frames with exactly these columns.

All timestamps are timezone-aware UTC (``pl.Datetime("us", "UTC")``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its columns (name -> Polars dtype) and its natural key.

    ``source`` and ``run_id`` are added to every table by the store; sources do
    not produce them (the importer sets ``source``, the store sets ``run_id``).
    """

    name: str
    columns: dict[str, pl.DataType]
    key: tuple[str, ...]
    doc: str

    @property
    def value_columns(self) -> tuple[str, ...]:
        """Columns that are not part of the key (compared to detect conflicts)."""
        return tuple(c for c in self.columns if c not in self.key)

    def empty(self) -> pl.DataFrame:
        """An empty frame with this table's schema."""
        return pl.DataFrame(schema=self.columns)

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Select and cast ``frame`` to this table's columns (missing optional columns become null)."""
        exprs = []
        for name, dtype in self.columns.items():
            if name in frame.columns:
                exprs.append(pl.col(name).cast(dtype, strict=False).alias(name))
            else:
                exprs.append(pl.lit(None, dtype=dtype).alias(name))
        return frame.select(exprs)


F64 = pl.Float64()
STR = pl.Utf8()

ASSETS = TableSpec(
    "assets",
    {"asset_id": STR, "symbol": STR, "name": STR, "kind": STR, "source": STR},
    ("asset_id", "source"),
    "Known assets: canonical id (CoinGecko id), ticker, name, kind (crypto, index, equity).",
)

CANDLES = TableSpec(
    "candles",
    {
        "source": STR,
        "venue": STR,
        "asset_id": STR,
        "symbol": STR,
        "interval": STR,
        "open_time": UTC_TS,
        "open": F64,
        "high": F64,
        "low": F64,
        "close": F64,
        "volume": F64,
        "quote_volume": F64,
        "trades": pl.Int64(),
    },
    ("source", "venue", "asset_id", "interval", "open_time"),
    "OHLCV bars. interval is 1m, 5m, 1h, 4h, 1d or 1w; a bar is final once open_time + interval has passed."
    " volume is in the base asset except where the source only gives USD volume (then quote_volume).",
)

SNAPSHOTS = TableSpec(
    "snapshots",
    {
        "source": STR,
        "asset_id": STR,
        "ts": UTC_TS,
        "price": F64,
        "market_cap": F64,
        "volume_24h": F64,
        "circulating_supply": F64,
        "total_supply": F64,
        "max_supply": F64,
        "rank": pl.Int64(),
    },
    ("source", "asset_id", "ts"),
    "An asset's price, market cap, 24h volume and supply at one instant (known from ts on).",
)

GLOBAL_METRICS = TableSpec(
    "global_metrics",
    {
        "source": STR,
        "interval": STR,
        "ts": UTC_TS,
        "open": F64,
        "high": F64,
        "low": F64,
        "total_market_cap": F64,
        "total_volume": F64,
        "btc_dominance": F64,
        "eth_dominance": F64,
        "active_assets": pl.Int64(),
    },
    ("source", "interval", "ts"),
    "Total crypto market metrics. interval 'snapshot' is an instant (ts); '1d' is a daily bar opening at ts"
    " whose close is total_market_cap. Dominance is in percent.",
)

LIQUIDATIONS = TableSpec(
    "liquidations",
    {
        "source": STR,
        "exchange": STR,
        "symbol": STR,
        "asset_id": STR,
        "ts": UTC_TS,
        "side": STR,
        "quantity": F64,
        "price": F64,
        "notional_usd": F64,
        "event_id": STR,
    },
    ("source", "exchange", "event_id"),
    "Event-level liquidations. side is the side of the position liquidated: 'long' or 'short'."
    " event_id is the exchange's id or a stable hash of (symbol, ts, side, price, quantity).",
)

LIQUIDATIONS_AGG = TableSpec(
    "liquidations_agg",
    {
        "source": STR,
        "exchange": STR,
        "asset_id": STR,
        "interval": STR,
        "ts": UTC_TS,
        "long_usd": F64,
        "short_usd": F64,
    },
    ("source", "exchange", "asset_id", "interval", "ts"),
    "Aggregated liquidations per bucket (bucket starts at ts), as sold by aggregators such as CoinGlass.",
)

CALENDAR = TableSpec(
    "calendar_events",
    {
        "source": STR,
        "ts": UTC_TS,
        "kind": STR,
        "title": STR,
        "note": STR,
        "origin": STR,
    },
    ("source", "ts", "kind", "title"),
    "Macro and crypto calendar: ts is the release/event time in UTC (midnight ET when no time is known)."
    " kind is CPI, PPI, NFP, FOMC or CRYPTO; origin says where the entry was sourced from.",
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (ASSETS, CANDLES, SNAPSHOTS, GLOBAL_METRICS, LIQUIDATIONS, LIQUIDATIONS_AGG, CALENDAR)
}


@dataclass(frozen=True)
class Batch:
    """Canonical rows for one table, produced by a source from one input."""

    table: str
    frame: pl.DataFrame
    distinct: bool = False
    """True when the producer has checked that no key of ``table`` repeats in ``frame`` (a file format's
    ``check_unique`` on the key columns that vary, the others constant); the store then does not check again."""

    def __post_init__(self) -> None:
        if self.table not in TABLES:
            raise ValueError(f"unknown canonical table {self.table!r}")


# --------------------------------------------------------------------------- events and facts

EventKind = Literal[
    "level_cross",
    "extreme",
    "big_move",
    "sma_extension",
    "volume_surge",
    "relative_performance",
    "liquidation_imbalance",
]


@dataclass(frozen=True)
class Event:
    """A newsworthy event found by a detector, judged as of ``time``.

    JSON contract (src/cryptodesk/schemas/report.schema.json): every event has kind,
    subject, metric, time and score. ``level_cross`` also has level, direction
    ('up'/'down') and last_time_beyond (ISO date or None = never). ``extreme``
    also has direction ('high'/'low'), value and since (ISO date or None =
    all-time). Other kinds carry their numbers in ``details``.
    """

    kind: str
    subject: str
    metric: str
    time: datetime
    score: float
    direction: str | None = None
    level: float | None = None
    last_time_beyond: date | None = None
    value: float | None = None
    since: date | None = None
    details: dict[str, Any] = field(default_factory=dict)
    fact_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The report-schema JSON form of this event."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "subject": self.subject,
            "metric": self.metric,
            "time": self.time.isoformat(),
            "score": round(self.score, 6),
        }
        if self.kind == "level_cross":
            out["level"] = self.level
            out["direction"] = self.direction
            out["last_time_beyond"] = self.last_time_beyond.isoformat() if self.last_time_beyond else None
        elif self.kind == "extreme":
            out["direction"] = self.direction
            out["value"] = self.value
            out["since"] = self.since.isoformat() if self.since else None
        else:
            if self.direction is not None:
                out["direction"] = self.direction
            if self.value is not None:
                out["value"] = self.value
        if self.details:
            out["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        if self.fact_ids:
            out["fact_ids"] = list(self.fact_ids)
        return out


@dataclass(frozen=True)
class Fact:
    """One entry of the facts ledger: every number a story prints refers to one.

    ``value`` is None when the figure is missing from the data (the ledger
    records it as missing and the story does not print it); ``missing_reason``
    then says why.
    """

    id: str
    subject: str
    metric: str
    value: float | str | None
    unit: str
    window: str | None
    source: str | None
    as_of: datetime
    observed_at: datetime | None = None
    missing_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The report-schema JSON form of this fact."""
        return {
            "id": self.id,
            "subject": self.subject,
            "metric": self.metric,
            "value": self.value,
            "unit": self.unit,
            "window": self.window,
            "source": self.source,
            "as_of": self.as_of.isoformat(),
            "observed_at": self.observed_at.isoformat() if self.observed_at else None,
            "missing_reason": self.missing_reason,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v
