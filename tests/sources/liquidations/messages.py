"""Liquidation messages in each exchange's documented websocket format, built from plain specs.

A spec is (symbol, position side liquidated, base quantity, price, ms). The
builders apply each exchange's documented convention *independently* of the
code under test: Binance sends the liquidation ORDER side (SELL closes a long),
Bybit the POSITION side (Buy = a long was liquidated), OKX both ``side`` and
``posSide`` with ``sz`` in contracts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptodesk.sources.liquidations.okx import Contract


@dataclass(frozen=True)
class Spec:
    symbol: str
    side: str  # 'long' or 'short': the position liquidated
    qty: float  # base asset
    price: float
    ms: int

    @property
    def notional(self) -> float:
        return self.qty * self.price


T0 = 1_674_050_400_000  # 2023-01-18 14:00 UTC
SPECS = [
    Spec(
        "BTCUSDT" if i % 3 else "ETHUSDT",
        "long" if i % 2 == 0 else "short",
        round(0.01 * (i + 1), 2),
        21_000.0 + 10 * i if i % 3 else 1_550.0 + i,
        T0 + 1_000 * i,
    )
    for i in range(12)
]
OKX_CONTRACTS = {
    "BTC-USDT-SWAP": Contract(0.01, inverse=False),
    "ETH-USDT-SWAP": Contract(0.1, inverse=False),
    "BTC-USD-SWAP": Contract(100.0, inverse=True),
}


def _num(x: float) -> str:
    return f"{x:.8f}".rstrip("0").rstrip(".")


def binance(spec: Spec) -> str:
    order_side = "SELL" if spec.side == "long" else "BUY"
    q, p = _num(spec.qty), _num(spec.price)
    return json.dumps(
        {
            "e": "forceOrder",
            "E": spec.ms + 3,
            "o": {
                "s": spec.symbol,
                "S": order_side,
                "o": "LIMIT",
                "f": "IOC",
                "q": q,
                "p": p,
                "ap": p,
                "X": "FILLED",
                "l": q,
                "z": q,
                "T": spec.ms,
            },
        }
    )


def bybit(spec: Spec) -> str:
    position_side = "Buy" if spec.side == "long" else "Sell"
    return json.dumps(
        {
            "topic": f"allLiquidation.{spec.symbol}",
            "type": "snapshot",
            "ts": spec.ms + 5,
            "data": [{"T": spec.ms, "s": spec.symbol, "S": position_side, "v": _num(spec.qty), "p": _num(spec.price)}],
        }
    )


def okx_inst(symbol: str) -> str:
    return symbol.replace("USDT", "") + "-USDT-SWAP"


def okx(spec: Spec, *, net_mode: bool = False) -> str:
    inst = okx_inst(spec.symbol)
    contracts = spec.qty / OKX_CONTRACTS[inst].ct_val
    detail = {
        "side": "sell" if spec.side == "long" else "buy",
        "posSide": "net" if net_mode else spec.side,
        "bkPx": _num(spec.price),
        "sz": _num(round(contracts, 6)),
        "bkLoss": "0",
        "ccy": "",
        "ts": str(spec.ms),
    }
    return json.dumps(
        {
            "arg": {"channel": "liquidation-orders", "instType": "SWAP"},
            "data": [
                {"details": [detail], "instFamily": inst[:-5], "instId": inst, "instType": "SWAP", "uly": inst[:-5]}
            ],
        }
    )
