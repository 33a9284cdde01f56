"""OKX v5 ``liquidation-orders`` for SWAP instruments.

Message (https://www.okx.com/docs-v5/en/#public-data-websocket-liquidation-orders-channel)::

    {"arg":{"channel":"liquidation-orders","instType":"SWAP"},
     "data":[{"instId":"IOST-USDT-SWAP","instType":"SWAP","uly":"IOST-USDT","instFamily":"IOST-USDT",
              "details":[{"side":"buy","posSide":"short","bkPx":"0.007831","sz":"13","bkLoss":"0",
                          "ccy":"","ts":"1692266434010"}]}]}

Per OKX's documentation: ``side`` is the liquidation *order* side, ``posSide`` is
``long``/``short`` in hedge mode and ``net`` in net mode, ``bkPx`` the
bankruptcy price and, for FUTURES/SWAP, ``sz`` is in **contracts**. So a
liquidated long shows posSide=long (hedge) or side=sell (net), and a contract is
worth ``ctVal`` units of ``ctValCcy`` (``/api/v5/public/instruments``): the base
asset for linear swaps (BTC-USDT-SWAP: 0.01 BTC), USD for inverse ones
(BTC-USD-SWAP: 100 USD). Instruments without a known contract value are counted
in ``unknown`` and skipped rather than guessed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from cryptodesk.core.errors import PermanentSourceError
from cryptodesk.sources.http import HttpSource, number, require, require_list
from cryptodesk.sources.liquidations.base import LONG, SHORT, Feed, LiquidationBuffer, event_id

EXCHANGE = "okx"
FEED = "liquidation-orders"
REST_URL = "https://www.okx.com"

POS_SIDES: dict[str, str] = {"long": LONG, "short": SHORT}
"""Hedge-mode position side -> side liquidated."""
ORDER_SIDES: dict[str, str] = {"sell": LONG, "buy": SHORT}
"""Net mode (posSide 'net'): the liquidation order sells a long and buys back a short."""


@dataclass(frozen=True)
class Contract:
    """One instrument's contract value."""

    ct_val: float
    inverse: bool
    """True when ``ct_val`` is in USD (inverse swaps), False when in the base asset."""


@dataclass
class OkxNormaliser:
    """Normalises ``liquidation-orders`` messages with a table of contract values."""

    contracts: Mapping[str, Contract]
    unknown: dict[str, int] = field(default_factory=dict)

    def __call__(self, message: Any, buffer: LiquidationBuffer) -> int:
        """Append the liquidations in one message; subscription acks and pongs add nothing."""
        if not isinstance(message, dict) or "data" not in message:
            return 0
        arg = message.get("arg")
        if not isinstance(arg, dict) or arg.get("channel") != FEED:
            return 0
        count = 0
        for entry in message["data"]:
            inst = entry["instId"]
            contract = self.contracts.get(inst)
            details = entry["details"]
            count += len(details)
            if contract is None:
                self.unknown[inst] = self.unknown.get(inst, 0) + len(details)
                continue
            asset_key = inst[:-5] if inst.endswith("-SWAP") else inst
            for d in details:
                sz_raw, px_raw = d["sz"], d["bkPx"]
                price = float(px_raw)
                units = float(sz_raw) * contract.ct_val
                if contract.inverse:
                    notional, quantity = units, (units / price if price else 0.0)
                else:
                    notional, quantity = units * price, units
                side = POS_SIDES.get(d.get("posSide", "")) or ORDER_SIDES[d["side"]]
                ts = int(d["ts"])
                buffer.add(
                    (
                        ts,
                        EXCHANGE,
                        inst,
                        asset_key,
                        side,
                        quantity,
                        price,
                        notional,
                        event_id(EXCHANGE, inst, ts, side, px_raw, sz_raw),
                    )
                )
        return count


def feed(url: str, contracts: Mapping[str, Contract]) -> Feed:
    """The SWAP liquidation-orders feed on ``url`` (settings.okx_ws_url); OKX wants a text ``ping`` every < 30 s."""
    subscribe = json.dumps({"op": "subscribe", "args": [{"channel": FEED, "instType": "SWAP"}]})
    return Feed(EXCHANGE, FEED, url, (subscribe,), OkxNormaliser(contracts), heartbeat="ping")


class OkxInstruments(HttpSource):
    """Reads SWAP contract values from OKX's public ``/api/v5/public/instruments``."""

    name = "okx"

    def __init__(self, base_url: str = REST_URL, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(base_url, rate_per_minute=600.0, burst=5, transport=transport)

    def swap_contracts(self) -> dict[str, Contract]:
        """instId -> contract value for every SWAP instrument."""
        where = "okx /api/v5/public/instruments"
        body = self.get_json("/api/v5/public/instruments", {"instType": "SWAP"})
        if str(require(body, "code", where)) != "0":
            raise PermanentSourceError(f"{where}: OKX error {body.get('code')}: {body.get('msg', '')}")
        out: dict[str, Contract] = {}
        for i, item in enumerate(require_list(require(body, "data", where), where)):
            at = f"{where} data[{i}]"
            inst = require(item, "instId", at)
            ct_val = number(require(item, "ctVal", at), "ctVal", at, nullable=False)
            out[str(inst)] = Contract(ct_val or 0.0, require(item, "ctType", at) == "inverse")
        return out
