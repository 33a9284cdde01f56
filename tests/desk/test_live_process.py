"""`cryptodesk watch` as a process: SIGTERM flushes everything and exits 0; kill -9 then restart resumes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
from tests.sources.servers.ws_replay import Script

from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.live_status import status

from .live_helpers import (
    BUILDERS,
    ThreadedReplay,
    coverage_recorded_by_watch,
    coverage_rows,
    expected_keys,
    liquidation_keys,
    read_status,
    run_cli,
    specs,
    stored_by_watch,
    terminate,
    wait_for,
    watch_process,
)


def _env(url: str, **extra: str) -> dict[str, str]:
    return {"CRYPTODESK_LIQUIDATION_FEEDS": "binance", "CRYPTODESK_BINANCE_FUTURES_WS_URL": url, **extra}


def test_sigterm_flushes_every_received_message_and_exits_0(tmp_path: Path) -> None:
    items = specs(250)
    db = tmp_path / "t.duckdb"
    with ThreadedReplay("binance", [Script([BUILDERS["binance"](s) for s in items])]) as server:
        # nothing is written before the signal: no time-based flush within the test, no row-count flush
        proc = watch_process(
            db, _env(server.url, CRYPTODESK_WATCH_FLUSH_SECONDS="600", CRYPTODESK_WATCH_FLUSH_ROWS="100000")
        )
        try:
            wait_for(lambda: bool(server.replay.subscriptions), 30, "the subscription")
            time.sleep(1.0)  # the replay sends everything right after the ack
            # while watch holds the store, status reads its status file
            shown = run_cli(db, "status", "--format", "json")
            assert shown.returncode == 0, shown.stderr
            live = json.loads(shown.stdout)
            assert (live["watch_running"], live["store_locked"]) == (True, True)
            assert [(f["exchange"], f["connected"]) for f in live["feeds"]] == [("binance", "yes")]
        finally:
            code, out, err = terminate(proc)
    assert code == 0, err
    assert liquidation_keys(db) == expected_keys("binance", items)
    assert read_status(db)["watch"]["state"] == "stopped"
    assert "250" in out  # the summary table counts the stored rows
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT count(*) FROM import_runs WHERE kind = 'live:liquidations'").fetchone()
    assert runs == (1,)  # one batch, one transaction
    (interval,) = coverage_rows(db)
    assert interval[3] is not None
    assert interval[3] > interval[2]
    # once watch has stopped, status reads the store itself
    with Desk(load_settings({"db": db}, env={}, config_path=tmp_path / "none.toml")) as desk:
        live = status(desk)
    assert (live.watch_running, live.store_locked) == (False, False)
    (feed,) = live.feeds.iter_rows(named=True)
    assert (feed["exchange"], feed["rows"], feed["gaps"]) == ("binance", 250, 0)


def test_kill_9_then_restart_keeps_the_store_consistent_and_resumes(tmp_path: Path) -> None:
    first, second = specs(300), specs(200, offset=300)
    db = tmp_path / "k.duckdb"
    text = [BUILDERS["binance"](s) for s in first + second]
    # connection 1 (first process) gets the first 300; connection 2 (after restart) replays them all, then 200 more
    scripts = [Script(text[:300]), Script(text)]
    env_fast = {"CRYPTODESK_WATCH_FLUSH_SECONDS": "0.2", "CRYPTODESK_WATCH_FLUSH_ROWS": "50"}
    with ThreadedReplay("binance", scripts) as server:
        proc = watch_process(db, _env(server.url, **env_fast))
        try:
            wait_for(lambda: stored_by_watch(db, proc.pid) >= 300, 30, "the first 300 rows stored")
            # coverage is checkpointed after the rows it covers; wait for one so the kill lands after it
            wait_for(lambda: coverage_recorded_by_watch(db, proc.pid) >= 1, 30, "a coverage checkpoint")
        finally:
            proc.kill()
            proc.communicate(timeout=10)
        assert proc.returncode == -9
        before = coverage_rows(db)
        restart = watch_process(db, _env(server.url, **env_fast))
        try:
            wait_for(lambda: stored_by_watch(db, restart.pid) >= 200, 30, "the next 200 rows stored")
        finally:
            code, _, err = terminate(restart)
    assert code == 0, err
    assert liquidation_keys(db) == expected_keys("binance", first + second)
    after = coverage_rows(db)
    assert len(before) == 1
    assert before[0][3] is not None  # the killed run's coverage ends at its last committed checkpoint
    assert len(after) == 2
    assert after[0][2] == before[0][2]
    assert after[0][3] < after[1][2]  # the downtime is a gap
    assert all(end is not None for *_, end in after)
