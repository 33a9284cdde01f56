"""CoinGecko API JSON formats: /coins/markets, market_chart, /global and /coins/{id}."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from .files_helpers import ErrorRunner, Loader

FIX = "fixtures"
MARKETS = f"{FIX}/coingecko_coins_markets_usd_top100_2023-01-16T0329Z.json"
CHART = f"{FIX}/coingecko_bitcoin_market_chart_usd_days60_hourly_2022-11-20_2023-01-19.json"
GLOBAL = f"{FIX}/coingecko_global_2023-01-26T0045Z.json"
COIN = f"{FIX}/coingecko_coins_bitcoin_2023-01-16T1300Z.json"


def iso(text: str) -> datetime:
    """An ISO time with Z as an aware UTC datetime (independent of the parser under test)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@pytest.mark.parametrize("coin_id", ["bitcoin", "ethereum", "tether", "dogecoin"])
def test_markets_matches_json(data_pack: Path, load: Loader, coin_id: str) -> None:
    raw = json.loads((data_pack / MARKETS).read_text())
    out = load(data_pack / MARKETS, "coingecko-markets")
    snap, assets = out["snapshots"].frame, out["assets"].frame
    assert snap.height == assets.height == len(raw) == 100
    row = next(r for r in raw if r["id"] == coin_id)
    got = snap.filter(pl.col("asset_id") == coin_id).row(0, named=True)
    assert got["ts"] == iso(row["last_updated"])
    assert got["price"] == pytest.approx(row["current_price"])
    assert got["market_cap"] == pytest.approx(row["market_cap"])
    assert got["volume_24h"] == pytest.approx(row["total_volume"])
    assert got["rank"] == row["market_cap_rank"]
    assert got["source"] == "coingecko"
    a = assets.filter(pl.col("asset_id") == coin_id).row(0, named=True)
    assert (a["symbol"], a["name"]) == (row["symbol"].upper(), row["name"])


def test_markets_top100_sum(data_pack: Path, load: Loader) -> None:
    snap = load(data_pack / MARKETS, "coingecko-markets")["snapshots"].frame
    raw = json.loads((data_pack / MARKETS).read_text())
    assert snap.get_column("market_cap").sum() == pytest.approx(sum(r["market_cap"] or 0 for r in raw))


def test_market_chart_matches_json(data_pack: Path, load: Loader) -> None:
    raw = json.loads((data_pack / CHART).read_text())
    snap = load(data_pack / CHART, "coingecko-market-chart")["snapshots"].frame
    assert snap.height == len(raw["prices"]) == 1445
    assert set(snap.get_column("asset_id")) == {"bitcoin"}
    for i in (0, 500, 1000, 1444):
        ts = datetime.fromtimestamp(raw["prices"][i][0] / 1000, tz=UTC)
        got = snap.filter(pl.col("ts") == ts).row(0, named=True)
        assert got["price"] == raw["prices"][i][1]
        assert got["market_cap"] == raw["market_caps"][i][1]
        assert got["volume_24h"] == raw["total_volumes"][i][1]


def test_market_chart_needs_asset(data_pack: Path, load: Loader, tmp_path: Path) -> None:
    from cryptodesk.core.errors import ParseError

    data = (data_pack / CHART).read_bytes()
    with pytest.raises(ParseError, match="--asset"):
        load(tmp_path / "chart.json", "coingecko-market-chart", data=data)
    snap = load(tmp_path / "chart.json", "coingecko-market-chart", asset_hint="ethereum", data=data)["snapshots"]
    assert set(snap.frame.get_column("asset_id")) == {"ethereum"}


