"""Fixtures for chart, report page and desk log tests.

``events_db`` is the session's pack store (``pack_db``) copied once, with the
project's example crypto-events file imported on top, so charts can show
calendar context ("FTX halts withdrawals") from ``frames.calendar``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest

from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.charts import Snapshot, snapshot
from cryptodesk.desk.desklog import DeskLog, desk_log

REPO = Path(__file__).resolve().parents[2]
EVENTS_CSV = REPO / "examples" / "crypto-events.csv"
TZ = "America/New_York"
MOMENTS: dict[str, datetime] = {
    "2022-11-09": datetime.fromisoformat("2022-11-09T12:30:00-05:00"),
    "2022-11-15": datetime.fromisoformat("2022-11-15T12:30:00-05:00"),
    "2023-01-18": datetime.fromisoformat("2023-01-18T12:30:00-05:00"),
}
"""The dates the chart and report tests cover (FTX week, its aftermath, the seed article's day)."""


@pytest.fixture(scope="session")
def events_db(pack_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pack store plus examples/crypto-events.csv (a copy: the shared pack store stays untouched)."""
    db = tmp_path_factory.mktemp("charts") / "pack-events.duckdb"
    shutil.copyfile(pack_db, db)
    with Desk(load_settings({"db": db}, env={})) as desk:
        report = desk.import_paths([EVENTS_CSV])
    assert not report.failed, [f.error for f in report.failed]
    return db


@pytest.fixture(scope="session")
def session_desk(events_db: Path) -> Iterator[Desk]:
    """One desk on the events store for the whole session (read only)."""
    with Desk(load_settings({"db": events_db}, env={})) as desk:
        yield desk


@pytest.fixture(scope="session")
def snapshots(session_desk: Desk) -> dict[str, Snapshot]:
    """Frames, analysis, events and story at each of :data:`MOMENTS`."""
    return {day: snapshot(session_desk, moment, tz=TZ, seed=7) for day, moment in MOMENTS.items()}


LOG_MONTHS: dict[str, tuple[date, date]] = {
    "2022-11": (date(2022, 11, 1), date(2022, 11, 30)),
    "2023-01": (date(2023, 1, 1), date(2023, 1, 31)),
}


@pytest.fixture(scope="session")
def pack_logs(session_desk: Desk, tmp_path_factory: pytest.TempPathFactory) -> dict[str, DeskLog]:
    """The desk logs of November 2022 and January 2023 built from the pack (stories without charts; seed 0)."""
    root = tmp_path_factory.mktemp("desklog")
    return {
        name: desk_log(session_desk, start, end, root / name, at=time(12, 30), tz=TZ, seed=0, charts=False)
        for name, (start, end) in LOG_MONTHS.items()
    }
