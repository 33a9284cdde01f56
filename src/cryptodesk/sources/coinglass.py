"""CoinGlass REST source: aggregated liquidation history -> ``liquidations_agg``.

Endpoint (API v4): ``/api/futures/liquidation/aggregated-history`` with the key
in the ``CG-API-KEY`` header. CoinGlass answers HTTP 200 with ``code != "0"`` for
its own errors (bad key, missing parameter); those become PermanentSourceError.
``exchange_list`` is required by the API; the canonical ``exchange`` column holds
the list it was aggregated over (``binance+bybit+okx``) so different lists never
collide in the store.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import polars as pl

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.errors import ConfigError, PermanentSourceError
from cryptodesk.core.models import LIQUIDATIONS_AGG, Batch
from cryptodesk.core.settings import Settings
from cryptodesk.sources.http import HttpSource, RetryPolicy, number, require, require_list

SOURCE = "coinglass"
HISTORY_PATH = "/api/futures/liquidation/aggregated-history"
INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "4h", "6h", "8h", "12h", "1d", "1w")
DEFAULT_EXCHANGES = ("Binance", "OKX", "Bybit")


class CoinGlass(HttpSource):
    """A CoinGlass v4 client (a key is required for every endpoint)."""

    name = SOURCE

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        rate_per_minute: float = 30.0,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if not api_key:
            raise ConfigError("CoinGlass needs an API key", parameter="coinglass_api_key")
        super().__init__(
            base_url,
            headers={"CG-API-KEY": api_key},
            secrets=(api_key,),
            rate_per_minute=rate_per_minute,
            retry=retry,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            timer=timer,
            rng=rng,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> CoinGlass:
        """A client from settings; ConfigError when no key is set."""
        if settings.coinglass_api_key is None:
            raise ConfigError("CoinGlass needs an API key", parameter="coinglass_api_key")
        return cls(settings.coinglass_base_url, api_key=settings.coinglass_api_key.get_secret_value(), **kwargs)

    def liquidation_history(
        self,
        coin: str,
        *,
        registry: AssetRegistry,
        interval: str = "1d",
        exchanges: tuple[str, ...] = DEFAULT_EXCHANGES,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> Batch:
        """Long/short liquidated USD per ``interval`` bucket for ``coin`` (a base symbol like BTC), after ``since``."""
        if interval not in INTERVALS:
            raise ConfigError(f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}", parameter="interval")
        params: dict[str, Any] = {
            "symbol": coin.upper(),
            "interval": interval,
            "exchange_list": ",".join(exchanges),
            "limit": limit,
        }
        if since is not None:
            params["start_time"] = int(since.timestamp() * 1000)
        where = f"{SOURCE} {HISTORY_PATH} {coin.upper()} {interval}"
        body = self.get_json(HISTORY_PATH, params, what=f"{HISTORY_PATH} {coin.upper()} {interval}")
        code = require(body, "code", where)
        if str(code) != "0":
            raise PermanentSourceError(self._scrub(f"{where}: CoinGlass error {code}: {body.get('msg', '')}"))
        items = require_list(require(body, "data", where), f"{where} data")
        asset_id = registry.resolve(coin) or coin.lower()
        rows = []
        for i, item in enumerate(items):
            at = f"{where} data[{i}]"
            ms = number(require(item, "time", at), "time", at, nullable=False)
            rows.append(
                {
                    "ts": datetime.fromtimestamp((ms or 0) / 1000, UTC),
                    "long_usd": number(require(item, "aggregated_long_liquidation_usd", at), "long", at),
                    "short_usd": number(require(item, "aggregated_short_liquidation_usd", at), "short", at),
                }
            )
        frame = pl.DataFrame(
            rows, schema={"ts": pl.Datetime("us", "UTC"), "long_usd": pl.Float64, "short_usd": pl.Float64}
        )
        frame = frame.with_columns(
            pl.lit(SOURCE).alias("source"),
            pl.lit("+".join(sorted(e.lower() for e in exchanges))).alias("exchange"),
            pl.lit(asset_id).alias("asset_id"),
            pl.lit(interval).alias("interval"),
        )
        if since is not None:
            frame = frame.filter(pl.col("ts") > since)
        return Batch("liquidations_agg", LIQUIDATIONS_AGG.conform(frame.sort("ts")))