def test_global_matches_json(data_pack: Path, load: Loader) -> None:
    raw = json.loads((data_pack / GLOBAL).read_text())["data"]
    row = load(data_pack / GLOBAL, "coingecko-global")["global_metrics"].frame.row(0, named=True)
    assert row["interval"] == "snapshot"
    assert row["ts"] == datetime.fromtimestamp(raw["updated_at"], tz=UTC)
    assert row["ts"].strftime("%Y-%m-%d %H:%M") == "2023-01-26 00:45"
    assert row["total_market_cap"] == pytest.approx(1.0890e12, rel=1e-4)
    assert row["total_volume"] == raw["total_volume"]["usd"]
    assert row["btc_dominance"] == pytest.approx(40.93, abs=0.01)
    assert row["eth_dominance"] == raw["market_cap_percentage"]["eth"]
    assert row["active_assets"] == raw["active_cryptocurrencies"]


def test_coin_matches_json(data_pack: Path, load: Loader) -> None:
    raw = json.loads((data_pack / COIN).read_text())
    out = load(data_pack / COIN, "coingecko-coin")
    assert out["assets"].frame.row(0, named=True)["symbol"] == "BTC"
    snap = out["snapshots"].frame.row(0, named=True)
    md = raw["market_data"]
    assert snap["ts"] == iso(md["last_updated"])
    assert snap["price"] == md["current_price"]["usd"] == 20789
    assert snap["market_cap"] == md["market_cap"]["usd"]
    assert snap["circulating_supply"] == md["circulating_supply"]


def test_coin_without_market_data_gives_only_assets(load: Loader, tmp_path: Path) -> None:
    doc = {"id": "bitcoin", "symbol": "btc", "name": "Bitcoin", "asset_platform_id": None}
    out = load(tmp_path / "c.json", "coingecko-coin", data=json.dumps(doc).encode())
    assert list(out) == ["assets"]


def _markets(**change: object) -> str:
    good = {"id": "bitcoin", "symbol": "btc", "name": "Bitcoin", "current_price": 1, "market_cap": 2}
    good |= {"market_cap_rank": 1, "total_volume": 3, "last_updated": "2023-01-16T03:29:01.058Z"}
    return json.dumps([good, {**good, "id": "ethereum", **change}])


@pytest.mark.parametrize(
    ("fmt", "content", "column", "where"),
    [
        ("coingecko-markets", _markets(current_price="abc"), "current_price", "entry 2 (ethereum)"),
        ("coingecko-markets", _markets(last_updated="yesterday"), "last_updated", "entry 2"),
        ("coingecko-markets", _markets(last_updated=None), "last_updated", "entry 2"),
        ("coingecko-markets", _markets(id=None), "id", "entry 2"),
        ("coingecko-market-chart", '{"prices": [[1668978014406, 1.0], [1668978014407, "x"]]}', "prices", "entry 2"),
        ("coingecko-market-chart", '{"prices": [[1668978014406, 1.0], [1668978014407]]}', "prices", "entry 2"),
        (
            "coingecko-global",
            '{"data": {"total_market_cap": {"usd": "big"}, "updated_at": 1}}',
            "data.total_market_cap.usd",
            "",
        ),
        ("coingecko-global", '{"data": {"total_market_cap": {"usd": 1}}}', "data.updated_at", ""),
        ("coingecko-coin", '{"id": "x", "market_data": {"current_price": {"usd": 1}}}', "market_data.last_updated", ""),
    ],
)
def test_corrupted_json_names_entry_and_field(
    parse_error: ErrorRunner, fmt: str, content: str, column: str, where: str
) -> None:
    err = parse_error(fmt, content, name="bad.json")
    assert err.column == column
    assert where in str(err)


@pytest.mark.parametrize("fmt", ["coingecko-markets", "coingecko-market-chart", "coingecko-global", "coingecko-coin"])
def test_truncated_or_garbage_json(parse_error: ErrorRunner, data_pack: Path, fmt: str) -> None:
    src = {"coingecko-markets": MARKETS, "coingecko-market-chart": CHART, "coingecko-global": GLOBAL}
    src["coingecko-coin"] = COIN
    text = (data_pack / src[fmt]).read_text()
    err = parse_error(fmt, text[: len(text) // 2], name="cut.json")
    assert err.line is not None
    assert "invalid JSON" in str(err)
    assert "expected" in str(parse_error(fmt, "[1, 2]" if fmt != "coingecko-markets" else "{}", name="g.json"))
