"""CoinGecko REST source: market snapshots, the global snapshot and history backfills.

Endpoints (v3):

* ``/coins/markets`` (top N by market cap, 250 per page) -> ``snapshots`` + ``assets``
* ``/global`` -> one ``global_metrics`` row with interval ``snapshot``
* ``/coins/{id}/market_chart/range`` -> ``snapshots`` (hourly up to 90 days, daily beyond)
* ``/global/market_cap_chart`` (paid plans only) -> ``global_metrics`` snapshots

Keys come from settings: ``coingecko_api_key`` (Demo, header ``x-cg-demo-api-key``,
public base URL) or ``coingecko_pro_api_key`` (Pro base URL, header
``x-cg-pro-api-key``). History functions take ``since`` (the last stored time) and
return only rows strictly after it, so repeated runs resume where they stopped.
Provider shapes are turned into canonical frames here and never leave this module.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import polars as pl

from cryptodesk.core.errors import ConfigError, PermanentSourceError, SourceError
from cryptodesk.core.models import ASSETS, GLOBAL_METRICS, SNAPSHOTS, Batch
from cryptodesk.core.settings import Settings
from cryptodesk.sources.http import HttpSource, RetryPolicy, number, require, require_list

SOURCE = "coingecko"
PAGE_SIZE = 250
ERROR_BEYOND_PLAN_HISTORY = 10012


@dataclass(frozen=True)
class Plan:
    """What a CoinGecko key allows."""

    name: str
    rate_per_minute: float
    history_days: int | None
    """How far back history endpoints reach (None = no documented limit)."""
    global_chart: bool


KEYLESS = Plan("keyless (public)", 5.0, 365, False)
DEMO = Plan("Demo", 30.0, 365, False)
PRO = Plan("Pro", 500.0, None, True)


class CoinGecko(HttpSource):
    """A CoinGecko client for one plan (keyless, Demo or Pro)."""

    name = SOURCE

    def __init__(
        self,
        base_url: str,
        *,
        plan: Plan = KEYLESS,
        api_key: str | None = None,
        rate_per_minute: float | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        headers: dict[str, str] = {}
        if api_key:
            headers["x-cg-pro-api-key" if plan is PRO else "x-cg-demo-api-key"] = api_key
        super().__init__(
            base_url,
            headers=headers,
            secrets=(api_key,) if api_key else (),
            rate_per_minute=rate_per_minute or plan.rate_per_minute,
            retry=retry,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            timer=timer,
            rng=rng,
        )
        self.plan = plan
        self._now = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> CoinGecko:
        """The client the settings ask for: Pro if a Pro key is set, else Demo if a key is set, else keyless."""
        if settings.coingecko_pro_api_key is not None:
            key = settings.coingecko_pro_api_key.get_secret_value()
            return cls(settings.coingecko_pro_base_url, plan=PRO, api_key=key, **kwargs)
        if settings.coingecko_api_key is not None:
            key = settings.coingecko_api_key.get_secret_value()
            return cls(settings.coingecko_base_url, plan=DEMO, api_key=key, **kwargs)
        return cls(settings.coingecko_base_url, plan=KEYLESS, **kwargs)

    # ------------------------------------------------------------------ errors

    def explain_error(self, response: httpx.Response, label: str) -> SourceError | None:
        """Turn CoinGecko's error 10012 (beyond the plan's history) into a message saying what the key allows."""
        code, message = _error_code(response)
        if code == ERROR_BEYOND_PLAN_HISTORY:
            allowed = (
                f"the last {self.plan.history_days} days" if self.plan.history_days else "the plan's documented range"
            )
            return PermanentSourceError(
                self._scrub(
                    f"{label}: the request reaches further back than the {self.plan.name} plan allows"
                    f" (CoinGecko error {code}: {message}); this key allows {allowed} of history"
                ),
                hint="Ask for a shorter range (a later --since) or set coingecko_pro_api_key for a paid plan.",
            )
        return None

    # ------------------------------------------------------------------ endpoints

    def markets(self, top_n: int, *, per_page: int = PAGE_SIZE, vs_currency: str = "usd") -> list[Batch]:
        """Snapshots and asset entries for the top ``top_n`` coins by market cap (paged ``per_page`` at a time)."""
        if top_n < 1:
            raise ConfigError(f"top_n must be >= 1, got {top_n}", parameter="coingecko_top_n")
        rows: list[dict[str, Any]] = []
        page = 1
        while len(rows) < top_n:
            where = f"/coins/markets page {page}"
            params = {"vs_currency": vs_currency, "order": "market_cap_desc", "per_page": per_page, "page": page}
            items = require_list(self.get_json("/coins/markets", params, what=where), f"{SOURCE} {where}")
            if not items:
                break
            rows.extend(_market_row(item, f"{SOURCE} {where} item {i + 1}") for i, item in enumerate(items))
            if len(items) < per_page:
                break
            page += 1
        rows = rows[:top_n]
        snapshots = pl.DataFrame(
            [{k: v for k, v in r.items() if k in SNAPSHOTS.columns} for r in rows], schema=SNAPSHOTS.columns
        )
        assets = pl.DataFrame(
            [{"asset_id": r["asset_id"], "symbol": r["symbol"], "name": r["name"], "kind": "crypto"} for r in rows]
        ).with_columns(pl.lit(SOURCE).alias("source"))
        return [
            Batch("snapshots", SNAPSHOTS.conform(snapshots.with_columns(pl.lit(SOURCE).alias("source")))),
            Batch("assets", ASSETS.conform(assets) if rows else ASSETS.empty()),
        ]

    def global_snapshot(self) -> Batch:
        """The current total market metrics as one ``global_metrics`` row (interval ``snapshot``)."""
        where = f"{SOURCE} /global"
        data = require(self.get_json("/global"), "data", where)
        caps = require(data, "total_market_cap", f"{where} data")
        volumes = require(data, "total_volume", f"{where} data")
        shares = require(data, "market_cap_percentage", f"{where} data")
        updated = number(require(data, "updated_at", f"{where} data"), "updated_at", where, nullable=False)
        active = require(data, "active_cryptocurrencies", f"{where} data")
        row = {
            "source": SOURCE,
            "interval": "snapshot",
            "ts": datetime.fromtimestamp(updated or 0.0, UTC),
            "total_market_cap": number(require(caps, "usd", f"{where} total_market_cap"), "usd", where),
            "total_volume": number(require(volumes, "usd", f"{where} total_volume"), "usd", where),
            "btc_dominance": number(shares.get("btc") if isinstance(shares, dict) else None, "btc", where),
            "eth_dominance": number(shares.get("eth") if isinstance(shares, dict) else None, "eth", where),
            "active_assets": int(active) if isinstance(active, int) else None,
        }
        return Batch("global_metrics", GLOBAL_METRICS.conform(pl.DataFrame([row])))

    def market_chart(
        self,
        coin_id: str,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        vs_currency: str = "usd",
        window_days: int | None = None,
    ) -> Batch:
        """Snapshots of ``coin_id`` strictly after ``since`` (default: as far back as the plan allows).

        CoinGecko picks the granularity from the span of one request (hourly up to 90 days, daily
        beyond); ``window_days`` (<= 90) splits a long range into requests that stay hourly.
        """
        end = until or self._now()
        start = since or self._default_start(end)
        if window_days is not None and not 1 <= window_days <= 90:
            raise ConfigError(f"window_days must be 1..90, got {window_days}", parameter="window_days")
        step = timedelta(days=window_days) if window_days else end - start
        frames: list[pl.DataFrame] = []
        lo = start
        while lo < end:
            hi = min(end, lo + step)
            frames.append(self._chart_window(coin_id, lo, hi, vs_currency))
            lo = hi
        frame = pl.concat(frames) if frames else pl.DataFrame(schema={"ts": pl.Datetime("ms", "UTC")})
        if "ms" in frame.columns:
            frame = frame.unique("ms", keep="first").sort("ms")
        frame = frame.with_columns(pl.lit(SOURCE).alias("source"), pl.lit(coin_id).alias("asset_id"))
        return Batch("snapshots", SNAPSHOTS.conform(_after(frame, since)))

    def _chart_window(self, coin_id: str, start: datetime, end: datetime, vs_currency: str) -> pl.DataFrame:
        where = f"/coins/{coin_id}/market_chart/range"
        params = {"vs_currency": vs_currency, "from": int(start.timestamp()), "to": int(end.timestamp())}
        body = self.get_json(where, params, what=where)
        frame = _chart_frame(body, f"{SOURCE} {where}", ("prices", "market_caps", "total_volumes"))
        return frame.rename({"prices": "price", "market_caps": "market_cap", "total_volumes": "volume_24h"})

    def global_history(self, since: datetime | None = None, *, vs_currency: str = "usd") -> Batch:
        """Total market cap and volume history (paid plans) as ``global_metrics`` snapshots after ``since``."""
        if not self.plan.global_chart:
            raise ConfigError(
                f"/global/market_cap_chart needs a paid CoinGecko plan; this is the {self.plan.name} plan",
                parameter="coingecko_pro_api_key",
            )
        now = self._now()
        days = "max" if since is None else str(max(1, math.ceil((now - since) / timedelta(days=1)) + 1))
        where = "/global/market_cap_chart"
        body = self.get_json(where, {"vs_currency": vs_currency, "days": days}, what=where)
        chart = require(body, "market_cap_chart", f"{SOURCE} {where}")
        frame = _chart_frame(chart, f"{SOURCE} {where}", ("market_cap", "volume"))
        frame = frame.rename({"market_cap": "total_market_cap", "volume": "total_volume"}).with_columns(
            pl.lit(SOURCE).alias("source"), pl.lit("snapshot").alias("interval")
        )
        return Batch("global_metrics", GLOBAL_METRICS.conform(_after(frame, since)))

    def _default_start(self, end: datetime) -> datetime:
        days = self.plan.history_days or 365 * 15
        return end - timedelta(days=days) + timedelta(minutes=5)


# ---------------------------------------------------------------------- transforms


def _market_row(item: Any, where: str) -> dict[str, Any]:
    """One ``/coins/markets`` item as canonical snapshot and asset fields."""
    coin_id = require(item, "id", where)
    if not isinstance(coin_id, str) or not coin_id:
        raise PermanentSourceError(f"{where}: field 'id' must be a non-empty string")
    updated = require(item, "last_updated", where)
    try:
        ts = datetime.fromisoformat(str(updated).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as e:
        raise PermanentSourceError(f"{where}: field 'last_updated' = {updated!r} is not an ISO time") from e
    rank = require(item, "market_cap_rank", where)
    return {
        "asset_id": coin_id,
        "symbol": str(require(item, "symbol", where)).upper(),
        "name": str(require(item, "name", where)),
        "ts": ts,
        "price": number(require(item, "current_price", where), "current_price", where),
        "market_cap": number(require(item, "market_cap", where), "market_cap", where),
        "volume_24h": number(require(item, "total_volume", where), "total_volume", where),
        "circulating_supply": number(item.get("circulating_supply"), "circulating_supply", where),
        "total_supply": number(item.get("total_supply"), "total_supply", where),
        "max_supply": number(item.get("max_supply"), "max_supply", where),
        "rank": int(rank) if isinstance(rank, int | float) else None,
    }


def _chart_frame(body: Any, where: str, series: tuple[str, ...]) -> pl.DataFrame:
    """Join ``[[ms, value], ...]`` series on their timestamps into one frame with a ``ts`` column."""
    frames: list[pl.DataFrame] = []
    for name in series:
        points = require_list(require(body, name, where), f"{where} {name}")
        ts: list[int] = []
        values: list[float | None] = []
        for i, point in enumerate(points):
            if not isinstance(point, list) or len(point) != 2:
                raise PermanentSourceError(f"{where}: {name}[{i}] should be [timestamp_ms, value], got {point!r}")
            ms = number(point[0], f"{name}[{i}][0]", where, nullable=False)
            ts.append(int(ms or 0))
            values.append(number(point[1], f"{name}[{i}][1]", where))
        frame = pl.DataFrame({"ms": ts, name: values}, schema={"ms": pl.Int64, name: pl.Float64})
        frames.append(frame.unique("ms", keep="last"))
    joined = frames[0]
    for other in frames[1:]:
        joined = joined.join(other, on="ms", how="full", coalesce=True)
    return joined.sort("ms").with_columns(pl.from_epoch("ms", time_unit="ms").dt.replace_time_zone("UTC").alias("ts"))


def _after(frame: pl.DataFrame, since: datetime | None) -> pl.DataFrame:
    if since is None:
        return frame
    return frame.filter(pl.col("ts") > since)


def _error_code(response: httpx.Response) -> tuple[int | None, str]:
    """CoinGecko's ``error_code`` and ``error_message`` from an error body, wherever they are nested."""
    try:
        body = response.json()
    except ValueError:
        return None, ""
    stack: list[Any] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "error_code" in node:
                code = node.get("error_code")
                return (int(code) if isinstance(code, int | str) and str(code).isdigit() else None), str(
                    node.get("error_message", "")
                )
            stack.extend(node.values())
    return None, ""
