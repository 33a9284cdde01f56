"""Per-exchange normalisers: documented examples, side semantics, contract sizes, de-duplication."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cryptodesk.core.assets import AssetRegistry
from cryptodesk.sources.liquidations import binance, bybit
from cryptodesk.sources.liquidations.base import LiquidationBuffer
from cryptodesk.sources.liquidations.okx import Contract, OkxNormaliser

from . import messages as m

NORMALISERS: dict[str, Any] = {
    "binance": (binance.normalise, m.binance),
    "bybit": (bybit.normalise, m.bybit),
    "okx": (OkxNormaliser(m.OKX_CONTRACTS), m.okx),
}


def _rows(normalise: Any, *texts: str) -> list[dict[str, Any]]:
    buf = LiquidationBuffer()
    for t in texts:
        normalise(json.loads(t), buf)
    return buf.take_batch(AssetRegistry.builtin(), "test").frame.to_dicts()


# The response examples printed in each exchange's documentation, verbatim in shape.
DOC_EXAMPLES = [
    (
        binance.normalise,
        {
            "e": "forceOrder",
            "E": 1568014460893,
            "o": {
                "s": "BTCUSDT",
                "S": "SELL",
                "o": "LIMIT",
                "f": "IOC",
                "q": "0.014",
                "p": "9910",
                "ap": "9910",
                "X": "FILLED",
                "l": "0.014",
                "z": "0.014",
                "T": 1568014460893,
            },
        },
        ("BTCUSDT", "long", 0.014, 9910.0, 0.014 * 9910, "bitcoin", 1568014460893),
    ),
    (
        bybit.normalise,
        {
            "topic": "allLiquidation.ROSEUSDT",
            "type": "snapshot",
            "ts": 1739502303204,
            "data": [{"T": 1739502302929, "s": "ROSEUSDT", "S": "Sell", "v": "20000", "p": "0.04499"}],
        },
        ("ROSEUSDT", "short", 20000.0, 0.04499, 20000 * 0.04499, "roseusdt", 1739502302929),
    ),
    (
        OkxNormaliser({"IOST-USDT-SWAP": Contract(1000.0, inverse=False)}),  # ctVal given by the test's table
        {
            "id": "1512",
            "arg": {"channel": "liquidation-orders", "instType": "SWAP"},
            "data": [
                {
                    "details": [
                        {
                            "bkLoss": "0",
                            "bkPx": "0.007831",
                            "ccy": "",
                            "posSide": "short",
                            "side": "buy",
                            "sz": "13",
                            "ts": "1692266434010",
                        }
                    ],
                    "instFamily": "IOST-USDT",
                    "instId": "IOST-USDT-SWAP",
                    "instType": "SWAP",
                    "uly": "IOST-USDT",
                }
            ],
        },
        ("IOST-USDT-SWAP", "short", 13000.0, 0.007831, 13000 * 0.007831, "iost-usdt", 1692266434010),
    ),
]


@pytest.mark.parametrize(("normalise", "message", "expected"), DOC_EXAMPLES, ids=["binance", "bybit", "okx"])
def test_documented_examples(normalise: Any, message: dict[str, Any], expected: tuple[Any, ...]) -> None:
    (row,) = _rows(normalise, json.dumps(message))
    symbol, side, qty, price, notional, asset_id, ms = expected
    assert (row["symbol"], row["side"], row["asset_id"]) == (symbol, side, asset_id)
    assert (row["quantity"], row["price"], row["notional_usd"]) == pytest.approx((qty, price, notional))
    assert row["ts"] == datetime.fromtimestamp(ms / 1000, UTC)


@pytest.mark.parametrize("exchange", ["binance", "bybit", "okx"])
def test_generated_stream_round_trips(exchange: str) -> None:
    normalise, build = NORMALISERS[exchange]
    rows = _rows(normalise, *(build(s) for s in m.SPECS))
    assert len(rows) == len(m.SPECS)
    for row, spec in zip(rows, m.SPECS, strict=True):
        assert row["side"] == spec.side
        assert row["quantity"] == pytest.approx(spec.qty)
        assert row["price"] == pytest.approx(spec.price)
        assert row["notional_usd"] == pytest.approx(spec.notional)
        assert row["asset_id"] == ("bitcoin" if spec.symbol.startswith("BTC") else "ethereum")
        assert row["exchange"] == exchange
        assert row["ts"] == datetime.fromtimestamp(spec.ms / 1000, UTC)
    longs = sum(s.notional for s in m.SPECS if s.side == "long")
    assert sum(r["notional_usd"] for r in rows if r["side"] == "long") == pytest.approx(longs)


def test_okx_net_mode_uses_the_order_side() -> None:
    rows = _rows(OkxNormaliser(m.OKX_CONTRACTS), *(m.okx(s, net_mode=True) for s in m.SPECS[:4]))
    assert [r["side"] for r in rows] == [s.side for s in m.SPECS[:4]]


def test_inverse_contracts_size_in_usd() -> None:
    bybit_msg = {
        "topic": "allLiquidation.BTCUSD",
        "data": [{"T": 1, "s": "BTCUSD", "S": "Buy", "v": "1000", "p": "20000"}],
    }
    okx_msg = {
        "arg": {"channel": "liquidation-orders"},
        "data": [
            {
                "instId": "BTC-USD-SWAP",
                "details": [{"side": "buy", "posSide": "net", "bkPx": "25000", "sz": "3", "ts": "2"}],
            }
        ],
    }
    by = _rows(bybit.normalise, json.dumps(bybit_msg))[0]
    ok = _rows(OkxNormaliser(m.OKX_CONTRACTS), json.dumps(okx_msg))[0]
    assert (by["side"], by["notional_usd"], by["quantity"]) == ("long", 1000.0, pytest.approx(0.05))
    assert (ok["side"], ok["notional_usd"], ok["quantity"]) == ("short", 300.0, pytest.approx(0.012))
    assert by["asset_id"] == ok["asset_id"] == "bitcoin"


def test_okx_unknown_instrument_is_skipped_and_counted() -> None:
    normaliser = OkxNormaliser({})
    buf = LiquidationBuffer()
    assert normaliser(json.loads(m.okx(m.SPECS[1])), buf) == 1
    assert len(buf) == 0
    assert normaliser.unknown == {"BTC-USDT-SWAP": 1}


@pytest.mark.parametrize(
    ("normalise", "message"),
    [
        (binance.normalise, {"result": None, "id": 1}),
        (bybit.normalise, {"success": True, "ret_msg": "pong", "op": "ping"}),
        (bybit.normalise, {"success": True, "ret_msg": "", "conn_id": "x", "op": "subscribe"}),
        (OkxNormaliser(m.OKX_CONTRACTS), {"event": "subscribe", "arg": {"channel": "liquidation-orders"}}),
    ],
)
def test_acks_add_nothing(normalise: Any, message: dict[str, Any]) -> None:
    buf = LiquidationBuffer()
    assert normalise(message, buf) == 0
    assert len(buf) == 0


@pytest.mark.parametrize("exchange", ["binance", "bybit", "okx"])
def test_replayed_messages_are_dropped(exchange: str) -> None:
    normalise, build = NORMALISERS[exchange]
    buf = LiquidationBuffer()
    for s in [*m.SPECS[:5], *m.SPECS[2:7]]:
        normalise(json.loads(build(s)), buf)
    assert len(buf) == 7
    assert buf.duplicates == 3


def test_binance_combined_stream_wrapper() -> None:
    wrapped = json.dumps({"stream": "!forceOrder@arr", "data": json.loads(m.binance(m.SPECS[0]))})
    assert _rows(binance.normalise, wrapped)[0]["side"] == "long"


@pytest.mark.parametrize(
    ("normalise", "message"),
    [
        (binance.normalise, {"e": "forceOrder", "o": {"s": "BTCUSDT", "S": "HOLD", "q": "1", "p": "1", "T": 1}}),
        (bybit.normalise, {"topic": "allLiquidation.BTCUSDT", "data": [{"s": "BTCUSDT", "S": "Buy"}]}),
        (
            OkxNormaliser(m.OKX_CONTRACTS),
            {"arg": {"channel": "liquidation-orders"}, "data": [{"instId": "BTC-USDT-SWAP"}]},
        ),
    ],
)
def test_malformed_messages_raise(normalise: Any, message: dict[str, Any]) -> None:
    with pytest.raises((KeyError, ValueError)):
        normalise(message, LiquidationBuffer())


def test_dedupe_window_is_bounded() -> None:
    buf = LiquidationBuffer(dedupe_window=3)
    rows = [(i, "x", "BTCUSDT", "BTCUSDT", "long", 1.0, 1.0, 1.0, f"id{i}") for i in range(5)]
    for r in rows:
        buf.add(r)
    assert buf.add(rows[0])  # forgotten: outside the window
    assert not buf.add(rows[4])
