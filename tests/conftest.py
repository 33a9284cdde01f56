"""Shared test fixtures.

The data pack is read at run time from ``$CRYPTODESK_DATA_PACK`` or
``../shared/data`` beside the repository; it is never copied into the project.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from cryptodesk.desk import Desk

REPO = Path(__file__).resolve().parents[1]


def pack_path() -> Path:
    """The data pack folder (``CRYPTODESK_DATA_PACK`` or ``../shared/data``)."""
    env = os.environ.get("CRYPTODESK_DATA_PACK")
    return Path(env) if env else (REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_pack() -> Path:
    """The real historical data pack; the suite fails loudly if it is missing."""
    path = pack_path()
    if not (path / "SOURCES.md").exists():
        raise RuntimeError(f"data pack not found at {path}; set CRYPTODESK_DATA_PACK")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``live`` tests (real internet) unless CRYPTODESK_LIVE_TESTS=1."""
    if os.environ.get("CRYPTODESK_LIVE_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="live test: set CRYPTODESK_LIVE_TESTS=1 to run against the real internet")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def pack_db(data_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB store with the whole data pack imported once per test session (read it; do not write)."""
    from cryptodesk.core.settings import load_settings
    from cryptodesk.desk import Desk

    db = tmp_path_factory.mktemp("pack") / "pack.duckdb"
    with Desk(load_settings({"db": db}, env={})) as desk:
        report = desk.import_paths([data_pack])
    assert not report.failed, [f.error for f in report.failed]
    return db


@pytest.fixture
def pack_desk(pack_db: Path) -> Iterator[Desk]:
    """A desk reading the imported pack store."""
    from cryptodesk.core.settings import load_settings
    from cryptodesk.desk import Desk

    with Desk(load_settings({"db": pack_db}, env={})) as desk:
        yield desk
