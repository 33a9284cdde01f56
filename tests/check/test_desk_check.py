"""desk.check in process: check_text on odd inputs, read_article, render_check."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cryptodesk.core.errors import ConfigError, InputError
from cryptodesk.desk import Desk
from cryptodesk.desk.check import check_text, read_article, render_check

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("Markets were calm.\n\nNothing moved much.", "no quantitative claims"),
        ("Der Bitcoin ist in dieser Woche um mehr als 20% gestiegen, sagen die Händler an der Börse.", "English"),
    ],
)
def test_nothing_to_check(pack_desk: Desk, text: str, needle: str) -> None:
    result = check_text(pack_desk, text, AS_OF, "America/New_York")
    assert result.claims == ()
    assert needle in result.message
    assert needle in render_check(result, "html")
    assert '"claims": []' in render_check(result, "json")


def test_unknown_zone_and_format(pack_desk: Desk) -> None:
    with pytest.raises(ConfigError, match="--tz"):
        check_text(pack_desk, "Bitcoin rose 5% on Tuesday.", AS_OF, "Mars/Olympus")
    result = check_text(pack_desk, "Bitcoin rose 5% on Tuesday.", AS_OF, "UTC")
    with pytest.raises(ConfigError, match="--format"):
        render_check(result, "pdf")


def test_read_article(tmp_path: Path) -> None:
    good = tmp_path / "a.md"
    good.write_text("# Title\n\nBitcoin rose 5%.", encoding="utf-8")
    assert read_article(str(good)).startswith("# Title")
    bad = tmp_path / "b.txt"
    bad.write_bytes(b"\xff\xfe\x00bitcoin")
    with pytest.raises(InputError, match=r"b\.txt: byte 0 is not UTF-8"):
        read_article(str(bad))
    with pytest.raises(InputError, match="no such article file"):
        read_article(str(tmp_path / "missing.txt"))


def test_markdown_and_relative_times_in_another_zone(pack_desk: Desk) -> None:
    """Markdown markup does not hide claims; 'Tuesday' in Tokyo at as_of is the local Tuesday."""
    text = "## Bitcoin\n\n* **Bitcoin** closed Tuesday at about $21,150.\n* Ether rose about 1% on Tuesday."
    result = check_text(pack_desk, text, AS_OF, "Asia/Tokyo")
    assert [c.claim.subject for c in result.claims] == ["bitcoin", "ethereum"]
    assert all(c.window.startswith("2023-01-17") for c in result.claims)


def test_usd_change_and_drawdown_recomputed_from_csv(pack_desk: Desk, data_pack: Path) -> None:
    """A dollar change of the total (TradingView, named) and a drawdown from the record high, from the CSVs."""
    from tests.check.pack_csv import coingecko_closes, tradingview_total, yahoo_rows

    tv = tradingview_total(data_pack)
    delta = tv[date(2023, 1, 17)]["close"] - tv[date(2023, 1, 16)]["close"]
    btc = coingecko_closes(data_pack, "btc")
    peak = max(r["High"] for r in yahoo_rows(data_pack, "BTC").values())
    drawdown = (btc[date(2023, 1, 17)] / peak - 1) * 100
    text = (
        f"The TradingView TOTAL index lost about ${abs(delta) / 1e9:.1f} billion on Tuesday. "
        f"Bitcoin is down about {abs(drawdown):.0f}% from its record high. "
        "Bitcoin is down about 40% from its record high."
    )
    result = check_text(pack_desk, text, AS_OF, "America/New_York")
    assert [c.verdict for c in result.claims] == ["supported", "supported", "contradicted"]
    assert result.claims[0].measured == pytest.approx(delta)
    assert result.claims[1].measured == pytest.approx(drawdown, abs=0.01)


def test_volume_level_recomputed_from_csv(pack_desk: Desk, data_pack: Path) -> None:
    """CoinGecko's total_volume in the 2023-01-18 00:00 snapshot is the volume of 2023-01-17."""
    import csv

    with (data_pack / "daily/coingecko_exports/btc-usd-max.csv").open(newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["snapped_at"].startswith("2023-01-18"))
    volume = float(row["total_volume"])
    text = (
        f"Bitcoin trading volume reached about ${volume / 1e9:.0f} billion on Tuesday. "
        f"Bitcoin trading volume reached about ${volume / 2e9:.0f} billion on Tuesday."
    )
    result = check_text(pack_desk, text, AS_OF, "America/New_York")
    assert [c.verdict for c in result.claims] == ["supported", "contradicted"]
    assert result.claims[0].measured == pytest.approx(volume)
