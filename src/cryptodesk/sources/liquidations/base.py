"""Shared pieces of the liquidation feeds: the record buffer, stable event ids and the feed description.

A feed's normaliser turns one decoded websocket message into zero or more
records appended to a :class:`LiquidationBuffer` (plain column lists: no
per-message objects, no pydantic, so normalising stays well above 100k
messages/s on one core). Which order/position side means a *long* was
liquidated differs per exchange; each exchange module states it as data in a
``SIDES`` table with the documentation it comes from.

Every record becomes one row of the canonical ``liquidations`` table: ``ts``,
``exchange``, ``symbol``, ``asset_id`` (via the AssetRegistry), ``side``
('long'/'short': the position liquidated), ``quantity`` (base asset), ``price``,
``notional_usd`` (USDT/USDC treated as USD) and ``event_id``. The feeds carry no
exchange ids, so ``event_id`` is a stable hash of the raw fields; the same
message replayed after a reconnect gets the same id and is dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.models import LIQUIDATIONS, Batch

LONG = "long"
SHORT = "short"


Row = tuple[int, str, str, str, str, float, float, float, str]
"""(ts_ms, exchange, symbol, asset_key, side, quantity, price, notional_usd, event_id); asset_key is
the token the AssetRegistry resolves (the symbol without a contract suffix)."""

SCHEMA: dict[str, pl.DataType] = {
    "ts_ms": pl.Int64(),
    "exchange": pl.Utf8(),
    "symbol": pl.Utf8(),
    "asset_key": pl.Utf8(),
    "side": pl.Utf8(),
    "quantity": pl.Float64(),
    "price": pl.Float64(),
    "notional_usd": pl.Float64(),
    "event_id": pl.Utf8(),
}


def _json_decoder() -> Callable[[str | bytes], Any]:
    """orjson's ``loads`` when installed (the ``live`` extra: a third of the time per message), else the stdlib's."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - the standard library is the fallback
        return json.loads
    return orjson.loads


decode_json = _json_decoder()
"""Decode one websocket message (raises ``ValueError`` on malformed JSON, with either decoder)."""


def event_id(*raw_fields: object) -> str:
    """A stable id from the raw (string) fields of one liquidation: exchange, symbol, ts, side, price, size."""
    key = "|".join(map(str, raw_fields)).encode()
    return hashlib.blake2b(key, digest_size=12).hexdigest()


class LiquidationBuffer:
    """Column lists of normalised liquidations, with de-duplication over a sliding window of ids."""

    def __init__(self, *, dedupe_window: int = 200_000) -> None:
        self.dedupe_window = dedupe_window
        self._seen: set[str] = set()
        self._order: deque[str] = deque()
        self.duplicates = 0
        self.clear()

    def clear(self) -> None:
        """Drop the buffered rows (the de-duplication window is kept)."""
        self.rows: list[Row] = []

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, row: Row) -> bool:
        """Append one record; False (and nothing appended) when its event id was seen recently."""
        eid = row[8]
        if eid in self._seen:
            self.duplicates += 1
            return False
        self._seen.add(eid)
        self._order.append(eid)
        if len(self._order) > self.dedupe_window:
            self._seen.discard(self._order.popleft())
        self.rows.append(row)
        return True

    def take_batch(self, registry: AssetRegistry, source: str) -> Batch:
        """The buffered rows as a canonical ``liquidations`` batch; the buffer is emptied."""
        frame = pl.DataFrame(self.rows, schema=SCHEMA, orient="row")
        self.clear()
        keys = frame.get_column("asset_key").unique().to_list()
        ids = {k: registry.resolve(k) or k.lower() for k in keys}
        frame = frame.with_columns(
            pl.col("asset_key").replace_strict(ids, return_dtype=pl.Utf8, default=None).alias("asset_id"),
            pl.from_epoch("ts_ms", time_unit="ms").dt.replace_time_zone("UTC").alias("ts"),
            pl.lit(source).alias("source"),
        )
        return Batch("liquidations", LIQUIDATIONS.conform(frame))


Normaliser = Callable[[Any, LiquidationBuffer], int]
"""Append the records of one decoded message to the buffer; return how many were read (duplicates included)."""


@dataclass(frozen=True)
class Feed:
    """One websocket liquidation feed: where to connect, what to send, how to read it."""

    exchange: str
    name: str
    url: str
    subscribe: tuple[str, ...]
    """Text frames sent right after connecting."""
    normalise: Normaliser
    heartbeat: str | None = None
    """Application-level ping text (OKX ``ping``, Bybit ``{"op":"ping"}``); None when protocol pings suffice."""
    heartbeat_seconds: float = 20.0
    source: str = ""
    """The canonical ``source`` value of the rows (defaults to the exchange name)."""

    @property
    def source_name(self) -> str:
        """The ``source`` column value for this feed's rows."""
        return self.source or self.exchange
