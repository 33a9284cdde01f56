"""Acceptance: the seed article's story, written from the data pack alone (2023-01-18 12:30 p.m. ET).

Every expected value is recomputed here from the raw pack files with the csv
module; nothing is hard-coded from the article. Where the pack disagrees with
the article (TradingView TOTAL runs ~9% below CoinGecko's total, so $1 trillion
is not crossed), the test checks that the story says what the data shows.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cryptodesk.desk import Desk
from cryptodesk.writer.render import report_schema, to_json

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def report(pack_db: Path) -> dict[str, Any]:
    from cryptodesk.core.settings import load_settings

    with Desk(load_settings({"db": pack_db}, env={})) as desk:
        return to_json(desk.report(AS_OF, tz="America/New_York"))


def _facts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in report["facts"]}


def _text(report: dict[str, Any]) -> str:
    return report["headline"] + "\n" + "\n".join(p["text"] for p in report["paragraphs"])


def _tv(data_pack: Path) -> dict[date, dict[str, float]]:
    path = next((data_pack / "total_market_cap").glob("tradingview_CRYPTOCAP_TOTAL_*.csv"))
    with path.open() as f:
        return {
            datetime.fromtimestamp(int(r["time"]), UTC).date(): {k: float(r[k]) for k in ("high", "low", "close")}
            for r in csv.DictReader(f)
        }


def _cg_close(data_pack: Path, sym: str) -> dict[date, float]:
    """Close of day D = the CoinGecko export row snapped at D+1 00:00 UTC."""
    with (data_pack / f"daily/coingecko_exports/{sym}-usd-max.csv").open() as f:
        return {
            date.fromisoformat(r["snapped_at"][:10]) - timedelta(days=1): float(r["price"]) for r in csv.DictReader(f)
        }


def test_report_validates_against_the_schema(report: dict[str, Any]) -> None:
    jsonschema.validate(report, report_schema())
    assert report["as_of"].startswith("2023-01-18T17:30")


def test_total_market_cap_highest_since_november_8(report: dict[str, Any], data_pack: Path) -> None:
    tv = _tv(data_pack)
    latest = max(d for d in tv if d < AS_OF.date())  # the Jan 17 bar is the last one closed at 17:30 UTC
    high = tv[latest]["high"]
    since = max(d for d in tv if d < latest and tv[d]["high"] >= high)
    assert (latest, since) == (date(2023, 1, 17), date(2022, 11, 8))
    ev = [e for e in report["events"] if e["kind"] == "extreme" and e["subject"] == "total_market_cap"]
    assert ev, "no extreme event for the total market cap"
    assert ev[0]["direction"] == "high"
    assert ev[0]["since"] == since.isoformat()
    assert ev[0]["value"] == pytest.approx(high)
    assert report["events"][0] is not None
    assert report["events"][0]["subject"] == "total_market_cap", "the story should lead with the market"
    text = _text(report)
    assert "Nov. 8" in text
    assert "TradingView" in text, "the story must name its total-market-cap source"
    assert "$1 trillion" not in text, "the pack's TOTAL series never reaches $1 trillion on Jan 18"


def test_most_recent_swing_low_is_what_the_series_shows(report: dict[str, Any], data_pack: Path) -> None:
    tv = _tv(data_pack)
    facts = _facts(report)
    low_day = date.fromisoformat(facts["market.swing_low.date"]["value"])
    assert facts["market.swing_low.value"]["value"] == pytest.approx(tv[low_day]["low"])
    after = [d for d in tv if low_day < d < AS_OF.date()]
    assert all(tv[d]["low"] > tv[low_day]["low"] for d in after), "a lower low came later"
    assert max(tv[d]["high"] for d in after) >= tv[low_day]["low"] * 1.10, "no 10% rally from the low"
    assert "most recent low" in _text(report)


def test_roughly_half_a_year_earlier(report: dict[str, Any], data_pack: Path) -> None:
    tv = _tv(data_pack)
    change = tv[date(2023, 1, 17)]["close"] / tv[date(2022, 1, 17)]["close"] - 1
    assert -0.6 < change < -0.4
    assert _facts(report)["market.change.1y"]["value"] == pytest.approx(change)
    assert re.search(r"lower than (a year earlier|where it stood a year ago)", _text(report))


def test_bitcoin_intraday_high_and_its_time_in_et(report: dict[str, Any], data_pack: Path) -> None:
    path = next((data_pack / "intraday").glob("binance_usdm_BTCUSDT_1m_*.csv"))
    with path.open() as f:
        bars = [r for r in csv.DictReader(f) if (int(r["close_time"]) + 1) / 1000 <= AS_OF.timestamp()]
    top = max(bars, key=lambda r: float(r["high"]))
    top_time = datetime.fromtimestamp(int(top["open_time"]) / 1000, UTC)
    facts = _facts(report)
    assert facts["bitcoin.intraday.high"]["value"] == pytest.approx(float(top["high"]))
    assert facts["bitcoin.intraday.high_time"]["value"] == top_time.isoformat()
    et = top_time - timedelta(hours=5)
    assert f"{et.hour - 12 if et.hour > 12 else et.hour}:{et.minute:02d} a.m. ET" in _text(report)
    assert "Binance" in _text(report)


def test_bitcoin_week_and_year_to_date(report: dict[str, Any], data_pack: Path) -> None:
    close = _cg_close(data_pack, "btc")
    last = date(2023, 1, 17)
    week = close[last] / close[last - timedelta(days=7)] - 1
    ytd = close[last] / close[date(2022, 12, 31)] - 1
    facts = _facts(report)
    assert facts["bitcoin.change.7d"]["value"] == pytest.approx(week)
    assert facts["bitcoin.change.ytd"]["value"] == pytest.approx(ytd)
    assert week > 0.20
    assert 0.26 < ytd < 0.31


def test_ether_against_bitcoin_over_a_month_as_the_data_shows(report: dict[str, Any], data_pack: Path) -> None:
    last = date(2023, 1, 17)
    btc, eth = _cg_close(data_pack, "btc"), _cg_close(data_pack, "eth")
    b = btc[last] / btc[last - timedelta(days=30)] - 1
    e = eth[last] / eth[last - timedelta(days=30)] - 1
    facts = _facts(report)
    assert facts["bitcoin.change.30d"]["value"] == pytest.approx(b)
    assert facts["ethereum.change.30d"]["value"] == pytest.approx(e)
    assert e > b, "in the pack ether beat bitcoin over the month (the article says the opposite)"
    para = next(p["text"] for p in report["paragraphs"] if "ether (eth-usd)" in p["text"].lower())
    assert "month" in para
    assert re.search(r"against|outpac|outperform", para), para


def test_bitcoin_extreme_above_its_50_day_average(report: dict[str, Any], data_pack: Path) -> None:
    close = _cg_close(data_pack, "btc")
    days = [date(2023, 1, 17) - timedelta(days=i) for i in range(50)]
    window = [close[d] for d in days if d in close]
    assert len(window) == 50
    mean = sum(window) / 50
    sd = (sum((x - mean) ** 2 for x in window) / 49) ** 0.5
    sigma = (close[date(2023, 1, 17)] - mean) / sd
    assert sigma >= 2
    facts = _facts(report)
    assert facts["bitcoin.sma50.value"]["value"] == pytest.approx(mean)
    assert facts["bitcoin.sma50.sigma"]["value"] == pytest.approx(sigma)
    assert "extreme overbought" in _text(report)


def test_volume_picking_up(report: dict[str, Any]) -> None:
    facts = _facts(report)
    assert facts["bitcoin.volume.ratio"]["value"] > 1.2
    assert re.search(r"[Vv]olume", _text(report))


def test_no_liquidation_sentence_and_ledger_marks_them_missing(report: dict[str, Any]) -> None:
    assert "liquidat" not in _text(report).lower()
    missing = [f for f in report["facts"] if f["id"].startswith("liquidations.")]
    assert missing
    assert all(f["value"] is None and f["missing_reason"] for f in missing)


def test_every_number_in_the_text_is_a_ledger_ref(report: dict[str, Any]) -> None:
    ids = {f["id"] for f in report["facts"]}
    for block in [{"text": report["headline"], "refs": report["headline_refs"]}, *report["paragraphs"]]:
        spans = [(r["start"], r["end"]) for r in block["refs"]]
        assert all(r["fact_id"] in ids for r in block["refs"])
        for m in re.finditer(r"\d", block["text"]):
            assert any(s <= m.start() < e for s, e in spans), f"unreferenced digit in: {block['text']!r}"


def test_cli_main_job_writes_the_report(pack_db: Path, tmp_path: Path) -> None:
    from cryptodesk.cli import main

    out = tmp_path / "r.json"
    code = main(
        ["--db", str(pack_db), "report", "--as-of", "2023-01-18T17:30:00Z", "--format", "json", "--out", str(out)]
    )
    assert code == 0
    assert json.loads(out.read_text())["headline"]
