"""Routes that replay the data pack's recorded API responses in each provider's format.

* CoinGecko: ``/api/v3/coins/markets`` (paged slices of the recorded top-100
  response), ``/api/v3/global``, ``/api/v3/coins/bitcoin/market_chart/range``
  (the recorded 60-day hourly chart filtered by from/to) and, for Pro,
  ``/api/v3/global/market_cap_chart`` from a chart the test passes in.
* Binance spot REST: ``/api/v3/klines`` from the pack's Binance 1m CSV (the
  exact kline row format) and a minimal ``/api/v3/exchangeInfo``.
* CoinGlass: ``/api/futures/liquidation/aggregated-history`` from rows the test
  passes in (the pack has no liquidation data; see SOURCES.md "Known gaps").
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .http_replay import Reply, Route

CG = "/api/v3"
MARKETS = "coingecko_coins_markets_usd_top100_2023-01-16T0329Z.json"
GLOBAL = "coingecko_global_2023-01-26T0045Z.json"
CHART = "coingecko_bitcoin_market_chart_usd_days60_hourly_2022-11-20_2023-01-19.json"
CMC_LISTINGS = "coinmarketcap_listings_latest_2022-12-16T1807Z.json"
KLINES_CSV = "binance_usdm_BTCUSDT_1m_2023-01-18_1229-1918UTC.csv"


def _json(obj: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(obj).encode())


def coingecko_routes(pack: Path, *, global_chart: dict[str, Any] | None = None) -> dict[str, Route]:
    """CoinGecko v3 routes replaying the pack's fixtures."""
    fixtures = pack / "fixtures"
    markets = json.loads((fixtures / MARKETS).read_text())
    global_body = (fixtures / GLOBAL).read_bytes()
    chart = json.loads((fixtures / CHART).read_text())

    def coins_markets(q: dict[str, str]) -> Reply:
        per_page, page = int(q.get("per_page", "100")), int(q.get("page", "1"))
        return _json(markets[(page - 1) * per_page : page * per_page])

    def market_chart_range(q: dict[str, str]) -> Reply:
        lo, hi = int(q["from"]) * 1000, int(q["to"]) * 1000
        return _json({k: [p for p in v if lo <= p[0] <= hi] for k, v in chart.items()})

    def market_cap_chart(q: dict[str, str]) -> Reply:
        if global_chart is None:
            return _json({"status": {"error_code": 10005, "error_message": "paid plan only"}}, 401)
        return _json(global_chart)

    return {
        f"{CG}/coins/markets": coins_markets,
        f"{CG}/global": lambda q: Reply(200, global_body),
        f"{CG}/coins/bitcoin/market_chart/range": market_chart_range,
        f"{CG}/global/market_cap_chart": market_cap_chart,
    }


def kline_rows(pack: Path) -> list[list[Any]]:
    """The pack's Binance 1m CSV as ``/klines`` rows (ints for times and counts, strings for decimals)."""
    with (pack / "intraday" / KLINES_CSV).open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        rows = []
        for r in reader:
            rows.append([int(r[0]), r[1], r[2], r[3], r[4], r[5], int(r[6]), r[7], int(r[8]), r[9], r[10], r[11]])
    return rows


def binance_routes(pack: Path, *, now_ms: int, max_limit: int = 1000) -> dict[str, Route]:
    """Binance ``/api/v3`` kline routes; candles opening after ``now_ms`` do not exist yet."""
    rows = [r for r in kline_rows(pack) if r[0] <= now_ms]

    def klines(q: dict[str, str]) -> Reply:
        if q.get("symbol") != "BTCUSDT" or q.get("interval") != "1m":
            return _json({"code": -1121, "msg": "Invalid symbol."}, 400)
        start = int(q.get("startTime", "0"))
        end = int(q.get("endTime", str(2**62)))
        limit = min(int(q.get("limit", "500")), max_limit)
        return _json([r for r in rows if start <= r[0] <= end][:limit])

    return {"/api/v3/klines": klines, "/api/v3/exchangeInfo": lambda q: _json(exchange_info())}


def exchange_info() -> dict[str, Any]:
    """A minimal Binance spot exchangeInfo listing BTCUSDT."""
    return {
        "timezone": "UTC",
        "serverTime": 1674057600000,
        "rateLimits": [],
        "symbols": [
            {
                "symbol": "BTCUSDT",
                "status": "TRADING",
                "baseAsset": "BTC",
                "baseAssetPrecision": 8,
                "quoteAsset": "USDT",
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"],
                "icebergAllowed": True,
                "ocoAllowed": True,
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": True,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "0.01"},
                    {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"},
                ],
                "permissions": ["SPOT"],
            }
        ],
    }


def coinglass_routes(rows: list[dict[str, Any]]) -> dict[str, Route]:
    """CoinGlass v4 aggregated liquidation history from ``rows`` (``time`` in ms)."""

    def history(q: dict[str, str]) -> Reply:
        return _json({"code": "0", "msg": "success", "data": rows})

    return {"/api/futures/liquidation/aggregated-history": history}


def cmc_routes(pack: Path) -> dict[str, Route]:
    """CoinMarketCap Pro ``/v1/cryptocurrency/listings/latest`` replaying the pack's recorded response."""
    body = (pack / "fixtures" / CMC_LISTINGS).read_bytes()
    return {"/v1/cryptocurrency/listings/latest": lambda q: Reply(200, body)}


def okx_routes(instruments: list[dict[str, str]]) -> dict[str, Route]:
    """OKX ``/api/v5/public/instruments`` answering with ``instruments`` for instType=SWAP."""

    def handler(q: dict[str, str]) -> Reply:
        if q.get("instType") != "SWAP":
            return _json({"code": "51000", "msg": "Parameter instType error", "data": []})
        return _json({"code": "0", "msg": "", "data": instruments})

    return {"/api/v5/public/instruments": handler}
