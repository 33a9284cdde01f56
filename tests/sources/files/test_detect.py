"""Content-based detection: every pack file is claimed by exactly one format, whatever its name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cryptodesk.core.errors import UnknownFormatError
from cryptodesk.sources.base import detect, head_text, read_bytes
from cryptodesk.sources.files import builtin_formats, format_by_name

# pack file (glob relative to the pack) -> the format that must claim it
EXPECTED: dict[str, str] = {
    "daily/coingecko_exports/*.csv": "coingecko-export",
    "daily/coingecko_exports_partial_to_2022-09-14/*.csv": "coingecko-export",
    "daily/coingecko_price_only/*.csv": "coingecko-export",
    "daily/coingecko_daily_long_all_symbols.csv.gz": "coingecko-long",
    "daily/coingecko_all_coins_2021/*.csv.gz": "coingecko-allcoins",
    "intraday/coingecko_bitcoin_hourly_*.csv": "coingecko-hourly",
    "fixtures/coingecko_coins_markets_*.json": "coingecko-markets",
    "fixtures/coingecko_bitcoin_market_chart_*.json": "coingecko-market-chart",
    "fixtures/coingecko_global_*.json": "coingecko-global",
    "fixtures/coingecko_coins_bitcoin_*.json": "coingecko-coin",
    "fixtures/coinmarketcap_listings_*.json": "coinmarketcap-listings",
    "daily/yahoo_crypto_ohlcv/*.csv": "yahoo-daily",
    "equities_macro/*.csv": "yahoo-daily",
    "total_market_cap/*.csv": "tradingview",
    "intraday/binance_usdm_*.csv": "binance-klines",
    "macro_calendar/*.csv": "macro-calendar",
    "weekly_snapshots/*.csv": "coinmarketcap-weekly-csv",
    "weekly_snapshots/*.json.gz": "coinmarketcap-weekly-json",
}


def pack_files(pack: Path) -> list[tuple[Path, str]]:
    """Every (file, expected format) pair of the pack."""
    out = [(p, fmt) for pattern, fmt in EXPECTED.items() for p in sorted(pack.glob(pattern))]
    assert out
    return out


def test_every_pack_file_has_an_expected_format(data_pack: Path) -> None:
    listed = {p for p, _ in pack_files(data_pack)}
    files = {p for p in data_pack.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    assert files == listed


def test_every_pack_file_is_claimed_by_exactly_one_format(data_pack: Path) -> None:
    formats = builtin_formats()
    for path, expected in pack_files(data_pack):
        data = read_bytes(path)
        head = head_text(data)
        claimers = [f.name for f in formats if f.sniff(head)]
        assert claimers == [expected], path
        assert detect(formats, data, path).name == expected


def test_detection_ignores_the_file_name(data_pack: Path, tmp_path: Path) -> None:
    for n, (path, expected) in enumerate(pack_files(data_pack)):
        renamed = tmp_path / f"file{n}.dat"
        shutil.copyfile(path, renamed)
        assert detect(builtin_formats(), read_bytes(renamed), renamed).name == expected, path


def test_format_names_are_unique_and_resolvable() -> None:
    names = [f.name for f in builtin_formats()]
    assert len(names) == len(set(names))
    for name in names:
        assert format_by_name(name).name == name
    assert all(f.source and f.tables and f.description for f in builtin_formats())


CMC_GLOBAL = b'{"status": {"credit_count": 1}, "data": {"active_cryptocurrencies": 9000, "quote": {"USD": {}}}}'


@pytest.mark.parametrize(
    "content", [b"hello world\n", b"a,b,c\n1,2,3\n", b"\x00\x01\x02binary", b"{}", b"[]", CMC_GLOBAL, b"date,open\n"]
)
def test_unrelated_content_matches_nothing(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(UnknownFormatError):
        detect(builtin_formats(), content, tmp_path / "x.csv")


def test_unknown_format_name_is_a_config_error() -> None:
    from cryptodesk.core.errors import ConfigError

    with pytest.raises(ConfigError, match="coingecko-export"):
        format_by_name("no-such-format")


def test_whole_pack_parses_fast_and_clean(data_pack: Path) -> None:
    """Every pack file goes through detect -> load (as the desk calls it); all of it well under 5 s."""
    import time

    from cryptodesk.core.assets import AssetRegistry
    from cryptodesk.sources.base import ParseContext

    registry = AssetRegistry.builtin()
    rows = 0
    started = time.perf_counter()
    for path, _ in pack_files(data_pack):
        data = read_bytes(path)
        batches = detect(builtin_formats(), data, path).load(data, ParseContext(path, registry))
        assert batches, path
        rows += sum(b.frame.height for b in batches)
    elapsed = time.perf_counter() - started
    assert rows > 400_000
    assert elapsed < 5.0, f"the pack took {elapsed:.2f} s to parse"


EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ((EXAMPLES / "crypto-events.csv").read_bytes(), "crypto-calendar"),
        (b"2022-11-08,FTX halts withdrawals\n", "crypto-calendar"),
        ((FIXTURES / "BTCUSDT-liquidationSnapshot-2023-01-18.csv").read_bytes(), "binance-liquidations"),
        (
            b"1674044940000,21227.9,21231.5,21227.9,21228.8,73.857,1674044999999,1567991.7,540,39.4,837791.6,0\n",
            "binance-klines",
        ),
        (b"time,open,high,low,close,Volume\n2023-01-18T00:00:00Z,1,2,0.5,1.5,10\n", "tradingview"),
        (b"snapped_at,price\n2020-09-22,5.28\n", "coingecko-export"),
    ],
)
def test_non_pack_samples_are_claimed_by_exactly_one_format(content: bytes, expected: str) -> None:
    head = head_text(content)
    assert [f.name for f in builtin_formats() if f.sniff(head)] == [expected]
