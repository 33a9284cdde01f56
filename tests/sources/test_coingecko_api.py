"""CoinGecko client against the pack's recorded responses replayed on 127.0.0.1."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.core.errors import ConfigError, PermanentSourceError
from cryptodesk.core.settings import load_settings
from cryptodesk.sources.coingecko import DEMO, KEYLESS, PRO, CoinGecko

from .conftest import FakeTime
from .servers.http_replay import ReplayServer, status_fault
from .servers.routes import CG, GLOBAL, MARKETS, coingecko_routes


def _fixture(pack: Path, name: str) -> object:
    return json.loads((pack / "fixtures" / name).read_text())


def _client(server: ReplayServer, t: FakeTime, **kw: object) -> CoinGecko:
    return CoinGecko(server.url + CG, sleep=t.sleep, timer=t.clock, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("coin_id", ["bitcoin", "ethereum", "tether", "dogecoin", "polkadot"])
def test_markets_snapshot_matches_the_recorded_response(
    coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime, coin_id: str
) -> None:
    recorded = {c["id"]: c for c in _fixture(data_pack, MARKETS)}  # type: ignore[union-attr]
    with _client(coingecko_server, fake_time) as client:
        snapshots, assets = client.markets(100)
    row = snapshots.frame.filter(pl.col("asset_id") == coin_id).row(0, named=True)
    coin = recorded[coin_id]
    assert row["price"] == pytest.approx(coin["current_price"])
    assert row["market_cap"] == pytest.approx(coin["market_cap"])
    assert row["volume_24h"] == pytest.approx(coin["total_volume"])
    assert row["rank"] == coin["market_cap_rank"]
    assert row["ts"] == datetime.strptime(coin["last_updated"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert row["source"] == "coingecko"
    asset = assets.frame.filter(pl.col("asset_id") == coin_id).row(0, named=True)
    assert (asset["symbol"], asset["name"]) == (coin["symbol"].upper(), coin["name"])


def test_markets_total_and_paging(coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime) -> None:
    recorded = _fixture(data_pack, MARKETS)
    with _client(coingecko_server, fake_time) as client:
        snapshots, _ = client.markets(100)
        assert snapshots.frame.height == 100
        assert snapshots.frame["market_cap"].sum() == pytest.approx(sum(c["market_cap"] or 0 for c in recorded))  # type: ignore[union-attr]
        top = client.markets(70, per_page=25)[0].frame
    assert top["asset_id"].to_list() == [c["id"] for c in recorded[:70]]  # type: ignore[index]
    pages = [(r.query["page"], r.query["per_page"]) for r in coingecko_server.hits(f"{CG}/coins/markets")]
    assert pages == [("1", "250"), ("1", "25"), ("2", "25"), ("3", "25")]


def test_keyless_rate_limit_spaces_requests(coingecko_server: ReplayServer, fake_time: FakeTime) -> None:
    with _client(coingecko_server, fake_time, plan=KEYLESS) as client:
        client.markets(75, per_page=25)
    assert fake_time.sleeps == pytest.approx([12.0, 12.0])  # 5/min keyless
    assert "x-cg-demo-api-key" not in coingecko_server.requests[0].headers


def test_global_snapshot(coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime) -> None:
    data = _fixture(data_pack, GLOBAL)["data"]  # type: ignore[index]
    with _client(coingecko_server, fake_time) as client:
        row = client.global_snapshot().frame.row(0, named=True)
    assert row["interval"] == "snapshot"
    assert row["ts"] == datetime(2023, 1, 26, 0, 45, 29, tzinfo=UTC)
    assert row["total_market_cap"] == pytest.approx(data["total_market_cap"]["usd"])
    assert row["total_market_cap"] == pytest.approx(1.089e12, rel=1e-3)
    assert row["btc_dominance"] == pytest.approx(40.93, abs=0.01)
    assert row["eth_dominance"] == pytest.approx(data["market_cap_percentage"]["eth"])
    assert row["active_assets"] == 12425


def _hourly_csv(pack: Path) -> list[tuple[datetime, float]]:
    with (pack / "intraday" / "coingecko_bitcoin_hourly_2022-11-20_2023-01-19.csv").open() as fh:
        return [
            (datetime.fromtimestamp(int(r["timestamp_ms"]) / 1000, UTC), float(r["price"])) for r in csv.DictReader(fh)
        ]


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (datetime(2023, 1, 18, tzinfo=UTC), datetime(2023, 1, 19, tzinfo=UTC)),
        (datetime(2022, 12, 1, 6, tzinfo=UTC), datetime(2022, 12, 3, tzinfo=UTC)),
        (datetime(2023, 1, 10, 13, 30, tzinfo=UTC), datetime(2023, 1, 11, 2, tzinfo=UTC)),
    ],
)
def test_market_chart_range_returns_only_points_after_since(
    coingecko_server: ReplayServer, data_pack: Path, fake_time: FakeTime, since: datetime, until: datetime
) -> None:
    expected = [(ts, p) for ts, p in _hourly_csv(data_pack) if since < ts <= until]
    with _client(coingecko_server, fake_time) as client:
        frame = client.market_chart("bitcoin", since, until).frame
    assert list(zip(frame["ts"].to_list(), frame["price"].to_list(), strict=True)) == [
        (ts, pytest.approx(p)) for ts, p in expected
    ]
    assert set(frame["asset_id"]) == {"bitcoin"}
    hit = coingecko_server.hits(f"{CG}/coins/bitcoin/market_chart/range")[0]
    assert (int(hit.query["from"]), int(hit.query["to"])) == (int(since.timestamp()), int(until.timestamp()))


def test_market_chart_resumes_from_last_stored(coingecko_server: ReplayServer, fake_time: FakeTime) -> None:
    until = datetime(2023, 1, 19, tzinfo=UTC)
    with _client(coingecko_server, fake_time) as client:
        first = client.market_chart("bitcoin", datetime(2023, 1, 17, tzinfo=UTC), until).frame
        last = first["ts"].max()
        again = client.market_chart("bitcoin", last, until).frame  # type: ignore[arg-type]
    assert first.height > 40
    assert again.height == 0
    at = first.filter(pl.col("ts") == datetime(2023, 1, 18, 14, 0, 41, 832000, tzinfo=UTC))
    assert at["price"].to_list() == [pytest.approx(21434.2, abs=0.05)]  # SOURCES.md sanity value


@pytest.mark.parametrize("window_days", [1, 2, 90])
def test_market_chart_windows_give_the_same_points(
    coingecko_server: ReplayServer, fake_time: FakeTime, window_days: int
) -> None:
    since, until = datetime(2023, 1, 12, 5, tzinfo=UTC), datetime(2023, 1, 16, 5, tzinfo=UTC)
    with _client(coingecko_server, fake_time) as client:
        whole = client.market_chart("bitcoin", since, until).frame
        split = client.market_chart("bitcoin", since, until, window_days=window_days).frame
    assert split.equals(whole)
    assert whole.height > 90
    assert len(coingecko_server.hits(f"{CG}/coins/bitcoin/market_chart/range")) == 1 + -(-4 // window_days)


def test_beyond_plan_history_says_what_the_key_allows(coingecko_server: ReplayServer, fake_time: FakeTime) -> None:
    body = {"error": {"status": {"error_code": 10012, "error_message": "Your request exceeds the allowed time range."}}}
    coingecko_server.fault(f"{CG}/coins/bitcoin/market_chart/range", status_fault(401, json.dumps(body).encode()))
    with (
        _client(coingecko_server, fake_time, plan=DEMO, api_key="demo-key") as client,
        pytest.raises(PermanentSourceError) as e,
    ):
        client.market_chart("bitcoin", datetime(2019, 1, 1, tzinfo=UTC), datetime(2023, 1, 19, tzinfo=UTC))
    assert "Demo plan" in str(e.value)
    assert "last 365 days" in str(e.value)
    assert "10012" in str(e.value)
    assert "demo-key" not in str(e.value)


def test_pro_global_history(data_pack: Path, fake_time: FakeTime) -> None:
    # Synthetic chart in the documented shape (the pack has no recorded /global/market_cap_chart response).
    day = 86_400_000
    t0 = 1_673_913_600_000  # 2023-01-17 00:00 UTC
    chart = {
        "market_cap_chart": {
            "market_cap": [[t0 + i * day, 1e12 + i] for i in range(4)],
            "volume": [[t0 + i * day, 5e10 + i] for i in range(4)],
        }
    }
    with ReplayServer(coingecko_routes(data_pack, global_chart=chart)) as server:
        settings = load_settings(
            env={"CRYPTODESK_COINGECKO_PRO_BASE_URL": server.url + CG, "CRYPTODESK_COINGECKO_PRO_API_KEY": "pro-k"},
            config_path=Path("/nonexistent.toml"),
        )
        with CoinGecko.from_settings(
            settings, sleep=fake_time.sleep, timer=fake_time.clock, clock=lambda: datetime(2023, 1, 20, 12, tzinfo=UTC)
        ) as client:
            assert client.plan is PRO
            frame = client.global_history(since=datetime(2023, 1, 18, tzinfo=UTC)).frame
        hit = server.hits(f"{CG}/global/market_cap_chart")[0]
    assert hit.headers["x-cg-pro-api-key"] == "pro-k"
    assert hit.query["days"] == "4"
    assert frame["ts"].to_list() == [datetime(2023, 1, 19, tzinfo=UTC), datetime(2023, 1, 20, tzinfo=UTC)]
    assert frame["total_market_cap"].to_list() == [1e12 + 2, 1e12 + 3]
    assert frame["total_volume"].to_list() == [5e10 + 2, 5e10 + 3]


def test_global_history_needs_a_paid_plan(coingecko_server: ReplayServer, fake_time: FakeTime) -> None:
    with _client(coingecko_server, fake_time, plan=DEMO, api_key="k") as client, pytest.raises(ConfigError) as e:
        client.global_history()
    assert e.value.parameter == "coingecko_pro_api_key"
    assert not coingecko_server.requests


def test_demo_key_from_settings(coingecko_server: ReplayServer, fake_time: FakeTime) -> None:
    env = {"CRYPTODESK_COINGECKO_BASE_URL": coingecko_server.url + CG, "CRYPTODESK_COINGECKO_API_KEY": "demo-123"}
    settings = load_settings(env=env, config_path=Path("/nonexistent.toml"))
    with CoinGecko.from_settings(settings, sleep=fake_time.sleep, timer=fake_time.clock) as client:
        assert client.plan is DEMO
        client.global_snapshot()
    assert coingecko_server.requests[0].headers["x-cg-demo-api-key"] == "demo-123"


@pytest.mark.live
def test_live_global_snapshot() -> None:
    with CoinGecko("https://api.coingecko.com/api/v3") as client:
        row = client.global_snapshot().frame.row(0, named=True)
    assert row["total_market_cap"] > 1e11
