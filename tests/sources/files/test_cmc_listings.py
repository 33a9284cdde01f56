"""CoinMarketCap listings/latest JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from .files_helpers import ErrorRunner, Loader

LISTINGS = "fixtures/coinmarketcap_listings_latest_2022-12-16T1807Z.json"


@pytest.mark.parametrize(
    ("slug", "asset"),
    [
        ("bitcoin", "bitcoin"),
        ("ethereum", "ethereum"),
        ("multi-collateral-dai", "dai"),
        ("polkadot-new", "polkadot"),
        ("unus-sed-leo", "leo-token"),
        ("bitcoin-sv", "bitcoin-cash-sv"),
    ],
)
def test_listing_matches_json(data_pack: Path, load: Loader, slug: str, asset: str) -> None:
    raw = json.loads((data_pack / LISTINGS).read_text())["data"]
    out = load(data_pack / LISTINGS, "coinmarketcap-listings")
    snap = out["snapshots"].frame
    assert snap.height == out["assets"].frame.height == len(raw) == 100
    row = next(r for r in raw if r["slug"] == slug)
    got = snap.filter(pl.col("asset_id") == asset).row(0, named=True)
    usd = row["quote"]["USD"]
    ts = datetime.strptime(usd["last_updated"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert got["ts"] == ts
    assert (got["price"], got["market_cap"], got["volume_24h"]) == (usd["price"], usd["market_cap"], usd["volume_24h"])
    assert got["rank"] == row["cmc_rank"]
    assert got["circulating_supply"] == row["circulating_supply"]
    assert got["source"] == "coinmarketcap"


def test_unknown_coins_keep_their_slug(data_pack: Path, load: Loader) -> None:
    from cryptodesk.core.assets import AssetRegistry

    raw = json.loads((data_pack / LISTINGS).read_text())["data"]
    reg = AssetRegistry.builtin()
    unknown = [r["slug"] for r in raw if not any(reg.resolve(r[k]) for k in ("slug", "symbol", "name"))]
    assert unknown
    ids = set(load(data_pack / LISTINGS, "coinmarketcap-listings")["snapshots"].frame.get_column("asset_id"))
    assert set(unknown) <= ids


def test_two_listings_with_one_ticker_do_not_collide(load: Loader, tmp_path: Path) -> None:
    def listing(slug: str, rank: int) -> dict[str, object]:
        quote = {
            "USD": {"price": 1.0, "market_cap": 2.0, "volume_24h": 3.0, "last_updated": "2022-12-16T18:05:00.000Z"}
        }
        return {"slug": slug, "symbol": "LUNA", "name": slug, "cmc_rank": rank, "quote": quote}

    doc = {"status": {"error_code": 0}, "data": [listing("terra-luna-v2", 1), listing("other-luna", 2)]}
    snap = load(tmp_path / "l.json", "coinmarketcap-listings", data=json.dumps(doc).encode())["snapshots"].frame
    assert snap.get_column("asset_id").to_list() == ["terra-luna", "other-luna"]


def _doc(**change: object) -> str:
    quote = {"USD": {"price": 1.0, "market_cap": 2.0, "volume_24h": 3.0, "last_updated": "2022-12-16T18:05:00.000Z"}}
    good = {"slug": "bitcoin", "symbol": "BTC", "name": "Bitcoin", "cmc_rank": 1, "quote": quote}
    return json.dumps({"status": {"error_code": 0}, "data": [good, {**good, "slug": "ethereum", **change}]})


@pytest.mark.parametrize(
    ("content", "column"),
    [
        (_doc(quote={"USD": {"price": "n/a", "last_updated": "2022-12-16T18:05:00Z"}}), "quote.USD.price"),
        (_doc(quote={"USD": {"price": 1.0}}), "quote.USD.last_updated"),
        (_doc(quote={"EUR": {}}), "quote.USD"),
        (_doc(cmc_rank=1.5), "cmc_rank"),
        (_doc(slug=None), "slug"),
    ],
)
def test_corrupted_listing_names_entry_and_field(parse_error: ErrorRunner, content: str, column: str) -> None:
    err = parse_error("coinmarketcap-listings", content, name="bad.json")
    assert err.column == column
    assert "entry 2" in str(err)


def test_truncated_and_wrong_shape(parse_error: ErrorRunner, data_pack: Path) -> None:
    text = (data_pack / LISTINGS).read_text()
    line = parse_error("coinmarketcap-listings", text[:5000], name="cut.json").line
    assert line is not None
    assert text[:5000].count("\n") <= line <= text[:5000].count("\n") + 1  # the cut is on the last line
    assert "'data'" in str(parse_error("coinmarketcap-listings", '{"status": {}, "data": {}}', name="x.json"))
