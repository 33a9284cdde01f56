"""Calendars: the pack's US macro release calendar and the crypto-events CSV (with examples/crypto-events.csv)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from .files_helpers import ErrorRunner, Loader, pack_text

MACRO = "macro_calendar/us_macro_release_dates_2022_2023.csv"
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "crypto-events.csv"
NY = ZoneInfo("America/New_York")


def et_to_utc(day: str, clock: str) -> datetime:
    """An ET wall-clock time as UTC, computed with zoneinfo (independent of the parser)."""
    hh, mm = (int(x) for x in (clock or "00:00").split(":"))
    local = datetime.strptime(day, "%Y-%m-%d").replace(hour=hh, minute=mm, tzinfo=NY)
    return local.astimezone(UTC)


def test_macro_calendar_matches_stdlib(data_pack: Path, load: Loader) -> None:
    rows = list(csv.DictReader(io.StringIO(pack_text(data_pack / MACRO))))
    cal = load(data_pack / MACRO, "macro-calendar")["calendar_events"].frame
    assert cal.height == len(rows) == 88
    assert dict(cal.group_by("kind").len().iter_rows()) == {"CPI": 24, "PPI": 24, "NFP": 24, "FOMC": 16}
    assert set(cal.get_column("source")) == {"macro-calendar"}
    assert set(cal.get_column("origin")) == {"data pack: us_macro_release_dates"}
    for row in (rows[0], rows[10], rows[40], rows[-1]):
        ts = et_to_utc(row["date"], row["time_et"])
        got = cal.filter((pl.col("ts") == ts) & (pl.col("kind") == row["event"])).row(0, named=True)
        assert got["note"] == (row["note"] or None)


def test_ppi_on_article_morning_and_dst(data_pack: Path, load: Loader) -> None:
    cal = load(data_pack / MACRO, "macro-calendar")["calendar_events"].frame
    ppi = cal.filter(pl.col("ts") == datetime(2023, 1, 18, 13, 30, tzinfo=UTC))
    assert ppi.get_column("kind").to_list() == ["PPI"]
    # summer: 08:30 EDT is 12:30 UTC
    assert cal.filter(pl.col("ts") == datetime(2022, 7, 13, 12, 30, tzinfo=UTC)).get_column("kind").to_list() == ["CPI"]


def test_example_crypto_events(load: Loader) -> None:
    with EXAMPLE.open() as f:
        rows = list(csv.DictReader(f))
    cal = load(EXAMPLE, "crypto-calendar")["calendar_events"].frame
    assert cal.height == len(rows) == 8
    assert set(cal.get_column("kind")) == {"CRYPTO"}
    assert set(cal.get_column("source")) == {"crypto-calendar"}
    assert cal.get_column("origin").is_not_null().all()
    for row in rows:
        got = cal.filter(pl.col("title") == row["title"]).row(0, named=True)
        assert got["ts"] == et_to_utc(row["date"], row["time_et"])
        assert got["origin"] == row["origin"]
    ftx = cal.filter(pl.col("title") == "FTX halts withdrawals").row(0, named=True)
    assert ftx["ts"].date().isoformat() == "2022-11-08"


def test_headerless_crypto_events(load: Loader) -> None:
    body = b"2022-11-08,FTX halts withdrawals\n2022-11-11,FTX files for bankruptcy\n"
    cal = load(Path("my-events.csv"), "crypto-calendar", data=body)["calendar_events"].frame
    assert cal.get_column("title").to_list() == ["FTX halts withdrawals", "FTX files for bankruptcy"]
    assert cal.get_column("ts")[0] == datetime(2022, 11, 8, 5, tzinfo=UTC)  # midnight EST
    assert set(cal.get_column("origin")) == {"file: my-events.csv"}
    with_time = b"2022-09-15,Ethereum Merge,02:42\n"
    merge = load(Path("e.csv"), "crypto-calendar", data=with_time)["calendar_events"].frame.row(0, named=True)
    assert merge["ts"] == datetime(2022, 9, 15, 2, 42, tzinfo=NY).astimezone(UTC)
    assert merge["ts"] - datetime(2022, 9, 15, tzinfo=UTC) == timedelta(hours=6, minutes=42)


@pytest.mark.parametrize(
    ("fmt", "content", "line", "column"),
    [
        ("macro-calendar", "date,event,time_et,note\n2023-01-18,PPI,08:30,\n2023-01-19,GDP,08:30,\n", 3, "event"),
        ("macro-calendar", "date,event,time_et,note\n2023-01-18,PPI,08:30,\n2023-01-19,CPI,8h30,\n", 3, "time_et"),
        ("macro-calendar", "date,event,time_et,note\n2023-01-18,PPI,08:30,\n18/01/2023,CPI,08:30,\n", 3, "date"),
        ("macro-calendar", "date,event,time_et,note\n2023-01-18,PPI,08:30,\n2023-01-19\n", 3, "event"),
        ("macro-calendar", "date,event,time_et,note\n2023-03-12,CPI,02:30,\n", 2, "time_et"),
        ("macro-calendar", "date,event,time_et,note\n2023-01-18,PPI,08:30,\n2023-01-18,PPI,08:30,x\n", 3, None),
        ("crypto-calendar", "date,title,time_et\n2022-11-08,FTX,\n2022-11-09,,\n", 3, "title"),
        ("crypto-calendar", "2022-11-08,FTX halts withdrawals\n2022-11-3x,Oops\n", 2, "date"),
        ("crypto-calendar", "2022-11-08,FTX halts withdrawals\n2022-11-09,a,b,c\n", 2, None),
    ],
)
def test_corrupted_calendars(parse_error: ErrorRunner, fmt: str, content: str, line: int, column: str | None) -> None:
    err = parse_error(fmt, content)
    assert (err.line, err.column) == (line, column)


def test_missing_column_and_garbage(parse_error: ErrorRunner) -> None:
    assert "'time_et'" in str(parse_error("macro-calendar", "date,event,note\n2023-01-18,CPI,\n"))
    assert "'title'" in str(parse_error("crypto-calendar", "date,name\n2023-01-18,x\n"))
    assert "expected a header" in str(parse_error("macro-calendar", "\x00\x01\x02"))
