"""Bybit v5 ``allLiquidation.{symbol}``: all liquidations of the subscribed contracts.

Message (https://bybit-exchange.github.io/docs/v5/websocket/public/all-liquidation)::

    {"topic":"allLiquidation.ROSEUSDT","type":"snapshot","ts":1739502303204,
     "data":[{"T":1739502302929,"s":"ROSEUSDT","S":"Sell","v":"20000","p":"0.04499"}]}

Side semantics, verified in Bybit's own documentation of this topic: ``S`` is the
*position* side, "When you receive a Buy update, this means that a long position
has been liquidated" (so Sell = a short was liquidated). This is the opposite
convention to Binance's order side. ``v`` is the executed size and ``p`` the
bankruptcy price. Linear contracts (…USDT, …USDC, …PERP) size in the base asset;
inverse contracts (…USD, e.g. BTCUSD) size in USD.
"""

from __future__ import annotations

import json
from typing import Any

from cryptodesk.sources.liquidations.base import LONG, SHORT, Feed, LiquidationBuffer, event_id

EXCHANGE = "bybit"
FEED = "allLiquidation"

SIDES: dict[str, str] = {"Buy": LONG, "Sell": SHORT}
"""Position side as sent by Bybit -> side of the position liquidated."""


def normalise(message: Any, buffer: LiquidationBuffer) -> int:
    """Append the liquidations in one ``allLiquidation`` message; acks and pongs add nothing."""
    if not isinstance(message, dict):
        return 0
    topic = message.get("topic")
    if not topic or not topic.startswith("allLiquidation."):
        return 0
    data = message["data"]
    if isinstance(data, dict):
        data = [data]
    for item in data:
        symbol = item["s"]
        size_raw = item["v"]
        px_raw = item["p"]
        size = float(size_raw)
        price = float(px_raw)
        if symbol.endswith("USD"):  # inverse: size is USD
            notional, quantity = size, (size / price if price else 0.0)
        else:
            notional, quantity = size * price, size
        side = SIDES[item["S"]]
        ts = int(item["T"])
        buffer.add(
            (
                ts,
                EXCHANGE,
                symbol,
                symbol,
                side,
                quantity,
                price,
                notional,
                event_id(EXCHANGE, symbol, ts, side, px_raw, size_raw),
            )
        )
    return len(data)


def feed(url: str, symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT")) -> Feed:
    """The allLiquidation feed for ``symbols`` on ``url`` (settings.bybit_ws_url); Bybit caps 10 args per request."""
    topics = [f"allLiquidation.{s.upper()}" for s in symbols]
    frames = tuple(json.dumps({"op": "subscribe", "args": topics[i : i + 10]}) for i in range(0, len(topics), 10))
    return Feed(EXCHANGE, FEED, url, frames, normalise, heartbeat=json.dumps({"op": "ping"}))
