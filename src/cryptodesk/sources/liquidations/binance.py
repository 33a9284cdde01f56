"""Binance USDⓈ-M futures ``!forceOrder@arr``: every liquidation order on the exchange.

Message (https://developers.binance.com/docs/derivatives/usds-margined-futures/
websocket-market-streams/All-Market-Liquidation-Order-Streams)::

    {"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC",
     "q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}

``S`` is the side of the *liquidation order*: the exchange SELLs to close a
liquidated LONG and BUYs to close a liquidated SHORT. Quantity is the filled
quantity ``z`` (falling back to ``q``) in the base asset; price is the average
fill ``ap`` (falling back to ``p``). The stream pushes at most one order per
symbol per second, so it undercounts in cascades.
"""

from __future__ import annotations

import json
from typing import Any

from cryptodesk.sources.liquidations.base import LONG, SHORT, Feed, LiquidationBuffer, event_id

EXCHANGE = "binance"
FEED = "forceOrder"
STREAM = "!forceOrder@arr"

SIDES: dict[str, str] = {"SELL": LONG, "BUY": SHORT}
"""Liquidation order side -> side of the position liquidated."""


def normalise(message: Any, buffer: LiquidationBuffer) -> int:
    """Append the liquidation in one ``forceOrder`` message (plain or combined-stream wrapped)."""
    if isinstance(message, dict) and "data" in message and "stream" in message:
        message = message["data"]
    if isinstance(message, list):
        return sum(normalise(m, buffer) for m in message)
    if not isinstance(message, dict) or message.get("e") != "forceOrder":
        return 0
    order = message["o"]
    symbol = order["s"]
    qty_raw = order.get("z") or order["q"]
    quantity = float(qty_raw)
    if quantity == 0.0:  # not filled yet: fall back to the order quantity
        qty_raw = order["q"]
        quantity = float(qty_raw)
    px_raw = order.get("ap") or order["p"]
    price = float(px_raw)
    if price == 0.0:
        px_raw = order["p"]
        price = float(px_raw)
    side = SIDES[order["S"]]
    ts = int(order["T"])
    buffer.add(
        (
            ts,
            EXCHANGE,
            symbol,
            symbol,
            side,
            quantity,
            price,
            quantity * price,
            event_id(EXCHANGE, symbol, ts, side, px_raw, qty_raw),
        )
    )
    return 1


def feed(url: str) -> Feed:
    """The all-market liquidation feed on ``url`` (settings.binance_futures_ws_url)."""
    subscribe = json.dumps({"method": "SUBSCRIBE", "params": [STREAM], "id": 1})
    return Feed(EXCHANGE, FEED, url, (subscribe,), normalise)
