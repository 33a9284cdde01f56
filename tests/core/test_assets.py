"""The asset registry resolves names, symbols and tickers to CoinGecko ids."""

from __future__ import annotations

import pytest

from cryptodesk.core.assets import AssetInfo, AssetRegistry


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("bitcoin", "bitcoin"),
        ("Bitcoin", "bitcoin"),
        ("BTC", "bitcoin"),
        ("btc", "bitcoin"),
        ("BTC-USD", "bitcoin"),
        ("BTCUSDT", "bitcoin"),
        ("BTC/USDT", "bitcoin"),
        ("BTC/USDT:USDT", "bitcoin"),
        ("XBT", "bitcoin"),
        ("ether", "ethereum"),
        ("ETH-USD", "ethereum"),
        ("ETHUSDT", "ethereum"),
        ("SOL-USD", "solana"),
        ("USDT", "tether"),
        ("USDC-USD", "usd-coin"),
        ("^SPX", "sp500"),
        ("^GSPC", "sp500"),
        ("CRYPTOCAP:TOTAL", "total_market_cap"),
        ("no-such-coin", None),
        ("", None),
        ("USD", None),
    ],
)
def test_resolve(token: str, expected: str | None) -> None:
    assert AssetRegistry.builtin().resolve(token) == expected


def test_learned_assets_do_not_override_builtins() -> None:
    reg = AssetRegistry.builtin()
    reg.learn(AssetInfo("bitcoin-fork", "BTC", "Bitcoin Fork", "crypto"))
    assert reg.resolve("BTC") == "bitcoin"
    assert reg.resolve("Bitcoin Fork") == "bitcoin-fork"
    assert reg.get("bitcoin-fork") is not None


def test_info_for_unknown_id_is_plain() -> None:
    info = AssetRegistry.builtin().info("some-new-coin")
    assert (info.asset_id, info.symbol) == ("some-new-coin", "SOME-NEW-COIN")
