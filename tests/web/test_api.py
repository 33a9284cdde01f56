"""The JSON API over the real pack store: values checked against the pack files read independently."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest


def envelope_ok(resp: Any) -> dict[str, Any]:
    """Assert a success envelope and return its data."""
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"ok", "data", "error", "version"}
    assert body["ok"] is True
    assert body["error"] is None
    assert body["version"]
    data: dict[str, Any] = body["data"]
    return data


def tradingview_closes(pack: Path) -> dict[date, float]:
    """Daily closes of CRYPTOCAP:TOTAL straight from the TradingView CSV (bar open time -> UTC day)."""
    (path,) = (pack / "total_market_cap").glob("tradingview_CRYPTOCAP_TOTAL_*.csv")
    with path.open(newline="") as f:
        return {datetime.fromtimestamp(int(r["time"]), UTC).date(): float(r["close"]) for r in csv.DictReader(f)}


@pytest.mark.parametrize("as_of", ["2023-01-18T17:30:00Z", "2022-11-10T12:00:00Z", "2021-06-01T08:00:00Z"])
def test_market_total_is_the_last_closed_index_bar(client: httpx.Client, data_pack: Path, as_of: str) -> None:
    data = envelope_ok(client.get("/api/v1/market", params={"as_of": as_of}))
    moment = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    day = moment.date() - timedelta(days=1)  # the bar of day D closes at D+1 00:00 UTC
    closes = tradingview_closes(data_pack)
    assert data["market"]["date"] == day.isoformat()
    assert data["market"]["total_market_cap"] == pytest.approx(closes[day], rel=1e-9)
    assert data["market"]["changes"]["1d"] == pytest.approx(closes[day] / closes[day - timedelta(days=1)] - 1)
    assert data["headline"]
    caps = [a["market_cap"] or 0 for a in data["assets"]]
    assert caps == sorted(caps, reverse=True)
    assert len(caps) >= 5


def coingecko_export(pack: Path, symbol: str) -> dict[date, float]:
    """Daily prices from a CoinGecko export (snapshot at D 00:00 = close of D-1)."""
    path = pack / "daily" / "coingecko_exports" / f"{symbol}-usd-max.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    key = "snapped_at" if "snapped_at" in rows[0] else "date"
    return {date.fromisoformat(r[key][:10]) - timedelta(days=1): float(r["price"]) for r in rows if r["price"]}


@pytest.mark.parametrize(("asset", "symbol"), [("bitcoin", "btc"), ("ethereum", "eth")])
@pytest.mark.parametrize("day", ["2023-01-17", "2022-12-01"])
def test_series_close_and_sma50(client: httpx.Client, data_pack: Path, asset: str, symbol: str, day: str) -> None:
    as_of = f"{date.fromisoformat(day) + timedelta(days=1)}T12:00:00Z"
    data = envelope_ok(client.get(f"/api/v1/assets/{asset}/series", params={"as_of": as_of}))
    rows = {r["date"]: r for r in data["rows"]}
    assert max(rows) == day  # nothing after as_of
    prices = coingecko_export(data_pack, symbol)
    d = date.fromisoformat(day)
    assert rows[day]["close"] == pytest.approx(prices[d], rel=1e-6)
    window = [rows[(d - timedelta(days=i)).isoformat()]["close"] for i in range(50)]
    assert rows[day]["sma50"] == pytest.approx(sum(window) / 50, rel=1e-9)


def test_series_range_filter(client: httpx.Client) -> None:
    data = envelope_ok(
        client.get(
            "/api/v1/assets/BTC/series", params={"as_of": "2023-01-18", "from": "2023-01-10", "to": "2023-01-12"}
        )
    )
    assert data["subject"] == "bitcoin"
    assert [r["date"] for r in data["rows"]] == ["2023-01-10", "2023-01-11", "2023-01-12"]


def test_events_filter_by_kind_and_subject(client: httpx.Client) -> None:
    every = envelope_ok(client.get("/api/v1/events", params={"from": "2023-01-17", "to": "2023-01-18"}))["events"]
    some = envelope_ok(
        client.get("/api/v1/events", params={"from": "2023-01-17", "to": "2023-01-18", "kind": "extreme"})
    )["events"]
    assert some
    assert all(e["kind"] == "extreme" for e in some)
    assert len(some) == sum(1 for e in every if e["kind"] == "extreme")
    tmc = envelope_ok(
        client.get("/api/v1/events", params={"from": "2023-01-18", "subject": "total_market_cap", "kind": "extreme"})
    )["events"]
    assert [(e["direction"], e["since"]) for e in tmc] == [("high", "2022-11-08")]


@pytest.mark.parametrize("fmt", ["json", "md", "html"])
def test_report_formats(client: httpx.Client, fmt: str) -> None:
    data = envelope_ok(client.get("/api/v1/report", params={"as_of": "2023-01-18T17:30:00Z", "format": fmt}))
    assert data["format"] == fmt
    if fmt == "json":
        assert data["report"]["headline"]
        assert data["report"]["facts"]
        assert data["text"] is None
    else:
        assert data["report"] is None
        assert ("# " if fmt == "md" else "<p>") in data["text"]


def test_health_and_freshness(client: httpx.Client) -> None:
    health = envelope_ok(client.get("/api/v1/health"))
    assert health["status"] == "ok"
    assert health["store_version"]
    rows = envelope_ok(client.get("/api/v1/freshness"))
    tv = [r for r in rows if r["table"] == "global_metrics" and r["source"] == "tradingview"]
    assert tv
    assert tv[0]["latest"].startswith("2023-02-02")


@pytest.mark.parametrize(
    ("path", "params", "status", "parameter"),
    [
        ("/api/v1/market", {"as_of": "yesterday-ish"}, 400, "as_of"),
        ("/api/v1/market", {"as_of": "1850-01-01"}, 400, "as_of"),
        ("/api/v1/market", {"tz": "Mars/Olympus"}, 400, "tz"),
        ("/api/v1/events", {}, 422, "from"),
        ("/api/v1/events", {"from": "2023-13-01"}, 400, "from"),
        ("/api/v1/events", {"from": "2023-01-10", "to": "2023-01-01"}, 400, "to"),
        ("/api/v1/events", {"from": "2023-01-01", "to": "2023-06-01"}, 400, "to"),
        ("/api/v1/events", {"from": "2023-01-01", "at": "25:99"}, 400, "at"),
        ("/api/v1/report", {"format": "pdf"}, 400, "format"),
        ("/api/v1/assets/not-a-coin/series", {}, 404, "asset"),
        ("/api/v1/assets/bitcoin/series", {"from": "2023-02-01", "to": "2023-01-01"}, 400, "to"),
    ],
)
def test_bad_parameters_are_named(
    client: httpx.Client, path: str, params: dict[str, str], status: int, parameter: str
) -> None:
    resp = client.get(path, params=params)
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["ok"] is False
    assert body["data"] is None
    assert body["error"]["parameter"] == parameter
    assert parameter in body["error"]["message"]


def test_unknown_endpoint_and_method_use_the_envelope(client: httpx.Client) -> None:
    for resp, status in ((client.get("/api/v1/nothing"), 404), (client.post("/api/v1/market"), 405)):
        assert resp.status_code == status
        assert resp.json()["ok"] is False
        assert resp.json()["error"]["code"] in ("not_found", "method_not_allowed")


def test_cors_closed_by_default(client: httpx.Client) -> None:
    resp = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in resp.headers


def test_openapi_documents_the_envelope(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/market", "/api/v1/events", "/api/v1/report", "/api/v1/health"} <= set(spec["paths"])
    market = spec["paths"]["/api/v1/market"]["get"]
    assert {"200", "400", "404", "422"} <= set(market["responses"])
