"""The desk log: one story per day over a period plus an index, built from the pack."""

from __future__ import annotations

import json
import re
from datetime import date, time
from pathlib import Path

import pytest

from cryptodesk.cli import main
from cryptodesk.core.errors import ConfigError
from cryptodesk.desk import Desk
from cryptodesk.desk.desklog import DeskLog, days, desk_log, moment

from .conftest import LOG_MONTHS, TZ


@pytest.mark.parametrize("month", list(LOG_MONTHS))
def test_month_log_has_one_story_per_day_and_an_index(pack_logs: dict[str, DeskLog], month: str) -> None:
    log = pack_logs[month]
    start, end = LOG_MONTHS[month]
    expected = [d.isoformat() for d in days(start, end)]
    assert [e.day.isoformat() for e in log.entries] == expected
    index = log.index.read_text(encoding="utf-8")
    for entry in log.entries:
        page = (log.out_dir / entry.file).read_text(encoding="utf-8")
        story = json.loads((log.out_dir / f"{entry.day.isoformat()}.json").read_text(encoding="utf-8"))
        assert entry.headline == story["headline"]
        assert story["as_of"] == moment(entry.day, time(12, 30), TZ).isoformat()
        assert f'href="{entry.file}"' in index
        assert entry.lead_event
        assert "Facts ledger" in page
        assert entry.figures == 0  # built with charts=False
    rows = re.findall(r"<tr><td>", index)
    assert len(rows) == len(expected)


def test_each_story_is_written_as_of_its_own_day(pack_logs: dict[str, DeskLog]) -> None:
    log = pack_logs["2022-11"]
    for entry in log.entries:
        story = json.loads((log.out_dir / f"{entry.day.isoformat()}.json").read_text(encoding="utf-8"))
        for fact in story["facts"]:
            if fact["unit"] == "date" and fact["value"]:
                assert date.fromisoformat(fact["value"]) <= entry.day, fact["id"]


def test_lead_event_of_ftx_week_is_about_the_market(pack_logs: dict[str, DeskLog]) -> None:
    entries = {e.day.isoformat(): e for e in pack_logs["2022-11"].entries}
    assert entries["2022-11-09"].headline != entries["2022-11-10"].headline


def test_log_with_charts_places_figures(session_desk: Desk, tmp_path: Path) -> None:
    log = desk_log(session_desk, date(2023, 1, 18), date(2023, 1, 18), tmp_path / "log", tz=TZ, seed=1)
    assert log.entries[0].figures >= 4
    page = (tmp_path / "log" / "2023-01-18.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == log.entries[-1].figures


def test_same_seed_same_log(session_desk: Desk, tmp_path: Path) -> None:
    a = desk_log(session_desk, date(2022, 11, 8), date(2022, 11, 9), tmp_path / "a", tz=TZ, seed=3, charts=False)
    b = desk_log(session_desk, date(2022, 11, 8), date(2022, 11, 9), tmp_path / "b", tz=TZ, seed=3, charts=False)
    for e in a.entries:
        assert (a.out_dir / e.file).read_bytes() == (b.out_dir / e.file).read_bytes()


def test_workers_write_the_same_pages(session_desk: Desk, tmp_path: Path) -> None:
    one = desk_log(session_desk, date(2022, 11, 8), date(2022, 11, 10), tmp_path / "1", tz=TZ, seed=2, charts=False)
    two = desk_log(
        session_desk, date(2022, 11, 8), date(2022, 11, 10), tmp_path / "2", tz=TZ, seed=2, charts=False, workers=2
    )
    assert [e.day for e in two.entries] == [e.day for e in one.entries]
    for e in one.entries:
        assert (one.out_dir / e.file).read_bytes() == (two.out_dir / e.file).read_bytes()
    assert one.index.read_bytes() == two.index.read_bytes()


@pytest.mark.parametrize(("start", "end"), [(date(2023, 1, 2), date(2023, 1, 1)), (date(2000, 1, 1), date(2020, 1, 1))])
def test_bad_ranges_are_refused(start: date, end: date) -> None:
    with pytest.raises(ConfigError, match="--to"):
        list(days(start, end))


def test_report_command_writes_a_desk_log(events_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-log"
    args = ["--db", str(events_db), "report", "--from", "2023-01-16", "--to", "2023-01-17", "--no-charts"]
    assert main([*args, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.html")) == ["2023-01-16.html", "2023-01-17.html", "index.html"]


def test_report_command_html_is_the_full_report(events_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    args = ["--db", str(events_db), "report", "--as-of", "2023-01-18T12:30:00-05:00", "--format", "html"]
    assert main([*args, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "data:image/png;base64," in text
