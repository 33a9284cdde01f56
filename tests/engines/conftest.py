"""Engine test fixtures: the pack and a generated panel exported to lakes once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.engines.spark_util import HAS_PYSPARK, panel_batches

from cryptodesk.store.db import Store
from cryptodesk.store.lake import export_lake


@pytest.fixture(scope="session")
def pack_lake_dir(pack_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data pack's store as a lake (exported once)."""
    out = tmp_path_factory.mktemp("enginelake") / "pack"
    with Store.open(pack_db, read_only=True) as store:
        export_lake(store, out)
    return out


@pytest.fixture(scope="session")
def panel_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the small generated panel (see ``spark_util.panel_batches``)."""
    db = tmp_path_factory.mktemp("panel") / "panel.duckdb"
    with Store.open(db) as store:
        store.ingest(panel_batches(), kind="import", files=[])
    return db


@pytest.fixture(scope="session")
def panel_lake_dir(panel_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated panel as a lake."""
    out = tmp_path_factory.mktemp("panellake") / "panel"
    with Store.open(panel_db, read_only=True) as store:
        export_lake(store, out)
    return out


@pytest.fixture(scope="session", autouse=True)
def _stop_spark() -> Iterator[None]:
    """One SparkSession for the whole test session, stopped at its end."""
    yield
    if HAS_PYSPARK:
        from cryptodesk.engines.session import stop_session

        stop_session()
