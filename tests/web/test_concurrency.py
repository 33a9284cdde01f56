"""Reading while writing: the server keeps answering while another process imports into the same DuckDB file."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from tests.web.conftest import ServerThread

from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.web.app import create_app


def _import_cmd(db: Path, path: Path) -> list[str]:
    return [sys.executable, "-m", "cryptodesk", "--db", str(db), "import", str(path)]


def test_serve_reads_while_another_process_imports(data_pack: Path, tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    with Desk(load_settings({"db": db}, env={})) as desk:
        assert not desk.import_paths([data_pack / "total_market_cap"]).failed
    app = create_app(load_settings({"db": db}, env={}), snapshot_dir=tmp_path / "snap", poll_seconds=0.2)
    statuses: list[int] = []
    stop = threading.Event()
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        before = client.get("/api/v1/health").json()["data"]["store_version"]
        assert not [a for a in client.get("/api/v1/assets").json()["data"] if a["asset_id"] == "bitcoin"]

        def hammer() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as c:
                while not stop.is_set():
                    for path in ("/api/v1/health", "/api/v1/assets", "/api/v1/market?as_of=2023-01-18T17:30:00Z"):
                        statuses.append(c.get(path).status_code)

        readers = [threading.Thread(target=hammer) for _ in range(3)]
        for r in readers:
            r.start()
        try:
            # two writer processes one after the other, each holding DuckDB's write lock while it imports
            for folder in ("daily/coingecko_exports", "intraday"):
                done = subprocess.run(_import_cmd(db, data_pack / folder), capture_output=True, text=True, check=False)
                assert done.returncode == 0, done.stderr  # serve never holds the store's lock
        finally:
            stop.set()
            for r in readers:
                r.join()
        assert len(statuses) > 20
        assert set(statuses) == {200}
        deadline = time.monotonic() + 20
        while client.get("/api/v1/health").json()["data"]["store_version"] == before:
            assert time.monotonic() < deadline, "snapshot never refreshed"
            time.sleep(0.1)
        assets = {a["asset_id"] for a in client.get("/api/v1/assets").json()["data"]}
        assert "bitcoin" in assets
        series = client.get("/api/v1/assets/bitcoin/series", params={"as_of": "2023-01-18T17:30:00Z"})
        assert series.status_code == 200
        assert series.json()["data"]["rows"][-1]["date"] == "2023-01-17"


def test_snapshot_is_consistent_while_the_writer_holds_uncheckpointed_changes(data_pack: Path, tmp_path: Path) -> None:
    """A writer that keeps its connection open (like `watch`): committed rows reach serve through the copied log."""
    from cryptodesk.store.db import Store
    from cryptodesk.web.snapshot import SnapshotReader

    db = tmp_path / "w.duckdb"
    with Desk(load_settings({"db": db}, env={})) as desk:
        assert not desk.import_paths([data_pack / "total_market_cap"]).failed
    reader = SnapshotReader(load_settings({"db": db}, env={}), folder=tmp_path / "snap")
    reader.refresh()
    with reader.lease() as snap:
        runs_before = snap.desk.store().con.execute("SELECT count(*) FROM import_runs").fetchall()[0]
    writer = Desk(load_settings({"db": db}, env={}))
    try:
        report = writer.import_paths([data_pack / "daily" / "coingecko_exports" / "btc-usd-max.csv"])
        assert not report.failed
        assert reader.refresh()  # the store changed (its log grew) while the writer still holds it
        with reader.lease() as snap:
            runs_after = snap.desk.store().con.execute("SELECT count(*) FROM import_runs").fetchall()[0]
            assert "bitcoin" in set(snap.desk.assets().get_column("asset_id"))
        assert runs_before is not None
        assert runs_after is not None
        assert runs_after[0] == runs_before[0] + 1
        assert isinstance(writer.store(), Store)
    finally:
        writer.close()
        reader.stop()
