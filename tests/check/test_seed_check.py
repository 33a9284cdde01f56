"""The seed article checked against the whole pack as of 2023-01-18 12:30 ET (real data)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from tests.check.pack_csv import change, coingecko_closes, tradingview_total, yahoo_rows

from cryptodesk.check.model import CheckResult
from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.check import check_text, render_check

SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "seed"
AS_OF = datetime(2023, 1, 18, 12, 30, tzinfo=ZoneInfo("America/New_York"))
SCHEMA = Path(__file__).resolve().parents[2] / "src" / "cryptodesk" / "schemas" / "check.schema.json"

EXPECTED = [
    # (fragment, type, verdict)
    ("touches trillion dollar mark", "market_cap_level", "unverifiable: no data"),
    ("rose above $1 trillion on Wednesday morning", "market_cap_level", "unverifiable: no data"),
    ("as high as $21,501", "price_level", "supported"),
    ("up more than 20% from where it traded", "pct_change", "supported"),
    ("roughly 30% so far this year", "pct_change", "supported"),
    ("closer to $21,000", "price_level", "supported"),
    ("low of $796 billion on November 9", "extreme", "unverifiable: ambiguous"),
    ("risen by more than 20%", "pct_change", "supported"),
    ("about 50% lower than where it stood a year ago", "comparison", "supported"),
    ("about 23% over the last month against a 28% gain", "comparison", "contradicted"),
    ("just below $1,600", "price_level", "unverifiable: no data"),
    ("$893 million", "liquidations", "unverifiable: no data"),
    ("$455 million", "liquidations", "unverifiable: no data"),
    ("50-day moving average", "moving_average", "supported"),
    ("pick back up", "volume_trend", "supported"),
]


@pytest.fixture(scope="module")
def seed_result(pack_db: Path) -> CheckResult:
    """The seed article checked once for the module (a read-only desk on the shared pack store)."""
    text = sorted(SEED_DIR.glob("*.txt"))[0].read_text(encoding="utf-8")
    with Desk(load_settings({"db": pack_db}, env={})) as desk:
        return check_text(desk, text, AS_OF, "America/New_York")


def test_every_claim_and_verdict(seed_result: CheckResult) -> None:
    got = [(c.claim.text, c.claim.type, c.verdict) for c in seed_result.claims]
    assert len(got) == len(EXPECTED)
    for (text, kind, verdict), (frag, want_kind, want_verdict) in zip(got, EXPECTED, strict=True):
        assert frag in text
        assert (kind, verdict) == (want_kind, want_verdict), (frag, verdict)


def test_eth_vs_btc_month_recomputed_from_csv(seed_result: CheckResult, data_pack: Path) -> None:
    """ETH outperformed BTC over 30 days, so 'ether ~23% against 28% for bitcoin' is contradicted."""
    btc, eth = coingecko_closes(data_pack, "btc"), coingecko_closes(data_pack, "eth")
    end, start = date(2023, 1, 17), date(2022, 12, 18)
    btc_pct, eth_pct = change(btc, start, end), change(eth, start, end)
    assert eth_pct > btc_pct
    claim = next(c for c in seed_result.claims if c.claim.type == "comparison" and c.claim.versus == "bitcoin")
    assert claim.measured == pytest.approx(eth_pct, abs=0.01)
    assert f"{btc_pct:+.1f}%" in claim.explanation
    assert "reversed" in claim.explanation
    assert abs(eth_pct - 23.0) > 3.0


def test_bitcoin_windows_recomputed_from_csv(seed_result: CheckResult, data_pack: Path) -> None:
    btc = coingecko_closes(data_pack, "btc")
    week = change(btc, date(2023, 1, 10), date(2023, 1, 17))
    ytd = change(btc, date(2022, 12, 31), date(2023, 1, 17))
    by_text = {c.claim.text: c for c in seed_result.claims}
    weekly = next(c for t, c in by_text.items() if "one week ago" in t)
    yearly = next(c for t, c in by_text.items() if "so far this year" in t)
    assert weekly.measured == pytest.approx(week, abs=0.01)
    assert week > 20.0
    assert yearly.measured == pytest.approx(ytd, abs=0.01)
    assert abs(ytd - 30.0) < 3.0


def test_total_market_cap_source_is_named_not_rescaled(seed_result: CheckResult, data_pack: Path) -> None:
    tv = tradingview_total(data_pack)
    low = next(c for c in seed_result.claims if c.claim.type == "extreme")
    assert low.measured == pytest.approx(tv[date(2022, 11, 9)]["low"])  # the store's own value, unscaled
    assert "TradingView" in low.explanation
    assert "8-9%" in low.explanation
    year = next(c for c in seed_result.claims if "a year ago" in c.claim.text)
    assert year.measured == pytest.approx(
        change({d: r["close"] for d, r in tv.items()}, date(2022, 1, 17), date(2023, 1, 17)), abs=0.01
    )
    first = seed_result.claims[1]
    assert "2022-11-07" in first.explanation  # TradingView's last day at or above $1T


def test_no_look_ahead_for_the_day_high(seed_result: CheckResult, data_pack: Path) -> None:
    """Yahoo's ETH high of 2023-01-18 exists in the pack but is only known after the day closes."""
    assert yahoo_rows(data_pack, "ETH")[date(2023, 1, 18)]["High"] > 1590
    eth = next(c for c in seed_result.claims if "just below $1,600" in c.claim.text)
    assert eth.measured is None
    assert "2023-01-18" in eth.explanation


def test_json_matches_schema(seed_result: CheckResult) -> None:
    doc = json.loads(render_check(seed_result, "json"))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    article = seed_result.article
    for c in doc["claims"]:
        assert article[c["start"] : c["end"]] == c["text"]


def test_html_highlights_each_claim_accessibly(seed_result: CheckResult) -> None:
    page = render_check(seed_result, "html")
    assert page.count('tabindex="0"') == len(seed_result.claims)
    assert page.count('role="tooltip"') == len(seed_result.claims)
    assert "v-contradicted" in page
    assert "v-supported" in page
    assert ":focus" in page
