"""Importing the data pack through the desk and the CLI: idempotence, atomicity under kill -9, bad input."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk

TABLES = ("assets", "candles", "snapshots", "global_metrics", "calendar_events", "liquidations")


def _counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: int(con.execute(f"select count(*) from {t}").fetchone()[0]) for t in TABLES}  # type: ignore[index]
    finally:
        con.close()


def _digest(db: Path) -> list[tuple[object, ...]]:
    """A content fingerprint of the canonical tables (independent of the store's own API)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: list[tuple[object, ...]] = []
        for t in TABLES:
            cols = [r[0] for r in con.execute(f"describe {t}").fetchall() if r[0] != "run_id"]
            row = con.execute(f"select count(*), sum(hash({', '.join(cols)})) from {t}").fetchone()
            assert row is not None
            out.append((t, *row))
        return out
    finally:
        con.close()


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cryptodesk", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_importing_the_pack_twice_changes_nothing(pack_db: Path, data_pack: Path, tmp_path: Path) -> None:
    db = tmp_path / "twice.duckdb"
    shutil.copy(pack_db, db)
    before, fingerprint = _counts(db), _digest(db)
    with Desk(load_settings({"db": db}, env={})) as desk:
        report = desk.import_paths([data_pack])
    assert report.result is not None
    assert report.result.inserted == 0
    assert report.result.updated == 0
    assert report.result.unchanged > 300_000
    assert _counts(db) == before
    assert _digest(db) == fingerprint


def test_pack_counts_match_the_files(pack_db: Path, data_pack: Path) -> None:
    """Overlapping files do not double count: snapshots = distinct (asset, day) keys across all CoinGecko files."""
    con = duckdb.connect(str(pack_db), read_only=True)
    try:
        btc = con.execute(
            "select count(*) from snapshots where asset_id = 'bitcoin' and source = 'coingecko'"
            " and epoch_us(ts) % 86400000000 = 0"
        ).fetchone()
    finally:
        con.close()
    assert btc is not None
    with (data_pack / "daily/coingecko_exports/btc-usd-max.csv").open() as f:
        export_days = {line.split(",")[0][:10] for line in list(f)[1:]}
    hathix = data_pack / "daily/coingecko_all_coins_2021/hathix_coingecko_perday_2021-09-01_2021-12-31.csv.gz"
    with gzip.open(hathix, "rt") as f:
        hathix_btc = {line.split(",")[0] for line in f if ",bitcoin," in line}
    # hathix rows for bitcoin fall on days the export already has (same provider, same instant)
    assert btc[0] == len(export_days)
    assert len(hathix_btc) > 100


@pytest.mark.slow
def test_kill_9_mid_import_leaves_the_store_as_it_was(pack_db: Path, data_pack: Path, tmp_path: Path) -> None:
    """Kill the CLI at several moments of a full import: the store is always exactly before or exactly after."""
    seed = tmp_path / "seed.duckdb"
    one = data_pack / "total_market_cap"
    assert _cli("import", str(one), db=seed).returncode == 0
    before = _digest(seed)
    full = _digest(pack_db)
    outcomes = set()
    for delay in (0.8, 2.0, 3.2, 4.4):
        db = tmp_path / f"kill-{delay}.duckdb"
        shutil.copy(seed, db)
        proc = subprocess.Popen(
            [sys.executable, "-m", "cryptodesk", "--db", str(db), "import", str(data_pack)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        after = _digest(db)
        assert after in (before, full), f"partial import visible after kill at {delay}s"
        outcomes.add("before" if after == before else "after")
        assert _cli("doctor", db=db).returncode == 0
    assert "before" in outcomes


CORRUPTIONS: list[tuple[str, str, str]] = [
    # (pack file, how to corrupt, text expected in the error)
    ("daily/coingecko_exports/eth-usd-max.csv", "bad_number:1", "line"),
    ("daily/coingecko_daily_long_all_symbols.csv.gz", "bad_number:2", "line"),
    ("daily/coingecko_all_coins_2021/hathix_coingecko_perday_2021-09-01_2021-12-31.csv.gz", "truncate_row", "line"),
    ("daily/yahoo_crypto_ohlcv/yahoo_ETH-USD_daily_2021-01-01_2023-08-29.csv", "bad_number:4", "line"),
    ("equities_macro/yahoo_VIX_daily_2021-01-04_2023-08-28_ddmmyyyy.csv", "bad_date", "line"),
    ("total_market_cap/tradingview_CRYPTOCAP_TOTAL_1D_2020-11-16_2023-02-02.csv", "bad_number:4", "line"),
    ("intraday/binance_usdm_BTCUSDT_1m_2023-01-18_1229-1918UTC.csv", "truncate_row", "line"),
    ("intraday/coingecko_bitcoin_hourly_2022-11-20_2023-01-19.csv", "bad_number:2", "line"),
    ("macro_calendar/us_macro_release_dates_2022_2023.csv", "bad_date", "line"),
    ("weekly_snapshots/cmc_weekly_top10_2013-05-05_2023-07-09.csv", "bad_number:3", "line"),
    ("weekly_snapshots/cmc_weekly_top10_2013-04-28_2024-12-01_iastewar.json.gz", "truncate_json", "JSON"),
    ("fixtures/coingecko_coins_markets_usd_top100_2023-01-16T0329Z.json", "truncate_json", "JSON"),
    ("fixtures/coingecko_global_2023-01-26T0045Z.json", "truncate_json", "JSON"),
    ("fixtures/coinmarketcap_listings_latest_2022-12-16T1807Z.json", "truncate_json", "JSON"),
    ("fixtures/coingecko_bitcoin_market_chart_usd_days60_hourly_2022-11-20_2023-01-19.json", "truncate_json", "JSON"),
]


def _corrupt(text: str, how: str) -> str:
    lines = text.splitlines()
    mid = len(lines) // 2
    if how.startswith("bad_number:"):
        parts = lines[mid].split(",")
        parts[int(how.split(":")[1])] = "12x.5"
        lines[mid] = ",".join(parts)
    elif how == "truncate_row":
        lines[mid] = ",".join(lines[mid].split(",")[:2])
    elif how == "bad_date":
        lines[mid] = "2023-02-30" + lines[mid][10:] if lines[mid][4] == "-" else "31/02/2022" + lines[mid][10:]
    elif how == "truncate_json":
        return text[: len(text) // 2]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("name", "how", "expected"), CORRUPTIONS, ids=[c[0].split("/")[-1][:40] for c in CORRUPTIONS])
def test_corrupted_file_is_rejected_whole_and_store_unchanged(
    name: str, how: str, expected: str, pack_db: Path, data_pack: Path, tmp_path: Path
) -> None:
    src = data_pack / name
    raw = src.read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    bad = tmp_path / src.name.removesuffix(".gz")
    bad.write_text(_corrupt(text, how), encoding="utf-8")
    db = tmp_path / "store.duckdb"
    shutil.copy(pack_db, db)
    before = _digest(db)
    proc = _cli("import", str(bad), db=db)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = proc.stderr.replace("\n", " ")
    assert str(bad.name) in err
    assert expected in err
    assert "Traceback" not in proc.stderr
    assert _digest(db) == before
