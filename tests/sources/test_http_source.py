"""The HTTP base with other providers' shapes: CoinMarketCap's recorded listing and OKX instruments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cryptodesk.core.errors import PermanentSourceError
from cryptodesk.sources.http import HttpSource, number, require, require_list
from cryptodesk.sources.liquidations.okx import Contract, OkxInstruments

from .servers.http_replay import ReplayServer, body_fault
from .servers.routes import CMC_LISTINGS, cmc_routes, okx_routes


def test_cmc_listing_is_served_and_read_with_the_key_in_a_header(data_pack: Path) -> None:
    recorded = json.loads((data_pack / "fixtures" / CMC_LISTINGS).read_text())
    with ReplayServer(cmc_routes(data_pack)) as server:
        source = HttpSource(server.url, headers={"X-CMC_PRO_API_KEY": "cmc-k"}, secrets=("cmc-k",))
        with source:
            body = source.get_json("/v1/cryptocurrency/listings/latest", {"limit": 100})
        assert server.requests[0].headers["x-cmc_pro_api_key"] == "cmc-k"
    data = require_list(require(body, "data", "cmc"), "cmc data")
    assert len(data) == len(recorded["data"]) == 100
    btc = next(d for d in data if d["symbol"] == "BTC")
    assert number(btc["quote"]["USD"]["price"], "price", "cmc") == pytest.approx(
        next(d for d in recorded["data"] if d["symbol"] == "BTC")["quote"]["USD"]["price"]
    )


INSTRUMENTS = [
    {"instId": "BTC-USDT-SWAP", "ctVal": "0.01", "ctValCcy": "BTC", "ctType": "linear"},
    {"instId": "ETH-USDT-SWAP", "ctVal": "0.1", "ctValCcy": "ETH", "ctType": "linear"},
    {"instId": "BTC-USD-SWAP", "ctVal": "100", "ctValCcy": "USD", "ctType": "inverse"},
]


def test_okx_contract_values() -> None:
    with ReplayServer(okx_routes(INSTRUMENTS)) as server, OkxInstruments(server.url) as source:
        contracts = source.swap_contracts()
    assert contracts == {
        "BTC-USDT-SWAP": Contract(0.01, inverse=False),
        "ETH-USDT-SWAP": Contract(0.1, inverse=False),
        "BTC-USD-SWAP": Contract(100.0, inverse=True),
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"code": "50011", "msg": "Too many requests", "data": []}, "OKX error 50011"),
        ({"code": "0", "data": [{"instId": "BTC-USDT-SWAP", "ctType": "linear"}]}, "missing field 'ctVal'"),
        (
            {"code": "0", "data": [{"instId": "X", "ctVal": "abc", "ctType": "linear"}]},
            "'ctVal' = 'abc' is not a number",
        ),
    ],
)
def test_okx_instrument_errors_name_the_problem(body: dict[str, object], message: str) -> None:
    with ReplayServer(okx_routes(INSTRUMENTS)) as server, OkxInstruments(server.url) as source:
        server.fault("/api/v5/public/instruments", body_fault(json.dumps(body).encode()))
        with pytest.raises(PermanentSourceError, match=message):
            source.swap_contracts()
